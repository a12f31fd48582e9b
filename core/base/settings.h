/* core/base/settings.h — cpose's persistent user settings, as Ultralytics' `yolo settings`: a small
 * YAML file, settings.yaml in $XDG_CONFIG_HOME/cpose (else ~/.config/cpose), holding the folders
 *   datasets_dir  where dataset folders go   (default "datasets")
 *   weights_dir   where weights go           (default "weights")
 *   runs_dir      where runs go: runs_dir/pose/<mode> is the default project (default "runs")
 * Relative folders are relative to the working folder, which is what cpose did before settings
 * existed. The file is read on use and written atomically; it is created by `cpose settings`. */
#ifndef CPOSE_SETTINGS_H
#define CPOSE_SETTINGS_H

#include "core/base/status.h"

enum { CPOSE_SETTINGS_DATASETS_DIR, CPOSE_SETTINGS_WEIGHTS_DIR, CPOSE_SETTINGS_RUNS_DIR, CPOSE_SETTINGS_COUNT };

struct cpose_settings {
    char *value[CPOSE_SETTINGS_COUNT]; /* owned strings, indexed by the enum above */
};

/* Key names and default values, indexed by the enum above. */
CPOSE_API extern const char *const cpose_settings_keys[CPOSE_SETTINGS_COUNT];
CPOSE_API extern const char *const cpose_settings_defaults[CPOSE_SETTINGS_COUNT];

/* The settings file's path (caller frees with cpose_free); NULL when neither $XDG_CONFIG_HOME nor
 * $HOME is set. */
CPOSE_API char *cpose_settings_path(void);
/* Fills s with the defaults, then the file's values when it exists. Errors: CPOSE_EINVAL naming the
 * file and line for a line that is not `key: value`; an unknown key is skipped with a warning. s is
 * always filled (defaults on error) and must be freed. */
CPOSE_API int cpose_settings_load(struct cpose_settings *s);
/* Sets key to value in s. CPOSE_EINVAL for an unknown key (naming the nearest) or an empty value. */
CPOSE_API int cpose_settings_set(struct cpose_settings *s, const char *key, const char *value);
/* Resets s to the defaults. */
CPOSE_API void cpose_settings_reset(struct cpose_settings *s);
/* Writes s to the settings file (creating its folder), atomically. */
CPOSE_API int cpose_settings_save(const struct cpose_settings *s);
CPOSE_API void cpose_settings_free(struct cpose_settings *s); /* NULL-safe */
/* One setting's current value (from the file, else the default), copied into a cpose_malloc'ed
 * string; a malformed file gives the default with a warning. */
CPOSE_API char *cpose_settings_get(int which);

#endif
