/* core/nn/ops/upsample.c — nearest-neighbour upsampling by an integer factor on H and W, and its gradient. */
#include "core/nn/ops/plane_impl.h"

#include <string.h>

static int upsample_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_upsample_params *p = params;
    const struct cpose_tensor *x = in[0];
    if (x->ndim != 4 || p->scale < 1) return cpose_err(CPOSE_ESHAPE, "upsample: needs a 4-D input and scale ≥ 1");
    cpose_tensor_set4(out, x->dims[0], x->dims[1], x->dims[2] * p->scale, x->dims[3] * p->scale, x->layout);
    return CPOSE_OK;
}

static int upsample_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                            struct cpose_tensor *out, void *params)
{
    const struct cpose_upsample_params *p = params;
    const struct cpose_tensor *x = in[0];
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3], s = p->scale;
    int64_t Ho = H * s, Wo = W * s;
    /* planes × pixels × lanes, as in maxpool2d */
    int64_t G, V;
    if (x->layout == CPOSE_LAYOUT_PLAIN) G = N * C, V = 1;
    else if (x->layout == CPOSE_LAYOUT_NHWC) G = N, V = C;
    else V = x->layout, G = N * cpose_tensor_cpad(x) / V;
#pragma omp parallel for collapse(2) schedule(static) if (G * Ho * Wo * V >= CPOSE_PAR_MIN)
    for (int64_t g = 0; g < G; g++)
        for (int64_t i = 0; i < Ho; i++) {
            const float *xr = x->data + (g * H + i / s) * W * V;
            float *yr = out->data + (g * Ho + i) * Wo * V;
            if (V == 1) {
                for (int64_t j = 0; j < Wo; j++) yr[j] = xr[j / s];
            } else if (V == 8) {  /* nChw8c: a fixed-size copy the compiler inlines */
                for (int64_t j = 0; j < Wo; j++) memcpy(yr + j * 8, xr + (j / s) * 8, 8 * sizeof(float));
            } else {
                for (int64_t j = 0; j < Wo; j++) memcpy(yr + j * V, xr + (j / s) * V, V * sizeof(float));
            }
        }
    return CPOSE_OK;
}

/* Each input pixel's gradient is the sum over the s×s output pixels copied from it. */
static int upsample_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                             const struct cpose_tensor *out, const struct cpose_tensor *gout,
                             struct cpose_tensor *const *gin, void *params)
{
    const struct cpose_upsample_params *p = params;
    if (!gin[0]) return CPOSE_OK;
    struct cpose_planes pl = cpose_planes_of(gin[0]);
    int64_t H = gin[0]->dims[2], W = gin[0]->dims[3], s = p->scale, Wo = W * s, V = pl.V;
    int acc = ctx->grad_accum & 1;
#pragma omp parallel for collapse(2) schedule(static) if (pl.G * H * W * V * s * s >= CPOSE_PAR_MIN)
    for (int64_t g = 0; g < pl.G; g++)
        for (int64_t i = 0; i < H; i++) {
            float *d = gin[0]->data + (g * H + i) * W * V;
            for (int64_t j = 0; j < W; j++)
                for (int64_t v = 0; v < V; v++) {
                    float sum = 0;
                    for (int64_t a = 0; a < s; a++) {
                        const float *r = gout->data + ((g * H * s + i * s + a) * Wo + j * s) * V + v;
                        for (int64_t bb = 0; bb < s; bb++) sum += r[bb * V];
                    }
                    d[j * V + v] = acc ? d[j * V + v] + sum : sum;
                }
        }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_upsample = {
    .name = "upsample", .n_inputs = 1, .shape = upsample_shape, .forward = upsample_forward, .backward = upsample_backward,
    .params_size = sizeof(struct cpose_upsample_params),
};
