/* core/train/pose_loss.c — v8 pose loss orchestration: input checks, anchors, target batching,
 * box decoding, the assigner per image, then the five loss terms and their gradient (see
 * pose_loss.h for the contract and loss_impl.h for the pieces). */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/train/loss_impl.h"
#include "core/train/pose_loss.h"

#define MAX_LEVELS 16
#define MAX_REG 64

/* COCO-17 keypoint OKS sigmas (used when kpt_shape is [17, 3], as Ultralytics does). */
static const double coco_sigmas[17] = {.026, .025, .025, .035, .035, .079, .079, .072, .072,
                                       .062, .062, .107, .107, .087, .087, .089, .089};

void cpose_pose_loss_cfg_default(struct cpose_pose_loss_cfg *c, int nc, int nkpt, int kdim)
{
    memset(c, 0, sizeof *c);
    c->nc = nc;
    c->nkpt = nkpt;
    c->kdim = kdim;
    c->reg_max = 16;
    c->gain_box = 7.5f;
    c->gain_cls = 0.5f;
    c->gain_dfl = 1.5f;
    c->gain_pose = 12.0f;
    c->gain_kobj = 1.0f;
    c->topk = 10;
    c->alpha = 0.5f;
    c->beta = 6.0f;
}

static int check_finite(const float *x, size_t n, const char *what, int level)
{
    /* a non-finite float has all exponent bits set: one vectorizable pass, then locate the culprit */
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned u;
        memcpy(&u, x + i, sizeof u);
        bad |= (u & 0x7f800000u) == 0x7f800000u;
    }
    if (!bad) return CPOSE_OK;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            if (level >= 0)
                return cpose_err(CPOSE_EINVAL, "pose loss: %s of level %d holds a non-finite value (%g at element %zu)",
                                 what, level, (double)x[i], i);
            return cpose_err(CPOSE_EINVAL, "pose loss: %s holds a non-finite value (%g at element %zu)", what,
                             (double)x[i], i);
        }
    return CPOSE_OK;
}

static int check_args(const struct cpose_pose_loss_cfg *c, int B, int nl, const float *const *feats, const int *H,
                      const int *W, const float *strides, const float *kpt, const struct cpose_pose_targets *t)
{
    if (!c) return cpose_err(CPOSE_EINVAL, "pose loss: no configuration given");
    if (c->nc < 1 || c->nkpt < 1 || (c->kdim != 2 && c->kdim != 3) || c->reg_max < 1 || c->reg_max > MAX_REG)
        return cpose_err(CPOSE_EINVAL,
                         "pose loss: bad configuration nc=%d kpt_shape=[%d, %d] reg_max=%d (need nc ≥ 1, nkpt ≥ 1, "
                         "kdim 2 or 3, 1 ≤ reg_max ≤ %d)", c->nc, c->nkpt, c->kdim, c->reg_max, MAX_REG);
    if (c->topk < 1 || c->topk > CPOSE_TAL_MAX_TOPK)
        return cpose_err(CPOSE_EINVAL, "pose loss: topk=%d is out of range (1..%d)", c->topk, CPOSE_TAL_MAX_TOPK);
    if (B < 1 || nl < 1 || nl > MAX_LEVELS)
        return cpose_err(CPOSE_EINVAL, "pose loss: batch size %d and %d levels (need B ≥ 1, 1..%d levels)", B, nl,
                         MAX_LEVELS);
    if (!feats || !H || !W || !strides || !kpt || !t)
        return cpose_err(CPOSE_EINVAL, "pose loss: a required input (feats, H, W, strides, kpt, targets) is NULL");
    for (int l = 0; l < nl; l++) {
        if (!feats[l]) return cpose_err(CPOSE_EINVAL, "pose loss: feats[%d] is NULL", l);
        if (H[l] < 1 || W[l] < 1 || !(strides[l] > 0) || !isfinite(strides[l]))
            return cpose_err(CPOSE_EINVAL, "pose loss: level %d has shape %d×%d and stride %g (need positive values)",
                             l, H[l], W[l], (double)strides[l]);
    }
    if (t->n < 0) return cpose_err(CPOSE_EINVAL, "pose loss: negative target count %d", t->n);
    if (t->n > 0 && (!t->batch_idx || !t->cls || !t->bboxes || !t->keypoints))
        return cpose_err(CPOSE_EINVAL, "pose loss: %d targets but batch_idx, cls, bboxes or keypoints is NULL", t->n);
    for (int i = 0; i < t->n; i++) {
        float bi = t->batch_idx[i], ci = t->cls[i];
        if (!(bi >= 0 && bi < B && bi == floorf(bi)))
            return cpose_err(CPOSE_EINVAL, "pose loss: target row %d has batch_idx %g, not an image index in [0, %d)",
                             i, (double)bi, B);
        if (!(ci >= 0 && ci < c->nc && ci == floorf(ci)))
            return cpose_err(CPOSE_EINVAL, "pose loss: target row %d has class %g, not a class in [0, %d)", i,
                             (double)ci, c->nc);
    }
    int rc;
    if ((rc = check_finite(t->bboxes, (size_t)t->n * 4, "targets' bboxes", -1))) return rc;
    if ((rc = check_finite(t->keypoints, (size_t)t->n * c->nkpt * c->kdim, "targets' keypoints", -1))) return rc;
    size_t C = (size_t)4 * c->reg_max + c->nc, A = 0;
    for (int l = 0; l < nl; l++) {
        if ((rc = check_finite(feats[l], (size_t)B * C * H[l] * W[l], "the raw head output", l))) return rc;
        A += (size_t)H[l] * W[l];
    }
    if ((rc = check_finite(kpt, (size_t)B * c->nkpt * c->kdim * A, "the raw keypoint output", -1))) return rc;
    if (t->n > 0 && A < (size_t)c->topk)
        return cpose_err(CPOSE_EINVAL, "pose loss: %zu anchors are fewer than topk=%d (the image is too small)", A,
                         c->topk);
    return CPOSE_OK;
}

