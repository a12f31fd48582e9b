/* tests/test_cocoeval_cases.c — hand-computed COCOeval cases on in-memory COCO structs: a perfect
 * detection, a duplicate, a crowd region, a num_keypoints 0 person, results without bbox, an image
 * without GT, score ties, and one OKS value worked out by hand. */
/* cpose-layer: eval */
#include <omp.h>

#include "core/base/alloc.h"
#include "eval/cocoeval.h"
#include "tests/testlib.h"

/* ---- a tiny in-memory COCO builder (memory freed by cpose_coco_free) ---- */

static void coco_init(struct cpose_coco *c, int n_images, int is_results)
{
    memset(c, 0, sizeof *c);
    c->is_results = is_results;
    c->path = cpose_strdup(is_results ? "mem-dt.json" : "mem-gt.json");
    if (!is_results) {
        c->n_images = (size_t)n_images;
        c->images = cpose_calloc((size_t)n_images + 1, sizeof *c->images);
        for (int i = 0; i < n_images; i++) { c->images[i].id = i + 1; c->images[i].has_id = 1; }
        c->n_categories = 1;
        c->categories = cpose_calloc(1, sizeof *c->categories);
        c->categories[0].id = 1;
    }
    c->anns = cpose_calloc(64, sizeof *c->anns);
    c->kpt_values = cpose_calloc(64 * 51, sizeof(double));
}

/* Adds an annotation/result; bbox NULL = none; kpts NULL = none (51 values otherwise). */
static struct cpose_coco_ann *coco_add(struct cpose_coco *c, int64_t image_id, const double *bbox, double area,
                                       double score, const double *kpts)
{
    struct cpose_coco_ann *a = &c->anns[c->n_anns];
    a->id = (int64_t)c->n_anns + 1;
    a->image_id = image_id;
    a->category_id = 1;
    a->has_id = a->has_image_id = a->has_category_id = 1;
    a->num_keypoints = -1;
    if (bbox) { memcpy(a->bbox, bbox, sizeof a->bbox); a->has_bbox = 1; }
    if (area >= 0) { a->area = area; a->has_area = 1; }
    if (score >= 0) { a->score = score; a->has_score = 1; }
    if (kpts) {
        a->kpt_offset = c->n_kpt_values;
        a->n_kpt_values = 51;
        a->has_keypoints = 1;
        memcpy(c->kpt_values + c->n_kpt_values, kpts, 51 * sizeof(double));
        c->n_kpt_values += 51;
        int nv = 0;
        for (int k = 0; k < 17; k++) nv += kpts[3 * k + 2] > 0;
        a->num_keypoints = nv;
    }
    c->n_anns++;
    return a;
}

/* 17 keypoints spread over a box (x, y, w, h), visibility v. */
static void person_kpts(double *k, double x, double y, double w, double h, double v)
{
    for (int j = 0; j < 17; j++) {
        k[3 * j] = x + w * (j % 4) / 3.0;
        k[3 * j + 1] = y + h * (j / 4) / 4.0;
        k[3 * j + 2] = v;
    }
}

static struct cpose_cocoeval run(const struct cpose_coco *gt, const struct cpose_coco *dt, enum cpose_iou_type t)
{
    struct cpose_cocoeval_params p;
    cpose_cocoeval_default_params(&p, t);
    struct cpose_cocoeval e;
    int rc = cpose_cocoeval_run(gt, dt, &p, &e);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    return e;
}

static const double box100[4] = {0, 0, 100, 100};

