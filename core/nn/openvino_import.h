/* core/nn/openvino_import.h — OpenVINO IR in: an `_openvino_model/` folder (<stem>.xml IR v10/v11,
 * <stem>.bin, metadata.yaml; Ultralytics' layout, FORMATS.md §4) read back into cpose's graph IR.
 *
 * The reader follows the IR's own rules, not cpose's writer: a well-formed XML <net> of version 10
 * or 11; layer ids unique; each layer a known type at the opset version that defines it; every port
 * with an id unique in its layer and a shape (<dim>s of non-negative integers; only a scalar Const
 * has none); every edge from an output port to an input port of existing layers, the two ports'
 * shapes equal, and each input port fed by exactly one edge; each Const's element type known, its
 * shape equal to its port's, its size equal to shape × element size, and offset + size inside the
 * .bin. The layers are ordered by their edges (a cycle is an error).
 *
 * The checked graph is restated as ONNX nodes (Convert of a Const folded into the constant, the
 * bias Add after a Convolution folded into it) and handed to cpose's ONNX import, which builds the
 * body op by op and recognises YOLOv8-pose's decode head. Errors name the file and the layer. */
#ifndef CPOSE_OPENVINO_IMPORT_H
#define CPOSE_OPENVINO_IMPORT_H

#include "core/nn/model.h"

/* Imports path (an `_openvino_model/` folder holding one .xml, or the .xml itself). */
CPOSE_API int cpose_openvino_model_load(const char *path, struct cpose_model **out);

/* Does path name an OpenVINO model (a folder named *_openvino_model or holding an .xml + .bin)? */
CPOSE_API int cpose_openvino_is_model(const char *path);

#endif
