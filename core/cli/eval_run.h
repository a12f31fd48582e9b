/* core/cli/eval_run.h — COCO evaluation of two files driven by key=value arguments, shared by the
 * `cpose eval` mode and the Lua module (signature of struct cpose_lua_argfn.run). */
#ifndef CPOSE_EVAL_RUN_H
#define CPOSE_EVAL_RUN_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "core/base/args.h"
#include "core/base/status.h"

/* Evaluates pred= against gt= for iou_type= (keypoints, bbox, both); writes json= and the report
 * folder report= when given. When summary is non-NULL, pycocotools' summary lines are printed there
 * as each evaluation finishes. On CPOSE_OK, *result (when result is non-NULL) receives the stats
 * tree (the json= document: {"keypoints": [10], "bbox": [12], "*_ap_per_iou", "*_summary",
 * "*_per_area", ...}), owned by the caller (cJSON_Delete). Errors name the file and the problem. */
CPOSE_API int cpose_eval_files(const struct cpose_args *a, FILE *summary, cJSON **result);
/* cpose_eval_files without printing: the Lua binding's cpose.eval{gt=, pred=, iou_type=, json=, report=}. */
CPOSE_API int cpose_eval_args(const struct cpose_args *a, cJSON **result);
/* cpose.report{gt=, pred=, report=DIR, iou_type=}: the same evaluation, report= required; the
 * result adds "report": DIR and "files": [metrics.json, report.md, report.html]. */
CPOSE_API int cpose_report_args(const struct cpose_args *a, cJSON **result);

#endif