/* exp(x) for x ≤ 0 in float, vectorizable (no call): 2^n · p(r) with r = x − n·ln2 and a degree-6
 * polynomial; relative error about 2 ulp, 0 below −87. Only the detached boxes the assigner sees use it. */
static inline float exp_nonpos(float x)
{
    x = x < -87.0f ? -87.0f : x;
    const float shifter = 12582912.0f; /* 1.5·2^23: adding and subtracting it rounds to an integer */
    float n = (x * 1.44269504f + shifter) - shifter;
    float r = x - n * 0.693145752f - n * 1.42860677e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416664183f + r * (0.00833345205f + r * 0.00139819994f)))));
    union { float f; int i; } u = {p};
    u.i += (int)((unsigned)(int)n << 23); /* adds n to the exponent */
    return u.f;
}

/* Everything the two passes share. */
struct loss_run {
    const struct cpose_pose_loss_cfg *c;
    int B, nl, A, C, K, kdim, R;
    const float *const *feats;
    const float *kpt;
    int lvl_off[MAX_LEVELS + 1], HW[MAX_LEVELS];
    float *anc;         /* [A × 2] anchor centres, grid cells */
    float *anc_px;      /* [A × 2] pixels */
    float *stride_a;    /* [A] */
    unsigned char *lvl; /* [A] level of each anchor */
    float *box_px;      /* [B × A × 4] decoded boxes for the assigner, pixels */
    float *score;       /* [B × A × nc] sigmoid scores for the assigner */
    int *img_start, *img_rows;             /* [B + 1] offsets into rows; [n] target rows by image */
    float *gt_px;                          /* [n × 4] x1 y1 x2 y2 pixels, in rows order */
    int *gt_lab;                           /* [n] */
    unsigned char *gt_valid;               /* [n] */
    int *tgt;                              /* [B × A] assigned object (index within its image) */
    unsigned char *fg;                     /* [B × A] */
    float *tsc;                            /* [B × A] target score of the assigned class */
    float img_w, img_h;
    double sigma[256];
};

