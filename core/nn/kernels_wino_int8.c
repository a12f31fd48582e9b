/* core/nn/kernels_wino_int8.c — Winograd F(4×4, 3×3) for int8 3×3 stride-1 convs on NHWC u8/s8
 * sources, in 16-bit integers (AVX2); see kernels_wino_int8.h for why and for the contract.
 *
 * Per chunk of consecutive 4×4 output tiles: V = Bᵀ d B of each 6×6 quantised input tile, 16
 * channels a vector (u8/s8 widened to int16; exact), into V[tile][ξ][cinp] (a tile's 36 vectors
 * next to each other, as are its 36 sums in M for the output transform); the 36 GEMMs
 * M[tile][ξ][o] = Σ_c V[tile][ξ][c]·U[ξ][c][o] with vpmaddwd (two channels a product pair), summed in
 * int32 over groups of 64 channels, then times the point's scale and summed in float32 across groups;
 * then per tile and 8 output channels y = Aᵀ M A in float32, plus bias, SiLU, residual, stored as
 * float32 or as the reader's u8/s8. Bᵀ, G and Aᵀ are written below. */
#include "core/nn/kernels_wino_int8.h"
#include "core/nn/kernels_gemm_int8.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_i8_store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cpose_wino_i8 {
    int cin, cout, cinp, coutp;  /* channels; cinp a multiple of 16, coutp of 8 */
    int src_signed;
    int16_t *u;                  /* U, blocked as u_index() says: each micro-kernel's slice contiguous */
    float *oscale;               /* [NXI][coutp]: 1/(in_scale·u_scale[ξ][o]) (0 in the padding) */
    float *bias;                 /* [coutp] (0 in the padding) */
};

/* channels summed in int32 before float32 takes over: the weights' bits depend on it, not on cin */
#define GROUP 64
#define TILE 4                  /* output tile side */
#define T6 (TILE + 2)           /* input tile side */
#define NXI (T6 * T6)           /* transform points */

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

