/* core/cli/eval_run.c — loads a COCO GT file and a results file, runs COCOeval for the requested IoU
 * types and writes the stats JSON and report folder (the `eval` mode and cpose.eval{} share it). */
#include "core/cli/eval_run.h"

#include <string.h>

#include "core/base/alloc.h"
#include "datasets/coco_json.h"
#include "core/base/fsutil.h"
#include "eval/cocoeval.h"
#include "core/base/log.h"
#include "reports/eval_report.h"

static int eval_one(const struct cpose_coco *gt, const struct cpose_coco *dt, enum cpose_iou_type t,
                    struct cpose_cocoeval *out, double *secs, FILE *summary)
{
    struct cpose_cocoeval_params p;
    cpose_cocoeval_default_params(&p, t);
    double t0 = cpose_now();
    int rc = cpose_cocoeval_run(gt, dt, &p, out);
    *secs += cpose_now() - t0;
    if (rc != CPOSE_OK) return rc;
    if (out->n_dt_other_cat)
        cpose_warn("%zu of %zu results have a category_id that is not a category of the ground truth; they are "
                   "not evaluated (as pycocotools does). Ultralytics writes category_id 0 for a 1-class model: "
                   "map it to the GT id (COCO person = 1)", out->n_dt_other_cat, dt->n_anns);
    if (summary) {
        fprintf(summary, "Evaluate annotation type *%s*\n", t == CPOSE_IOU_KEYPOINTS ? "keypoints" : "bbox");
        cpose_cocoeval_print_summary(out, summary);
        fflush(summary);
    }
    return CPOSE_OK;
}

int cpose_eval_files(const struct cpose_args *a, FILE *summary, cJSON **result)
{
    struct cpose_coco gt, dt;
    struct cpose_cocoeval ek, eb;
    memset(&gt, 0, sizeof gt);
    memset(&dt, 0, sizeof dt);
    memset(&ek, 0, sizeof ek);
    memset(&eb, 0, sizeof eb);
    if (result) *result = NULL;
    int rc = CPOSE_OK, do_k = 0, do_b = 0;
    double secs = 0;
    const char *gt_path = cpose_args_str(a, "gt"), *pred_path = cpose_args_str(a, "pred"),
               *type = cpose_args_str(a, "iou_type");
    const char *json = cpose_args_str(a, "json"), *report = cpose_args_str(a, "report");
    if (!*gt_path || !*pred_path)
        return cpose_err(CPOSE_EINVAL, "gt= and pred= are required (COCO ground-truth JSON and results JSON)");
    if (strcmp(type, "keypoints") == 0) do_k = 1;
    else if (strcmp(type, "bbox") == 0) do_b = 1;
    else if (strcmp(type, "both") == 0) do_k = do_b = 1;
    else return cpose_err(CPOSE_EINVAL, "iou_type=%s: use keypoints, bbox or both", type);
    double t0 = cpose_now();
    if ((rc = cpose_coco_load(gt_path, &gt)) != CPOSE_OK) goto fail;
    if ((rc = cpose_coco_load(pred_path, &dt)) != CPOSE_OK) goto fail;
    if (!dt.is_results) {
        rc = cpose_err(CPOSE_EINVAL, "%s: not a results file (expected a top-level [ ... ] list of detections)",
                       pred_path);
        goto fail;
    }
    cpose_info("loaded %s (%zu images, %zu annotations) and %s (%zu results) in %.2f s", gt_path, gt.n_images,
               gt.n_anns, pred_path, dt.n_anns, cpose_now() - t0);
    if (do_k && (rc = eval_one(&gt, &dt, CPOSE_IOU_KEYPOINTS, &ek, &secs, summary)) != CPOSE_OK) goto fail;
    if (do_b && (rc = eval_one(&gt, &dt, CPOSE_IOU_BBOX, &eb, &secs, summary)) != CPOSE_OK) goto fail;
    struct cpose_eval_report rep = {gt_path, pred_path, do_k ? &ek : NULL, do_b ? &eb : NULL, secs};
    /* the report folder first: json= may point inside it */
    if (*report && (rc = cpose_eval_report_write_dir(&rep, report)) != CPOSE_OK) goto fail;
    if (*json) {
        char *dir = cpose_path_dirname(json);
        rc = cpose_mkdirs(dir);
        cpose_free(dir);
        if (rc || (rc = cpose_eval_report_write_json(&rep, json)) != CPOSE_OK) goto fail;
    }
    if (*report) cpose_info("report written to %s (metrics.json, report.md, report.html)", report);
    if (result) {
        char *txt = cpose_eval_report_json(&rep);
        *result = cJSON_Parse(txt);
        cpose_free(txt);
    }
fail:
    cpose_cocoeval_free(&ek);
    cpose_cocoeval_free(&eb);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
    return rc;
}

int cpose_eval_args(const struct cpose_args *a, cJSON **result)
{
    return cpose_eval_files(a, NULL, result);
}

int cpose_report_args(const struct cpose_args *a, cJSON **result)
{
    const char *report = cpose_args_str(a, "report");
    if (!*report) return cpose_err(CPOSE_EINVAL, "report= is required (the folder to write the report into)");
    int rc = cpose_eval_files(a, NULL, result);
    if (rc != CPOSE_OK || !result || !*result) return rc;
    cJSON_AddStringToObject(*result, "report", report);
    const char *files[3] = {"metrics.json", "report.md", "report.html"};
    cJSON_AddItemToObject(*result, "files", cJSON_CreateStringArray(files, 3));
    return CPOSE_OK;
}
