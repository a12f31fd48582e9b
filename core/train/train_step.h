/* core/train/train_step.h — one training batch as Ultralytics' batch dict (read from HDF5 like
 * fixtures/ultralytics/parity_loss_seed0.h5), and one loss step on the train executor: forward,
 * v8 pose loss with its gradient, backward into the parameter table. */
#ifndef CPOSE_TRAIN_STEP_H
#define CPOSE_TRAIN_STEP_H

#include "core/train/pose_loss.h"
#include "core/train/train_exec.h"

struct cpose_loss_batch {
    int64_t B, H, W;
    float *img;  /* [B,3,H,W] RGB in [0,1] */
    int n;       /* objects */
    float *batch_idx, *cls, *bboxes, *keypoints;  /* [n], [n], [n,4] normalized xywh, [n,nkpt,kdim] */
};

/* Reads datasets img, batch_idx, cls, bboxes, keypoints from an HDF5 file and checks them against
 * the model: img [B,3,H,W] with H, W multiples of the largest stride; n rows in each target;
 * keypoints [n, nkpt, kdim]; batch_idx in [0, B), cls in [0, nc); every value finite. Errors name
 * the file, the dataset and what is expected; nothing is kept on error. */
CPOSE_API int cpose_loss_batch_read(const char *path, const struct cpose_model_info *info, struct cpose_loss_batch *b);
CPOSE_API void cpose_loss_batch_free(struct cpose_loss_batch *b);  /* NULL-safe, zeroes *b */

/* Forward, loss and backward of one batch: items[5] (box, pose, kobj, cls, dfl, gains applied)
 * and total (Σ items × B); parameter gradients of total stored (accumulate 0) or added (1). cfg
 * NULL: Ultralytics' defaults for the model. */
CPOSE_API int cpose_train_loss_step(struct cpose_train_exec *ex, const struct cpose_model_info *info,
                                    const struct cpose_pose_loss_cfg *cfg, const struct cpose_loss_batch *b,
                                    int accumulate, float items[5], float *total);

#endif
