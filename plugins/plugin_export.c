/* plugins/plugin_export.c — one export: checks the arguments against the plugin's declaration,
 * picks the output name as Ultralytics does, fills the metadata, calls the plugin and cleans up
 * (nothing is left at the output path when the export fails). */
#include "plugins/plugin_registry.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/base/alloc.h"
#include "core/base/args.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/nn/model_impl.h"
#include "plugins/plugin_host.h"

#ifndef CPOSE_VERSION
#define CPOSE_VERSION "0"
#endif

/* Arguments `cpose export` takes for every format (the run folder of a YAML model). */
static const char *const common_keys[] = {"project", "name", "exist_ok", NULL};

static int is_common(const char *k)
{
    for (int i = 0; common_keys[i]; i++)
        if (!strcmp(common_keys[i], k)) return 1;
    return 0;
}

static const struct cpose_plugin_arg *declared(const struct cpose_plugin *p, const char *name)
{
    for (const struct cpose_plugin_arg *a = p->args; a && a->name; a++)
        if (!strcmp(a->name, name)) return a;
    return NULL;
}

static int valid_list(const char *v)
{
    int n = 0;
    for (const char *p = v; *p;) {
        if (strchr("[](), ", *p)) {
            p++;
            continue;
        }
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p || x <= 0) return 0;
        p = end, n++;
    }
    return n >= 1;
}

/* Refuses a key the format does not take (naming the valid ones) and a value of the wrong type. */
static int check_args(const struct cpose_plugin_loaded *pl, const char *const *keys, const char *const *values, int n)
{
    const struct cpose_plugin *p = pl->plugin;
    for (int i = 0; i < n; i++) {
        const char *k = keys[i], *v = values[i];
        if (is_common(k)) continue;
        const struct cpose_plugin_arg *a = declared(p, k);
        if (!a) {
            char list[1024] = "";
            size_t len = 0;
            for (const struct cpose_plugin_arg *d = p->args; d && d->name; d++)
                len += snprintf(list + len, len < sizeof list ? sizeof list - len : 0, "%s%s", len ? ", " : "", d->name);
            return cpose_err(CPOSE_EINVAL, "format=%s does not take argument '%s' (it takes: %s%sproject, name, exist_ok)",
                             p->format, k, list, *list ? ", " : "");
        }
        if (!strcmp(v, "None") || !*v) continue;
        int ok = 1;
        char *end;
        switch (a->type) {
        case CPOSE_PLUGIN_ARG_BOOL: ok = cpose_parse_bool(v) >= 0; break;
        case CPOSE_PLUGIN_ARG_INT: strtoll(v, &end, 10), ok = end != v && !*end; break;
        case CPOSE_PLUGIN_ARG_FLOAT: strtod(v, &end), ok = end != v && !*end; break;
        case CPOSE_PLUGIN_ARG_LIST: ok = valid_list(v); break;
        default: break;
        }
        if (!ok)
            return cpose_err(CPOSE_EINVAL, "format=%s: %s=%s is not a valid %s (%s)", p->format, k, v,
                             a->type == CPOSE_PLUGIN_ARG_BOOL ? "boolean (True/False)"
                             : a->type == CPOSE_PLUGIN_ARG_LIST ? "size (640 or 384,640)"
                                                                : "number", a->help ? a->help : "");
    }
    return CPOSE_OK;
}

static const char *given(const char *const *keys, const char *const *values, int n, const char *k)
{
    for (int i = n - 1; i >= 0; i--)
        if (!strcmp(keys[i], k)) return values[i];
    return NULL;
}

static int is_yaml(const char *s)
{
    const char *e = cpose_path_ext(s);
    return e && (!strcmp(e, ".yaml") || !strcmp(e, ".yml"));
}

/* "<dir of weights>/<stem><suffix>" (Ultralytics' place), or "<run folder>/<stem><suffix>" for a YAML
 * model and wherever project= or name= is given. */
static char *output_path(const struct cpose_plugin *p, const char *model_arg, const char *const *keys,
                         const char *const *values, int n)
{
    char *stem = cpose_path_stem(model_arg), *dir = NULL;
    const char *project = given(keys, values, n, "project"), *name = given(keys, values, n, "name");
    if (is_yaml(model_arg) || project || name) {
        const char *eo = given(keys, values, n, "exist_ok");
        dir = cpose_increment_run_dir(project ? project : "runs/pose", name ? name : "export", eo && cpose_parse_bool(eo) == 1);
        if (!dir) {
            cpose_free(stem);
            return NULL;
        }
    } else {
        dir = cpose_path_dirname(model_arg);
    }
    char *file = cpose_asprintf("%s%s", stem, p->suffix);
    char *out = cpose_path_join(dir, file);
    cpose_free(file), cpose_free(dir), cpose_free(stem);
    return out;
}

