/* core/nn/ops/softmax.c — numerically stable softmax of a plain tensor along one axis. */
#include "core/nn/graph.h"

#include <math.h>

static int softmax_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_softmax_params *p = params;
    if ((in[0]->ndim == 4 && in[0]->layout) || p->axis < 0 || p->axis >= in[0]->ndim)
        return cpose_err(CPOSE_ESHAPE, "softmax: axis %d invalid for a %d-D %s tensor", p->axis, in[0]->ndim,
                         in[0]->layout ? cpose_layout_name(in[0]->layout) : "plain");
    *out = *in[0];
    out->data = NULL;
    return CPOSE_OK;
}

static int softmax_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                           struct cpose_tensor *out, void *params)
{
    const struct cpose_softmax_params *p = params;
    const struct cpose_tensor *x = in[0];
    int64_t outer = 1, inner = 1, L = x->dims[p->axis];
    for (int i = 0; i < p->axis; i++) outer *= x->dims[i];
    for (int i = p->axis + 1; i < x->ndim; i++) inner *= x->dims[i];
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            const float *s = x->data + o * L * inner + j;
            float *d = out->data + o * L * inner + j;
            float m = s[0];
            for (int64_t l = 1; l < L; l++) m = fmaxf(m, s[l * inner]);
            double sum = 0;
            for (int64_t l = 0; l < L; l++) sum += (d[l * inner] = expf(s[l * inner] - m));
            float inv = (float)(1.0 / sum);
            for (int64_t l = 0; l < L; l++) d[l * inner] *= inv;
        }
    return CPOSE_OK;
}

/* dx = y·(g − Σ g·y) along the axis, from the output. */
static int softmax_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                            const struct cpose_tensor *out, const struct cpose_tensor *gout,
                            struct cpose_tensor *const *gin, void *params)
{
    const struct cpose_softmax_params *p = params;
    if (!gin[0]) return CPOSE_OK;
    int64_t outer = 1, inner = 1, L = out->dims[p->axis];
    for (int i = 0; i < p->axis; i++) outer *= out->dims[i];
    for (int i = p->axis + 1; i < out->ndim; i++) inner *= out->dims[i];
    int acc = ctx->grad_accum & 1;
#pragma omp parallel for collapse(2) schedule(static) if (outer * inner * L >= CPOSE_PAR_MIN)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            const float *y = out->data + o * L * inner + j, *g = gout->data + o * L * inner + j;
            float *d = gin[0]->data + o * L * inner + j;
            double dot = 0;
            for (int64_t l = 0; l < L; l++) dot += (double)g[l * inner] * y[l * inner];
            for (int64_t l = 0; l < L; l++) {
                float v = (float)(y[l * inner] * (g[l * inner] - dot));
                d[l * inner] = acc ? d[l * inner] + v : v;
            }
        }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_softmax = {
    .name = "softmax", .n_inputs = 1, .shape = softmax_shape, .forward = softmax_forward, .backward = softmax_backward,
    .bwd_needs = CPOSE_BWD_OUT,
    .params_size = sizeof(struct cpose_softmax_params),
};
