/* tests/fuzz/fuzz_onnx_import.c — libFuzzer target: the ONNX import (protobuf decoding of the model,
 * graph recognition of the YOLOv8-pose body and head, weights of either precision), from memory. */
#include "core/nn/onnx_import.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    struct cpose_model *m = NULL;
    if (cpose_onnx_model_load_mem("fuzz.onnx", data, size, &m) == CPOSE_OK) cpose_model_free(m);
    return 0;
}
