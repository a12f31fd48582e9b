/* core/nn/ops/silu.c — SiLU (swish) activation, y = x · sigmoid(x), elementwise, and its gradient. */
#include "core/nn/ops/eltwise_impl.h"

#include <math.h>

static int silu_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                        struct cpose_tensor *out, void *params)
{
    const float *x = in[0]->data;
    float *y = out->data;
    int64_t n = cpose_tensor_size(out);
#pragma omp parallel for schedule(static) if (n >= CPOSE_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
    return CPOSE_OK;
}

/* dy/dx = s·(1 + x·(1 − s)), s = sigmoid(x). */
static int silu_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                         const struct cpose_tensor *out, const struct cpose_tensor *gout,
                         struct cpose_tensor *const *gin, void *params)
{
    if (!gin[0]) return CPOSE_OK;
    const float *x = in[0]->data, *g = gout->data;
    float *d = gin[0]->data;
    int64_t n = cpose_tensor_size(gout);
    int acc = ctx->grad_accum & 1;
#pragma omp parallel for schedule(static) if (n >= CPOSE_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float s = 1.0f / (1.0f + expf(-x[i]));
        float v = g[i] * s * (1.0f + x[i] * (1.0f - s));
        d[i] = acc ? d[i] + v : v;
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_silu = {
    .name = "silu", .n_inputs = 1, .shape = cpose_eltwise_unary_shape, .forward = silu_forward,
    .backward = silu_backward, .bwd_needs = CPOSE_BWD_IN(0),
};
