/* core/nn/onnx_read.h — reading an ONNX file at the protobuf level for the importer (internal):
 * the file's parse, constant tensors (initializers and Constant nodes, every storage form the
 * spec allows, fp16/bf16/double converted to float), node attributes with the spec's defaults,
 * and Ultralytics' metadata_props (Python-literal strings, read as Ultralytics' AutoBackend reads
 * them). Nothing here knows cpose's graph; core/nn/onnx_import.c builds the graph. */
#ifndef CPOSE_ONNX_READ_H
#define CPOSE_ONNX_READ_H

#include <stdint.h>
#include "onnx/onnx.pb-c.h"
#include "core/base/status.h"

/* A constant tensor converted to float (values of any numeric type) and int64 (integer types,
 * for shapes/axes). dims as in the file; numel = product. */
struct cpose_onnx_const {
    char *name;  /* owned */
    int ndim;
    int64_t dims[8];
    int64_t numel;
    int elem_type;  /* ONNX TensorProto.DataType of the source */
    float *f;       /* owned, numel values */
    int64_t *i;     /* owned, numel values (integers; floats truncated) */
};

/* Parses the bytes of an ONNX file. path names the file in errors. Returns an owned model
 * (free with onnx__model_proto__free_unpacked(m, NULL)); a truncated or non-ONNX file is an error
 * saying so. */
int cpose_onnx_parse(const char *path, const uint8_t *data, size_t len, Onnx__ModelProto **out);

/* Converts a TensorProto (raw_data or the typed fields; FLOAT, FLOAT16, BFLOAT16, DOUBLE and the
 * integer types) into c (fields owned by c; free with cpose_onnx_const_clear). what names the
 * tensor in errors. */
int cpose_onnx_const_from_tensor(const Onnx__TensorProto *t, const char *what, struct cpose_onnx_const *c);
/* Converts a Constant node's value (value, value_float(s), value_int(s)) into c. */
int cpose_onnx_const_from_node(const Onnx__NodeProto *n, struct cpose_onnx_const *c);
void cpose_onnx_const_clear(struct cpose_onnx_const *c);

/* Attribute lookup; NULL when absent. */
const Onnx__AttributeProto *cpose_onnx_attr(const Onnx__NodeProto *n, const char *name);
/* INT attribute, or def when absent. */
int64_t cpose_onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def);
/* STRING attribute copied into buf (NUL-terminated, truncated to cap), or def when absent. */
const char *cpose_onnx_attr_str(const Onnx__NodeProto *n, const char *name, const char *def, char *buf, size_t cap);
/* INTS attribute: its count and values (borrowed), or 0 and NULL when absent. */
size_t cpose_onnx_attr_ints(const Onnx__NodeProto *n, const char *name, const int64_t **v);

/* Ultralytics' metadata (what AutoBackend reads from metadata_props). Fields left at 0/NULL
 * when the key is absent. */
struct cpose_onnx_meta {
    int stride;          /* "32" */
    int batch;           /* "1" */
    int imgsz[2];        /* "[640, 640]" (h, w) */
    int kpt_shape[2];    /* "[17, 3]" */
    int n_names;         /* "{0: 'person', 1: ...}" */
    char **names;        /* owned, n_names entries, index = class id */
    char task[32];       /* "pose" */
    char description[128];
};
/* Reads the metadata_props of m. A key present but malformed is an error naming the key and
 * its value. */
int cpose_onnx_meta_read(const char *path, const Onnx__ModelProto *m, struct cpose_onnx_meta *meta);
void cpose_onnx_meta_clear(struct cpose_onnx_meta *meta);

#endif
