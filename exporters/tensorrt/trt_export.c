/* exporters/tensorrt/trt_export.c — the TensorRT plugin (cpose-export-engine.so, `format=engine`):
 * writes cpose's ONNX export into the export's scratch folder, builds a serialized engine from it
 * with NVIDIA's `trtexec` (half → --fp16, int8 → --int8, workspace → the workspace memory pool,
 * dynamic → an optimisation profile), then writes Ultralytics' container to <stem>.engine: an int32
 * little-endian length of the metadata JSON, the JSON, the engine bytes (FORMATS.md §5).
 *
 * Why trtexec and not dlopen(libnvinfer): TensorRT has no C API. Its builder, network, parser and
 * config are C++ classes used through virtual calls whose layout changes between 8 and 10, so a
 * plugin that declares them itself would break silently on the next release; trtexec is the tool
 * NVIDIA ships with every TensorRT, takes the same options on 8 and 10, and fails with messages. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "exporters/common/host_buf.h"
#include "exporters/onnx/onnx_model.h"
#include "exporters/tensorrt/trt_locate.h"
#include "plugins/cpose_plugin.h"

extern char **environ;

static const struct cpose_plugin_arg trt_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the input (the largest with dynamic=True)"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "FP16 engine (trtexec --fp16)"},
    {"int8", CPOSE_PLUGIN_ARG_BOOL, "False", "INT8 engine (trtexec --int8; with calib= a calibration cache)"},
    {"calib", CPOSE_PLUGIN_ARG_STR, "", "int8=True: TensorRT calibration cache file (trtexec --calib)"},
    {"dynamic", CPOSE_PLUGIN_ARG_BOOL, "False", "dynamic batch/height/width: profile min 1x3x32x32, opt = imgsz, max = k x"},
    {"simplify", CPOSE_PLUGIN_ARG_BOOL, "False", "accepted; the ONNX graph is written already folded"},
    {"workspace", CPOSE_PLUGIN_ARG_FLOAT, "", "builder workspace in GiB (None: TensorRT's default)"},
    {NULL, 0, NULL, NULL},
};

/* The metadata as one JSON object, keys in Ultralytics' order (host-allocated buffer). */
static int metadata_json(const struct cpose_host *h, struct cpose_export *x, struct host_buf *j)
{
    host_buf_printf(j, "{");
    int i = 0;
    for (const char *const *k = h->meta_keys(x); *k; k++, i++) {
        char *v = h->meta_text(x, *k, CPOSE_META_JSON);
        if (!v) return CPOSE_PLUGIN_EINVAL;
        host_buf_printf(j, "%s\"%s\": %s", i ? ", " : "", *k, v);
        h->free(v);
    }
    host_buf_printf(j, "}");
    return CPOSE_PLUGIN_OK;
}

