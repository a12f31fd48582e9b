/* core/predict/nms.c — Ultralytics-compatible non-maximum suppression (candidate selection, class offsets,
 * torchvision-style greedy suppression). */
#include "core/predict/nms.h"

#include <math.h>
#include <string.h>

#include "core/base/alloc.h"

void cpose_nms_opts_predict(struct cpose_nms_opts *o, int nc)
{
    memset(o, 0, sizeof *o);
    o->conf = 0.25;
    o->iou = 0.7;
    o->max_det = 300;
    o->max_nms = 30000;
    o->max_wh = 7680.0;
    o->nc = nc;
}

void cpose_nms_opts_val(struct cpose_nms_opts *o, int nc)
{
    cpose_nms_opts_predict(o, nc);
    o->conf = 0.001;
    o->multi_label = 1;
}

/* Sort key for a stable descending sort by score: ties keep their original order. */
struct nms_order {
    float score;
    int64_t idx;
};

static int order_cmp(const void *pa, const void *pb)
{
    const struct nms_order *a = pa, *b = pb;
    if (a->score > b->score) return -1;
    if (a->score < b->score) return 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Greedy NMS stopping after max_keep kept boxes: later boxes cannot change earlier decisions,
 * so the first max_keep are exactly those a full pass would keep first. */
static int64_t nms_boxes_limit(const float *boxes, const float *scores, int64_t n, double iou, int64_t *keep,
                               int64_t max_keep)
{
    if (n <= 0 || max_keep <= 0) return 0;
    struct nms_order *ord = cpose_malloc((size_t)n * sizeof *ord);
    for (int64_t i = 0; i < n; i++) ord[i].score = scores[i], ord[i].idx = i;
    qsort(ord, (size_t)n, sizeof *ord, order_cmp);
    /* Boxes in score order, one array per coordinate, so the inner loop is contiguous and
     * branch-free (the compiler vectorises it). */
    float *x1 = cpose_malloc((size_t)n * 5 * sizeof(float)), *y1 = x1 + n, *x2 = y1 + n, *y2 = x2 + n, *ar = y2 + n;
    unsigned char *sup = cpose_calloc((size_t)n, 1);
    for (int64_t k = 0; k < n; k++) {
        const float *b = boxes + 4 * ord[k].idx;
        x1[k] = b[0], y1[k] = b[1], x2[k] = b[2], y2[k] = b[3];
        ar[k] = (b[2] - b[0]) * (b[3] - b[1]);
    }
    /* (double)ovr > iou  ⟺  ovr > thr, thr the largest float not above iou (torchvision compares
     * the float IoU with the double threshold). */
    float thr = (float)iou;
    if ((double)thr > iou) thr = nextafterf(thr, -INFINITY);
    int64_t nk = 0;
    for (int64_t oi = 0; oi < n; oi++) {
        if (sup[oi]) continue;
        keep[nk++] = ord[oi].idx;
        if (nk == max_keep) break;
        const float bx1 = x1[oi], by1 = y1[oi], bx2 = x2[oi], by2 = y2[oi], ba = ar[oi];
        for (int64_t j = oi + 1; j < n; j++) {
            float xx1 = bx1 > x1[j] ? bx1 : x1[j];
            float yy1 = by1 > y1[j] ? by1 : y1[j];
            float xx2 = bx2 < x2[j] ? bx2 : x2[j];
            float yy2 = by2 < y2[j] ? by2 : y2[j];
            float w = xx2 - xx1, h = yy2 - yy1;
            w = w > 0.0f ? w : 0.0f;
            h = h > 0.0f ? h : 0.0f;
            float inter = w * h;
            float ovr = inter / (ba + ar[j] - inter);
            sup[j] |= (unsigned char)(ovr > thr);
        }
    }
    cpose_free(ord);
    cpose_free(x1);
    cpose_free(sup);
    return nk;
}

int64_t cpose_nms_boxes(const float *boxes, const float *scores, int64_t n, double iou, int64_t *keep)
{
    return nms_boxes_limit(boxes, scores, n, iou, keep, n);
}

static int class_allowed(const struct cpose_nms_opts *o, int cls)
{
    if (o->n_classes <= 0) return 1;
    for (int i = 0; i < o->n_classes; i++)
        if (o->classes[i] == cls) return 1;
    return 0;
}

int cpose_nms(const float *pred, int64_t C, int64_t A, const struct cpose_nms_opts *o, float **rows, int64_t *n_rows)
{
    *rows = NULL;
    *n_rows = 0;
    int64_t nc = o->nc > 0 ? o->nc : C - 4;
    if (nc < 1 || C < 4 + nc)
        return cpose_err(CPOSE_EINVAL, "NMS: prediction has %lld channels, needs 4 box + %lld class channels",
                         (long long)C, (long long)nc);
    if (!(o->conf >= 0.0 && o->conf <= 1.0))
        return cpose_err(CPOSE_EINVAL, "NMS: conf=%g is outside [0, 1]", o->conf);
    if (!(o->iou >= 0.0 && o->iou <= 1.0))
        return cpose_err(CPOSE_EINVAL, "NMS: iou=%g is outside [0, 1]", o->iou);
    if (o->max_det < 1) return cpose_err(CPOSE_EINVAL, "NMS: max_det=%d must be at least 1", o->max_det);
    if (A <= 0) return CPOSE_OK;

    int64_t nm = C - 4 - nc, rw = 6 + nm;
    int multi = o->multi_label && nc > 1;
    const float conf = (float)o->conf;
    struct cpose_vec cand = {NULL, 0, 0, (size_t)rw * sizeof(float)};
    float *row = cpose_malloc((size_t)rw * sizeof *row);
    for (int64_t a = 0; a < A; a++) {
        /* Ultralytics' first filter: the best class score must beat conf. */
        float best = pred[4 * A + a];
        int64_t best_c = 0;
        for (int64_t c = 1; c < nc; c++) {
            float s = pred[(4 + c) * A + a];
            if (s > best) best = s, best_c = c;
        }
        if (!((double)best > o->conf)) continue;
        float cx = pred[a], cy = pred[A + a], hw = pred[2 * A + a] / 2.0f, hh = pred[3 * A + a] / 2.0f;
        row[0] = cx - hw;
        row[1] = cy - hh;
        row[2] = cx + hw;
        row[3] = cy + hh;
        for (int64_t k = 0; k < nm; k++) row[6 + k] = pred[(4 + nc + k) * A + a];
        for (int64_t c = 0; c < nc; c++) {
            float s = pred[(4 + c) * A + a];
            if (multi) {
                if (!(s > conf)) continue;
            } else {
                if (c != best_c) continue;
            }
            if (!class_allowed(o, (int)c)) continue;
            row[4] = s;
            row[5] = (float)c;
            cpose_vec_push(&cand, row);
        }
    }
    cpose_free(row);
    int64_t n = (int64_t)cand.len;
    float *x = cand.data;
    if (n == 0) {
        cpose_vec_free(&cand);
        return CPOSE_OK;
    }
    if (o->max_nms > 0 && n > o->max_nms) {
        /* Keep the max_nms highest scores (in score order, as Ultralytics' argsort does). */
        struct nms_order *ord = cpose_malloc((size_t)n * sizeof *ord);
        for (int64_t i = 0; i < n; i++) ord[i].score = x[i * rw + 4], ord[i].idx = i;
        qsort(ord, (size_t)n, sizeof *ord, order_cmp);
        float *y = cpose_malloc((size_t)o->max_nms * rw * sizeof *y);
        for (int64_t i = 0; i < o->max_nms; i++) memcpy(y + i * rw, x + ord[i].idx * rw, (size_t)rw * sizeof *y);
        cpose_free(ord);
        cpose_vec_free(&cand);
        x = y;
        n = o->max_nms;
    } else {
        cand.data = NULL; /* x now owns the candidate rows */
        cpose_vec_free(&cand);
    }

    float *boxes = cpose_malloc((size_t)n * 4 * sizeof *boxes);
    float *scores = cpose_malloc((size_t)n * sizeof *scores);
    int64_t *keep = cpose_malloc((size_t)n * sizeof *keep);
    for (int64_t i = 0; i < n; i++) {
        const float *r = x + i * rw;
        float off = o->agnostic ? 0.0f : r[5] * (float)o->max_wh;
        for (int k = 0; k < 4; k++) boxes[4 * i + k] = r[k] + off;
        scores[i] = r[4];
    }
    int64_t nk = nms_boxes_limit(boxes, scores, n, o->iou, keep, o->max_det);
    float *out = cpose_malloc((size_t)nk * rw * sizeof *out);
    for (int64_t i = 0; i < nk; i++) memcpy(out + i * rw, x + keep[i] * rw, (size_t)rw * sizeof *out);
    cpose_free(boxes);
    cpose_free(scores);
    cpose_free(keep);
    cpose_free(x);
    *rows = out;
    *n_rows = nk;
    return CPOSE_OK;
}
