/* core/ops/maxpool2d.c — k×k max pooling with stride and padding (padded cells never win). */
#include "graph.h"

#include <float.h>

static int maxpool_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_maxpool2d_params *p = params;
    const struct cpose_tensor *x = in[0];
    if (x->ndim != 4) return cpose_err(CPOSE_ESHAPE, "maxpool2d: input must be 4-D, got %d-D", x->ndim);
    int64_t ho = (x->dims[2] + 2 * p->pad - p->k) / p->stride + 1;
    int64_t wo = (x->dims[3] + 2 * p->pad - p->k) / p->stride + 1;
    if (ho <= 0 || wo <= 0) return cpose_err(CPOSE_ESHAPE, "maxpool2d: input too small for window %d", p->k);
    cpose_tensor_set4(out, x->dims[0], x->dims[1], ho, wo, x->nhwc);
    return CPOSE_OK;
}

static int maxpool_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                           struct cpose_tensor *out, void *params)
{
    const struct cpose_maxpool2d_params *p = params;
    const struct cpose_tensor *x = in[0];
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t Ho = out->dims[2], Wo = out->dims[3];
    /* strides of (c, h, w) in memory for either layout */
    int64_t sc = x->nhwc ? 1 : H * W, sh = x->nhwc ? W * C : W, sw = x->nhwc ? C : 1;
    int64_t oc = x->nhwc ? 1 : Ho * Wo, oh = x->nhwc ? Wo * C : Wo, ow = x->nhwc ? C : 1;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < Ho; i++) {
            const float *xb = x->data + n * C * H * W;
            float *yb = out->data + n * C * Ho * Wo;
            for (int64_t j = 0; j < Wo; j++)
                for (int64_t c = 0; c < C; c++) {
                    float m = -FLT_MAX;
                    for (int a = 0; a < p->k; a++) {
                        int64_t h = i * p->stride - p->pad + a;
                        if (h < 0 || h >= H) continue;
                        for (int b = 0; b < p->k; b++) {
                            int64_t w = j * p->stride - p->pad + b;
                            if (w < 0 || w >= W) continue;
                            float v = xb[c * sc + h * sh + w * sw];
                            if (v > m) m = v;
                        }
                    }
                    yb[c * oc + i * oh + j * ow] = m;
                }
        }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_maxpool2d = {
    .name = "maxpool2d", .n_inputs = 1, .shape = maxpool_shape, .forward = maxpool_forward, .backward = NULL,
    .params_size = sizeof(struct cpose_maxpool2d_params),
};
