/* tests/test_val_loss.c — the val losses of results.csv (core/train/val_loss.h through eval/val.h's
 * per-batch hook).
 * Generated part: a seeded yolov8n-pose on 5 synthetic val images, batch 2 (batches of 2, 2, 1): the
 * hook's mean equals an independent computation of the same thing — the test reloads the batches with
 * the val loader, runs the UNFUSED eval forward (BatchNorm as its own op, not the fused graph val
 * runs), flattens the labels itself and calls the training loss (core/train/pose_loss.h), then
 * averages over batches (not images: the short last batch tells the two apart).
 * Fixture part: Ultralytics' own val losses. ultralytics/synth-trained/synth-seed1-best.h5 is the EMA
 * of the best epoch of the run whose curve is ultralytics-train-results.csv; that epoch's val/ columns
 * are Ultralytics' val losses of these weights on the same 64 val images at imgsz 256, batch 32 (its
 * trainer validates at batch × 2). The best epoch is found here from the CSV (highest fitness
 * 0.1·mAP50 + 0.9·mAP50-95 of B plus P). The .h5 holds the fp16-rounded weights of best.pt, so the
 * losses match to a relative 1e-2, not bit for bit; a val loss that is 0, per image, per label or with
 * other gains is far outside that. */
/* cpose-layer: train */
#include "tests/testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/model.h"
#include "core/train/pose_loss.h"
#include "core/train/val_loss.h"
#include "datasets/loader.h"
#include "datasets/synth.h"
#include "eval/val.h"

/* Validates m on data (val split) with the val-loss hook; fills mean[5] and *n_batches. */
static int val_with_loss(struct cpose_model *m, const char *data, const char *imgsz, const char *batch,
                         const char *project, double mean[5], int *n_batches)
{
    struct cpose_args a;
    cpose_args_init(&a);
    CHECK(cpose_args_set(&a, "data", data) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "imgsz", imgsz) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "batch", batch) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "plots", "False") == CPOSE_OK);
    CHECK(cpose_args_set(&a, "project", project) == CPOSE_OK);
    const struct cpose_model_info *mi = cpose_model_get_info(m);
    struct cpose_pose_loss_cfg cfg;
    cpose_pose_loss_cfg_default(&cfg, mi->nc, mi->nkpt, mi->kdim);
    struct cpose_val_loss vl;
    cpose_val_loss_init(&vl, &cfg, mi);
    struct cpose_val_hooks h = {.user = &vl, .on_batch = cpose_val_loss_on_batch};
    struct cpose_val_summary s;
    int rc = cpose_val_run_hooked(m, &a, &h, &s);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    cpose_val_loss_mean(&vl, mean);
    *n_batches = vl.n_batches;
    cpose_val_loss_free(&vl);
    cpose_val_summary_free(&s);
    cpose_args_free(&a);
    return rc;
}

/* The same means computed without the hook: val's loader batches, the unfused eval forward, the loss. */
static void independent_mean(struct cpose_model *m, const char *data, int imgsz, int batch, double mean[5], int *nb)
{
    const struct cpose_model_info *mi = cpose_model_get_info(m);
    struct cpose_pose_loss_cfg cfg;
    cpose_pose_loss_cfg_default(&cfg, mi->nc, mi->nkpt, mi->kdim);
    struct cpose_loader *L = NULL;
    CHECK_MSG(cpose_loader_open(data, "val", imgsz, batch, 32, 1, 0.5, &L) == CPOSE_OK, "%s", cpose_errmsg());
    double sum[5] = {0};
    *nb = 0;
    struct cpose_batch b;
    while (L && cpose_loader_next(L, &b) == CPOSE_OK && b.n > 0) {
        int64_t A = cpose_model_num_anchors(m, b.H, b.W);
        float *pred = malloc((size_t)b.n * mi->n_outputs * A * sizeof(float));
        CHECK(cpose_model_predict_unfused(m, b.images, b.n, b.H, b.W, pred) == CPOSE_OK);
        float *feats[4];
        int H[4], W[4];
        float strides[4];
        for (int l = 0; l < mi->n_levels; l++) {
            H[l] = b.H / mi->strides[l], W[l] = b.W / mi->strides[l], strides[l] = (float)mi->strides[l];
            feats[l] = malloc((size_t)b.n * (64 + mi->nc) * H[l] * W[l] * sizeof(float));
            CHECK(cpose_model_level_raw(m, l, feats[l]) == CPOSE_OK);
        }
        float *kpt = malloc((size_t)b.n * mi->nkpt * mi->kdim * A * sizeof(float));
        CHECK(cpose_model_kpt_raw(m, kpt) == CPOSE_OK);
        int n = 0;
        for (int i = 0; i < b.n; i++) n += b.items[i].n_labels;
        float *bi = malloc((n + 1) * sizeof(float)), *cl = malloc((n + 1) * sizeof(float));
        float *bx = malloc((n * 4 + 1) * sizeof(float)), *kp = malloc((n * 51 + 1) * sizeof(float));
        int j = 0;
        for (int i = 0; i < b.n; i++)
            for (int k = 0; k < b.items[i].n_labels; k++, j++) {
                bi[j] = (float)i, cl[j] = b.items[i].cls[k];
                memcpy(bx + 4 * j, b.items[i].bboxes + 4 * k, 4 * sizeof(float));
                memcpy(kp + 51 * j, b.items[i].kpts + 51 * k, 51 * sizeof(float));
            }
        struct cpose_pose_targets t = {n, bi, cl, bx, kp};
        float items[5];
        CHECK_MSG(cpose_pose_loss(&cfg, b.n, mi->n_levels, (const float *const *)feats, H, W, strides, kpt, &t, items,
                                  NULL, NULL, NULL) == CPOSE_OK,
                  "%s", cpose_errmsg());
        for (int k = 0; k < 5; k++) sum[k] += items[k];
        (*nb)++;
        for (int l = 0; l < mi->n_levels; l++) free(feats[l]);
        free(kpt), free(pred), free(bi), free(cl), free(bx), free(kp);
    }
    cpose_loader_free(L);
    for (int k = 0; k < 5; k++) mean[k] = *nb ? sum[k] / *nb : 0;
}

