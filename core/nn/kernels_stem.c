/* core/nn/kernels_stem.c — the int8 model's first conv (3→cout, 3×3, stride 2, pad 1) in float32 FMAs
 * on the NCHW image; see kernels_stem.h for why and for the contract.
 *
 * Per output row and block of 16 output channels (two vectors; 8 for a tail): 6 output pixels (4 for
 * a tail) at a time, each of the 27 taps one broadcast input value times the tap's weight vectors, accumulated
 * from the bias; pixels whose window crosses the left or right edge take the checked path, rows
 * outside the image are skipped. Rows are handed out in chunks, taken in turn (cpose_run_chunks). */
#include "core/nn/kernels_stem.h"
#include "core/nn/kernels.h"

#include <stdlib.h>
#include <string.h>

struct cpose_stem {
    int cout, coutp;  /* coutp: cout rounded up to 8 */
    float *w;         /* [27][coutp], tap (c·3 + kh)·3 + kw, 0 in the padding */
    float *bias;      /* [coutp] */
};

#define TAPS 27
#define PX 4    /* output pixels a block of the general path */
#define PX16 6  /* and of the 16-channel inside path */

int cpose_stem_on(void)
{
#ifdef CPOSE_X86
    const char *env = getenv("CPOSE_STEM");
    return cpose_have_avx2() && !(env && !strcmp(env, "0"));
#else
    return 0;
#endif
}

int cpose_stem_fits(const struct cpose_conv2d_params *p)
{
    return cpose_stem_on() && p->cin == 3 && p->k == 3 && p->stride == 2 && p->pad == 1;
}

int cpose_stem_wanted(const struct cpose_conv2d_params *p, int src_layout, int out_layout, int has_res)
{
    return cpose_stem_fits(p) && src_layout == CPOSE_LAYOUT_PLAIN && out_layout == CPOSE_LAYOUT_NHWC && !has_res;
}

void cpose_stem_free(struct cpose_stem *s)
{
    if (!s) return;
    free(s->w), free(s->bias);
    cpose_free(s);
}

int cpose_stem_prepare(const struct cpose_conv2d_params *p, struct cpose_stem **out)
{
    struct cpose_stem *s = cpose_calloc(1, sizeof *s);
    s->cout = p->cout, s->coutp = (p->cout + 7) / 8 * 8;
    if (posix_memalign((void **)&s->w, 64, (size_t)TAPS * s->coutp * sizeof(float)) ||
        posix_memalign((void **)&s->bias, 64, s->coutp * sizeof(float))) {
        cpose_stem_free(s);
        return cpose_err(CPOSE_ENOMEM, "stem conv: cannot allocate %d weights", TAPS * p->cout);
    }
    memset(s->w, 0, (size_t)TAPS * s->coutp * sizeof(float));
    memset(s->bias, 0, s->coutp * sizeof(float));
    for (int o = 0; o < p->cout; o++) {
        for (int t = 0; t < TAPS; t++) s->w[(size_t)t * s->coutp + o] = p->weight[(size_t)o * TAPS + t];  /* OIHW */
        if (p->bias) s->bias[o] = p->bias[o];
    }
    *out = s;
    return CPOSE_OK;
}

#ifdef CPOSE_X86
struct stem_ctx {
    const struct cpose_stem *s;
    int act, kind;
    float to_scale;
    const float *src;
    void *dst;
    int64_t H, W, Ho, Wo;
};

/* Output channels o..o+7 of one pixel at element y of dst: SiLU if the conv has it, stored as the run's
 * kind. */
static CPOSE_AVX2_FN inline void put8(const struct stem_ctx *c, __m256 v, int64_t y, int o)
{
    cpose_i8_finish8(c->dst, y, v, c->s->cout - o < 8 ? c->s->cout - o : 8, c->act == CPOSE_ACT_SILU, NULL, c->kind, c->to_scale);
}

/* Output pixels ow..ow+np−1 (np ≤ PX) of row oh of image n, channels ob..ob+8·nb−1 (nb 1 or 2);
 * checked: the window may cross the left or right edge (those taps are 0). */
