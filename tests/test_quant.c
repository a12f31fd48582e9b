/* tests/test_quant.c — the int8 conv's source conversion on AVX2 (core/nn/kernels_quant.c): float32
 * NHWC parts → s8/u8 at a scale, against a scalar rounding (nearest even) and saturation of the same
 * products, and against oneDNN's own reorder (the conversion it replaces) byte for byte: parts of 1 to
 * 67 channels at channel offsets inside wider tensors (every 32/8/tail path), ties, values past the
 * range and past int32, s8 and u8; the same bytes on 1 and 2 threads; a handed-off part (a producer's
 * bytes) copied between converted ones; parts that do not add up to the source's channels refused. Skips where the CPU has no AVX2. */
/* cpose-layer: nn */
#include "core/base/simd_avx2.h"
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_quant.h"
#include "tests/testlib.h"

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
        pt[k] = (struct cpose_quant_part){src[k], q->stride[k], q->c0[k], q->len[k], NULL};
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
        struct cpose_quant_part parts[3] = {{a, 8, 0, 8, NULL}, {NULL, 24, 4, 16, qb}, {c, 5, 0, 5, NULL}};
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
    /* parts that do not add up to the source are refused, naming the counts */
    float x[16] = {0};
    uint8_t y[16];
    struct cpose_quant_part pt = {x, 16, 0, 8, NULL};
    CHECK(cpose_quant_nhwc(&pt, 1, 1, 16, 1.0f, 1, y) == CPOSE_EINVAL);
    CHECK_MSG(strstr(cpose_errmsg(), "8 channels for a 16-channel source") != NULL, "message: %s", cpose_errmsg());
    return tl_finish();
#else
    printf("SKIP: not an x86 CPU (the conversion is an AVX2 loop)\n");
    return 77;
#endif
}
