/* core/nn/model_load.c — cpose_model_load: a model from what the user names in model= — a model YAML
 * (built and initialised), weights (.h5: flat state_dict or cpose checkpoint), an ONNX file
 * (core/nn/onnx_import.h), an ncnn export folder (core/nn/ncnn_import.h), an OpenVINO IR folder
 * (core/nn/openvino_import.h), a PaddlePaddle export folder (core/nn/paddle_import.h), a CoreML
 * .mlpackage (core/nn/coreml_import.h) or an Ultralytics .pt checkpoint (core/nn/pt_load.h). Other
 * formats are refused with the list of those read. Pretrained names (yolov8n-pose.pt not on disk)
 * are resolved to a file by the callers above this layer (datasets/pretrained.h), which can download. */
#include <string.h>

#include "core/base/log.h"
#include "core/nn/coreml_import.h"
#include "core/nn/model_impl.h"
#include "core/nn/ncnn_import.h"
#include "core/nn/onnx_import.h"
#include "core/nn/openvino_import.h"
#include "core/nn/paddle_import.h"
#include "core/nn/pt_load.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int cpose_model_load_seeded(const char *model, const char *cfg, uint64_t seed, struct cpose_model **out)
{
    int rc;
    *out = NULL;
    if (!model || !*model) return cpose_err(CPOSE_EINVAL, "no model given (model=yolov8n-pose.yaml or weights .h5)");
    if (ends_with(model, ".yaml") || ends_with(model, ".yml")) {
        struct cpose_model *m;
        if ((rc = cpose_model_from_yaml_name(model, 0, &m)) != CPOSE_OK) return rc;
        cpose_model_init_weights(m, seed);
        *out = m;
        return CPOSE_OK;
    }
    if (ends_with(model, ".h5") || ends_with(model, ".hdf5")) return cpose_model_load_flat_or_ckpt(model, cfg, out);
    if (ends_with(model, ".onnx")) return cpose_onnx_model_load(model, out);
    if (cpose_ncnn_is_model(model)) return cpose_ncnn_model_load(model, out);
    if (cpose_openvino_is_model(model)) return cpose_openvino_model_load(model, out);
    if (cpose_paddle_is_model(model)) return cpose_paddle_model_load(model, out);
    if (cpose_coreml_is_model(model)) return cpose_coreml_model_load(model, out);
    if (ends_with(model, ".pt")) {
        int rc2 = cpose_pt_model_load(model, cfg, out);
        return rc2 ? cpose_err_context(rc2, "loading %s", model) : CPOSE_OK;
    }
    return cpose_err(CPOSE_ENOTSUP, "%s: unknown model file type (expected .yaml, .h5, .pt, .onnx, or an _ncnn_model, _openvino_model, _paddle_model or .mlpackage folder)", model);
}

int cpose_model_has_reader(const char *path)
{
    return path && (ends_with(path, ".yaml") || ends_with(path, ".yml") || ends_with(path, ".h5") ||
                    ends_with(path, ".hdf5") || ends_with(path, ".onnx") || ends_with(path, ".pt") ||
                    cpose_ncnn_is_model(path) || cpose_openvino_is_model(path) || cpose_paddle_is_model(path) ||
                    cpose_coreml_is_model(path));
}

int cpose_model_load(const char *model, const char *cfg, struct cpose_model **out)
{
    return cpose_model_load_seeded(model, cfg, 0, out);
}
