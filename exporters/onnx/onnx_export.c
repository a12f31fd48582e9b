/* exporters/onnx/onnx_export.c — the ONNX exporter plugin (cpose-export-onnx.so): the model proto
 * (IR version ≤ 8 so Debian's onnx 1.12 checker accepts it, opset 12–17), input `images`, output
 * `output0` [B, 4 + nc + nkpt·kdim, A], dynamic axes, fp16 weights and I/O, optional NMS, and
 * Ultralytics' metadata_props (Python-literal strings, FORMATS.md §0/§3). */
#include <string.h>

#include "exporters/onnx/onnx_model.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg onnx_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the input"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "fp16 weights, input and output"},
    {"dynamic", CPOSE_PLUGIN_ARG_BOOL, "False", "batch, height and width as dynamic axes"},
    {"simplify", CPOSE_PLUGIN_ARG_BOOL, "False", "accepted; the graph is written already folded"},
    {"opset", CPOSE_PLUGIN_ARG_INT, "", "ONNX opset 12-17 (None: 17)"},
    {"nms", CPOSE_PLUGIN_ARG_BOOL, "False", "append NMS: output0 [B, max_det, 6 + nkpt*kdim] rows like cpose predict"},
    {"conf", CPOSE_PLUGIN_ARG_FLOAT, "0.25", "nms=True: confidence threshold"},
    {"iou", CPOSE_PLUGIN_ARG_FLOAT, "0.7", "nms=True: IoU threshold"},
    {"max_det", CPOSE_PLUGIN_ARG_INT, "300", "nms=True: rows per image"},
    {NULL, 0, NULL, NULL},
};

static int export_onnx(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    struct onnx_model_opts o = {(int)h->arg_int(x, "opset", 17), h->arg_bool(x, "half"), h->arg_bool(x, "dynamic"),
                                h->arg_bool(x, "nms"), h->arg_float(x, "conf", 0.25), h->arg_float(x, "iou", 0.7),
                                (int)h->arg_int(x, "max_det", 300)};
    if (o.opset < 12 || o.opset > 17)
        return h->error(x, CPOSE_PLUGIN_EINVAL, "opset=%d: this exporter writes opsets 12 to 17 (17 by default; 17 is "
                        "the newest that Debian's onnx 1.12 checker knows)", o.opset);
    return onnx_write_model(h, x, out_path, &o);
}

static const struct cpose_plugin onnx_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "onnx",
    .suffix = ".onnx",
    .is_dir = 0,
    .args = onnx_args,
    .description = "ONNX (opset 12-17, IR <= 8): input images, output output0; Ultralytics metadata_props",
    .export_model = export_onnx,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &onnx_plugin; }