static void test_perfect(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 1, 0);
    coco_init(&dt, 0, 1);
    coco_add(&gt, 1, box100, 10000, -1, NULL);
    coco_add(&dt, 1, box100, -1, 0.9, NULL);
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_BBOX);
    const double want[12] = {1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1, 1};
    for (int i = 0; i < 12; i++) CHECK_NEAR(e.stats[i], want[i], 1e-12);
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* No results at all: 0 where the area range has GT, -1 where it has none. */
static void test_empty_results(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 2, 0);
    coco_init(&dt, 0, 1);
    coco_add(&gt, 1, box100, 10000, -1, NULL);
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_BBOX);
    const double want[12] = {0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1, 0};
    for (int i = 0; i < 12; i++) CHECK_NEAR(e.stats[i], want[i], 0);
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* Degenerate inputs: no images or no categories give all -1, not a crash. */
static void test_degenerate(void)
{
    struct cpose_coco gt, dt;
    memset(&gt, 0, sizeof gt);
    memset(&dt, 0, sizeof dt);
    dt.is_results = 1;
    for (int t = 0; t < 2; t++) {
        struct cpose_cocoeval e = run(&gt, &dt, t ? CPOSE_IOU_KEYPOINTS : CPOSE_IOU_BBOX);
        CHECK(e.n_stats == (t ? 10 : 12));
        for (int i = 0; i < e.n_stats; i++) CHECK_NEAR(e.stats[i], -1, 0);
        cpose_cocoeval_free(&e);
    }
    coco_init(&gt, 1, 0);
    gt.n_categories = 0;
    coco_add(&gt, 1, box100, 10000, -1, NULL);
    coco_init(&dt, 0, 1);
    coco_add(&dt, 1, box100, -1, 0.5, NULL);
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_BBOX);
    CHECK_NEAR(e.stats[0], -1, 0);
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* A worse duplicate ranked first (IoU 0.62): matched at t = .50, .55, .60, a false positive above. */
static void test_duplicate(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 1, 0);
    coco_init(&dt, 0, 1);
    coco_add(&gt, 1, box100, 10000, -1, NULL);
    const double b62[4] = {0, 0, 62, 100};
    coco_add(&dt, 1, b62, -1, 0.9, NULL);
    coco_add(&dt, 1, box100, -1, 0.8, NULL);
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_BBOX);
    CHECK_NEAR(e.stats[0], (3 * 1.0 + 7 * 0.5) / 10, 1e-15); /* precision 1/2 at every recall for t > .62 */
    CHECK_NEAR(e.stats[1], 1, 1e-12);
    CHECK_NEAR(e.stats[2], 0.5, 0);
    CHECK_NEAR(e.stats[6], 0.3, 1e-15); /* AR@1: only the 0.62 box, recalled at 3 of 10 thresholds */
    CHECK_NEAR(e.stats[7], 1, 1e-12);
    int r, c;
    const double *m = cpose_cocoeval_ious(&e, 1, 1, &r, &c);
    CHECK(r == 2 && c == 1);
    if (m) { CHECK_NEAR(m[0], 0.62, 1e-15); CHECK_NEAR(m[1], 1, 1e-12); }
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* A high-scoring detection inside a crowd region is ignored (crowd IoU = intersection / det area). */
static void test_crowd(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 1, 0);
    coco_init(&dt, 0, 1);
    coco_add(&gt, 1, box100, 10000, -1, NULL);
    const double crowd[4] = {150, 150, 200, 200}, inside[4] = {200, 200, 10, 10};
    coco_add(&gt, 1, crowd, 40000, -1, NULL)->iscrowd = 1;
    coco_add(&dt, 1, inside, -1, 0.95, NULL);
    coco_add(&dt, 1, box100, -1, 0.9, NULL);
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_BBOX);
    CHECK_NEAR(e.stats[0], 1, 1e-12);
    int r, c;
    const double *m = cpose_cocoeval_ious(&e, 1, 1, &r, &c);
    CHECK(r == 2 && c == 2);
    if (m) CHECK_NEAR(m[1], 1.0, 0); /* 100 / 100, not 100 / 40000 */
    cpose_cocoeval_free(&e);
    /* without the crowd flag the same detection is a false positive ranked first */
    gt.anns[1].iscrowd = 0;
    e = run(&gt, &dt, CPOSE_IOU_BBOX);
    CHECK(e.stats[0] < 0.6);
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* Keypoints: a num_keypoints 0 person is ignored; a result on it (OKS 1 by the box-region rule)
 * is ignored too; one keypoint off by 12 px gives the OKS worked out by hand. */
