/* reports/plot_impl.h — what the plot files share: a minimal chart kit over core/nn/image.h (axes with
 * a frame, ticks and labels; line series, dotted lines and markers; a legend), colours, Gaussian and
 * box smoothing, and the PNG/JPEG write step. Internal to reports/plot_*.c. */
#ifndef CPOSE_PLOT_IMPL_H
#define CPOSE_PLOT_IMPL_H

#include <stdint.h>

#include "core/nn/image.h"

/* BGR colours: matplotlib's tab10 cycle (C0 blue, C1 orange, ...), black, grey, white, "blue". */
extern const uint8_t cpose_plot_tab10[10][3];
extern const uint8_t cpose_plot_black[3], cpose_plot_grey[3], cpose_plot_white[3], cpose_plot_blue[3];

/* A chart's plot area (pixels; x0, y0 top-left, w × h inside the frame) and its data limits. */
struct cpose_plot_axes {
    int x0, y0, w, h;
    double xmin, xmax, ymin, ymax;
};

/* Data → pixel coordinates (y grows upwards in data, downwards in pixels). */
void cpose_plot_map(const struct cpose_plot_axes *ax, double x, double y, int *px, int *py);
/* Limits of the finite values of v (n), widened by 5 % each side as matplotlib does; a flat or empty
 * series gets ±0.05 (or ±5 % of |v|) so the axis never has zero length. */
void cpose_plot_autoscale(const double *v, int n, double *lo, double *hi);
/* Frame (1 px black, exact pixels), 5 ticks with labels on each axis, the title centred above the
 * frame and the axis labels (either may be NULL). font is the Hershey scale of tick labels. */
void cpose_plot_axes_draw(struct cpose_image *img, const struct cpose_plot_axes *ax, const char *title,
                          const char *xlabel, const char *ylabel, double font);
/* A series as a polyline (thickness px; dotted draws 3 px on, 3 px off) with filled markers of radius
 * marker (0: none). Points with a non-finite x or y break the line. */
void cpose_plot_series(struct cpose_image *img, const struct cpose_plot_axes *ax, const double *x, const double *y,
                       int n, const uint8_t bgr[3], int thickness, int dotted, int marker);
/* A legend box with a short line of each colour and its label, top-left at (x, y). */
void cpose_plot_legend(struct cpose_image *img, int x, int y, const char *const *labels, const uint8_t (*colors)[3],
                       const int *thickness, int n, double font);

/* scipy.ndimage.gaussian_filter1d(y, sigma) with mode "reflect" and truncate 4 (radius
 * int(4·sigma + 0.5)), into out (n). */
void cpose_plot_gaussian1d(const double *y, int n, double sigma, double *out);
/* Ultralytics' smooth(y, f): a box filter of nf = round(n·f·2) // 2 + 1 points over y padded with its
 * end values, into out (n). */
void cpose_plot_box_smooth(const double *y, int n, double f, double *out);

/* Writes img to path (atomic, by extension) and adds the path to the error message on failure. */
int cpose_plot_write(const char *path, const struct cpose_image *img);

#endif
