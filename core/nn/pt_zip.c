/* core/nn/pt_zip.c — the read-only ZIP reader behind .pt import (core/nn/pt_zip.h): end-of-central-
 * directory search, ZIP64 records and extra fields, member data located through the local headers,
 * CRC-32 (zlib's) checked on first read, deflate through zlib. */
#include "core/nn/pt_zip.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/base/alloc.h"

#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_EOCD64_LOC 0x07064b50u
#define SIG_CDIR 0x02014b50u
#define SIG_LOCAL 0x04034b50u
#define EXTRA_ZIP64 0x0001u

struct member {
    char *name;
    uint64_t offset;       /* local header offset */
    uint64_t csize, usize; /* compressed / uncompressed bytes */
    uint32_t crc;
    uint16_t method;
    int checked;           /* CRC verified (data below is valid) */
    const uint8_t *data;   /* uncompressed bytes once read */
    uint8_t *owned;        /* inflated copy for deflated members */
};

struct cpose_pt_zip {
    char *path;
    const uint8_t *buf;
    size_t len;
    int mapped;
    struct member *m;
    size_t n;
    char *prefix;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* 1 when [off, off+n) lies inside the buffer. */
static int in_file(const struct cpose_pt_zip *z, uint64_t off, uint64_t n)
{
    return off <= z->len && n <= z->len - off;
}

/* Applies a ZIP64 extra field (id 1) to the values that were saturated in the 32-bit header. */
static int apply_zip64_extra(struct cpose_pt_zip *z, const uint8_t *extra, size_t elen, struct member *mb,
                             int need_u, int need_c, int need_o)
{
    size_t k = 0;
    while (k + 4 <= elen) {
        uint16_t id = rd16(extra + k), sz = rd16(extra + k + 2);
        if (k + 4 + sz > elen) break;
        if (id == EXTRA_ZIP64) {
            const uint8_t *p = extra + k + 4, *end = p + sz;
            if (need_u) { if (p + 8 > end) goto bad; mb->usize = rd64(p), p += 8; }
            if (need_c) { if (p + 8 > end) goto bad; mb->csize = rd64(p), p += 8; }
            if (need_o) { if (p + 8 > end) goto bad; mb->offset = rd64(p), p += 8; }
            return CPOSE_OK;
        }
        k += 4 + (size_t)sz;
    }
    if (!need_u && !need_c && !need_o) return CPOSE_OK;
bad:
    return cpose_err(CPOSE_EINVAL, "%s: member '%.200s' needs a ZIP64 extra field for its sizes/offset and has "
                                   "none (or a short one): the archive is damaged",
                     z->path, mb->name);
}

/* Finds the end-of-central-directory record and returns the directory's offset, size and count. */
static int find_directory(struct cpose_pt_zip *z, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count)
{
    if (z->len < 22)
        return cpose_err(CPOSE_EINVAL, "%s: %zu bytes is too short to be a ZIP archive (a torch.save .pt file is a ZIP)",
                         z->path, z->len);
    size_t lo = z->len > 22 + 65535 ? z->len - 22 - 65535 : 0;
    size_t e = (size_t)-1;
    for (size_t k = z->len - 22 + 1; k-- > lo;)
        if (rd32(z->buf + k) == SIG_EOCD && k + 22 + rd16(z->buf + k + 20) <= z->len) {
            e = k;
            break;
        }
    if (e == (size_t)-1)
        return cpose_err(CPOSE_EINVAL, "%s: not a ZIP archive (no end-of-central-directory record); a .pt checkpoint "
                                       "is the ZIP file torch.save writes (files from torch < 1.6 are not read: "
                                       "re-save them with a newer torch)",
                         z->path);
    const uint8_t *r = z->buf + e;
    *count = rd16(r + 10), *cd_size = rd32(r + 12), *cd_off = rd32(r + 16);
    if (*count == 0xFFFF || *cd_size == 0xFFFFFFFFu || *cd_off == 0xFFFFFFFFu) {
        if (e < 20 || rd32(z->buf + e - 20) != SIG_EOCD64_LOC)
            return cpose_err(CPOSE_EINVAL, "%s: ZIP64 archive without its ZIP64 locator record: the archive is damaged", z->path);
        uint64_t off64 = rd64(z->buf + e - 20 + 8);
        if (!in_file(z, off64, 56) || rd32(z->buf + off64) != SIG_EOCD64)
            return cpose_err(CPOSE_EINVAL, "%s: the ZIP64 end-of-directory record is missing or outside the file", z->path);
        const uint8_t *r64 = z->buf + off64;
        *count = rd64(r64 + 32), *cd_size = rd64(r64 + 40), *cd_off = rd64(r64 + 48);
    }
    if (!in_file(z, *cd_off, *cd_size))
        return cpose_err(CPOSE_EINVAL, "%s: the central directory (offset %llu, %llu bytes) lies outside the %zu-byte "
                                       "file: the archive is truncated",
                         z->path, (unsigned long long)*cd_off, (unsigned long long)*cd_size, z->len);
    if (*count > *cd_size / 46)
        return cpose_err(CPOSE_EINVAL, "%s: the directory claims %llu members in %llu bytes: the archive is damaged",
                         z->path, (unsigned long long)*count, (unsigned long long)*cd_size);
    return CPOSE_OK;
}

static int read_directory(struct cpose_pt_zip *z)
{
    uint64_t off = 0, size = 0, count = 0;
    int rc = find_directory(z, &off, &size, &count);
    if (rc) return rc;
    z->m = cpose_calloc(count ? count : 1, sizeof *z->m);
    const uint8_t *p = z->buf + off, *end = p + size;
    for (uint64_t i = 0; i < count; i++) {
        if (end - p < 46 || rd32(p) != SIG_CDIR)
            return cpose_err(CPOSE_EINVAL, "%s: central directory entry %llu is damaged (bad signature or cut short)",
                             z->path, (unsigned long long)i);
        uint16_t flags = rd16(p + 8), method = rd16(p + 10), nlen = rd16(p + 28), elen = rd16(p + 30), clen = rd16(p + 32);
        if ((size_t)(end - p) < 46u + nlen + elen + clen)
            return cpose_err(CPOSE_EINVAL, "%s: central directory entry %llu runs past the directory", z->path,
                             (unsigned long long)i);
        struct member *mb = &z->m[z->n++];
        mb->name = cpose_strndup((const char *)p + 46, nlen);
        mb->method = method, mb->crc = rd32(p + 16);
        mb->csize = rd32(p + 20), mb->usize = rd32(p + 24), mb->offset = rd32(p + 42);
        if ((rc = apply_zip64_extra(z, p + 46 + nlen, elen, mb, mb->usize == 0xFFFFFFFFu, mb->csize == 0xFFFFFFFFu,
                                    mb->offset == 0xFFFFFFFFu)) != CPOSE_OK)
            return rc;
        if (flags & 1)
            return cpose_err(CPOSE_EINVAL, "%s: member '%.200s' is encrypted; torch.save never encrypts", z->path, mb->name);
        if (method != 0 && method != 8)
            return cpose_err(CPOSE_EINVAL, "%s: member '%.200s' uses compression method %u; only stored (0) and deflate "
                                           "(8) are read",
                             z->path, mb->name, method);
        p += 46 + nlen + elen + clen;
    }
    const char *first = z->n ? z->m[0].name : "";
    const char *slash = strchr(first, '/');
    z->prefix = slash ? cpose_strndup(first, (size_t)(slash - first)) : cpose_strdup("");
    return CPOSE_OK;
}

int cpose_pt_zip_open_mem(const char *name, const void *data, size_t len, struct cpose_pt_zip **out)
{
    *out = NULL;
    struct cpose_pt_zip *z = cpose_calloc(1, sizeof *z);
    z->path = cpose_strdup(name ? name : "(memory)");
    z->buf = data, z->len = len;
    int rc = read_directory(z);
    if (rc) {
        cpose_pt_zip_close(z);
        return rc;
    }
    *out = z;
    return CPOSE_OK;
}

int cpose_pt_zip_open(const char *path, struct cpose_pt_zip **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cpose_err(CPOSE_EIO, "%s: cannot open (no such file, or not readable)", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cpose_err(CPOSE_EIO, "%s: not a regular file", path);
    }
    size_t len = (size_t)st.st_size;
    const void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (len && map == MAP_FAILED) return cpose_err(CPOSE_EIO, "%s: cannot map the file into memory", path);
    static const uint8_t empty[1];
    int rc = cpose_pt_zip_open_mem(path, len ? map : empty, len, out);
    if (rc) {
        if (len) munmap((void *)map, len);
        return rc;
    }
    (*out)->mapped = len != 0;
    return CPOSE_OK;
}

void cpose_pt_zip_close(struct cpose_pt_zip *z)
{
    if (!z) return;
    for (size_t i = 0; i < z->n; i++) cpose_free(z->m[i].name), cpose_free(z->m[i].owned);
    cpose_free(z->m);
    if (z->mapped) munmap((void *)z->buf, z->len);
    cpose_free(z->prefix);
    cpose_free(z->path);
    cpose_free(z);
}

const char *cpose_pt_zip_path(const struct cpose_pt_zip *z) { return z->path; }
size_t cpose_pt_zip_count(const struct cpose_pt_zip *z) { return z->n; }
const char *cpose_pt_zip_name(const struct cpose_pt_zip *z, size_t i) { return i < z->n ? z->m[i].name : NULL; }
const char *cpose_pt_zip_prefix(const struct cpose_pt_zip *z) { return z->prefix; }

long cpose_pt_zip_find(const struct cpose_pt_zip *z, const char *rel)
{
    size_t pl = strlen(z->prefix);
    for (size_t i = 0; i < z->n; i++) {
        const char *nm = z->m[i].name;
        if (pl) {
            if (strncmp(nm, z->prefix, pl) != 0 || nm[pl] != '/') continue;
            nm += pl + 1;
        }
        if (strcmp(nm, rel) == 0) return (long)i;
    }
    return -1;
}

/* Inflates a raw deflate stream of csize bytes into exactly usize bytes. */
static int inflate_member(struct cpose_pt_zip *z, struct member *mb, const uint8_t *src)
{
    if (mb->usize > ((uint64_t)1 << 40))
        return cpose_err(CPOSE_EINVAL, "%s: member '%.200s' claims %llu bytes uncompressed", z->path, mb->name,
                         (unsigned long long)mb->usize);
    mb->owned = cpose_malloc(mb->usize ? mb->usize : 1);
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) return cpose_err(CPOSE_ENOMEM, "%s: zlib could not start", z->path);
    uint64_t in_left = mb->csize, out_done = 0;
    int zr = Z_OK;
    s.next_in = (Bytef *)src;
    s.next_out = mb->owned;
    while (zr == Z_OK) {
        uInt in_chunk = in_left > 0x40000000u ? 0x40000000u : (uInt)in_left;
        uInt out_chunk = mb->usize - out_done > 0x40000000u ? 0x40000000u : (uInt)(mb->usize - out_done);
        s.avail_in = in_chunk, s.avail_out = out_chunk;
        zr = inflate(&s, Z_NO_FLUSH);
        in_left -= in_chunk - s.avail_in, out_done += out_chunk - s.avail_out;
        if (zr == Z_BUF_ERROR && (in_left == 0 || out_done == mb->usize)) break;
    }
    inflateEnd(&s);
    if (zr != Z_STREAM_END || out_done != mb->usize)
        return cpose_err(CPOSE_EINVAL, "%s: member '%.200s' has a damaged deflate stream (%s after %llu of %llu bytes)",
                         z->path, mb->name, zr == Z_STREAM_END ? "wrong length" : "zlib error",
                         (unsigned long long)out_done, (unsigned long long)mb->usize);
    mb->data = mb->owned;
    return CPOSE_OK;
}

