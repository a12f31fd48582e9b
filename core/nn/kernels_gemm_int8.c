/* core/nn/kernels_gemm_int8.c — int8 1×1 and 3×3 stride-2 convs as a u8·s8 GEMM on AVX2 (see
 * kernels_gemm_int8.h for why and for the contract).
 *
 * Per chunk of consecutive output pixels: A[row][K4] = the pixel's receptive field as u8 (taps in
 * (kh, kw) order, cin bytes each; padding pixels hold the source's zero: 0 for u8, the shift for an s8
 * source), K4 = k·k·cin rounded up to 4 (8 for the pair kernel) with zeros. Then per 16 output channels
 * and 6 rows (4 for the pair kernel), the micro-kernel sums over K4 in int32 (4 bytes a step:
 * vpbroadcastd of a row's 4 bytes, vpmaddubsw against the weights' 16 channels × 4 bytes, vpmaddwd by
 * ones, vpaddd; the pair kernel adds two steps' vpmaddubsw in int16 before the one vpmaddwd), and the
 * epilogue turns each sum into y = sum·oscale[o] + bias[o] (the s8 shift's compensation inside bias),
 * SiLU, stored as the run's kind. */
#include "core/nn/kernels_gemm_int8.h"
#include "core/nn/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cpose_gemm_i8 {
    int cin, cout, coutp, k, stride, pad;
    int k4;                    /* k·k·cin rounded up to 4 (pairs: 8): the bytes of a packed row */
    int pairs;                 /* 1: kernel_4x16, two steps summed in int16 (the weights at half the levels) */
    int wsteps;                /* wmax: each output channel's largest |weight| quantised to it */
    int src_signed;            /* s8 source: shifted by +shift when packed (below −shift clamped) */
    int shift;                 /* −(the calibrated minimum) of an s8 source, 0..128; 0 for u8 */
    int8_t *w;                 /* W[coutp/16][k4/4][16][4]: per 16 output channels, 4 consecutive row bytes of each */
    float *oscale, *bias;      /* [coutp]: 1/(in_scale·w_scale[o]); bias with the shift's compensation */
};

#define ROWS_MAX 6             /* output pixels per micro-kernel, at most */
#define COLS 16                /* output channels per micro-kernel */

/* output pixels per micro-kernel: kernel_4x16's 4 with pairs, else kernel_6x16's 6 */
static inline int kernel_rows(const struct cpose_gemm_i8 *g) { return g->pairs ? 4 : ROWS_MAX; }

static int g_mode = -1;

void cpose_gemm_i8_set_mode(int mode) { g_mode = mode < 0 ? -1 : mode != 0; }

/* Which shapes the mode lets run: bit 0 the 1×1 convs, bit 1 the stride-2 ones. */
static int shapes_on(void)
{
#ifdef CPOSE_X86
    if (!cpose_have_avx2()) return 0;
    if (g_mode >= 0) return g_mode ? 3 : 0;
    const char *env = getenv("CPOSE_GEMM_INT8");
    if (env && *env) return !strcmp(env, "1x1") ? 1 : !strcmp(env, "s2") ? 2 : strcmp(env, "0") ? 3 : 0;
    return cpose_cpu_has_vnni() ? 0 : 3;
#else
    return 0;
#endif
}

int cpose_gemm_i8_on(void) { return shapes_on() != 0; }

int cpose_gemm_i8_pairs_on(void)
{
    static int cached = -1;
    if (cached < 0) {
        const char *env = getenv("CPOSE_GEMM_INT8_PAIRS");
        cached = !(env && !strcmp(env, "0"));
    }
    return cached;
}

int cpose_gemm_i8_wanted(const struct cpose_conv2d_params *p, int src_layout, int out_layout, int has_res)
{
    /* fewer than 8 output channels (the head's 64→1 convs) waste most of a 16-channel micro-kernel, and a
     * stride-2 conv of 16 input channels packs 9 taps of 16 bytes per pixel for little work: oneDNN was
     * faster on both (0.10 against 0.14 ms, 1.65 against 1.90 ms; bench_gemm_int8 on a Zen 3) */
    if (has_res || src_layout != CPOSE_LAYOUT_NHWC || out_layout != CPOSE_LAYOUT_NHWC || p->cout < 8) return 0;
    int pw = p->k == 1 && p->stride == 1 && p->pad == 0, s2 = p->k == 3 && p->stride == 2 && p->pad == 1 && p->cin >= 32;
    int on = shapes_on();
    return (pw && (on & 1)) || (s2 && (on & 2));
}

