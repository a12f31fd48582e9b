/* plugins/plugin_registry.h — the host side of the exporter plugins: finding and loading plugin
 * files (dlopen), checking their ABI, and running an export (the driver behind `cpose export` and
 * Lua's model:export{}).
 *
 * Search order: every folder (or .so file) of CPOSE_PLUGIN_PATH (':'-separated), then the build
 * tree's exporters/ and plugins/ folders, then the install folder (<exe>/../lib/cpose/plugins, then
 * <prefix>/lib/cpose/plugins). In folders, files named cpose-export-*.so are loaded, sorted by name.
 * A plugin that fails to load is recorded as a problem naming its file and never stops the others.
 * A format found again in a later folder is shadowed by the first; two files of one folder claiming
 * one format: the second is refused (problem names both). */
#ifndef CPOSE_PLUGIN_REGISTRY_H
#define CPOSE_PLUGIN_REGISTRY_H

#include "plugins/cpose_plugin.h"
#include "core/nn/model.h"
#include "core/base/status.h"

struct cpose_plugin_loaded {
    const struct cpose_plugin *plugin;
    char *path;      /* the .so file */
    void *handle;    /* dlopen handle (NULL for a plugin linked in) */
};

struct cpose_plugin_registry {
    struct cpose_plugin_loaded *items;
    int n, cap;
    char **problems;  /* one message per file refused */
    int n_problems;
};

/* Loads every plugin on the search path. Never fails as a whole: refused files become problems.
 * Returns an owned registry (free with cpose_plugins_free). */
CPOSE_API struct cpose_plugin_registry *cpose_plugins_load_default(void);
/* Loads the plugins of the given folders or files only, in order (tests). */
CPOSE_API struct cpose_plugin_registry *cpose_plugins_load_paths(const char *const *paths, int n);
CPOSE_API void cpose_plugins_free(struct cpose_plugin_registry *r); /* NULL-safe */
/* The plugin for a format name, or NULL. */
CPOSE_API const struct cpose_plugin_loaded *cpose_plugins_find(const struct cpose_plugin_registry *r,
                                                               const char *format);
/* The version rule: CPOSE_OK, or CPOSE_EABI with a message naming the file and both numbers. */
CPOSE_API int cpose_plugin_check(const struct cpose_plugin *p, const char *path);
/* Prints the formats found with their files and arguments (and the problems) to stdout. */
CPOSE_API void cpose_plugins_print(const struct cpose_plugin_registry *r);

/* Runs one export. model_arg is the model= text (the weights path or YAML name) that decides the
 * output name: "<dir>/<stem><suffix>" beside weights, or in the run folder project/name (default
 * runs/pose/export, numbered) for a YAML model. keys/values are the other arguments; each must be
 * one of the plugin's declared arguments (or project, name, exist_ok), else CPOSE_EINVAL naming it
 * and listing the valid ones. On success *out_path is the written file or folder (caller frees).
 * Nothing is left at the output path on failure. */
CPOSE_API int cpose_export_run(const struct cpose_plugin_registry *r, struct cpose_model *m, const char *model_arg,
                               const char *format, const char *const *keys, const char *const *values, int n,
                               char **out_path);

#endif
