/* tests/fuzz/fuzz_dataset_yaml.c — libFuzzer target: the dataset YAML reader (path, splits, names,
 * kpt_shape, flip_idx, download), through a scratch file as the CLI reads it. */
#include "datasets/dataset.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *path = fuzz_file("dataset", ".yaml", data, size);
    struct cpose_dataset d;
    if (cpose_dataset_load(path, &d) == CPOSE_OK) cpose_dataset_free(&d);
    unlink(path);
    return 0;
}
