/* exporters/edgetpu/edgetpu_export.c — the Edge TPU exporter plugin (cpose-export-edgetpu.so).
 *
 * Ultralytics' `format=edgetpu` compiles `<stem>_saved_model/<stem>_full_integer_quant.tflite` with
 * Google's closed-source `edgetpu_compiler` (x86-64 Linux) into `..._full_integer_quant_edgetpu.tflite`
 * and appends the metadata zip to the result. This plugin writes that full-integer file itself (the
 * TFLite int8 writer of exporters/tflite/: batch 1, static shapes, every op one the Edge TPU maps),
 * then runs `edgetpu_compiler -s -d -k 10 --out_dir <folder> <file>` when the compiler is on PATH.
 * Without the compiler the export fails with a message that names the compiler and where the int8
 * file was written: beside the output folder, since a failed export leaves no output folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exporters/tf/tf_nhwc.h"
#include "exporters/tflite/tflite_file.h"
#include "exporters/tflite/tflite_write.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg edgetpu_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w (batch is 1: the Edge TPU needs static shapes)"},
    {"data", CPOSE_PLUGIN_ARG_STR, "", "int8 calibration dataset YAML (its val images; default: the model's train data)"},
    {"fraction", CPOSE_PLUGIN_ARG_FLOAT, "1.0", "fraction of the val images used for calibration"},
    {NULL, 0, NULL, NULL},
};

/* NHWC graph ops the Edge TPU compiler maps (Coral's supported-operations table); DIV is not one. */
static const int edgetpu_ops[] = {TFG_CONV2D, TFG_LOGISTIC, TFG_MUL, TFG_ADD, TFG_SUB, TFG_CONCAT, TFG_SLICE,
                                  TFG_MAXPOOL, TFG_RESIZE_NEAREST, TFG_RESHAPE, TFG_TRANSPOSE, TFG_SOFTMAX, TFG_PAD};

#define COMPILER "edgetpu_compiler"

/* The compiler's path on PATH (malloc'ed) or NULL. */
static char *find_compiler(void)
{
    const char *path = getenv("PATH");
    if (!path) return NULL;
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *cand = malloc(n + sizeof COMPILER + 2);
        snprintf(cand, n + sizeof COMPILER + 2, "%.*s/%s", (int)n, n ? p : ".", COMPILER);
        if (access(cand, X_OK) == 0) return cand;
        free(cand);
        p += n + (e ? 1 : 0);
    }
    return NULL;
}

