/* core/nn/graph.h — the graph IR: op descriptors (one per file in core/ops/, listed in ops.def), op
 * parameter structs, nodes and graphs.
 *
 * A graph is a list of nodes in topological order; node 0 is the input (op `input`). Each node
 * names its op, its input node ids, an op-specific params struct (owned by the node) and a name
 * (the Ultralytics module path, e.g. "model.2.cv1.conv"). Parameters (weights) are borrowed from
 * the model's parameter table, or owned by the node after fusion.
 *
 * Example (what the builder emits for one Ultralytics Conv, then runs):
 *
 *     struct cpose_graph *g = cpose_graph_new();
 *     int x = cpose_graph_add(g, CPOSE_OP_input, NULL, 0, NULL, "input");
 *     x = cpose_graph_add(g, CPOSE_OP_conv2d, &x, 1, conv_params, "model.0.conv");
 *     x = cpose_graph_add(g, CPOSE_OP_batchnorm, &x, 1, bn_params, "model.0.bn");
 *     g->output = cpose_graph_add(g, CPOSE_OP_silu, &x, 1, NULL, "model.0.act");
 *     cpose_graph_fuse(g, &fused, NULL);            // input → conv2d(BN folded, SiLU epilogue)
 *     cpose_exec_new(fused, NULL, &e);              // core/nn/exec.h
 *     cpose_exec_run(e, image_nchw, 1, 3, 640, 640, 0);
 *
 * Adding an op: core/ops/<name>.c defining cpose_op_<name> (shape, forward, backward slot), one
 * line in core/nn/ops/ops.def, a params struct here if it has parameters, a case in tests/test_ops.c.
 * Ops must accept the layouts the executor feeds them (core/nn/tensor.h): plain, NHWC and blocked. */
#ifndef CPOSE_GRAPH_H
#define CPOSE_GRAPH_H

#include "core/base/alloc.h"
#include "core/nn/tensor.h"

enum cpose_op_id {
#define CPOSE_OP(name) CPOSE_OP_##name,
#include "core/nn/ops/ops.def"
#undef CPOSE_OP
    CPOSE_OP_COUNT
};

/* Per-run state the ops see. */
struct cpose_op_ctx {
    int train;  /* 1: batchnorm uses batch statistics and updates running ones */
    /* backward only: bit k set → grad_in[k] already holds other consumers' contributions and the
     * op adds to it; clear → the op overwrites grad_in[k] (padding channels included: zero). */
    unsigned grad_accum;
    int param_accum;  /* backward only: 1 → parameter gradients (grad_w, grad_b) are added to, 0 → overwritten */
};

/* An op: shape inference, forward, backward.
 * shape: fills out->ndim/dims/layout from the inputs (data untouched); errors print both shapes.
 * forward: computes out (already allocated to the inferred shape) from in[0..n_in-1]. params is
 * the node's params struct (mutable: kernels cache primitives, batchnorm updates statistics).
 * backward: given the forward's inputs and output (only those bwd_needs names are guaranteed to
 * hold data) and grad_out (the loss gradient w.r.t. out, same shape and layout), writes or adds
 * (ctx->grad_accum) the gradient w.r.t. each input into grad_in[k] (NULL: not wanted; same shape
 * and layout as in[k]), and the parameter gradients into the params' grad_w/grad_b (when set).
 * A train-mode backward follows a train-mode forward of the same node (batchnorm saves its batch
 * statistics there). bwd_needs: bit k (k < 8) = in[k]'s data, CPOSE_BWD_OUT = out's data. */
struct cpose_op_def {
    const char *name;
    int n_inputs;  /* -1 = variadic (≥ 1) */
    int (*shape)(const struct cpose_tensor *const *in, int n_in, const void *params, struct cpose_tensor *out);
    int (*forward)(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                   struct cpose_tensor *out, void *params);
    int (*backward)(struct cpose_op_ctx *ctx, const struct cpose_tensor *const *in, int n_in,
                    const struct cpose_tensor *out, const struct cpose_tensor *grad_out,
                    struct cpose_tensor *const *grad_in, void *params);
    unsigned bwd_needs;                 /* what backward reads besides grad_out (bits, see above) */
    size_t params_size;                 /* sizeof the params struct (0: none), for copies */
    void (*free_params)(void *params);  /* releases what params owns besides itself (or NULL) */
};

