/* core/nn/kernels_wino_tile.h — internal: the per-tile input and output transforms of Winograd
 * F(2×2, 3×3) on 8 channels (one __m256 per pixel), shared by the float32 kernel on nChw8c
 * (core/nn/kernels_wino.c) and the bf16 one on nChw16c (core/nn/kernels_wino_bf16.c, which runs
 * them on each 8-channel half of a block). Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
 * Aᵀ = [1 1 1 0; 0 1 −1 −1]. Call only after cpose_have_avx2() said yes. */
#ifndef CPOSE_KERNELS_WINO_TILE_H
#define CPOSE_KERNELS_WINO_TILE_H

#include "core/nn/graph.h"
#include "core/base/simd_avx2.h"

#ifdef CPOSE_X86
/* v[ξ] = (Bᵀ d B)[ξ / 4][ξ % 4] for the 4×4 input tile d whose top-left pixel is (h0, w0) of the
 * H×W plane xc (pixels pix floats apart, 8 channels each); pixels outside the plane, and all of
 * them when !valid (a padding tile), are 0. */
static CPOSE_AVX2_FN inline void cpose_wino_input_tile8(const float *xc, int64_t H, int64_t W, int64_t h0, int64_t w0,
                                                        int64_t pix, int valid, __m256 v[16])
{
    __m256 d[4][4], e[4][4];
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            int64_t h = h0 + a, ww = w0 + b;
            d[a][b] = valid && h >= 0 && h < H && ww >= 0 && ww < W ? _mm256_loadu_ps(xc + (h * W + ww) * pix)
                                                                    : _mm256_setzero_ps();
        }
    for (int b = 0; b < 4; b++) {  /* Bᵀ d */
        e[0][b] = _mm256_sub_ps(d[0][b], d[2][b]);
        e[1][b] = _mm256_add_ps(d[1][b], d[2][b]);
        e[2][b] = _mm256_sub_ps(d[2][b], d[1][b]);
        e[3][b] = _mm256_sub_ps(d[1][b], d[3][b]);
    }
    for (int a = 0; a < 4; a++) {  /* (Bᵀ d) B */
        v[a * 4 + 0] = _mm256_sub_ps(e[a][0], e[a][2]);
        v[a * 4 + 1] = _mm256_add_ps(e[a][1], e[a][2]);
        v[a * 4 + 2] = _mm256_sub_ps(e[a][2], e[a][1]);
        v[a * 4 + 3] = _mm256_sub_ps(e[a][1], e[a][3]);
    }
}

/* y = act(Aᵀ m A + bias) [+ res] for the 2×2 output tile at (oh, ow) of the H×W plane yc (pixels
 * pix floats apart; rc the residual's plane with the same strides, or NULL), from its 16 transformed
 * outputs m[ξ]; pixels beyond the plane's last row or column are not written. */
static CPOSE_AVX2_FN inline void cpose_wino_output_tile8(const __m256 m[16], __m256 bias, int act, const float *rc,
                                                         float *yc, int64_t H, int64_t W, int64_t oh, int64_t ow,
                                                         int64_t pix)
{
    __m256 s[2][4];
    for (int b = 0; b < 4; b++) {  /* Aᵀ m */
        s[0][b] = _mm256_add_ps(_mm256_add_ps(m[b], m[4 + b]), m[8 + b]);
        s[1][b] = _mm256_sub_ps(_mm256_sub_ps(m[4 + b], m[8 + b]), m[12 + b]);
    }
    for (int a = 0; a < 2 && oh + a < H; a++) {
        __m256 r[2] = {_mm256_add_ps(_mm256_add_ps(s[a][0], s[a][1]), s[a][2]),
                       _mm256_sub_ps(_mm256_sub_ps(s[a][1], s[a][2]), s[a][3])};
        for (int b = 0; b < 2 && ow + b < W; b++) {
            __m256 v = _mm256_add_ps(r[b], bias);
            if (act == CPOSE_ACT_SILU) v = _mm256_mul_ps(v, cpose_sigmoid8(v));
            int64_t off = ((oh + a) * W + ow + b) * pix;
            if (rc) v = _mm256_add_ps(v, _mm256_loadu_ps(rc + off));
            _mm256_storeu_ps(yc + off, v);
        }
    }
}
#endif

#endif
