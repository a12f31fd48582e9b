/* tests/test_stem.c — the int8 model's float32 stem conv (core/nn/kernels_stem.c): directly, against
 * a double convolution of the same float32 image and weights, for image sizes whose windows cross
 * every edge (odd and even, 1 and 2 pixels wide), 16 and 24 output channels (the 8-channel tail),
 * float32, u8 and s8 outputs, SiLU or none, batch 2, the same bytes on 1 and 2 threads; then through
 * conv2d's int8 kernel on a plain (NCHW) image, which must pick it, against float32. Skips where the
 * CPU has no AVX2. */
/* cpose-layer: nn */
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_stem.h"
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

struct scase { int N, O, H, W, act, dst_kind; };

/* y[n][oh][ow][o] (NHWC) = act(b + Σ x·w) in double, x NCHW with 3 channels, 3×3 stride 2 pad 1. */
static void ref_stem(const struct scase *k, const float *x, const float *wt, const float *b, int Ho, int Wo, double *y)
{
    for (int n = 0; n < k->N; n++)
        for (int oh = 0; oh < Ho; oh++)
            for (int ow = 0; ow < Wo; ow++)
                for (int o = 0; o < k->O; o++) {
                    double acc = b[o];
                    for (int c = 0; c < 3; c++)
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++) {
                                int h = 2 * oh + i - 1, w = 2 * ow + j - 1;
                                if (h < 0 || h >= k->H || w < 0 || w >= k->W) continue;
                                acc += (double)x[(((size_t)n * 3 + c) * k->H + h) * k->W + w] * wt[((o * 3 + c) * 3 + i) * 3 + j];
                            }
                    if (k->act == CPOSE_ACT_SILU) acc = acc / (1 + exp(-acc));
                    y[(((size_t)n * Ho + oh) * Wo + ow) * k->O + o] = acc;
                }
}

static void stem_case(const struct scase *k, uint64_t seed)
{
    int Ho = (k->H - 1) / 2 + 1, Wo = (k->W - 1) / 2 + 1;
    size_t nx = (size_t)k->N * 3 * k->H * k->W, ny = (size_t)k->N * Ho * Wo * k->O;
    float *x = malloc(sizeof(float) * nx), *wt = malloc(sizeof(float) * k->O * 27), *b = malloc(sizeof(float) * k->O);
    double *want = malloc(sizeof(double) * ny);
    for (size_t i = 0; i < nx; i++) x[i] = (float)((int)((frand(&seed) + 1) * 127.5f)) / 255.0f;  /* pixels k/255 */
    for (int i = 0; i < k->O * 27; i++) wt[i] = frand(&seed) * 2;
    for (int o = 0; o < k->O; o++) b[o] = frand(&seed);
    ref_stem(k, x, wt, b, Ho, Wo, want);
    struct cpose_conv2d_params p = {.cin = 3, .cout = k->O, .k = 3, .stride = 2, .pad = 1, .act = k->act, .weight = wt, .bias = b};
    struct cpose_stem *s = NULL;
    CHECK_MSG(cpose_stem_prepare(&p, &s) == CPOSE_OK, "%s", cpose_errmsg());
    double ymax = 0;
    for (size_t i = 0; i < ny; i++) ymax = fmax(ymax, fabs(want[i]));
    float to_scale = (float)(120.0 / (ymax > 0 ? ymax : 1));
    size_t esz = k->dst_kind == CPOSE_I8_DST_F32 ? sizeof(float) : 1;
    unsigned char *dst = malloc(ny * esz), *again = malloc(ny * esz);
    CHECK_MSG(cpose_stem_run(s, k->act, x, k->N, k->H, k->W, dst, k->dst_kind, to_scale) == CPOSE_OK, "%s", cpose_errmsg());
    int same = 1, saved = omp_get_max_threads();
    for (int rep = 0; rep < 4; rep++) {
        omp_set_num_threads(rep % 2 ? 2 : 1);
        CHECK(cpose_stem_run(s, k->act, x, k->N, k->H, k->W, again, k->dst_kind, to_scale) == CPOSE_OK);
        same &= memcmp(again, dst, ny * esz) == 0;
    }
    omp_set_num_threads(saved);
    CHECK_MSG(same, "%dx%d: the output differs between runs on 1 and 2 threads", k->H, k->W);
    /* float32: products in float32 (≈ 1e-6) and the SiLU's 1e-4; u8/s8: round(y·to_scale) within one step */
    double worst = 0;
    int off = 0;
    for (size_t i = 0; i < ny; i++) {
        if (k->dst_kind == CPOSE_I8_DST_F32) {
            double e = fabs(((float *)dst)[i] - want[i]) / fmax(fabs(want[i]), 1e-3 * ymax);
            worst = fmax(worst, e);
        } else {
            double q = nearbyint(want[i] * to_scale), lo = k->dst_kind == CPOSE_I8_DST_U8 ? 0 : -128, hi = k->dst_kind == CPOSE_I8_DST_U8 ? 255 : 127;
            q = q < lo ? lo : q > hi ? hi : q;
            double g = k->dst_kind == CPOSE_I8_DST_U8 ? dst[i] : (int8_t)dst[i];
            off += fabs(g - q) > 1;
            worst = fmax(worst, fabs(g - q));
        }
    }
    const char *kinds[3] = {"f32", "u8", "s8"};
    if (k->dst_kind == CPOSE_I8_DST_F32)
        CHECK_MSG(worst <= 2e-4, "N%d 3→%d %dx%d act%d f32: relative error %.3g (≤ 2e-4)", k->N, k->O, k->H, k->W, k->act, worst);
    else
        CHECK_MSG(off == 0, "N%d 3→%d %dx%d act%d %s: %d outputs more than one step off", k->N, k->O, k->H, k->W, k->act,
                  kinds[k->dst_kind], off);
    CHECK_MSG(ymax > 0.1, "the case's outputs are all ≈ 0 (max %.3g): it checks nothing", ymax);
    printf("  N%d 3→%-2d %3dx%-3d act%d %s: worst %s %.3g (max |y| %.3g)\n", k->N, k->O, k->H, k->W, k->act, kinds[k->dst_kind],
           k->dst_kind == CPOSE_I8_DST_F32 ? "relative error" : "steps off", worst, ymax);
    cpose_stem_free(s);
    free(x), free(wt), free(b), free(want), free(dst), free(again);
}

