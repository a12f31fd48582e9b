/* tests/test_coco_json.c — the streaming COCO reader: ground truth and results documents,
 * skipped keys, and the error messages for malformed JSON and wrongly typed keys. */
/* cpose-layer: datasets */
#include "core/base/alloc.h"
#include "datasets/coco_json.h"
#include "tests/testlib.h"

static int parse(const char *text, struct cpose_coco *c) { return cpose_coco_parse("t.json", text, strlen(text), c); }

static void test_gt(void)
{
    const char *doc =
        "{\"info\": {\"year\": 2017, \"x\": [1, [2, {\"a\": 3}]]},"
        " \"images\": [{\"id\": 785, \"file_name\": \"000000000785.jpg\", \"width\": 640, \"height\": 425}],"
        " \"annotations\": [{\"segmentation\": [[1.5, 2, 3, 4]], \"num_keypoints\": 2, \"area\": 27789.11,"
        "   \"iscrowd\": 0, \"keypoints\": [367, 81, 2, 0, 0, 0, 1.5e2, 90.25, 1], \"image_id\": 785,"
        "   \"bbox\": [280.79, 44.73, 218.7, 346.68], \"category_id\": 1, \"id\": 442619},"
        "  {\"segmentation\": {\"counts\": [1, 2], \"size\": [3, 4]}, \"iscrowd\": true, \"image_id\": 785,"
        "   \"category_id\": 1, \"id\": 7, \"bbox\": [0, 0, 1, 1], \"area\": 1}],"
        " \"categories\": [{\"supercategory\": \"person\", \"id\": 1, \"name\": \"person\","
        "   \"keypoints\": [\"nose\", \"left_eye\"], \"skeleton\": [[1, 2]]}]}";
    struct cpose_coco c;
    CHECK(parse(doc, &c) == CPOSE_OK);
    CHECK(!c.is_results);
    CHECK(c.n_images == 1 && c.images[0].id == 785 && c.images[0].width == 640 && c.images[0].height == 425);
    CHECK(c.n_images == 1 && strcmp(c.images[0].file_name, "000000000785.jpg") == 0);
    CHECK(c.n_anns == 2);
    if (c.n_anns == 2) {
        const struct cpose_coco_ann *a = &c.anns[0];
        CHECK(a->id == 442619 && a->image_id == 785 && a->category_id == 1 && a->num_keypoints == 2);
        CHECK(a->has_bbox && a->bbox[0] == 280.79 && a->bbox[3] == 346.68);
        CHECK(a->has_area && a->area == 27789.11);
        CHECK(a->n_kpt_values == 9 && cpose_coco_kpts(&c, a)[6] == 150.0 && cpose_coco_kpts(&c, a)[7] == 90.25);
        CHECK(c.anns[1].iscrowd == 1 && c.anns[1].num_keypoints == -1 && !c.anns[1].has_keypoints);
        CHECK(a->byte_offset > 0 && doc[a->byte_offset] == '{');
    }
    CHECK(c.n_categories == 1 && strcmp(c.categories[0].name, "person") == 0 && c.categories[0].n_keypoint_names == 2);
    cpose_coco_free(&c);
}

static void test_results(void)
{
    struct cpose_coco c;
    CHECK(parse("[{\"image_id\": 1, \"category_id\": 1, \"keypoints\": [1, 2, 0.5], \"score\": 0.9},"
                " {\"image_id\": 2, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.25}]", &c) == CPOSE_OK);
    CHECK(c.is_results && c.n_anns == 2);
    CHECK(c.n_anns == 2 && c.anns[0].has_score && c.anns[0].score == 0.9 && !c.anns[0].has_bbox);
    CHECK(c.n_anns == 2 && c.anns[1].has_bbox && c.anns[1].bbox[2] == 3 && !c.anns[1].has_keypoints);
    cpose_coco_free(&c);
    CHECK(parse("[]", &c) == CPOSE_OK && c.is_results && c.n_anns == 0);
    cpose_coco_free(&c);
}

