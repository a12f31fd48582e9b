/* tests/test_cocoeval_accumulate.c — COCOeval on a generated problem large enough that most true
 * positives fall between two recall points (about 1,000 GT in two categories, 4,000 results with
 * score ties, crowd regions, all area ranges): the precision, recall and score tables and the stats
 * must hash to the values pycocotools' array-based accumulate gave (recorded from the implementation
 * that stored rc/pr per result, cpose before the one-pass accumulate: this file linked against the
 * libraries of main at c80289e). Any change of a single bit in
 * those tables changes the hash. A second problem ends its score order with a run of true positives
 * after the last recall point (150 GT, the 50 best results false). */
/* cpose-layer: eval */
#include <stdint.h>

#include "core/base/alloc.h"
#include "eval/cocoeval.h"
#include "tests/testlib.h"

/* The generated problems must be the same bits in every build: with -march=native GCC would fuse
 * a*b + c into an fma where it chooses, and the sanitizer build chooses differently (the scores of
 * the rising tail came out one unit apart), so the generator below is compiled without fusing. The
 * library under test is compiled as usual. */
#pragma GCC optimize("fp-contract=off")

enum { N_IMAGES = 300, MAX_GT = 6, MAX_DT = 15 };

static double uniform(void) { return (double)(tl_rand_u64() >> 11) / 9007199254740992.0; }

static void person_kpts(double *k, const double *box, double jitter)
{
    for (int j = 0; j < 17; j++) {
        k[3 * j] = box[0] + box[2] * (j % 4) / 3.0 + jitter * (uniform() - 0.5);
        k[3 * j + 1] = box[1] + box[3] * (j / 4) / 4.0 + jitter * (uniform() - 0.5);
        k[3 * j + 2] = (j * 7 + (int)(tl_rand_u64() % 5)) % 3 ? 2 : 0;
    }
}

static struct cpose_coco_ann *add(struct cpose_coco *c, int64_t image_id, int64_t cat, const double *box,
                                  const double *kpts)
{
    struct cpose_coco_ann *a = &c->anns[c->n_anns];
    a->id = (int64_t)c->n_anns + 1;
    a->image_id = image_id;
    a->category_id = cat;
    a->has_id = a->has_image_id = a->has_category_id = a->has_bbox = a->has_keypoints = 1;
    memcpy(a->bbox, box, sizeof a->bbox);
    a->kpt_offset = c->n_kpt_values;
    a->n_kpt_values = 51;
    memcpy(c->kpt_values + c->n_kpt_values, kpts, 51 * sizeof(double));
    c->n_kpt_values += 51;
    c->n_anns++;
    return a;
}

/* Empty GT (images 1..n_images, categories 1..n_cats) and results with room for max_gt and max_dt
 * annotations. */
static void problem_init(struct cpose_coco *gt, struct cpose_coco *dt, int n_images, int n_cats, int max_gt,
                         int max_dt)
{
    memset(gt, 0, sizeof *gt);
    memset(dt, 0, sizeof *dt);
    gt->path = cpose_strdup("gen-gt.json");
    dt->path = cpose_strdup("gen-dt.json");
    dt->is_results = 1;
    gt->n_images = (size_t)n_images;
    gt->images = cpose_calloc((size_t)n_images, sizeof *gt->images);
    for (int i = 0; i < n_images; i++) gt->images[i].id = i + 1, gt->images[i].has_id = 1;
    gt->n_categories = (size_t)n_cats;
    gt->categories = cpose_calloc((size_t)n_cats, sizeof *gt->categories);
    for (int c = 0; c < n_cats; c++) gt->categories[c].id = c + 1;
    gt->anns = cpose_calloc((size_t)max_gt, sizeof *gt->anns);
    gt->kpt_values = cpose_calloc((size_t)max_gt * 51, sizeof(double));
    dt->anns = cpose_calloc((size_t)max_dt, sizeof *dt->anns);
    dt->kpt_values = cpose_calloc((size_t)max_dt * 51, sizeof(double));
}

