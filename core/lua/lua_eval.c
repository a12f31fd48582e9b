/* core/lua/lua_eval.c — evaluation in Lua: cpose.eval{} (pycocotools-exact COCOeval of a results file
 * against ground truth → stats tables) and cpose.report{} (the same evaluation written as a report
 * folder). Both call core/cli/eval_run.h and add what the job record needs. */
#include "core/base/alloc.h"
#include "core/cli/eval_run.h"
#include "core/base/fsutil.h"
#include "core/lua/jobrec.h"
#include "core/lua/lua_impl.h"

/* Lists gt=/pred= as inputs; after success json=/report= as outputs and AP, AP50 as metrics. */
static void record_inputs(const struct cpose_args *a)
{
    if (*cpose_args_str(a, "gt")) cpose_jobrec_input(cpose_args_str(a, "gt"));
    if (*cpose_args_str(a, "pred")) cpose_jobrec_input(cpose_args_str(a, "pred"));
}

static void record_results(const struct cpose_args *a, const cJSON *result)
{
    const char *json = cpose_args_str(a, "json"), *report = cpose_args_str(a, "report");
    if (*json) cpose_jobrec_output(json);
    if (*report) {
        cpose_jobrec_output_dir(report);
        static const char *files[] = {"metrics.json", "report.md", "report.html"};
        for (int i = 0; i < 3; i++) {
            char *f = cpose_path_join(report, files[i]);
            cpose_jobrec_output(f);
            cpose_free(f);
        }
    }
    static const char *types[] = {"keypoints", "bbox"};
    for (int t = 0; t < 2; t++) {
        const cJSON *stats = cJSON_GetObjectItemCaseSensitive(result, types[t]);
        if (cJSON_GetArraySize(stats) < 2) continue;
        char name[32];
        snprintf(name, sizeof name, "%s_ap", types[t]);
        cpose_jobrec_metric(name, cJSON_GetArrayItem(stats, 0)->valuedouble);
        snprintf(name, sizeof name, "%s_ap50", types[t]);
        cpose_jobrec_metric(name, cJSON_GetArrayItem(stats, 1)->valuedouble);
    }
}

/* cpose.eval{gt, pred, iou_type = "keypoints"|"bbox"|"both", json, report} → the stats document
 * ({keypoints = {10 stats}, bbox = {12 stats}, keypoints_summary = {lines}, ...}). */
static int run_eval(const struct cpose_args *a, cJSON **result)
{
    record_inputs(a);
    int rc = cpose_eval_args(a, result);
    if (rc == CPOSE_OK) record_results(a, *result);
    return rc;
}

/* cpose.report{gt, pred, report = DIR, iou_type} → the stats plus {report = DIR, files = {...}}. */
static int run_report(const struct cpose_args *a, cJSON **result)
{
    record_inputs(a);
    int rc = cpose_report_args(a, result);
    if (rc == CPOSE_OK) record_results(a, *result);
    return rc;
}

static const struct cpose_lua_argfn funcs[] = {
    {"eval", run_eval, "COCOeval, core/cli/eval_run.h"},
    {"report", run_report, "the report writers, reports/"},
    {NULL, NULL, NULL},
};

int cpose_lua_open_eval(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cpose_lua_setargfns(L, 1, "cpose.", funcs);
    return 0;
}
