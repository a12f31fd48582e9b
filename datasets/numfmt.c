/* datasets/numfmt.c — "%g" and "%.6f" formatting without printf's cost on the common label values
 * (normalised coordinates and small integers). The digits come from the value scaled by a power of
 * ten, whose exact rounding error an fma gives, so the rounding (to nearest, ties to even, as glibc's
 * printf rounds the exact binary value) is decided exactly; values outside the ranges where that
 * holds go to snprintf. */
#include "datasets/numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const double cpose_p10d[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

static int put_uint(char *out, unsigned long long n)
{
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    for (int i = 0; i < k; i++) out[i] = tmp[k - 1 - i];
    return k;
}

static const char cpose_digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                        "8081828384858687888990919293949596979899";

/* The six decimal digits of n < 10^6 as characters in the low six bytes of a word, the first digit
 * in the lowest byte (memory order on a little-endian machine; the top two bytes are 0). */
static inline uint64_t digits6(uint32_t n)
{
    uint16_t p0, p1, p2;
    memcpy(&p0, cpose_digit_pairs + 2 * (n / 10000), 2);
    memcpy(&p1, cpose_digit_pairs + 2 * (n / 100 % 100), 2);
    memcpy(&p2, cpose_digit_pairs + 2 * (n % 100), 2);
    return (uint64_t)p0 | (uint64_t)p1 << 16 | (uint64_t)p2 << 32;
}

/* Stores the word's bytes at out in memory order (8 bytes; the caller counts only those it means). */
static void put_word(char *out, uint64_t w)
{
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    memcpy(out, &w, sizeof w);
}

/* a · 10^k (a > 0) rounded to the nearest integer, ties to even, exactly: the product rounded to a
 * double, p, plus its exact rest err (an fma) is the true value, and |err| is at most half an ulp of
 * p. Needs 10^k exact (k <= 22), p below 2^52 (an ulp below 1, so err never carries the value past a
 * half other than p's own) and a well above the subnormals. *low receives the true value's integer
 * part as a double (floor(p), or one less when p is an integer and err < 0). */
static inline uint64_t scaled_round(double a, int k, double *low)
{
    double p10 = cpose_p10d[k], p = a * p10, err = __builtin_fma(a, p10, -p), i = __builtin_floor(p), f = p - i;
    uint64_t q = (uint64_t)i;
    *low = f == 0 && err < 0 ? i - 1 : i;
    if (f > 0.5 || (f == 0.5 && (err > 0 || (err == 0 && (q & 1))))) q++;
    return q;
}

int cpose_fmt_g(char *out, double v)
{
    if (v == 0 && !signbit(v)) {
        out[0] = '0';
        return 1;
    }
    if (v > 0 && v < 999999.0 && v == (double)(long)v) return put_uint(out, (unsigned long long)v);
    double a = fabs(v);
    if (!isfinite(v) || a < 1e-4 || a >= 999999.0) return snprintf(out, CPOSE_NUMFMT_MAX, "%g", v);
    /* decimal exponent x of a: each bound is the double nearest its power of ten, which lies above
     * it for 10^-3..10^-1, so a >= bound exactly when a >= 10^x; the scaled value confirms it */
    static const double bounds[] = {1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5};
    int x = -4;
    while (x < 5 && a >= bounds[x + 4]) x++;
    double low;
    uint64_t digits = scaled_round(a, 5 - x, &low);
    if (low < 100000.0 || low >= 1000000.0) return snprintf(out, CPOSE_NUMFMT_MAX, "%g", v); /* never, by the bounds */
    if (digits == 1000000) { /* rounding carried into a new digit: 9.999996 → 10 */
        digits = 100000;
        x++;
    }
    uint64_t d = digits6((uint32_t)digits);
    /* the decimals end at the last non-zero digit: count the trailing '0's of the six */
    int last = 5 - __builtin_clzll((d ^ 0x303030303030ULL) << 16) / 8;
    int n = 0;
    if (v < 0) out[n++] = '-';
    if (x >= 0) { /* out has room for the 8-byte stores: only the returned length counts */
        put_word(out + n, d);
        n += x + 1;
        if (last > x) {
            out[n++] = '.';
            put_word(out + n, d >> (8 * (x + 1)));
            n += last - x;
        }
    } else {
        memcpy(out + n, "0.000", 5);
        n += 1 - x; /* "0." and -x - 1 zeros */
        put_word(out + n, d);
        n += last + 1;
    }
    return n;
}

int cpose_fmt_f6(char *out, double v)
{
    double a = fabs(v);
    if (!isfinite(v) || a >= 1e9 || a < 1e-7) return snprintf(out, CPOSE_NUMFMT_MAX, "%.6f", v);
    double low;
    uint64_t q = scaled_round(a, 6, &low);
    int n = 0;
    if (signbit(v)) out[n++] = '-';
    n += put_uint(out + n, q / 1000000ULL);
    out[n++] = '.';
    put_word(out + n, digits6((uint32_t)(q % 1000000ULL)));
    return n + 6;
}
