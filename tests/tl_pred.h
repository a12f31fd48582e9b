/* tests/tl_pred.h — the forward tolerances every parity test applies to a [56, A] prediction (one
 * image): max |Δ| per kind of row — box (rows 0-3, px), score (row 4), keypoint x/y (px) and
 * visibility — with NaN counted as infinitely far; the bounds are REFERENCE.md's (1e-2 px, 1e-4).
 * Header-only; include after tests/testlib.h. */
#ifndef CPOSE_TL_PRED_H
#define CPOSE_TL_PRED_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

struct tl_maxdiff { double box, score, kxy, kv, all; };

static __attribute__((unused)) struct tl_maxdiff tl_compare_pred(const float *a, const float *b, int64_t A)
{
    struct tl_maxdiff d = {0};
    for (int r = 0; r < 56; r++)
        for (int64_t i = 0; i < A; i++) {
            double e = fabs((double)a[r * A + i] - b[r * A + i]);
            if (isnan(e)) e = INFINITY;
            double *slot = r < 4 ? &d.box : r == 4 ? &d.score : (r - 5) % 3 == 2 ? &d.kv : &d.kxy;
            if (e > *slot) *slot = e;
            if (e > d.all) d.all = e;
        }
    return d;
}

/* Prints the four maxima for `what` and checks them against the forward tolerances. */
static __attribute__((unused)) void tl_check_pred(const char *what, const float *got, const float *ref, int64_t A)
{
    struct tl_maxdiff d = tl_compare_pred(got, ref, A);
    printf("%s: max |diff| box %.3g px, score %.3g, kpt xy %.3g px, kpt v %.3g\n", what, d.box, d.score, d.kxy, d.kv);
    CHECK_MSG(d.box <= 1e-2, "%s box %.3g", what, d.box);
    CHECK_MSG(d.score <= 1e-4, "%s score %.3g", what, d.score);
    CHECK_MSG(d.kxy <= 1e-2, "%s kpt xy %.3g", what, d.kxy);
    CHECK_MSG(d.kv <= 1e-4, "%s kpt v %.3g", what, d.kv);
}

#endif
