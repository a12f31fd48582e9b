/* core/nn/onnx_import.h — ONNX in: a YOLOv8-pose ONNX file (Ultralytics' export, cpose's own
 * exporter; opset 12–17, fp32 or fp16 weights, fixed or dynamic dims) imported into cpose's graph
 * IR, so predict/val/benchmark run it on cpose's engine with its fusions.
 *
 * What the import does:
 * - the convolutional body becomes the ops the YAML builder emits: Conv (+bias) → conv2d,
 *   Sigmoid+Mul(x, sigmoid(x)) → silu (then folded into the conv epilogue by cpose_graph_fuse),
 *   Split/Slice on channels → slice (a Concat of all parts of one Split reads the Split's input, as
 *   the builder's C2f does), Concat on channels, Add (residual), MaxPool, Resize nearest ×k → upsample;
 * - the head: every node downstream of the last convolutions (Reshape, Softmax, the DFL 1×1 conv,
 *   the anchor/stride arithmetic, Sigmoid, Concat) is recognised as YOLOv8-pose's decode and
 *   replaced by the fused pose_head op, fed by the per-level box+class and keypoint convolutions
 *   (strides from the body's downsampling, reg_max from the DFL weights, nc/kpt_shape from the
 *   metadata or the channel counts). Because pose_head is size-independent the imported model runs
 *   at any multiple of its stride, like a YAML/HDF5 model, even when the file was exported at 640.
 * - metadata_props give names, kpt_shape, stride, imgsz (the model's default image size) as
 *   Ultralytics' AutoBackend reads them.
 *
 * Errors name the file and, for graph problems, the node and its op: an op outside the set above
 * ("node '/model.3/act/Relu' (op Relu) is not supported ..."), an attribute cpose cannot honour
 * (grouped or dilated conv, non-nearest resize), a head that is not YOLOv8-pose's decode, a truncated
 * or non-ONNX file. Nothing is half-built: on error *out is NULL. */
#ifndef CPOSE_ONNX_IMPORT_H
#define CPOSE_ONNX_IMPORT_H

#include "core/nn/model.h"

/* Imports path (an .onnx file) as a model. Returns an owned model (cpose_model_free). */
CPOSE_API int cpose_onnx_model_load(const char *path, struct cpose_model **out);

/* Imports from bytes already in memory; path only names the source in messages. */
CPOSE_API int cpose_onnx_model_load_mem(const char *path, const void *data, size_t len, struct cpose_model **out);

#endif
