/* tests/test_coco_scan.c — the polygon check the COCO reader skips yajl with
 * (cpose_coco_number_array_len, datasets/coco_json_scan.c) against a plain recursive-descent reading of
 * RFC 8259's number-array grammar written here: the same length, or the same refusal, on polygons
 * long enough for the 64-byte block check and then mutated byte by byte, on every spacing style. */
/* cpose-layer: datasets */
#include "datasets/coco_json_impl.h"
#include "tests/testlib.h"

#include <string.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* ---- the reference: one byte at a time, straight from the grammar ---- */

static int digit_at(const char *s, size_t n, size_t i) { return i < n && s[i] >= '0' && s[i] <= '9'; }

/* End of the number starting at i, or 0. */
static size_t ref_number(const char *s, size_t n, size_t i)
{
    if (i < n && s[i] == '-') i++;
    if (!digit_at(s, n, i)) return 0;
    if (s[i] == '0') i++;
    else
        while (digit_at(s, n, i)) i++;
    if (i < n && s[i] == '.') {
        i++;
        if (!digit_at(s, n, i)) return 0;
        while (digit_at(s, n, i)) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (!digit_at(s, n, i)) return 0;
        while (digit_at(s, n, i)) i++;
    }
    return i;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) i++;
    return i;
}

/* End of the array of numbers and arrays starting at i ('['), or 0. */
static size_t ref_array(const char *s, size_t n, size_t i, int depth)
{
    if (depth > 64 || i >= n || s[i] != '[') return 0;
    i = skip_ws(s, n, i + 1);
    if (i < n && s[i] == ']') return i + 1;
    for (;;) {
        size_t end = i < n && s[i] == '[' ? ref_array(s, n, i, depth + 1) : ref_number(s, n, i);
        if (!end) return 0;
        i = skip_ws(s, n, end);
        if (i < n && s[i] == ']') return i + 1;
        if (i >= n || s[i] != ',') return 0;
        i = skip_ws(s, n, i + 1);
    }
}

/* ---- generated polygons ---- */

/* A valid polygon list of about `items` numbers in the spacing style given. */
static size_t polygon(char *b, int items, int style)
{
    static const char *const seps[] = {",", ", ", " , ", ",\n  "};
    size_t n = 0;
    b[n++] = '[';
    b[n++] = '[';
    for (int k = 0; k < items; k++) {
        if (k) {
            if (rnd(30) == 0) {
                memcpy(b + n, "], [", 4); /* a second polygon */
                n += 4;
            } else {
                const char *sep = seps[style == 4 ? rnd(4) : (uint32_t)style];
                memcpy(b + n, sep, strlen(sep));
                n += strlen(sep);
            }
        }
        if (rnd(8) == 0) b[n++] = '-';
        if (rnd(6) == 0) b[n++] = '0';
        else {
            int more = (int)rnd(rnd(10) == 0 ? 22 : 4);
            b[n++] = (char)('1' + rnd(9));
            for (int q = 0; q < more; q++) b[n++] = (char)('0' + rnd(10));
        }
        if (rnd(4)) {
            b[n++] = '.';
            int frac = 1 + (int)rnd(rnd(10) == 0 ? 20 : 4);
            for (int q = 0; q < frac; q++) b[n++] = (char)('0' + rnd(10));
        }
        if (rnd(40) == 0) n += (size_t)sprintf(b + n, "e%s%d", rnd(2) ? "-" : "", (int)rnd(30));
    }
    b[n++] = ']';
    b[n++] = ']';
    return n;
}

static void test_against_reference(void)
{
    static const char alphabet[] = "0123456789.,- []eE+-0.,\n\xfa\xff:/";
    int n_ok = 0, n_bad = 0, n_fail = 0;
    for (int t = 0; t < 200000; t++) {
        char b[2048];
        size_t n = polygon(b, 1 + (int)rnd(60), (int)rnd(5));
        int mutations = (int)rnd(4);
        for (int m = 0; m < mutations && n > 2; m++) {
            size_t at = rnd((uint32_t)n);
            char c = alphabet[rnd(sizeof alphabet - 1)];
            switch (rnd(3)) {
            case 0: b[at] = c; break;
            case 1: memmove(b + at, b + at + 1, n - at - 1), n--; break;
            default: memmove(b + at + 1, b + at, n - at), n++, b[at] = c; break;
            }
        }
        /* what follows the value: more document, or the end of the buffer right after it */
        size_t len = n;
        if (rnd(2)) {
            memcpy(b + n, ", \"area\": 702.1, \"iscrowd\": 0, \"image_id\": 289343, \"bbox\": [1, 2, 3, 4]}", 72);
            len += 72;
        }
        size_t want = ref_array(b, len, 0, 1), got = cpose_coco_number_array_len(b, len);
        if (want) n_ok++;
        else n_bad++;
        if (want != got && n_fail++ < 5)
            CHECK_MSG(0, "'%.*s': length %zu, reference %zu", (int)n, b, got, want);
    }
    CHECK_MSG(n_fail == 0, "%d of 200000 polygons differ from the reference", n_fail);
    CHECK_MSG(n_ok > 60000 && n_bad > 30000, "%d accepted, %d refused: the generator lost its mix", n_ok, n_bad);
}

static void test_cases(void)
{
    static const struct { const char *text; int ok; } cases[] = { /* ok: the whole text is the array */
        /* a block of 64 bytes: each rule of the block check, broken once */
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, 367.12, 154.41, 229.49, 264.98]]", 1},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, 367.1.2, 154.41, 229.49, 264.98]]", 0},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, 367.12 154.41, 229.49, 264.98]]", 0},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41,, 367.12, 154.41, 229.49, 264.98]]", 0},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, 0367.12, 154.41, 229.49, 264.98]]", 0},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, -0.12, 154.41, 229.49, 264.98]]", 1},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, 3-67.12, 154.41, 229.49, 264.98]]", 0},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, -.12, 154.41, 229.49, 264.98]]", 0},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, 367., 154.41, 229.49, 264.98]]", 0},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, .12, 154.41, 229.49, 264.98]]", 0},
        {"[[197.86, 342.48, 132.58, 291.85, 133.41, 12-, 154.41, 229.49, 264.98]]", 0},
        {"[[197.86,342.48,132.58,291.85,133.41,367.12,154.41,229.49,264.98,1,2,3,4,5]]", 1},
        {"[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]]", 1},
        {"[[]]", 1},
        {"[[1e5, -2E-3, 0.5e+2]]", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *t = cases[i].text;
        size_t want = cases[i].ok ? strlen(t) : 0;
        CHECK_MSG(ref_array(t, strlen(t), 0, 1) == want, "reference on %s", t);
        CHECK_MSG(cpose_coco_number_array_len(t, strlen(t)) == want, "%s: %zu, expected %zu", t,
                  cpose_coco_number_array_len(t, strlen(t)), want);
    }
}

int main(void)
{
    TL_GENERATED(test_cases());
    TL_GENERATED(test_against_reference());
    return tl_finish();
}
