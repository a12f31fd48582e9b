/* core/nn/kernels_i8_store.h — internal: how cpose's own int8-model kernels (the int16 Winograd of
 * kernels_wino_int8.c, the u8·s8 GEMM of kernels_gemm_int8.c, the float32 stem conv of kernels_stem.c,
 * the source conversion and epilogue of kernels_quant.c) finish and store 8 output channels of a pixel:
 * SiLU and the residual, then float32, or the int8 reader's u8/s8 source at its scale (a hand-off,
 * kernels_lowp.c), rounded to nearest even and saturated as oneDNN's int8 output conversion does. */
#ifndef CPOSE_KERNELS_I8_STORE_H
#define CPOSE_KERNELS_I8_STORE_H

#include "core/base/simd_avx2.h"

#include <stdint.h>
#include <string.h>

/* The kinds of an output: float32, or the reader's source type at its scale (a hand-off). */
enum cpose_i8_dst { CPOSE_I8_DST_F32, CPOSE_I8_DST_U8, CPOSE_I8_DST_S8 };

#ifdef CPOSE_X86
/* A switch over (silu 0/1, kind) that runs CASE(SILU, KIND) with both as constants, so that an epilogue
 * inlined into CASE tests neither per vector. */
#define CPOSE_I8_EPILOGUE_SWITCH(silu, kind, CASE)                                           \
    switch ((silu) * 3 + (kind)) {                                                             \
    case 0: CASE(0, CPOSE_I8_DST_F32); break;                                                  \
    case 1: CASE(0, CPOSE_I8_DST_U8); break;                                                   \
    case 2: CASE(0, CPOSE_I8_DST_S8); break;                                                   \
    case 3: CASE(1, CPOSE_I8_DST_F32); break;                                                  \
    case 4: CASE(1, CPOSE_I8_DST_U8); break;                                                   \
    case 5: CASE(1, CPOSE_I8_DST_S8); break;                                                   \
    }

/* The first n of 8 lanes set (a mask for maskload/maskstore). */
static CPOSE_AVX2_FN inline __m256i cpose_i8_lanes(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The 8 int32 lanes of q saturated to u8 (is_u8) or s8, in bytes 0–7 of the result (in order). */
static CPOSE_AVX2_FN inline __m128i cpose_i8_pack8(__m256i q, int is_u8)
{
    __m256i s16 = _mm256_packs_epi32(q, q); /* saturates */
    __m256i b8 = is_u8 ? _mm256_packus_epi16(s16, s16) : _mm256_packs_epi16(s16, s16);
    return _mm_unpacklo_epi32(_mm256_castsi256_si128(b8), _mm256_extracti128_si256(b8, 1)); /* lanes 0–3, then 4–7 */
}

/* The u8/s8 store of cpose_i8_store8 for v already times to_scale: rounded, saturated, n bytes at off. */
static CPOSE_AVX2_FN inline void cpose_i8_store8_scaled(void *dst, int64_t off, __m256 v, int n, int kind)
{
    __m128i bytes = cpose_i8_pack8(_mm256_cvtps_epi32(v), kind == CPOSE_I8_DST_U8);
    uint8_t *y = (uint8_t *)dst + off;
    if (n >= 8) {
        _mm_storel_epi64((__m128i *)y, bytes);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, bytes);
        memcpy(y, tmp, (size_t)n);
    }
}

/* Stores 8 channels (n of them real) of a pixel at element off of dst: float32, or ·to_scale rounded
 * and saturated to u8/s8 (kind, enum cpose_i8_dst). */
static CPOSE_AVX2_FN inline void cpose_i8_store8(void *dst, int64_t off, __m256 v, int n, int kind, float to_scale)
{
    if (kind == CPOSE_I8_DST_F32) {
        float *y = (float *)dst + off;
        if (n >= 8)
            _mm256_storeu_ps(y, v);
        else
            _mm256_maskstore_ps(y, cpose_i8_lanes(n), v);
        return;
    }
    cpose_i8_store8_scaled(dst, off, _mm256_mul_ps(v, _mm256_set1_ps(to_scale)), n, kind);
}
/* The end of every such kernel's epilogue, for N vectors of 8 channels (N a constant, 1..4): v[i] (n[i]
 * of its lanes real) at element off[i] of dst gets SiLU when silu, plus res[off[i]..] when res is set
 * (float32, the output's layout), and is stored as kind (cpose_i8_store8; a hand-off without residual
 * takes to_scale in the SiLU's last multiply). Kernels hand over four vectors where they can: the
 * SiLU's chains then overlap (cpose_silu8_poly3_n), which one chain after the other did not, the core
 * waiting on each (one Zen 3 thread, SiLU to s8: the int16 Winograd 64→64 at 80² 1.32 → 1.20 ms, the
 * u8·s8 GEMM 64→64 1×1 at 80² 0.60 → 0.50 ms, the stem 2.27 → 1.9 ms; README, stop 37). */
static CPOSE_AVX2_FN inline __attribute__((always_inline)) void cpose_i8_finish8_n(void *dst, const int64_t *off, __m256 *v,
                                                                                   const int *n, const int N, int silu,
                                                                                   const float *res, int kind, float to_scale)
{
    if (silu && !res && kind != CPOSE_I8_DST_F32) {
        cpose_silu8_poly3_n(v, N, &to_scale);
#pragma GCC unroll 4
        for (int i = 0; i < N; i++) cpose_i8_store8_scaled(dst, off[i], v[i], n[i], kind);
        return;
    }
    if (silu) cpose_silu8_poly3_n(v, N, NULL);
#pragma GCC unroll 4
    for (int i = 0; i < N; i++) {
        __m256 y = v[i];
        if (res)
            y = _mm256_add_ps(y, n[i] >= 8 ? _mm256_loadu_ps(res + off[i]) : _mm256_maskload_ps(res + off[i], cpose_i8_lanes(n[i])));
        cpose_i8_store8(dst, off[i], y, n[i], kind, to_scale);
    }
}

/* One vector: v (n channels real) at element off. */
static CPOSE_AVX2_FN inline void cpose_i8_finish8(void *dst, int64_t off, __m256 v, int n, int silu, const float *res, int kind,
                                                 float to_scale)
{
    cpose_i8_finish8_n(dst, &off, &v, &n, 1, silu, res, kind, to_scale);
}
#endif

#endif
