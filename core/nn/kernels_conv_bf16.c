/* core/nn/kernels_conv_bf16.c — the k×k convolution (any k, stride and pad) in bf16 on nChw16c tensors
 * (AVX512_BF16) as an implicit GEMM, with bias, SiLU and the residual fused; half=True's kernel for
 * 1×1 convs, stride-2 convs and 3×3 convs too narrow for Winograd (kernels.h).
 *
 * A conv is a GEMM over output pixels: y[q][o] = Σ_{tap, c} x[q·stride + tap − pad][c]·w[o][c][tap].
 * Work goes by chunks of output pixels; each chunk's taps are gathered and rounded to bf16 into a
 * per-thread buffer [pixels][taps·cinp] while they are read (no separate conversion pass over the
 * activation, which is what made oneDNN's bf16 1×1 convs no faster than float32 ones), multiplied on
 * the shared micro-kernels (kernels_bf16_gemm.h) into float32 rows, and written back through the
 * epilogue, so only the float32 input and output cross memory. */
#include "core/nn/kernels.h"
#include "core/nn/kernels_bf16_gemm.h"
#include "core/base/simd_avx512.h"

#include <stdlib.h>
#include <string.h>

struct cpose_conv_bf16 {
    int cin, cout, cinp, coutp;  /* channels, padded to blocks of 16 */
    int k, stride, pad;
    uint16_t *u;                 /* weights as pair rows [k·k·cinp/2][coutp][2] in bf16 (row tap·cinp + c), zero in the padding */
    float *bias;                 /* [coutp], zero padded */
};

void cpose_conv_bf16_free(struct cpose_conv_bf16 *w)
{
    if (!w) return;
    free(w->u), free(w->bias);
    cpose_free(w);
}

int cpose_bf16_own_available(void)
{
#ifdef CPOSE_X86
    return cpose_bf16_gemm_cpu() && cpose_cpu_has_bf16();
#else
    return 0;
#endif
}

int cpose_conv_bf16_applies(const struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                            const struct cpose_tensor *res, const struct cpose_tensor *out)
{
    return cpose_bf16_own_available() && in->layout == CPOSE_LAYOUT_BLK16 && out->layout == CPOSE_LAYOUT_BLK16 &&
           (!res || res->layout == CPOSE_LAYOUT_BLK16) && p->cin >= 16 && p->cout >= 16 && p->k >= 1 && p->stride >= 1;
}

int cpose_conv_bf16_prepare(const struct cpose_conv2d_params *p, struct cpose_conv_bf16 **out)
{
    struct cpose_conv_bf16 *w = cpose_calloc(1, sizeof *w);
    w->cin = p->cin, w->cout = p->cout, w->k = p->k, w->stride = p->stride, w->pad = p->pad;
    w->cinp = (p->cin + 15) / 16 * 16, w->coutp = (p->cout + 15) / 16 * 16;
    int taps = p->k * p->k;
    size_t nu = (size_t)taps * w->cinp * w->coutp;
    if (posix_memalign((void **)&w->u, 64, nu * sizeof *w->u) || posix_memalign((void **)&w->bias, 64, w->coutp * sizeof(float))) {
        cpose_conv_bf16_free(w);
        return cpose_err(CPOSE_ENOMEM, "conv bf16: cannot allocate %zu weights", nu);
    }
    memset(w->u, 0, nu * sizeof *w->u);
    memset(w->bias, 0, w->coutp * sizeof(float));
    for (int o = 0; o < p->cout; o++) {
        if (p->bias) w->bias[o] = p->bias[o];
        for (int c = 0; c < p->cin; c++)
            for (int t = 0; t < taps; t++)
                w->u[cpose_bf16_pair_index(t * w->cinp + c, o, w->coutp, taps * w->cinp)] =
                    cpose_bf16_round(p->weight[((size_t)o * p->cin + c) * taps + t]);
    }
    *out = w;
    return CPOSE_OK;
}

#ifdef CPOSE_X86
/* Output pixels p0..p0+np−1 (row-major over Ho×Wo) of image plane x (nChw16c, cinp/16 blocks of
 * H×W·16) into y (coutp/16 blocks of Ho×Wo·16), residual plane rs (y's strides) or NULL; scratch V of
 * npp·taps·cinp bf16 and M of npp·coutp floats (npp = np rounded up to CPOSE_BF16_TR). */
