/* core/ops/pose_head.c — the Pose head decode (eval): DFL softmax-expectation → ltrb → xywh boxes
 * in pixels, sigmoid class scores, keypoints x = (raw·2 + cell) · stride, v = sigmoid(raw). */
#include "graph.h"

#include <math.h>

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

static int head_forward(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                        struct cpose_tensor *out, void *params)
{
    const struct cpose_pose_head_params *p = params;
    int64_t N = out->dims[0], NO = out->dims[1], A = out->dims[2];
    int R = p->reg_max;
    int64_t a0 = 0;
    for (int l = 0; l < p->nl; l++) {
        const struct cpose_tensor *bt = in[l], *kt = in[p->nl + l];
        int64_t H = bt->dims[2], W = bt->dims[3], HW = H * W;
        float s = (float)p->strides[l];
#pragma omp parallel for collapse(2) schedule(static) if (N * HW * NO * 4 >= CPOSE_PAR_MIN)
        for (int64_t n = 0; n < N; n++)
            for (int64_t q = 0; q < HW; q++) {
                float v[4 + 1024], kv[3 * 64];
                /* gather the anchor's channels whatever the layout */
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
                float *o = out->data + n * NO * A + a0 + q;
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
        a0 += HW;
    }
    return CPOSE_OK;
}

const struct cpose_op_def cpose_op_pose_head = {
    .name = "pose_head", .n_inputs = -1, .shape = head_shape, .forward = head_forward, .backward = NULL,
    .params_size = sizeof(struct cpose_pose_head_params),
};
