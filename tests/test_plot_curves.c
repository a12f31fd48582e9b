/* tests/test_plot_curves.c — the PR / F1 / P / R curve PNGs: the axis frame, per-class lines in the
 * tab10 colours at the heights of their data, the thick blue class mean (smoothed for the confidence
 * curves), grey lines beyond 20 classes, no crash without classes, and the 8 files with Ultralytics'
 * names decoding at the right size. */
/* cpose-layer: reports */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/status.h"
#include "core/nn/image.h"
#include "reports/plot.h"
#include "tests/testlib.h"

/* Plot area of the curve figure (reports/plot_curves.c): x 100..919, y 70..809, data 0..1. */
enum { AX_X = 100, AX_Y = 70, AX_W = 820, AX_H = 740 };

static int row_of(double v) { return AX_Y + AX_H - 1 - (int)lround(v * (AX_H - 1)); }

static int near_px(const struct cpose_image *im, int x, int y, const uint8_t c[3], int tol)
{
    const uint8_t *p = im->data + ((size_t)y * im->w + x) * 3;
    int ok = abs(p[0] - c[0]) <= tol && abs(p[1] - c[1]) <= tol && abs(p[2] - c[2]) <= tol;
    if (!ok) fprintf(stderr, "  pixel (%d, %d) = (%d, %d, %d), want about (%d, %d, %d)\n", x, y, p[0], p[1], p[2], c[0], c[1], c[2]);
    return ok;
}

/* A metric with nk classes whose curves are constant: class i has value vals[i] on every curve. */
static void fill_metric(struct cpose_det_metric *m, int nk, const double *vals, const double *ap50)
{
    memset(m, 0, sizeof *m);
    m->n_ap_class = nk;
    m->ap_class = calloc((size_t)nk + 1, sizeof *m->ap_class);
    m->all_ap = calloc((size_t)nk * CPOSE_VAL_NIOU + 1, sizeof *m->all_ap);
    double **arrs[4] = {&m->prec_values, &m->f1_curve, &m->p_curve, &m->r_curve};
    for (int a = 0; a < 4; a++) *arrs[a] = calloc((size_t)nk * CPOSE_VAL_NPX + 1, sizeof(double));
    for (int i = 0; i < nk; i++) {
        m->ap_class[i] = i;
        m->all_ap[i * CPOSE_VAL_NIOU] = ap50 ? ap50[i] : 0.5;
        for (int a = 0; a < 4; a++)
            for (int k = 0; k < CPOSE_VAL_NPX; k++) (*arrs[a])[(size_t)i * CPOSE_VAL_NPX + k] = vals[i];
    }
}

static void free_metric(struct cpose_det_metric *m)
{
    free(m->ap_class), free(m->all_ap), free(m->prec_values), free(m->f1_curve), free(m->p_curve), free(m->r_curve);
    memset(m, 0, sizeof *m);
}

