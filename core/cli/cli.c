/* core/cli/cli.c — `cpose` mode dispatch, `version` and `help` (the mode list, the modes this binary
 * lacks, and per-mode arguments), and the shared argument helpers. */
#include "core/cli/cli.h"
#include "core/nn/model.h"
#include "datasets/pretrained.h"
#include "core/base/log.h"
#include "core/base/omp_policy.h"
#include "core/base/dist.h"

#include <omp.h>
#include <string.h>
#include <unistd.h>

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

/* mode → the keys it reads (core/cli/mode_args.def), and Ultralytics modes not in this binary */
struct mode_note {
    const char *name, *text;
};
static const struct mode_note mode_args[] = {
#define CPOSE_MODE_ARGS(name, keys) {#name, keys},
#define CPOSE_MODE_MISSING(name, why)
#include "core/cli/mode_args.def"
#undef CPOSE_MODE_ARGS
#undef CPOSE_MODE_MISSING
};
static const struct mode_note missing_modes[] = {
#define CPOSE_MODE_ARGS(name, keys)
#define CPOSE_MODE_MISSING(name, why) {#name, why},
#include "core/cli/mode_args.def"
#undef CPOSE_MODE_ARGS
#undef CPOSE_MODE_MISSING
};

/* Ultralytics' tasks other than pose: `cpose detect predict` is answered, not guessed at */
static const char *const other_tasks[] = {"detect", "segment", "classify", "obb", NULL};

static const struct mode_entry *find_mode(const char *name)
{
    for (size_t i = 0; i < N_MODES; i++)
        if (strcmp(modes[i].name, name) == 0) return &modes[i];
    return NULL;
}

static const struct mode_note *find_note(const struct mode_note *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) return &t[i];
    return NULL;
}
#define N_ARGS_NOTES (sizeof mode_args / sizeof mode_args[0])
#define N_MISSING (sizeof missing_modes / sizeof missing_modes[0])

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

/* threads= beyond this many per core only adds start-up time and stack memory (10000 threads took
 * 25 s and 2 GB): it is capped with a warning. */
#define CLI_MAX_THREADS_PER_CPU 4

void cpose_cli_apply_threads(const struct cpose_args *a)
{
    if (cpose_args_is_none(a, "threads")) return;
    int64_t t = cpose_args_int(a, "threads", 0);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int64_t max = (cpus > 0 ? cpus : 1) * CLI_MAX_THREADS_PER_CPU;
    if (t < 1) {
        cpose_warn("threads=%lld is not a thread count (at least 1); using all %ld cores", (long long)t, cpus);
        return;
    }
    if (t > max) {
        cpose_warn("threads=%lld is more than %d per core on this %ld-core machine; using %lld", (long long)t,
                   CLI_MAX_THREADS_PER_CPU, cpus, (long long)max);
        t = max;
    }
    omp_set_num_threads((int)t);
}

int cpose_mode_version(int argc, char **argv)
{
    printf("cpose %s\n", CPOSE_VERSION);
    return 0;
}

static void print_arg(int i)
{
    const struct cpose_arg_def *d = &cpose_arg_defs[i];
    printf("  %-16s %-12s %s\n", d->name, *d->def ? d->def : "None", d->help);
}

static const char *nearest_mode(const char *name);

/* `cpose help MODE`, `cpose MODE help`, `cpose MODE --help`: the mode's line and its arguments with
 * defaults. Exit 0; 2 for a mode this binary does not have (with the reason) or an unknown word. */
static int mode_help(const char *name)
{
    const struct mode_entry *m = find_mode(name);
    if (!m) {
        const struct mode_note *miss = find_note(missing_modes, N_MISSING, name);
        if (miss) fprintf(stderr, "cpose %s: not built in this binary: %s\n", name, miss->text);
        else fprintf(stderr, "cpose: '%s' is not a mode; did you mean '%s'? (cpose help lists the modes)\n", name,
                     nearest_mode(name));
        return 2;
    }
    printf("cpose %s — %s\n\nusage: cpose %s key=value ...\n", m->name, m->help, m->name);
    const struct mode_note *args = find_note(mode_args, N_ARGS_NOTES, name);
    if (!args) {
        printf("\narguments (key=value; None = not set):\n");
        for (int i = 0; i < CPOSE_ARG_COUNT; i++) print_arg(i);
        return 0;
    }
    if (!*args->text) {
        printf("\n(no arguments)\n");
        return 0;
    }
    printf("\narguments (key=value, default, meaning; None = not set, the mode decides):\n");
    const char *p = args->text;
    while (*p) {
        while (*p == ' ') p++;
        size_t len = strcspn(p, " ");
        if (!len) break;
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)len, p);
        int i = cpose_arg_find(key);
        if (i >= 0) print_arg(i);
        else printf("  %-16s (not in core/base/args.def: core/cli/mode_args.def is out of date)\n", key);
        p += len;
    }
    return 0;
}