/* Grow-only buffers reused across calls (see cpose_pose_loss_ws_new). */
enum ws_slot { WS_ANC, WS_ANC_PX, WS_STRIDE, WS_LVL, WS_BOX, WS_SCORE, WS_TGT, WS_FG, WS_TSC, WS_IMG_START,
               WS_ROWS, WS_GT_PX, WS_GT_LAB, WS_GT_VALID, WS_FILL, WS_SCRATCH, WS_SUMS, WS_NSLOTS };
struct cpose_pose_loss_ws {
    void *buf[WS_NSLOTS];
    size_t cap[WS_NSLOTS];
};

struct cpose_pose_loss_ws *cpose_pose_loss_ws_new(void) { return cpose_calloc(1, sizeof(struct cpose_pose_loss_ws)); }

void cpose_pose_loss_ws_free(struct cpose_pose_loss_ws *ws)
{
    if (!ws) return;
    for (int i = 0; i < WS_NSLOTS; i++) cpose_free(ws->buf[i]);
    cpose_free(ws);
}

static void *ws_get(struct cpose_pose_loss_ws *ws, enum ws_slot slot, size_t bytes)
{
    if (bytes == 0) bytes = 1;
    if (ws->cap[slot] < bytes) {
        cpose_free(ws->buf[slot]);
        ws->buf[slot] = cpose_malloc(bytes);
        ws->cap[slot] = bytes;
    }
    return ws->buf[slot];
}

static const float *level_ptr(const struct loss_run *r, int b, int a, size_t *hw, int *l_out)
{
    int l = r->lvl[a];
    size_t HW = (size_t)r->HW[l], p = (size_t)(a - r->lvl_off[l]);
    *hw = HW;
    *l_out = l;
    return r->feats[l] + (size_t)b * r->C * HW + p;
}

/* Pass 1 for image b: decode every anchor's box and scores, then assign. */
static void decode_and_assign(struct loss_run *r, int b, void *scratch, const struct cpose_pose_assignment *fz)
{
    const int A = r->A, R = r->R, nc = r->c->nc;
    /* Anchors of a level are contiguous in each channel: decode in chunks along them (float32 like
     * the reference's detached boxes; the loss recomputes foreground anchors in double). */
    enum { CHUNK = 256 };
    float mx[CHUNK], sum[CHUNK], wsum[CHUNK], dist[4][CHUNK];
    for (int l = 0; l < r->nl; l++) {
        const size_t HW = (size_t)r->HW[l];
        const float *fl = r->feats[l] + (size_t)b * r->C * HW;
        for (size_t p0 = 0; p0 < HW; p0 += CHUNK) {
            const int m = (int)(HW - p0 < CHUNK ? HW - p0 : CHUNK);
            for (int s = 0; s < 4; s++) {
                const float *z = fl + (size_t)s * R * HW + p0;
                if (R == 1) {
                    memcpy(dist[s], z, sizeof(float) * m);
                    continue;
                }
                for (int i = 0; i < m; i++) mx[i] = z[i];
                for (int k = 1; k < R; k++)
                    for (int i = 0; i < m; i++) mx[i] = z[k * HW + i] > mx[i] ? z[k * HW + i] : mx[i];
                for (int i = 0; i < m; i++) sum[i] = wsum[i] = 0;
                for (int k = 0; k < R; k++)
                    for (int i = 0; i < m; i++) {
                        float e = exp_nonpos(z[k * HW + i] - mx[i]);
                        sum[i] += e;
                        wsum[i] += (float)k * e;
                    }
                for (int i = 0; i < m; i++) dist[s][i] = wsum[i] / sum[i];
            }
            for (int i = 0; i < m; i++) {
                int a = r->lvl_off[l] + (int)p0 + i;
                float ax = r->anc[2 * a], ay = r->anc[2 * a + 1], st = r->stride_a[a];
                float *bp = r->box_px + ((size_t)b * A + a) * 4;
                bp[0] = (ax - dist[0][i]) * st;
                bp[1] = (ay - dist[1][i]) * st;
                bp[2] = (ax + dist[2][i]) * st;
                bp[3] = (ay + dist[3][i]) * st;
                float *sc = r->score + ((size_t)b * A + a) * nc;
                for (int k = 0; k < nc; k++) sc[k] = 1.0f / (1.0f + expf(-fl[(size_t)(4 * R + k) * HW + p0 + i]));
            }
        }
    }
    size_t o = (size_t)b * A;
    if (fz && fz->mode == CPOSE_ASSIGN_REPLAY) {
        memcpy(r->tgt + o, fz->target_gt + o, sizeof(int) * A);
        memcpy(r->fg + o, fz->fg + o, (size_t)A);
        memcpy(r->tsc + o, fz->score + o, sizeof(float) * A);
        return;
    }
    int s0 = r->img_start[b], n = r->img_start[b + 1] - s0;
    struct cpose_tal_cfg tc = {r->c->topk, r->c->alpha, r->c->beta};
    struct cpose_tal_image im = {A, nc, r->score + (size_t)b * A * nc, r->box_px + (size_t)b * A * 4, r->anc_px,
                                 n, r->gt_px + (size_t)s0 * 4, r->gt_lab + s0, r->gt_valid + s0};
    cpose_tal_assign(&tc, &im, scratch, r->tgt + (size_t)b * A, r->fg + (size_t)b * A, r->tsc + (size_t)b * A);
}

