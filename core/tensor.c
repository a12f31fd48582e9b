/* core/tensor.c — shape formatting and NCHW/NHWC layout conversion for cpose_tensor. */
#include "tensor.h"

#include <stdio.h>

char *cpose_shape_str(const int64_t *dims, int ndim, char *buf, size_t len)
{
    size_t o = 0;
    o += snprintf(buf + o, len - o, "[");
    for (int i = 0; i < ndim && o < len; i++)
        o += snprintf(buf + o, len - o, "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (o < len) snprintf(buf + o, len - o, "]");
    return buf;
}

void cpose_nchw_to_nhwc(const float *src, float *dst, int64_t B, int64_t C, int64_t H, int64_t W)
{
    int64_t HW = H * W;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t b = 0; b < B; b++)
        for (int64_t p = 0; p < HW; p++) {
            const float *s = src + b * C * HW + p;
            float *d = dst + (b * HW + p) * C;
            for (int64_t c = 0; c < C; c++) d[c] = s[c * HW];
        }
}

void cpose_nhwc_to_nchw(const float *src, float *dst, int64_t B, int64_t C, int64_t H, int64_t W)
{
    int64_t HW = H * W;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < C; c++) {
            const float *s = src + b * HW * C + c;
            float *d = dst + (b * C + c) * HW;
            for (int64_t p = 0; p < HW; p++) d[p] = s[p * C];
        }
}
