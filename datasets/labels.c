/* datasets/labels.c — label parsing and image/label verification (Ultralytics' verify_image_label
 * rules), run in parallel over images, with the scan summary and the label cache. */
#define _GNU_SOURCE
#include "datasets/labels.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "datasets/dataset.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "datasets/imghdr.h"
#include "core/base/log.h"

void cpose_labels_free(struct cpose_label_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_items; i++) {
        cpose_free(s->items[i].im_file);
        cpose_free(s->items[i].cls_box);
        cpose_free(s->items[i].kpts);
    }
    cpose_free(s->items);
    cpose_strv_free(s->msgs, s->n_msgs);
    memset(s, 0, sizeof *s);
}

int cpose_labels_parse(const char *text, int nc, int K, int ndim, float **rows_out, int *n_out, int *n_dup)
{
    int cols = 5 + K * ndim;
    size_t cap = 16;
    float *rows = cpose_malloc(cap * (size_t)cols * sizeof(float));
    int n = 0, line_no = 0, rc = CPOSE_OK;
    const char *s = text;
    *rows_out = NULL;
    *n_out = 0;
    *n_dup = 0;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        line_no++;
        char *line = cpose_strndup(s, len);
        s += len + (e ? 1 : 0);
        int nt = 0;
        char *save = NULL;
        if ((size_t)n == cap) {
            cap *= 2;
            rows = cpose_realloc(rows, cap * (size_t)cols * sizeof(float));
        }
        float *r = rows + (size_t)n * cols;
        for (char *tok = strtok_r(line, " \t\r\v\f", &save); tok; tok = strtok_r(NULL, " \t\r\v\f", &save)) {
            char *end;
            double v = strtod(tok, &end);
            if (end == tok || *end) {
                rc = cpose_err(CPOSE_EINVAL, "line %d: could not convert string to float: '%s'", line_no, tok);
                break;
            }
            if (nt < cols) r[nt] = (float)v;
            nt++;
        }
        cpose_free(line);
        if (rc) goto fail;
        if (nt == 0) continue; /* blank line */
        if (nt != cols) {
            rc = K ? cpose_err(CPOSE_EINVAL, "line %d: labels require %d columns each (5 + %d keypoints × %d), found %d",
                               line_no, cols, K, ndim, nt)
                   : cpose_err(CPOSE_EINVAL, "line %d: labels require 5 columns, %d columns detected", line_no, nt);
            goto fail;
        }
        for (int j = 0; j < cols; j++)
            if (!(r[j] >= 0)) {
                rc = cpose_err(CPOSE_EINVAL, "line %d: negative label values [%g] (column %d)", line_no, r[j], j + 1);
                goto fail;
            }
        if (K) {
            for (int k = 0; k < K; k++)
                for (int d = 0; d < 2; d++)
                    if (r[5 + k * ndim + d] > 1) {
                        rc = cpose_err(CPOSE_EINVAL,
                                       "line %d: non-normalized or out of bounds coordinates [%g] (keypoint %d %c)",
                                       line_no, r[5 + k * ndim + d], k, d ? 'y' : 'x');
                        goto fail;
                    }
        } else {
            for (int j = 1; j < 5; j++)
                if (r[j] > 1) {
                    rc = cpose_err(CPOSE_EINVAL, "line %d: non-normalized or out of bounds coordinates [%g] (column %d)",
                                   line_no, r[j], j + 1);
                    goto fail;
                }
        }
        if (r[0] >= nc || r[0] != floorf(r[0])) {
            rc = cpose_err(CPOSE_EINVAL, "line %d: label class %g exceeds dataset class count %d. Possible class labels are 0-%d",
                           line_no, r[0], nc, nc - 1);
            goto fail;
        }
        /* duplicate rows are dropped (first kept) */
        int dup = 0;
        for (int i = 0; i < n && !dup; i++) {
            const float *q = rows + (size_t)i * cols;
            int same = 1;
            for (int j = 0; j < cols && same; j++) same = q[j] == r[j];
            dup = same;
        }
        if (dup) (*n_dup)++;
        else n++;
    }
    *rows_out = rows;
    *n_out = n;
    return CPOSE_OK;