/* Per-image sums of the five unnormalised terms: box, pose, kobj, cls, dfl. */
struct loss_sums {
    double v[5];
};

/* Pass 2 for image b: the loss terms and, with gradients, d(total)/d(inputs) of this image. */
static void image_loss(const struct loss_run *r, const struct cpose_pose_targets *t, int b, const double gs[5],
                       float *const *grad_feats, float *grad_kpt, struct cpose_pose_assignment *fz,
                       struct loss_sums *out)
{
    const int A = r->A, R = r->R, nc = r->c->nc, K = r->K, kd = r->kdim;
    const int *tgt = r->tgt + (size_t)b * A;
    const unsigned char *fg = r->fg + (size_t)b * A;
    const float *tsc = r->tsc + (size_t)b * A;
    const int s0 = r->img_start[b];
    const int want_f = grad_feats != NULL, want_k = grad_kpt != NULL;
    double s_box = 0, s_pose = 0, s_kobj = 0, s_cls = 0, s_dfl = 0;

    if (want_f)
        for (int l = 0; l < r->nl; l++)
            if (grad_feats[l]) memset(grad_feats[l] + (size_t)b * r->C * r->HW[l], 0, sizeof(float) * r->C * r->HW[l]);
    if (want_k) memset(grad_kpt + (size_t)b * K * kd * A, 0, sizeof(float) * (size_t)K * kd * A);

