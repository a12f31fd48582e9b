/* reports/plot_curves.c — the PR / F1 / P / R curve PNGs of box and pose metrics (Ultralytics'
 * plot_pr_curve and plot_mc_curve), from the curves eval/metrics.h computes. */
#include "reports/plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "reports/plot_impl.h"

/* Ultralytics draws 9 × 6 in at 250 dpi; this is the same shape at 60 %. */
#define FIG_W 1350
#define FIG_H 900
#define AX_X 100
#define AX_Y 70
#define AX_W 820
#define AX_H 740
#define MAX_LEGEND_CLASSES 20

const char *const cpose_plot_curve_files[CPOSE_PLOT_N_CURVES] = {
    "BoxPR_curve.png",  "BoxF1_curve.png",  "BoxP_curve.png",  "BoxR_curve.png",
    "PosePR_curve.png", "PoseF1_curve.png", "PoseP_curve.png", "PoseR_curve.png",
};

static const char *class_name(char *const *names, int n_names, int cls, char *buf, size_t n)
{
    if (names && cls >= 0 && cls < n_names) return names[cls];
    snprintf(buf, n, "%d", cls);
    return buf;
}

int cpose_plot_curve_render(const struct cpose_val_results *r, const struct cpose_det_metric *m,
                            enum cpose_plot_curve kind, char *const *names, int n_names, struct cpose_image *out)
{
    memset(out, 0, sizeof *out);
    if (kind < CPOSE_PLOT_PR || kind > CPOSE_PLOT_R)
        return cpose_err(CPOSE_EINVAL, "unknown curve kind %d (PR, F1, P or R)", (int)kind);
    int rc = cpose_image_new(out, FIG_W, FIG_H, 3, 255);
    if (rc != CPOSE_OK) return rc;
    const int NP = CPOSE_VAL_NPX, nk = m->n_ap_class;
    static const char *const ylabels[4] = {"Precision", "F1", "Precision", "Recall"};
    const double *curves = kind == CPOSE_PLOT_PR ? m->prec_values
                           : kind == CPOSE_PLOT_F1 ? m->f1_curve
                           : kind == CPOSE_PLOT_P  ? m->p_curve
                                                   : m->r_curve;
    struct cpose_plot_axes ax = {AX_X, AX_Y, AX_W, AX_H, 0, 1, 0, 1};
    char title[64];
    if (kind == CPOSE_PLOT_PR) snprintf(title, sizeof title, "Precision-Recall Curve");
    else snprintf(title, sizeof title, "%s-Confidence Curve", ylabels[kind]);

    int per_class = nk > 0 && nk <= MAX_LEGEND_CLASSES;
    int n_leg = (per_class ? nk : 0) + 1;
    char (*labels)[96] = cpose_calloc((size_t)n_leg, sizeof *labels);
    const char **lp = cpose_calloc((size_t)n_leg, sizeof *lp);
    uint8_t(*colors)[3] = cpose_calloc((size_t)n_leg, sizeof *colors);
    int *thick = cpose_calloc((size_t)n_leg, sizeof *thick);
    double *mean = cpose_calloc((size_t)NP, sizeof *mean), *y = cpose_calloc((size_t)NP, sizeof *y);
    for (int i = 0; i < nk && curves; i++) {
        const double *c = curves + (size_t)i * NP;
        for (int k = 0; k < NP; k++) mean[k] += c[k] / nk;
        char idbuf[16];
        const char *nm = class_name(names, n_names, m->ap_class[i], idbuf, sizeof idbuf);
        if (per_class) {
            if (kind == CPOSE_PLOT_PR) snprintf(labels[i], sizeof labels[i], "%s %.3f", nm, m->all_ap[(size_t)i * CPOSE_VAL_NIOU]);
            else snprintf(labels[i], sizeof labels[i], "%s", nm);
            memcpy(colors[i], cpose_plot_tab10[i % 10], 3);
            thick[i] = 2;
        }
        cpose_plot_series(out, &ax, r->px, c, NP, per_class ? cpose_plot_tab10[i % 10] : cpose_plot_grey, 2, 0, 0);
    }
    int nl = per_class ? nk : 0;
    if (nk > 0 && curves) {
        if (kind == CPOSE_PLOT_PR) {
            double ap = 0;
            for (int i = 0; i < nk; i++) ap += m->all_ap[(size_t)i * CPOSE_VAL_NIOU] / nk;
            memcpy(y, mean, (size_t)NP * sizeof *y);
            snprintf(labels[nl], sizeof labels[nl], "all classes %.3f mAP@0.5", ap);
        } else {
            cpose_plot_box_smooth(mean, NP, 0.05, y);
            int best = 0;
            for (int k = 1; k < NP; k++)
                if (y[k] > y[best]) best = k;
            snprintf(labels[nl], sizeof labels[nl], "all classes %.2f at %.3f", y[best], r->px[best]);
        }
        cpose_plot_series(out, &ax, r->px, y, NP, cpose_plot_blue, 3, 0, 0);
        memcpy(colors[nl], cpose_plot_blue, 3);
        thick[nl] = 3;
        nl++;
    }
    /* the frame goes on top of the lines, as matplotlib's spines do */
    cpose_plot_axes_draw(out, &ax, title, kind == CPOSE_PLOT_PR ? "Recall" : "Confidence", ylabels[kind], 0.6);
    for (int i = 0; i < nl; i++) lp[i] = labels[i];
    if (nl) cpose_plot_legend(out, AX_X + AX_W + 25, AX_Y, lp, (const uint8_t(*)[3])colors, thick, nl, 0.55);
    cpose_free(labels);
    cpose_free(lp);
    cpose_free(colors);
    cpose_free(thick);
    cpose_free(mean);
    cpose_free(y);
    return CPOSE_OK;
}

int cpose_plot_val_curves(const struct cpose_val_results *r, char *const *names, int n_names, const char *dir)
{
    int rc = cpose_mkdirs(dir);
    if (rc != CPOSE_OK) return rc;
    for (int f = 0; f < CPOSE_PLOT_N_CURVES; f++) {
        struct cpose_image img;
        const struct cpose_det_metric *m = f < 4 ? &r->box : &r->pose;
        if ((rc = cpose_plot_curve_render(r, m, (enum cpose_plot_curve)(f % 4), names, n_names, &img)) != CPOSE_OK)
            return rc;
        char *path = cpose_path_join(dir, cpose_plot_curve_files[f]);
        rc = cpose_plot_write(path, &img);
        cpose_free(path);
        cpose_image_free(&img);
        if (rc != CPOSE_OK) return rc;
    }
    return CPOSE_OK;
}
