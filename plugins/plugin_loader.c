/* plugins/plugin_loader.c — finds plugin files on the search path, dlopens them, checks the ABI
 * and keeps the registry of formats; `cpose export format=?` prints it. */
#include "plugins/plugin_registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

#ifndef CPOSE_PLUGIN_BUILD_DIR
#define CPOSE_PLUGIN_BUILD_DIR ""
#endif
#ifndef CPOSE_PLUGIN_INSTALL_DIR
#define CPOSE_PLUGIN_INSTALL_DIR ""
#endif

int cpose_plugin_check(const struct cpose_plugin *p, const char *path)
{
    if (!p) return cpose_err(CPOSE_EABI, "%s: %s() returned NULL", path, CPOSE_PLUGIN_ENTRY_NAME);
    if (p->abi_major != CPOSE_PLUGIN_ABI_MAJOR)
        return cpose_err(CPOSE_EABI, "%s: plugin ABI major version %u, this cpose needs %u (rebuild the plugin against "
                                     "this cpose's cpose_plugin.h)", path, p->abi_major, CPOSE_PLUGIN_ABI_MAJOR);
    if (p->struct_size < sizeof(struct cpose_plugin))
        return cpose_err(CPOSE_EABI, "%s: plugin struct size %u bytes, this cpose needs at least %zu (rebuild the "
                                     "plugin against this cpose's cpose_plugin.h)", path, p->struct_size,
                         sizeof(struct cpose_plugin));
    if (!p->format || !*p->format || !p->suffix || !p->export_model)
        return cpose_err(CPOSE_EINVAL, "%s: plugin declares no format name, suffix or export function", path);
    return CPOSE_OK;
}

static void add_problem(struct cpose_plugin_registry *r, const char *msg)
{
    r->problems = cpose_realloc(r->problems, (r->n_problems + 1) * sizeof(char *));
    r->problems[r->n_problems++] = cpose_strdup(msg);
}

/* Loads one file; `dir_start` is the index of the first plugin loaded from the same folder (a
 * duplicate there is refused; before it, the earlier folder's plugin shadows this one). */
static void load_file(struct cpose_plugin_registry *r, const char *path, int dir_start)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->items[i].path, path)) return;  /* the same file twice on the path */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s: cannot load: %s", path, dlerror());
        add_problem(r, msg);
        return;
    }
    cpose_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, CPOSE_PLUGIN_ENTRY_NAME);
    if (!entry) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s: no entry symbol %s() (export it with CPOSE_PLUGIN_EXPORT)", path,
                 CPOSE_PLUGIN_ENTRY_NAME);
        add_problem(r, msg);
        dlclose(h);
        return;
    }
    const struct cpose_plugin *p = entry();
    if (cpose_plugin_check(p, path) != CPOSE_OK) {
        add_problem(r, cpose_errmsg());
        dlclose(h);
        return;
    }
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->items[i].plugin->format, p->format)) continue;
        if (i >= dir_start) {
            char msg[2400];
            snprintf(msg, sizeof msg, "%s: format '%s' is already provided by %s (two plugins claim one format; "
                     "this one is refused)", path, p->format, r->items[i].path);
            add_problem(r, msg);
        } else {
            cpose_debug("plugin %s: format '%s' shadowed by %s", path, p->format, r->items[i].path);
        }
        dlclose(h);
        return;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 8;
        r->items = cpose_realloc(r->items, r->cap * sizeof *r->items);
    }
    r->items[r->n++] = (struct cpose_plugin_loaded){p, cpose_strdup(path), h};
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_plugin_name(const char *name)
{
    size_t n = strlen(name);
    return !strncmp(name, "cpose-export-", 13) && n > 16 && !strcmp(name + n - 3, ".so");
}

/* Loads a folder's cpose-export-*.so files (sorted), or one file. A missing folder is skipped. */
static void load_path(struct cpose_plugin_registry *r, const char *path)
{
    if (!path || !*path) return;
    int start = r->n;
    if (cpose_path_is_file(path)) {
        load_file(r, path, start);
        return;
    }
    DIR *d = opendir(path);
    if (!d) return;
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_plugin_name(e->d_name)) continue;
        names = cpose_realloc(names, (n + 1) * sizeof(char *));
        names[n++] = cpose_path_join(path, e->d_name);
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof(char *), cmp_str); /* qsort(NULL, 0, ...) is undefined */
    for (int i = 0; i < n; i++) {
        load_file(r, names[i], start);
        cpose_free(names[i]);
    }
    cpose_free(names);
}

struct cpose_plugin_registry *cpose_plugins_load_paths(const char *const *paths, int n)
{
    struct cpose_plugin_registry *r = cpose_calloc(1, sizeof *r);
    for (int i = 0; i < n; i++) load_path(r, paths[i]);
    return r;
}

struct cpose_plugin_registry *cpose_plugins_load_default(void)
{
    struct cpose_plugin_registry *r = cpose_calloc(1, sizeof *r);
    const char *env = getenv("CPOSE_PLUGIN_PATH");
    if (env) {
        char *copy = cpose_strdup(env), *save = NULL;
        for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) load_path(r, tok);
        cpose_free(copy);
    }
    load_path(r, CPOSE_PLUGIN_BUILD_DIR);
    /* the install folder relative to the running executable (<prefix>/bin/cpose), then the
     * configured prefix */
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char *bin = cpose_path_dirname(exe), *prefix = cpose_path_dirname(bin);
        char *dir = cpose_asprintf("%s/lib/cpose/plugins", prefix);
        load_path(r, dir);
        cpose_free(dir), cpose_free(prefix), cpose_free(bin);
    }
    load_path(r, CPOSE_PLUGIN_INSTALL_DIR);
    return r;
}

void cpose_plugins_free(struct cpose_plugin_registry *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) {
        /* handles stay open: a plugin's static strings may still be referenced by messages */
        cpose_free(r->items[i].path);
    }
    for (int i = 0; i < r->n_problems; i++) cpose_free(r->problems[i]);
    cpose_free(r->problems);
    cpose_free(r->items);
    cpose_free(r);
}

const struct cpose_plugin_loaded *cpose_plugins_find(const struct cpose_plugin_registry *r, const char *format)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->items[i].plugin->format, format)) return &r->items[i];
    return NULL;
}

static const char *type_name(int t)
{
    switch (t) {
    case CPOSE_PLUGIN_ARG_BOOL: return "bool";
    case CPOSE_PLUGIN_ARG_INT: return "int";
    case CPOSE_PLUGIN_ARG_FLOAT: return "float";
    case CPOSE_PLUGIN_ARG_LIST: return "list";
    default: return "str";
    }
}

void cpose_plugins_print(const struct cpose_plugin_registry *r)
{
    printf("%d export format%s found:\n", r->n, r->n == 1 ? "" : "s");
    for (int i = 0; i < r->n; i++) {
        const struct cpose_plugin *p = r->items[i].plugin;
        printf("  %-12s %-18s %s\n", p->format, p->suffix, r->items[i].path);
        if (p->description) printf("      %s\n", p->description);
        for (const struct cpose_plugin_arg *a = p->args; a && a->name; a++)
            printf("      %-10s %-5s default %-6s %s\n", a->name, type_name(a->type), a->def && *a->def ? a->def : "None",
                   a->help ? a->help : "");
    }
    for (int i = 0; i < r->n_problems; i++) printf("  refused: %s\n", r->problems[i]);
    if (!r->n) printf("  (none: set CPOSE_PLUGIN_PATH to a folder holding cpose-export-*.so files)\n");
}
