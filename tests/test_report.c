/* tests/test_report.c — evaluation reports (stats JSON against pycocotools' numbers, Markdown, a
 * well-formed HTML page with one SVG PR chart per IoU type) and the Ultralytics results.csv format. */
/* cpose-layer: shell */
#include <cjson/cJSON.h>

#include "core/base/alloc.h"
#include "core/base/args.h"
#include "core/cli/eval_run.h"
#include "core/base/fsutil.h"
#include "reports/eval_report.h"
#include "reports/results_csv.h"
#include "reports/val_report.h"
#include "tests/testlib.h"

/* Tag balance of an HTML/SVG document: every element closed in order (void and self-closed tags
 * excepted). Returns the number of problems; counts <svg> and <polyline> elements. */
static int html_problems(const char *s, int *n_svg, int *n_poly)
{
    char stack[64][32];
    int depth = 0, bad = 0;
    *n_svg = *n_poly = 0;
    for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
        if (p[1] == '!') continue;
        int closing = p[1] == '/';
        const char *q = p + 1 + closing;
        char name[32];
        int n = 0;
        while (*q && *q != '>' && *q != ' ' && *q != '/' && *q != '\n' && n < 31) name[n++] = *q++;
        name[n] = 0;
        const char *end = strchr(q, '>');
        if (!end) return bad + 1;
        int self = end[-1] == '/';
        if (strcmp(name, "svg") == 0 && !closing) (*n_svg)++;
        if (strcmp(name, "polyline") == 0) (*n_poly)++;
        if (strcmp(name, "meta") == 0 || self) continue;
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0) bad++;
            else depth--;
        } else if (depth < 64) {
            snprintf(stack[depth++], 32, "%s", name);
        }
    }
    return bad + depth;
}

static void test_eval_report(void)
{
    struct cpose_coco gt, dt;
    CHECK(cpose_coco_load(tl_fixture("cocoeval/gt.json"), &gt) == CPOSE_OK);
    CHECK(cpose_coco_load(tl_fixture("cocoeval/dt.json"), &dt) == CPOSE_OK);
    struct cpose_cocoeval_params p;
    struct cpose_cocoeval ek, eb;
    cpose_cocoeval_default_params(&p, CPOSE_IOU_KEYPOINTS);
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &ek) == CPOSE_OK);
    cpose_cocoeval_default_params(&p, CPOSE_IOU_BBOX);
    CHECK(cpose_cocoeval_run(&gt, &dt, &p, &eb) == CPOSE_OK);
    struct cpose_eval_report r = {"gt.json", "dt <&> \"quoted\".json", &ek, &eb, 0.5};
    const char *dir = tl_tmpdir("report");
    char *sub = cpose_path_join(dir, "rep");
    CHECK(cpose_eval_report_write_dir(&r, sub) == CPOSE_OK);

    /* JSON: pycocotools' stats (REFERENCE.md) */
    char *path = cpose_path_join(sub, "metrics.json"), *buf = NULL;
    size_t len;
    CHECK(cpose_read_file(path, &buf, &len) == CPOSE_OK);
    cJSON *j = buf ? cJSON_Parse(buf) : NULL;
    CHECK(j != NULL);
    if (j) {
        cJSON *k = cJSON_GetObjectItem(j, "keypoints"), *b = cJSON_GetObjectItem(j, "bbox");
        CHECK(cJSON_GetArraySize(k) == 10 && cJSON_GetArraySize(b) == 12);
        CHECK_NEAR(cJSON_GetArrayItem(k, 0)->valuedouble, 0.4328277827782778, 1e-12);
        CHECK_NEAR(cJSON_GetArrayItem(b, 0)->valuedouble, 0.591044681391216, 1e-12);
        CHECK_NEAR(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "keypoints_ap_per_iou"), 9)->valuedouble,
                   0.0702070207020702, 1e-12);
        cJSON *area = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "bbox_per_area"), "small");
        CHECK(area && fabs(cJSON_GetObjectItem(area, "ap")->valuedouble - 0.5049504950495048) < 1e-12);
        CHECK(area && fabs(cJSON_GetObjectItem(area, "ar")->valuedouble - 0.5) < 1e-12);
        /* one category: its AP is the overall AP (stats 0, 1, 2) */
        cJSON *cat = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "keypoints_per_category"), 0);
        CHECK(cat && cJSON_GetObjectItem(cat, "category_id")->valueint == 1);
        CHECK(cat && fabs(cJSON_GetObjectItem(cat, "ap")->valuedouble - 0.4328277827782778) < 1e-12);
        CHECK(cat && fabs(cJSON_GetObjectItem(cat, "ap50")->valuedouble - 0.5866336633663366) < 1e-12);
        CHECK(cat && fabs(cJSON_GetObjectItem(cat, "ap75")->valuedouble - 0.471947194719472) < 1e-12);
        cJSON_Delete(j);
    }
    cpose_free(buf);
    cpose_free(path);

    path = cpose_path_join(sub, "report.md");
    CHECK(cpose_read_file(path, &buf, &len) == CPOSE_OK);
    CHECK_CONTAINS(buf, " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.433");
    CHECK_CONTAINS(buf, "| small | 0.505 | 0.500 |");
    CHECK_CONTAINS(buf, "| 1 | 0.591 | 0.688 | 0.688 |");
    cpose_free(buf);
    cpose_free(path);

    path = cpose_path_join(sub, "report.html");
    CHECK(cpose_read_file(path, &buf, &len) == CPOSE_OK);
    int n_svg = 0, n_poly = 0;
    CHECK(buf && html_problems(buf, &n_svg, &n_poly) == 0);
    CHECK(n_svg == 2 && n_poly == 20);
    CHECK_CONTAINS(buf, "dt &lt;&amp;&gt; &quot;quoted&quot;.json");
    CHECK(buf && strstr(buf, "<&>") == NULL);
    cpose_free(buf);
    cpose_free(path);

    /* an unwritable destination is an error naming it, not a crash */
    CHECK(cpose_eval_report_write_dir(&r, "/proc/cpose-no/such") != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "/proc/cpose-no");

    cpose_free(sub);
    cpose_remove_tree(dir);
    cpose_cocoeval_free(&ek);
    cpose_cocoeval_free(&eb);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
}

