/* core/cli/mode_loss.c — the `cpose loss` mode: the v8 pose loss and gradient norm of a model on one
 * batch file (`cpose loss model=W.h5 [cfg=...] batch=B.h5`), printed as one line
 * `box=… pose=… kobj=… cls=… dfl=… total=… grad_norm=…`. */
#include <stdio.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/cli/cli.h"
#include "core/nn/model.h"
#include "core/train/train_step.h"

int cpose_mode_loss(int argc, char **argv)
{
    /* batch= names a file here (everywhere else it is the batch size): take it out before parsing */
    const char *batch = NULL;
    char **rest = cpose_calloc(argc + 1, sizeof(char *));
    int nrest = 0;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "batch=", 6)) batch = argv[i] + 6;
        else rest[nrest++] = argv[i];
    }
    struct cpose_args a;
    if (cpose_cli_parse("loss", nrest, rest, &a)) {
        cpose_free(rest);
        return 2;
    }
    cpose_free(rest);
    cpose_cli_apply_threads(&a);
    struct cpose_model *m = NULL;
    struct cpose_train_exec *ex = NULL;
    struct cpose_loss_batch b = {0};
    int rc = CPOSE_OK;
    if (!batch || !*batch) {
        rc = cpose_err(CPOSE_EINVAL, "give the batch file: cpose loss model=W.h5 batch=B.h5 (datasets img, "
                       "batch_idx, cls, bboxes, keypoints)");
        goto done;
    }
    if ((rc = cpose_cli_load_model(&a, &m)) != CPOSE_OK) goto done;
    const struct cpose_model_info *info = cpose_model_get_info(m);
    if ((rc = cpose_loss_batch_read(batch, info, &b)) != CPOSE_OK) goto done;
    if ((rc = cpose_train_exec_new(m, &ex)) != CPOSE_OK) goto done;
    float items[5], total;
    if ((rc = cpose_train_loss_step(ex, info, NULL, &b, 0, items, &total)) != CPOSE_OK) goto done;
    printf("box=%.7g pose=%.7g kobj=%.7g cls=%.7g dfl=%.7g total=%.8g grad_norm=%.7g\n", items[0], items[1], items[2],
           items[3], items[4], total, cpose_train_exec_grad_norm(ex));
done:
    cpose_train_exec_free(ex);
    cpose_loss_batch_free(&b);
    cpose_model_free(m);
    cpose_args_free(&a);
    return rc ? cpose_cli_fail("loss") : 0;
}