const char *cpose_int8_kernels_desc(void)
{
    if (cpose_cpu_has_vnni()) return "VNNI";
    int wino = cpose_wino_i8_on(), gemm = cpose_gemm_i8_on(), pairs = cpose_gemm_i8_pairs_on();
    if (wino && gemm)
        return pairs ? "no VNNI: plain multiply-adds; 3×3 stride-1 convs of ≥ 32 channels on cpose's int16 Winograd, 1×1 convs "
                       "and stride-2 convs of ≥ 32 channels on cpose's u8·s8 GEMM (its pair kernel, weights at ≈ 60 levels)"
                     : "no VNNI: plain multiply-adds; 3×3 stride-1 convs of ≥ 32 channels on cpose's int16 Winograd, 1×1 convs "
                       "and stride-2 convs of ≥ 32 channels on cpose's u8·s8 GEMM";
    if (gemm)
        return pairs ? "no VNNI: plain multiply-adds; 1×1 convs and stride-2 convs of ≥ 32 channels on cpose's u8·s8 GEMM "
                       "(its pair kernel, weights at ≈ 60 levels)"
                     : "no VNNI: plain multiply-adds; 1×1 convs and stride-2 convs of ≥ 32 channels on cpose's u8·s8 GEMM";
    return wino ? "no VNNI: plain multiply-adds; 3×3 stride-1 convs of ≥ 32 channels on cpose's int16 Winograd"
                : "no VNNI: plain multiply-adds";
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

/* Where U[ξ][c][o] lives: per transform point ξ, per group of GROUP input channels (k0..), per block of 16
 * output channels (ob..; the last one 8 wide where coutp is not a multiple of 16), the group's channel
 * pairs one after the other, each pair's bw output channels × 2 channels. So the slice one micro-kernel
 * reads (a group × a block) is one contiguous run of GROUP·bw int16 (2 KiB), which the hardware
 * prefetchers stream from memory; with U[ξ][c/2][coutp][2] the same slice was 64 bytes every 2·coutp
 * int16, and the first pass over a 20×20 conv's 1.2 MB of U from DRAM took 3.5× the later, cached ones. */
static inline size_t u_index(const struct cpose_wino_i8 *w, int xi, int c, int o)
{
    int k0 = c / GROUP * GROUP, gk = w->cinp - k0 < GROUP ? w->cinp - k0 : GROUP, ob = o / 16 * 16;
    int bw = w->coutp - ob < 16 ? w->coutp - ob : 16;
    return (size_t)xi * w->cinp * w->coutp + (size_t)k0 * w->coutp + (size_t)gk * ob + (size_t)((c - k0) / 2) * 2 * bw +
           (size_t)(o - ob) * 2 + c % 2;
}

/* The filter transform U = G g Gᵀ (6×6) of a 3×3 filter g, in double. */
static void filter_transform(const float *g, double *u)
{
    static const double G[6][3] = {{0.25, 0, 0},
                                    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                    {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                    {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                    {0, 0, 1}};
    for (int i = 0; i < T6; i++)
        for (int j = 0; j < T6; j++) {
            double acc = 0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) acc += G[i][a] * g[a * 3 + b] * G[j][b];
            u[i * T6 + j] = acc;
        }
}

int cpose_wino_i8_prepare(const struct cpose_conv2d_params *p, float in_scale, int src_signed, struct cpose_wino_i8 **out)
{
    struct cpose_wino_i8 *w = cpose_calloc(1, sizeof *w);
    w->cin = p->cin, w->cout = p->cout, w->src_signed = src_signed;
    w->cinp = (p->cin + 15) / 16 * 16, w->coutp = (p->cout + 7) / 8 * 8;
    size_t nu = (size_t)NXI * w->cinp * w->coutp;
    double *uf = malloc((size_t)NXI * p->cin * sizeof(double));
    if (!uf || posix_memalign((void **)&w->u, 64, nu * sizeof(int16_t)) ||
        posix_memalign((void **)&w->oscale, 64, (size_t)NXI * w->coutp * sizeof(float)) ||
        posix_memalign((void **)&w->bias, 64, w->coutp * sizeof(float))) {
        free(uf);
        cpose_wino_i8_free(w);
        return cpose_err(CPOSE_ENOMEM, "int8 winograd: cannot allocate %zu weights", nu);
    }
    memset(w->u, 0, nu * sizeof(int16_t));
    memset(w->oscale, 0, (size_t)NXI * w->coutp * sizeof(float));
    memset(w->bias, 0, w->coutp * sizeof(float));
    /* Each point ξ = (a, b) gets its own scale per output channel, so that the small transformed
     * weights (G's 1/24 rows) keep their bits: Aᵀ multiplies them back by up to 64. Its bound:
     * |V[ξ]| ≤ rs[a]·rs[b]·qmax (rs: Bᵀ's row sums of |·|), and Σ over a GROUP of channels of |V[ξ]|·|U[ξ]|
     * must fit int32 (the groups' sums are added in float32). */
    static const double rs[T6] = {10, 10, 10, 6, 6, 10};
    double qmax = src_signed ? 128 : 255;
    for (int o = 0; o < p->cout; o++) {
        if (p->bias) w->bias[o] = p->bias[o];
        for (int c = 0; c < p->cin; c++) filter_transform(p->weight + ((size_t)o * p->cin + c) * 9, uf + (size_t)c * NXI);
        for (int xi = 0; xi < NXI; xi++) {
            double mx = 0, vmax = rs[xi / T6] * rs[xi % T6] * qmax;
            double umax = fmin(32767.0, floor(2147483647.0 / ((p->cin < GROUP ? p->cin : GROUP) * vmax)));
            for (int c = 0; c < p->cin; c++) mx = fmax(mx, fabs(uf[(size_t)c * NXI + xi]));
            double us = mx > 0 ? umax / mx : 1.0;
            w->oscale[(size_t)xi * w->coutp + o] = (float)(1.0 / (in_scale * us));
            for (int c = 0; c < p->cin; c++) {
                double q = nearbyint(uf[(size_t)c * NXI + xi] * us);
                w->u[u_index(w, xi, c, o)] = (int16_t)q;
            }
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

/* M = acc·scale as float32 (first group of channels), else M + acc·scale: the sums leave the GEMM
 * scaled, so the output transform reads them as they are. */
static CPOSE_AVX2_FN inline void put(float *M, __m256i acc, __m256 scale, int first)
{
    __m256 f = _mm256_cvtepi32_ps(acc);
    _mm256_store_ps(M, first ? _mm256_mul_ps(f, scale) : _mm256_fmadd_ps(f, scale, _mm256_load_ps(M)));
}

/* One channel pair of the 6×16 micro-kernel in assembly: with intrinsics gcc 12 kept only some of the
 * 12 accumulators in registers (spilling the rest inside the loop, 1.5× slower). Rows 0–2 broadcast
 * from v0, v0 + ld, v0 + 2·ld; rows 3–5 from v3 (= v0 + 3·ld) likewise; ymm12–15 are scratch. */
#define PAIR_ROW(ADDR, C0, C1)                                                                               \
    "vpbroadcastd " ADDR ", %%ymm14\n\t"                                                                   \
    "vpmaddwd %%ymm12, %%ymm14, %%ymm15\n\tvpaddd %%ymm15, %[" C0 "], %[" C0 "]\n\t"                       \
    "vpmaddwd %%ymm13, %%ymm14, %%ymm15\n\tvpaddd %%ymm15, %[" C1 "], %[" C1 "]\n\t"

/* M[r][0..16) (+)= S[0..16)·Σ_kp V[r][2kp..2kp+1]·U[kp][0..16)[2] for r < TR, over K2 channel pairs
 * summed in int32, then scaled and added in float32 (first: stored) (V rows ldv int16 apart, U rows
 * ldu int16 apart, M rows ldm floats apart). */
static CPOSE_AVX2_FN __attribute__((noinline)) void gemm_6x16(const int16_t *V, int64_t ldv, const int16_t *U, int64_t ldu, float *M,
                                                              int64_t ldm, const float *S, int K2, int first)
{
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
            c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const int16_t *v0 = V, *v3 = V + 3 * ldv;
    int64_t ld = ldv * (int64_t)sizeof(int16_t);
    for (int kp = 0; kp < K2; kp++, v0 += 2, v3 += 2, U += ldu)
        __asm__("vmovdqa (%[u]), %%ymm12\n\tvmovdqa 32(%[u]), %%ymm13\n\t"
                PAIR_ROW("(%[v0])", "c00", "c01") PAIR_ROW("(%[v0],%[ld])", "c10", "c11")
                PAIR_ROW("(%[v0],%[ld],2)", "c20", "c21") PAIR_ROW("(%[v3])", "c30", "c31")
                PAIR_ROW("(%[v3],%[ld])", "c40", "c41") PAIR_ROW("(%[v3],%[ld],2)", "c50", "c51")
                : [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21),
                  [c30] "+x"(c30), [c31] "+x"(c31), [c40] "+x"(c40), [c41] "+x"(c41), [c50] "+x"(c50), [c51] "+x"(c51)
                : [u] "r"(U), [v0] "r"(v0), [v3] "r"(v3), [ld] "r"(ld)
                : "xmm12", "xmm13", "xmm14", "xmm15", "memory");
    __m256 s0 = _mm256_load_ps(S), s1 = _mm256_load_ps(S + 8);
    put(M, c00, s0, first), put(M + 8, c01, s1, first);
    put(M + ldm, c10, s0, first), put(M + ldm + 8, c11, s1, first);
    put(M + 2 * ldm, c20, s0, first), put(M + 2 * ldm + 8, c21, s1, first);
    put(M + 3 * ldm, c30, s0, first), put(M + 3 * ldm + 8, c31, s1, first);
    put(M + 4 * ldm, c40, s0, first), put(M + 4 * ldm + 8, c41, s1, first);
    put(M + 5 * ldm, c50, s0, first), put(M + 5 * ldm + 8, c51, s1, first);
}

/* The same for 8 output channels. */
static CPOSE_AVX2_FN __attribute__((noinline)) void gemm_6x8(const int16_t *V, int64_t ldv, const int16_t *U, int64_t ldu, float *M, int64_t ldm,
                                                             const float *S, int K2, int first)
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
    __m256 s0 = _mm256_load_ps(S);
    put(M, c0, s0, first), put(M + ldm, c1, s0, first), put(M + 2 * ldm, c2, s0, first);
    put(M + 3 * ldm, c3, s0, first), put(M + 4 * ldm, c4, s0, first), put(M + 5 * ldm, c5, s0, first);
}

/* The same for the r < TR rows of a chunk's last tiles (r a constant, 1..3; two: 16 output channels,
 * else 8): a chunk of nt tiles multiplies only its nt rows. 20² planes have 25 tiles, chunks of
 * 6, 6, 6, 6 and 1, and the last one's padding rows had cost as much as a whole block. */
static CPOSE_AVX2_FN inline __attribute__((always_inline)) void gemm_rows(const int16_t *V, int64_t ldv, const int16_t *U, int64_t ldu,
                                                                          float *M, int64_t ldm, const float *S, int K2, int first,
                                                                          const int r, const int two)
{
    __m256i c[3][2];
    for (int i = 0; i < r; i++) c[i][0] = c[i][1] = _mm256_setzero_si256();
    for (int kp = 0; kp < K2; kp++) {
        const int16_t *u = U + kp * ldu, *v = V + 2 * kp;
        __m256i u0 = _mm256_load_si256((const __m256i *)u), u1 = two ? _mm256_load_si256((const __m256i *)(u + 16)) : u0;
        for (int i = 0; i < r; i++) {
            __m256i b = pair_bcast(v + i * ldv);
            c[i][0] = _mm256_add_epi32(c[i][0], _mm256_madd_epi16(b, u0));
            if (two) c[i][1] = _mm256_add_epi32(c[i][1], _mm256_madd_epi16(b, u1));
        }
    }
    for (int i = 0; i < r; i++) {
        put(M + i * ldm, c[i][0], _mm256_load_ps(S), first);
        if (two) put(M + i * ldm + 8, c[i][1], _mm256_load_ps(S + 8), first);
    }
}

#define GEMM_ROWS_CASE(R) \
    case R: two ? gemm_rows(V, ldv, U, ldu, M, ldm, S, K2, first, R, 1) : gemm_rows(V, ldv, U, ldu, M, ldm, S, K2, first, R, 0); break;

/* gemm_rows for a run-time r (1..5), at most 3 rows at a time: 4 and 5 rows of 16 channels kept
 * some of their accumulators on the stack. */
static CPOSE_AVX2_FN __attribute__((noinline)) void gemm_tail(const int16_t *V, int64_t ldv, const int16_t *U, int64_t ldu, float *M,
                                                              int64_t ldm, const float *S, int K2, int first, int r, int two)
{
    while (r > 0) {
        int q = r == 4 ? 2 : r > 3 ? 3 : r;
        switch (q) {
            GEMM_ROWS_CASE(1) GEMM_ROWS_CASE(2) GEMM_ROWS_CASE(3)
        }
        V += q * ldv, M += q * ldm, r -= q;
    }
}

/* 16 channels of one pixel widened to int16 (rem < 16: the first rem, the rest 0). in_buf: 16 bytes
 * from px lie inside the source, so a short group loads them all and masks (a byte copy to the stack
 * and a 16-byte load of it stalls store forwarding: 51-channel convs ran at two thirds of the 64-channel
 * ones' rate); only the last pixel's group is copied. */
static CPOSE_AVX2_FN inline __m256i load_px(const uint8_t *px, int rem, int is_signed, int in_buf)
{
    __m128i b;
    if (rem >= 16) {
        b = _mm_loadu_si128((const __m128i *)px);
    } else if (in_buf) {
        __m128i keep = _mm_cmpgt_epi8(_mm_set1_epi8((char)rem), _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        b = _mm_and_si128(_mm_loadu_si128((const __m128i *)px), keep);
    } else {
        uint8_t tmp[16] = {0};
        memcpy(tmp, px, (size_t)rem);
        b = _mm_loadu_si128((const __m128i *)tmp);
    }
    return is_signed ? _mm256_cvtepi8_epi16(b) : _mm256_cvtepu8_epi16(b);
}

/* d[a·6 + b] = channels c0..c0+15 of pixel (h0 + a, w0 + b) of plane x (H×W pixels of cin bytes),
 * a, b < 6; pixels outside the plane are 0 (tiles inside skip the checks). */
static CPOSE_AVX2_FN inline void load_tile(const uint8_t *x, int64_t H, int64_t W, int cin, int c0, int is_signed, int64_t h0,
                                           int64_t w0, __m256i *d)
{
    int rem = cin - c0, inside = h0 >= 0 && h0 + T6 - 1 < H && w0 >= 0 && w0 + T6 - 1 < W;
    int64_t last = H * W - 1; /* the one pixel whose short group may end past the source */
    for (int a = 0; a < T6; a++)
        for (int b = 0; b < T6; b++) {
            int64_t h = h0 + a, ww = w0 + b, q = h * W + ww;
            d[a * T6 + b] = inside || (h >= 0 && h < H && ww >= 0 && ww < W)
                               ? load_px(x + q * cin + c0, rem, is_signed, q < last)
                               : _mm256_setzero_si256();
        }
}

/* v[ξ] = (Bᵀ d B)[ξ] for the 6×6 tile d at (h0, w0) (load_tile), with
 * Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1];
 * exact in int16 (|Bᵀ d B| ≤ 100·255). */
#define BT6(d0, d1, d2, d3, d4, d5, r)                                                              \
    do {                                                                                             \
        __m256i a_ = _mm256_sub_epi16(d4, _mm256_slli_epi16(d2, 2));                                 \
        __m256i b_ = _mm256_sub_epi16(d3, _mm256_slli_epi16(d1, 2));                                 \
        __m256i c_ = _mm256_sub_epi16(d4, d2), e_ = _mm256_slli_epi16(_mm256_sub_epi16(d3, d1), 1); \
        r[0] = _mm256_add_epi16(_mm256_slli_epi16(_mm256_sub_epi16(d0, d2), 2), c_);                 \
        r[1] = _mm256_add_epi16(a_, b_), r[2] = _mm256_sub_epi16(a_, b_);                            \
        r[3] = _mm256_add_epi16(c_, e_), r[4] = _mm256_sub_epi16(c_, e_);                            \
        r[5] = _mm256_add_epi16(_mm256_slli_epi16(_mm256_sub_epi16(d1, d3), 2), _mm256_sub_epi16(d5, d3)); \
    } while (0)

static CPOSE_AVX2_FN inline void input_tile(const uint8_t *x, int64_t H, int64_t W, int cin, int c0, int is_signed,
                                            int64_t h0, int64_t w0, __m256i v[NXI])
{
    __m256i d[6][6], e[6][6], r[6];
    load_tile(x, H, W, cin, c0, is_signed, h0, w0, d[0]);
    for (int b = 0; b < 6; b++) { /* Bᵀ d, column b */
        BT6(d[0][b], d[1][b], d[2][b], d[3][b], d[4][b], d[5][b], r);
        for (int a = 0; a < 6; a++) e[a][b] = r[a];
    }
    for (int a = 0; a < 6; a++) { /* (Bᵀ d) B, row a */
        BT6(e[a][0], e[a][1], e[a][2], e[a][3], e[a][4], e[a][5], r);
        for (int b = 0; b < 6; b++) v[a * 6 + b] = r[b];
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

/* y (4 values) = Aᵀ m for m0..m5, Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]. */
static CPOSE_AVX2_FN inline void at6(__m256 m0, __m256 m1, __m256 m2, __m256 m3, __m256 m4, __m256 m5, __m256 y[4])
{
    __m256 s12 = _mm256_add_ps(m1, m2), d12 = _mm256_sub_ps(m1, m2), s34 = _mm256_add_ps(m3, m4), d34 = _mm256_sub_ps(m3, m4);
    y[0] = _mm256_add_ps(_mm256_add_ps(m0, s12), s34);
    y[1] = _mm256_fmadd_ps(d34, _mm256_set1_ps(2.0f), d12);
    y[2] = _mm256_fmadd_ps(s34, _mm256_set1_ps(4.0f), s12);
    y[3] = _mm256_add_ps(_mm256_fmadd_ps(d34, _mm256_set1_ps(8.0f), d12), m5);
}

/* Output tile (4×4) of 8 channels at (oh, ow) from its transformed sums m[NXI] (float, scaled): Aᵀ m A
 * plus bias, SiLU, residual, stored as the run's kind (pixels beyond the plane skipped). */
static CPOSE_AVX2_FN inline __attribute__((always_inline)) void output_tile(const struct run_ctx *c, const float *m, int64_t ld,
                                                                             __m256 bias, int nc, int64_t img, int64_t oh, int64_t ow,
                                                                             int ob, const int silu, const int kind)
{
    __m256 y[TILE][TILE], s[TILE][T6], col[TILE];
#define M_(xi) _mm256_load_ps(m + (xi) * ld)
    for (int b = 0; b < T6; b++) { /* Aᵀ m, column b */
        at6(M_(b), M_(6 + b), M_(12 + b), M_(18 + b), M_(24 + b), M_(30 + b), col);
#undef M_
        for (int a = 0; a < TILE; a++) s[a][b] = col[a];
    }
    for (int a = 0; a < TILE; a++) at6(s[a][0], s[a][1], s[a][2], s[a][3], s[a][4], s[a][5], y[a]); /* (Aᵀ m) A */
    int64_t H = c->H, W = c->W, cout = c->w->cout;
    if (oh + TILE <= H && ow + TILE <= W) { /* a row of the tile at a time: four chains overlap */
        for (int a = 0; a < TILE; a++) {
            int64_t off0 = img + ((oh + a) * W + ow) * cout + ob, off[TILE] = {off0, off0 + cout, off0 + 2 * cout, off0 + 3 * cout};
            int lanes[TILE] = {nc, nc, nc, nc};
            for (int b = 0; b < TILE; b++) y[a][b] = _mm256_add_ps(y[a][b], bias);
            cpose_i8_finish8_n(c->dst, off, y[a], lanes, TILE, silu, c->res, kind, c->to_scale);
        }
        return;
    }
    for (int a = 0; a < TILE && oh + a < H; a++)
        for (int b = 0; b < TILE && ow + b < W; b++) {
            int64_t off = img + ((oh + a) * W + ow + b) * cout + ob;
            cpose_i8_finish8(c->dst, off, _mm256_add_ps(y[a][b], bias), nc, silu, c->res, kind, c->to_scale);
        }
}

/* The output transform and epilogue of tiles t0..t0+nt−1 of image n from their sums M (chunk()), for a
 * constant (silu, kind): inlined per pair by output_any, so that neither is tested per vector. */
static CPOSE_AVX2_FN inline __attribute__((always_inline)) void output_tiles(const struct run_ctx *c, const float *M, int64_t n,
                                                                              int64_t t0, int nt, const int silu, const int kind)
{
    const struct cpose_wino_i8 *w = c->w;
    int coutp = w->coutp;
    int64_t img = n * c->H * c->W * w->cout;
    for (int t = 0; t < nt; t++) {
        int64_t oh = TILE * ((t0 + t) / c->tW), ow = TILE * ((t0 + t) % c->tW);
        for (int ob = 0; ob < coutp; ob += 8) {
            int nc = w->cout - ob < 8 ? w->cout - ob : 8;
            output_tile(c, M + (int64_t)t * NXI * coutp + ob, coutp, _mm256_load_ps(w->bias + ob), nc, img, oh, ow, ob, silu, kind);
        }
    }
}

#define OUTPUT_CASE(SILU, KIND) output_tiles(c, M, n, t0, nt, SILU, KIND)

static CPOSE_AVX2_FN void output_any(const struct run_ctx *c, const float *M, int64_t n, int64_t t0, int nt)
{
    CPOSE_I8_EPILOGUE_SWITCH(c->act == CPOSE_ACT_SILU, c->dst_kind, OUTPUT_CASE)
}

/* One chunk: tiles t0..t0+nt−1 of image n; V and M scratch of NXI·cinp int16 and NXI·coutp floats a
 * tile (nt rounded up to TR's multiple of them). */
static CPOSE_AVX2_FN void chunk(const void *ctxv, int64_t n, int64_t t0, int nt, void *Vv, void *Mv)
{
    const struct run_ctx *c = ctxv;
    const struct cpose_wino_i8 *w = c->w;
    int16_t *V = Vv;
    float *M = Mv;
    int cinp = w->cinp, coutp = w->coutp;
    int64_t H = c->H, W = c->W, tW = c->tW;
    const uint8_t *x = c->src + n * H * W * w->cin;
    for (int t = 0; t < nt; t++) /* a tile's channel groups one after the other: its V rows stay in L1 */
        for (int cb = 0; cb < cinp; cb += 16) {
            __m256i v[NXI];
            input_tile(x, H, W, w->cin, cb, w->src_signed, TILE * ((t0 + t) / tW) - 1, TILE * ((t0 + t) % tW) - 1, v);
            for (int xi = 0; xi < NXI; xi++) _mm256_store_si256((__m256i *)(V + ((int64_t)t * NXI + xi) * cinp + cb), v[xi]);
        }
    int64_t ldv = (int64_t)NXI * cinp, ldm = (int64_t)NXI * coutp;
    for (int xi = 0; xi < NXI; xi++) {
        const int16_t *Vx = V + (int64_t)xi * cinp;
        float *Mx = M + (int64_t)xi * coutp;
        const float *Sx = w->oscale + (int64_t)xi * coutp;
        for (int t = 0; t < nt; t += TR)
            for (int k0 = 0; k0 < cinp; k0 += GROUP) { /* int32 sums over GROUP channels, then float32 */
                int k2 = (cinp - k0 < GROUP ? cinp - k0 : GROUP) / 2, o = 0, r = nt - t < TR ? nt - t : TR;
                const int16_t *Vt = Vx + t * ldv + k0;
                float *Mt = Mx + t * ldm;
                /* the slice of group k0 and output block o.. starts at u_index(ξ, k0, o), pair rows of 2·16
                 * int16 (2·8 for a last 8-wide block) */
                if (r < TR) {
                    for (; o < coutp; o += 16) {
                        int two = o + 16 <= coutp;
                        gemm_tail(Vt, ldv, w->u + u_index(w, xi, k0, o), two ? 32 : 16, Mt + o, ldm, Sx + o, k2, k0 == 0, r, two);
                    }
                    continue;
                }
                for (; o + 16 <= coutp; o += 16) gemm_6x16(Vt, ldv, w->u + u_index(w, xi, k0, o), 32, Mt + o, ldm, Sx + o, k2, k0 == 0);
                if (o < coutp) gemm_6x8(Vt, ldv, w->u + u_index(w, xi, k0, o), 16, Mt + o, ldm, Sx + o, k2, k0 == 0);
            }
    }
    output_any(c, M, n, t0, nt);
}
#endif

int cpose_wino_i8_run(const struct cpose_wino_i8 *w, int act, const void *src, int64_t N, int64_t H, int64_t W,
                      const float *res, void *dst, int dst_kind, float to_scale)
{
#ifdef CPOSE_X86
    int64_t tW = (W + TILE - 1) / TILE, tiles = (H + TILE - 1) / TILE * tW, nt, nch;
    size_t v_bytes = (size_t)NXI * w->cinp * sizeof(int16_t), m_bytes = (size_t)NXI * w->coutp * sizeof(float);
    cpose_wino_chunks(tiles, (int64_t)(v_bytes + m_bytes), TR, &nt, &nch);
    struct run_ctx c = {w, act, dst_kind, to_scale, src, res, dst, H, W, tW};
    return cpose_run_chunks(N, tiles, nt, nt * v_bytes, nt * m_bytes, chunk, &c, "int8 winograd");
#else
    (void)w, (void)act, (void)src, (void)N, (void)H, (void)W, (void)res, (void)dst, (void)dst_kind, (void)to_scale;
    return cpose_err(CPOSE_ENOTSUP, "int8 winograd: needs an x86 CPU with AVX2");
#endif
}