/* Through conv2d's int8 kernel on a plain image: the stem is chosen, and stays within float32
 * rounding of the float32 conv (its products are float32 too). */
static void test_through_conv(void)
{
    enum { N = 1, O = 16, H = 21, W = 18 };
    uint64_t seed = 5;
    float *x = malloc(sizeof(float) * N * 3 * H * W), *wt = malloc(sizeof(float) * O * 27), *b = malloc(sizeof(float) * O);
    for (int i = 0; i < N * 3 * H * W; i++) x[i] = (frand(&seed) + 1) / 2;
    for (int i = 0; i < O * 27; i++) wt[i] = frand(&seed);
    for (int i = 0; i < O; i++) b[i] = frand(&seed);
    /* float32 reads NHWC (oneDNN's float32 conv from a plain source is its reference kernel) */
    struct cpose_tensor tx[2] = {tl_tensor_from_nchw(x, N, 3, H, W, CPOSE_LAYOUT_NHWC), tl_tensor_from_nchw(x, N, 3, H, W, CPOSE_LAYOUT_PLAIN)};
    struct cpose_tensor ty[2];
    const char *impl = "";
    for (int i = 0; i < 2; i++) {
        struct cpose_conv2d_params p = {.cin = 3, .cout = O, .k = 3, .stride = 2, .pad = 1, .act = CPOSE_ACT_SILU,
                                        .out_layout = CPOSE_LAYOUT_NHWC, .weight = wt, .bias = b, .prec = CPOSE_PREC_F32};
        if (i) p.prec = CPOSE_PREC_INT8, p.in_lo = 0, p.in_hi = 1;
        memset(&ty[i], 0, sizeof ty[i]);
        cpose_tensor_set4(&ty[i], N, O, (H - 1) / 2 + 1, (W - 1) / 2 + 1, CPOSE_LAYOUT_NHWC);
        ty[i].data = calloc(cpose_tensor_size(&ty[i]), sizeof(float));
        CHECK_MSG(cpose_conv_kernel_run(&p, &tx[i], NULL, &ty[i]) == CPOSE_OK, "%s", cpose_errmsg());
        if (i) impl = cpose_conv_kernel_impl(p.kern);
        if (i) CHECK_MSG(strstr(impl, "stem_f32") != NULL, "int8 first conv on a plain image ran '%s', not the stem", impl);
        if (i) printf("  through conv2d: %s\n", impl);
        cpose_conv_kernel_free(p.kern);
    }
    double e = 0, w2 = 0;
    for (size_t i = 0; i < cpose_tensor_size(&ty[0]); i++) {
        double d = ty[1].data[i] - ty[0].data[i];
        e += d * d, w2 += (double)ty[0].data[i] * ty[0].data[i];
    }
    CHECK_MSG(w2 > 0 && sqrt(e / w2) <= 1e-4, "stem against float32 conv2d: rel rms %.3g (≤ 1e-4)", sqrt(e / w2));
    printf("  through conv2d, rel rms against float32: %.2e\n", sqrt(e / w2));
    free(ty[0].data), free(ty[1].data), free(x), free(wt), free(b), free(tx[0].data), free(tx[1].data);
}

int main(void)
{
#ifdef CPOSE_X86
    if (!cpose_have_avx2()) {
        printf("SKIP: the CPU has no AVX2 (the stem conv is an AVX2 kernel)\n");
        return 77;
    }
    const struct scase cases[] = {
        {2, 16, 13, 11, CPOSE_ACT_SILU, CPOSE_I8_DST_F32}, {1, 24, 20, 17, CPOSE_ACT_NONE, CPOSE_I8_DST_F32},
        {1, 16, 9, 30, CPOSE_ACT_SILU, CPOSE_I8_DST_U8},   {2, 24, 16, 16, CPOSE_ACT_SILU, CPOSE_I8_DST_S8},
        {1, 16, 1, 1, CPOSE_ACT_SILU, CPOSE_I8_DST_F32},   {1, 16, 2, 3, CPOSE_ACT_NONE, CPOSE_I8_DST_F32},
        {1, 32, 64, 48, CPOSE_ACT_SILU, CPOSE_I8_DST_S8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) stem_case(&cases[i], 11 + i);
    test_through_conv();
    return tl_finish();
#else
    printf("SKIP: not an x86 CPU (the stem conv is an AVX2 kernel)\n");
    return 77;
#endif
}