/* Runs the compiler on file into folder; 0 or a status after h->error. */
static int compile(const struct cpose_host *h, struct cpose_export *x, const char *compiler, const char *folder,
                   const char *file)
{
    h->log(x, CPOSE_PLUGIN_LOG_INFO, "running '%s -s -d -k 10 --out_dir %s %s'", compiler, folder, file);
    pid_t pid = fork();
    if (pid < 0) return h->error(x, CPOSE_PLUGIN_EIO, "cannot start %s: %s", compiler, strerror(errno));
    if (pid == 0) {
        execl(compiler, COMPILER, "-s", "-d", "-k", "10", "--out_dir", folder, file, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return h->error(x, CPOSE_PLUGIN_EIO, "%s failed on '%s' (%s %d); the full-integer TFLite it was given is "
                        "kept only if the export succeeds", compiler, file, WIFEXITED(st) ? "exit status" : "signal",
                        WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 0;
}

/* Appends the metadata zip to the compiled file (Ultralytics adds it after compiling). */
static int add_metadata(const struct cpose_host *h, struct cpose_export *x, const char *path, const char *json_src)
{
    FILE *f = fopen(path, "rb");
    if (!f) return h->error(x, CPOSE_PLUGIN_EIO, "%s did not write '%s'", COMPILER, path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = h->alloc((size_t)(n > 0 ? n : 1));
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    if (n <= 0 || got != (size_t)n) {
        h->free(buf);
        return h->error(x, CPOSE_PLUGIN_EIO, "cannot read the compiled '%s'", path);
    }
    uint8_t *zip = NULL;
    size_t zip_len = 0;
    tflite_zip_one(h, (size_t)n, "metadata.json", json_src, strlen(json_src), &zip, &zip_len);
    struct cpose_host_file *out = h->file_open(x, path);
    int rc = out ? 0 : CPOSE_PLUGIN_EIO;
    if (out && ((rc = h->file_write(out, buf, (size_t)n)) != 0 || (rc = h->file_write(out, zip, zip_len)) != 0))
        h->file_abort(out);
    else if (out)
        rc = h->file_commit(out);
    h->free(buf), h->free(zip);
    return rc;
}

static int export_edgetpu(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    if (v->batch != 1) return h->error(x, CPOSE_PLUGIN_EINVAL, "the Edge TPU needs batch 1 (got %lld)", (long long)v->batch);
    struct tflite_made made;
    int rc = tflite_make(h, x, TFLITE_INT8, &made);
    if (rc) return rc;
    int allowed = 0;
    for (size_t k = 0; k < sizeof edgetpu_ops / sizeof *edgetpu_ops; k++) allowed |= 1 << edgetpu_ops[k];
    for (int k = 0; k < TFG_OP_COUNT && rc == 0; k++)
        if ((made.tfg_kinds >> k & 1) && !(allowed >> k & 1))
            rc = h->error(x, CPOSE_PLUGIN_ENOTSUP, "the graph has %s, which the Edge TPU does not run", tfg_op_name(k));
    char *compiler = rc == 0 ? find_compiler() : NULL, *file = NULL;
    if (rc == 0 && !compiler) {
        /* beside the output folder: the host removes a failed export's folder */
        const char *slash = strrchr(out_path, '/');
        const char *base = slash ? slash + 1 : out_path;
        size_t stem = strlen(base), sl = strlen("_saved_model");
        if (stem > sl && !strcmp(base + stem - sl, "_saved_model")) stem -= sl;
        size_t n = strlen(out_path) + 64;
        file = h->alloc(n);
        snprintf(file, n, "%.*s%.*s_full_integer_quant.tflite", slash ? (int)(slash - out_path + 1) : 0, out_path,
                 (int)stem, base);
        rc = h->write_file(x, file, made.bytes, made.len);
        if (rc == 0)
            rc = h->error(x, CPOSE_PLUGIN_ENOTSUP, "%s not found on PATH (Google's Edge TPU compiler, x86-64 Linux only: "
                          "https://coral.ai/docs/edgetpu/compiler/). The full-integer int8 TFLite for it is written: "
                          "'%s' — compile it with `%s -s -d -k 10 %s` where the compiler is installed", COMPILER, file,
                          COMPILER, file);
    } else if (rc == 0) {
        rc = tflite_write_folder(h, x, out_path, "full_integer_quant", &made, &file);
        if (rc == 0) rc = compile(h, x, compiler, out_path, file);
        if (rc == 0) {
            size_t n = strlen(file) + 16;
            char *tpu = h->alloc(n);
            snprintf(tpu, n, "%.*s_edgetpu.tflite", (int)(strlen(file) - strlen(".tflite")), file);
            char *json = h->alloc(1);
            json[0] = 0;
            /* metadata.json: the same text the int8 file carries */
            const char *const *keys = h->meta_keys(x);
            size_t len = 1;
            for (int i = 0; keys[i] && rc == 0; i++) {
                char *val = h->meta_text(x, keys[i], CPOSE_META_JSON);
                if (!val) { rc = CPOSE_PLUGIN_EINVAL; break; }
                len += strlen(keys[i]) + strlen(val) + 8;
                json = h->realloc(json, len);
                strcat(json, i ? ", \"" : "{\"");
                strcat(json, keys[i]);
                strcat(json, "\": ");
                strcat(json, val);
                h->free(val);
            }
            json = h->realloc(json, len + 2);
            strcat(json, "}");
            if (rc == 0) rc = add_metadata(h, x, tpu, json);
            if (rc == 0) h->log(x, CPOSE_PLUGIN_LOG_INFO, "%s (compiled from %s)", tpu, file);
            h->free(json), h->free(tpu);
        }
    }
    free(compiler);
    h->free(file);
    tflite_made_free(h, &made);
    return rc;
}

static const struct cpose_plugin edgetpu_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "edgetpu",
    .suffix = "_saved_model",
    .is_dir = 1,
    .args = edgetpu_args,
    .description = "Edge TPU: the full-integer int8 TFLite (<stem>_full_integer_quant.tflite) compiled by edgetpu_compiler "
                   "when it is on PATH",
    .export_model = export_edgetpu,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &edgetpu_plugin; }
