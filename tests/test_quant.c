/* tests/test_quant.c — the int8 conv's source conversion on AVX2 (core/nn/kernels_quant.c): float32
 * NHWC parts → s8/u8 at a scale, against a scalar rounding (nearest even) and saturation of the same
 * products, and against oneDNN's own reorder (the conversion it replaces) byte for byte: parts of 1 to
 * 67 channels at channel offsets inside wider tensors (every 32/8/tail path), ties, values past the
 * range and past int32, s8 and u8; the same bytes on 1 and 2 threads; a handed-off part (a producer's
 * bytes) copied between converted ones; a part read through a 2× or 3× upsample; parts that do not add
 * up to the source's channels refused. Then
 * the epilogue that finishes a oneDNN int8 conv's int32 sums (cpose_i8_finish_nhwc) against its formula in
 * double (scale, bias, SiLU, residual; float32, u8 and s8 outputs; 19 channels: a tail), and through
 * conv2d: a 16-channel 3×3 conv with a residual, on oneDNN with cpose's epilogue (the default without
 * VNNI) and with oneDNN's post-ops (CPOSE_OWN_EPILOGUE=0), within 1 % of each other. Skips where the CPU
 * has no AVX2. */
/* cpose-layer: nn */
#include "core/base/simd_avx2.h"
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_quant.h"
#include "tests/testlib.h"
#include "tests/tl_tensor.h"

#include <dnnl.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 33) & 0xffffff) / 16777215.0f * 2 - 1;
}

/* a source tensor: P pixels of C channels, values mostly inside ±range/scale, some ties and extremes */
static float *make_tensor(int64_t P, int C, float scale, int with_inf, uint64_t *seed)
{
    float *t = malloc(sizeof(float) * P * C);
    for (int64_t i = 0; i < P * C; i++) {
        float r = frand(seed), u = frand(seed);
        if (u > 0.9f)
            t[i] = (floorf(r * 140) + 0.5f) / scale; /* an exact tie after scaling (scale a power of two) */
        else if (u < -0.95f)
            t[i] = r * 1e3f / scale; /* past the type's range */
        else if (u < -0.93f)
            t[i] = (r > 0 ? 1e10f : -1e10f) / scale; /* past int32 after scaling */
        else if (with_inf && u < -0.92f)
            t[i] = r > 0 ? INFINITY : -INFINITY;
        else
            t[i] = r * 130 / scale;
    }
    return t;
}

static uint8_t ref_byte(float x, float scale, int is_signed)
{
    float v = x * scale, lo = is_signed ? -128.0f : 0.0f, hi = is_signed ? 127.0f : 255.0f;
    v = nearbyintf(fminf(fmaxf(v, lo), hi));
    return is_signed ? (uint8_t)(int8_t)v : (uint8_t)v;
}

/* dst via oneDNN: per part a reorder from its channels (a sub-memory of its NHWC tensor) into its
 * channel range of the destination (a sub-memory), with the output scale. */
