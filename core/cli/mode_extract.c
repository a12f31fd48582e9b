/* core/cli/mode_extract.c — the `cpose extract file=ARCHIVE dir=DEST` mode. */
#include "core/cli/cli.h"
#include "datasets/extract.h"
#include "core/base/fsutil.h"
#include "core/base/alloc.h"
#include "core/base/log.h"

int cpose_mode_extract(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("extract", argc, argv, &a)) return 2;
    const char *file = cpose_args_str(&a, "file");
    if (!*file) {
        cpose_err(CPOSE_EINVAL, "file= is required (a .zip, .tar, .tar.gz, .tar.xz or .tar.bz2 archive)");
        cpose_args_free(&a);
        return cpose_cli_fail("extract");
    }
    char *dir = *cpose_args_str(&a, "dir") ? cpose_strdup(cpose_args_str(&a, "dir")) : cpose_path_dirname(file);
    long n = 0;
    int rc = cpose_extract(file, dir, &n);
    if (rc == CPOSE_OK) cpose_info("extract: %ld entries from %s into %s", n, file, dir);
    cpose_free(dir);
    cpose_args_free(&a);
    return rc ? cpose_cli_fail("extract") : 0;
}
