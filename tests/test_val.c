/* tests/test_val.c — cpose_val_run against Ultralytics' own `yolo pose val` on coco8-pose
 * (fixtures/ultralytics/val-coco8-pose, bncal weights, batch=4 imgsz=640 save_json=True): the
 * printed "all" row must equal the README's digits, and predictions.json must reproduce
 * Ultralytics' file: the same number of detections per image, rows in the same order (a row may
 * trade places with a neighbour whose score differs by less than the forward's error), scores
 * within 1e-4, boxes and keypoints within 0.25 px for every row and 1e-2 px for at least 95 % of
 * rows. Why not 1e-2 everywhere: the forward and the JPEG decoder differ slightly from
 * PyTorch/cv2 (measured: 96.5 % of boxes within 1e-2 px, p99 0.03 px, worst 0.205 px box and
 * 0.097 px keypoint); a pad, gain, rounding or ordering error is whole pixels or more.
 * Then a synthetic dataset with its COCO JSON: COCOeval runs on predictions.json (category ids
 * mapped to the GT's), the report files exist, and the run folder increments (val → val2). */
/* cpose-layer: shell */
#include "tests/testlib.h"

#include <cjson/cJSON.h>
#include <math.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/model.h"
#include "datasets/synth.h"
#include "core/cli/eval_run.h"
#include "eval/val.h"
#include "reports/val_reports.h"
#include "eval/val_impl.h"

static cJSON *load_json(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    if (cpose_read_file(path, &text, &len) != CPOSE_OK) return NULL;
    cJSON *j = cJSON_Parse(text);
    cpose_free(text);
    return j;
}

/* max |a - b| over the x, y values of two keypoint arrays (confidences skipped) and the 4 box values */
static double row_diff(cJSON *a, cJSON *b, double *dbox, double *dkpt)
{
    cJSON *ba = cJSON_GetObjectItem(a, "bbox"), *bb = cJSON_GetObjectItem(b, "bbox");
    cJSON *ka = cJSON_GetObjectItem(a, "keypoints"), *kb = cJSON_GetObjectItem(b, "keypoints");
    double wb = 0, wk = 0;
    for (int q = 0; q < 4; q++) wb = fmax(wb, fabs(cJSON_GetArrayItem(ba, q)->valuedouble - cJSON_GetArrayItem(bb, q)->valuedouble));
    int n = cJSON_GetArraySize(kb);
    if (cJSON_GetArraySize(ka) != n) return 1e9;
    for (int q = 0; q < n; q++)
        if (q % 3 != 2) wk = fmax(wk, fabs(cJSON_GetArrayItem(ka, q)->valuedouble - cJSON_GetArrayItem(kb, q)->valuedouble));
    *dbox = wb;
    *dkpt = wk;
    return fmax(wb, wk);
}

