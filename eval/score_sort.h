/* eval/score_sort.h — the stable descending-score order pycocotools takes of a category's results
 * (np.argsort(-scores, kind='mergesort')), as a radix sort: linear in the number of results. */
#ifndef CPOSE_SCORE_SORT_H
#define CPOSE_SCORE_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Fills order[0..n) with 0..n-1 sorted by descending score[i]; equal scores keep index order. Scores
 * must not be NaN (JSON has none); -0 and +0 are equal, as they compare. */
void cpose_score_order_desc(const double *score, size_t n, uint32_t *order);

#endif
