/* reports/results_csv.c — Ultralytics-format results.csv rows, appended atomically. */
#include "reports/results_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"

const char *const cpose_results_csv_keys[CPOSE_RESULTS_NCOLS] = {
    "train/box_loss",       "train/pose_loss",      "train/kobj_loss",   "train/cls_loss",
    "train/dfl_loss",       "metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)",
    "metrics/mAP50-95(B)",  "metrics/precision(P)", "metrics/recall(P)", "metrics/mAP50(P)",
    "metrics/mAP50-95(P)",  "val/box_loss",         "val/pose_loss",     "val/kobj_loss",
    "val/cls_loss",         "val/dfl_loss",         "lr/pg0",            "lr/pg1",
    "lr/pg2"};

void cpose_results_csv_header(char *buf, size_t n)
{
    size_t o = (size_t)snprintf(buf, n, "%23s", "epoch");
    for (int i = 0; i < CPOSE_RESULTS_NCOLS && o < n; i++) o += (size_t)snprintf(buf + o, n - o, ",%23s", cpose_results_csv_keys[i]);
}

/* Python's round(x, 5): the correctly rounded 5-decimal value. */
static double round5(double x)
{
    char t[64];
    snprintf(t, sizeof t, "%.5f", x);
    return strtod(t, NULL);
}

void cpose_results_csv_row(int epoch, const double vals[CPOSE_RESULTS_NCOLS], char *buf, size_t n)
{
    size_t o = (size_t)snprintf(buf, n, "%23.5g", (double)epoch);
    for (int i = 0; i < CPOSE_RESULTS_NCOLS && o < n; i++) {
        double v = i < 18 ? round5(vals[i]) : vals[i];
        o += (size_t)snprintf(buf + o, n - o, ",%23.5g", v);
    }
}

int cpose_results_csv_append(const char *path, int epoch, const double vals[CPOSE_RESULTS_NCOLS])
{
    char *old = NULL;
    size_t old_len = 0;
    int rc;
    if (cpose_path_is_file(path)) {
        if ((rc = cpose_read_file(path, &old, &old_len)) != CPOSE_OK) return rc;
    }
    char line[24 * (CPOSE_RESULTS_NCOLS + 1) + 8];
    struct cpose_atomic_file f;
    if ((rc = cpose_atomic_open(&f, path)) != CPOSE_OK) { cpose_free(old); return rc; }
    if (old) fwrite(old, 1, old_len, f.fp);
    else {
        cpose_results_csv_header(line, sizeof line);
        fprintf(f.fp, "%s\n", line);
    }
    cpose_results_csv_row(epoch, vals, line, sizeof line);
    fprintf(f.fp, "%s\n", line);
    cpose_free(old);
    if (ferror(f.fp)) {
        cpose_atomic_abort(&f);
        return cpose_err(CPOSE_EIO, "%s: write failed", path);
    }
    return cpose_atomic_commit(&f);
}