static void test_kpts_zero_person(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 1, 0);
    coco_init(&dt, 0, 1);
    double k[51], z[51], d[51];
    person_kpts(k, 10, 10, 80, 80, 2);
    memset(z, 0, sizeof z);
    coco_add(&gt, 1, box100, 10000, -1, k);
    const double b2[4] = {300, 300, 50, 50};
    coco_add(&gt, 1, b2, 2500, -1, z);
    person_kpts(d, 310, 310, 30, 30, 1); /* inside [x - w, x + 2w] of the unlabelled person */
    coco_add(&dt, 1, NULL, -1, 0.99, d);
    memcpy(d, k, sizeof d);
    d[0] += 12; /* nose 12 px off */
    coco_add(&dt, 1, NULL, -1, 0.9, d);
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_KEYPOINTS);
    int r, c;
    const double *m = cpose_cocoeval_ious(&e, 1, 1, &r, &c);
    CHECK(r == 2 && c == 2);
    /* e = d² / (2σ)² / (area + eps) / 2 with σ = 0.026, d = 12, area = 10000 */
    double e0 = 144.0 / (0.052 * 0.052) / 10000.0 / 2.0, want = (16.0 + exp(-e0)) / 17.0;
    if (m) {
        CHECK_NEAR(m[0 * 2 + 1], 1.0, 0); /* result 0 on the unlabelled person */
        CHECK_NEAR(m[1 * 2 + 0], want, 1e-12);
    }
    /* want ≈ 0.9453: matched at every threshold below it (.50 … .90 → 9 of 10), the 0.99 result ignored */
    CHECK_NEAR(e.stats[0], 0.9, 1e-15);
    CHECK_NEAR(e.stats[1], 1, 1e-12);
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* Results without bbox: the box and area come from the keypoint extent (here 50 × 50 = 2500, medium). */
static void test_no_bbox(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 1, 0);
    coco_init(&dt, 0, 1);
    double k[51], far[51];
    person_kpts(k, 0, 0, 40, 40, 2);
    const double b[4] = {0, 0, 45, 45};
    coco_add(&gt, 1, b, 2000, -1, k); /* medium */
    person_kpts(far, 500, 500, 50, 50, 1);
    coco_add(&dt, 1, NULL, -1, 0.9, far);
    coco_add(&dt, 1, NULL, -1, 0.5, k);
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_KEYPOINTS);
    CHECK_NEAR(e.stats[0], 0.5, 0);  /* all: a false positive first */
    CHECK_NEAR(e.stats[3], 0.5, 0);  /* medium: 2500 is inside [32², 96²], still counted */
    CHECK_NEAR(e.stats[4], -1, 0);   /* large: no GT */
    cpose_cocoeval_free(&e);
    /* with 200 × 200 keypoint extent (40000) the stray result falls outside medium and is ignored */
    person_kpts(dt.kpt_values, 500, 500, 200, 200, 1);
    e = run(&gt, &dt, CPOSE_IOU_KEYPOINTS);
    CHECK_NEAR(e.stats[3], 1, 1e-12);
    cpose_cocoeval_free(&e);
    /* bbox evaluation of keypoint-only results: the box is the keypoint extent */
    gt.anns[0].bbox[2] = gt.anns[0].bbox[3] = 40; /* = the extent of k */
    e = run(&gt, &dt, CPOSE_IOU_BBOX);
    int r, c;
    const double *m = cpose_cocoeval_ious(&e, 1, 1, &r, &c);
    CHECK(r == 2 && c == 1);
    if (m) CHECK_NEAR(m[1], 1.0, 1e-15);
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* A result on an image without GT is a false positive; an image with neither counts for nothing.
 * Equal scores keep image order (ids sorted), not file order. */
