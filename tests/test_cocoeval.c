/* tests/test_cocoeval.c — COCOeval parity with pycocotools on fixtures/cocoeval (stats, per-threshold
 * AP, per-image OKS/IoU matrices, summary lines) and input errors through the real loader. */
/* cpose-layer: eval */
#include <cjson/cJSON.h>

#include "core/base/alloc.h"
#include "eval/cocoeval.h"
#include "core/base/fsutil.h"
#include "tests/testlib.h"

static cJSON *load_ref(void)
{
    char *buf = NULL;
    size_t len = 0;
    if (cpose_read_file(tl_fixture("cocoeval/ref_stats.json"), &buf, &len) != CPOSE_OK) return NULL;
    cJSON *j = cJSON_Parse(buf);
    cpose_free(buf);
    return j;
}

static void check_against(const char *tag, const struct cpose_cocoeval *e, const cJSON *ref)
{
    const cJSON *stats = cJSON_GetObjectItem(ref, "stats");
    CHECK(cJSON_GetArraySize(stats) == e->n_stats);
    for (int i = 0; i < e->n_stats; i++) {
        double want = cJSON_GetArrayItem(stats, i)->valuedouble;
        CHECK_MSG(fabs(e->stats[i] - want) <= 1e-9, "%s stat %d: %.17g vs %.17g", tag, i, e->stats[i], want);
    }
    const cJSON *lines = cJSON_GetObjectItem(ref, "summary_lines");
    for (int i = 0; i < e->n_stats; i++) {
        char line[160];
        cpose_cocoeval_summary_line(e, i, line, sizeof line);
        const char *want = cJSON_GetArrayItem(lines, i)->valuestring;
        CHECK_MSG(strcmp(line, want) == 0, "%s line %d:\n'%s'\n'%s'", tag, i, line, want);
    }
    const cJSON *apt = cJSON_GetObjectItem(ref, "AP_per_threshold_areaAll_maxDetsLast");
    for (int t = 0; t < e->params.n_iou; t++) {
        double got = cpose_cocoeval_ap_at(e, t, 0, e->params.n_max_dets - 1);
        double want = cJSON_GetArrayItem(apt, t)->valuedouble;
        CHECK_MSG(fabs(got - want) <= 1e-9, "%s AP@t%d: %.17g vs %.17g", tag, t, got, want);
    }
    const cJSON *ious = cJSON_GetObjectItem(ref, "ious_per_image_dt_sorted_by_score_x_gt");
    int n_mat = 0;
    for (const cJSON *img = ious->child; img; img = img->next) {
        int64_t id = strtoll(img->string, NULL, 10);
        int rows, cols;
        const double *m = cpose_cocoeval_ious(e, id, 1, &rows, &cols);
        CHECK_MSG(rows == cJSON_GetArraySize(img), "%s image %lld rows %d", tag, (long long)id, rows);
        int bad = 0;
        for (int i = 0; i < rows && i < cJSON_GetArraySize(img); i++) {
            const cJSON *row = cJSON_GetArrayItem(img, i);
            if (cJSON_GetArraySize(row) != cols) { bad++; continue; }
            for (int j = 0; j < cols; j++)
                if (fabs(m[i * cols + j] - cJSON_GetArrayItem(row, j)->valuedouble) > 1e-9) bad++;
        }
        CHECK_MSG(bad == 0, "%s image %lld: %d matrix entries differ", tag, (long long)id, bad);
        n_mat++;
    }
    CHECK(n_mat == 4);
}

