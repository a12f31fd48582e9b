/* core/cli/mode_convert_weights.c — `cpose convert-weights model=X out=Y.h5`: any model cpose loads
 * (an Ultralytics .pt checkpoint, a pretrained name, ONNX, ...) written as a cpose HDF5 checkpoint
 * with its names, kpt_shape, stride, YAML and training arguments. */
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/cli/cli.h"
#include "core/nn/model.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int cpose_mode_convert_weights(int argc, char **argv)
{
    struct cpose_args a;
    struct cpose_model *m = NULL;
    char *out = NULL;
    int rc = CPOSE_OK;
    if (cpose_cli_parse("convert-weights", argc, argv, &a)) return 2;
    if (cpose_args_is_none(&a, "model")) {
        rc = cpose_err(CPOSE_EINVAL, "model= is required: the weights to convert (x.pt, yolov8n-pose.pt, x.onnx, ...)");
        goto done;
    }
    const char *model = cpose_args_str(&a, "model");
    if (!cpose_args_is_none(&a, "out")) {
        out = cpose_strdup(cpose_args_str(&a, "out"));
    } else { /* <stem>.h5 in the working folder */
        char *stem = cpose_path_stem(model);
        out = cpose_asprintf("%s.h5", stem);
        cpose_free(stem);
    }
    if (!ends_with(out, ".h5") && !ends_with(out, ".hdf5")) {
        rc = cpose_err(CPOSE_EINVAL, "out=%s: cpose weights are HDF5; give a name ending in .h5", out);
        goto done;
    }
    if (cpose_path_is_file(out) && !cpose_args_bool(&a, "exist_ok")) {
        rc = cpose_err(CPOSE_EINVAL, "out=%s already exists; pass exist_ok=True to replace it, or another out=", out);
        goto done;
    }
    if ((rc = cpose_cli_load_model(&a, &m)) != CPOSE_OK) goto done;
    if ((rc = cpose_model_save(m, out)) != CPOSE_OK) goto done;
    const struct cpose_model_info *info = cpose_model_get_info(m);
    cpose_info("convert-weights: %s → %s (%d tensors, %d classes, kpt_shape [%d, %d]%s%d)", model, out,
               cpose_model_num_tensors(m), info->nc, info->nkpt, info->kdim, info->imgsz ? ", imgsz " : "",
               info->imgsz ? info->imgsz : 0);
done:
    cpose_free(out);
    cpose_model_free(m);
    cpose_args_free(&a);
    return rc ? cpose_cli_fail("convert-weights") : 0;
}
