/* tests/test_gemm_int8.c — the u8·s8 GEMM of int8 1×1 and 3×3 stride-2 convs (core/nn/kernels_gemm_int8.c):
 * directly, on a quantised source made here, against a double convolution of the same quantised values
 * (so only the kernel's weight rounding remains), with odd plane sizes (stride-2 edges), channel counts
 * off the vector widths (51 in: a row padded to 4 bytes; 1, 19, 40 out: partial 16-channel blocks),
 * fewer pixels than a micro-kernel's rows (6; 4 for the pair kernel), rows padded from 20 and 108 bytes to the pair kernel's 8, u8 and s8 sources, float32, u8 and s8 outputs, batch 2, the same
 * bytes on 1 and 2 threads, s8 sources whose calibrated minimum is a few steps below 0 (as after a
 * SiLU: the kernel shifts by less than 128 and keeps more weight bits) and whose values go below it
 * (read as the minimum) or is NaN (the whole s8 range taken), and worst-case sources (every value at the type's extreme, every weight at
 * the channel's maximum) whose 16-bit pair sums saturate if the weights keep too many bits; then through
 * conv2d's int8 kernel: which kernel the CPU gets, and the result against float32 and against oneDNN's
 * int8 kernel; and that the int8 kernels' description names the pair kernel where it may run. Skips where the CPU
 * has no AVX2. */
/* cpose-layer: nn */
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_gemm_int8.h"
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

/* s8_min that stands for a NaN calibrated minimum: the kernel must then take the whole s8 range */
#define LO_NAN 1

struct gcase {
    int N, C, O, H, W, k, act, src_signed, dst_kind;
    int extreme;  /* every source value at the type's extreme, every weight +max */
    int s8_min;   /* an s8 source's calibrated smallest value (as after a SiLU: a few steps below 0; −128: anywhere) */
    int below;    /* the source reaches 20 steps below s8_min: the kernel reads those values as s8_min */
};

static int out_side(const struct gcase *g, int s) { return g->k == 1 ? s : (s - 1) / 2 + 1; }

/* y[n][oh][ow][o] (NHWC) = act(Σ x·wt + b), in double, for the case's 1×1 s1 or 3×3 s2 pad-1 conv. */
static void ref_conv(const struct gcase *g, const double *x, const float *wt, const float *b, double *y)
{
    int OH = out_side(g, g->H), OW = out_side(g, g->W), st = g->k == 1 ? 1 : 2, pad = g->k / 2;
    for (int n = 0; n < g->N; n++)
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++)
                for (int o = 0; o < g->O; o++) {
                    double acc = b[o];
                    for (int i = 0; i < g->k; i++)
                        for (int j = 0; j < g->k; j++) {
                            int h = oh * st - pad + i, w = ow * st - pad + j;
                            if (h < 0 || h >= g->H || w < 0 || w >= g->W) continue;
                            const double *px = x + (((size_t)n * g->H + h) * g->W + w) * g->C;
                            for (int c = 0; c < g->C; c++) acc += px[c] * wt[((o * g->C + c) * g->k + i) * g->k + j];
                        }
                    if (g->act == CPOSE_ACT_SILU) acc = acc / (1 + exp(-acc));
                    y[(((size_t)n * OH + oh) * OW + ow) * g->O + o] = acc;
                }
}