    for (int a = 0; a < A; a++) {
        size_t hw;
        int l;
        const float *f = level_ptr(r, b, a, &hw, &l);
        float *gf = want_f && grad_feats[l] ? grad_feats[l] + (f - r->feats[l]) : NULL;
        int row = fg[a] ? r->img_rows[s0 + tgt[a]] : -1;
        int lab = fg[a] ? r->gt_lab[s0 + tgt[a]] : -1;
        /* class BCE over every anchor and class */
        for (int k = 0; k < nc; k++) {
            double x = f[(size_t)(4 * R + k) * hw], tk = k == lab ? tsc[a] : 0.0;
            s_cls += cpose_bce_logits(x, tk);
            if (gf) gf[(size_t)(4 * R + k) * hw] = (float)(gs[3] * (1.0 / (1.0 + exp(-x)) - tk));
        }
        if (!fg[a]) continue;

        /* box: 1 − CIoU of the decoded box against the target, both in grid cells */
        const double w = tsc[a];
        const float st = r->stride_a[a];
        const float *gp = r->gt_px + (size_t)(s0 + tgt[a]) * 4;
        float tb[4] = {gp[0] / st, gp[1] / st, gp[2] / st, gp[3] / st};
        double d[4], prob4[4][MAX_REG], gdfl[MAX_REG];
        for (int s = 0; s < 4; s++)
            d[s] = R > 1 ? cpose_dfl_expect(f + (size_t)s * R * hw, hw, R, prob4[s]) : f[(size_t)s * hw];
        double ax = r->anc[2 * a], ay = r->anc[2 * a + 1];
        double pb[4] = {ax - d[0], ay - d[1], ax + d[2], ay + d[3]};
        double tbd[4] = {tb[0], tb[1], tb[2], tb[3]}, gci[4];
        double alpha = -1, *ap = NULL;
        if (fz && fz->ciou_alpha) {
            ap = fz->ciou_alpha + (size_t)b * A + a;
            if (fz->mode == CPOSE_ASSIGN_RECORD) *ap = -1;
        }
        double ciou = cpose_ciou_f64(pb, tbd, gci, ap ? ap : &alpha);
        s_box += (1.0 - ciou) * w;
        /* d(box)/d(l, t, r, b): x1 = ax − l, y1 = ay − t, x2 = ax + r, y2 = ay + b; d(1 − ciou) = −d ciou */
        double gdist[4] = {gci[0] * gs[0] * w, gci[1] * gs[0] * w, -gci[2] * gs[0] * w, -gci[3] * gs[0] * w};

        /* DFL against bbox2dist(anchor, target) clamped to [0, R − 1 − 0.01] (float, like the reference) */
        float fax = r->anc[2 * a], fay = r->anc[2 * a + 1], hi = (float)((R - 1) - 0.01);
        float tgt_d[4] = {fax - tb[0], fay - tb[1], tb[2] - fax, tb[3] - fay};
        for (int s = 0; s < 4; s++) {
            const float *zs = f + (size_t)s * R * hw;
            float *gz = gf ? gf + (size_t)s * R * hw : NULL;
            if (R > 1) {
                const double *prob = prob4[s], e = d[s];
                float td = tgt_d[s] < 0 ? 0 : (tgt_d[s] > hi ? hi : tgt_d[s]);
                double ls = cpose_dfl_side(zs, hw, R, prob, td, gz ? gdfl : NULL);
                s_dfl += ls / 4.0 * w;
                if (gz)
                    for (int k = 0; k < R; k++)
                        gz[(size_t)k * hw] = (float)(gs[4] * w / 4.0 * gdfl[k] + gdist[s] * prob[k] * (k - e));
            } else if (gz) {
                gz[0] = (float)gdist[s];
            }
        }

        /* keypoints of the assigned object, in this level's grid cells */
        float gk[1024];
        const float *src = t->keypoints + (size_t)row * K * kd;
        for (int k = 0; k < K; k++) {
            gk[k * kd] = src[k * kd] * r->img_w / st;
            gk[k * kd + 1] = src[k * kd + 1] * r->img_h / st;
            if (kd == 3) gk[k * kd + 2] = src[k * kd + 2];
        }
        float area = (tb[2] - tb[0]) * (tb[3] - tb[1]);
        const float *kr = r->kpt + (size_t)b * K * kd * A + a;
        float *gkr = want_k ? grad_kpt + (size_t)b * K * kd * A + a : NULL;
        cpose_kpt_anchor(K, kd, kr, (size_t)A, ax, ay, gk, area, r->sigma, gs[1], gs[2], gkr, &s_pose, &s_kobj);
    }
    out->v[0] = s_box;
    out->v[1] = s_pose;
    out->v[2] = s_kobj;
    out->v[3] = s_cls;
    out->v[4] = s_dfl;
}

/* Groups target rows by image (keeping their order, as Ultralytics' preprocess does) and converts
 * boxes to pixel x1 y1 x2 y2 in float32 (scale, then xywh2xyxy with half sizes). */
static void batch_targets(struct loss_run *r, const struct cpose_pose_targets *t, struct cpose_pose_loss_ws *ws)
{
    memset(r->img_start, 0, sizeof(int) * (r->B + 1));
    for (int i = 0; i < t->n; i++) r->img_start[(int)t->batch_idx[i] + 1]++;
    for (int b = 0; b < r->B; b++) r->img_start[b + 1] += r->img_start[b];
    int *fill = ws_get(ws, WS_FILL, sizeof(int) * r->B);
    memset(fill, 0, sizeof(int) * r->B);
    for (int i = 0; i < t->n; i++) {
        int b = (int)t->batch_idx[i], k = r->img_start[b] + fill[b]++;
        r->img_rows[k] = i;
        const float *bx = t->bboxes + 4 * (size_t)i;
        float cx = bx[0] * r->img_w, cy = bx[1] * r->img_h, w = bx[2] * r->img_w, h = bx[3] * r->img_h;
        float *g = r->gt_px + 4 * (size_t)k;
        g[0] = cx - w / 2;
        g[1] = cy - h / 2;
        g[2] = cx + w / 2;
        g[3] = cy + h / 2;
        r->gt_lab[k] = (int)t->cls[i];
        r->gt_valid[k] = (g[0] + g[1] + g[2] + g[3]) > 0;
    }
}