static int onednn_convert(const struct cpose_quant_part *pt, int n, int64_t P, int cin, float scale, int is_signed,
                          uint8_t *dst)
{
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success || dnnl_stream_create(&strm, eng, dnnl_stream_default_flags) != dnnl_success)
        return -1;
    int ok = 1;
    int64_t off = 0;
    for (int k = 0; k < n && ok; k++) {
        dnnl_dims_t td = {1, pt[k].stride, 1, P}, pd = {1, pt[k].len, 1, P}, qd = {1, cin, 1, P};
        dnnl_dims_t from = {0, pt[k].c0, 0, 0}, to = {0, off, 0, 0};
        dnnl_memory_desc_t t_md, f_md, q_md, s_md;
        dnnl_primitive_attr_t attr;
        dnnl_primitive_desc_t rpd;
        dnnl_primitive_t re;
        dnnl_memory_t mf, mq;
        ok = dnnl_memory_desc_init_by_tag(&t_md, 4, td, dnnl_f32, dnnl_nhwc) == dnnl_success &&
             dnnl_memory_desc_init_submemory(&f_md, &t_md, pd, from) == dnnl_success &&
             dnnl_memory_desc_init_by_tag(&q_md, 4, qd, is_signed ? dnnl_s8 : dnnl_u8, dnnl_nhwc) == dnnl_success &&
             dnnl_memory_desc_init_submemory(&s_md, &q_md, pd, to) == dnnl_success &&
             dnnl_primitive_attr_create(&attr) == dnnl_success &&
             dnnl_primitive_attr_set_output_scales(attr, 1, 0, &scale) == dnnl_success &&
             dnnl_reorder_primitive_desc_create(&rpd, &f_md, eng, &s_md, eng, attr) == dnnl_success &&
             dnnl_primitive_create(&re, rpd) == dnnl_success &&
             dnnl_memory_create(&mf, &f_md, eng, (void *)pt[k].data) == dnnl_success &&
             dnnl_memory_create(&mq, &s_md, eng, dst) == dnnl_success;
        if (!ok) break;
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, mf}, {DNNL_ARG_TO, mq}};
        ok = dnnl_primitive_execute(re, strm, 2, args) == dnnl_success && dnnl_stream_wait(strm) == dnnl_success;
        dnnl_memory_destroy(mf), dnnl_memory_destroy(mq), dnnl_primitive_destroy(re);
        dnnl_primitive_desc_destroy(rpd), dnnl_primitive_attr_destroy(attr);
        off += pt[k].len;
    }
    dnnl_stream_destroy(strm), dnnl_engine_destroy(eng);
    return ok ? 0 : -1;
}

struct qcase {
    int64_t P;
    int n, is_signed;
    int len[4], c0[4], stride[4];
};

static void quant_case(const struct qcase *q, uint64_t seed)
{
    float scale = q->is_signed ? 0.25f : 2.0f; /* powers of two: x·scale exact, ties stay ties */
    struct cpose_quant_part pt[4];
    float *src[4];
    int cin = 0;
    for (int k = 0; k < q->n; k++) {
        src[k] = make_tensor(q->P, q->stride[k], scale, 1, &seed);
        pt[k] = (struct cpose_quant_part){src[k], q->stride[k], q->c0[k], q->len[k], NULL, 0, 0, 0};
        cin += q->len[k];
    }
    size_t bytes = (size_t)q->P * cin;
    uint8_t *got = malloc(bytes), *one = malloc(bytes), *want = malloc(bytes), *dn = malloc(bytes);
    memset(got, 0xAA, bytes);
    CHECK(cpose_quant_nhwc(pt, q->n, q->P, cin, scale, q->is_signed, got) == CPOSE_OK);
    for (int64_t p = 0, o = 0; p < q->P; p++)
        for (int k = 0; k < q->n; k++)
            for (int j = 0; j < q->len[k]; j++) want[o++] = ref_byte(src[k][p * q->stride[k] + q->c0[k] + j], scale, q->is_signed);
    size_t bad = 0;
    for (size_t i = 0; i < bytes; i++) bad += got[i] != want[i];
    CHECK_MSG(bad == 0, "%lld pixels, %d parts (first %d channels from %d of %d), %s: %zu of %zu bytes differ from the scalar rounding",
              (long long)q->P, q->n, q->len[0], q->c0[0], q->stride[0], q->is_signed ? "s8" : "u8", bad, bytes);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    CHECK(cpose_quant_nhwc(pt, q->n, q->P, cin, scale, q->is_signed, one) == CPOSE_OK);
    omp_set_num_threads(saved);
    CHECK_MSG(!memcmp(one, got, bytes), "1 and %d threads give different bytes", saved);
    /* oneDNN's reorder: its conversion of ±inf is its own, so the tensors for it have none */
    for (int k = 0; k < q->n; k++) {
        free(src[k]);
        src[k] = make_tensor(q->P, q->stride[k], scale, 0, &seed);
        pt[k].data = src[k];
    }
    CHECK(cpose_quant_nhwc(pt, q->n, q->P, cin, scale, q->is_signed, got) == CPOSE_OK);
    CHECK(onednn_convert(pt, q->n, q->P, cin, scale, q->is_signed, dn) == 0);
    bad = 0;
    for (size_t i = 0; i < bytes; i++) bad += got[i] != dn[i];
    CHECK_MSG(bad == 0, "%lld pixels, %d parts, %s: %zu of %zu bytes differ from oneDNN's reorder", (long long)q->P, q->n,
              q->is_signed ? "s8" : "u8", bad, bytes);
    printf("  %4lld pixels, %d part(s) of %d..%d channels, %s: equal to the scalar rounding and to oneDNN's reorder\n",
           (long long)q->P, q->n, q->len[0], q->len[q->n - 1], q->is_signed ? "s8" : "u8");
    for (int k = 0; k < q->n; k++) free(src[k]);
    free(got), free(one), free(want), free(dn);
}

