/* tests/test_flatbuf.c — the FlatBuffers builder (exporters/common/flatbuf.c): a buffer holding one
 * of each kind of field is read back by `flatc --json` (Debian flatbuffers-compiler) with a schema
 * written for this test (tests/helpers/flatbuf_test.fbs) and compared with the values put in; the
 * force-aligned vector starts on 16 bytes, identical vtables are shared, the identifier sits at
 * bytes 4-7, and misuse (a field outside a table, an object built inside one) fails cleanly.
 * Skips (77) when flatc is not installed. */
/* cpose-layer: base */
#include <stdlib.h>
#include <string.h>

#include "exporters/common/flatbuf.h"
#include "tests/testlib.h"

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Address of field f of the table at p (NULL when absent), read the way any reader does. */
static const uint8_t *field(const uint8_t *table, int f)
{
    int32_t soff;
    memcpy(&soff, table, 4);
    const uint8_t *vt = table - soff;
    uint16_t vsize, off;
    memcpy(&vsize, vt, 2);
    if (4 + 2 * f >= vsize) return NULL;
    memcpy(&off, vt + 4 + 2 * f, 2);
    return off ? table + off : NULL;
}

struct point { float x, y; int32_t id; };

int main(void)
{
    if (system("command -v flatc >/dev/null 2>&1") != 0) {
        printf("SKIP: flatc not installed (Debian flatbuffers-compiler; scripts/setup.sh installs it)\n");
        return 77;
    }
    const char *src = getenv("CPOSE_SOURCE_DIR");
    char schema[4200];
    snprintf(schema, sizeof schema, "%s/tests/helpers/flatbuf_test.fbs", src ? src : CPOSE_SOURCE_DIR);

    struct fb_builder b;
    fb_init(&b, realloc, free);
    /* children first */
    fb_ref title = fb_string(&b, "pose \"model\" ✓");
    const int32_t numbers[5] = {1, -2, 3, 2147483647, -2147483647 - 1};
    fb_ref nums = fb_vector(&b, numbers, 5, 4, 4);
    uint8_t raw[37];
    for (int i = 0; i < 37; i++) raw[i] = (uint8_t)(i * 7);
    fb_ref rawv = fb_vector(&b, raw, 37, 1, 16);
    fb_ref items[3];
    const char *item_names[3] = {"a", "bb", "ccc"};
    for (int i = 0; i < 3; i++) {
        fb_ref n = fb_string(&b, item_names[i]);
        fb_table_start(&b);
        fb_add_ref(&b, 0, n);
        fb_add_i32(&b, 1, 100 * (i + 1));
        items[i] = fb_table_end(&b);
    }
    CHECK_MSG(b.n_vtables == 1, "three Items with the same fields share one vtable (%zu written)", b.n_vtables);
    fb_ref itemv = fb_vector_refs(&b, items, 3);
    fb_ref sn[2] = {fb_string(&b, "first"), fb_string(&b, "")};
    fb_ref namev = fb_vector_refs(&b, sn, 2);
    const struct point pts[2] = {{1.5f, -2.25f, 3}, {0.125f, 1e6f, -4}};
    fb_ref ptv = fb_vector(&b, pts, 2, sizeof pts[0], 4);
    fb_ref empty = fb_vector(&b, NULL, 0, 4, 4);
    (void)empty;
    fb_table_start(&b);
    fb_add_i8(&b, 0, -5);
    fb_add_i32(&b, 1, 123456);
    fb_add_i64(&b, 2, (int64_t)1 << 40);
    fb_add_f32(&b, 3, 0.75f);
    fb_add_ref(&b, 4, title);
    fb_add_ref(&b, 5, nums);
    fb_add_ref(&b, 6, rawv);
    fb_add_ref(&b, 7, itemv);
    const struct point where = {7.0f, 8.5f, 9};
    fb_add_struct(&b, 8, &where, sizeof where, 4);
    fb_add_ref(&b, 9, namev);
    fb_add_u8(&b, 11, 1);
    fb_add_ref(&b, 12, ptv);
    fb_add_i16(&b, 13, -300);
    fb_add_u32(&b, 14, 4000000000u);
    fb_ref root = fb_table_end(&b);
    uint8_t *out = NULL;
    size_t len = 0;
    CHECK(fb_finish(&b, root, "CPFB", &out, &len) == 0);
    CHECK(out && len % 16 == 0);
    if (!out) return tl_finish();
    CHECK(!memcmp(out + 4, "CPFB", 4));

    /* the force-aligned vector's data starts on 16 bytes; the items read back by hand */
    const uint8_t *rt = out + rd32(out);
    const uint8_t *f6 = field(rt, 6);
    CHECK(f6 != NULL);
    if (f6) {
        const uint8_t *vec = f6 + rd32(f6);
        CHECK(rd32(vec) == 37);
        CHECK_MSG((size_t)(vec + 4 - out) % 16 == 0, "raw data at byte %zu", (size_t)(vec + 4 - out));
        CHECK(!memcmp(vec + 4, raw, 37));
    }
    CHECK(field(rt, 10) == NULL);

    /* flatc reads it back as JSON */
    const char *dir = tl_tmpdir("flatbuf");
    char bin[600], cmd[9000];
    snprintf(bin, sizeof bin, "%s/sample.bin", dir);
    FILE *f = fopen(bin, "wb");
    CHECK(f && fwrite(out, 1, len, f) == len);
    if (f) fclose(f);
    snprintf(cmd, sizeof cmd, "cd '%s' && flatc --json --strict-json --defaults-json --raw-binary '%s' -- sample.bin", dir,
             schema);
    CHECK_MSG(system(cmd) == 0, "flatc could not read the buffer: %s", cmd);
    const char *expected =
        "{\"a_byte\": -5, \"an_int\": 123456, \"a_long\": 1099511627776, \"a_float\": 0.75,"
        " \"title\": \"pose \\\"model\\\" \\u2713\", \"numbers\": [1, -2, 3, 2147483647, -2147483648],"
        " \"raw\": [RAW], \"items\": [{\"name\": \"a\", \"value\": 100}, {\"name\": \"bb\", \"value\": 200},"
        " {\"name\": \"ccc\", \"value\": 300}], \"where\": {\"x\": 7.0, \"y\": 8.5, \"id\": 9},"
        " \"names\": [\"first\", \"\"], \"absent\": 7, \"flag\": true,"
        " \"points\": [{\"x\": 1.5, \"y\": -2.25, \"id\": 3}, {\"x\": 0.125, \"y\": 1000000.0, \"id\": -4}],"
        " \"a_short\": -300, \"an_unsigned\": 4000000000}";
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 - '%s/sample.json' <<'EOF'\n"
             "import json, sys\n"
             "got = json.load(open(sys.argv[1]))\n"
             "want = json.loads(r'''%s'''.replace('RAW', ', '.join(str(i * 7) for i in range(37))))\n"
             "for k in want:\n"
             "    if got.get(k) != want[k]: print('field', k, 'got', got.get(k), 'want', want[k]); sys.exit(1)\n"
             "extra = set(got) - set(want)\n"
             "if extra: print('unexpected fields', extra); sys.exit(1)\n"
             "print('flatc read back every field')\n"
             "EOF",
             dir, expected);
    CHECK_MSG(system(cmd) == 0, "flatc's JSON differs from the values built");
    free(out);

    /* misuse fails cleanly, and fb_finish reports it */
    fb_add_i32(&b, 0, 1);
    CHECK(b.failed && strstr(b.error, "outside a table"));
    CHECK(fb_finish(&b, root, "CPFB", &out, &len) == -1 && out == NULL);
    fb_free(&b);
    fb_init(&b, realloc, free);
    fb_table_start(&b);
    fb_string(&b, "x");
    CHECK(b.failed && strstr(b.error, "while a table was open"));
    fb_free(&b);
    fb_init(&b, realloc, free);
    fb_table_start(&b);
    fb_add_i32(&b, 2, 1);
    fb_add_i32(&b, 2, 1);
    CHECK(b.failed && strstr(b.error, "twice"));
    fb_free(&b);
    return tl_finish();
}
