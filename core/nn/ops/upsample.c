/* core/nn/ops/upsample.c — nearest-neighbour upsampling by an integer factor on H and W. */
#include "core/nn/graph.h"

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

const struct cpose_op_def cpose_op_upsample = {
    .name = "upsample", .n_inputs = 1, .shape = upsample_shape, .forward = upsample_forward, .backward = NULL,
    .params_size = sizeof(struct cpose_upsample_params),
};