int cpose_pose_loss_eval(const struct cpose_pose_loss_cfg *c, int B, int nl, const float *const *feats, const int *H,
                         const int *W, const float *strides, const float *kpt, const struct cpose_pose_targets *t,
                         double items[5], double *total, float *const *grad_feats, float *grad_kpt,
                         struct cpose_pose_assignment *fz, struct cpose_pose_loss_ws *ws_in)
{
    int rc = check_args(c, B, nl, feats, H, W, strides, kpt, t);
    if (rc) return rc;
    if (c->nkpt > 256)
        return cpose_err(CPOSE_EINVAL, "pose loss: %d keypoints per object (at most 256 supported)", c->nkpt);

    struct loss_run r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.B = B;
    r.nl = nl;
    r.R = c->reg_max;
    r.C = 4 * c->reg_max + c->nc;
    r.K = c->nkpt;
    r.kdim = c->kdim;
    r.feats = feats;
    r.kpt = kpt;
    for (int l = 0; l < nl; l++) {
        r.HW[l] = H[l] * W[l];
        r.lvl_off[l + 1] = r.lvl_off[l] + r.HW[l];
    }
    const int A = r.A = r.lvl_off[nl];
    r.img_h = (float)H[0] * strides[0];
    r.img_w = (float)W[0] * strides[0];
    for (int k = 0; k < r.K; k++) r.sigma[k] = (r.K == 17 && r.kdim == 3) ? coco_sigmas[k] : 1.0 / r.K;

    struct cpose_pose_loss_ws *ws = ws_in ? ws_in : cpose_pose_loss_ws_new();
    r.anc = ws_get(ws, WS_ANC, sizeof(float) * 2 * A);
    r.anc_px = ws_get(ws, WS_ANC_PX, sizeof(float) * 2 * A);
    r.stride_a = ws_get(ws, WS_STRIDE, sizeof(float) * A);
    r.lvl = ws_get(ws, WS_LVL, (size_t)A);
    for (int l = 0; l < nl; l++)
        for (int i = 0; i < H[l]; i++)
            for (int j = 0; j < W[l]; j++) {
                int a = r.lvl_off[l] + i * W[l] + j;
                r.anc[2 * a] = (float)j + 0.5f;
                r.anc[2 * a + 1] = (float)i + 0.5f;
                r.anc_px[2 * a] = r.anc[2 * a] * strides[l];
                r.anc_px[2 * a + 1] = r.anc[2 * a + 1] * strides[l];
                r.stride_a[a] = strides[l];
                r.lvl[a] = (unsigned char)l;
            }
    size_t BA = (size_t)B * A;
    r.box_px = ws_get(ws, WS_BOX, sizeof(float) * 4 * BA);
    r.score = ws_get(ws, WS_SCORE, sizeof(float) * c->nc * BA);
    r.tgt = ws_get(ws, WS_TGT, sizeof(int) * BA);
    r.fg = ws_get(ws, WS_FG, BA);
    r.tsc = ws_get(ws, WS_TSC, sizeof(float) * BA);
    int n = t->n;
    r.img_start = ws_get(ws, WS_IMG_START, sizeof(int) * (B + 1));
    r.img_rows = ws_get(ws, WS_ROWS, sizeof(int) * (n + 1));
    r.gt_px = ws_get(ws, WS_GT_PX, sizeof(float) * 4 * (n + 1));
    r.gt_lab = ws_get(ws, WS_GT_LAB, sizeof(int) * (n + 1));
    r.gt_valid = ws_get(ws, WS_GT_VALID, (size_t)n + 1);
    batch_targets(&r, t, ws);
    int n_max = 0;
    for (int b = 0; b < B; b++)
        if (r.img_start[b + 1] - r.img_start[b] > n_max) n_max = r.img_start[b + 1] - r.img_start[b];

