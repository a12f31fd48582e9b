/* core/nn/ops/eltwise_impl.h — shape functions shared by the elementwise op files (internal). */
#ifndef CPOSE_ELTWISE_IMPL_H
#define CPOSE_ELTWISE_IMPL_H

#include "core/nn/graph.h"

static inline int cpose_eltwise_unary_shape(const struct cpose_tensor *const *in, int n_in, const void *params,
                                            struct cpose_tensor *out)
{
    *out = *in[0];
    out->data = NULL;
    return CPOSE_OK;
}

static inline int cpose_eltwise_binary_shape_named(const char *op, const struct cpose_tensor *const *in,
                                                   struct cpose_tensor *out)
{
    int rc = cpose_op_same_shape(op, in[0], in[1]);
    if (rc) return rc;
    *out = *in[0];
    out->data = NULL;
    return CPOSE_OK;
}

/* Defines a binary elementwise op `name` computing `expr` of a and b; its backward computes, from
 * a, b and the output gradient g, the input gradients `ga` and `gb` (expressions of a, b, g). The
 * loops run over stored floats, padding too (g is zero there, and ga/gb must then be zero).
 * needs: what the backward reads (CPOSE_BWD_* bits). */
#define CPOSE_BINARY_OP(opname, expr, ga, gb, needs)                                                                   \
    static int opname##_shape(const struct cpose_tensor *const *in, int n_in, const void *params,       \
                              struct cpose_tensor *out)                                                 \
    {                                                                                                   \
        return cpose_eltwise_binary_shape_named(#opname, in, out);                                      \
    }                                                                                                   \
    static int opname##_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,\
                                struct cpose_tensor *out, void *params)                                 \
    {                                                                                                   \
        const float *A = in[0]->data, *B = in[1]->data;                                                 \
        float *Y = out->data;                                                                           \
        int64_t n = cpose_tensor_size(out); /* padding too: stays finite */                                                            \
        _Pragma("omp parallel for simd schedule(static) if (n >= CPOSE_PAR_MIN)") for (int64_t i = 0; i < n; i++)              \
        {                                                                                               \
            float a = A[i], b = B[i];                                                                   \
            Y[i] = (expr);                                                                              \
        }                                                                                               \
        return CPOSE_OK;                                                                                \
    }                                                                                                   \
    static int opname##_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,   \
                                 const struct cpose_tensor *out, const struct cpose_tensor *gout,            \
                                 struct cpose_tensor *const *gin, void *params)                              \
    {                                                                                                   \
        const float *A = in[0]->data, *B = in[1]->data, *G = gout->data;                                \
        int64_t n = cpose_tensor_size(gout);                                                            \
        for (int k = 0; k < 2; k++) {                                                                   \
            if (!gin[k]) continue;                                                                      \
            float *D = gin[k]->data;                                                                    \
            int acc = (ctx->grad_accum >> k) & 1;                                                       \
            _Pragma("omp parallel for simd schedule(static) if (n >= CPOSE_PAR_MIN)") for (int64_t i = 0; i < n; i++) \
            {                                                                                           \
                float a = A ? A[i] : 0, b = B ? B[i] : 0, g = G[i];  \
                (void)a, (void)b;                                   \
                float v = g == 0.0f ? 0.0f : k == 0 ? (ga) : (gb);                                      \
                D[i] = acc ? D[i] + v : v;                                                              \
            }                                                                                           \
        }                                                                                               \
        return CPOSE_OK;                                                                                \
    }                                                                                                   \
    const struct cpose_op_def cpose_op_##opname = {.name = #opname, .n_inputs = 2, .shape = opname##_shape, \
                                                   .forward = opname##_forward, .backward = opname##_backward, \
                                                   .bwd_needs = (needs)}

#endif
