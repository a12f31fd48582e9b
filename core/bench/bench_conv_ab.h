/* core/bench/bench_conv_ab.h — shared by the int8 kernel benchmarks (bench_wino_int8.c, bench_gemm_int8.c):
 * one conv built twice, under an environment switch off ("0") and on ("1"), then both timed in
 * alternating runs so that machine drift hits them alike; and the per-shape setup around it (source,
 * weights, NHWC tensors). Header-only: each benchmark is one program. */
#ifndef CPOSE_BENCH_CONV_AB_H
#define CPOSE_BENCH_CONV_AB_H

#include <stdint.h>
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

/* One shape of such a benchmark: p (its shape, activation, int8 and the calibrated range; weight and
 * bias are set here) on a batch-1 NHWC source of side hw, the source uniform on [x_lo, x_lo + 4] and
 * the weights uniform on [−1, 1]/w_div, both from the LCG state *seed; then bench_conv_ab under env,
 * everything freed. Returns 0, or 1 after printing `prog: <error>`. */
static inline int bench_conv_shape(const char *prog, const char *env, struct cpose_conv2d_params proto, int hw, float x_lo,
                                   float w_div, uint64_t *seed, int runs, double *t[2], double mn[2], double md[2],
                                   const char *impl[2])
{
    int ohw = (hw + 2 * proto.pad - proto.k) / proto.stride + 1;
    size_t nx = (size_t)proto.cin * hw * hw, nw = (size_t)proto.cout * proto.cin * proto.k * proto.k;
    float *x = malloc(sizeof(float) * nx), *w = malloc(sizeof(float) * nw), *b = calloc((size_t)proto.cout, sizeof(float));
    uint64_t s = *seed;
    for (size_t j = 0; j < nx; j++) s = s * 6364136223846793005ull + 1, x[j] = (float)((s >> 40) % 4001) / 1000.0f + x_lo;
    for (size_t j = 0; j < nw; j++) s = s * 6364136223846793005ull + 1, w[j] = ((float)((s >> 40) % 2001) / 1000.0f - 1.0f) / w_div;
    *seed = s;
    struct cpose_tensor in = {0}, out = {0};
    cpose_tensor_set4(&in, 1, proto.cin, hw, hw, CPOSE_LAYOUT_NHWC);
    cpose_tensor_set4(&out, 1, proto.cout, ohw, ohw, CPOSE_LAYOUT_NHWC);
    in.data = x;
    out.data = malloc(sizeof(float) * cpose_tensor_size(&out));
    proto.weight = w, proto.bias = b, proto.out_layout = CPOSE_LAYOUT_NHWC, proto.kern = NULL;
    struct cpose_conv2d_params p[2] = {proto, proto};
    int rc = bench_conv_ab(prog, env, p, &in, &out, runs, t, mn, md, impl);
    for (int k = 0; k < 2; k++) cpose_conv_kernel_free(p[k].kern);
    free(x), free(w), free(b), free(out.data);
    return rc;
}

#endif
