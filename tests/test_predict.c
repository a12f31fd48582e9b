/* tests/test_predict.c — predict building blocks: letterbox scale-back math against hand-computed
 * cases, preprocessing sizes of the coco8-pose images, source enumeration, txt/JSON writers
 * round-trip, the per-image summary and the annotation colours. */
/* cpose-layer: predict */
#include "tests/testlib.h"

#include <cjson/cJSON.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/predict/annotate.h"
#include "core/base/fetch.h"
#include "core/base/fsutil.h"
#include "core/predict/predict.h"

static void touch(const char *dir, const char *name)
{
    char *p = cpose_path_join(dir, name);
    FILE *f = fopen(p, "w");
    if (f) { fputs("x", f); fclose(f); }
    cpose_free(p);
}

/* 300×200 original at imgsz 640: r = 640/300, resized 640×427, padded to 640×448 (21 rows:
 * top 10, bottom 11). scale_boxes uses pad round(10.667 − 0.1) = 11; scale_coords pad 10.667. */
static void test_scale(void)
{
    const double g = 640.0 / 300.0;
    float rows[2][8] = {
        {64, (float)(11 + g * 50), 320, (float)(11 + g * 150), 0.9f, 0, 1, 2},
        {-10, 0, 700, 448, 0.5f, 0, 0, 0},
    };
    cpose_scale_boxes(640, 448, 300, 200, &rows[0][0], 2, 8);
    CHECK_NEAR(rows[0][0], 30, 1e-4); CHECK_NEAR(rows[0][1], 50, 1e-4);
    CHECK_NEAR(rows[0][2], 150, 1e-4); CHECK_NEAR(rows[0][3], 150, 1e-4);
    CHECK_NEAR(rows[0][4], 0.9, 1e-7); /* untouched */
    CHECK_NEAR(rows[1][0], 0, 0); CHECK_NEAR(rows[1][1], 0, 0);
    CHECK_NEAR(rows[1][2], 300, 0); CHECK_NEAR(rows[1][3], 200, 0); /* (448-11)/2.133 = 204.8 → 200 */

    float pts[3][3] = {{(float)(g * 30), (float)(10.0 + 2.0 / 3 + g * 50), 0.7f},
                       {-5, 500, 0.1f},
                       {(float)(g * 299.5), (float)(10.0 + 2.0 / 3), 1}};
    cpose_scale_coords(640, 448, 300, 200, &pts[0][0], 3, 3);
    CHECK_NEAR(pts[0][0], 30, 1e-4); CHECK_NEAR(pts[0][1], 50, 1e-4); CHECK_NEAR(pts[0][2], 0.7, 1e-7);
    CHECK_NEAR(pts[1][0], 0, 0); CHECK_NEAR(pts[1][1], 200, 0); CHECK_NEAR(pts[1][2], 0.1, 1e-7);
    CHECK_NEAR(pts[2][0], 299.5, 1e-3); CHECK_NEAR(pts[2][1], 0, 1e-4);

    /* 500×374 (image 136): r = 1.28, resized 640×479, padded to 640×480: top round(0.4) = 0.
     * scale_boxes: gain 1.28, pad_y round((480 − 478.72)/2 − 0.1) = round(0.54) = 1. */
    float b[4] = {128, 1 + 1.28f * 100, 640, 1 + 1.28f * 374};
    cpose_scale_boxes(640, 480, 500, 374, b, 1, 4);
    CHECK_NEAR(b[0], 100, 1e-4); CHECK_NEAR(b[1], 100, 1e-4); CHECK_NEAR(b[2], 500, 1e-4); CHECK_NEAR(b[3], 374, 1e-4);

    /* Result rows: boxes rounded to whole pixels after scaling, keypoints not. */
    struct cpose_pred_result r = {0};
    r.orig_w = 300, r.orig_h = 200, r.in_w = 640, r.in_h = 448;
    float row[6 + 3] = {(float)(g * 10.4), 11, (float)(g * 20.6), 11 + (float)g * 100, 0.8f, 2,
                        (float)(g * 10.4), (float)(10.0 + 2.0 / 3 + g * 20.25), 0.6f};
    cpose_pred_result_from_rows(&r, row, 1, 1, 3);
    CHECK(r.n == 1);
    CHECK_NEAR(r.boxes[0], 10, 0); CHECK_NEAR(r.boxes[1], 0, 0); CHECK_NEAR(r.boxes[2], 21, 0); CHECK_NEAR(r.boxes[3], 100, 0);
    CHECK(r.classes[0] == 2); CHECK_NEAR(r.scores[0], 0.8, 1e-7);
    CHECK_NEAR(r.kpts[0], 10.4, 1e-4); CHECK_NEAR(r.kpts[1], 20.25, 1e-4); CHECK_NEAR(r.kpts[2], 0.6, 1e-7);
    cpose_pred_result_free(&r);
}

