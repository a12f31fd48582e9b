/* core/cli/mode_eval.c — the `cpose eval` mode: COCOeval of a predictions file against a COCO GT file,
 * printing pycocotools' summary lines and writing the stats JSON and a report folder. */
#include "core/cli/cli.h"
#include "core/cli/eval_run.h"

int cpose_mode_eval(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("eval", argc, argv, &a)) return 1;
    cpose_cli_apply_threads(&a);
    int rc = cpose_eval_files(&a, stdout, NULL);
    cpose_args_free(&a);
    return rc == CPOSE_OK ? 0 : cpose_cli_fail("eval");
}
