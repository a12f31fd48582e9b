/* exporters/onnx/onnx_nms.h — NMS appended to the exported graph (nms=True): output rows like
 * `cpose predict`'s before scaling to the image, [B, max_det, 6 + nm] = x1 y1 x2 y2 conf cls and
 * the nm = C − 4 − nc keypoint values, zero-padded after the kept rows. */
#ifndef CPOSE_ONNX_NMS_H
#define CPOSE_ONNX_NMS_H

#include "exporters/onnx/onnx_graph.h"

struct onnx_nms_opts {
    double conf, iou;  /* a candidate needs score > conf; a box with IoU > iou to a kept one goes */
    int max_det;       /* rows per image */
    int nc;            /* class channels after the 4 box rows */
    int channels;      /* C of the prediction [B, C, A] */
};

/* Appends the NMS nodes reading pred ([B, C, A] float32); *out receives the result's name. */
int onnx_append_nms(struct onnx_builder *b, const char *pred, const struct onnx_nms_opts *o, const char **out);

#endif
