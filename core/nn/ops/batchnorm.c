/* core/nn/ops/batchnorm.c — 2-D batch normalisation, eval (running statistics) and train (batch
 * statistics, running statistics updated with momentum as PyTorch does), and its gradient in both modes. */
#include "core/nn/ops/plane_impl.h"

#include <math.h>

static int bn_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_batchnorm_params *p = params;
    if (in[0]->ndim != 4 || in[0]->dims[1] != p->c) {
        char s[96];
        return cpose_err(CPOSE_ESHAPE, "batchnorm: input %s, expected %d channels",
                         cpose_shape_str(in[0]->dims, in[0]->ndim, s, sizeof s), p->c);
    }
    *out = *in[0];
    out->data = NULL;
    return CPOSE_OK;
}

/* Per stored channel (padding included), over all images and pixels: sums of a(x) and b(x, y)
 * in double, accumulated per thread and merged. */
static void channel_sums(const struct cpose_tensor *x, const struct cpose_tensor *y, const double *mean,
                         const double *invstd, double *s1, double *s2)
{
    struct cpose_planes pl = cpose_planes_of(x);
    int64_t Cp = pl.CB * pl.V;
    for (int64_t c = 0; c < Cp; c++) s1[c] = s2[c] = 0;
#pragma omp parallel if (pl.G * pl.P * pl.V >= CPOSE_PAR_MIN)
    {
        double l1[Cp], l2[Cp];
        for (int64_t c = 0; c < Cp; c++) l1[c] = l2[c] = 0;
#pragma omp for schedule(static)
        for (int64_t g = 0; g < pl.G; g++) {
            int64_t c0 = (g % pl.CB) * pl.V, V = pl.V;
            const float *xp = x->data + g * pl.P * V, *gp = y ? y->data + g * pl.P * V : NULL;
            float f1[V], f2[V], m[V], r[V];
            for (int64_t v = 0; v < V; v++) m[v] = mean ? (float)mean[c0 + v] : 0, r[v] = invstd ? (float)invstd[c0 + v] : 0;
            /* float partial sums over runs of 64 pixels, added up in double */
            for (int64_t q0 = 0; q0 < pl.P; q0 += 64) {
                int64_t q1 = q0 + 64 < pl.P ? q0 + 64 : pl.P;
                for (int64_t v = 0; v < V; v++) f1[v] = f2[v] = 0;
                if (!gp) {  /* Σ x, Σ x² */
                    for (int64_t q = q0; q < q1; q++)
                        for (int64_t v = 0; v < V; v++) {
                            float a = xp[q * V + v];
                            f1[v] += a, f2[v] += a * a;
                        }
                } else {  /* Σ dy, Σ dy·x̂ (y holds dy) */
                    for (int64_t q = q0; q < q1; q++)
                        for (int64_t v = 0; v < V; v++) {
                            float d = gp[q * V + v];
                            f1[v] += d, f2[v] += d * ((xp[q * V + v] - m[v]) * r[v]);
                        }
                }
                for (int64_t v = 0; v < V; v++) l1[c0 + v] += f1[v], l2[c0 + v] += f2[v];
            }
        }
#pragma omp critical
        for (int64_t c = 0; c < Cp; c++) s1[c] += l1[c], s2[c] += l2[c];
    }
}

/* out = a[ch]·x + b[ch] (+ c[ch]·xin when xin is set: the backward's three-term form), over
 * stored channels. */
static void channel_affine(const struct cpose_tensor *x, const float *a, const float *b, const float *g,
                           const float *cc, float *out)
{
    struct cpose_planes pl = cpose_planes_of(x);
#pragma omp parallel for schedule(static) if (pl.G * pl.P * pl.V >= CPOSE_PAR_MIN)
    for (int64_t g0 = 0; g0 < pl.G; g0++) {
        int64_t c0 = (g0 % pl.CB) * pl.V, base = g0 * pl.P * pl.V;
        const float *xp = x->data + base, *gp = g ? g + base : NULL;
        float *op = out + base;
        for (int64_t q = 0; q < pl.P; q++)
            for (int64_t v = 0; v < pl.V; v++) {
                int64_t i = q * pl.V + v;
                float r = a[c0 + v] * xp[i] + b[c0 + v];
                if (gp) r += cc[c0 + v] * gp[i];
                op[i] = r;
            }
    }
}

