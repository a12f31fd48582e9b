/* eval/val_shard.c — the per-image record stream of sharded validation (see val_shard.h): a header
 * of 64-bit fields, then each array padded to 8 bytes, then the path; replayed sorted by index. */
#include "eval/val_shard.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"

#define REC_MAGIC 0x43525356 /* "VSRC" */
enum { H_MAGIC, H_LEN, H_INDEX, H_ORI_W, H_ORI_H, H_N, H_NG, H_K, H_KDIM, H_PATH, H_COUNT };

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* sizes in bytes of the record's arrays, in stream order */
static void array_sizes(int64_t n, int64_t ng, int64_t K, int64_t kdim, size_t sz[8])
{
    sz[0] = (size_t)(n * 4) * 4;        /* pb */
    sz[1] = (size_t)n * 4;              /* pc */
    sz[2] = (size_t)n * 4;              /* pcl */
    sz[3] = (size_t)(n * K * 3) * 4;    /* pk */
    sz[4] = (size_t)(n * K * kdim) * 4; /* kraw */
    sz[5] = (size_t)(ng * 4) * 4;       /* gb */
    sz[6] = (size_t)ng * 4;             /* gcl */
    sz[7] = (size_t)(ng * K * 3) * 4;   /* gk */
}

int cpose_val_stream_put(struct cpose_val_stream *s, const struct cpose_val_record *r)
{
    size_t sz[8], path_len = strlen(r->path) + 1, total = H_COUNT * 8;
    array_sizes(r->n, r->ng, r->K, r->kdim, sz);
    for (int i = 0; i < 8; i++) total += pad8(sz[i]);
    total += pad8(path_len);
    if (s->len + total > s->cap) {
        size_t cap = s->cap ? s->cap : 1 << 16;
        while (cap < s->len + total) cap *= 2;
        unsigned char *p = realloc(s->bytes, cap);
        if (!p) return cpose_err(CPOSE_ENOMEM, "val: out of memory keeping %zu bytes of results", cap);
        s->bytes = p;
        s->cap = cap;
    }
    unsigned char *o = s->bytes + s->len;
    int64_t h[H_COUNT] = {REC_MAGIC, (int64_t)total, r->index, r->ori_w, r->ori_h, r->n, r->ng, r->K, r->kdim,
                          (int64_t)path_len};
    memcpy(o, h, sizeof h);
    o += sizeof h;
    const void *src[8] = {r->pb, r->pc, r->pcl, r->pk, r->kraw, r->gb, r->gcl, r->gk};
    for (int i = 0; i < 8; i++) {
        if (sz[i]) memcpy(o, src[i], sz[i]);
        memset(o + sz[i], 0, pad8(sz[i]) - sz[i]);
        o += pad8(sz[i]);
    }
    memcpy(o, r->path, path_len);
    memset(o + path_len, 0, pad8(path_len) - path_len);
    s->len += total;
    return CPOSE_OK;
}

void cpose_val_stream_free(struct cpose_val_stream *s)
{
    if (!s) return;
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

/* Decodes the record at b[0..avail) into r; returns its length or 0 when malformed. */
static size_t decode(const unsigned char *b, size_t avail, struct cpose_val_record *r)
{
    int64_t h[H_COUNT];
    if (avail < sizeof h) return 0;
    memcpy(h, b, sizeof h);
    if (h[H_MAGIC] != REC_MAGIC || h[H_LEN] < (int64_t)sizeof h || (uint64_t)h[H_LEN] > avail) return 0;
    if (h[H_N] < 0 || h[H_NG] < 0 || h[H_K] < 0 || h[H_KDIM] < 0 || h[H_PATH] < 1) return 0;
    size_t sz[8], total = sizeof h;
    array_sizes(h[H_N], h[H_NG], h[H_K], h[H_KDIM], sz);
    for (int i = 0; i < 8; i++) total += pad8(sz[i]);
    total += pad8((size_t)h[H_PATH]);
    if (total != (size_t)h[H_LEN]) return 0;
    const unsigned char *o = b + sizeof h;
    const void *dst[8];
    for (int i = 0; i < 8; i++) {
        dst[i] = o;
        o += pad8(sz[i]);
    }
    if (o[h[H_PATH] - 1] != 0) return 0;
    r->index = h[H_INDEX];
    r->ori_w = (int)h[H_ORI_W];
    r->ori_h = (int)h[H_ORI_H];
    r->n = (int)h[H_N];
    r->ng = (int)h[H_NG];
    r->K = (int)h[H_K];
    r->kdim = (int)h[H_KDIM];
    r->pb = dst[0], r->pc = dst[1], r->pcl = dst[2], r->pk = r->K ? dst[3] : NULL, r->kraw = dst[4];
    r->gb = dst[5], r->gcl = dst[6], r->gk = r->K ? dst[7] : NULL;
    r->path = (const char *)o;
    return total;
}

struct rec_ref {
    int64_t index;
    size_t offset;
};

static int by_index(const void *a, const void *b)
{
    const struct rec_ref *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index ? 1 : (x->offset > y->offset) - (x->offset < y->offset);
}

int cpose_val_stream_replay(const void *bytes, size_t len, int (*fn)(void *ctx, const struct cpose_val_record *r),
                            void *ctx)
{
    const unsigned char *b = bytes;
    size_t n = 0, cap = 0;
    struct rec_ref *refs = NULL;
    int rc = CPOSE_OK;
    struct cpose_val_record r;
    for (size_t at = 0; at < len;) {
        size_t used = decode(b + at, len - at, &r);
        if (!used) {
            rc = cpose_err(CPOSE_EINVAL, "val: gathered results are malformed at byte %zu of %zu", at, len);
            goto out;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            struct rec_ref *p = realloc(refs, cap * sizeof *p);
            if (!p) { rc = cpose_err(CPOSE_ENOMEM, "val: out of memory ordering %zu results", n); goto out; }
            refs = p;
        }
        refs[n].index = r.index;
        refs[n].offset = at;
        n++;
        at += used;
    }
    qsort(refs, n, sizeof *refs, by_index);
    for (size_t i = 0; i < n && rc == CPOSE_OK; i++) {
        decode(b + refs[i].offset, len - refs[i].offset, &r);
        rc = fn(ctx, &r);
    }
out:
    free(refs);
    return rc;
}