static void kernel_case(const struct gcase *g, uint64_t seed)
{
    int OH = out_side(g, g->H), OW = out_side(g, g->W), kk = g->k * g->k;
    size_t nx = (size_t)g->N * g->H * g->W * g->C, ny = (size_t)g->N * OH * OW * g->O, nw = (size_t)g->O * g->C * kk;
    uint8_t *xq = malloc(nx);
    double *x = malloc(sizeof(double) * nx), *want = malloc(sizeof(double) * ny);
    float *wt = malloc(sizeof(float) * nw), *b = malloc(sizeof(float) * g->O);
    float in_scale = 60.0f;
    /* a u8 source spans 0..127 without VNNI (kernels_lowp.c's input_scale), 0..255 with it */
    double umax = cpose_cpu_has_vnni() ? 255 : 127;
    for (size_t i = 0; i < nx; i++) {
        int lo = g->s8_min == LO_NAN ? -128 : g->below ? g->s8_min - 20 : g->s8_min;
        int v = g->extreme ? (g->src_signed ? 127 : (int)umax)
                           : (int)lrint(g->src_signed ? lo + (frand(&seed) + 1) / 2 * (127 - lo) : (frand(&seed) + 1) * umax / 2);
        xq[i] = (uint8_t)(int8_t)v;
        int seen = g->src_signed ? (int8_t)xq[i] : xq[i];
        x[i] = (g->src_signed && g->s8_min != LO_NAN && seen < g->s8_min ? g->s8_min : seen) / (double)in_scale;
    }
    for (int o = 0; o < g->O; o++) /* per-channel magnitudes spread over 30×: per-channel scales matter */
        for (int i = 0; i < g->C * kk; i++)
            wt[o * g->C * kk + i] = g->extreme ? 1.0f / (kk * g->C) : frand(&seed) / sqrtf(g->C * (float)kk) * (1 + o % 30);
    for (int o = 0; o < g->O; o++) b[o] = g->extreme ? 0 : frand(&seed);
    ref_conv(g, x, wt, b, want);

    struct cpose_conv2d_params p = {.cin = g->C, .cout = g->O, .k = g->k, .stride = g->k == 1 ? 1 : 2, .pad = g->k / 2,
                                    .act = g->act, .weight = wt, .bias = b,
                                    .in_lo = g->s8_min == LO_NAN ? NAN : g->s8_min / in_scale};
    struct cpose_gemm_i8 *k = NULL;
    CHECK_MSG(cpose_gemm_i8_prepare(&p, in_scale, g->src_signed, &k) == CPOSE_OK, "%s", cpose_errmsg());
    double ymax = 0;
    for (size_t i = 0; i < ny; i++) ymax = fmax(ymax, fabs(want[i]));
    float to_scale = (float)(100.0 / (ymax > 0 ? ymax : 1));
    size_t esz = g->dst_kind == CPOSE_I8_DST_F32 ? sizeof(float) : 1;
    unsigned char *dst = malloc(ny * esz), *again = malloc(ny * esz);
    CHECK_MSG(cpose_gemm_i8_run(k, g->act, xq, g->N, g->H, g->W, dst, g->dst_kind, to_scale) == CPOSE_OK, "%s", cpose_errmsg());
    /* the chunks go to whichever thread is free (cpose_run_chunks): the bytes must not depend on it */
    int same = 1, saved = omp_get_max_threads();
    for (int rep = 0; rep < 4; rep++) {
        omp_set_num_threads(rep % 2 ? 2 : 1);
        CHECK(cpose_gemm_i8_run(k, g->act, xq, g->N, g->H, g->W, again, g->dst_kind, to_scale) == CPOSE_OK);
        same &= memcmp(again, dst, ny * esz) == 0;
    }
    omp_set_num_threads(saved);
    CHECK_MSG(same, "N%d %d→%d k%d %dx%d: the output differs between runs on 1 and 2 threads", g->N, g->C, g->O, g->k, g->H, g->W);
    double se = 0, sw = 0, me = 0, mw = 0;
    int off_lsb = 0;
    for (size_t i = 0; i < ny; i++) {
        double got;
        if (g->dst_kind == CPOSE_I8_DST_F32) {
            got = ((float *)dst)[i];
        } else {
            /* the quantised output: round(y·to_scale) of the kernel's own y, so within a step of want's
             * where the weight rounding is under half a step */
            double q = nearbyint(want[i] * to_scale), lo = g->dst_kind == CPOSE_I8_DST_U8 ? 0 : -128,
                   hi = g->dst_kind == CPOSE_I8_DST_U8 ? 255 : 127;
            q = q < lo ? lo : q > hi ? hi : q;
            double v = g->dst_kind == CPOSE_I8_DST_U8 ? dst[i] : (int8_t)dst[i];
            if (fabs(v - q) > 2) off_lsb++;
            got = v / to_scale, want[i] = q / to_scale;
        }
        double d = got - want[i];
        se += d * d, sw += want[i] * want[i];
        me = fmax(me, fabs(d)), mw = fmax(mw, fabs(want[i]));
    }
    double rms = sqrt(se / (sw > 0 ? sw : 1)), mx = me / (mw > 0 ? mw : 1);
    const char *kinds[3] = {"f32", "u8", "s8"};
    char lo_txt[16];
    snprintf(lo_txt, sizeof lo_txt, "%d", g->s8_min);
    /* the weights keep `steps` a side per output channel (≈ 120 with the one-step kernel, ≈ 60 with the
     * pair kernel): their rounding is ≤ 1/(2·steps) of the channel's largest weight, summed over K with
     * random signs; the bounds below were set for 127 steps and grow as the steps shrink */
    int steps = cpose_gemm_i8_weight_steps(k);
    double wide = 127.0 / steps;
    double trms = (g->dst_kind == CPOSE_I8_DST_F32 ? 1e-2 : 2.5e-2) * wide, tmax = 4e-2 * wide; /* u8/s8 outputs: steps of 1 % of the max */
    CHECK_MSG(steps >= 48, "N%d %d→%d k%d: the weights keep %d steps a side (≥ 48 expected)", g->N, g->C, g->O, g->k, steps);
    /* a u8 source without VNNI runs the pair kernel (unless turned off): 4·127·64 ≤ 32767 */
    if (!g->src_signed && !cpose_cpu_has_vnni() && cpose_gemm_i8_pairs_on())
        CHECK_MSG(steps == 64 && cpose_gemm_i8_pairs(k), "N%d %d→%d k%d u8: %d weight steps (pairs %d), the pair kernel's 64 expected",
                  g->N, g->C, g->O, g->k, steps, cpose_gemm_i8_pairs(k));
    CHECK_MSG(rms <= trms && mx <= tmax && off_lsb == 0,
              "N%d %d→%d k%d %dx%d act%d %s→%s%s: rel rms %.3g (≤ %g), rel max %.3g (≤ %g), %d outputs > 2 steps off", g->N,
              g->C, g->O, g->k, g->H, g->W, g->act, g->src_signed ? "s8" : "u8", kinds[g->dst_kind], g->extreme ? " extreme" : "",
              rms, trms, mx, tmax, off_lsb);
    CHECK_MSG(mw > 0.1, "the case's outputs are all ≈ 0 (max %.3g): it checks nothing", mw);
    printf("  N%d %3d→%-3d k%d %2dx%-2d act%d %s(min %s)→%s%s: rel rms %.2e, rel max %.2e (max |y| %.3g)\n", g->N, g->C, g->O, g->k,
           g->H, g->W, g->act, g->src_signed ? "s8" : "u8", g->src_signed ? (g->s8_min == LO_NAN ? "NaN" : lo_txt) : "0", kinds[g->dst_kind],
           g->extreme ? " extreme" : g->below ? " (source below its min)" : "", rms, mx, mw);
    cpose_gemm_i8_free(k);
    free(xq), free(x), free(want), free(wt), free(b), free(dst), free(again);
}

