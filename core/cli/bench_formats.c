/* core/cli/bench_formats.c — `cpose benchmark model=W data=D.yaml [imgsz= format=]`: Ultralytics'
 * benchmark table. For the source model and then every format whose exporter plugin is built (or
 * the one format=): export into the run folder, read it back with cpose's readers, validate it with
 * cpose's val (model= on the exported path) and report Format, Status (✅ validated, ❎ exported but
 * not runnable here, ❌ export or validation failed), Size (MB), metrics/mAP50-95(P) and Inference
 * time (ms/im). Prints the table and writes benchmarks.md/.json/.csv in runs/pose/benchmark*. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/cli/cli.h"
#include "core/cli/export_probe.h"
#include "core/nn/model.h"
#include "eval/val.h"
#include "plugins/plugin_registry.h"

struct bench_row {
    char format[48], status[8], why[200];
    double size_mb, map, ms;   /* map, ms < 0: none */
};

static int declares(const struct cpose_plugin *p, const char *name)
{
    for (const struct cpose_plugin_arg *a = p->args; a && a->name; a++)
        if (!strcmp(a->name, name)) return 1;
    return 0;
}

/* Validates the model at path (or m when path is NULL) on data= into <dir>/val_<tag>. */
static int validate(const struct cpose_args *a, struct cpose_model *m, const char *dir, const char *tag, struct bench_row *r)
{
    struct cpose_args va;
    cpose_args_init(&va);
    char *name = cpose_asprintf("val_%s", tag);
    cpose_args_set(&va, "data", cpose_args_str(a, "data"));
    cpose_args_set(&va, "imgsz", cpose_args_str(a, "imgsz"));
    cpose_args_set(&va, "batch", "1");
    cpose_args_set(&va, "plots", "False");
    cpose_args_set(&va, "project", dir);
    cpose_args_set(&va, "name", name);
    cpose_args_set(&va, "exist_ok", "True");
    if (cpose_args_given(a, "threads")) cpose_args_set(&va, "threads", cpose_args_str(a, "threads"));
    struct cpose_val_summary s;
    memset(&s, 0, sizeof s);
    int rc = cpose_val_run(m, &va, &s);
    if (rc == CPOSE_OK) r->map = s.metrics.pose.map, r->ms = s.ms_inf;
    if (s.save_dir) cpose_remove_dir_if_no_files(s.save_dir); /* val without reports leaves an empty folder */
    cpose_val_summary_free(&s);
    cpose_args_free(&va);
    cpose_free(name);
    return rc;
}

static void set_why(struct bench_row *r, const char *msg)
{
    snprintf(r->why, sizeof r->why, "%s", msg ? msg : "");
    for (char *p = r->why; *p; p++)
        if (*p == '\n' || *p == '|') *p = ' ';
}

static void bench_one(const struct cpose_args *a, const struct cpose_plugin_registry *reg, const struct cpose_plugin_loaded *pl,
                      struct cpose_model *src, const char *dir, struct bench_row *r)
{
    const struct cpose_plugin *p = pl->plugin;
    snprintf(r->format, sizeof r->format, "%s", p->format);
    r->map = r->ms = r->size_mb = -1;
    const char *keys[8], *values[8];
    int n = 0;
    char *parent = cpose_path_dirname(dir);
    keys[n] = "project", values[n++] = parent;
    keys[n] = "name", values[n++] = cpose_path_basename(dir);
    keys[n] = "exist_ok", values[n++] = "True";
    if (declares(p, "imgsz")) keys[n] = "imgsz", values[n++] = cpose_args_str(a, "imgsz");
    /* formats that calibrate (edgetpu; int8 options of others) use the benchmark's dataset, as
     * Ultralytics' export does with its data argument */
    if (declares(p, "data")) keys[n] = "data", values[n++] = cpose_args_str(a, "data");
    char *path = NULL;
    /* the source name decides the file name: <stem><suffix> in the run folder */
    int rc = cpose_export_run(reg, src, cpose_args_str(a, "model"), p->format, keys, values, n, &path);
    cpose_free(parent);
    if (rc != CPOSE_OK) {
        snprintf(r->status, sizeof r->status, "❌");
        const char *msg = cpose_errmsg(), *past = strstr(msg, ".so): "); /* drop "format=X (<plugin file>): " */
        set_why(r, past ? past + 6 : msg);
        cpose_err_clear();
        return;
    }
    r->size_mb = cpose_path_size_mb(path);
    struct cpose_model *m = NULL;
    /* a format cpose only writes; a reader's refusal (even CPOSE_ENOTSUP) is a failure below */
    if (!cpose_model_has_reader(path)) {
        snprintf(r->status, sizeof r->status, "❎");
        set_why(r, "exported; cpose has no reader for it");
    } else if ((rc = cpose_model_load(path, NULL, &m)) == CPOSE_OK && (rc = validate(a, m, dir, p->format, r)) == CPOSE_OK) {
        snprintf(r->status, sizeof r->status, "✅");
    } else {
        snprintf(r->status, sizeof r->status, "❌");
        set_why(r, cpose_errmsg());
        cpose_err_clear();
    }
    cpose_model_free(m);
    cpose_free(path);
}

static void fmt_num(char *buf, size_t n, double v, const char *f)
{
    if (v < 0) snprintf(buf, n, "-");
    else snprintf(buf, n, f, v);
}

