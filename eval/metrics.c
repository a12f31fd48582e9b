/* eval/metrics.c — Ultralytics val metrics: per-image matching (box IoU, keypoint OKS in float32,
 * match_predictions), ap_per_class, compute_ap and the printed `yolo val` table. */
#pragma GCC optimize("fp-contract=off") /* keep float rounding as torch/numpy do it (no FMA fusion) */
#include "eval/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "eval/cocoeval.h"

struct pred_stat {
    float conf;
    int cls;
    uint16_t tp_box, tp_pose; /* bit t: correct at threshold t */
};

struct cpose_valmetrics {
    int nc, nkpt, seen;
    float sigma[CPOSE_COCOEVAL_MAX_KPTS];
    float iouv[CPOSE_VAL_NIOU];
    struct cpose_vec preds;   /* struct pred_stat */
    struct cpose_vec targets; /* int class per GT */
    struct cpose_vec scratch_f, scratch_u8;
};

/* torch.linspace(0.5, 0.95, 10) in float32 (CPU kernel: from the start below halfway, from the end after). */
static void torch_linspace_f32(float start, float end, int steps, float *out)
{
    float step = (end - start) / (float)(steps - 1);
    int half = steps / 2;
    for (int i = 0; i < steps; i++)
        out[i] = i < half ? start + step * (float)i : end - step * (float)(steps - i - 1);
}

/* numpy's default argsort (kind='quicksort') for float32 as numpy 1.x runs it: introsort with
 * median-of-3 partitioning, insertion sort below 16 elements, heapsort past the depth limit.
 * Ties come out in whatever order that algorithm leaves them, which Ultralytics' results inherit
 * (e.g. the many predictions whose float32 confidence saturates at 1.0). */
static int np_less(float a, float b) { return a < b || (b != b && a == a); }

static void np_aheapsort(const float *v, int *tosort, long n)
{
    int *a = tosort - 1, tmp;
    long i, j, l;
    for (l = n >> 1; l > 0; --l) {
        tmp = a[l];
        for (i = l, j = l << 1; j <= n;) {
            if (j < n && np_less(v[a[j]], v[a[j + 1]])) j += 1;
            if (np_less(v[tmp], v[a[j]])) { a[i] = a[j]; i = j; j += j; }
            else break;
        }
        a[i] = tmp;
    }
    for (; n > 1;) {
        tmp = a[n];
        a[n] = a[1];
        n -= 1;
        for (i = 1, j = 2; j <= n;) {
            if (j < n && np_less(v[a[j]], v[a[j + 1]])) j++;
            if (np_less(v[tmp], v[a[j]])) { a[i] = a[j]; i = j; j += j; }
            else break;
        }
        a[i] = tmp;
    }
}

#define NP_SMALL_QUICKSORT 15
#define NP_QS_STACK 128
#define ISWAP(a, b) do { int t_ = (a); (a) = (b); (b) = t_; } while (0)

static void np_argsort_f32(const float *v, int *tosort, long num)
{
    for (long i = 0; i < num; i++) tosort[i] = (int)i;
    if (num < 2) return;
    int *pl = tosort, *pr = tosort + num - 1, *stack[NP_QS_STACK], **sptr = stack, *pm, *pi, *pj, *pk, vi;
    int depth[NP_QS_STACK], *psdepth = depth, cdepth = 0;
    for (unsigned long u = (unsigned long)num; u >>= 1;) cdepth++;
    cdepth *= 2;
    float vp;
    for (;;) {
        if (cdepth < 0) {
            np_aheapsort(v, pl, pr - pl + 1);
            goto stack_pop;
        }
        while ((pr - pl) > NP_SMALL_QUICKSORT) {
            pm = pl + ((pr - pl) >> 1);
            if (np_less(v[*pm], v[*pl])) ISWAP(*pm, *pl);
            if (np_less(v[*pr], v[*pm])) ISWAP(*pr, *pm);
            if (np_less(v[*pm], v[*pl])) ISWAP(*pm, *pl);
            vp = v[*pm];
            pi = pl;
            pj = pr - 1;
            ISWAP(*pm, *pj);
            for (;;) {
                do ++pi; while (np_less(v[*pi], vp));
                do --pj; while (np_less(vp, v[*pj]));
                if (pi >= pj) break;
                ISWAP(*pi, *pj);
            }
            pk = pr - 1;
            ISWAP(*pi, *pk);
            if (pi - pl < pr - pi) {
                *sptr++ = pi + 1;
                *sptr++ = pr;
                pr = pi - 1;
            } else {
                *sptr++ = pl;
                *sptr++ = pi - 1;
                pl = pi + 1;
            }
            *psdepth++ = --cdepth;
        }
        for (pi = pl + 1; pi <= pr; ++pi) {
            vi = *pi;
            vp = v[vi];
            pj = pi;
            pk = pi - 1;
            while (pj > pl && np_less(vp, v[*pk])) *pj-- = *pk--;
            *pj = vi;
        }
    stack_pop:
        if (sptr == stack) break;
        pr = *(--sptr);
        pl = *(--sptr);
        cdepth = *(--psdepth);
    }
}

