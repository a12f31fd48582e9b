/* core/train/train_step.c — the loss batch reader (HDF5, checked against the model) and the loss
 * step (train executor forward → cpose_pose_loss → backward). */
#include "core/train/train_step.h"

#include "core/base/alloc.h"
#include "core/base/log.h"
#include "core/nn/h5io.h"
#include "core/nn/tensor.h"

#include <math.h>
#include <string.h>

void cpose_loss_batch_free(struct cpose_loss_batch *b)
{
    if (!b) return;
    cpose_free(b->img), cpose_free(b->batch_idx), cpose_free(b->cls), cpose_free(b->bboxes), cpose_free(b->keypoints);
    memset(b, 0, sizeof *b);
}

static int64_t count(const int64_t *d, int nd)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= d[i];
    return n;
}

static int all_finite(const char *path, const char *name, const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return cpose_err(CPOSE_EINVAL, "%s: dataset '%s' holds a non-finite value (%g) at flat index %lld", path,
                             name, v[i], (long long)i);
    return CPOSE_OK;
}

int cpose_loss_batch_read(const char *path, const struct cpose_model_info *info, struct cpose_loss_batch *b)
{
    int rc, nd;
    int64_t d[CPOSE_H5_MAX_DIMS];
    struct cpose_h5 *f = NULL;
    memset(b, 0, sizeof *b);
    if ((rc = cpose_h5_open(path, &f)) != CPOSE_OK) return rc;
    static const char *const names[5] = {"img", "batch_idx", "cls", "bboxes", "keypoints"};
    for (int i = 0; i < 5; i++)
        if (!cpose_h5_exists(f, names[i])) {
            rc = cpose_err(CPOSE_EINVAL, "%s: no dataset '%s' (a loss batch holds img [B,3,H,W], batch_idx [n], cls [n], "
                           "bboxes [n,4] and keypoints [n,%d,%d])", path, names[i], info->nkpt, info->kdim);
            goto fail;
        }
    char s[96];
    if ((rc = cpose_h5_read_f32(f, "img", &b->img, &nd, d)) != CPOSE_OK) goto fail;
    if (nd != 4 || d[1] != 3 || d[0] < 1 || d[2] % info->max_stride || d[3] % info->max_stride || d[2] < 1 || d[3] < 1) {
        rc = cpose_err(CPOSE_ESHAPE, "%s: img is %s; the model needs [B, 3, H, W] with H and W positive multiples of %d",
                       path, cpose_shape_str(d, nd, s, sizeof s), info->max_stride);
        goto fail;
    }
    b->B = d[0], b->H = d[2], b->W = d[3];
    if ((rc = all_finite(path, "img", b->img, count(d, nd))) != CPOSE_OK) goto fail;
    float **dst[4] = {&b->batch_idx, &b->cls, &b->bboxes, &b->keypoints};
    for (int i = 1; i < 5; i++) {
        if ((rc = cpose_h5_read_f32(f, names[i], dst[i - 1], &nd, d)) != CPOSE_OK) goto fail;
        int64_t n = nd ? d[0] : 0;
        if (i == 1) b->n = (int)n;
        int ok = nd >= 1 && n == b->n;
        if (i == 1) ok = nd == 1 || (nd == 2 && d[1] == 1);
        if (i == 2) ok &= nd == 1 || (nd == 2 && d[1] == 1);
        if (i == 3) ok &= nd == 2 && d[1] == 4;
        if (i == 4) ok &= nd == 3 && d[1] == info->nkpt && d[2] == info->kdim;
        if (!ok) {
            static const char *const want[5] = {"", "[n] or [n,1]", "[n] or [n,1]", "[n,4]", "[n,nkpt,kdim]"};
            rc = cpose_err(CPOSE_ESHAPE, "%s: %s is %s; expected %s with n = %d objects (the model has kpt_shape [%d, %d])",
                           path, names[i], cpose_shape_str(d, nd, s, sizeof s), want[i], b->n, info->nkpt, info->kdim);
            goto fail;
        }
        if ((rc = all_finite(path, names[i], *dst[i - 1], count(d, nd))) != CPOSE_OK) goto fail;
    }
    for (int i = 0; i < b->n; i++) {
        float bi = b->batch_idx[i], c = b->cls[i];
        if (bi < 0 || bi >= b->B || bi != floorf(bi) || c < 0 || c >= info->nc || c != floorf(c)) {
            rc = cpose_err(CPOSE_EINVAL, "%s: object %d has batch_idx %g and cls %g; expected integers in [0, %lld) and [0, %d)",
                           path, i, bi, c, (long long)b->B, info->nc);
            goto fail;
        }
    }
    cpose_h5_close(f);
    return CPOSE_OK;
fail:
    cpose_h5_close(f);
    cpose_loss_batch_free(b);
    return rc;
}

int cpose_train_loss_step(struct cpose_train_exec *ex, const struct cpose_model_info *info,
                          const struct cpose_pose_loss_cfg *cfg, const struct cpose_loss_batch *b, int accumulate,
                          float items[5], float *total)
{
    int rc;
    struct cpose_pose_loss_cfg def;
    if (!cfg) {
        cpose_pose_loss_cfg_default(&def, info->nc, info->nkpt, info->kdim);
        cfg = &def;
    }
    if ((rc = cpose_train_exec_forward(ex, b->img, b->B, b->H, b->W)) != CPOSE_OK) return rc;
    int nl = info->n_levels, H[4], W[4];
    const float *feats[4];
    float *gfeats[4], strides[4];
    for (int l = 0; l < nl; l++) {
        cpose_train_exec_level_dims(ex, l, &H[l], &W[l]);
        feats[l] = cpose_train_exec_feat(ex, l);
        gfeats[l] = cpose_train_exec_grad_feat(ex, l);
        strides[l] = (float)info->strides[l];
    }
    struct cpose_pose_targets t = {.n = b->n, .batch_idx = b->batch_idx, .cls = b->cls, .bboxes = b->bboxes,
                                   .keypoints = b->keypoints};
    if ((rc = cpose_pose_loss(cfg, (int)b->B, nl, feats, H, W, strides, cpose_train_exec_kpt(ex), &t, items, total,
                              gfeats, cpose_train_exec_grad_kpt(ex))) != CPOSE_OK)
        return rc;
    return cpose_train_exec_backward(ex, accumulate);
}
