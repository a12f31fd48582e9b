/* tests/test_pb_write.c — the protobuf wire-format encoder (exporters/common/pb_write.c): the byte
 * sequences of the encoding examples in protobuf's public documentation (varint 150, the string
 * "testing", a nested message, a packed field), zigzag and negative varints, floats and doubles, a
 * nested message whose length needs two bytes, three levels of nesting, a complex message read back
 * by `protoc-c --decode_raw` (Debian protobuf-c-compiler; that part is skipped without it), and every
 * misuse failing cleanly (field 0, an unmatched pb_end, pb_take with a message open, nesting too
 * deep, out of memory). */
/* cpose-layer: base */
#include <stdlib.h>
#include <string.h>

#include "exporters/common/pb_write.h"
#include "tests/testlib.h"

/* Takes the buffer's bytes and compares them with the expected ones; frees both sides' memory. */
static int same_bytes(struct pb_buf *b, const uint8_t *want, size_t n_want, const char *what)
{
    size_t n = 0;
    uint8_t *got = pb_take(b, &n);
    int ok = got && n == n_want && memcmp(got, want, n) == 0;
    if (!ok) {
        fprintf(stderr, "%s: got %zu bytes:", what, got ? n : 0);
        for (size_t i = 0; got && i < n && i < 48; i++) fprintf(stderr, " %02x", got[i]);
        fprintf(stderr, " (error: %s)\n", b->error ? b->error : "none");
    }
    free(got);
    pb_free(b);
    return ok;
}

static int fail_after;  /* the out-of-memory realloc fails once this many calls have been made */
static void *flaky_realloc(void *p, size_t n)
{
    if (fail_after-- <= 0) return NULL;
    return realloc(p, n);
}

