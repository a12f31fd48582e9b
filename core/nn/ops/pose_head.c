/* core/nn/ops/pose_head.c — the Pose head decode (eval): DFL softmax-expectation → ltrb → xywh boxes
 * in pixels, sigmoid class scores, keypoints x = (raw·2 + cell) · stride, v = sigmoid(raw).
 *
 * Two paths compute the same formulas: an AVX2/FMA one for blocked and NHWC inputs (8 anchors at a
 * time: 8 channels of 8 consecutive pixels are one 8×8 tile, rows a block or a pixel apart,
 * transposed in registers so every channel becomes one vector over 8 anchors; vector exp), chosen
 * at run time when the CPU has AVX2+FMA, and a portable per-anchor one for every layout and for
 * the anchors left over. */
#include "core/nn/graph.h"

#include <math.h>

#include "core/base/simd_avx2.h"

static int head_shape(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out)
{
    const struct cpose_pose_head_params *p = params;
    if (n_in != 2 * p->nl) return cpose_err(CPOSE_EINVAL, "pose_head: %d inputs, expected %d", n_in, 2 * p->nl);
    if (4 * p->reg_max + p->nc > 1028 || p->nk * p->kdim > 192 || p->kdim < 2 || p->kdim > 3)
        return cpose_err(CPOSE_EINVAL, "pose_head: unsupported sizes (nc %d, reg_max %d, kpt %dx%d)", p->nc,
                         p->reg_max, p->nk, p->kdim);
    int64_t A = 0;
    for (int l = 0; l < p->nl; l++) {
        const struct cpose_tensor *b = in[l], *k = in[p->nl + l];
        if (b->ndim != 4 || b->dims[1] != 4 * p->reg_max + p->nc || k->ndim != 4 || k->dims[1] != p->nk * p->kdim ||
            k->dims[2] != b->dims[2] || k->dims[3] != b->dims[3] || b->dims[0] != in[0]->dims[0]) {
            char sb[96], sk[96];
            return cpose_err(CPOSE_ESHAPE, "pose_head: level %d inputs %s and %s do not fit nc %d, kpt %dx%d", l,
                             cpose_shape_str(b->dims, b->ndim, sb, sizeof sb),
                             cpose_shape_str(k->dims, k->ndim, sk, sizeof sk), p->nc, p->nk, p->kdim);
        }
        A += b->dims[2] * b->dims[3];
    }
    out->ndim = 3, out->layout = 0;
    out->dims[0] = in[0]->dims[0], out->dims[1] = 4 + p->nc + p->nk * p->kdim, out->dims[2] = A;
    return CPOSE_OK;
}

static inline float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Copies the C channels of pixel q of image n into v, whatever the layout. */
static inline void gather(const struct cpose_tensor *t, int64_t n, int64_t q, float *v)
{
    int64_t C = t->dims[1], HW = t->dims[2] * t->dims[3];
    int b = cpose_layout_block(t->layout);
    if (b) {
        const float *base = t->data + n * cpose_tensor_cpad(t) * HW + q * b;
        for (int64_t c0 = 0; c0 < C; c0 += b) {
            const float *blk = base + c0 * HW;
            for (int64_t l = 0; l < b && c0 + l < C; l++) v[c0 + l] = blk[l];
        }
    } else if (t->layout == CPOSE_LAYOUT_NHWC) {
        for (int64_t c = 0; c < C; c++) v[c] = t->data[(n * HW + q) * C + c];
    } else {
        for (int64_t c = 0; c < C; c++) v[c] = t->data[(n * C + c) * HW + q];
    }
}

/* Portable decode of anchors [q0, q1) of image n, level tensors bt/kt; o = out row base for the
 * level (out + n·NO·A + a0), A = the output's anchor stride. */
static void decode_scalar(const struct cpose_pose_head_params *p, const struct cpose_tensor *bt,
                          const struct cpose_tensor *kt, int64_t n, int64_t q0, int64_t q1, float s, float *ob, int64_t A)
{
    int R = p->reg_max;
    int64_t W = bt->dims[3];
    for (int64_t q = q0; q < q1; q++) {
        float v[4 + 1024], kv[3 * 64];
        gather(bt, n, q, v);
        gather(kt, n, q, kv);
        float ax = (float)(q % W) + 0.5f, ay = (float)(q / W) + 0.5f;
        float d[4];
        for (int side = 0; side < 4; side++) {
            const float *lg = v + side * R;
            float m = lg[0];
            for (int r = 1; r < R; r++) m = fmaxf(m, lg[r]);
            float se = 0, sx = 0;
            for (int r = 0; r < R; r++) {
                float e = expf(lg[r] - m);
                se += e, sx += e * r;
            }
            d[side] = sx / se;
        }
        float x1 = ax - d[0], y1 = ay - d[1], x2 = ax + d[2], y2 = ay + d[3];
        float *o = ob + q;
        o[0] = (x1 + x2) / 2 * s;
        o[A] = (y1 + y2) / 2 * s;
        o[2 * A] = (x2 - x1) * s;
        o[3 * A] = (y2 - y1) * s;
        for (int c = 0; c < p->nc; c++) o[(4 + c) * A] = sigm(v[4 * R + c]);
        float *ok = o + (4 + p->nc) * A;
        for (int k = 0; k < p->nk; k++) {
            ok[(k * p->kdim) * A] = (kv[k * p->kdim] * 2.0f + (ax - 0.5f)) * s;
            ok[(k * p->kdim + 1) * A] = (kv[k * p->kdim + 1] * 2.0f + (ay - 0.5f)) * s;
            if (p->kdim == 3) ok[(k * p->kdim + 2) * A] = sigm(kv[k * p->kdim + 2]);
        }
    }
}

