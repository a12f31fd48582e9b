/* core/cli/mode_val.c — `cpose val`: load the model, run eval/val.h, write the reports. */
#include <string.h>

#include "core/base/args.h"
#include "core/cli/cli.h"
#include "core/nn/model.h"
#include "eval/val.h"
#include "reports/val_reports.h"

int cpose_mode_val(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("val", argc, argv, &a)) return 1;
    struct cpose_model *m = NULL;
    struct cpose_val_summary s;
    memset(&s, 0, sizeof s);
    int rc;
    cpose_cli_apply_threads(&a);
    if (cpose_args_is_none(&a, "data")) {
        rc = cpose_err(CPOSE_EINVAL, "no dataset given: pass data=<dataset YAML> (e.g. data=coco8-pose.yaml)");
        goto fail;
    }
    if ((rc = cpose_cli_load_model(&a, &m)) != CPOSE_OK) goto fail;
    if ((rc = cpose_cli_apply_precision(&a, m, 0)) != CPOSE_OK) goto fail;
    if ((rc = cpose_val_run(m, &a, &s)) == CPOSE_OK) rc = cpose_val_write_reports(&s);
fail:
    if (rc) cpose_cli_fail("val");
    cpose_val_summary_free(&s);
    cpose_model_free(m);
    cpose_args_free(&a);
    return rc ? 1 : 0;
}
