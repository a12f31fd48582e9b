/* core/nn/ops/batchnorm.c — 2-D batch normalisation, eval (running statistics) and train (batch
 * statistics, running statistics updated with momentum as PyTorch does). */
#include "core/nn/graph.h"

#include <math.h>

static int bn_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_batchnorm_params *p = params;
    if (in[0]->ndim != 4 || in[0]->dims[1] != p->c) {
        char s[96];
        return cpose_err(CPOSE_ESHAPE, "batchnorm: input %s, expected %d channels",
                         cpose_shape_str(in[0]->dims, in[0]->ndim, s, sizeof s), p->c);
    }
    *out = *in[0];
    out->data = NULL;
    return CPOSE_OK;
}

/* Element (n, c, p) offset in any layout; p indexes H·W. */
static inline int64_t off(const struct cpose_tensor *t, int64_t n, int64_t c, int64_t p)
{
    return cpose_tensor_off(t, n, c, p / t->dims[3], p % t->dims[3]);
}

static int bn_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                      struct cpose_tensor *out, void *params)
{
    struct cpose_batchnorm_params *p = params;
    const struct cpose_tensor *x = in[0];
    int64_t N = x->dims[0], C = p->c, HW = x->dims[2] * x->dims[3], cnt = N * HW;
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < C; c++) {
        double mean, var;
        if (ctx && ctx->train) {
            double s = 0, s2 = 0;
            for (int64_t n = 0; n < N; n++)
                for (int64_t q = 0; q < HW; q++) {
                    double v = x->data[off(x, n, c, q)];
                    s += v, s2 += v * v;
                }
            mean = s / cnt;
            var = s2 / cnt - mean * mean;
            if (var < 0) var = 0;
            double unbiased = cnt > 1 ? var * cnt / (cnt - 1) : var;
            p->mean[c] = (float)((1 - p->momentum) * p->mean[c] + p->momentum * mean);
            p->var[c] = (float)((1 - p->momentum) * p->var[c] + p->momentum * unbiased);
        } else {
            mean = p->mean[c], var = p->var[c];
        }
        float scale = (float)(p->weight[c] / sqrt(var + p->eps));
        float shift = (float)(p->bias[c] - mean * scale);
        for (int64_t n = 0; n < N; n++)
            for (int64_t q = 0; q < HW; q++) {
                int64_t o = off(x, n, c, q);
                out->data[o] = x->data[o] * scale + shift;
            }
    }
    if (ctx && ctx->train && p->nbt) p->nbt[0] += 1;
    cpose_tensor_zero_pad(out);
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_batchnorm = {
    .name = "batchnorm", .n_inputs = 1, .shape = bn_shape, .forward = bn_forward, .backward = NULL,
    .params_size = sizeof(struct cpose_batchnorm_params),
};
