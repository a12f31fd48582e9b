/* plugins/plugin_host.c — the host function table plugins call: memory, messages, atomic files,
 * arguments, the graph view, the unfused parameters and the metadata (as Python/JSON/YAML text). */
#include "plugins/plugin_host.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "core/nn/model_impl.h"
#include "datasets/dataset.h"
#include "plugins/plugin_calib.h"

/* ---- memory and messages ---------------------------------------------------------------------- */

static void *h_alloc(size_t n) { return cpose_malloc(n ? n : 1); }
static void *h_calloc(size_t n, size_t size) { return cpose_calloc(n ? n : 1, size ? size : 1); }
static void *h_realloc(void *p, size_t n) { return cpose_realloc(p, n ? n : 1); }
static void h_free(void *p) { cpose_free(p); }

static void h_log(struct cpose_export *x, int level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    int l = level >= CPOSE_PLUGIN_LOG_WARN ? CPOSE_LOG_WARN : level == CPOSE_PLUGIN_LOG_INFO ? CPOSE_LOG_INFO
                                                                                          : CPOSE_LOG_DEBUG;
    cpose_log(l, "%s: %s", x->plugin->format, buf);
}

static void h_progress(struct cpose_export *x, double fraction, const char *what)
{
    if (!x->progress_started) {
        cpose_progress_begin(&x->progress, what ? what : x->plugin->format, 100, "%");
        x->progress_started = 1;
    }
    if (fraction < 0) fraction = 0;
    if (fraction > 1) fraction = 1;
    cpose_progress_update(&x->progress, (int64_t)(fraction * 100 + 0.5));
}

static int h_error(struct cpose_export *x, int status, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cpose_free(x->error);
    x->error = cpose_strdup(buf);
    return status < 0 ? status : CPOSE_EINVAL;
}

/* ---- files ------------------------------------------------------------------------------------ */

struct cpose_host_file {
    struct cpose_atomic_file f;
    struct cpose_export *x;
};

static int h_write_file(struct cpose_export *x, const char *path, const void *data, size_t n)
{
    int rc = cpose_write_file_atomic(path, data, n);
    if (rc) h_error(x, rc, "%s", cpose_errmsg());
    return rc;
}

static struct cpose_host_file *h_file_open(struct cpose_export *x, const char *path)
{
    struct cpose_host_file *f = cpose_calloc(1, sizeof *f);
    f->x = x;
    if (cpose_atomic_open(&f->f, path) != CPOSE_OK) {
        h_error(x, CPOSE_EIO, "%s", cpose_errmsg());
        cpose_free(f);
        return NULL;
    }
    return f;
}

static int h_file_write(struct cpose_host_file *f, const void *data, size_t n)
{
    if (n && fwrite(data, 1, n, f->f.fp) != n)
        return h_error(f->x, CPOSE_EIO, "write failed on '%s': %s", f->f.tmp_path, strerror(errno));
    return CPOSE_OK;
}

static int h_file_commit(struct cpose_host_file *f)
{
    if (!f) return CPOSE_EINVAL;
    int rc = cpose_atomic_commit(&f->f);
    if (rc) h_error(f->x, rc, "%s", cpose_errmsg());
    cpose_free(f);
    return rc;
}

static void h_file_abort(struct cpose_host_file *f)
{
    if (!f) return;
    cpose_atomic_abort(&f->f);
    cpose_free(f);
}

static int h_make_dir(struct cpose_export *x, const char *path)
{
    int rc = cpose_mkdirs(path);
    if (rc) h_error(x, rc, "%s", cpose_errmsg());
    return rc;
}

static const char *h_tmp_dir(struct cpose_export *x)
{
    if (!x->tmp_dir) {
        const char *base = getenv("TMPDIR");
        char *tmpl = cpose_asprintf("%s/cpose-export-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpl)) {
            h_error(x, CPOSE_EIO, "cannot create a temporary folder '%s': %s", tmpl, strerror(errno));
            cpose_free(tmpl);
            return NULL;
        }
        x->tmp_dir = tmpl;
    }
    return x->tmp_dir;
}

/* ---- arguments -------------------------------------------------------------------------------- */