static void compare_predictions(const char *ours_path)
{
    cJSON *ours = load_json(ours_path), *ref = load_json(tl_fixture("ultralytics/val-coco8-pose/predictions.json"));
    CHECK(cJSON_IsArray(ours) && cJSON_IsArray(ref));
    if (!cJSON_IsArray(ours) || !cJSON_IsArray(ref)) goto done;
    const int ids[4] = {110, 113, 136, 151}, n_ref[4] = {259, 248, 300, 300}; /* README */
    int total = 0, within = 0, within_k = 0, swapped = 0;
    double worst_box = 0, worst_kpt = 0, worst_score = 0;
    for (int im = 0; im < 4; im++) {
        cJSON *o[400], *r[400], *d;
        int no = 0, nr = 0;
        cJSON_ArrayForEach(d, ours)
        {
            cJSON *id = cJSON_GetObjectItem(d, "image_id");
            CHECK(cJSON_IsNumber(id)); /* numeric stems become integers */
            CHECK(cJSON_GetObjectItem(d, "category_id")->valuedouble == 0);
            if (id->valuedouble == ids[im] && no < 400) o[no++] = d;
        }
        cJSON_ArrayForEach(d, ref) if (cJSON_GetObjectItem(d, "image_id")->valuedouble == ids[im] && nr < 400) r[nr++] = d;
        CHECK_MSG(nr == n_ref[im], "image %d: %d reference rows, README says %d", ids[im], nr, n_ref[im]);
        CHECK_MSG(abs(no - nr) <= (nr + 99) / 100, "image %d: %d detections, Ultralytics %d", ids[im], no, nr);
        int matched = 0;
        for (int i = 0; i < no && i < nr; i++) {
            int ok = 0;
            for (int off = 0; off <= 2 && !ok; off++) {
                int j = off == 0 ? i : (off == 1 ? i - 1 : i + 1);
                if (j < 0 || j >= nr) continue;
                double db, dk, ds = fabs(cJSON_GetObjectItem(o[i], "score")->valuedouble -
                                         cJSON_GetObjectItem(r[j], "score")->valuedouble);
                if (row_diff(o[i], r[j], &db, &dk) <= 0.25 && ds <= 1e-4) {
                    ok = 1;
                    swapped += off != 0;
                    within += db <= 1e-2;
                    within_k += dk <= 1e-2;
                    worst_box = fmax(worst_box, db), worst_kpt = fmax(worst_kpt, dk), worst_score = fmax(worst_score, ds);
                }
            }
            matched += ok;
        }
        CHECK_MSG(matched >= (no < nr ? no : nr) - 1, "image %d: only %d of %d rows match", ids[im], matched, nr);
        total += no < nr ? no : nr;
    }
    printf("predictions.json: %d rows compared, boxes of %d and keypoints of %d within 1e-2 px, %d with a neighbour; "
           "worst |dbox| %.3g px, |dkpt| %.3g px, |dscore| %.3g\n", total, within, within_k, swapped, worst_box,
           worst_kpt, worst_score);
    CHECK(total >= 1100);
    CHECK_MSG(within >= 0.95 * total, "boxes of %d of %d rows within 1e-2 px", within, total);
    CHECK_MSG(within_k >= 0.70 * total, "keypoints of %d of %d rows within 1e-2 px", within_k, total);
    CHECK(swapped <= 8);
done:
    cJSON_Delete(ours);
    cJSON_Delete(ref);
}

