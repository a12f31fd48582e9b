/* tests/test_plot_results.c — results.png: scipy's gaussian_filter1d numbers, the panel count and
 * order for Ultralytics' pose results.csv and for another CSV, series pixels, the written PNG, and
 * bad CSVs refused naming file and line with nothing written. */
/* cpose-layer: reports */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/status.h"
#include "core/nn/image.h"
#include "reports/plot.h"
#include "reports/plot_impl.h"
#include "reports/results_csv.h"
#include "tests/testlib.h"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    fputs(text, f);
    fclose(f);
}

static int is_black(const struct cpose_image *im, int x, int y)
{
    const uint8_t *p = im->data + ((size_t)y * im->w + x) * 3;
    return p[0] == 0 && p[1] == 0 && p[2] == 0;
}

/* Vertical black lines at least len pixels long crossing row y: the left and right frame of each panel. */
static int count_frame_lines(const struct cpose_image *im, int y, int len)
{
    int n = 0;
    for (int x = 0; x < im->w; x++) {
        int ok = 1;
        for (int d = -len / 2; d < len / 2 && ok; d++) ok = is_black(im, x, y + d);
        n += ok;
    }
    return n;
}

/* Pixels of exactly colour bgr within the rectangle [x0, x1) × [y0, y1). */
static int count_color(const struct cpose_image *im, int x0, int y0, int x1, int y1, const uint8_t bgr[3])
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = im->data + ((size_t)y * im->w + x) * 3;
            n += p[0] == bgr[0] && p[1] == bgr[1] && p[2] == bgr[2];
        }
    return n;
}

static void test_gaussian(void)
{
    /* An impulse far from the ends gives the normalised kernel: 1 / (sigma sqrt(2 pi)) at the centre
     * (0.13298076 for sigma 3; truncation at 4 sigma moves it by < 1e-5). */
    double y[41] = {0}, out[41];
    y[20] = 1;
    cpose_plot_gaussian1d(y, 41, 3.0, out);
    CHECK_NEAR(out[20], 0.13298076, 1e-5);
    CHECK_NEAR(out[19], out[21], 1e-15);
    double s = 0;
    for (int i = 0; i < 41; i++) s += out[i];
    CHECK_NEAR(s, 1.0, 1e-12);
    /* "reflect" mode: y[-1] = y[0], so an impulse at index 0 counts twice at the first output:
     * (1 + exp(-1/18)) / sum_k exp(-k^2/18), k = -12..12 (sum = 7.5196712, computed in Python). */
    double z[30] = {0}, oz[30];
    z[0] = 1;
    cpose_plot_gaussian1d(z, 30, 3.0, oz);
    CHECK_NEAR(oz[0], (1 + exp(-1.0 / 18)) / 7.5196712, 1e-6);
    /* a constant stays constant, also when the series is shorter than the kernel */
    double c[2] = {5, 5}, oc[2];
    cpose_plot_gaussian1d(c, 2, 3.0, oc);
    CHECK_NEAR(oc[0], 5, 1e-12);
    CHECK_NEAR(oc[1], 5, 1e-12);
    /* Ultralytics' smooth(y, 0.05) on 1000 points is a 51-point box: a step 0 → 1 at 500 gives 26/51 at 500 */
    double *st = malloc(1000 * sizeof *st), *so = malloc(1000 * sizeof *so);
    for (int i = 0; i < 1000; i++) st[i] = i >= 500;
    cpose_plot_box_smooth(st, 1000, 0.05, so);
    CHECK_NEAR(so[500], 26.0 / 51, 1e-12);
    CHECK_NEAR(so[474], 0, 1e-12);
    CHECK_NEAR(so[475], 1.0 / 51, 1e-12);
    free(st);
    free(so);
}

static void test_pose_results(const char *dir)
{
    char *csv = cpose_path_join(dir, "results.csv"), *png = cpose_path_join(dir, "results.png");
    remove(csv);
    for (int e = 1; e <= 12; e++) {
        double v[CPOSE_RESULTS_NCOLS];
        for (int i = 0; i < CPOSE_RESULTS_NCOLS; i++)
            v[i] = i < 5 || (i >= 13 && i < 18) ? 3.0 / e + 0.2 * ((e * (i + 3)) % 5) : 0.07 * e + 0.01 * ((e * i) % 3);
        CHECK(cpose_results_csv_append(csv, e, v) == CPOSE_OK);
    }
    struct cpose_image im;
    int panels = 0;
    CHECK(cpose_plot_results_render(csv, &im, &panels) == CPOSE_OK);
    CHECK(panels == 18); /* 5 train losses, 8 metrics, 5 val losses; the 3 lr columns are not plotted */
    CHECK(im.w == 9 * 420 && im.h == 2 * 330);
    /* 9 panels per row, each with a left and a right frame line */
    CHECK_MSG(count_frame_lines(&im, 165, 120) == 18, "row 1: %d frame lines", count_frame_lines(&im, 165, 120));
    CHECK_MSG(count_frame_lines(&im, 330 + 165, 120) == 18, "row 2: %d", count_frame_lines(&im, 330 + 165, 120));
    /* every panel has the data in matplotlib's C0 blue and the smoothed line in C1 orange */
    static const uint8_t c0[3] = {180, 119, 31}, c1[3] = {14, 127, 255};
    int with_data = 0, with_smooth = 0;
    for (int p = 0; p < 18; p++) {
        int x0 = (p % 9) * 420, y0 = (p / 9) * 330;
        with_data += count_color(&im, x0, y0, x0 + 420, y0 + 330, c0) > 20;
        with_smooth += count_color(&im, x0, y0, x0 + 420, y0 + 330, c1) > 5;
    }
    CHECK(with_data == 18);
    CHECK(with_smooth == 18);
    cpose_image_free(&im);

    CHECK(cpose_plot_results(csv, png) == CPOSE_OK);
    struct cpose_image back;
    CHECK(cpose_image_read(png, &back) == CPOSE_OK);
    CHECK(back.w == 3780 && back.h == 660);
    cpose_image_free(&back);
    cpose_free(csv);
    cpose_free(png);
}

