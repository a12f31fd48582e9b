/* exporters/tfjs/tfjs_json.h — the TF node list (exporters/tf/tf_graphdef.h) as a TF.js graph model:
 * model.json text and the weight bytes its shards hold (FORMATS.md §11).
 *
 * model.json: {"format": "graph-model", "generatedBy", "convertedBy", "signature" {inputs "x:0",
 * outputs "Identity:0"}, "userDefinedMetadata" (Ultralytics' metadata dict), "modelTopology": the
 * GraphDef in proto3-JSON (int64 as strings, enums by name, bytes attributes base64, Const tensors
 * without their content), "weightsManifest": [{"paths": ["group1-shard1ofN.bin", ...], "weights":
 * [{"name": <Const node>, "shape", "dtype", "quantization"?}]}]}. The shards are the weights
 * concatenated in manifest order, cut every shard_bytes bytes (the converter's default: 4 MB).
 * Quantisation as tensorflowjs_converter's flags, applied to the float32 weights (int32 shape
 * constants stay): --quantize_float16 stores IEEE halves ({"dtype": "float16"}); --quantize_uint8
 * stores q = round((w − min) / scale) with scale = (max − min)/255 and min nudged so that 0.0 is
 * exactly q·scale + min when the range spans it ({"dtype": "uint8", "min", "scale"}). */
#ifndef CPOSE_EXPORTERS_TFJS_JSON_H
#define CPOSE_EXPORTERS_TFJS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "exporters/tf/tf_graphdef.h"

enum tfjs_quant { TFJS_QUANT_NONE, TFJS_QUANT_FLOAT16, TFJS_QUANT_UINT8 };

#define TFJS_SHARD_BYTES (4u * 1024u * 1024u)

struct tfjs_model {
    char *json;                /* model.json (NUL-terminated) */
    uint8_t *weights;          /* every weight, manifest order */
    size_t weights_len;
    int n_shards;              /* shard i (1-based) is weights[(i-1)·shard_bytes, ...) */
    size_t shard_bytes;
};

/* Builds model.json and the weight bytes of gd. metadata_json: a JSON object for
 * userDefinedMetadata (may be NULL). Returns 0 (free with tfjs_model_free) or a status after
 * gd->h->error. */
int tfjs_serialize(const struct tfgd_graph *gd, int quant, size_t shard_bytes, const char *metadata_json, struct tfjs_model *out);
void tfjs_model_free(const struct cpose_host *h, struct tfjs_model *m);

/* Standard base64 (RFC 4648, with '=' padding) of n bytes into a h->alloc'ed string. */
char *tfjs_base64(const struct cpose_host *h, const void *data, size_t n);

#endif
