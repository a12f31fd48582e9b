/* datasets/dataset.c — dataset YAML reading (libyaml document API), Ultralytics' path resolution,
 * image listing and the images→labels mapping. */
#define _GNU_SOURCE
#include "datasets/dataset.h"
#include "core/predict/predict.h" /* cpose_is_image_path: the one list of image formats */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/base/yaml_doc.h"

void cpose_strv_free(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) cpose_free(v[i]);
    cpose_free(v);
}

char *cpose_path_normalize(const char *path)
{
    char cwd[4096];
    char *full = path[0] == '/' ? cpose_strdup(path)
                                : cpose_asprintf("%s/%s", getcwd(cwd, sizeof cwd) ? cwd : ".", path);
    size_t len = strlen(full);
    char *out = cpose_malloc(len + 2);
    size_t n = 0;
    const char *s = full;
    while (*s) {
        while (*s == '/') s++;
        if (!*s) break;
        const char *e = strchr(s, '/');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == 1 && s[0] == '.') {
            /* skip */
        } else if (l == 2 && s[0] == '.' && s[1] == '.') {
            while (n > 0 && out[n - 1] != '/') n--;
            if (n > 0) n--;
        } else {
            out[n++] = '/';
            memcpy(out + n, s, l);
            n += l;
        }
        s += l;
    }
    if (n == 0) out[n++] = '/';
    out[n] = 0;
    cpose_free(full);
    return out;
}

char *cpose_datasets_dir(void)
{
    const char *env = getenv("CPOSE_DATASETS_DIR");
    return cpose_path_normalize(env && *env ? env : "datasets");
}

int cpose_split_from_name(const char *name)
{
    if (strcmp(name, "train") == 0) return CPOSE_SPLIT_TRAIN;
    if (strcmp(name, "val") == 0) return CPOSE_SPLIT_VAL;
    if (strcmp(name, "test") == 0) return CPOSE_SPLIT_TEST;
    return -1;
}

int cpose_is_image_ext(const char *path) { return cpose_is_image_path(path); }

char *cpose_img2label_path(const char *img)
{
    const char *p = NULL;
    for (const char *s = strstr(img, "/images/"); s; s = strstr(s + 1, "/images/")) p = s;
    const char *ext = strrchr(img, '.');
    const char *slash = strrchr(img, '/');
    size_t end = (ext && (!slash || ext > slash)) ? (size_t)(ext - img) : strlen(img);
    if (!p) return cpose_asprintf("%.*s.txt", (int)end, img);
    return cpose_asprintf("%.*s/labels/%.*s.txt", (int)(p - img), img, (int)(end - (size_t)(p + 8 - img)), p + 8);
}

void cpose_dataset_free(struct cpose_dataset *d)
{
    if (!d) return;
    cpose_free(d->yaml_path);
    cpose_free(d->path);
    for (int s = 0; s < CPOSE_SPLIT_COUNT; s++) cpose_strv_free(d->splits[s], (size_t)d->n_splits[s]);
    cpose_strv_free(d->names, (size_t)d->nc);
    cpose_free(d->flip_idx);
    cpose_strv_free(d->download, (size_t)d->n_download);
    cpose_strv_free(d->download_dir, (size_t)d->n_download);
    memset(d, 0, sizeof *d);
}

/* --- YAML helpers ------------------------------------------------------------------------- */

struct yctx {
    yaml_document_t *doc;
    const char *file;
};

static int yerr(struct yctx *y, yaml_node_t *n, const char *key, const char *what)
{
    return cpose_err(CPOSE_EINVAL, "%s:%d: key '%s' %s", y->file, cpose_yaml_line(n), key, what);
}

static int yint(struct yctx *y, yaml_node_t *n, const char *key, long *out)
{
    int64_t v;
    if (!cpose_yaml_int(n, &v) || v < LONG_MIN || v > LONG_MAX) return yerr(y, n, key, "must be an integer");
    *out = (long)v;
    return CPOSE_OK;
}