static void test_preprocess(void)
{
    struct cpose_image gray = {0};
    float *none = NULL;
    int gw = 0, gh = 0;
    CHECK(cpose_image_new(&gray, 8, 8, 1, 0) == CPOSE_OK);
    CHECK(cpose_predict_preprocess(&gray, 640, 32, &none, &gw, &gh) == CPOSE_EINVAL && none == NULL);
    CHECK_CONTAINS(cpose_errmsg(), "3-channel");
    cpose_image_free(&gray);
    /* Hand-computed network input sizes (w×h) for the four coco8-pose val images. */
    const char *names[4] = {"000000000110.jpg", "000000000113.jpg", "000000000136.jpg", "000000000151.jpg"};
    const int want[4][2] = {{640, 480}, {416, 640}, {640, 480}, {480, 640}};
    for (int i = 0; i < 4; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "coco8-pose/images/val/%s", names[i]);
        struct cpose_image img = {0};
        CHECK(cpose_image_read(tl_fixture(rel), &img) == CPOSE_OK);
        float *chw = NULL;
        int w = 0, h = 0;
        CHECK(cpose_predict_preprocess(&img, 640, 32, &chw, &w, &h) == CPOSE_OK);
        CHECK_MSG(w == want[i][0] && h == want[i][1], "%s: %dx%d, want %dx%d", names[i], w, h, want[i][0], want[i][1]);
        if (i == 0 && chw) {
            /* No resize for 640×480: channel 0 is the image's red channel / 255. */
            CHECK_NEAR(chw[0], img.data[2] / 255.0, 1e-6);
            CHECK_NEAR(chw[(size_t)2 * w * h + 5], img.data[3 * 5 + 0] / 255.0, 1e-6);
        }
        if (i == 2 && chw) {
            /* 1 padding row at the bottom (top 0): the last row is grey 114 in every channel. */
            CHECK_NEAR(chw[(size_t)(h - 1) * w + 17], 114 / 255.0, 1e-6);
        }
        cpose_free(chw);
        cpose_image_free(&img);
    }
}

