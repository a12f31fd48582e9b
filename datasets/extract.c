/* datasets/extract.c — archive extraction through libarchive into a temporary folder beside the
 * destination, with every entry name and link target checked before it is written (zip-slip), special
 * files and dangerous modes neutralised, symlink chains resolved before anything moves, and the result
 * merged into the destination: existing folders are kept and merged into, an existing file is
 * overwritten as `unzip -o` (and Python's extractall) do, with a line saying so; nothing the archive did
 * not bring is removed. */
#define _GNU_SOURCE
#include "datasets/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
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

/* Resolves path as far as it exists (trailing missing components appended lexically) and checks that
 * the result stays below root (both absolute, root resolved). */
static int resolves_inside(const char *path, const char *root)
{
    char buf[PATH_MAX], res[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    char *cut = NULL;
    for (;;) {
        if (realpath(buf, res)) break;
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf) return 0;
        if (cut) *cut = '/';
        *slash = 0;
        cut = slash;
    }
    size_t rl = strlen(root);
    if (strncmp(res, root, rl) != 0 || (res[rl] != 0 && res[rl] != '/')) return 0;
    if (!cut) return 1;
    /* the missing tail: lexically, ".." may not climb above the resolved part's root */
    *cut = '/';
    int depth = 0;
    for (const char *s = res + rl; *s; s++)
        if (*s == '/' && s[1]) depth++;
    for (const char *s = cut + 1; *s;) {
        const char *e = strchr(s, '/');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0) return 0;
        } else if (l && !(l == 1 && s[0] == '.')) depth++;
        if (!e) break;
        s = e + 1;
    }
    return 1;
}

/* Every symlink below tmp, after all entries are written, must resolve inside tmp (a chain such as
 * q -> . and p -> q/.. passes each lexical check alone). Returns the first escaping link or NULL. */
static char *find_escaping_link(const char *tmp, const char *root_real)
{
    DIR *d = opendir(tmp);
    if (!d) return NULL;
    struct dirent *de;
    char *bad = NULL;
    while (!bad && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *p = cpose_path_join(tmp, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0) {
            if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(p, target, sizeof target - 1);
                if (n >= 0) {
                    target[n] = 0;
                    char *full = target[0] == '/' ? cpose_strdup(target) : cpose_asprintf("%s/%s", tmp, target);
                    if (!resolves_inside(full, root_real)) bad = cpose_strdup(p);
                    cpose_free(full);
                }
            } else if (S_ISDIR(st.st_mode)) {
                bad = find_escaping_link(p, root_real);
            }
        }
        cpose_free(p);
    }
    closedir(d);
    return bad;
}

/* Pass 1 (check = 1): finds a conflict that merging src into dst cannot resolve without removing
 * something (a folder where the archive has a file or the reverse); pass 2 (check = 0) moves: new
 * entries are renamed into place, folders merged, existing files overwritten (as unzip -o). */