static CPOSE_AVX2_FN inline __attribute__((always_inline)) void pixels(const struct stem_ctx *c, int64_t n, int64_t oh,
                                                                        int64_t ow, int np, int nb, int ob, int checked)
{
    const struct cpose_stem *s = c->s;
    int64_t H = c->H, W = c->W;
    const float *x = c->src + n * 3 * H * W;
    __m256 acc[PX][2];
    for (int j = 0; j < np; j++)
        for (int b = 0; b < nb; b++) acc[j][b] = _mm256_load_ps(s->bias + ob + 8 * b);
    for (int kh = 0; kh < 3; kh++) {
        int64_t ih = 2 * oh + kh - 1;
        if (ih < 0 || ih >= H) continue;
        for (int ci = 0; ci < 3; ci++) {
            const float *row = x + (ci * H + ih) * W;
            for (int kw = 0; kw < 3; kw++) {
                const float *wt = s->w + (size_t)((ci * 3 + kh) * 3 + kw) * s->coutp + ob;
                __m256 w0 = _mm256_load_ps(wt), w1 = nb > 1 ? _mm256_load_ps(wt + 8) : w0;
                for (int j = 0; j < np; j++) {
                    int64_t iw = 2 * (ow + j) + kw - 1;
                    if (checked && (iw < 0 || iw >= W)) continue;
                    __m256 v = _mm256_broadcast_ss(row + iw);
                    acc[j][0] = _mm256_fmadd_ps(v, w0, acc[j][0]);
                    if (nb > 1) acc[j][1] = _mm256_fmadd_ps(v, w1, acc[j][1]);
                }
            }
        }
    }
    for (int j = 0; j < np; j++)
        for (int b = 0; b < nb; b++) put8(c, acc[j][b], ((n * c->Ho + oh) * c->Wo + ow + j) * s->cout + ob + 8 * b, ob + 8 * b);
}

/* The hot path: PX16 inside pixels ow.. of row oh, 16 channels ob.. (every tap in the image's columns):
 * 12 accumulators, the weights and a broadcast in 15 registers (6 pixels rather than 4: 2.28 → 2.14 ms on
 * one Zen 3 thread, 1.15 → 1.08 on two, a 640 image with SiLU to s8, minima of 200 alternating runs). */
static CPOSE_AVX2_FN inline void inside16(const struct stem_ctx *c, int64_t n, int64_t oh, int64_t ow, int ob)
{
    const struct cpose_stem *s = c->s;
    int64_t H = c->H, W = c->W;
    const float *x = c->src + n * 3 * H * W + 2 * ow - 1;
    __m256 a00 = _mm256_load_ps(s->bias + ob), a01 = _mm256_load_ps(s->bias + ob + 8);
    __m256 a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01, a40 = a00, a41 = a01, a50 = a00, a51 = a01;
    for (int kh = 0; kh < 3; kh++) {
        int64_t ih = 2 * oh + kh - 1;
        if (ih < 0 || ih >= H) continue;
        for (int ci = 0; ci < 3; ci++) {
            const float *r = x + (ci * H + ih) * W, *wt = s->w + (size_t)(ci * 3 + kh) * 3 * s->coutp + ob;
            /* rolled, and the weights pinned in registers: otherwise gcc folds each weight load into
             * every FMA, and unrolled it spills accumulators (4 pixels then: 2.27 ms on one Zen 3 thread,
             * against 2.59 without the pin and 2.30 unrolled) */
#pragma GCC unroll 1
            for (int kw = 0; kw < 3; kw++, r++, wt += s->coutp) {
                __m256 w0 = _mm256_load_ps(wt), w1 = _mm256_load_ps(wt + 8), v;
                __asm__("" : "+x"(w0), "+x"(w1));
                v = _mm256_broadcast_ss(r), a00 = _mm256_fmadd_ps(v, w0, a00), a01 = _mm256_fmadd_ps(v, w1, a01);
                v = _mm256_broadcast_ss(r + 2), a10 = _mm256_fmadd_ps(v, w0, a10), a11 = _mm256_fmadd_ps(v, w1, a11);
                v = _mm256_broadcast_ss(r + 4), a20 = _mm256_fmadd_ps(v, w0, a20), a21 = _mm256_fmadd_ps(v, w1, a21);
                v = _mm256_broadcast_ss(r + 6), a30 = _mm256_fmadd_ps(v, w0, a30), a31 = _mm256_fmadd_ps(v, w1, a31);
                v = _mm256_broadcast_ss(r + 8), a40 = _mm256_fmadd_ps(v, w0, a40), a41 = _mm256_fmadd_ps(v, w1, a41);
                v = _mm256_broadcast_ss(r + 10), a50 = _mm256_fmadd_ps(v, w0, a50), a51 = _mm256_fmadd_ps(v, w1, a51);
            }
        }
    }
    __m256 acc[2 * PX16] = {a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51};
    int64_t y = ((n * c->Ho + oh) * c->Wo + ow) * s->cout + ob;
    for (int j = 0; j < 2 * PX16; j += 4) { /* four at a time: their SiLU chains overlap */
        int64_t off[4];
        int lanes[4];
        for (int i = 0; i < 4; i++) {
            int o = ob + 8 * ((j + i) & 1);
            off[i] = y + ((j + i) >> 1) * s->cout + 8 * ((j + i) & 1), lanes[i] = s->cout - o < 8 ? s->cout - o : 8;
        }
        cpose_i8_finish8_n(c->dst, off, acc + j, lanes, 4, c->act == CPOSE_ACT_SILU, NULL, c->kind, c->to_scale);
    }
}

