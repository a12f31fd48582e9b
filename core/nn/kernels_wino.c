/* core/nn/kernels_wino.c — Winograd F(2×2, 3×3) convolution for 3×3 stride-1 pad-1 convs on nChw8c
 * tensors (AVX2/FMA), with the conv epilogue (bias, SiLU, residual add) fused into the output
 * transform.
 *
 * Each 2×2 output tile comes from a 4×4 input tile d: V = Bᵀ d B per channel; with the filter
 * transformed once, U = G g Gᵀ, the tile's 16 transformed outputs are M[ξ] = Σ_ci V[ξ][ci]·U[ξ][ci][·]
 * (16 small GEMMs, 2.25× fewer multiplies than the direct conv) and y = Aᵀ M A. Work goes by chunks
 * of consecutive tiles, so a chunk's V and M stay in the per-core cache; the channel blocks of
 * nChw8c make every transform a vertical 8-lane vector operation.
 * Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], Aᵀ = [1 1 1 0; 0 1 −1 −1]. */
#include "core/nn/kernels.h"
#include "core/nn/kernels_wino_tile.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

struct cpose_wino {
    int cin, cout, cinp, coutp;  /* channels and their block-8 padding */
    float *u;                    /* U blocked as u_at() says, zero rows/columns in the padding */
    float *bias;                 /* [coutp], zero padded */
};

void cpose_wino_free(struct cpose_wino *w)
{
    if (!w) return;
    free(w->u), free(w->bias);
    cpose_free(w);
}

static int g_enabled = -1;  /* -1: not decided yet (env CPOSE_WINOGRAD=0 turns it off) */

void cpose_wino_set_enabled(int on) { g_enabled = on != 0; }

int cpose_wino_enabled(void)
{
    if (g_enabled < 0) {
        const char *env = getenv("CPOSE_WINOGRAD");
        g_enabled = !(env && strcmp(env, "0") == 0);
    }
    return g_enabled;
}

int cpose_wino_applies(const struct cpose_conv2d_params *p, const struct cpose_tensor *in, const struct cpose_tensor *res,
                       const struct cpose_tensor *out)
{
#ifdef CPOSE_X86
    return cpose_have_avx2() && p->k == 3 && p->stride == 1 && p->pad == 1 && in->layout == CPOSE_LAYOUT_BLK8 &&
           out->layout == CPOSE_LAYOUT_BLK8 && (!res || res->layout == CPOSE_LAYOUT_BLK8) && p->cin >= 16 && p->cout >= 16;
#else
    (void)p, (void)in, (void)res, (void)out;
    return 0;
#endif
}

void cpose_wino_filter(const float *g, float u16[16])
{
    double t[4][3];
    for (int j = 0; j < 3; j++) {  /* G g: rows */
        t[0][j] = g[j];
        t[1][j] = 0.5 * (g[j] + g[3 + j] + g[6 + j]);
        t[2][j] = 0.5 * (g[j] - g[3 + j] + g[6 + j]);
        t[3][j] = g[6 + j];
    }
    for (int i = 0; i < 4; i++) {  /* (G g) Gᵀ: columns */
        u16[i * 4 + 0] = (float)t[i][0];
        u16[i * 4 + 1] = (float)(0.5 * (t[i][0] + t[i][1] + t[i][2]));
        u16[i * 4 + 2] = (float)(0.5 * (t[i][0] - t[i][1] + t[i][2]));
        u16[i * 4 + 3] = (float)t[i][2];
    }
}

/* Where U[ξ][c][o] lives: per transform point ξ, per block of 16 output channels (ob..; the last one 8
 * wide where coutp is not a multiple of 16), the cinp rows of the block's bw channels one after the
 * other. A micro-kernel reads one block's rows: one contiguous run, which the hardware prefetchers
 * stream from memory (rows of coutp floats read 64 bytes at a time had been a strided walk through U). */
static inline size_t u_at(const struct cpose_wino *w, int xi, int c, int o)
{
    int ob = o / 16 * 16, bw = w->coutp - ob < 16 ? w->coutp - ob : 16;
    return (size_t)xi * w->cinp * w->coutp + (size_t)ob * w->cinp + (size_t)c * bw + (size_t)(o - ob);
}

