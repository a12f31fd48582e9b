/* datasets/bench/bench_convert.c — conversion benchmark: writes a person_keypoints_train2017-sized
 * COCO JSON (64,115 images, 262,465 person annotations with polygons, ≈200 MB) into /tmp once, then
 * converts it and prints wall seconds and peak RSS.
 * usage: bench_convert [work_dir=/tmp/cpose-bench-convert] [style=json2yolo|ultralytics] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "datasets/convert.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

enum { N_IMAGES = 64115, N_ANNS = 262465 };

static uint64_t s_rng = 0x5eed;
static uint64_t rnd(void)
{
    uint64_t z = (s_rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static double urand(double lo, double hi) { return lo + (hi - lo) * (double)(rnd() >> 11) / 9007199254740992.0; }

static int generate(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return cpose_err(CPOSE_EIO, "cannot write %s", path);
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    fprintf(f, "{\"info\": {\"description\": \"cpose synthetic COCO-sized benchmark\", \"year\": 2017}, "
               "\"licenses\": [{\"url\": \"http://example.invalid/\", \"id\": 1, \"name\": \"x\"}], \"images\": [");
    int *w = malloc(N_IMAGES * sizeof *w), *h = malloc(N_IMAGES * sizeof *h);
    for (int i = 0; i < N_IMAGES; i++) {
        w[i] = 320 + (int)(rnd() % 321);
        h[i] = 240 + (int)(rnd() % 401);
        fprintf(f, "%s{\"license\": %d, \"file_name\": \"%012d.jpg\", \"coco_url\": "
                   "\"http://images.example.invalid/train2017/%012d.jpg\", \"height\": %d, \"width\": %d, "
                   "\"date_captured\": \"2013-11-14 16:28:13\", \"flickr_url\": \"http://farm.example.invalid/%d_z.jpg\", "
                   "\"id\": %d}",
                i ? ", " : "", 1 + i % 8, i + 1, i + 1, h[i], w[i], i + 1, i + 1);
    }
    fprintf(f, "], \"annotations\": [");
    for (int k = 0; k < N_ANNS; k++) {
        int img = (int)(rnd() % N_IMAGES);
        double bw = urand(8, w[img] * 0.6), bh = urand(8, h[img] * 0.8);
        double bx = urand(0, w[img] - bw), by = urand(0, h[img] - bh);
        fprintf(f, "%s{\"segmentation\": [[", k ? ", " : "");
        int np = 14 + (int)(rnd() % 22);
        for (int j = 0; j < np; j++)
            fprintf(f, "%s%.2f, %.2f", j ? ", " : "", urand(bx, bx + bw), urand(by, by + bh));
        int crowd = rnd() % 100 == 0;
        int nk = crowd ? 0 : (int)(rnd() % 18);
        fprintf(f, "]], \"num_keypoints\": %d, \"area\": %.4f, \"iscrowd\": %d, \"keypoints\": [", nk, bw * bh * 0.6,
                crowd);
        for (int j = 0; j < 17; j++) {
            if (j < nk)
                fprintf(f, "%s%d, %d, %d", j ? ", " : "", (int)urand(bx, bx + bw), (int)urand(by, by + bh),
                        1 + (int)(rnd() % 2));
            else
                fprintf(f, "%s0, 0, 0", j ? ", " : "");
        }
        fprintf(f, "], \"image_id\": %d, \"bbox\": [%.2f, %.2f, %.2f, %.2f], \"category_id\": 1, \"id\": %d}", img + 1,
                bx, by, bw, bh, 100000 + k);
    }
    fprintf(f, "], \"categories\": [{\"supercategory\": \"person\", \"id\": 1, \"name\": \"person\", \"keypoints\": "
               "[\"nose\", \"left_eye\", \"right_eye\", \"left_ear\", \"right_ear\", \"left_shoulder\", "
               "\"right_shoulder\", \"left_elbow\", \"right_elbow\", \"left_wrist\", \"right_wrist\", \"left_hip\", "
               "\"right_hip\", \"left_knee\", \"right_knee\", \"left_ankle\", \"right_ankle\"], \"skeleton\": "
               "[[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9], "
               "[8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]}]}\n");
    free(w);
    free(h);
    if (fclose(f) != 0) return cpose_err(CPOSE_EIO, "write error on %s", path);
    return CPOSE_OK;
}

int main(int argc, char **argv)
{
    const char *work = "/tmp/cpose-bench-convert";
    struct cpose_convert_opts o = {.use_keypoints = 1, .exist_ok = 1, .style = CPOSE_CONVERT_JSON2YOLO};
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "work_dir=", 9) == 0) work = argv[i] + 9;
        else if (strcmp(argv[i], "style=ultralytics") == 0) o.style = CPOSE_CONVERT_ULTRALYTICS;
    }
    char *ann = cpose_path_join(work, "annotations");
    char *json = cpose_path_join(ann, "person_keypoints_train2017.json");
    char *out = cpose_path_join(work, "out");
    if (cpose_mkdirs(ann) != CPOSE_OK) return fprintf(stderr, "%s\n", cpose_errmsg()), 1;
    if (!cpose_path_is_file(json)) {
        double t = cpose_now();
        if (generate(json) != CPOSE_OK) return fprintf(stderr, "%s\n", cpose_errmsg()), 1;
        printf("generated %s in %.1f s\n", json, cpose_now() - t);
    }
    struct stat st;
    stat(json, &st);
    o.json_dir = ann;
    o.save_dir = out;
    struct cpose_convert_stats cs;
    cpose_remove_tree(out); /* deleting the previous run's 64k files is not conversion work */
    sync();
    double t0 = cpose_now();
    int rc = cpose_convert_coco(&o, &cs);
    double dt = cpose_now() - t0;
    if (rc != CPOSE_OK) return fprintf(stderr, "convert: %s\n", cpose_errmsg()), 1;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("bench_convert: %.1f MB JSON, %lld label files, %lld rows: %.2f s wall, %.2f s CPU (user+sys, whole "
           "process), peak RSS %.0f MB\n",
           st.st_size / 1e6, cs.n_images_written, cs.n_lines, dt, cpu, cpose_peak_rss_bytes() / 1e6);
    cpose_free(ann);
    cpose_free(json);
    cpose_free(out);
    return 0;
}
