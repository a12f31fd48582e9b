/* tests/test_synth.c — the synthetic people dataset: same seed → same bytes, valid COCO JSON with
 * consistent fields, labels that pass verification, and figure geometry in human proportions. */
/* cpose-layer: datasets */
#define _GNU_SOURCE
#include <ftw.h>
#include <math.h>

#include "core/base/alloc.h"
#include "datasets/coco_json.h"
#include "datasets/dataset.h"
#include "datasets/download.h"
#include "datasets/loader.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "datasets/labels.h"
#include "datasets/synth.h"
#include "tests/testlib.h"

static const char *g_a, *g_b;
static int g_files, g_diff;

static int cmp_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag != FTW_F) return 0;
    g_files++;
    char *other = cpose_asprintf("%s%s", g_b, path + strlen(g_a));
    char *x = NULL, *y = NULL;
    size_t lx = 0, ly = 0;
    int same = cpose_read_file(path, &x, &lx) == CPOSE_OK && cpose_read_file(other, &y, &ly) == CPOSE_OK && lx == ly &&
               memcmp(x, y, lx) == 0;
    if (!same && strstr(path, ".yaml") == NULL) { /* the YAML holds its own path */
        g_diff++;
        fprintf(stderr, "differs: %s\n", other);
    }
    cpose_free(x);
    cpose_free(y);
    cpose_free(other);
    return 0;
}

static double dist(const double *a, const double *b) { return hypot(a[0] - b[0], a[1] - b[1]); }

