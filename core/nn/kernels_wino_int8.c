/* core/nn/kernels_wino_int8.c — Winograd F(2×2, 3×3) for int8 3×3 stride-1 convs on NHWC u8/s8
 * sources, in 16-bit integers (AVX2); see kernels_wino_int8.h for why and for the contract.
 *
 * Per chunk of consecutive 2×2 output tiles: V = Bᵀ d B of each 4×4 quantised input tile, 16 channels
 * a vector (u8/s8 widened to int16; exact), into V[ξ][tile][cinp]; the 16 GEMMs
 * M[ξ][tile][o] = Σ_c V[ξ][tile][c]·U[ξ][c][o] with vpmaddwd (two channels a product pair, int32
 * sums); then per tile and 8 output channels y = Aᵀ M A in float32, times the channel's scale, plus
 * bias, SiLU, residual, stored as float32 or as the reader's u8/s8. Bᵀ, G, Aᵀ as in kernels_wino.c. */
#include "core/nn/kernels_wino_int8.h"
#include "core/nn/kernels.h"
#include "core/base/simd_avx2.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cpose_wino_i8 {
    int cin, cout, cinp, coutp;  /* channels; cinp a multiple of 16, coutp of 8 */
    int src_signed;
    int16_t *u;                  /* U[16][cinp/2][coutp][2]: channel pairs next to each other */
    float *oscale, *bias;        /* [coutp]: 1/(in_scale·u_scale[o]); the bias (0 in the padding) */
};

static int g_mode = -1;

void cpose_wino_i8_set_mode(int mode) { g_mode = mode < 0 ? -1 : mode != 0; }

int cpose_wino_i8_on(void)
{
#ifdef CPOSE_X86
    if (!cpose_have_avx2()) return 0;
    if (g_mode >= 0) return g_mode;
    const char *env = getenv("CPOSE_WINO_INT8");
    if (env && *env) return strcmp(env, "0") != 0;
    return !cpose_cpu_has_vnni() && cpose_wino_enabled();
#else
    return 0;
#endif
}

int cpose_wino_i8_wanted(const struct cpose_conv2d_params *p, int src_layout, int out_layout, int res_layout)
{
#ifdef CPOSE_X86
    if (!(cpose_have_avx2() && p->k == 3 && p->stride == 1 && p->pad == 1 && p->cin >= 32 && p->cout >= 8 &&
          src_layout == CPOSE_LAYOUT_NHWC && out_layout == CPOSE_LAYOUT_NHWC && (res_layout < 0 || res_layout == CPOSE_LAYOUT_NHWC)))
        return 0;
    return cpose_wino_i8_on();
#else
    (void)p, (void)src_layout, (void)out_layout, (void)res_layout;
    return 0;
#endif
}

void cpose_wino_i8_free(struct cpose_wino_i8 *w)
{
    if (!w) return;
    free(w->u), free(w->oscale), free(w->bias);
    cpose_free(w);
}

int cpose_wino_i8_prepare(const struct cpose_conv2d_params *p, float in_scale, int src_signed, struct cpose_wino_i8 **out)
{
    struct cpose_wino_i8 *w = cpose_calloc(1, sizeof *w);
    w->cin = p->cin, w->cout = p->cout, w->src_signed = src_signed;
    w->cinp = (p->cin + 15) / 16 * 16, w->coutp = (p->cout + 7) / 8 * 8;
    size_t nu = (size_t)16 * w->cinp * w->coutp;
    float *uf = malloc((size_t)16 * p->cin * p->cout * sizeof(float));
    if (!uf || posix_memalign((void **)&w->u, 64, nu * sizeof(int16_t)) ||
        posix_memalign((void **)&w->oscale, 64, w->coutp * sizeof(float)) ||
        posix_memalign((void **)&w->bias, 64, w->coutp * sizeof(float))) {
        free(uf);
        cpose_wino_i8_free(w);
        return cpose_err(CPOSE_ENOMEM, "int8 winograd: cannot allocate %zu weights", nu);
    }
    memset(w->u, 0, nu * sizeof(int16_t));
    memset(w->oscale, 0, w->coutp * sizeof(float));
    memset(w->bias, 0, w->coutp * sizeof(float));
    /* |V| ≤ 4·qmax (Bᵀ and B each add two values); Σ over cin of |V|·|U| must fit int32 */
    double vmax = 4.0 * (src_signed ? 128 : 255);
    double umax = fmin(32767.0, floor(2147483647.0 / (p->cin * vmax)));
    for (int o = 0; o < p->cout; o++) {
        float m = 0;
        for (int c = 0; c < p->cin; c++) {
            float *u = uf + ((size_t)o * p->cin + c) * 16;
            cpose_wino_filter(p->weight + ((size_t)o * p->cin + c) * 9, u);
            for (int xi = 0; xi < 16; xi++) m = fmaxf(m, fabsf(u[xi]));
        }
        double us = m > 0 ? umax / m : 1.0;
        w->oscale[o] = (float)(1.0 / (in_scale * us));
        if (p->bias) w->bias[o] = p->bias[o];
        for (int c = 0; c < p->cin; c++)
            for (int xi = 0; xi < 16; xi++) {
                double q = nearbyint(uf[((size_t)o * p->cin + c) * 16 + xi] * us);
                w->u[(((size_t)xi * (w->cinp / 2) + c / 2) * w->coutp + o) * 2 + c % 2] = (int16_t)q;
            }
    }
    free(uf);
    *out = w;
    return CPOSE_OK;
}

