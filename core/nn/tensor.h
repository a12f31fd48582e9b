/* core/nn/tensor.h — the float32 tensor view that ops read and write (data is borrowed, never owned).
 *
 * dims[] are logical (N, C, H, W for 4-D activations); `layout` says how a 4-D tensor is stored:
 *   CPOSE_LAYOUT_PLAIN  row-major over dims (NCHW) — the layout of every public interface;
 *   CPOSE_LAYOUT_NHWC   channels last: (n,c,h,w) at ((n·H + h)·W + w)·C + c;
 *   CPOSE_LAYOUT_BLK8 / BLK16  oneDNN's nChw8c / nChw16c: channels in blocks of b, padded to
 *     Cp = ⌈C/b⌉·b with zeros; (n,c,h,w) at (((n·Cp/b + c/b)·H + h)·W + w)·b + c mod b.
 * Inside the executor activations are blocked (the layout the oneDNN convolutions run fastest
 * in, and in which a channel range starting at a block boundary is contiguous per image). */
#ifndef CPOSE_TENSOR_H
#define CPOSE_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include "core/base/status.h"

#define CPOSE_MAX_DIMS 6
/* Loops with less work than this (elements touched) run on one thread: a parallel region's fork
 * and barrier cost more than they save, most of all on a busy machine. */
#define CPOSE_PAR_MIN 65536

enum cpose_layout { CPOSE_LAYOUT_PLAIN = 0, CPOSE_LAYOUT_NHWC = 1, CPOSE_LAYOUT_BLK8 = 8, CPOSE_LAYOUT_BLK16 = 16 };

struct cpose_tensor {
    float *data;
    int ndim;
    int64_t dims[CPOSE_MAX_DIMS];
    int layout;  /* enum cpose_layout (4-D only; others are plain) */
};

/* Number of logical elements (product of dims; 1 for ndim 0). */
static inline int64_t cpose_tensor_numel(const struct cpose_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
    return n;
}

static inline int cpose_layout_block(int layout) { return layout >= CPOSE_LAYOUT_BLK8 ? layout : 0; }

/* Channels as stored (padded to the block for blocked layouts). */
static inline int64_t cpose_tensor_cpad(const struct cpose_tensor *t)
{
    int64_t b = cpose_layout_block(t->layout);
    return b ? (t->dims[1] + b - 1) / b * b : t->dims[1];
}

/* Number of stored floats (logical elements plus block padding). */
static inline int64_t cpose_tensor_size(const struct cpose_tensor *t)
{
    if (t->ndim != 4 || !cpose_layout_block(t->layout)) return cpose_tensor_numel(t);
    return t->dims[0] * cpose_tensor_cpad(t) * t->dims[2] * t->dims[3];
}

/* Offset of element (n, c, h, w) of a 4-D tensor in any layout. */
static inline int64_t cpose_tensor_off(const struct cpose_tensor *t, int64_t n, int64_t c, int64_t h, int64_t w)
{
    int64_t C = t->dims[1], H = t->dims[2], W = t->dims[3];
    switch (t->layout) {
    case CPOSE_LAYOUT_NHWC: return ((n * H + h) * W + w) * C + c;
    case CPOSE_LAYOUT_PLAIN: return ((n * C + c) * H + h) * W + w;
    default: {
        int64_t b = t->layout, cp = cpose_tensor_cpad(t);
        return (((n * (cp / b) + c / b) * H + h) * W + w) * b + c % b;
    }
    }
}

/* Sets a 4-D shape. */
static inline void cpose_tensor_set4(struct cpose_tensor *t, int64_t n, int64_t c, int64_t h, int64_t w, int layout)
{
    t->ndim = 4;
    t->dims[0] = n, t->dims[1] = c, t->dims[2] = h, t->dims[3] = w;
    t->layout = layout;
}

/* Formats a shape as "[1, 3, 640, 640]" into buf (returns buf). */
CPOSE_API char *cpose_shape_str(const int64_t *dims, int ndim, char *buf, size_t len);
CPOSE_API const char *cpose_layout_name(int layout);

/* Layout conversion of B×C×H×W float32 data: NCHW → NHWC and back (OpenMP). */
CPOSE_API void cpose_nchw_to_nhwc(const float *src, float *dst, int64_t B, int64_t C, int64_t H, int64_t W);
CPOSE_API void cpose_nhwc_to_nchw(const float *src, float *dst, int64_t B, int64_t C, int64_t H, int64_t W);
/* Copies a 4-D tensor in any layout to plain NCHW dst (N·C·H·W floats). */
CPOSE_API void cpose_tensor_to_nchw(const struct cpose_tensor *t, float *dst);
/* Zeroes the padding channels of a blocked tensor (no-op for other layouts). */
CPOSE_API void cpose_tensor_zero_pad(struct cpose_tensor *t);

#endif