static void test_sources(void)
{
    const char *d = tl_tmpdir("predsrc");
    touch(d, "b.jpg"); touch(d, "a.png"); touch(d, "c.txt"); touch(d, "d.JPG");
    touch(d, ".hidden.jpg"); touch(d, "noext"); touch(d, "clip.mp4");
    char *sub = cpose_path_join(d, "sub");
    mkdir(sub, 0755);
    touch(sub, "e.jpg");
    struct cpose_sources s;
    CHECK(cpose_sources_open(d, &s) == CPOSE_OK);
    CHECK(s.n == 3);
    if (s.n == 3) {
        CHECK(strcmp(cpose_path_basename(s.paths[0]), "a.png") == 0);
        CHECK(strcmp(cpose_path_basename(s.paths[1]), "b.jpg") == 0);
        CHECK(strcmp(cpose_path_basename(s.paths[2]), "d.JPG") == 0);
        CHECK(s.paths[0][0] == '/');
    }
    cpose_sources_free(&s);

    char *pat = cpose_asprintf("%s/*.jpg", d);
    CHECK(cpose_sources_open(pat, &s) == CPOSE_OK);
    CHECK(s.n == 1 && strcmp(cpose_path_basename(s.paths[0]), "b.jpg") == 0);
    cpose_sources_free(&s);
    cpose_free(pat);

    /* Recursive glob: "**" matches zero or more folders (not hidden ones). */
    char *deep = cpose_path_join(sub, "deeper");
    mkdir(deep, 0755);
    touch(deep, "f.jpg");
    char *hid = cpose_path_join(d, ".hid");
    mkdir(hid, 0755);
    touch(hid, "g.jpg");
    pat = cpose_asprintf("%s/**/*.jpg", d);
    CHECK(cpose_sources_open(pat, &s) == CPOSE_OK);
    CHECK_MSG(s.n == 3, "%zu files", s.n);
    if (s.n == 3) {
        CHECK(strcmp(cpose_path_basename(s.paths[0]), "b.jpg") == 0);
        CHECK(strcmp(cpose_path_basename(s.paths[1]), "f.jpg") == 0 && strstr(s.paths[1], "/sub/deeper/"));
        CHECK(strcmp(cpose_path_basename(s.paths[2]), "e.jpg") == 0);
    }
    cpose_sources_free(&s);
    cpose_free(pat);
    cpose_free(deep);
    cpose_free(hid);

    /* A single file, and a .txt list: lines sorted, relative lines resolved against its folder. */
    char *one = cpose_path_join(d, "a.png");
    CHECK(cpose_sources_open(one, &s) == CPOSE_OK);
    CHECK(s.n == 1 && strcmp(s.paths[0], one) == 0);
    cpose_sources_free(&s);
    char *list = cpose_path_join(sub, "list.txt");
    FILE *f = fopen(list, "w");
    fprintf(f, "e.jpg\n%s\n\n", one);
    fclose(f);
    CHECK(cpose_sources_open(list, &s) == CPOSE_OK);
    CHECK(s.n == 2);
    if (s.n == 2) {
        CHECK(strcmp(s.paths[0], one) == 0); /* "/..." sorts before "e.jpg" */
        CHECK(strcmp(cpose_path_basename(s.paths[1]), "e.jpg") == 0 && strstr(s.paths[1], "/sub/"));
    }
    cpose_sources_free(&s);
    f = fopen(list, "w");
    fprintf(f, "e.jpg\nmissing_one.jpg\n");
    fclose(f);
    CHECK(cpose_sources_open(list, &s) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "missing_one.jpg");
    CHECK_CONTAINS(cpose_errmsg(), "list.txt");

    /* Missing path and a folder without images are errors naming the source. */
    CHECK(cpose_sources_open("/nonexistent/cpose/x.jpg", &s) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "/nonexistent/cpose/x.jpg");
    char *empty = cpose_path_join(d, "empty");
    mkdir(empty, 0755);
    CHECK(cpose_sources_open(empty, &s) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "no images");
    CHECK(s.n == 0 && s.paths == NULL);
    cpose_sources_free(&s);

    CHECK(cpose_is_url("HTTPS://example.com/a.jpg") && cpose_is_url("http://x") && !cpose_is_url("/tmp/http://"));
    char *fn = cpose_url_filename("https://h.example/a/b%20c.jpg?x=1#f");
    CHECK(strcmp(fn, "b c.jpg") == 0);
    cpose_free(fn);
    fn = cpose_url_filename("http://h.example");
    CHECK(strcmp(fn, "download") == 0);
    cpose_free(fn);
    fn = cpose_url_filename("http://h.example/x/%2e%2e");
    CHECK(strcmp(fn, "download") == 0);
    cpose_free(fn);
    cpose_free(empty); cpose_free(list); cpose_free(one); cpose_free(sub);
}

