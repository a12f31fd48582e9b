/* core/nn/ops/sigmoid.c — logistic sigmoid, y = 1 / (1 + exp(−x)), elementwise, and its gradient. */
#include "core/nn/ops/eltwise_impl.h"

#include <math.h>

static int sigmoid_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                           struct cpose_tensor *out, void *params)
{
    const float *x = in[0]->data;
    float *y = out->data;
    int64_t n = cpose_tensor_size(out);
#pragma omp parallel for schedule(static) if (n >= CPOSE_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
    return CPOSE_OK;
}

/* dy/dx = y·(1 − y), from the output. */
static int sigmoid_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                            const struct cpose_tensor *out, const struct cpose_tensor *gout,
                            struct cpose_tensor *const *gin, void *params)
{
    if (!gin[0]) return CPOSE_OK;
    const float *y = out->data, *g = gout->data;
    float *d = gin[0]->data;
    int64_t n = cpose_tensor_size(gout);
    int acc = ctx->grad_accum & 1;
#pragma omp parallel for simd schedule(static) if (n >= CPOSE_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float v = g[i] * y[i] * (1.0f - y[i]);
        d[i] = acc ? d[i] + v : v;
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_sigmoid = {
    .name = "sigmoid", .n_inputs = 1, .shape = cpose_eltwise_unary_shape, .forward = sigmoid_forward,
    .backward = sigmoid_backward, .bwd_needs = CPOSE_BWD_OUT,
};
