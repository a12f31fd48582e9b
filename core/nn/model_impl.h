/* core/nn/model_impl.h — internals shared by the model files (builder, weights, runtime): the model
 * struct and the parameter table. Not a public header. */
#ifndef CPOSE_MODEL_IMPL_H
#define CPOSE_MODEL_IMPL_H

#include "core/nn/exec.h"
#include "core/nn/graph.h"
#include "core/nn/model.h"

enum cpose_param_kind {
    CPOSE_PARAM_WEIGHT,   /* trainable conv/BN weight */
    CPOSE_PARAM_BIAS,     /* trainable bias */
    CPOSE_PARAM_FROZEN,   /* a parameter without gradient (DFL conv) */
    CPOSE_PARAM_BUFFER,   /* BN running statistics */
    CPOSE_PARAM_COUNTER,  /* num_batches_tracked (int64 in PyTorch; one float here) */
};

struct cpose_param {
    char *name;  /* state_dict key */
    int ndim;
    int64_t dims[4];
    int64_t numel;
    float *data;  /* owned */
    int kind;
};

struct cpose_model {
    struct cpose_model_info info;
    struct cpose_vec params;  /* struct cpose_param, in state_dict order */
    struct cpose_graph *graph;  /* unfused (train/eval) */
    struct cpose_graph *fused;  /* built on first predict; NULL after weights change */
    struct cpose_exec *exec, *exec_fused;
    int *fuse_map;              /* unfused id → fused id */
    int level_node[4], kpt_node[4], head_node;  /* unfused ids */
    int last_fused;             /* which graph ran last */
    int64_t n_modules, n_conv_modules;  /* for the layer count */
    char *yaml_text;            /* the model YAML (owned) */
    char *yaml_file;            /* resolved YAML path or name (owned) */
    char name[64];              /* "YOLOv8n-pose" */
    int64_t last_B, last_H, last_W;
    int from_weights;           /* loaded from a weights file (summary: 0 gradients, as a stripped .pt) */
    char *train_args_yaml;      /* the training arguments (YAML text) the weights came from, or NULL (owned) */
    int prec;                   /* enum cpose_prec of the fused forward's convs (core/nn/model_prec.c) */
    struct cpose_prec_range *ranges;  /* int8: calibrated input range per conv name (owned) */
    int n_ranges;
};

/* One conv's calibrated input range (int8). */
struct cpose_prec_range { char *name; float lo, hi; };
/* Sets p->prec / in_lo / in_hi of every eligible conv of the fused graph from m->prec and m->ranges
 * (core/nn/model_prec.c); called when the fused graph is built. */
void cpose_model_apply_precision(struct cpose_model *m);
void cpose_model_free_ranges(struct cpose_model *m);
/* The activation layout of m's forward: in float32 cpose_kernel_inference_layout (the kernels' layout,
 * or nChw8c for Winograd where AVX-512 multiplies no faster than AVX2); in bf16 the kernels' layout
 * (oneDNN 2.6 runs blocked bf16 on its jit_bf16 kernels); NHWC in int8, where it has its int8 kernels
 * (blocked int8 falls back to a reference kernel). A model with convs of 4–15 input channels runs
 * nChw8c (float32) or NHWC (bf16) instead of nChw16c (cpose_kernel_layout_for_graph). Env
 * CPOSE_LAYOUT overrides each. */
int cpose_model_activation_layout(const struct cpose_model *m);
/* The layout g's executor takes the image in: plain NCHW, read in place, where activations are
 * blocked (the first conv reads NCHW) or where they are NHWC and every reader of the image is a
 * low-precision conv (its conversion to bf16/int8 writes NHWC in the same pass); NHWC otherwise,
 * converted by the executor before the first op. */
int cpose_model_input_layout(const struct cpose_model *m, const struct cpose_graph *g);

/* Builds m->graph, m->params, m->info from YAML text. yaml_name picks the scale (file name with a
 * letter, e.g. yolov8s-pose.yaml); force_scale (0 = none) overrides it. */
int cpose_model_build(struct cpose_model *m, const char *yaml_text, const char *yaml_name, char force_scale);
/* Fresh weights as Ultralytics initialises them, from a seeded generator. */
void cpose_model_init_weights(struct cpose_model *m, uint64_t seed);
/* Resolves a model YAML name ("yolov8n-pose.yaml", a path) to a file; returns NULL with an error. */
char *cpose_model_find_yaml(const char *name);
/* Finds a parameter by key, or NULL. */
struct cpose_param *cpose_model_param(const struct cpose_model *m, const char *name);
/* Drops the fused graph and executors (after weights change). */
void cpose_model_invalidate(struct cpose_model *m);
/* Builds a model from a YAML file (path or bundled name) without weights (core/nn/model.c). */
int cpose_model_from_yaml_name(const char *name, char force_scale, struct cpose_model **out);
/* Loads HDF5 weights: a flat state_dict or a cpose checkpoint; cfg names the model YAML when the
 * file carries none (core/nn/model_weights.c). */
int cpose_model_load_flat_or_ckpt(const char *path, const char *cfg, struct cpose_model **out);
/* Where named weights come from (an HDF5 file, a .pt archive): shape and float32 values by key. */
struct cpose_weight_source {
    const char *file; /* named in messages */
    void *ctx;
    /* dims of key (CPOSE_H5_MAX_DIMS at most; nd 0 = a scalar) */
    int (*shape)(void *ctx, const char *key, int *nd, int64_t *dims);
    /* numel float32 values of key into dst */
    int (*read)(void *ctx, const char *key, float *dst, int64_t numel);
};
/* Loads keys[0..nkeys) from src into m by name and shape: unknown keys, missing parameters and
 * mis-shaped tensors are all refused in one CPOSE_EINVAL message naming them (file, key, both
 * shapes); non-finite values are refused naming the key. Nothing is copied into m unless every key
 * fits (core/nn/model_weights.c). */
int cpose_model_load_from(struct cpose_model *m, const struct cpose_weight_source *src, char **keys, size_t nkeys);
/* The info.imgsz a model gets from its training arguments: their imgsz (an integer ≥ 1) or 0. */
int cpose_train_args_imgsz(const char *yaml_text);

#endif