#ifdef CPOSE_X86
#define TR 6  /* tiles per GEMM micro-kernel */

/* the int32 holding channels 2k, 2k+1 of a V row, in every lane */
static CPOSE_AVX2_FN inline __m256i pair_bcast(const int16_t *v)
{
    int32_t x;
    memcpy(&x, v, sizeof x);
    return _mm256_set1_epi32(x);
}

/* M[r][0..16) = Σ_kp V[r][2kp..2kp+1]·U[kp][0..16)[2] for r < TR (V rows ldv int16 apart, U rows
 * ldu int16 apart, M rows ldm int32 apart), K2 channel pairs. */
static CPOSE_AVX2_FN void gemm_6x16(const int16_t *V, int64_t ldv, const int16_t *U, int64_t ldu, int32_t *M, int64_t ldm, int K2)
{
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
            c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int kp = 0; kp < K2; kp++) {
        __m256i u0 = _mm256_load_si256((const __m256i *)(U + kp * ldu)), u1 = _mm256_load_si256((const __m256i *)(U + kp * ldu + 16)), b;
        const int16_t *v = V + 2 * kp;
        b = pair_bcast(v), c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(b, u0)), c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(b, u1));
        b = pair_bcast(v + ldv), c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(b, u0)), c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(b, u1));
        b = pair_bcast(v + 2 * ldv), c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(b, u0)), c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(b, u1));
        b = pair_bcast(v + 3 * ldv), c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(b, u0)), c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(b, u1));
        b = pair_bcast(v + 4 * ldv), c40 = _mm256_add_epi32(c40, _mm256_madd_epi16(b, u0)), c41 = _mm256_add_epi32(c41, _mm256_madd_epi16(b, u1));
        b = pair_bcast(v + 5 * ldv), c50 = _mm256_add_epi32(c50, _mm256_madd_epi16(b, u0)), c51 = _mm256_add_epi32(c51, _mm256_madd_epi16(b, u1));
    }
    __m256i *m = (__m256i *)M;
    int64_t l = ldm / 8;
    _mm256_store_si256(m, c00), _mm256_store_si256(m + 1, c01);
    _mm256_store_si256(m + l, c10), _mm256_store_si256(m + l + 1, c11);
    _mm256_store_si256(m + 2 * l, c20), _mm256_store_si256(m + 2 * l + 1, c21);
    _mm256_store_si256(m + 3 * l, c30), _mm256_store_si256(m + 3 * l + 1, c31);
    _mm256_store_si256(m + 4 * l, c40), _mm256_store_si256(m + 4 * l + 1, c41);
    _mm256_store_si256(m + 5 * l, c50), _mm256_store_si256(m + 5 * l + 1, c51);
}

/* The same for 8 output channels. */
static CPOSE_AVX2_FN void gemm_6x8(const int16_t *V, int64_t ldv, const int16_t *U, int64_t ldu, int32_t *M, int64_t ldm, int K2)
{
    __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    for (int kp = 0; kp < K2; kp++) {
        __m256i u0 = _mm256_load_si256((const __m256i *)(U + kp * ldu));
        const int16_t *v = V + 2 * kp;
        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(pair_bcast(v), u0));
        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(pair_bcast(v + ldv), u0));
        c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(pair_bcast(v + 2 * ldv), u0));
        c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(pair_bcast(v + 3 * ldv), u0));
        c4 = _mm256_add_epi32(c4, _mm256_madd_epi16(pair_bcast(v + 4 * ldv), u0));
        c5 = _mm256_add_epi32(c5, _mm256_madd_epi16(pair_bcast(v + 5 * ldv), u0));
    }
    __m256i *m = (__m256i *)M;
    int64_t l = ldm / 8;
    _mm256_store_si256(m, c0), _mm256_store_si256(m + l, c1), _mm256_store_si256(m + 2 * l, c2);
    _mm256_store_si256(m + 3 * l, c3), _mm256_store_si256(m + 4 * l, c4), _mm256_store_si256(m + 5 * l, c5);
}