struct cpose_valmetrics *cpose_valmetrics_new(int nc, int nkpt, const double *sigmas)
{
    CPOSE_ASSERT(nc > 0 && nkpt >= 0 && nkpt <= CPOSE_COCOEVAL_MAX_KPTS);
    struct cpose_valmetrics *vm = cpose_calloc(1, sizeof *vm);
    vm->nc = nc;
    vm->nkpt = nkpt;
    for (int j = 0; j < nkpt; j++)
        vm->sigma[j] = (float)(sigmas ? sigmas[j] : nkpt == 17 ? cpose_coco17_sigmas[j] : 1.0 / nkpt);
    torch_linspace_f32(0.5f, 0.95f, CPOSE_VAL_NIOU, vm->iouv);
    vm->preds = (struct cpose_vec)CPOSE_VEC_INIT(struct pred_stat);
    vm->targets = (struct cpose_vec)CPOSE_VEC_INIT(int);
    vm->scratch_f = (struct cpose_vec)CPOSE_VEC_INIT(float);
    vm->scratch_u8 = (struct cpose_vec)CPOSE_VEC_INIT(uint8_t);
    return vm;
}

void cpose_valmetrics_free(struct cpose_valmetrics *vm)
{
    if (!vm) return;
    cpose_vec_free(&vm->preds);
    cpose_vec_free(&vm->targets);
    cpose_vec_free(&vm->scratch_f);
    cpose_vec_free(&vm->scratch_u8);
    cpose_free(vm);
}

struct match_pair {
    float iou;
    int idx; /* row-major index g * n_pred + p */
};

void cpose_match_predictions(const int *pred_cls, int n_pred, const int *gt_cls, int n_gt, const float *iou,
                             const float *thr, int n_thr, uint8_t *correct)
{
    memset(correct, 0, (size_t)n_pred * n_thr);
    size_t n = (size_t)n_pred * n_gt;
    if (!n) return;
    struct match_pair *pairs = cpose_malloc(n * sizeof *pairs);
    int *best = cpose_malloc(((size_t)n_pred + (size_t)n_gt) * sizeof *best), *taken = best + n_pred;
    for (int t = 0; t < n_thr; t++) {
        size_t m = 0;
        for (int g = 0; g < n_gt; g++)
            for (int p = 0; p < n_pred; p++) {
                float v = gt_cls[g] == pred_cls[p] ? iou[(size_t)g * n_pred + p] : 0.0f;
                if (v >= thr[t]) { pairs[m].iou = v; pairs[m].idx = g * n_pred + p; m++; }
            }
        if (!m) continue;
        if (m > 1) { /* matches[iou.argsort()[::-1]] */
            float *vals = cpose_malloc(m * sizeof *vals);
            int *ord = cpose_malloc(m * sizeof *ord);
            struct match_pair *tmp = cpose_malloc(m * sizeof *tmp);
            for (size_t i = 0; i < m; i++) vals[i] = pairs[i].iou;
            np_argsort_f32(vals, ord, (long)m);
            for (size_t i = 0; i < m; i++) tmp[i] = pairs[ord[m - 1 - i]];
            memcpy(pairs, tmp, m * sizeof *pairs);
            cpose_free(vals);
            cpose_free(ord);
            cpose_free(tmp);
        }
        /* unique on predictions (first = highest IoU), then unique on GT in prediction order */
        for (int p = 0; p < n_pred; p++) best[p] = -1;
        for (int g = 0; g < n_gt; g++) taken[g] = 0;
        for (size_t i = 0; i < m; i++) {
            int p = pairs[i].idx % n_pred, g = pairs[i].idx / n_pred;
            if (best[p] < 0) best[p] = g;
        }
        for (int p = 0; p < n_pred; p++)
            if (best[p] >= 0 && !taken[best[p]]) { taken[best[p]] = 1; correct[(size_t)p * n_thr + t] = 1; }
    }
    cpose_free(pairs);
    cpose_free(best);
}