static void test_no_gt_and_ties(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 3, 0);
    coco_init(&dt, 0, 1);
    coco_add(&gt, 2, box100, 10000, -1, NULL);
    coco_add(&dt, 2, box100, -1, 0.8, NULL); /* true positive, first in the file */
    coco_add(&dt, 1, box100, -1, 0.8, NULL); /* image 1 has no GT: false positive, same score */
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_BBOX);
    CHECK_NEAR(e.stats[0], 0.5, 0); /* image 1 sorts first: precision 1/2 at recall 1 */
    CHECK_NEAR(e.stats[8], 1, 1e-12);
    cpose_cocoeval_free(&e);
    /* the same with the false positive scored lower: AP 1 */
    dt.anns[1].score = 0.7;
    e = run(&gt, &dt, CPOSE_IOU_BBOX);
    CHECK_NEAR(e.stats[0], 1, 1e-12);
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* Two categories are evaluated separately and averaged; a result whose category is not in the GT
 * categories is not evaluated. */
static void test_categories(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 1, 0);
    coco_init(&dt, 0, 1);
    gt.n_categories = 2;
    gt.categories = cpose_realloc(gt.categories, 2 * sizeof *gt.categories);
    memset(&gt.categories[1], 0, sizeof gt.categories[1]);
    gt.categories[1].id = 2;
    const double far[4] = {300, 300, 100, 100};
    coco_add(&gt, 1, box100, 10000, -1, NULL);
    coco_add(&gt, 1, far, 10000, -1, NULL)->category_id = 2;
    coco_add(&dt, 1, box100, -1, 0.9, NULL);                     /* cat 1: perfect */
    coco_add(&dt, 1, box100, -1, 0.8, NULL)->category_id = 2;    /* cat 2: false positive first */
    coco_add(&dt, 1, far, -1, 0.7, NULL)->category_id = 2;       /* cat 2: then the true one */
    coco_add(&dt, 1, box100, -1, 0.99, NULL)->category_id = 3;   /* not a GT category: not evaluated */
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_BBOX);
    CHECK(e.n_cat == 2);
    CHECK_NEAR(e.stats[0], (1.0 + 0.5) / 2, 1e-12);
    CHECK_NEAR(e.stats[6], (1.0 + 0.0) / 2, 1e-12); /* AR@1: category 2's top result is the false one */
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* The same random problem gives bit-identical tables with 1 and 2 threads. */
static void test_threads(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 60, 0);
    coco_init(&dt, 0, 1);
    cpose_free(dt.anns);
    cpose_free(gt.anns);
    gt.anns = cpose_calloc(200, sizeof *gt.anns);
    dt.anns = cpose_calloc(3000, sizeof *dt.anns);
    unsigned s = 12345;
#define RND() ((s = s * 1103515245u + 12345u) >> 8 & 0xffff) / 65536.0
    for (int i = 0; i < 60; i++) {
        int ng = (int)(RND() * 4);
        for (int j = 0; j < ng; j++) {
            double b[4] = {RND() * 400, RND() * 300, 10 + RND() * 150, 10 + RND() * 200};
            coco_add(&gt, i + 1, b, b[2] * b[3] * 0.7, -1, NULL)->iscrowd = RND() < 0.05;
        }
        int nd = (int)(RND() * 45);
        for (int j = 0; j < nd; j++) {
            double b[4] = {RND() * 400, RND() * 300, 10 + RND() * 150, 10 + RND() * 200};
            coco_add(&dt, i + 1, b, -1, (int)(RND() * 20) / 20.0, NULL); /* many tied scores */
        }
    }
