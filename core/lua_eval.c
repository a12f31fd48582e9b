/* core/lua_eval.c — evaluation in Lua: cpose.eval{} (pycocotools-exact COCOeval of a results file
 * against ground truth → stats tables; optional stats JSON and report folder) and cpose.report{}
 * (not available yet). One entry per function (core/lua_impl.h: struct cpose_lua_argfn). */
#include "alloc.h"
#include "datasets/coco_json.h"
#include "eval/cocoeval.h"
#include "fsutil.h"
#include "jobrec.h"
#include "log.h"
#include "lua_impl.h"
#include "reports/eval_report.h"

#include <string.h>

/* cpose.eval{gt, pred, iou_type = "keypoints"|"bbox"|"both", json, report} → the stats JSON of
 * reports/eval_report.h as tables ({keypoints = {10 stats}, bbox = {12 stats}, ...}). gt and pred
 * are job inputs; json/report job outputs; keypoints/bbox AP and AP50 job metrics. */
static int run_eval(const struct cpose_args *a, cJSON **result)
{
    struct cpose_coco gt, dt;
    struct cpose_cocoeval ek, eb;
    memset(&gt, 0, sizeof gt);
    memset(&dt, 0, sizeof dt);
    memset(&ek, 0, sizeof ek);
    memset(&eb, 0, sizeof eb);
    char *js = NULL;
    int rc = CPOSE_OK, do_k = 0, do_b = 0;
    const char *gt_path = cpose_args_str(a, "gt"), *pred_path = cpose_args_str(a, "pred"),
               *type = cpose_args_str(a, "iou_type"), *json = cpose_args_str(a, "json"),
               *report = cpose_args_str(a, "report");
    if (!*gt_path || !*pred_path)
        return cpose_err(CPOSE_EINVAL, "gt= and pred= are required (COCO ground-truth JSON and results JSON)");
    if (strcmp(type, "keypoints") == 0) do_k = 1;
    else if (strcmp(type, "bbox") == 0) do_b = 1;
    else if (strcmp(type, "both") == 0) do_k = do_b = 1;
    else return cpose_err(CPOSE_EINVAL, "iou_type=%s: use keypoints, bbox or both", type);
    cpose_jobrec_input(gt_path);
    cpose_jobrec_input(pred_path);
    double t0 = cpose_now();
    if ((rc = cpose_coco_load(gt_path, &gt)) != CPOSE_OK) goto fail;
    if ((rc = cpose_coco_load(pred_path, &dt)) != CPOSE_OK) goto fail;
    if (!dt.is_results) {
        rc = cpose_err(CPOSE_EINVAL, "%s: not a results file (expected a top-level [ ... ] list of detections)", pred_path);
        goto fail;
    }
    struct cpose_cocoeval_params p;
    if (do_k) {
        cpose_cocoeval_default_params(&p, CPOSE_IOU_KEYPOINTS);
        if ((rc = cpose_cocoeval_run(&gt, &dt, &p, &ek)) != CPOSE_OK) goto fail;
        cpose_jobrec_metric("keypoints_ap", ek.stats[0]);
        cpose_jobrec_metric("keypoints_ap50", ek.stats[1]);
    }
    if (do_b) {
        cpose_cocoeval_default_params(&p, CPOSE_IOU_BBOX);
        if ((rc = cpose_cocoeval_run(&gt, &dt, &p, &eb)) != CPOSE_OK) goto fail;
        cpose_jobrec_metric("bbox_ap", eb.stats[0]);
        cpose_jobrec_metric("bbox_ap50", eb.stats[1]);
    }
    struct cpose_eval_report rep = {gt_path, pred_path, do_k ? &ek : NULL, do_b ? &eb : NULL, cpose_now() - t0};
    if (*json) {
        if ((rc = cpose_eval_report_write_json(&rep, json)) != CPOSE_OK) goto fail;
        cpose_jobrec_output(json);
    }
    if (*report) {
        if ((rc = cpose_eval_report_write_dir(&rep, report)) != CPOSE_OK) goto fail;
        cpose_jobrec_output_dir(report);
        static const char *files[] = {"metrics.json", "report.md", "report.html"};
        for (int i = 0; i < 3; i++) {
            char *f = cpose_path_join(report, files[i]);
            cpose_jobrec_output(f);
            cpose_free(f);
        }
    }
    js = cpose_eval_report_json(&rep);
    *result = cJSON_Parse(js);
    if (!*result) rc = cpose_err(CPOSE_EINVAL, "internal: the stats JSON did not parse");
fail:
    cpose_free(js);
    cpose_cocoeval_free(&ek);
    cpose_cocoeval_free(&eb);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
    return rc;
}

static const struct cpose_lua_argfn funcs[] = {
    {"eval", run_eval, "COCOeval, eval/cocoeval.h"},
    {"report", NULL, "a report writer from a stats JSON, reports/ (cpose.eval{report = dir} writes one now)"},
    {NULL, NULL, NULL},
};

int cpose_lua_open_eval(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cpose_lua_setargfns(L, 1, "cpose.", funcs);
    return 0;
}
