/* core/cli/mode_predict.c — `cpose predict`: load the model and run core/predict on source=. */
#include "core/base/args.h"
#include "core/cli/cli.h"
#include "core/nn/model.h"
#include "core/predict/predict.h"

int cpose_mode_predict(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("predict", argc, argv, &a)) return 1;
    struct cpose_model *m = NULL;
    struct cpose_predict_summary sum = {0};
    int rc;
    cpose_cli_apply_threads(&a);
    if (cpose_args_is_none(&a, "source")) {
        rc = cpose_err(CPOSE_EINVAL, "no source given: pass source=<image, folder, glob, .txt list or http(s) URL>");
        goto fail;
    }
    if ((rc = cpose_cli_load_model(&a, &m)) != CPOSE_OK) goto fail;
    if ((rc = cpose_cli_apply_precision(&a, m, 0)) != CPOSE_OK) goto fail;
    rc = cpose_predict_run_model(m, &a, NULL, NULL, &sum);
fail:
    if (rc) cpose_cli_fail("predict");
    cpose_predict_summary_free(&sum);
    cpose_model_free(m);
    cpose_args_free(&a);
    return rc ? 1 : 0;
}