/* box_iou(gt, pred) in float32 as torch computes it; out is n_gt × n_pred. */
static void box_iou_f32(const float *gt, int n_gt, const float *pr, int n_pred, float *out)
{
    const float eps = 1e-7f;
    for (int g = 0; g < n_gt; g++) {
        const float *a = gt + 4 * g;
        float aa = (a[2] - a[0]) * (a[3] - a[1]);
        for (int p = 0; p < n_pred; p++) {
            const float *b = pr + 4 * p;
            float w = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), h = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
            if (w < 0) w = 0;
            if (h < 0) h = 0;
            float inter = w * h, ab = (b[2] - b[0]) * (b[3] - b[1]);
            out[(size_t)g * n_pred + p] = inter / (aa + ab - inter + eps);
        }
    }
}

/* kpt_iou(gt_kpts, pred_kpts, area = gt w·h·0.53, sigma) in float32; out is n_gt × n_pred. */
static void kpt_oks_f32(const struct cpose_valmetrics *vm, const float *gt_box, const float *gk, int n_gt,
                        const float *pk, int n_pred, float *out)
{
    const float eps = 1e-7f;
    int K = vm->nkpt;
    for (int g = 0; g < n_gt; g++) {
        const float *b = gt_box + 4 * g, *gkp = gk + (size_t)g * K * 3;
        float area = ((b[2] - b[0]) * (b[3] - b[1])) * 0.53f;
        int nvis = 0;
        for (int j = 0; j < K; j++) nvis += gkp[3 * j + 2] != 0;
        float den = (float)nvis + eps;
        for (int p = 0; p < n_pred; p++) {
            const float *pkp = pk + (size_t)p * K * 3;
            float s = 0;
            for (int j = 0; j < K; j++) {
                if (gkp[3 * j + 2] == 0) continue;
                float dx = gkp[3 * j] - pkp[3 * j], dy = gkp[3 * j + 1] - pkp[3 * j + 1];
                float d = dx * dx + dy * dy, s2 = 2 * vm->sigma[j];
                float e = d / (s2 * s2) / (area + eps) / 2;
                s += expf(-e);
            }
            out[(size_t)g * n_pred + p] = s / den;
        }
    }
}

