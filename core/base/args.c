/* core/base/args.c — the argument table (from args.def), key=value parsing, typed accessors. */
#include "core/base/args.h"
#include "core/base/alloc.h"
#include "core/base/fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct cpose_arg_def cpose_arg_defs[CPOSE_ARG_COUNT] = {
#define CPOSE_ARG(name, type, def, help) {#name, CPOSE_ARG_##type, def, help},
#include "core/base/args.def"
#undef CPOSE_ARG
};

int cpose_arg_find(const char *name)
{
    for (int i = 0; i < CPOSE_ARG_COUNT; i++)
        if (strcmp(cpose_arg_defs[i].name, name) == 0) return i;
    return -1;
}

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int d[64][64];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int sub = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

const char *cpose_arg_nearest(const char *name)
{
    int best = -1, best_d = 1 << 30;
    for (int i = 0; i < CPOSE_ARG_COUNT; i++) {
        int d = edit_distance(name, cpose_arg_defs[i].name);
        if (d < best_d) { best_d = d; best = i; }
    }
    return cpose_arg_defs[best].name;
}

void cpose_args_init(struct cpose_args *a) { memset(a, 0, sizeof *a); }

void cpose_args_free(struct cpose_args *a)
{
    for (int i = 0; i < CPOSE_ARG_COUNT; i++) cpose_free(a->value[i]);
    memset(a, 0, sizeof *a);
}

int cpose_parse_bool(const char *s)
{
    static const char *yes[] = {"True", "true", "1", "yes", "Yes", "TRUE"};
    static const char *no[] = {"False", "false", "0", "no", "No", "FALSE"};
    for (int i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0) return 1;
        if (strcmp(s, no[i]) == 0) return 0;
    }
    return -1;
}

static int is_none(const char *s) { return !*s || strcmp(s, "None") == 0 || strcmp(s, "null") == 0 || strcmp(s, "nil") == 0; }

static int parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) {
        /* accept integral floats such as "640.0" */
        double d = strtod(s, &end);
        if (end == s || *end || d != floor(d)) return -1;
        v = (long long)d;
    }
    *out = v;
    return 0;
}

static int parse_float(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end) return -1;
    *out = v;
    return 0;
}

/* Keys that had a second meaning before each key got one (as in Ultralytics): where that meaning went. */
static const char *moved_hint(const char *key)
{
    if (!strcmp(key, "val")) return " (the number of synthetic val images is n_val=)";
    if (!strcmp(key, "train")) return ": the number of synthetic train images is n_train=";
    if (!strcmp(key, "nms")) return " (forward's NMS rows are nms_rows=val or nms_rows=predict)";
    return "";
}

static int check_value(const struct cpose_arg_def *d, const char *value)
{
    if (is_none(value)) return CPOSE_OK;
    int64_t i;
    double f;
    switch (d->type) {
    case CPOSE_ARG_INT:
        if (parse_int(value, &i)) return cpose_err(CPOSE_EINVAL, "'%s=%s' is not valid: %s takes an integer", d->name, value, d->name);
        break;
    case CPOSE_ARG_FLOAT:
        if (parse_float(value, &f)) return cpose_err(CPOSE_EINVAL, "'%s=%s' is not valid: %s takes a number", d->name, value, d->name);
        break;
    case CPOSE_ARG_BOOL:
        if (cpose_parse_bool(value) < 0)
            return cpose_err(CPOSE_EINVAL, "'%s=%s' is not valid: %s takes True or False%s", d->name, value, d->name,
                             moved_hint(d->name));
        break;
    case CPOSE_ARG_LIST: {
        for (const char *p = value; *p; p++)
            if (!isdigit((unsigned char)*p) && !strchr("[], -", *p))
                return cpose_err(CPOSE_EINVAL, "'%s=%s' is not valid: %s takes integers such as 0 or 0,2 or [0,2]", d->name, value, d->name);
        break;
    }
    case CPOSE_ARG_STR: break;
    }
    return CPOSE_OK;
}