#define CPOSE_BWD_IN(k) (1u << (k))
#define CPOSE_BWD_ALL_IN 0xffu
#define CPOSE_BWD_OUT 0x100u

#define CPOSE_OP(name) CPOSE_API extern const struct cpose_op_def cpose_op_##name;
#include "core/nn/ops/ops.def"
#undef CPOSE_OP

/* The registry, indexed by enum cpose_op_id. */
CPOSE_API const struct cpose_op_def *cpose_op_get(int id);

enum cpose_act { CPOSE_ACT_NONE = 0, CPOSE_ACT_SILU = 1 };

#define CPOSE_GATHER_MAX 16  /* the most concat inputs a conv gathers (cpose_conv2d_params.gather) */
/* One part of a gathered conv source: channels [c0, c0 + len) of t. from: NULL, or the int8 conv
 * that writes t (all of it, t's only reader being the gathered concat) already in the gathering
 * conv's source type and scale (from->lowp_to is the gathering conv), so the part is copied from
 * from's hand-off buffer instead of converted from t. up: 0 or 1, or the scale of a nearest
 * upsample the conv reads through (t is the upsample's input, 1/up of the source's height and
 * width: source pixel (h, w) is t's (h/up, w/up); cpose's int8 NHWC conversion only). */
struct cpose_gather_part {
    const struct cpose_tensor *t;
    int c0, len;
    const struct cpose_conv2d_params *from;
    int up;
};

struct cpose_conv_kernel;  /* core/nn/kernels.h */
struct cpose_conv_bwd;     /* core/nn/kernels.h */

/* conv2d: in [N,Cin,H,W] → [N,Cout,Ho,Wo], square kernel k, stride, symmetric pad, groups 1.
 * weight [Cout,Cin,k,k] (OIHW), bias [Cout] or NULL; act is an epilogue (fused SiLU). With a
 * second input (inference fusion of a Bottleneck shortcut), y = act(conv(in0) + bias) + in1, in1
 * of the output's shape. */
struct cpose_conv2d_params {
    int cin, cout, k, stride, pad, act;
    int out_layout;              /* layout of the output (0: the input's); set by the runtime */
    const float *weight, *bias;  /* borrowed (or own_* after fusion) */
    float *own_w, *own_b;        /* owned copies (fused weights) or NULL */
    uint64_t weights_version;    /* bump when weight data changes so kernels re-pack it */
    struct cpose_conv_kernel *kern;  /* cached primitive, owned */
    float *grad_w, *grad_b;          /* backward: weight/bias gradients (borrowed; NULL: not wanted) */
    struct cpose_conv_bwd *bwd;      /* cached backward primitives, owned */
    /* inference precision (enum cpose_prec, core/nn/kernels.h; 0 = float32); int8 quantises the
     * input with the calibrated range [in_lo, in_hi] of its values (set by cpose_model_set_precision) */
    int prec;
    float in_lo, in_hi;
    /* which kernel runs a bf16 conv (enum cpose_bf16_own, core/nn/kernels.h: oneDNN's, or cpose's own
     * Winograd or implicit GEMM where they apply), set by cpose_model_apply_precision; cpose's own read
     * and write float32, so the executor gives such a conv no hand-off or gather */
    int bf16_own;
    /* low-precision hand-off, set by the executor for each inference run (core/nn/exec.c), NULL
     * otherwise: lowp_to is a reader of this conv's output, whose readers are all convs of the same
     * precision and input scale reading it as their source (or, for int8, the conv that gathers the
     * concat that is its only reader: cpose_gather_part.from), so this conv writes its output once, in
     * lowp_to's source type (bf16, or s8/u8 at lowp_to's input scale), into a buffer its kernel owns,
     * and leaves the float32 output unwritten; lowp_from is the conv whose buffer this one reads
     * instead of converting a float32 input. */
    struct cpose_conv2d_params *lowp_to, *lowp_from;
    /* gathered source, set by the executor for each inference run (n_gather 0 otherwise): the input
     * is a concat or a channel slice that only this low-precision conv reads, so the executor skips
     * that node and this conv converts its parts (a concat's inputs in order; a slice's channels of
     * its input) straight into their channel ranges of the bf16/int8 source buffer; the values are
     * those of converting the skipped node's output. */
    int n_gather;
    struct cpose_gather_part gather[CPOSE_GATHER_MAX];
};
/* batchnorm: per-channel over N,H,W. Eval: (x − mean)/sqrt(var + eps)·weight + bias. Train: batch
 * statistics (biased variance to normalise, unbiased to update running_var with momentum). */
