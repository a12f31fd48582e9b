/* tests/fuzz/fuzz_coreml_import.c — libFuzzer target: the CoreML reader (protobuf decoding of
 * model.mlmodel, the ML Program's checks and shape check, the weight.bin blob records, the ONNX
 * restatement and import). Input: a 4-byte little-endian length L, then L bytes of model.mlmodel,
 * then weights/weight.bin (the seed is cpose's own export in that form). Both files go into a
 * per-process `.mlpackage` folder with a fixed Manifest.json, and the package is loaded. */
#include <string.h>
#include <sys/stat.h>

#include "core/nn/coreml_import.h"
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
    static char pkg[256], model[360], weights[360];
    if (!pkg[0]) {
        static const char manifest[] =
            "{\"fileFormatVersion\": \"1.0.0\", \"itemInfoEntries\": {"
            "\"A\": {\"author\": \"com.apple.CoreML\", \"description\": \"CoreML Model Specification\", "
            "\"name\": \"model.mlmodel\", \"path\": \"com.apple.CoreML/model.mlmodel\"}, "
            "\"B\": {\"author\": \"com.apple.CoreML\", \"description\": \"CoreML Model Weights\", "
            "\"name\": \"weights\", \"path\": \"com.apple.CoreML/weights\"}}, \"rootModelIdentifier\": \"A\"}";
        const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(pkg, sizeof pkg, "%s/cpose-fuzz-%d.mlpackage", tmp, (int)getpid());
        char path[360];
        mkdir(pkg, 0755);
        snprintf(path, sizeof path, "%s/Data", pkg), mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/Data/com.apple.CoreML", pkg), mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/Data/com.apple.CoreML/weights", pkg), mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/Manifest.json", pkg);
        put(path, (const uint8_t *)manifest, sizeof manifest - 1);
        snprintf(model, sizeof model, "%s/Data/com.apple.CoreML/model.mlmodel", pkg);
        snprintf(weights, sizeof weights, "%s/Data/com.apple.CoreML/weights/weight.bin", pkg);
    }
    if (size < 4) return 0;
    uint32_t len;
    memcpy(&len, data, 4);
    if (len > size - 4) len = (uint32_t)(size - 4);
    put(model, data + 4, len);
    put(weights, data + 4 + len, size - 4 - len);
    struct cpose_model *m = NULL;
    if (cpose_coreml_model_load(pkg, &m) == CPOSE_OK) cpose_model_free(m);
    return 0;
}
