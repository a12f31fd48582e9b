/* reports/plot_results.c — results.png from a training results.csv (Ultralytics' plot_results for pose). */
#include "reports/plot.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "reports/plot_impl.h"
#include "reports/results_csv.h"

/* Panel size and margins (pixels). Ultralytics draws 2 × 9 panels on a 21 × 6 in figure at 200 dpi. */
#define PANEL_W 420
#define PANEL_H 330
#define MARGIN_L 62
#define MARGIN_R 14
#define MARGIN_T 40
#define MARGIN_B 44

/* Ultralytics' pose order: columns (1-based after epoch) of the 2 × 9 grid, row by row. */
static const int pose_order[18] = {1, 2, 3, 4, 5, 6, 7, 10, 11, 14, 15, 16, 17, 18, 8, 9, 12, 13};

struct csv {
    int ncol, nrow;
    char **names; /* ncol, trimmed */
    double *v;    /* nrow × ncol */
};

static void csv_free(struct csv *c)
{
    for (int i = 0; i < c->ncol; i++) cpose_free(c->names[i]);
    cpose_free(c->names);
    cpose_free(c->v);
    memset(c, 0, sizeof *c);
}

/* Splits line (modified in place) at commas into at most max trimmed fields; returns the count. */
static int split_fields(char *line, char **f, int max)
{
    int n = 0;
    for (char *s = line;;) {
        char *comma = strchr(s, ',');
        if (comma) *comma = 0;
        while (isspace((unsigned char)*s)) s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
        if (n < max) f[n] = s;
        n++;
        if (!comma) break;
        s = comma + 1;
    }
    return n;
}

static int csv_read(const char *path, struct csv *c)
{
    memset(c, 0, sizeof *c);
    char *text = NULL;
    size_t len = 0;
    int rc = cpose_read_file(path, &text, &len);
    if (rc != CPOSE_OK) return cpose_err_context(rc, "results CSV");
    char **f = NULL;
    int cap = 0, lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl) *nl = 0;
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r') line[--l] = 0;
        int blank = 1;
        for (char *p = line; *p; p++) blank &= isspace((unsigned char)*p) != 0;
        if (blank) continue;
        int n = 1;
        for (const char *p = line; (p = strchr(p, ',')); p++) n++;
        if (n > cap) {
            cap = n;
            f = cpose_realloc(f, (size_t)cap * sizeof *f);
        }
        split_fields(line, f, cap);
        if (!c->names) {
            if (n < 2) {
                rc = cpose_err(CPOSE_EINVAL, "%s:%d: the header has %d column; results.csv needs epoch and at least one "
                               "metric column", path, lineno, n);
                goto fail;
            }
            c->ncol = n;
            c->names = cpose_calloc((size_t)n, sizeof *c->names);
            for (int i = 0; i < n; i++) c->names[i] = cpose_strdup(f[i]);
            continue;
        }
        if (n != c->ncol) {
            rc = cpose_err(CPOSE_EINVAL, "%s:%d: %d fields but the header has %d columns (a truncated or mixed file?)",
                           path, lineno, n, c->ncol);
            goto fail;
        }
        c->v = cpose_realloc(c->v, (size_t)(c->nrow + 1) * c->ncol * sizeof *c->v);
        for (int i = 0; i < n; i++) {
            char *end = NULL;
            errno = 0;
            double d = strtod(f[i], &end);
            if (!*f[i] || *end) {
                rc = cpose_err(CPOSE_EINVAL, "%s:%d: column %d (%s): '%s' is not a number", path, lineno, i + 1,
                               c->names[i], f[i]);
                goto fail;
            }
            c->v[(size_t)c->nrow * c->ncol + i] = d;
        }
        c->nrow++;
    }
    if (!c->names) {
        rc = cpose_err(CPOSE_EINVAL, "%s:1: empty file: results.csv needs a header line and one row per epoch", path);
        goto fail;
    }
    if (!c->nrow) {
        rc = cpose_err(CPOSE_EINVAL, "%s:%d: no data rows after the header: nothing to plot", path, lineno + 1);
        goto fail;
    }
    cpose_free(f);
    cpose_free(text);
    return CPOSE_OK;
