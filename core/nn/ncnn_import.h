/* core/nn/ncnn_import.h — ncnn in: an `_ncnn_model/` folder (model.ncnn.param, model.ncnn.bin,
 * metadata.yaml; Ultralytics' layout, FORMATS.md §13) read back into cpose's graph IR so
 * predict/val/benchmark run it.
 *
 * The reader follows ncnn's own rules, written from ncnn's public param/weight table, not from
 * cpose's writer: the magic 7767517, the layer and blob counts of line 2, unique blob names, every
 * input blob produced by an earlier layer and consumed once (fan-out through Split), known layer
 * types only, `k=v` params (ints, floats, `-23300-k` arrays), the .bin walked layer by layer
 * (Convolution: a 4-byte storage flag — 0 fp32, 0x01306B47 fp16 — then OIHW weights padded to 4
 * bytes, then the fp32 bias; MemoryData: raw fp32) and used up exactly. Every blob's shape is
 * inferred, so a weight count that does not match its input's channels is refused.
 *
 * The checked graph is then restated as ONNX nodes (batch axis prepended: ncnn axis a is ONNX axis
 * a + 1) and handed to cpose's ONNX import (core/nn/onnx_import.h), which builds the body op by op
 * and recognises YOLOv8-pose's decode head. The output blob must be `out0`, as Ultralytics'
 * AutoBackend reads it. Errors name the file and the line or layer. */
#ifndef CPOSE_NCNN_IMPORT_H
#define CPOSE_NCNN_IMPORT_H

#include "core/nn/model.h"

/* Imports dir (an `_ncnn_model/` folder, or its model.ncnn.param). Returns an owned model. */
CPOSE_API int cpose_ncnn_model_load(const char *dir, struct cpose_model **out);

/* Does path name an ncnn model (a folder holding model.ncnn.param, or a .param file)? */
CPOSE_API int cpose_ncnn_is_model(const char *path);

#endif
