/* core/nn/kernels_bf16_gemm.h — internal: the bf16 GEMM micro-kernels shared by cpose's own bf16
 * convolutions (the Winograd 3×3 of core/nn/kernels_wino_bf16.c and the
 * implicit GEMM of core/nn/kernels_conv_bf16.c), and the rounding of their weights.
 *
 * M[r][o] = Σ_k V[r][k]·U[k][o] in float32 on vdpbf16ps (AVX512_BF16), which multiplies a pair of
 * bf16 from each operand and adds both products to a float32 lane. V holds CPOSE_BF16_TR rows of bf16
 * with consecutive k adjacent (a pair, broadcast as one 32-bit value); U holds, per block of 32 output
 * columns, the block's pair rows [k/2][o][2] (16 output columns to a 512-bit register), so that a
 * micro-kernel reads one contiguous run of U. Rows of 12 × 32 columns keep 24 accumulators in
 * registers. Call only where cpose_bf16_gemm_cpu() said yes. */
#ifndef CPOSE_KERNELS_BF16_GEMM_H
#define CPOSE_KERNELS_BF16_GEMM_H

#include "core/base/simd_avx2.h"

#include <stdint.h>
#include <string.h>

#define CPOSE_BF16_TR 12 /* rows per micro-kernel call */

/* f rounded to the nearest bf16, ties to even (f finite). */
static inline uint16_t cpose_bf16_round(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

/* Where U[k][o] (K rows, K even; coutp columns, a multiple of 16) lives: per block of 32 columns (ob..;
 * the last one 16 wide where coutp is an odd multiple of 16), the block's K/2 pair rows of bw columns
 * one after the other. (Pair rows of all coutp columns, of which a micro-kernel reads 128 bytes each,
 * had been a strided walk through U, slow on its first pass from memory.) */
static inline size_t cpose_bf16_pair_index(int k, int o, int coutp, int K)
{
    int ob = o / 32 * 32, bw = coutp - ob < 32 ? coutp - ob : 32;
    return (size_t)ob * K + ((size_t)(k / 2) * bw + (size_t)(o - ob)) * 2 + (k & 1);
}

#ifdef CPOSE_X86
#define CPOSE_BF16_FN __attribute__((target("avx2,fma,avx512f,avx512vl,avx512bw,avx512dq,avx512bf16")))

/* 1 when the CPU runs AVX512_BF16 (with AVX512VL, AVX2 and FMA), checked once. */
static inline int cpose_bf16_gemm_cpu(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = cpose_have_avx2() && __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512vl");
    }
    return cached;
}

/* M[r][0..16·NB) = Σ_k V[r][k]·U[k][0..16·NB) for r < CPOSE_BF16_TR, NB = 1 or 2 registers of 16
 * columns: V rows ldv bf16 apart, kp pairs of k; U's pair rows ldu bf16 apart; M rows ldm floats
 * apart (stored, not accumulated). */
#define CPOSE_GEMM_BF16(NAME, NB)                                                                                     \
    static CPOSE_BF16_FN inline void NAME(const uint16_t *V, int64_t ldv, const uint16_t *U, int64_t ldu, float *M,   \
                                          int64_t ldm, int kp)                                                        \
    {                                                                                                                 \
        __m512 c[CPOSE_BF16_TR][NB];                                                                                  \
        _Pragma("GCC unroll 12") for (int r = 0; r < CPOSE_BF16_TR; r++) _Pragma("GCC unroll 2") for (int j = 0;      \
                                                                                                    j < NB; j++)      \
            c[r][j] = _mm512_setzero_ps();                                                                            \
        for (int k = 0; k < kp; k++) {                                                                                \
            __m512bh b[NB];                                                                                           \
            _Pragma("GCC unroll 2") for (int j = 0; j < NB; j++) b[j] =                                               \
                (__m512bh)_mm512_loadu_si512(U + k * ldu + 32 * j);                                                   \
            _Pragma("GCC unroll 12") for (int r = 0; r < CPOSE_BF16_TR; r++)                                          \
            {                                                                                                         \
                int32_t pair;                                                                                         \
                memcpy(&pair, V + r * ldv + 2 * k, sizeof pair);                                                      \
                __m512bh a = (__m512bh)_mm512_set1_epi32(pair);                                                       \
                _Pragma("GCC unroll 2") for (int j = 0; j < NB; j++) c[r][j] = _mm512_dpbf16_ps(c[r][j], a, b[j]);    \
            }                                                                                                         \
        }                                                                                                             \
        _Pragma("GCC unroll 12") for (int r = 0; r < CPOSE_BF16_TR; r++) _Pragma("GCC unroll 2") for (int j = 0;      \
                                                                                                    j < NB; j++)      \
            _mm512_storeu_ps(M + r * ldm + 16 * j, c[r][j]);                                                          \
    }
CPOSE_GEMM_BF16(cpose_gemm_bf16_32, 2)
CPOSE_GEMM_BF16(cpose_gemm_bf16_16, 1)

/* M[0..rows)[0..coutp) = V·U for rows a multiple of CPOSE_BF16_TR, coutp a multiple of 16, kp pairs:
 * V rows ldv bf16 apart, U as cpose_bf16_pair_index(·, ·, coutp, 2·kp) places it, M rows of coutp floats. */
static CPOSE_BF16_FN inline void cpose_gemm_bf16(const uint16_t *V, int64_t ldv, const uint16_t *U, float *M, int rows,
                                                 int coutp, int kp)
{
    for (int t = 0; t < rows; t += CPOSE_BF16_TR) {
        int o = 0;
        for (; o + 32 <= coutp; o += 32)
            cpose_gemm_bf16_32(V + t * ldv, ldv, U + cpose_bf16_pair_index(0, o, coutp, 2 * kp), 64, M + (int64_t)t * coutp + o, coutp, kp);
        if (o < coutp)
            cpose_gemm_bf16_16(V + t * ldv, ldv, U + cpose_bf16_pair_index(0, o, coutp, 2 * kp), 32, M + (int64_t)t * coutp + o, coutp, kp);
    }
}
#endif

#endif
