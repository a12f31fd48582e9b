/* tests/test_conv_bf16_own.c — cpose's own bf16 convolutions (the Winograd 3×3 and the 1×1 GEMM,
 * kernels.h: cpose_wino_bf16_*, cpose_conv_bf16_*) against a naive double-precision convolution
 * written here, next to oneDNN's direct bf16 convolution on the same data: random data, odd sizes
 * (tile and chunk tails), channel counts that are not multiples of 16, bias/SiLU/residual epilogues,
 * batch 2, and a weight update (re-prepare). The bound is relative to oneDNN's bf16 error: both
 * round their operands to 8-bit mantissas, so an indexing or transform bug shows as errors of the
 * size of the outputs, far above it. */
/* cpose-layer: nn */
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/base/simd_avx512.h"
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

/* want = act(conv(x, wt) + b) [+ r] in double, NCHW, k×k, stride s, pad k/2, output Ho×Wo. */
static void naive_conv(const float *x, const float *wt, const float *b, const float *r, int N, int C, int O, int H, int W,
                       int k, int st, int Ho, int Wo, int act, double *want)
{
    int pad = k / 2;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++) {
                    double s = b[o];
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < k; i++)
                            for (int j = 0; j < k; j++) {
                                int hh = h * st + i - pad, ww = w * st + j - pad;
                                if (hh >= 0 && hh < H && ww >= 0 && ww < W)
                                    s += (double)wt[((o * C + c) * k + i) * k + j] * x[((n * C + c) * H + hh) * W + ww];
                            }
                    if (act == CPOSE_ACT_SILU) s = s / (1 + exp(-s));
                    size_t q = ((size_t)(n * O + o) * Ho + h) * Wo + w;
                    want[q] = s + (r ? r[q] : 0);
                }
}

/* Max and mean |y − want| over the real channels; *pad_bad counts nonzero padding channels. */
static void compare(const struct cpose_tensor *ty, const double *want, int N, int O, int H, int W, double *maxd,
                    double *meand, int64_t *pad_bad)
{
    double sum = 0;
    *maxd = 0, *pad_bad = 0;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    double d = fabs(ty->data[cpose_tensor_off(ty, n, o, h, w)] - want[((size_t)(n * O + o) * H + h) * W + w]);
                    *maxd = fmax(*maxd, d), sum += d;
                }
    *meand = sum / ((double)N * O * H * W);
    for (int n = 0; n < N; n++)
        for (int o = O; o < (O + 15) / 16 * 16; o++)
            for (int q = 0; q < H * W; q++)
                *pad_bad += ty->data[(n * cpose_tensor_cpad(ty) + o / 16 * 16) * H * W + q * 16 + o % 16] != 0.0f;
}

/* Runs conv p with kernel `own` (enum cpose_bf16_own) on tx (residual tr or NULL) into ty, NaN-filled first. */
static int run_conv(struct cpose_conv2d_params *p, int own, const struct cpose_tensor *tx, const struct cpose_tensor *tr,
                    struct cpose_tensor *ty)
{
    for (int64_t i = 0; i < cpose_tensor_size(ty); i++) ty->data[i] = NAN;
    p->bf16_own = own;
    int rc = cpose_conv_kernel_run(p, tx, tr, ty);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    return rc;
}

static const char *own_name(int own) { return own == CPOSE_BF16_WINOGRAD ? "winograd2x3" : "gemm"; }

/* One conv through kernel `own` against the double conv, next to oneDNN's bf16 on the same data, then
 * again after a weight update. */
