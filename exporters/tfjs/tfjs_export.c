/* exporters/tfjs/tfjs_export.c — the TF.js exporter plugin (cpose-export-tfjs.so): `format=tfjs` writes
 * `<stem>_web_model/` as Ultralytics leaves it (tensorflowjs_converter run on the frozen .pb):
 * model.json (graph model: the GraphDef of format=pb as proto3-JSON, signature x:0 → Identity:0,
 * coordinates in pixels), group1-shard<i>of<N>.bin (4 MB shards), metadata.yaml. half=True and
 * int8=True quantise the float weights as the converter's --quantize_float16 / --quantize_uint8
 * (tfjs_json.h); the graph computes in float32 either way. */
#include <stdio.h>
#include <string.h>

#include "exporters/common/meta_yaml.h"
#include "exporters/tf/tf_graphdef.h"
#include "exporters/tfjs/tfjs_json.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg tfjs_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the input"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "float16 weights (the converter's --quantize_float16)"},
    {"int8", CPOSE_PLUGIN_ARG_BOOL, "False", "uint8 weights with min/scale (the converter's --quantize_uint8)"},
    {NULL, 0, NULL, NULL},
};

static int write_in(const struct cpose_host *h, struct cpose_export *x, const char *dir, const char *name, const void *data,
                    size_t n)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = h->alloc(len);
    snprintf(path, len, "%s/%s", dir, name);
    int rc = h->write_file(x, path, data, n);
    h->free(path);
    return rc;
}

static int export_tfjs(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    int half = h->arg_bool(x, "half"), int8 = h->arg_bool(x, "int8");
    if (half && int8)
        return h->error(x, CPOSE_PLUGIN_EINVAL, "half=True and int8=True: choose one quantisation (float16 or uint8 weights)");
    int quant = half ? TFJS_QUANT_FLOAT16 : int8 ? TFJS_QUANT_UINT8 : TFJS_QUANT_NONE;
    struct tfg_graph g;
    struct tfgd_graph gd;
    struct tfjs_model m;
    memset(&m, 0, sizeof m);
    h->progress(x, 0.1, "tfjs: NHWC graph");
    int rc = tfgd_from_export(h, x, &g, &gd);
    char *meta = NULL;
    if (rc == 0) {
        meta = cpose_metadata_text(h, x, CPOSE_META_JSON);
        if (!meta) rc = CPOSE_PLUGIN_EINVAL;
    }
    if (rc == 0) {
        h->progress(x, 0.4, "tfjs: model.json and weights");
        rc = tfjs_serialize(&gd, quant, TFJS_SHARD_BYTES, meta, &m);
    }
    if (rc == 0) rc = h->make_dir(x, out_path);
    for (int s = 1; rc == 0 && s <= m.n_shards; s++) {
        char name[64];
        snprintf(name, sizeof name, "group1-shard%dof%d.bin", s, m.n_shards);
        size_t off = (size_t)(s - 1) * m.shard_bytes, n = m.weights_len - off < m.shard_bytes ? m.weights_len - off : m.shard_bytes;
        rc = write_in(h, x, out_path, name, m.weights + off, n);
    }
    if (rc == 0) rc = write_in(h, x, out_path, "model.json", m.json, strlen(m.json));
    if (rc == 0) rc = cpose_write_metadata_yaml(h, x, out_path);
    if (rc == 0) {
        h->progress(x, 1.0, "tfjs: done");
        h->log(x, CPOSE_PLUGIN_LOG_INFO, "%s: graph model, %d nodes, %d shard%s (%.1f MB%s), input x:0, output Identity:0, "
               "coordinates in pixels", out_path, gd.n_nodes, m.n_shards, m.n_shards == 1 ? "" : "s", (double)m.weights_len / 1e6,
               quant == TFJS_QUANT_FLOAT16 ? ", float16 weights" : quant == TFJS_QUANT_UINT8 ? ", uint8 weights" : "");
    }
    tfjs_model_free(h, &m);
    h->free(meta);
    tfgd_free(&gd);
    tfg_free(&g);
    return rc;
}

static const struct cpose_plugin tfjs_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "tfjs",
    .suffix = "_web_model",
    .is_dir = 1,
    .args = tfjs_args,
    .description = "TF.js graph model (model.json + 4 MB weight shards, float32, float16 or uint8 weights): <stem>_web_model/",
    .export_model = export_tfjs,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &tfjs_plugin; }