/* cpose_i8_finish_nhwc against y = silu(acc·scale + bias) + res in double, per output kind. */
static void finish_case(int kind, int with_res, uint64_t seed)
{
    enum { P = 203, C = 19 };
    int32_t *acc = malloc(sizeof(int32_t) * P * C);
    float scale[C], bias[C], *res = malloc(sizeof(float) * P * C), *f = malloc(sizeof(float) * P * C);
    uint8_t *q = malloc(P * C);
    for (int o = 0; o < C; o++) scale[o] = (1 + o % 7) * 1e-4f, bias[o] = frand(&seed);
    for (int i = 0; i < P * C; i++) acc[i] = (int32_t)(frand(&seed) * 40000), res[i] = frand(&seed);
    float to_scale = 20.0f;
    void *dst = kind == CPOSE_I8_DST_F32 ? (void *)f : (void *)q;
    CHECK(cpose_i8_finish_nhwc(acc, P, C, scale, bias, CPOSE_ACT_SILU, with_res ? res : NULL, dst, kind, to_scale) == CPOSE_OK);
    double worst = 0;
    int off = 0;
    for (int p = 0; p < P; p++)
        for (int o = 0; o < C; o++) {
            int i = p * C + o;
            double a = (double)acc[i] * scale[o] + bias[o], s = a / (1 + exp(-a)), rr = with_res ? res[i] : 0, y = s + rr;
            if (kind == CPOSE_I8_DST_F32) {
                /* relative to the terms' size: adding the residual may cancel them */
                worst = fmax(worst, fabs(f[i] - y) / (fabs(s) + fabs(rr) + 1e-3));
            } else {
                double w = nearbyint(y * to_scale), lo = kind == CPOSE_I8_DST_U8 ? 0 : -128, hi = kind == CPOSE_I8_DST_U8 ? 255 : 127;
                w = w < lo ? lo : w > hi ? hi : w;
                double g = kind == CPOSE_I8_DST_U8 ? q[i] : (int8_t)q[i];
                off += fabs(g - w) > 1; /* a value on a rounding boundary may round either way */
            }
        }
    const char *kinds[3] = {"f32", "u8", "s8"};
    CHECK_MSG(worst <= 2e-4 && off == 0, "int8 epilogue → %s (res %d): relative error %.3g (≤ 2e-4), %d bytes > 1 step off",
              kinds[kind], with_res, worst, off);
    printf("  int8 epilogue → %s, residual %d: %d pixels × %d channels, relative error %.2e\n", kinds[kind], with_res, P, C, worst);
    free(acc), free(res), free(f), free(q);
}

/* A 16→16 3×3 conv with a residual through conv2d's int8 kernel, with cpose's epilogue (env unset) and
 * oneDNN's post-ops (CPOSE_OWN_EPILOGUE=0): the default's name says which it ran, and the outputs agree. */
