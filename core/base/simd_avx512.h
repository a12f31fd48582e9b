/* core/base/simd_avx512.h — AVX-512 vector helpers (internal): e^x and x·sigmoid(x) on 16 lanes, for the
 * epilogues of cpose's own bf16 kernels (core/nn/kernels_wino_bf16.c, kernels_conv_bf16.c). Functions
 * carry target("avx512f") so the default build compiles them; call them only from functions with that
 * target, on a CPU that has it. */
#ifndef CPOSE_SIMD_AVX512_H
#define CPOSE_SIMD_AVX512_H

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "core/base/simd_avx2.h" /* the e^x constants */
#define CPOSE_AVX512_FN __attribute__((target("avx512f")))

/* e^x on 16 lanes: cpose_exp8's method and constants (simd_avx2.h), with 2^k applied by vscalefps.
 * Relative error ≈ 2 ulp. */
static CPOSE_AVX512_FN inline __m512 cpose_exp16(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(CPOSE_EXP_LO)), _mm512_set1_ps(CPOSE_EXP_HI));
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(CPOSE_EXP_LOG2E)), _MM_FROUND_TO_NEAREST_INT);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(CPOSE_EXP_LN2_HI), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(CPOSE_EXP_LN2_LO), r);
    static const float c[6] = CPOSE_EXP_POLY;
    __m512 p = _mm512_set1_ps(c[0]);
    for (int i = 1; i < 6; i++) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c[i]));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, k);
}

/* x / (1 + e^−x) on 16 lanes, the reciprocal by vrcp14ps and one Newton step (no division). */
static CPOSE_AVX512_FN inline __m512 cpose_silu16(__m512 x)
{
    __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), cpose_exp16(_mm512_sub_ps(_mm512_setzero_ps(), x)));
    __m512 r = _mm512_rcp14_ps(d);
    r = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
    return _mm512_mul_ps(x, r);
}
#endif

#endif