/* 16 channels of one pixel widened to int16 (rem < 16: the first rem, the rest 0). */
static CPOSE_AVX2_FN inline __m256i load_px(const uint8_t *px, int rem, int is_signed)
{
    __m128i b;
    if (rem >= 16) {
        b = _mm_loadu_si128((const __m128i *)px);
    } else {
        uint8_t tmp[16] = {0};
        memcpy(tmp, px, (size_t)rem);
        b = _mm_loadu_si128((const __m128i *)tmp);
    }
    return is_signed ? _mm256_cvtepi8_epi16(b) : _mm256_cvtepu8_epi16(b);
}

/* v[ξ] = (Bᵀ d B)[ξ] for the 4×4 tile at (h0, w0) of plane x (H×W pixels of cin bytes), channels
 * c0..c0+15; pixels outside the plane, and all when !valid, are 0. */
static CPOSE_AVX2_FN inline void input_tile(const uint8_t *x, int64_t H, int64_t W, int cin, int c0, int is_signed,
                                            int64_t h0, int64_t w0, int valid, __m256i v[16])
{
    __m256i d[4][4], e[4][4];
    int rem = cin - c0, inside = valid && h0 >= 0 && h0 + 3 < H && w0 >= 0 && w0 + 3 < W;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            int64_t h = h0 + a, ww = w0 + b;
            d[a][b] = inside || (valid && h >= 0 && h < H && ww >= 0 && ww < W) ? load_px(x + (h * W + ww) * cin + c0, rem, is_signed)
                                                                               : _mm256_setzero_si256();
        }
    for (int b = 0; b < 4; b++) {
        e[0][b] = _mm256_sub_epi16(d[0][b], d[2][b]);
        e[1][b] = _mm256_add_epi16(d[1][b], d[2][b]);
        e[2][b] = _mm256_sub_epi16(d[2][b], d[1][b]);
        e[3][b] = _mm256_sub_epi16(d[1][b], d[3][b]);
    }
    for (int a = 0; a < 4; a++) {
        v[a * 4 + 0] = _mm256_sub_epi16(e[a][0], e[a][2]);
        v[a * 4 + 1] = _mm256_add_epi16(e[a][1], e[a][2]);
        v[a * 4 + 2] = _mm256_sub_epi16(e[a][2], e[a][1]);
        v[a * 4 + 3] = _mm256_sub_epi16(e[a][1], e[a][3]);
    }
}

/* The first n of 8 lanes set (a mask for maskload/maskstore). */
static CPOSE_AVX2_FN inline __m256i lanes(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Stores 8 channels (n of them real) of a pixel: float32, or ·to_scale rounded and saturated to u8/s8. */
static CPOSE_AVX2_FN inline void store_px(void *dst, int64_t off, __m256 v, int n, int kind, float to_scale)
{
    if (kind == CPOSE_WINO_I8_F32) {
        float *y = (float *)dst + off;
        if (n >= 8)
            _mm256_storeu_ps(y, v);
        else
            _mm256_maskstore_ps(y, lanes(n), v);
        return;
    }
    __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(v, _mm256_set1_ps(to_scale)));  /* nearest even */
    __m256i s16 = _mm256_packs_epi32(q, q);                                       /* saturates */
    __m256i b8 = kind == CPOSE_WINO_I8_U8 ? _mm256_packus_epi16(s16, s16) : _mm256_packs_epi16(s16, s16);
    __m128i lo = _mm256_castsi256_si128(b8), hi = _mm256_extracti128_si256(b8, 1);
    __m128i bytes = _mm_unpacklo_epi32(lo, hi);  /* lanes 0–3, then 4–7 */
    uint8_t *y = (uint8_t *)dst + off;
    if (n >= 8) {
        _mm_storel_epi64((__m128i *)y, bytes);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, bytes);
        memcpy(y, tmp, (size_t)n);
    }
}

struct run_ctx {
    const struct cpose_wino_i8 *w;
    int act, dst_kind;
    float to_scale;
    const uint8_t *src;
    const float *res;
    void *dst;
    int64_t H, W, tW;
};

