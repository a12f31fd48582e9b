/* tests/fuzz/fuzz_pt_checkpoint.c — libFuzzer target: .pt import from memory (the ZIP directory and
 * members, the pickle reader, the module-tree walk, tensor decoding, the YAML dict → model build,
 * the name/shape check). */
#include "core/nn/pt_load.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    struct cpose_model *m = NULL;
    if (cpose_pt_model_load_mem("fuzz.pt", data, size, NULL, &m) == CPOSE_OK) cpose_model_free(m);
    return 0;
}