int cpose_mode_help(int argc, char **argv)
{
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) return mode_help("help");
    if (argc >= 1 && strcmp(argv[0], "all") != 0) return mode_help(argv[0]);
    printf("usage: cpose [pose] MODE key=value ...   (cpose help MODE, or cpose MODE --help: its arguments)\n\n"
           "modes:\n");
    for (size_t i = 0; i < N_MODES; i++) printf("  %-10s %s\n", modes[i].name, modes[i].help);
    int header = 0;
    for (size_t i = 0; i < N_MISSING; i++) {
        if (find_mode(missing_modes[i].name)) continue;
        if (!header++) printf("\nnot built in this binary:\n");
        printf("  %-10s %s\n", missing_modes[i].name, missing_modes[i].text);
    }
    printf("\ncpose is pose-only: Ultralytics' other tasks (detect, segment, classify, obb) are not part of it.\n");
    if (argc >= 1) { /* cpose help all: every argument */
        printf("\narguments (key=value, defaults as Ultralytics; None = not set):\n");
        for (int i = 0; i < CPOSE_ARG_COUNT; i++) print_arg(i);
    } else {
        printf("`cpose help all` lists every argument.\n");
    }
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
    for (int t = 0; other_tasks[t]; t++)
        if (strcmp(mode, other_tasks[t]) == 0) {
            const char *next = k + 1 < argc ? argv[k + 1] : "MODE";
            fprintf(stderr, "cpose: '%s' is an Ultralytics task cpose does not have: cpose is pose-only (YOLOv8-pose "
                            "models); use `cpose %s ...` or `cpose pose %s ...` with a pose model\n", mode, next, next);
            return 2;
        }
    /* `cpose val help`, `cpose val --help`, `cpose val -h`: the mode's arguments */
    if (k + 1 < argc && (!strcmp(argv[k + 1], "help") || !strcmp(argv[k + 1], "--help") || !strcmp(argv[k + 1], "-h")) &&
        strcmp(mode, "help") != 0)
        return mode_help(mode);
    const struct mode_note *miss = find_mode(mode) ? NULL : find_note(missing_modes, N_MISSING, mode);
    if (miss) {
        fprintf(stderr, "cpose %s: not built in this binary: %s\n", mode, miss->text);
        return 2;
    }
    for (size_t i = 0; i < N_MODES; i++)
        if (strcmp(modes[i].name, mode) == 0) {
            /* modes that run the network (≈100 small parallel regions per forward): OpenMP workers
             * spin only briefly before sleeping (core/base/omp_policy.c says why). Other modes skip the
             * re-exec, which costs a second process start (≈0.15 s with this many shared libraries). */
            static const char *const model_modes[] = {"forward", "benchmark", "predict", "val", "run", "train", NULL};
            for (int j = 0; model_modes[j]; j++)
                if (!strcmp(mode, model_modes[j])) cpose_omp_bound_spinning(mode);
            /* under mpirun, every rank runs the mode; only rank 0 prints progress and results
             * (core/base/dist.h). A rank that fails ends the whole job. */
            if (cpose_dist_init() != CPOSE_OK) return cpose_cli_fail(mode);
            if (cpose_dist_rank() != 0 && cpose_log_get_level() > CPOSE_LOG_WARN) cpose_log_set_level(CPOSE_LOG_WARN);
            int rc = modes[i].fn(argc - k - 1, argv + k + 1);
            return cpose_dist_finalize(rc);
        }
    fprintf(stderr, "cpose: '%s' is not a mode; did you mean '%s'? (cpose help lists the modes)\n", mode,
            nearest_mode(mode));
    return 2;
}

int cpose_cli_load_model(const struct cpose_args *a, struct cpose_model **m)
{
    *m = NULL;
    if (cpose_args_is_none(a, "model"))
        return cpose_err(CPOSE_EINVAL, "model= is required (a YAML like yolov8n-pose.yaml, or weights: .h5, .pt, yolov8n-pose.pt)");
    const char *cfg = cpose_args_is_none(a, "cfg") ? NULL : cpose_args_str(a, "cfg");
    return cpose_model_load_resolved(cpose_args_str(a, "model"), cfg, (uint64_t)cpose_args_int(a, "seed", 0), m);
}
