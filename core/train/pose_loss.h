/* core/train/pose_loss.h — the YOLOv8 pose training loss (Ultralytics 8.1 v8PoseLoss) and its
 * gradient with respect to the head's raw training outputs.
 *
 * What it computes, in Ultralytics' order and with its detach points:
 *   - anchors at cell centres (+0.5) of every level, levels in order, row-major;
 *   - boxes decoded from the DFL logits (softmax over reg_max bins → expectation → ltrb around the anchor);
 *   - the task-aligned assigner (topk, alpha, beta; eps 1e-9) on the detached sigmoid scores and boxes;
 *   - box = Σ_fg (1 − CIoU)·w / S, dfl = Σ_fg DFL·w / S, cls = Σ BCE(logit, target score) / S, where
 *     w = the anchor's target score and S = max(Σ target scores, 1) (a constant for the gradient);
 *   - pose = mean over (fg anchors × keypoints) of factor·(1 − exp(−e))·[v ≠ 0], e = d² / ((2σ)²·(area + 1e-9)·2),
 *     factor = K / (#labelled + 1e-9), σ = COCO sigmas when kpt_shape is [17, 3], else 1/K;
 *   - kobj = mean BCE(raw visibility logit, [v ≠ 0]) over the same (only when kdim == 3);
 *   - items = gains × (box, pose, kobj, cls, dfl); total = Σ items × B.
 * The gradient is d(total)/d(input) as PyTorch autograd gives it: nothing flows through the assigner,
 * the target scores, S or CIoU's alpha term. Reductions are accumulated in double precision.
 *
 * Layouts: feats[l] is NCHW [B, 4·reg_max + nc, H[l], W[l]] (reg_max DFL logits for l, t, r, b in
 * that order, then nc class logits); kpt is [B, nkpt·kdim, A] with A = Σ H[l]·W[l] (x, y[, v] per
 * keypoint, raw: x_pixels = (2·raw + anchor_x − 0.5)·stride). Targets are Ultralytics' batch dict. */
#ifndef CPOSE_TRAIN_POSE_LOSS_H
#define CPOSE_TRAIN_POSE_LOSS_H

#include "core/base/status.h"

struct cpose_pose_loss_cfg {
    int nc, nkpt, kdim, reg_max;                               /* classes, keypoints, 2 or 3, DFL bins */
    float gain_box, gain_cls, gain_dfl, gain_pose, gain_kobj;  /* default.yaml: 7.5, 0.5, 1.5, 12, 1 */
    int topk;                                                  /* assigner: 10 */
    float alpha, beta;                                         /* assigner: 0.5, 6.0 */
};

/* Fills *c with Ultralytics' defaults for a model with nc classes and kpt_shape [nkpt, kdim]. */
CPOSE_API void cpose_pose_loss_cfg_default(struct cpose_pose_loss_cfg *c, int nc, int nkpt, int kdim);

/* One batch of targets, laid out like Ultralytics' batch dict (rows in any image order). */
struct cpose_pose_targets {
    int n;                    /* number of objects (0 allowed) */
    const float *batch_idx;   /* [n] image index in the batch (an integer value in [0, B)) */
    const float *cls;         /* [n] class (an integer value in [0, nc)) */
    const float *bboxes;      /* [n×4] normalized cx, cy, w, h */
    const float *keypoints;   /* [n×nkpt×kdim] x, y normalized to the image, then v (kdim 3) */
};

/* Computes the loss items, the total and optionally its gradient.
 *   feats[l]: raw head output of level l (see the layout above); strides[l]: its stride; the input
 *   image is H[0]·strides[0] × W[0]·strides[0] pixels.
 *   items[5] = box, pose, kobj, cls, dfl (gains applied); *total = (Σ items)·B. Either may be NULL.
 *   grad_feats[l] / grad_kpt: when the array / pointer is non-NULL (grad_feats[l] may individually be
 *   NULL), receive d(total)/d(input) with the input's shape (overwritten, not accumulated).
 * Returns CPOSE_OK; CPOSE_EINVAL with a message naming the offending value (bad cfg, a target row with
 * an out-of-range image index or class, a non-finite input) and nothing written. Thread-safe; uses
 * OpenMP inside. */
CPOSE_API int cpose_pose_loss(const struct cpose_pose_loss_cfg *c, int B, int nl, const float *const *feats,
                              const int *H, const int *W, const float *strides, const float *kpt,
                              const struct cpose_pose_targets *t, float items[5], float *total,
                              float *const *grad_feats, float *grad_kpt);

/* Reusable buffers, so that a training loop calls the loss without allocating once the largest batch
 * has been seen (buffers only grow). One workspace per thread calling the loss at a time. */
struct cpose_pose_loss_ws;
CPOSE_API struct cpose_pose_loss_ws *cpose_pose_loss_ws_new(void);
CPOSE_API void cpose_pose_loss_ws_free(struct cpose_pose_loss_ws *ws); /* NULL-safe */
/* cpose_pose_loss with its buffers taken from ws (NULL: allocated and released within the call). */
CPOSE_API int cpose_pose_loss_ws_run(struct cpose_pose_loss_ws *ws, const struct cpose_pose_loss_cfg *c, int B, int nl,
                                     const float *const *feats, const int *H, const int *W, const float *strides,
                                     const float *kpt, const struct cpose_pose_targets *t, float items[5],
                                     float *total, float *const *grad_feats, float *grad_kpt);

#endif
