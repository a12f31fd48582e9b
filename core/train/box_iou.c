/* core/train/box_iou.c — Complete IoU of two x1 y1 x2 y2 boxes: a float32 forward that follows
 * Ultralytics' bbox_iou operation by operation (for the assigner), and a double forward with the
 * hand-written gradient with respect to the first box (for the box loss). */
#include <math.h>

#include "core/train/loss_impl.h"

#define CIOU_EPS 1e-7

float cpose_ciou_f32(const float b1[4], const float b2[4])
{
    const float eps = (float)CIOU_EPS;
    float w1 = b1[2] - b1[0], h1 = b1[3] - b1[1] + eps;
    float w2 = b2[2] - b2[0], h2 = b2[3] - b2[1] + eps;
    float ix = fminf(b1[2], b2[2]) - fmaxf(b1[0], b2[0]);
    float iy = fminf(b1[3], b2[3]) - fmaxf(b1[1], b2[1]);
    float inter = (ix > 0 ? ix : 0) * (iy > 0 ? iy : 0);
    float uni = w1 * h1 + w2 * h2 - inter + eps;
    float iou = inter / uni;
    float cw = fmaxf(b1[2], b2[2]) - fminf(b1[0], b2[0]);
    float ch = fmaxf(b1[3], b2[3]) - fminf(b1[1], b2[1]);
    float c2 = cw * cw + ch * ch + eps;
    float sx = b2[0] + b2[2] - b1[0] - b1[2], sy = b2[1] + b2[3] - b1[1] - b1[3];
    float rho2 = (sx * sx + sy * sy) / 4;
    float dat = atanf(w2 / h2) - atanf(w1 / h1);
    float v = (float)(4.0 / (M_PI * M_PI)) * (dat * dat);
    float alpha = v / (v - iou + (1 + eps));
    return iou - (rho2 / c2 + v * alpha);
}

/* d min(a, b)/da as PyTorch's minimum backward: 1 if a < b, 0.5 on a tie, else 0 (max: mirrored). */
static double dmin_a(double a, double b) { return a < b ? 1.0 : (a == b ? 0.5 : 0.0); }
static double dmax_a(double a, double b) { return a > b ? 1.0 : (a == b ? 0.5 : 0.0); }

double cpose_ciou_f64(const double b1[4], const double b2[4], double g[4], double *alpha_io)
{
    const double eps = CIOU_EPS;
    double x1 = b1[0], y1 = b1[1], x2 = b1[2], y2 = b1[3];
    double X1 = b2[0], Y1 = b2[1], X2 = b2[2], Y2 = b2[3];
    double w1 = x2 - x1, h1 = y2 - y1 + eps, w2 = X2 - X1, h2 = Y2 - Y1 + eps;
    double ix = fmin(x2, X2) - fmax(x1, X1), iy = fmin(y2, Y2) - fmax(y1, Y1);
    double cix = ix > 0 ? ix : 0, ciy = iy > 0 ? iy : 0;
    double inter = cix * ciy;
    double uni = w1 * h1 + w2 * h2 - inter + eps;
    double iou = inter / uni;
    double cw = fmax(x2, X2) - fmin(x1, X1), ch = fmax(y2, Y2) - fmin(y1, Y1);
    double c2 = cw * cw + ch * ch + eps;
    double sx = X1 + X2 - x1 - x2, sy = Y1 + Y2 - y1 - y2;
    double rho2 = (sx * sx + sy * sy) / 4;
    double r1 = w1 / h1;
    double dat = atan(w2 / h2) - atan(r1);
    const double k = 4.0 / (M_PI * M_PI);
    double v = k * dat * dat;
    double alpha = v / (v - iou + (1 + eps));
    if (alpha_io) {
        if (*alpha_io >= 0) alpha = *alpha_io;
        else *alpha_io = alpha;
    }
    double ciou = iou - (rho2 / c2 + v * alpha);
    if (!g) return ciou;

    /* ciou = iou − rho2/c2 − v·alpha (alpha constant) */
    double g_iou = 1.0, g_rho2 = -1.0 / c2, g_c2 = rho2 / (c2 * c2), g_v = -alpha;
    /* iou = inter / union, union = w1·h1 + w2·h2 − inter + eps */
    double g_inter = g_iou / uni + g_iou * iou / uni; /* d/dinter through numerator and through −inter in union */
    double g_w1h1 = -g_iou * iou / uni;
    /* v = k·dat², dat = atan(w2/h2) − atan(w1/h1) */
    double g_r1 = g_v * 2 * k * dat * (-1.0 / (1 + r1 * r1));
    double g_w1 = g_w1h1 * h1 + g_r1 / h1;
    double g_h1 = g_w1h1 * w1 - g_r1 * w1 / (h1 * h1);
    /* inter = clamp(ix, 0)·clamp(iy, 0); clamp passes the gradient where its input is ≥ 0 */
    double g_ix = ix >= 0 ? g_inter * ciy : 0, g_iy = iy >= 0 ? g_inter * cix : 0;
    /* c2 = cw² + ch² + eps */
    double g_cw = g_c2 * 2 * cw, g_ch = g_c2 * 2 * ch;
    /* rho2 = (sx² + sy²)/4, sx = X1 + X2 − x1 − x2 */
    double g_sx = g_rho2 * sx / 2, g_sy = g_rho2 * sy / 2;

    g[0] = -g_w1 - g_ix * dmax_a(x1, X1) - g_cw * dmin_a(x1, X1) - g_sx;
    g[2] = g_w1 + g_ix * dmin_a(x2, X2) + g_cw * dmax_a(x2, X2) - g_sx;
    g[1] = -g_h1 - g_iy * dmax_a(y1, Y1) - g_ch * dmin_a(y1, Y1) - g_sy;
    g[3] = g_h1 + g_iy * dmin_a(y2, Y2) + g_ch * dmax_a(y2, Y2) - g_sy;
    return ciou;
}
