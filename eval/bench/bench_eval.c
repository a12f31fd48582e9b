/* eval/bench/bench_eval.c — COCO evaluation benchmark on a generated val2017-sized problem: 5,000
 * images, ~11,000 people with 17 keypoints, ~100,000 detections (~110 MB results JSON) in /tmp.
 *
 * usage: bench_eval [dir=/tmp/cpose-bench-eval] [images=5000] [threads=N] [repeat=1] [regen=0]
 * Also times the Ultralytics-style val metrics (eval/metrics.h) on the same people and results.
 * Each iou type runs in its own child process, so the peak RSS printed is that evaluation's own
 * (loading both files + evaluating). Parsing goes through datasets/coco_json. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <omp.h>

#include "core/base/alloc.h"
#include "datasets/coco_json.h"
#include "eval/cocoeval.h"
#include "eval/metrics.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double urand(void) { return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0); }

static double nrand(void)
{
    double s = 0;
    for (int i = 0; i < 6; i++) s += urand();
    return (s - 3.0) * 1.41421356;
}

struct person {
    double box[4];
    double k[51];
};

/* Writes gt.json and dt.json for n_img images. */
static int generate(const char *dir, int n_img)
{
    char *gp = cpose_path_join(dir, "gt.json"), *dp = cpose_path_join(dir, "dt.json");
    FILE *g = fopen(gp, "w"), *d = fopen(dp, "w");
    if (!g || !d) {
        fprintf(stderr, "bench_eval: cannot write %s\n", dir);
        return 1;
    }
    fprintf(g, "{\"info\": {\"description\": \"cpose synthetic val2017-sized benchmark\"},\n\"images\": [");
    for (int i = 0; i < n_img; i++)
        fprintf(g, "%s\n{\"id\": %d, \"file_name\": \"%012d.jpg\", \"width\": 640, \"height\": 480}", i ? "," : "",
                i + 1, i + 1);
    fprintf(g, "],\n\"annotations\": [");
    fprintf(d, "[");
    long n_gt = 0, n_dt = 0;
    for (int i = 0; i < n_img; i++) {
        int np = (int)(urand() * 5.4); /* 0..5, mean 2.2 people per image */
        struct person ps[8];
        for (int j = 0; j < np; j++) {
            struct person *p = &ps[j];
            double w = 20 + urand() * 280, h = w * (1.2 + urand() * 1.3);
            p->box[0] = urand() * (640 - w);
            p->box[1] = urand() * 200;
            p->box[2] = w;
            p->box[3] = h;
            int nk = 0;
            for (int k = 0; k < 17; k++) {
                double v = urand() < 0.25 ? 0 : (urand() < 0.2 ? 1 : 2);
                p->k[3 * k] = v ? p->box[0] + urand() * w : 0;
                p->k[3 * k + 1] = v ? p->box[1] + urand() * h : 0;
                p->k[3 * k + 2] = v;
                nk += v > 0;
            }
            int crowd = urand() < 0.01;
            fprintf(g, "%s\n{\"id\": %ld, \"image_id\": %d, \"category_id\": 1, \"iscrowd\": %d, \"area\": %.2f, "
                       "\"num_keypoints\": %d, \"bbox\": [%.2f, %.2f, %.2f, %.2f], \"keypoints\": [",
                    n_gt ? "," : "", n_gt + 1, i + 1, crowd, w * h * 0.6, nk, p->box[0], p->box[1], w, h);
            for (int k = 0; k < 51; k++) fprintf(g, "%s%.0f", k ? ", " : "", p->k[k]);
            fprintf(g, "]}");
            n_gt++;
        }
        /* ~20 detections per image: noisy copies of the people, the rest random */
        int nd = 10 + (int)(urand() * 21);
        for (int j = 0; j < nd; j++) {
            double b[4], k[51], score;
            if (np && j < 3 * np) {
                const struct person *p = &ps[j % np];
                double s = 0.02 + 0.08 * (j / np);
                for (int q = 0; q < 4; q++) b[q] = p->box[q] + nrand() * s * p->box[2 + (q & 1)];
                for (int q = 0; q < 17; q++) {
                    k[3 * q] = p->k[3 * q] + nrand() * s * p->box[2] + (p->k[3 * q + 2] ? 0 : p->box[0]);
                    k[3 * q + 1] = p->k[3 * q + 1] + nrand() * s * p->box[3] + (p->k[3 * q + 2] ? 0 : p->box[1]);
                    k[3 * q + 2] = urand();
                }
                score = 0.3 + 0.7 * urand();
            } else {
                b[2] = 10 + urand() * 200;
                b[3] = 10 + urand() * 300;
                b[0] = urand() * 600;
                b[1] = urand() * 400;
                for (int q = 0; q < 17; q++) {
                    k[3 * q] = b[0] + urand() * b[2];
                    k[3 * q + 1] = b[1] + urand() * b[3];
                    k[3 * q + 2] = urand();
                }
                score = 0.001 + 0.5 * urand();
            }
            fprintf(d, "%s\n{\"image_id\": %d, \"category_id\": 1, \"bbox\": [%.17g, %.17g, %.17g, %.17g], "
                       "\"keypoints\": [",
                    n_dt ? "," : "", i + 1, b[0], b[1], b[2], b[3]);
            for (int q = 0; q < 51; q++) fprintf(d, "%s%.17g", q ? ", " : "", k[q]);
            fprintf(d, "], \"score\": %.17g}", score);
            n_dt++;
        }
    }
    fprintf(g, "],\n\"categories\": [{\"id\": 1, \"name\": \"person\", \"supercategory\": \"person\", "
               "\"keypoints\": [\"nose\",\"left_eye\",\"right_eye\",\"left_ear\",\"right_ear\",\"left_shoulder\","
               "\"right_shoulder\",\"left_elbow\",\"right_elbow\",\"left_wrist\",\"right_wrist\",\"left_hip\","
               "\"right_hip\",\"left_knee\",\"right_knee\",\"left_ankle\",\"right_ankle\"]}]}\n");
    fprintf(d, "]\n");
    fclose(g);
    fclose(d);
    printf("generated %s: %d images, %ld GT people, %ld detections\n", dir, n_img, n_gt, n_dt);
    cpose_free(gp);
    cpose_free(dp);
    return 0;
}

