/* core/tensor.h — the float32 tensor view that ops read and write (data is borrowed, never owned).
 *
 * dims[] are logical (N, C, H, W for 4-D activations). Inside the executor 4-D activations are
 * stored channels-last (nhwc = 1: element (n,c,h,w) at ((n*H + h)*W + w)*C + c), the layout the
 * oneDNN convolutions prefer; model interfaces (cpose_model_predict) are plain NCHW (nhwc = 0,
 * row-major over dims). */
#ifndef CPOSE_TENSOR_H
#define CPOSE_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#define CPOSE_MAX_DIMS 6

struct cpose_tensor {
    float *data;
    int ndim;
    int64_t dims[CPOSE_MAX_DIMS];
    int nhwc;  /* 4-D only: 1 = stored N,H,W,C; 0 = row-major over dims */
};

/* Number of elements (product of dims; 1 for ndim 0). */
static inline int64_t cpose_tensor_numel(const struct cpose_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
    return n;
}

/* Sets a 4-D shape. */
static inline void cpose_tensor_set4(struct cpose_tensor *t, int64_t n, int64_t c, int64_t h, int64_t w, int nhwc)
{
    t->ndim = 4;
    t->dims[0] = n, t->dims[1] = c, t->dims[2] = h, t->dims[3] = w;
    t->nhwc = nhwc;
}

/* Formats a shape as "[1, 3, 640, 640]" into buf (returns buf). */
CPOSE_API char *cpose_shape_str(const int64_t *dims, int ndim, char *buf, size_t len);

/* Layout conversion of B×C×H×W float32 data: NCHW → NHWC and back (OpenMP). */
CPOSE_API void cpose_nchw_to_nhwc(const float *src, float *dst, int64_t B, int64_t C, int64_t H, int64_t W);
CPOSE_API void cpose_nhwc_to_nchw(const float *src, float *dst, int64_t B, int64_t C, int64_t H, int64_t W);

#endif