fail:
    cpose_free(rows);
    return rc;
}

/* --- verification of one image/label pair ------------------------------------------------------ */

struct verify_result {
    int ok;               /* image usable (even without labels) */
    int nf, nm, ne, nc;
    struct cpose_label_item item;
    char *msg;            /* warning or NULL */
};

static void verify_one(const char *im_file, const struct cpose_scan_opts *o, struct verify_result *res)
{
    memset(res, 0, sizeof *res);
    char *lb_file = cpose_img2label_path(im_file);
    int w = 0, h = 0;
    const char *ext = cpose_path_ext(im_file);
    char *data = NULL;
    size_t len = 0;
    struct cpose_image im = {0};
    if (cpose_read_file(im_file, &data, &len) != CPOSE_OK) {
        res->nc = 1;
        res->msg = cpose_asprintf("%s: ignoring corrupt image/label: %s", im_file, cpose_errmsg());
        goto done;
    }
    if ((strcasecmp(ext, ".jpg") == 0 || strcasecmp(ext, ".jpeg") == 0) &&
        (len < 2 || (unsigned char)data[len - 2] != 0xFF || (unsigned char)data[len - 1] != 0xD9)) {
        cpose_free(data);
        res->nc = 1;
        res->msg = cpose_asprintf("%s: ignoring corrupt image/label: truncated JPEG (no FFD9 end marker)", im_file);
        goto done;
    }
    /* sizes from the header (JPEG/PNG) as Ultralytics reads them with PIL; other formats are decoded */
    int drc = len ? cpose_image_header_size((const uint8_t *)data, len, &w, &h) : cpose_err(CPOSE_EINVAL, "empty file");
    if (drc == CPOSE_ENOTSUP) {
        drc = cpose_image_decode(data, len, &im);
        w = im.w;
        h = im.h;
        cpose_image_free(&im);
    }
    cpose_free(data);
    if (drc != CPOSE_OK) {
        res->nc = 1;
        res->msg = cpose_asprintf("%s: ignoring corrupt image/label: unreadable image (%s)", im_file, cpose_errmsg());
        goto done;
    }
    if (w < 10 || h < 10) {
        res->nc = 1;
        res->msg = cpose_asprintf("%s: ignoring corrupt image/label: image size (%d, %d) <10 pixels", im_file, h, w);
        goto done;
    }
    res->item.w = w;
    res->item.h = h;
    int K = o->K, ndim = o->ndim, cols = 5 + K * ndim;
    float *rows = NULL;
    int n = 0, ndup = 0;
    if (cpose_path_is_file(lb_file)) {
        res->nf = 1;
        char *text = NULL;
        size_t len = 0;
        if (cpose_read_file(lb_file, &text, &len) != CPOSE_OK ||
            cpose_labels_parse(text, o->nc, K, ndim, &rows, &n, &ndup) != CPOSE_OK) {
            res->nf = 0;
            res->nc = 1;
            res->msg = cpose_asprintf("%s: ignoring corrupt image/label: %s %s", im_file, lb_file, cpose_errmsg());
            cpose_free(text);
            goto done;
        }
        cpose_free(text);
        if (n == 0) res->ne = 1;
        if (ndup) res->msg = cpose_asprintf("%s: %d duplicate labels removed", im_file, ndup);
    } else {
        res->nm = 1;
    }
    res->ok = 1;
    res->item.n = n;
    res->item.cls_box = cpose_malloc(((size_t)n * 5 + 1) * sizeof(float));
    res->item.kpts = cpose_malloc(((size_t)n * K * 3 + 1) * sizeof(float));
    for (int i = 0; i < n; i++) {
        const float *r = rows + (size_t)i * cols;
        memcpy(res->item.cls_box + 5 * i, r, 5 * sizeof(float));
        for (int k = 0; k < K; k++) {
            float *kp = res->item.kpts + ((size_t)i * K + k) * 3;
            kp[0] = r[5 + k * ndim];
            kp[1] = r[5 + k * ndim + 1];
            kp[2] = ndim == 3 ? r[5 + k * ndim + 2] : ((kp[0] < 0 || kp[1] < 0) ? 0.0f : 1.0f);
        }
    }
    cpose_free(rows);
done:
    cpose_free(lb_file);
}