static void run_case(int own, int N, int C, int O, int H, int W, int k, int st, int act, int with_res, uint64_t seed)
{
    int Ho = (H + 2 * (k / 2) - k) / st + 1, Wo = (W + 2 * (k / 2) - k) / st + 1;
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * O * Ho * Wo, nw = (size_t)O * C * k * k;
    float *x = malloc(sizeof(float) * nx), *wt = malloc(sizeof(float) * nw), *b = malloc(sizeof(float) * O);
    float *r = malloc(sizeof(float) * ny);
    double *want = malloc(sizeof(double) * ny);
    for (size_t i = 0; i < nx; i++) x[i] = frand(&seed) * 2;
    for (size_t i = 0; i < nw; i++) wt[i] = frand(&seed) / sqrtf(C * k * k / 4.0f);
    for (int i = 0; i < O; i++) b[i] = frand(&seed);
    for (size_t i = 0; i < ny; i++) r[i] = frand(&seed);
    struct cpose_conv2d_params p = {.cin = C, .cout = O, .k = k, .stride = st, .pad = k / 2, .act = act,
                                    .out_layout = CPOSE_LAYOUT_BLK16, .weight = wt, .bias = b, .prec = CPOSE_PREC_BF16};
    struct cpose_tensor tx = tl_tensor_from_nchw(x, N, C, H, W, CPOSE_LAYOUT_BLK16);
    struct cpose_tensor tr = tl_tensor_from_nchw(r, N, O, Ho, Wo, CPOSE_LAYOUT_BLK16), ty = {0};
    const struct cpose_tensor *res = with_res ? &tr : NULL;
    cpose_tensor_set4(&ty, N, O, Ho, Wo, CPOSE_LAYOUT_BLK16);
    ty.data = malloc(sizeof(float) * cpose_tensor_size(&ty));
    int applies = own == CPOSE_BF16_WINOGRAD ? cpose_wino_bf16_applies(&p, &tx, res, &ty) : cpose_conv_bf16_applies(&p, &tx, res, &ty);
    CHECK_MSG(applies, "%s does not take %dx%d/%d %d→%d", own_name(own), k, k, st, C, O);
    for (int update = 0; update < 2 && applies; update++) {
        if (update) {  /* new weight values (a training step): both kernels re-pack them */
            for (size_t i = 0; i < nw; i++) wt[i] = -wt[i] * 0.5f;
            p.weights_version++;
        }
        naive_conv(x, wt, b, res ? r : NULL, N, C, O, H, W, k, st, Ho, Wo, act, want);
        double dmax, dmean, omax, omean, mag = 0;
        int64_t dpad, opad;
        for (size_t i = 0; i < ny; i++) mag = fmax(mag, fabs(want[i]));
        if (run_conv(&p, CPOSE_BF16_ONEDNN, &tx, res, &ty) != CPOSE_OK) break;
        compare(&ty, want, N, O, Ho, Wo, &dmax, &dmean, &dpad);
        if (run_conv(&p, own, &tx, res, &ty) != CPOSE_OK) break;
        const char *impl = cpose_conv_kernel_impl(p.kern);
        CHECK_MSG(strstr(impl, own_name(own)) != NULL, "impl '%s', want %s", impl, own_name(own));
        compare(&ty, want, N, O, Ho, Wo, &omax, &omean, &opad);
        printf("%s %dx%d/%d N%d %d→%d %dx%d act %d res %d%s: max |diff| own %.3g oneDNN %.3g, mean own %.3g oneDNN %.3g "
               "(max |y| %.3g)\n", own_name(own), k, k, st, N, C, O, H, W, act, with_res, update ? " (updated weights)" : "",
               omax, dmax, omean, dmean, mag);
        /* the Winograd transforms add the rounding errors of up to 9 terms: a few times oneDNN's */
        double f = own == CPOSE_BF16_WINOGRAD ? 4.0 : 2.0;
        CHECK_MSG(omax <= f * dmax + 1e-6 && omean <= f * dmean + 1e-7,
                  "%s %dx%d/%d %d→%d: own bf16 error %g (mean %g) vs oneDNN %g (%g)", own_name(own), k, k, st, C, O, omax,
                  omean, dmax, dmean);
        CHECK_MSG(omax <= 0.05 * (1 + mag), "%s %d→%d: own bf16 error %g for outputs up to %g", own_name(own), C, O, omax, mag);
        CHECK_MSG(opad == 0, "%s %d→%d: %lld nonzero padding values", own_name(own), C, O, (long long)opad);
    }
    cpose_conv_kernel_free(p.kern);
    free(x), free(wt), free(b), free(r), free(want), free(tx.data), free(tr.data), free(ty.data);
}

