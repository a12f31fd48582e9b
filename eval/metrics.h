/* eval/metrics.h — Ultralytics `yolo val` metrics for pose models: P, R, mAP50, mAP75, mAP50-95 for
 * boxes (B) and keypoints (P), overall and per class, and the printed table.
 *
 * Follows Ultralytics 8.1: per image, predictions are matched to GT at the 10 IoU thresholds
 * torch.linspace(0.5, 0.95, 10) with match_predictions (each prediction keeps its best GT; each GT
 * keeps the earliest such prediction) on box IoU or on keypoint OKS (area = GT box w·h·0.53,
 * e = d² / (2σ)² / (area + 1e-7) / 2, mean over keypoints with v ≠ 0); IoU/OKS in float32 as torch
 * computes them. finalize runs ap_per_class: predictions sorted by confidence, per-class tp/fp
 * cumulative sums, compute_ap (precision envelope, 101-point interpolation, trapezoid), P and R read
 * at the confidence that maximises the smoothed mean F1 (x = linspace(0, 1, 1000)).
 * Sorts (confidence in ap_per_class, IoU in match_predictions) emulate numpy 1.x's default argsort
 * (introsort) so tied values come out in the order Ultralytics gets; the caller adds images in the
 * order Ultralytics would run them (rect val batches sort images by aspect ratio). */
#ifndef CPOSE_METRICS_H
#define CPOSE_METRICS_H

#include <stdint.h>
#include <stdio.h>
#include "core/base/status.h"

#define CPOSE_VAL_NIOU 10
#define CPOSE_VAL_NPX 1000

/* One image's predictions and labels, in the same pixel frame. Borrowed for the call only.
 * Boxes are x1, y1, x2, y2. Keypoints are nkpt × (x, y, v): for predictions v is the visibility
 * score (unused), for GT v = 0 means unlabelled. kpts may be NULL (pose metrics then use boxes). */
struct cpose_val_image {
    int n_pred;
    const float *pred_box;      /* n_pred × 4 */
    const float *pred_conf;     /* n_pred */
    const int *pred_cls;        /* n_pred */
    const float *pred_kpts;     /* n_pred × nkpt × 3, or NULL */
    int n_gt;
    const float *gt_box;        /* n_gt × 4 */
    const int *gt_cls;          /* n_gt */
    const float *gt_kpts;       /* n_gt × nkpt × 3, or NULL */
};

/* Metric for one task (Ultralytics' Metric): arrays are owned by the results struct. */
struct cpose_det_metric {
    double mp, mr, map50, map75, map;   /* means over classes present in the labels */
    int n_ap_class;                     /* classes with labels, ascending */
    int *ap_class;                      /* class ids */
    double *p, *r, *f1;                 /* per ap class, at the F1-optimal confidence */
    double *all_ap;                     /* n_ap_class × 10 (IoU .50 … .95) */
    double *ap50, *ap;                  /* per ap class: AP@.5 and AP@.5:.95 */
    double *maps;                       /* per class id (nc): AP@.5:.95, map for absent classes */
    double *p_curve, *r_curve, *f1_curve; /* n_ap_class × 1000 over confidence px */
    double *prec_values;                /* n_ap_class × 1000: PR curve at IoU .5 over recall px */
    double *prec_values_all;            /* n_ap_class × 10 × 1000: PR curve per IoU threshold */
};

struct cpose_val_results {
    int nc, seen;
    int64_t n_instances;
    int64_t *nt_per_class;              /* nc */
    double px[CPOSE_VAL_NPX];           /* linspace(0, 1, 1000) */
    double iouv[CPOSE_VAL_NIOU];        /* float32 thresholds, widened */
    struct cpose_det_metric box, pose;
};

struct cpose_valmetrics;

/* nc classes, nkpt keypoints; sigmas (nkpt) NULL = COCO-17 for 17, else 1/nkpt. Owned; free with _free. */
CPOSE_API struct cpose_valmetrics *cpose_valmetrics_new(int nc, int nkpt, const double *sigmas);
CPOSE_API void cpose_valmetrics_free(struct cpose_valmetrics *vm); /* NULL-safe */
/* Matches one image and stores its statistics. CPOSE_EINVAL for a class outside [0, nc). */
CPOSE_API int cpose_valmetrics_add(struct cpose_valmetrics *vm, const struct cpose_val_image *im);
/* Computes the metrics over everything added; *out is owned by the caller (free with
 * cpose_val_results_free). May be called more than once. */
CPOSE_API int cpose_valmetrics_finalize(struct cpose_valmetrics *vm, struct cpose_val_results *out);
CPOSE_API void cpose_val_results_free(struct cpose_val_results *r); /* NULL-safe */

/* The `yolo val` table: header, the "all" row, and per-class rows when nc > 1 (names may be NULL:
 * the class id is printed). Exactly Ultralytics' "%22s" + "%11s"/"%11i"/"%11.3g" columns. Ultralytics
 * prints the per-class rows only when verbose and not during training: a caller that wants the
 * training form prints cpose_val_header and cpose_val_row(r, -1, ...) itself. */
CPOSE_API void cpose_val_print(const struct cpose_val_results *r, const char *const *names, FILE *fp);
CPOSE_API void cpose_val_header(char *buf, size_t n);
CPOSE_API void cpose_val_row(const struct cpose_val_results *r, int ap_index, const char *name, char *buf, size_t n);

/* Building blocks, exposed for tests. */
/* compute_ap: AP of one PR curve (recall ascending), 101-point interpolation; mpre/mrec (n + 2
 * each) receive the envelope when non-NULL. */
CPOSE_API double cpose_compute_ap(const double *recall, const double *precision, int n, double *mrec, double *mpre);
/* np.interp(x, xp, fp, left, right) for one x (xp ascending). */
CPOSE_API double cpose_np_interp(double x, const double *xp, const double *fp, int n, double left, double right);
/* match_predictions on an iou matrix (n_gt × n_pred, row-major, float32); correct is n_pred × 10. */
CPOSE_API void cpose_match_predictions(const int *pred_cls, int n_pred, const int *gt_cls, int n_gt, const float *iou,
                                       const float *thr, int n_thr, uint8_t *correct);

/* Ultralytics' fitness: sum over box and pose of 0.1·mAP50 + 0.9·mAP50-95. */
CPOSE_API double cpose_val_fitness(const struct cpose_val_results *r);

#endif
