/* reports/val_reports.c — writes the report files of a val run from its summary (reports/val_reports.h). */
#include "reports/val_reports.h"

#include <stdio.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "reports/eval_report.h"
#include "reports/plot.h"
#include "reports/val_report.h"

static void add_files(struct cpose_val_summary *s, const char *dir, const char *const *files, int n)
{
    for (int i = 0; i < n; i++) {
        char *p = cpose_path_join(dir, files[i]);
        cpose_val_add_file(s, p);
        cpose_free(p);
    }
}

int cpose_val_write_reports(struct cpose_val_summary *s)
{
    static const char *const coco_files[3] = {"metrics.json", "report.md", "report.html"};
    static const char *const val_files[3] = {"val_metrics.json", "val_report.md", "val_report.html"};
    const char *dirs[2] = {s->save_dir, s->report_dir};
    int rc;
    if (s->follower) return CPOSE_OK; /* a rank other than 0 of a sharded run: rank 0 writes the reports */
    if (s->coco_ran) {
        struct cpose_eval_report rep = {s->anno_json, s->pred_path, &s->coco_kpt_eval, &s->coco_bbox_eval,
                                        s->coco_seconds};
        for (int i = 0; i < 2; i++) {
            if (!dirs[i]) continue;
            if ((rc = cpose_eval_report_write_dir(&rep, dirs[i])) != CPOSE_OK) return rc;
            add_files(s, dirs[i], coco_files, 3);
        }
    }
    for (int i = 0; i < 2; i++) {
        if (!dirs[i]) continue;
        if ((rc = cpose_val_report_write_dir(&s->metrics, (const char *const *)s->names, dirs[i])) != CPOSE_OK)
            return rc;
        add_files(s, dirs[i], val_files, 3);
    }
    if (s->plots && s->save_dir) { /* Ultralytics' val plots go to the run folder only */
        if ((rc = cpose_plot_val_curves(&s->metrics, s->names, s->n_names, s->save_dir)) != CPOSE_OK) return rc;
        add_files(s, s->save_dir, cpose_plot_curve_files, CPOSE_PLOT_N_CURVES);
        for (int i = 0; i < CPOSE_VAL_PLOT_BATCHES; i++) {
            if (!s->plot_batch[i]) continue;
            char lbl[40], pred[40];
            snprintf(lbl, sizeof lbl, "val_batch%d_labels.jpg", i);
            snprintf(pred, sizeof pred, "val_batch%d_pred.jpg", i);
            const char *const batch_files[2] = {lbl, pred};
            if ((rc = cpose_plot_val_batch(s->plot_batch[i], s->names, s->n_names, s->save_dir, i)) != CPOSE_OK)
                return rc;
            add_files(s, s->save_dir, batch_files, 2);
        }
    }
    cpose_info("Results saved to %s", s->save_dir);
    return CPOSE_OK;
}
