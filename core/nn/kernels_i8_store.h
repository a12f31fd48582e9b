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
    __m128i bytes = cpose_i8_pack8(_mm256_cvtps_epi32(_mm256_mul_ps(v, _mm256_set1_ps(to_scale))), kind == CPOSE_I8_DST_U8);
    uint8_t *y = (uint8_t *)dst + off;
    if (n >= 8) {
        _mm_storel_epi64((__m128i *)y, bytes);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, bytes);
        memcpy(y, tmp, (size_t)n);
    }
}

/* The end of every such kernel's epilogue, for 8 channels (n real) of a pixel at element off of dst:
 * SiLU of v when silu (cpose_silu8_poly3: no division, and a degree-3 e^x, for the Winograd 12.8 →
 * 12.0 ms against cpose_exp8 and vrcpps, minima of bench_wino_int8 on a Zen 3), plus res[off..] when
 * res is set (float32, the output's layout), stored as kind (cpose_i8_store8). */
static CPOSE_AVX2_FN inline void cpose_i8_finish8(void *dst, int64_t off, __m256 v, int n, int silu, const float *res, int kind,
                                                 float to_scale)
{
    if (silu) v = cpose_silu8_poly3(v);
    if (res) v = _mm256_add_ps(v, n >= 8 ? _mm256_loadu_ps(res + off) : _mm256_maskload_ps(res + off, cpose_i8_lanes(n)));
    cpose_i8_store8(dst, off, v, n, kind, to_scale);
}
#endif

#endif
