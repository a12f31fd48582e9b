/* core/ops/upsample.c — nearest-neighbour upsampling by an integer factor on H and W. */
#include "graph.h"

#include <string.h>

static int upsample_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_upsample_params *p = params;
    const struct cpose_tensor *x = in[0];
    if (x->ndim != 4 || p->scale < 1) return cpose_err(CPOSE_ESHAPE, "upsample: needs a 4-D input and scale ≥ 1");
    cpose_tensor_set4(out, x->dims[0], x->dims[1], x->dims[2] * p->scale, x->dims[3] * p->scale, x->nhwc);
    return CPOSE_OK;
}

static int upsample_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                            struct cpose_tensor *out, void *params)
{
    const struct cpose_upsample_params *p = params;
    const struct cpose_tensor *x = in[0];
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3], s = p->scale;
    int64_t Ho = H * s, Wo = W * s;
    if (x->nhwc) {
#pragma omp parallel for collapse(2) schedule(static)
        for (int64_t n = 0; n < N; n++)
            for (int64_t i = 0; i < Ho; i++)
                for (int64_t j = 0; j < Wo; j++)
                    memcpy(out->data + ((n * Ho + i) * Wo + j) * C, x->data + ((n * H + i / s) * W + j / s) * C,
                           C * sizeof(float));
    } else {
#pragma omp parallel for collapse(2) schedule(static)
        for (int64_t nc = 0; nc < N * C; nc++)
            for (int64_t i = 0; i < Ho; i++)
                for (int64_t j = 0; j < Wo; j++)
                    out->data[(nc * Ho + i) * Wo + j] = x->data[(nc * H + i / s) * W + j / s];
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_upsample = {
    .name = "upsample", .n_inputs = 1, .shape = upsample_shape, .forward = upsample_forward, .backward = NULL,
    .params_size = sizeof(struct cpose_upsample_params),
};
