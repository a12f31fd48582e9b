/* core/nms.c — Ultralytics-compatible non-maximum suppression (candidate selection, class offsets,
 * torchvision-style greedy suppression). */
#include "nms.h"

#include <string.h>

#include "alloc.h"

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

int64_t cpose_nms_boxes(const float *boxes, const float *scores, int64_t n, double iou, int64_t *keep)
{
    if (n <= 0) return 0;
    struct nms_order *ord = cpose_malloc((size_t)n * sizeof *ord);
    float *areas = cpose_malloc((size_t)n * sizeof *areas);
    unsigned char *suppressed = cpose_calloc((size_t)n, 1);
    for (int64_t i = 0; i < n; i++) {
        ord[i].score = scores[i];
        ord[i].idx = i;
        const float *b = boxes + 4 * i;
        areas[i] = (b[2] - b[0]) * (b[3] - b[1]);
    }
    qsort(ord, (size_t)n, sizeof *ord, order_cmp);
    int64_t nk = 0;
    for (int64_t oi = 0; oi < n; oi++) {
        int64_t i = ord[oi].idx;
        if (suppressed[i]) continue;
        keep[nk++] = i;
        const float *bi = boxes + 4 * i;
        float ia = areas[i];
        for (int64_t oj = oi + 1; oj < n; oj++) {
            int64_t j = ord[oj].idx;
            if (suppressed[j]) continue;
            const float *bj = boxes + 4 * j;
            float xx1 = bi[0] > bj[0] ? bi[0] : bj[0];
            float yy1 = bi[1] > bj[1] ? bi[1] : bj[1];
            float xx2 = bi[2] < bj[2] ? bi[2] : bj[2];
            float yy2 = bi[3] < bj[3] ? bi[3] : bj[3];
            float w = xx2 - xx1, h = yy2 - yy1;
            if (w < 0.0f) w = 0.0f;
            if (h < 0.0f) h = 0.0f;
            float inter = w * h;
            float ovr = inter / (ia + areas[j] - inter);
            if ((double)ovr > iou) suppressed[j] = 1;
        }
    }
    cpose_free(ord);
    cpose_free(areas);
    cpose_free(suppressed);
    return nk;
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
    int64_t nk = cpose_nms_boxes(boxes, scores, n, o->iou, keep);
    if (nk > o->max_det) nk = o->max_det;
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
