/* tests/tl_tensor.h — tensor helpers shared by the op and kernel tests. */
#ifndef CPOSE_TL_TENSOR_H
#define CPOSE_TL_TENSOR_H

#include <stdint.h>
#include <stdlib.h>

#include "core/nn/tensor.h"

/* NCHW data src stored into a fresh calloc'ed buffer in `layout` (zero padding); the caller frees
 * t.data with free(). */
static inline struct cpose_tensor tl_tensor_from_nchw(const float *src, int64_t N, int64_t C, int64_t H, int64_t W,
                                                      int layout)
{
    struct cpose_tensor t = {0};
    cpose_tensor_set4(&t, N, C, H, W, layout);
    t.data = calloc(cpose_tensor_size(&t), sizeof(float));
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++) t.data[cpose_tensor_off(&t, n, c, h, w)] = src[((n * C + c) * H + h) * W + w];
    return t;
}

#endif
