/* core/nn/kernels_wino_tile.h — internal: the per-tile input and output transforms of Winograd
 * F(2×2, 3×3), for one channel block held in a vector per pixel: 8 lanes (AVX2, the float32 kernel on
 * nChw8c, core/nn/kernels_wino.c) and 16 lanes (AVX-512, the bf16 kernel on nChw16c,
 * core/nn/kernels_wino_bf16.c). Both are made from one template, so they compute the same operations
 * in the same order. Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], Aᵀ = [1 1 1 0; 0 1 −1 −1]. Call
 * the 8-lane ones only after cpose_have_avx2() said yes, the 16-lane ones on an AVX-512 CPU. */
#ifndef CPOSE_KERNELS_WINO_TILE_H
#define CPOSE_KERNELS_WINO_TILE_H

#include "core/nn/graph.h"
#include "core/base/simd_avx2.h"
#include "core/base/simd_avx512.h"

#ifdef CPOSE_X86
/* cpose_wino_input_tile<L>: v[ξ] = (Bᵀ d B)[ξ / 4][ξ % 4] for the 4×4 input tile d whose top-left
 * pixel is (h0, w0) of the H×W plane xc (pixels pix floats apart, L channels each); pixels outside the
 * plane, and all of them when !valid (a padding tile), are 0; tiles inside skip the per-pixel checks.
 * cpose_wino_output_tile<L>: y = act(Aᵀ m A + bias) [+ res] for the 2×2 output tile at (oh, ow) of the
 * H×W plane yc (pixels pix floats apart; rc the residual's plane with the same strides, or NULL), from
 * its 16 transformed outputs m[ξ]; pixels beyond the plane's last row or column are not written.
 * cpose_wino_output_block<L>: the output tiles t0..t0+nt−1 (row-major over tW a row) of channels
 * c0..c0+L−1, from M[ξ][tile][coutp] (ntp tiles to a ξ), into the planes yc / rc (pixels L floats apart). */
#define CPOSE_WINO_TILE_FNS(L, FN, VEC, LOAD, LOADU, STOREU, ZERO, ADD, SUB, SILU)                               \
    static FN inline void cpose_wino_input_tile##L(const float *xc, int64_t H, int64_t W, int64_t h0, int64_t w0, \
                                                   int64_t pix, int valid, VEC v[16])                            \
    {                                                                                                            \
        VEC d[4][4], e[4][4];                                                                                    \
        int inside = valid && h0 >= 0 && h0 + 3 < H && w0 >= 0 && w0 + 3 < W;                                   \
        for (int a = 0; a < 4; a++)                                                                              \
            for (int b = 0; b < 4; b++) {                                                                        \
                int64_t h = h0 + a, ww = w0 + b;                                                                 \
                d[a][b] = inside || (valid && h >= 0 && h < H && ww >= 0 && ww < W) ? LOADU(xc + (h * W + ww) * pix) \
                                                                                   : ZERO();                     \
            }                                                                                                    \
        for (int b = 0; b < 4; b++) { /* Bᵀ d */                                                                 \
            e[0][b] = SUB(d[0][b], d[2][b]);                                                                     \
            e[1][b] = ADD(d[1][b], d[2][b]);                                                                     \
            e[2][b] = SUB(d[2][b], d[1][b]);                                                                     \
            e[3][b] = SUB(d[1][b], d[3][b]);                                                                     \
        }                                                                                                        \
        for (int a = 0; a < 4; a++) { /* (Bᵀ d) B */                                                             \
            v[a * 4 + 0] = SUB(e[a][0], e[a][2]);                                                                \
            v[a * 4 + 1] = ADD(e[a][1], e[a][2]);                                                                \
            v[a * 4 + 2] = SUB(e[a][2], e[a][1]);                                                                \
            v[a * 4 + 3] = SUB(e[a][1], e[a][3]);                                                                \
        }                                                                                                        \
    }                                                                                                            \
    static FN inline void cpose_wino_output_tile##L(const VEC m[16], VEC bias, int act, const float *rc,         \
                                                    float *yc, int64_t H, int64_t W, int64_t oh, int64_t ow,     \
                                                    int64_t pix)                                                 \
    {                                                                                                            \
        VEC s[2][4];                                                                                             \
        for (int b = 0; b < 4; b++) { /* Aᵀ m */                                                                 \
            s[0][b] = ADD(ADD(m[b], m[4 + b]), m[8 + b]);                                                        \
            s[1][b] = SUB(SUB(m[4 + b], m[8 + b]), m[12 + b]);                                                   \
        }                                                                                                        \
        for (int a = 0; a < 2 && oh + a < H; a++) {                                                              \
            VEC r[2] = {ADD(ADD(s[a][0], s[a][1]), s[a][2]), SUB(SUB(s[a][1], s[a][2]), s[a][3])};               \
            for (int b = 0; b < 2 && ow + b < W; b++) {                                                          \
                VEC v = ADD(r[b], bias);                                                                         \
                if (act == CPOSE_ACT_SILU) v = SILU(v);                                                          \
                int64_t off = ((oh + a) * W + ow + b) * pix;                                                     \
                if (rc) v = ADD(v, LOADU(rc + off));                                                             \
                STOREU(yc + off, v);                                                                             \
            }                                                                                                    \
        }                                                                                                        \
    }                                                                                                            \
    static FN inline void cpose_wino_output_block##L(const float *M, int64_t ntp, int64_t coutp, int64_t c0,      \
                                                     VEC bias, int act, const float *rc, float *yc, int64_t H,   \
                                                     int64_t W, int64_t tW, int64_t t0, int nt)                  \
    {                                                                                                            \
        for (int t = 0; t < nt; t++) {                                                                           \
            VEC m[16];                                                                                           \
            for (int xi = 0; xi < 16; xi++) m[xi] = LOAD(M + ((int64_t)xi * ntp + t) * coutp + c0);              \
            cpose_wino_output_tile##L(m, bias, act, rc, yc, H, W, 2 * ((t0 + t) / tW), 2 * ((t0 + t) % tW), L);  \
        }                                                                                                        \
    }

/* x·sigmoid(x) on 8 lanes, as the float32 kernels have always computed it */
static CPOSE_AVX2_FN inline __m256 cpose_wino_silu8(__m256 x) { return _mm256_mul_ps(x, cpose_sigmoid8(x)); }

CPOSE_WINO_TILE_FNS(8, CPOSE_AVX2_FN, __m256, _mm256_load_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps, _mm256_add_ps,
                    _mm256_sub_ps, cpose_wino_silu8)
CPOSE_WINO_TILE_FNS(16, CPOSE_AVX512_FN, __m512, _mm512_load_ps, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_setzero_ps, _mm512_add_ps,
                    _mm512_sub_ps, cpose_silu16)
#endif

#endif
