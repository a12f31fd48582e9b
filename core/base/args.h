/* core/base/args.h — parsing and typed access for key=value arguments, shared by the CLI and Lua.
 *
 * The table of known keys is core/base/args.def (names, types, defaults as Ultralytics has them).
 * A parsed set holds a string value per key; accessors convert. Unknown keys and values of the
 * wrong type are refused with a message naming the nearest valid key or the expected type. */
#ifndef CPOSE_ARGS_H
#define CPOSE_ARGS_H

#include <stdint.h>
#include "core/base/status.h"

enum cpose_arg_type { CPOSE_ARG_STR, CPOSE_ARG_INT, CPOSE_ARG_FLOAT, CPOSE_ARG_BOOL, CPOSE_ARG_LIST };

struct cpose_arg_def {
    const char *name;
    enum cpose_arg_type type;
    const char *def;   /* "" = None */
    const char *help;
};

enum cpose_arg_id {
#define CPOSE_ARG(name, type, def, help) CPOSE_ARGID_##name,
#include "core/base/args.def"
#undef CPOSE_ARG
    CPOSE_ARG_COUNT
};

CPOSE_API extern const struct cpose_arg_def cpose_arg_defs[CPOSE_ARG_COUNT];

struct cpose_args {
    char *value[CPOSE_ARG_COUNT];  /* NULL = not given (use the default) */
};

/* Index of a key, or -1. */
CPOSE_API int cpose_arg_find(const char *name);
/* The known key closest to name (edit distance), for "did you mean" messages. */
CPOSE_API const char *cpose_arg_nearest(const char *name);

CPOSE_API void cpose_args_init(struct cpose_args *a);
CPOSE_API void cpose_args_free(struct cpose_args *a);
/* Sets key to value after checking the key exists and the value parses as its type
 * ("None"/"null" reset it to None). Errors name the key, value and nearest key. */
CPOSE_API int cpose_args_set(struct cpose_args *a, const char *key, const char *value);
/* Parses argv entries of the form key=value. Entries without '=' are stored in positional[]
 * (up to max_pos; their count in *n_pos) when positional is non-NULL, else refused. */
CPOSE_API int cpose_args_parse(struct cpose_args *a, int argc, char **argv, char **positional, int max_pos,
                               int *n_pos);

/* Was the key given explicitly (not its default)? */
CPOSE_API int cpose_args_given(const struct cpose_args *a, const char *key);
/* Is the effective value None (not given and default None, or given as None)? */
CPOSE_API int cpose_args_is_none(const struct cpose_args *a, const char *key);
/* The effective value as text ("" for None). Never NULL. */
CPOSE_API const char *cpose_args_str(const struct cpose_args *a, const char *key);
/* Typed accessors; `fallback` is returned when the value is None. */
CPOSE_API int64_t cpose_args_int(const struct cpose_args *a, const char *key, int64_t fallback);
CPOSE_API double cpose_args_float(const struct cpose_args *a, const char *key, double fallback);
CPOSE_API int cpose_args_bool(const struct cpose_args *a, const char *key);
/* A LIST value ("0,2", "[0, 2]", "0") as integers; returns the count (≤ max). */
CPOSE_API int cpose_args_int_list(const struct cpose_args *a, const char *key, int64_t *out, int max);
/* Parses a boolean spelling (True/False/true/false/1/0/yes/no); -1 when not a boolean. */
CPOSE_API int cpose_parse_bool(const char *s);
/* The run folder Ultralytics uses for a mode: project (default runs/pose) / name (default
 * default_name), then name2, name3, ... unless exist_ok; created. Returns the path (caller frees)
 * or NULL with a message (cpose_increment_run_dir). */
CPOSE_API char *cpose_args_run_dir(const struct cpose_args *a, const char *default_name);

#endif
