/* datasets/extract.c — archive extraction through libarchive into a temporary folder beside the
 * destination, with every entry name and link target checked before it is written (zip-slip). */
#define _GNU_SOURCE
#include "datasets/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "datasets/dataset.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

int cpose_is_archive_name(const char *name)
{
    static const char *ext[] = {".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tbz"};
    size_t l = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        size_t e = strlen(ext[i]);
        if (l > e && strcasecmp(name + l - e, ext[i]) == 0) return 1;
    }
    return 0;
}

/* A relative path that stays inside its root: not absolute, no ".." component. */
static int path_is_contained(const char *p)
{
    if (!p || !*p || p[0] == '/') return 0;
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == 2 && s[0] == '.' && s[1] == '.') return 0;
        if (!e) break;
        s = e + 1;
    }
    return 1;
}

/* Does a symlink at entry path `entry` with target `target` resolve inside the root? */
static int symlink_is_contained(const char *entry, const char *target)
{
    if (!target || !*target || target[0] == '/') return 0;
    /* walk: depth of the link's folder, then the target's components */
    int depth = 0;
    for (const char *s = entry; *s; s++)
        if (*s == '/' && s[1]) depth++;
    const char *s = target;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0) return 0;
        } else if (l > 0 && !(l == 1 && s[0] == '.')) {
            depth++;
        }
        if (!e) break;
        s = e + 1;
    }
    return 1;
}

static int copy_data(struct archive *ar, struct archive *aw, const char *name)
{
    const void *buf;
    size_t size;
    la_int64_t off;
    for (;;) {
        int r = archive_read_data_block(ar, &buf, &size, &off);
        if (r == ARCHIVE_EOF) return CPOSE_OK;
        if (r < ARCHIVE_WARN)
            return cpose_err(CPOSE_EIO, "entry '%s': %s", name, archive_error_string(ar));
        if (archive_write_data_block(aw, buf, size, off) < ARCHIVE_WARN)
            return cpose_err(CPOSE_EIO, "entry '%s': %s", name, archive_error_string(aw));
    }
}

int cpose_extract(const char *file, const char *dir, long *n_entries)
{
    int rc = CPOSE_OK;
    long count = 0;
    struct archive *ar = archive_read_new(), *aw = archive_write_disk_new();
    char *trimmed = cpose_path_normalize(dir); /* absolute, no "..": entries are written below it */
    char *tmp = cpose_asprintf("%s.extract-%d", trimmed, (int)getpid());
    DIR *d = NULL;
    archive_read_support_format_all(ar);
    archive_read_support_filter_all(ar);
    archive_write_disk_set_options(aw, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                           ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    archive_write_disk_set_standard_lookup(aw);
    if (!cpose_path_is_file(file)) {
        rc = cpose_err(CPOSE_EIO, "archive '%s' does not exist", file);
        goto fail;
    }
    if (archive_read_open_filename(ar, file, 1 << 16) != ARCHIVE_OK) {
        rc = cpose_err(CPOSE_EINVAL, "cannot open archive '%s': %s", file, archive_error_string(ar));
        goto fail;
    }
    cpose_remove_tree(tmp);
    if ((rc = cpose_mkdirs(tmp)) != CPOSE_OK) goto fail;
    struct archive_entry *e;
    for (;;) {
        int r = archive_read_next_header(ar, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
            rc = cpose_err(CPOSE_EINVAL, "archive '%s' is damaged after %ld entries: %s", file, count,
                           archive_error_string(ar));
            goto fail;
        }
        const char *name = archive_entry_pathname(e);
        const char *sl = archive_entry_symlink(e), *hl = archive_entry_hardlink(e);
        char *clean = cpose_strdup(name ? name : "");
        while (strncmp(clean, "./", 2) == 0) memmove(clean, clean + 2, strlen(clean + 2) + 1);
        if (!*clean || strcmp(clean, ".") == 0) { /* the archive's root folder itself */
            cpose_free(clean);
            continue;
        }
        if (!path_is_contained(clean)) {
            rc = cpose_err(CPOSE_EINVAL, "archive '%s': refusing entry '%s' (%s)", file, name,
                           clean[0] == '/' ? "absolute path" : "'..' leaves the destination");
            cpose_free(clean);
            goto fail;
        }
        if (sl && !symlink_is_contained(clean, sl)) {
            rc = cpose_err(CPOSE_EINVAL, "archive '%s': refusing symlink entry '%s' -> '%s' (points outside the destination)",
                           file, name, sl);
            cpose_free(clean);
            goto fail;
        }
        if (hl) {
            char *hclean = cpose_strdup(hl);
            while (strncmp(hclean, "./", 2) == 0) memmove(hclean, hclean + 2, strlen(hclean + 2) + 1);
            int ok = path_is_contained(hclean);
            if (!ok) {
                rc = cpose_err(CPOSE_EINVAL, "archive '%s': refusing hardlink entry '%s' -> '%s' (points outside the destination)",
                               file, name, hl);
                cpose_free(hclean);
                cpose_free(clean);
                goto fail;
            }
            char *full = cpose_asprintf("%s/%s", tmp, hclean);
            archive_entry_set_hardlink(e, full);
            cpose_free(full);
            cpose_free(hclean);
        }
        char *full = cpose_asprintf("%s/%s", tmp, clean);
        archive_entry_set_pathname(e, full);
        cpose_free(full);
        r = archive_write_header(aw, e);
        if (r < ARCHIVE_WARN) {
            rc = cpose_err(CPOSE_EIO, "archive '%s': cannot write entry '%s': %s", file, clean, archive_error_string(aw));
            cpose_free(clean);
            goto fail;
        }
        if (archive_entry_size(e) > 0 && (rc = copy_data(ar, aw, clean)) != CPOSE_OK) {
            cpose_err_context(rc, "archive '%s'", file);
            cpose_free(clean);
            goto fail;
        }
        if (archive_write_finish_entry(aw) < ARCHIVE_WARN) {
            rc = cpose_err(CPOSE_EIO, "archive '%s': entry '%s': %s", file, clean, archive_error_string(aw));
            cpose_free(clean);
            goto fail;
        }
        cpose_free(clean);
        count++;
    }
    /* move the top-level entries into place */
    if ((rc = cpose_mkdirs(trimmed)) != CPOSE_OK) goto fail;
    d = opendir(tmp);
    if (!d) {
        rc = cpose_err(CPOSE_EIO, "cannot read '%s': %s", tmp, strerror(errno));
        goto fail;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *src = cpose_path_join(tmp, de->d_name), *dst = cpose_path_join(trimmed, de->d_name);
        if (access(dst, F_OK) == 0 || cpose_path_is_dir(dst)) {
            cpose_info("extract: replacing %s", dst);
            cpose_remove_tree(dst);
        }
        if (rename(src, dst) != 0) rc = cpose_err(CPOSE_EIO, "cannot move '%s' to '%s': %s", src, dst, strerror(errno));
        cpose_free(src);
        cpose_free(dst);
        if (rc) goto fail;
    }
fail:
    if (d) closedir(d);
    archive_read_free(ar);
    archive_write_free(aw);
    cpose_remove_tree(tmp);
    cpose_free(tmp);
    cpose_free(trimmed);
    if (n_entries) *n_entries = rc ? 0 : count;
    return rc;
}