static long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* One evaluation in this (child) process: load, evaluate, print times and peak RSS. */
static int run(const char *dir, enum cpose_iou_type t, int repeat)
{
    char *gp = cpose_path_join(dir, "gt.json"), *dp = cpose_path_join(dir, "dt.json");
    struct cpose_coco gt, dt;
    double t0 = cpose_now();
    if (cpose_coco_load(gp, &gt) != CPOSE_OK || cpose_coco_load(dp, &dt) != CPOSE_OK) {
        fprintf(stderr, "bench_eval: %s\n", cpose_errmsg());
        return 1;
    }
    double t_load = cpose_now() - t0, best = 1e30;
    struct cpose_cocoeval_params p;
    cpose_cocoeval_default_params(&p, t);
    struct cpose_cocoeval e;
    for (int r = 0; r < repeat; r++) {
        t0 = cpose_now();
        if (cpose_cocoeval_run(&gt, &dt, &p, &e) != CPOSE_OK) {
            fprintf(stderr, "bench_eval: %s\n", cpose_errmsg());
            return 1;
        }
        double s = cpose_now() - t0;
        if (s < best) best = s;
        if (r + 1 < repeat) cpose_cocoeval_free(&e);
    }
    printf("%-9s load (gt + results) %.3f s  evaluate %.3f s  total %.3f s  AP %.4f  peak RSS %.0f MB  threads %d\n",
           t == CPOSE_IOU_KEYPOINTS ? "keypoints" : "bbox", t_load, best, t_load + best, e.stats[0],
           cpose_peak_rss_bytes() / 1048576.0, omp_get_max_threads());
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
    cpose_free(gp);
    cpose_free(dp);
    fflush(stdout);
    return 0;
}

/* Ultralytics-style val metrics on the same problem: every result is a prediction (class 0), GT
 * boxes become x1y1x2y2; times cpose_valmetrics_add over all images plus finalize. */
