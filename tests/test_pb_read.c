/* tests/test_pb_read.c — the protobuf wire-format decoder (core/nn/pb_read.c): the byte sequences of
 * the encoding examples in protobuf's public documentation (field 1 = varint 150 as 08 96 01, field
 * 2 = "testing", a nested message 1a 03 08 96 01, field 4 packed [3, 270, 86942] as 22 06 03 8e 02
 * 9e a7 05), the same repeated field unpacked, a ten-byte negative varint, fixed32/fixed64 and a
 * packed float run; and every malformed input refused without reading past the buffer (a truncated
 * varint, an eleven-byte varint, a length past the end, field number 0, a group wire type, a packed
 * run cut inside a varint, more values than the caller's room). Each malformed case is decoded from
 * an exactly-sized heap copy, so a read past the end would show under a sanitizer. */
/* cpose-layer: nn */
#include <stdlib.h>
#include <string.h>

#include "core/nn/pb_read.h"
#include "tests/testlib.h"

/* Walks every field of bytes; returns pb_next's last result (0 = clean end, -1 = malformed). */
static int walk(const uint8_t *bytes, size_t n, const char **err, int *fields)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, bytes, n);
    struct pb_reader r;
    struct pb_field f;
    pb_reader_init(&r, copy, n);
    int rc;
    *fields = 0;
    while ((rc = pb_next(&r, &f)) > 0) (*fields)++;
    *err = r.error;
    free(copy);
    return rc;
}

int main(void)
{
    struct pb_reader r;
    struct pb_field f;

    /* the documentation's examples */
    static const uint8_t v150[] = {0x08, 0x96, 0x01};
    pb_reader_init(&r, v150, sizeof v150);
    CHECK(pb_next(&r, &f) == 1 && f.num == 1 && f.wire == PB_WIRE_VARINT && f.v == 150);
    CHECK(pb_next(&r, &f) == 0);

    static const uint8_t str[] = {0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'};
    pb_reader_init(&r, str, sizeof str);
    CHECK(pb_next(&r, &f) == 1 && f.num == 2 && f.wire == PB_WIRE_LEN && f.len == 7 && !memcmp(f.data, "testing", 7));

    static const uint8_t nested[] = {0x1a, 0x03, 0x08, 0x96, 0x01};
    pb_reader_init(&r, nested, sizeof nested);
    CHECK(pb_next(&r, &f) == 1 && f.num == 3 && f.len == 3);
    struct pb_reader inner;
    pb_reader_init(&inner, f.data, f.len);
    CHECK(pb_next(&inner, &f) == 1 && f.num == 1 && f.v == 150 && pb_next(&inner, &f) == 0);

    static const uint8_t packed[] = {0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05};
    int64_t vals[8];
    size_t nv = 0;
    pb_reader_init(&r, packed, sizeof packed);
    CHECK(pb_next(&r, &f) == 1 && f.num == 4 && pb_varints_of(&f, vals, 8, &nv) == 0);
    CHECK(nv == 3 && vals[0] == 3 && vals[1] == 270 && vals[2] == 86942);
    nv = 0;
    CHECK_MSG(pb_varints_of(&f, vals, 2, &nv) == -2, "three packed values into room for two");

    /* the same field unpacked: one tag per value */
    static const uint8_t unpacked[] = {0x20, 0x03, 0x20, 0x8e, 0x02, 0x20, 0x9e, 0xa7, 0x05};
    pb_reader_init(&r, unpacked, sizeof unpacked);
    nv = 0;
    while (pb_next(&r, &f) > 0) CHECK(f.num == 4 && pb_varints_of(&f, vals, 8, &nv) == 0);
    CHECK(nv == 3 && vals[0] == 3 && vals[1] == 270 && vals[2] == 86942);

    /* int64 -1: ten bytes, the last 0x01 */
    static const uint8_t neg[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    pb_reader_init(&r, neg, sizeof neg);
    CHECK(pb_next(&r, &f) == 1 && (int64_t)f.v == -1);

    /* fixed32 0.5f (0x3f000000), fixed64 bits, packed floats [1.0, -2.0] */
    static const uint8_t fixed[] = {0x0d, 0x00, 0x00, 0x00, 0x3f, 0x11, 1, 2, 3, 4, 5, 6, 7, 8,
                                    0x1a, 0x08, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0};
    pb_reader_init(&r, fixed, sizeof fixed);
    CHECK(pb_next(&r, &f) == 1 && f.wire == PB_WIRE_I32 && pb_float_of(&f) == 0.5f);
    CHECK(pb_next(&r, &f) == 1 && f.wire == PB_WIRE_I64 && f.v == 0x0807060504030201ull);
    float fl[4];
    size_t nf = 0;
    CHECK(pb_next(&r, &f) == 1 && pb_floats_of(&f, fl, 4, &nf) == 0 && nf == 2 && fl[0] == 1.0f && fl[1] == -2.0f);
    CHECK(pb_next(&r, &f) == 0);

    /* malformed: each refused, with a message */
    static const struct {
        const char *what;
        uint8_t b[16];
        size_t n;
        int fields_before;
    } bad[] = {
        {"truncated varint", {0x08, 0x96}, 2, 0},
        {"eleven-byte varint", {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 12, 0},
        {"tenth byte above 1", {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 11, 0},
        {"length past the end", {0x08, 0x01, 0x12, 0x05, 'a', 'b'}, 6, 1},
        {"field number 0", {0x00, 0x01}, 2, 0},
        {"start group", {0x0b, 0x0c}, 2, 0},
        {"fixed32 cut", {0x0d, 0x00, 0x00}, 3, 0},
        {"fixed64 cut", {0x09, 1, 2, 3, 4, 5, 6, 7}, 8, 0},
        {"truncated tag", {0x80}, 1, 0},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char *err = NULL;
        int fields = 0;
        int rc = walk(bad[k].b, bad[k].n, &err, &fields);
        CHECK_MSG(rc == -1 && err && fields == bad[k].fields_before, "%s: rc %d, %d fields, error %s", bad[k].what, rc,
                  fields, err ? err : "none");
        printf("refused (%s): %s\n", bad[k].what, err ? err : "?");
    }
    /* a packed run cut inside a varint, and a float run of 5 bytes */
    static const uint8_t cut[] = {0x22, 0x02, 0x03, 0x8e};
    pb_reader_init(&r, cut, sizeof cut);
    nv = 0;
    CHECK(pb_next(&r, &f) == 1 && pb_varints_of(&f, vals, 8, &nv) == -1);
    static const uint8_t f5[] = {0x1a, 0x05, 0, 0, 0x80, 0x3f, 0};
    pb_reader_init(&r, f5, sizeof f5);
    nf = 0;
    CHECK(pb_next(&r, &f) == 1 && pb_floats_of(&f, fl, 4, &nf) == -1);
    /* a fixed32 occurrence is not an integer field */
    pb_reader_init(&r, fixed, sizeof fixed);
    nv = 0;
    CHECK(pb_next(&r, &f) == 1 && pb_varints_of(&f, vals, 8, &nv) == -1);
    return tl_finish();
}
