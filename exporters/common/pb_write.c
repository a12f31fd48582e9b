/* exporters/common/pb_write.c — the Protocol Buffers wire-format encoder of pb_write.h: a growing
 * byte buffer, tags (field << 3 | wire type), varints, and nested messages whose payload is moved
 * up by the size of its length varint when the message ends. */
#include "exporters/common/pb_write.h"

#include <string.h>

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };
#define PB_MAX_FIELD ((1u << 29) - 1)

static void fail(struct pb_buf *b, const char *why)
{
    if (!b->failed) {
        b->failed = 1;
        b->error = why;
    }
}

void pb_init(struct pb_buf *b, void *(*realloc_fn)(void *, size_t), void (*free_fn)(void *))
{
    memset(b, 0, sizeof *b);
    b->realloc_fn = realloc_fn;
    b->free_fn = free_fn;
}

void pb_free(struct pb_buf *b)
{
    if (b->p) b->free_fn(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->depth = 0;
}

/* Makes room for n more bytes; 0 on success. */
static int reserve(struct pb_buf *b, size_t n)
{
    if (b->failed) return -1;
    if (n > SIZE_MAX / 2 - b->len) {
        fail(b, "protobuf message too large");
        return -1;
    }
    if (b->len + n <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *p = b->realloc_fn(b->p, cap);
    if (!p) {
        fail(b, "out of memory while encoding a protobuf message");
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static void append(struct pb_buf *b, const void *data, size_t n)
{
    if (n == 0 || reserve(b, n) != 0) return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

size_t pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Encodes v as a varint into out (at least 10 bytes); returns the count. */
static size_t encode_varint(uint64_t v, uint8_t *out)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

static void put_varint(struct pb_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    append(b, tmp, encode_varint(v, tmp));
}

static int put_tag(struct pb_buf *b, uint32_t field, int wire)
{
    if (b->failed) return -1;
    if (field == 0 || field > PB_MAX_FIELD) {
        fail(b, "protobuf field number outside 1..2^29-1");
        return -1;
    }
    put_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
    return b->failed ? -1 : 0;
}

void pb_varint(struct pb_buf *b, uint32_t field, uint64_t v)
{
    if (put_tag(b, field, WIRE_VARINT) == 0) put_varint(b, v);
}

void pb_sint(struct pb_buf *b, uint32_t field, int64_t v)
{
    uint64_t zz = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);  /* arithmetic shift: all ones if v < 0 */
    pb_varint(b, field, zz);
}

void pb_fixed32(struct pb_buf *b, uint32_t field, uint32_t v)
{
    if (put_tag(b, field, WIRE_I32) == 0) append(b, &v, 4);
}

void pb_fixed64(struct pb_buf *b, uint32_t field, uint64_t v)
{
    if (put_tag(b, field, WIRE_I64) == 0) append(b, &v, 8);
}

void pb_float(struct pb_buf *b, uint32_t field, float v)
{
    if (put_tag(b, field, WIRE_I32) == 0) append(b, &v, 4);
}

void pb_double(struct pb_buf *b, uint32_t field, double v)
{
    if (put_tag(b, field, WIRE_I64) == 0) append(b, &v, 8);
}

void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t n)
{
    if (put_tag(b, field, WIRE_LEN) != 0) return;
    put_varint(b, n);
    append(b, data, n);
}

void pb_string(struct pb_buf *b, uint32_t field, const char *s)
{
    pb_bytes(b, field, s, strlen(s));
}

void pb_packed_varints(struct pb_buf *b, uint32_t field, const int64_t *v, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += pb_varint_size((uint64_t)v[i]);
    if (put_tag(b, field, WIRE_LEN) != 0) return;
    put_varint(b, bytes);
    if (reserve(b, bytes) != 0) return;
    for (size_t i = 0; i < n; i++) b->len += encode_varint((uint64_t)v[i], b->p + b->len);
}

void pb_packed_int32s(struct pb_buf *b, uint32_t field, const int32_t *v, size_t n)
{
    /* int32 values are varints of their sign-extended 64-bit form */
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += pb_varint_size((uint64_t)(int64_t)v[i]);
    if (put_tag(b, field, WIRE_LEN) != 0) return;
    put_varint(b, bytes);
    if (reserve(b, bytes) != 0) return;
    for (size_t i = 0; i < n; i++) b->len += encode_varint((uint64_t)(int64_t)v[i], b->p + b->len);
}

void pb_packed_floats(struct pb_buf *b, uint32_t field, const float *v, size_t n)
{
    pb_bytes(b, field, v, n * sizeof *v);
}

void pb_packed_doubles(struct pb_buf *b, uint32_t field, const double *v, size_t n)
{
    pb_bytes(b, field, v, n * sizeof *v);
}

void pb_begin(struct pb_buf *b, uint32_t field)
{
    if (b->failed) return;
    if (b->depth >= PB_MAX_DEPTH) {
        fail(b, "protobuf messages nested deeper than PB_MAX_DEPTH");
        return;
    }
    if (put_tag(b, field, WIRE_LEN) != 0) return;
    b->open_at[b->depth++] = b->len;
}

void pb_end(struct pb_buf *b)
{
    if (b->failed) return;
    if (b->depth == 0) {
        fail(b, "pb_end without a matching pb_begin");
        return;
    }
    size_t start = b->open_at[--b->depth];
    size_t payload = b->len - start;
    uint8_t tmp[10];
    size_t k = encode_varint(payload, tmp);
    if (reserve(b, k) != 0) return;
    memmove(b->p + start + k, b->p + start, payload);
    memcpy(b->p + start, tmp, k);
    b->len += k;
}

uint8_t *pb_take(struct pb_buf *b, size_t *n)
{
    if (!b->failed && b->depth != 0) fail(b, "pb_take with a nested message still open (pb_begin without pb_end)");
    if (b->failed) return NULL;
    if (!b->p && reserve(b, 1) != 0) return NULL;  /* an empty message is a valid, non-NULL result */
    uint8_t *out = b->p;
    *n = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return out;
}
