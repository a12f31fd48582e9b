/* tests/test_harden_coco.c — hostile COCO files (issue 11, items 10, 11, 12 and messages): ids that
 * are not exact integers in range (1.5, 2^70, 2^40 category) are errors, NUL in a file_name is an
 * error, duplicate image ids and malformed or inconsistent keypoint lists are refused by convert,
 * ground truth without annotation ids is refused by cocoeval as pycocotools refuses it, and a GT
 * keypoint-count problem names the GT file. All JSON is written here. */
/* cpose-layer: eval */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "datasets/coco_json.h"
#include "datasets/convert.h"
#include "eval/cocoeval.h"
#include "tests/testlib.h"

#include <string.h>

static const char *dir;

#define KP17 "[1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2]"
#define CATS "\"categories\": [{\"id\": 1, \"name\": \"person\", \"keypoints\": []}]"

static int parse(const char *json)
{
    struct cpose_coco c;
    int rc = cpose_coco_parse("t.json", json, strlen(json), &c);
    if (rc == CPOSE_OK) cpose_coco_free(&c);
    return rc;
}

/* Converts one JSON (written as <dir>/jN/person_keypoints_x.json) with keypoints, strict=True (style=json2yolo
 * otherwise converts what JSON2YOLO converts: tests/test_convert.c). */
static int convert(const char *json)
{
    static int n;
    char *jd = cpose_asprintf("%s/j%d", dir, n), *sd = cpose_asprintf("%s/o%d", dir, n);
    n++;
    cpose_mkdirs(jd);
    char *jp = cpose_asprintf("%s/person_keypoints_x.json", jd);
    cpose_write_file_atomic(jp, json, strlen(json));
    struct cpose_convert_opts o = {.json_dir = jd, .save_dir = sd, .use_keypoints = 1, .strict = 1}; /* the strict checks */
    int rc = cpose_convert_coco(&o, NULL);
    cpose_free(jd), cpose_free(sd), cpose_free(jp);
    return rc;
}

static char *gt_with(const char *images, const char *anns)
{
    return cpose_asprintf("{\"images\": [%s], \"annotations\": [%s], " CATS "}", images, anns);
}

#define IMG(id, name) "{\"id\": " id ", \"file_name\": \"" name "\", \"width\": 100, \"height\": 100}"
#define ANN(id, img, cat, kp) \
    "{\"id\": " id ", \"image_id\": " img ", \"category_id\": " cat ", \"iscrowd\": 0, \"area\": 100, " \
    "\"bbox\": [10, 10, 20, 20], \"num_keypoints\": 1, \"keypoints\": " kp "}"

int main(void)
{
    dir = tl_tmpdir("harden-coco");
    char *j;
    /* the baseline converts */
    j = gt_with(IMG("1", "a.jpg") "," IMG("2", "b.jpg"), ANN("1", "1", "1", KP17) "," ANN("2", "2", "1", KP17));
    CHECK_MSG(convert(j) == CPOSE_OK, "%s", cpose_errmsg());
    cpose_free(j);
    /* ids */
    j = gt_with(IMG("1", "a.jpg"), ANN("1", "1.5", "1", KP17));
    CHECK(parse(j) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "key 'image_id' must be an integer below 2^53 (found 1.5)");
    cpose_free(j);
    j = gt_with(IMG("1180591620717411303424", "a.jpg") "," IMG("2361183241434822606848", "b.jpg"), ANN("1", "1", "1", KP17));
    CHECK(parse(j) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "key 'id' must be an integer below 2^53");
    cpose_free(j);
    j = gt_with(IMG("1", "a.jpg"), ANN("1", "1", "1099511627776", KP17));
    CHECK(convert(j) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "category_id 1099511627776; class ids are category_id - 1");
    cpose_free(j);
    /* NUL inside a file name */
    j = gt_with(IMG("1", "a\\u0000b.jpg"), ANN("1", "1", "1", KP17));
    CHECK(parse(j) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "file_name' must be a name without NUL");
    cpose_free(j);
    /* duplicate image id */
    j = gt_with(IMG("1", "a.jpg") "," IMG("1", "b.jpg"), ANN("1", "1", "1", KP17));
    CHECK(convert(j) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "image id 1 appears twice ('a.jpg' and 'b.jpg')");
    cpose_free(j);
    /* keypoint lists: empty, not triplets, inconsistent */
    static const char *bad_kp[] = {"[]", "[1,2,2,1]", "[1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2,1,2,2]"};
    static const char *want[] = {"has 0 keypoint values", "has 4 keypoint values", "has 18 keypoints where earlier annotations have 17"};
    for (int i = 0; i < 3; i++) {
        char *anns = cpose_asprintf(ANN("1", "1", "1", KP17) ", {\"id\": 2, \"image_id\": 1, \"category_id\": 1, "
                                    "\"iscrowd\": 0, \"area\": 100, \"bbox\": [10, 10, 20, 20], \"num_keypoints\": 1, "
                                    "\"keypoints\": %s}", bad_kp[i]);
        j = gt_with(IMG("1", "a.jpg"), anns);
        CHECK(convert(j) == CPOSE_EINVAL);
        CHECK_CONTAINS(cpose_errmsg(), want[i]);
        cpose_free(j), cpose_free(anns);
    }
    /* fuzz_coco_json finding: a huge non-id number (area 1e57) was converted to int64 (UB) */
    j = gt_with(IMG("1", "a.jpg"), "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"area\": 1.11111e57, \"bbox\": [1, 2, 3, 4]}");
    CHECK(parse(j) == CPOSE_OK);
    cpose_free(j);
    /* cocoeval: GT annotations without id are an error (pycocotools raises) */
    struct cpose_coco gt, dt;
    j = gt_with(IMG("1", "a.jpg"), "{\"image_id\": 1, \"category_id\": 1, \"iscrowd\": 0, \"area\": 100, "
                                   "\"bbox\": [10, 10, 20, 20], \"num_keypoints\": 1, \"keypoints\": " KP17 "}");
    const char *res = "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [10, 10, 20, 20], \"score\": 0.9, \"keypoints\": " KP17 "}]";
    CHECK(cpose_coco_parse("gt.json", j, strlen(j), &gt) == CPOSE_OK);
    CHECK(cpose_coco_parse("dt.json", res, strlen(res), &dt) == CPOSE_OK);
    struct cpose_cocoeval_params p;
    cpose_cocoeval_default_params(&p, CPOSE_IOU_KEYPOINTS);
    struct cpose_cocoeval e;
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "gt.json: annotation 0 (byte");
    CHECK_CONTAINS(cpose_errmsg(), "has no 'id'");
    cpose_coco_free(&gt);
    cpose_free(j);
    /* a GT with a short keypoint list: the GT file is named, not the results */
    j = gt_with(IMG("1", "a.jpg"), ANN("1", "1", "1", KP17) "," ANN("2", "1", "1", "[1,2,2]"));
    CHECK(cpose_coco_parse("gt.json", j, strlen(j), &gt) == CPOSE_OK);
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &e) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "gt.json: annotation id 2");
    cpose_coco_free(&gt), cpose_coco_free(&dt);
    cpose_free(j);
    cpose_remove_tree(dir);
    return tl_finish();
}