/* One 200×100 image, one detection box [20, 10, 60, 50], 17 keypoints. */
static void make_result(struct cpose_pred_result *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = cpose_strdup(path);
    r->orig_w = 200, r->orig_h = 100, r->n = 1, r->nkpt = 17, r->kdim = 3;
    r->boxes = cpose_malloc(4 * sizeof(float));
    r->scores = cpose_malloc(sizeof(float));
    r->classes = cpose_malloc(sizeof(int));
    r->kpts = cpose_malloc(51 * sizeof(float));
    r->boxes[0] = 20, r->boxes[1] = 10, r->boxes[2] = 60, r->boxes[3] = 50;
    r->scores[0] = 0.876543f;
    r->classes[0] = 0;
    for (int k = 0; k < 17; k++) {
        r->kpts[3 * k] = 25 + 2 * k + 0.5f;
        r->kpts[3 * k + 1] = 15 + 2 * k;
        r->kpts[3 * k + 2] = k == 3 ? 0.25f : 0.9f;
    }
}

static void test_writers(void)
{
    const char *d = tl_tmpdir("predwr");
    struct cpose_pred_result r;
    make_result(&r, "/x/000000000110.jpg");
    char *txt = cpose_path_join(d, "000000000110.txt");
    CHECK(cpose_pred_write_txt(txt, &r, 1) == CPOSE_OK);
    FILE *f = fopen(txt, "r");
    CHECK(f != NULL);
    if (f) {
        int cls = -1;
        double v[4 + 51 + 1];
        CHECK(fscanf(f, "%d", &cls) == 1 && cls == 0);
        int got = 0;
        while (got < 56 && fscanf(f, "%lf", &v[got]) == 1) got++;
        CHECK(got == 56);
        CHECK_NEAR(v[0], 0.2, 1e-6); CHECK_NEAR(v[1], 0.3, 1e-6); CHECK_NEAR(v[2], 0.2, 1e-6); CHECK_NEAR(v[3], 0.4, 1e-6);
        CHECK_NEAR(v[4], 25.5 / 200, 1e-6); CHECK_NEAR(v[5], 0.15, 1e-6); CHECK_NEAR(v[6], 0.9, 1e-6);
        CHECK_NEAR(v[4 + 3 * 16], (25.5 + 32) / 200, 1e-6); CHECK_NEAR(v[4 + 3 * 3 + 2], 0.25, 1e-6);
        CHECK_NEAR(v[55], 0.876543, 1e-6);
        fclose(f);
    }
    /* No detections: no file. */
    char *txt2 = cpose_path_join(d, "none.txt");
    struct cpose_pred_result z = {0};
    z.orig_w = z.orig_h = 10;
    CHECK(cpose_pred_write_txt(txt2, &z, 0) == CPOSE_OK);
    CHECK(!cpose_path_is_file(txt2));

    struct cpose_pred_json *j = cpose_pred_json_new();
    cpose_pred_json_add(j, &r);
    struct cpose_pred_result r2;
    make_result(&r2, "imgs/bus.jpg");
    r2.boxes[2] = 60.0004f;
    cpose_pred_json_add(j, &r2);
    cpose_pred_json_add(j, &z);
    struct cpose_pred_result r3;
    make_result(&r3, "x/we\"ird\\.jpg");
    cpose_pred_json_add(j, &r3);
    cpose_pred_result_free(&r3);
    char *js = cpose_path_join(d, "predictions.json");
    CHECK(cpose_pred_json_write(j, js) == CPOSE_OK);
    cpose_pred_json_free(j);
    char *text = NULL;
    size_t len = 0;
    CHECK(cpose_read_file(js, &text, &len) == CPOSE_OK);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    CHECK(root && cJSON_IsArray(root) && cJSON_GetArraySize(root) == 3);
    if (root && cJSON_GetArraySize(root) == 3) {
        cJSON *id3 = cJSON_GetObjectItem(cJSON_GetArrayItem(root, 2), "image_id");
        CHECK(cJSON_IsString(id3) && strcmp(id3->valuestring, "we\"ird\\") == 0);
        cJSON *a = cJSON_GetArrayItem(root, 0), *b = cJSON_GetArrayItem(root, 1);
        cJSON *id = cJSON_GetObjectItem(a, "image_id");
        CHECK(cJSON_IsNumber(id) && id->valuedouble == 110);
        CHECK(cJSON_GetObjectItem(a, "category_id")->valuedouble == 0);
        cJSON *bb = cJSON_GetObjectItem(a, "bbox");
        CHECK(cJSON_GetArraySize(bb) == 4);
        CHECK_NEAR(cJSON_GetArrayItem(bb, 0)->valuedouble, 20, 0);
        CHECK_NEAR(cJSON_GetArrayItem(bb, 1)->valuedouble, 10, 0);
        CHECK_NEAR(cJSON_GetArrayItem(bb, 2)->valuedouble, 40, 0);
        CHECK_NEAR(cJSON_GetArrayItem(bb, 3)->valuedouble, 40, 0);
        cJSON *kp = cJSON_GetObjectItem(a, "keypoints");
        CHECK(cJSON_GetArraySize(kp) == 51);
        CHECK_NEAR(cJSON_GetArrayItem(kp, 3)->valuedouble, 27.5, 1e-6);
        CHECK_NEAR(cJSON_GetArrayItem(kp, 11)->valuedouble, 0.25, 1e-7);
        CHECK_NEAR(cJSON_GetObjectItem(a, "score")->valuedouble, 0.87654, 1e-12);
        cJSON *id2 = cJSON_GetObjectItem(b, "image_id");
        CHECK(cJSON_IsString(id2) && strcmp(id2->valuestring, "bus") == 0);
        CHECK_NEAR(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "bbox"), 2)->valuedouble, 40, 0); /* 40.0004 → 40.0 */
    }
    cJSON_Delete(root);
    cpose_free(text);
    cpose_free(js); cpose_free(txt); cpose_free(txt2);
    cpose_pred_result_free(&r);
    cpose_pred_result_free(&r2);
}