void cpose_gemm_i8_free(struct cpose_gemm_i8 *g)
{
    if (!g) return;
    free(g->w), free(g->oscale), free(g->bias);
    cpose_free(g);
}

int cpose_gemm_i8_weight_steps(const struct cpose_gemm_i8 *g) { return g->wsteps; }

int cpose_gemm_i8_pairs(const struct cpose_gemm_i8 *g) { return g->pairs; }

int cpose_gemm_i8_prepare(const struct cpose_conv2d_params *p, float in_scale, int src_signed, struct cpose_gemm_i8 **out)
{
    struct cpose_gemm_i8 *g = cpose_calloc(1, sizeof *g);
    g->cin = p->cin, g->cout = p->cout, g->k = p->k, g->stride = p->stride, g->pad = p->pad, g->src_signed = src_signed;
    /* an s8 source is made u8 by adding −(its smallest value), the calibrated p->in_lo quantised: after a
     * SiLU (≥ −0.28) that is a few steps, so the products keep more of the weights' bits than a shift
     * by 128 would (oneDNN's); values below it, which calibration never saw, are clamped to it */
    if (src_signed) {
        double lo = floor((double)p->in_lo * in_scale);
        g->shift = lo >= 0 ? 0 : !(lo > -128) ? 128 : (int)-lo; /* a NaN range: the whole s8 range */
    }
    g->coutp = (p->cout + COLS - 1) / COLS * COLS;
    int kk = p->k * p->k, kin = kk * p->cin;
    /* vpmaddubsw's s16 pair sums: 2·umax·wmax ≤ 32767 for the source's largest u8 (a shifted s8:
     * 127 + shift; u8: 127 without VNNI, input_scale of kernels_lowp.c, 255 with it); the pair kernel
     * adds two of them in int16, 4·umax·wmax ≤ 32767: the weights keep ≥ 48 steps a side (a shift of up
     * to 43, as after a SiLU), else the one-step kernel runs */
    double umax = src_signed ? 127.0 + g->shift : cpose_cpu_has_vnni() ? 255.0 : 127.0;
    g->pairs = cpose_gemm_i8_pairs_on() && floor(32767.0 / (4.0 * umax)) >= 48;
    g->k4 = g->pairs ? (kin + 7) / 8 * 8 : (kin + 3) / 4 * 4;
    size_t nw = (size_t)g->k4 * g->coutp;
    if (posix_memalign((void **)&g->w, 64, nw) || posix_memalign((void **)&g->oscale, 64, g->coutp * sizeof(float)) ||
        posix_memalign((void **)&g->bias, 64, g->coutp * sizeof(float))) {
        cpose_gemm_i8_free(g);
        return cpose_err(CPOSE_ENOMEM, "int8 gemm conv: cannot allocate %zu weights", nw);
    }
    memset(g->w, 0, nw);
    memset(g->oscale, 0, g->coutp * sizeof(float));
    memset(g->bias, 0, g->coutp * sizeof(float));
    double wmax = fmin(127.0, floor(32767.0 / ((g->pairs ? 4.0 : 2.0) * umax)));
    g->wsteps = (int)wmax;
    for (int o = 0; o < p->cout; o++) {
        const float *wo = p->weight + (size_t)o * kin; /* OIHW: [c][kh][kw] */
        float m = 0;
        for (int j = 0; j < kin; j++) m = fmaxf(m, fabsf(wo[j]));
        double ws = m > 0 ? wmax / m : 1.0;
        int64_t wsum = 0;
        for (int c = 0; c < p->cin; c++)
            for (int t = 0; t < kk; t++) {
                int q = (int)nearbyint(wo[c * kk + t] * ws), r = t * p->cin + c; /* row byte r: tap t, channel c */
                g->w[(((size_t)(o / COLS) * (g->k4 / 4) + r / 4) * COLS + o % COLS) * 4 + r % 4] = (int8_t)q;
                wsum += q;
            }
        g->oscale[o] = (float)(1.0 / (in_scale * ws));
        /* a shifted s8 source sums (x + shift)·w: shift·Σw too many, in accumulator units */
        g->bias[o] = (p->bias ? p->bias[o] : 0.0f) - (float)((double)g->shift * (double)wsum * g->oscale[o]);
    }
    *out = g;
    return CPOSE_OK;
}