static void test_results_csv(void)
{
    char line[1024];
    const char *l = line; /* CHECK_CONTAINS wants a pointer */
    cpose_results_csv_header(line, sizeof line);
    CHECK(strncmp(line, "                  epoch,         train/box_loss,        train/pose_loss,", 72) == 0);
    CHECK_CONTAINS(l, ",   metrics/precision(B),");
    CHECK_CONTAINS(l, ",    metrics/mAP50-95(P),");
    CHECK_CONTAINS(l, ",           val/dfl_loss,                 lr/pg0,                 lr/pg1,                 lr/pg2");
    CHECK(strlen(line) == 22 * 24 - 1);
    double v[CPOSE_RESULTS_NCOLS];
    for (int i = 0; i < CPOSE_RESULTS_NCOLS; i++) v[i] = 0;
    v[0] = 1.234567;         /* rounded to 1.23457, printed %.5g: 1.2346 */
    v[5] = 0.000123456;      /* round(x, 5) = 0.00012 */
    v[18] = 0.000123456;     /* lr: not rounded → 0.00012346 */
    v[20] = 0.0703;
    cpose_results_csv_row(3, v, line, sizeof line);
    CHECK(strncmp(line, "                      3,                 1.2346,", 48) == 0);
    CHECK_CONTAINS(l, ",                0.00012,");
    CHECK_CONTAINS(l, ",             0.00012346,");
    CHECK_CONTAINS(l, ",                 0.0703");

    const char *dir = tl_tmpdir("csv");
    char *path = cpose_path_join(dir, "results.csv"), *buf = NULL;
    size_t len;
    CHECK(cpose_results_csv_append(path, 1, v) == CPOSE_OK);
    CHECK(cpose_results_csv_append(path, 2, v) == CPOSE_OK);
    CHECK(cpose_read_file(path, &buf, &len) == CPOSE_OK);
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
    CHECK(lines == 3);
    CHECK(buf && strncmp(buf, "                  epoch,", 24) == 0);
    CHECK_CONTAINS(buf, "\n                      2,");
    cpose_free(buf);
    cpose_free(path);
    cpose_remove_tree(dir);
}