static void test_coco8(struct cpose_model *m, const char *tmp)
{
    char *yaml = tl_coco8_yaml(tmp), *project = cpose_path_join(tmp, "runs");
    struct cpose_args a;
    cpose_args_init(&a);
    CHECK(cpose_args_set(&a, "data", yaml) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "batch", "4") == CPOSE_OK);
    CHECK(cpose_args_set(&a, "imgsz", "640") == CPOSE_OK);
    CHECK(cpose_args_set(&a, "save_json", "True") == CPOSE_OK);
    CHECK(cpose_args_set(&a, "project", project) == CPOSE_OK);
    struct cpose_val_summary s;
    int rc = cpose_val_run(m, &a, &s);
    if (rc == CPOSE_OK) rc = cpose_val_write_reports(&s);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    if (rc == CPOSE_OK) {
        char line[512];
        cpose_val_row(&s.metrics, -1, NULL, line, sizeof line);
        /* fixtures/ultralytics/val-coco8-pose/README.md, as printed by Ultralytics 8.1.47 */
        CHECK_MSG(strcmp(line, "                   all          4         14    0.00955      0.429    0.00599    0.00334"
                               "          0          0          0          0") == 0, "'%s'", line);
        CHECK(s.n_images == 4 && s.metrics.seen == 4 && s.metrics.n_instances == 14);
        CHECK(s.coco_ran == 0 && s.anno_json == NULL); /* coco8-pose ships no COCO JSON */
        char *dir = cpose_path_join(project, "val");
        CHECK_MSG(strcmp(s.save_dir, dir) == 0, "%s", s.save_dir);
        char *pj = cpose_path_join(dir, "predictions.json"), *vj = cpose_path_join(dir, "val_metrics.json");
        CHECK(cpose_path_is_file(pj) && cpose_path_is_file(vj));
        compare_predictions(pj);
        cJSON *v = load_json(vj);
        cJSON *map50 = cJSON_GetObjectItem(v, "metrics/mAP50(B)");
        CHECK(map50 && fabs(map50->valuedouble - s.metrics.box.map50) < 1e-12);
        cJSON_Delete(v);
        /* the tree Lua's model:val() returns */
        cJSON *t = cpose_val_summary_json(&s);
        cJSON *tb = cJSON_GetObjectItem(t, "box"), *tp = cJSON_GetObjectItem(t, "pose");
        CHECK_NEAR(cJSON_GetObjectItem(tb, "map50")->valuedouble, 0.00599, 0.000005);
        CHECK_NEAR(cJSON_GetObjectItem(tb, "map")->valuedouble, 0.00334, 0.000005);
        CHECK_NEAR(cJSON_GetObjectItem(tb, "mr")->valuedouble, 6.0 / 14, 0.0005);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(tb, "maps")) == 1);
        CHECK(cJSON_GetObjectItem(tp, "map")->valuedouble == 0);
        CHECK(cJSON_GetObjectItem(t, "images")->valuedouble == 4 && cJSON_GetObjectItem(t, "coco") == NULL);
        CHECK(strcmp(cJSON_GetObjectItem(t, "save_dir")->valuestring, s.save_dir) == 0);
        cJSON_Delete(t);
        cpose_free(pj);
        cpose_free(vj);
        cpose_free(dir);
    }
    cpose_val_summary_free(&s);
    cpose_val_summary_free(&s); /* idempotent */

    /* errors name what is wrong */
    struct cpose_args e;
    cpose_args_init(&e);
    CHECK(cpose_val_run(m, &e, &s) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "data=");
    CHECK(cpose_args_set(&e, "data", yaml) == CPOSE_OK);
    CHECK(cpose_args_set(&e, "split", "test") == CPOSE_OK);
    CHECK(cpose_val_run(m, &e, &s) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "test");
    CHECK(cpose_args_set(&e, "split", "valid") == CPOSE_OK);
    CHECK(cpose_val_run(m, &e, &s) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "split=valid");
    CHECK(cpose_args_set(&e, "split", "val") == CPOSE_OK);
    CHECK(cpose_args_set(&e, "anno_json", "/nonexistent/person_keypoints_val.json") == CPOSE_OK);
    CHECK(cpose_args_set(&e, "save_json", "True") == CPOSE_OK);
    CHECK(cpose_val_run(m, &e, &s) == CPOSE_EIO);
    CHECK_CONTAINS(cpose_errmsg(), "/nonexistent/person_keypoints_val.json");
    CHECK(s.save_dir == NULL);
    cpose_args_free(&e);
    cpose_args_free(&a);
    free(yaml);
    cpose_free(project);
}

