/* eval/val_hook.c — the per-batch hook of cpose_val_run_hooked: a val batch's raw head outputs (read
 * back from the model after its forward) and its letterboxed labels in Ultralytics' batch-dict layout,
 * handed to the caller's callback (the trainer computes its val losses from them). */
#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/model.h"
#include "eval/val_impl.h"

int cpose_val_hook_batch(const struct cpose_val_hooks *hooks, struct cpose_model *m, const struct cpose_batch *b,
                         int single_cls)
{
    if (!hooks || !hooks->on_batch) return CPOSE_OK;
    const struct cpose_model_info *mi = cpose_model_get_info(m);
    struct cpose_val_raw_batch rb;
    memset(&rb, 0, sizeof rb);
    rb.index = b->index, rb.B = b->n, rb.H = b->H, rb.W = b->W, rb.n_levels = mi->n_levels, rb.K = b->K;
    int64_t A = cpose_model_num_anchors(m, b->H, b->W);
    int rc = CPOSE_OK;
    float *feats[4] = {0}, *kpt = NULL;
    const int64_t C = 4 * 16 + mi->nc;
    for (int l = 0; l < mi->n_levels && rc == CPOSE_OK; l++) {
        rb.level_h[l] = b->H / mi->strides[l];
        rb.level_w[l] = b->W / mi->strides[l];
        feats[l] = cpose_malloc((size_t)b->n * C * rb.level_h[l] * rb.level_w[l] * sizeof(float));
        rc = cpose_model_level_raw(m, l, feats[l]);
        rb.feats[l] = feats[l];
    }
    kpt = cpose_malloc(((size_t)b->n * mi->nkpt * mi->kdim * A + 1) * sizeof(float));
    if (rc == CPOSE_OK) rc = cpose_model_kpt_raw(m, kpt);
    rb.kpt = kpt;

    /* the labels of every readable image, image by image (Ultralytics' collate order) */
    int n = 0;
    for (int i = 0; i < b->n; i++)
        if (!b->items[i].unreadable) n += b->items[i].n_labels;
    size_t K3 = (size_t)b->K * 3;
    float *idx = cpose_malloc(((size_t)n + 1) * sizeof(float)), *cls = cpose_malloc(((size_t)n + 1) * sizeof(float));
    float *box = cpose_malloc(((size_t)n * 4 + 1) * sizeof(float)), *kp = cpose_malloc(((size_t)n * K3 + 1) * sizeof(float));
    int j = 0;
    for (int i = 0; i < b->n; i++) {
        const struct cpose_batch_item *it = &b->items[i];
        if (it->unreadable) continue;
        for (int k = 0; k < it->n_labels; k++, j++) {
            idx[j] = (float)i;
            cls[j] = single_cls ? 0.0f : it->cls[k];
            memcpy(box + 4 * (size_t)j, it->bboxes + 4 * (size_t)k, 4 * sizeof(float));
            if (K3) memcpy(kp + K3 * j, it->kpts + K3 * k, K3 * sizeof(float));
        }
    }
    rb.n = n, rb.batch_idx = idx, rb.cls = cls, rb.bboxes = box, rb.keypoints = kp;
    if (rc == CPOSE_OK) rc = hooks->on_batch(hooks->user, &rb);
    for (int l = 0; l < 4; l++) cpose_free(feats[l]);
    cpose_free(kpt), cpose_free(idx), cpose_free(cls), cpose_free(box), cpose_free(kp);
    return rc;
}