/* Strings of a scalar or a sequence of scalars. */
static int ystrings(struct yctx *y, yaml_node_t *n, const char *key, char ***out, int *count)
{
    *out = NULL;
    *count = 0;
    if (n->type == YAML_SCALAR_NODE) {
        if (!*cpose_yaml_scalar(n) || strcmp(cpose_yaml_scalar(n), "null") == 0 || strcmp(cpose_yaml_scalar(n), "~") == 0) return CPOSE_OK;
        *out = cpose_malloc(sizeof(char *));
        (*out)[0] = cpose_strdup(cpose_yaml_scalar(n));
        *count = 1;
        return CPOSE_OK;
    }
    if (n->type != YAML_SEQUENCE_NODE) return yerr(y, n, key, "must be a path or a list of paths");
    int len = cpose_yaml_seq_len(n);
    *out = cpose_calloc((size_t)len + 1, sizeof(char *));
    for (int i = 0; i < len; i++) {
        yaml_node_t *it = cpose_yaml_seq_at(y->doc, n, i);
        if (!cpose_yaml_scalar(it)) {
            cpose_strv_free(*out, (size_t)i);
            *out = NULL;
            return yerr(y, it, key, "must be a list of strings");
        }
        (*out)[i] = cpose_strdup(cpose_yaml_scalar(it));
        *count = i + 1;
    }
    return CPOSE_OK;
}

static int yint_list(struct yctx *y, yaml_node_t *n, const char *key, int **out, int *count)
{
    if (n->type != YAML_SEQUENCE_NODE) return yerr(y, n, key, "must be a list of integers");
    int len = cpose_yaml_seq_len(n);
    *out = cpose_calloc((size_t)len + 1, sizeof(int));
    *count = len;
    for (int i = 0; i < len; i++) {
        long v = 0;
        int rc = yint(y, cpose_yaml_seq_at(y->doc, n, i), key, &v);
        if (rc) return rc;
        (*out)[i] = (int)v;
    }
    return CPOSE_OK;
}

static int parse_names(struct yctx *y, yaml_node_t *n, struct cpose_dataset *d)
{
    if (n->type == YAML_SEQUENCE_NODE) {
        int len = cpose_yaml_seq_len(n);
        d->names = cpose_calloc((size_t)len + 1, sizeof(char *));
        for (int i = 0; i < len; i++) {
            const char *s = cpose_yaml_scalar(cpose_yaml_seq_at(y->doc, n, i));
            if (!s) return yerr(y, n, "names", "must list strings");
            d->names[i] = cpose_strdup(s);
            d->nc = i + 1;
        }
        return CPOSE_OK;
    }
    if (n->type != YAML_MAPPING_NODE) return yerr(y, n, "names", "must be a list or an {id: name} map");
    long max_id = -1;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        long id = 0;
        int rc = yint(y, yaml_document_get_node(y->doc, p->key), "names", &id);
        if (rc) return rc;
        if (id < 0 || id > 100000) return yerr(y, n, "names", "has a class id outside 0..100000");
        if (id > max_id) max_id = id;
    }
    d->nc = (int)(max_id + 1);
    d->names = cpose_calloc((size_t)d->nc + 1, sizeof(char *));
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        long id = 0;
        yint(y, yaml_document_get_node(y->doc, p->key), "names", &id);
        const char *s = cpose_yaml_scalar(yaml_document_get_node(y->doc, p->value));
        if (!s) return yerr(y, n, "names", "values must be strings");
        cpose_free(d->names[id]);
        d->names[id] = cpose_strdup(s);
    }
    for (int i = 0; i < d->nc; i++)
        if (!d->names[i]) d->names[i] = cpose_asprintf("class_%d", i);
    return CPOSE_OK;
}

static int url_like(const char *u)
{
    static const char *schemes[] = {"http://", "https://", "ftp://", "file://", "synth:"};
    if (strchr(u, '\n')) return 0;
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
        if (strncmp(u, schemes[i], strlen(schemes[i])) == 0) return 1;
    return 0;
}

