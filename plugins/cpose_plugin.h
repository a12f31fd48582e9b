/* plugins/cpose_plugin.h — the C ABI between cpose (the host) and its exporter plugins.
 *
 * This is the only header a plugin includes. A plugin is a shared object that exports one symbol,
 * CPOSE_PLUGIN_ENTRY_NAME ("cpose_plugin_entry"), a function returning a static description of the
 * plugin: its ABI version, the struct's size, the format name (`format=` on the command line), the
 * Ultralytics output suffix, the arguments it takes, and its export function. The host calls the
 * export function with an append-only table of host functions (struct cpose_host) and an opaque
 * export context; everything the plugin needs — memory, messages, atomic file writes, the model's
 * graph and metadata — comes through that table. A plugin never links against cpose itself.
 *
 * Minimal plugin (plugins/template/dump_plugin.c is a complete one):
 *
 *     #include <cpose_plugin.h>
 *     static const struct cpose_plugin_arg args[] = {
 *         {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size (h,w)"}, {NULL, 0, NULL, NULL}};
 *     static int export_fn(const struct cpose_host *h, struct cpose_export *x, const char *path) {
 *         const struct cpose_view *v = h->view(x);
 *         ... translate v->nodes ..., then h->write_file(x, path, bytes, n);
 *     }
 *     static const struct cpose_plugin me = {CPOSE_PLUGIN_ABI_MAJOR, CPOSE_PLUGIN_ABI_MINOR,
 *         sizeof(struct cpose_plugin), "myfmt", ".myfmt", 0, args, "what it writes", export_fn};
 *     CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &me; }
 *
 * Versioning (the sqlite rule): the major version changes only when something here changes
 * incompatibly; new host functions, new fields and new ops are appended at the end, raising the
 * minor version. The host refuses a plugin of another major version, or whose struct_size is
 * smaller than the host needs, naming both numbers. A plugin checks host->struct_size (or
 * CPOSE_HOST_HAS) before calling a function appended after the version it was built against.
 *
 * Units and layout: tensors are float32, row-major, NCHW for images; conv weights OIHW. */
#ifndef CPOSE_PLUGIN_H
#define CPOSE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPOSE_PLUGIN_ABI_MAJOR 1
#define CPOSE_PLUGIN_ABI_MINOR 2  /* 1: host->model_text; 2: host->calibrate (activation ranges for int8 formats) */
#define CPOSE_PLUGIN_ENTRY_NAME "cpose_plugin_entry"
#define CPOSE_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Status codes (the same values as cpose's own): 0 = success, negative = failure. */
enum cpose_plugin_status {
    CPOSE_PLUGIN_OK = 0,
    CPOSE_PLUGIN_EINVAL = -1,  /* bad argument or input */
    CPOSE_PLUGIN_EIO = -2,     /* a file operation failed */
    CPOSE_PLUGIN_ESHAPE = -3,  /* shapes do not agree */
    CPOSE_PLUGIN_ENOMEM = -4,
    CPOSE_PLUGIN_EABI = -5,
    CPOSE_PLUGIN_ENOTSUP = -6, /* the graph uses something this format cannot express */
};

/* ---- what a plugin declares ------------------------------------------------------------------- */

enum cpose_plugin_arg_type {
    CPOSE_PLUGIN_ARG_BOOL,   /* True/False */
    CPOSE_PLUGIN_ARG_INT,
    CPOSE_PLUGIN_ARG_FLOAT,
    CPOSE_PLUGIN_ARG_STR,
    CPOSE_PLUGIN_ARG_LIST,   /* integers: "640", "384,640", "[384, 640]" */
};

/* One argument the format takes, named as Ultralytics names it (imgsz, half, int8, dynamic,
 * simplify, opset, nms, batch, workspace, ...). def is its default as text ("" = None). The host
 * refuses any argument of `cpose export` that is not listed (model, format and the run-folder
 * arguments project, name, exist_ok are always accepted). */
struct cpose_plugin_arg {
    const char *name;
    int type;          /* enum cpose_plugin_arg_type */
    const char *def;
    const char *help;
};

struct cpose_host;
struct cpose_export;  /* opaque: one export in progress */

