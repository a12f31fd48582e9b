/* tests/test_nms.c — NMS against Ultralytics' outputs on the parity fixture and hand-built cases. */
/* cpose-layer: predict */
#include "tests/testlib.h"

#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/predict/nms.h"

/* Builds a [C, A] slice from per-anchor rows {cx, cy, w, h, s0, s1, ...}. */
static float *make_pred(const float *anchors, int A, int C)
{
    float *p = cpose_malloc((size_t)A * C * sizeof *p);
    for (int a = 0; a < A; a++)
        for (int c = 0; c < C; c++) p[c * A + a] = anchors[a * C + c];
    return p;
}

static void check_parity(struct cpose_h5 *f, const float *pred, int64_t C, int64_t A, const char *name,
                         struct cpose_nms_opts *o)
{
    float *ref = NULL;
    int nd = 0;
    int64_t dims[CPOSE_H5_MAX_DIMS];
    CHECK(cpose_h5_read_f32(f, name, &ref, &nd, dims) == CPOSE_OK);
    float *rows = NULL;
    int64_t n = -1;
    CHECK(cpose_nms(pred, C, A, o, &rows, &n) == CPOSE_OK);
    CHECK_MSG(n == dims[0], "%s: %lld rows, Ultralytics %lld", name, (long long)n, (long long)dims[0]);
    CHECK(dims[1] == 57);
    double worst_xy = 0, worst_conf = 0;
    int64_t m = n < dims[0] ? n : dims[0];
    for (int64_t i = 0; i < m; i++)
        for (int k = 0; k < 57; k++) {
            double d = fabs((double)rows[i * 57 + k] - ref[i * 57 + k]);
            if (k == 4 || (k >= 6 && (k - 6) % 3 == 2)) {
                if (d > worst_conf) worst_conf = d;
            } else if (d > worst_xy) worst_xy = d;
        }
    CHECK_MSG(worst_xy <= 1e-2, "%s: worst coordinate difference %g px", name, worst_xy);
    CHECK_MSG(worst_conf <= 1e-5, "%s: worst score difference %g", name, worst_conf);
    printf("%s: %lld rows, worst |dxy| %.3g px, worst |dconf| %.3g\n", name, (long long)n, worst_xy, worst_conf);
    cpose_free(rows);
    cpose_free(ref);
}

static void test_parity(void)
{
    const char *path = tl_fixture("ultralytics/parity_seed0_bncal.h5");
    struct cpose_h5 *f = NULL;
    CHECK(cpose_h5_open(path, &f) == CPOSE_OK);
    float *pred = NULL;
    int nd = 0;
    int64_t dims[CPOSE_H5_MAX_DIMS];
    CHECK(cpose_h5_read_f32(f, "pred", &pred, &nd, dims) == CPOSE_OK);
    CHECK(nd == 3 && dims[1] == 56 && dims[2] == 8400);
    struct cpose_nms_opts o;
    cpose_nms_opts_val(&o, 1);
    check_parity(f, pred, dims[1], dims[2], "nms_val_conf0.001_iou0.7", &o);
    cpose_nms_opts_predict(&o, 1);
    check_parity(f, pred, dims[1], dims[2], "nms_predict_conf0.25_iou0.7", &o);
    /* The predict set is empty: the best score of the fixture must sit below 0.25 and above 0.001. */
    float best = 0;
    for (int a = 0; a < 8400; a++)
        if (pred[4 * 8400 + a] > best) best = pred[4 * 8400 + a];
    CHECK(best > 0.001f && best <= 0.25f);
    cpose_free(pred);
    cpose_h5_close(f);
}