/* download: a URL, a list of URLs, or list items {url: U, dir: D} (D relative to the root). */
static int parse_download(struct yctx *y, yaml_node_t *n, struct cpose_dataset *d, const char *parent_dir)
{
    int len = n->type == YAML_SEQUENCE_NODE ? (int)(n->data.sequence.items.top - n->data.sequence.items.start) : 1;
    if (n->type == YAML_MAPPING_NODE) return yerr(y, n, "download", "must be a URL or a list of URLs");
    d->download = cpose_calloc((size_t)len + 1, sizeof(char *));
    d->download_dir = cpose_calloc((size_t)len + 1, sizeof(char *));
    for (int i = 0; i < len; i++) {
        yaml_node_t *it = n->type == YAML_SEQUENCE_NODE ? cpose_yaml_seq_at(y->doc, n, i) : n;
        const char *url = cpose_yaml_scalar(it), *dir = NULL;
        if (it->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = it->data.mapping.pairs.start; p < it->data.mapping.pairs.top; p++) {
                const char *k = cpose_yaml_scalar(yaml_document_get_node(y->doc, p->key));
                const char *v = cpose_yaml_scalar(yaml_document_get_node(y->doc, p->value));
                if (k && v && strcmp(k, "url") == 0) url = v;
                else if (k && v && strcmp(k, "dir") == 0) dir = v;
                else return yerr(y, it, "download", "items take only 'url' and 'dir'");
            }
        }
        if (!url || !*url) return yerr(y, it, "download", "must be a URL or a list of URLs");
        if (!url_like(url)) {
            cpose_warn("%s:%d: download: entry is not a URL (Ultralytics' Python download scripts are not run by "
                       "cpose); ignored",
                       y->file, cpose_yaml_line(it));
            continue;
        }
        int k = d->n_download;
        d->download[k] = cpose_strdup(url);
        if (!dir) {
            d->download_dir[k] = cpose_strdup(parent_dir);
        } else {
            char *tmp = dir[0] == '/' ? cpose_strdup(dir) : cpose_asprintf("%s/%s", d->path, dir);
            d->download_dir[k] = cpose_path_normalize(tmp);
            cpose_free(tmp);
        }
        d->n_download = k + 1;
    }
    return CPOSE_OK;
}

static int path_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