static void test_kernel(void)
{
    const struct gcase cases[] = {
        {2, 51, 51, 13, 11, 1, CPOSE_ACT_SILU, 1, CPOSE_I8_DST_F32, 0, -128, 0},
        {1, 64, 40, 9, 7, 1, CPOSE_ACT_NONE, 0, CPOSE_I8_DST_F32, 0, 0, 0},
        {1, 32, 19, 6, 8, 1, CPOSE_ACT_SILU, 0, CPOSE_I8_DST_U8, 0, 0, 0},
        {1, 48, 1, 2, 2, 1, CPOSE_ACT_SILU, 1, CPOSE_I8_DST_S8, 0, -9, 0}, /* 4 pixels: fewer than a micro-kernel's rows */
        {1, 384, 64, 10, 9, 1, CPOSE_ACT_SILU, 1, CPOSE_I8_DST_F32, 0, -16, 0},
        {2, 16, 32, 13, 11, 3, CPOSE_ACT_SILU, 1, CPOSE_I8_DST_F32, 0, -128, 0},
        {1, 64, 40, 9, 10, 3, CPOSE_ACT_NONE, 0, CPOSE_I8_DST_S8, 0, 0, 0},
        {1, 51, 19, 7, 7, 3, CPOSE_ACT_SILU, 1, CPOSE_I8_DST_U8, 0, -5, 0},
        {1, 512, 16, 4, 5, 1, CPOSE_ACT_NONE, 1, CPOSE_I8_DST_F32, 1, -128, 0},
        {1, 512, 16, 4, 5, 1, CPOSE_ACT_NONE, 1, CPOSE_I8_DST_F32, 1, -12, 0},
        {1, 512, 16, 4, 5, 1, CPOSE_ACT_NONE, 0, CPOSE_I8_DST_F32, 1, 0, 0},
        {1, 128, 16, 5, 5, 3, CPOSE_ACT_NONE, 1, CPOSE_I8_DST_F32, 1, -128, 0},
        {1, 64, 64, 40, 37, 1, CPOSE_ACT_SILU, 1, CPOSE_I8_DST_U8, 0, -14, 0}, /* 1480 pixels: several chunks */
        {1, 96, 24, 8, 9, 1, CPOSE_ACT_SILU, 1, CPOSE_I8_DST_F32, 0, -6, 1},
        {1, 64, 24, 9, 8, 3, CPOSE_ACT_NONE, 1, CPOSE_I8_DST_F32, 0, -6, 1},
        {1, 40, 24, 7, 9, 1, CPOSE_ACT_SILU, 1, CPOSE_I8_DST_F32, 0, LO_NAN, 0},
        {1, 20, 24, 1, 3, 1, CPOSE_ACT_SILU, 0, CPOSE_I8_DST_F32, 0, 0, 0}, /* pairs: a row of 20 bytes padded to 24, 3 pixels */
        {1, 12, 40, 5, 5, 3, CPOSE_ACT_SILU, 1, CPOSE_I8_DST_F32, 0, -3, 0}, /* pairs: 108 bytes padded to 112 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) kernel_case(&cases[i], 31 + i);
}

/* Through conv2d's int8 kernel (NHWC), a 1×1 and a 3×3 stride-2 conv: the default picks the GEMM
 * exactly on CPUs without VNNI (cpose_gemm_i8_set_mode(0) never does); both kernels stay within the
 * int8 tolerance of test_lowp.c against the float32 conv, and within 2 % of each other. */
static void test_through_conv(int ksize)
{
    enum { N = 1, C = 64, O = 48, H = 13, W = 11 };
    int st = ksize == 1 ? 1 : 2, OH = (H + 2 * (ksize / 2) - ksize) / st + 1, OW = (W + 2 * (ksize / 2) - ksize) / st + 1;
    uint64_t seed = 7;
    float *x = malloc(sizeof(float) * N * C * H * W), *wt = malloc(sizeof(float) * O * C * ksize * ksize),
          *b = malloc(sizeof(float) * O);
    for (int i = 0; i < N * C * H * W; i++) x[i] = frand(&seed) * 2;
    for (int i = 0; i < O * C * ksize * ksize; i++) wt[i] = frand(&seed) / sqrtf(C * ksize * ksize);
    for (int i = 0; i < O; i++) b[i] = frand(&seed);
    struct cpose_tensor tx = tl_tensor_from_nchw(x, N, C, H, W, CPOSE_LAYOUT_NHWC), ty[3];
    int gemm[3] = {0};
    for (int mode = -1; mode <= 1; mode++) {
        /* index 0: float32; 1: int8 on oneDNN; 2: int8 on the GEMM */
        struct cpose_conv2d_params p = {.cin = C, .cout = O, .k = ksize, .stride = st, .pad = ksize / 2, .act = CPOSE_ACT_SILU,
                                        .out_layout = CPOSE_LAYOUT_NHWC, .weight = wt, .bias = b, .prec = CPOSE_PREC_F32};
        if (mode >= 0) p.prec = CPOSE_PREC_INT8, p.in_lo = -2, p.in_hi = 2;
        cpose_gemm_i8_set_mode(mode < 0 ? -1 : mode);
        struct cpose_tensor *t = &ty[mode + 1];
        memset(t, 0, sizeof *t);
        cpose_tensor_set4(t, N, O, OH, OW, CPOSE_LAYOUT_NHWC);
        t->data = calloc(cpose_tensor_size(t), sizeof(float));
        CHECK_MSG(cpose_conv_kernel_run(&p, &tx, NULL, t) == CPOSE_OK, "%s", cpose_errmsg());
        gemm[mode + 1] = strstr(cpose_conv_kernel_impl(p.kern), "gemm_u8s8:avx2") != NULL;
        if (mode == 1) {
            cpose_gemm_i8_set_mode(-1); /* the default choice, on a fresh kernel */
            struct cpose_conv2d_params d = p;
            d.kern = NULL;
            CHECK(cpose_conv_kernel_run(&d, &tx, NULL, t) == CPOSE_OK);
            int dg = strstr(cpose_conv_kernel_impl(d.kern), "gemm_u8s8:avx2") != NULL;
            CHECK_MSG(dg == !cpose_cpu_has_vnni(), "k%d default on %s (VNNI %d): '%s'", ksize, cpose_cpu_isa_name(),
                      cpose_cpu_has_vnni(), cpose_conv_kernel_impl(d.kern));
            printf("  k%d default on this CPU (%s, VNNI %d): %s\n", ksize, cpose_cpu_isa_name(), cpose_cpu_has_vnni(),
                   cpose_conv_kernel_impl(d.kern));
            cpose_conv_kernel_free(d.kern);
        }
        cpose_conv_kernel_free(p.kern);
    }
    cpose_gemm_i8_set_mode(-1);
    CHECK_MSG(!gemm[1] && gemm[2], "k%d: mode 0 ran the GEMM: %d, mode 1: %d", ksize, gemm[1], gemm[2]);
    size_t n = cpose_tensor_size(&ty[0]);
    double e[3] = {0}, w2 = 0;
    for (size_t i = 0; i < n; i++) {
        double f = ty[0].data[i], a = ty[1].data[i], z = ty[2].data[i];
        e[0] += (a - f) * (a - f), e[1] += (z - f) * (z - f), e[2] += (z - a) * (z - a), w2 += f * f;
    }
    for (int i = 0; i < 3; i++) e[i] = sqrt(e[i] / w2);
    CHECK_MSG(w2 > 0 && e[0] <= 0.03 && e[1] <= 0.03 && e[2] <= 0.02,
              "k%d rel rms: oneDNN int8 %.3g, GEMM %.3g against float32; between them %.3g", ksize, e[0], e[1], e[2]);
    printf("  k%d through conv2d, rel rms against float32: oneDNN int8 %.2e, GEMM %.2e; between them %.2e\n", ksize, e[0], e[1],
           e[2]);
    for (int i = 0; i < 3; i++) free(ty[i].data);
    free(x), free(wt), free(b), free(tx.data);
}

/* `cpose checks` and the int8 message name the pair kernel exactly where it may run (no VNNI, the GEMM on,
 * CPOSE_GEMM_INT8_PAIRS not 0). */
static void test_desc(void)
{
    const char *d = cpose_int8_kernels_desc();
    int want = !cpose_cpu_has_vnni() && cpose_gemm_i8_on() && cpose_gemm_i8_pairs_on();
    CHECK_MSG(!strstr(d, "pair kernel") == !want, "int8 kernels: \"%s\" (pair kernel expected: %d)", d, want);
}

int main(void)
{
#ifdef CPOSE_X86
    if (!cpose_have_avx2()) {
        printf("SKIP: the CPU has no AVX2 (the int8 GEMM is an AVX2 kernel)\n");
        return 77;
    }
    test_kernel();
    test_through_conv(1);
    test_through_conv(3);
    test_desc();
    return tl_finish();
#else
    printf("SKIP: not an x86 CPU (the int8 GEMM is an AVX2 kernel)\n");
    return 77;
#endif
}
