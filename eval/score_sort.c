/* eval/score_sort.c — stable descending-score order by least-significant-digit radix sort on the
 * scores' bits (11 bits a pass; passes whose digit is the same for every score are skipped). */
#include "eval/score_sort.h"

#include <string.h>

#include "core/base/alloc.h"

enum { DIGIT_BITS = 11, BUCKETS = 1 << DIGIT_BITS, PASSES = (64 + DIGIT_BITS - 1) / DIGIT_BITS };

/* A key whose unsigned order is the descending order of the scores: positive doubles order as their
 * bits, negative ones reversed; -0 is made +0 first so that the two stay equal. */
static uint64_t descending_key(double s)
{
    s += 0.0; /* -0 + 0 = +0 */
    uint64_t u;
    memcpy(&u, &s, sizeof u);
    u = (u >> 63) ? ~u : u | (1ull << 63); /* ascending */
    return ~u;
}

void cpose_score_order_desc(const double *score, size_t n, uint32_t *order)
{
    if (n == 0) return;
    uint64_t *key = cpose_malloc(2 * n * sizeof *key), *key_tmp = key + n;
    uint32_t *idx_tmp = cpose_malloc(n * sizeof *idx_tmp), *idx = order;
    size_t(*count)[BUCKETS] = cpose_calloc(PASSES, sizeof *count);
    for (size_t i = 0; i < n; i++) {
        key[i] = descending_key(score[i]);
        order[i] = (uint32_t)i;
        for (int p = 0; p < PASSES; p++) count[p][(key[i] >> (p * DIGIT_BITS)) & (BUCKETS - 1)]++;
    }
    for (int p = 0; p < PASSES; p++) {
        int shift = p * DIGIT_BITS;
        if (count[p][(key[0] >> shift) & (BUCKETS - 1)] == n) continue; /* one digit for all: order stays */
        size_t at = 0;
        for (int b = 0; b < BUCKETS; b++) {
            size_t c = count[p][b];
            count[p][b] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++) { /* in input order: equal digits keep their order (stable) */
            size_t to = count[p][(key[i] >> shift) & (BUCKETS - 1)]++;
            key_tmp[to] = key[i];
            idx_tmp[to] = idx[i];
        }
        uint64_t *k = key; key = key_tmp; key_tmp = k;
        uint32_t *x = idx; idx = idx_tmp; idx_tmp = x;
    }
    if (idx != order) { /* an odd number of passes ran: the result is in the scratch array */
        memcpy(order, idx, n * sizeof *order);
        idx_tmp = idx;
    }
    cpose_free(key < key_tmp ? key : key_tmp);
    cpose_free(idx_tmp);
    cpose_free(count);
}
