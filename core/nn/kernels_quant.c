/* core/nn/kernels_quant.c — an int8 conv's source conversion (float32 NHWC → s8/u8 NHWC at its input
 * scale) on AVX2, and the epilogue that finishes a oneDNN int8 conv's int32 sums; see kernels_quant.h
 * for the contracts and why.
 *
 * The pixels are cut into chunks taken in turn by the threads (cpose_run_chunks); within a chunk each
 * pixel's parts are converted (or, handed off, copied) one after the other, 32 channels a step
 * (four vectors packed into one 32-byte store), then 8, then the last few with a masked load. The scaled values are clamped to the
 * type's range in float32 before vcvtps2dq rounds them (nearest even), so no value wraps. */
#include "core/nn/kernels_quant.h"
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_i8_store.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

int cpose_quant_wanted(int src_layout, int q_layout)
{
#ifdef CPOSE_X86
    const char *env = getenv("CPOSE_OWN_QUANT");
    return cpose_have_avx2() && src_layout == CPOSE_LAYOUT_NHWC && q_layout == CPOSE_LAYOUT_NHWC && !(env && !strcmp(env, "0"));
#else
    (void)src_layout, (void)q_layout;
    return 0;
#endif
}

#ifdef CPOSE_X86
struct quant_ctx {
    const struct cpose_quant_part *parts;
    int n_parts, cin, is_signed;
    float scale;
    uint8_t *dst;
};

/* The 8 floats at x, scaled, clamped to [lo, hi] and rounded to int32 (nearest even). */
static CPOSE_AVX2_FN inline __m256i scaled8(__m256 x, __m256 s, __m256 lo, __m256 hi)
{
    return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(x, s), lo), hi));
}

/* len channels from x to y (bytes). */
static CPOSE_AVX2_FN inline void convert_run(const float *x, uint8_t *y, int len, __m256 s, __m256 lo, __m256 hi, int is_u8)
{
    int j = 0;
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (; j + 32 <= len; j += 32) {
        __m256i a = scaled8(_mm256_loadu_ps(x + j), s, lo, hi), b = scaled8(_mm256_loadu_ps(x + j + 8), s, lo, hi);
        __m256i c = scaled8(_mm256_loadu_ps(x + j + 16), s, lo, hi), d = scaled8(_mm256_loadu_ps(x + j + 24), s, lo, hi);
        /* packs work within 128-bit lanes: a0–3 b0–3 c0–3 d0–3 | a4–7 b4–7 c4–7 d4–7, put in order */
        __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
        __m256i q = is_u8 ? _mm256_packus_epi16(ab, cd) : _mm256_packs_epi16(ab, cd);
        _mm256_storeu_si256((__m256i *)(y + j), _mm256_permutevar8x32_epi32(q, order));
    }
    for (; j + 8 <= len; j += 8) _mm_storel_epi64((__m128i *)(y + j), cpose_i8_pack8(scaled8(_mm256_loadu_ps(x + j), s, lo, hi), is_u8));
    if (j < len) {
        uint8_t tmp[16];
        __m256 v = _mm256_maskload_ps(x + j, cpose_i8_lanes(len - j));
        _mm_storeu_si128((__m128i *)tmp, cpose_i8_pack8(scaled8(v, s, lo, hi), is_u8));
        memcpy(y + j, tmp, (size_t)(len - j));
    }
}

/* The pixel of upsampled part pt that destination pixel p reads (see cpose_quant_part.up). */
static inline int64_t source_pixel(const struct cpose_quant_part *pt, int64_t p)
{
    int64_t W = pt->src_w * pt->up, HW = pt->src_h * pt->up * W, n = p / HW, h = p % HW / W, w = p % W;
    return (n * pt->src_h + h / pt->up) * pt->src_w + w / pt->up;
}

static CPOSE_AVX2_FN void quant_chunk(const void *ctxv, int64_t n, int64_t first, int count, void *a, void *b)
{
    (void)n, (void)a, (void)b;
    const struct quant_ctx *c = ctxv;
    const __m256 s = _mm256_set1_ps(c->scale);
    const __m256 lo = _mm256_set1_ps(c->is_signed ? -128.0f : 0.0f), hi = _mm256_set1_ps(c->is_signed ? 127.0f : 255.0f);
    /* an upsampled part's source pixel (src[k]) steps by one every up destination pixels (phase[k]) along
     * a destination row of W pixels, and is found anew (source_pixel) where a row or the chunk starts */
    int64_t W = 0, w = 0, src[CPOSE_GATHER_MAX];
    int phase[CPOSE_GATHER_MAX];
    for (int k = 0; k < c->n_parts; k++)
        if (c->parts[k].up > 1) W = c->parts[k].src_w * c->parts[k].up;
    for (int64_t p = first; p < first + count; p++) {
        if (W && (p == first || w == 0)) {
            w = p % W;
            for (int k = 0; k < c->n_parts; k++)
                if (c->parts[k].up > 1) src[k] = source_pixel(&c->parts[k], p), phase[k] = (int)(w % c->parts[k].up);
        }
        uint8_t *y = c->dst + p * c->cin;
        for (int k = 0; k < c->n_parts; k++) {
            const struct cpose_quant_part *pt = &c->parts[k];
            int64_t sp = p;
            if (pt->up > 1) {
                sp = src[k];
                if (++phase[k] == pt->up) phase[k] = 0, src[k]++;
            }
            if (pt->q)
                memcpy(y, (const uint8_t *)pt->q + sp * pt->stride + pt->c0, (size_t)pt->len);
            else
                convert_run(pt->data + sp * pt->stride + pt->c0, y, pt->len, s, lo, hi, !c->is_signed);
            y += pt->len;
        }
        if (W && ++w == W) w = 0;
    }
}
#endif

