/* core/bench/bench_i8_kernels.c — one of cpose's own int8-model kernels alone, on one shape: the int16
 * Winograd (3×3 stride 1), the u8·s8 GEMM (1×1, or 3×3 stride 2) or the float32 stem (3→cout, 3×3
 * stride 2 on an NCHW image), from an s8 source (the stem: an image in [0, 1]) to float32 or to a
 * reader's u8/s8 (a hand-off), with or without SiLU. The minimum and median of `runs` runs, and the
 * products a second. What the int8 forward's per-node profile cannot isolate: the kernel without its
 * source conversion, on a chosen thread count, so that two builds can be compared process by process.
 * `bench_i8_kernels wino|gemm|gemm_s2|stem CIN COUT HW [runs=200] [threads=1] [f32|u8|s8] [silu|none]`
 * (HW: the source plane's side; the stem's CIN is 3). */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/log.h"
#include "core/bench/bench_conv_ab.h"
#include "core/nn/kernels_gemm_int8.h"
#include "core/nn/kernels_i8_store.h"
#include "core/nn/kernels_stem.h"
#include "core/nn/kernels_wino_int8.h"

static const char *usage = "usage: bench_i8_kernels wino|gemm|gemm_s2|stem CIN COUT HW [runs=200] [threads=1] [f32|u8|s8] [silu|none]\n";

int main(int argc, char **argv)
{
    if (argc < 5) return fputs(usage, stderr), 2;
    const char *kind = argv[1];
    int cin = atoi(argv[2]), cout = atoi(argv[3]), hw = atoi(argv[4]), runs = argc > 5 ? atoi(argv[5]) : 200,
        threads = argc > 6 ? atoi(argv[6]) : 1;
    const char *out_name = argc > 7 ? argv[7] : "s8";
    int dst_kind = !strcmp(out_name, "f32") ? CPOSE_I8_DST_F32 : !strcmp(out_name, "u8") ? CPOSE_I8_DST_U8 : CPOSE_I8_DST_S8;
    int act = argc > 8 && !strcmp(argv[8], "none") ? CPOSE_ACT_NONE : CPOSE_ACT_SILU;
    int wino = !strcmp(kind, "wino"), s2 = !strcmp(kind, "gemm_s2"), stem = !strcmp(kind, "stem");
    if ((!wino && !s2 && !stem && strcmp(kind, "gemm")) || cin < 1 || cout < 1 || hw < 2 || (stem && cin != 3))
        return fputs(usage, stderr), 2;
    if (runs < 3) runs = 3;
    omp_set_num_threads(threads);
    int k = s2 || stem || wino ? 3 : 1, stride = s2 || stem ? 2 : 1, ohw = (hw + 2 * (k / 2) - k) / stride + 1;
    size_t nx = (size_t)cin * hw * hw, nw = (size_t)cout * cin * k * k, ny = (size_t)cout * ohw * ohw;
    float *w = malloc(sizeof(float) * nw), *b = calloc((size_t)cout, sizeof(float)), *img = stem ? malloc(sizeof(float) * nx) : NULL;
    int8_t *x = malloc(nx + 64);
    void *y = malloc(ny * sizeof(float));
    double *t = malloc(sizeof(double) * runs);
    uint64_t s = 1;
    for (size_t i = 0; i < nx; i++) s = s * 6364136223846793005ull + 1, x[i] = (int8_t)((s >> 40) % 120) - 5;
    for (size_t i = 0; i < nw; i++) s = s * 6364136223846793005ull + 1, w[i] = ((float)((s >> 40) % 2001) / 1000.0f - 1.0f) / 24;
    for (size_t i = 0; stem && i < nx; i++) img[i] = (float)(x[i] + 5) / 119.0f;
    struct cpose_conv2d_params p = {.cin = cin, .cout = cout, .k = k, .stride = stride, .pad = k / 2, .act = act, .weight = w,
                                    .bias = b, .in_lo = -0.28f, .in_hi = 6.0f};
    struct cpose_wino_i8 *pw = NULL;
    struct cpose_gemm_i8 *pg = NULL;
    struct cpose_stem *ps = NULL;
    int rc = wino   ? cpose_wino_i8_prepare(&p, 20.0f, 1, &pw)
             : stem ? cpose_stem_prepare(&p, &ps)
                    : cpose_gemm_i8_prepare(&p, 20.0f, 1, &pg);
    for (int r = -3; rc == CPOSE_OK && r < runs; r++) { /* 3 warm-up runs */
        double t0 = omp_get_wtime();
        rc = wino   ? cpose_wino_i8_run(pw, act, x, 1, hw, hw, NULL, y, dst_kind, 10.0f)
             : stem ? cpose_stem_run(ps, act, img, 1, hw, hw, y, dst_kind, 10.0f)
                    : cpose_gemm_i8_run(pg, act, x, 1, hw, hw, y, dst_kind, 10.0f);
        if (r >= 0) t[r] = (omp_get_wtime() - t0) * 1e3;
    }
    if (rc != CPOSE_OK) {
        fprintf(stderr, "bench_i8_kernels: %s\n", cpose_errmsg());
        return 1;
    }
    qsort(t, (size_t)runs, sizeof *t, bench_cmp_d);
    double products = (double)ny * cin * k * k;
    printf("%s %d→%d, %d² source, %s out, %s, %d thread%s: min %.3f ms, median %.3f ms (%d runs), %.1f G products/s at the "
           "minimum\n",
           kind, cin, cout, hw, out_name, act == CPOSE_ACT_SILU ? "SiLU" : "no activation", threads, threads > 1 ? "s" : "", t[0],
           t[runs / 2], runs, products / t[0] / 1e6);
    cpose_wino_i8_free(pw), cpose_gemm_i8_free(pg), cpose_stem_free(ps);
    free(w), free(b), free(img), free(x), free(y), free(t);
    return 0;
}