#ifdef CPOSE_X86
/* One step of a row: 4 bytes broadcast, times the 16 channels' 4 bytes (two vectors at w, w + 32), widened
 * to int32 by vpmaddwd with ones (ymm13) and added to C0, C1; ymm14 and ymm15 are scratch. In assembly
 * for the same reason as the int16 Winograd's micro-kernel: gcc 12 spills some of the 12 accumulators. */
#define STEP_ROW(ADDR, C0, C1)                                                                              \
    "vpbroadcastd " ADDR ", %%ymm14\n\t"                                                                  \
    "vpmaddubsw (%[w]), %%ymm14, %%ymm15\n\tvpmaddwd %%ymm13, %%ymm15, %%ymm15\n\t"                       \
    "vpaddd %%ymm15, %[" C0 "], %[" C0 "]\n\t"                                                            \
    "vpmaddubsw 32(%[w]), %%ymm14, %%ymm15\n\tvpmaddwd %%ymm13, %%ymm15, %%ymm15\n\t"                     \
    "vpaddd %%ymm15, %[" C1 "], %[" C1 "]\n\t"

/* acc[r][0..16) = Σ_j A[r][j]·W[j][0..16) for r < 6 over k4 bytes (A rows lda bytes apart, W's 4-byte
 * steps ldw bytes apart), stored to acc (int32 [6][16]). */
static CPOSE_AVX2_FN __attribute__((noinline)) void kernel_6x16(const uint8_t *A, int64_t lda, const int8_t *W, int64_t ldw,
                                                                int k4, int32_t *acc)
{
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
            c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const __m256i ones = _mm256_set1_epi16(1);
    const uint8_t *a0 = A, *a3 = A + 3 * lda;
    for (int j = 0; j < k4; j += 4, a0 += 4, a3 += 4, W += ldw)
        __asm__("vmovdqa %[ones], %%ymm13\n\t"
                STEP_ROW("(%[a0])", "c00", "c01") STEP_ROW("(%[a0],%[ld])", "c10", "c11")
                STEP_ROW("(%[a0],%[ld],2)", "c20", "c21") STEP_ROW("(%[a3])", "c30", "c31")
                STEP_ROW("(%[a3],%[ld])", "c40", "c41") STEP_ROW("(%[a3],%[ld],2)", "c50", "c51")
                : [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21),
                  [c30] "+x"(c30), [c31] "+x"(c31), [c40] "+x"(c40), [c41] "+x"(c41), [c50] "+x"(c50), [c51] "+x"(c51)
                : [w] "r"(W), [a0] "r"(a0), [a3] "r"(a3), [ld] "r"(lda), [ones] "m"(ones)
                : "xmm13", "xmm14", "xmm15", "memory");
    __m256i *o = (__m256i *)acc;
    _mm256_store_si256(o + 0, c00), _mm256_store_si256(o + 1, c01), _mm256_store_si256(o + 2, c10);
    _mm256_store_si256(o + 3, c11), _mm256_store_si256(o + 4, c20), _mm256_store_si256(o + 5, c21);
    _mm256_store_si256(o + 6, c30), _mm256_store_si256(o + 7, c31), _mm256_store_si256(o + 8, c40);
    _mm256_store_si256(o + 9, c41), _mm256_store_si256(o + 10, c50), _mm256_store_si256(o + 11, c51);
}

/* Two 4-byte steps of a row: their vpmaddubsw pair sums added in int16 (exact: 4·umax·wmax ≤ 32767),
 * then widened once (vpmaddwd by ones) into C0, C1: three multiplies for 64 products, not four. ymm8–11
 * hold the two steps' weights, ymm12/13 the row's broadcasts, ymm14/15 are scratch. */
