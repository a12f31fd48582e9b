/* tests/test_conv_wino.c — the Winograd F(2×2, 3×3) convolution against a naive double-precision
 * convolution written here: random data, odd sizes (tile tails), channel counts that are not
 * multiples of 8, bias/SiLU/residual epilogues, batch 2; directly and through conv2d's kernel. */
/* cpose-layer: nn */
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/base/simd_avx2.h"
#include "tests/testlib.h"
#include "tests/tl_tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 33) & 0xffffff) / 16777215.0f * 2 - 1;
}

static void run_case(int N, int C, int O, int H, int W, int act, int with_res, uint64_t seed)
{
    float *x = malloc(sizeof(float) * N * C * H * W), *wt = malloc(sizeof(float) * O * C * 9), *b = malloc(sizeof(float) * O);
    float *r = malloc(sizeof(float) * N * O * H * W);
    double *want = malloc(sizeof(double) * N * O * H * W);
    for (int i = 0; i < N * C * H * W; i++) x[i] = frand(&seed) * 2;
    for (int i = 0; i < O * C * 9; i++) wt[i] = frand(&seed) / sqrtf(C * 9.0f) * 2;
    for (int i = 0; i < O; i++) b[i] = frand(&seed);
    for (int i = 0; i < N * O * H * W; i++) r[i] = frand(&seed);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    double s = b[o];
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++) {
                                int hh = h + i - 1, ww = w + j - 1;
                                if (hh >= 0 && hh < H && ww >= 0 && ww < W)
                                    s += (double)wt[(o * C + c) * 9 + i * 3 + j] * x[((n * C + c) * H + hh) * W + ww];
                            }
                    if (act == CPOSE_ACT_SILU) s = s / (1 + exp(-s));
                    size_t k = ((size_t)(n * O + o) * H + h) * W + w;
                    want[k] = s + (with_res ? r[k] : 0);
                }
    struct cpose_conv2d_params p = {.cin = C, .cout = O, .k = 3, .stride = 1, .pad = 1, .act = act,
                                    .out_layout = CPOSE_LAYOUT_BLK8, .weight = wt, .bias = b};
    struct cpose_tensor tx = tl_tensor_from_nchw(x, N, C, H, W, CPOSE_LAYOUT_BLK8);
    struct cpose_tensor tr = tl_tensor_from_nchw(r, N, O, H, W, CPOSE_LAYOUT_BLK8), ty = {0};
    cpose_tensor_set4(&ty, N, O, H, W, CPOSE_LAYOUT_BLK8);
    ty.data = malloc(sizeof(float) * cpose_tensor_size(&ty));
    for (int via_kernel = 0; via_kernel < 2; via_kernel++) {
        for (int64_t i = 0; i < cpose_tensor_size(&ty); i++) ty.data[i] = NAN;
        CHECK(cpose_wino_applies(&p, &tx, with_res ? &tr : NULL, &ty));
        if (via_kernel) {
            CHECK_MSG(cpose_conv_kernel_run(&p, &tx, with_res ? &tr : NULL, &ty) == CPOSE_OK, "%s", cpose_errmsg());
            CHECK(!strcmp(cpose_conv_kernel_impl(p.kern), "winograd2x3:avx2"));
        } else {
            struct cpose_wino *w = NULL;
            CHECK(cpose_wino_prepare(&p, &w) == CPOSE_OK);
            CHECK(cpose_wino_run(w, &p, &tx, with_res ? &tr : NULL, &ty) == CPOSE_OK);
            cpose_wino_free(w);
        }
        double err = 0, mag = 0;
        int64_t pad_bad = 0;
        for (int n = 0; n < N; n++)
            for (int o = 0; o < O; o++)
                for (int h = 0; h < H; h++)
                    for (int w = 0; w < W; w++) {
                        double g = ty.data[cpose_tensor_off(&ty, n, o, h, w)], v = want[((size_t)(n * O + o) * H + h) * W + w];
                        err = fmax(err, fabs(g - v)), mag = fmax(mag, fabs(v));
                    }
        for (int n = 0; n < N; n++)  /* the padding channels stay zero */
            for (int o = O; o < (O + 7) / 8 * 8; o++)
                for (int q = 0; q < H * W; q++)
                    pad_bad += ty.data[(n * cpose_tensor_cpad(&ty) + o / 8 * 8) * H * W + q * 8 + o % 8] != 0.0f;
        CHECK_MSG(err <= 1e-5 * (1 + mag), "winograd N%d %d→%d %dx%d act %d res %d%s: max |diff| %g (max |y| %g)", N, C, O, H,
                  W, act, with_res, via_kernel ? " (kernel)" : "", err, mag);
        CHECK_MSG(pad_bad == 0, "winograd %d→%d: %lld nonzero padding values", C, O, (long long)pad_bad);
    }
    cpose_conv_kernel_free(p.kern);
    free(x), free(wt), free(b), free(r), free(want), free(tx.data), free(tr.data), free(ty.data);
}

int main(void)
{
    if (!cpose_have_avx2()) {
        printf("SKIP: the CPU has no AVX2+FMA (the Winograd kernel is AVX2-only)\n");
        return 77;
    }
    cpose_wino_set_enabled(1);  /* (off by default) */
    run_case(1, 16, 16, 8, 8, CPOSE_ACT_SILU, 0, 1);
    run_case(1, 51, 51, 7, 9, CPOSE_ACT_SILU, 1, 2);   /* odd channels, odd sizes, residual */
    run_case(2, 64, 51, 5, 3, CPOSE_ACT_NONE, 0, 3);   /* batch 2, no activation */
    run_case(1, 24, 40, 1, 1, CPOSE_ACT_SILU, 1, 4);   /* a single pixel */
    run_case(1, 128, 64, 13, 6, CPOSE_ACT_SILU, 0, 5);
    run_case(1, 32, 32, 40, 41, CPOSE_ACT_SILU, 1, 6); /* many chunks */
    run_case(1, 256, 64, 21, 21, CPOSE_ACT_SILU, 0, 7); /* the 672 P5 head conv: a 1-tile last chunk */
    return tl_finish();
}
