/* exporters/tf/tf_nhwc.h — the NHWC graph shared by the TensorFlow family of exporters (TFLite now;
 * GraphDef, SavedModel and TF.js write the same graph with other encodings).
 *
 * tfg_from_view rewrites the plugin graph view (NCHW, PyTorch semantics) into TF-style ops on
 * physical NHWC tensors:
 *   - every value keeps a logical (NCHW) shape and a physical order (perm: physical dim j holds
 *     logical dim perm[j]); the image input is NHWC [B,H,W,3], convs run NHWC with OHWI filters
 *     (tfg_filter_hwio gives TF's HWIO), and Transposes of the view only change the order, so the
 *     head's Reshape/Transpose chain becomes reshapes of NHWC data with no transposes at all;
 *   - a Reshape is written on the physical data when every group of logical dims it merges or
 *     splits lies contiguous and in order in memory; otherwise the value is transposed first;
 *   - PyTorch padding that TF's "SAME" does not reproduce (3×3 stride-2 convs on even sizes) gets an
 *     explicit PAD and a VALID conv; SPPF's 5×5/1/2 max-pool is exactly SAME;
 *   - the DFL softmax lands on the last physical axis (the layout puts it there; a transpose is
 *     added only when it would not be);
 *   - the Pose head's slices stay slices (no SPLIT: Ultralytics avoids FlexSplitV for these
 *     formats); constants (anchors, strides) are folded and stored in the consumer's order;
 *   - the output is transposed back to Ultralytics' [B, 4 + nc + nk·kd, A].
 * Coordinates: with normalize = 1 (what Ultralytics ≥ 8.3.x writes into TFLite/Edge TPU files, the
 * fix of issue #17203) box rows 0/2 and keypoint x rows are divided by the image width and rows 1/3
 * and keypoint y by the height, so AutoBackend's multiply-back gives pixels; normalize = 0 keeps
 * pixels (SavedModel, GraphDef, TF.js, and TFLite files of Ultralytics 8.0–8.2). */
#ifndef CPOSE_EXPORTERS_TF_NHWC_H
#define CPOSE_EXPORTERS_TF_NHWC_H

#include "plugins/cpose_plugin.h"

#define TFG_MAX_DIMS 8

enum tfg_op_kind {
    TFG_CONV2D,          /* in: x NHWC, filter OHWI, bias [O] */
    TFG_LOGISTIC,
    TFG_MUL, TFG_ADD, TFG_SUB, TFG_DIV,  /* same rank on both sides, broadcasting size-1 dims */
    TFG_CONCAT,          /* p.axis (physical) */
    TFG_SLICE,           /* p.slice: begin, size per physical dim */
    TFG_MAXPOOL,         /* p.pool */
    TFG_RESIZE_NEAREST,  /* p.resize: output h, w (align_corners = half_pixel_centers = false) */
    TFG_RESHAPE,         /* p.reshape: the output's physical shape */
    TFG_TRANSPOSE,       /* p.transpose: out dim j = in dim perm[j] */
    TFG_SOFTMAX,         /* last axis, beta 1 */
    TFG_PAD,             /* p.pad: zeros before/after per dim */
    TFG_OP_COUNT
};

/* A tensor: an activation (data NULL) or a float32 constant (data owned by the graph). */
struct tfg_value {
    char *name;
    int ndim;
    int64_t dims[TFG_MAX_DIMS];  /* physical (NHWC for images) */
    float *data;
};

struct tfg_op {
    int kind;                    /* enum tfg_op_kind */
    int n_in, in[8], out;        /* value ids */
    const char *src;             /* the view node it came from (for messages) */
    union {
        struct { int stride_h, stride_w, same; } conv;            /* same: 1 SAME, 0 VALID */
        struct { int kh, kw, stride_h, stride_w, same; } pool;
        int axis;
        struct { int64_t begin[TFG_MAX_DIMS], size[TFG_MAX_DIMS]; } slice;
        struct { int ndim; int64_t shape[TFG_MAX_DIMS]; } reshape;
        struct { int ndim; int perm[TFG_MAX_DIMS]; } transpose;
        struct { int ndim; int64_t before[TFG_MAX_DIMS], after[TFG_MAX_DIMS]; } pad;
        struct { int64_t h, w; } resize;
    } p;
};

struct tfg_graph {
    const struct cpose_host *h;
    struct cpose_export *x;
    struct tfg_value *values;
    int n_values, cap_values;
    struct tfg_op *ops;
    int n_ops, cap_ops;
    int input, output;           /* value ids: [B,H,W,3] and [B, C, A] */
};

struct tfg_options {
    int normalize;               /* divide coordinates by the image size (see above) */
    int nc, nk, kd;              /* classes, keypoints, values per keypoint: the output's rows */
};

/* Rewrites the view into g (tfg_free it even on failure). Returns 0, or a negative status after
 * h->error naming the view node and op that has no NHWC form here (grouped convs, a max-pool whose
 * padding is not SAME). */
int tfg_from_view(const struct cpose_host *h, struct cpose_export *x, const struct cpose_view *v,
                  const struct tfg_options *o, struct tfg_graph *g);
void tfg_free(struct tfg_graph *g);

/* The number of elements of a value. */
int64_t tfg_numel(const struct tfg_value *v);
/* An OHWI filter [O,kh,kw,I] rewritten as TF's HWIO [kh,kw,I,O] into dst (numel floats). */
void tfg_filter_hwio(const struct tfg_value *ohwi, float *dst);
/* The op's name for messages ("CONV_2D"...). */
const char *tfg_op_name(int kind);

#endif