static int merge_into(const char *src, const char *dst, int check, long *n_over)
{
    DIR *d = opendir(src);
    if (!d) return cpose_err(CPOSE_EIO, "cannot read '%s': %s", src, strerror(errno));
    int rc = CPOSE_OK;
    struct dirent *de;
    while (rc == CPOSE_OK && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *s = cpose_path_join(src, de->d_name), *t = cpose_path_join(dst, de->d_name);
        struct stat ss, ts;
        int have = lstat(t, &ts) == 0;
        lstat(s, &ss);
        int sdir = S_ISDIR(ss.st_mode), tdir = have && S_ISDIR(ts.st_mode);
        if (have && sdir != tdir) {
            rc = cpose_err(CPOSE_EINVAL, "extract: the archive has a %s '%s' where the destination has a %s; nothing "
                           "was changed (move it away and extract again)", sdir ? "folder" : "file", t,
                           tdir ? "folder" : "file");
        } else if (have && sdir) {
            rc = merge_into(s, t, check, n_over);
        } else if (!check) {
            if (have) {
                cpose_info("extract: overwriting %s (an existing file is replaced, as unzip -o does)", t);
                (*n_over)++;
            }
            if (rename(s, t) != 0) rc = cpose_err(CPOSE_EIO, "cannot move '%s' to '%s': %s", s, t, strerror(errno));
        }
        cpose_free(s), cpose_free(t);
    }
    closedir(d);
    return rc;
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
    /* no ARCHIVE_EXTRACT_OWNER (files belong to the user); modes are masked per entry below */
    archive_write_disk_set_options(aw, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                           ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    archive_write_disk_set_standard_lookup(aw);
    if (!cpose_path_is_file(file)) {
        rc = cpose_err(CPOSE_EIO, "archive '%s' does not exist", file);
        goto fail;
    }
    struct stat ast;
    if (stat(file, &ast) == 0 && ast.st_size == 0) {
        rc = cpose_err(CPOSE_EINVAL, "archive '%s' is empty (0 bytes): the download or copy did not finish", file);
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
        /* ARCHIVE_RETRY (a damaged header libarchive could skip past) is damage too: going on would
         * extract a partial archive as if it were whole */
        if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY) {
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
        mode_t type = archive_entry_filetype(e);
        if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && !hl) {
            cpose_warn("extract: '%s': skipping entry '%s' (%s: only files, folders and links are extracted)", file, name,
                       type == AE_IFIFO ? "a FIFO" : type == AE_IFCHR ? "a character device" :
                       type == AE_IFBLK ? "a block device" : type == AE_IFSOCK ? "a socket" : "an unknown type");
            cpose_free(clean);
            continue;
        }
        mode_t perm = archive_entry_perm(e);
        if (type != AE_IFLNK && (perm & (S_ISUID | S_ISGID | S_ISVTX | S_IWOTH))) {
            cpose_warn("extract: '%s': entry '%s' mode %04o: setuid/setgid/sticky bits and world-write removed", file,
                       name, (unsigned)perm);
            archive_entry_set_perm(e, perm & ~(mode_t)(S_ISUID | S_ISGID | S_ISVTX | S_IWOTH));
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
    if (count == 0) {
        rc = cpose_err(CPOSE_EINVAL, "archive '%s' holds no entries (empty or not an archive)", file);
        goto fail;
    }
    {
        char root_real[PATH_MAX];
        if (!realpath(tmp, root_real)) {
            rc = cpose_err(CPOSE_EIO, "cannot resolve '%s': %s", tmp, strerror(errno));
            goto fail;
        }
        char *bad = find_escaping_link(root_real, root_real);
        if (bad) {
            rc = cpose_err(CPOSE_EINVAL, "archive '%s': refusing symlink '%s' (through other links it resolves outside "
                           "the destination); nothing was extracted", file, bad + strlen(root_real) + 1);
            cpose_free(bad);
            goto fail;
        }
    }
    /* an entry that would land on the archive itself */
    {
        char areal[PATH_MAX], dreal[PATH_MAX];
        if ((rc = cpose_mkdirs(trimmed)) != CPOSE_OK) goto fail;
        if (realpath(file, areal) && realpath(trimmed, dreal)) {
            size_t dl = strlen(dreal);
            if (strncmp(areal, dreal, dl) == 0 && areal[dl] == '/') {
                char *inside = cpose_path_join(tmp, areal + dl + 1);
                struct stat st;
                if (lstat(inside, &st) == 0)
                    rc = cpose_err(CPOSE_EINVAL, "archive '%s' holds an entry '%s' that would replace the archive itself; "
                                   "nothing was extracted (extract it into another folder)", file, areal + dl + 1);
                cpose_free(inside);
                if (rc) goto fail;
            }
        }
    }
    /* merge into place: check every conflict first, so a refusal changes nothing */
    long n_over = 0;
    if ((rc = merge_into(tmp, trimmed, 1, &n_over)) != CPOSE_OK) goto fail;
    if ((rc = merge_into(tmp, trimmed, 0, &n_over)) != CPOSE_OK) goto fail;
    if (n_over) cpose_info("extract: %ld existing file%s overwritten", n_over, n_over == 1 ? "" : "s");
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
