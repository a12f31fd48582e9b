/* exporters/onnx/onnx_graph.h — building an ONNX GraphProto (protobuf-c structs) from the host's
 * graph view: a small builder (nodes, attributes, initializers, all memory in one arena) and the
 * translation of each view op for opsets 12–17. */
#ifndef CPOSE_ONNX_GRAPH_H
#define CPOSE_ONNX_GRAPH_H

#include "onnx/onnx.pb-c.h"
#include "plugins/cpose_plugin.h"

struct onnx_builder {
    const struct cpose_host *h;
    struct cpose_export *x;
    int opset;
    int half;       /* fp16 initializers (weights) + fp16 graph input/output */
    int dynamic;    /* batch/height/width as dim_params; anchors computed in the graph */
    void **arena;   /* every allocation, freed by onnx_builder_free */
    size_t n_arena, cap_arena;
    Onnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    int counter;    /* for generated names */
};

void onnx_builder_init(struct onnx_builder *b, const struct cpose_host *h, struct cpose_export *x, int opset, int half,
                       int dynamic);
void onnx_builder_free(struct onnx_builder *b);
/* Memory owned by the builder's arena. */
void *ob_alloc(struct onnx_builder *b, size_t n);
char *ob_strdup(struct onnx_builder *b, const char *s);
char *ob_printf(struct onnx_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends a node op_type(inputs) → outputs; returns it (add attributes with ob_attr_*). An
 * output name NULL is generated from the node name. */
Onnx__NodeProto *ob_node(struct onnx_builder *b, const char *op_type, const char *name, const char *const *in, int n_in,
                         const char *out);
void ob_attr_int(struct onnx_builder *b, Onnx__NodeProto *n, const char *name, int64_t v);
void ob_attr_ints(struct onnx_builder *b, Onnx__NodeProto *n, const char *name, const int64_t *v, int count);
void ob_attr_float(struct onnx_builder *b, Onnx__NodeProto *n, const char *name, float v);
void ob_attr_str(struct onnx_builder *b, Onnx__NodeProto *n, const char *name, const char *v);
/* Initializers; they return the name of a float32 value (with half, big float tensors are stored
 * as fp16 and cast back to float by a Cast node, so the name returned is the Cast's output). */
const char *ob_init_float(struct onnx_builder *b, const char *name, const int64_t *dims, int ndim, const float *data);
const char *ob_init_int64(struct onnx_builder *b, const char *name, const int64_t *dims, int ndim, const int64_t *data);
/* A unary/binary op on value names, output named after `name`; returns the output name. */
const char *ob_op1(struct onnx_builder *b, const char *op, const char *name, const char *a);
const char *ob_op2(struct onnx_builder *b, const char *op, const char *name, const char *a, const char *c);

/* Translates the whole view; *out_name receives the name of the view's output value ([B,C,A]
 * float32). Returns 0 or a status after host->error. */
int onnx_translate_view(struct onnx_builder *b, const struct cpose_view *v, const char *input_name, const char **out_name);

#endif