/* The description a plugin's entry symbol returns (static storage, never freed). */
struct cpose_plugin {
    uint32_t abi_major;    /* CPOSE_PLUGIN_ABI_MAJOR */
    uint32_t abi_minor;    /* CPOSE_PLUGIN_ABI_MINOR */
    uint32_t struct_size;  /* sizeof(struct cpose_plugin) as the plugin was built */
    const char *format;    /* the `format=` name: "onnx" */
    const char *suffix;    /* Ultralytics' output suffix: ".onnx", "_openvino_model" */
    int is_dir;            /* 1: the output is a folder (suffix without an extension) */
    const struct cpose_plugin_arg *args;  /* terminated by an entry whose name is NULL */
    const char *description;              /* one line for `cpose export format=?` */
    /* Writes the export to out_path (the host chose it from the weights' name and suffix).
     * Returns 0, or a negative status after host->error(). Must leave nothing at out_path on
     * failure: write through host->write_file / host->file_* (atomic), or into host->tmp_dir. */
    int (*export_model)(const struct cpose_host *host, struct cpose_export *x, const char *out_path);
};

/* The entry symbol every plugin exports (name CPOSE_PLUGIN_ENTRY_NAME). */
typedef const struct cpose_plugin *(*cpose_plugin_entry_fn)(void);

/* ---- the graph view --------------------------------------------------------------------------- */

/* Ops of the view. The view is the inference graph with BatchNorm folded into the convs, SiLU and
 * the Bottleneck residual as their own nodes, and the Pose head decode expanded into these
 * primitives (per level: Slice, Reshape, Transpose, Softmax, the DFL 1×1 Conv, Anchors, Sub, Add,
 * Mul, Sigmoid, Concat; then a Concat of the levels). New ops are appended only. */
enum cpose_view_op {
    CPOSE_VIEW_INPUT = 0,   /* the image input [B,3,H,W] ("images") */
    CPOSE_VIEW_CONST,       /* a float32 constant: data, dims */
    CPOSE_VIEW_CONV,        /* 2-D convolution with bias, params.conv */
    CPOSE_VIEW_SILU,        /* x·sigmoid(x) */
    CPOSE_VIEW_SIGMOID,
    CPOSE_VIEW_ADD,         /* binary, numpy broadcasting (constants are [1] or broadcastable) */
    CPOSE_VIEW_SUB,
    CPOSE_VIEW_MUL,
    CPOSE_VIEW_DIV,
    CPOSE_VIEW_CONCAT,      /* params.axis */
    CPOSE_VIEW_SLICE,       /* params.slice: [start, end) along axis */
    CPOSE_VIEW_MAXPOOL,     /* params.pool */
    CPOSE_VIEW_UPSAMPLE,    /* nearest, params.upsample (integer scales) */
    CPOSE_VIEW_RESHAPE,     /* params.reshape: target dims, 0 = copy the input's dim, -1 = infer */
    CPOSE_VIEW_TRANSPOSE,   /* params.transpose: out dim i = in dim perm[i] */
    CPOSE_VIEW_SOFTMAX,     /* along params.axis */
    CPOSE_VIEW_ANCHORS,     /* [1,2,H·W] cell centres (x + 0.5, y + 0.5), x fastest, of input 0's
                             * H and W (dims 2, 3); data holds the values at the view's size, so a
                             * static format may write it as a constant, a dynamic one computes it */
    CPOSE_VIEW_OP_COUNT
};

#define CPOSE_VIEW_MAX_DIMS 8

struct cpose_view_conv {
    int cin, cout, kh, kw;
    int stride_h, stride_w;
    int pad_top, pad_left, pad_bottom, pad_right;
    int dilation_h, dilation_w, groups;
    const float *weight;       /* [cout, cin/groups, kh, kw] OIHW, BN folded */
    const float *bias;         /* [cout], BN folded (never NULL) */
    const char *weight_name;   /* "model.0.conv.weight" (state_dict style) */
    const char *bias_name;     /* "model.0.conv.bias" */
};
struct cpose_view_pool { int kh, kw, stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right; };
struct cpose_view_slice { int axis; int64_t start, end; };
struct cpose_view_shape { int ndim; int64_t dims[CPOSE_VIEW_MAX_DIMS]; };
struct cpose_view_perm { int ndim; int perm[CPOSE_VIEW_MAX_DIMS]; };

