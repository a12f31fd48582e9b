/* eval/val_plot.c — keeps the first val batches (images, labels, predictions in the batch frame) for
 * the batch plots reports/ draws when plots=True (eval/val.h's struct cpose_val_plot_batch). */
#include <string.h>

#include "core/base/alloc.h"
#include "eval/val_impl.h"

void cpose_val_plot_batch_free(struct cpose_val_plot_batch *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) cpose_free(p->paths ? p->paths[i] : NULL);
    cpose_free(p->paths);
    cpose_free(p->bgr);
    cpose_free(p->lbl_idx), cpose_free(p->lbl_cls), cpose_free(p->lbl_box), cpose_free(p->lbl_kpts);
    cpose_free(p->pred_idx), cpose_free(p->pred_cls), cpose_free(p->pred_conf), cpose_free(p->pred_box);
    cpose_free(p->pred_kpts);
    cpose_free(p);
}

void cpose_val_plot_keep_batch(const struct cpose_batch *b, struct cpose_val_plot_batch **out)
{
    struct cpose_val_plot_batch *p = cpose_calloc(1, sizeof *p);
    int n = b->n < CPOSE_VAL_PLOT_MAX_IMAGES ? b->n : CPOSE_VAL_PLOT_MAX_IMAGES;
    size_t plane = (size_t)b->H * b->W;
    p->n = n, p->H = b->H, p->W = b->W, p->K = b->K;
    p->bgr = cpose_malloc((size_t)n * plane * 3 + 1);
    p->paths = cpose_calloc((size_t)n + 1, sizeof *p->paths);
    int nl = 0;
    for (int i = 0; i < n; i++) {
        const float *src = b->images + (size_t)i * 3 * plane;
        uint8_t *d = p->bgr + (size_t)i * plane * 3;
        for (size_t k = 0; k < plane; k++)
            for (int ch = 0; ch < 3; ch++) {
                float v = src[(size_t)(2 - ch) * plane + k] * 255.0f; /* RGB planes → BGR, truncated as numpy */
                d[3 * k + ch] = (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : (int)v);
            }
        p->paths[i] = cpose_strdup(b->items[i].im_file ? b->items[i].im_file : "");
        if (!b->items[i].unreadable) nl += b->items[i].n_labels;
    }
    size_t K3 = (size_t)b->K * 3;
    p->lbl_idx = cpose_malloc((size_t)nl * sizeof(float) + 1);
    p->lbl_cls = cpose_malloc((size_t)nl * sizeof(float) + 1);
    p->lbl_box = cpose_malloc((size_t)nl * 4 * sizeof(float) + 1);
    p->lbl_kpts = cpose_malloc((size_t)nl * K3 * sizeof(float) + 1);
    for (int i = 0; i < n; i++) {
        const struct cpose_batch_item *it = &b->items[i];
        if (it->unreadable) continue;
        for (int j = 0; j < it->n_labels; j++, p->n_labels++) {
            p->lbl_idx[p->n_labels] = (float)i;
            p->lbl_cls[p->n_labels] = it->cls[j];
            memcpy(p->lbl_box + 4 * (size_t)p->n_labels, it->bboxes + 4 * (size_t)j, 4 * sizeof(float));
            if (K3) memcpy(p->lbl_kpts + K3 * p->n_labels, it->kpts + K3 * j, K3 * sizeof(float));
        }
    }
    *out = p;
}

void cpose_val_plot_keep_preds(struct cpose_val_plot_batch *p, int i, const float *rows, int64_t n, int nkpt, int kdim)
{
    if (!p || i < 0 || i >= p->n || n <= 0) return;
    size_t K3 = (size_t)p->K * 3;
    int64_t RW = 6 + (int64_t)nkpt * kdim;
    if (p->n_preds + n > p->cap_preds) {
        p->cap_preds = (int)(p->n_preds + n + 64);
        size_t c = (size_t)p->cap_preds;
        p->pred_idx = cpose_realloc(p->pred_idx, c * sizeof(float));
        p->pred_cls = cpose_realloc(p->pred_cls, c * sizeof(float));
        p->pred_conf = cpose_realloc(p->pred_conf, c * sizeof(float));
        p->pred_box = cpose_realloc(p->pred_box, c * 4 * sizeof(float));
        p->pred_kpts = cpose_realloc(p->pred_kpts, c * K3 * sizeof(float) + 1);
    }
    for (int64_t r = 0; r < n; r++) {
        const float *row = rows + r * RW;
        size_t d = (size_t)p->n_preds++;
        p->pred_idx[d] = (float)i;
        p->pred_conf[d] = row[4];
        p->pred_cls[d] = row[5];
        float *bx = p->pred_box + 4 * d;
        bx[0] = (row[0] + row[2]) / 2, bx[1] = (row[1] + row[3]) / 2;
        bx[2] = row[2] - row[0], bx[3] = row[3] - row[1];
        for (int k = 0; k < p->K && k < nkpt; k++) {
            float *kp = p->pred_kpts + K3 * d + 3 * (size_t)k;
            kp[0] = row[6 + k * kdim];
            kp[1] = row[6 + k * kdim + 1];
            kp[2] = kdim > 2 ? row[6 + k * kdim + 2] : 1.0f;
        }
    }
}