/* Channels ob.. (nb vectors) of row oh: the edge pixels checked, the inside PX16 (16 channels) or PX at a time. */
static CPOSE_AVX2_FN inline __attribute__((always_inline)) void row_block(const struct stem_ctx *c, int64_t n, int64_t oh, int nb,
                                                                           int ob)
{
    /* pixel ow's window spans columns 2·ow − 1 .. 2·ow + 1: inside for 1 ≤ ow ≤ (W − 2)/2 */
    int64_t lo = 1 < c->Wo ? 1 : c->Wo, hi = c->W >= 2 ? (c->W - 2) / 2 + 1 : lo, ow;
    if (hi < lo) hi = lo;
    for (ow = 0; ow < lo; ow++) pixels(c, n, oh, ow, 1, nb, ob, 1);
    if (nb == 2)
        for (; ow + PX16 <= hi; ow += PX16) inside16(c, n, oh, ow, ob);
    for (; ow + PX <= hi; ow += PX) pixels(c, n, oh, ow, PX, nb, ob, 0);
    for (; ow < hi; ow++) pixels(c, n, oh, ow, 1, nb, ob, 0);
    for (; ow < c->Wo; ow++) pixels(c, n, oh, ow, 1, nb, ob, 1);
}

static CPOSE_AVX2_FN void rows(const void *ctxv, int64_t n, int64_t oh0, int cnt, void *a, void *b)
{
    (void)a, (void)b;
    const struct stem_ctx *c = ctxv;
    int coutp = c->s->coutp;
    for (int64_t oh = oh0; oh < oh0 + cnt; oh++) {
        int ob = 0;
        for (; ob + 16 <= coutp; ob += 16) row_block(c, n, oh, 2, ob);
        if (ob < coutp) row_block(c, n, oh, 1, ob);
    }
}
#endif

int cpose_stem_run(const struct cpose_stem *s, int act, const float *src, int64_t N, int64_t H, int64_t W, void *dst,
                   int dst_kind, float to_scale)
{
#ifdef CPOSE_X86
    int64_t Ho = (H - 1) / 2 + 1, Wo = (W - 1) / 2 + 1, nt, nch;
    /* rows in chunks, ≥ 6 a thread (as the Winograd's) */
    cpose_wino_chunks(Ho, 1, 1, &nt, &nch);
    struct stem_ctx c = {s, act, dst_kind, to_scale, src, dst, H, W, Ho, Wo};
    return cpose_run_chunks(N, Ho, nt, 64, 64, rows, &c, "stem conv");
#else
    (void)s, (void)act, (void)src, (void)N, (void)H, (void)W, (void)dst, (void)dst_kind, (void)to_scale;
    return cpose_err(CPOSE_ENOTSUP, "stem conv: needs an x86 CPU with AVX2");
#endif
}