/* --- cache ----------------------------------------------------------------------------------- */

#define CACHE_MAGIC "CPOSELC1"

static void scan_hash(char *const *im_files, size_t n, const struct cpose_scan_opts *o, char hex[65])
{
    size_t cap = 1 << 16, len = 0;
    char *buf = cpose_malloc(cap);
    for (size_t i = 0; i < 2 * n + 1; i++) {
        char line[8192];
        int k;
        if (i == 2 * n) {
            k = snprintf(line, sizeof line, "opts nc=%d K=%d ndim=%d v1", o->nc, o->K, o->ndim);
        } else {
            char *lb = i % 2 ? cpose_img2label_path(im_files[i / 2]) : NULL;
            const char *p = lb ? lb : im_files[i / 2];
            struct stat st;
            if (stat(p, &st) == 0)
                k = snprintf(line, sizeof line, "%s\n%lld %lld.%09ld\n", p, (long long)st.st_size,
                             (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
            else
                k = snprintf(line, sizeof line, "%s\n-\n", p);
            cpose_free(lb);
        }
        if (k >= (int)sizeof line) k = sizeof line - 1;
        if (len + (size_t)k > cap) {
            while (len + (size_t)k > cap) cap *= 2;
            buf = cpose_realloc(buf, cap);
        }
        memcpy(buf + len, line, (size_t)k);
        len += (size_t)k;
    }
    cpose_sha256_buf(buf, len, hex);
    cpose_free(buf);
}

struct wbuf {
    char *p;
    size_t n, cap;
};

static void wb_put(struct wbuf *b, const void *d, size_t l)
{
    if (b->n + l > b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1 << 16;
        while (b->n + l > b->cap) b->cap *= 2;
        b->p = cpose_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, l);
    b->n += l;
}
static void wb_i64(struct wbuf *b, int64_t v) { wb_put(b, &v, sizeof v); }
static void wb_str(struct wbuf *b, const char *s)
{
    wb_i64(b, (int64_t)strlen(s));
    wb_put(b, s, strlen(s));
}

static int cache_write(const char *path, const char hex[65], const struct cpose_label_set *s)
{
    struct wbuf b = {0};
    wb_put(&b, CACHE_MAGIC, 8);
    wb_put(&b, hex, 64);
    int64_t hdr[8] = {s->K, s->ndim, s->nf, s->nm, s->ne, s->nc, (int64_t)s->n_items, (int64_t)s->n_msgs};
    wb_put(&b, hdr, sizeof hdr);
    for (size_t i = 0; i < s->n_items; i++) {
        const struct cpose_label_item *it = &s->items[i];
        wb_str(&b, it->im_file);
        int64_t d[3] = {it->w, it->h, it->n};
        wb_put(&b, d, sizeof d);
        wb_put(&b, it->cls_box, (size_t)it->n * 5 * sizeof(float));
        wb_put(&b, it->kpts, (size_t)it->n * s->K * 3 * sizeof(float));
    }
    for (size_t i = 0; i < s->n_msgs; i++) wb_str(&b, s->msgs[i]);
    int rc = cpose_write_file_atomic(path, b.p, b.n);
    cpose_free(b.p);
    return rc;
}

struct rbuf {
    const char *p;
    size_t n, off;
    int bad;
};
static void rb_get(struct rbuf *r, void *d, size_t l)
{
    if (r->bad || r->off + l > r->n) {
        r->bad = 1;
        memset(d, 0, l);
        return;
    }
    memcpy(d, r->p + r->off, l);
    r->off += l;
}
static int64_t rb_i64(struct rbuf *r)
{
    int64_t v;
    rb_get(r, &v, sizeof v);
    return v;
}
static char *rb_str(struct rbuf *r)
{
    int64_t l = rb_i64(r);
    if (r->bad || l < 0 || (size_t)l > r->n - r->off) {
        r->bad = 1;
        return cpose_strdup("");
    }
    char *s = cpose_strndup(r->p + r->off, (size_t)l);
    r->off += (size_t)l;
    return s;
}

/* Loads a cache whose hash matches; 0 when absent, stale or damaged (then out is left empty). */
static int cache_read(const char *path, const char hex[65], const struct cpose_scan_opts *o, struct cpose_label_set *out)
{
    char *data = NULL;
    size_t len = 0;
    if (!cpose_path_is_file(path) || cpose_read_file(path, &data, &len) != CPOSE_OK) return 0;
    struct rbuf r = {data, len, 0, 0};
    char magic[8], h[64];
    rb_get(&r, magic, 8);
    rb_get(&r, h, 64);
    if (r.bad || memcmp(magic, CACHE_MAGIC, 8) != 0 || memcmp(h, hex, 64) != 0) {
        cpose_free(data);
        return 0;
    }
    int64_t hdr[8];
    rb_get(&r, hdr, sizeof hdr);
    if (r.bad || hdr[0] != o->K || hdr[1] != o->ndim || hdr[6] < 0 || hdr[7] < 0 || (size_t)hdr[6] > len ||
        (size_t)hdr[7] > len) {
        cpose_free(data);
        return 0;
    }
    out->K = o->K;
    out->ndim = o->ndim;
    out->nf = hdr[2];
    out->nm = hdr[3];
    out->ne = hdr[4];
    out->nc = hdr[5];
    out->items = cpose_calloc((size_t)hdr[6] + 1, sizeof *out->items);
    for (int64_t i = 0; i < hdr[6] && !r.bad; i++) {
        struct cpose_label_item *it = &out->items[i];
        out->n_items = (size_t)i + 1;
        it->im_file = rb_str(&r);
        int64_t d[3];
        rb_get(&r, d, sizeof d);
        if (r.bad || d[2] < 0 || (size_t)d[2] > len) {
            r.bad = 1;
            break;
        }
        it->w = (int)d[0];
        it->h = (int)d[1];
        it->n = (int)d[2];
        it->cls_box = cpose_malloc(((size_t)it->n * 5 + 1) * sizeof(float));
        it->kpts = cpose_malloc(((size_t)it->n * o->K * 3 + 1) * sizeof(float));
        rb_get(&r, it->cls_box, (size_t)it->n * 5 * sizeof(float));
        rb_get(&r, it->kpts, (size_t)it->n * o->K * 3 * sizeof(float));
    }
    out->msgs = cpose_calloc((size_t)hdr[7] + 1, sizeof(char *));
    for (int64_t i = 0; i < hdr[7] && !r.bad; i++) {
        out->msgs[i] = rb_str(&r);
        out->n_msgs = (size_t)i + 1;
    }
    cpose_free(data);
    if (r.bad) {
        cpose_labels_free(out);
        return 0;
    }
    out->from_cache = 1;
    return 1;
}

/* --- the scan ---------------------------------------------------------------------------------- */

static void print_summary(const struct cpose_scan_opts *o, const char *labels_dir, const struct cpose_label_set *s)
{
    const char *pre = o->prefix ? o->prefix : "";
    if (s->from_cache)
        cpose_info("%sScanning %s.cache... %ld images, %ld backgrounds, %ld corrupt", pre, labels_dir, s->nf,
                   s->nm + s->ne, s->nc);
    else
        cpose_info("%sScanning %s... %ld images, %ld backgrounds, %ld corrupt", pre, labels_dir, s->nf, s->nm + s->ne,
                   s->nc);
    for (size_t i = 0; i < s->n_msgs; i++) cpose_warn("%s%s", pre, s->msgs[i]);
    if (s->nf == 0) cpose_warn("%sNo labels found in %s.", pre, labels_dir);
}

int cpose_labels_scan(char *const *im_files, size_t n, const struct cpose_scan_opts *o, struct cpose_label_set *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return cpose_err(CPOSE_EINVAL, "no images to scan");
    if (o->K < 0 || (o->K > 0 && o->ndim != 2 && o->ndim != 3))
        return cpose_err(CPOSE_EINVAL, "kpt_shape [%d, %d] is not [K, 2] or [K, 3]", o->K, o->ndim);
    char *lb0 = cpose_img2label_path(im_files[0]);
    char *labels_dir = cpose_path_dirname(lb0);
    cpose_free(lb0);
    char *cache_path = o->cache_path ? cpose_strdup(o->cache_path) : cpose_asprintf("%s.cache", labels_dir);
    char hex[65];
    if (o->use_cache) {
        scan_hash(im_files, n, o, hex);
        if (cache_read(cache_path, hex, o, out)) {
            print_summary(o, labels_dir, out);
            cpose_free(cache_path);
            cpose_free(labels_dir);
            return CPOSE_OK;
        }
    }
    struct verify_result *res = cpose_calloc(n, sizeof *res);
    struct cpose_progress prog;
    int show = n >= 1000; /* small sets print only the summary line */
    long done = 0;
    char desc[4200];
    snprintf(desc, sizeof desc, "%sScanning %s...", o->prefix ? o->prefix : "", labels_dir);
    if (show) cpose_progress_begin(&prog, desc, (int64_t)n, "it");
#pragma omp parallel for schedule(dynamic, 8)
    for (size_t i = 0; i < n; i++) {
        verify_one(im_files[i], o, &res[i]);
        if (show) {
#pragma omp critical(cpose_scan_progress)
            cpose_progress_update(&prog, ++done);
        }
    }
    if (show) cpose_progress_end(&prog);
    out->K = o->K;
    out->ndim = o->ndim;
    out->items = cpose_calloc(n, sizeof *out->items);
    out->msgs = cpose_calloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        out->nf += res[i].nf;
        out->nm += res[i].nm;
        out->ne += res[i].ne;
        out->nc += res[i].nc;
        if (res[i].msg) out->msgs[out->n_msgs++] = res[i].msg;
        if (res[i].ok) {
            res[i].item.im_file = cpose_strdup(im_files[i]);
            out->items[out->n_items++] = res[i].item;
        }
    }
    cpose_free(res);
    print_summary(o, labels_dir, out);
    if (o->use_cache) {
        char *dir = cpose_path_dirname(cache_path);
        struct stat st;
        /* root passes access(W_OK) everywhere: also require a write bit, so read-only dataset
         * folders (fixtures, shared mounts) are never written */
        if (access(dir, W_OK) != 0 || stat(dir, &st) != 0 || !(st.st_mode & 0222))
            cpose_warn("%sCache directory %s is not writeable, cache not saved.", o->prefix ? o->prefix : "", dir);
        else if (cache_write(cache_path, hex, out) == CPOSE_OK)
            cpose_info("%sNew cache created: %s", o->prefix ? o->prefix : "", cache_path);
        else
            cpose_warn("%sCache not saved: %s", o->prefix ? o->prefix : "", cpose_errmsg());
        cpose_free(dir);
    }
    cpose_free(cache_path);
    cpose_free(labels_dir);
    return CPOSE_OK;
}
