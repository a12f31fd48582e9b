/* core/nn/pb_read.c — the protobuf wire-format decoder (contract in core/nn/pb_read.h). */
#include "core/nn/pb_read.h"

#include <string.h>

void pb_reader_init(struct pb_reader *r, const void *data, size_t n)
{
    r->start = r->p = data;
    r->end = r->start + n;
    r->error = NULL;
    r->error_at = 0;
}

int pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    const uint8_t *q = *p;
    for (int k = 0; k < 10; k++) {
        if (q >= end) return -1;
        uint8_t b = *q++;
        if (k == 9 && b > 1) return -1;  /* the tenth byte holds bit 63 only */
        x |= (uint64_t)(b & 0x7f) << (7 * k);
        if (!(b & 0x80)) {
            *v = x;
            *p = q;
            return 0;
        }
    }
    return -1;
}

static int fail(struct pb_reader *r, const uint8_t *at, const char *what)
{
    r->error = what;
    r->error_at = (size_t)(at - r->start);
    return -1;
}

int pb_next(struct pb_reader *r, struct pb_field *f)
{
    if (r->p >= r->end) return 0;
    const uint8_t *q = r->p;
    uint64_t tag, len;
    if (pb_read_varint(&q, r->end, &tag)) return fail(r, r->p, "a field tag is truncated or longer than 10 bytes");
    uint64_t num = tag >> 3;
    if (num == 0 || num > 536870911u) return fail(r, r->p, "field number 0 or above 2^29-1");
    memset(f, 0, sizeof *f);
    f->num = (uint32_t)num;
    f->wire = (int)(tag & 7);
    switch (f->wire) {
    case PB_WIRE_VARINT:
        if (pb_read_varint(&q, r->end, &f->v)) return fail(r, r->p, "a varint value is truncated or longer than 10 bytes");
        break;
    case PB_WIRE_I64:
        if (r->end - q < 8) return fail(r, r->p, "a fixed64 value runs past the end");
        memcpy(&f->v, q, 8);
        q += 8;
        break;
    case PB_WIRE_I32: {
        uint32_t w;
        if (r->end - q < 4) return fail(r, r->p, "a fixed32 value runs past the end");
        memcpy(&w, q, 4);
        f->v = w;
        q += 4;
        break;
    }
    case PB_WIRE_LEN:
        if (pb_read_varint(&q, r->end, &len)) return fail(r, r->p, "a length is truncated or longer than 10 bytes");
        if (len > (uint64_t)(r->end - q)) return fail(r, r->p, "a length-delimited field runs past the end");
        f->data = q;
        f->len = (size_t)len;
        q += len;
        break;
    default:
        return fail(r, r->p, "wire type 3, 4 (groups), 6 or 7: not a field this decoder reads");
    }
    r->p = q;
    return 1;
}

int pb_varints_of(const struct pb_field *f, int64_t *out, size_t cap, size_t *n)
{
    if (f->wire == PB_WIRE_VARINT) {
        if (*n >= cap) return -2;
        out[(*n)++] = (int64_t)f->v;
        return 0;
    }
    if (f->wire != PB_WIRE_LEN) return -1;
    const uint8_t *q = f->data, *end = f->data + f->len;
    while (q < end) {
        uint64_t v;
        if (pb_read_varint(&q, end, &v)) return -1;
        if (*n >= cap) return -2;
        out[(*n)++] = (int64_t)v;
    }
    return 0;
}

float pb_float_of(const struct pb_field *f)
{
    uint32_t w = (uint32_t)f->v;
    float x;
    memcpy(&x, &w, 4);
    return x;
}

int pb_floats_of(const struct pb_field *f, float *out, size_t cap, size_t *n)
{
    if (f->wire == PB_WIRE_I32) {
        if (*n >= cap) return -2;
        out[(*n)++] = pb_float_of(f);
        return 0;
    }
    if (f->wire != PB_WIRE_LEN || f->len % 4) return -1;
    for (size_t k = 0; k < f->len; k += 4) {
        if (*n >= cap) return -2;
        memcpy(&out[(*n)++], f->data + k, 4);
    }
    return 0;
}