static void fill_meta(struct cpose_export *x)
{
    struct cpose_model *m = x->model;
    const struct cpose_model_info *info = &m->info;
    struct cpose_plugin_meta *md = &x->meta;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(x->date, sizeof x->date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(x->model_name, sizeof x->model_name, "%s", m->name[0] ? m->name : "YOLOv8-pose");
    snprintf(x->description, sizeof x->description, "cpose %s model", x->model_name);
    md->description = x->description;
    md->author = "cpose";
    md->license = "AGPL-3.0 License (https://ultralytics.com/license)";
    md->docs = "https://docs.ultralytics.com";
    md->date = x->date;
    md->version = CPOSE_VERSION;
    md->task = "pose";
    md->stride = info->max_stride;
    md->batch = (int)x->batch;
    md->imgsz[0] = (int)x->height, md->imgsz[1] = (int)x->width;
    md->n_names = info->n_names;
    md->names = (const char *const *)info->names;
    md->kpt_shape[0] = info->nkpt, md->kpt_shape[1] = info->kdim;
    md->flip_idx = info->flip_idx;
    md->n_levels = info->n_levels;
    md->strides = info->strides;
    md->model_name = x->model_name;
}

/* imgsz "640" | "384,640" | "[384, 640]" → h, w rounded up to multiples of the max stride. */
static void parse_imgsz(const char *v, int stride, int64_t *h, int64_t *w)
{
    int64_t vals[2] = {640, 640};
    int n = 0;
    for (const char *p = v; *p && n < 2;) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p) p++;
        else vals[n++] = x, p = end;
    }
    if (n == 1) vals[1] = vals[0];
    for (int i = 0; i < 2; i++) {
        int64_t r = (vals[i] + stride - 1) / stride * stride;
        if (r < stride) r = stride;
        if (r != vals[i]) cpose_warn("imgsz=%lld must be a multiple of max stride %d, updating to %lld", (long long)vals[i], stride, (long long)r);
        vals[i] = r;
    }
    *h = vals[0], *w = vals[1];
}

int cpose_export_run(const struct cpose_plugin_registry *r, struct cpose_model *m, const char *model_arg,
                     const char *format, const char *const *keys, const char *const *values, int n, char **out_path)
{
    *out_path = NULL;
    const struct cpose_plugin_loaded *pl = format ? cpose_plugins_find(r, format) : NULL;
    if (!pl) {
        char list[1024] = "";
        size_t len = 0;
        for (int i = 0; i < r->n; i++)
            len += snprintf(list + len, len < sizeof list ? sizeof list - len : 0, "%s%s", i ? ", " : "",
                            r->items[i].plugin->format);
        return cpose_err(CPOSE_EINVAL, "unknown export format '%s' (found: %s; `cpose export format=?` lists them with "
                                       "their files%s)", format ? format : "", *list ? list : "none",
                         r->n_problems ? " and the plugins that were refused" : "");
    }
    int rc = check_args(pl, keys, values, n);
    if (rc) return rc;
    struct cpose_export x;
    memset(&x, 0, sizeof x);
    x.plugin = pl->plugin, x.plugin_path = pl->path, x.model = m;
    x.keys = keys, x.values = values, x.n_args = n;
    const char *iv = cpose_export_arg(&x, "imgsz");
    char model_imgsz[24] = "";
    int imgsz_given = 0;
    for (int i = 0; i < n; i++) imgsz_given |= !strcmp(keys[i], "imgsz");
    if (!imgsz_given && m->info.imgsz > 0) /* the model's own size (its train_args), as Ultralytics for a .pt */
        snprintf(model_imgsz, sizeof model_imgsz, "%d", m->info.imgsz), iv = model_imgsz;
    parse_imgsz(iv && *iv ? iv : "640", m->info.max_stride, &x.height, &x.width);
    const char *bv = cpose_export_arg(&x, "batch");
    x.batch = bv && *bv ? strtoll(bv, NULL, 10) : 1;
    if (x.batch < 1) return cpose_err(CPOSE_EINVAL, "batch=%lld: must be ≥ 1", (long long)x.batch);
    fill_meta(&x);
    char *path = output_path(pl->plugin, model_arg, keys, values, n);
    if (!path) return cpose_err_context(CPOSE_EIO, "export");
    struct stat st;
    int existed = stat(path, &st) == 0;
    cpose_info("\n%s: starting export with cpose %s (%s, batch %lld, imgsz %lldx%lld)", pl->plugin->format, CPOSE_VERSION,
               pl->path, (long long)x.batch, (long long)x.height, (long long)x.width);
    double t0 = cpose_now();
    rc = pl->plugin->export_model(cpose_plugin_host(), &x, path);
    if (x.progress_started) cpose_progress_end(&x.progress);
    if (rc == CPOSE_OK && stat(path, &st) != 0)
        rc = cpose_err(CPOSE_EIO, "format=%s (%s) reported success but wrote nothing at '%s'", format, pl->path, path);
    else if (rc != CPOSE_OK) {
        cpose_err(rc < 0 ? rc : CPOSE_EINVAL, "format=%s (%s): %s", format, pl->path,
                  x.error ? x.error : "export failed without a message");
        if (rc > 0) rc = CPOSE_EINVAL;
        if (!existed && stat(path, &st) == 0) cpose_remove_tree(path);  /* never leave a half export */
    }
    if (x.tmp_dir) cpose_remove_tree(x.tmp_dir);
    if (rc == CPOSE_OK) {
        double mb = cpose_path_tree_bytes(path) / 1e6; /* a folder's files summed, as Ultralytics' file_size */
        cpose_info("%s: export success ✅ %.1fs, saved as '%s' (%.1f MB)", format, cpose_now() - t0, path, mb);
        *out_path = path;
    } else {
        cpose_free(path);
    }
    cpose_view_store_free(x.view);
    cpose_free(x.ranges);
    cpose_free(x.tmp_dir);
    cpose_free(x.error);
    return rc;
}
