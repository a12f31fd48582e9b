/* core/predict/nms.h — non-maximum suppression with Ultralytics' non_max_suppression semantics for one
 * image's raw prediction slice (the model's eval output for batch item b). */
#ifndef CPOSE_NMS_H
#define CPOSE_NMS_H

#include <stdint.h>
#include "core/base/status.h"

#define CPOSE_NMS_MAX_CLASSES_FILTER 256

/* Options, named like Ultralytics' arguments. cpose_nms_opts_predict / _val fill the defaults. */
struct cpose_nms_opts {
    double conf;        /* candidates need a class score > conf (strict) */
    double iou;         /* a box whose IoU with a kept box is > iou is suppressed (strict) */
    int max_det;        /* at most this many rows are returned (300) */
    int max_nms;        /* at most this many candidates, highest scores first, enter NMS (30000) */
    double max_wh;      /* per-class box offset that keeps classes apart unless agnostic (7680) */
    int agnostic;       /* one NMS over all classes */
    int multi_label;    /* one candidate per (anchor, class) above conf; only used when nc > 1 */
    int nc;             /* number of class channels; 0 = C - 4 (no extra channels) */
    int n_classes;      /* > 0: keep only rows whose class is in classes[0..n_classes) */
    int64_t classes[CPOSE_NMS_MAX_CLASSES_FILTER];
};

/* Predict defaults: conf 0.25, iou 0.7, max_det 300, max_nms 30000, max_wh 7680, single label. */
CPOSE_API void cpose_nms_opts_predict(struct cpose_nms_opts *o, int nc);
/* Val defaults: as predict but conf 0.001 and multi_label (which Ultralytics drops when nc == 1). */
CPOSE_API void cpose_nms_opts_val(struct cpose_nms_opts *o, int nc);

/* Runs NMS on pred, a [C, A] row-major float32 slice: rows 0-3 box cx, cy, w, h (pixels of the
 * network input), rows 4..4+nc class scores, the remaining nm = C - 4 - nc rows extra values
 * (keypoints x, y, v ...) carried through unchanged.
 * On success *rows is a cpose_malloc'ed array of *n_rows × (6 + nm) floats, each row
 * [x1, y1, x2, y2, conf, cls, extra...], in Ultralytics' order (kept boxes by descending score,
 * ties in candidate order); *rows is NULL when *n_rows is 0. The caller frees *rows.
 * Errors: CPOSE_EINVAL for C < 4 + nc or nonsensical options (message names the value). */
CPOSE_API int cpose_nms(const float *pred, int64_t C, int64_t A, const struct cpose_nms_opts *o, float **rows,
                        int64_t *n_rows);

/* torchvision.ops.nms on n boxes (xyxy, n×4) with scores: writes kept indices (by descending
 * score, ties by index) to keep (capacity n) and returns their count. IoU in float32 like torchvision. */
CPOSE_API int64_t cpose_nms_boxes(const float *boxes, const float *scores, int64_t n, double iou, int64_t *keep);

#endif
