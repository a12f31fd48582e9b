/* reports/val_report.h — reports of Ultralytics-style val metrics (eval/metrics.h): a JSON with the
 * results_dict keys Ultralytics uses (metrics/precision(B) ... fitness) plus per-class numbers, a
 * Markdown table as `yolo val` prints it, and an HTML page with inline SVG PR curves (box and pose,
 * per IoU threshold, mean over classes) and F1-confidence curves. Files are written atomically. */
#ifndef CPOSE_VAL_REPORT_H
#define CPOSE_VAL_REPORT_H

#include <cjson/cJSON.h>

#include "eval/metrics.h"
#include "core/base/status.h"

/* The JSON tree (caller frees with cJSON_Delete). names (nc entries) may be NULL. */
CPOSE_API cJSON *cpose_val_report_json(const struct cpose_val_results *r, const char *const *names);
/* Creates dir and writes val_metrics.json, val_report.md and val_report.html. */
CPOSE_API int cpose_val_report_write_dir(const struct cpose_val_results *r, const char *const *names, const char *dir);

#endif
