/* core/nn/tensor.c — shape formatting and NCHW/NHWC layout conversion for cpose_tensor. */
#include "core/nn/tensor.h"

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

const char *cpose_layout_name(int layout)
{
    switch (layout) {
    case CPOSE_LAYOUT_PLAIN: return "NCHW";
    case CPOSE_LAYOUT_NHWC: return "NHWC";
    case CPOSE_LAYOUT_BLK8: return "nChw8c";
    case CPOSE_LAYOUT_BLK16: return "nChw16c";
    default: return "?";
    }
}

void cpose_tensor_to_nchw(const struct cpose_tensor *t, float *dst)
{
    int64_t N = t->dims[0], C = t->dims[1], H = t->dims[2], W = t->dims[3];
    if (t->layout == CPOSE_LAYOUT_NHWC) {
        cpose_nhwc_to_nchw(t->data, dst, N, C, H, W);
        return;
    }
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++) dst[((n * C + c) * H + h) * W + w] = t->data[cpose_tensor_off(t, n, c, h, w)];
}

void cpose_tensor_zero_pad(struct cpose_tensor *t)
{
    int64_t b = cpose_layout_block(t->layout), C = t->dims[1];
    if (!b || C % b == 0) return;
    int64_t cp = cpose_tensor_cpad(t), HW = t->dims[2] * t->dims[3];
    for (int64_t n = 0; n < t->dims[0]; n++) {
        float *blk = t->data + (n * (cp / b) + cp / b - 1) * HW * b;
        for (int64_t q = 0; q < HW; q++)
            for (int64_t l = C % b; l < b; l++) blk[q * b + l] = 0.0f;
    }
}
