/* tests/test_wino_int8.c — the int16 Winograd of int8 3×3 convs (core/nn/kernels_wino_int8.c):
 * directly, on a quantised source made here, against a double convolution of the same quantised
 * values (so only the kernel's own weight rounding remains), with odd plane sizes (tile tails),
 * channel counts off the vector widths (51), u8 and s8 sources, float32, u8 and s8 outputs,
 * residuals, batch 2, the same bytes on 1 and 2 threads, and a worst-case source (every value at its maximum, 256 channels) that would
 * overflow int32 if the weights kept too many bits; then through conv2d's int8 kernel: which
 * kernel the CPU gets, and the result against float32; and the epilogue's SiLU against its formula.
 * Skips where the CPU has no AVX2. */
/* cpose-layer: nn */
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_wino_int8.h"
#include "core/base/simd_avx2.h"
#include "tests/testlib.h"
#include "tests/tl_tensor.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 33) & 0xffffff) / 16777215.0f * 2 - 1;
}

struct kcase {
    int N, C, O, H, W, act, res, src_signed, dst_kind;
    int extreme;  /* every source value at the type's maximum, every weight +1/(9C) */
};

/* y[n][h][w][o] (NHWC) = act(Σ x·wt + b) [+ r], in double, x = xq / in_scale. */
static void ref_conv(const struct kcase *k, const double *x, const float *wt, const float *b, const float *r, double *y)
{
    for (int n = 0; n < k->N; n++)
        for (int h = 0; h < k->H; h++)
            for (int w = 0; w < k->W; w++)
                for (int o = 0; o < k->O; o++) {
                    double acc = b[o];
                    for (int i = 0; i < 3; i++)
                        for (int j = 0; j < 3; j++) {
                            int hh = h + i - 1, ww = w + j - 1;
                            if (hh < 0 || hh >= k->H || ww < 0 || ww >= k->W) continue;
                            const double *px = x + (((size_t)n * k->H + hh) * k->W + ww) * k->C;
                            for (int c = 0; c < k->C; c++) acc += px[c] * wt[((o * k->C + c) * 3 + i) * 3 + j];
                        }
                    if (k->act == CPOSE_ACT_SILU) acc = acc / (1 + exp(-acc));
                    size_t q = (((size_t)n * k->H + h) * k->W + w) * k->O + o;
                    y[q] = acc + (r ? r[q] : 0);
                }
}

