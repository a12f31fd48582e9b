/* core/nn/onnx_restate.h — an in-memory ONNX model built node by node, for the readers of formats
 * that cpose restates as ONNX before its ONNX import (ncnn, OpenVINO): nodes, attributes,
 * initializers (copied), then one call that packs the model and imports it. Everything allocated is
 * owned by the restate and freed by orst_free. Internal to core/nn. */
#ifndef CPOSE_ONNX_RESTATE_H
#define CPOSE_ONNX_RESTATE_H

#include <stdint.h>

#include "core/base/alloc.h"
#include "core/nn/export_meta.h"
#include "core/nn/model.h"
#include "onnx/onnx.pb-c.h"

struct cpose_onnx_restate {
    struct cpose_vec owned;  /* void *: every allocation below */
    struct cpose_vec nodes;  /* Onnx__NodeProto *, in order */
    struct cpose_vec inits;  /* Onnx__TensorProto * */
};

void orst_init_restate(struct cpose_onnx_restate *o);
void orst_free(struct cpose_onnx_restate *o);

/* A node `op` named "<layer>/<op>" (so the import names cpose nodes after the layer) with one output. */
Onnx__NodeProto *orst_node(struct cpose_onnx_restate *o, const char *op, const char *layer, const char *const *ins,
                           int n_in, const char *out);
void orst_attr_int(struct cpose_onnx_restate *o, Onnx__NodeProto *n, const char *name, int64_t v);
void orst_attr_ints(struct cpose_onnx_restate *o, Onnx__NodeProto *n, const char *name, const int64_t *v, int k);
void orst_attr_str(struct cpose_onnx_restate *o, Onnx__NodeProto *n, const char *name, const char *v);
/* An initializer of float32 (f) or int64 (i64) values, copied; returns its name (owned by o). */
const char *orst_init(struct cpose_onnx_restate *o, const char *name, const int64_t *dims, int ndim, const float *f,
                      const int64_t *i64);
/* A 1-D int64 initializer named "<layer>.<what>". */
const char *orst_ints(struct cpose_onnx_restate *o, const char *layer, const char *what, const int64_t *v, int n);
/* A float32 tensor value_info with fixed dims. */
Onnx__ValueInfoProto *orst_value_info(struct cpose_onnx_restate *o, const char *name, const int64_t *dims, int ndim);

/* Packs the model (opset 13; graph input `input`, output `output` with their dims; meta as
 * metadata_props) and imports it with cpose_onnx_model_load_mem; path names the source in messages. */
int orst_import(struct cpose_onnx_restate *o, const char *path, const char *input, const int64_t *in_dims, int in_nd,
                const char *output, const int64_t *out_dims, int out_nd, const struct cpose_export_meta *meta,
                struct cpose_model **out);

#endif
