/* core/bench/bench_nms.c — times NMS on the parity fixture's prediction (8400 anchors) at val and
 * predict settings, and the scale-back of the val rows: `bench_nms [fixture.h5] [runs]`. */
#include <stdio.h>
#include <stdlib.h>

#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/base/log.h"
#include "core/predict/nms.h"
#include "core/predict/predict.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : CPOSE_SOURCE_DIR "/../shared/fixtures/ultralytics/parity_seed0_bncal.h5";
    int runs = argc > 2 ? atoi(argv[2]) : 50;
    if (runs < 1) runs = 1;
    struct cpose_h5 *f = NULL;
    float *pred = NULL;
    int nd = 0;
    int64_t dims[CPOSE_H5_MAX_DIMS];
    if (cpose_h5_open(path, &f) || cpose_h5_read_f32(f, "pred", &pred, &nd, dims)) {
        fprintf(stderr, "bench_nms: %s\n", cpose_errmsg());
        return 1;
    }
    cpose_h5_close(f);
    int64_t C = dims[1], A = dims[2];
    double *t = cpose_malloc((size_t)runs * sizeof *t);
    const char *names[2] = {"val (conf 0.001, iou 0.7)", "predict (conf 0.25, iou 0.7)"};
    for (int mode = 0; mode < 2; mode++) {
        struct cpose_nms_opts o;
        if (mode == 0) cpose_nms_opts_val(&o, 1);
        else cpose_nms_opts_predict(&o, 1);
        int64_t n = 0;
        for (int i = 0; i < runs; i++) {
            float *rows = NULL;
            double t0 = cpose_now();
            cpose_nms(pred, C, A, &o, &rows, &n);
            t[i] = (cpose_now() - t0) * 1e3;
            cpose_free(rows);
        }
        printf("NMS %-30s %lld anchors → %lld rows: median %.3f ms over %d runs\n", names[mode], (long long)A,
               (long long)n, median(t, runs), runs);
    }
    struct cpose_nms_opts o;
    cpose_nms_opts_val(&o, 1);
    float *rows = NULL;
    int64_t n = 0;
    cpose_nms(pred, C, A, &o, &rows, &n);
    for (int i = 0; i < runs; i++) {
        struct cpose_pred_result r = {0};
        r.orig_w = 640, r.orig_h = 480, r.in_w = 640, r.in_h = 640;
        double t0 = cpose_now();
        cpose_pred_result_from_rows(&r, rows, n, 17, 3);
        t[i] = (cpose_now() - t0) * 1e3;
        cpose_pred_result_free(&r);
    }
    printf("scale-back of %lld rows (boxes + 17 keypoints): median %.4f ms\n", (long long)n, median(t, runs));
    cpose_free(rows);
    cpose_free(t);
    cpose_free(pred);
    return 0;
}