/* The table as Markdown, JSON and CSV, written atomically into dir and the Markdown printed. */
static int write_table(const char *dir, const struct bench_row *rows, int n, const char *title)
{
    size_t cap = 4096 + (size_t)n * 512, len = 0;
    char *md = cpose_malloc(cap), *csv = cpose_malloc(cap);
    size_t cl = 0;
    len += snprintf(md + len, cap - len, "%s\n\n| Format | Status❔ | Size (MB) | metrics/mAP50-95(P) | Inference time (ms/im) | Note |\n"
                    "|---|---|---|---|---|---|\n", title);
    cl += snprintf(csv + cl, cap - cl, "Format,Status,Size (MB),metrics/mAP50-95(P),Inference time (ms/im),Note\n");
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        const struct bench_row *r = &rows[i];
        char s[32], m[32], t[32];
        fmt_num(s, sizeof s, r->size_mb, "%.1f"), fmt_num(m, sizeof m, r->map, "%.4f"), fmt_num(t, sizeof t, r->ms, "%.2f");
        len += snprintf(md + len, cap - len, "| %s | %s | %s | %s | %s | %.120s |\n", r->format, r->status, s, m, t, r->why);
        cl += snprintf(csv + cl, cap - cl, "%s,%s,%s,%s,%s,\"%.120s\"\n", r->format, r->status, s, m, t, r->why);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Format", r->format);
        cJSON_AddStringToObject(o, "Status", r->status);
        r->size_mb >= 0 ? (void)cJSON_AddNumberToObject(o, "Size (MB)", r->size_mb) : (void)cJSON_AddNullToObject(o, "Size (MB)");
        r->map >= 0 ? (void)cJSON_AddNumberToObject(o, "metrics/mAP50-95(P)", r->map)
                    : (void)cJSON_AddNullToObject(o, "metrics/mAP50-95(P)");
        r->ms >= 0 ? (void)cJSON_AddNumberToObject(o, "Inference time (ms/im)", r->ms)
                   : (void)cJSON_AddNullToObject(o, "Inference time (ms/im)");
        cJSON_AddStringToObject(o, "Note", r->why);
        cJSON_AddItemToArray(arr, o);
    }
    printf("\n%s", md);
    char *js = cJSON_Print(arr);
    cJSON_Delete(arr);
    const char *names[3] = {"benchmarks.md", "benchmarks.json", "benchmarks.csv"};
    const char *data[3] = {md, js, csv};
    int rc = CPOSE_OK;
    for (int i = 0; i < 3 && rc == CPOSE_OK; i++) {
        char *p = cpose_path_join(dir, names[i]);
        rc = cpose_write_file_atomic(p, data[i], strlen(data[i]));
        cpose_free(p);
    }
    free(js);
    cpose_free(md), cpose_free(csv);
    if (rc == CPOSE_OK) printf("Results saved to %s/benchmarks.{md,json,csv}\n", dir);
    return rc;
}

int cpose_cli_benchmark_formats(const struct cpose_args *a, struct cpose_model *m)
{
    if (cpose_args_is_none(a, "data"))
        return cpose_err(CPOSE_EINVAL, "format= needs data=<dataset YAML> to validate each export (without data= and "
                                       "format=, benchmark times cpose's own forward)");
    struct cpose_plugin_registry *reg = cpose_plugins_load_default();
    const char *only = cpose_args_given(a, "format") ? cpose_args_str(a, "format") : NULL;
    int rc = CPOSE_OK;
    if (only && !cpose_plugins_find(reg, only)) {
        char *none = NULL;
        rc = cpose_export_run(reg, NULL, "", only, NULL, NULL, 0, &none); /* the unknown-format message */
        cpose_plugins_free(reg);
        return rc;
    }
    const char *project = cpose_args_is_none(a, "project") ? "runs/pose" : cpose_args_str(a, "project");
    const char *name = cpose_args_is_none(a, "name") ? "benchmark" : cpose_args_str(a, "name");
    char *dir = cpose_increment_run_dir(project, name, cpose_args_bool(a, "exist_ok"));
    if (!dir || cpose_mkdirs(dir) != CPOSE_OK) {
        cpose_plugins_free(reg);
        cpose_free(dir);
        return cpose_err_context(CPOSE_EIO, "benchmark run folder");
    }
    struct bench_row *rows = cpose_calloc((size_t)reg->n + 1, sizeof *rows);
    int n = 0;
    /* the source model first, as Ultralytics' PyTorch row */
    struct bench_row *r = &rows[n++];
    snprintf(r->format, sizeof r->format, "cpose (source)");
    r->size_mb = cpose_path_size_mb(cpose_args_str(a, "model"));
    r->map = r->ms = -1;
    if (validate(a, m, dir, "source", r) == CPOSE_OK) snprintf(r->status, sizeof r->status, "✅");
    else snprintf(r->status, sizeof r->status, "❌"), set_why(r, cpose_errmsg()), cpose_err_clear();
    for (int i = 0; i < reg->n; i++) {
        const struct cpose_plugin_loaded *pl = &reg->items[i];
        if (only && strcmp(pl->plugin->format, only)) continue;
        cpose_info("\nbenchmark: format=%s", pl->plugin->format);
        bench_one(a, reg, pl, m, dir, &rows[n++]);
    }
    char title[256];
    snprintf(title, sizeof title, "Benchmarks complete for %s on %s at imgsz=%s", cpose_args_str(a, "model"),
             cpose_args_str(a, "data"), cpose_args_str(a, "imgsz"));
    rc = write_table(dir, rows, n, title);
    cpose_free(rows), cpose_free(dir);
    cpose_plugins_free(reg);
    return rc;
}