/* cpose_silu16 (the own kernels' epilogue) against x/(1 + e^−x) in double over [−100, 100]. */
static CPOSE_AVX512_FN void test_silu16(void)
{
    double worst = 0, at = 0;
    for (int i = 0; i <= 200000; i += 16) {
        float xs[16], ys[16];
        for (int l = 0; l < 16; l++) xs[l] = (float)((i + l) * 0.001 - 100.0);
        _mm512_storeu_ps(ys, cpose_silu16(_mm512_loadu_ps(xs)));
        for (int l = 0; l < 16; l++) {
            double want = xs[l] / (1 + exp(-(double)xs[l])), e = fabs(ys[l] - want) / (fabs(want) + 1e-30);
            if (fabs(want) > 1e-30 && e > worst) worst = e, at = xs[l];
        }
    }
    printf("silu16: max relative error %.3g (at x = %g)\n", worst, at);
    CHECK_MSG(worst < 2e-6, "silu16: relative error %g at x = %g", worst, at);
}

int main(void)
{
    struct cpose_conv2d_params probe = {.cin = 16, .cout = 16, .k = 1, .stride = 1, .pad = 0};
    struct cpose_tensor t = {0};
    cpose_tensor_set4(&t, 1, 16, 4, 4, CPOSE_LAYOUT_BLK16);
    if (!cpose_conv_bf16_applies(&probe, &t, NULL, &t)) {
        printf("SKIP: the CPU has no AVX512_BF16 (cpose's own bf16 kernels need it)\n");
        return 77;
    }
    test_silu16();
    cpose_wino_set_enabled(1);
    const int WG = CPOSE_BF16_WINOGRAD, GM = CPOSE_BF16_GEMM, S = CPOSE_ACT_SILU;
    for (int own = WG; own <= GM; own++) {  /* 3×3 stride 1 on both */
        run_case(own, 1, 16, 16, 8, 8, 3, 1, S, 0, 1);
        run_case(own, 1, 51, 51, 7, 9, 3, 1, S, 1, 2);   /* odd channels, odd sizes, residual */
        run_case(own, 2, 64, 51, 5, 3, 3, 1, CPOSE_ACT_NONE, 0, 3);  /* batch 2, no activation */
        run_case(own, 1, 24, 40, 1, 1, 3, 1, S, 1, 4);   /* a single pixel */
        run_case(own, 1, 128, 64, 13, 6, 3, 1, S, 0, 5);
        run_case(own, 1, 32, 32, 40, 41, 3, 1, S, 1, 6); /* many chunks */
        run_case(own, 1, 256, 64, 21, 21, 3, 1, S, 0, 7);
    }
    run_case(GM, 1, 16, 32, 33, 31, 3, 2, S, 0, 8);   /* stride 2, odd sizes */
    run_case(GM, 2, 64, 51, 10, 7, 3, 2, S, 1, 9);    /* batch 2, residual */
    run_case(GM, 1, 128, 256, 40, 40, 3, 2, S, 0, 10);
    run_case(GM, 1, 32, 32, 7, 9, 1, 1, S, 0, 11);    /* 1×1 */
    run_case(GM, 2, 51, 40, 5, 3, 1, 1, CPOSE_ACT_NONE, 0, 12);
    run_case(GM, 1, 16, 24, 1, 1, 1, 1, S, 0, 13);
    run_case(GM, 1, 192, 64, 33, 31, 1, 1, S, 0, 14); /* chunk tails */
    run_case(GM, 1, 512, 256, 20, 20, 1, 1, S, 0, 15);
    return tl_finish();
}
