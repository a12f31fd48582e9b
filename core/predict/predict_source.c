/* core/predict/predict_source.c — expands a predict `source=` into image paths as Ultralytics'
 * LoadImagesAndVideos does (file, folder, glob, .txt list), plus http(s) URLs via core/fetch. */
#include "core/predict/predict.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/fetch.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

const char *const cpose_img_formats[] = {"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", NULL};
static const char *const vid_formats[] = {"asf", "avi", "gif", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "ts", "wmv", "webm", NULL};

static int ext_in(const char *path, const char *const *list)
{
    const char *ext = cpose_path_ext(path);
    if (!*ext) return 0;
    for (int i = 0; list[i]; i++)
        if (strcasecmp(ext + 1, list[i]) == 0) return 1;
    return 0;
}

int cpose_is_image_path(const char *path) { return ext_in(path, cpose_img_formats); }

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Path made absolute against the working directory (no symlink resolution, like Path.absolute). */
static char *absolute(const char *p)
{
    if (p[0] == '/') return cpose_strdup(p);
    while (p[0] == '.' && p[1] == '/') p += 2;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return cpose_strdup(p);
    return cpose_path_join(cwd, p);
}

static void push_str(struct cpose_vec *v, char *take_s) { cpose_vec_push(v, &take_s); }

/* Appends a folder's entries with a dot in the name (glob "*.*"), sorted. */
static int add_dir(struct cpose_vec *files, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return cpose_err(CPOSE_EIO, "cannot list folder '%s': %s", dir, strerror(errno));
    struct cpose_vec names = CPOSE_VEC_INIT(char *);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !strchr(e->d_name, '.')) continue;
        push_str(&names, cpose_path_join(dir, e->d_name));
    }
    closedir(d);
    if (names.len) qsort(names.data, names.len, sizeof(char *), str_cmp);
    for (size_t i = 0; i < names.len; i++) cpose_vec_push(files, &CPOSE_VEC_AT(&names, char *, i));
    cpose_vec_free(&names);
    return CPOSE_OK;
}

/* Appends glob(3) matches of pattern to names (unsorted). */
static int glob_into(struct cpose_vec *names, const char *pattern)
{
    glob_t g;
    int grc = glob(pattern, GLOB_NOSORT, NULL, &g);
    if (grc == GLOB_NOMATCH) return CPOSE_OK;
    if (grc != 0) return cpose_err(CPOSE_EIO, "glob '%s' failed", pattern);
    for (size_t i = 0; i < g.gl_pathc; i++) push_str(names, cpose_strdup(g.gl_pathv[i]));
    globfree(&g);
    return CPOSE_OK;
}

/* Python's recursive "**": `rest` is matched in dir and in every non-hidden folder below it. */
static int glob_recursive(struct cpose_vec *names, const char *dir, const char *rest, int depth)
{
    char *pat = cpose_path_join(dir, rest);
    int rc = glob_into(names, pat);
    cpose_free(pat);
    if (rc || depth > 64) return rc;
    DIR *d = opendir(dir);
    if (!d) return CPOSE_OK;
    struct dirent *e;
    while (rc == CPOSE_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *sub = cpose_path_join(dir, e->d_name);
        if (cpose_path_is_dir(sub)) rc = glob_recursive(names, sub, rest, depth + 1);
        cpose_free(sub);
    }
    closedir(d);
    return rc;
}

/* A glob (with Python's recursive "**" folder segments) expanded and sorted. */
static int add_glob(struct cpose_vec *files, const char *pattern)
{
    struct cpose_vec names = CPOSE_VEC_INIT(char *);
    int rc;
    const char *star2 = strstr(pattern, "/**/");
    if (star2) {
        /* the folders before "**" may themselves be a pattern */
        char *head = cpose_strndup(pattern, (size_t)(star2 - pattern));
        struct cpose_vec bases = CPOSE_VEC_INIT(char *);
        rc = strpbrk(head, "*?[") ? glob_into(&bases, head) : (push_str(&bases, cpose_strdup(head)), CPOSE_OK);
        for (size_t i = 0; i < bases.len; i++) {
            char *b = CPOSE_VEC_AT(&bases, char *, i);
            if (rc == CPOSE_OK && cpose_path_is_dir(b)) rc = glob_recursive(&names, b, star2 + 4, 0);
            cpose_free(b);
        }
        cpose_vec_free(&bases);
        cpose_free(head);
    } else rc = glob_into(&names, pattern);
    if (rc == CPOSE_OK && names.len) qsort(names.data, names.len, sizeof(char *), str_cmp);
    for (size_t i = 0; i < names.len; i++) {
        if (rc == CPOSE_OK) cpose_vec_push(files, &CPOSE_VEC_AT(&names, char *, i));
        else cpose_free(CPOSE_VEC_AT(&names, char *, i));
    }
    cpose_vec_free(&names);
    return rc;
}

