/* reports/val_reports.h — the report files of one val run (eval/val.h's summary): the Ultralytics
 * metrics report (val_metrics.json, val_report.md, val_report.html) and, when COCOeval ran, the COCO
 * evaluation report (metrics.json, report.md, report.html), into the run folder and report=; with
 * plots=True also the curve PNGs (BoxPR_curve.png ... PoseR_curve.png) and val_batch{0,1,2}_labels.jpg /
 * val_batch{0,1,2}_pred.jpg (the first three batches, fewer when there are fewer; reports/plot.h) into
 * the run folder. */
#ifndef CPOSE_VAL_REPORTS_H
#define CPOSE_VAL_REPORTS_H

#include "core/base/status.h"
#include "eval/val.h"

/* Writes the reports of s into s->save_dir and, when set, s->report_dir; adds each path to s->files
 * and prints "Results saved to <save_dir>". CPOSE_EIO naming the file on a write failure. */
CPOSE_API int cpose_val_write_reports(struct cpose_val_summary *s);

#endif