/* The last lines of trtexec's log, for the error message. */
static void log_tail(const char *path, char *out, size_t n)
{
    out[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    long start = len > (long)n - 1 ? len - (long)n + 1 : 0;
    fseek(f, start, SEEK_SET);
    size_t got = fread(out, 1, n - 1, f);
    out[got] = 0;
    fclose(f);
}

/* Runs argv[0] with its output in log; returns its exit status (or -1 when it could not start). */
static int run_logged(char *const *argv, const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Reads a whole file into host memory; NULL when it cannot (or it is empty). */
static unsigned char *slurp(const struct cpose_host *h, const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    unsigned char *p = NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0) {
        p = h->alloc((size_t)st.st_size);
        *n = fread(p, 1, (size_t)st.st_size, f);
        if (*n != (size_t)st.st_size) h->free(p), p = NULL;
    }
    fclose(f);
    return p;
}

/* Writes the container: int32 LE length, the JSON, the engine bytes (atomically). */
static int write_container(const struct cpose_host *h, struct cpose_export *x, const char *out_path,
                           const struct host_buf *json, const unsigned char *engine, size_t n)
{
    uint32_t len = (uint32_t)json->len;
    unsigned char le[4] = {(unsigned char)len, (unsigned char)(len >> 8), (unsigned char)(len >> 16),
                           (unsigned char)(len >> 24)};
    struct cpose_host_file *f = h->file_open(x, out_path);
    if (!f) return CPOSE_PLUGIN_EIO;
    int rc = h->file_write(f, le, 4);
    if (!rc) rc = h->file_write(f, json->p, json->len);
    if (!rc) rc = h->file_write(f, engine, n);
    if (rc) {
        h->file_abort(f);
        return rc;
    }
    return h->file_commit(f);
}

static int export_engine(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    struct host_buf why = {h, NULL, 0, 0};
    char *trtexec = trt_find_trtexec(h, &why);
    if (!trtexec) {
        int rc = h->error(x, CPOSE_PLUGIN_ENOTSUP, "TensorRT not found: %s. Install TensorRT (NVIDIA's tensorrt "
                          "packages, which ship trtexec) and put trtexec on PATH; nothing was written", why.p);
        h->free(why.p);
        return rc;
    }
    h->free(why.p);
    int half = h->arg_bool(x, "half"), int8 = h->arg_bool(x, "int8"), dynamic = h->arg_bool(x, "dynamic");
    double ws = h->arg_float(x, "workspace", 0);
    const char *calib = h->arg(x, "calib");
    if (ws < 0) {
        h->free(trtexec);
        return h->error(x, CPOSE_PLUGIN_EINVAL, "workspace=%g: give the builder workspace in GiB (> 0) or None", ws);
    }
    if (int8 && !*calib)
        h->log(x, CPOSE_PLUGIN_LOG_WARN, "int8=True without calib=: trtexec uses placeholder dynamic ranges, so the "
               "engine is for timing, not accuracy (give a TensorRT calibration cache with calib=)");
    const struct cpose_view *v = h->view(x);
    if (!v) {
        h->free(trtexec);
        return CPOSE_PLUGIN_EINVAL;
    }
    const char *tmp = h->tmp_dir(x);
    char onnx[4096], plan[4096], log[4096];
    snprintf(onnx, sizeof onnx, "%s/model.onnx", tmp);
    snprintf(plan, sizeof plan, "%s/model.plan", tmp);
    snprintf(log, sizeof log, "%s/trtexec.log", tmp);
    /* TensorRT takes the float32 ONNX; precision is the builder's flags, as in Ultralytics */
    struct onnx_model_opts oo = {17, 0, dynamic, 0, 0.25, 0.7, 300};
    h->progress(x, 0.1, "engine: ONNX");
    int rc = onnx_write_model(h, x, onnx, &oo);
    if (rc) {
        h->free(trtexec);
        return rc;
    }
    char a_onnx[4200], a_plan[4200], a_ws[64], a_calib[4200], a_min[96], a_opt[96], a_max[96];
    char *argv[16];
    int n = 0;
    argv[n++] = trtexec;
    snprintf(a_onnx, sizeof a_onnx, "--onnx=%s", onnx), argv[n++] = a_onnx;
    snprintf(a_plan, sizeof a_plan, "--saveEngine=%s", plan), argv[n++] = a_plan;
    if (half) argv[n++] = "--fp16";
    if (int8) argv[n++] = "--int8";
    if (int8 && *calib) snprintf(a_calib, sizeof a_calib, "--calib=%s", calib), argv[n++] = a_calib;
    if (ws > 0) snprintf(a_ws, sizeof a_ws, "--memPoolSize=workspace:%lldM", (long long)(ws * 1024 + 0.5)), argv[n++] = a_ws;
    if (dynamic) { /* FORMATS.md §5: min (1,3,32,32), opt = the export shape, max = shape × max(2, workspace) */
        long long k = ws > 2 ? (long long)ws : 2, b = v->batch, hh = v->height, ww = v->width;
        snprintf(a_min, sizeof a_min, "--minShapes=images:1x3x32x32"), argv[n++] = a_min;
        snprintf(a_opt, sizeof a_opt, "--optShapes=images:%lldx3x%lldx%lld", b, hh, ww), argv[n++] = a_opt;
        snprintf(a_max, sizeof a_max, "--maxShapes=images:%lldx3x%lldx%lld", b * k, hh * k, ww * k), argv[n++] = a_max;
    }
    argv[n] = NULL;
    h->log(x, CPOSE_PLUGIN_LOG_INFO, "building the engine with %s%s%s%s", trtexec, half ? " --fp16" : "",
           int8 ? " --int8" : "", dynamic ? " (dynamic profile)" : "");
    h->progress(x, 0.3, "engine: trtexec");
    int st = run_logged(argv, log);
    if (st != 0) {
        char tail[1200];
        log_tail(log, tail, sizeof tail);
        rc = h->error(x, CPOSE_PLUGIN_EIO, "%s %s (exit status %d); its output ends with:\n%s", trtexec,
                      st < 0 ? "could not be started" : "failed", st, tail);
        h->free(trtexec);
        return rc;
    }
    size_t nbytes = 0;
    unsigned char *engine = slurp(h, plan, &nbytes);
    if (!engine) {
        rc = h->error(x, CPOSE_PLUGIN_EIO, "%s succeeded but wrote no engine at '%s'", trtexec, plan);
        h->free(trtexec);
        return rc;
    }
    h->free(trtexec);
    struct host_buf json = {h, NULL, 0, 0};
    rc = metadata_json(h, x, &json);
    if (!rc) rc = write_container(h, x, out_path, &json, engine, nbytes);
    if (!rc) h->log(x, CPOSE_PLUGIN_LOG_INFO, "container: %zu bytes of metadata JSON, %zu bytes of engine", json.len, nbytes);
    h->progress(x, 1.0, "engine: done");
    h->free(json.p), h->free(engine);
    return rc;
}

static const struct cpose_plugin trt_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "engine",
    .suffix = ".engine",
    .is_dir = 0,
    .args = trt_args,
    .description = "TensorRT engine built by trtexec from cpose's ONNX, in Ultralytics' container (int32 length, "
                   "metadata JSON, engine)",
    .export_model = export_engine,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &trt_plugin; }
