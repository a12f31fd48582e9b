/* datasets/coco_json_scan.c — the strict check of a COCO polygon list (`"segmentation": [[x, y, ...]]`)
 * that lets the reader hand it past yajl: nested arrays of numbers exactly as RFC 8259 writes them.
 * Polygons are half of a COCO keypoint file's bytes, so the common stretch ("197.86, 342.48, ...")
 * is checked 64 bytes at a time with byte-class bit masks; anything the block check does not accept
 * at once (brackets, exponents, a block end, an error) goes through the byte-wise scan, which decides. */
#include "datasets/coco_json_impl.h"

#include <stdint.h>
#include <string.h>

#if defined(__AVX512BW__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { MAX_ARRAY_DEPTH = 64 };

static int is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Number of decimal digits at the start of s[0, n): eight bytes at a time where eight are left. A
 * byte is a digit when its high nibble is 3 and adding 6 keeps it so; a carry out of a byte of 0xFA
 * or more can only disturb the bytes after it, and that byte is flagged by its own high nibble, so
 * the first flagged byte is exact. */
static size_t digit_run(const char *s, size_t n)
{
    size_t i = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t nib = 0xF0F0F0F0F0F0F0F0ull, threes = 0x3030303030303030ull, low7 = 0x7F7F7F7F7F7F7F7Full;
    while (n - i >= 8) {
        uint64_t x;
        memcpy(&x, s + i, sizeof x);
        uint64_t off = ((x & nib) ^ threes) | (((x + 0x0606060606060606ull) & nib) ^ threes); /* 0 per digit */
        uint64_t flagged = (((off & low7) + low7) | off) & ~low7; /* high bit of each non-zero byte */
        if (flagged) return i + (size_t)(__builtin_ctzll(flagged) >> 3);
        i += 8;
    }
#endif
    while (i < n && is_digit(s[i])) i++;
    return i;
}

/* Length of the RFC 8259 number at the start of s[0, n), or 0 when none starts there; the value is
 * not computed (cpose_coco_number_scan's grammar, checked faster for the forms "12", "-3.25"). */
static size_t number_len(const char *s, size_t n)
{
    size_t i = n > 0 && s[0] == '-';
    if (i >= n || !is_digit(s[i])) return 0;
    i += s[i] == '0' ? 1 : digit_run(s + i, n - i); /* a leading 0 stands alone */
    if (i < n && s[i] == '.') {
        size_t frac = digit_run(s + i + 1, n - i - 1);
        if (!frac) return 0;
        i += 1 + frac;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) return cpose_coco_number_scan(s, n, NULL);
    return i;
}

/* Bit j of each mask: byte j of a 64-byte block is of that class. */
struct byte_classes {
    uint64_t digit, dot, comma, space, minus, zero;
};

/* Classifies s[0, 64); 0 when this build has no vector code for it (the caller then scans bytes). */
static int classify64(const char *s, struct byte_classes *k)
{
#if defined(__AVX512BW__)
    __m512i x = _mm512_loadu_si512((const void *)s);
    k->digit = _mm512_cmp_epu8_mask(_mm512_sub_epi8(x, _mm512_set1_epi8('0')), _mm512_set1_epi8(10), _MM_CMPINT_LT);
    k->dot = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('.'));
    k->comma = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(','));
    k->space = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(' '));
    k->minus = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('-'));
    k->zero = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('0'));
    return 1;
#elif defined(__SSE2__)
    memset(k, 0, sizeof *k);
    for (int q = 0; q < 4; q++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + 16 * q));
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
        int at = 16 * q;
        k->digit |= (uint64_t)(uint16_t)_mm_movemask_epi8(digit) << at;
        k->dot |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.'))) << at;
        k->comma |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(','))) << at;
        k->space |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' '))) << at;
        k->minus |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('-'))) << at;
        k->zero |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('0'))) << at;
    }
    return 1;
#else
    (void)s;
    (void)k;
    return 0;
#endif
}

/* Bit j set when an odd number of x's bits 0..j are set. */
static uint64_t prefix_parity(uint64_t x)
{
    for (int shift = 1; shift < 64; shift *= 2) x ^= x << shift;
    return x;
}

/* At a number's first byte: the length of the longest run of s[0, 64) (n >= 64) that is one or more
 * items `number spaces* , spaces*` ending at a comma, where each number is -?(0|[1-9][0-9]*)(.[0-9]+)?
 * (no exponent); 0 when the block does not start so, which decides nothing (the byte scan goes on).
 * In bit masks over the run: tokens are the runs of digits, dots and minus signs; token starts and
 * commas must alternate, starting with a token (prefix parity); a minus only starts a token and is
 * followed by a digit; a dot has digits on both sides and the digits after it end at something other
 * than a dot (one dot per token: adding a bit after each dot to the digit mask carries to the end of
 * that run of digits); a 0 that begins the integer part is not followed by a digit. */
static size_t number_items_block(const char *s, size_t n)
{
    struct byte_classes k;
    if (n < 64 || !classify64(s, &k)) return 0;
    uint64_t tok = k.digit | k.dot | k.minus, other = ~(tok | k.comma | k.space);
    uint64_t before_other = other ? (other & (0 - other)) - 1 : ~0ull;
    uint64_t commas = k.comma & before_other;
    if (!commas) return 0;
    int last = 63 - __builtin_clzll(commas);
    uint64_t run = last == 63 ? ~0ull : (2ull << last) - 1;
    uint64_t digit = k.digit & run, dot = k.dot & run, minus = k.minus & run, zero = k.zero & run;
    tok &= run;
    commas &= run;
    uint64_t start = tok & ~(tok << 1);
    uint64_t odd = prefix_parity(start | commas);
    uint64_t bad = (start & ~odd) | (commas & odd);
    bad |= minus & ~start;
    bad |= minus & ~(digit >> 1);
    bad |= dot & ~(digit << 1);
    bad |= dot & ~(digit >> 1);
    bad |= (digit + (dot << 1)) & ~digit & dot;
    uint64_t int_start = (start & ~minus) | ((start & minus) << 1);
    bad |= int_start & zero & (digit >> 1);
    return bad ? 0 : (size_t)last + 1;
}

size_t cpose_coco_number_array_len(const char *s, size_t n)
{
    enum { WANT_VALUE_OR_CLOSE, WANT_VALUE, WANT_COMMA_OR_CLOSE } want = WANT_VALUE_OR_CLOSE;
    if (n == 0 || s[0] != '[') return 0;
    size_t i = 1;
    int depth = 1;
    while (i < n) {
        char c = s[i];
        if (is_ws(c)) {
            i++;
            continue;
        }
        if (want == WANT_COMMA_OR_CLOSE) {
            if (c == ',') {
                want = WANT_VALUE;
                i++;
                continue;
            }
            if (c != ']') return 0;
        } else if (c == '[') {
            if (++depth > MAX_ARRAY_DEPTH) return 0;
            want = WANT_VALUE_OR_CLOSE;
            i++;
            continue;
        } else if (c == ']') {
            if (want != WANT_VALUE_OR_CLOSE) return 0;
        } else {
            size_t items = number_items_block(s + i, n - i); /* ends after a comma */
            if (items) {
                i += items;
                want = WANT_VALUE;
                continue;
            }
            size_t len = number_len(s + i, n - i);
            if (!len) return 0;
            i += len;
            want = WANT_COMMA_OR_CLOSE;
            continue;
        }
        /* c == ']' closing an array */
        i++;
        if (--depth == 0) return i;
        want = WANT_COMMA_OR_CLOSE;
    }
    return 0;
}