static void test_other_csv(const char *dir)
{
    char *csv = cpose_path_join(dir, "other.csv");
    write_text(csv, "epoch, a, b, c, lr/pg0, d\n1, 1, 2, 3, 0.01, 4\n2, 2, 3, 4, 0.01, 5\n3, 1.5, 2.5, nan, 0.01, 6\n\n");
    struct cpose_image im;
    int panels = 0;
    CHECK(cpose_plot_results_render(csv, &im, &panels) == CPOSE_OK);
    CHECK(panels == 4); /* a, b, c, d: lr/pg0 is left out */
    CHECK(im.w == 2 * 420 && im.h == 2 * 330);
    CHECK(count_frame_lines(&im, 165, 120) == 4);
    CHECK(count_frame_lines(&im, 330 + 165, 120) == 4);
    cpose_image_free(&im);
    /* one column: one panel */
    write_text(csv, "epoch,loss\n1,0.5\n");
    CHECK(cpose_plot_results_render(csv, &im, &panels) == CPOSE_OK);
    CHECK(panels == 1 && im.w == 420 && im.h == 330);
    cpose_image_free(&im);
    cpose_free(csv);
}

static void expect_bad(const char *dir, const char *name, const char *text, int code, const char *where,
                       const char *what)
{
    char *csv = cpose_path_join(dir, name), *png = cpose_path_join(dir, "bad.png");
    if (text) write_text(csv, text);
    int rc = cpose_plot_results(csv, png);
    CHECK_MSG(rc == code, "%s: rc %d", name, rc);
    CHECK_CONTAINS(cpose_errmsg(), where);
    CHECK_CONTAINS(cpose_errmsg(), what);
    CHECK(!cpose_path_is_file(png));
    cpose_free(csv);
    cpose_free(png);
}

static void test_bad_csv(const char *dir)
{
    expect_bad(dir, "short.csv", "epoch,a,b\n1,2,3\n2,3\n", CPOSE_EINVAL, "short.csv:3", "2 fields but the header has 3");
    /* blank lines count in the line numbers */
    expect_bad(dir, "gap.csv", "epoch,a\n\n1,2\n\n\n2,x\n", CPOSE_EINVAL, "gap.csv:6", "'x' is not a number");
    expect_bad(dir, "word.csv", "epoch,a\n1,abc\n", CPOSE_EINVAL, "word.csv:2", "column 2 (a): 'abc' is not a number");
    expect_bad(dir, "empty.csv", "", CPOSE_EINVAL, "empty.csv:1", "empty file");
    expect_bad(dir, "header.csv", "epoch,a\n", CPOSE_EINVAL, "header.csv:2", "no data rows");
    expect_bad(dir, "onecol.csv", "epoch\n1\n", CPOSE_EINVAL, "onecol.csv:1", "header has 1 column");
    expect_bad(dir, "lronly.csv", "epoch,lr/pg0\n1,0.1\n", CPOSE_EINVAL, "lronly.csv:1", "learning-rate");
    expect_bad(dir, "missing.csv", NULL, CPOSE_EIO, "missing.csv", "missing.csv");
}

/* Ultralytics' own results.csv (a synth training run, fixture): its header is recognised as the pose
 * layout (18 panels in 2 × 9). */
static void test_ultralytics_csv(const char *dir)
{
    const char *csv = tl_fixture("ultralytics/synth-trained/ultralytics-train-results.csv");
    struct cpose_image im;
    int panels = 0;
    CHECK(cpose_plot_results_render(csv, &im, &panels) == CPOSE_OK);
    CHECK(panels == 18 && im.w == 3780 && im.h == 660);
    CHECK(count_frame_lines(&im, 165, 120) == 18);
    cpose_image_free(&im);
    char *png = cpose_path_join(dir, "ultralytics-results.png");
    CHECK(cpose_plot_results(csv, png) == CPOSE_OK);
    cpose_free(png);
}

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    /* CPOSE_TEST_KEEP_PLOTS=<folder> keeps the pictures for a look */
    const char *keep = getenv("CPOSE_TEST_KEEP_PLOTS");
    const char *dir = keep && *keep ? keep : tl_tmpdir("plot-results");
    TL_GENERATED(test_gaussian());
    TL_GENERATED(test_pose_results(dir));
    TL_GENERATED(test_other_csv(dir));
    TL_GENERATED(test_bad_csv(dir));
    TL_FIXTURES(test_ultralytics_csv(dir));
    return tl_finish();
}
