/* tests/test_harden_extract.c — hostile archives (issue 11, items 7, 8 and the 0-byte zip message):
 * extraction merges into existing folders and never removes what it did not bring, overwrites an
 * existing file as unzip -o does, refuses a file/folder conflict and an entry named like the archive
 * without changing anything, strips setuid/setgid/world-write, skips device nodes and FIFOs, refuses a
 * symlink chain escaping the destination, and refuses a 0-byte archive. Archives are written here. */
/* cpose-layer: datasets */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "datasets/extract.h"
#include "tests/testlib.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <sys/stat.h>

struct ent {
    const char *path;
    mode_t type, perm;
    const char *data_or_target;
};

static void build(const char *path, const struct ent *e, int n)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open_filename(a, path);
    for (int i = 0; i < n; i++) {
        struct archive_entry *x = archive_entry_new();
        archive_entry_set_pathname(x, e[i].path);
        archive_entry_set_filetype(x, e[i].type);
        archive_entry_set_perm(x, e[i].perm);
        size_t len = e[i].type == AE_IFREG && e[i].data_or_target ? strlen(e[i].data_or_target) : 0;
        if (e[i].type == AE_IFLNK) archive_entry_set_symlink(x, e[i].data_or_target);
        if (e[i].type == AE_IFCHR) archive_entry_set_rdev(x, 0x0103);
        archive_entry_set_size(x, (la_int64_t)len);
        archive_write_header(a, x);
        if (len) archive_write_data(a, e[i].data_or_target, len);
        archive_entry_free(x);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static char *slurp(const char *dir, const char *rel)
{
    char *p = cpose_path_join(dir, rel), *d = NULL;
    size_t n;
    if (cpose_read_file(p, &d, &n) != CPOSE_OK) d = NULL;
    cpose_free(p);
    return d;
}

static int exists(const char *dir, const char *rel)
{
    char *p = cpose_path_join(dir, rel);
    struct stat st;
    int r = lstat(p, &st) == 0;
    cpose_free(p);
    return r;
}

static void put(const char *dir, const char *rel, const char *text)
{
    char *p = cpose_path_join(dir, rel);
    char *parent = cpose_strdup(p);
    *strrchr(parent, '/') = 0;
    cpose_mkdirs(parent);
    cpose_write_file_atomic(p, text, strlen(text));
    cpose_free(p), cpose_free(parent);
}

int main(void)
{
    char *tmp = cpose_strdup(tl_tmpdir("harden-extract"));
    char *dest = cpose_path_join(tmp, "dest"), *arc = cpose_path_join(tmp, "a.tar");
    long n = 0;

    /* merge: an existing images/a.jpg stays; images/b.jpg is overwritten (unzip -o); c.jpg is new */
    put(dest, "images/a.jpg", "mine");
    put(dest, "images/b.jpg", "old");
    struct ent merge[] = {{"images", AE_IFDIR, 0755, NULL}, {"images/b.jpg", AE_IFREG, 0644, "new"},
                          {"images/c.jpg", AE_IFREG, 0644, "c"}};
    build(arc, merge, 3);
    CHECK_MSG(cpose_extract(arc, dest, &n) == CPOSE_OK, "%s", cpose_errmsg());
    char *t = slurp(dest, "images/a.jpg");
    CHECK(t && !strcmp(t, "mine"));
    cpose_free(t);
    t = slurp(dest, "images/b.jpg");
    CHECK(t && !strcmp(t, "new"));
    cpose_free(t);
    CHECK(exists(dest, "images/c.jpg"));

    /* a file where the destination has a folder: refused, nothing changed */
    struct ent conflict[] = {{"z.txt", AE_IFREG, 0644, "z"}, {"images", AE_IFREG, 0644, "a file now"}};
    build(arc, conflict, 2);
    CHECK(cpose_extract(arc, dest, &n) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "nothing was changed");
    CHECK(exists(dest, "images/a.jpg") && !exists(dest, "z.txt"));

    /* an entry named like the archive, extracted beside it: refused, the archive intact */
    char *inner = cpose_path_join(dest, "self.tar");
    struct ent self[] = {{"self.tar", AE_IFREG, 0644, "not the archive"}};
    build(inner, self, 1);
    struct stat before, after;
    stat(inner, &before);
    CHECK(cpose_extract(inner, dest, &n) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "would replace the archive itself");
    CHECK(stat(inner, &after) == 0 && after.st_size == before.st_size);

    /* modes and special files */
    char *d2 = cpose_path_join(tmp, "modes");
    struct ent modes[] = {{"suid", AE_IFREG, 06777, "x"}, {"ww", AE_IFREG, 0666, "w"},
                          {"fifo", AE_IFIFO, 0644, NULL}, {"dev", AE_IFCHR, 0644, NULL}, {"ok", AE_IFREG, 0644, "o"}};
    build(arc, modes, 5);
    CHECK_MSG(cpose_extract(arc, d2, &n) == CPOSE_OK, "%s", cpose_errmsg());
    char *p = cpose_path_join(d2, "suid");
    struct stat st;
    CHECK(stat(p, &st) == 0 && !(st.st_mode & (S_ISUID | S_ISGID | S_IWOTH)));
    cpose_free(p);
    p = cpose_path_join(d2, "ww");
    CHECK(stat(p, &st) == 0 && !(st.st_mode & S_IWOTH));
    cpose_free(p);
    CHECK(!exists(d2, "fifo") && !exists(d2, "dev") && exists(d2, "ok"));

    /* a symlink chain: q -> . and p -> q/.. resolve to the destination's parent */
    char *d3 = cpose_path_join(tmp, "chain");
    struct ent chain[] = {{"q", AE_IFLNK, 0777, "."}, {"p", AE_IFLNK, 0777, "q/.."}, {"f", AE_IFREG, 0644, "f"}};
    build(arc, chain, 3);
    CHECK(cpose_extract(arc, d3, &n) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "refusing symlink 'p'");
    CHECK(!exists(d3, "p") && !exists(d3, "f"));

    /* a 0-byte zip is an error, not "0 entries" */
    char *empty = cpose_path_join(tmp, "empty.zip");
    cpose_write_file_atomic(empty, "", 0);
    CHECK(cpose_extract(empty, d3, &n) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "empty.zip' is empty (0 bytes)");

    cpose_free(inner), cpose_free(d2), cpose_free(d3), cpose_free(empty);
    cpose_free(dest), cpose_free(arc);
    cpose_remove_tree(tmp);
    cpose_free(tmp);
    return tl_finish();
}
