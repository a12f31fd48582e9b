/* exporters/common/zip_write.c — stored ZIP archives with 64-byte-aligned member data and ZIP64
 * when needed (layout from the PKWARE APPNOTE: local header 0x04034b50, central header 0x02014b50,
 * ZIP64 end record 0x06064b50 and locator 0x07064b50, end record 0x06054b50). See zip_write.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "exporters/common/zip_write.h"

#define U32_MAX_FIELD 0xffffffffu
#define DOS_DATE ((0 << 9) | (1 << 5) | 1) /* 1980-01-01, the earliest DOS date */

static int fail(struct zip_writer *z, const char *what)
{
    if (!z->failed) z->failed = 1, z->error = what;
    return -1;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

static int emit(struct zip_writer *z, const void *data, size_t n)
{
    if (z->failed) return -1;
    if (n && z->sink(z->ctx, data, n)) return fail(z, z->error ? z->error : "writing the archive failed");
    z->pos += n;
    return 0;
}

void zip_init(struct zip_writer *z, zip_sink_fn sink, void *ctx, void *(*realloc_fn)(void *, size_t),
              void (*free_fn)(void *))
{
    memset(z, 0, sizeof *z);
    z->sink = sink, z->ctx = ctx, z->realloc_fn = realloc_fn, z->free_fn = free_fn;
}

static uint32_t crc_of(const void *data, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    const Bytef *p = data;
    while (n) { /* zlib takes uInt lengths */
        uInt k = n > 0x40000000u ? 0x40000000u : (uInt)n;
        c = crc32(c, p, k), p += k, n -= k;
    }
    return (uint32_t)c;
}

int zip_add(struct zip_writer *z, const char *name, const void *data, size_t n)
{
    if (z->failed) return -1;
    size_t nl = strlen(name);
    if (nl == 0 || nl > 0xffff) return fail(z, "zip member name empty or longer than 65535 bytes");
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 32;
        struct zip_entry *e = z->realloc_fn(z->entries, cap * sizeof *e);
        if (!e) return fail(z, "out of memory");
        z->entries = e, z->cap = cap;
    }
    struct zip_entry *e = &z->entries[z->n];
    e->name = z->realloc_fn(NULL, nl + 1);
    if (!e->name) return fail(z, "out of memory");
    memcpy(e->name, name, nl + 1);
    e->header_at = z->pos, e->size = n, e->crc = crc_of(data, n);
    z->n++;

    int zip64 = z->force_zip64 || n >= U32_MAX_FIELD;
    size_t fixed = 30 + nl + (zip64 ? 20 : 0) + 4; /* header, name, ZIP64 extra, FB extra header */
    size_t pad = (size_t)((ZIP_ALIGN - (z->pos + fixed) % ZIP_ALIGN) % ZIP_ALIGN);
    uint8_t *h = z->realloc_fn(NULL, fixed + pad);
    if (!h) return fail(z, "out of memory");
    put32(h, 0x04034b50u);
    put16(h + 4, zip64 ? 45 : 20);                        /* version needed: 4.5 for ZIP64 */
    put16(h + 6, 0), put16(h + 8, 0);                     /* flags, method 0 = stored */
    put16(h + 10, 0), put16(h + 12, DOS_DATE);
    put32(h + 14, e->crc);
    put32(h + 18, zip64 ? U32_MAX_FIELD : (uint32_t)n), put32(h + 22, zip64 ? U32_MAX_FIELD : (uint32_t)n);
    put16(h + 26, (uint16_t)nl), put16(h + 28, (uint16_t)(fixed - 30 - nl + pad));
    memcpy(h + 30, name, nl);
    uint8_t *x = h + 30 + nl;
    if (zip64) put16(x, 1), put16(x + 2, 16), put64(x + 4, n), put64(x + 12, n), x += 20;
    put16(x, 0x4246), put16(x + 2, (uint16_t)pad);        /* "FB": padding to the alignment */
    memset(x + 4, 'Z', pad);
    int rc = emit(z, h, fixed + pad);
    z->free_fn(h);
    if (rc) return -1;
    return emit(z, data, n);
}

