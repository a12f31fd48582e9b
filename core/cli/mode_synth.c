/* core/cli/mode_synth.c — the `cpose synth` mode: writes the synthetic people dataset. */
#include <stdlib.h>
#include <string.h>

#include "core/cli/cli.h"
#include "core/base/log.h"
#include "datasets/synth.h"

int cpose_mode_synth(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("synth", argc, argv, &a)) return 2;
    cpose_cli_apply_threads(&a);
    struct cpose_synth_opts o;
    cpose_synth_opts_from_args(&a, &o);
    int rc = cpose_synth_generate(&o);
    cpose_args_free(&a);
    return rc ? cpose_cli_fail("synth") : 0;
}
