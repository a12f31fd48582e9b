/* reports/plot_axes.c — the chart kit of reports/plot_impl.h: axes, series, legend, smoothing, writing. */
#include "reports/plot_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/status.h"

/* tab10 as BGR: #1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf */
const uint8_t cpose_plot_tab10[10][3] = {
    {180, 119, 31}, {14, 127, 255}, {44, 160, 44}, {40, 39, 214}, {189, 103, 148},
    {75, 86, 140},  {194, 119, 227}, {127, 127, 127}, {34, 189, 188}, {207, 190, 23},
};
const uint8_t cpose_plot_black[3] = {0, 0, 0};
const uint8_t cpose_plot_grey[3] = {128, 128, 128};
const uint8_t cpose_plot_white[3] = {255, 255, 255};
const uint8_t cpose_plot_blue[3] = {255, 0, 0};

void cpose_plot_map(const struct cpose_plot_axes *ax, double x, double y, int *px, int *py)
{
    double fx = (x - ax->xmin) / (ax->xmax - ax->xmin), fy = (y - ax->ymin) / (ax->ymax - ax->ymin);
    *px = ax->x0 + (int)lround(fx * (ax->w - 1));
    *py = ax->y0 + ax->h - 1 - (int)lround(fy * (ax->h - 1));
}

void cpose_plot_autoscale(const double *v, int n, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            if (v[i] < a) a = v[i];
            if (v[i] > b) b = v[i];
        }
    if (!(a <= b)) a = b = 0;
    if (b - a < 1e-12) {
        double d = fabs(a) > 1e-12 ? fabs(a) * 0.05 : 0.05;
        *lo = a - d, *hi = b + d;
        return;
    }
    double m = (b - a) * 0.05;
    *lo = a - m, *hi = b + m;
}

/* A "nice" tick step (1, 2, 2.5 or 5 × 10^k) giving about 5 ticks over span. */
static double tick_step(double span)
{
    double raw = span / 5, p = pow(10, floor(log10(raw))), f = raw / p;
    double m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    return m * p;
}

static void tick_label(double v, double step, char *buf, size_t n)
{
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (step < 1 && fabs(step * pow(10, dec) - round(step * pow(10, dec))) > 1e-6) dec++;
    if (dec > 6) dec = 6;
    if (fabs(v) < step * 1e-6) v = 0;
    snprintf(buf, n, "%.*f", dec, v);
}

void cpose_plot_axes_draw(struct cpose_image *img, const struct cpose_plot_axes *ax, const char *title,
                          const char *xlabel, const char *ylabel, double font)
{
    const uint8_t *k = cpose_plot_black;
    int x1 = ax->x0 - 1, y1 = ax->y0 - 1, x2 = ax->x0 + ax->w, y2 = ax->y0 + ax->h;
    cpose_fill_rect(img, x1, y1, x2, y1, k);
    cpose_fill_rect(img, x1, y2, x2, y2, k);
    cpose_fill_rect(img, x1, y1, x1, y2, k);
    cpose_fill_rect(img, x2, y1, x2, y2, k);
    int tw, th, base;
    char buf[48];
    double st = tick_step(ax->xmax - ax->xmin);
    for (double v = ceil(ax->xmin / st - 1e-9) * st; v <= ax->xmax + st * 1e-9; v += st) {
        int px, py;
        cpose_plot_map(ax, v, ax->ymin, &px, &py);
        cpose_fill_rect(img, px, y2 + 1, px, y2 + 4, k);
        tick_label(v, st, buf, sizeof buf);
        cpose_text_size(buf, font, 1, &tw, &th, &base);
        cpose_draw_text(img, buf, px - tw / 2, y2 + 8 + th, font, k, 1);
    }
    st = tick_step(ax->ymax - ax->ymin);
    for (double v = ceil(ax->ymin / st - 1e-9) * st; v <= ax->ymax + st * 1e-9; v += st) {
        int px, py;
        cpose_plot_map(ax, ax->xmin, v, &px, &py);
        cpose_fill_rect(img, x1 - 4, py, x1 - 1, py, k);
        tick_label(v, st, buf, sizeof buf);
        cpose_text_size(buf, font, 1, &tw, &th, &base);
        cpose_draw_text(img, buf, x1 - 7 - tw, py + th / 2, font, k, 1);
    }
    if (title && *title) {
        cpose_text_size(title, font * 1.25, 1, &tw, &th, &base);
        cpose_draw_text(img, title, ax->x0 + (ax->w - tw) / 2, y1 - 8, font * 1.25, k, 1);
    }
    if (xlabel && *xlabel) {
        cpose_text_size(xlabel, font * 1.1, 1, &tw, &th, &base);
        int tick_h = 0;
        cpose_text_size("0", font, 1, &base, &tick_h, NULL);
        cpose_draw_text(img, xlabel, ax->x0 + (ax->w - tw) / 2, y2 + 16 + tick_h + th, font * 1.1, k, 1);
    }
    if (ylabel && *ylabel) { /* Hershey text cannot rotate: the y label sits above the axis, left-aligned */
        cpose_text_size(ylabel, font * 1.1, 1, &tw, &th, &base);
        cpose_draw_text(img, ylabel, x1 - tw / 2 > 0 ? x1 - tw / 2 : 0, y1 - 8 - (title ? 2 * th + 6 : 0), font * 1.1,
                        k, 1);
    }
}