int cpose_valmetrics_add(struct cpose_valmetrics *vm, const struct cpose_val_image *im)
{
    vm->seen++;
    for (int g = 0; g < im->n_gt; g++) {
        if (im->gt_cls[g] < 0 || im->gt_cls[g] >= vm->nc)
            return cpose_err(CPOSE_EINVAL, "val metrics: label class %d outside [0, %d)", im->gt_cls[g], vm->nc);
        cpose_vec_push(&vm->targets, &im->gt_cls[g]);
    }
    if (im->n_pred == 0) return CPOSE_OK;
    for (int p = 0; p < im->n_pred; p++)
        if (im->pred_cls[p] < 0 || im->pred_cls[p] >= vm->nc)
            return cpose_err(CPOSE_EINVAL, "val metrics: predicted class %d outside [0, %d)", im->pred_cls[p], vm->nc);
    size_t np = (size_t)im->n_pred, ng = (size_t)im->n_gt;
    cpose_vec_reserve(&vm->scratch_f, np * ng + 1);
    cpose_vec_reserve(&vm->scratch_u8, 2 * np * CPOSE_VAL_NIOU + 1);
    float *iou = vm->scratch_f.data;
    uint8_t *cb = vm->scratch_u8.data, *cp = cb + np * CPOSE_VAL_NIOU;
    memset(cb, 0, 2 * np * CPOSE_VAL_NIOU);
    if (ng) {
        box_iou_f32(im->gt_box, im->n_gt, im->pred_box, im->n_pred, iou);
        cpose_match_predictions(im->pred_cls, im->n_pred, im->gt_cls, im->n_gt, iou, vm->iouv, CPOSE_VAL_NIOU, cb);
        if (im->pred_kpts && im->gt_kpts && vm->nkpt > 0)
            kpt_oks_f32(vm, im->gt_box, im->gt_kpts, im->n_gt, im->pred_kpts, im->n_pred, iou);
        cpose_match_predictions(im->pred_cls, im->n_pred, im->gt_cls, im->n_gt, iou, vm->iouv, CPOSE_VAL_NIOU, cp);
    }
    for (size_t p = 0; p < np; p++) {
        struct pred_stat s = {im->pred_conf[p], im->pred_cls[p], 0, 0};
        for (int t = 0; t < CPOSE_VAL_NIOU; t++) {
            s.tp_box |= (uint16_t)(cb[p * CPOSE_VAL_NIOU + t] << t);
            s.tp_pose |= (uint16_t)(cp[p * CPOSE_VAL_NIOU + t] << t);
        }
        cpose_vec_push(&vm->preds, &s);
    }
    return CPOSE_OK;
}

/* ---- numpy building blocks ---- */

double cpose_np_interp(double x, const double *xp, const double *fp, int n, double left, double right)
{
    if (n == 0) return NAN;
    if (x < xp[0]) return left;
    if (x > xp[n - 1]) return right;
    int lo = 0, hi = n - 1; /* largest j with xp[j] <= x */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (xp[mid] <= x) lo = mid;
        else hi = mid - 1;
    }
    int j = lo;
    if (j == n - 1 || xp[j] == x) return fp[j];
    double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    double r = slope * (x - xp[j]) + fp[j];
    if (isnan(r)) {
        r = slope * (x - xp[j + 1]) + fp[j + 1];
        if (isnan(r) && fp[j] == fp[j + 1]) r = fp[j];
    }
    return r;
}

double cpose_compute_ap(const double *recall, const double *precision, int n, double *mrec_out, double *mpre_out)
{
    double *mrec = cpose_malloc(((size_t)n + 2) * 2 * sizeof(double)), *mpre = mrec + n + 2;
    mrec[0] = 0.0;
    mpre[0] = 1.0;
    for (int i = 0; i < n; i++) { mrec[i + 1] = recall[i]; mpre[i + 1] = precision[i]; }
    mrec[n + 1] = 1.0;
    mpre[n + 1] = 0.0;
    for (int i = n; i >= 0; i--)
        if (mpre[i + 1] > mpre[i]) mpre[i] = mpre[i + 1];
    double y[101], terms[100];
    for (int i = 0; i < 101; i++) {
        double x = i == 100 ? 1.0 : (double)i * (1.0 / 100.0);
        y[i] = cpose_np_interp(x, mrec, mpre, n + 2, mpre[0], mpre[n + 1]);
    }
    for (int i = 0; i < 100; i++) {
        double x0 = (double)i * (1.0 / 100.0), x1 = i + 1 == 100 ? 1.0 : (double)(i + 1) * (1.0 / 100.0);
        terms[i] = (x1 - x0) * (y[i + 1] + y[i]) / 2.0;
    }
    double ap = cpose_np_sum(terms, 100);
    if (mrec_out) memcpy(mrec_out, mrec, ((size_t)n + 2) * sizeof(double));
    if (mpre_out) memcpy(mpre_out, mpre, ((size_t)n + 2) * sizeof(double));
    cpose_free(mrec);
    return ap;
}