#define PAIR_ROW(ADDR, ADDR4, C0, C1)                                                                       \
    "vpbroadcastd " ADDR ", %%ymm12\n\tvpbroadcastd " ADDR4 ", %%ymm13\n\t"                             \
    "vpmaddubsw %%ymm8, %%ymm12, %%ymm14\n\tvpmaddubsw %%ymm10, %%ymm13, %%ymm15\n\t"                   \
    "vpaddw %%ymm15, %%ymm14, %%ymm14\n\tvpmaddwd %[ones], %%ymm14, %%ymm14\n\t"                        \
    "vpaddd %%ymm14, %[" C0 "], %[" C0 "]\n\t"                                                          \
    "vpmaddubsw %%ymm9, %%ymm12, %%ymm14\n\tvpmaddubsw %%ymm11, %%ymm13, %%ymm15\n\t"                   \
    "vpaddw %%ymm15, %%ymm14, %%ymm14\n\tvpmaddwd %[ones], %%ymm14, %%ymm14\n\t"                        \
    "vpaddd %%ymm14, %[" C1 "], %[" C1 "]\n\t"

/* acc[r][0..16) = Σ_j A[r][j]·W[j][0..16) for r < 4 over k8 bytes (a multiple of 8; A rows lda bytes
 * apart, W's 4-byte steps 64 bytes apart), stored to acc (int32 [4][16]). Four rows, not six: the two
 * steps' weights take four registers (as memory operands, as in kernel_6x16, each would be loaded once
 * a row), the accumulators eight, the broadcasts and sums the other four. */
static CPOSE_AVX2_FN __attribute__((noinline)) void kernel_4x16(const uint8_t *A, int64_t lda, const int8_t *W, int k8, int32_t *acc)
{
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    const __m256i ones = _mm256_set1_epi16(1);
    const uint8_t *a0 = A, *a2 = A + 2 * lda;
    for (int j = 0; j < k8; j += 8, a0 += 8, a2 += 8, W += 2 * COLS * 4)
        __asm__("vmovdqa (%[w]), %%ymm8\n\tvmovdqa 32(%[w]), %%ymm9\n\tvmovdqa 64(%[w]), %%ymm10\n\tvmovdqa 96(%[w]), %%ymm11\n\t"
                PAIR_ROW("(%[a0])", "4(%[a0])", "c00", "c01") PAIR_ROW("(%[a0],%[ld])", "4(%[a0],%[ld])", "c10", "c11")
                PAIR_ROW("(%[a2])", "4(%[a2])", "c20", "c21") PAIR_ROW("(%[a2],%[ld])", "4(%[a2],%[ld])", "c30", "c31")
                : [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21),
                  [c30] "+x"(c30), [c31] "+x"(c31)
                : [w] "r"(W), [a0] "r"(a0), [a2] "r"(a2), [ld] "r"(lda), [ones] "m"(ones)
                : "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory");
    __m256i *o = (__m256i *)acc;
    _mm256_store_si256(o + 0, c00), _mm256_store_si256(o + 1, c01), _mm256_store_si256(o + 2, c10);
    _mm256_store_si256(o + 3, c11), _mm256_store_si256(o + 4, c20), _mm256_store_si256(o + 5, c21);
    _mm256_store_si256(o + 6, c30), _mm256_store_si256(o + 7, c31);
}

/* n bytes from src to dst as the kernel's u8: an s8 source's max(x, −shift) + shift (shift 0..128), a
 * u8 source's as they are (shift 0 then: vpmaxsb would clamp the bytes ≥ 128). */
static CPOSE_AVX2_FN inline void copy_bytes(uint8_t *dst, const uint8_t *src, int n, int src_signed, int shift)
{
    int i = 0;
    if (!src_signed) {
        memcpy(dst, src, (size_t)n);
        return;
    }
    __m256i lo = _mm256_set1_epi8((char)-shift), add = _mm256_set1_epi8((char)shift);
    for (; i + 32 <= n; i += 32)
        _mm256_storeu_si256((__m256i *)(dst + i),
                            _mm256_add_epi8(_mm256_max_epi8(_mm256_loadu_si256((const __m256i *)(src + i)), lo), add));
    for (; i + 16 <= n; i += 16)
        _mm_storeu_si128((__m128i *)(dst + i), _mm_add_epi8(_mm_max_epi8(_mm_loadu_si128((const __m128i *)(src + i)),
                                                                          _mm256_castsi256_si128(lo)),
                                                            _mm256_castsi256_si128(add)));
    for (; i < n; i++) {
        int v = (int8_t)src[i];
        dst[i] = (uint8_t)((v < -shift ? -shift : v) + shift);
    }
}