static int bn_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                      struct cpose_tensor *out, void *params)
{
    struct cpose_batchnorm_params *p = params;
    const struct cpose_tensor *x = in[0];
    struct cpose_planes pl = cpose_planes_of(x);
    int64_t C = p->c, Cp = pl.CB * pl.V, cnt = x->dims[0] * pl.P;
    float scale[Cp], shift[Cp];
    for (int64_t c = 0; c < Cp; c++) scale[c] = shift[c] = 0;
    if (ctx && ctx->train) {
        double s1[Cp], s2[Cp];
        channel_sums(x, NULL, NULL, NULL, s1, s2);
        if (!p->saved) p->saved = cpose_malloc(2 * (size_t)C * sizeof(float));  /* once per node */
        for (int64_t c = 0; c < C; c++) {
            double mean = s1[c] / cnt, var = s2[c] / cnt - mean * mean;
            if (var < 0) var = 0;
            double unbiased = cnt > 1 ? var * cnt / (cnt - 1) : var, invstd = 1.0 / sqrt(var + p->eps);
            p->mean[c] = (float)((1 - p->momentum) * p->mean[c] + p->momentum * mean);
            p->var[c] = (float)((1 - p->momentum) * p->var[c] + p->momentum * unbiased);
            p->saved[c] = (float)mean, p->saved[C + c] = (float)invstd;
            scale[c] = (float)(p->weight[c] * invstd);
            shift[c] = (float)(p->bias[c] - mean * p->weight[c] * invstd);
        }
        if (p->nbt) p->nbt[0] += 1;
    } else {
        for (int64_t c = 0; c < C; c++) {
            scale[c] = (float)(p->weight[c] / sqrt((double)p->var[c] + p->eps));
            shift[c] = (float)(p->bias[c] - p->mean[c] * scale[c]);
        }
    }
    channel_affine(x, scale, shift, NULL, NULL, out->data);  /* padding: scale = shift = 0 → 0 */
    return CPOSE_OK;
}

/* Train mode, with x̂ = (x − μ)·r (r = 1/sqrt(var + eps), the saved batch statistics) and M the
 * values per channel: dγ = Σ dy·x̂, dβ = Σ dy, dx = γ·r·(dy − dβ/M − x̂·dγ/M). Eval mode (running
 * statistics, constants): dx = γ/sqrt(running_var + eps)·dy and the same dγ, dβ with x̂ from the
 * running statistics. */
static int bn_backward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                       const struct cpose_tensor *out, const struct cpose_tensor *gout,
                       struct cpose_tensor *const *gin, void *params)
{
    struct cpose_batchnorm_params *p = params;
    const struct cpose_tensor *x = in[0];
    struct cpose_planes pl = cpose_planes_of(x);
    int64_t C = p->c, Cp = pl.CB * pl.V, M = x->dims[0] * pl.P;
    int train = ctx->train;
    if (train && !p->saved) return cpose_err(CPOSE_EINVAL, "batchnorm: backward without a train-mode forward");
    double mean[Cp], invstd[Cp], sdy[Cp], sdyx[Cp];
    for (int64_t c = 0; c < Cp; c++) mean[c] = 0, invstd[c] = 0;
    for (int64_t c = 0; c < C; c++) {
        mean[c] = train ? p->saved[c] : p->mean[c];
        invstd[c] = train ? p->saved[C + c] : 1.0 / sqrt((double)p->var[c] + p->eps);
    }
    channel_sums(x, gout, mean, invstd, sdy, sdyx);
    for (int64_t c = 0; c < C; c++) {
        if (p->grad_w) p->grad_w[c] = (float)(ctx->param_accum ? p->grad_w[c] + sdyx[c] : sdyx[c]);
        if (p->grad_b) p->grad_b[c] = (float)(ctx->param_accum ? p->grad_b[c] + sdy[c] : sdy[c]);
    }
    if (!gin[0]) return CPOSE_OK;
    /* dx = A·x + B + D·dy per channel */
    float A[Cp], Bc[Cp], D[Cp];
    for (int64_t c = 0; c < Cp; c++) A[c] = Bc[c] = D[c] = 0;
    for (int64_t c = 0; c < C; c++) {
        double gr = p->weight[c] * invstd[c];
        if (train) {
            double k = gr * sdyx[c] / M * invstd[c];  /* x̂·dγ/M = (x − μ)·r·dγ/M */
            A[c] = (float)-k;
            Bc[c] = (float)(k * mean[c] - gr * sdy[c] / M);
        }
        D[c] = (float)gr;
    }
    if (ctx->grad_accum & 1) {
        struct cpose_planes q = pl;
#pragma omp parallel for schedule(static) if (q.G * q.P * q.V >= CPOSE_PAR_MIN)
        for (int64_t g0 = 0; g0 < q.G; g0++) {
            int64_t c0 = (g0 % q.CB) * q.V, base = g0 * q.P * q.V;
            for (int64_t i = 0; i < q.P * q.V; i++) {
                int64_t c = c0 + i % q.V;
                gin[0]->data[base + i] += A[c] * x->data[base + i] + Bc[c] + D[c] * gout->data[base + i];
            }
        }
    } else {
        channel_affine(x, A, Bc, gout->data, D, gin[0]->data);
    }
    return CPOSE_OK;
}

static void bn_free(void *params) { cpose_free(((struct cpose_batchnorm_params *)params)->saved); }

const struct cpose_op_def cpose_op_batchnorm = {
    .name = "batchnorm", .n_inputs = 1, .shape = bn_shape, .forward = bn_forward, .backward = bn_backward,
    .bwd_needs = CPOSE_BWD_IN(0), .params_size = sizeof(struct cpose_batchnorm_params), .free_params = bn_free,
};
