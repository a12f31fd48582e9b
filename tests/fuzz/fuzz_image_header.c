/* tests/fuzz/fuzz_image_header.c — libFuzzer target: JPEG/PNG header sizes (with EXIF orientation). */
#include "datasets/imghdr.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int w = 0, h = 0;
    cpose_image_header_size(data, size, &w, &h);
    return 0;
}
