/* exporters/tf/tf_graphdef.h — the NHWC graph (tf_nhwc.h) as TensorFlow nodes, and their encodings:
 * a frozen GraphDef (format=pb, SavedModel's graph_def) and, in exporters/tfjs/, the same node list
 * as TF.js proto3-JSON. One node list feeds every encoding, so they cannot drift apart.
 *
 * The node list is what `convert_variables_to_constants_v2` leaves for Ultralytics' .pb:
 *   - Placeholder `x` (float32 NHWC [B,H,W,3]; AutoBackend feeds "x:0") and one sink, Identity
 *     `Identity` ([B, 4 + nc + nk·kd, A]; AutoBackend takes the nodes nobody consumes as outputs);
 *   - every weight a Const holding a TensorProto (dtype, tensor_shape, tensor_content little-endian),
 *     conv filters HWIO, conv biases through BiasAdd; constants with one name and equal content are
 *     one node (the DFL conv's weights, shared by the levels);
 *   - TF ops with their full attribute set (the importer adds no defaults for attributes that have
 *     none): Conv2D, BiasAdd, Sigmoid, Mul, AddV2, Sub, RealDiv, ConcatV2, Slice, MaxPool,
 *     ResizeNearestNeighbor, Reshape, Transpose, Softmax, Pad, Identity (TF op names and attribute
 *     names from tensorflow/core/ops; field numbers from tensorflow/core/framework/ protos, FORMATS.md §8);
 *   - only what the output depends on (nodes the output does not reach are left out: no dangling
 *     node becomes an extra output).
 * Node names are the view's ("model.0.conv" for a conv's BiasAdd, "model.0.conv/Conv2D",
 * "model.0.conv.weight"), with characters TF refuses in names replaced by '_'. */
#ifndef CPOSE_EXPORTERS_TF_GRAPHDEF_H
#define CPOSE_EXPORTERS_TF_GRAPHDEF_H

#include <stddef.h>
#include <stdint.h>

#include "exporters/tf/tf_nhwc.h"

/* tensorflow.DataType values */
enum tfgd_dtype { TFGD_DT_FLOAT = 1, TFGD_DT_INT32 = 3, TFGD_DT_HALF = 19 };

/* The GraphDef producer version written in versions{producer} (a TF 2.x value; readers only check
 * it against their min_producer). */
#define TFGD_PRODUCER 1395

enum tfgd_attr_kind {
    TFGD_ATTR_TYPE,    /* i: a DataType */
    TFGD_ATTR_STR,     /* s: bytes ("SAME", "NHWC") */
    TFGD_ATTR_INT,     /* i */
    TFGD_ATTR_BOOL,    /* i: 0/1 */
    TFGD_ATTR_INTS,    /* list{i}: n values in ints (n may be 0) */
    TFGD_ATTR_SHAPE,   /* shape{dim{size}}: n dims in ints */
    TFGD_ATTR_TENSOR,  /* tensor: the node's constant (Const's "value") */
};

#define TFGD_MAX_ATTRS 8
#define TFGD_MAX_INPUTS 10

struct tfgd_attr {
    const char *key;           /* static text */
    int kind;                  /* enum tfgd_attr_kind */
    int64_t i;
    const char *s;             /* static text */
    int n;
    int64_t ints[TFG_MAX_DIMS];
};

struct tfgd_node {
    char *name;                /* owned */
    const char *op;            /* static: "Conv2D" */
    int n_in;
    int in[TFGD_MAX_INPUTS];   /* node ids (output 0 of each) */
    int n_attr;
    struct tfgd_attr attr[TFGD_MAX_ATTRS];  /* sorted by key */
    /* Const only: the tensor (dtype FLOAT or INT32), data little-endian, nbytes long */
    int dtype, ndim;
    int64_t dims[TFG_MAX_DIMS];
    const void *data;          /* borrowed from the tfg graph, or `owned` */
    void *owned;
    size_t nbytes;
};

struct tfgd_graph {
    const struct cpose_host *h;
    struct cpose_export *x;
    struct tfgd_node *nodes;   /* in topological order (inputs before their consumers) */
    int n_nodes, cap_nodes;
    int input, output;         /* node ids: Placeholder "x", Identity "Identity" */
    int out_ndim;              /* the output's shape ([B, C, A]) */
    int64_t out_dims[TFG_MAX_DIMS];
};

/* Builds the TF node list of g (which must outlive out: float constants are borrowed). Returns 0, or
 * a negative status after g->h->error naming the op that has no TF mapping or a name clash.
 * tfgd_free(out) in both cases. */
int tfgd_build(const struct tfg_graph *g, struct tfgd_graph *out);
void tfgd_free(struct tfgd_graph *gd);

/* The export's view rewritten to NHWC with coordinates in pixels (the variant Ultralytics' .pb,
 * SavedModel and TF.js files hold), then tfgd_build. Free g and gd in both cases. */
int tfgd_from_export(const struct cpose_host *h, struct cpose_export *x, struct tfg_graph *g, struct tfgd_graph *gd);

/* The attribute `key` of node n, or NULL. */
const struct tfgd_attr *tfgd_attr_of(const struct tfgd_node *n, const char *key);

/* The DataType's name as proto3-JSON writes it ("DT_FLOAT"). */
const char *tfgd_dtype_name(int dtype);

/* Encodes the list as a tensorflow.GraphDef (node=1 in list order, versions=4{producer}; Const
 * tensors carry tensor_content). Returns the bytes (gd->h->alloc'ed, *n their count) or NULL after
 * gd->h->error. */
uint8_t *tfgd_encode_graphdef(const struct tfgd_graph *gd, size_t *n);

/* Encodes a TF1-style tensorflow.SavedModel around the GraphDef bytes: schema version 1, one
 * MetaGraphDef tagged "serve" with signature "serving_default" (input key `in_key` → "x:0", output
 * key `out_key` → "Identity:0", both float32 with their shapes, method "tensorflow/serving/predict").
 * No object graph (SavedObjectGraph): TF1 loaders and `signatures[...]` can use it, TF2's
 * tf.saved_model.load(...)(x) cannot. Returns the bytes (h->alloc'ed) or NULL after the error. */
uint8_t *tfgd_encode_saved_model(const struct tfgd_graph *gd, const uint8_t *graphdef, size_t graphdef_len,
                                 const char *in_key, const char *out_key, size_t *n);

#endif