int cpose_dataset_load(const char *yaml, struct cpose_dataset *out)
{
    memset(out, 0, sizeof *out);
    char *file = cpose_find_bundled(yaml);
    if (!file) return cpose_err(CPOSE_EIO, "dataset YAML '%s' not found (not a file, nor a bundled dataset name)", yaml);
    FILE *fp = fopen(file, "rb");
    if (!fp) {
        int e = errno;
        cpose_free(file);
        return cpose_err(CPOSE_EIO, "cannot open dataset YAML '%s': %s", yaml, strerror(e));
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = CPOSE_OK, have_doc = 0;
    yaml_node_t *kn[16] = {0};
    enum { K_PATH, K_TRAIN, K_VAL, K_TEST, K_NC, K_NAMES, K_KPT, K_FLIP, K_DOWNLOAD, K_MINIVAL, K_N };
    static const char *keys[K_N] = {"path", "train", "val", "test", "nc", "names", "kpt_shape", "flip_idx",
                                    "download", "minival"};
    struct yctx y = {&doc, file};
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, fp);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = cpose_err(CPOSE_EINVAL, "%s:%d:%d: YAML syntax error: %s", file, (int)parser.problem_mark.line + 1,
                       (int)parser.problem_mark.column + 1, parser.problem ? parser.problem : "unknown");
        goto fail;
    }
    have_doc = 1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        rc = cpose_err(CPOSE_EINVAL, "%s: a dataset YAML must be a mapping (path:, train:, val:, names: ...)", file);
        goto fail;
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&doc, p->key);
        const char *ks = cpose_yaml_scalar(k);
        int found = -1;
        if (ks && strcmp(ks, "validation") == 0) {
            cpose_warn("%s: renaming data YAML 'validation' key to 'val' to match YOLO format.", file);
            ks = "val";
        }
        for (int i = 0; ks && i < K_N; i++)
            if (strcmp(ks, keys[i]) == 0) found = i;
        if (found < 0) {
            rc = cpose_err(CPOSE_EINVAL,
                           "%s:%d: unknown key '%s' (known: path, train, val, test, nc, names, kpt_shape, flip_idx, download)",
                           file, cpose_yaml_line(k), ks ? ks : "?");
            goto fail;
        }
        kn[found] = yaml_document_get_node(&doc, p->value);
    }
    for (int i = K_TRAIN; i <= K_VAL; i++)
        if (!kn[i]) {
            rc = cpose_err(CPOSE_EINVAL, "%s: '%s:' key missing; 'train' and 'val' are required in all data YAMLs", file,
                           keys[i]);
            goto fail;
        }
    if (!kn[K_NAMES] && !kn[K_NC]) {
        rc = cpose_err(CPOSE_EINVAL, "%s: key missing: either 'names' or 'nc' is required in all data YAMLs", file);
        goto fail;
    }
    if (kn[K_NAMES] && (rc = parse_names(&y, kn[K_NAMES], out)) != CPOSE_OK) goto fail;
    if (kn[K_NC]) {
        long nc;
        if ((rc = yint(&y, kn[K_NC], "nc", &nc)) != CPOSE_OK) goto fail;
        if (kn[K_NAMES] && nc != out->nc) {
            rc = cpose_err(CPOSE_EINVAL, "%s:%d: 'names' length %d and 'nc: %ld' must match", file, cpose_yaml_line(kn[K_NC]),
                           out->nc, nc);
            goto fail;
        }
        if (!kn[K_NAMES]) {
            if (nc < 0 || nc > 100000) {
                rc = yerr(&y, kn[K_NC], "nc", "must be between 0 and 100000");
                goto fail;
            }
            out->nc = (int)nc;
            out->names = cpose_calloc((size_t)nc + 1, sizeof(char *));
            for (int i = 0; i < nc; i++) out->names[i] = cpose_asprintf("class_%d", i);
        }
    }
    if (kn[K_KPT]) {
        int *ks = NULL, nks = 0;
        rc = yint_list(&y, kn[K_KPT], "kpt_shape", &ks, &nks);
        if (rc == CPOSE_OK && (nks != 2 || ks[0] <= 0 || (ks[1] != 2 && ks[1] != 3)))
            rc = yerr(&y, kn[K_KPT], "kpt_shape", "must be [K, 2] or [K, 3] with K > 0");
        if (rc == CPOSE_OK) {
            out->kpt_shape[0] = ks[0];
            out->kpt_shape[1] = ks[1];
        }
        cpose_free(ks);
        if (rc) goto fail;
    }
    if (kn[K_FLIP]) {
        if ((rc = yint_list(&y, kn[K_FLIP], "flip_idx", &out->flip_idx, &out->n_flip_idx)) != CPOSE_OK) goto fail;
        int K = out->kpt_shape[0];
        if (!K) {
            rc = yerr(&y, kn[K_FLIP], "flip_idx", "is given without kpt_shape");
            goto fail;
        }
        if (out->n_flip_idx != K) {
            rc = cpose_err(CPOSE_EINVAL, "%s:%d: flip_idx has %d entries but kpt_shape[0] is %d", file,
                           cpose_yaml_line(kn[K_FLIP]), out->n_flip_idx, K);
            goto fail;
        }
        char *seen = cpose_calloc((size_t)K, 1);
        for (int i = 0; i < K && rc == CPOSE_OK; i++) {
            int v = out->flip_idx[i];
            if (v < 0 || v >= K || seen[v])
                rc = cpose_err(CPOSE_EINVAL, "%s:%d: flip_idx is not a permutation of 0..%d (entry %d is %d)", file,
                               cpose_yaml_line(kn[K_FLIP]), K - 1, i, v);
            else seen[v] = 1;
        }
        cpose_free(seen);
        if (rc) goto fail;
    }

    /* root: 'path', else the YAML's folder; relative roots live under DATASETS_DIR */
    char *abs_yaml = cpose_path_normalize(file);
    out->yaml_path = abs_yaml;
    const char *pv = kn[K_PATH] ? cpose_yaml_scalar(kn[K_PATH]) : NULL;
    if (kn[K_PATH] && !pv) {
        rc = yerr(&y, kn[K_PATH], "path", "must be a folder path");
        goto fail;
    }
    char *rootdir = pv && *pv ? cpose_strdup(pv) : cpose_path_dirname(abs_yaml);
    if (rootdir[0] != '/') {
        char *dd = cpose_datasets_dir();
        char *j = cpose_asprintf("%s/%s", dd, rootdir);
        cpose_free(rootdir);
        rootdir = j;
        cpose_free(dd);
    }
    out->path = cpose_path_normalize(rootdir);
    cpose_free(rootdir);

    static const int split_key[CPOSE_SPLIT_COUNT] = {K_TRAIN, K_VAL, K_TEST};
    for (int s = 0; s < CPOSE_SPLIT_COUNT; s++) {
        yaml_node_t *n = kn[split_key[s]];
        if (!n) continue;
        char **v = NULL;
        int nv = 0;
        if ((rc = ystrings(&y, n, keys[split_key[s]], &v, &nv)) != CPOSE_OK) goto fail;
        for (int i = 0; i < nv; i++) {
            char *j = v[i][0] == '/' ? cpose_strdup(v[i]) : cpose_asprintf("%s/%s", out->path, v[i]);
            char *x = cpose_path_normalize(j);
            cpose_free(j);
            if (!path_exists(x) && strncmp(v[i], "../", 3) == 0) {
                char *j2 = cpose_asprintf("%s/%s", out->path, v[i] + 3);
                char *x2 = cpose_path_normalize(j2);
                cpose_free(j2);
                if (path_exists(x2)) {
                    cpose_free(x);
                    x = x2;
                } else {
                    cpose_free(x2);
                }
            }
            cpose_free(v[i]);
            v[i] = x;
        }
        out->splits[s] = v;
        out->n_splits[s] = nv;
        if (nv == 0 && s != CPOSE_SPLIT_TEST) {
            rc = yerr(&y, n, keys[split_key[s]], "is empty; 'train' and 'val' are required in all data YAMLs");
            goto fail;
        }
    }
    if (kn[K_DOWNLOAD]) {
        char *parent = cpose_path_dirname(out->path);
        rc = parse_download(&y, kn[K_DOWNLOAD], out, parent);
        cpose_free(parent);
        if (rc) goto fail;
    }