/* Synthetic people with their COCO JSON: COCOeval runs and agrees with `cpose eval` on the same files. */
static void test_synth(struct cpose_model *m, const char *tmp)
{
    char *root = cpose_path_join(tmp, "synth"), *project = cpose_path_join(tmp, "runs");
    char *report = cpose_path_join(tmp, "report");
    struct cpose_synth_opts so = {root, 2, 3, 160, 7, 0};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    char *yaml = cpose_path_join(root, "synth-pose.yaml"), *gt = cpose_path_join(root, "annotations/person_keypoints_val.json");
    struct cpose_args a;
    cpose_args_init(&a);
    CHECK(cpose_args_set(&a, "data", yaml) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "imgsz", "160") == CPOSE_OK);
    CHECK(cpose_args_set(&a, "batch", "1") == CPOSE_OK); /* three batches: val_batch0..2 */
    CHECK(cpose_args_set(&a, "save_json", "True") == CPOSE_OK);
    CHECK(cpose_args_set(&a, "project", project) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "report", report) == CPOSE_OK);
    struct cpose_val_summary s;
    int rc = cpose_val_run(m, &a, &s);
    if (rc == CPOSE_OK) rc = cpose_val_write_reports(&s);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    if (rc == CPOSE_OK) {
        char *dir = cpose_path_join(project, "val2"); /* test_coco8 made val */
        CHECK_MSG(strcmp(s.save_dir, dir) == 0, "%s", s.save_dir);
        CHECK(s.n_images == 3);
        CHECK(s.coco_ran == 1 && s.anno_json && strcmp(s.anno_json, gt) == 0);
        const char *files[] = {"predictions.json", "metrics.json", "report.md", "report.html", "val_metrics.json",
                               "val_report.md", "val_report.html"};
        for (int i = 0; i < 7; i++) {
            char *p = cpose_path_join(dir, files[i]);
            CHECK_MSG(cpose_path_is_file(p), "%s missing", p);
            cpose_free(p);
        }
        for (int i = 1; i < 7; i++) {
            char *p = cpose_path_join(report, files[i]);
            CHECK_MSG(cpose_path_is_file(p), "%s missing", p);
            cpose_free(p);
        }
        /* plots=True (the default): the 8 curve PNGs and the pictures of the first three batches (batch=1:
         * one per image), in the run folder only */
        const char *plots[] = {"BoxPR_curve.png",       "PoseR_curve.png",     "val_batch0_labels.jpg",
                               "val_batch0_pred.jpg",   "val_batch1_labels.jpg", "val_batch1_pred.jpg",
                               "val_batch2_labels.jpg", "val_batch2_pred.jpg"};
        for (int i = 0; i < 8; i++) {
            char *p = cpose_path_join(dir, plots[i]), *q = cpose_path_join(report, plots[i]);
            CHECK_MSG(cpose_path_is_file(p), "%s missing", p);
            CHECK_MSG(!cpose_path_is_file(q), "%s written", q);
            cpose_free(p);
            cpose_free(q);
        }
        CHECK_MSG(s.n_files == 13 + 8 + 3 * 2, "%d files", s.n_files);

        /* predictions carry the GT's category id (person = 1), so COCOeval sees them */
        char *pj = cpose_path_join(dir, "predictions.json");
        cJSON *pr = load_json(pj);
        CHECK(cJSON_GetArraySize(pr) > 0 && cJSON_GetObjectItem(cJSON_GetArrayItem(pr, 0), "category_id")->valuedouble == 1);
        cJSON_Delete(pr);
        /* the same files through `cpose eval` give the same stats */
        struct cpose_args e;
        cpose_args_init(&e);
        CHECK(cpose_args_set(&e, "gt", gt) == CPOSE_OK);
        CHECK(cpose_args_set(&e, "pred", pj) == CPOSE_OK);
        CHECK(cpose_args_set(&e, "iou_type", "both") == CPOSE_OK);
        cJSON *res = NULL;
        CHECK(cpose_eval_args(&e, &res) == CPOSE_OK);
        cJSON *k = cJSON_GetObjectItem(res, "keypoints"), *b = cJSON_GetObjectItem(res, "bbox");
        CHECK(cJSON_GetArraySize(k) == 10 && cJSON_GetArraySize(b) == 12);
        for (int i = 0; i < 10 && k; i++) CHECK_NEAR(cJSON_GetArrayItem(k, i)->valuedouble, s.coco_kpt[i], 1e-12);
        for (int i = 0; i < 12 && b; i++) CHECK_NEAR(cJSON_GetArrayItem(b, i)->valuedouble, s.coco_bbox[i], 1e-12);
        /* a stats value is an AP/AR in [0, 1] or -1 (no GT in that area range) */
        for (int i = 0; i < 10; i++) CHECK(s.coco_kpt[i] == -1 || (s.coco_kpt[i] >= 0 && s.coco_kpt[i] <= 1));
        cJSON_Delete(res);
        cpose_args_free(&e);
        cpose_free(pj);
        cpose_free(dir);
    }
    cpose_val_summary_free(&s);
    cpose_args_free(&a);
    cpose_free(yaml);
    cpose_free(gt);
    cpose_free(root);
    cpose_free(project);
    cpose_free(report);
}

