/* eval/cocoeval_summary.c — COCOeval.summarize(): the 10 keypoint / 12 bbox stats and the exact
 * lines pycocotools prints. */
#include <string.h>

#include "core/base/alloc.h"
#include "eval/cocoeval.h"

/* One _summarize() call: ap (1) or ar (0), IoU threshold (< 0: all), area label, maxDets value. */
struct stat_spec {
    int ap;
    double iou;
    const char *area;
    int max_dets;
};

static int stat_specs(const struct cpose_cocoeval *e, struct stat_spec *s)
{
    const struct cpose_cocoeval_params *p = &e->params;
    if (p->iou_type == CPOSE_IOU_KEYPOINTS) {
        /* _summarizeKps uses maxDets=20 literally */
        const struct stat_spec k[10] = {{1, -1, "all", 20},    {1, .5, "all", 20},   {1, .75, "all", 20},
                                        {1, -1, "medium", 20}, {1, -1, "large", 20}, {0, -1, "all", 20},
                                        {0, .5, "all", 20},    {0, .75, "all", 20},  {0, -1, "medium", 20},
                                        {0, -1, "large", 20}};
        memcpy(s, k, sizeof k);
        return 10;
    }
    int m0 = p->max_dets[0], m1 = p->max_dets[p->n_max_dets > 1 ? 1 : 0],
        m2 = p->max_dets[p->n_max_dets > 2 ? 2 : p->n_max_dets - 1];
    const struct stat_spec b[12] = {{1, -1, "all", m2},   {1, .5, "all", m2},    {1, .75, "all", m2},
                                    {1, -1, "small", m2}, {1, -1, "medium", m2}, {1, -1, "large", m2},
                                    {0, -1, "all", m0},   {0, -1, "all", m1},    {0, -1, "all", m2},
                                    {0, -1, "small", m2}, {0, -1, "medium", m2}, {0, -1, "large", m2}};
    memcpy(s, b, sizeof b);
    return 12;
}

/* Mean of the entries > -1 of precision (ap) or recall over the selected threshold(s), area, maxDets. */
static double summarize(const struct cpose_cocoeval *e, const struct stat_spec *s)
{
    const struct cpose_cocoeval_params *p = &e->params;
    int T = p->n_iou, R = p->n_rec, K = e->n_cat, A = p->n_area, M = p->n_max_dets;
    int a = -1, m = -1;
    for (int i = 0; i < A; i++)
        if (strcmp(p->area_lbl[i], s->area) == 0) { a = i; break; }
    for (int i = 0; i < M; i++)
        if (p->max_dets[i] == s->max_dets) { m = i; break; }
    if (a < 0 || m < 0) return -1;
    size_t n = (size_t)T * (s->ap ? R : 1) * K, cnt = 0;
    double *v = cpose_malloc((n ? n : 1) * sizeof *v);
    for (int t = 0; t < T; t++) {
        if (s->iou >= 0 && !(p->iou_thrs[t] == s->iou)) continue;
        if (s->ap) {
            for (int r = 0; r < R; r++)
                for (int k = 0; k < K; k++) {
                    double x = e->precision[((((size_t)t * R + r) * K + k) * A + a) * M + m];
                    if (x > -1) v[cnt++] = x;
                }
        } else {
            for (int k = 0; k < K; k++) {
                double x = e->recall[(((size_t)t * K + k) * A + a) * M + m];
                if (x > -1) v[cnt++] = x;
            }
        }
    }
    double mean = cnt ? cpose_np_sum(v, cnt) / (double)cnt : -1;
    cpose_free(v);
    return mean;
}

void cpose_cocoeval_compute_stats(struct cpose_cocoeval *e)
{
    struct stat_spec s[12];
    e->n_stats = stat_specs(e, s);
    for (int i = 0; i < e->n_stats; i++) e->stats[i] = summarize(e, &s[i]);
}

double cpose_cocoeval_ap_at(const struct cpose_cocoeval *e, int t, int a, int m)
{
    const struct cpose_cocoeval_params *p = &e->params;
    struct stat_spec s = {1, p->iou_thrs[t], p->area_lbl[a], p->max_dets[m]};
    return summarize(e, &s);
}

void cpose_cocoeval_summary_line(const struct cpose_cocoeval *e, int i, char *buf, size_t n)
{
    struct stat_spec s[12];
    int ns = stat_specs(e, s);
    if (i < 0 || i >= ns) { snprintf(buf, n, "%s", ""); return; }
    const struct cpose_cocoeval_params *p = &e->params;
    char iou[32];
    if (s[i].iou < 0) snprintf(iou, sizeof iou, "%0.2f:%0.2f", p->iou_thrs[0], p->iou_thrs[p->n_iou - 1]);
    else snprintf(iou, sizeof iou, "%0.2f", s[i].iou);
    snprintf(buf, n, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f",
             s[i].ap ? "Average Precision" : "Average Recall", s[i].ap ? "(AP)" : "(AR)", iou, s[i].area,
             s[i].max_dets, e->stats[i]);
}

void cpose_cocoeval_print_summary(const struct cpose_cocoeval *e, FILE *fp)
{
    char line[160];
    for (int i = 0; i < e->n_stats; i++) {
        cpose_cocoeval_summary_line(e, i, line, sizeof line);
        fprintf(fp, "%s\n", line);
    }
}