static void test_curves(const char *dir)
{
    static const uint8_t black[3] = {0, 0, 0}, blue[3] = {255, 0, 0}, grey[3] = {128, 128, 128};
    static const uint8_t c0[3] = {180, 119, 31}, c1[3] = {14, 127, 255};
    struct cpose_val_results r;
    memset(&r, 0, sizeof r);
    r.nc = 2;
    for (int k = 0; k < CPOSE_VAL_NPX; k++) r.px[k] = k / (double)(CPOSE_VAL_NPX - 1);
    const double v2[2] = {1.0, 0.5}, ap2[2] = {0.9, 0.5};
    fill_metric(&r.box, 2, v2, ap2);
    const double v21[21] = {0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2,
                            0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.9};
    fill_metric(&r.pose, 21, v21, NULL);
    char *names[2] = {"person", "dog"};

    struct cpose_image im;
    CHECK(cpose_plot_curve_render(&r, &r.box, CPOSE_PLOT_PR, names, 2, &im) == CPOSE_OK);
    CHECK(im.w == 1350 && im.h == 900);
    int frame = 1;
    for (int y = AX_Y; y < AX_Y + AX_H; y += 7) frame &= near_px(&im, AX_X - 1, y, black, 0);
    CHECK_MSG(frame, "left frame line");
    int x = AX_X + AX_W / 2;
    CHECK(near_px(&im, x, row_of(0.5), c1, 40));       /* class 1 at 0.5, tab10 orange */
    CHECK(near_px(&im, x, row_of(0.75), blue, 40));    /* the mean of 1.0 and 0.5, thick blue */
    CHECK(near_px(&im, x, row_of(0.75) + 1, blue, 40));
    CHECK(near_px(&im, x, row_of(0.6), (const uint8_t[3]){255, 255, 255}, 0)); /* nothing in between */
    cpose_image_free(&im);

    /* F1: the smoothed mean of constants is the constant */
    CHECK(cpose_plot_curve_render(&r, &r.box, CPOSE_PLOT_F1, names, 2, &im) == CPOSE_OK);
    CHECK(near_px(&im, x, row_of(0.75), blue, 40));
    CHECK(near_px(&im, AX_X + 100, row_of(0.5), c1, 40));
    cpose_image_free(&im);
    /* R with class 0 only visible at 1.0: blue C0 line on the top row of the plot area */
    CHECK(cpose_plot_curve_render(&r, &r.box, CPOSE_PLOT_R, NULL, 0, &im) == CPOSE_OK);
    CHECK(near_px(&im, x, row_of(1.0) + 1, c0, 60) || near_px(&im, x, row_of(1.0), c0, 60));
    cpose_image_free(&im);

    /* 21 classes: grey lines, no per-class colours; the 0.9 class at its height */
    CHECK(cpose_plot_curve_render(&r, &r.pose, CPOSE_PLOT_P, NULL, 0, &im) == CPOSE_OK);
    CHECK(near_px(&im, x, row_of(0.9), grey, 30));
    CHECK(near_px(&im, x, row_of((20 * 0.2 + 0.9) / 21), blue, 40));
    cpose_image_free(&im);

    /* no classes with labels: axes only */
    struct cpose_det_metric empty;
    fill_metric(&empty, 0, NULL, NULL);
    CHECK(cpose_plot_curve_render(&r, &empty, CPOSE_PLOT_PR, NULL, 0, &im) == CPOSE_OK);
    CHECK(near_px(&im, AX_X - 1, AX_Y + 100, black, 0));
    CHECK(near_px(&im, x, row_of(0.5), (const uint8_t[3]){255, 255, 255}, 0));
    cpose_image_free(&im);
    free_metric(&empty);
    CHECK(cpose_plot_curve_render(&r, &r.box, (enum cpose_plot_curve)7, NULL, 0, &im) == CPOSE_EINVAL);

    /* the 8 files */
    char *sub = cpose_path_join(dir, "curves");
    CHECK(cpose_plot_val_curves(&r, names, 2, sub) == CPOSE_OK);
    static const char *const want[8] = {"BoxPR_curve.png",  "BoxF1_curve.png",  "BoxP_curve.png",  "BoxR_curve.png",
                                        "PosePR_curve.png", "PoseF1_curve.png", "PoseP_curve.png", "PoseR_curve.png"};
    for (int f = 0; f < 8; f++) {
        CHECK(strcmp(cpose_plot_curve_files[f], want[f]) == 0);
        char *p = cpose_path_join(sub, want[f]);
        int w = 0, h = 0;
        CHECK_MSG(cpose_image_size(p, &w, &h) == CPOSE_OK && w == 1350 && h == 900, "%s", p);
        cpose_free(p);
    }
    /* an unwritable folder: the error names it */
    CHECK(cpose_plot_val_curves(&r, names, 2, "/proc/cpose-no-such/dir") != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "/proc/cpose-no-such");
    cpose_free(sub);
    free_metric(&r.box);
    free_metric(&r.pose);
}

int main(void)
{
    const char *keep = getenv("CPOSE_TEST_KEEP_PLOTS");
    test_curves(keep && *keep ? keep : tl_tmpdir("plot-curves"));
    return tl_finish();
}