static void test_errors(void)
{
    struct cpose_coco c;
    CHECK(parse("{\"images\": [{\"id\": 1,, }]}", &c) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "malformed JSON at byte offset 21");
    CHECK(parse("{\"annotations\": [{\"id\": 5, \"bbox\": \"x\"}]}", &c) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "annotation id 5: key 'bbox'");
    CHECK(parse("{\"annotations\": [{\"id\": 6, \"bbox\": [1, 2, 3]}]}", &c) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "4 numbers");
    /* an error after complete image and category objects frees their names once (ASan checks) */
    CHECK(parse("{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\"}], \"categories\": [{\"id\": 1, \"name\": \"person\"}], x", &c) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "malformed JSON");
    CHECK(parse("{\"images\": [", &c) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "ends too early");
    CHECK(cpose_coco_load("/nonexistent/x.json", &c) == CPOSE_EIO);
    CHECK_CONTAINS(cpose_errmsg(), "/nonexistent/x.json");
}

static void test_fixture(void)
{
    struct cpose_coco gt, dt;
    CHECK(cpose_coco_load(tl_fixture("cocoeval/gt.json"), &gt) == CPOSE_OK);
    CHECK(gt.n_images == 4 && gt.n_anns == 14);   /* fixtures/README: 4 images, 14 people */
    CHECK(cpose_coco_load(tl_fixture("cocoeval/dt.json"), &dt) == CPOSE_OK);
    CHECK(dt.is_results && dt.n_anns == 14);
    for (size_t i = 0; i < gt.n_anns; i++) CHECK(gt.anns[i].n_kpt_values == 51);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

/* Numbers must equal strtod's correctly rounded result (what Python's float() gives), the integer -0
 * being +0 (Python's json reads it as int 0). */
static void test_number_rounding(void)
{
    const char *texts[] = {"0.1", "280.79", "-44.73", "346.68", "0.3333333333333333", "123456789012345678",
                           "9007199254740993", "1e-7", "2.5E+3", "0.000001", "-0", "27789.11", "1.7976931348623157e308",
                           "4.9e-324", "0.30000000000000004", "12345.678901234567"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char doc[256];
        snprintf(doc, sizeof doc, "[{\"image_id\": 1, \"score\": %s}]", texts[i]);
        struct cpose_coco c;
        CHECK(parse(doc, &c) == CPOSE_OK);
        double want = strcmp(texts[i], "-0") ? strtod(texts[i], NULL) : 0.0; /* Python's json: int 0 */
        CHECK_MSG(c.n_anns == 1 && memcmp(&c.anns[0].score, &want, sizeof want) == 0, "%s parsed as %.17g", texts[i],
                  c.n_anns ? c.anns[0].score : 0.0);
        cpose_coco_free(&c);
    }
}

/* Many random decimals of 1–19 significant digits, as Python and numpy write them, against strtod (the
 * integer -0 against +0, as Python's json reads it). */
static void test_number_rounding_random(void)
{
    uint64_t state = 0x9e3779b97f4a7c15ull;
    int bad = 0, total = 0;
    char doc[128], text[64];
    for (int t = 0; t < 20000; t++) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        int digits = 1 + (int)(state % 19), point = (int)((state >> 8) % (digits + 1));
        char *p = text;
        if ((state >> 20) & 1) *p++ = '-';
        uint64_t r = state;
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0) *p++ = '.';
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            *p++ = (char)('0' + (r >> 60) % 10);
        }
        if ((state >> 24) % 4 == 0) p += sprintf(p, "e%d", (int)((state >> 30) % 60) - 30);
        *p = 0;
        char *first = text + (text[0] == '-');
        if (first[0] == '0' && first[1] >= '0' && first[1] <= '9') first[0] = '7'; /* JSON: no leading zeros */
        snprintf(doc, sizeof doc, "[{\"score\": %s}]", text);
        struct cpose_coco c;
        if (parse(doc, &c) != CPOSE_OK) {
            if (bad < 5) fprintf(stderr, "  %s: %s\n", text, cpose_errmsg());
            bad++;
            continue;
        }
        double want = strtod(text, NULL);
        if (want == 0 && !strpbrk(text, ".eE")) want = 0.0; /* the integer -0: Python's int 0 */
        if (memcmp(&c.anns[0].score, &want, sizeof want) != 0) {
            if (bad < 5) fprintf(stderr, "  %s: got %.17g want %.17g\n", text, c.anns[0].score, want);
            bad++;
        }
        total++;
        cpose_coco_free(&c);
        /* the same number inside a keypoints list takes the reader's one-pass scan, not yajl */
        snprintf(doc, sizeof doc, "[{\"keypoints\": [1, %s,%s]}]", text, text);
        if (parse(doc, &c) != CPOSE_OK || c.n_anns != 1 || c.anns[0].n_kpt_values != 3) {
            if (bad < 5) fprintf(stderr, "  keypoints [1, %s,%s]: %s\n", text, text, cpose_errmsg());
            bad++;
            continue;
        }
        const double *k = cpose_coco_kpts(&c, &c.anns[0]);
        if (memcmp(&k[1], &want, sizeof want) != 0 || memcmp(&k[2], &want, sizeof want) != 0) {
            if (bad < 5) fprintf(stderr, "  keypoints %s: got %.17g want %.17g\n", text, k[1], want);
            bad++;
        }
        total++;
        cpose_coco_free(&c);
    }
    CHECK_MSG(bad == 0, "%d of %d random decimals differ from strtod", bad, total);
}

