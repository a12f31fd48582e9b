/* core/nn/ops/conv2d.c — 2-D convolution (+ bias, + fused SiLU epilogue, + optional fused residual
 * input) on the oneDNN kernel, and its data, weight and bias gradients. */
#include "core/nn/graph.h"
#include "core/nn/kernels.h"

static int conv2d_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_conv2d_params *p = params;
    const struct cpose_tensor *x = in[0];
    if (x->ndim != 4 || x->dims[1] != p->cin) {
        char s[96];
        return cpose_err(CPOSE_ESHAPE, "conv2d: input %s does not match weight [%d, %d, %d, %d]",
                         cpose_shape_str(x->dims, x->ndim, s, sizeof s), p->cout, p->cin, p->k, p->k);
    }
    int64_t ho = (x->dims[2] + 2 * p->pad - p->k) / p->stride + 1;
    int64_t wo = (x->dims[3] + 2 * p->pad - p->k) / p->stride + 1;
    if (ho <= 0 || wo <= 0) return cpose_err(CPOSE_ESHAPE, "conv2d: input %lldx%lld too small for kernel %d",
                                             (long long)x->dims[2], (long long)x->dims[3], p->k);
    cpose_tensor_set4(out, x->dims[0], p->cout, ho, wo, p->out_layout ? p->out_layout : x->layout);
    if (n_in == 2) {
        const struct cpose_tensor *r = in[1];
        if (r->ndim != 4 || r->dims[0] != out->dims[0] || r->dims[1] != out->dims[1] || r->dims[2] != ho ||
            r->dims[3] != wo) {
            char s[96], o[96];
            return cpose_err(CPOSE_ESHAPE, "conv2d: residual input %s does not match the output %s",
                             cpose_shape_str(r->dims, r->ndim, s, sizeof s), cpose_shape_str(out->dims, 4, o, sizeof o));
        }
    }
    return CPOSE_OK;
}

static int conv2d_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                          struct cpose_tensor *out, void *params)
{
    return cpose_conv_kernel_run(params, in[0], n_in == 2 ? in[1] : NULL, out);
}

static int conv2d_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                           const struct cpose_tensor *out, const struct cpose_tensor *gout,
                           struct cpose_tensor *const *gin, void *params)
{
    if (n_in != 1) return cpose_err(CPOSE_ENOTSUP, "conv2d: no backward through a fused residual input");
    return cpose_conv_kernel_backward(params, in[0], gout, gin[0], ctx->grad_accum & 1, ctx->param_accum);
}

static void conv2d_free(void *params)
{
    struct cpose_conv2d_params *p = params;
    cpose_conv_kernel_free(p->kern);
    cpose_conv_bwd_free(p->bwd);
    cpose_free(p->own_w);
    cpose_free(p->own_b);
}

const struct cpose_op_def cpose_op_conv2d = {
    .name = "conv2d", .n_inputs = -1, .shape = conv2d_shape, .forward = conv2d_forward, .backward = conv2d_backward,
    .bwd_needs = CPOSE_BWD_IN(0),
    .params_size = sizeof(struct cpose_conv2d_params), .free_params = conv2d_free,
};
