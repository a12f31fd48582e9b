/* core/nn/coreml_pb.h — a minimal Protocol Buffers wire-format decoder for the CoreML reader
 * (core/nn/coreml_import.c), written from protobuf's public encoding rules: a message is walked
 * field by field (number, wire type, and the varint/fixed value or the length-delimited bytes);
 * packed repeated scalars are walked value by value. Every length and varint is bounds-checked:
 * a truncated or malformed message is reported, never read past. No schema: the caller names the
 * fields by number (FORMATS.md §6). Local to CoreML until the project has one shared decoder.
 *
 *     struct cml_pb m = cml_pb_of(bytes, n);
 *     struct cml_field f;
 *     int rc;
 *     while ((rc = cml_pb_next(&m, &f)) > 0)
 *         if (f.num == 1 && f.wire == CML_PB_VARINT) version = f.v;
 *     if (rc < 0) ... malformed (m.error says why)
 */
#ifndef CPOSE_COREML_PB_H
#define CPOSE_COREML_PB_H

#include <stddef.h>
#include <stdint.h>

enum { CML_PB_VARINT = 0, CML_PB_FIXED64 = 1, CML_PB_LEN = 2, CML_PB_FIXED32 = 5 };

/* A message (or packed field) being walked: the bytes left, and what went wrong. */
struct cml_pb {
    const uint8_t *p, *end;
    const char *error;  /* static text after a -1 */
};

/* One field: num, wire type; v holds a varint or fixed value; data/len the bytes of a LEN field. */
struct cml_field {
    uint32_t num;
    int wire;
    uint64_t v;
    const uint8_t *data;
    size_t len;
};

struct cml_pb cml_pb_of(const void *data, size_t len);
/* The message inside a LEN field. */
struct cml_pb cml_pb_sub(const struct cml_field *f);
/* Reads the next field: 1 with *f filled, 0 at the end, -1 when malformed (a truncated varint or
 * length, a length past the end, field number 0, or the group wire types 3/4). */
int cml_pb_next(struct cml_pb *m, struct cml_field *f);
/* The next varint of a packed field's bytes: 1, 0 at the end, -1 when truncated. */
int cml_pb_next_varint(struct cml_pb *m, uint64_t *v);
/* A LEN field's bytes as a NUL-terminated copy (cpose_malloc'ed). */
char *cml_pb_strdup(const struct cml_field *f);
/* Does the LEN field hold exactly the string s? */
int cml_pb_streq(const struct cml_field *f, const char *s);

#endif