static void finish_through_conv(void)
{
    enum { C = 16, H = 17, W = 15 };
    uint64_t seed = 5;
    float *x = malloc(sizeof(float) * C * H * W), *wt = malloc(sizeof(float) * C * C * 9), b[C];
    float *r = malloc(sizeof(float) * C * H * W);
    for (int i = 0; i < C * H * W; i++) x[i] = frand(&seed) * 2, r[i] = frand(&seed);
    for (int i = 0; i < C * C * 9; i++) wt[i] = frand(&seed) / 12;
    for (int i = 0; i < C; i++) b[i] = frand(&seed);
    struct cpose_tensor tx = tl_tensor_from_nchw(x, 1, C, H, W, CPOSE_LAYOUT_NHWC), tr = tl_tensor_from_nchw(r, 1, C, H, W, CPOSE_LAYOUT_NHWC);
    struct cpose_tensor ty[2];
    int own[2];
    for (int k = 0; k < 2; k++) {
        if (k) setenv("CPOSE_OWN_EPILOGUE", "0", 1);
        struct cpose_conv2d_params p = {.cin = C, .cout = C, .k = 3, .stride = 1, .pad = 1, .act = CPOSE_ACT_SILU,
                                        .out_layout = CPOSE_LAYOUT_NHWC, .weight = wt, .bias = b, .prec = CPOSE_PREC_INT8,
                                        .in_lo = -2, .in_hi = 2};
        memset(&ty[k], 0, sizeof ty[k]);
        cpose_tensor_set4(&ty[k], 1, C, H, W, CPOSE_LAYOUT_NHWC);
        ty[k].data = calloc(cpose_tensor_size(&ty[k]), sizeof(float));
        CHECK_MSG(cpose_conv_kernel_run(&p, &tx, &tr, &ty[k]) == CPOSE_OK, "%s", cpose_errmsg());
        own[k] = strstr(cpose_conv_kernel_impl(p.kern), "+epi:avx2") != NULL;
        if (!k) printf("  16→16 3×3 with a residual: %s\n", cpose_conv_kernel_impl(p.kern));
        cpose_conv_kernel_free(p.kern);
    }
    unsetenv("CPOSE_OWN_EPILOGUE");
    CHECK_MSG(own[0] == !cpose_cpu_has_vnni() && !own[1], "cpose's epilogue: default %d (VNNI %d), CPOSE_OWN_EPILOGUE=0 %d", own[0],
              cpose_cpu_has_vnni(), own[1]);
    double e = 0, w2 = 0;
    for (size_t i = 0; i < cpose_tensor_size(&ty[0]); i++) {
        double d = ty[0].data[i] - ty[1].data[i];
        e += d * d, w2 += (double)ty[1].data[i] * ty[1].data[i];
    }
    CHECK_MSG(w2 > 0 && sqrt(e / w2) <= 0.01, "cpose's epilogue against oneDNN's post-ops: rel rms %.3g (≤ 0.01)", sqrt(e / w2));
    printf("  against oneDNN's post-ops: rel rms %.2e\n", sqrt(e / w2));
    free(x), free(wt), free(r), free(tx.data), free(tr.data), free(ty[0].data), free(ty[1].data);
}