static void build(struct cpose_coco *gt, struct cpose_coco *dt)
{
    problem_init(gt, dt, N_IMAGES, 2, N_IMAGES * MAX_GT, N_IMAGES * MAX_DT);
    double k[51];
    for (int i = 1; i <= N_IMAGES; i++) {
        int ng = 1 + (int)(tl_rand_u64() % MAX_GT), first = (int)gt->n_anns;
        for (int g = 0; g < ng; g++) {
            double side = 8 + 200 * uniform() * uniform(); /* small, medium and large */
            double box[4] = {400 * uniform(), 300 * uniform(), side * (0.5 + uniform()), side * (0.5 + uniform())};
            person_kpts(k, box, 0);
            struct cpose_coco_ann *a = add(gt, i, 1 + (int64_t)(tl_rand_u64() % 2), box, k);
            a->area = box[2] * box[3] * (0.6 + 0.4 * uniform()), a->has_area = 1;
            a->iscrowd = tl_rand_u64() % 23 == 0, a->has_iscrowd = 1;
            a->num_keypoints = 0;
            for (int j = 0; j < 17; j++) a->num_keypoints += k[3 * j + 2] > 0;
        }
        int nd = (int)(tl_rand_u64() % MAX_DT);
        for (int d = 0; d < nd; d++) {
            double box[4];
            const struct cpose_coco_ann *g = &gt->anns[first + (int)(tl_rand_u64() % (uint64_t)ng)];
            double jitter = d % 3 == 2 ? 1.0 : 0.25 * uniform(); /* near a GT, or a poor guess */
            for (int q = 0; q < 4; q++) box[q] = g->bbox[q] * (1 + jitter * (uniform() - 0.5)) + 2 * (uniform() - 0.5);
            if (box[2] < 1) box[2] = 1;
            if (box[3] < 1) box[3] = 1;
            person_kpts(k, box, jitter * 20);
            for (int j = 0; j < 17; j++) k[3 * j + 2] = uniform();
            struct cpose_coco_ann *a = add(dt, i, d % 5 ? g->category_id : 1 + (int64_t)(tl_rand_u64() % 2), box, k);
            a->score = (double)(tl_rand_u64() % 200) / 200.0, a->has_score = 1; /* many ties */
        }
    }
}

/* 150 images with one GT each; results: 50 false ones with the best scores, then 148 exact ones. */
static void build_rising_tail(struct cpose_coco *gt, struct cpose_coco *dt)
{
    enum { N = 150, FALSE_ONES = 50, TRUE_ONES = 148 };
    problem_init(gt, dt, N, 1, N, FALSE_ONES + TRUE_ONES);
    double k[51], box[4] = {10, 10, 50, 80}, away[4] = {300, 300, 50, 80};
    person_kpts(k, box, 0);
    for (int i = 1; i <= N; i++) {
        struct cpose_coco_ann *a = add(gt, i, 1, box, k);
        a->area = box[2] * box[3], a->has_area = 1, a->num_keypoints = 17;
    }
    for (int d = 0; d < FALSE_ONES; d++) {
        struct cpose_coco_ann *a = add(dt, 1 + d, 1, away, k);
        a->score = 0.9 + d * 1e-4, a->has_score = 1;
    }
    for (int d = 0; d < TRUE_ONES; d++) {
        struct cpose_coco_ann *a = add(dt, 1 + d, 1, box, k);
        a->score = 0.5 - d * 1e-3, a->has_score = 1;
    }
}

/* FNV-1a over the tables' bytes and the stats. */
static uint64_t hash_eval(const struct cpose_cocoeval *e)
{
    const struct cpose_cocoeval_params *p = &e->params;
    size_t trkam = (size_t)p->n_iou * p->n_rec * e->n_cat * p->n_area * p->n_max_dets;
    size_t tkam = (size_t)p->n_iou * e->n_cat * p->n_area * p->n_max_dets;
    struct { const void *p; size_t n; } parts[] = {{e->precision, trkam * sizeof(double)},
                                                   {e->scores, trkam * sizeof(double)},
                                                   {e->recall, tkam * sizeof(double)},
                                                   {e->stats, (size_t)e->n_stats * sizeof(double)}};
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t q = 0; q < sizeof parts / sizeof parts[0]; q++)
        for (size_t i = 0; i < parts[q].n; i++) h = (h ^ ((const unsigned char *)parts[q].p)[i]) * 0x100000001b3ull;
    return h;
}

static void check_hashes(void (*make)(struct cpose_coco *, struct cpose_coco *), const char *what, uint64_t want_bbox,
                         uint64_t want_kpts)
{
    struct cpose_coco gt, dt;
    make(&gt, &dt);
    for (int c = 0; c < 2; c++) {
        struct cpose_cocoeval_params p;
        cpose_cocoeval_default_params(&p, c == 0 ? CPOSE_IOU_BBOX : CPOSE_IOU_KEYPOINTS);
        struct cpose_cocoeval e;
        CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_OK);
        uint64_t h = hash_eval(&e), want = c == 0 ? want_bbox : want_kpts;
        CHECK_MSG(h == want, "%s, %s: tables hash to 0x%016llxull, want 0x%016llxull (AP %.6f)", what,
                  c == 0 ? "bbox" : "keypoints", (unsigned long long)h, (unsigned long long)want, e.stats[0]);
        cpose_cocoeval_free(&e);
    }
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

static void test_tables(void)
{
    check_hashes(build, "generated problem", 0xb1e68d6ae458d131ull, 0xbcbeacc2b209171bull);
    check_hashes(build_rising_tail, "rising tail", 0x5beacfbae0ab0c88ull, 0x1f341df5a14a2fadull);
}

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    tl_rng_state = 0x2545F4914F6CDD1Dull;
    TL_GENERATED(test_tables());
    return tl_finish();
}