/* Dataset facts without a model: Ultralytics' is_coco rule (…coco…/val2017.txt → COCO 80→91 ids),
 * the conventional GT location, a GT with its own category ids, and identity otherwise. */
static void test_data_facts(const char *tmp)
{
    char *root = cpose_path_join(tmp, "coco-mini");
    char *ann = cpose_path_join(root, "annotations");
    CHECK(cpose_mkdirs(ann) == CPOSE_OK);
    char *list = cpose_path_join(root, "val2017.txt"), *gt = cpose_path_join(ann, "person_keypoints_val2017.json");
    char *yaml = cpose_path_join(root, "coco-mini.yaml");
    const char *gt_text = "{\"images\": [{\"id\": 1, \"width\": 10, \"height\": 10}], \"annotations\": [], "
                          "\"categories\": [{\"id\": 7, \"name\": \"a\"}, {\"id\": 3, \"name\": \"b\"}]}";
    CHECK(cpose_write_file_atomic(list, "./images/val2017/1.jpg\n", 23) == CPOSE_OK);
    CHECK(cpose_write_file_atomic(gt, gt_text, strlen(gt_text)) == CPOSE_OK);
    char *y = cpose_asprintf("path: %s\ntrain: val2017.txt\nval: val2017.txt\nkpt_shape: [17, 3]\nnames:\n  0: a\n  1: b\n", root);
    CHECK(cpose_write_file_atomic(yaml, y, strlen(y)) == CPOSE_OK);
    struct cpose_val_data d;
    CHECK(cpose_val_data_open(yaml, "val", NULL, 1, 2, &d) == CPOSE_OK);
    CHECK(d.is_coco == 1 && d.anno_json && strcmp(d.anno_json, gt) == 0);
    CHECK(d.class_map[0] == 1 && d.class_map[1] == 2); /* coco80_to_coco91_class */
    cpose_val_data_free(&d);
    /* no GT wanted (save_json off): none loaded */
    CHECK(cpose_val_data_open(yaml, "val", NULL, 0, 2, &d) == CPOSE_OK);
    CHECK(d.anno_json == NULL && d.class_map[1] == 2);
    cpose_val_data_free(&d);
    /* not COCO (the split is not val2017.txt): the GT's categories sorted by id */
    char *y2 = cpose_asprintf("path: %s\ntrain: val2017.txt\nval: list.txt\nnames:\n  0: a\n  1: b\n", root);
    char *yaml2 = cpose_path_join(tmp, "other.yaml");
    CHECK(cpose_write_file_atomic(yaml2, y2, strlen(y2)) == CPOSE_OK);
    CHECK(cpose_val_data_open(yaml2, "val", gt, 1, 2, &d) == CPOSE_OK);
    CHECK(d.is_coco == 0 && d.class_map[0] == 3 && d.class_map[1] == 7);
    cpose_val_data_free(&d);
    /* GT category count differs from nc: identity */
    CHECK(cpose_val_data_open(yaml2, "val", gt, 1, 3, &d) == CPOSE_OK);
    CHECK(d.class_map[0] == 0 && d.class_map[2] == 2);
    cpose_val_data_free(&d);
    CHECK(cpose_val_data_open(yaml2, "val", list, 1, 2, &d) != CPOSE_OK); /* not JSON */
    CHECK_CONTAINS(cpose_errmsg(), "val2017.txt");
    cpose_free(y), cpose_free(y2), cpose_free(yaml), cpose_free(yaml2), cpose_free(gt), cpose_free(list);
    cpose_free(ann), cpose_free(root);
}

int main(void)
{
    test_data_facts(tl_tmpdir("val-data"));
    const char *weights = tl_fixture("ultralytics/yolov8n-pose-seed0-bncal.h5");
    const char *tmp = tl_tmpdir("val");
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load(weights, NULL, &m) == CPOSE_OK);
    if (!m) return tl_finish();
    test_coco8(m, tmp);
    test_synth(m, tmp);
    cpose_model_free(m);
    return tl_finish();
}
