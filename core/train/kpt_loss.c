/* core/train/kpt_loss.c — the OKS-shaped keypoint loss and the keypoint visibility BCE of one
 * foreground anchor (Ultralytics' KeypointLoss and bce_pose), with their gradients. */
#include <math.h>

#include "core/train/loss_impl.h"

void cpose_kpt_anchor(int nkpt, int kdim, const float *raw, size_t step, double ax, double ay, const float *gt,
                      double area, const double *sigma, double g_pose, double g_kobj, float *grad,
                      double *pose, double *kobj)
{
    int labelled = 0;
    for (int k = 0; k < nkpt; k++) labelled += kdim == 3 ? gt[k * kdim + 2] != 0 : 1;
    /* kpt_loss_factor = K / (#labelled + 1e-9) */
    double factor = nkpt / (labelled + 1e-9);
    double sum_pose = 0, sum_kobj = 0;
    for (int k = 0; k < nkpt; k++) {
        const float *r = raw + (size_t)k * kdim * step;
        double m = kdim == 3 ? (gt[k * kdim + 2] != 0) : 1.0;
        double px = 2.0 * r[0] + (ax - 0.5), py = 2.0 * r[step] + (ay - 0.5);
        double dx = px - gt[k * kdim], dy = py - gt[k * kdim + 1];
        double s2 = 2.0 * sigma[k];
        double den = s2 * s2 * (area + 1e-9) * 2.0;
        double ex = exp(-(dx * dx + dy * dy) / den);
        sum_pose += factor * (1.0 - ex) * m;
        double gv = 0;
        if (kdim == 3) {
            double v = r[2 * step];
            sum_kobj += cpose_bce_logits(v, m);
            gv = g_kobj * (1.0 / (1.0 + exp(-v)) - m);
        }
        if (grad) {
            /* d/draw_x of factor·(1 − exp(−d²/den))·m = factor·m·exp(−e)·(2·dx/den)·2 */
            double c = g_pose * factor * m * ex * 2.0 / den * 2.0;
            float *gk = grad + (size_t)k * kdim * step;
            gk[0] = (float)(c * dx);
            gk[step] = (float)(c * dy);
            if (kdim == 3) gk[2 * step] = (float)gv;
        }
    }
    *pose += sum_pose;
    *kobj += sum_kobj;
}