static double np_mean(const double *a, size_t n)
{
    return n ? cpose_np_sum(a, n) / (double)n : NAN;
}

static void metric_free(struct cpose_det_metric *m)
{
    cpose_free(m->ap_class);
    cpose_free(m->p);
    cpose_free(m->r);
    cpose_free(m->f1);
    cpose_free(m->all_ap);
    cpose_free(m->ap50);
    cpose_free(m->ap);
    cpose_free(m->maps);
    cpose_free(m->p_curve);
    cpose_free(m->r_curve);
    cpose_free(m->f1_curve);
    cpose_free(m->prec_values);
    cpose_free(m->prec_values_all);
    memset(m, 0, sizeof *m);
}

void cpose_val_results_free(struct cpose_val_results *r)
{
    if (!r) return;
    cpose_free(r->nt_per_class);
    metric_free(&r->box);
    metric_free(&r->pose);
    memset(r, 0, sizeof *r);
}

/* ap_per_class for one task; sorted = predictions by descending confidence; pose selects tp bits. */
static void ap_per_class(const struct cpose_val_results *res, struct pred_stat *const *sorted, size_t n, int pose,
                         struct cpose_det_metric *m)
{
    const int NP = CPOSE_VAL_NPX, T = CPOSE_VAL_NIOU;
    int nu = 0;
    for (int c = 0; c < res->nc; c++) nu += res->nt_per_class[c] > 0;
    m->n_ap_class = nu;
    size_t nu1 = (size_t)nu + 1;
    m->ap_class = cpose_calloc(nu1, sizeof(int));
    m->p = cpose_calloc(nu1, sizeof(double));
    m->r = cpose_calloc(nu1, sizeof(double));
    m->f1 = cpose_calloc(nu1, sizeof(double));
    m->ap50 = cpose_calloc(nu1, sizeof(double));
    m->ap = cpose_calloc(nu1, sizeof(double));
    m->all_ap = cpose_calloc(nu1 * T, sizeof(double));
    m->p_curve = cpose_calloc(nu1 * NP, sizeof(double));
    m->r_curve = cpose_calloc(nu1 * NP, sizeof(double));
    m->f1_curve = cpose_calloc(nu1 * NP, sizeof(double));
    m->prec_values = cpose_calloc(nu1 * NP, sizeof(double));
    m->prec_values_all = cpose_calloc(nu1 * T * NP, sizeof(double));
    m->maps = cpose_calloc((size_t)res->nc + 1, sizeof(double));
    double *xp = cpose_malloc((n + 1) * sizeof(double)), *rec = cpose_malloc((n + 1) * T * sizeof(double)),
           *pre = cpose_malloc((n + 1) * T * sizeof(double)), *col_r = cpose_malloc((n + 1) * sizeof(double)),
           *col_p = cpose_malloc((n + 1) * sizeof(double)), *mrec = cpose_malloc((n + 2) * sizeof(double)),
           *mpre = cpose_malloc((n + 2) * sizeof(double));
    int ci = 0;
    for (int c = 0; c < res->nc; c++) {
        if (res->nt_per_class[c] == 0) continue;
        m->ap_class[ci] = c;
        double n_l = (double)res->nt_per_class[c];
        size_t np = 0;
        int64_t tpc[CPOSE_VAL_NIOU] = {0}, fpc[CPOSE_VAL_NIOU] = {0};
        for (size_t i = 0; i < n; i++) {
            if (sorted[i]->cls != c) continue;
            uint16_t bits = pose ? sorted[i]->tp_pose : sorted[i]->tp_box;
            xp[np] = -(double)sorted[i]->conf;
            for (int t = 0; t < T; t++) {
                int tp = (bits >> t) & 1;
                tpc[t] += tp;
                fpc[t] += 1 - tp;
                rec[np * T + t] = (double)tpc[t] / (n_l + 1e-16);
                pre[np * T + t] = (double)tpc[t] / (double)(tpc[t] + fpc[t]);
            }
            np++;
        }
        if (np > 0) {
            for (size_t i = 0; i < np; i++) { col_r[i] = rec[i * T]; col_p[i] = pre[i * T]; }
            for (int k = 0; k < NP; k++) {
                m->r_curve[(size_t)ci * NP + k] = cpose_np_interp(-res->px[k], xp, col_r, (int)np, 0, col_r[np - 1]);
                m->p_curve[(size_t)ci * NP + k] = cpose_np_interp(-res->px[k], xp, col_p, (int)np, 1, col_p[np - 1]);
            }
            for (int t = 0; t < T; t++) {
                for (size_t i = 0; i < np; i++) { col_r[i] = rec[i * T + t]; col_p[i] = pre[i * T + t]; }
                m->all_ap[(size_t)ci * T + t] = cpose_compute_ap(col_r, col_p, (int)np, mrec, mpre);
                double *pv = m->prec_values_all + ((size_t)ci * T + t) * NP;
                for (int k = 0; k < NP; k++) pv[k] = cpose_np_interp(res->px[k], mrec, mpre, (int)np + 2, mpre[0], mpre[np + 1]);
                if (t == 0) memcpy(m->prec_values + (size_t)ci * NP, pv, NP * sizeof(double));
            }
        }
        ci++;
    }
    /* F1 curve, its class mean, smoothing (box filter of 101 with edge padding), argmax */
    double mean_f1[CPOSE_VAL_NPX];
    for (int k = 0; k < NP; k++) {
        double s = 0;
        for (int i = 0; i < nu; i++) {
            double p = m->p_curve[(size_t)i * NP + k], r = m->r_curve[(size_t)i * NP + k];
            double f = 2 * p * r / (p + r + 1e-16);
            m->f1_curve[(size_t)i * NP + k] = f;
            s += f;
        }
        mean_f1[k] = nu ? s / nu : 0;
    }
    int nf = 101, half = nf / 2, best = 0;
    double wgt = 1.0 / nf, best_v = -INFINITY;
    for (int k = 0; k < NP; k++) {
        double s = 0;
        for (int q = 0; q < nf; q++) {
            int src = k + q - half;
            double v = src < 0 ? mean_f1[0] : src >= NP ? mean_f1[NP - 1] : mean_f1[src];
            s += v * wgt;
        }
        if (s > best_v) { best_v = s; best = k; }
    }
    for (int i = 0; i < nu; i++) {
        m->p[i] = m->p_curve[(size_t)i * NP + best];
        m->r[i] = m->r_curve[(size_t)i * NP + best];
        m->f1[i] = m->f1_curve[(size_t)i * NP + best];
        m->ap50[i] = m->all_ap[(size_t)i * T];
        m->ap[i] = np_mean(m->all_ap + (size_t)i * T, T);
    }
    if (nu) {
        double *col = cpose_malloc((size_t)nu * sizeof(double));
        m->mp = np_mean(m->p, (size_t)nu);
        m->mr = np_mean(m->r, (size_t)nu);
        for (int i = 0; i < nu; i++) col[i] = m->all_ap[(size_t)i * T];
        m->map50 = np_mean(col, (size_t)nu);
        for (int i = 0; i < nu; i++) col[i] = m->all_ap[(size_t)i * T + 5];
        m->map75 = np_mean(col, (size_t)nu);
        m->map = np_mean(m->all_ap, (size_t)nu * T);
        cpose_free(col);
    }
    for (int c = 0; c < res->nc; c++) m->maps[c] = m->map;
    for (int i = 0; i < nu; i++) m->maps[m->ap_class[i]] = m->ap[i];
    cpose_free(xp);
    cpose_free(rec);
    cpose_free(pre);
    cpose_free(col_r);
    cpose_free(col_p);
    cpose_free(mrec);
    cpose_free(mpre);
}