int main(void)
{
    struct pb_buf b;

    /* the documentation's examples */
    pb_init(&b, realloc, free);
    pb_varint(&b, 1, 150);
    CHECK(same_bytes(&b, (const uint8_t[]){0x08, 0x96, 0x01}, 3, "varint 150"));

    pb_init(&b, realloc, free);
    pb_string(&b, 2, "testing");
    CHECK(same_bytes(&b, (const uint8_t[]){0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'}, 9, "string"));

    pb_init(&b, realloc, free);
    pb_begin(&b, 3);
    pb_varint(&b, 1, 150);
    pb_end(&b);
    CHECK(same_bytes(&b, (const uint8_t[]){0x1a, 0x03, 0x08, 0x96, 0x01}, 5, "nested"));

    pb_init(&b, realloc, free);
    pb_packed_varints(&b, 4, (const int64_t[]){3, 270, 86942}, 3);
    CHECK(same_bytes(&b, (const uint8_t[]){0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05}, 8, "packed"));

    /* zigzag: 0→0, -1→1, 1→2, -2→3, 2147483647→4294967294 */
    pb_init(&b, realloc, free);
    pb_sint(&b, 1, 0);
    pb_sint(&b, 1, -1);
    pb_sint(&b, 1, 1);
    pb_sint(&b, 1, -2);
    pb_sint(&b, 1, 2147483647);
    CHECK(same_bytes(&b, (const uint8_t[]){0x08, 0x00, 0x08, 0x01, 0x08, 0x02, 0x08, 0x03,
                                           0x08, 0xfe, 0xff, 0xff, 0xff, 0x0f}, 14, "zigzag"));

    /* a negative int32 is a 10-byte varint; packed int32s do the same */
    pb_init(&b, realloc, free);
    pb_varint(&b, 1, (uint64_t)(int64_t)-1);
    pb_packed_int32s(&b, 2, (const int32_t[]){-1, 1}, 2);
    CHECK(same_bytes(&b, (const uint8_t[]){0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                                           0x12, 0x0b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                           0x01, 0x01}, 24, "negative"));

    /* fixed-width: float 1.0 (field 5, wire type 5), double 1.0 (field 6, wire type 1), packed floats */
    pb_init(&b, realloc, free);
    pb_float(&b, 5, 1.0f);
    pb_double(&b, 6, 1.0);
    pb_fixed32(&b, 7, 0x01020304u);
    pb_packed_floats(&b, 8, (const float[]){-2.0f}, 1);
    CHECK(same_bytes(&b, (const uint8_t[]){0x2d, 0x00, 0x00, 0x80, 0x3f,
                                           0x31, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
                                           0x3d, 0x04, 0x03, 0x02, 0x01,
                                           0x42, 0x04, 0x00, 0x00, 0x00, 0xc0}, 25, "fixed"));

    /* a nested message of 203 bytes: its length takes two bytes (0xcb 0x01) and the payload moves up */
    {
        uint8_t blob[200], want[3 + 3 + 200];
        for (int i = 0; i < 200; i++) blob[i] = (uint8_t)(i * 13 + 1);
        want[0] = 0x3a; want[1] = 0xcb; want[2] = 0x01;  /* field 7, length 203 */
        want[3] = 0x0a; want[4] = 0xc8; want[5] = 0x01;  /* field 1, length 200 */
        memcpy(want + 6, blob, 200);
        pb_init(&b, realloc, free);
        pb_begin(&b, 7);
        pb_bytes(&b, 1, blob, 200);
        pb_end(&b);
        CHECK(same_bytes(&b, want, sizeof want, "two-byte length"));
    }

    /* three levels: {1: {2: {3: 1}}, 4: ""} */
    pb_init(&b, realloc, free);
    pb_begin(&b, 1);
    pb_begin(&b, 2);
    pb_begin(&b, 3);
    pb_end(&b);
    pb_varint(&b, 3, 1);
    pb_end(&b);
    pb_end(&b);
    pb_bytes(&b, 4, "", 0);
    CHECK(same_bytes(&b, (const uint8_t[]){0x0a, 0x06, 0x12, 0x04, 0x1a, 0x00, 0x18, 0x01, 0x22, 0x00}, 10, "deep"));

    /* an empty message is a valid, non-NULL result of 0 bytes */
    pb_init(&b, realloc, free);
    {
        size_t n = 99;
        uint8_t *p = pb_take(&b, &n);
        CHECK(p != NULL && n == 0);
        free(p);
    }

    /* read back by protoc-c --decode_raw, the protobuf compiler's own decoder */
    if (system("command -v protoc-c >/dev/null 2>&1") == 0) {
        pb_init(&b, realloc, free);
        pb_string(&b, 1, "graph");
        for (int i = 0; i < 2; i++) {
            pb_begin(&b, 2);
            pb_string(&b, 1, i ? "b" : "a");
            pb_varint(&b, 2, (uint64_t)(int64_t)(i ? -3 : 300));
            pb_begin(&b, 3);
            pb_float(&b, 1, 0.5f);
            pb_end(&b);
            pb_end(&b);
        }
        pb_fixed64(&b, 3, 12345678901ull);
        size_t n;
        uint8_t *p = pb_take(&b, &n);
        CHECK(p != NULL);
        char path[] = "/tmp/cpose_pb_XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        FILE *f = fdopen(fd, "wb");
        fwrite(p, 1, n, f);
        fclose(f);
        free(p);
        char cmd[256];
        snprintf(cmd, sizeof cmd, "protoc-c --decode_raw < %s", path);
        FILE *pipe = popen(cmd, "r");
        CHECK(pipe != NULL);
        char text[1024] = {0};
        size_t got = fread(text, 1, sizeof text - 1, pipe);
        text[got] = 0;
        CHECK(pclose(pipe) == 0);
        remove(path);
        /* 0.5f is 0x3f000000; --decode_raw prints fixed32 fields in hex; -3 as uint64 */
        const char *want =
            "1: \"graph\"\n"
            "2 {\n  1: \"a\"\n  2: 300\n  3 {\n    1: 0x3f000000\n  }\n}\n"
            "2 {\n  1: \"b\"\n  2: 18446744073709551613\n  3 {\n    1: 0x3f000000\n  }\n}\n"
            "3: 0x00000002dfdc1c35\n";
        if (strcmp(text, want) != 0) fprintf(stderr, "decode_raw printed:\n%s\n", text);
        CHECK(strcmp(text, want) == 0);
    } else {
        printf("note: protoc-c not installed; the --decode_raw part is skipped\n");
    }

    /* misuse fails cleanly, and later calls do nothing */
    size_t n;
    pb_init(&b, realloc, free);
    pb_varint(&b, 0, 1);
    CHECK(b.failed && strstr(b.error, "field number"));
    pb_varint(&b, 1, 1);
    CHECK(pb_take(&b, &n) == NULL);
    pb_free(&b);

    pb_init(&b, realloc, free);
    pb_end(&b);
    CHECK(b.failed && strstr(b.error, "pb_end"));
    pb_free(&b);

    pb_init(&b, realloc, free);
    pb_begin(&b, 1);
    CHECK(pb_take(&b, &n) == NULL && strstr(b.error, "still open"));
    pb_free(&b);

    pb_init(&b, realloc, free);
    for (int i = 0; i < PB_MAX_DEPTH + 1; i++) pb_begin(&b, 1);
    CHECK(b.failed && strstr(b.error, "deeper"));
    pb_free(&b);

    pb_init(&b, realloc, free);
    pb_varint(&b, (1u << 29), 1);
    CHECK(b.failed);
    pb_free(&b);

    fail_after = 1;  /* the first allocation succeeds, the growth fails */
    pb_init(&b, flaky_realloc, free);
    uint8_t big[1000] = {0};
    pb_bytes(&b, 1, big, 10);
    CHECK(!b.failed);
    pb_bytes(&b, 2, big, sizeof big);
    CHECK(b.failed && strstr(b.error, "out of memory"));
    CHECK(pb_take(&b, &n) == NULL);
    pb_free(&b);

    return tl_finish();
}
