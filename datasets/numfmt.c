/* datasets/numfmt.c — "%g" and "%.6f" formatting without printf's cost on the common label values
 * (normalised coordinates and small integers). The fast path scales by an exact power of ten in
 * 64-bit-mantissa long double, where the product's error is below 1e-13; any value whose rounding
 * lands within 1e-6 of a tie or a digit-count boundary goes to snprintf, so the output always equals
 * printf's correctly rounded result. */
#include "datasets/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const long double cpose_p10l[] = {1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L};

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

static int near_tie(long double m)
{
    long double frac = m - floorl(m);
    return fabsl(frac - 0.5L) < 1e-6L;
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
    static const double bounds[] = {1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5};
    int x = -4; /* first guess of the decimal exponent; the loop below corrects it */
    while (x < 5 && a >= bounds[x + 4]) x++;
    long double m = 0;
    for (int iter = 0; iter < 3; iter++) {
        m = (long double)a * cpose_p10l[5 - x];
        if (m >= 999999.5L && x < 5) x++;
        else if (m < 99999.5L && x > -4) x--;
        else break;
    }
    if (m < 99999.5L || m >= 999999.5L || near_tie(m) || fabsl(m - 99999.5L) < 1e-6L ||
        fabsl(m - 999999.5L) < 1e-6L)
        return snprintf(out, CPOSE_NUMFMT_MAX, "%g", v);
    long digits = (long)(m + 0.5L); /* 6 significant digits, 100000..999999 (no tie: checked above) */
    char d[6];
    for (int i = 5; i >= 0; i--) {
        d[i] = (char)('0' + digits % 10);
        digits /= 10;
    }
    int n = 0;
    if (v < 0) out[n++] = '-';
    int last = 5; /* index of the last non-zero digit among the decimals */
    if (x >= 0) {
        for (int i = 0; i <= x; i++) out[n++] = d[i];
        while (last > x && d[last] == '0') last--;
        if (last > x) {
            out[n++] = '.';
            for (int i = x + 1; i <= last; i++) out[n++] = d[i];
        }
    } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 0; i < -x - 1; i++) out[n++] = '0';
        while (last > 0 && d[last] == '0') last--;
        for (int i = 0; i <= last; i++) out[n++] = d[i];
    }
    return n;
}

int cpose_fmt_f6(char *out, double v)
{
    double a = fabs(v);
    if (!isfinite(v) || a >= 1e12) return snprintf(out, CPOSE_NUMFMT_MAX, "%.6f", v);
    long double m = (long double)a * 1e6L;
    if (near_tie(m)) return snprintf(out, CPOSE_NUMFMT_MAX, "%.6f", v);
    unsigned long long q = (unsigned long long)(m + 0.5L); /* m ≥ 0, not near a tie */
    int n = 0;
    if (signbit(v)) out[n++] = '-';
    n += put_uint(out + n, q / 1000000ULL);
    out[n++] = '.';
    unsigned long long f = q % 1000000ULL;
    for (int i = 5; i >= 0; i--) {
        out[n + i] = (char)('0' + f % 10);
        f /= 10;
    }
    return n + 6;
}