/* An unprocessed Metric (no true positive anywhere): zeros, no classes. */
static void metric_empty(const struct cpose_val_results *res, struct cpose_det_metric *m)
{
    memset(m, 0, sizeof *m);
    m->maps = cpose_calloc((size_t)res->nc + 1, sizeof(double));
}

int cpose_valmetrics_finalize(struct cpose_valmetrics *vm, struct cpose_val_results *out)
{
    memset(out, 0, sizeof *out);
    out->nc = vm->nc;
    out->seen = vm->seen;
    for (int k = 0; k < CPOSE_VAL_NPX; k++) out->px[k] = k == CPOSE_VAL_NPX - 1 ? 1.0 : (double)k * (1.0 / 999.0);
    for (int t = 0; t < CPOSE_VAL_NIOU; t++) out->iouv[t] = vm->iouv[t];
    out->nt_per_class = cpose_calloc((size_t)vm->nc + 1, sizeof(int64_t));
    const int *tc = vm->targets.data;
    for (size_t i = 0; i < vm->targets.len; i++) out->nt_per_class[tc[i]]++;
    out->n_instances = (int64_t)vm->targets.len;
    size_t n = vm->preds.len;
    struct pred_stat *ps = vm->preds.data;
    int any_tp = 0;
    for (size_t i = 0; i < n; i++) any_tp |= ps[i].tp_box != 0;
    if (!any_tp) {
        metric_empty(out, &out->box);
        metric_empty(out, &out->pose);
        return CPOSE_OK;
    }
    /* i = np.argsort(-conf) on the float32 confidences, in the order the images were added */
    struct pred_stat **sorted = cpose_malloc((n + 1) * sizeof *sorted);
    float *negc = cpose_malloc((n + 1) * sizeof *negc);
    int *ord = cpose_malloc((n + 1) * sizeof *ord);
    for (size_t i = 0; i < n; i++) negc[i] = -ps[i].conf;
    np_argsort_f32(negc, ord, (long)n);
    for (size_t i = 0; i < n; i++) sorted[i] = &ps[ord[i]];
    cpose_free(negc);
    cpose_free(ord);
    ap_per_class(out, sorted, n, 0, &out->box);
    ap_per_class(out, sorted, n, 1, &out->pose);
    cpose_free(sorted);
    return CPOSE_OK;
}