int zip_finish(struct zip_writer *z)
{
    if (z->failed) return -1;
    uint64_t cd_at = z->pos;
    for (size_t i = 0; i < z->n; i++) {
        const struct zip_entry *e = &z->entries[i];
        size_t nl = strlen(e->name);
        int big_size = z->force_zip64 || e->size >= U32_MAX_FIELD;
        int big_off = z->force_zip64 || e->header_at >= U32_MAX_FIELD;
        size_t xl = (big_size || big_off) ? 4 + (big_size ? 16 : 0) + (big_off ? 8 : 0) : 0;
        uint8_t h[46 + 65535 + 28];
        put32(h, 0x02014b50u);
        put16(h + 4, xl ? 45 : 20), put16(h + 6, xl ? 45 : 20); /* made by, needed */
        put16(h + 8, 0), put16(h + 10, 0), put16(h + 12, 0), put16(h + 14, DOS_DATE);
        put32(h + 16, e->crc);
        put32(h + 20, big_size ? U32_MAX_FIELD : (uint32_t)e->size);
        put32(h + 24, big_size ? U32_MAX_FIELD : (uint32_t)e->size);
        put16(h + 28, (uint16_t)nl), put16(h + 30, (uint16_t)xl), put16(h + 32, 0); /* name, extra, comment */
        put16(h + 34, 0), put16(h + 36, 0), put32(h + 38, 0);  /* disk, internal, external attributes */
        put32(h + 42, big_off ? U32_MAX_FIELD : (uint32_t)e->header_at);
        memcpy(h + 46, e->name, nl);
        uint8_t *x = h + 46 + nl;
        if (xl) {
            put16(x, 1), put16(x + 2, (uint16_t)(xl - 4)), x += 4;
            if (big_size) put64(x, e->size), put64(x + 8, e->size), x += 16;
            if (big_off) put64(x, e->header_at), x += 8;
        }
        if (emit(z, h, (size_t)(x - h))) return -1;
    }
    uint64_t cd_size = z->pos - cd_at;
    int zip64_end = z->force_zip64 || z->n >= 0xffff || cd_at >= U32_MAX_FIELD || cd_size >= U32_MAX_FIELD;
    if (zip64_end) {
        uint64_t end64_at = z->pos;
        uint8_t r[56 + 20];
        put32(r, 0x06064b50u), put64(r + 4, 44);            /* size of the rest of the record */
        put16(r + 12, 45), put16(r + 14, 45), put32(r + 16, 0), put32(r + 20, 0);
        put64(r + 24, z->n), put64(r + 32, z->n), put64(r + 40, cd_size), put64(r + 48, cd_at);
        put32(r + 56, 0x07064b50u), put32(r + 60, 0), put64(r + 64, end64_at), put32(r + 72, 1);
        if (emit(z, r, sizeof r)) return -1;
    }
    uint8_t end[22];
    uint16_t count = zip64_end ? 0xffff : (uint16_t)z->n;
    put32(end, 0x06054b50u), put16(end + 4, 0), put16(end + 6, 0), put16(end + 8, count), put16(end + 10, count);
    put32(end + 12, zip64_end ? U32_MAX_FIELD : (uint32_t)cd_size);
    put32(end + 16, zip64_end ? U32_MAX_FIELD : (uint32_t)cd_at);
    put16(end + 20, 0);
    return emit(z, end, sizeof end);
}

void zip_free(struct zip_writer *z)
{
    for (size_t i = 0; i < z->n; i++) z->free_fn(z->entries[i].name);
    z->free_fn(z->entries);
    z->entries = NULL, z->n = z->cap = 0;
}

/* ---- the temporary-file sink ---------------------------------------------------------------- */

static int file_sink(void *ctx, const void *data, size_t n)
{
    struct zip_writer *z = ctx;
    if (fwrite(data, 1, n, z->fp) == n) return 0;
    snprintf(z->msg, sizeof z->msg, "%s: write failed (%s): is the disk full?", z->tmp_path, strerror(errno));
    z->error = z->msg;
    return -1;
}

static char *dup_with(struct zip_writer *z, const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    char *p = z->realloc_fn(NULL, a + b + 1);
    if (p) memcpy(p, s, a), memcpy(p + a, suffix, b + 1);
    return p;
}

int zip_open_file(struct zip_writer *z, const char *path, void *(*realloc_fn)(void *, size_t),
                  void (*free_fn)(void *))
{
    zip_init(z, file_sink, NULL, realloc_fn, free_fn);
    z->ctx = z;
    z->path = dup_with(z, path, "");
    z->tmp_path = dup_with(z, path, ".tmp-XXXXXX");
    if (!z->path || !z->tmp_path) return fail(z, "out of memory");
    int fd = mkstemp(z->tmp_path);
    if (fd >= 0) fchmod(fd, 0644); /* mkstemp makes 0600; the archive is an ordinary output file */
    if (fd < 0 || !(z->fp = fdopen(fd, "wb"))) {
        snprintf(z->msg, sizeof z->msg, "%s: cannot create a file beside it (%s): is the folder writable?", path,
                 strerror(errno));
        if (fd >= 0) close(fd), unlink(z->tmp_path);
        z->free_fn(z->tmp_path), z->tmp_path = NULL;
        return fail(z, z->msg);
    }
    return 0;
}

static void release(struct zip_writer *z)
{
    zip_free(z);
    z->free_fn(z->path), z->free_fn(z->tmp_path);
    z->path = z->tmp_path = NULL;
}

void zip_abort_file(struct zip_writer *z)
{
    if (z->fp) fclose(z->fp), z->fp = NULL;
    if (z->tmp_path) unlink(z->tmp_path);
    release(z);
}

int zip_close_file(struct zip_writer *z)
{
    int rc = zip_finish(z);
    if (!rc && (fflush(z->fp) || fsync(fileno(z->fp)))) {
        snprintf(z->msg, sizeof z->msg, "%s: flushing failed (%s)", z->tmp_path, strerror(errno));
        rc = fail(z, z->msg);
    }
    if (fclose(z->fp) && !rc) {
        snprintf(z->msg, sizeof z->msg, "%s: closing failed (%s)", z->tmp_path, strerror(errno));
        rc = fail(z, z->msg);
    }
    z->fp = NULL;
    if (!rc && rename(z->tmp_path, z->path)) {
        snprintf(z->msg, sizeof z->msg, "%s: cannot rename into place (%s)", z->path, strerror(errno));
        rc = fail(z, z->msg);
    }
    if (rc) unlink(z->tmp_path);
    release(z);
    return rc;
}
