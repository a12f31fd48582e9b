/* plugins/plugin_host.h — the export context (struct cpose_export) and the host function table
 * given to plugins (internal to plugins/). */
#ifndef CPOSE_PLUGIN_HOST_H
#define CPOSE_PLUGIN_HOST_H

#include "plugins/cpose_plugin.h"
#include "core/base/log.h"
#include "core/nn/model.h"
#include "plugins/plugin_view.h"

struct cpose_export {
    const struct cpose_plugin *plugin;
    const char *plugin_path;
    struct cpose_model *model;
    const char *const *keys, *const *values;  /* the given arguments (borrowed) */
    int n_args;
    int64_t batch, height, width;
    struct cpose_view_store *view;            /* built on first request */
    struct cpose_plugin_meta meta;
    char date[40], model_name[64], description[160];
    char **names;                             /* borrowed from the model info */
    char *tmp_dir;                            /* created on first request, removed afterwards */
    char *error;                              /* the plugin's error message (owned) */
    struct cpose_progress progress;
    int progress_started;
    struct cpose_value_range *ranges;         /* host->calibrate's result (owned), per view node */
    int n_calib_images;
};

/* The host table (static, filled once). */
const struct cpose_host *cpose_plugin_host(void);

/* Effective value of a declared argument ("" = None; NULL when the plugin does not declare it). */
const char *cpose_export_arg(struct cpose_export *x, const char *name);

/* Formats metadata key in a style (cpose_malloc'ed), or NULL with an error. */
char *cpose_export_meta_text(struct cpose_export *x, const char *key, int style);

#endif
