/* eval/np_sum.h — numpy's pairwise summation, for sums that must equal numpy's to the last bit. */
#ifndef CPOSE_NP_SUM_H
#define CPOSE_NP_SUM_H

#include <stddef.h>

#include "core/base/status.h"

/* Sum of a[0..n) as numpy's pairwise_sum computes it for a contiguous float64 array: blocks of 128
 * summed with 8 partial accumulators, larger arrays split in two halves (multiples of 8). */
CPOSE_API double cpose_np_sum(const double *a, size_t n);

#endif