static const char *const NAMES[5] = {"box", "pose", "kobj", "cls", "dfl"};

static void test_generated(void)
{
    const char *tmp = tl_tmpdir("val-loss");
    char *root = cpose_path_join(tmp, "synth"), *project = cpose_path_join(tmp, "runs");
    struct cpose_synth_opts so = {root, 0, 5, 96, 11, 0};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    char *yaml = cpose_path_join(root, "synth-pose.yaml");
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 3, &m) == CPOSE_OK);
    double got[5], want[5];
    int nb_got = 0, nb_want = 0;
    if (m && val_with_loss(m, yaml, "96", "2", project, got, &nb_got) == CPOSE_OK) {
        independent_mean(m, yaml, 96, 2, want, &nb_want);
        CHECK_MSG(nb_got == 3 && nb_want == 3, "batches: hook %d, independent %d (5 images, batch 2)", nb_got, nb_want);
        for (int k = 0; k < 5; k++) {
            printf("val/%s_loss: hook %.7g, independent %.7g\n", NAMES[k], got[k], want[k]);
            CHECK_MSG(isfinite(got[k]) && got[k] > 0, "val/%s_loss = %g", NAMES[k], got[k]);
            CHECK_MSG(fabs(got[k] - want[k]) <= 1e-4 * fabs(want[k]) + 1e-6, "val/%s_loss: hook %.8g, independent %.8g",
                      NAMES[k], got[k], want[k]);
        }
    }
    cpose_model_free(m);
    cpose_free(root), cpose_free(project), cpose_free(yaml);
}

/* The val/ columns of the best-fitness row of Ultralytics' results.csv; returns its epoch or -1. */
static int ultralytics_best_row(const char *csv, double val[5])
{
    FILE *f = fopen(csv, "r");
    CHECK_MSG(f != NULL, "%s", csv);
    if (!f) return -1;
    char line[4096];
    int best_epoch = -1;
    double best_fit = -1;
    if (!fgets(line, sizeof line, f)) line[0] = 0; /* header: 22 columns, val/ at 14..18 (0-based) */
    CHECK(strstr(line, "val/box_loss") && strstr(line, "val/dfl_loss"));
    while (fgets(line, sizeof line, f)) {
        double v[22];
        int nv = 0;
        char *save = NULL;
        for (char *tok = strtok_r(line, ",", &save); tok && nv < 22; tok = strtok_r(NULL, ",", &save)) v[nv++] = atof(tok);
        if (nv != 22) continue;
        double fit = 0.1 * v[8] + 0.9 * v[9] + 0.1 * v[12] + 0.9 * v[13];
        if (fit > best_fit) {
            best_fit = fit, best_epoch = (int)v[0];
            for (int k = 0; k < 5; k++) val[k] = v[14 + k];
        }
    }
    fclose(f);
    return best_epoch;
}

static void test_ultralytics(void)
{
    const char *weights = tl_fixture("ultralytics/synth-trained/synth-seed1-best.h5");
    const char *csv = tl_fixture("ultralytics/synth-trained/ultralytics-train-results.csv");
    double want[5];
    int epoch = ultralytics_best_row(csv, want);
    CHECK(epoch > 0);
    const char *tmp = tl_tmpdir("val-loss-ul");
    char *root = cpose_path_join(tmp, "synth"), *project = cpose_path_join(tmp, "runs");
    struct cpose_synth_opts so = {root, 0, 64, 256, 0, 0}; /* the val split of `synth train=256 val=64 imgsz=256 seed=0` */
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    char *yaml = cpose_path_join(root, "synth-pose.yaml");
    struct cpose_model *m = NULL;
    CHECK_MSG(cpose_model_load(weights, NULL, &m) == CPOSE_OK, "%s", cpose_errmsg());
    double got[5];
    int nb = 0;
    if (m && epoch > 0 && val_with_loss(m, yaml, "256", "32", project, got, &nb) == CPOSE_OK) {
        CHECK(nb == 2);
        for (int k = 0; k < 5; k++) {
            double rel = fabs(got[k] - want[k]) / want[k];
            printf("val/%s_loss: cpose %.5g, Ultralytics (epoch %d) %.5g, relative difference %.2e\n", NAMES[k], got[k],
                   epoch, want[k], rel);
            CHECK_MSG(rel <= 1e-2, "val/%s_loss: cpose %.5g, Ultralytics %.5g", NAMES[k], got[k], want[k]);
        }
    }
    cpose_model_free(m);
    cpose_free(root), cpose_free(project), cpose_free(yaml);
}

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    TL_GENERATED(test_generated());
    TL_FIXTURES(test_ultralytics());
    return tl_finish();
}
