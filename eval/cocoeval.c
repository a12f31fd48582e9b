/* eval/cocoeval.c — pycocotools-exact COCO evaluation: loadRes, per-image IoU/OKS and matching
 * (evaluateImg), accumulation into precision/recall tables. Summaries are in cocoeval_summary.c. */
#pragma GCC optimize("fp-contract=off") /* numpy-identical rounding: no FMA fusion */
#include "eval/cocoeval.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/base/alloc.h"
#include "eval/score_sort.h"

const double cpose_coco17_sigmas[17] = {.26 / 10.0, .25 / 10.0, .25 / 10.0, .35 / 10.0, .35 / 10.0, .79 / 10.0,
                                        .79 / 10.0, .72 / 10.0, .72 / 10.0, .62 / 10.0, .62 / 10.0, 1.07 / 10.0,
                                        1.07 / 10.0, .87 / 10.0, .87 / 10.0, .89 / 10.0, .89 / 10.0};

#define NP_SPACING1 2.220446049250313e-16 /* np.spacing(1) */
/* np.linspace(start, stop, num) element i (endpoint included). */
static double np_linspace(double start, double stop, int num, int i)
{
    if (num == 1) return start;
    if (i == num - 1) return stop;
    double step = (stop - start) / (double)(num - 1);
    return (double)i * step + start;
}

void cpose_cocoeval_default_params(struct cpose_cocoeval_params *p, enum cpose_iou_type t)
{
    memset(p, 0, sizeof *p);
    p->iou_type = t;
    p->n_iou = 10;
    for (int i = 0; i < 10; i++) p->iou_thrs[i] = np_linspace(.5, 0.95, 10, i);
    p->n_rec = 101;
    if (t == CPOSE_IOU_KEYPOINTS) {
        p->n_area = 3;
        const double rng[3][2] = {{0, 1e10}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};
        const char *lbl[3] = {"all", "medium", "large"};
        for (int a = 0; a < 3; a++) {
            p->area_rng[a][0] = rng[a][0];
            p->area_rng[a][1] = rng[a][1];
            snprintf(p->area_lbl[a], sizeof p->area_lbl[a], "%s", lbl[a]);
        }
        p->n_max_dets = 1;
        p->max_dets[0] = 20;
    } else {
        p->n_area = 4;
        const double rng[4][2] = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};
        const char *lbl[4] = {"all", "small", "medium", "large"};
        for (int a = 0; a < 4; a++) {
            p->area_rng[a][0] = rng[a][0];
            p->area_rng[a][1] = rng[a][1];
            snprintf(p->area_lbl[a], sizeof p->area_lbl[a], "%s", lbl[a]);
        }
        p->n_max_dets = 3;
        p->max_dets[0] = 1;
        p->max_dets[1] = 10;
        p->max_dets[2] = 100;
    }
}

void cpose_cocoeval_free(struct cpose_cocoeval *e)
{
    if (!e) return;
    cpose_free(e->img_ids);
    cpose_free(e->cat_ids);
    cpose_free(e->precision);
    cpose_free(e->recall);
    cpose_free(e->scores);
    cpose_free(e->ious_data);
    cpose_free(e->ious_off);
    cpose_free(e->ious_rows);
    cpose_free(e->ious_cols);
    memset(e, 0, sizeof *e);
}

/* ---- internal working set ---- */

/* n bytes (cpose_malloc) that the evaluation writes whole: from 64 KiB on, their pages are mapped in
 * one call (huge pages where a 2 MiB-aligned stretch fits) instead of faulting in one 4 KiB page at a
 * time on first write, which costs 10-25 us a page on a virtual machine. */
#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23 /* Linux 5.14's number; glibc before 2.35's headers do not name it */
#endif
static void *alloc_written(size_t n)
{
    unsigned char *p = cpose_malloc(n ? n : 1);
#if defined(MADV_HUGEPAGE) && defined(MADV_POPULATE_WRITE)
    if (n >= (64 << 10)) {
        uintptr_t huge = 2 << 20, a = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + n) & ~(huge - 1);
        if (e > a) madvise((void *)a, e - a, MADV_HUGEPAGE); /* hints: failure leaves it to faults */
        a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, e = ((uintptr_t)p + n) & ~(uintptr_t)4095;
        if (e > a) madvise((void *)a, e - a, MADV_POPULATE_WRITE);
    }
