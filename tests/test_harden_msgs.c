/* tests/test_harden_msgs.c — error messages longer than the store (issue 11, messages): the reason at
 * the end survives a 10 KB path and repeated context prefixes; what was cut is said. */
/* cpose-layer: base */
#include "core/base/status.h"
#include "tests/testlib.h"

#include <string.h>

int main(void)
{
    static char path[10001];
    memset(path, 'p', sizeof path - 1);
    cpose_err(CPOSE_EINVAL, "cannot open '%s': the real reason", path);
    const char *m = cpose_errmsg();
    CHECK(strlen(m) < 4096);
    CHECK(strncmp(m, "cannot open 'ppp", 16) == 0);
    CHECK_CONTAINS(m, "bytes cut");
    CHECK(strlen(m) > 18 && strcmp(m + strlen(m) - 18, "': the real reason") == 0);
    for (int i = 0; i < 40; i++) cpose_err_context(CPOSE_EINVAL, "context %d with a long prefix %.200s", i, path);
    m = cpose_errmsg();
    CHECK_CONTAINS(m, "context 39 with");
    CHECK_CONTAINS(m, "the real reason");
    /* a short message is stored unchanged */
    cpose_err(CPOSE_EIO, "short %d", 7);
    CHECK(strcmp(cpose_errmsg(), "short 7") == 0);
    cpose_err(CPOSE_EIO, "again: %s", cpose_errmsg());
    CHECK(strcmp(cpose_errmsg(), "again: short 7") == 0);
    return tl_finish();
}
