/* core/nn/pb_read.h — a Protocol Buffers wire-format decoder (written from the encoding rules in
 * protobuf's public documentation), for the readers of formats whose files are protobuf messages
 * without a generated schema in cpose (PaddlePaddle's ProgramDesc). No schema, no reflection: the
 * caller walks a message's fields in order and decides by field number what each one is.
 *
 *     struct pb_reader r;
 *     struct pb_field f;
 *     pb_reader_init(&r, bytes, n);
 *     while ((rc = pb_next(&r, &f)) > 0)
 *         if (f.num == 1 && f.wire == PB_WIRE_LEN) ...  // f.data, f.len: a string or a nested message
 *     if (rc < 0) ... r.error, r.error_at ...
 *
 * Everything is bounds-checked: a varint longer than 10 bytes, a length running past the end, a
 * field number 0 or above 2^29-1, and the deprecated group wire types (3, 4) are errors, never a read
 * outside the buffer. Repeated scalars come either packed (one length-delimited field) or one field
 * per value: pb_varints_of/pb_floats_of take either form. Little-endian host only. */
#ifndef CPOSE_PB_READ_H
#define CPOSE_PB_READ_H

#include <stddef.h>
#include <stdint.h>

enum pb_wire { PB_WIRE_VARINT = 0, PB_WIRE_I64 = 1, PB_WIRE_LEN = 2, PB_WIRE_I32 = 5 };

struct pb_reader {
    const uint8_t *start, *p, *end;
    const char *error;  /* what was malformed (static text), after pb_next returned -1 */
    size_t error_at;    /* its byte offset from start */
};

/* One field: its number and wire type; v holds a varint's value or the fixed32/fixed64 bits;
 * data/len the payload of a length-delimited field (pointing into the reader's buffer). */
struct pb_field {
    uint32_t num;
    int wire;
    uint64_t v;
    const uint8_t *data;
    size_t len;
};

void pb_reader_init(struct pb_reader *r, const void *data, size_t n);

/* Reads the next field into *f. Returns 1, 0 at the end of the buffer, or -1 when the bytes are
 * malformed (r->error, r->error_at say what and where; the reader stays at the bad field). */
int pb_next(struct pb_reader *r, struct pb_field *f);

/* Decodes a varint at *p (not past end), advancing *p. Returns 0, or -1 when it is truncated or
 * longer than 10 bytes. */
int pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* The values of a repeated integer field occurrence f (a single varint, or a packed run of them),
 * appended to out[*n..cap). Returns 0, -1 when malformed (a packed run that ends inside a varint,
 * a wrong wire type), or -2 when more than cap values would result. */
int pb_varints_of(const struct pb_field *f, int64_t *out, size_t cap, size_t *n);
/* The same for a repeated float field (a fixed32, or a packed run of them). */
int pb_floats_of(const struct pb_field *f, float *out, size_t cap, size_t *n);

/* A fixed32 field's bits as a float. */
float pb_float_of(const struct pb_field *f);

#endif
