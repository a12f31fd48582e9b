/* datasets/imghdr.c — JPEG (SOFn + APP1/EXIF orientation) and PNG (IHDR) header parsing. */
#include "datasets/imghdr.h"

#include <string.h>

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* EXIF orientation (1..8) from an APP1 payload starting at "Exif\0\0", or 1. */
static int exif_orientation(const uint8_t *p, size_t n)
{
    if (n < 14 || memcmp(p, "Exif\0\0", 6) != 0) return 1;
    const uint8_t *t = p + 6;
    size_t tn = n - 6;
    int le = t[0] == 'I' && t[1] == 'I';
    if (!le && !(t[0] == 'M' && t[1] == 'M')) return 1;
#define RD16(q) (le ? (unsigned)((q)[0] | (q)[1] << 8) : be16(q))
#define RD32(q) (le ? ((uint32_t)(q)[0] | (uint32_t)(q)[1] << 8 | (uint32_t)(q)[2] << 16 | (uint32_t)(q)[3] << 24) : be32(q))
    uint32_t ifd = RD32(t + 4);
    if (ifd + 2 > tn) return 1;
    unsigned count = RD16(t + ifd);
    for (unsigned i = 0; i < count; i++) {
        size_t e = ifd + 2 + (size_t)i * 12;
        if (e + 12 > tn) return 1;
        if (RD16(t + e) == 0x0112) {
            unsigned v = RD16(t + e + 8);
            return v >= 1 && v <= 8 ? (int)v : 1;
        }
    }
    return 1;
#undef RD16
#undef RD32
}

int cpose_image_header_size(const uint8_t *d, size_t n, int *w, int *h)
{
    if (n >= 24 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) {
        if (memcmp(d + 12, "IHDR", 4) != 0) return cpose_err(CPOSE_EINVAL, "PNG without IHDR");
        *w = (int)be32(d + 16);
        *h = (int)be32(d + 20);
        return *w > 0 && *h > 0 ? CPOSE_OK : cpose_err(CPOSE_EINVAL, "PNG with size %dx%d", *w, *h);
    }
    if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) {
        if (n >= 2 && (memcmp(d, "BM", 2) == 0 || memcmp(d, "II", 2) == 0 || memcmp(d, "MM", 2) == 0 ||
                       (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)))
            return CPOSE_ENOTSUP;
        return cpose_err(CPOSE_EINVAL, "not a JPEG, PNG, BMP, TIFF or WebP file");
    }
    size_t i = 2;
    int orient = 1;
    while (i + 4 <= n) {
        if (d[i] != 0xFF) return cpose_err(CPOSE_EINVAL, "JPEG marker expected at byte %zu", i);
        uint8_t m = d[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {
            i += 2;
            continue;
        }
        if (m == 0xD9 || m == 0xDA) break; /* end of image / start of scan before any SOF */
        size_t seg = be16(d + i + 2);
        if (seg < 2 || i + 2 + seg > n) return cpose_err(CPOSE_EINVAL, "JPEG segment at byte %zu runs past the end", i);
        if (m == 0xE1) orient = exif_orientation(d + i + 4, seg - 2);
        if ((m >= 0xC0 && m <= 0xC3) || (m >= 0xC5 && m <= 0xC7) || (m >= 0xC9 && m <= 0xCB) || (m >= 0xCD && m <= 0xCF)) {
            if (seg < 7) return cpose_err(CPOSE_EINVAL, "JPEG frame header too short");
            int hh = (int)be16(d + i + 5), ww = (int)be16(d + i + 7);
            if (hh <= 0 || ww <= 0) return cpose_err(CPOSE_EINVAL, "JPEG with size %dx%d", ww, hh);
            int swap = orient >= 5 && orient <= 8;
            *w = swap ? hh : ww;
            *h = swap ? ww : hh;
            return CPOSE_OK;
        }
        i += 2 + seg;
    }
    return cpose_err(CPOSE_EINVAL, "JPEG without a frame header");
}