int cpose_wino_prepare(const struct cpose_conv2d_params *p, struct cpose_wino **out)
{
    struct cpose_wino *w = cpose_calloc(1, sizeof *w);
    w->cin = p->cin, w->cout = p->cout;
    w->cinp = (p->cin + 7) / 8 * 8, w->coutp = (p->cout + 7) / 8 * 8;
    size_t nu = (size_t)16 * w->cinp * w->coutp;
    if (posix_memalign((void **)&w->u, 64, nu * sizeof(float)) || posix_memalign((void **)&w->bias, 64, w->coutp * sizeof(float))) {
        cpose_wino_free(w);
        return cpose_err(CPOSE_ENOMEM, "winograd: cannot allocate %zu floats of weights", nu);
    }
    memset(w->u, 0, nu * sizeof(float));
    memset(w->bias, 0, w->coutp * sizeof(float));
    for (int o = 0; o < p->cout; o++) {
        if (p->bias) w->bias[o] = p->bias[o];
        for (int c = 0; c < p->cin; c++) {
            float u[16];
            cpose_wino_filter(p->weight + ((size_t)o * p->cin + c) * 9, u);
            for (int xi = 0; xi < 16; xi++) w->u[u_at(w, xi, c, o)] = u[xi];
        }
    }
    *out = w;
    return CPOSE_OK;
}

#ifdef CPOSE_X86
#define TR 6  /* tiles per GEMM micro-kernel */

/* M[r][0..16) = Σ_k V[r][k]·U[k][0..16) for r < TR (V rows ldv apart, U rows ldu, M rows ldm). */
static CPOSE_AVX2_FN void gemm_6x16(const float *V, int64_t ldv, const float *U, int64_t ldu, float *M, int64_t ldm, int K)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
           c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int k = 0; k < K; k++) {
        __m256 u0 = _mm256_load_ps(U + k * ldu), u1 = _mm256_load_ps(U + k * ldu + 8), b;
        b = _mm256_broadcast_ss(V + k), c00 = _mm256_fmadd_ps(b, u0, c00), c01 = _mm256_fmadd_ps(b, u1, c01);
        b = _mm256_broadcast_ss(V + ldv + k), c10 = _mm256_fmadd_ps(b, u0, c10), c11 = _mm256_fmadd_ps(b, u1, c11);
        b = _mm256_broadcast_ss(V + 2 * ldv + k), c20 = _mm256_fmadd_ps(b, u0, c20), c21 = _mm256_fmadd_ps(b, u1, c21);
        b = _mm256_broadcast_ss(V + 3 * ldv + k), c30 = _mm256_fmadd_ps(b, u0, c30), c31 = _mm256_fmadd_ps(b, u1, c31);
        b = _mm256_broadcast_ss(V + 4 * ldv + k), c40 = _mm256_fmadd_ps(b, u0, c40), c41 = _mm256_fmadd_ps(b, u1, c41);
        b = _mm256_broadcast_ss(V + 5 * ldv + k), c50 = _mm256_fmadd_ps(b, u0, c50), c51 = _mm256_fmadd_ps(b, u1, c51);
    }
    _mm256_store_ps(M, c00), _mm256_store_ps(M + 8, c01);
    _mm256_store_ps(M + ldm, c10), _mm256_store_ps(M + ldm + 8, c11);
    _mm256_store_ps(M + 2 * ldm, c20), _mm256_store_ps(M + 2 * ldm + 8, c21);
    _mm256_store_ps(M + 3 * ldm, c30), _mm256_store_ps(M + 3 * ldm + 8, c31);
    _mm256_store_ps(M + 4 * ldm, c40), _mm256_store_ps(M + 4 * ldm + 8, c41);
    _mm256_store_ps(M + 5 * ldm, c50), _mm256_store_ps(M + 5 * ldm + 8, c51);
}

