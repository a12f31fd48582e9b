/* core/train/val_loss.h — the val/ columns of results.csv (val/box_loss .. val/dfl_loss): during the
 * per-epoch validation of the EMA model, the training loss (core/train/pose_loss.h, the trainer's gains)
 * of each val batch's raw head outputs against that batch's letterboxed labels, summed over batches and
 * divided by their number (Ultralytics' BaseValidator: loss items accumulated per batch, then
 * / len(dataloader)). It plugs into eval/val.h's per-batch hook.
 *
 *   struct cpose_val_loss vl;
 *   cpose_val_loss_init(&vl, &loss_cfg, cpose_model_get_info(m));
 *   struct cpose_val_hooks h = {.user = &vl, .on_batch = cpose_val_loss_on_batch};
 *   rc = cpose_val_run_hooked(m, &args, &h, &summary);
 *   double mean[5];
 *   cpose_val_loss_mean(&vl, mean);            // box, pose, kobj, cls, dfl
 *   cpose_val_loss_free(&vl);
 */
#ifndef CPOSE_TRAIN_VAL_LOSS_H
#define CPOSE_TRAIN_VAL_LOSS_H

#include <stddef.h>

#include "core/nn/model.h"
#include "core/train/pose_loss.h"
#include "eval/val.h"

struct cpose_val_loss {
    struct cpose_pose_loss_cfg cfg; /* the loss and its gains (copied) */
    int n_levels;
    float strides[4];
    double sum[5];                  /* Σ over batches of the items: box, pose, kobj, cls, dfl (gains applied) */
    int n_batches;
    struct cpose_pose_loss_ws *ws;  /* the loss's reusable buffers */
    float *kpt2;                    /* labels' keypoints cut to (x, y) for kdim-2 models */
    size_t kpt2_cap;
};

/* Starts an accumulation for a model with info mi, computed with loss configuration cfg (nc, kpt_shape and
 * gains; copied). Cannot fail. */
CPOSE_API void cpose_val_loss_init(struct cpose_val_loss *vl, const struct cpose_pose_loss_cfg *cfg,
                                   const struct cpose_model_info *mi);
/* The per-batch hook (user = a struct cpose_val_loss): the loss items of one batch, added to the sums.
 * Errors: the loss's (CPOSE_EINVAL for a non-finite head output or a label out of range), naming the batch. */
CPOSE_API int cpose_val_loss_on_batch(void *user, const struct cpose_val_raw_batch *rb);
/* The means over the batches seen (zeros when none). */
CPOSE_API void cpose_val_loss_mean(const struct cpose_val_loss *vl, double out[5]);
CPOSE_API void cpose_val_loss_free(struct cpose_val_loss *vl); /* NULL-safe, idempotent */

#endif