const char *cpose_export_arg(struct cpose_export *x, const char *name)
{
    const struct cpose_plugin_arg *d = NULL;
    for (const struct cpose_plugin_arg *a = x->plugin->args; a && a->name; a++)
        if (!strcmp(a->name, name)) d = a;
    if (!d) return NULL;
    for (int i = x->n_args - 1; i >= 0; i--)
        if (!strcmp(x->keys[i], name)) return strcmp(x->values[i], "None") ? x->values[i] : "";
    return d->def ? d->def : "";
}

static const char *h_arg(struct cpose_export *x, const char *name)
{
    const char *v = cpose_export_arg(x, name);
    return v ? v : "";
}

static int64_t h_arg_int(struct cpose_export *x, const char *name, int64_t if_none)
{
    const char *v = h_arg(x, name);
    return *v ? strtoll(v, NULL, 10) : if_none;
}

static double h_arg_float(struct cpose_export *x, const char *name, double if_none)
{
    const char *v = h_arg(x, name);
    return *v ? strtod(v, NULL) : if_none;
}

static int h_arg_bool(struct cpose_export *x, const char *name)
{
    const char *v = h_arg(x, name);
    return !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes");
}

static int h_arg_given(struct cpose_export *x, const char *name)
{
    for (int i = 0; i < x->n_args; i++)
        if (!strcmp(x->keys[i], name)) return 1;
    return 0;
}

/* ---- the model -------------------------------------------------------------------------------- */

static const struct cpose_view *h_view(struct cpose_export *x)
{
    if (!x->view && cpose_view_build(x->model, x->batch, x->height, x->width, &x->view) != CPOSE_OK) {
        h_error(x, CPOSE_EINVAL, "%s", cpose_errmsg());
        return NULL;
    }
    return cpose_view_of(x->view);
}

static int h_num_params(struct cpose_export *x) { return (int)x->model->params.len; }

static void fill_tensor(const struct cpose_param *p, struct cpose_plugin_tensor *out)
{
    memset(out, 0, sizeof *out);
    out->name = p->name;
    out->ndim = p->ndim;
    for (int i = 0; i < p->ndim; i++) out->dims[i] = p->dims[i];
    out->data = p->data;
}

static int h_param(struct cpose_export *x, int i, struct cpose_plugin_tensor *out)
{
    if (i < 0 || i >= h_num_params(x)) return h_error(x, CPOSE_EINVAL, "parameter %d out of range [0, %d)", i, h_num_params(x));
    fill_tensor(&CPOSE_VEC_AT(&x->model->params, struct cpose_param, i), out);
    return CPOSE_OK;
}

static int h_param_by_name(struct cpose_export *x, const char *name, struct cpose_plugin_tensor *out)
{
    const struct cpose_param *p = cpose_model_param(x->model, name);
    if (!p) return h_error(x, CPOSE_EINVAL, "no parameter named '%s'", name);
    fill_tensor(p, out);
    return CPOSE_OK;
}

static const struct cpose_plugin_meta *h_meta(struct cpose_export *x) { return &x->meta; }

static char *h_meta_text(struct cpose_export *x, const char *key, int style)
{
    char *s = cpose_export_meta_text(x, key, style);
    if (!s) h_error(x, CPOSE_EINVAL, "%s", cpose_errmsg());
    return s;
}

static const char *const meta_key_list[] = {"description", "author", "date", "version", "license", "docs", "stride",
                                            "task", "batch", "imgsz", "names", "args", "kpt_shape", NULL};
static const char *const *h_meta_keys(struct cpose_export *x) { return meta_key_list; }

/* The model's own texts (ABI 1.1): its YAML and the training arguments it carries. */
static const char *h_model_text(struct cpose_export *x, const char *key)
{
    if (!strcmp(key, "yaml")) return x->model->yaml_text;
    if (!strcmp(key, "yaml_file")) return x->model->yaml_file;
    if (!strcmp(key, "train_args")) return x->model->train_args_yaml;
    return NULL;
}

/* ---- metadata text ---------------------------------------------------------------------------- */

struct sbuf {
    char *s;
    size_t len, cap;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = cpose_realloc(b->s, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, n + 1, fmt, ap);
    va_end(ap);
    b->len += n;
}

