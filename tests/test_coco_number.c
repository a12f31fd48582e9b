/* tests/test_coco_number.c — the COCO reader's number conversion (cpose_coco_number_scan) against
 * strtod, bit for bit: random doubles printed with 15–20 significant digits (%.17g is what Python
 * writes), exact rounding midpoints and their neighbours, every decimal exponent the integer path
 * takes and those next to it, subnormals, signed zeros (the integer -0 reads as +0, as in Python's
 * json), values near 2^53 and 2^64, and digit strings too long for 19 digits. Each text must also be
 * read to its end. */
/* cpose-layer: datasets */
#include <math.h>
#include <stdint.h>

#include "core/base/alloc.h"
#include "datasets/coco_json_impl.h"
#include "tests/testlib.h"

static int n_bad, n_total;

/* Compares one text (valid JSON number) with strtod, or with +0 for the integer -0 (Python's json
 * reads it as int 0); reports the first few differences. */
static void check_text(const char *text)
{
    size_t len = strlen(text);
    double got = 0, want = strtod(text, NULL);
    if (want == 0 && !strpbrk(text, ".eE")) want = 0.0;
    size_t used = cpose_coco_number_scan(text, len, &got);
    n_total++;
    if (used != len || memcmp(&got, &want, sizeof got) != 0) {
        if (n_bad < 8)
            fprintf(stderr, "  %s: read %zu of %zu bytes, got %a want %a\n", text, used, len, got, want);
        n_bad++;
    }
}


/* Random finite doubles of every magnitude, and of the magnitudes keypoints have, in %.Ng. */
static void test_random_doubles(void)
{
    char text[64];
    for (int t = 0; t < 400000; t++) {
        uint64_t bits = tl_rand_u64();
        double v;
        if (t % 2) {
            memcpy(&v, &bits, sizeof v);
            if (!isfinite(v)) continue;
        } else {
            v = (double)(bits >> 11) / 9007199254740992.0 * pow(10, (int)(bits % 9) - 3); /* 0.001 .. 1e5 */
        }
        int prec = 15 + t % 6;
        snprintf(text, sizeof text, "%.*g", prec, v);
        check_text(text);
    }
    CHECK_MSG(n_bad == 0, "%d of %d random doubles differ from strtod", n_bad, n_total);
}

/* Midpoints between adjacent doubles (strtod rounds them to even) and one unit in the last digit either
 * side: with 1–11 fraction digits (the integer path's negative exponents) and as 16–20 digit integers. */
static void test_midpoints(void)
{
    char text[96];
    n_bad = n_total = 0;
    for (int k = 0; k <= 11; k++) {
        for (int t = 0; t < 3000; t++) {
            /* d in [2^(52-k), 2^(53-k)) has ulp 2^-k; d + ulp/2 has exactly k+1 binary fraction digits */
            uint64_t mant = (1ull << 52) | (tl_rand_u64() >> 12);
            long double mid = ((long double)mant + 0.5L) / (long double)(1ull << k);
            snprintf(text, sizeof text, "%.*Lf", k + 1, mid);
            check_text(text);
            /* neighbours: change the last digit by one */
            size_t n = strlen(text);
            char up[96], down[96];
            memcpy(up, text, n + 1);
            memcpy(down, text, n + 1);
            if (up[n - 1] < '9') { up[n - 1]++; check_text(up); }
            if (down[n - 1] > '0') { down[n - 1]--; check_text(down); }
        }
    }
    for (int t = 0; t < 20000; t++) { /* integer midpoints above 2^53 */
        int shift = 1 + t % 11;
        uint64_t mant = (1ull << 52) | (tl_rand_u64() >> 12);
        unsigned __int128 mid = ((unsigned __int128)mant << shift) + ((unsigned __int128)1 << (shift - 1));
        char digits[48], *p = digits + sizeof digits - 1;
        *p = 0;
        do { *--p = (char)('0' + (int)(mid % 10)); mid /= 10; } while (mid);
        check_text(p);
        snprintf(text, sizeof text, "%c.%se%d", p[0], p + 1, (int)strlen(p) - 1); /* also as d.ddd…eN */
        check_text(text);
    }
    CHECK_MSG(n_bad == 0, "%d of %d midpoints (or neighbours) differ from strtod", n_bad, n_total);
}