int cpose_pt_zip_read(struct cpose_pt_zip *z, size_t i, const uint8_t **data, size_t *len)
{
    *data = NULL, *len = 0;
    if (i >= z->n) return cpose_err(CPOSE_EINVAL, "%s: no member %zu", z->path, i);
    struct member *mb = &z->m[i];
    if (!mb->checked) {
        if (!in_file(z, mb->offset, 30) || rd32(z->buf + mb->offset) != SIG_LOCAL)
            return cpose_err(CPOSE_EINVAL, "%s: member '%.200s': its local header (offset %llu) is missing or outside "
                                           "the file: the archive is truncated or damaged",
                             z->path, mb->name, (unsigned long long)mb->offset);
        const uint8_t *lh = z->buf + mb->offset;
        uint64_t start = mb->offset + 30 + rd16(lh + 26) + rd16(lh + 28);
        if (!in_file(z, start, mb->csize))
            return cpose_err(CPOSE_EINVAL, "%s: member '%.200s': its %llu bytes of data run past the end of the file: the "
                                           "archive is truncated",
                             z->path, mb->name, (unsigned long long)mb->csize);
        int rc;
        if (mb->method == 0) {
            if (mb->csize != mb->usize)
                return cpose_err(CPOSE_EINVAL, "%s: stored member '%.200s' has different sizes (%llu, %llu)", z->path,
                                 mb->name, (unsigned long long)mb->csize, (unsigned long long)mb->usize);
            mb->data = z->buf + start;
        } else if ((rc = inflate_member(z, mb, z->buf + start)) != CPOSE_OK) {
            return rc;
        }
        uLong crc = crc32(0L, Z_NULL, 0);
        for (uint64_t k = 0; k < mb->usize;) {
            uInt chunk = mb->usize - k > 0x40000000u ? 0x40000000u : (uInt)(mb->usize - k);
            crc = crc32(crc, mb->data + k, chunk);
            k += chunk;
        }
        if ((uint32_t)crc != mb->crc)
            return cpose_err(CPOSE_EINVAL, "%s: member '%.200s' fails its CRC-32 check (stored %08x, computed %08x): the "
                                           "file is damaged",
                             z->path, mb->name, mb->crc, (unsigned)crc);
        mb->checked = 1;
    }
    *data = mb->data, *len = (size_t)mb->usize;
    return CPOSE_OK;
}
