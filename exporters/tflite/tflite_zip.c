/* exporters/tflite/tflite_zip.c — a one-member stored zip (local header, data, central directory,
 * end record) for the metadata Ultralytics appends to .tflite files. */
#include <string.h>

#include "exporters/tflite/tflite_write.h"

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}

void tflite_zip_one(const struct cpose_host *h, size_t base, const char *name, const void *data, size_t n,
                    uint8_t **out, size_t *len)
{
    size_t nl = strlen(name);
    size_t total = 30 + nl + n + 46 + nl + 22;
    uint8_t *z = h->alloc(total), *p = z;
    uint32_t crc = crc32_of(data, n);
    const uint16_t dos_time = 0, dos_date = (0 << 9) | (1 << 5) | 1;  /* 1980-01-01 00:00 */
    /* local file header */
    p = put32(p, 0x04034b50u);
    p = put16(p, 20), p = put16(p, 0), p = put16(p, 0);             /* version needed, flags, stored */
    p = put16(p, dos_time), p = put16(p, dos_date);
    p = put32(p, crc), p = put32(p, (uint32_t)n), p = put32(p, (uint32_t)n);
    p = put16(p, (uint16_t)nl), p = put16(p, 0);
    memcpy(p, name, nl), p += nl;
    memcpy(p, data, n), p += n;
    /* central directory */
    size_t cd_at = (size_t)(p - z);
    p = put32(p, 0x02014b50u);
    p = put16(p, 20), p = put16(p, 20), p = put16(p, 0), p = put16(p, 0);
    p = put16(p, dos_time), p = put16(p, dos_date);
    p = put32(p, crc), p = put32(p, (uint32_t)n), p = put32(p, (uint32_t)n);
    p = put16(p, (uint16_t)nl), p = put16(p, 0), p = put16(p, 0);   /* name, extra, comment lengths */
    p = put16(p, 0), p = put16(p, 0), p = put32(p, 0);              /* disk, internal, external attrs */
    p = put32(p, (uint32_t)base);                                    /* the local header's offset */
    memcpy(p, name, nl), p += nl;
    size_t cd_size = (size_t)(p - z) - cd_at;
    /* end of central directory */
    p = put32(p, 0x06054b50u);
    p = put16(p, 0), p = put16(p, 0), p = put16(p, 1), p = put16(p, 1);
    p = put32(p, (uint32_t)cd_size), p = put32(p, (uint32_t)(base + cd_at));
    p = put16(p, 0);
    *out = z, *len = total;
}