static void kernel_case(const struct kcase *k, uint64_t seed)
{
    size_t nx = (size_t)k->N * k->H * k->W * k->C, ny = (size_t)k->N * k->H * k->W * k->O;
    uint8_t *xq = malloc(nx);
    double *x = malloc(sizeof(double) * nx), *want = malloc(sizeof(double) * ny);
    float *wt = malloc(sizeof(float) * k->O * k->C * 9), *b = malloc(sizeof(float) * k->O), *r = malloc(sizeof(float) * ny);
    float in_scale = 60.0f;
    for (size_t i = 0; i < nx; i++) {
        int v = k->extreme ? (k->src_signed ? -128 : 255) : (int)lrintf(k->src_signed ? frand(&seed) * 127 : (frand(&seed) + 1) * 127.5f);
        xq[i] = (uint8_t)(int8_t)v;  /* the byte of the s8 or u8 value */
        x[i] = (k->src_signed ? (double)(int8_t)xq[i] : (double)xq[i]) / in_scale;
    }
    for (int o = 0; o < k->O; o++) /* per-channel magnitudes spread over 30×: per-channel scales matter */
        for (int i = 0; i < k->C * 9; i++)
            wt[o * k->C * 9 + i] = k->extreme ? 1.0f / (9 * k->C) : frand(&seed) / sqrtf(k->C * 9.0f) * (1 + o % 30);
    for (int o = 0; o < k->O; o++) b[o] = k->extreme ? 0 : frand(&seed);
    for (size_t i = 0; i < ny; i++) r[i] = frand(&seed);
    ref_conv(k, x, wt, b, k->res ? r : NULL, want);

    struct cpose_conv2d_params p = {.cin = k->C, .cout = k->O, .k = 3, .stride = 1, .pad = 1, .act = k->act, .weight = wt, .bias = b};
    struct cpose_wino_i8 *w = NULL;
    CHECK_MSG(cpose_wino_i8_prepare(&p, in_scale, k->src_signed, &w) == CPOSE_OK, "%s", cpose_errmsg());
    double ymax = 0;
    for (size_t i = 0; i < ny; i++) ymax = fmax(ymax, fabs(want[i]));
    float to_scale = (float)(100.0 / (ymax > 0 ? ymax : 1));  /* the largest output at 100: a few saturate
                                                               * where the residual adds up */
    size_t esz = k->dst_kind == CPOSE_I8_DST_F32 ? sizeof(float) : 1;
    unsigned char *dst = malloc(ny * esz);
    CHECK_MSG(cpose_wino_i8_run(w, k->act, xq, k->N, k->H, k->W, k->res ? r : NULL, dst, k->dst_kind, to_scale) == CPOSE_OK,
              "%s", cpose_errmsg());
    /* the chunks go to whichever thread is free (cpose_run_chunks): the bytes must not depend on it */
    unsigned char *again = malloc(ny * esz);
    int same = 1, saved = omp_get_max_threads();
    for (int rep = 0; rep < 6; rep++) {
        omp_set_num_threads(rep % 3 == 0 ? 1 : 2);
        CHECK(cpose_wino_i8_run(w, k->act, xq, k->N, k->H, k->W, k->res ? r : NULL, again, k->dst_kind, to_scale) == CPOSE_OK);
        same &= memcmp(again, dst, ny * esz) == 0;
    }
    omp_set_num_threads(saved);
    CHECK_MSG(same, "N%d %d→%d %dx%d: the output differs between runs on 1 and 2 threads", k->N, k->C, k->O, k->H, k->W);
    free(again);
    double se = 0, sw = 0, me = 0, mw = 0;
    int off_lsb = 0;
    for (size_t i = 0; i < ny; i++) {
        double got;
        if (k->dst_kind == CPOSE_I8_DST_F32) {
            got = ((float *)dst)[i];
        } else {
            /* the quantised output: round(want·to_scale), saturated, within one step */
            double q = nearbyint(want[i] * to_scale), lo = k->dst_kind == CPOSE_I8_DST_U8 ? 0 : -128, hi = k->dst_kind == CPOSE_I8_DST_U8 ? 255 : 127;
            q = q < lo ? lo : q > hi ? hi : q;
            double g = k->dst_kind == CPOSE_I8_DST_U8 ? dst[i] : (int8_t)dst[i];
            if (fabs(g - q) > 1) off_lsb++;
            got = g / to_scale, want[i] = q / to_scale;
        }
        double d = got - want[i];
        se += d * d, sw += want[i] * want[i];
        me = fmax(me, fabs(d)), mw = fmax(mw, fabs(want[i]));
    }
    double rms = sqrt(se / (sw > 0 ? sw : 1)), mx = me / (mw > 0 ? mw : 1);
    const char *kinds[3] = {"f32", "u8", "s8"};
    /* the weights keep ≥ 10 bits (weight rounding ≤ 2^-10 of the channel's largest); a quantised
     * output may be one step off where the value sits on a rounding boundary */
    double trms = k->dst_kind == CPOSE_I8_DST_F32 ? 3e-3 : 1e-2, tmax = k->dst_kind == CPOSE_I8_DST_F32 ? 1e-2 : 2e-2;
    CHECK_MSG(rms <= trms && mx <= tmax && off_lsb == 0,
              "N%d %d→%d %dx%d act%d res%d %s→%s%s: rel rms %.3g (≤ %g), rel max %.3g (≤ %g), %d outputs > 1 step off",
              k->N, k->C, k->O, k->H, k->W, k->act, k->res, k->src_signed ? "s8" : "u8", kinds[k->dst_kind],
              k->extreme ? " extreme" : "", rms, trms, mx, tmax, off_lsb);
    CHECK_MSG(mw > 0.1, "the case's outputs are all ≈ 0 (max %.3g): it checks nothing", mw);
    printf("  N%d %3d→%-3d %2dx%-2d act%d res%d %s→%s%s: rel rms %.2e, rel max %.2e (max |y| %.3g)\n", k->N, k->C, k->O,
           k->H, k->W, k->act, k->res, k->src_signed ? "s8" : "u8", kinds[k->dst_kind], k->extreme ? " extreme" : "", rms, mx, mw);
    cpose_wino_i8_free(w);
    free(xq), free(x), free(want), free(wt), free(b), free(r), free(dst);
}

/* The epilogue's SiLU (cpose_silu8_poly3) within 1e-4 relative of x/(1 + e^−x) in double, from
 * −100 to 100, and ≈ 0 or x at ±1e30 (the clamp keeps 2^t's exponent in range: −1e30 gives −1e30/2^126). */
