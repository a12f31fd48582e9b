/* datasets/coco_json_number.c — the COCO reader's JSON numbers: one pass that checks RFC 8259's
 * number grammar and converts the text to the double strtod (and Python's float()) gives, bit for
 * bit. Digits are read eight per step; the conversion is exact integer arithmetic for the numbers
 * COCO files are made of (up to 19 significant digits, decimal exponent within ±27) and strtod for
 * the rest. */
#include "datasets/coco_json_impl.h"
#include "core/base/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The leading run of ASCII digits in the eight bytes at s (read as one little-endian word): its length
 * (0..8) is returned and its value stored in *value. Digit test: a byte is '0'..'9' exactly when its
 * high nibble is 3 and adding 6 leaves it 3. Conversion in three multiplies on the run moved to the
 * top bytes (the zero bytes below it read as leading zeros): adjacent digits pair up (10·a + b), then
 * pairs into fours through multipliers that land each partial sum in the upper 32 bits. */
static int digit_run(const char *s, uint64_t *value)
{
    uint64_t v;
    memcpy(&v, s, 8);
    uint64_t not_digit = ((v & 0xF0F0F0F0F0F0F0F0ull) | (((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) ^
                         0x3333333333333333ull;
    int n = not_digit ? __builtin_ctzll(not_digit) >> 3 : 8;
    if (n == 0) return 0;
    v -= 0x3030303030303030ull;
    v <<= 8 * (8 - n);
    v = v * 10 + (v >> 8); /* bytes 0, 2, 4, 6: two-digit values */
    v = ((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32)) +
         ((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32))) >> 32;
    *value = (uint32_t)v;
    return n;
}

static const uint64_t POW10_U64[] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
                                     100000000ull};

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

/* 5^q, q = 0..27 (5^27 < 2^63). */
static const uint64_t POW5[] = {
    1u, 5u, 25u, 125u, 625u, 3125u, 15625u, 78125u, 390625u, 1953125u, 9765625u, 48828125u, 244140625u,
    1220703125u, 6103515625ull, 30517578125ull, 152587890625ull, 762939453125ull, 3814697265625ull,
    19073486328125ull, 95367431640625ull, 476837158203125ull, 2384185791015625ull, 11920928955078125ull,
    59604644775390625ull, 298023223876953125ull, 1490116119384765625ull, 7450580596923828125ull};

/* 5^-n as R = floor(2^(127+b) / 5^n) in [2^127, 2^128), b = bit length of 5^n, n = 1..27 (row n-1):
 * R = hi·2^64 + lo. Computed with exact integer arithmetic (Python: (1 << (127 + b)) // 5**n). */
static const struct { uint64_t hi, lo; int b; } RECIP5[] = {
    {0xccccccccccccccccull, 0xccccccccccccccccull, 3},
    {0xa3d70a3d70a3d70aull, 0x3d70a3d70a3d70a3ull, 5},
    {0x83126e978d4fdf3bull, 0x645a1cac083126e9ull, 7},
    {0xd1b71758e219652bull, 0xd3c36113404ea4a8ull, 10},
    {0xa7c5ac471b478423ull, 0x0fcf80dc33721d53ull, 12},
    {0x8637bd05af6c69b5ull, 0xa63f9a49c2c1b10full, 14},
    {0xd6bf94d5e57a42bcull, 0x3d32907604691b4cull, 17},
    {0xabcc77118461cefcull, 0xfdc20d2b36ba7c3dull, 19},
    {0x89705f4136b4a597ull, 0x31680a88f8953030ull, 21},
    {0xdbe6fecebdedd5beull, 0xb573440e5a884d1bull, 24},
    {0xafebff0bcb24aafeull, 0xf78f69a51539d748ull, 26},
    {0x8cbccc096f5088cbull, 0xf93f87b7442e45d3ull, 28},
    {0xe12e13424bb40e13ull, 0x2865a5f206b06fb9ull, 31},
    {0xb424dc35095cd80full, 0x538484c19ef38c94ull, 33},
    {0x901d7cf73ab0acd9ull, 0x0f9d37014bf60a10ull, 35},
    {0xe69594bec44de15bull, 0x4c2ebe687989a9b3ull, 38},
    {0xb877aa3236a4b449ull, 0x09befeb9fad487c2ull, 40},
    {0x9392ee8e921d5d07ull, 0x3aff322e62439fcfull, 42},
    {0xec1e4a7db69561a5ull, 0x2b31e9e3d06c32e5ull, 45},
    {0xbce5086492111aeaull, 0x88f4bb1ca6bcf584ull, 47},
    {0x971da05074da7beeull, 0xd3f6fc16ebca5e03ull, 49},
    {0xf1c90080baf72cb1ull, 0x5324c68b12dd6338ull, 52},
    {0xc16d9a0095928a27ull, 0x75b7053c0f178293ull, 54},
    {0x9abe14cd44753b52ull, 0xc4926a9672793542ull, 56},
    {0xf79687aed3eec551ull, 0x3a83ddbd83f52204ull, 59},
    {0xc612062576589ddaull, 0x95364afe032a819dull, 61},
    {0x9e74d1b791e07e48ull, 0x775ea264cf55347dull, 63},
};

static int bit_length(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? 128 - __builtin_clzll(hi) : x ? 64 - __builtin_clzll((uint64_t)x) : 0;
}

/* The normal double mant·2^e (mant in [2^52, 2^53]; 2^53 carries into the exponent). */
static double make_double(uint64_t mant, int e)
{
    if (mant >> 53) mant >>= 1, e++;
    uint64_t bits = ((uint64_t)(e + 52 + 1023) << 52) | (mant & ((1ull << 52) - 1));
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* m·10^q (m ≥ 1, |q| ≤ 27) correctly rounded (to nearest, ties to even) into *out; 0 when it cannot
 * tell (within 2 units of 2^-75 of a rounding midpoint: the caller asks strtod).
 * - q ≥ 0: P = m·5^q is exact in 128 bits and x = P·2^q: rounding P to 53 bits is exact.
 * - q < 0: with m normalised to w = m·2^lz in [2^63, 2^64), P = floor(w·R / 2^64) for R of RECIP5:
 *   the true T = w·2^(127+b) / 5^n / 2^64 lies in [P, P + 2), and x = T·2^(-63-b-lz-n). The bits of P
 *   below its top 53 (`rest` in its high word, then its low word) decide the rounding unless T may
 *   sit on the other side of their midpoint. */
static inline int exact_scaled(uint64_t m, int q, double *out)
{
    if (q >= 0) {
        u128 p = (u128)m * POW5[q];
        int drop = bit_length(p) - 53;
        if (drop <= 0) {
            *out = make_double((uint64_t)p << -drop, q + drop);
            return 1;
        }
        u128 low = p & (((u128)1 << drop) - 1), half = (u128)1 << (drop - 1);
        uint64_t mant = (uint64_t)(p >> drop);
        if (low > half || (low == half && (mant & 1))) mant++;
        *out = make_double(mant, q + drop);
        return 1;
    }
    int n = -q, lz = __builtin_clzll(m);
    uint64_t w = m << lz;
    u128 p = (u128)w * RECIP5[n - 1].hi + (((u128)w * RECIP5[n - 1].lo) >> 64);
    uint64_t hi = (uint64_t)(p >> 64), lo = (uint64_t)p; /* hi ≥ 2^62: p ≥ 2^126 */
    int drop = 11 - __builtin_clzll(hi);                 /* bits of hi below the top 53: 10 or 11 */
    uint64_t mant = hi >> drop, rest = hi & ((1ull << drop) - 1), half = 1ull << (drop - 1);
    if (__builtin_expect(rest - (half - 1) <= 1, 0) && /* rest is half - 1 or half: near the midpoint */
        ((rest == half && lo == 0) || (rest == half - 1 && lo >= UINT64_MAX - 1)))
        return 0;                                     /* within 2 of it */
    mant += (rest > half) | ((rest == half) & (lo != 0)); /* above it: up (no branch: half the time) */
    *out = make_double(mant, 64 + drop - 63 - RECIP5[n - 1].b - lz - n);
    return 1;
}
#endif

/* Decimal → double, correctly rounded like Python's float() and strtod, from the significand m (of
 * `digits` ≤ 19 significant digits) and exp10; `text`/`len` are the original for the fallback.
 * - ≤ 15 digits with |exp10| ≤ 22: Clinger's fast path, exact in double arithmetic.
 * - ≤ 19 digits with |exp10| ≤ 27: exact_scaled (integer arithmetic). Python writes 17-digit floats,
 *   and they make up most of a results file.
 * - anything else (and more than 19 digits, many == 1): strtod. */
static double to_double(uint64_t m, int digits, int exp10, int neg, int many, const char *text, size_t len)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (!many && digits <= 15 && exp10 >= -22 && exp10 <= 22) {
        double v = exp10 < 0 ? (double)m / pow10[-exp10] : (double)m * pow10[exp10];
        return neg ? -v : v;
    }
#ifdef __SIZEOF_INT128__
    double v;
    if (!many && m && exp10 >= -27 && exp10 <= 27 && exact_scaled(m, exp10, &v)) return neg ? -v : v;
#endif
    char small[64], *buf = len < sizeof small ? small : cpose_malloc(len + 1);
    memcpy(buf, text, len);
    buf[len] = 0;
    double r = strtod(buf, NULL);
    if (buf != small) cpose_free(buf);
    return r;
}

/* Reads the digits at s[*i] (up to n) into the significand: m and *digits grow while there are at most
 * 19 significant digits; beyond that *many is set and *extra counts the digits left out. Returns the
 * number of digits read. */
static inline __attribute__((always_inline)) size_t read_digits(const char *s, size_t n, size_t *i, uint64_t *m, int *digits, int *many, int *extra)
{
    size_t start = *i;
    uint64_t chunk;
    int k;
    while (*i + 8 <= n && *digits <= 11 && (k = digit_run(s + *i, &chunk)) > 0) {
        *m = *m * POW10_U64[k] + chunk, *digits += k, *i += (size_t)k;
        if (k < 8) return *i - start;
    }
    for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
        if (*digits < 19) *m = *m * 10 + (uint64_t)(s[*i] - '0'), (*digits)++;
        else *many = 1, (*extra)++; /* beyond 19 digits: only strtod rounds it right */
    }
    return *i - start;
}