/* 16–19 significant digits at every decimal exponent from -32 to 32 (the integer path covers ±27). */
static void test_exponents(void)
{
    char text[96];
    n_bad = n_total = 0;
    for (int q = -32; q <= 32; q++) {
        for (int t = 0; t < 2000; t++) {
            int digits = 16 + t % 4;
            char sig[24];
            for (int d = 0; d < digits; d++) sig[d] = (char)('0' + tl_rand_u64() % 10);
            if (sig[0] == '0') sig[0] = '1' + (char)(t % 9);
            if (t % 7 == 0) memset(sig + 1, t % 14 ? '9' : '0', (size_t)digits - 1); /* 1000…, x999… */
            sig[digits] = 0;
            snprintf(text, sizeof text, "%s%se%d", t % 3 ? "" : "-", sig, q);
            check_text(text);
            /* the same value with a decimal point (exp10 = q - fraction digits) */
            int point = 1 + t % (digits - 1);
            snprintf(text, sizeof text, "%.*s.%se%d", point, sig, sig + point, q);
            check_text(text);
        }
    }
    CHECK_MSG(n_bad == 0, "%d of %d numbers at exponents -32..32 differ from strtod", n_bad, n_total);
}

static void test_edge_cases(void)
{
    static const char *texts[] = {
        "0", "-0", "0.0", "-0.0", "0e5", "-0e-5", "0.000000000000000000000000000000", "-0.0000000000000000000000000001",
        "4.9e-324", "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "2.2250738585072011e-308",
        "2.2250738585072014e-308", "2.2250738585072012e-308", "1.7976931348623157e308", "1.7976931348623158e308",
        "9007199254740991", "9007199254740992", "9007199254740993", "9007199254740994", "9007199254740995",
        "9007199254740993.0000000001", "900719925474099.25", "900719925474099.75", "4503599627370496.5",
        "4503599627370497.5", "18446744073709551615", "18446744073709551616", "9999999999999999999",
        "10000000000000000000", "1844674407370955161.5", "0.1", "0.2", "0.3", "0.30000000000000004",
        "0.34618676238233825", "65.579083703510094", "0.022548519759789221", "1e22", "1e23", "1e-22", "1e-23",
        "1e27", "1e28", "1e-27", "1e-28", "9.9999999999999999e26", "1.0000000000000001e-27",
        "1234567890123456789e-27", "1234567890123456789e27", "1234567890123456789e-28", "1234567890123456789e28",
        "123456789012345678901234567890", "0.123456789012345678901234567890",
        "1.00000000000000011102230246251565404236316680908203125", /* 1 + ulp/2: ties to even */
        "1.00000000000000011102230246251565404236316680908203124", "1.00000000000000011102230246251565404236316680908203126",
        "7.2057594037927933e16", "2.9802322387695312e-8", "1e-1", "12e-1", "-65.386379606528621e+0", "6.5E1",
    };
    n_bad = n_total = 0;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) check_text(texts[i]);
    /* a digit string longer than the conversion's stack buffer */
    char *longtext = cpose_malloc(900);
    memset(longtext, '7', 899);
    longtext[0] = '3', longtext[400] = '.', longtext[899] = 0;
    check_text(longtext);
    cpose_free(longtext);
    CHECK_MSG(n_bad == 0, "%d of %d edge cases differ from strtod", n_bad, n_total);
    double v = 1;
    CHECK(cpose_coco_number_scan("-0", 2, &v) == 2 && v == 0 && !signbit(v)); /* Python: int 0 */
    CHECK(cpose_coco_number_scan("-0.0", 4, &v) == 4 && v == 0 && signbit(v)); /* Python: float -0.0 */
    CHECK(cpose_coco_number_scan("-0e0", 4, &v) == 4 && v == 0 && signbit(v));
    CHECK(cpose_coco_number_scan("-0,", 3, &v) == 2 && v == 0 && !signbit(v));
    CHECK(cpose_coco_number_scan("12345678.9", 5, &v) == 5 && v == 12345); /* stops at n */
    CHECK(cpose_coco_number_scan("1.", 2, &v) == 0 && cpose_coco_number_scan("-x", 2, &v) == 0);
}

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    tl_rng_state = 0x243F6A8885A308D3ull;
    TL_GENERATED(test_random_doubles());
    TL_GENERATED(test_midpoints());
    TL_GENERATED(test_exponents());
    TL_GENERATED(test_edge_cases());
    return tl_finish();
}