/* Keypoint lists with numbers JSON does not allow fail with yajl's message, as when yajl reads them;
 * long digit strings (past 19 significant digits) still round like strtod. */
static void test_keypoint_number_grammar(void)
{
    const char *bad[] = {"01", "1.", ".5", "-", "1e", "1e+", "+1", "1.5.2", "0x10", "--1", "1..2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char doc[128];
        snprintf(doc, sizeof doc, "[{\"image_id\": 1, \"keypoints\": [2, %s, 3]}]", bad[i]);
        struct cpose_coco c;
        int rc = parse(doc, &c);
        CHECK_MSG(rc == CPOSE_EINVAL, "keypoints [2, %s, 3] was accepted", bad[i]);
        if (rc == CPOSE_OK) cpose_coco_free(&c);
    }
    const char *good[] = {"12345678901234567890123", "0.12345678901234567890123", "123456789.123456789012e-3",
                          "0", "1234567812345678.5", "-0.0000000000000000000000001234567890123"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const char *t = good[i];
        char doc[256];
        snprintf(doc, sizeof doc, "[{\"keypoints\": [%s]}]", t);
        struct cpose_coco c;
        CHECK_MSG(parse(doc, &c) == CPOSE_OK, "keypoints [%s]: %s", t, cpose_errmsg());
        double want = strtod(t, NULL);
        CHECK_MSG(c.n_anns == 1 && c.anns[0].n_kpt_values == 1 &&
                      memcmp(cpose_coco_kpts(&c, &c.anns[0]), &want, sizeof want) == 0,
                  "keypoints [%s] parsed as %.17g", t, c.n_anns ? cpose_coco_kpts(&c, &c.anns[0])[0] : 0.0);
        cpose_coco_free(&c);
    }
}

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    TL_GENERATED(test_number_rounding());
    TL_GENERATED(test_number_rounding_random());
    TL_GENERATED(test_keypoint_number_grammar());
    TL_GENERATED(test_gt());
    TL_GENERATED(test_results());
    TL_GENERATED(test_errors());
    TL_FIXTURES(test_fixture());
    return tl_finish();
}
