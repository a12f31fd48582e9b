/* datasets/numfmt.h — fast number formatting for label files, byte-identical to printf's "%g"
 * (which is also what Python's '%g' % x prints) and "%.6f", with a snprintf fallback for the cases
 * where the fast path cannot prove its rounding. */
#ifndef CPOSE_NUMFMT_H
#define CPOSE_NUMFMT_H

#include "core/base/status.h"

/* Room one formatted number may need ("%.6f" of 1e308 has 316 characters). */
#define CPOSE_NUMFMT_MAX 330
/* Writes v as printf("%g", v) would into out (at least CPOSE_NUMFMT_MAX bytes); returns the length
 * (no NUL is guaranteed beyond the returned length: the caller appends separators). */
CPOSE_API int cpose_fmt_g(char *out, double v);
/* Same for printf("%.6f", v). */
CPOSE_API int cpose_fmt_f6(char *out, double v);

#endif
