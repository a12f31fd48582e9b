/* tests/test_trainer.c — `cpose train`'s C API on a synthetic dataset generated here: results.csv's
 * header is Ultralytics' (the string below is written from Ultralytics 8.1's pose trainer: "%23s,"
 * columns epoch, its loss names, PoseValidator's metric keys, the val losses, lr/pg0..2); the
 * refusals (negative epochs, missing dataset, dataset without labels, mixup, rect, dropout, an unknown optimizer); a
 * two-epoch run writes the run folder (args.yaml, results.csv with two rows whose val/ loss columns are
 * finite and non-zero, weights that load and
 * differ from the start); the same seed gives bit-identical weights with workers 2 and 0 (and
 * deterministic=True); an on_epoch_end callback stops the run; freeze=1 keeps layer 0. */
/* cpose-layer: train */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/model.h"
#include "core/train/trainer.h"
#include "datasets/synth.h"
#include "reports/results_csv.h"
#include "tests/testlib.h"

/* Ultralytics' pose results.csv header (each name right-aligned in 23 characters, comma-separated). */
static const char *const ULTRALYTICS_POSE_COLUMNS[] = {
    "epoch", "train/box_loss", "train/pose_loss", "train/kobj_loss", "train/cls_loss", "train/dfl_loss",
    "metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)", "metrics/precision(P)",
    "metrics/recall(P)", "metrics/mAP50(P)", "metrics/mAP50-95(P)", "val/box_loss", "val/pose_loss",
    "val/kobj_loss", "val/cls_loss", "val/dfl_loss", "lr/pg0", "lr/pg1", "lr/pg2"};

static void expected_header(char *buf, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < sizeof ULTRALYTICS_POSE_COLUMNS / sizeof *ULTRALYTICS_POSE_COLUMNS; i++) {
        size_t len = strlen(ULTRALYTICS_POSE_COLUMNS[i]);
        if (i) buf[o++] = ',';
        for (size_t k = len; k < 23; k++) buf[o++] = ' ';
        memcpy(buf + o, ULTRALYTICS_POSE_COLUMNS[i], len);
        o += len;
    }
    buf[o] = 0;
    (void)n;
}

static char *g_yaml, *g_runs;

/* Parses "k=v k=v ..." into a (initialised here). */
static void set_args(struct cpose_args *a, const char *name, const char *extra)
{
    cpose_args_init(a);
    char base[1024];
    snprintf(base, sizeof base,
             "model=yolov8n-pose.yaml data=%s epochs=2 batch=4 imgsz=64 workers=2 seed=5 close_mosaic=1 plots=False "
             "project=%s name=%s %s",
             g_yaml, g_runs, name, extra ? extra : "");
    char *s = cpose_strdup(base), *save = NULL;
    for (char *tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        *eq = 0;
        if (cpose_args_set(a, tok, eq + 1) != CPOSE_OK) {
            fprintf(stderr, "bad test argument %s: %s\n", tok, cpose_errmsg());
            exit(1);
        }
    }
    cpose_free(s);
}

static int expect_error(const char *extra, const char *needle)
{
    struct cpose_args a;
    set_args(&a, "err", extra);
    struct cpose_trainer_cfg cfg = {.args = &a};
    struct cpose_train_result r;
    int rc = cpose_train_run(&cfg, NULL, &r);
    CHECK_MSG(rc != CPOSE_OK, "%s was accepted", extra);
    if (rc != CPOSE_OK) CHECK_MSG(strstr(cpose_errmsg(), needle) != NULL, "%s: message '%s' lacks '%s'", extra,
                                  cpose_errmsg(), needle);
    CHECK(r.save_dir == NULL);
    cpose_train_result_free(&r);
    cpose_args_free(&a);
    return rc;
}

static int n_epoch_calls, stop_after;
static double first_box_loss;
static int on_epoch(void *user, const struct cpose_train_epoch *e)
{
    (void)user;
    n_epoch_calls++;
    CHECK(e->epoch == n_epoch_calls);
    for (int k = 0; k < 5; k++) CHECK_MSG(isfinite(e->values[k]) && e->values[k] > 0, "loss %d = %g", k, e->values[k]);
    if (e->epoch == 1) first_box_loss = e->values[0];
    CHECK(e->validated);
    /* val/box_loss .. val/dfl_loss: the loss of the EMA on the val batches (core/train/val_loss.h) */
    for (int k = 13; k < 18; k++) CHECK_MSG(isfinite(e->values[k]) && e->values[k] > 0, "val loss column %d = %g", k, e->values[k]);
    CHECK(e->values[18] > 0); /* lr/pg0 */
    return stop_after == 0 || e->epoch < stop_after;
}

