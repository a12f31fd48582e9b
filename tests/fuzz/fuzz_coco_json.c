/* tests/fuzz/fuzz_coco_json.c — libFuzzer target: the COCO JSON reader (ground truth objects and
 * results arrays), from memory. */
#include "datasets/coco_json.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    struct cpose_coco c;
    if (cpose_coco_parse("fuzz.json", (const char *)data, size, &c) == CPOSE_OK) cpose_coco_free(&c);
    return 0;
}
