/* exporters/tflite/tflite_export.c — the TF Lite exporter plugin (cpose-export-tflite.so).
 *
 * Writes what Ultralytics' `format=tflite` leaves: a `<stem>_saved_model/` folder holding
 * `<stem>_float32.tflite` (or `<stem>_float16.tflite` with half=True) and `metadata.yaml`. The
 * .tflite is the NHWC graph of exporters/tf/ (input `images` [B,H,W,3] float32, output `output0`
 * [B, 4 + nc + nk·kd, A] float32) with coordinates normalised by the image size, as Ultralytics ≥
 * 8.3.x writes them (boxes and keypoints; AutoBackend multiplies back by w and h), and a stored zip
 * holding `metadata.json` appended after the flatbuffer. The folder is the export's path (the host
 * names outputs from one suffix); the log names the .tflite inside. */
#include <stdio.h>
#include <string.h>

#include "exporters/tf/tf_nhwc.h"
#include "exporters/tflite/tflite_write.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg tflite_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the input"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "fp16 weights (DEQUANTIZE to float32): <stem>_float16.tflite"},
    {"int8", CPOSE_PLUGIN_ARG_BOOL, "False", "full-integer quantisation (not written by this exporter yet)"},
    {"nms", CPOSE_PLUGIN_ARG_BOOL, "False", "NMS in the graph (not written by this exporter yet)"},
    {NULL, 0, NULL, NULL},
};

/* Appends text to a growing host-allocated string. */
struct text { const struct cpose_host *h; char *s; size_t len, cap; };

static void put(struct text *t, const char *a)
{
    size_t n = strlen(a);
    if (t->len + n + 1 > t->cap) {
        t->cap = 2 * (t->len + n + 1);
        t->s = t->h->realloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, a, n + 1);
    t->len += n;
}

/* metadata.json (JSON object) or metadata.yaml (one "key: value" line each), Ultralytics' keys. */
static char *metadata(const struct cpose_host *h, struct cpose_export *x, int style)
{
    struct text t = {h, NULL, 0, 0};
    put(&t, style == CPOSE_META_JSON ? "{" : "");
    const char *const *keys = h->meta_keys(x);
    for (int i = 0; keys[i]; i++) {
        char *v = h->meta_text(x, keys[i], style);
        if (!v) {
            h->free(t.s);
            return NULL;
        }
        if (style == CPOSE_META_JSON) {
            put(&t, i ? ", \"" : "\"");
            put(&t, keys[i]);
            put(&t, "\": ");
        } else {
            put(&t, keys[i]);
            put(&t, ": ");
        }
        put(&t, v);
        put(&t, style == CPOSE_META_JSON ? "" : "\n");
        h->free(v);
    }
    if (style == CPOSE_META_JSON) put(&t, "}");
    return t.s;
}

static int export_tflite(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    if (h->arg_bool(x, "int8"))
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "int8=True: full-integer quantisation is not written by this exporter "
                        "yet; export float32 (default) or half=True");
    if (h->arg_bool(x, "nms"))
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "nms=True is not written by the tflite exporter yet; run NMS after "
                        "the model (cpose predict does)");
    int half = h->arg_bool(x, "half");
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    const struct cpose_plugin_meta *md = h->meta(x);
    struct tfg_options o = {1, md->n_names, md->kpt_shape[0], md->kpt_shape[1]};
    struct tfg_graph g;
    h->progress(x, 0.1, "tflite: NHWC graph");
    int rc = tfg_from_view(h, x, v, &o, &g);
    uint8_t *fb = NULL, *zip = NULL;
    size_t fb_len = 0, zip_len = 0;
    char *json = NULL, *yaml = NULL, *file = NULL;
    if (rc == 0) {
        h->progress(x, 0.5, "tflite: flatbuffer");
        char desc[256];
        snprintf(desc, sizeof desc, "%s exported by cpose %s", md->model_name, md->version);
        rc = tflite_serialize(&g, half, desc, &fb, &fb_len);
    }
    if (rc == 0) {
        json = metadata(h, x, CPOSE_META_JSON);
        yaml = metadata(h, x, CPOSE_META_YAML);
        if (!json || !yaml) rc = CPOSE_PLUGIN_EINVAL;
    }
    if (rc == 0) {
        tflite_zip_one(h, fb_len, "metadata.json", json, strlen(json), &zip, &zip_len);
        rc = h->make_dir(x, out_path);
    }
    if (rc == 0) {
        /* <folder>/<stem>_float32.tflite: the stem is the folder's name without "_saved_model" */
        const char *base = strrchr(out_path, '/') ? strrchr(out_path, '/') + 1 : out_path;
        size_t stem = strlen(base), sl = strlen("_saved_model");
        if (stem > sl && !strcmp(base + stem - sl, "_saved_model")) stem -= sl;
        size_t n = strlen(out_path) + stem + 32;
        file = h->alloc(n);
        snprintf(file, n, "%s/%.*s_%s.tflite", out_path, (int)stem, base, half ? "float16" : "float32");
        struct cpose_host_file *f = h->file_open(x, file);
        if (!f) rc = CPOSE_PLUGIN_EIO;
        else if ((rc = h->file_write(f, fb, fb_len)) != 0 || (rc = h->file_write(f, zip, zip_len)) != 0) h->file_abort(f);
        else rc = h->file_commit(f);
    }
    if (rc == 0) {
        size_t n = strlen(out_path) + 32;
        char *ypath = h->alloc(n);
        snprintf(ypath, n, "%s/metadata.yaml", out_path);
        rc = h->write_file(x, ypath, yaml, strlen(yaml));
        h->free(ypath);
    }
    if (rc == 0) {
        h->progress(x, 1.0, "tflite: done");
        h->log(x, CPOSE_PLUGIN_LOG_INFO, "%s: %d ops, %d tensors in the NHWC graph, %.1f MB%s, coordinates normalised "
               "by the image size", file, g.n_ops, g.n_values, (double)(fb_len + zip_len) / 1e6, half ? ", fp16 weights" : "");
    }
    tfg_free(&g);
    h->free(fb), h->free(zip), h->free(json), h->free(yaml), h->free(file);
    return rc;
}

static const struct cpose_plugin tflite_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "tflite",
    .suffix = "_saved_model",
    .is_dir = 1,
    .args = tflite_args,
    .description = "TF Lite (FlatBuffers TFL3, NHWC, fp32 or fp16): <stem>_saved_model/<stem>_float32.tflite + metadata",
    .export_model = export_tflite,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &tflite_plugin; }
