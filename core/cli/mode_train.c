/* core/cli/mode_train.c — `cpose train`: parse the arguments and run core/train/trainer.h. */
#include <string.h>

#include "core/base/args.h"
#include "core/cli/cli.h"
#include "core/train/trainer.h"

int cpose_mode_train(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("train", argc, argv, &a)) return 1;
    cpose_cli_apply_threads(&a);
    struct cpose_trainer_cfg cfg = {.args = &a, .model = NULL, .label = "train"};
    struct cpose_train_result r;
    int rc = cpose_train_run(&cfg, NULL, &r);
    if (rc) cpose_cli_fail("train");
    cpose_train_result_free(&r);
    cpose_args_free(&a);
    return rc ? 1 : 0;
}