static void test_summary(void)
{
    struct cpose_pred_result r = {0};
    int cls[3] = {1, 0, 0};
    r.n = 3;
    r.classes = cls;
    char *names[2] = {"person", "dog"};
    char buf[128];
    cpose_pred_result_summary(&r, names, 2, buf, sizeof buf);
    CHECK(strcmp(buf, "2 persons, 1 dog, ") == 0);
    r.n = 1;
    r.classes = cls + 1;
    cpose_pred_result_summary(&r, names, 2, buf, sizeof buf);
    CHECK(strcmp(buf, "1 person, ") == 0);
    r.n = 0;
    cpose_pred_result_summary(&r, names, 2, buf, sizeof buf);
    CHECK(strcmp(buf, "(no detections), ") == 0);
}

static void test_annotate(void)
{
    CHECK(cpose_annotate_line_width(640, 480) == 2);   /* round(561.5·0.003 = 1.68) = 2 */
    CHECK(cpose_annotate_line_width(1920, 1080) == 5); /* round(1501.5·0.003 = 4.50) = 5 (4.5045) */
    uint8_t c[3];
    cpose_class_color(0, c);
    CHECK(c[0] == 0x38 && c[1] == 0x38 && c[2] == 0xFF);
    cpose_class_color(21, c); /* FF9D97 → BGR 97 9D FF */
    CHECK(c[0] == 0x97 && c[1] == 0x9D && c[2] == 0xFF);

    struct cpose_image img = {0};
    CHECK(cpose_image_new(&img, 200, 100, 3, 40) == CPOSE_OK);
    struct cpose_pred_result r;
    make_result(&r, "x.jpg");
    struct cpose_annotate_opts o;
    cpose_annotate_opts_default(&o);
    o.show_labels = 0;
    cpose_annotate_result(&img, &r, NULL, 0, &o);
#define PX(x, y) (img.data + ((size_t)(y) * img.w + (x)) * 3)
    /* Box edge at x = 20 (line width 2) in class colour 0 (BGR 56, 56, 255). */
    CHECK(PX(20, 30)[0] == 56 && PX(20, 30)[1] == 56 && PX(20, 30)[2] == 255);
    /* Keypoint 16 (palette 9 = 51,153,255) at (int)(57.5), 47; keypoint 0 (palette 16 = 0,255,0) at 25, 15. */
    CHECK(PX(57, 47)[0] == 51 && PX(57, 47)[1] == 153 && PX(57, 47)[2] == 255);
    CHECK(PX(25, 15)[0] == 0 && PX(25, 15)[1] == 255 && PX(25, 15)[2] == 0);
    /* Far from anything: untouched. */
    CHECK(PX(150, 80)[0] == 40 && PX(150, 80)[1] == 40);
    cpose_image_free(&img);

    /* A keypoint with conf < 0.5 is not drawn, nor are limbs touching it. */
    CHECK(cpose_image_new(&img, 200, 100, 3, 40) == CPOSE_OK);
    for (int k = 0; k < 17; k++) {
        r.kpts[3 * k] = 150, r.kpts[3 * k + 1] = 70, r.kpts[3 * k + 2] = 0.2f;
    }
    r.kpts[0] = 100, r.kpts[1] = 30, r.kpts[2] = 0.49f;
    o.show_boxes = 0;
    cpose_annotate_result(&img, &r, NULL, 0, &o);
    CHECK(PX(100, 30)[0] == 40 && PX(150, 70)[0] == 40);
    r.kpts[2] = 0.5f;
    cpose_annotate_result(&img, &r, NULL, 0, &o);
    CHECK(PX(100, 30)[1] == 255);
#undef PX
    cpose_image_free(&img);
    cpose_pred_result_free(&r);
}