/* Runs one training; returns the result (caller frees). */
static int train(const char *name, const char *extra, const struct cpose_train_callbacks *cb,
                 struct cpose_train_result *r)
{
    struct cpose_args a;
    set_args(&a, name, extra);
    struct cpose_trainer_cfg cfg = {.args = &a};
    int rc = cpose_train_run(&cfg, cb, r);
    CHECK_MSG(rc == CPOSE_OK, "train %s: %s", name, cpose_errmsg());
    cpose_args_free(&a);
    return rc;
}

/* Are the /model tensors of two weights files bit-identical? Returns the count of differing tensors. */
static int diff_weights(const char *p1, const char *p2)
{
    struct cpose_model *m1 = NULL, *m2 = NULL;
    if (cpose_model_load(p1, NULL, &m1) || cpose_model_load(p2, NULL, &m2)) {
        fprintf(stderr, "load: %s\n", cpose_errmsg());
        cpose_model_free(m1);
        return -1;
    }
    int nd = 0;
    for (int i = 0; i < cpose_model_num_tensors(m1); i++) {
        const char *n1, *n2;
        int d1, d2;
        const int64_t *s1, *s2;
        float *v1, *v2;
        cpose_model_tensor(m1, i, &n1, &d1, &s1, &v1);
        cpose_model_tensor(m2, i, &n2, &d2, &s2, &v2);
        int64_t numel = 1;
        for (int k = 0; k < d1; k++) numel *= s1[k];
        if (strcmp(n1, n2) || memcmp(v1, v2, (size_t)numel * sizeof(float))) nd++;
    }
    cpose_model_free(m1);
    cpose_model_free(m2);
    return nd;
}

/* Largest |difference| of one tensor between a weights file and a model. */
static double tensor_diff(const char *path, const struct cpose_model *ref, const char *key)
{
    struct cpose_model *m = NULL;
    if (cpose_model_load(path, NULL, &m)) return -1;
    double d = -1;
    for (int i = 0; i < cpose_model_num_tensors(m); i++) {
        const char *n, *rn;
        int nd, rnd;
        const int64_t *s, *rs;
        float *v, *rv;
        cpose_model_tensor(m, i, &n, &nd, &s, &v);
        cpose_model_tensor(ref, i, &rn, &rnd, &rs, &rv);
        if (strcmp(n, key)) continue;
        int64_t numel = 1;
        for (int k = 0; k < nd; k++) numel *= s[k];
        d = 0;
        for (int64_t j = 0; j < numel; j++) d = fmax(d, fabs((double)v[j] - rv[j]));
    }
    cpose_model_free(m);
    return d;
}

static int count_lines(const char *path)
{
    char *t = NULL;
    size_t n = 0;
    if (cpose_read_file(path, &t, &n)) return -1;
    int k = 0;
    for (size_t i = 0; i < n; i++) k += t[i] == '\n';
    cpose_free(t);
    return k;
}

