/* core/train/train_exec.h — the train-mode executor: the model's unfused graph (conv → batchnorm with
 * batch statistics → SiLU) run forward up to the Pose head's raw training outputs, and backward from
 * their gradients into every parameter's gradient.
 *
 * Storage is planned once per input shape (one arena; every tensor an interval of time and an
 * offset) and reused by every step: forward tensors live until their last reader, forward or
 * backward (only what a backward reads is kept), gradients from their first contribution to their
 * node's backward. Activations stay in the kernels' preferred layout (nChw16c with AVX-512, else
 * nChw8c); the 3-channel input is read in place, NCHW.
 *
 * A step:
 *     cpose_train_exec_forward(ex, img, B, H, W);          // img [B,3,H,W] must live until backward
 *     loss(cpose_train_exec_feat(ex, l)…, cpose_train_exec_kpt(ex), → grad_feat/grad_kpt buffers);
 *     cpose_train_exec_backward(ex, accumulate);           // parameter gradients stored or added
 *     … optimizer on cpose_train_exec_params(), then cpose_train_exec_weights_changed(ex);
 *
 * CPOSE_PROFILE=1 prints, when the executor is freed, forward and backward milliseconds per op kind. */
#ifndef CPOSE_TRAIN_EXEC_H
#define CPOSE_TRAIN_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/nn/model.h"

/* One trainable parameter: its state_dict name, values and gradient (n floats each), and its
 * optimizer group (enum cpose_param_group's numbers): 0 biases, 1 conv weights, 2 norm (batchnorm)
 * weights. cpose_train_exec_table (train_table.h) turns it into the optimizer's table. */
struct cpose_train_param {
    const char *name;
    float *data, *grad;
    size_t n;
    int group;
};

struct cpose_train_exec;

/* Creates an executor over m's unfused graph (m is borrowed and must outlive it). The parameter
 * table is made here, its gradients zeroed. Errors: CPOSE_EINVAL for a model without a Pose head. */
CPOSE_API int cpose_train_exec_new(struct cpose_model *m, struct cpose_train_exec **out);
CPOSE_API void cpose_train_exec_free(struct cpose_train_exec *ex);  /* NULL-safe */

/* Train-mode forward of img [B,3,H,W] float32 NCHW in [0,1] (borrowed: read in place, and again by
 * the backward). Batchnorm uses batch statistics and updates its running ones (momentum 0.03).
 * Plans storage when the shape differs from the last call. Errors: CPOSE_ESHAPE (H, W not
 * multiples of the largest stride), or the failing node's error. */
CPOSE_API int cpose_train_exec_forward(struct cpose_train_exec *ex, const float *img, int64_t B, int64_t H, int64_t W);

/* After a forward: level l's raw map [B, 4·reg_max + nc, H/s, W/s] NCHW (DFL logits then class
 * logits), and the raw keypoints [B, nkpt·kdim, A]; and the buffers of the same shapes the loss
 * writes the gradients into (read by the backward). Owned by the executor, valid until the next
 * forward with another shape. */
CPOSE_API const float *cpose_train_exec_feat(const struct cpose_train_exec *ex, int level);
CPOSE_API const float *cpose_train_exec_kpt(const struct cpose_train_exec *ex);
CPOSE_API float *cpose_train_exec_grad_feat(struct cpose_train_exec *ex, int level);
CPOSE_API float *cpose_train_exec_grad_kpt(struct cpose_train_exec *ex);
/* Level sizes of the last forward: H and W of level l, and the anchor count A. */
CPOSE_API void cpose_train_exec_level_dims(const struct cpose_train_exec *ex, int level, int *H, int *W);
CPOSE_API int64_t cpose_train_exec_anchors(const struct cpose_train_exec *ex);

/* Backward from the gradient buffers above through the whole graph (reverse order, fan-out
 * gradients summed). accumulate 0: parameter gradients are overwritten; 1: added (gradient
 * accumulation over batches). */
CPOSE_API int cpose_train_exec_backward(struct cpose_train_exec *ex, int accumulate);

/* The parameter table (every trainable parameter in state_dict order; the 16 frozen DFL weights
 * and batchnorm buffers are not in it). Borrowed, valid while ex lives. */
CPOSE_API struct cpose_train_param *cpose_train_exec_params(struct cpose_train_exec *ex, int *n);
CPOSE_API void cpose_train_exec_zero_grad(struct cpose_train_exec *ex);
/* Global L2 norm of all parameter gradients (in double). */
CPOSE_API double cpose_train_exec_grad_norm(const struct cpose_train_exec *ex);
/* Call after changing parameter values in place (an optimizer step): the conv kernels re-pack. */
CPOSE_API void cpose_train_exec_weights_changed(struct cpose_train_exec *ex);
/* Data-parallel training (under mpirun, core/base/dist.h; nothing in one process): from now on every
 * backward sums the parameter gradients over the ranks in buckets started while the backward runs,
 * scaled so that the result is the gradient of the sum of all ranks' losses. Every rank must call
 * the backward the same number of times. */
CPOSE_API int cpose_train_exec_data_parallel(struct cpose_train_exec *ex);
struct cpose_grad_sync_stats;
CPOSE_API void cpose_train_exec_sync_stats(const struct cpose_train_exec *ex, struct cpose_grad_sync_stats *st);
/* Bytes of the planned activation/gradient arena (0 before the first forward). */
CPOSE_API size_t cpose_train_exec_arena_bytes(const struct cpose_train_exec *ex);

#endif
