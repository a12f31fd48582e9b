/* core/cli/cli.c — `cpose` mode dispatch, `version` and `help`, and the shared argument helpers. */
#include "core/cli/cli.h"
#include "core/nn/model.h"
#include "core/base/log.h"
#include "core/base/omp_policy.h"

#include <omp.h>
#include <string.h>

struct mode_entry {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
};

static const struct mode_entry modes[] = {
#define CPOSE_MODE(name, fn, help) {#name, fn, help},
#include "core/cli/cli_modes.def"
#undef CPOSE_MODE
};
#define N_MODES (sizeof modes / sizeof modes[0])

int cpose_cli_parse(const char *mode, int argc, char **argv, struct cpose_args *a)
{
    cpose_args_init(a);
    if (cpose_args_parse(a, argc, argv, NULL, 0, NULL) != CPOSE_OK) {
        cpose_cli_fail(mode);
        cpose_args_free(a);
        return 1;
    }
    if (cpose_args_given(a, "verbose") && !cpose_args_bool(a, "verbose")) cpose_log_set_level(CPOSE_LOG_WARN);
    return 0;
}

int cpose_cli_fail(const char *mode)
{
    fprintf(stderr, "cpose %s: %s\n", mode, cpose_errmsg());
    if (cpose_log_get_level() >= CPOSE_LOG_DEBUG) fprintf(stderr, "  (at %s)\n", cpose_errloc());
    return 1;
}

void cpose_cli_apply_threads(const struct cpose_args *a)
{
    int64_t t = cpose_args_int(a, "threads", 0);
    if (t > 0) omp_set_num_threads((int)t);
}

int cpose_mode_version(int argc, char **argv)
{
    printf("cpose %s\n", CPOSE_VERSION);
    return 0;
}

int cpose_mode_help(int argc, char **argv)
{
    printf("usage: cpose [pose] MODE key=value ...\n\nmodes:\n");
    for (size_t i = 0; i < N_MODES; i++) printf("  %-10s %s\n", modes[i].name, modes[i].help);
    printf("\narguments (key=value, defaults as Ultralytics; empty = None):\n");
    for (int i = 0; i < CPOSE_ARG_COUNT; i++)
        printf("  %-16s %-12s %s\n", cpose_arg_defs[i].name, cpose_arg_defs[i].def, cpose_arg_defs[i].help);
    return 0;
}

static const char *nearest_mode(const char *name)
{
    const char *best = modes[0].name;
    size_t best_common = 0;
    for (size_t i = 0; i < N_MODES; i++) {
        size_t c = 0;
        while (name[c] && modes[i].name[c] == name[c]) c++;
        if (c > best_common) { best_common = c; best = modes[i].name; }
    }
    return best;
}

int cpose_cli_main(int argc, char **argv)
{
    int k = 1;
    if (k < argc && strcmp(argv[k], "pose") == 0) k++; /* `cpose pose predict ...` as `yolo pose predict` */
    if (k >= argc) return cpose_mode_help(0, NULL);
    const char *mode = argv[k];
    if (strncmp(mode, "mode=", 5) == 0) mode += 5;
    if (!strcmp(mode, "-h") || !strcmp(mode, "--help")) mode = "help";
    if (!strcmp(mode, "-v") || !strcmp(mode, "--version")) mode = "version";
    for (size_t i = 0; i < N_MODES; i++)
        if (strcmp(modes[i].name, mode) == 0) {
            /* modes that run the network (≈100 small parallel regions per forward): OpenMP workers
             * spin only briefly before sleeping (core/base/omp_policy.c says why). Other modes skip the
             * re-exec, which costs a second process start (≈0.15 s with this many shared libraries). */
            static const char *const model_modes[] = {"forward", "benchmark", "predict", "val", "run", "train", NULL};
            for (int j = 0; model_modes[j]; j++)
                if (!strcmp(mode, model_modes[j])) cpose_omp_bound_spinning(mode);
            return modes[i].fn(argc - k - 1, argv + k + 1);
        }
    fprintf(stderr, "cpose: '%s' is not a mode; did you mean '%s'? (cpose help lists the modes)\n", mode,
            nearest_mode(mode));
    return 2;
}

int cpose_cli_load_model(const struct cpose_args *a, struct cpose_model **m)
{
    *m = NULL;
    if (cpose_args_is_none(a, "model"))
        return cpose_err(CPOSE_EINVAL, "model= is required (a YAML like yolov8n-pose.yaml or weights .h5)");
    const char *cfg = cpose_args_is_none(a, "cfg") ? NULL : cpose_args_str(a, "cfg");
    return cpose_model_load_seeded(cpose_args_str(a, "model"), cfg, (uint64_t)cpose_args_int(a, "seed", 0), m);
}
