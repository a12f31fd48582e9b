/* exporters/pytorch/pt_model.h — the pickled ultralytics.nn.tasks.PoseModel of a .pt checkpoint:
 * the module tree Ultralytics 8.1 builds from the model YAML (Conv, C2f, Bottleneck, SPPF,
 * Upsample, Concat, Pose with DFL, and torch's Conv2d, BatchNorm2d, SiLU, MaxPool2d, ModuleList,
 * Sequential), each object as copyreg.__newobj__(cls) + BUILD of its __dict__ (torch's module
 * state, then the attributes the class sets and Ultralytics' forward/fuse read: i, f, type, c,
 * add, d, nc, nl, reg_max, no, stride, kpt_shape, nk, detect, ...). Tensors come from the model's
 * unfused parameters by state_dict name (FORMATS.md §1). */
#ifndef CPOSE_EXPORTERS_PT_MODEL_H
#define CPOSE_EXPORTERS_PT_MODEL_H

#include "exporters/common/torch_archive.h"

/* Pushes the PoseModel object onto a->pk's stack. dtype: TA_F32 or TA_F16 for float tensors.
 * train_args_yaml (may be NULL) becomes the model's `args`. Returns 0 or a negative status with
 * the error recorded (naming the missing parameter or the YAML problem). */
int pt_pickle_pose_model(struct torch_archive *a, int dtype, const char *train_args_yaml);

/* Pushes the training arguments dict: the YAML text's mapping, with task "pose" added when it has
 * none (Ultralytics takes the task from it); a minimal dict when the model carries none. */
int pt_pickle_train_args(struct torch_archive *a, const char *train_args_yaml);

#endif