int main(void)
{
    const char *tmp = tl_tmpdir("synth");
    char *a = cpose_path_join(tmp, "a"), *b = cpose_path_join(tmp, "b"), *c = cpose_path_join(tmp, "c");
    struct cpose_synth_opts o = {a, 12, 6, 256, 7, 0};
    CHECK(cpose_synth_generate(&o) == CPOSE_OK);
    o.save_dir = b;
    CHECK(cpose_synth_generate(&o) == CPOSE_OK);
    g_a = a;
    g_b = b;
    nftw(a, cmp_entry, 16, FTW_PHYS);
    CHECK_MSG(g_files == 12 * 2 + 6 * 2 + 2 + 1, "%d files", g_files);
    CHECK(g_diff == 0);
    /* another seed, other bytes; a non-empty folder is refused */
    o.save_dir = c;
    o.seed = 8;
    CHECK(cpose_synth_generate(&o) == CPOSE_OK);
    char *ja = cpose_path_join(a, "annotations/person_keypoints_train.json");
    char *jc = cpose_path_join(c, "annotations/person_keypoints_train.json");
    char *x = NULL, *y = NULL;
    size_t lx = 0, ly = 0;
    cpose_read_file(ja, &x, &lx);
    cpose_read_file(jc, &y, &ly);
    CHECK(x && y && (lx != ly || memcmp(x, y, lx) != 0));
    cpose_free(x);
    cpose_free(y);
    CHECK(cpose_synth_generate(&o) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "exist_ok=True");

    /* the COCO JSON: fields present and consistent */
    struct cpose_coco coco;
    CHECK(cpose_coco_load(ja, &coco) == CPOSE_OK);
    CHECK(coco.n_images == 12 && coco.n_categories == 1 && coco.categories[0].n_keypoint_names == 17);
    int n_occ = 0, n_out = 0, n_vis = 0, bad = 0;
    for (size_t i = 0; i < coco.n_anns; i++) {
        const struct cpose_coco_ann *an = &coco.anns[i];
        const double *k = cpose_coco_kpts(&coco, an);
        const struct cpose_coco_image *im = &coco.images[an->image_id - 1];
        int nk = 0;
        bad += !(an->has_bbox && an->has_area && an->iscrowd == 0 && an->n_kpt_values == 51 && an->category_id == 1);
        bad += !(an->bbox[2] > 0 && an->bbox[3] > 0 && an->bbox[0] >= 0 && an->bbox[0] + an->bbox[2] <= im->width + 0.01 &&
                 an->bbox[1] + an->bbox[3] <= im->height + 0.01);
        for (int j = 0; j < 17; j++) {
            int v = (int)k[3 * j + 2];
            nk += v > 0;
            n_occ += v == 1;
            n_out += v == 0;
            n_vis += v == 2;
            if (v == 0) bad += k[3 * j] != 0 || k[3 * j + 1] != 0;
            else bad += k[3 * j] < 0 || k[3 * j] >= im->width || k[3 * j + 1] < 0 || k[3 * j + 1] >= im->height;
        }
        bad += nk != an->num_keypoints;
    }
    CHECK_MSG(bad == 0, "%d inconsistent annotation fields", bad);
    CHECK(coco.n_anns >= 12 && n_vis > 0 && n_occ > 0 && n_out > 0);
    cpose_coco_free(&coco);

    /* the YOLO labels pass verification */
    char *yaml = cpose_path_join(a, "synth-pose.yaml");
    struct cpose_dataset d;
    CHECK(cpose_dataset_load(yaml, &d) == CPOSE_OK);
    char **files = NULL;
    size_t n = 0;
    CHECK(cpose_dataset_images(&d, CPOSE_SPLIT_VAL, &files, &n) == CPOSE_OK && n == 6);
    struct cpose_scan_opts so = {1, 17, 3, "synth: ", 0, NULL};
    struct cpose_label_set ls;
    CHECK(cpose_labels_scan(files, n, &so, &ls) == CPOSE_OK && ls.nf == 6 && ls.nc == 0);
    cpose_labels_free(&ls);
    cpose_strv_free(files, n);
    cpose_dataset_free(&d);

    /* geometry: upright, fully visible figures have human proportions */
    int checked = 0, prop_bad = 0;
    for (int i = 0; i < 60; i++) {
        struct cpose_image img;
        struct cpose_synth_person p[6];
        int np = 0;
        CHECK(cpose_synth_render(3, 0, i, 320, &img, p, 6, &np) == CPOSE_OK);
        for (int j = 0; j < np; j++) {
            if (p[j].num_keypoints < 17) continue;
            double(*k)[3] = p[j].kpt;
            double sh[2] = {(k[5][0] + k[6][0]) / 2, (k[5][1] + k[6][1]) / 2};
            double hp[2] = {(k[11][0] + k[12][0]) / 2, (k[11][1] + k[12][1]) / 2};
            double torso = dist(sh, hp);
            double ua = dist(k[5], k[7]), fa = dist(k[7], k[9]), th = dist(k[11], k[13]), sn = dist(k[13], k[15]);
            /* limbs relative to the torso (≈0.53, 0.47, 0.78, 0.78), head above the shoulders on average */
            prop_bad += fabs(ua / torso - 0.533) > 0.05 || fabs(fa / torso - 0.467) > 0.05 ||
                        fabs(th / torso - 0.783) > 0.05 || fabs(sn / torso - 0.783) > 0.05;
            prop_bad += !(k[0][1] < hp[1]);
            prop_bad += !(p[j].bbox[3] > torso);
            checked++;
        }
        cpose_image_free(&img);
    }
    CHECK(checked >= 20);
    CHECK_MSG(prop_bad == 0, "%d figures out of proportion", prop_bad);
    /* the bundled synth-pose.yaml generates itself on first use (its download: is "synth: ...") */
    char *dd = cpose_path_join(tmp, "datasets");
    setenv("CPOSE_DATASETS_DIR", dd, 1);
    CHECK(cpose_dataset_load("synth-pose.yaml", &d) == CPOSE_OK);
    char *root = cpose_path_join(dd, "synth-pose");
    CHECK(strcmp(d.path, root) == 0);
    CHECK(cpose_dataset_ensure(&d, 0) == CPOSE_EIO); /* without autodownload: missing path named */
    CHECK_CONTAINS(cpose_errmsg(), "images not found");
    CHECK(cpose_dataset_ensure(&d, 1) == CPOSE_OK);
    CHECK(cpose_dataset_images(&d, CPOSE_SPLIT_TRAIN, &files, &n) == CPOSE_OK && n == 64);
    cpose_strv_free(files, n);
    cpose_dataset_free(&d);
    struct cpose_loader *L = NULL;
    CHECK(cpose_loader_open("synth-pose.yaml", "val", 320, 8, 32, 1, 0.5, &L) == CPOSE_OK);
    CHECK(L && cpose_loader_size(L) == 16 && cpose_loader_n_batches(L) == 2);
    cpose_loader_free(L);
    unsetenv("CPOSE_DATASETS_DIR");
    cpose_free(root);
    cpose_free(dd);
    cpose_free(ja);
    cpose_free(jc);
    cpose_free(yaml);
    cpose_free(a);
    cpose_free(b);
    cpose_free(c);
    return tl_finish();
}
