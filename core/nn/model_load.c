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

/* The reader cpose_model_load takes for path: by its name, or by the files of an export folder. */
enum reader { READER_NONE, READER_YAML, READER_H5, READER_ONNX, READER_NCNN, READER_OPENVINO, READER_PADDLE, READER_COREML, READER_PT };

static enum reader reader_of(const char *path)
{
    if (ends_with(path, ".yaml") || ends_with(path, ".yml")) return READER_YAML;
    if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) return READER_H5;
    if (ends_with(path, ".onnx")) return READER_ONNX;
    if (cpose_ncnn_is_model(path)) return READER_NCNN;
    if (cpose_openvino_is_model(path)) return READER_OPENVINO;
    if (cpose_paddle_is_model(path)) return READER_PADDLE;
    if (cpose_coreml_is_model(path)) return READER_COREML;
    if (ends_with(path, ".pt")) return READER_PT;
    return READER_NONE;
}

int cpose_model_has_reader(const char *path) { return path && reader_of(path) != READER_NONE; }

int cpose_model_load_seeded(const char *model, const char *cfg, uint64_t seed, struct cpose_model **out)
{
    int rc;
    *out = NULL;
    if (!model || !*model) return cpose_err(CPOSE_EINVAL, "no model given (model=yolov8n-pose.yaml or weights .h5)");
    switch (reader_of(model)) {
    case READER_YAML: {
        struct cpose_model *m;
        if ((rc = cpose_model_from_yaml_name(model, 0, &m)) != CPOSE_OK) return rc;
        cpose_model_init_weights(m, seed);
        *out = m;
        return CPOSE_OK;
    }
    case READER_H5: return cpose_model_load_flat_or_ckpt(model, cfg, out);
    case READER_ONNX: return cpose_onnx_model_load(model, out);
    case READER_NCNN: return cpose_ncnn_model_load(model, out);
    case READER_OPENVINO: return cpose_openvino_model_load(model, out);
    case READER_PADDLE: return cpose_paddle_model_load(model, out);
    case READER_COREML: return cpose_coreml_model_load(model, out);
    case READER_PT:
        rc = cpose_pt_model_load(model, cfg, out);
        return rc ? cpose_err_context(rc, "loading %s", model) : CPOSE_OK;
    case READER_NONE: break;
    }
    return cpose_err(CPOSE_ENOTSUP, "%s: unknown model file type (expected .yaml, .h5, .pt, .onnx, or an _ncnn_model, _openvino_model, _paddle_model or .mlpackage folder)", model);
}

int cpose_model_load(const char *model, const char *cfg, struct cpose_model **out)
{
    return cpose_model_load_seeded(model, cfg, 0, out);
}
