/* tests/fuzz/fuzz_paddle_import.c — libFuzzer target: the PaddlePaddle reader (protobuf decoding of
 * model.pdmodel, the program's checks and shape inference, the .pdiparams stream, the ONNX
 * restatement and import). Input: a 4-byte little-endian length L, then L bytes of model.pdmodel,
 * then model.pdiparams (the seeds are cpose's own export in that form). Both files are written to a
 * per-process `_paddle_model/inference_model/` folder and the folder is loaded. */
#include <string.h>
#include <sys/stat.h>

#include "core/nn/paddle_import.h"
#include "tests/fuzz/fuzz_util.h"

static void put(const char *path, const uint8_t *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (size && fwrite(data, 1, size, fp) != size) abort();
    fclose(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    static char dir[256], model[320], params[320];
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(dir, sizeof dir, "%s/cpose-fuzz-%d_paddle_model", tmp, (int)getpid());
        mkdir(dir, 0755);
        snprintf(model, sizeof model, "%s/inference_model", dir);
        mkdir(model, 0755);
        snprintf(params, sizeof params, "%s/inference_model/model.pdiparams", dir);
        snprintf(model, sizeof model, "%s/inference_model/model.pdmodel", dir);
    }
    if (size < 4) return 0;
    uint32_t len;
    memcpy(&len, data, 4);
    if (len > size - 4) len = (uint32_t)(size - 4);
    put(model, data + 4, len);
    put(params, data + 4 + len, size - 4 - len);
    struct cpose_model *m = NULL;
    if (cpose_paddle_model_load(dir, &m) == CPOSE_OK) cpose_model_free(m);
    return 0;
}
