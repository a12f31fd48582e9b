/* exporters/tf/saved_model_export.c — the TF SavedModel exporter plugin (cpose-export-saved_model.so):
 * `format=saved_model` writes `<stem>_saved_model/` as Ultralytics leaves it:
 *   - saved_model.pb: a TF1-style SavedModel (schema version 1) holding the frozen GraphDef of
 *     format=pb (weights are Const nodes, so there is no variables/ folder; TF's loader logs that no
 *     checkpoint was restored), tag "serve", signature "serving_default" {images → x:0, output0 →
 *     Identity:0}, coordinates in pixels. It has no object graph (SavedObjectGraph, the function
 *     library and a trackable checkpoint), so TF2's tf.saved_model.load(...) gives an object that
 *     cannot be called as model(x); loaders of the signature (TF1 / TF Serving) run it;
 *   - <stem>_float32.tflite and <stem>_float16.tflite, the files onnx2tf leaves there, written by
 *     exporters/tflite's writer with the metadata.json zip appended. These hold coordinates
 *     normalised by the image size, as format=tflite writes them (Ultralytics' own saved_model run
 *     leaves pixel-coordinate .tflite files there, which its AutoBackend would scale a second time);
 *   - metadata.yaml. */
#include <stdio.h>
#include <string.h>

#include "exporters/common/meta_yaml.h"
#include "exporters/tf/tf_graphdef.h"
#include "exporters/tflite/tflite_write.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg saved_model_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the input"},
    {"int8", CPOSE_PLUGIN_ARG_BOOL, "False", "int8 .tflite files beside the model (not written by this exporter yet)"},
    {"keras", CPOSE_PLUGIN_ARG_BOOL, "False", "a Keras model (not written by this exporter)"},
    {NULL, 0, NULL, NULL},
};

static char *join(const struct cpose_host *h, const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = h->alloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* <dir>/<stem>_<float32|float16>.tflite: the flatbuffer with the metadata.json zip appended. */
static int write_tflite(const struct cpose_host *h, struct cpose_export *x, const struct tfg_graph *g, const char *dir,
                        int half, const char *json)
{
    const struct cpose_plugin_meta *md = h->meta(x);
    char desc[256], name[512];
    snprintf(desc, sizeof desc, "%s exported by cpose %s", md->model_name, md->version);
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    size_t stem = strlen(base), sl = strlen("_saved_model");
    if (stem > sl && !strcmp(base + stem - sl, "_saved_model")) stem -= sl;
    snprintf(name, sizeof name, "%.*s_%s.tflite", (int)stem, base, half ? "float16" : "float32");
    uint8_t *fb = NULL, *zip = NULL;
    size_t fb_len = 0, zip_len = 0;
    int rc = tflite_serialize(g, half, desc, &fb, &fb_len);
    if (rc == 0) {
        tflite_zip_one(h, fb_len, "metadata.json", json, strlen(json), &zip, &zip_len);
        char *path = join(h, dir, name);
        struct cpose_host_file *f = h->file_open(x, path);
        if (!f) rc = CPOSE_PLUGIN_EIO;
        else if ((rc = h->file_write(f, fb, fb_len)) != 0 || (rc = h->file_write(f, zip, zip_len)) != 0) h->file_abort(f);
        else rc = h->file_commit(f);
        h->free(path);
    }
    h->free(fb), h->free(zip);
    return rc;
}

static int export_saved_model(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    if (h->arg_bool(x, "int8"))
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "int8=True: the int8 .tflite files are not written by the saved_model "
                        "exporter yet; export without int8");
    if (h->arg_bool(x, "keras"))
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "keras=True: a Keras model is not written by this exporter; export "
                        "without keras (saved_model.pb holds the graph)");
    struct tfg_graph g, gn;
    struct tfgd_graph gd;
    memset(&gn, 0, sizeof gn);
    h->progress(x, 0.1, "saved_model: NHWC graph");
    int rc = tfgd_from_export(h, x, &g, &gd);
    uint8_t *graphdef = NULL, *sm = NULL;
    size_t gd_len = 0, sm_len = 0;
    char *json = NULL;
    if (rc == 0) {
        h->progress(x, 0.3, "saved_model: saved_model.pb");
        graphdef = tfgd_encode_graphdef(&gd, &gd_len);
        sm = graphdef ? tfgd_encode_saved_model(&gd, graphdef, gd_len, "images", "output0", &sm_len) : NULL;
        if (!sm) rc = CPOSE_PLUGIN_ENOMEM;
    }
    if (rc == 0 && (rc = h->make_dir(x, out_path)) == 0) {
        char *path = join(h, out_path, "saved_model.pb");
        rc = h->write_file(x, path, sm, sm_len);
        h->free(path);
    }
    if (rc == 0) rc = cpose_write_metadata_yaml(h, x, out_path);
    if (rc == 0) {
        /* the .tflite files: the same rewrite with normalised coordinates */
        h->progress(x, 0.6, "saved_model: .tflite files");
        const struct cpose_plugin_meta *md = h->meta(x);
        struct tfg_options o = {1, md->n_names, md->kpt_shape[0], md->kpt_shape[1]};
        rc = tfg_from_view(h, x, h->view(x), &o, &gn);
        json = rc == 0 ? cpose_metadata_text(h, x, CPOSE_META_JSON) : NULL;
        if (rc == 0 && !json) rc = CPOSE_PLUGIN_EINVAL;
        for (int half = 0; half <= 1 && rc == 0; half++) rc = write_tflite(h, x, &gn, out_path, half, json);
    }
    if (rc == 0) {
        h->progress(x, 1.0, "saved_model: done");
        h->log(x, CPOSE_PLUGIN_LOG_INFO, "%s: saved_model.pb (TF1-style, signature serving_default, %d nodes, %.1f MB, "
               "coordinates in pixels; no object graph, so TF2's tf.saved_model.load cannot call it), float32 and "
               "float16 .tflite (coordinates normalised), metadata.yaml", out_path, gd.n_nodes, (double)sm_len / 1e6);
    }
    h->free(graphdef), h->free(sm), h->free(json);
    tfgd_free(&gd);
    tfg_free(&g);
    tfg_free(&gn);
    return rc;
}

static const struct cpose_plugin saved_model_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "saved_model",
    .suffix = "_saved_model",
    .is_dir = 1,
    .args = saved_model_args,
    .description = "TF SavedModel (TF1-style, frozen graph, signature serving_default) + float32/float16 .tflite: "
                   "<stem>_saved_model/",
    .export_model = export_saved_model,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &saved_model_plugin; }
