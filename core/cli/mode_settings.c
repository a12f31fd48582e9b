/* core/cli/mode_settings.c — `cpose settings` (Ultralytics' `yolo settings`): shows the user settings
 * file (core/base/settings.h), `cpose settings key=value ...` changes it, `cpose settings reset`
 * restores the defaults. */
#include <stdio.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/settings.h"
#include "core/cli/cli.h"

static void print_settings(const struct cpose_settings *s)
{
    char *path = cpose_settings_path();
    printf("settings file: %s\n", path ? path : "(none: neither XDG_CONFIG_HOME nor HOME is set)");
    for (int i = 0; i < CPOSE_SETTINGS_COUNT; i++) printf("%s: %s\n", cpose_settings_keys[i], s->value[i]);
    printf("(`cpose settings key=value` changes a setting, `cpose settings reset` restores the defaults)\n");
    cpose_free(path);
}

int cpose_mode_settings(int argc, char **argv)
{
    struct cpose_settings s;
    int rc = CPOSE_OK, changed = 0;
    if (argc == 1 && strcmp(argv[0], "reset") == 0) {
        memset(&s, 0, sizeof s);
        cpose_settings_reset(&s);
        changed = 1;
    } else {
        rc = cpose_settings_load(&s);
        if (rc != CPOSE_OK && argc > 0) {
            cpose_settings_free(&s);
            return cpose_cli_fail("settings");
        }
        if (rc != CPOSE_OK) fprintf(stderr, "cpose settings: %s\n", cpose_errmsg());
        rc = CPOSE_OK;
        for (int i = 0; i < argc && rc == CPOSE_OK; i++) {
            const char *eq = strchr(argv[i], '=');
            if (!eq || eq == argv[i]) {
                rc = cpose_err(CPOSE_EINVAL, "'%s' is not key=value or reset (e.g. cpose settings runs_dir=/data/runs)",
                               argv[i]);
                break;
            }
            char *key = cpose_strndup(argv[i], (size_t)(eq - argv[i]));
            rc = cpose_settings_set(&s, key, eq + 1);
            cpose_free(key);
            changed = 1;
        }
    }
    if (rc == CPOSE_OK && changed) rc = cpose_settings_save(&s);
    if (rc == CPOSE_OK) print_settings(&s);
    cpose_settings_free(&s);
    return rc == CPOSE_OK ? 0 : cpose_cli_fail("settings");
}