int cpose_args_set(struct cpose_args *a, const char *key, const char *value)
{
    int i = cpose_arg_find(key);
    if (i < 0 && *moved_hint(key))
        return cpose_err(CPOSE_EINVAL, "'%s' is not a valid argument%s", key, moved_hint(key));
    if (i < 0)
        return cpose_err(CPOSE_EINVAL, "'%s' is not a valid argument; did you mean '%s'? (cpose help lists them all)", key,
                         cpose_arg_nearest(key));
    int rc = check_value(&cpose_arg_defs[i], value);
    if (rc) return rc;
    cpose_free(a->value[i]);
    a->value[i] = cpose_strdup(value);
    return CPOSE_OK;
}

int cpose_args_parse(struct cpose_args *a, int argc, char **argv, char **positional, int max_pos, int *n_pos)
{
    if (n_pos) *n_pos = 0;
    for (int k = 0; k < argc; k++) {
        const char *eq = strchr(argv[k], '=');
        if (!eq) {
            if (positional && n_pos && *n_pos < max_pos) {
                positional[(*n_pos)++] = argv[k];
                continue;
            }
            int i = cpose_arg_find(argv[k]);
            if (i >= 0)
                return cpose_err(CPOSE_EINVAL, "'%s' needs a value: write %s=%s", argv[k], argv[k],
                                 *cpose_arg_defs[i].def ? cpose_arg_defs[i].def : "...");
            return cpose_err(CPOSE_EINVAL, "'%s' is not a key=value argument; did you mean '%s=...'?", argv[k],
                             cpose_arg_nearest(argv[k]));
        }
        char key[128];
        size_t kl = (size_t)(eq - argv[k]);
        if (kl == 0 || kl >= sizeof key) return cpose_err(CPOSE_EINVAL, "'%s' has no valid key before '='", argv[k]);
        memcpy(key, argv[k], kl);
        key[kl] = 0;
        int rc = cpose_args_set(a, key, eq + 1);
        if (rc) return rc;
    }
    return CPOSE_OK;
}

static int must_find(const char *key)
{
    int i = cpose_arg_find(key);
    if (i < 0) {
        fprintf(stderr, "cpose: internal error: argument '%s' is not in core/base/args.def\n", key);
        abort();
    }
    return i;
}

int cpose_args_given(const struct cpose_args *a, const char *key) { return a->value[must_find(key)] != NULL; }

const char *cpose_args_str(const struct cpose_args *a, const char *key)
{
    int i = must_find(key);
    const char *v = a->value[i] ? a->value[i] : cpose_arg_defs[i].def;
    return is_none(v) ? "" : v;
}

int cpose_args_is_none(const struct cpose_args *a, const char *key) { return !*cpose_args_str(a, key); }

int64_t cpose_args_int(const struct cpose_args *a, const char *key, int64_t fallback)
{
    const char *v = cpose_args_str(a, key);
    int64_t out;
    if (!*v || parse_int(v, &out)) return fallback;
    return out;
}

double cpose_args_float(const struct cpose_args *a, const char *key, double fallback)
{
    const char *v = cpose_args_str(a, key);
    double out;
    if (!*v || parse_float(v, &out)) return fallback;
    return out;
}

int cpose_args_bool(const struct cpose_args *a, const char *key)
{
    const char *v = cpose_args_str(a, key);
    return *v && cpose_parse_bool(v) == 1;
}

int cpose_args_int_list(const struct cpose_args *a, const char *key, int64_t *out, int max)
{
    const char *p = cpose_args_str(a, key);
    int n = 0;
    while (*p && n < max) {
        while (*p && !isdigit((unsigned char)*p) && *p != '-') p++;
        if (!*p) break;
        char *end;
        out[n++] = strtoll(p, &end, 10);
        p = end;
    }
    return n;
}

char *cpose_args_run_dir(const struct cpose_args *a, const char *default_name)
{
    const char *project = cpose_args_is_none(a, "project") ? "runs/pose" : cpose_args_str(a, "project");
    const char *name = cpose_args_is_none(a, "name") ? default_name : cpose_args_str(a, "name");
    return cpose_increment_run_dir(project, name, cpose_args_bool(a, "exist_ok"));
}
