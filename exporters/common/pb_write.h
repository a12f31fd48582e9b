/* exporters/common/pb_write.h — a Protocol Buffers wire-format encoder (written from the encoding
 * rules in protobuf's public documentation): varints, zigzag varints, fixed32/64, floats, doubles,
 * bytes and strings, packed repeated scalars, and nested messages whose length is filled in when
 * they end. No schema, no reflection: the caller names every field by number, as the format
 * description (FORMATS.md) lists them. Shared by the exporters whose files are protobuf messages
 * (TF GraphDef/SavedModel, PaddlePaddle's ProgramDesc, CoreML's Model); ONNX keeps protobuf-c's
 * generated code.
 *
 *     struct pb_buf b;
 *     pb_init(&b, realloc, free);
 *     pb_string(&b, 1, "conv");         // field 1, length-delimited
 *     pb_begin(&b, 5);                  // field 5, a nested message ...
 *     pb_varint(&b, 1, 3);
 *     pb_end(&b);                       // ... its length is written here
 *     size_t n; uint8_t *bytes = pb_take(&b, &n);   // NULL on error; free with the free_fn
 *
 * Fields are written in the order of the calls; nothing is skipped (proto3's "omit the default" is
 * the caller's choice). Little-endian host only (x86-64, aarch64).
 *
 * Errors (out of memory, field number 0 or above 2^29-1, pb_end without pb_begin, nesting deeper
 * than PB_MAX_DEPTH, pb_take with a message still open) set b->failed and b->error; every later
 * call does nothing and pb_take returns NULL. */
#ifndef CPOSE_EXPORTERS_PB_WRITE_H
#define CPOSE_EXPORTERS_PB_WRITE_H

#include <stddef.h>
#include <stdint.h>

#define PB_MAX_DEPTH 32

struct pb_buf {
    uint8_t *p;                 /* the encoded bytes so far */
    size_t len, cap;
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
    int failed;                 /* 1 after an error: later calls do nothing */
    const char *error;          /* what failed (static text) */
    size_t open_at[PB_MAX_DEPTH];  /* where each open nested message's payload starts */
    int depth;
};

/* Starts an empty buffer using realloc_fn/free_fn for its memory (libc's, or a plugin host's). */
void pb_init(struct pb_buf *b, void *(*realloc_fn)(void *, size_t), void (*free_fn)(void *));
/* Releases the buffer's memory (not one pb_take returned). */
void pb_free(struct pb_buf *b);
/* Hands the finished bytes to the caller (*n = their count; an empty message gives a non-NULL
 * pointer and 0) and leaves b empty. NULL when an error occurred or a pb_begin is still open. */
uint8_t *pb_take(struct pb_buf *b, size_t *n);

/* Scalar fields. pb_varint takes int32/int64/uint32/uint64/bool/enum values; a negative int32 or
 * int64 is passed as (uint64_t)(int64_t)v and takes 10 bytes, as the format says. pb_sint is the
 * zigzag encoding of sint32/sint64. */
void pb_varint(struct pb_buf *b, uint32_t field, uint64_t v);
void pb_sint(struct pb_buf *b, uint32_t field, int64_t v);
void pb_fixed32(struct pb_buf *b, uint32_t field, uint32_t v);
void pb_fixed64(struct pb_buf *b, uint32_t field, uint64_t v);
void pb_float(struct pb_buf *b, uint32_t field, float v);
void pb_double(struct pb_buf *b, uint32_t field, double v);

/* Length-delimited fields: raw bytes, a NUL-terminated string (without its NUL), or an already
 * encoded message (another pb_buf's bytes, or any bytes the caller encoded). */
void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t n);
void pb_string(struct pb_buf *b, uint32_t field, const char *s);

/* Packed repeated scalars (one length-delimited field holding every value). n may be 0, which
 * writes an empty packed field. */
void pb_packed_varints(struct pb_buf *b, uint32_t field, const int64_t *v, size_t n);
void pb_packed_int32s(struct pb_buf *b, uint32_t field, const int32_t *v, size_t n);
void pb_packed_floats(struct pb_buf *b, uint32_t field, const float *v, size_t n);
void pb_packed_doubles(struct pb_buf *b, uint32_t field, const double *v, size_t n);

/* A nested message: pb_begin writes the tag, the calls until the matching pb_end write its fields,
 * and pb_end inserts the length. Nests up to PB_MAX_DEPTH deep. */
void pb_begin(struct pb_buf *b, uint32_t field);
void pb_end(struct pb_buf *b);

/* Bytes a varint of v takes (1..10): for callers sizing what they encode. */
size_t pb_varint_size(uint64_t v);

#endif
