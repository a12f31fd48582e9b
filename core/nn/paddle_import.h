/* core/nn/paddle_import.h — PaddlePaddle in: a `_paddle_model/` folder (inference_model/model.pdmodel,
 * inference_model/model.pdiparams, metadata.yaml; the v8-era Ultralytics layout, FORMATS.md §12) read
 * back into cpose's graph IR so predict/val/benchmark run it.
 *
 * The reader follows Paddle's own rules, written from framework.proto's public field list and
 * Paddle's documented parameter stream (core/nn/paddle_read.h), not from cpose's writer: proto2's
 * required fields, one root block (idx 0, parent -1), every var an op names declared in the block
 * and written before it is read, known op types only with their input/output slots and attributes,
 * exactly one feed op (X "feed", a FEED_MINIBATCH holder) and one fetch op (Out "fetch", a
 * FETCH_LIST holder), the parameters read from .pdiparams in sorted-name order with version 0,
 * their dims equal to the program's and nothing left over. Every var's shape is inferred op by op
 * and must agree with the dims the program declares (-1 matches anything), so a filter whose
 * channels do not match its input is refused as Paddle's shape inference would.
 *
 * The checked program is then restated as ONNX nodes (conv2d + its axis-1 bias elementwise_add →
 * Conv with bias; silu → Sigmoid·Mul; ...) and handed to cpose's ONNX import (core/nn/onnx_import.h),
 * which builds the body op by op and recognises YOLOv8-pose's decode head. Errors name the file,
 * and the op (index, type, output var) or var. */
#ifndef CPOSE_PADDLE_IMPORT_H
#define CPOSE_PADDLE_IMPORT_H

#include "core/nn/model.h"

/* Imports path: a `_paddle_model/` folder (its inference_model/model.pdmodel) or a .pdmodel file
 * (the .pdiparams beside it; metadata.yaml two levels up, where AutoBackend looks). */
CPOSE_API int cpose_paddle_model_load(const char *path, struct cpose_model **out);

/* Does path name a Paddle model (a .pdmodel, a `_paddle_model` folder, or a folder holding
 * inference_model/model.pdmodel)? */
CPOSE_API int cpose_paddle_is_model(const char *path);

#endif