/* A string: Python repr (single quotes unless the text has one and no double quote), JSON or YAML
 * (double-quoted with JSON escapes, which YAML accepts). */
static void put_str(struct sbuf *b, const char *s, int style)
{
    char q = '"';
    if (style == CPOSE_META_PYTHON) q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    put(b, "%c", q);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == (unsigned char)q || *p == '\\') put(b, "\\%c", *p);
        else if (*p == '\n') put(b, "\\n");
        else if (*p == '\t') put(b, "\\t");
        else if (*p < 0x20) put(b, style == CPOSE_META_PYTHON ? "\\x%02x" : "\\u%04x", *p);
        else put(b, "%c", *p);
    }
    put(b, "%c", q);
}

static void put_int_list(struct sbuf *b, const int *v, int n)
{
    put(b, "[");
    for (int i = 0; i < n; i++) put(b, "%s%d", i ? ", " : "", v[i]);
    put(b, "]");
}

/* One argument value typed as declared: bool → True/False (JSON/YAML true/false), None → None/null,
 * numbers bare, lists as lists, strings quoted. */
static void put_arg(struct sbuf *b, const struct cpose_plugin_arg *a, const char *v, int style)
{
    if (!*v) {
        put(b, "%s", style == CPOSE_META_PYTHON ? "None" : "null");
        return;
    }
    switch (a->type) {
    case CPOSE_PLUGIN_ARG_BOOL: {
        int t = !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes");
        put(b, "%s", style == CPOSE_META_PYTHON ? (t ? "True" : "False") : (t ? "true" : "false"));
        break;
    }
    case CPOSE_PLUGIN_ARG_INT: put(b, "%lld", strtoll(v, NULL, 10)); break;
    case CPOSE_PLUGIN_ARG_FLOAT: put(b, "%.17g", strtod(v, NULL)); break;
    case CPOSE_PLUGIN_ARG_LIST: {
        int vals[16], n = 0;
        for (const char *p = v; *p && n < 16;) {
            char *end;
            long x = strtol(p, &end, 10);
            if (end == p) p++;
            else vals[n++] = (int)x, p = end;
        }
        if (n == 1) put(b, "%d", vals[0]);
        else put_int_list(b, vals, n);
        break;
    }
    default: put_str(b, v, style);
    }
}

char *cpose_export_meta_text(struct cpose_export *x, const char *key, int style)
{
    const struct cpose_plugin_meta *m = &x->meta;
    struct sbuf b = {0};
    put(&b, "%s", "");
    const char *str = NULL;
    if (!strcmp(key, "description")) str = m->description;
    else if (!strcmp(key, "author")) str = m->author;
    else if (!strcmp(key, "date")) str = m->date;
    else if (!strcmp(key, "version")) str = m->version;
    else if (!strcmp(key, "license")) str = m->license;
    else if (!strcmp(key, "docs")) str = m->docs;
    else if (!strcmp(key, "task")) str = m->task;
    if (str && style == CPOSE_META_PYTHON) put(&b, "%s", str); /* str(v) of a str is the text itself */
    else if (str) put_str(&b, str, style);
    else if (!strcmp(key, "stride")) put(&b, "%d", m->stride);
    else if (!strcmp(key, "batch")) put(&b, "%d", m->batch);
    else if (!strcmp(key, "imgsz")) put_int_list(&b, m->imgsz, 2);
    else if (!strcmp(key, "kpt_shape")) put_int_list(&b, m->kpt_shape, 2);
    else if (!strcmp(key, "flip_idx")) put_int_list(&b, m->flip_idx, m->kpt_shape[0]);
    else if (!strcmp(key, "names")) {
        put(&b, "{");
        for (int i = 0; i < m->n_names; i++) {
            put(&b, style == CPOSE_META_JSON ? "%s\"%d\": " : "%s%d: ", i ? ", " : "", i);
            put_str(&b, m->names[i], style);
        }
        put(&b, "}");
    } else if (!strcmp(key, "args")) {
        put(&b, "{");
        int first = 1;
        for (const struct cpose_plugin_arg *a = x->plugin->args; a && a->name; a++) {
            if (!strcmp(a->name, "imgsz")) continue;  /* Ultralytics keeps imgsz as its own key */
            put(&b, "%s", first ? "" : ", ");
            put_str(&b, a->name, style == CPOSE_META_YAML ? CPOSE_META_JSON : style);
            put(&b, ": ");
            put_arg(&b, a, cpose_export_arg(x, a->name), style);
            first = 0;
        }
        put(&b, "}");
    } else {
        cpose_free(b.s);
        cpose_err(CPOSE_EINVAL, "unknown metadata key '%s' (known: description author date version license docs "
                                "stride task batch imgsz names args kpt_shape flip_idx)", key);
        return NULL;
    }
    return b.s;
}

