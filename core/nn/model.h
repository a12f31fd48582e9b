/* core/nn/model.h — the public model API: load a YOLOv8-pose model from a YAML (fresh, seeded weights)
 * or from HDF5 weights, query it, and run the eval-mode forward.
 *
 * Layout: inputs are float32 NCHW RGB in [0, 1]; pred is [B, n_outputs, A] with rows 0–3 box
 * cx, cy, w, h in input pixels, 4..4+nc−1 class scores (sigmoid), then nkpt × (x, y, v). */
#ifndef CPOSE_MODEL_H
#define CPOSE_MODEL_H

#include <stdint.h>
#include "core/base/status.h"

struct cpose_model; /* opaque */

struct cpose_model_info {
    int nc, nkpt, kdim;        /* classes, keypoints per person (17), values per keypoint (3) */
    int n_outputs;             /* 4 + nc + nkpt*kdim = 56 */
    int n_levels;              /* 3 (p5) or 4 (p6) */
    int strides[4];            /* 8,16,32(,64) */
    int max_stride;            /* 32 or 64 */
    int n_names; char **names; /* class names ("person"), from the checkpoint or "class0".. */
    int flip_idx[64];          /* COCO-17 default */
    char scale;                /* 'n'.. */
    int64_t n_params;
    int imgsz;                 /* the image size the model file was made for (ONNX metadata), 0 = none */
};

/* model: a YAML name/path (fresh weights, seeded) or an .h5 file (flat state_dict or cpose
 * checkpoint); cfg: YAML for weights that carry none (may be NULL). Returns an owned model. */
CPOSE_API int cpose_model_load(const char *model, const char *cfg, struct cpose_model **out);
/* Whether cpose_model_load has a reader for path's kind (by its name, or the files of an export
 * folder): 0 for formats it only writes (TorchScript, TF, TF Lite, TF.js, ...). A file of a kind it
 * reads can still be refused, with an error saying why. */
CPOSE_API int cpose_model_has_reader(const char *path);
CPOSE_API void cpose_model_free(struct cpose_model *m); /* NULL-safe */
CPOSE_API const struct cpose_model_info *cpose_model_get_info(const struct cpose_model *m);
/* Number of anchors A for an H×W input (H, W multiples of max_stride). */
CPOSE_API int64_t cpose_model_num_anchors(const struct cpose_model *m, int64_t H, int64_t W);
/* Eval-mode forward of B images [B,3,H,W] float32 RGB in [0,1] into pred [B, n_outputs, A]
 * (caller-allocated), exactly the Ultralytics eval output (REFERENCE.md). Not thread-safe per model.
 * Runs the fused graph (BN folded, SiLU in the conv epilogue). */
CPOSE_API int cpose_model_predict(struct cpose_model *m, const float *input, int64_t B, int64_t H, int64_t W,
                                  float *pred);

/* ---- additions beyond the predict contract ---- */

/* Like cpose_model_load with a seed for fresh weights (cpose_model_load uses seed 0). */
CPOSE_API int cpose_model_load_seeded(const char *model, const char *cfg, uint64_t seed, struct cpose_model **out);
/* The OpenMP thread count the last forward ran on (0 before any): at most the requested count, fewer
 * when the load-adaptive executor found CPUs busy (core/nn/exec.h). */
CPOSE_API int cpose_model_last_threads(const struct cpose_model *m);
/* Precision of the fused forward's convolutions (enum cpose_prec in core/nn/kernels.h: 0 float32,
 * 1 bf16, 2 int8). Only the convs with a SiLU epilogue and more than 3 input channels switch; the
 * first conv (on the image), the head's last 1×1 convs and the head decode (DFL, sigmoid, anchors)
 * stay float32. int8 needs the calibrated input range of each such conv: names[i] (a fused conv
 * node's name, e.g. "model.2.cv1.conv"), lo[i] ≤ hi[i], n of them (copied); a conv without a range
 * stays float32 (cpose_model_precision_count reports how many switched). bf16 does not check the
 * CPU (callers do: cpose_cpu_has_bf16). The unfused forward stays float32. Errors: CPOSE_EINVAL for
 * an unknown prec, int8 without ranges, or a range with lo > hi or not finite. */
CPOSE_API int cpose_model_set_precision(struct cpose_model *m, int prec, const char *const *names, const float *lo,
                                        const float *hi, int n);
CPOSE_API int cpose_model_get_precision(const struct cpose_model *m);
/* After a fused forward: how many convs run in the set precision (*lowp) and in float32 (*f32). */
CPOSE_API void cpose_model_precision_count(const struct cpose_model *m, int *lowp, int *f32);
/* After a fused forward: the precision (enum cpose_prec) the conv named `name` ("model.0.conv") runs
 * in, or -1 when the fused graph has no such conv. */
