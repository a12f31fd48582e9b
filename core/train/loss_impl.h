/* core/train/loss_impl.h — internals shared by the pose loss files: the task-aligned assigner,
 * CIoU (float forward for the assigner, double forward + gradient for the loss), the DFL pieces and
 * the keypoint terms. Not a public interface. */
#ifndef CPOSE_TRAIN_LOSS_IMPL_H
#define CPOSE_TRAIN_LOSS_IMPL_H

#include <math.h>
#include <stddef.h>

#include "core/train/pose_loss.h"

/* ---- CIoU (box_iou.c); boxes are x1, y1, x2, y2 ---- */

/* Ultralytics' bbox_iou(box1, box2, xywh=False, CIoU=True) in float32, operation for operation
 * (eps 1e-7), as the assigner evaluates it on detached boxes. */
float cpose_ciou_f32(const float b1[4], const float b2[4]);

/* The same CIoU in double; when grad1 is non-NULL it receives d CIoU / d box1 with box2 constant and
 * the alpha term detached (torch.no_grad in Ultralytics), min/max ties split evenly and clamp(0)
 * passing the gradient at 0, as PyTorch's backward does. alpha: NULL, or in/out — a value ≥ 0 is used
 * as the (detached) alpha, a negative one is replaced by the alpha computed here (gradient checks
 * freeze it this way). */
double cpose_ciou_f64(const double b1[4], const double b2[4], double grad1[4], double *alpha);

/* ---- DFL (dfl.c) ---- */

/* Softmax over n logits read at logit[k·step]; writes the probabilities to prob[n] and returns the
 * expectation Σ k·prob[k] (the decoded distance in grid cells). */
double cpose_dfl_expect(const float *logit, size_t step, int n, double *prob);

/* Distribution focal loss of one side for a target distance `target` (already clamped to
 * [0, n − 1 − 0.01] in float, as bbox2dist does): CE(tl)·wl + CE(tl+1)·wr. prob are the softmax
 * probabilities of the same logits. When grad is non-NULL it receives d loss / d logit[k] (n values). */
double cpose_dfl_side(const float *logit, size_t step, int n, const double *prob, float target, double *grad);

/* ---- keypoints (kpt_loss.c) ---- */

/* The keypoint terms of one foreground anchor. raw points at the anchor's first keypoint channel;
 * channel c is raw[c·step] (c = k·kdim + d). gt holds the assigned object's keypoints in grid cells of
 * this level (x, y[, v]); (ax, ay) the anchor in grid cells; area the target box area in grid cells²;
 * sigma[nkpt]. Adds factor·Σ_k (1 − exp(−e_k))·m_k to *pose and Σ_k BCE(v_k, m_k) to *kobj (kdim 3).
 * When grad is non-NULL (same layout as raw) it receives g_pose·d(pose)/d(raw) + g_kobj·d(kobj)/d(raw). */
void cpose_kpt_anchor(int nkpt, int kdim, const float *raw, size_t step, double ax, double ay, const float *gt,
                      double area, const double *sigma, double g_pose, double g_kobj, float *grad,
                      double *pose, double *kobj);

/* ---- binary cross-entropy with logits (pose_loss.c) ---- */
static inline double cpose_bce_logits(double x, double t)
{
    /* max(x, 0) − x·t + log(1 + exp(−|x|)), the stable form PyTorch uses */
    double ax = x < 0 ? -x : x;
    return (x > 0 ? x : 0) - x * t + log1p(exp(-ax));
}

/* ---- task-aligned assigner (tal_assigner.c) ---- */

#define CPOSE_TAL_MAX_TOPK 64 /* the largest topk the assigner accepts */

struct cpose_tal_cfg {
    int topk;
    float alpha, beta;
};

/* One image's assigner inputs (all detached, float32, pixels). */
struct cpose_tal_image {
    int A, nc;
    const float *scores;   /* [A × nc] sigmoid class scores */
    const float *boxes;    /* [A × 4] predicted x1 y1 x2 y2 in pixels */
    const float *anchors;  /* [A × 2] anchor centres in pixels */
    int n_gt;              /* objects of this image, in batch order */
    const float *gt_boxes; /* [n_gt × 4] x1 y1 x2 y2 in pixels */
    const int *gt_labels;  /* [n_gt] */
    const unsigned char *gt_valid; /* [n_gt] Ultralytics' mask_gt (box coordinates sum > 0) */
};

/* Scratch bytes for one image: n_gt × A floats twice and n_gt × A bytes. */
size_t cpose_tal_scratch_bytes(int n_gt, int A, int topk);

/* Runs TaskAlignedAssigner.forward for one image. Outputs per anchor: target_gt[a] (index into the
 * image's objects; 0 for background, as argmax gives), fg[a] (0/1) and score[a] (the normalized
 * alignment metric: the target score of the assigned class; 0 for background). scratch holds
 * cpose_tal_scratch_bytes bytes. Ties among equal metrics in top-k go to the lower anchor index. */
void cpose_tal_assign(const struct cpose_tal_cfg *cfg, const struct cpose_tal_image *im, void *scratch,
                      int *target_gt, unsigned char *fg, float *score);

/* ---- the loss with double outputs and a frozen assignment (pose_loss.c; for gradient checks) ---- */

/* The assigner's result for a batch: per anchor (b·A + a) the assigned object, the foreground flag
 * and the target score. mode CPOSE_ASSIGN_RECORD fills the arrays (caller-allocated, B·A each) from
 * this evaluation; CPOSE_ASSIGN_REPLAY uses them instead of running the assigner, so that the loss is
 * a smooth function of the inputs around a point (the assignment is piecewise constant and the target
 * scores are detached in Ultralytics). */
enum cpose_assign_mode { CPOSE_ASSIGN_RECORD = 1, CPOSE_ASSIGN_REPLAY = 2 };
struct cpose_pose_assignment {
    enum cpose_assign_mode mode;
    int *target_gt;
    unsigned char *fg;
    float *score;
    double *ciou_alpha; /* [B·A] CIoU's detached alpha of foreground anchors (recorded, then replayed) */
};

/* cpose_pose_loss with items and total in double, an optional recorded/replayed assignment and an
 * optional workspace (NULL: allocated and released within the call). */
int cpose_pose_loss_eval(const struct cpose_pose_loss_cfg *c, int B, int nl, const float *const *feats, const int *H,
                         const int *W, const float *strides, const float *kpt, const struct cpose_pose_targets *t,
                         double items[5], double *total, float *const *grad_feats, float *grad_kpt,
                         struct cpose_pose_assignment *fz, struct cpose_pose_loss_ws *ws);

#endif
