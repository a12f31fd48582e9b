/* eval/cli_eval.c — the `cpose eval` mode: COCOeval of a predictions file against a COCO GT file,
 * printing pycocotools' summary lines and writing the stats JSON and a report folder. */
#include <string.h>

#include "cli.h"
#include "datasets/coco_json.h"
#include "eval/cocoeval.h"
#include "log.h"
#include "reports/eval_report.h"

static int run_one(const struct cpose_coco *gt, const struct cpose_coco *dt, enum cpose_iou_type t,
                   struct cpose_cocoeval *out, double *secs)
{
    struct cpose_cocoeval_params p;
    cpose_cocoeval_default_params(&p, t);
    double t0 = cpose_now();
    int rc = cpose_cocoeval_run(gt, dt, &p, out);
    *secs += cpose_now() - t0;
    if (rc != CPOSE_OK) return rc;
    printf("Evaluate annotation type *%s*\n", t == CPOSE_IOU_KEYPOINTS ? "keypoints" : "bbox");
    cpose_cocoeval_print_summary(out, stdout);
    return CPOSE_OK;
}

int cpose_mode_eval(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("eval", argc, argv, &a)) return 1;
    cpose_cli_apply_threads(&a);
    struct cpose_coco gt, dt;
    struct cpose_cocoeval ek, eb;
    memset(&gt, 0, sizeof gt);
    memset(&dt, 0, sizeof dt);
    memset(&ek, 0, sizeof ek);
    memset(&eb, 0, sizeof eb);
    int rc = CPOSE_OK, do_k = 0, do_b = 0;
    double secs = 0;
    const char *gt_path = cpose_args_str(&a, "gt"), *pred_path = cpose_args_str(&a, "pred"),
               *type = cpose_args_str(&a, "iou_type");
    if (!*gt_path || !*pred_path) {
        rc = cpose_err(CPOSE_EINVAL, "gt= and pred= are required (COCO ground-truth JSON and results JSON)");
        goto fail;
    }
    if (strcmp(type, "keypoints") == 0) do_k = 1;
    else if (strcmp(type, "bbox") == 0) do_b = 1;
    else if (strcmp(type, "both") == 0) do_k = do_b = 1;
    else {
        rc = cpose_err(CPOSE_EINVAL, "iou_type=%s: use keypoints, bbox or both", type);
        goto fail;
    }
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
    if (do_k && (rc = run_one(&gt, &dt, CPOSE_IOU_KEYPOINTS, &ek, &secs)) != CPOSE_OK) goto fail;
    if (do_b && (rc = run_one(&gt, &dt, CPOSE_IOU_BBOX, &eb, &secs)) != CPOSE_OK) goto fail;
    struct cpose_eval_report rep = {gt_path, pred_path, do_k ? &ek : NULL, do_b ? &eb : NULL, secs};
    const char *json = cpose_args_str(&a, "json"), *report = cpose_args_str(&a, "report");
    if (*json && (rc = cpose_eval_report_write_json(&rep, json)) != CPOSE_OK) goto fail;
    if (*report && (rc = cpose_eval_report_write_dir(&rep, report)) != CPOSE_OK) goto fail;
    if (*report) cpose_info("report written to %s (metrics.json, report.md, report.html)", report);
fail:
    cpose_cocoeval_free(&ek);
    cpose_cocoeval_free(&eb);
    cpose_coco_free(&gt);
    cpose_coco_free(&dt);
    cpose_args_free(&a);
    return rc == CPOSE_OK ? 0 : cpose_cli_fail("eval");
}