/* Two classes, no extra channels: anchors {cx, cy, w, h, s0, s1}. */
static void test_hand(void)
{
    const float an[] = {
        50, 50, 20, 20, 0.90f, 0.10f, /* a0: class 0, box [40,40,60,60] */
        52, 50, 20, 20, 0.10f, 0.80f, /* a1: class 1, IoU with a0 = 18*20/(800-360) = 0.818 */
        51, 50, 20, 20, 0.70f, 0.05f, /* a2: class 0, IoU with a0 = 19/21 = 0.905 → suppressed */
        200, 200, 10, 10, 0.20f, 0.30f, /* a3: isolated, class 1 */
        300, 300, 10, 10, 0.24f, 0.01f, /* a4: below conf 0.25 */
    };
    float *p = make_pred(an, 5, 6);
    struct cpose_nms_opts o;
    cpose_nms_opts_predict(&o, 2);
    float *r = NULL;
    int64_t n = 0;
    CHECK(cpose_nms(p, 6, 5, &o, &r, &n) == CPOSE_OK);
    /* Per class: a0 (0.9), a1 (0.8), a3 (0.3); a2 suppressed by a0, a4 under conf. */
    CHECK(n == 3);
    if (n == 3) {
        CHECK_NEAR(r[0], 40, 1e-6); CHECK_NEAR(r[1], 40, 1e-6); CHECK_NEAR(r[2], 60, 1e-6); CHECK_NEAR(r[3], 60, 1e-6);
        CHECK_NEAR(r[4], 0.9, 1e-6); CHECK(r[5] == 0);
        CHECK_NEAR(r[6 + 0], 42, 1e-6); CHECK_NEAR(r[6 + 4], 0.8, 1e-6); CHECK(r[6 + 5] == 1);
        CHECK_NEAR(r[12 + 0], 195, 1e-6); CHECK_NEAR(r[12 + 4], 0.3, 1e-6); CHECK(r[12 + 5] == 1);
    }
    cpose_free(r);

    /* Agnostic: a1 overlaps a0 by 0.818 > 0.7 and goes too. */
    o.agnostic = 1;
    CHECK(cpose_nms(p, 6, 5, &o, &r, &n) == CPOSE_OK);
    CHECK(n == 2);
    if (n == 2) { CHECK_NEAR(r[4], 0.9, 1e-6); CHECK_NEAR(r[6 + 4], 0.3, 1e-6); }
    cpose_free(r);

    /* Agnostic with iou 0.85: a1 (0.818) stays, a2 (0.905) still goes. */
    o.iou = 0.85;
    CHECK(cpose_nms(p, 6, 5, &o, &r, &n) == CPOSE_OK);
    CHECK(n == 3);
    cpose_free(r);

    /* max_det cuts after the score order. */
    cpose_nms_opts_predict(&o, 2);
    o.max_det = 2;
    CHECK(cpose_nms(p, 6, 5, &o, &r, &n) == CPOSE_OK);
    CHECK(n == 2);
    if (n == 2) { CHECK_NEAR(r[4], 0.9, 1e-6); CHECK_NEAR(r[6 + 4], 0.8, 1e-6); }
    cpose_free(r);

    /* classes=[1] keeps class-1 rows only. */
    cpose_nms_opts_predict(&o, 2);
    o.n_classes = 1;
    o.classes[0] = 1;
    CHECK(cpose_nms(p, 6, 5, &o, &r, &n) == CPOSE_OK);
    CHECK(n == 2);
    if (n == 2) { CHECK(r[5] == 1 && r[6 + 5] == 1); CHECK_NEAR(r[4], 0.8, 1e-6); }
    cpose_free(r);

    /* conf threshold is strict: conf 0.3 drops a3 (0.30 is not > 0.30 in float). */
    cpose_nms_opts_predict(&o, 2);
    o.conf = 0.3f;
    CHECK(cpose_nms(p, 6, 5, &o, &r, &n) == CPOSE_OK);
    CHECK(n == 2);
    cpose_free(r);
    /* conf 0.2 lets a4 in (0.24). */
    o.conf = 0.2;
    CHECK(cpose_nms(p, 6, 5, &o, &r, &n) == CPOSE_OK);
    CHECK(n == 4);
    cpose_free(r);

    /* multi_label (val): a0 class 0 (0.9), a1 class 1 (0.8), a2 class 0 suppressed, a3 class 1 (0.3)
     * and class 0 (0.2) at conf 0.15, a4 class 0 (0.24) → 5 rows. */
    cpose_nms_opts_val(&o, 2);
    o.conf = 0.15;
    CHECK(cpose_nms(p, 6, 5, &o, &r, &n) == CPOSE_OK);
    CHECK_MSG(n == 5, "n = %lld", (long long)n);
    if (n == 5) {
        CHECK_NEAR(r[3 * 6 + 4], 0.24, 1e-6);
        CHECK_NEAR(r[4 * 6 + 4], 0.2, 1e-6); CHECK(r[4 * 6 + 5] == 0);
    }
    cpose_free(r);

    /* Bad input: nc larger than the channels. */
    cpose_nms_opts_predict(&o, 9);
    CHECK(cpose_nms(p, 6, 5, &o, &r, &n) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "channels");
    cpose_free(p);
}

