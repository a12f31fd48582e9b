/* core/nn/ops/silu.c — SiLU (swish) activation, y = x · sigmoid(x), elementwise, and its gradient (AVX2 vector exp when the CPU has it). */
#include "core/nn/ops/eltwise_impl.h"

#include <math.h>

#include "core/base/simd_avx2.h"

#define CHUNK 8192  /* floats per parallel work item */

#ifdef CPOSE_X86
static CPOSE_AVX2_FN void silu_fwd_avx2(const float *x, float *y, int64_t n)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(v, cpose_sigmoid8(v)));
    }
    for (; i < n; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
}

/* d = [d +] g·s·(1 + x·(1 − s)) */
static CPOSE_AVX2_FN void silu_bwd_avx2(const float *x, const float *g, float *d, int64_t n, int acc)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), s = cpose_sigmoid8(v);
        __m256 r = _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(g + i), s), _mm256_fmadd_ps(v, _mm256_sub_ps(one, s), one));
        if (acc) r = _mm256_add_ps(r, _mm256_loadu_ps(d + i));
        _mm256_storeu_ps(d + i, r);
    }
    for (; i < n; i++) {
        float sg = 1.0f / (1.0f + expf(-x[i])), r = g[i] * sg * (1.0f + x[i] * (1.0f - sg));
        d[i] = acc ? d[i] + r : r;
    }
}
#endif

static int silu_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                        struct cpose_tensor *out, void *params)
{
    const float *x = in[0]->data;
    float *y = out->data;
    int64_t n = cpose_tensor_size(out);
#ifdef CPOSE_X86
    if (cpose_have_avx2()) {
#pragma omp parallel for schedule(static) if (n >= CPOSE_PAR_MIN)
        for (int64_t c = 0; c < (n + CHUNK - 1) / CHUNK; c++)
            silu_fwd_avx2(x + c * CHUNK, y + c * CHUNK, c * CHUNK + CHUNK <= n ? CHUNK : n - c * CHUNK);
        return CPOSE_OK;
    }
#endif
#pragma omp parallel for schedule(static) if (n >= CPOSE_PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
    return CPOSE_OK;
}

/* dy/dx = s·(1 + x·(1 − s)), s = sigmoid(x). */
static int silu_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                         const struct cpose_tensor *out, const struct cpose_tensor *gout,
                         struct cpose_tensor *const *gin, void *params)
{
    if (!gin[0]) return CPOSE_OK;
    const float *x = in[0]->data, *g = gout->data;
    float *d = gin[0]->data;
    int64_t n = cpose_tensor_size(gout);
    int acc = ctx->grad_accum & 1;
#ifdef CPOSE_X86
    if (cpose_have_avx2()) {
#pragma omp parallel for schedule(static) if (n >= CPOSE_PAR_MIN)
        for (int64_t c = 0; c < (n + CHUNK - 1) / CHUNK; c++)
            silu_bwd_avx2(x + c * CHUNK, g + c * CHUNK, d + c * CHUNK, c * CHUNK + CHUNK <= n ? CHUNK : n - c * CHUNK, acc);
        return CPOSE_OK;
    }
#endif
#pragma omp parallel for schedule(static) if (n >= CPOSE_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float s = 1.0f / (1.0f + expf(-x[i]));
        float v = g[i] * s * (1.0f + x[i] * (1.0f - s));
        d[i] = acc ? d[i] + v : v;
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_silu = {
    .name = "silu", .n_inputs = 1, .shape = cpose_eltwise_unary_shape, .forward = silu_forward,
    .backward = silu_backward, .bwd_needs = CPOSE_BWD_IN(0),
};