size_t cpose_coco_number_scan(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0, digits = 0, exp10 = 0, many = 0, extra = 0, integer = 1;
    uint64_t m = 0;
    if (i < n && s[i] == '-') { neg = 1; i++; }
    if (i >= n || s[i] < '0' || s[i] > '9') return 0;
    if (s[i] == '0') i++; /* a leading 0 stands alone: no digits, and none may follow it */
    else read_digits(s, n, &i, &m, &digits, &many, &extra);
    exp10 += extra; /* integer digits beyond the 19th scale the value */
    if (i < n && s[i] == '.') {
        integer = 0;
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return 0;
        if (digits == 0)
            for (; i < n && s[i] == '0'; i++) exp10--; /* 0.000123: zeros shift the exponent only */
        int before = digits;
        extra = 0;
        read_digits(s, n, &i, &m, &digits, &many, &extra);
        exp10 -= digits - before; /* fraction digits past the 19th are dropped (strtod rounds them) */
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        integer = 0;
        i++;
        int eneg = 0, e = 0;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9') return 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000) e = e * 10 + (s[i] - '0');
        exp10 += eneg ? -e : e;
    }
    if (integer && m == 0) neg = 0; /* JSON's integer -0 is Python's int 0: +0, not -0.0 */
    if (out) *out = to_double(m, digits, exp10, neg, many, s, i);
    return i;
}

double cpose_coco_number(const char *s, size_t n)
{
    double v = 0;
    cpose_coco_number_scan(s, n, &v);
    return v;
}