fail:
    cpose_free(f);
    cpose_free(text);
    csv_free(c);
    return rc;
}

/* Is the header Ultralytics' pose results.csv (epoch + the 21 columns of reports/results_csv.h)? */
static int is_pose_header(const struct csv *c)
{
    if (c->ncol != CPOSE_RESULTS_NCOLS + 1) return 0;
    for (int i = 0; i < CPOSE_RESULTS_NCOLS; i++)
        if (strcmp(c->names[i + 1], cpose_results_csv_keys[i])) return 0;
    return 1;
}

static void draw_panel(struct cpose_image *img, int px, int py, const struct csv *c, int col, int legend)
{
    int n = c->nrow;
    double *x = cpose_malloc((size_t)n * sizeof *x), *y = cpose_malloc((size_t)n * sizeof *y);
    double *sm = cpose_malloc((size_t)n * sizeof *sm);
    for (int i = 0; i < n; i++) {
        x[i] = c->v[(size_t)i * c->ncol];
        y[i] = c->v[(size_t)i * c->ncol + col];
    }
    cpose_plot_gaussian1d(y, n, 3.0, sm);
    struct cpose_plot_axes ax = {px + MARGIN_L, py + MARGIN_T, PANEL_W - MARGIN_L - MARGIN_R,
                                 PANEL_H - MARGIN_T - MARGIN_B, 0, 0, 0, 0};
    cpose_plot_autoscale(x, n, &ax.xmin, &ax.xmax);
    double lo1, hi1, lo2, hi2;
    cpose_plot_autoscale(y, n, &lo1, &hi1);
    cpose_plot_autoscale(sm, n, &lo2, &hi2);
    ax.ymin = lo1 < lo2 ? lo1 : lo2;
    ax.ymax = hi1 > hi2 ? hi1 : hi2;
    cpose_plot_series(img, &ax, x, y, n, cpose_plot_tab10[0], 2, 0, 3);
    cpose_plot_series(img, &ax, x, sm, n, cpose_plot_tab10[1], 2, 1, 0);
    cpose_plot_axes_draw(img, &ax, c->names[col], NULL, NULL, 0.4);
    if (legend) {
        const char *labels[2] = {"results", "smooth"};
        const int th[2] = {2, 2};
        cpose_plot_legend(img, ax.x0 + ax.w - 130, ax.y0 + 6, labels, (const uint8_t(*)[3])cpose_plot_tab10, th, 2,
                          0.4);
    }
    cpose_free(x);
    cpose_free(y);
    cpose_free(sm);
}

int cpose_plot_results_render(const char *csv_path, struct cpose_image *out, int *n_panels)
{
    memset(out, 0, sizeof *out);
    struct csv c;
    int rc = csv_read(csv_path, &c);
    if (rc != CPOSE_OK) return rc;
    int cols[256], k = 0;
    if (is_pose_header(&c)) {
        for (int i = 0; i < 18; i++) cols[k++] = pose_order[i];
    } else {
        for (int i = 1; i < c.ncol && k < 256; i++)
            if (strncmp(c.names[i], "lr/", 3)) cols[k++] = i;
    }
    if (!k) {
        rc = cpose_err(CPOSE_EINVAL, "%s:1: only learning-rate columns (lr/...): no loss or metric to plot", csv_path);
        csv_free(&c);
        return rc;
    }
    int rows = k > 1 ? 2 : 1, per_row = (k + rows - 1) / rows;
    if ((rc = cpose_image_new(out, per_row * PANEL_W, rows * PANEL_H, 3, 255)) != CPOSE_OK) {
        csv_free(&c);
        return rc;
    }
    for (int i = 0; i < k; i++) draw_panel(out, (i % per_row) * PANEL_W, (i / per_row) * PANEL_H, &c, cols[i], i == 1);
    if (n_panels) *n_panels = k;
    csv_free(&c);
    return CPOSE_OK;
}

int cpose_plot_results(const char *csv_path, const char *png_path)
{
    struct cpose_image img;
    int rc = cpose_plot_results_render(csv_path, &img, NULL);
    if (rc != CPOSE_OK) return rc;
    rc = cpose_plot_write(png_path, &img);
    cpose_image_free(&img);
    return rc;
}