CPOSE_API int cpose_model_conv_precision(const struct cpose_model *m, const char *name);

/* Unfused eval forward (BatchNorm as its own op): the reference path the fused one is tested against. */
CPOSE_API int cpose_model_predict_unfused(struct cpose_model *m, const float *input, int64_t B, int64_t H, int64_t W,
                                          float *pred);
/* After a predict (fused or not): the raw head outputs, NCHW. level < n_levels: [B, 4·16 + nc, H/s, W/s]
 * (DFL logits then class logits); kpt: [B, nkpt·kdim, A]. Buffers caller-allocated. */
CPOSE_API int cpose_model_level_raw(const struct cpose_model *m, int level, float *out);
CPOSE_API int cpose_model_kpt_raw(const struct cpose_model *m, float *out);

/* Ultralytics' summary figures. fused: as after model.fuse() (BN folded). gflops at imgsz (640 for
 * p5 models; pass 0 for the model's default: 640 p5, 1280 p6 is NOT assumed — callers choose). */
struct cpose_model_summary {
    char name[64];       /* "YOLOv8n-pose" */
    int64_t layers;      /* torch modules in the model (see model_build.c) */
    int64_t params, gradients;
    double gflops;
};
CPOSE_API int cpose_model_summary(const struct cpose_model *m, int fused, int imgsz, struct cpose_model_summary *s);

/* State-dict access: number of entries, and each entry's name, shape and data (float32; a
 * num_batches_tracked counter is stored as one float). Borrowed pointers, valid while m lives. */
CPOSE_API int cpose_model_num_tensors(const struct cpose_model *m);
CPOSE_API int cpose_model_tensor(const struct cpose_model *m, int i, const char **name, int *ndim,
                                 const int64_t **dims, float **data);

/* Loads a state_dict from HDF5 into m: flat (one dataset per key at the root) or a cpose
 * checkpoint (/model/<key>). Unknown, missing or mis-shaped keys are refused (names + shapes). */
CPOSE_API int cpose_model_load_weights(struct cpose_model *m, const char *path);
/* Saves m as a cpose checkpoint (/model/<key> datasets + attributes; DESIGN.md), atomically. The
 * file carries m's training arguments (train_args) when it has them. */
CPOSE_API int cpose_model_save(const struct cpose_model *m, const char *path);

/* Weights file versions: 1 = written before training checkpoints (no train_args), 2 = the current
 * layout (train_args; a training checkpoint adds its state, core/train/checkpoint.h). A file without
 * a version is a flat state_dict. Readers refuse a version above CPOSE_WEIGHTS_VERSION_MAX. */
#define CPOSE_WEIGHTS_VERSION 2
#define CPOSE_WEIGHTS_VERSION_MAX 2

/* The training arguments (Ultralytics' train_args, YAML text) the model's weights came from, or NULL
 * (fresh weights, or a file written without them). Borrowed, valid while m lives. */
CPOSE_API const char *cpose_model_train_args(const struct cpose_model *m);
/* Sets (a copy of) the training arguments; NULL clears them. info.imgsz becomes their imgsz (0 when
 * they have none), so val/predict/export default to it. Returns CPOSE_EINVAL for text that is not a
 * YAML mapping. */
CPOSE_API int cpose_model_set_train_args(struct cpose_model *m, const char *yaml_text);

struct cpose_h5;
/* Writes m's state_dict as /model/<key> datasets and the weights attributes (format, version, task,
 * names, kpt_shape, flip_idx, stride, yaml, yaml_file, imgsz, train_args, date, cpose_version) into
 * an open file from cpose_h5_create. value_of (may be NULL) replaces a float tensor's values: it is
 * called with each key and element count and returns the values to write, or NULL for the model's
 * own (a training checkpoint writes the EMA's there). Does not commit. */
CPOSE_API int cpose_model_write_h5(const struct cpose_model *m, struct cpose_h5 *f,
                                   const float *(*value_of)(void *ctx, const char *key, int64_t numel), void *ctx);
/* Checks the format/version attributes of an open weights file: an unknown format string or a
 * version above CPOSE_WEIGHTS_VERSION_MAX (or below 1) is CPOSE_EINVAL naming the file and version.
 * *version gets the version (0 = none, a flat state_dict); may be NULL. */
CPOSE_API int cpose_weights_check_version(struct cpose_h5 *f, int *version);

#endif