/* One chunk: tiles t0..t0+nt−1 of image n; V and M scratch of 16·ntp·cinp int16 and 16·ntp·coutp int32. */
static CPOSE_AVX2_FN void chunk(const void *ctxv, int64_t n, int64_t t0, int nt, void *Vv, void *Mv)
{
    const struct run_ctx *c = ctxv;
    const struct cpose_wino_i8 *w = c->w;
    int16_t *V = Vv;
    int32_t *M = Mv;
    int ntp = (nt + TR - 1) / TR * TR, cinp = w->cinp, coutp = w->coutp;
    int64_t H = c->H, W = c->W, tW = c->tW;
    const uint8_t *x = c->src + n * H * W * w->cin;
    for (int cb = 0; cb < cinp; cb += 16)
        for (int t = 0; t < ntp; t++) {
            __m256i v[16];
            input_tile(x, H, W, w->cin, cb, w->src_signed, 2 * ((t0 + t) / tW) - 1, 2 * ((t0 + t) % tW) - 1, t < nt, v);
            for (int xi = 0; xi < 16; xi++) _mm256_store_si256((__m256i *)(V + ((int64_t)xi * ntp + t) * cinp + cb), v[xi]);
        }
    for (int xi = 0; xi < 16; xi++) {
        const int16_t *Vx = V + (int64_t)xi * ntp * cinp, *Ux = w->u + (int64_t)xi * cinp * coutp;
        int32_t *Mx = M + (int64_t)xi * ntp * coutp;
        for (int t = 0; t < ntp; t += TR) {
            int o = 0;
            for (; o + 16 <= coutp; o += 16) gemm_6x16(Vx + t * cinp, cinp, Ux + 2 * o, 2 * coutp, Mx + t * coutp + o, coutp, cinp / 2);
            if (o < coutp) gemm_6x8(Vx + t * cinp, cinp, Ux + 2 * o, 2 * coutp, Mx + t * coutp + o, coutp, cinp / 2);
        }
    }
    int64_t img = n * H * W * w->cout;
    for (int t = 0; t < nt; t++) {
        int64_t oh = 2 * ((t0 + t) / tW), ow = 2 * ((t0 + t) % tW);
        for (int ob = 0; ob < coutp; ob += 8) {
            __m256 m[16], s[2][4];
            for (int xi = 0; xi < 16; xi++)
                m[xi] = _mm256_cvtepi32_ps(_mm256_load_si256((const __m256i *)(M + ((int64_t)xi * ntp + t) * coutp + ob)));
            for (int b = 0; b < 4; b++) { /* Aᵀ m */
                s[0][b] = _mm256_add_ps(_mm256_add_ps(m[b], m[4 + b]), m[8 + b]);
                s[1][b] = _mm256_sub_ps(_mm256_sub_ps(m[4 + b], m[8 + b]), m[12 + b]);
            }
            __m256 scale = _mm256_load_ps(w->oscale + ob), bias = _mm256_load_ps(w->bias + ob);
            int nc = w->cout - ob < 8 ? w->cout - ob : 8;
            for (int a = 0; a < 2 && oh + a < H; a++) {
                __m256 r[2] = {_mm256_add_ps(_mm256_add_ps(s[a][0], s[a][1]), s[a][2]),
                               _mm256_sub_ps(_mm256_sub_ps(s[a][1], s[a][2]), s[a][3])};
                for (int b = 0; b < 2 && ow + b < W; b++) {
                    __m256 v = _mm256_fmadd_ps(r[b], scale, bias);
                    if (c->act == CPOSE_ACT_SILU) v = _mm256_mul_ps(v, cpose_sigmoid8(v));
                    int64_t off = img + ((oh + a) * W + ow + b) * w->cout + ob;
                    if (c->res) v = _mm256_add_ps(v, nc >= 8 ? _mm256_loadu_ps(c->res + off) : _mm256_maskload_ps(c->res + off, lanes(nc)));
                    store_px(c->dst, off, v, nc, c->dst_kind, c->to_scale);
                }
            }
        }
    }
}
#endif

int cpose_wino_i8_run(const struct cpose_wino_i8 *w, int act, const void *src, int64_t N, int64_t H, int64_t W,
                      const float *res, void *dst, int dst_kind, float to_scale)
{
#ifdef CPOSE_X86
    int64_t tW = (W + 1) / 2, tiles = (H + 1) / 2 * tW, nt, nch;
    size_t v_bytes = (size_t)w->cinp * sizeof(int16_t), m_bytes = (size_t)w->coutp * sizeof(int32_t);
    cpose_wino_chunks(tiles, 16 * (int64_t)(v_bytes + m_bytes), TR, &nt, &nch);
    struct run_ctx c = {w, act, dst_kind, to_scale, src, res, dst, H, W, tW};
    return cpose_run_chunks(N, tiles, nt, 16 * nt * v_bytes, 16 * nt * m_bytes, chunk, &c, "int8 winograd");
#else
    (void)w, (void)act, (void)src, (void)N, (void)H, (void)W, (void)res, (void)dst, (void)dst_kind, (void)to_scale;
    return cpose_err(CPOSE_ENOTSUP, "int8 winograd: needs an x86 CPU with AVX2");
#endif
}