static CPOSE_BF16_FN void chunk(const struct cpose_conv_bf16 *w, int act, const float *x, const float *rs, float *y,
                                int64_t H, int64_t W, int64_t Ho, int64_t Wo, int64_t p0, int np, uint16_t *V, float *M)
{
    int npp = (np + CPOSE_BF16_TR - 1) / CPOSE_BF16_TR * CPOSE_BF16_TR, cinp = w->cinp, coutp = w->coutp;
    int K = w->k * w->k * cinp;
    for (int q = 0; q < npp; q++) {
        uint16_t *v = V + (int64_t)q * K;
        int64_t oh = (p0 + q) / Wo, ow = (p0 + q) % Wo;
        for (int i = 0; i < w->k; i++)
            for (int j = 0; j < w->k; j++) {
                int64_t h = oh * w->stride - w->pad + i, ww = ow * w->stride - w->pad + j;
                int inside = q < np && h >= 0 && h < H && ww >= 0 && ww < W;
                int64_t off = inside ? (h * W + ww) * 16 : 0;
                for (int cb = 0; cb < cinp / 16; cb++, v += 16) {
                    __m512 d = inside ? _mm512_loadu_ps(x + cb * H * W * 16 + off) : _mm512_setzero_ps();
                    _mm256_storeu_si256((__m256i *)v, (__m256i)_mm512_cvtneps_pbh(d));
                }
            }
    }
    cpose_gemm_bf16(V, K, w->u, M, npp, coutp, K / 2);
    int64_t HWo16 = Ho * Wo * 16;
    for (int ob = 0; ob < coutp / 16; ob++) {
        __m512 bias = _mm512_load_ps(w->bias + ob * 16);
        float *yc = y + ob * HWo16 + p0 * 16;
        const float *rc = rs ? rs + ob * HWo16 + p0 * 16 : NULL;
        for (int q = 0; q < np; q++) {
            __m512 v = _mm512_add_ps(_mm512_loadu_ps(M + (int64_t)q * coutp + ob * 16), bias);
            if (act == CPOSE_ACT_SILU) v = cpose_silu16(v);
            if (rc) v = _mm512_add_ps(v, _mm512_loadu_ps(rc + (int64_t)q * 16));
            _mm512_storeu_ps(yc + (int64_t)q * 16, v);
        }
    }
}
#endif

#ifdef CPOSE_X86
struct run_ctx {
    const struct cpose_conv_bf16 *w;
    int act;
    const struct cpose_tensor *in, *res, *out;
    int64_t in_img, out_img;
};

static void run_chunk(const void *ctx, int64_t n, int64_t p0, int cnt, void *V, void *M)
{
    const struct run_ctx *c = ctx;
    chunk(c->w, c->act, c->in->data + n * c->in_img, c->res ? c->res->data + n * c->out_img : NULL,
          c->out->data + n * c->out_img, c->in->dims[2], c->in->dims[3], c->out->dims[2], c->out->dims[3], p0, cnt, V, M);
}
#endif

int cpose_conv_bf16_run(const struct cpose_conv_bf16 *w, const struct cpose_conv2d_params *p,
                        const struct cpose_tensor *in, const struct cpose_tensor *res, struct cpose_tensor *out)
{
#ifdef CPOSE_X86
    int64_t N = in->dims[0], pixels = out->dims[2] * out->dims[3], K = (int64_t)w->k * w->k * w->cinp, np, nch;
    /* chunks of output pixels whose gathered bf16 taps and float32 output rows stay in the per-core cache */
    cpose_wino_chunks(pixels, K * 2 + (int64_t)w->coutp * 4, CPOSE_BF16_TR, &np, &nch);
    struct run_ctx c = {w, p->act, in, res, out, cpose_tensor_size(in) / N, cpose_tensor_size(out) / N};
    return cpose_run_chunks(N, pixels, np, np * K * sizeof(uint16_t), np * w->coutp * sizeof(float), run_chunk, &c,
                            "conv bf16");
#else
    (void)w, (void)p, (void)in, (void)res, (void)out;
    return cpose_err(CPOSE_ENOTSUP, "conv bf16: needs an x86 CPU with AVX512_BF16");
#endif
}