/* The same for 8 output channels. */
static CPOSE_AVX2_FN void gemm_6x8(const float *V, int64_t ldv, const float *U, int64_t ldu, float *M, int64_t ldm, int K)
{
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    for (int k = 0; k < K; k++) {
        __m256 u0 = _mm256_load_ps(U + k * ldu);
        c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(V + k), u0, c0);
        c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(V + ldv + k), u0, c1);
        c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(V + 2 * ldv + k), u0, c2);
        c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(V + 3 * ldv + k), u0, c3);
        c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(V + 4 * ldv + k), u0, c4);
        c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(V + 5 * ldv + k), u0, c5);
    }
    _mm256_store_ps(M, c0), _mm256_store_ps(M + ldm, c1), _mm256_store_ps(M + 2 * ldm, c2);
    _mm256_store_ps(M + 3 * ldm, c3), _mm256_store_ps(M + 4 * ldm, c4), _mm256_store_ps(M + 5 * ldm, c5);
}

/* One chunk: tiles t0..t0+nt−1 (row-major over the tW tiles per row) of image plane x (nChw8c,
 * cinp/8 blocks of H·W·8) into y (coutp/8 blocks); V, M scratch of 16·ntp·cinp and 16·ntp·coutp
 * floats (ntp = nt rounded up to TR). */
static CPOSE_AVX2_FN void chunk(const struct cpose_wino *w, int act, const float *x, const float *res, float *y,
                                int64_t H, int64_t W, int64_t tW, int64_t t0, int nt, float *V, float *M)
{
    int ntp = (nt + TR - 1) / TR * TR, cinp = w->cinp, coutp = w->coutp;
    int64_t HW8 = H * W * 8;
    /* input transform */
    for (int cb = 0; cb < cinp / 8; cb++) {
        const float *xc = x + cb * HW8;
        for (int t = 0; t < ntp; t++) {
            __m256 v[16];
            cpose_wino_input_tile8(xc, H, W, 2 * ((t0 + t) / tW) - 1, 2 * ((t0 + t) % tW) - 1, 8, t < nt, v);
            for (int xi = 0; xi < 16; xi++) _mm256_store_ps(V + ((int64_t)xi * ntp + t) * cinp + cb * 8, v[xi]);
        }
    }
    /* 16 GEMMs [ntp × cinp] · [cinp × coutp] */
    for (int xi = 0; xi < 16; xi++) {
        const float *Vx = V + (int64_t)xi * ntp * cinp;
        float *Mx = M + (int64_t)xi * ntp * coutp;
        for (int t = 0; t < ntp; t += TR) {
            int o = 0;
            for (; o + 16 <= coutp; o += 16) gemm_6x16(Vx + t * cinp, cinp, w->u + u_at(w, xi, 0, o), 16, Mx + t * coutp + o, coutp, cinp);
            if (o < coutp) gemm_6x8(Vx + t * cinp, cinp, w->u + u_at(w, xi, 0, o), 8, Mx + t * coutp + o, coutp, cinp);
        }
    }
    /* output transform + bias, SiLU, residual */
    for (int ob = 0; ob < coutp / 8; ob++)
        cpose_wino_output_block8(M, ntp, coutp, ob * 8, _mm256_load_ps(w->bias + ob * 8), act, res ? res + ob * HW8 : NULL,
                                 y + ob * HW8, H, W, tW, t0, nt);
}
#endif

/* On a shared VM one vCPU often runs ~1.4× slower than the other for seconds (another guest on its
 * core); with one static half each, every conv waited for the slow one. Six chunks a thread, handed
 * out dynamically, took the int8 forward's median from 44.8 to 39 ms on a Zen 3 (12 alternating
 * pairs, 11 faster; README "An AVX2-only CPU"); 4 and 10 measured alike. */
#define CHUNKS_PER_THREAD 6

