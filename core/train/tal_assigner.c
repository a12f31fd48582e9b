/* core/train/tal_assigner.c — Ultralytics' TaskAlignedAssigner for one image, in float32 like the
 * reference: anchors inside a box (select_candidates_in_gts, eps 1e-9), the alignment metric
 * score^alpha · CIoU^beta, the top-k anchors per object, one object per anchor by highest overlap
 * (select_highest_overlaps), and the target score normalisation (eps 1e-9). */
#include <math.h>
#include <string.h>

#include "core/train/loss_impl.h"

#define TAL_EPS 1e-9f

size_t cpose_tal_scratch_bytes(int n_gt, int A, int topk)
{
    size_t na = (size_t)(n_gt > 0 ? n_gt : 1) * (size_t)A;
    (void)topk;
    return na * (2 * sizeof(float) + 1);
}

/* Inserts anchor a with metric m into the sorted top list (metric descending; an equal metric keeps
 * the earlier anchor first because anchors arrive in increasing order). */
static void topk_insert(int *top_idx, float *top_m, int *count, int k, int a, float m)
{
    int pos = *count;
    if (pos == k) {
        if (!(m > top_m[k - 1])) return;
        pos = k - 1;
    } else {
        (*count)++;
    }
    while (pos > 0 && m > top_m[pos - 1]) {
        top_idx[pos] = top_idx[pos - 1];
        top_m[pos] = top_m[pos - 1];
        pos--;
    }
    top_idx[pos] = a;
    top_m[pos] = m;
}

static float pow_alpha(float x, float e)
{
    /* torch's pow with a scalar exponent takes the sqrt path for 0.5 */
    return e == 0.5f ? sqrtf(x) : powf(x, e);
}

void cpose_tal_assign(const struct cpose_tal_cfg *cfg, const struct cpose_tal_image *im, void *scratch,
                      int *target_gt, unsigned char *fg, float *score)
{
    const int A = im->A, n = im->n_gt, k = cfg->topk;
    memset(target_gt, 0, (size_t)A * sizeof *target_gt);
    memset(fg, 0, (size_t)A);
    memset(score, 0, (size_t)A * sizeof *score);
    if (n == 0) return;

    float *ov = scratch;                      /* [n × A] CIoU clamped at 0, 0 outside the box */
    float *metric = ov + (size_t)n * A;       /* [n × A] alignment metric */
    unsigned char *pos = (unsigned char *)(metric + (size_t)n * A); /* [n × A] mask_pos */
    int top_idx[CPOSE_TAL_MAX_TOPK];
    float top_mv[CPOSE_TAL_MAX_TOPK];
    memset(ov, 0, (size_t)n * A * sizeof(float));
    memset(metric, 0, (size_t)n * A * sizeof(float));
    memset(pos, 0, (size_t)n * A);

    for (int j = 0; j < n; j++) {
        if (!im->gt_valid[j]) continue;
        const float *g = im->gt_boxes + 4 * j;
        float *ovj = ov + (size_t)j * A, *mj = metric + (size_t)j * A;
        unsigned char *pj = pos + (size_t)j * A;
        int lab = im->gt_labels[j], cnt = 0;
        for (int a = 0; a < A; a++) {
            float ax = im->anchors[2 * a], ay = im->anchors[2 * a + 1];
            float d = fminf(fminf(ax - g[0], ay - g[1]), fminf(g[2] - ax, g[3] - ay));
            if (!(d > TAL_EPS)) continue;
            pj[a] = 2; /* inside; becomes 1 when also in the top k */
            float o = cpose_ciou_f32(g, im->boxes + 4 * a);
            o = o > 0 ? o : 0;
            ovj[a] = o;
            float s = im->scores[(size_t)a * im->nc + lab];
            mj[a] = pow_alpha(s, cfg->alpha) * powf(o, cfg->beta);
            if (mj[a] > 0) topk_insert(top_idx, top_mv, &cnt, k, a, mj[a]);
        }
        for (int i = 0; i < cnt; i++) pj[top_idx[i]] = 1;
        /* fewer than k positive metrics: torch.topk fills with zero-metric anchors; take the lowest
         * anchor indices (inside or outside the box — only inside ones become positive) */
        for (int a = 0; a < A && cnt < k; a++)
            if (mj[a] == 0) {
                if (pj[a] == 2) pj[a] = 1;
                cnt++;
            }
        for (int a = 0; a < A; a++)
            if (pj[a] == 2) pj[a] = 0;
    }

    /* one object per anchor: several → the one with the highest overlap (argmax over all objects) */
    for (int a = 0; a < A; a++) {
        int c = 0, first = -1;
        for (int j = 0; j < n; j++)
            if (pos[(size_t)j * A + a]) {
                c++;
                if (first < 0) first = j;
            }
        if (c > 1) {
            int best = 0;
            for (int j = 1; j < n; j++)
                if (ov[(size_t)j * A + a] > ov[(size_t)best * A + a]) best = j;
            for (int j = 0; j < n; j++) pos[(size_t)j * A + a] = (unsigned char)(j == best);
            first = best;
        }
        if (first >= 0) {
            target_gt[a] = first;
            fg[a] = 1;
        }
    }

    /* target score = metric · (max overlap of the object's positives) / (max metric of them + eps) */
    for (int j = 0; j < n; j++) {
        const unsigned char *pj = pos + (size_t)j * A;
        const float *mj = metric + (size_t)j * A, *ovj = ov + (size_t)j * A;
        float pa = 0, po = 0;
        for (int a = 0; a < A; a++)
            if (pj[a]) {
                if (mj[a] > pa) pa = mj[a];
                if (ovj[a] > po) po = ovj[a];
            }
        for (int a = 0; a < A; a++)
            if (pj[a]) {
                float s = mj[a] * po / (pa + TAL_EPS);
                if (s > score[a]) score[a] = s;
            }
    }
}
