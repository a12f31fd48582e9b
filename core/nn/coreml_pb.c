/* core/nn/coreml_pb.c — the protobuf wire-format decoder of the CoreML reader (contract in
 * core/nn/coreml_pb.h). */
#include "core/nn/coreml_pb.h"

#include <string.h>

#include "core/base/alloc.h"

struct cml_pb cml_pb_of(const void *data, size_t len)
{
    struct cml_pb m = {(const uint8_t *)data, (const uint8_t *)data + len, NULL};
    return m;
}

struct cml_pb cml_pb_sub(const struct cml_field *f) { return cml_pb_of(f->data, f->len); }

int cml_pb_next_varint(struct cml_pb *m, uint64_t *v)
{
    if (m->p >= m->end) return 0;
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (m->p >= m->end) break;
        uint8_t b = *m->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 1;
        }
    }
    m->error = "a truncated or over-long varint";
    return -1;
}

int cml_pb_next(struct cml_pb *m, struct cml_field *f)
{
    if (m->p >= m->end) return 0;
    uint64_t key;
    if (cml_pb_next_varint(m, &key) < 0) return -1;
    memset(f, 0, sizeof *f);
    f->num = (uint32_t)(key >> 3), f->wire = (int)(key & 7);
    if (f->num == 0 || key >> 32) {
        m->error = "field number 0 or out of range";
        return -1;
    }
    switch (f->wire) {
    case CML_PB_VARINT:
        if (cml_pb_next_varint(m, &f->v) <= 0) {
            m->error = "a truncated varint";
            return -1;
        }
        return 1;
    case CML_PB_FIXED64:
    case CML_PB_FIXED32: {
        size_t n = f->wire == CML_PB_FIXED64 ? 8 : 4;
        if ((size_t)(m->end - m->p) < n) {
            m->error = "a truncated fixed-size value";
            return -1;
        }
        memcpy(&f->v, m->p, n);  /* little-endian host */
        m->p += n;
        return 1;
    }
    case CML_PB_LEN: {
        uint64_t n;
        if (cml_pb_next_varint(m, &n) <= 0) {
            m->error = "a truncated length";
            return -1;
        }
        if (n > (uint64_t)(m->end - m->p)) {
            m->error = "a length past the end of its message";
            return -1;
        }
        f->data = m->p, f->len = (size_t)n;
        m->p += n;
        return 1;
    }
    default:
        m->error = "an unknown wire type (groups are not read)";
        return -1;
    }
}

char *cml_pb_strdup(const struct cml_field *f)
{
    char *s = cpose_malloc(f->len + 1);
    if (f->len) memcpy(s, f->data, f->len);
    s[f->len] = 0;
    return s;
}

int cml_pb_streq(const struct cml_field *f, const char *s)
{
    return f->wire == CML_PB_LEN && strlen(s) == f->len && !memcmp(f->data, s, f->len);
}