void cpose_wino_chunks(int64_t tiles, int64_t per_tile, int tr, int64_t *nt_out, int64_t *nch_out)
{
    /* a chunk's V and M within ≈ 256 KiB (the per-core L2 of this kind of CPU is 512 KiB; each
     * transformed filter slice U[ξ] is read from it once per chunk), and at least CHUNKS_PER_THREAD
     * chunks a thread, taken in turn (cpose_run_chunks), so that a thread slowed by a neighbour on its
     * core takes fewer of them */
    int64_t cap = (256 * 1024) / per_tile / tr * tr;
    if (cap < tr) cap = tr;
    int64_t nch = (tiles + cap - 1) / cap, min_ch = CHUNKS_PER_THREAD * (int64_t)omp_get_max_threads();
    if (nch < min_ch) nch = min_ch;
    int64_t nt = ((tiles + nch - 1) / nch + tr - 1) / tr * tr;
    if (nt > cap) nt = cap;
    *nt_out = nt, *nch_out = (tiles + nt - 1) / nt;
}

int cpose_run_chunks(int64_t images, int64_t units, int64_t per, size_t a_bytes, size_t b_bytes, cpose_chunk_fn fn,
                     const void *ctx, const char *what)
{
    int64_t nch = (units + per - 1) / per, items = images * nch;
    int fail = 0;
#pragma omp parallel
    {
        void *a = NULL, *b = NULL;
        if (posix_memalign(&a, 64, a_bytes) || posix_memalign(&b, 64, b_bytes)) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t it = 0; it < items; it++) {
            if (!a || !b) continue;
            int64_t n = it / nch, first = (it % nch) * per;
            fn(ctx, n, first, (int)(first + per <= units ? per : units - first), a, b);
        }
        free(a), free(b);
    }
    if (fail) return cpose_err(CPOSE_ENOMEM, "%s: cannot allocate the per-thread scratch", what);
    return CPOSE_OK;
}

struct wino_ctx {
    const void *w;
    cpose_wino_chunk_fn chunk;
    int act;
    const struct cpose_tensor *in, *res, *out;
    int64_t tW, in_img, out_img;
};

static void wino_chunk(const void *ctx, int64_t n, int64_t t0, int cnt, void *V, void *M)
{
    const struct wino_ctx *c = ctx;
    c->chunk(c->w, c->act, c->in->data + n * c->in_img, c->res ? c->res->data + n * c->out_img : NULL,
             c->out->data + n * c->out_img, c->in->dims[2], c->in->dims[3], c->tW, t0, cnt, V, M);
}

int cpose_wino_drive(const void *w, cpose_wino_chunk_fn chunk, int act, const struct cpose_tensor *in,
                     const struct cpose_tensor *res, struct cpose_tensor *out, int tr, size_t v_bytes, size_t m_bytes,
                     const char *what)
{
    int64_t N = in->dims[0], tW = (in->dims[3] + 1) / 2, tiles = (in->dims[2] + 1) / 2 * tW, nt, nch;
    cpose_wino_chunks(tiles, 16 * (int64_t)(v_bytes + m_bytes), tr, &nt, &nch);
    struct wino_ctx c = {w, chunk, act, in, res, out, tW, cpose_tensor_size(in) / N, cpose_tensor_size(out) / N};
    return cpose_run_chunks(N, tiles, nt, 16 * nt * v_bytes, 16 * nt * m_bytes, wino_chunk, &c, what);
}

#ifdef CPOSE_X86
/* chunk() as a cpose_wino_chunk_fn */
static void chunk_any(const void *w, int act, const float *x, const float *res, float *y, int64_t H, int64_t W,
                      int64_t tW, int64_t t0, int nt, void *V, void *M)
{
    chunk(w, act, x, res, y, H, W, tW, t0, nt, V, M);
}
#endif

int cpose_wino_run(const struct cpose_wino *w, const struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                   const struct cpose_tensor *res, struct cpose_tensor *out)
{
#ifdef CPOSE_X86
    return cpose_wino_drive(w, chunk_any, p->act, in, res, out, TR, w->cinp * sizeof(float), w->coutp * sizeof(float),
                            "winograd");
#else
    (void)w, (void)p, (void)in, (void)res, (void)out;
    return cpose_err(CPOSE_ENOTSUP, "winograd: needs an x86 CPU with AVX2");
#endif
}
