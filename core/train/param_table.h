/* core/train/param_table.h — the flat parameter table the optimizer, the gradient clip and the EMA
 * work on: one row per floating-point state_dict entry of the model (parameters and buffers), named
 * by its Ultralytics key, with its data and gradient. The table borrows everything it points to. */
#ifndef CPOSE_TRAIN_PARAM_TABLE_H
#define CPOSE_TRAIN_PARAM_TABLE_H

#include <stddef.h>

/* Ultralytics' build_optimizer groups, in its param_groups order (the index is the group's index). */
enum cpose_param_group {
    CPOSE_PGROUP_BIAS = 0,   /* every parameter whose name holds "bias": no weight decay, warmup from warmup_bias_lr */
    CPOSE_PGROUP_WEIGHT = 1, /* other weights: weight decay */
    CPOSE_PGROUP_NORM = 2,   /* weights of normalisation layers (BatchNorm2d): no weight decay */
    CPOSE_PGROUP_BUFFER = 3, /* not a parameter (BN running_mean/var): never optimised, but kept by the EMA */
};
#define CPOSE_OPTIM_NGROUPS 3

struct cpose_param {
    const char *name;            /* state_dict key, e.g. "model.22.cv4.0.2.bias" */
    float *data;                 /* n values */
    float *grad;                 /* n values, or NULL for a frozen parameter (e.g. the DFL conv) or a buffer */
    size_t n;
    enum cpose_param_group group;
};

/* The group Ultralytics gives a state_dict entry: "bias" anywhere in the name → BIAS; a ".bn." module
 * (every norm layer of the YOLOv8 modules is named bn) → NORM for its weight, BUFFER for running stats;
 * otherwise WEIGHT. Callers that know module types may set the group themselves. */
enum cpose_param_group cpose_param_group_of(const char *name);

#endif