/* The argument-driven entry points the Lua module binds (cpose.eval{}, cpose.report{}). */
static void test_args_entry(void)
{
    struct cpose_args a;
    cpose_args_init(&a);
    CHECK(cpose_args_set(&a, "gt", tl_fixture("cocoeval/gt.json")) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "pred", tl_fixture("cocoeval/dt_real_det_bbox.json")) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "iou_type", "bbox") == CPOSE_OK);
    cJSON *res = NULL;
    CHECK(cpose_eval_args(&a, &res) == CPOSE_OK);
    cJSON *b = res ? cJSON_GetObjectItem(res, "bbox") : NULL;
    CHECK(b && cJSON_GetArraySize(b) == 12);
    if (b) CHECK_NEAR(cJSON_GetArrayItem(b, 0)->valuedouble, 0.7891214003991492, 1e-12);
    CHECK(res && !cJSON_GetObjectItem(res, "keypoints"));
    cJSON_Delete(res);
    res = NULL;
    CHECK(cpose_report_args(&a, &res) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "report= is required");
    const char *dir = tl_tmpdir("report-args");
    CHECK(cpose_args_set(&a, "report", dir) == CPOSE_OK);
    CHECK(cpose_report_args(&a, &res) == CPOSE_OK);
    CHECK(res && cJSON_GetArraySize(cJSON_GetObjectItem(res, "files")) == 3);
    char *p = cpose_path_join(dir, "report.html");
    CHECK(cpose_path_is_file(p));
    cpose_free(p);
    cJSON_Delete(res);
    cpose_remove_tree(dir);
    cpose_args_free(&a);
}

/* Val-metrics report on a hand case: one perfect box (class 0), one missed person (class 1). */
static void test_val_report(void)
{
    struct cpose_valmetrics *vm = cpose_valmetrics_new(2, 17, NULL);
    float gt_box[8] = {0, 0, 100, 100, 200, 200, 300, 300}, pb[4] = {0, 0, 100, 100}, conf[1] = {0.5f};
    int gt_cls[2] = {0, 1}, pcls[1] = {0};
    struct cpose_val_image im = {1, pb, conf, pcls, NULL, 2, gt_box, gt_cls, NULL};
    CHECK(cpose_valmetrics_add(vm, &im) == CPOSE_OK);
    struct cpose_val_results r;
    CHECK(cpose_valmetrics_finalize(vm, &r) == CPOSE_OK);
    const char *names[2] = {"person", "ghost"};
    const char *dir = tl_tmpdir("valreport");
    CHECK(cpose_val_report_write_dir(&r, names, dir) == CPOSE_OK);
    /* class 0: AP = 1 − 0.01/2 (interp to the recall-1 sentinel at precision 0); class 1: 0 */
    double ap0 = 1.0 - 0.01 / 2, map = ap0 / 2;
    char *p = cpose_path_join(dir, "val_metrics.json"), *buf = NULL;
    size_t len;
    CHECK(cpose_read_file(p, &buf, &len) == CPOSE_OK);
    cJSON *j = buf ? cJSON_Parse(buf) : NULL;
    CHECK(j != NULL);
    if (j) {
        CHECK_NEAR(cJSON_GetObjectItem(j, "metrics/mAP50-95(B)")->valuedouble, map, 1e-12);
        CHECK_NEAR(cJSON_GetObjectItem(j, "metrics/mAP50(P)")->valuedouble, map, 1e-12);
        CHECK_NEAR(cJSON_GetObjectItem(j, "fitness")->valuedouble, 2 * (0.1 * map + 0.9 * map), 1e-12);
        cJSON *pc = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "box"), "per_class");
        CHECK(cJSON_GetArraySize(pc) == 2);
        CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(pc, 1), "name")->valuestring, "ghost") == 0);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "table")) == 4); /* header, all, 2 classes */
        cJSON_Delete(j);
    }
    cpose_free(buf);
    cpose_free(p);
    p = cpose_path_join(dir, "val_report.html");
    CHECK(cpose_read_file(p, &buf, &len) == CPOSE_OK);
    int n_svg = 0, n_poly = 0;
    CHECK(buf && html_problems(buf, &n_svg, &n_poly) == 0);
    CHECK(n_svg == 4 && n_poly == 22);
    cpose_free(buf);
    cpose_free(p);
    p = cpose_path_join(dir, "val_report.md");
    CHECK(cpose_read_file(p, &buf, &len) == CPOSE_OK);
    CHECK_CONTAINS(buf, "                 ghost          1          1          0          0          0          0");
    cpose_free(buf);
    cpose_free(p);
    cpose_remove_tree(dir);
    cpose_val_results_free(&r);
    cpose_valmetrics_free(vm);
}

int main(void)
{
    test_val_report();
    test_args_entry();
    test_results_csv();
    test_eval_report();
    return tl_finish();
}