/* ---- calibration (minor 1) ------------------------------------------------------------------- */

static const struct cpose_value_range *h_calibrate(struct cpose_export *x, int *n_images)
{
    if (x->ranges) {
        if (n_images) *n_images = x->n_calib_images;
        return x->ranges;
    }
    const struct cpose_view *v = h_view(x);
    if (!v) return NULL;
    const char *data = cpose_export_arg(x, "data"), *fr = cpose_export_arg(x, "fraction");
    if (!data || !fr) {
        h_error(x, CPOSE_EINVAL, "calibrate: the plugin must declare the arguments 'data' and 'fraction'");
        return NULL;
    }
    char **files = NULL, *used = NULL;
    size_t n = 0;
    int rc = cpose_calib_files(data, cpose_model_train_args(x->model), *fr ? strtod(fr, NULL) : 1.0, &files, &n, &used);
    if (rc) {
        h_error(x, rc, "%s", cpose_errmsg());
        return NULL;
    }
    h_log(x, CPOSE_PLUGIN_LOG_INFO, "collecting int8 calibration ranges from %zu val images of %s%s (min/max of every "
          "value, letterboxed to %lldx%lld)", n, used, *data ? "" : " (the model's train_args data)",
          (long long)x->height, (long long)x->width);
    int64_t per = 3 * x->height * x->width;
    float **images = cpose_calloc(n, sizeof(float *));
    for (size_t i = 0; i < n && rc == CPOSE_OK; i++) {
        images[i] = cpose_malloc((size_t)per * sizeof(float));
        rc = cpose_calib_image(files[i], x->height, x->width, images[i]);
        if (rc) cpose_err_context(rc, "int8 calibration image %zu of %zu", i + 1, n);
        h_progress(x, 0.1 * (double)(i + 1) / (double)n, "calibration images");
    }
    struct cpose_value_range *r = cpose_malloc((size_t)v->n_nodes * sizeof *r);
    if (rc == CPOSE_OK) rc = cpose_calib_run_view(v, (const float *const *)images, n, r);
    for (size_t i = 0; i < n; i++) cpose_free(images[i]);
    cpose_free(images);
    cpose_strv_free(files, n);
    cpose_free(used);
    if (rc) {
        cpose_free(r);
        h_error(x, rc, "%s", cpose_errmsg());
        return NULL;
    }
    x->ranges = r, x->n_calib_images = (int)n;
    if (n_images) *n_images = (int)n;
    return r;
}

/* ---- the table -------------------------------------------------------------------------------- */

static const struct cpose_host host_table = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_host),
    .alloc = h_alloc,
    .calloc = h_calloc,
    .realloc = h_realloc,
    .free = h_free,
    .log = h_log,
    .progress = h_progress,
    .error = h_error,
    .write_file = h_write_file,
    .file_open = h_file_open,
    .file_write = h_file_write,
    .file_commit = h_file_commit,
    .file_abort = h_file_abort,
    .make_dir = h_make_dir,
    .tmp_dir = h_tmp_dir,
    .arg = h_arg,
    .arg_int = h_arg_int,
    .arg_float = h_arg_float,
    .arg_bool = h_arg_bool,
    .arg_given = h_arg_given,
    .view = h_view,
    .num_params = h_num_params,
    .param = h_param,
    .param_by_name = h_param_by_name,
    .meta = h_meta,
    .meta_text = h_meta_text,
    .meta_keys = h_meta_keys,
    .model_text = h_model_text,
    .calibrate = h_calibrate,
};

const struct cpose_host *cpose_plugin_host(void) { return &host_table; }
