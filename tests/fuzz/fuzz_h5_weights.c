/* tests/fuzz/fuzz_h5_weights.c — libFuzzer target: HDF5 weight files (the seal, the probe in a child,
 * key lists, shapes, NaN checks) loaded into a yolov8n-pose model built once. */
#include "core/nn/h5io.h"
#include "core/nn/model.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cpose_model *m;
    fuzz_quiet();
    if (!m && cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 1, &m) != CPOSE_OK) abort();
    const char *path = fuzz_file("weights", ".h5", data, size);
    cpose_model_load_weights(m, path);
    struct cpose_h5 *f = NULL;
    if (cpose_h5_open(path, &f) == CPOSE_OK) {
        char **names = NULL, *s = NULL;
        size_t n = 0;
        if (cpose_h5_list(f, "/", &names, &n) == CPOSE_OK) cpose_h5_free_strings(names, n);
        if (cpose_h5_attr_read_str_array(f, "/", "names", &names, &n) == CPOSE_OK) cpose_h5_free_strings(names, n);
        if (cpose_h5_attr_read_str(f, "/", "yaml", &s) == CPOSE_OK) free(s);
        cpose_h5_close(f);
    }
    unlink(path);
    return 0;
}
