/* reports/eval_report.h — what people and machines read after a COCO evaluation: a stats JSON, a
 * Markdown summary and a self-contained HTML page (inline SVG precision-recall curves per IoU
 * threshold for keypoints and boxes, AP-by-threshold table, per-area AP/AR and per-category AP).
 * Every file is written atomically (temporary name, then rename). */
#ifndef CPOSE_EVAL_REPORT_H
#define CPOSE_EVAL_REPORT_H

#include "eval/cocoeval.h"
#include "core/base/status.h"

/* One evaluation to report: either result may be NULL (iou_type=keypoints or bbox only). Borrowed. */
struct cpose_eval_report {
    const char *gt_path, *pred_path;
    const struct cpose_cocoeval *keypoints;
    const struct cpose_cocoeval *bbox;
    double seconds;              /* evaluation time, reported when > 0 */
};

/* The stats JSON: {"gt", "pred", "keypoints": [10 stats], "bbox": [12 stats], "iou_thrs": [...],
 * "keypoints_ap_per_iou": [...], "bbox_ap_per_iou": [...], "keypoints_summary": [lines],
 * "bbox_summary": [lines], "keypoints_per_area": {label: {"ap", "ar"}}, "bbox_per_area": ...,
 * "keypoints_per_category": [{"category_id", "ap", "ap50", "ap75"}], "bbox_per_category": ...}.
 * Returns a cpose_malloc'ed string (caller frees). */
CPOSE_API char *cpose_eval_report_json(const struct cpose_eval_report *r);
/* Writes the stats JSON to path. CPOSE_EIO with the path on failure. */
CPOSE_API int cpose_eval_report_write_json(const struct cpose_eval_report *r, const char *path);
CPOSE_API int cpose_eval_report_write_markdown(const struct cpose_eval_report *r, const char *path);
CPOSE_API int cpose_eval_report_write_html(const struct cpose_eval_report *r, const char *path);
/* Creates dir and writes metrics.json, report.md and report.html into it. */
CPOSE_API int cpose_eval_report_write_dir(const struct cpose_eval_report *r, const char *dir);

/* Mean precision over categories at IoU index t for recall point i (area "all", last maxDets);
 * -1 when no category has GT. The curve the HTML draws. */
CPOSE_API double cpose_cocoeval_pr_point(const struct cpose_cocoeval *e, int t, int i);
/* Mean AR over thresholds and categories for area index a at the last maxDets (-1 when none). */
CPOSE_API double cpose_cocoeval_ar_area(const struct cpose_cocoeval *e, int a);

#endif
