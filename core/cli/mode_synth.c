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
    struct cpose_synth_opts o = {
        .save_dir = cpose_args_str(&a, "save_dir"),
        .n_train = (int)cpose_args_int(&a, "train", 64),
        .n_val = 16,
        .imgsz = cpose_args_given(&a, "imgsz") ? (int)cpose_args_int(&a, "imgsz", 320) : 320,
        .seed = (uint64_t)cpose_args_int(&a, "seed", 0),
        .exist_ok = cpose_args_bool(&a, "exist_ok"),
    };
    if (!*o.save_dir) o.save_dir = "datasets/synth-pose";
    if (cpose_args_given(&a, "val")) { /* val is a bool for train/val modes, a count here */
        const char *v = cpose_args_str(&a, "val");
        char *end;
        long n = strtol(v, &end, 10);
        if (end == v || *end || n < 0) {
            cpose_err(CPOSE_EINVAL, "val=%s: synth takes the number of val images (e.g. val=16)", v);
            cpose_args_free(&a);
            return cpose_cli_fail("synth");
        }
        o.n_val = (int)n;
    }
    int rc = cpose_synth_generate(&o);
    cpose_args_free(&a);
    return rc ? cpose_cli_fail("synth") : 0;
}