int cpose_quant_nhwc(const struct cpose_quant_part *parts, int n_parts, int64_t P, int cin, float scale, int is_signed,
                     void *dst)
{
    int64_t sum = 0;
    for (int k = 0; k < n_parts; k++) sum += parts[k].len;
    if (n_parts < 1 || n_parts > CPOSE_GATHER_MAX || sum != cin)
        return cpose_err(CPOSE_EINVAL, "int8 source conversion: %d parts of %lld channels for a %d-channel source", n_parts,
                         (long long)sum, cin);
#ifdef CPOSE_X86
    struct quant_ctx c = {parts, n_parts, cin, is_signed, scale, dst};
    /* at least 8 chunks a thread (a thread slowed by a neighbour takes fewer), of ≥ 64 pixels */
    int64_t per = (P + 8 * omp_get_max_threads() - 1) / (8 * omp_get_max_threads());
    if (per < 64) per = 64;
    return cpose_run_chunks(1, P, per, 64, 64, quant_chunk, &c, "int8 source conversion");
#else
    (void)P, (void)scale, (void)is_signed, (void)dst;
    return cpose_err(CPOSE_ENOTSUP, "int8 source conversion: needs an x86 CPU with AVX2");
#endif
}

#ifdef CPOSE_X86
struct finish_ctx {
    const int32_t *acc;
    int cout, act, kind;
    const float *oscale, *bias, *res;
    float to_scale;
    void *dst;
};

static CPOSE_AVX2_FN void finish_chunk(const void *ctxv, int64_t n, int64_t first, int count, void *a, void *b)
{
    (void)n, (void)a, (void)b;
    const struct finish_ctx *c = ctxv;
    int cout = c->cout;
    for (int o = 0; o < cout; o += 8) {
        int nc = cout - o < 8 ? cout - o : 8;
        __m256i m = cpose_i8_lanes(nc);
        __m256 scale = _mm256_maskload_ps(c->oscale + o, m);
        __m256 bias = c->bias ? _mm256_maskload_ps(c->bias + o, m) : _mm256_setzero_ps();
        int64_t p = first;
        for (; p + 4 <= first + count; p += 4) { /* four pixels at a time: their SiLU chains overlap */
            __m256 v[4];
            int64_t off[4];
            int lanes[4] = {nc, nc, nc, nc};
            for (int i = 0; i < 4; i++) {
                const int32_t *x = c->acc + (p + i) * cout + o;
                __m256i q = nc == 8 ? _mm256_loadu_si256((const __m256i *)x) : _mm256_maskload_epi32(x, m);
                v[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q), scale, bias), off[i] = (p + i) * cout + o;
            }
            cpose_i8_finish8_n(c->dst, off, v, lanes, 4, c->act == CPOSE_ACT_SILU, c->res, c->kind, c->to_scale);
        }
        for (; p < first + count; p++) {
            const int32_t *x = c->acc + p * cout + o;
            __m256i q = nc == 8 ? _mm256_loadu_si256((const __m256i *)x) : _mm256_maskload_epi32(x, m);
            __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q), scale, bias);
            cpose_i8_finish8(c->dst, p * cout + o, v, nc, c->act == CPOSE_ACT_SILU, c->res, c->kind, c->to_scale);
        }
    }
}
#endif

int cpose_i8_finish_nhwc(const int32_t *acc, int64_t P, int cout, const float *oscale, const float *bias, int act,
                         const float *res, void *dst, int dst_kind, float to_scale)
{
#ifdef CPOSE_X86
    if (!cpose_have_avx2()) return cpose_err(CPOSE_ENOTSUP, "int8 conv epilogue: needs an x86 CPU with AVX2");
    struct finish_ctx c = {acc, cout, act, dst_kind, oscale, bias, res, to_scale, dst};
    int64_t per = (P + 8 * omp_get_max_threads() - 1) / (8 * omp_get_max_threads());
    if (per < 64) per = 64;
    return cpose_run_chunks(1, P, per, 64, 64, finish_chunk, &c, "int8 conv epilogue");
#else
    (void)acc, (void)P, (void)cout, (void)oscale, (void)bias, (void)act, (void)res, (void)dst, (void)dst_kind, (void)to_scale;
    return cpose_err(CPOSE_ENOTSUP, "int8 conv epilogue: needs an x86 CPU with AVX2");
#endif
}
