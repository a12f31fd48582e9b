/* core/cli/mode_export.c — `cpose export model=... format=... [imgsz half dynamic opset nms batch ...]`:
 * loads the model and hands the other arguments to the format's plugin (plugins/); `format=?`
 * lists the plugins found. The plugin decides which arguments it takes; others are refused. */
#include "core/base/alloc.h"
#include "core/cli/cli.h"
#include "core/nn/model.h"
#include "plugins/plugin_registry.h"

#include <stdio.h>
#include <string.h>

/* Arguments of the export mode itself (the rest go to the plugin). */
static int host_key(const char *k)
{
    static const char *const keys[] = {"model", "format", "cfg", "seed", "threads", "verbose", NULL};
    for (int i = 0; keys[i]; i++)
        if (!strcmp(keys[i], k)) return 1;
    return 0;
}

int cpose_mode_export(int argc, char **argv)
{
    struct cpose_args a;
    cpose_args_init(&a);
    const char **keys = cpose_calloc(argc + 1, sizeof(char *)), **values = cpose_calloc(argc + 1, sizeof(char *));
    char **copies = cpose_calloc(argc + 1, sizeof(char *));
    int n = 0, rc = CPOSE_OK, code = 1;
    for (int i = 0; i < argc && rc == CPOSE_OK; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            rc = cpose_err(CPOSE_EINVAL, "'%s' is not key=value (cpose export model=w.h5 format=onnx ...)", argv[i]);
            break;
        }
        char *key = cpose_strndup(argv[i], (size_t)(eq - argv[i]));
        if (host_key(key)) rc = cpose_args_set(&a, key, eq + 1), cpose_free(key);
        else copies[n] = key, keys[n] = key, values[n] = eq + 1, n++;
    }
    struct cpose_plugin_registry *reg = NULL;
    struct cpose_model *m = NULL;
    if (rc) goto done;
    reg = cpose_plugins_load_default();
    const char *format = cpose_args_str(&a, "format");
    if (!strcmp(format, "?") || !strcmp(format, "help")) {
        cpose_plugins_print(reg);
        code = 0;
        goto done;
    }
    if (!cpose_plugins_find(reg, format)) {
        char *none = NULL;
        rc = cpose_export_run(reg, NULL, "", format, NULL, NULL, 0, &none); /* the unknown-format message */
        goto done;
    }
    cpose_cli_apply_threads(&a);
    rc = cpose_cli_load_model(&a, &m);
    char *path = NULL;
    if (rc == CPOSE_OK) rc = cpose_export_run(reg, m, cpose_args_str(&a, "model"), format, keys, values, n, &path);
    if (rc == CPOSE_OK) {
        printf("%s\n", path);
        code = 0;
    }
    cpose_free(path);
done:
    if (rc) code = cpose_cli_fail("export");
    cpose_model_free(m);
    cpose_plugins_free(reg);
    for (int i = 0; i < n; i++) cpose_free(copies[i]);
    cpose_free(copies), cpose_free(keys), cpose_free(values);
    cpose_args_free(&a);
    return code;
}
