/* core/base/simd_avx2.h — AVX2/FMA vector helpers shared by hand-vectorised kernels (internal): e^x
 * and the logistic function on 8 lanes, and the runtime CPU check. Functions carry
 * target("avx2,fma") so the default (non -march=native) build compiles them; call them only from
 * functions with the same target, after cpose_have_avx2() said yes. */
#ifndef CPOSE_SIMD_AVX2_H
#define CPOSE_SIMD_AVX2_H

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPOSE_X86 1
#define CPOSE_AVX2_FN __attribute__((target("avx2,fma")))

/* 1 when the CPU runs AVX2 and FMA (checked once). */
static inline int cpose_have_avx2(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}

/* The e^x method of cpose_exp8 and cpose_exp16 (simd_avx512.h): x clamped to [CPOSE_EXP_LO,
 * CPOSE_EXP_HI], x = k·ln2 + r (ln2 split in a high and a low part for exactness), e^r = 1 + r + r²·P(r)
 * with P's degree-5 minimax coefficients (Cephes' expf), highest first. */
#define CPOSE_EXP_LO (-87.0f)
#define CPOSE_EXP_HI 88.0f
#define CPOSE_EXP_LOG2E 1.44269504088896341f
#define CPOSE_EXP_LN2_HI 0.693359375f
#define CPOSE_EXP_LN2_LO (-2.12194440e-4f)
#define CPOSE_EXP_POLY {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f}

/* e^x on 8 lanes (the method above), 2^k through the exponent bits. Relative error ≈ 2 ulp. */
static CPOSE_AVX2_FN inline __m256 cpose_exp8(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(CPOSE_EXP_LO)), _mm256_set1_ps(CPOSE_EXP_HI));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(CPOSE_EXP_LOG2E)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(CPOSE_EXP_LN2_HI), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(CPOSE_EXP_LN2_LO), r);
    static const float c[6] = CPOSE_EXP_POLY;
    __m256 y = _mm256_set1_ps(c[0]);
    for (int i = 1; i < 6; i++) y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(c[i]));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* 1 / (1 + e^−x) on 8 lanes. */
static CPOSE_AVX2_FN inline __m256 cpose_sigmoid8(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, cpose_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/* x[i] / (1 + e^−x[i]) for i < n (n a constant, 1..4) on 8 lanes each, times *scale when scale is set
 * (an int8 hand-off's output scale, where the quotient's last multiply takes it), to a relative error of 1e-4,
 * for int8 kernels' epilogues (an 8-bit step is ≥ 4e-3 of the range): e^−x = 2^t, t = −x·log₂e clamped
 * to [−126, 126], as 2^round(t) through the exponent bits times a degree-3 polynomial of the rest
 * (relative error ≤ 7.5e-5 on [−½, ½], fitted for the relative error), the reciprocal by vrcpps and one
 * Newton step (no division): 16 operations against 25 with cpose_exp8. The n vectors go through each
 * step together, so that their dependency chains (~60 cycles each) overlap (cpose_i8_finish8_n). */
static CPOSE_AVX2_FN inline __attribute__((always_inline)) void cpose_silu8_poly3_n(__m256 *x, const int n, const float *scale)
{
    __m256 t[4], f[4], p[4], d[4], r[4];
    __m256i k[4];
#pragma GCC unroll 4
    for (int i = 0; i < n; i++) {
        t[i] = _mm256_mul_ps(x[i], _mm256_set1_ps(-CPOSE_EXP_LOG2E));
        t[i] = _mm256_min_ps(_mm256_max_ps(t[i], _mm256_set1_ps(-126.0f)), _mm256_set1_ps(126.0f));
    }
#pragma GCC unroll 4
    for (int i = 0; i < n; i++) {
        __m256 kf = _mm256_round_ps(t[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        f[i] = _mm256_sub_ps(t[i], kf), k[i] = _mm256_slli_epi32(_mm256_cvtps_epi32(kf), 23);
    }
#pragma GCC unroll 4
    for (int i = 0; i < n; i++) p[i] = _mm256_fmadd_ps(_mm256_set1_ps(0.055171434f), f[i], _mm256_set1_ps(0.24261081f));
#pragma GCC unroll 4
    for (int i = 0; i < n; i++) p[i] = _mm256_fmadd_ps(p[i], f[i], _mm256_set1_ps(0.69326097f));
#pragma GCC unroll 4
    for (int i = 0; i < n; i++) p[i] = _mm256_fmadd_ps(p[i], f[i], _mm256_set1_ps(0.99992812f));
#pragma GCC unroll 4
    for (int i = 0; i < n; i++) {
        d[i] = _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p[i]), k[i])));
        r[i] = _mm256_rcp_ps(d[i]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < n; i++) {
        __m256 xs = scale ? _mm256_mul_ps(x[i], _mm256_set1_ps(*scale)) : x[i];
        x[i] = _mm256_mul_ps(xs, _mm256_mul_ps(r[i], _mm256_fnmadd_ps(d[i], r[i], _mm256_set1_ps(2.0f))));
    }
}

/* cpose_silu8_poly3_n for one vector. */
static CPOSE_AVX2_FN inline __m256 cpose_silu8_poly3(__m256 x)
{
    cpose_silu8_poly3_n(&x, 1, NULL);
    return x;
}
#endif

#endif