#ifdef CPOSE_X86
/* Loads 8 rows of 8 floats (row i at p + i·stride) and transposes: v[c] = (p[0·stride + c], ...,
 * p[7·stride + c]), i.e. channel c over 8 consecutive pixels. */
static CPOSE_AVX2_FN inline void tile8(const float *p, int64_t stride, __m256 v[8])
{
    __m256 r0 = _mm256_loadu_ps(p), r1 = _mm256_loadu_ps(p + stride), r2 = _mm256_loadu_ps(p + 2 * stride),
           r3 = _mm256_loadu_ps(p + 3 * stride), r4 = _mm256_loadu_ps(p + 4 * stride),
           r5 = _mm256_loadu_ps(p + 5 * stride), r6 = _mm256_loadu_ps(p + 6 * stride),
           r7 = _mm256_loadu_ps(p + 7 * stride);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
           t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
           t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
           u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
           u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
           u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    v[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    v[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    v[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    v[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    v[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    v[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    v[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    v[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Address of channel c (c a multiple of 8) of pixel q of image n of a blocked or NHWC tensor. */
static inline const float *chan_at(const struct cpose_tensor *t, int64_t n, int64_t c, int64_t q)
{
    int64_t HW = t->dims[2] * t->dims[3];
    if (t->layout == CPOSE_LAYOUT_NHWC) return t->data + (n * HW + q) * t->dims[1] + c;
    int64_t b = t->layout;
    return t->data + n * cpose_tensor_cpad(t) * HW + (c / b) * HW * b + q * b + c % b;
}

/* Floats between the same channel of consecutive pixels: the block, or the channel count (NHWC). */
static inline int64_t pixel_stride(const struct cpose_tensor *t)
{
    return t->layout == CPOSE_LAYOUT_NHWC ? t->dims[1] : t->layout;
}

/* Decodes the 8 anchors q0..q0+7 of image n (all inside the level); same formulas as
 * decode_scalar. Needs blocked (block 8 or 16) or NHWC inputs and reg_max a multiple of 8, ≤ 32; a
 * tile reads 8 channels from its first, so in NHWC the channels past the last of the last pixel
 * would lie past the tensor (head_forward leaves that group to the portable path). */
static CPOSE_AVX2_FN void decode8(const struct cpose_pose_head_params *p, const struct cpose_tensor *bt,
                            const struct cpose_tensor *kt, int64_t n, int64_t q0, float s, float *ob, int64_t A)
{
    int R = p->reg_max;
    int64_t W = bt->dims[3], bb = pixel_stride(bt), kb = pixel_stride(kt);
    float fx[8], fy[8];
    for (int j = 0; j < 8; j++) fx[j] = (float)((q0 + j) % W), fy[j] = (float)((q0 + j) / W);
    const __m256 half = _mm256_set1_ps(0.5f), vs = _mm256_set1_ps(s);
    __m256 gx = _mm256_loadu_ps(fx), gy = _mm256_loadu_ps(fy);
    __m256 ax = _mm256_add_ps(gx, half), ay = _mm256_add_ps(gy, half);
    __m256 d[4];
    for (int side = 0; side < 4; side++) {
        __m256 lg[32];
        for (int r = 0; r < R; r += 8) tile8(chan_at(bt, n, side * R + r, q0), bb, lg + r);
        __m256 m = lg[0];
        for (int r = 1; r < R; r++) m = _mm256_max_ps(m, lg[r]);
        __m256 se = _mm256_setzero_ps(), sx = _mm256_setzero_ps();
        for (int r = 0; r < R; r++) {
            __m256 e = cpose_exp8(_mm256_sub_ps(lg[r], m));
            se = _mm256_add_ps(se, e);
            sx = _mm256_fmadd_ps(e, _mm256_set1_ps((float)r), sx);
        }
        d[side] = _mm256_div_ps(sx, se);
    }
    float *o = ob + q0;
    __m256 x1 = _mm256_sub_ps(ax, d[0]), y1 = _mm256_sub_ps(ay, d[1]);
    __m256 x2 = _mm256_add_ps(ax, d[2]), y2 = _mm256_add_ps(ay, d[3]);
    _mm256_storeu_ps(o, _mm256_mul_ps(_mm256_mul_ps(_mm256_add_ps(x1, x2), half), vs));
    _mm256_storeu_ps(o + A, _mm256_mul_ps(_mm256_mul_ps(_mm256_add_ps(y1, y2), half), vs));
    _mm256_storeu_ps(o + 2 * A, _mm256_mul_ps(_mm256_sub_ps(x2, x1), vs));
    _mm256_storeu_ps(o + 3 * A, _mm256_mul_ps(_mm256_sub_ps(y2, y1), vs));
    __m256 t[8];
    for (int c0 = 0; c0 < p->nc; c0 += 8) {
        /* channels past nc in the last tile are block padding (allocated, zero) or, in NHWC, the
         * next pixel's: read, not stored */
        tile8(chan_at(bt, n, 4 * R + c0, q0), bb, t);
        for (int j = 0; j < 8 && c0 + j < p->nc; j++) _mm256_storeu_ps(o + (4 + c0 + j) * A, cpose_sigmoid8(t[j]));
    }
    int K = p->nk * p->kdim;
    float *ok = o + (4 + p->nc) * A;
    const __m256 two = _mm256_set1_ps(2.0f);
    for (int c0 = 0; c0 < K; c0 += 8) {
        tile8(chan_at(kt, n, c0, q0), kb, t);
        for (int j = 0; j < 8 && c0 + j < K; j++) {
            int c = c0 + j, f = c % p->kdim;
            __m256 y = f == 0   ? _mm256_mul_ps(_mm256_fmadd_ps(t[j], two, gx), vs)
                       : f == 1 ? _mm256_mul_ps(_mm256_fmadd_ps(t[j], two, gy), vs)
                                : cpose_sigmoid8(t[j]);
            _mm256_storeu_ps(ok + c * A, y);
        }
    }
}
#endif

/* Whether the 8-anchor vector path applies to level tensors bt, kt. */
static int tiled_layout(int layout)
{
    return layout == CPOSE_LAYOUT_BLK8 || layout == CPOSE_LAYOUT_BLK16 || layout == CPOSE_LAYOUT_NHWC;
}
static int vector_ok(const struct cpose_pose_head_params *p, const struct cpose_tensor *bt, const struct cpose_tensor *kt)
{
#ifdef CPOSE_X86
    int tiled = tiled_layout(bt->layout) && tiled_layout(kt->layout);
    return !p->portable && tiled && p->reg_max % 8 == 0 && p->reg_max <= 32 && cpose_have_avx2();
#else
    return 0;
#endif
}

static int head_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                        struct cpose_tensor *out, void *params)
{
    const struct cpose_pose_head_params *p = params;
    int64_t N = out->dims[0], NO = out->dims[1], A = out->dims[2];
    /* work items: (image, level, group of 8 anchors); the vector path takes whole groups, the
     * portable one takes every anchor of a level it cannot vectorise and the last HW mod 8 */
    int64_t start[5] = {0}, a0[4];
    int vec[4];
    for (int l = 0, a = 0; l < p->nl; l++) {
        const struct cpose_tensor *bt = in[l];
        int64_t HW = bt->dims[2] * bt->dims[3];
        vec[l] = vector_ok(p, bt, in[p->nl + l]);
        start[l + 1] = start[l] + (HW + 7) / 8;
        a0[l] = a, a += (int)HW;
    }
    int64_t per_image = start[p->nl], items = N * per_image;
#pragma omp parallel for schedule(static) if (items * NO * 8 >= CPOSE_PAR_MIN)
    for (int64_t it = 0; it < items; it++) {
        int64_t n = it / per_image, g = it % per_image;
        int l = 0;
        while (g >= start[l + 1]) l++;
        const struct cpose_tensor *bt = in[l], *kt = in[p->nl + l];
        int64_t HW = bt->dims[2] * bt->dims[3], q0 = (g - start[l]) * 8, q1 = q0 + 8 < HW ? q0 + 8 : HW;
        float s = (float)p->strides[l], *ob = out->data + n * NO * A + a0[l];
#ifdef CPOSE_X86
        /* NHWC: the last group of an image would read past its last pixel's channels */
        int nhwc_end = q1 == HW && (bt->layout == CPOSE_LAYOUT_NHWC || kt->layout == CPOSE_LAYOUT_NHWC);
        if (vec[l] && q1 - q0 == 8 && !nhwc_end) {
            decode8(p, bt, kt, n, q0, s, ob, A);
            continue;
        }
#endif
        decode_scalar(p, bt, kt, n, q0, q1, s, ob, A);
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_pose_head = {
    .name = "pose_head", .n_inputs = -1, .shape = head_shape, .forward = head_forward, .backward = NULL,
    .params_size = sizeof(struct cpose_pose_head_params),
};
