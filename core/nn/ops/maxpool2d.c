/* core/nn/ops/maxpool2d.c — k×k max pooling with stride and padding (padded cells never win), and its gradient. */
#include "core/nn/graph.h"

#include <float.h>
#include <string.h>

static int maxpool_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_maxpool2d_params *p = params;
    const struct cpose_tensor *x = in[0];
    if (x->ndim != 4) return cpose_err(CPOSE_ESHAPE, "maxpool2d: input must be 4-D, got %d-D", x->ndim);
    int64_t ho = (x->dims[2] + 2 * p->pad - p->k) / p->stride + 1;
    int64_t wo = (x->dims[3] + 2 * p->pad - p->k) / p->stride + 1;
    if (ho <= 0 || wo <= 0) return cpose_err(CPOSE_ESHAPE, "maxpool2d: input too small for window %d", p->k);
    cpose_tensor_set4(out, x->dims[0], x->dims[1], ho, wo, x->layout);
    return CPOSE_OK;
}

/* Max over one window of one (image, channel-group) plane; strides in floats. */
static int maxpool_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                           struct cpose_tensor *out, void *params)
{
    const struct cpose_maxpool2d_params *p = params;
    const struct cpose_tensor *x = in[0];
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t Ho = out->dims[2], Wo = out->dims[3];
    /* every layout is: planes (g) × pixels × lanes (v): plain: g = N·C, v = 1; NHWC: g = N,
     * v = C; blocked: g = N·Cp/b, v = b. The window max runs over pixels, vectorised on lanes. */
    int64_t G, V;
    if (x->layout == CPOSE_LAYOUT_PLAIN) G = N * C, V = 1;
    else if (x->layout == CPOSE_LAYOUT_NHWC) G = N, V = C;
    else V = x->layout, G = N * cpose_tensor_cpad(x) / V;
    if (p->stride == 1 && Wo == W && V <= 64) {
        /* separable: the max over the window's rows into a row buffer, then over its columns
         * (2k instead of k² comparisons per output), each a contiguous vectorisable loop */
#pragma omp parallel for collapse(2) schedule(static) if (G * Ho * W * V * 2 * p->k >= CPOSE_PAR_MIN)
        for (int64_t g = 0; g < G; g++)
            for (int64_t i = 0; i < Ho; i++) {
                float row[(W + 2 * p->pad) * V];
                const float *xp = x->data + g * H * W * V;
                float *yr = out->data + (g * Ho + i) * W * V, *rv = row + p->pad * V;
                int64_t h0 = i - p->pad, h1 = h0 + p->k;
                if (h0 < 0) h0 = 0;
                if (h1 > H) h1 = H;
                for (int64_t j = 0; j < p->pad * V; j++) row[j] = rv[W * V + j] = -FLT_MAX;
                memcpy(rv, xp + h0 * W * V, W * V * sizeof(float));
                for (int64_t h = h0 + 1; h < h1; h++) {
                    const float *s = xp + h * W * V;
                    for (int64_t j = 0; j < W * V; j++) rv[j] = s[j] > rv[j] ? s[j] : rv[j];
                }
                for (int64_t j = 0; j < W * V; j++) {
                    float m = row[j];
                    for (int t = 1; t < p->k; t++) m = row[j + t * V] > m ? row[j + t * V] : m;
                    yr[j] = m;
                }
            }
        return CPOSE_OK;
    }
#pragma omp parallel for collapse(2) schedule(static) if (G * Ho * Wo * V * p->k * p->k >= CPOSE_PAR_MIN)
    for (int64_t g = 0; g < G; g++)
        for (int64_t i = 0; i < Ho; i++) {
            const float *xp = x->data + g * H * W * V;
            float *yp = out->data + (g * Ho + i) * Wo * V;
            int64_t h0 = i * p->stride - p->pad, h1 = h0 + p->k;
            if (h0 < 0) h0 = 0;
            if (h1 > H) h1 = H;
            for (int64_t j = 0; j < Wo; j++) {
                int64_t w0 = j * p->stride - p->pad, w1 = w0 + p->k;
                if (w0 < 0) w0 = 0;
                if (w1 > W) w1 = W;
                float *y = yp + j * V;
                for (int64_t v = 0; v < V; v++) y[v] = -FLT_MAX;
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) {
                        const float *s = xp + (h * W + w) * V;
                        for (int64_t v = 0; v < V; v++) y[v] = s[v] > y[v] ? s[v] : y[v];
                    }
            }
        }
    return CPOSE_OK;
}

/* Each output's gradient goes to the first window cell (row-major) holding the maximum, as the
 * forward found it (the cell equal to the output). */
static int maxpool_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                            const struct cpose_tensor *out, const struct cpose_tensor *gout,
                            struct cpose_tensor *const *gin, void *params)
{
    const struct cpose_maxpool2d_params *p = params;
    if (!gin[0]) return CPOSE_OK;
    const struct cpose_tensor *x = in[0];
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3], Ho = out->dims[2], Wo = out->dims[3];
    int64_t G, V;
    if (x->layout == CPOSE_LAYOUT_PLAIN) G = N * C, V = 1;
    else if (x->layout == CPOSE_LAYOUT_NHWC) G = N, V = C;
    else V = x->layout, G = N * cpose_tensor_cpad(x) / V;
    int acc = ctx->grad_accum & 1;
#pragma omp parallel for schedule(static) if (G * Ho * Wo * V * p->k * p->k >= CPOSE_PAR_MIN)
    for (int64_t g = 0; g < G; g++) {
        const float *xp = x->data + g * H * W * V, *yp = out->data + g * Ho * Wo * V, *gp = gout->data + g * Ho * Wo * V;
        float *dp = gin[0]->data + g * H * W * V;
        if (!acc) memset(dp, 0, H * W * V * sizeof(float));
        for (int64_t i = 0; i < Ho; i++)
            for (int64_t j = 0; j < Wo; j++)
                for (int64_t v = 0; v < V; v++) {
                    int64_t o = (i * Wo + j) * V + v;
                    float y = yp[o];
                    int64_t h0 = i * p->stride - p->pad, w0 = j * p->stride - p->pad, best = -1;
                    for (int64_t h = h0 < 0 ? 0 : h0; best < 0 && h < h0 + p->k && h < H; h++)
                        for (int64_t w = w0 < 0 ? 0 : w0; w < w0 + p->k && w < W; w++)
                            if (xp[(h * W + w) * V + v] == y) {
                                best = (h * W + w) * V + v;
                                break;
                            }
                    if (best >= 0) dp[best] += gp[o];
                }
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_maxpool2d = {
    .name = "maxpool2d", .n_inputs = 1, .shape = maxpool_shape, .forward = maxpool_forward, .backward = maxpool_backward,
    .bwd_needs = CPOSE_BWD_IN(0) | CPOSE_BWD_OUT,
    .params_size = sizeof(struct cpose_maxpool2d_params),
};
