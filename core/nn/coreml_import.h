/* core/nn/coreml_import.h — CoreML in: a `.mlpackage` folder (Manifest.json,
 * Data/com.apple.CoreML/model.mlmodel, weights/weight.bin; FORMATS.md §6) read back into cpose's
 * graph IR so predict/val/benchmark run it.
 *
 * The reader follows the format's own rules (the public Model.proto, FeatureTypes.proto and
 * MIL.proto, and the MIL blob storage layout), not cpose's writer:
 *  - Manifest.json is JSON with fileFormatVersion, itemInfoEntries and a rootModelIdentifier that
 *    names an entry whose path (under Data/) is the model file;
 *  - the Model's specificationVersion is ≥ 6 (ML Programs start at iOS15) and it holds an
 *    mlProgram whose function `main` has a block for its opset (CoreML5..CoreML8);
 *  - every operation is a known MIL op with its known parameters, every binding names a value
 *    defined earlier (function input or an earlier output; names unique), every value a tensor of
 *    constant dims, x/y/weight/bias/values of one op share a data type, and each declared output
 *    shape is the one the op computes from its operands;
 *  - a const holds an immediate value or a BlobFileValue into `@model_path/weights/...`; the blob
 *    file starts with a 64-byte header {count, version 2}; the offset points at a 64-byte aligned
 *    metadata record {sentinel 0xDEADBEEF, data type matching the value's (1 fp16, 2 fp32), size =
 *    elements × element size, data offset 64-byte aligned}, and the data lies inside the file;
 *  - the description's input is an RGB image of the function input's [1, 3, H, W] and its output
 *    names the block's one output, with the same shape.
 * The image input is read as Ultralytics exports it: a mul by the scalar 1/255 (the ImageType
 * scale) first, after which the tensor is the [0, 1] image cpose's engine takes; casts between fp16
 * and fp32 are value-preserving for cpose (it computes in fp32, fp16 weights widened).
 *
 * The checked program is restated as ONNX nodes and handed to cpose's ONNX import, which builds the
 * body op by op and recognises YOLOv8-pose's decode head; metadata comes from the description's
 * userDefined (stride, task, batch, imgsz, names, kpt_shape) and shortDescription. Errors name the
 * file and the operation. */
#ifndef CPOSE_COREML_IMPORT_H
#define CPOSE_COREML_IMPORT_H

#include "core/nn/model.h"

/* Imports path (a .mlpackage folder). Returns an owned model in *out. */
CPOSE_API int cpose_coreml_model_load(const char *path, struct cpose_model **out);

/* Does path name a CoreML package (ends in .mlpackage, with or without a final '/')? */
CPOSE_API int cpose_coreml_is_model(const char *path);

#endif