struct run_ctx {
    const struct cpose_gemm_i8 *g;
    int act, dst_kind;
    float to_scale;
    const uint8_t *src;
    void *dst;
    int64_t H, W, OH, OW;
};

/* A row of A: the receptive field of output pixel (oh, ow) of image plane `plane` as u8, k4 bytes (the
 * conv's k×k taps in (kh, kw) order, cin bytes each; a tap outside the plane holds the source's 0). */
static CPOSE_AVX2_FN inline void pack_row(const struct run_ctx *c, const uint8_t *plane, int64_t oh, int64_t ow, uint8_t *row)
{
    const struct cpose_gemm_i8 *g = c->g;
    uint8_t zero = (uint8_t)g->shift; /* the source's 0 after the shift */
    int cin = g->cin, k = g->k, kin = k * k * cin;
    int64_t iw0 = ow * g->stride - g->pad;
    for (int kh = 0; kh < k; kh++) {
        int64_t ih = oh * g->stride - g->pad + kh;
        uint8_t *d = row + kh * k * cin;
        if (ih < 0 || ih >= c->H) {
            memset(d, zero, (size_t)k * cin);
        } else if (iw0 >= 0 && iw0 + k <= c->W) { /* the taps of a row are adjacent pixels */
            copy_bytes(d, plane + (ih * c->W + iw0) * cin, k * cin, g->src_signed, g->shift);
        } else {
            for (int kw = 0; kw < k; kw++) {
                int64_t iw = iw0 + kw;
                if (iw < 0 || iw >= c->W)
                    memset(d + kw * cin, zero, (size_t)cin);
                else
                    copy_bytes(d + kw * cin, plane + (ih * c->W + iw) * cin, cin, g->src_signed, g->shift);
            }
        }
    }
    for (int j = kin; j < g->k4; j++) row[j] = 0;
}

/* The epilogue of a micro-kernel's block: rows r < nr of acc (int32 [6][16]), output channels ob.. of
 * pixels q.., as y = acc·oscale + bias, SiLU (act), stored as kind. Inlined per (act, kind) below, so
 * that neither is tested per vector. */
static CPOSE_AVX2_FN inline __attribute__((always_inline)) void epilogue(const struct cpose_gemm_i8 *g, const int32_t *acc, int nr,
                                                                         int ob, int64_t q, void *dst, float to_scale,
                                                                         const int act, const int kind)
{
    int cout = g->cout;
    if (nr == kernel_rows(g) && ob + COLS <= cout) { /* a whole block: four vectors at a time, their SiLU chains overlap */
        __m256 scale[2] = {_mm256_load_ps(g->oscale + ob), _mm256_load_ps(g->oscale + ob + 8)};
        __m256 bias[2] = {_mm256_load_ps(g->bias + ob), _mm256_load_ps(g->bias + ob + 8)};
        for (int r = 0; r < nr; r += 2) {
            __m256 v[4];
            int64_t off[4];
            int lanes[4] = {8, 8, 8, 8};
            for (int i = 0; i < 4; i++) {
                int rr = r + (i >> 1), h = i & 1;
                __m256i a = _mm256_load_si256((const __m256i *)(acc + rr * COLS + 8 * h));
                v[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(a), scale[h], bias[h]);
                off[i] = (q + rr) * cout + ob + 8 * h;
            }
            cpose_i8_finish8_n(dst, off, v, lanes, 4, act == CPOSE_ACT_SILU, NULL, kind, to_scale);
        }
        return;
    }
    for (int h = 0; h < COLS && ob + h < cout; h += 8) {
        int o = ob + h, nc = cout - o < 8 ? cout - o : 8;
        __m256 scale = _mm256_load_ps(g->oscale + o), bias = _mm256_load_ps(g->bias + o);
        for (int r = 0; r < nr; r++) {
            __m256 v = _mm256_cvtepi32_ps(_mm256_load_si256((const __m256i *)(acc + r * COLS + h)));
            cpose_i8_finish8(dst, (q + r) * cout + o, _mm256_fmadd_ps(v, scale, bias), nc, act == CPOSE_ACT_SILU, NULL, kind,
                             to_scale);
        }
    }
}