int main(void)
{
    /* the header, alone and as a run writes it */
    char want[1024], got[1024];
    expected_header(want, sizeof want);
    cpose_results_csv_header(got, sizeof got);
    CHECK_MSG(strcmp(want, got) == 0, "header\n%s\n%s", got, want);

    const char *tmp = tl_tmpdir("trainer");
    char *root = cpose_path_join(tmp, "synth");
    struct cpose_synth_opts so = {root, 8, 4, 96, 2, 1};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    g_yaml = cpose_path_join(root, "synth-pose.yaml");
    g_runs = cpose_path_join(tmp, "runs");

    /* refusals, each naming what to fix; no run folder is left */
    expect_error("epochs=-3", "epochs=-3");
    expect_error("mixup=0.5", "mixup");
    expect_error("rect=True", "rect");
    expect_error("copy_paste=0.2", "copy_paste");
    expect_error("dropout=0.2", "dropout");
    expect_error("optimizer=Lion", "Lion");
    expect_error("freeze=abc", "freeze=abc");
    {
        char extra[1200];
        snprintf(extra, sizeof extra, "data=%s/none.yaml", tmp);
        expect_error(extra, "none.yaml");
    }
    {
        /* a dataset without labels */
        char *nolab = cpose_path_join(tmp, "nolab");
        struct cpose_synth_opts s2 = {nolab, 4, 2, 64, 3, 1};
        CHECK(cpose_synth_generate(&s2) == CPOSE_OK);
        char cmd[1200], extra[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s/labels'", nolab);
        CHECK(system(cmd) == 0);
        snprintf(extra, sizeof extra, "data=%s/synth-pose.yaml", nolab);
        expect_error(extra, "labels");
        cpose_free(nolab);
    }
    char *errdir = cpose_path_join(g_runs, "err");
    CHECK_MSG(!cpose_path_is_dir(errdir), "a failed run left %s", errdir);
    cpose_free(errdir);

    /* a two-epoch run */
    struct cpose_train_callbacks cb = {.on_epoch_end = on_epoch};
    struct cpose_train_result r1, r2, r3;
    if (train("a", "plots=True", &cb, &r1) == CPOSE_OK) {
        CHECK(n_epoch_calls == 2);
        CHECK(r1.epochs_done == 2 && r1.stopped == 0);
        CHECK(r1.final_validated);
        CHECK(r1.final.epoch == 2 && r1.final.values[0] > 0);
        char *csv = cpose_path_join(r1.save_dir, "results.csv"), *args = cpose_path_join(r1.save_dir, "args.yaml");
        CHECK(count_lines(csv) == 3);
        char *text = NULL;
        size_t n = 0;
        if (cpose_read_file(csv, &text, &n) == CPOSE_OK) {
            CHECK_MSG(strncmp(text, want, strlen(want)) == 0 && text[strlen(want)] == '\n', "results.csv header");
            CHECK(strstr(text, "\n                      1,") && strstr(text, "\n                      2,"));
            /* the last row's val/ columns (14..18 after the epoch) are written non-zero and finite */
            const char *row = strstr(text, "\n                      2,");
            for (int col = 0; row && col < 22; col++) {
                double v = atof(row + 1);
                if (col >= 14 && col <= 18) CHECK_MSG(isfinite(v) && v > 0, "results.csv row 2 column %d = %g", col, v);
                row = strchr(row + 1, ',');
            }
            cpose_free(text);
        }
        if (cpose_read_file(args, &text, &n) == CPOSE_OK) {
            CHECK_CONTAINS(text, "\nepochs: 2\n");
            CHECK_CONTAINS(text, "\nmode: train\n");
            CHECK_CONTAINS(text, "\nmixup: 0.0\n");
            CHECK_CONTAINS(text, "\nval: true\n");
            cpose_free(text);
        }
        /* plots=True: results.png every epoch, the first three augmented batches, the final val's plots */
        const char *pics[] = {"results.png", "train_batch0.jpg", "val_batch0_labels.jpg",
                              "val_batch0_pred.jpg", "BoxPR_curve.png", "PoseF1_curve.png"};
        for (size_t i = 0; i < sizeof pics / sizeof *pics; i++) {
            char *pic = cpose_path_join(r1.save_dir, pics[i]);
            CHECK_MSG(cpose_path_is_file(pic), pics[i]);
            cpose_free(pic);
        }
        CHECK(r1.last && cpose_path_is_file(r1.last));
        CHECK(r1.best && cpose_path_is_file(r1.best));
        /* the weights moved away from the seeded start */
        struct cpose_model *start = NULL;
        CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 5, &start) == CPOSE_OK);
        if (start) CHECK(tensor_diff(r1.last, start, "model.22.cv2.0.2.bias") > 1e-5);
        cpose_free(csv), cpose_free(args);

        /* the same seed with other workers, deterministic=True: bit-identical */
        n_epoch_calls = 0;
        if (train("b", "workers=0 deterministic=True", &cb, &r2) == CPOSE_OK) {
            CHECK_MSG(diff_weights(r1.last, r2.last) == 0, "two runs of one seed differ (%d tensors)",
                      diff_weights(r1.last, r2.last));
            CHECK(r2.final.values[0] == r1.final.values[0]);
        }
        /* a callback stops after epoch 1; freeze=1 keeps layer 0 (the EMA of a constant stays within rounding) */
        n_epoch_calls = 0;
        stop_after = 1;
        if (train("c", "epochs=3 freeze=1", &cb, &r3) == CPOSE_OK) {
            CHECK(n_epoch_calls == 1 && r3.epochs_done == 1 && r3.stopped == 3);
            if (start) {
                CHECK_MSG(tensor_diff(r3.last, start, "model.0.conv.weight") < 1e-6, "frozen layer moved by %g",
                          tensor_diff(r3.last, start, "model.0.conv.weight"));
                CHECK(tensor_diff(r3.last, start, "model.1.conv.weight") > 1e-6);
            }
        }
        cpose_model_free(start);
        cpose_train_result_free(&r2);
        cpose_train_result_free(&r3);
    }
    cpose_train_result_free(&r1);
    cpose_free(root), cpose_free(g_yaml), cpose_free(g_runs);
    return tl_finish();
}
