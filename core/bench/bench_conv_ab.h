/* core/bench/bench_conv_ab.h — shared by the int8 kernel benchmarks (bench_wino_int8.c, bench_gemm_int8.c):
 * one conv built twice, under an environment switch off ("0") and on ("1"), then both timed in
 * alternating runs so that machine drift hits them alike. Header-only: each benchmark is one program. */
#ifndef CPOSE_BENCH_CONV_AB_H
#define CPOSE_BENCH_CONV_AB_H

#include <stdio.h>
#include <stdlib.h>

#include "core/base/log.h"
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/nn/tensor.h"

static inline int bench_cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p[0] built with env=0 and p[1] with env=1 (each run 3 times to build and warm up; p[k].kern is the
 * caller's to free), then `runs` alternating timed runs of each on in → out: per side the minimum mn[k]
 * and median md[k] in ms, and the kernel's implementation name impl[k]. t[k] are the caller's arrays of
 * `runs` doubles. Returns 0, or 1 after printing `prog: <error>`. */
static inline int bench_conv_ab(const char *prog, const char *env, struct cpose_conv2d_params p[2], const struct cpose_tensor *in,
                         struct cpose_tensor *out, int runs, double *t[2], double mn[2], double md[2], const char *impl[2])
{
    for (int k = 0; k < 2; k++) {
        setenv(env, k ? "1" : "0", 1);
        for (int r = 0; r < 3; r++)
            if (cpose_conv_kernel_run(&p[k], in, NULL, out) != CPOSE_OK) {
                fprintf(stderr, "%s: %s\n", prog, cpose_errmsg());
                unsetenv(env);
                return 1;
            }
        impl[k] = cpose_conv_kernel_impl(p[k].kern);
    }
    unsetenv(env);
    for (int r = 0; r < runs; r++)
        for (int k0 = 0; k0 < 2; k0++) {
            int k = (r + k0) % 2;
            double t0 = cpose_now();
            cpose_conv_kernel_run(&p[k], in, NULL, out);
            t[k][r] = (cpose_now() - t0) * 1e3;
        }
    for (int k = 0; k < 2; k++) {
        qsort(t[k], (size_t)runs, sizeof(double), bench_cmp_d);
        mn[k] = t[k][0], md[k] = t[k][runs / 2];
    }
    return 0;
}

#endif