static CPOSE_AVX2_FN void test_silu_poly3(void)
{
    double worst = 0, at = 0;
    int n = 0;
    for (double x0 = -100; x0 <= 100; x0 += 8 * 0.00037, n += 8) {
        float in[8], out[8];
        for (int i = 0; i < 8; i++) in[i] = (float)(x0 + i * 0.00037);
        _mm256_storeu_ps(out, cpose_silu8_poly3(_mm256_loadu_ps(in)));
        for (int i = 0; i < 8; i++) {
            double x = in[i], ref = x / (1 + exp(-x));
            if (fabs(ref) < 1e-30) continue;
            double rel = fabs(out[i] - ref) / fabs(ref);
            if (rel > worst) worst = rel, at = x;
        }
    }
    CHECK_MSG(worst <= 1e-4, "cpose_silu8_poly3: relative error %.3g at x = %g (≤ 1e-4)", worst, at);
    float big[8] = {1e30f, -1e30f, 88.0f, -88.0f, 0.0f, -0.0f, 1e-20f, -1e-20f}, out[8];
    _mm256_storeu_ps(out, cpose_silu8_poly3(_mm256_loadu_ps(big)));
    CHECK_MSG(fabs(out[0] / 1e30 - 1) < 1e-4 && fabsf(out[1]) < 1e-6f && fabs(out[2] / 88 - 1) < 1e-4 && fabsf(out[3]) < 1e-30f &&
                  out[4] == 0 && out[5] == 0 && isfinite(out[6]) && isfinite(out[7]),
              "cpose_silu8_poly3 at the extremes: %g %g %g %g %g %g %g %g", out[0], out[1], out[2], out[3], out[4], out[5], out[6],
              out[7]);
    printf("  cpose_silu8_poly3: relative error ≤ %.2e over %d values in [-100, 100] (at x = %g)\n", worst, n, at);
}