fail:
    if (have_doc) yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(fp);
    cpose_free(file);
    if (rc) cpose_dataset_free(out);
    return rc;
}

/* --- image listing -------------------------------------------------------------------------- */

struct strvec {
    char **v;
    size_t n, cap;
};

static void sv_push(struct strvec *s, char *take)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = cpose_realloc(s->v, s->cap * sizeof(char *));
    }
    s->v[s->n++] = take;
}

static void walk_dir(const char *dir, struct strvec *out)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
        char *p = cpose_path_join(dir, e->d_name);
        int is_dir = e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && cpose_path_is_dir(p));
        if (is_dir) {
            walk_dir(p, out);
            cpose_free(p);
        } else if (cpose_is_image_ext(p)) {
            sv_push(out, p);
        } else {
            cpose_free(p);
        }
    }
    closedir(d);
}

static int cmp_strp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int cpose_list_images(const char *const *entries, int n_entries, char ***files, size_t *n)
{
    struct strvec out = {0};
    *files = NULL;
    *n = 0;
    for (int i = 0; i < n_entries; i++) {
        const char *p = entries[i];
        if (cpose_path_is_dir(p)) {
            walk_dir(p, &out);
        } else if (cpose_path_is_file(p)) {
            char *text = NULL;
            size_t len = 0;
            int rc = cpose_read_file(p, &text, &len);
            if (rc) {
                cpose_strv_free(out.v, out.n);
                return rc;
            }
            char *parent = cpose_path_dirname(p);
            for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
                while (*line == ' ' || *line == '\t') line++;
                size_t l = strlen(line);
                while (l && (line[l - 1] == ' ' || line[l - 1] == '\t')) line[--l] = 0;
                if (!l) continue;
                char *full = strncmp(line, "./", 2) == 0 ? cpose_asprintf("%s/%s", parent, line + 2)
                                                         : cpose_strdup(line);
                if (cpose_is_image_ext(full)) sv_push(&out, full);
                else cpose_free(full);
            }
            cpose_free(parent);
            cpose_free(text);
        } else {
            cpose_strv_free(out.v, out.n);
            return cpose_err(CPOSE_EIO, "%s does not exist", p);
        }
    }
    if (out.n == 0) {
        cpose_strv_free(out.v, out.n);
        return cpose_err(CPOSE_EINVAL, "no images found in %s%s", n_entries ? entries[0] : "(no path)",
                         n_entries > 1 ? " ..." : "");
    }
    qsort(out.v, out.n, sizeof(char *), cmp_strp);
    *files = out.v;
    *n = out.n;
    return CPOSE_OK;
}

int cpose_dataset_images(const struct cpose_dataset *d, enum cpose_split split, char ***files, size_t *n)
{
    static const char *names[] = {"train", "val", "test"};
    if (d->n_splits[split] == 0) {
        *files = NULL;
        *n = 0;
        return cpose_err(CPOSE_EINVAL, "%s: the dataset has no '%s' split", d->yaml_path, names[split]);
    }
    int rc = cpose_list_images((const char *const *)d->splits[split], d->n_splits[split], files, n);
    if (rc) return cpose_err_context(rc, "%s split '%s'", d->yaml_path, names[split]);
    return CPOSE_OK;
}