    int nth = omp_get_max_threads();
    if (nth > B) nth = B;
    /* one core does a batch of 8 in ~2 ms at 320 and ~9 ms at 640 (bench_pose_loss); measured on the
     * shared machine, two threads cost twice the CPU time at 640 (barrier waits), so only very large
     * batches (≥ 32 images at 640) are split across threads */
    if (BA < 262144) nth = 1;
    size_t sb = cpose_tal_scratch_bytes(n_max, A, c->topk);
    char *scratch = ws_get(ws, WS_SCRATCH, sb * nth);
#pragma omp parallel for num_threads(nth) schedule(dynamic, 1)
    for (int b = 0; b < B; b++) decode_and_assign(&r, b, scratch + sb * omp_get_thread_num(), fz);
    if (fz && fz->mode == CPOSE_ASSIGN_RECORD) {
        memcpy(fz->target_gt, r.tgt, sizeof(int) * BA);
        memcpy(fz->fg, r.fg, BA);
        memcpy(fz->score, r.tsc, sizeof(float) * BA);
    }

    /* target_scores_sum = max(Σ target scores, 1) and the number of foreground anchors */
    double tss = 0;
    long nfg = 0;
    for (size_t i = 0; i < BA; i++)
        if (r.fg[i]) {
            tss += r.tsc[i];
            nfg++;
        }
    if (tss < 1) tss = 1;
    double nk = (double)nfg * r.K;
    double gs[5] = {B * (double)c->gain_box / tss, nfg ? B * (double)c->gain_pose / nk : 0,
                    nfg ? B * (double)c->gain_kobj / nk : 0, B * (double)c->gain_cls / tss,
                    B * (double)c->gain_dfl / tss};
    struct loss_sums *sums = ws_get(ws, WS_SUMS, sizeof *sums * B);
    memset(sums, 0, sizeof *sums * B);
#pragma omp parallel for num_threads(nth) schedule(dynamic, 1)
    for (int b = 0; b < B; b++) image_loss(&r, t, b, gs, grad_feats, grad_kpt, fz, &sums[b]);

    double tot[5] = {0};
    for (int b = 0; b < B; b++)
        for (int k = 0; k < 5; k++) tot[k] += sums[b].v[k];
    double it[5] = {c->gain_box * tot[0] / tss, nfg ? c->gain_pose * tot[1] / nk : 0,
                    nfg && r.kdim == 3 ? c->gain_kobj * tot[2] / nk : 0, c->gain_cls * tot[3] / tss,
                    r.R > 1 ? c->gain_dfl * tot[4] / tss : 0};
    double sum = 0;
    for (int k = 0; k < 5; k++) {
        if (items) items[k] = it[k];
        sum += it[k];
    }
    if (total) *total = sum * B;

    if (!ws_in) cpose_pose_loss_ws_free(ws);
    return CPOSE_OK;
}

int cpose_pose_loss_ws_run(struct cpose_pose_loss_ws *ws, const struct cpose_pose_loss_cfg *c, int B, int nl,
                           const float *const *feats, const int *H, const int *W, const float *strides,
                           const float *kpt, const struct cpose_pose_targets *t, float items[5], float *total,
                           float *const *grad_feats, float *grad_kpt)
{
    double it[5], tot;
    int rc = cpose_pose_loss_eval(c, B, nl, feats, H, W, strides, kpt, t, it, &tot, grad_feats, grad_kpt, NULL, ws);
    if (rc) return rc;
    if (items)
        for (int k = 0; k < 5; k++) items[k] = (float)it[k];
    if (total) *total = (float)tot;
    return CPOSE_OK;
}

int cpose_pose_loss(const struct cpose_pose_loss_cfg *c, int B, int nl, const float *const *feats, const int *H,
                    const int *W, const float *strides, const float *kpt, const struct cpose_pose_targets *t,
                    float items[5], float *total, float *const *grad_feats, float *grad_kpt)
{
    return cpose_pose_loss_ws_run(NULL, c, B, nl, feats, H, W, strides, kpt, t, items, total, grad_feats, grad_kpt);
}
