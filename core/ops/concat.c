/* core/ops/concat.c — concatenation of 4-D tensors along channels (dim 1), either layout. */
#include "graph.h"

#include <string.h>

static int concat_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    int64_t c = 0;
    for (int i = 0; i < n_in; i++) {
        const struct cpose_tensor *t = in[i];
        if (t->ndim != 4 || t->dims[0] != in[0]->dims[0] || t->dims[2] != in[0]->dims[2] ||
            t->dims[3] != in[0]->dims[3] || t->nhwc != in[0]->nhwc) {
            char a[96], b[96];
            return cpose_err(CPOSE_ESHAPE, "concat: input %d %s does not match input 0 %s outside dim 1", i,
                             cpose_shape_str(t->dims, t->ndim, a, sizeof a),
                             cpose_shape_str(in[0]->dims, in[0]->ndim, b, sizeof b));
        }
        c += t->dims[1];
    }
    cpose_tensor_set4(out, in[0]->dims[0], c, in[0]->dims[2], in[0]->dims[3], in[0]->nhwc);
    return CPOSE_OK;
}

static int concat_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                          struct cpose_tensor *out, void *params)
{
    int64_t N = out->dims[0], C = out->dims[1], HW = out->dims[2] * out->dims[3];
    if (out->nhwc) {
#pragma omp parallel for schedule(static)
        for (int64_t q = 0; q < N * HW; q++) {
            float *d = out->data + q * C;
            for (int i = 0; i < n_in; i++) {
                int64_t ci = in[i]->dims[1];
                memcpy(d, in[i]->data + q * ci, ci * sizeof(float));
                d += ci;
            }
        }
    } else {
        for (int64_t n = 0; n < N; n++) {
            float *d = out->data + n * C * HW;
            for (int i = 0; i < n_in; i++) {
                int64_t sz = in[i]->dims[1] * HW;
                memcpy(d, in[i]->data + n * sz, sz * sizeof(float));
                d += sz;
            }
        }
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_concat = {
    .name = "concat", .n_inputs = -1, .shape = concat_shape, .forward = concat_forward, .backward = NULL,
};
