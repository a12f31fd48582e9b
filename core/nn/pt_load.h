/* core/nn/pt_load.h — Ultralytics .pt checkpoints in: a torch.save archive (core/nn/pt_zip.h) whose
 * pickle (core/nn/pickle_read.h) is read without running anything, walked to a cpose model.
 *
 * What is read, as Ultralytics' attempt_load_one_weight does:
 * - the checkpoint dict's `ema` when present and not None, else its `model`: a pickled
 *   ultralytics.nn.tasks.PoseModel module tree whose _parameters/_buffers (through _modules) give the
 *   state_dict ("model.0.conv.weight", ...), fp16/bf16/fp32/fp64 tensors read as float32;
 * - the model's `yaml` dict (built with cpose's YAML builder, so no cfg= is needed), `names`,
 *   `kpt_shape` and `stride` (both checked against the built model);
 * - the checkpoint's `train_args` dict (else the model's `args`), kept as the model's training
 *   arguments, so commands default imgsz to them as for a cpose .h5 checkpoint.
 * A `model` entry that is a plain state_dict (a dict of tensors) is read too, with cfg= naming the
 * YAML. Errors name the file and the key: not a ZIP or no data.pkl (not a checkpoint), a refused
 * pickle opcode (with its byte offset), no model/ema entry, a class other than PoseModel, missing
 * tensors, unknown keys, wrong shapes (both shapes), a truncated storage. */
#ifndef CPOSE_PT_LOAD_H
#define CPOSE_PT_LOAD_H

#include <stddef.h>

#include "core/nn/model.h"

/* Loads path (a .pt checkpoint) as a model; cfg (may be NULL) overrides the checkpoint's YAML.
 * Returns an owned model (cpose_model_free); on error *out is NULL. */
CPOSE_API int cpose_pt_model_load(const char *path, const char *cfg, struct cpose_model **out);
/* The same from bytes in memory (borrowed for the call); name is used in messages only. */
CPOSE_API int cpose_pt_model_load_mem(const char *name, const void *data, size_t len, const char *cfg,
                                      struct cpose_model **out);

#endif