#endif
    return p;
}

static void *calloc_written(size_t count, size_t size)
{
    void *p = alloc_written(count * size);
    memset(p, 0, count * size);
    return p;
}

struct ev_det {
    double bbox[4], area, score;
    const double *kpts;
    int64_t id;            /* 1..N in file order */
    int img, cat;          /* indexes into the sorted id lists; cat -1 = not evaluated */
};

struct ev_gt {
    const struct cpose_coco_ann *a;
    const double *kpts;
    int img, cat;
    int ignore;            /* iscrowd, or num_keypoints == 0 for keypoints */
};

struct ev_ctx {
    const struct cpose_cocoeval_params *p;
    int n_img, n_cat, n_pair, nkpt, T, A, M, maxdet;
    double sigmas[CPOSE_COCOEVAL_MAX_KPTS];
    struct ev_det *dets;
    size_t n_dets;
    struct ev_gt *gts;
    size_t n_gts;
    size_t *gt_start, *dt_start;   /* per pair: bucket starts (n_pair + 1) */
    int *gt_order, *dt_order;      /* bucketed indexes (file order within a pair) */
    size_t *slot_off;              /* per pair: first result slot (n_pair + 1); slots = sorted, cut */
    size_t n_slots;
    int *slot_det;                 /* slot → det index */
    uint8_t *code;                 /* [A][T][slot]: 0 false positive, 1 true positive, 2 ignored */
    int *npig;                     /* [pair][A] non-ignored GT count */
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int find_id(const int64_t *ids, int n, int64_t id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (ids[mid] == id) return mid;
        if (ids[mid] < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

static int sorted_unique(int64_t *ids, int n)
{
    if (n == 0) return 0;
    qsort(ids, (size_t)n, sizeof *ids, cmp_i64);
    int m = 1;
    for (int i = 1; i < n; i++)
        if (ids[i] != ids[m - 1]) ids[m++] = ids[i];
    return m;
}

/* Stable sort of det indexes by descending score (np.argsort(-score, kind='mergesort')). */
static void sort_by_score(int *idx, int n, const struct ev_det *d, int *tmp)
{
    if (n < 2) return;
    if (n <= 16) {
        for (int i = 1; i < n; i++) {
            int v = idx[i], j = i - 1;
            while (j >= 0 && d[idx[j]].score < d[v].score) { idx[j + 1] = idx[j]; j--; }
            idx[j + 1] = v;
        }
        return;
    }
    int h = n / 2;
    sort_by_score(idx, h, d, tmp);
    sort_by_score(idx + h, n - h, d, tmp);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = (d[idx[j]].score > d[idx[i]].score) ? idx[j++] : idx[i++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

/* loadRes: builds the evaluated result list from the results file. */
static int prepare_dets(struct ev_ctx *c, const struct cpose_coco *gt, const struct cpose_coco *dt,
                        const int64_t *img_ids, const int64_t *cat_ids)
{
    c->n_dets = dt->n_anns;
    c->dets = calloc_written(dt->n_anns ? dt->n_anns : 1, sizeof *c->dets);
    int bbox_branch = dt->n_anns > 0 && dt->anns[0].has_bbox;
    const char *dpath = dt->path ? dt->path : "(results)";
    for (size_t i = 0; i < dt->n_anns; i++) {
        const struct cpose_coco_ann *a = &dt->anns[i];
        struct ev_det *d = &c->dets[i];
        if (!a->has_image_id)
            return cpose_err(CPOSE_EINVAL, "%s: result %zu (byte %lld) has no image_id", dpath, i,
                             (long long)a->byte_offset);
        d->img = find_id(img_ids, c->n_img, a->image_id);
        if (d->img < 0)
            return cpose_err(CPOSE_EINVAL,
                             "%s: result %zu (byte %lld) is for image_id %lld, which is not an image of %s "
                             "(results do not correspond to the ground truth)",
                             dpath, i, (long long)a->byte_offset, (long long)a->image_id,
                             gt->path ? gt->path : "the ground truth");
        d->cat = a->has_category_id ? find_id(cat_ids, c->n_cat, a->category_id) : -1;
        d->id = (int64_t)i + 1;
        if (!a->has_score)
            return cpose_err(CPOSE_EINVAL, "%s: result %zu (byte %lld) has no score", dpath, i,
                             (long long)a->byte_offset);
        d->score = a->score;
        d->kpts = a->n_kpt_values ? cpose_coco_kpts(dt, a) : NULL;
        if (c->p->iou_type == CPOSE_IOU_KEYPOINTS) {
            if (!a->has_keypoints || a->n_kpt_values != 3 * c->nkpt)
                return cpose_err(CPOSE_EINVAL,
                                 "%s: result %zu (byte %lld) has %d keypoint values; %d expected (%d keypoints "
                                 "× x, y, score)",
                                 dpath, i, (long long)a->byte_offset, a->has_keypoints ? a->n_kpt_values : 0,
                                 3 * c->nkpt, c->nkpt);
        } else if (!bbox_branch && (!a->has_keypoints || a->n_kpt_values < 3 || a->n_kpt_values % 3)) {
            return cpose_err(CPOSE_EINVAL,
                             "%s: result %zu (byte %lld) has neither a bbox nor keypoints (x, y, score triplets)",
                             dpath, i, (long long)a->byte_offset);
        }
        if (bbox_branch) {
            if (!a->has_bbox)
                return cpose_err(CPOSE_EINVAL,
                                 "%s: result %zu (byte %lld) has no bbox while the first result has one "
                                 "(all results must agree)",
                                 dpath, i, (long long)a->byte_offset);
            memcpy(d->bbox, a->bbox, sizeof d->bbox);
            d->area = a->bbox[2] * a->bbox[3];
        } else {
            double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
            for (int k = 0; k < a->n_kpt_values / 3; k++) {
                double x = d->kpts[3 * k], y = d->kpts[3 * k + 1];
                x0 = fmin(x0, x); x1 = fmax(x1, x);
                y0 = fmin(y0, y); y1 = fmax(y1, y);
            }
            d->area = (x1 - x0) * (y1 - y0);
            d->bbox[0] = x0; d->bbox[1] = y0; d->bbox[2] = x1 - x0; d->bbox[3] = y1 - y0;
        }
    }
    return CPOSE_OK;
}

static int prepare_gts(struct ev_ctx *c, const struct cpose_coco *gt, const int64_t *img_ids, const int64_t *cat_ids)
{
    c->gts = cpose_calloc(gt->n_anns ? gt->n_anns : 1, sizeof *c->gts);
    const char *gpath = gt->path ? gt->path : "(ground truth)";
    size_t n = 0;
    for (size_t i = 0; i < gt->n_anns; i++) {
        const struct cpose_coco_ann *a = &gt->anns[i];
        if (!a->has_id) /* pycocotools indexes annotations by id and raises a KeyError */
            return cpose_err(CPOSE_EINVAL, "%s: annotation %zu (byte %lld) has no 'id'; every ground-truth annotation "
                             "needs a unique id (pycocotools raises KeyError: 'id')", gpath, i, (long long)a->byte_offset);
        if (!a->has_image_id || !a->has_category_id) continue;
        int img = find_id(img_ids, c->n_img, a->image_id), cat = find_id(cat_ids, c->n_cat, a->category_id);
        if (img < 0 || cat < 0) continue;
        long long id = a->has_id ? (long long)a->id : -1, off = (long long)a->byte_offset;
        if (!a->has_area)
            return cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has no area", gpath, id, off);
        if (!a->has_bbox)
            return cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has no bbox", gpath, id, off);
        struct ev_gt *g = &c->gts[n++];
        g->a = a;
        g->img = img;
        g->cat = cat;
        g->ignore = a->iscrowd != 0;
        if (c->p->iou_type == CPOSE_IOU_KEYPOINTS) {
            if (a->num_keypoints < 0)
                return cpose_err(CPOSE_EINVAL, "%s: annotation id %lld (byte %lld) has no num_keypoints", gpath,
                                 id, off);
            if (a->n_kpt_values != 3 * c->nkpt)
                return cpose_err(CPOSE_EINVAL,
                                 "%s: annotation id %lld (byte %lld) has %d keypoint values; %d expected", gpath,
                                 id, off, a->n_kpt_values, 3 * c->nkpt);
            g->kpts = cpose_coco_kpts(gt, a);
            g->ignore = g->ignore || a->num_keypoints == 0;
        }
    }
    c->n_gts = n;
    return CPOSE_OK;
}

/* Stable counting sort of items into (img, cat) buckets. key(i) < 0 drops the item. */
static void bucket(int n_pair, size_t n, const int *keys, size_t **start_out, int **order_out)
{
    size_t *start = cpose_calloc((size_t)n_pair + 1, sizeof *start);
    for (size_t i = 0; i < n; i++)
        if (keys[i] >= 0) start[keys[i] + 1]++;
    for (int k = 0; k < n_pair; k++) start[k + 1] += start[k];
    int *order = alloc_written((start[n_pair] ? start[n_pair] : 1) * sizeof *order);
    size_t *fill = cpose_malloc(((size_t)n_pair + 1) * sizeof *fill);
    memcpy(fill, start, ((size_t)n_pair + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        if (keys[i] >= 0) order[fill[keys[i]]++] = (int)i;
    cpose_free(fill);
    *start_out = start;
    *order_out = order;
}

/* computeIoU (maskUtils bbIou) for one result/GT pair. */
static double bbox_iou(const double *D, const double *G, int crowd)
{
    double ga = G[2] * G[3], da = D[2] * D[3];
    double w = fmin(D[2] + D[0], G[2] + G[0]) - fmax(D[0], G[0]);
    if (w <= 0) return 0;
    double h = fmin(D[3] + D[1], G[3] + G[1]) - fmax(D[1], G[1]);
    if (h <= 0) return 0;
    double i = w * h, u = crowd ? da : da + ga - i;
    return i / u;
}

/* computeOks for one result/GT pair; e is scratch of nkpt doubles. */
static double oks(const struct ev_ctx *c, const struct ev_det *d, const struct ev_gt *g, double *e)
{
    const double *gk = g->kpts, *dk = d->kpts, *bb = g->a->bbox;
    int k = c->nkpt, k1 = 0;
    for (int j = 0; j < k; j++) k1 += gk[3 * j + 2] > 0;
    double x0 = bb[0] - bb[2], x1 = bb[0] + bb[2] * 2, y0 = bb[1] - bb[3], y1 = bb[1] + bb[3] * 2;
    double area = g->a->area + NP_SPACING1;
    int n = 0;
    for (int j = 0; j < k; j++) {
        double dx, dy;
        if (k1 > 0) {
            if (!(gk[3 * j + 2] > 0)) continue;
            dx = dk[3 * j] - gk[3 * j];
            dy = dk[3 * j + 1] - gk[3 * j + 1];
        } else {
            double xd = dk[3 * j], yd = dk[3 * j + 1];
            dx = fmax(0, x0 - xd) + fmax(0, xd - x1);
            dy = fmax(0, y0 - yd) + fmax(0, yd - y1);
        }
        double s2 = c->sigmas[j] * 2, var = s2 * s2;
        double ej = (dx * dx + dy * dy) / var / area / 2;
        e[n++] = exp(-ej);
    }
    return cpose_np_sum(e, (size_t)n) / (double)n;
}

/* evaluateImg for one (image, category) pair over all area ranges; also fills its IoU matrix. */
static void eval_pair(struct ev_ctx *c, struct cpose_cocoeval *out, int pair, int *scratch, double *escratch)
{
    const struct cpose_cocoeval_params *p = c->p;
    size_t g0 = c->gt_start[pair], d0 = c->dt_start[pair];
    int G = (int)(c->gt_start[pair + 1] - g0), ND = (int)(c->dt_start[pair + 1] - d0);
    int *dorder = scratch, *tmp = scratch + ND, *gind = scratch + 2 * ND, *gtm_used = scratch + 2 * ND + G;
    memcpy(dorder, c->dt_order + d0, (size_t)ND * sizeof *dorder);
    sort_by_score(dorder, ND, c->dets, tmp);
    int D = ND < c->maxdet ? ND : c->maxdet;
    size_t s0 = c->slot_off[pair];
    for (int i = 0; i < D; i++) c->slot_det[s0 + i] = dorder[i];

    double *ious = out->ious_data + out->ious_off[pair];
    const int *gidx = c->gt_order + g0;
    int have_ious = D > 0 && G > 0;
    out->ious_rows[pair] = have_ious ? D : 0;
    out->ious_cols[pair] = have_ious ? G : 0;
    if (have_ious) {
        for (int i = 0; i < D; i++) {
            const struct ev_det *d = &c->dets[dorder[i]];
            for (int j = 0; j < G; j++) {
                const struct ev_gt *g = &c->gts[gidx[j]];
                ious[(size_t)i * G + j] = p->iou_type == CPOSE_IOU_BBOX ? bbox_iou(d->bbox, g->a->bbox, g->a->iscrowd != 0)
                                                                       : oks(c, d, g, escratch);
            }
        }
    }
    for (int a = 0; a < c->A; a++) {
        double lo = p->area_rng[a][0], hi = p->area_rng[a][1];
        /* _ignore, then gt sorted by it (stable): non-ignored first */
        int n = 0, npig = 0;
        for (int j = 0; j < G; j++) {
            const struct ev_gt *g = &c->gts[gidx[j]];
            int ig = g->ignore || g->a->area < lo || g->a->area > hi;
            if (!ig) { gind[n++] = j; npig++; }
        }
        for (int j = 0; j < G; j++) {
            const struct ev_gt *g = &c->gts[gidx[j]];
            if (g->ignore || g->a->area < lo || g->a->area > hi) gind[n++] = j;
        }
        c->npig[(size_t)pair * c->A + a] = npig;
        for (int t = 0; t < c->T; t++) {
            uint8_t *code = c->code + ((size_t)a * c->T + t) * c->n_slots + s0;
            for (int j = 0; j < G; j++) gtm_used[j] = 0;
            double thr = fmin(p->iou_thrs[t], 1 - 1e-10);
            for (int i = 0; i < D; i++) {
                const struct ev_det *d = &c->dets[dorder[i]];
                double iou = thr;
                int m = -1;
                if (have_ious) {
                    for (int gi = 0; gi < G; gi++) {
                        int j = gind[gi];
                        const struct ev_gt *g = &c->gts[gidx[j]];
                        if (gtm_used[gi] && !g->a->iscrowd) continue;
                        if (m > -1 && gi >= npig && m < npig) break; /* gtIg[m]==0 and gtIg[gind]==1 */
                        double v = ious[(size_t)i * G + j];
                        if (v < iou) continue;
                        iou = v;
                        m = gi;
                    }
                }
                int matched = 0, ig = 0;
                if (m >= 0) {
                    const struct cpose_coco_ann *ga = c->gts[gidx[gind[m]]].a;
                    ig = m >= npig;
                    /* dtm stores the GT id; pycocotools tests dtm != 0, so an id of 0 reads as unmatched */
                    matched = (ga->has_id ? ga->id : 0) != 0;
                    gtm_used[m] = 1; /* gtm = dt id (≥ 1) */
                }
                if (!matched && (d->area < lo || d->area > hi)) ig = 1;
                code[i] = ig ? 2 : (matched ? 1 : 0);
            }
        }
    }
}

struct acc_item {
    double score;
    int slot, rank;
};

/* Gathers category k's kept results (image order, then rank) and sorts them into items by score
 * (stable: ties keep that order, as np.argsort(kind='mergesort') on the concatenation). */
static void gather_cat(const struct ev_ctx *c, int k, struct acc_item *items, size_t n)
{
    struct acc_item *in = cpose_malloc((n + 1) * sizeof *in);
    double *score = cpose_malloc((n + 1) * sizeof *score);
    uint32_t *order = cpose_malloc((n + 1) * sizeof *order);
    size_t i = 0;
    for (int img = 0; img < c->n_img; img++) {
        int pair = img * c->n_cat + k;
        for (size_t s = c->slot_off[pair]; s < c->slot_off[pair + 1]; s++, i++) {
            in[i].score = score[i] = c->dets[c->slot_det[s]].score;
            in[i].slot = (int)s;
            in[i].rank = (int)(s - c->slot_off[pair]);
        }
    }
    cpose_score_order_desc(score, n, order);
    for (i = 0; i < n; i++) items[i] = in[order[i]];
    cpose_free(in);
    cpose_free(score);
    cpose_free(order);
}

/* accumulate() for category k, area a, maxDets index m, threshold t over its n sorted items, in one
 * pass without pycocotools' per-result arrays. With tp/fp the running counts over the kept results
 * (rank < maxDets), recall rc = tp/npig and precision pr = tp/(fp+tp+eps) at each of them:
 *  - recall point r takes the first result with rc >= rec_thrs[r] (searchsorted, side='left'); rc
 *    only grows at a true positive, so the points are assigned at the first result and at true
 *    positives. The results from one such assignment to the next form a segment.
 *  - its precision is the largest pr from that result on (the envelope made monotone from the
 *    right): the largest pr of each segment, then a running maximum over the segments from the last.
 *    pr rises (or stays) with each true positive, stays with an ignored result and falls with a false
 *    positive, so a segment's largest pr is at its first result, just before a false positive, or at
 *    its last result (that of a segment before the last is below the next segment's first, a true
 *    positive's): pr is computed there only, with the same operands, so the same doubles. */
static void accumulate_one(const struct ev_ctx *c, struct cpose_cocoeval *out, int k, int a, int m, int t,
                           const struct acc_item *items, size_t n, long npig)
{
    const struct cpose_cocoeval_params *p = c->p;
    int T = c->T, R = p->n_rec, K = c->n_cat, A = c->A, M = c->M, maxdet = p->max_dets[m];
    const uint8_t *code = c->code + ((size_t)a * T + t) * c->n_slots;
    double tp = 0, fp = 0, rc = 0, seg_max[256], score_at[256];
    int seg_of[256], r = 0, n_seg = 0, pending = 0, any = 0; /* pending: pr may have risen since last computed */
    for (size_t i = 0; i < n; i++) {
        if (items[i].rank >= maxdet) continue;
        uint8_t cd = code[items[i].slot];
        if (cd == 0 && pending) { /* the peak before a fall */
            double pr = tp / (fp + tp + NP_SPACING1);
            if (pr > seg_max[n_seg - 1]) seg_max[n_seg - 1] = pr;
            pending = 0;
        }
        int was_tp = cd == 1;
        if (cd == 1) tp += 1, rc = tp / (double)npig;
        else if (cd == 0) fp += 1;
        if ((!any || was_tp) && r < R && rc >= out->rec_thrs[r]) { /* a segment starts at this result */
            /* a rise pending in the previous segment is below this true positive's pr: nothing to add */
            seg_max[n_seg++] = tp / (fp + tp + NP_SPACING1);
            pending = 0;
            for (; r < R && rc >= out->rec_thrs[r]; r++) seg_of[r] = n_seg - 1, score_at[r] = items[i].score;
        } else if (was_tp) {
            pending = n_seg > 0;
        }
        any = 1;
    }
    if (pending) {
        double pr = tp / (fp + tp + NP_SPACING1);
        if (pr > seg_max[n_seg - 1]) seg_max[n_seg - 1] = pr;
    }
    for (int s = n_seg - 1; s > 0; s--)
        if (seg_max[s] > seg_max[s - 1]) seg_max[s - 1] = seg_max[s];
    out->recall[(((size_t)t * K + k) * A + a) * M + m] = any ? rc : 0;
    for (int q = 0; q < R; q++) {
        size_t pidx = ((((size_t)t * R + q) * K + k) * A + a) * M + m;
        out->precision[pidx] = q < r ? seg_max[seg_of[q]] : 0;
        out->scores[pidx] = q < r ? score_at[q] : 0;
    }
}

/* accumulate(): per-category sorts, then every (category, area, maxDets, threshold) in parallel. */
static void accumulate(struct ev_ctx *c, struct cpose_cocoeval *out)
{
    int K = c->n_cat, A = c->A, M = c->M, T = c->T;
    size_t *cat_off = cpose_calloc((size_t)K + 1, sizeof *cat_off);
    for (int k = 0; k < K; k++) {
        size_t n = 0;
        for (int i = 0; i < c->n_img; i++) {
            int pair = i * K + k;
            n += c->slot_off[pair + 1] - c->slot_off[pair];
        }
        cat_off[k + 1] = cat_off[k] + n;
    }
    struct acc_item *items = alloc_written((cat_off[K] + 1) * sizeof *items);
    long *npig = cpose_calloc((size_t)K * A + 1, sizeof *npig);
    for (int k = 0; k < K; k++)
        for (int a = 0; a < A; a++)
            for (int i = 0; i < c->n_img; i++) npig[k * A + a] += c->npig[(size_t)(i * K + k) * A + a];
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < K; k++) gather_cat(c, k, items + cat_off[k], cat_off[k + 1] - cat_off[k]);
    long n_jobs = (long)K * A * M * T;
#pragma omp parallel for schedule(dynamic, 1)
    for (long j = 0; j < n_jobs; j++) {
        int t = (int)(j % T), m = (int)(j / T % M), a = (int)(j / T / M % A), k = (int)(j / T / M / A);
        if (npig[k * A + a] == 0) continue; /* stays -1 */
        accumulate_one(c, out, k, a, m, t, items + cat_off[k], cat_off[k + 1] - cat_off[k], npig[k * A + a]);
    }
    cpose_free(items);
    cpose_free(npig);
    cpose_free(cat_off);
}

int cpose_cocoeval_run(const struct cpose_coco *gt, const struct cpose_coco *dt,
                       const struct cpose_cocoeval_params *params, struct cpose_cocoeval *out)
{
    int rc = CPOSE_OK;
    struct ev_ctx c;
    memset(&c, 0, sizeof c);
    memset(out, 0, sizeof *out);
    int *keys = NULL;
    const struct cpose_cocoeval_params *p = params;
    if (p->n_iou < 1 || p->n_iou > CPOSE_COCOEVAL_MAX_THRS || p->n_area < 1 || p->n_area > CPOSE_COCOEVAL_MAX_AREAS ||
        p->n_max_dets < 1 || p->n_max_dets > CPOSE_COCOEVAL_MAX_DETS || p->n_rec < 1 || p->n_rec > 256)
        return cpose_err(CPOSE_EINVAL, "cocoeval: parameters out of range (thresholds %d, areas %d, maxDets %d)",
                         p->n_iou, p->n_area, p->n_max_dets);
    out->params = *p;
    c.p = &out->params;
    /* maxDets are sorted in evaluate() */
    qsort(out->params.max_dets, (size_t)p->n_max_dets, sizeof(int), cmp_int);
    c.T = p->n_iou;
    c.A = p->n_area;
    c.M = p->n_max_dets;
    c.maxdet = out->params.max_dets[c.M - 1];
    for (int r = 0; r < p->n_rec; r++) out->rec_thrs[r] = np_linspace(0.0, 1.0, p->n_rec, r);

    /* image and category ids */
    out->img_ids = cpose_malloc((gt->n_images ? gt->n_images : 1) * sizeof(int64_t));
    int ni = 0;
    for (size_t i = 0; i < gt->n_images; i++)
        if (gt->images[i].has_id) out->img_ids[ni++] = gt->images[i].id;
    c.n_img = out->n_img = sorted_unique(out->img_ids, ni);
    out->cat_ids = cpose_malloc((gt->n_categories ? gt->n_categories : 1) * sizeof(int64_t));
    for (size_t i = 0; i < gt->n_categories; i++) out->cat_ids[i] = gt->categories[i].id;
    c.n_cat = out->n_cat = sorted_unique(out->cat_ids, (int)gt->n_categories);
    c.n_pair = c.n_img * c.n_cat;

    /* keypoint count and sigmas */
    if (p->iou_type == CPOSE_IOU_KEYPOINTS) {
        c.nkpt = p->n_kpt;
        for (size_t i = 0; i < gt->n_anns && c.nkpt == 0; i++)
            if (gt->anns[i].n_kpt_values) c.nkpt = gt->anns[i].n_kpt_values / 3;
        if (c.nkpt == 0) c.nkpt = 17;
        if (c.nkpt > CPOSE_COCOEVAL_MAX_KPTS)
            return cpose_err(CPOSE_EINVAL, "cocoeval: %d keypoints (at most %d)", c.nkpt, CPOSE_COCOEVAL_MAX_KPTS);
        for (int j = 0; j < c.nkpt; j++)
            c.sigmas[j] = p->sigmas_set ? p->sigmas[j] : c.nkpt == 17 ? cpose_coco17_sigmas[j] : 1.0 / c.nkpt;
        out->params.n_kpt = c.nkpt;
    }

    /* the ground truth first: a keypoint count that disagrees inside it is its fault, not the results' */
    if ((rc = prepare_gts(&c, gt, out->img_ids, out->cat_ids)) != CPOSE_OK) goto fail;
    if ((rc = prepare_dets(&c, gt, dt, out->img_ids, out->cat_ids)) != CPOSE_OK) goto fail;
    for (size_t i = 0; i < c.n_dets; i++) out->n_dt_other_cat += c.dets[i].cat < 0;

    /* buckets per (image, category) */
    size_t nk = c.n_dets > c.n_gts ? c.n_dets : c.n_gts;
    keys = alloc_written((nk ? nk : 1) * sizeof *keys);
    for (size_t i = 0; i < c.n_gts; i++) keys[i] = c.gts[i].img * c.n_cat + c.gts[i].cat;
    bucket(c.n_pair, c.n_gts, keys, &c.gt_start, &c.gt_order);
    for (size_t i = 0; i < c.n_dets; i++) keys[i] = c.dets[i].cat < 0 ? -1 : c.dets[i].img * c.n_cat + c.dets[i].cat;
    bucket(c.n_pair, c.n_dets, keys, &c.dt_start, &c.dt_order);

    /* result slots (sorted, cut at maxDets[-1]) and IoU matrix storage */
    c.slot_off = cpose_malloc(((size_t)c.n_pair + 1) * sizeof *c.slot_off);
    out->ious_off = cpose_malloc(((size_t)c.n_pair + 1) * sizeof *out->ious_off);
    out->ious_rows = cpose_calloc((size_t)c.n_pair + 1, sizeof(int));
    out->ious_cols = cpose_calloc((size_t)c.n_pair + 1, sizeof(int));
    size_t ns = 0, nio = 0;
    int max_scratch = 0;
    for (int q = 0; q < c.n_pair; q++) {
        int nd = (int)(c.dt_start[q + 1] - c.dt_start[q]), ng = (int)(c.gt_start[q + 1] - c.gt_start[q]);
        int D = nd < c.maxdet ? nd : c.maxdet;
        c.slot_off[q] = ns;
        out->ious_off[q] = nio;
        ns += (size_t)D;
        nio += (size_t)D * (size_t)ng;
        if (2 * nd + 2 * ng > max_scratch) max_scratch = 2 * nd + 2 * ng;
    }
    c.slot_off[c.n_pair] = ns;
    out->ious_off[c.n_pair] = nio;
    c.n_slots = ns;
    c.slot_det = alloc_written((ns ? ns : 1) * sizeof *c.slot_det);
    out->ious_data = alloc_written((nio ? nio : 1) * sizeof(double));
    c.code = alloc_written((ns ? ns : 1) * (size_t)c.A * (size_t)c.T);
    c.npig = cpose_calloc((size_t)c.n_pair * c.A + 1, sizeof *c.npig);

#pragma omp parallel
    {
        int *scratch = cpose_malloc(((size_t)max_scratch + 1) * sizeof(int));
        double *escr = cpose_malloc(((size_t)c.nkpt + 1) * sizeof(double));
#pragma omp for schedule(dynamic, 64)
        for (int q = 0; q < c.n_pair; q++) eval_pair(&c, out, q, scratch, escr);
        cpose_free(scratch);
        cpose_free(escr);
    }

    /* accumulate */
    size_t TRKAM = (size_t)c.T * p->n_rec * c.n_cat * c.A * c.M, TKAM = (size_t)c.T * c.n_cat * c.A * c.M;
    out->precision = cpose_malloc((TRKAM ? TRKAM : 1) * sizeof(double));
    out->scores = cpose_malloc((TRKAM ? TRKAM : 1) * sizeof(double));
    out->recall = cpose_malloc((TKAM ? TKAM : 1) * sizeof(double));
    for (size_t i = 0; i < TRKAM; i++) out->precision[i] = out->scores[i] = -1;
    for (size_t i = 0; i < TKAM; i++) out->recall[i] = -1;
    accumulate(&c, out);
    cpose_cocoeval_compute_stats(out);

fail:
    cpose_free(keys);
    cpose_free(c.dets);
    cpose_free(c.gts);
    cpose_free(c.gt_start);
    cpose_free(c.dt_start);
    cpose_free(c.gt_order);
    cpose_free(c.dt_order);
    cpose_free(c.slot_off);
    cpose_free(c.slot_det);
    cpose_free(c.code);
    cpose_free(c.npig);
    if (rc != CPOSE_OK) cpose_cocoeval_free(out);
    return rc;
}

const double *cpose_cocoeval_ious(const struct cpose_cocoeval *e, int64_t img_id, int64_t cat_id, int *rows, int *cols)
{
    int i = find_id(e->img_ids, e->n_img, img_id), k = find_id(e->cat_ids, e->n_cat, cat_id);
    *rows = *cols = 0;
    if (i < 0 || k < 0) return NULL;
    int q = i * e->n_cat + k;
    *rows = e->ious_rows[q];
    *cols = e->ious_cols[q];
    return *rows ? e->ious_data + e->ious_off[q] : NULL;
}