static int add_url(struct cpose_sources *s, struct cpose_vec *files, const char *url)
{
    if (!s->tmp_dir) {
        char tmpl[] = "/tmp/cpose-predict-XXXXXX";
        const char *tdir = getenv("TMPDIR");
        char *t = tdir && *tdir ? cpose_asprintf("%s/cpose-predict-XXXXXX", tdir) : cpose_strdup(tmpl);
        if (!mkdtemp(t)) {
            int rc = cpose_err(CPOSE_EIO, "cannot create a temporary folder for %s: %s", url, strerror(errno));
            cpose_free(t);
            return rc;
        }
        s->tmp_dir = t;
    }
    char *name = cpose_url_filename(url);
    char *path = cpose_path_join(s->tmp_dir, name);
    /* Two URLs with the same file name get distinct local names. */
    for (int i = 2; cpose_path_is_file(path); i++) {
        cpose_free(path);
        char *n2 = cpose_asprintf("%d_%s", i, name);
        path = cpose_path_join(s->tmp_dir, n2);
        cpose_free(n2);
    }
    cpose_free(name);
    cpose_info("Downloading %s to '%s'...", url, path);
    int rc = cpose_fetch_url(url, path, 30.0);
    if (rc) {
        cpose_free(path);
        return rc;
    }
    push_str(files, path);
    return CPOSE_OK;
}

/* One entry of a source (or of a .txt list whose folder is list_dir). */
static int add_entry(struct cpose_sources *s, struct cpose_vec *files, const char *p, const char *list_dir)
{
    if (cpose_is_url(p)) return add_url(s, files, p);
    char *a = absolute(p);
    int rc = CPOSE_OK;
    if (strchr(a, '*') || strchr(a, '?') || strchr(a, '[')) rc = add_glob(files, a);
    else if (cpose_path_is_dir(a)) rc = add_dir(files, a);
    else if (cpose_path_is_file(a)) push_str(files, cpose_strdup(a));
    else {
        char *alt = list_dir && p[0] != '/' ? cpose_path_join(list_dir, p) : NULL;
        if (alt && cpose_path_is_file(alt)) push_str(files, absolute(alt));
        else if (list_dir)
            rc = cpose_err(CPOSE_EINVAL, "source '%s' (listed in a .txt source) does not exist", p);
        else rc = cpose_err(CPOSE_EINVAL, "source '%s' does not exist", p);
        cpose_free(alt);
    }
    cpose_free(a);
    return rc;
}

static int add_txt_list(struct cpose_sources *s, struct cpose_vec *files, const char *list)
{
    char *text = NULL;
    size_t len = 0;
    int rc = cpose_read_file(list, &text, &len);
    if (rc) return rc;
    struct cpose_vec lines = CPOSE_VEC_INIT(char *);
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t')) line[--l] = 0;
        if (l) push_str(&lines, cpose_strdup(line));
        line = nl ? nl + 1 : NULL;
    }
    cpose_free(text);
    if (lines.len) qsort(lines.data, lines.len, sizeof(char *), str_cmp);
    char *dir = cpose_path_dirname(list);
    for (size_t i = 0; i < lines.len && rc == CPOSE_OK; i++) {
        rc = add_entry(s, files, CPOSE_VEC_AT(&lines, char *, i), dir);
        if (rc) cpose_err_context(rc, "%s", list);
    }
    for (size_t i = 0; i < lines.len; i++) cpose_free(CPOSE_VEC_AT(&lines, char *, i));
    cpose_vec_free(&lines);
    cpose_free(dir);
    return rc;
}

int cpose_sources_open(const char *source, struct cpose_sources *out)
{
    memset(out, 0, sizeof *out);
    if (!source || !*source)
        return cpose_err(CPOSE_EINVAL, "source is empty: give source=<image, folder, glob, .txt list or URL>");
    struct cpose_vec files = CPOSE_VEC_INIT(char *);
    int rc;
    if (!cpose_is_url(source) && strcasecmp(cpose_path_ext(source), ".txt") == 0 && cpose_path_is_file(source))
        rc = add_txt_list(out, &files, source);
    else rc = add_entry(out, &files, source, NULL);
    struct cpose_vec imgs = CPOSE_VEC_INIT(char *);
    size_t n_vid = 0;
    for (size_t i = 0; i < files.len; i++) {
        char *f = CPOSE_VEC_AT(&files, char *, i);
        if (rc == CPOSE_OK && cpose_is_image_path(f)) {
            cpose_vec_push(&imgs, &f);
            continue;
        }
        if (rc == CPOSE_OK && ext_in(f, vid_formats)) {
            if (!n_vid++) cpose_warn("videos are not supported by cpose predict; skipping %s", f);
        }
        cpose_free(f);
    }
    cpose_vec_free(&files);
    if (rc == CPOSE_OK && imgs.len == 0)
        rc = cpose_err(CPOSE_EINVAL, "no images found in source '%s'; supported formats are: "
                                     "bmp, dng, jpeg, jpg, mpo, png, tif, tiff, webp, pfm", source);
    if (rc == CPOSE_OK && n_vid > 1) cpose_warn("skipped %zu video files in source '%s'", n_vid, source);
    out->paths = imgs.data;
    out->n = imgs.len;
    if (rc) cpose_sources_free(out);
    return rc;
}

void cpose_sources_free(struct cpose_sources *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) cpose_free(s->paths[i]);
    cpose_free(s->paths);
    if (s->tmp_dir) cpose_remove_tree(s->tmp_dir);
    cpose_free(s->tmp_dir);
    memset(s, 0, sizeof *s);
}