/* Box [20, 10, 60, 50] → centre (40, 30), size 40·1.02 + 10 = 50.8 → [14.6, 4.6, 65.4, 55.4] → 14, 4, 65, 55. */
static void test_crops(void)
{
    const char *d = tl_tmpdir("predcrop");
    struct cpose_image img = {0};
    CHECK(cpose_image_new(&img, 200, 100, 3, 0) == CPOSE_OK);
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 200; x++) img.data[(y * 200 + x) * 3 + 1] = (uint8_t)x; /* green = column */
    struct cpose_pred_result r;
    make_result(&r, "/a/pic.png");
    char *names[1] = {"person"};
    CHECK(cpose_pred_save_crops(d, &r, &img, names, 1) == CPOSE_OK);
    CHECK(cpose_pred_save_crops(d, &r, &img, names, 1) == CPOSE_OK);
    char *p1 = cpose_asprintf("%s/crops/person/pic.jpg", d), *p2 = cpose_asprintf("%s/crops/person/pic2.jpg", d);
    struct cpose_image c = {0};
    CHECK(cpose_image_read(p1, &c) == CPOSE_OK && c.w == 51 && c.h == 51);
    if (c.data) CHECK(abs((int)c.data[1] - 14) <= 3 && abs((int)c.data[(50) * 3 + 1] - 64) <= 3); /* JPEG */
    CHECK(cpose_path_is_file(p2));
    cpose_image_free(&c);
    cpose_image_free(&img);
    cpose_pred_result_free(&r);
    cpose_free(p1);
    cpose_free(p2);
}

int main(void)
{
    test_crops();
    test_scale();
    test_sources();
    test_writers();
    test_summary();
    test_annotate();
    test_preprocess();
    return tl_finish();
}
