/* core/nn/kernels_wino_bf16.c — Winograd F(2×2, 3×3) with bf16 GEMMs for 3×3 stride-1 pad-1 convs
 * on nChw16c tensors (AVX512_BF16), the conv epilogue (bias, SiLU, residual) fused into the output
 * transform; half=True's kernel for those convs (kernels.h).
 *
 * The algorithm and the chunking are those of core/nn/kernels_wino.c. The input and output
 * transforms are its (kernels_wino_tile.h) in float32 on whole 16-channel blocks (16-lane vectors:
 * 0.7 ms less over yolov8n-pose at 640 than two 8-lane halves on AMD Zen 4), the SiLU without a
 * division (cpose_silu16). The transformed input V is rounded to bf16 as it is stored and the transformed filter U once at
 * prepare. The 16 GEMMs M[ξ] = V[ξ]·U[ξ] then run on vdpbf16ps, which multiplies pairs of bf16
 * along the input channels and adds both products to a float32 lane: V is [16][tiles][cinp] (two
 * consecutive channels form a pair, broadcast as one 32-bit value), U is [16][cinp/2][coutp][2] (a
 * pair for each output channel, 16 output channels to a 512-bit register). Against the direct bf16
 * conv this does 2.25× fewer multiplies, at the cost of the transforms. */
#include "core/nn/kernels.h"
#include "core/nn/kernels_bf16_gemm.h"
#include "core/nn/kernels_wino_tile.h"

#include <stdlib.h>
#include <string.h>

struct cpose_wino_bf16 {
    int cin, cout, cinp, coutp;  /* channels, padded to blocks of 16 */
    uint16_t *u;                 /* U[16][cinp/2][coutp][2] in bf16, zero in the padding */
    float *bias;                 /* [coutp], zero padded */
};

void cpose_wino_bf16_free(struct cpose_wino_bf16 *w)
{
    if (!w) return;
    free(w->u), free(w->bias);
    cpose_free(w);
}

int cpose_wino_bf16_applies(const struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                            const struct cpose_tensor *res, const struct cpose_tensor *out)
{
#ifdef CPOSE_X86
    return cpose_bf16_own_available() && p->k == 3 && p->stride == 1 && p->pad == 1 && in->layout == CPOSE_LAYOUT_BLK16 &&
           out->layout == CPOSE_LAYOUT_BLK16 && (!res || res->layout == CPOSE_LAYOUT_BLK16) && p->cin >= 16 &&
           p->cout >= 16;
#else
    (void)p, (void)in, (void)res, (void)out;
    return 0;
#endif
}

int cpose_wino_bf16_prepare(const struct cpose_conv2d_params *p, struct cpose_wino_bf16 **out)
{
    struct cpose_wino_bf16 *w = cpose_calloc(1, sizeof *w);
    w->cin = p->cin, w->cout = p->cout;
    w->cinp = (p->cin + 15) / 16 * 16, w->coutp = (p->cout + 15) / 16 * 16;
    size_t nu = (size_t)16 * w->cinp * w->coutp;
    if (posix_memalign((void **)&w->u, 64, nu * sizeof *w->u) || posix_memalign((void **)&w->bias, 64, w->coutp * sizeof(float))) {
        cpose_wino_bf16_free(w);
        return cpose_err(CPOSE_ENOMEM, "winograd bf16: cannot allocate %zu weights", nu);
    }
    memset(w->u, 0, nu * sizeof *w->u);
    memset(w->bias, 0, w->coutp * sizeof(float));
    for (int o = 0; o < p->cout; o++) {
        if (p->bias) w->bias[o] = p->bias[o];
        for (int c = 0; c < p->cin; c++) {
            float u[16];
            cpose_wino_filter(p->weight + ((size_t)o * p->cin + c) * 9, u);
            for (int xi = 0; xi < 16; xi++)
                w->u[(size_t)xi * w->cinp * w->coutp + cpose_bf16_pair_index(c, o, w->coutp, w->cinp)] = cpose_bf16_round(u[xi]);
        }
    }
    *out = w;
    return CPOSE_OK;
}

#ifdef CPOSE_X86
/* One chunk: tiles t0..t0+nt−1 (row-major over the tW tiles of a row) of image plane x (nChw16c,
 * cinp/16 blocks of H·W·16) into y (coutp/16 blocks); scratch V of 16·ntp·cinp bf16 and M of
 * 16·ntp·coutp floats (ntp = nt rounded up to TR). */
static CPOSE_BF16_FN void chunk(const struct cpose_wino_bf16 *w, int act, const float *x, const float *res, float *y, int64_t H,
                          int64_t W, int64_t tW, int64_t t0, int nt, uint16_t *V, float *M)
{
    int ntp = (nt + CPOSE_BF16_TR - 1) / CPOSE_BF16_TR * CPOSE_BF16_TR, cinp = w->cinp, coutp = w->coutp;
    int64_t HW16 = H * W * 16;
    for (int cb = 0; cb < cinp / 16; cb++) {
        const float *xc = x + cb * HW16;
        for (int t = 0; t < ntp; t++) {
            __m512 v[16];
            cpose_wino_input_tile16(xc, H, W, 2 * ((t0 + t) / tW) - 1, 2 * ((t0 + t) % tW) - 1, 16, t < nt, v);
            for (int xi = 0; xi < 16; xi++)
                _mm256_storeu_si256((__m256i *)(V + ((int64_t)xi * ntp + t) * cinp + cb * 16), (__m256i)_mm512_cvtneps_pbh(v[xi]));
        }
    }
    for (int xi = 0; xi < 16; xi++)
        cpose_gemm_bf16(V + (int64_t)xi * ntp * cinp, cinp, w->u + (int64_t)xi * cinp * coutp, M + (int64_t)xi * ntp * coutp,
                        ntp, coutp, cinp / 2);
    for (int ob = 0; ob < coutp / 16; ob++)
        cpose_wino_output_block16(M, ntp, coutp, ob * 16, _mm512_load_ps(w->bias + ob * 16), act, res ? res + ob * HW16 : NULL,
                                  y + ob * HW16, H, W, tW, t0, nt);
}
#endif

#ifdef CPOSE_X86
/* chunk() as a cpose_wino_chunk_fn */
static void chunk_any(const void *w, int act, const float *x, const float *res, float *y, int64_t H, int64_t W,
                      int64_t tW, int64_t t0, int nt, void *V, void *M)
{
    chunk(w, act, x, res, y, H, W, tW, t0, nt, V, M);
}
#endif

int cpose_wino_bf16_run(const struct cpose_wino_bf16 *w, const struct cpose_conv2d_params *p,
                        const struct cpose_tensor *in, const struct cpose_tensor *res, struct cpose_tensor *out)
{
#ifdef CPOSE_X86
    return cpose_wino_drive(w, chunk_any, p->act, in, res, out, CPOSE_BF16_TR, w->cinp * sizeof(uint16_t),
                            w->coutp * sizeof(float), "winograd bf16");
#else
    (void)w, (void)p, (void)in, (void)res, (void)out;
    return cpose_err(CPOSE_ENOTSUP, "winograd bf16: needs an x86 CPU with AVX512_BF16");
#endif
}
