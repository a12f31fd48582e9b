/* tests/test_zip_write.c — the stored ZIP writer (exporters/common/zip_write.c): archives with empty,
 * small, odd-sized and long-named members read back by Python's zipfile (names, contents, CRCs,
 * stored, data at 64-byte-aligned offsets with the "FB" padding field; tests/helpers/zip_check.py),
 * the same with ZIP64 records forced, the temporary file renamed into place only on success (an
 * aborted write leaves the earlier file as it was and no temporary behind), and a folder that does
 * not exist named in the error. */
/* cpose-layer: base */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/common/zip_write.h"
#include "tests/testlib.h"

static uint8_t *pattern(size_t n, int seed)
{
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((seed + 31 * i) % 251);
    return p;
}

struct member { const char *name; size_t size; int seed; };

/* Writes the members to path (zip64 forced or not) and the spec file zip_check.py reads. */
static int write_archive(const char *path, const char *spec, const struct member *m, int n, int zip64)
{
    struct zip_writer z;
    if (zip_open_file(&z, path, realloc, free)) return fprintf(stderr, "%s\n", z.error), -1;
    z.force_zip64 = zip64;
    FILE *f = fopen(spec, "w");
    for (int i = 0; i < n; i++) {
        uint8_t *d = pattern(m[i].size, m[i].seed);
        zip_add(&z, m[i].name, d, m[i].size);
        free(d);
        fprintf(f, "%s\t%zu\t%d\n", m[i].name, m[i].size, m[i].seed);
    }
    fclose(f);
    int rc = zip_close_file(&z);
    if (rc) fprintf(stderr, "%s\n", z.error);
    return rc;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

int main(void)
{
    const char *dir = tl_tmpdir("zipw");
    char path[512], spec[512], cmd[2048], helper[512];
    snprintf(helper, sizeof helper, "%s/tests/helpers/zip_check.py", CPOSE_SOURCE_DIR);
    snprintf(path, sizeof path, "%s/archive.pt", dir);
    snprintf(spec, sizeof spec, "%s/spec.txt", dir);
    char long_name[400];
    memset(long_name, 'n', sizeof long_name - 1), long_name[sizeof long_name - 1] = 0;
    memcpy(long_name, "archive/", 8);
    const struct member m[] = {
        {"archive/data.pkl", 1000, 1}, {"archive/data/0", 0, 2},     {"archive/data/1", 1, 3},
        {"archive/data/2", 63, 4},     {"archive/data/3", 64, 5},    {"archive/data/4", 100003, 6},
        {long_name, 77, 7},            {"archive/version", 2, 8},
    };
    int n = (int)(sizeof m / sizeof *m);
    if (access("/usr/bin/python3", X_OK) != 0) {
        printf("SKIP: /usr/bin/python3 missing (scripts/setup.sh installs it)\n");
        return 77;
    }

    CHECK(write_archive(path, spec, m, n, 0) == 0);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s'", helper, path, spec);
    CHECK_MSG(system(cmd) == 0, "zipfile read-back: %s", cmd);
    CHECK(count_entries(dir) == 2); /* the archive and the spec: no temporary left */

    CHECK(write_archive(path, spec, m, n, 1) == 0);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s' zip64", helper, path, spec);
    CHECK_MSG(system(cmd) == 0, "zipfile read-back with ZIP64: %s", cmd);

    /* an aborted write keeps the earlier archive and leaves nothing else */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long before = ftell(f);
    fclose(f);
    struct zip_writer z;
    CHECK(zip_open_file(&z, path, realloc, free) == 0);
    zip_add(&z, "x/data.pkl", "abc", 3);
    zip_abort_file(&z);
    f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    CHECK(ftell(f) == before);
    fclose(f);
    CHECK(count_entries(dir) == 2);

    /* a folder that does not exist: the error names the path */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/x.pt", dir);
    CHECK(zip_open_file(&z, missing, realloc, free) == -1);
    CHECK_CONTAINS(z.error, missing);
    CHECK_CONTAINS(z.error, "writable");
    zip_abort_file(&z);

    /* misuse: an empty member name */
    zip_init(&z, NULL, NULL, realloc, free);
    CHECK(zip_add(&z, "", "x", 1) == -1 && z.failed && strstr(z.error, "name"));
    zip_free(&z);
    return tl_finish();
}
