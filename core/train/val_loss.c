/* core/train/val_loss.c — the val losses of results.csv: the training loss over each val batch's raw
 * head outputs and letterboxed labels, averaged over batches (core/train/val_loss.h). */
#include "core/train/val_loss.h"

#include <string.h>

#include "core/base/alloc.h"

void cpose_val_loss_init(struct cpose_val_loss *vl, const struct cpose_pose_loss_cfg *cfg,
                         const struct cpose_model_info *mi)
{
    memset(vl, 0, sizeof *vl);
    vl->cfg = *cfg;
    vl->n_levels = mi->n_levels;
    for (int l = 0; l < mi->n_levels && l < 4; l++) vl->strides[l] = (float)mi->strides[l];
    vl->ws = cpose_pose_loss_ws_new();
}

int cpose_val_loss_on_batch(void *user, const struct cpose_val_raw_batch *rb)
{
    struct cpose_val_loss *vl = user;
    const float *kpts = rb->keypoints;
    if (vl->cfg.kdim == 2 && rb->n > 0) { /* the labels keep (x, y, v); a kdim-2 model's loss takes (x, y) */
        size_t need = (size_t)rb->n * rb->K * 2;
        if (need > vl->kpt2_cap) {
            cpose_free(vl->kpt2);
            vl->kpt2 = cpose_malloc(need * sizeof(float));
            vl->kpt2_cap = need;
        }
        for (size_t j = 0; j < (size_t)rb->n * rb->K; j++)
            vl->kpt2[2 * j] = rb->keypoints[3 * j], vl->kpt2[2 * j + 1] = rb->keypoints[3 * j + 1];
        kpts = vl->kpt2;
    }
    struct cpose_pose_targets t = {.n = rb->n, .batch_idx = rb->batch_idx, .cls = rb->cls, .bboxes = rb->bboxes,
                                   .keypoints = kpts};
    float items[5];
    int rc = cpose_pose_loss_ws_run(vl->ws, &vl->cfg, rb->B, rb->n_levels, rb->feats, rb->level_h, rb->level_w,
                                    vl->strides, rb->kpt, &t, items, NULL, NULL, NULL);
    if (rc != CPOSE_OK) return cpose_err_context(rc, "val loss of batch %d", rb->index);
    for (int k = 0; k < 5; k++) vl->sum[k] += items[k];
    vl->n_batches++;
    return CPOSE_OK;
}

void cpose_val_loss_mean(const struct cpose_val_loss *vl, double out[5])
{
    for (int k = 0; k < 5; k++) out[k] = vl->n_batches ? vl->sum[k] / vl->n_batches : 0.0;
}

void cpose_val_loss_free(struct cpose_val_loss *vl)
{
    if (!vl) return;
    cpose_pose_loss_ws_free(vl->ws);
    cpose_free(vl->kpt2);
    vl->ws = NULL, vl->kpt2 = NULL, vl->kpt2_cap = 0;
}
