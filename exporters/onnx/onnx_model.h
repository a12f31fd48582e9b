/* exporters/onnx/onnx_model.h — writing cpose's ONNX model from the graph view with explicit
 * options, for the ONNX plugin and for plugins that build on an ONNX file (TensorRT). */
#ifndef CPOSE_ONNX_MODEL_H
#define CPOSE_ONNX_MODEL_H

#include "plugins/cpose_plugin.h"

struct onnx_model_opts {
    int opset;           /* 12..17 (the caller checks the range) */
    int half;            /* fp16 weights and I/O */
    int dynamic;         /* batch/height/width as dim_params */
    int nms;             /* append NMS with conf/iou/max_det */
    double conf, iou;
    int max_det;
};

/* Writes the model (input `images`, output `output0`, Ultralytics' metadata_props from the host's
 * meta_text) atomically to out_path. Returns 0, or a negative status after host->error(). */
int onnx_write_model(const struct cpose_host *h, struct cpose_export *x, const char *out_path,
                     const struct onnx_model_opts *o);

#endif