/* Extra channels (keypoints) travel with their box; equal scores keep candidate order. */
static void test_extra_and_ties(void)
{
    const float an[] = {
        10, 10, 4, 4, 0.5f, 7, 8, 0.9f,
        100, 100, 4, 4, 0.5f, 1, 2, 0.3f,
        10, 11, 4, 4, 0.6f, 5, 6, 0.1f,
    };
    float *p = make_pred(an, 3, 8);
    struct cpose_nms_opts o;
    cpose_nms_opts_predict(&o, 1);
    float *r = NULL;
    int64_t n = 0;
    CHECK(cpose_nms(p, 8, 3, &o, &r, &n) == CPOSE_OK);
    /* a2 (0.6) first, suppresses a0 (IoU 12/20 = 0.6 < 0.7: kept!), a1 (tie 0.5 with a0, later index). */
    CHECK(n == 3);
    if (n == 3) {
        CHECK_NEAR(r[4], 0.6, 1e-6); CHECK_NEAR(r[6], 5, 0); CHECK_NEAR(r[8], 0.1, 1e-6);
        CHECK_NEAR(r[9 + 6], 7, 0); CHECK_NEAR(r[18 + 6], 1, 0); CHECK_NEAR(r[18 + 8], 0.3, 1e-6);
    }
    cpose_free(r);
    o.iou = 0.5; /* now a0 goes */
    CHECK(cpose_nms(p, 8, 3, &o, &r, &n) == CPOSE_OK);
    CHECK(n == 2);
    if (n == 2) CHECK_NEAR(r[9 + 6], 1, 0);
    cpose_free(r);
    cpose_free(p);
}

/* IoU exactly at the threshold is kept (strict >), just above is suppressed; via cpose_nms_boxes. */
static void test_threshold_edge(void)
{
    const float boxes[] = {0, 0, 4, 1, 0, 0, 2, 1, 10, 10, 11, 11}; /* IoU(0,1) = 2/4 = 0.5 exactly */
    const float scores[] = {0.9f, 0.8f, 0.7f};
    int64_t keep[3];
    CHECK(cpose_nms_boxes(boxes, scores, 3, 0.5, keep) == 3);
    CHECK(cpose_nms_boxes(boxes, scores, 3, 0.4999999, keep) == 2);
    CHECK(keep[0] == 0 && keep[1] == 2);
    /* 0.5 + 1e-9 is not a float: the float IoU 0.5 is still not above it. */
    CHECK(cpose_nms_boxes(boxes, scores, 3, 0.500000001, keep) == 3);
    const float tied[] = {0.5f, 0.5f, 0.5f};
    CHECK(cpose_nms_boxes(boxes, tied, 3, 0.3, keep) == 2);
    CHECK(keep[0] == 0 && keep[1] == 2); /* ties in index order */
}

int main(void)
{
    test_threshold_edge();
    test_hand();
    test_extra_and_ties();
    test_parity();
    return tl_finish();
}
