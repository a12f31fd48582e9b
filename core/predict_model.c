/* core/predict_model.c — predict on a struct cpose_model: the backend adapter, a one-call
 * library entry (cpose_predict_run_model) and the `cpose predict` mode. */
#include "predict.h"

#include "alloc.h"
#include "cli.h"
#include "log.h"
#include "model.h"

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
    b->imgsz = info->imgsz;
}

int cpose_predict_run_model(struct cpose_model *m, const struct cpose_args *a, cpose_predict_cb cb, void *ud,
                            struct cpose_predict_summary *summary)
{
    struct cpose_predict_backend b;
    cpose_predict_backend_from_model(m, &b);
    return cpose_predict_run(&b, a, cb, ud, summary);
}

int cpose_mode_predict(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("predict", argc, argv, &a)) return 1;
    struct cpose_model *m = NULL;
    struct cpose_predict_summary sum = {0};
    int rc;
    cpose_cli_apply_threads(&a);
    if (cpose_args_is_none(&a, "model")) {
        rc = cpose_err(CPOSE_EINVAL, "no model given: pass model=<weights .h5 or model YAML>");
        goto fail;
    }
    if (cpose_args_is_none(&a, "source")) {
        rc = cpose_err(CPOSE_EINVAL, "no source given: pass source=<image, folder, glob, .txt list or http(s) URL>");
        goto fail;
    }
    const char *cfg = cpose_args_is_none(&a, "cfg") ? NULL : cpose_args_str(&a, "cfg");
    if ((rc = cpose_model_load(cpose_args_str(&a, "model"), cfg, &m)) != CPOSE_OK) goto fail;
    rc = cpose_predict_run_model(m, &a, NULL, NULL, &sum);
fail:
    if (rc) cpose_cli_fail("predict");
    cpose_predict_summary_free(&sum);
    cpose_model_free(m);
    cpose_args_free(&a);
    return rc ? 1 : 0;
}
