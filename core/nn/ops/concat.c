/* core/nn/ops/concat.c — concatenation of 4-D tensors along channels (dim 1), any layout; an input
 * the executor already placed in its slot of the output (a view) is not copied; backward splits the gradient. */
#include "core/nn/ops/plane_impl.h"

#include <string.h>

static int concat_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    int64_t c = 0;
    for (int i = 0; i < n_in; i++) {
        const struct cpose_tensor *t = in[i];
        if (t->ndim != 4 || t->dims[0] != in[0]->dims[0] || t->dims[2] != in[0]->dims[2] ||
            t->dims[3] != in[0]->dims[3] || t->layout != in[0]->layout) {
            char a[96], b[96];
            return cpose_err(CPOSE_ESHAPE, "concat: input %d %s does not match input 0 %s outside dim 1", i,
                             cpose_shape_str(t->dims, t->ndim, a, sizeof a),
                             cpose_shape_str(in[0]->dims, in[0]->ndim, b, sizeof b));
        }
        c += t->dims[1];
    }
    cpose_tensor_set4(out, in[0]->dims[0], c, in[0]->dims[2], in[0]->dims[3], in[0]->layout);
    return CPOSE_OK;
}

static int concat_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                          struct cpose_tensor *out, void *params)
{
    int64_t N = out->dims[0], C = out->dims[1], HW = out->dims[2] * out->dims[3];
    int b = cpose_layout_block(out->layout), aligned = 1;
    for (int i = 0; i < n_in - 1; i++) aligned &= b && in[i]->dims[1] % b == 0;
    if (out->layout == CPOSE_LAYOUT_NHWC) {
#pragma omp parallel for schedule(static) if (N * HW * C >= CPOSE_PAR_MIN)
        for (int64_t q = 0; q < N * HW; q++) {
            float *d = out->data + q * C;
            for (int i = 0; i < n_in; i++) {
                int64_t ci = in[i]->dims[1];
                memcpy(d, in[i]->data + q * ci, ci * sizeof(float));
                d += ci;
            }
        }
    } else if (out->layout == CPOSE_LAYOUT_PLAIN || aligned) {
        /* per image, each input is one contiguous run (blocked: whole channel blocks, the last
         * input's zero padding included) */
        int64_t per_out = cpose_tensor_size(out) / N;
        for (int64_t n = 0; n < N; n++) {
            float *d = out->data + n * per_out;
            for (int i = 0; i < n_in; i++) {
                int64_t sz = cpose_tensor_size(in[i]) / N;
                /* the executor may have had the input written in place (core/nn/exec.c) */
                if (d != in[i]->data + n * sz) memcpy(d, in[i]->data + n * sz, sz * sizeof(float));
                d += sz;
            }
        }
    } else {
        int64_t H = out->dims[2], W = out->dims[3];
        memset(out->data, 0, cpose_tensor_size(out) * sizeof(float));
        int64_t c0 = 0;
        for (int i = 0; i < n_in; i++) {
            const struct cpose_tensor *t = in[i];
#pragma omp parallel for collapse(2) schedule(static)
            for (int64_t n = 0; n < N; n++)
                for (int64_t c = 0; c < t->dims[1]; c++)
                    for (int64_t h = 0; h < H; h++)
                        for (int64_t w = 0; w < W; w++)
                            out->data[cpose_tensor_off(out, n, c0 + c, h, w)] = t->data[cpose_tensor_off(t, n, c, h, w)];
            c0 += t->dims[1];
        }
    }
    return CPOSE_OK;
}

/* Each input's gradient is its channel range of the output's. */
static int concat_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                           const struct cpose_tensor *out, const struct cpose_tensor *gout,
                           struct cpose_tensor *const *gin, void *params)
{
    int64_t c0 = 0;
    for (int k = 0; k < n_in; k++) {
        if (gin[k]) cpose_channel_copy(gout, c0, gin[k], 0, in[k]->dims[1], (ctx->grad_accum >> k) & 1);
        c0 += in[k]->dims[1];
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_concat = {
    .name = "concat", .n_inputs = -1, .shape = concat_shape, .forward = concat_forward, .backward = concat_backward,
};