/* ---- the printed table ---- */

void cpose_val_header(char *buf, size_t n)
{
    snprintf(buf, n, "%22s%11s%11s%11s%11s%11s%11s%11s%11s%11s%11s", "Class", "Images", "Instances", "Box(P", "R",
             "mAP50", "mAP50-95)", "Pose(P", "R", "mAP50", "mAP50-95)");
}

void cpose_val_row(const struct cpose_val_results *r, int i, const char *name, char *buf, size_t n)
{
    const struct cpose_det_metric *b = &r->box, *p = &r->pose;
    if (i < 0)
        snprintf(buf, n, "%22s%11i%11i%11.3g%11.3g%11.3g%11.3g%11.3g%11.3g%11.3g%11.3g", "all", r->seen,
                 (int)r->n_instances, b->mp, b->mr, b->map50, b->map, p->mp, p->mr, p->map50, p->map);
    else
        snprintf(buf, n, "%22s%11i%11i%11.3g%11.3g%11.3g%11.3g%11.3g%11.3g%11.3g%11.3g", name, r->seen,
                 (int)r->nt_per_class[b->ap_class[i]], b->p[i], b->r[i], b->ap50[i], b->ap[i], p->p[i], p->r[i],
                 p->ap50[i], p->ap[i]);
}

void cpose_val_print(const struct cpose_val_results *r, const char *const *names, FILE *fp)
{
    char line[256], idbuf[32];
    cpose_val_header(line, sizeof line);
    fprintf(fp, "%s\n", line);
    cpose_val_row(r, -1, NULL, line, sizeof line);
    fprintf(fp, "%s\n", line);
    if (r->nc > 1)
        for (int i = 0; i < r->box.n_ap_class; i++) {
            int c = r->box.ap_class[i];
            snprintf(idbuf, sizeof idbuf, "%d", c);
            cpose_val_row(r, i, names ? names[c] : idbuf, line, sizeof line);
            fprintf(fp, "%s\n", line);
        }
}

static double metric_fitness(const struct cpose_det_metric *m)
{
    return 0.1 * m->map50 + 0.9 * m->map;
}

double cpose_val_fitness(const struct cpose_val_results *r)
{
    return metric_fitness(&r->pose) + metric_fitness(&r->box);
}
