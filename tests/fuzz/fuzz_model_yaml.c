/* tests/fuzz/fuzz_model_yaml.c — libFuzzer target: the model YAML builder (scales, layer rows, module
 * arguments), from memory; the name picks scale n. */
#include "core/base/alloc.h"
#include "core/nn/model_impl.h"
#include "tests/fuzz/fuzz_util.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    char *text = cpose_strndup((const char *)data, size);
    struct cpose_model *m = cpose_calloc(1, sizeof *m);
    m->params.elem = sizeof(struct cpose_param);
    cpose_model_build(m, text, "yolov8n-pose.yaml", 0);
    cpose_model_free(m);
    cpose_free(text);
    return 0;
}
