/* core/nn/ops/reshape.c — reshape of a plain (row-major) tensor: same data, new dims (one may be -1). */
#include "core/nn/graph.h"

#include <string.h>

static int reshape_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_reshape_params *p = params;
    const struct cpose_tensor *x = in[0];
    char a[96], b[96];
    if (x->ndim == 4 && x->layout) return cpose_err(CPOSE_ESHAPE, "reshape: input must be plain (row-major), not NHWC");
    int64_t known = 1, n = cpose_tensor_numel(x);
    int infer = -1;
    for (int i = 0; i < p->ndim; i++) {
        if (p->dims[i] == -1 && infer < 0) infer = i;
        else known *= p->dims[i];
    }
    out->ndim = p->ndim, out->layout = 0;
    memcpy(out->dims, p->dims, sizeof p->dims);
    if (infer >= 0 && known > 0) out->dims[infer] = n / known;
    if (cpose_tensor_numel(out) != n || known <= 0)
        return cpose_err(CPOSE_ESHAPE, "reshape: cannot view %s as %s", cpose_shape_str(x->dims, x->ndim, a, sizeof a),
                         cpose_shape_str(p->dims, p->ndim, b, sizeof b));
    return CPOSE_OK;
}

static int reshape_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                           struct cpose_tensor *out, void *params)
{
    if (out->data != in[0]->data) memcpy(out->data, in[0]->data, cpose_tensor_numel(out) * sizeof(float));
    return CPOSE_OK;
}

static int reshape_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                            const struct cpose_tensor *out, const struct cpose_tensor *gout,
                            struct cpose_tensor *const *gin, void *params)
{
    if (!gin[0]) return CPOSE_OK;
    float *d = gin[0]->data;
    const float *g = gout->data;
    int64_t n = cpose_tensor_numel(gout);
    int acc = ctx->grad_accum & 1;
    for (int64_t i = 0; i < n; i++) d[i] = acc ? d[i] + g[i] : g[i];
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_reshape = {
    .name = "reshape", .n_inputs = 1, .shape = reshape_shape, .forward = reshape_forward, .backward = reshape_backward,
    .params_size = sizeof(struct cpose_reshape_params),
};