/* A node: one op, up to 8 inputs (ids of earlier nodes), one output value. Node i's output is
 * value i; dims are its shape at the view's batch and image size. */
struct cpose_view_node {
    int op;                     /* enum cpose_view_op */
    const char *name;           /* unique: "model.0.conv", "model.22.decode.l0.softmax" */
    int n_in;
    int in[8];
    int ndim;
    int64_t dims[CPOSE_VIEW_MAX_DIMS];
    const float *data;          /* CONST and ANCHORS: numel(dims) floats; NULL otherwise */
    union {
        struct cpose_view_conv conv;
        struct cpose_view_pool pool;
        struct cpose_view_slice slice;
        struct cpose_view_shape reshape;
        struct cpose_view_perm transpose;
        int axis;               /* CONCAT, SOFTMAX */
        struct { int scale_h, scale_w; } upsample;
    } p;
};

/* The whole view: nodes in topological order, the input node and the output node ([B, 4 + nc +
 * nkpt·kdim, A]). Read nodes with CPOSE_VIEW_NODE: node_size may grow in later minor versions.
 * The graph is valid for any batch and any H, W that are multiples of the max stride: reshape
 * targets use 0/-1 and ANCHORS follows its input's shape. */
struct cpose_view {
    int n_nodes;
    size_t node_size;           /* sizeof(struct cpose_view_node) on the host */
    const struct cpose_view_node *nodes;
    int input, output;
    int64_t batch, height, width;  /* the size the dims were computed at */
};
#define CPOSE_VIEW_NODE(v, i) \
    ((const struct cpose_view_node *)((const char *)(v)->nodes + (size_t)(i) * (v)->node_size))

/* The range of one view value over the calibration images (host->calibrate, minor 2). */
struct cpose_value_range {
    float min, max;
};

/* A parameter of the unfused model, by its state_dict name (for formats that keep BatchNorm). */
struct cpose_plugin_tensor {
    const char *name;           /* "model.0.bn.running_mean" */
    int ndim;
    int64_t dims[CPOSE_VIEW_MAX_DIMS];
    const float *data;          /* numel(dims) floats (num_batches_tracked: one float) */
};

/* The metadata Ultralytics stores with an export (FORMATS.md §0). */
struct cpose_plugin_meta {
    const char *description;    /* "Ultralytics YOLOv8n-pose model trained on ..." */
    const char *author, *license, *docs;
    const char *date;           /* ISO 8601 */
    const char *version;        /* the cpose version */
    const char *task;           /* "pose" */
    int stride;                 /* max stride (32) */
    int batch;
    int imgsz[2];               /* h, w */
    int n_names;
    const char *const *names;   /* class names by id */
    int kpt_shape[2];           /* 17, 3 */
    const int *flip_idx;        /* kpt_shape[0] entries */
    int n_levels;
    const int *strides;         /* per level: 8, 16, 32 */
    const char *model_name;     /* "YOLOv8n-pose" */
};

/* Styles of host->meta_text. */
enum cpose_meta_style {
    CPOSE_META_PYTHON = 0,      /* str(v) as Ultralytics writes ONNX/CoreML metadata: strings as they are
                                 * ("pose"), other values as Python literals ("{0: 'person'}", "[640, 640]") */
    CPOSE_META_JSON = 1,        /* JSON: {"0": "person"} */
    CPOSE_META_YAML = 2,        /* a YAML flow value */
};

/* ---- what the host gives ---------------------------------------------------------------------- */

enum cpose_plugin_log_level { CPOSE_PLUGIN_LOG_DEBUG = 0, CPOSE_PLUGIN_LOG_INFO = 1, CPOSE_PLUGIN_LOG_WARN = 2 };

struct cpose_host_file;  /* opaque: a file being written to a temporary name */

struct cpose_host {
    uint32_t abi_major, abi_minor;
    uint32_t struct_size;      /* sizeof(struct cpose_host) on the host */

    /* memory (aborts through cpose's out-of-memory handler; free is NULL-safe) */
    void *(*alloc)(size_t n);
    void *(*calloc)(size_t n, size_t size);
    void *(*realloc)(void *p, size_t n);
    void (*free)(void *p);