int main(void)
{
#ifdef CPOSE_X86
    if (!cpose_have_avx2()) {
        printf("SKIP: the CPU has no AVX2 (the conversion is an AVX2 loop)\n");
        return 77;
    }
    const struct qcase cases[] = {
        {37, 1, 1, {64}, {0}, {64}},                                    /* one whole tensor: 32-channel steps */
        {1000, 1, 0, {67}, {0}, {67}},                                  /* 32 + 32 + a 3-channel tail, many chunks */
        {129, 2, 1, {16, 16}, {16, 0}, {32, 16}},                       /* a slice's second half, then a tensor */
        {50, 4, 1, {32, 8, 13, 1}, {0, 0, 5, 40}, {32, 8, 20, 41}},     /* a concat of odd parts */
        {300, 3, 0, {40, 33, 5}, {7, 0, 0}, {50, 33, 5}},               /* u8, 8-channel steps and tails */
        {1, 1, 1, {3}, {2}, {9}},                                       /* one pixel, tail only */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) quant_case(&cases[i], 7 + i);
    /* a handed-off part (q: a producer's bytes, 24 channels a pixel, channels 4..19 taken) is copied
     * between two converted ones */
    {
        enum { P = 77 };
        uint64_t seed = 99;
        float *a = make_tensor(P, 8, 0.25f, 0, &seed), *c = make_tensor(P, 5, 0.25f, 0, &seed);
        uint8_t qb[P * 24], out[P * 29];
        for (int i = 0; i < P * 24; i++) qb[i] = (uint8_t)(i * 37 + 11);
        struct cpose_quant_part parts[3] = {{a, 8, 0, 8, NULL, 0, 0, 0}, {NULL, 24, 4, 16, qb, 0, 0, 0}, {c, 5, 0, 5, NULL, 0, 0, 0}};
        CHECK(cpose_quant_nhwc(parts, 3, P, 29, 0.25f, 1, out) == CPOSE_OK);
        size_t bad = 0;
        for (int p = 0; p < P; p++) {
            for (int j = 0; j < 8; j++) bad += out[p * 29 + j] != ref_byte(a[p * 8 + j], 0.25f, 1);
            for (int j = 0; j < 16; j++) bad += out[p * 29 + 8 + j] != qb[p * 24 + 4 + j];
            for (int j = 0; j < 5; j++) bad += out[p * 29 + 24 + j] != ref_byte(c[p * 5 + j], 0.25f, 1);
        }
        CHECK_MSG(bad == 0, "a copied part between converted ones: %zu of %d bytes wrong", bad, P * 29);
        printf("  %4d pixels, a handed-off part copied between two converted ones\n", P);
        free(a), free(c);
    }
    /* a part read through a 2× and a 3× nearest upsample (up: 2 images of 3×5 pixels, 12 channels of 20,
     * at 6×10 or 9×15), then a full-size one: each destination pixel (h, w) takes the small part's (h/up,
     * w/up); the second chunk starts at pixel 64, inside a row and, at 3×, inside a source pixel's run */
    for (int up = 2; up <= 3; up++) {
        enum { N = 2, SH = 3, SW = 5 };
        int P = N * up * up * SH * SW;
        uint64_t seed = 5;
        float *s = make_tensor(N * SH * SW, 20, 0.25f, 0, &seed), *c = make_tensor(P, 9, 0.25f, 0, &seed);
        uint8_t *out = malloc((size_t)P * 21);
        struct cpose_quant_part parts[2] = {{s, 20, 3, 12, NULL, up, SH, SW}, {c, 9, 0, 9, NULL, 0, 0, 0}};
        CHECK(cpose_quant_nhwc(parts, 2, P, 21, 0.25f, 0, out) == CPOSE_OK);
        size_t bad = 0;
        for (int n = 0; n < N; n++)
            for (int h = 0; h < up * SH; h++)
                for (int w = 0; w < up * SW; w++) {
                    int p = (n * up * SH + h) * up * SW + w, q = (n * SH + h / up) * SW + w / up;
                    for (int j = 0; j < 12; j++) bad += out[p * 21 + j] != ref_byte(s[q * 20 + 3 + j], 0.25f, 0);
                    for (int j = 0; j < 9; j++) bad += out[p * 21 + 12 + j] != ref_byte(c[p * 9 + j], 0.25f, 0);
                }
        CHECK_MSG(bad == 0, "a part read through a %dx upsample: %zu of %d bytes wrong", up, bad, P * 21);
        printf("  %4d pixels, a part read through a %dx upsample next to a full-size one\n", P, up);
        free(s), free(c), free(out);
    }
    /* parts that do not add up to the source are refused, naming the counts */
    float x[16] = {0};
    uint8_t y[16];
    struct cpose_quant_part pt = {x, 16, 0, 8, NULL, 0, 0, 0};
    CHECK(cpose_quant_nhwc(&pt, 1, 1, 16, 1.0f, 1, y) == CPOSE_EINVAL);
    CHECK_MSG(strstr(cpose_errmsg(), "8 channels for a 16-channel source") != NULL, "message: %s", cpose_errmsg());
    for (int kind = 0; kind < 3; kind++) finish_case(kind, kind != CPOSE_I8_DST_U8, 40 + kind);
    finish_case(CPOSE_I8_DST_F32, 0, 50);
    finish_through_conv();
    return tl_finish();
#else
    printf("SKIP: not an x86 CPU (the conversion is an AVX2 loop)\n");
    return 77;
#endif
}