static void run_case(const char *tag, const char *dt_rel, enum cpose_iou_type t, const cJSON *ref)
{
    struct cpose_coco gt, dt;
    CHECK(cpose_coco_load(tl_fixture("cocoeval/gt.json"), &gt) == CPOSE_OK);
    CHECK(cpose_coco_load(tl_fixture(dt_rel), &dt) == CPOSE_OK);
    struct cpose_cocoeval_params p;
    cpose_cocoeval_default_params(&p, t);
    struct cpose_cocoeval e;
    int rc = cpose_cocoeval_run(&gt, &dt, &p, &e);
    CHECK_MSG(rc == CPOSE_OK, "%s: %s", tag, cpose_errmsg());
    if (rc == CPOSE_OK) check_against(tag, &e, ref);
    cpose_cocoeval_free(&e);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* Writes text to a temp file and returns its path (static buffer per call site slot). */
static const char *write_tmp(const char *dir, const char *name, const char *text)
{
    static char buf[4][512];
    static int slot;
    char *p = buf[slot++ % 4];
    snprintf(p, 512, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static void test_errors(void)
{
    const char *dir = tl_tmpdir("cocoeval");
    struct cpose_coco gt, dt;
    CHECK(cpose_coco_load(tl_fixture("cocoeval/gt.json"), &gt) == CPOSE_OK);
    struct cpose_cocoeval_params p;
    cpose_cocoeval_default_params(&p, CPOSE_IOU_KEYPOINTS);
    struct cpose_cocoeval e;

    /* a prediction for an image not in the GT */
    const char *bad_img = write_tmp(dir, "bad_img.json",
                                    "[{\"image_id\": 785, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5,"
                                    " \"keypoints\": [" "0,0,1,0,0,1,0,0,1,0,0,1,0,0,1,0,0,1,0,0,1,0,0,1,0,0,1,"
                                    "0,0,1,0,0,1,0,0,1,0,0,1,0,0,1,0,0,1,0,0,1,0,0,1]},"
                                    " {\"image_id\": 4242, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5}]");
    CHECK(cpose_coco_load(bad_img, &dt) == CPOSE_OK);
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "4242");
    CHECK_CONTAINS(cpose_errmsg(), "bad_img.json");
    cpose_coco_free(&dt);

    /* keypoints of the wrong length */
    const char *bad_k = write_tmp(dir, "bad_kpt.json",
                                  "[{\"image_id\": 785, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5,"
                                  " \"keypoints\": [1, 2, 1, 3, 4, 1]}]");
    CHECK(cpose_coco_load(bad_k, &dt) == CPOSE_OK);
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "6 keypoint values; 51 expected");
    cpose_coco_free(&dt);

    /* malformed JSON: the loader's message carries the byte offset */
    const char *bad_json = write_tmp(dir, "bad.json", "[{\"image_id\": 785, \"score\": }]");
    CHECK(cpose_coco_load(bad_json, &dt) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "bad.json");
    CHECK_CONTAINS(cpose_errmsg(), "byte");

    /* empty prediction list: 0 where GT exist, -1 for ranges without GT (pycocotools' values) */
    const char *empty = write_tmp(dir, "empty.json", "[]");
    CHECK(cpose_coco_load(empty, &dt) == CPOSE_OK);
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_OK);
    for (int i = 0; i < e.n_stats; i++) CHECK_NEAR(e.stats[i], 0, 0); /* medium and large GT exist */
    cpose_cocoeval_free(&e);
    cpose_cocoeval_default_params(&p, CPOSE_IOU_BBOX);
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_OK);
    for (int i = 0; i < e.n_stats; i++) CHECK_NEAR(e.stats[i], 0, 0); /* small ones exist too (491 px²) */
    cpose_cocoeval_free(&e);
    cpose_coco_free(&dt);
    cpose_coco_free(&gt);
    cpose_remove_tree(dir);
}

int main(void)
{
    cJSON *ref = load_ref();
    CHECK(ref != NULL);
    if (!ref) return tl_finish();
    run_case("keypoints", "cocoeval/dt.json", CPOSE_IOU_KEYPOINTS, cJSON_GetObjectItem(ref, "keypoints"));
    run_case("bbox", "cocoeval/dt.json", CPOSE_IOU_BBOX, cJSON_GetObjectItem(ref, "bbox"));
    run_case("bbox_real", "cocoeval/dt_real_det_bbox.json", CPOSE_IOU_BBOX,
             cJSON_GetObjectItem(ref, "bbox_real_detector"));
    cJSON_Delete(ref);
    test_errors();
    return tl_finish();
}