#define EPILOGUE_CASE(SILU, KIND) epilogue(g, acc, nr, ob, q, dst, to_scale, (SILU) ? CPOSE_ACT_SILU : CPOSE_ACT_NONE, KIND)

static CPOSE_AVX2_FN void epilogue_any(const struct cpose_gemm_i8 *g, const int32_t *acc, int nr, int ob, int64_t q, void *dst,
                                       float to_scale, int act, int kind)
{
    CPOSE_I8_EPILOGUE_SWITCH(act == CPOSE_ACT_SILU, kind, EPILOGUE_CASE)
}

/* One chunk: output pixels q0..q0+n−1 (all images in a row); A scratch of n rows rounded up to the
 * micro-kernel's, acc scratch. A
 * 1×1 conv's rows are its source's pixels: read in place where they need no change (u8, cin a multiple
 * of 4, whole micro-kernel blocks), else copied in one pass. */
static CPOSE_AVX2_FN void chunk(const void *ctxv, int64_t img_unused, int64_t q0, int n, void *Av, void *accv)
{
    (void)img_unused;
    const struct run_ctx *c = ctxv;
    const struct cpose_gemm_i8 *g = c->g;
    int32_t *acc = accv;
    int R = kernel_rows(g), rows = (n + R - 1) / R * R, k4 = g->k4, cin = g->cin;
    const uint8_t *A = Av;
    if (g->k == 1 && k4 == cin) {
        const uint8_t *px = c->src + q0 * cin;
        if (!g->src_signed && rows == n)
            A = px;
        else
            copy_bytes(Av, px, n * cin, g->src_signed, g->shift);
    } else {
        /* the first pixel's place once, then step through the rows (no division per pixel) */
        int64_t img = q0 / (c->OH * c->OW), rem = q0 % (c->OH * c->OW), oh = rem / c->OW, ow = rem % c->OW;
        for (int r = 0; r < n; r++) {
            pack_row(c, c->src + img * c->H * c->W * cin, oh, ow, (uint8_t *)Av + (int64_t)r * k4);
            if (++ow == c->OW && (ow = 0, ++oh == c->OH)) oh = 0, img++;
        }
    }
    if (A == Av && rows > n) memset((uint8_t *)Av + (int64_t)n * k4, 0, (size_t)(rows - n) * k4);
    for (int ob = 0; ob < g->coutp; ob += COLS)
        for (int r0 = 0; r0 < n; r0 += R) {
            if (g->pairs)
                kernel_4x16(A + (int64_t)r0 * k4, k4, g->w + (int64_t)ob * k4, k4, acc);
            else
                kernel_6x16(A + (int64_t)r0 * k4, k4, g->w + (int64_t)ob * k4, COLS * 4, k4, acc);
            epilogue_any(g, acc, n - r0 < R ? n - r0 : R, ob, q0 + r0, c->dst, c->to_scale, c->act, c->dst_kind);
        }
}
#endif

int cpose_gemm_i8_run(const struct cpose_gemm_i8 *g, int act, const void *src, int64_t N, int64_t H, int64_t W, void *dst,
                      int dst_kind, float to_scale)
{
#ifdef CPOSE_X86
    int64_t OH = (H + 2 * g->pad - g->k) / g->stride + 1, OW = (W + 2 * g->pad - g->k) / g->stride + 1;
    int64_t pixels = N * OH * OW, per, nch;
    /* a chunk's packed rows within ≈ 128 KiB of L2 (each is read once per 16 output channels) */
    int R = kernel_rows(g);
    cpose_wino_chunks(pixels, 2 * (int64_t)g->k4, R, &per, &nch);
    struct run_ctx c = {g, act, dst_kind, to_scale, src, dst, H, W, OH, OW};
    return cpose_run_chunks(1, pixels, per, (size_t)((per + R - 1) / R * R) * g->k4,
                            ROWS_MAX * COLS * sizeof(int32_t), chunk, &c, "int8 gemm conv");
#else
    (void)g, (void)act, (void)src, (void)N, (void)H, (void)W, (void)dst, (void)dst_kind, (void)to_scale;
    return cpose_err(CPOSE_ENOTSUP, "int8 gemm conv: needs an x86 CPU with AVX2");
#endif
}
