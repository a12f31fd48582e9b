/* core/nn/ops/slice.c — a channel range [start, start+len) of a 4-D tensor (C2f's split/chunk),
 * copied so that the next conv reads a dense buffer (a strided NHWC view runs a slow kernel). */
#include "core/nn/ops/plane_impl.h"

#include <string.h>

static int slice_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_slice_params *p = params;
    const struct cpose_tensor *x = in[0];
    if (x->ndim != 4 || p->start < 0 || p->len <= 0 || p->start + p->len > x->dims[1]) {
        char s[96];
        return cpose_err(CPOSE_ESHAPE, "slice: channels [%d, %d) outside input %s", p->start, p->start + p->len,
                         cpose_shape_str(x->dims, x->ndim, s, sizeof s));
    }
    cpose_tensor_set4(out, x->dims[0], p->len, x->dims[2], x->dims[3], x->layout);
    return CPOSE_OK;
}

static int slice_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                         struct cpose_tensor *out, void *params)
{
    const struct cpose_slice_params *p = params;
    const struct cpose_tensor *x = in[0];
    int64_t N = x->dims[0], C = x->dims[1], HW = x->dims[2] * x->dims[3];
    int b = cpose_layout_block(x->layout);
    if (x->layout == CPOSE_LAYOUT_NHWC) {
#pragma omp parallel for schedule(static) if (N * HW * p->len >= CPOSE_PAR_MIN)
        for (int64_t q = 0; q < N * HW; q++)
            memcpy(out->data + q * p->len, x->data + q * C + p->start, p->len * sizeof(float));
    } else if (x->layout == CPOSE_LAYOUT_PLAIN) {
        for (int64_t n = 0; n < N; n++)
            memcpy(out->data + n * p->len * HW, x->data + (n * C + p->start) * HW, p->len * HW * sizeof(float));
    } else if (p->start % b == 0 && (p->len % b == 0 || p->start + p->len == C)) {
        /* whole blocks: one run per image (a tail block carries the source's zero padding) */
        int64_t in_per = cpose_tensor_size(x) / N, out_per = cpose_tensor_size(out) / N;
        for (int64_t n = 0; n < N; n++)
            memcpy(out->data + n * out_per, x->data + n * in_per + (int64_t)p->start * HW, out_per * sizeof(float));
    } else {
        int64_t H = x->dims[2], W = x->dims[3];
        memset(out->data, 0, cpose_tensor_size(out) * sizeof(float));
#pragma omp parallel for collapse(2) schedule(static)
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < p->len; c++)
                for (int64_t h = 0; h < H; h++)
                    for (int64_t w = 0; w < W; w++)
                        out->data[cpose_tensor_off(out, n, c, h, w)] = x->data[cpose_tensor_off(x, n, p->start + c, h, w)];
    }
    return CPOSE_OK;
}

/* The input's gradient: the output's in the sliced channels, zero elsewhere. */
static int slice_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                          const struct cpose_tensor *out, const struct cpose_tensor *gout,
                          struct cpose_tensor *const *gin, void *params)
{
    const struct cpose_slice_params *p = params;
    if (!gin[0]) return CPOSE_OK;
    if (!(ctx->grad_accum & 1)) memset(gin[0]->data, 0, cpose_tensor_size(gin[0]) * sizeof(float));
    cpose_channel_copy(gout, 0, gin[0], p->start, p->len, 1);
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_slice = {
    .name = "slice", .n_inputs = 1, .shape = slice_shape, .forward = slice_forward, .backward = slice_backward,
    .params_size = sizeof(struct cpose_slice_params),
};
