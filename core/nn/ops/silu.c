/* core/nn/ops/silu.c — SiLU (swish) activation, y = x · sigmoid(x), elementwise. */
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

const struct cpose_op_def cpose_op_silu = {
    .name = "silu", .n_inputs = 1, .shape = cpose_eltwise_unary_shape, .forward = silu_forward, .backward = NULL,
};
