/* core/nn/ops/fake_quantize.c — per-tensor fake quantisation (quantise then dequantise), the
 * int8/uint8 activations of a quantised model run in float: y = (clamp(round(x/scale) + zero, qmin,
 * qmax) − zero) · scale, round half to even (ONNX QuantizeLinear → DequantizeLinear; OpenVINO's
 * FakeQuantize with its range on the grid). Elementwise over stored floats; no backward (inference
 * graphs read from quantised exports). */
#include "core/nn/ops/eltwise_impl.h"

#include <math.h>

static int fake_quantize_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                                 struct cpose_tensor *out, void *params)
{
    const struct cpose_fake_quantize_params *p = params;
    const float *x = in[0]->data;
    float *y = out->data;
    int64_t n = cpose_tensor_size(out);
    const float inv = 1.0f / p->scale;
#pragma omp parallel for schedule(static) if (n >= CPOSE_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float q = nearbyintf(x[i] * inv) + p->zero;
        q = q < p->qmin ? p->qmin : q > p->qmax ? p->qmax : q;
        y[i] = (q - p->zero) * p->scale;
    }
    return CPOSE_OK;
}

static int fake_quantize_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                                  const struct cpose_tensor *out, const struct cpose_tensor *gout,
                                  struct cpose_tensor *const *gin, void *params)
{
    return cpose_err(CPOSE_ENOTSUP, "fake_quantize: inference only (no backward)");
}

const struct cpose_op_def cpose_op_fake_quantize = {
    .name = "fake_quantize", .n_inputs = 1, .shape = cpose_eltwise_unary_shape, .forward = fake_quantize_forward,
    .backward = fake_quantize_backward, .params_size = sizeof(struct cpose_fake_quantize_params),
};
