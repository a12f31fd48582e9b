/* core/predict/predict_model.c — predict on a struct cpose_model: the backend adapter and a one-call
 * library entry (cpose_predict_run_model). The `cpose predict` mode is core/cli/mode_predict.c. */
#include "core/predict/predict.h"

#include "core/base/alloc.h"
#include "core/base/log.h"
#include "core/nn/model.h"

static int model_forward(void *ctx, const float *input, int64_t B, int64_t H, int64_t W, float *pred)
{
    return cpose_model_predict(ctx, input, B, H, W, pred);
}

static int64_t model_anchors(void *ctx, int64_t H, int64_t W) { return cpose_model_num_anchors(ctx, H, W); }

void cpose_predict_backend_from_model(struct cpose_model *m, struct cpose_predict_backend *b)
{
    const struct cpose_model_info *info = cpose_model_get_info(m);
    b->ctx = m;
    b->forward = model_forward;
    b->num_anchors = model_anchors;
    b->nc = info->nc;
    b->nkpt = info->nkpt;
    b->kdim = info->kdim;
    b->stride = info->max_stride;
    b->names = info->names;
    b->n_names = info->n_names;
}

int cpose_predict_run_model(struct cpose_model *m, const struct cpose_args *a, cpose_predict_cb cb, void *ud,
                            struct cpose_predict_summary *summary)
{
    struct cpose_predict_backend b;
    cpose_predict_backend_from_model(m, &b);
    return cpose_predict_run(&b, a, cb, ud, summary);
}