struct cpose_batchnorm_params {
    int c;
    float eps, momentum;
    float *weight, *bias, *mean, *var, *nbt;  /* borrowed; nbt = num_batches_tracked (may be NULL) */
    float *grad_w, *grad_b;                   /* backward: weight/bias gradients (borrowed; NULL: not wanted) */
    float *saved;  /* owned: the last train forward's batch mean [c] then 1/sqrt(var + eps) [c] */
};
/* slice: channels [start, start+len) of a 4-D tensor. */
struct cpose_slice_params { int start, len; };
/* maxpool2d: k×k window, stride, pad (padding never wins: -inf). */
struct cpose_maxpool2d_params { int k, stride, pad; };
/* upsample: nearest, integer scale on H and W. */
struct cpose_upsample_params { int scale; };
/* reshape: plain (row-major) tensors only; dims with one -1 allowed. */
struct cpose_reshape_params { int ndim; int64_t dims[CPOSE_MAX_DIMS]; };
/* transpose: plain tensors; out dim i = in dim perm[i]. */
struct cpose_transpose_params { int ndim; int perm[CPOSE_MAX_DIMS]; };
/* softmax: plain tensors, along axis. */
struct cpose_softmax_params { int axis; };
/* pose_head: inputs are nl level tensors [N, 4·reg_max + nc, H, W] then nl keypoint tensors
 * [N, nk·kdim, H, W]; output plain [N, 4 + nc + nk·kdim, A] (A = Σ H·W, levels in order, anchors
 * row-major): DFL-decoded xywh boxes in pixels, sigmoid scores, decoded keypoints (REFERENCE.md). */
struct cpose_pose_head_params {
    int nl, nc, nk, kdim, reg_max;
    int strides[4];
    int portable;  /* 1: never the AVX2 path (tests compare both); 0: AVX2 when the CPU has it */
};

/* fake_quantize: y = (clamp(round(x/scale) + zero, qmin, qmax) − zero)·scale, per tensor. */
struct cpose_fake_quantize_params { float scale, zero, qmin, qmax; };

/* A node of the graph. */
struct cpose_node {
    int op;          /* enum cpose_op_id */
    int n_in;
    int in[8];       /* input node ids (< this node's id) */
    void *params;    /* owned; op-specific struct above (or NULL) */
    char *name;      /* owned */
};

struct cpose_graph {
    struct cpose_vec nodes;  /* struct cpose_node */
    int output;              /* id of the output node */
};

CPOSE_API struct cpose_graph *cpose_graph_new(void);
/* Frees the graph, its nodes, their params (and cached kernels). NULL-safe. */
CPOSE_API void cpose_graph_free(struct cpose_graph *g);
/* Appends a node; takes ownership of params (cpose_malloc'ed) and copies name. Returns its id. */
CPOSE_API int cpose_graph_add(struct cpose_graph *g, int op, const int *in, int n_in, void *take_params,
                              const char *name);
static inline struct cpose_node *cpose_graph_node(const struct cpose_graph *g, int id)
{
    return &CPOSE_VEC_AT(&g->nodes, struct cpose_node, id);
}
static inline int cpose_graph_size(const struct cpose_graph *g) { return (int)g->nodes.len; }

/* Folds every batchnorm that is the only consumer of a conv2d into that conv, a silu that is
 * the only consumer of such a conv (or of its folded batchnorm) into the conv epilogue, and an add
 * that is the only consumer of such a conv into it as a second input (the residual). Returns a
 * new graph (caller frees) whose fused convs own their weights; other params are copied (their
 * borrowed weight pointers still point into the model's parameter table). map_out (optional, size g's node count) receives
 * each old node's id in the new graph. */
CPOSE_API int cpose_graph_fuse(const struct cpose_graph *g, struct cpose_graph **out, int *map_out);

/* The fused graph's structure only (shapes, FLOPs): the convs keep the unfolded weights. */
CPOSE_API int cpose_graph_fuse_structure(const struct cpose_graph *g, struct cpose_graph **out, int *map_out);

/* Helpers shared by op files. */
int cpose_op_same_shape(const char *op, const struct cpose_tensor *a, const struct cpose_tensor *b);

#endif