    /* messages: log prints "<format>: ..." at a level; progress reports a fraction in [0, 1] of
     * the export with a short label; error records the failure message (read by the host when the
     * export function returns) and returns status, so `return h->error(x, CPOSE_PLUGIN_EINVAL,
     * "...")` reads naturally */
    void (*log)(struct cpose_export *x, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
    void (*progress)(struct cpose_export *x, double fraction, const char *what);
    int (*error)(struct cpose_export *x, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

    /* files: write_file writes n bytes to path atomically (temporary name, fsync, rename);
     * file_open starts a streamed atomic write, file_write appends (returns 0 or a status with
     * the error recorded), file_commit renames it into place, file_abort removes it. Both close
     * the handle. make_dir creates a folder (and parents). tmp_dir is a scratch folder removed
     * after the export. */
    int (*write_file)(struct cpose_export *x, const char *path, const void *data, size_t n);
    struct cpose_host_file *(*file_open)(struct cpose_export *x, const char *path);
    int (*file_write)(struct cpose_host_file *f, const void *data, size_t n);
    int (*file_commit)(struct cpose_host_file *f);
    void (*file_abort)(struct cpose_host_file *f);
    int (*make_dir)(struct cpose_export *x, const char *path);
    const char *(*tmp_dir)(struct cpose_export *x);

    /* arguments: the effective value of one of the plugin's declared arguments (the given value or
     * the declared default), as text (never NULL; "" = None) or converted */
    const char *(*arg)(struct cpose_export *x, const char *name);
    int64_t (*arg_int)(struct cpose_export *x, const char *name, int64_t if_none);
    double (*arg_float)(struct cpose_export *x, const char *name, double if_none);
    int (*arg_bool)(struct cpose_export *x, const char *name);
    int (*arg_given)(struct cpose_export *x, const char *name);

    /* the model: the graph view at the export's batch and imgsz (borrowed, valid during the
     * export), the unfused parameters in state_dict order, and the metadata */
    const struct cpose_view *(*view)(struct cpose_export *x);
    int (*num_params)(struct cpose_export *x);
    int (*param)(struct cpose_export *x, int i, struct cpose_plugin_tensor *out);
    int (*param_by_name)(struct cpose_export *x, const char *name, struct cpose_plugin_tensor *out);
    const struct cpose_plugin_meta *(*meta)(struct cpose_export *x);
    /* One metadata value ("names", "imgsz", "kpt_shape", "stride", "task", "batch", "date",
     * "version", "description", "author", "license", "docs", "flip_idx", "args" — args holds the
     * plugin's declared arguments with their effective values) formatted in a style; the string is
     * host->alloc'ed (caller frees with host->free); NULL with the error recorded for an unknown key.
     * meta_keys lists the keys in Ultralytics' order, NULL-terminated. */
    char *(*meta_text)(struct cpose_export *x, const char *key, int style);
    const char *const *(*meta_keys)(struct cpose_export *x);

    /* ABI 1.1: a text the model carries, borrowed (valid during the export), or NULL when it has none
     * or the key is unknown: "yaml" (the model YAML it was built from), "yaml_file" (that YAML's name
     * or path), "train_args" (the training arguments as YAML text, Ultralytics' train_args; present
     * when the weights come from `cpose train` or a checkpoint carrying them) */
    const char *(*model_text)(struct cpose_export *x, const char *key);

    /* ABI 1.2: calibration for int8 formats: runs the view forward in float32 over the calibration images
     * and returns, for every view node i, the min and max of value i over all of them (plain
     * min/max, no percentile). Borrowed, v->n_nodes entries, valid during the export; computed once.
     * The images follow Ultralytics: the val images of the dataset YAML given as `data=` (else the
     * `data` of the model's train_args), the first round(fraction·n) of them (the `fraction=`
     * argument, default 1), letterboxed to the export's H×W as validation does. The plugin must
     * declare the arguments "data" and "fraction". *n_images (may be NULL) gets the image count.
     * NULL with the error recorded when there is no data ("int8=True needs data=...") or an image
     * or the YAML cannot be read. */
    const struct cpose_value_range *(*calibrate)(struct cpose_export *x, int *n_images);

    /* append new functions here only */
};

/* Is host function `member` present (the host is at least as new as the field)? */
#define CPOSE_HOST_HAS(host, member) \
    ((host)->struct_size >= offsetof(struct cpose_host, member) + sizeof((host)->member))

#ifdef __cplusplus
}
#endif

#endif
