/* reports/svg.h — a small inline-SVG line chart for the HTML reports (axes 0..1, one polyline per
 * series, legend on the right). */
#ifndef CPOSE_SVG_H
#define CPOSE_SVG_H

#include <stdio.h>

#include "core/base/status.h"

/* One series: npts points (x[i], y[i]); points with y < 0 are skipped (no data). */
struct cpose_svg_series {
    const double *x, *y;
    int npts;
    const char *label;     /* legend text (escaped here) */
};

/* Writes an <svg> element to f: title, x/y axis labels, series in a fixed 10-colour palette. */
CPOSE_API void cpose_svg_chart(FILE *f, const char *title, const char *xlabel, const char *ylabel,
                               const struct cpose_svg_series *s, int n);
/* Writes s to f with &, <, >, " escaped. */
CPOSE_API void cpose_html_escape(FILE *f, const char *s);

#endif