static int run_val(const char *dir)
{
    char *gp = cpose_path_join(dir, "gt.json"), *dp = cpose_path_join(dir, "dt.json");
    struct cpose_coco gt, dt;
    if (cpose_coco_load(gp, &gt) != CPOSE_OK || cpose_coco_load(dp, &dt) != CPOSE_OK) {
        fprintf(stderr, "bench_eval: %s\n", cpose_errmsg());
        return 1;
    }
    int n_img = (int)gt.n_images;
    size_t *gs = cpose_calloc((size_t)n_img + 2, sizeof *gs), *ds = cpose_calloc((size_t)n_img + 2, sizeof *ds);
    for (size_t i = 0; i < gt.n_anns; i++) gs[gt.anns[i].image_id]++;
    for (size_t i = 0; i < dt.n_anns; i++) ds[dt.anns[i].image_id]++;
    size_t maxg = 0, maxd = 0;
    for (int i = 0; i <= n_img; i++) { if (gs[i] > maxg) maxg = gs[i]; if (ds[i] > maxd) maxd = ds[i]; }
    float *gb = cpose_malloc((maxg + 1) * 4 * sizeof(float)), *gk = cpose_malloc((maxg + 1) * 51 * sizeof(float));
    float *pb = cpose_malloc((maxd + 1) * 4 * sizeof(float)), *pk = cpose_malloc((maxd + 1) * 51 * sizeof(float));
    float *pc = cpose_malloc((maxd + 1) * sizeof(float));
    int *gc = cpose_calloc(maxg + 1, sizeof(int)), *pcl = cpose_calloc(maxd + 1, sizeof(int));
    struct cpose_valmetrics *vm = cpose_valmetrics_new(1, 17, NULL);
    double t0 = cpose_now();
    size_t gi = 0, di = 0; /* both files are written image by image */
    for (int im = 1; im <= n_img; im++) {
        int ng = 0, nd = 0;
        for (; gi < gt.n_anns && gt.anns[gi].image_id == im; gi++, ng++) {
            const struct cpose_coco_ann *a = &gt.anns[gi];
            gb[4 * ng] = (float)a->bbox[0]; gb[4 * ng + 1] = (float)a->bbox[1];
            gb[4 * ng + 2] = (float)(a->bbox[0] + a->bbox[2]); gb[4 * ng + 3] = (float)(a->bbox[1] + a->bbox[3]);
            const double *k = cpose_coco_kpts(&gt, a);
            for (int q = 0; q < 51; q++) gk[51 * ng + q] = (float)k[q];
        }
        for (; di < dt.n_anns && dt.anns[di].image_id == im; di++, nd++) {
            const struct cpose_coco_ann *a = &dt.anns[di];
            pb[4 * nd] = (float)a->bbox[0]; pb[4 * nd + 1] = (float)a->bbox[1];
            pb[4 * nd + 2] = (float)(a->bbox[0] + a->bbox[2]); pb[4 * nd + 3] = (float)(a->bbox[1] + a->bbox[3]);
            pc[nd] = (float)a->score;
            const double *k = cpose_coco_kpts(&dt, a);
            for (int q = 0; q < 51; q++) pk[51 * nd + q] = (float)k[q];
        }
        struct cpose_val_image vi = {nd, pb, pc, pcl, pk, ng, gb, gc, gk};
        if (cpose_valmetrics_add(vm, &vi) != CPOSE_OK) { fprintf(stderr, "bench_eval: %s\n", cpose_errmsg()); return 1; }
    }
    double t_add = cpose_now() - t0;
    struct cpose_val_results r;
    t0 = cpose_now();
    cpose_valmetrics_finalize(vm, &r);
    double t_fin = cpose_now() - t0;
    printf("val       add %d images %.3f s  finalize %.3f s  box mAP50-95 %.4f  pose mAP50-95 %.4f  peak RSS %.0f MB\n",
           n_img, t_add, t_fin, r.box.map, r.pose.map, cpose_peak_rss_bytes() / 1048576.0);
    cpose_val_results_free(&r);
    cpose_valmetrics_free(vm);
    cpose_free(gb); cpose_free(gk); cpose_free(pb); cpose_free(pk); cpose_free(pc); cpose_free(gc); cpose_free(pcl);
    cpose_free(gs); cpose_free(ds);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
    cpose_free(gp);
    cpose_free(dp);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = "/tmp/cpose-bench-eval";
    int n_img = 5000, repeat = 1, regen = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "dir=", 4) == 0) dir = argv[i] + 4;
        else if (strncmp(argv[i], "images=", 7) == 0) n_img = atoi(argv[i] + 7);
        else if (strncmp(argv[i], "threads=", 8) == 0) omp_set_num_threads(atoi(argv[i] + 8));
        else if (strncmp(argv[i], "repeat=", 7) == 0) repeat = atoi(argv[i] + 7);
        else if (strncmp(argv[i], "regen=", 6) == 0) regen = atoi(argv[i] + 6);
        else {
            fprintf(stderr, "usage: bench_eval [dir=D] [images=5000] [threads=N] [repeat=1] [regen=0]\n");
            return 2;
        }
    }
    if (cpose_mkdirs(dir) != CPOSE_OK) {
        fprintf(stderr, "bench_eval: %s\n", cpose_errmsg());
        return 1;
    }
    char *dp = cpose_path_join(dir, "dt.json"), *gp = cpose_path_join(dir, "gt.json");
    if (regen || !cpose_path_is_file(dp) || !cpose_path_is_file(gp))
        if (generate(dir, n_img)) return 1;
    printf("files: %s %.1f MB, %s %.1f MB\n", gp, file_size(gp) / 1048576.0, dp, file_size(dp) / 1048576.0);
    fflush(stdout);
    int rc = 0;
    for (int t = 0; t < 3; t++) {
        pid_t pid = fork();
        if (pid == 0) _exit(t == 2 ? run_val(dir) : run(dir, t == 0 ? CPOSE_IOU_KEYPOINTS : CPOSE_IOU_BBOX, repeat));
        int st = 0;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st)) rc = 1;
        fflush(stdout);
    }
    cpose_free(dp);
    cpose_free(gp);
    return rc;
}