#undef RND
    omp_set_num_threads(1);
    struct cpose_cocoeval e1 = run(&gt, &dt, CPOSE_IOU_BBOX);
    omp_set_num_threads(2);
    struct cpose_cocoeval e2 = run(&gt, &dt, CPOSE_IOU_BBOX);
    size_t n = (size_t)10 * 101 * 1 * 4 * 3;
    CHECK(memcmp(e1.precision, e2.precision, n * sizeof(double)) == 0);
    CHECK(memcmp(e1.stats, e2.stats, sizeof e1.stats) == 0);
    CHECK(e1.stats[0] > 0 && e1.stats[0] < 1);
    cpose_cocoeval_free(&e1);
    cpose_cocoeval_free(&e2);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* Five keypoints: sigmas default to 1/5 each, or come from the parameters. */
static void test_five_keypoints(void)
{
    struct cpose_coco gt, dt;
    coco_init(&gt, 1, 0);
    coco_init(&dt, 0, 1);
    double gk[15], dk[15];
    for (int j = 0; j < 5; j++) { gk[3 * j] = 10 + 15 * j; gk[3 * j + 1] = 20 + 10 * j; gk[3 * j + 2] = 2; }
    memcpy(dk, gk, sizeof dk);
    dk[3] += 30; /* keypoint 1 is 30 px off */
    struct cpose_coco_ann *g = coco_add(&gt, 1, box100, 10000, -1, NULL), *d = coco_add(&dt, 1, NULL, -1, 0.9, NULL);
    memcpy(gt.kpt_values, gk, sizeof gk);
    g->kpt_offset = 0; g->n_kpt_values = 15; g->has_keypoints = 1; g->num_keypoints = 5;
    memcpy(dt.kpt_values, dk, sizeof dk);
    d->kpt_offset = 0; d->n_kpt_values = 15; d->has_keypoints = 1;
    struct cpose_cocoeval e = run(&gt, &dt, CPOSE_IOU_KEYPOINTS);
    int r, c;
    const double *m = cpose_cocoeval_ious(&e, 1, 1, &r, &c);
    CHECK(r == 1 && c == 1 && e.params.n_kpt == 5);
    /* σ = 1/5: e = 900 / 0.4² / 10000 / 2 = 0.28125 */
    if (m) CHECK_NEAR(m[0], (4 + exp(-0.28125)) / 5, 1e-12);
    cpose_cocoeval_free(&e);
    struct cpose_cocoeval_params p;
    cpose_cocoeval_default_params(&p, CPOSE_IOU_KEYPOINTS);
    p.sigmas_set = 1;
    for (int j = 0; j < 5; j++) p.sigmas[j] = 0.5; /* e = 900 / 1 / 10000 / 2 = 0.045 */
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_OK);
    m = cpose_cocoeval_ious(&e, 1, 1, &r, &c);
    if (m) CHECK_NEAR(m[0], (4 + exp(-0.045)) / 5, 1e-12);
    cpose_cocoeval_free(&e);
    /* a result with 17 keypoints against 5-keypoint GT is refused, naming the counts */
    d->n_kpt_values = 51;
    cpose_cocoeval_default_params(&p, CPOSE_IOU_KEYPOINTS);
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "51 keypoint values; 15 expected");
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

static void test_sum(void)
{
    double a[300];
    for (int i = 0; i < 300; i++) a[i] = 0.1 * (i % 7);
    double s = 0;
    for (int i = 0; i < 300; i++) s += a[i];
    CHECK_NEAR(cpose_np_sum(a, 300), s, 1e-11);
    CHECK_NEAR(cpose_np_sum(a, 5), 0.0 + 0.1 + 0.2 + 0.30000000000000004 + 0.4, 1e-15);
}

int main(void)
{
    test_perfect();
    test_empty_results();
    test_degenerate();
    test_duplicate();
    test_crowd();
    test_kpts_zero_person();
    test_no_bbox();
    test_no_gt_and_ties();
    test_categories();
    test_threads();
    test_five_keypoints();
    test_sum();
    return tl_finish();
}