static void test_kernel(void)
{
    const struct kcase cases[] = {
        {2, 51, 51, 13, 11, CPOSE_ACT_SILU, 1, 0, CPOSE_I8_DST_F32, 0},
        {1, 64, 40, 9, 7, CPOSE_ACT_NONE, 0, 1, CPOSE_I8_DST_F32, 0},
        {1, 32, 24, 6, 8, CPOSE_ACT_SILU, 0, 0, CPOSE_I8_DST_U8, 0},
        {2, 48, 19, 5, 5, CPOSE_ACT_SILU, 1, 1, CPOSE_I8_DST_S8, 0},
        {1, 256, 64, 10, 9, CPOSE_ACT_SILU, 1, 0, CPOSE_I8_DST_F32, 0},
        {1, 256, 8, 4, 5, CPOSE_ACT_NONE, 0, 0, CPOSE_I8_DST_F32, 1},
        {1, 256, 8, 3, 3, CPOSE_ACT_NONE, 0, 1, CPOSE_I8_DST_F32, 1},
        {1, 64, 64, 40, 37, CPOSE_ACT_SILU, 1, 0, CPOSE_I8_DST_U8, 0}, /* 100 tiles: 9 chunks */
        {1, 128, 40, 20, 20, CPOSE_ACT_SILU, 0, 1, CPOSE_I8_DST_S8, 0}, /* 25 tiles: a last chunk of 1 */
        {2, 32, 24, 4, 19, CPOSE_ACT_SILU, 1, 0, CPOSE_I8_DST_F32, 0},  /* 5 tiles: 5 rows, 16 + 8 channels */
        {1, 80, 56, 7, 9, CPOSE_ACT_SILU, 1, 0, CPOSE_I8_DST_U8, 0},    /* U's blocks: a short last group (64 + 16), 16·3 + 8 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) kernel_case(&cases[i], 31 + i);
}

/* Through conv2d's int8 kernel (NHWC): the default picks the Winograd exactly on CPUs without VNNI
 * (and cpose_wino_i8_set_mode(0) never does); both stay within the int8 tolerance of test_lowp.c
 * against the float32 conv, and within 2 % of each other. */
static void test_through_conv(void)
{
    enum { N = 1, C = 32, O = 48, H = 13, W = 11 };
    uint64_t seed = 7;
    float *x = malloc(sizeof(float) * N * C * H * W), *wt = malloc(sizeof(float) * O * C * 9), *b = malloc(sizeof(float) * O);
    for (int i = 0; i < N * C * H * W; i++) x[i] = frand(&seed) * 2;
    for (int i = 0; i < O * C * 9; i++) wt[i] = frand(&seed) / sqrtf(C * 9.0f);
    for (int i = 0; i < O; i++) b[i] = frand(&seed);
    struct cpose_tensor tx = tl_tensor_from_nchw(x, N, C, H, W, CPOSE_LAYOUT_NHWC), ty[3];
    const char *impl[3];
    for (int mode = -1; mode <= 1; mode++) {
        struct cpose_conv2d_params p = {.cin = C, .cout = O, .k = 3, .stride = 1, .pad = 1, .act = CPOSE_ACT_SILU,
                                        .out_layout = CPOSE_LAYOUT_NHWC, .weight = wt, .bias = b, .prec = CPOSE_PREC_F32};
        if (mode >= 0) p.prec = CPOSE_PREC_INT8, p.in_lo = -2, p.in_hi = 2;
        cpose_wino_i8_set_mode(mode < 0 ? -1 : mode);
        struct cpose_tensor *t = &ty[mode + 1];
        memset(t, 0, sizeof *t);
        cpose_tensor_set4(t, N, O, H, W, CPOSE_LAYOUT_NHWC);
        t->data = calloc(cpose_tensor_size(t), sizeof(float));
        /* index 0: float32; 1: int8 on oneDNN; 2: int8 Winograd */
        CHECK_MSG(cpose_conv_kernel_run(&p, &tx, NULL, t) == CPOSE_OK, "%s", cpose_errmsg());
        impl[mode + 1] = strstr(cpose_conv_kernel_impl(p.kern), "_i16:avx2") ? "_i16:avx2" : "oneDNN";
        if (mode == 1) {
            /* the default choice, on a fresh kernel */
            cpose_wino_i8_set_mode(-1);
            struct cpose_conv2d_params d = p;
            d.kern = NULL;
            CHECK(cpose_conv_kernel_run(&d, &tx, NULL, t) == CPOSE_OK);
            int wino = strstr(cpose_conv_kernel_impl(d.kern), "_i16:avx2") != NULL;
            CHECK_MSG(wino == (!cpose_cpu_has_vnni() && cpose_wino_enabled()), "default on %s (VNNI %d): '%s'",
                      cpose_cpu_isa_name(), cpose_cpu_has_vnni(), cpose_conv_kernel_impl(d.kern));
            printf("  default on this CPU (%s, VNNI %d): %s\n", cpose_cpu_isa_name(), cpose_cpu_has_vnni(), cpose_conv_kernel_impl(d.kern));
            cpose_conv_kernel_free(d.kern);
        }
        cpose_conv_kernel_free(p.kern);
    }
    cpose_wino_i8_set_mode(-1);
    CHECK_MSG(!strcmp(impl[1], "oneDNN") && !strcmp(impl[2], "_i16:avx2"), "mode 0 ran %s, mode 1 ran %s", impl[1], impl[2]);
    size_t n = cpose_tensor_size(&ty[0]);
    double e[3][2] = {{0}}, w2 = 0;
    for (size_t i = 0; i < n; i++) {
        double f = ty[0].data[i], a = ty[1].data[i], z = ty[2].data[i];
        e[0][0] += (a - f) * (a - f), e[1][0] += (z - f) * (z - f), e[2][0] += (z - a) * (z - a), w2 += f * f;
    }
    for (int i = 0; i < 3; i++) e[i][1] = sqrt(e[i][0] / w2);
    CHECK_MSG(w2 > 0 && e[0][1] <= 0.03 && e[1][1] <= 0.03 && e[2][1] <= 0.02,
              "rel rms: oneDNN int8 %.3g, Winograd %.3g against float32; between them %.3g", e[0][1], e[1][1], e[2][1]);
    printf("  through conv2d, rel rms against float32: oneDNN int8 %.2e, Winograd %.2e; between them %.2e\n", e[0][1], e[1][1],
           e[2][1]);
    for (int i = 0; i < 3; i++) free(ty[i].data);
    free(x), free(wt), free(b), free(tx.data);
}

int main(void)
{
#ifdef CPOSE_X86
    if (!cpose_have_avx2()) {
        printf("SKIP: the CPU has no AVX2 (the int8 Winograd is an AVX2 kernel)\n");
        return 77;
    }
    test_silu_poly3();
    test_kernel();
    test_through_conv();
    return tl_finish();
#else
    printf("SKIP: not an x86 CPU (the int8 Winograd is an AVX2 kernel)\n");
    return 77;
#endif
}
