/* core/nn/ops/transpose.c — axis permutation of a plain (row-major) tensor: out dim i = in dim perm[i]. */
#include "core/nn/graph.h"

static int transpose_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_transpose_params *p = params;
    const struct cpose_tensor *x = in[0];
    if ((x->ndim == 4 && x->layout) || p->ndim != x->ndim)
        return cpose_err(CPOSE_ESHAPE, "transpose: permutation of %d axes for a %d-D %s tensor", p->ndim, x->ndim,
                         x->layout ? cpose_layout_name(x->layout) : "plain");
    int seen = 0;
    for (int i = 0; i < p->ndim; i++) {
        if (p->perm[i] < 0 || p->perm[i] >= x->ndim || (seen >> p->perm[i]) & 1)
            return cpose_err(CPOSE_EINVAL, "transpose: perm is not a permutation of 0..%d", x->ndim - 1);
        seen |= 1 << p->perm[i];
        out->dims[i] = x->dims[p->perm[i]];
    }
    out->ndim = x->ndim, out->layout = 0;
    return CPOSE_OK;
}

static int transpose_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                             struct cpose_tensor *out, void *params)
{
    const struct cpose_transpose_params *p = params;
    const struct cpose_tensor *x = in[0];
    int nd = x->ndim;
    int64_t istride[CPOSE_MAX_DIMS], ostride_in[CPOSE_MAX_DIMS];
    istride[nd - 1] = 1;
    for (int i = nd - 2; i >= 0; i--) istride[i] = istride[i + 1] * x->dims[i + 1];
    for (int i = 0; i < nd; i++) ostride_in[i] = istride[p->perm[i]];
    int64_t n = cpose_tensor_numel(out);
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < n; o++) {
        int64_t r = o, src = 0;
        for (int i = nd - 1; i >= 0; i--) {
            src += (r % out->dims[i]) * ostride_in[i];
            r /= out->dims[i];
        }
        out->data[o] = x->data[src];
    }
    return CPOSE_OK;
}

/* The gradient goes back through the same index map (a bijection, so the scatter is race-free). */
static int transpose_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                              const struct cpose_tensor *out, const struct cpose_tensor *gout,
                              struct cpose_tensor *const *gin, void *params)
{
    const struct cpose_transpose_params *p = params;
    if (!gin[0]) return CPOSE_OK;
    const struct cpose_tensor *x = in[0];
    int nd = x->ndim, acc = ctx->grad_accum & 1;
    int64_t istride[CPOSE_MAX_DIMS], ostride_in[CPOSE_MAX_DIMS];
    istride[nd - 1] = 1;
    for (int i = nd - 2; i >= 0; i--) istride[i] = istride[i + 1] * x->dims[i + 1];
    for (int i = 0; i < nd; i++) ostride_in[i] = istride[p->perm[i]];
    int64_t n = cpose_tensor_numel(gout);
#pragma omp parallel for schedule(static) if (n >= CPOSE_PAR_MIN)
    for (int64_t o = 0; o < n; o++) {
        int64_t r = o, src = 0;
        for (int i = nd - 1; i >= 0; i--) {
            src += (r % gout->dims[i]) * ostride_in[i];
            r /= gout->dims[i];
        }
        gin[0]->data[src] = acc ? gin[0]->data[src] + gout->data[o] : gout->data[o];
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_transpose = {
    .name = "transpose", .n_inputs = 1, .shape = transpose_shape, .forward = transpose_forward, .backward = transpose_backward,
    .params_size = sizeof(struct cpose_transpose_params),
};
