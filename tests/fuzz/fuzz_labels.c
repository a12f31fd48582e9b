/* tests/fuzz/fuzz_labels.c — libFuzzer target: YOLO pose label text (17 keypoints x 3, then boxes). */
#include "core/base/alloc.h"
#include "datasets/labels.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    char *text = cpose_strndup((const char *)data, size);
    float *rows = NULL;
    int n = 0, dup = 0;
    if (cpose_labels_parse(text, 80, 17, 3, &rows, &n, &dup) == CPOSE_OK) cpose_free(rows);
    if (cpose_labels_parse(text, 1, 0, 3, &rows, &n, &dup) == CPOSE_OK) cpose_free(rows);
    cpose_free(text);
    return 0;
}
