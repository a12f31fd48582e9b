/* exporters/tflite/tflite_export.c — the TF Lite exporter plugin (cpose-export-tflite.so).
 *
 * Writes what Ultralytics' `format=tflite` leaves: a `<stem>_saved_model/` folder holding
 * `<stem>_float32.tflite` (`<stem>_float16.tflite` with half=True, `<stem>_int8.tflite` with
 * int8=True) and `metadata.yaml`. The .tflite is the NHWC graph of exporters/tf/ (input `images`
 * [B,H,W,3] float32, output `output0` [B, 4 + nc + nk·kd, A] float32) with coordinates normalised by
 * the image size, as Ultralytics ≥ 8.3.x writes them (boxes and keypoints; AutoBackend multiplies
 * back by w and h), and a stored zip holding `metadata.json` appended after the flatbuffer.
 * int8=True is full-integer quantisation calibrated on `data=` (tflite_write.h, tflite_quant.h);
 * its input and output stay float32 (QUANTIZE / DEQUANTIZE inside the file). The folder is the
 * export's path (the host names outputs from one suffix); the log names the .tflite inside. */
#include <stdio.h>
#include <string.h>

#include "exporters/tflite/tflite_file.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg tflite_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the input"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "fp16 weights (DEQUANTIZE to float32): <stem>_float16.tflite"},
    {"int8", CPOSE_PLUGIN_ARG_BOOL, "False", "full-integer quantisation calibrated on data=: <stem>_int8.tflite"},
    {"data", CPOSE_PLUGIN_ARG_STR, "", "int8 calibration dataset YAML (its val images; default: the model's train data)"},
    {"fraction", CPOSE_PLUGIN_ARG_FLOAT, "1.0", "int8: fraction of the val images used for calibration"},
    {"nms", CPOSE_PLUGIN_ARG_BOOL, "False", "NMS in the graph (not written by this exporter yet)"},
    {NULL, 0, NULL, NULL},
};

static int export_tflite(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    if (h->arg_bool(x, "nms"))
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "nms=True is not written by the tflite exporter yet; run NMS after "
                        "the model (cpose predict does)");
    int half = h->arg_bool(x, "half"), int8 = h->arg_bool(x, "int8");
    if (half && int8) return h->error(x, CPOSE_PLUGIN_EINVAL, "half=True and int8=True together: choose one");
    int mode = int8 ? TFLITE_INT8 : half ? TFLITE_FLOAT16 : TFLITE_FLOAT32;
    struct tflite_made made;
    int rc = tflite_make(h, x, mode, &made);
    char *file = NULL;
    if (rc == 0) rc = tflite_write_folder(h, x, out_path, int8 ? "int8" : half ? "float16" : "float32", &made, &file);
    if (rc == 0) {
        h->progress(x, 1.0, "tflite: done");
        h->log(x, CPOSE_PLUGIN_LOG_INFO, "%s: %d ops, %d tensors in the NHWC graph, %.1f MB%s, coordinates normalised "
               "by the image size", file, made.n_ops, made.n_values, (double)made.len / 1e6,
               int8 ? ", full-integer int8 (float32 input and output)" : half ? ", fp16 weights" : "");
    }
    tflite_made_free(h, &made);
    h->free(file);
    return rc;
}

static const struct cpose_plugin tflite_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "tflite",
    .suffix = "_saved_model",
    .is_dir = 1,
    .args = tflite_args,
    .description = "TF Lite (FlatBuffers TFL3, NHWC, fp32, fp16 or full-integer int8): <stem>_saved_model/<stem>_float32.tflite + metadata",
    .export_model = export_tflite,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &tflite_plugin; }