static void dotted_segment(struct cpose_image *img, int xa, int ya, int xb, int yb, const uint8_t bgr[3], int t,
                           double *phase)
{
    double len = hypot(xb - xa, yb - ya);
    for (double s = 0; s < len;) {
        double on = fmod(*phase, 6.0);
        double left = on < 3 ? 3 - on : 6 - on; /* to the end of this dash or gap */
        double e = s + left < len ? s + left : len;
        if (on < 3) {
            double fa = s / len, fb = e / len;
            cpose_draw_line(img, (int)lround(xa + (xb - xa) * fa), (int)lround(ya + (yb - ya) * fa),
                            (int)lround(xa + (xb - xa) * fb), (int)lround(ya + (yb - ya) * fb), bgr, t);
        }
        *phase += e - s;
        s = e;
    }
}

void cpose_plot_series(struct cpose_image *img, const struct cpose_plot_axes *ax, const double *x, const double *y,
                       int n, const uint8_t bgr[3], int thickness, int dotted, int marker)
{
    int *xy = cpose_malloc((size_t)(n > 0 ? n : 1) * 2 * sizeof *xy);
    int m = 0;
    double phase = 0;
    for (int i = 0; i <= n; i++) {
        int ok = i < n && isfinite(x[i]) && isfinite(y[i]);
        if (ok) {
            cpose_plot_map(ax, x[i], y[i], &xy[2 * m], &xy[2 * m + 1]);
            m++;
        }
        if (ok && i < n - 1) continue;
        if (dotted)
            for (int j = 0; j + 1 < m; j++)
                dotted_segment(img, xy[2 * j], xy[2 * j + 1], xy[2 * j + 2], xy[2 * j + 3], bgr, thickness, &phase);
        else if (m >= 2) cpose_draw_polyline(img, xy, m, 0, bgr, thickness);
        if (marker > 0)
            for (int j = 0; j < m; j++) cpose_draw_circle(img, xy[2 * j], xy[2 * j + 1], marker, bgr, -1);
        m = 0;
    }
    cpose_free(xy);
}

void cpose_plot_legend(struct cpose_image *img, int x, int y, const char *const *labels, const uint8_t (*colors)[3],
                       const int *thickness, int n, double font)
{
    int tw, th, base, wmax = 0;
    cpose_text_size("Ag", font, 1, &tw, &th, &base);
    int row = th + base + 8;
    for (int i = 0; i < n; i++) {
        cpose_text_size(labels[i], font, 1, &tw, &th, &base);
        if (tw > wmax) wmax = tw;
    }
    int bw = 12 + 28 + 8 + wmax + 10, bh = n * row + 10;
    static const uint8_t frame[3] = {204, 204, 204};
    cpose_fill_rect(img, x, y, x + bw, y + bh, cpose_plot_white);
    cpose_fill_rect(img, x, y, x + bw, y, frame);
    cpose_fill_rect(img, x, y + bh, x + bw, y + bh, frame);
    cpose_fill_rect(img, x, y, x, y + bh, frame);
    cpose_fill_rect(img, x + bw, y, x + bw, y + bh, frame);
    for (int i = 0; i < n; i++) {
        int cy = y + 5 + i * row + row / 2;
        cpose_draw_line(img, x + 12, cy, x + 40, cy, colors[i], thickness ? thickness[i] : 2);
        cpose_text_size(labels[i], font, 1, &tw, &th, &base);
        cpose_draw_text(img, labels[i], x + 48, cy + th / 2, font, cpose_plot_black, 1);
    }
}

void cpose_plot_gaussian1d(const double *y, int n, double sigma, double *out)
{
    int r = (int)(4.0 * sigma + 0.5);
    double w[64 + 1], sum = 0;
    if (r > 64) r = 64;
    for (int k = 0; k <= r; k++) {
        w[k] = exp(-0.5 * k * k / (sigma * sigma));
        sum += k ? 2 * w[k] : w[k];
    }
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = -r; k <= r; k++) {
            /* scipy's "reflect" (d c b a | a b c d | d c b a), repeated for short inputs */
            long m = ((long)(i + k) % (2L * n) + 2L * n) % (2L * n);
            if (m >= n) m = 2L * n - 1 - m;
            s += w[k < 0 ? -k : k] * y[m];
        }
        out[i] = s / sum;
    }
}

void cpose_plot_box_smooth(const double *y, int n, double f, double *out)
{
    if (n <= 0) return;
    int nf = (int)nearbyint(n * f * 2) / 2 + 1, h = nf / 2;
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = i - h; k <= i + h; k++) s += y[k < 0 ? 0 : k >= n ? n - 1 : k];
        out[i] = s / nf;
    }
}

int cpose_plot_write(const char *path, const struct cpose_image *img)
{
    int rc = cpose_image_write(path, img, 0);
    if (rc != CPOSE_OK) return cpose_err_context(rc, "writing plot %s", path);
    return CPOSE_OK;
}
