/* tests/fuzz/fuzz_archive.c — libFuzzer target: archive extraction (zip, tar.*) into a scratch folder,
 * with every entry check; the folder is removed after each input. */
#include "core/base/fsutil.h"
#include "datasets/extract.h"
#include "tests/fuzz/fuzz_util.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    const char *p = fuzz_file("archive", ".tar", data, size);
    char path[256], dest[300];
    snprintf(path, sizeof path, "%s", p);
    snprintf(dest, sizeof dest, "%s.out", path);
    long n = 0;
    cpose_extract(path, dest, &n);
    cpose_remove_tree(dest);
    unlink(path);
    return 0;
}
