/* tests/test_extract.c — extraction of archives built here with libarchive's writer (zip, tar,
 * tar.gz, tar.xz, tar.bz2) and refusal of zip-slip entries (absolute, "..", escaping links), which
 * must leave the destination untouched. */
/* cpose-layer: datasets */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "datasets/extract.h"
#include "core/base/fsutil.h"
#include "tests/testlib.h"

struct ent {
    const char *name;
    const char *data;   /* file content, or NULL for a folder */
    const char *symlink, *hardlink;
};

static void build(const char *path, int format, int filter, const struct ent *ents, int n)
{
    struct archive *a = archive_write_new();
    if (format == 0) archive_write_set_format_zip(a);
    else archive_write_set_format_pax_restricted(a);
    if (filter == 1) archive_write_add_filter_gzip(a);
    else if (filter == 2) archive_write_add_filter_xz(a);
    else if (filter == 3) archive_write_add_filter_bzip2(a);
    CHECK(archive_write_open_filename(a, path) == ARCHIVE_OK);
    for (int i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, ents[i].name);
        archive_entry_set_mtime(e, 1700000000, 0);
        if (ents[i].symlink) {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_perm(e, 0777);
            archive_entry_set_symlink(e, ents[i].symlink);
        } else if (ents[i].hardlink) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_hardlink(e, ents[i].hardlink);
        } else if (ents[i].data) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, (la_int64_t)strlen(ents[i].data));
        } else {
            archive_entry_set_filetype(e, AE_IFDIR);
            archive_entry_set_perm(e, 0755);
        }
        archive_write_header(a, e);
        if (ents[i].data && !ents[i].symlink && !ents[i].hardlink) archive_write_data(a, ents[i].data, strlen(ents[i].data));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void check_file(const char *dir, const char *rel, const char *text)
{
    char *p = cpose_path_join(dir, rel), *got = NULL;
    size_t n = 0;
    CHECK_MSG(cpose_read_file(p, &got, &n) == CPOSE_OK && got && strcmp(got, text) == 0, "%s", p);
    cpose_free(got);
    cpose_free(p);
}

int main(void)
{
    const char *tmp = tl_tmpdir("extract");
    const struct ent good[] = {
        {"ds/", NULL, NULL, NULL},
        {"ds/images/", NULL, NULL, NULL},
        {"ds/images/a.txt", "alpha", NULL, NULL},
        {"./ds/labels/b.txt", "bravo", NULL, NULL},
        {"ds/link", NULL, "images/a.txt", NULL},
        {"ds/up", NULL, "../ds/images", NULL},
        {"top.txt", "top", NULL, NULL},
    };
    static const char *suffix[5] = {"zip", "tar", "tar.gz", "tar.xz", "tar.bz2"};
    for (int k = 0; k < 5; k++) {
        char *arc = cpose_asprintf("%s/good.%s", tmp, suffix[k]);
        char *dest = cpose_asprintf("%s/out-%d", tmp, k);
        build(arc, k == 0 ? 0 : 1, k <= 1 ? 0 : k - 1, good, 7);
        CHECK(cpose_is_archive_name(arc));
        long n = 0;
        CHECK_MSG(cpose_extract(arc, dest, &n) == CPOSE_OK, "%s: %s", suffix[k], cpose_errmsg());
        CHECK(n == 7);
        check_file(dest, "ds/images/a.txt", "alpha");
        check_file(dest, "ds/labels/b.txt", "bravo");
        check_file(dest, "ds/link", "alpha");
        check_file(dest, "ds/up/a.txt", "alpha");
        check_file(dest, "top.txt", "top");
        CHECK(count_entries(dest) == 2);
        /* extracting again replaces the entries */
        CHECK(cpose_extract(arc, dest, &n) == CPOSE_OK && count_entries(dest) == 2);
        cpose_free(arc);
        cpose_free(dest);
    }
    /* no temporary folder is left beside the destinations */
    CHECK(count_entries(tmp) == 10);

    struct {
        struct ent e;
        const char *needle;
    } evil[] = {
        {{"../evil.txt", "x", NULL, NULL}, "refusing entry '../evil.txt'"},
        {{"/tmp/cpose-abs-evil.txt", "x", NULL, NULL}, "refusing entry '/tmp/cpose-abs-evil.txt' (absolute path)"},
        {{"a/../../evil.txt", "x", NULL, NULL}, "refusing entry 'a/../../evil.txt'"},
        {{"a/link", NULL, "../../outside", NULL}, "refusing symlink entry 'a/link' -> '../../outside'"},
        {{"abs_link", NULL, "/etc/passwd", NULL}, "refusing symlink entry 'abs_link' -> '/etc/passwd'"},
        {{"hl", NULL, NULL, "../outside.txt"}, "refusing hardlink entry 'hl' -> '../outside.txt'"},
    };
    for (size_t k = 0; k < sizeof evil / sizeof *evil; k++) {
        for (int fmt = evil[k].e.hardlink ? 1 : 0; fmt < 2; fmt++) { /* zip has no hardlinks */
            char *arc = cpose_asprintf("%s/evil%zu.%s", tmp, k, fmt ? "tar.gz" : "zip");
            char *dest = cpose_asprintf("%s/evil-dest", tmp);
            struct ent ents[3] = {{"ok/", NULL, NULL, NULL}, {"ok/first.txt", "first", NULL, NULL}, evil[k].e};
            build(arc, fmt, fmt ? 1 : 0, ents, 3);
            long n = 0;
            int rc = cpose_extract(arc, dest, &n);
            CHECK_MSG(rc == CPOSE_EINVAL, "%s accepted", arc);
            CHECK_CONTAINS(cpose_errmsg(), evil[k].needle);
            CHECK_CONTAINS(cpose_errmsg(), arc);
            CHECK(count_entries(dest) <= 0); /* nothing reached the destination, not even ok/first.txt */
            CHECK(!cpose_path_is_file("/tmp/cpose-abs-evil.txt"));
            cpose_free(arc);
            cpose_free(dest);
        }
    }
    char *bad = cpose_asprintf("%s/notes.zip", tmp);
    cpose_write_file_atomic(bad, "not an archive", 14);
    long n;
    CHECK(cpose_extract(bad, tmp, &n) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "notes.zip");
    CHECK(cpose_extract("/nonexistent.zip", tmp, &n) == CPOSE_EIO);
    cpose_free(bad);
    return tl_finish();
}
