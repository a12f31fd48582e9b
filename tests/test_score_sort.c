/* tests/test_score_sort.c — cpose_score_order_desc against a plain stable sort by descending score
 * (ties in index order): random scores with many ties, signed zeros, negatives, infinities, tiny and
 * huge magnitudes, and sizes from 0 to 100,000. */
/* cpose-layer: eval */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/base/alloc.h"
#include "eval/score_sort.h"
#include "tests/testlib.h"

static const double *ref_scores;

/* descending score, then ascending index: the order a stable sort of -score gives */
static int cmp_ref(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    double sa = ref_scores[a], sb = ref_scores[b];
    if (sa > sb) return -1;
    if (sa < sb) return 1;
    return (a > b) - (a < b);
}


static double random_score(int kind)
{
    uint64_t r = tl_rand_u64();
    switch (kind) {
    case 0: return (double)(r % 1000) / 1000.0;                    /* many ties */
    case 1: return (double)(r >> 11) / 9007199254740992.0;         /* (0, 1) as detectors give */
    case 2: { static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, 1e-300, -1e-300, 5e-324, 1e300, -2.5};
              return special[r % 9]; }
    default: { double v; memcpy(&v, &r, sizeof v); return isnan(v) ? 0.5 : v; } /* any bits */
    }
}

static void test_against_reference(void)
{
    static const size_t sizes[] = {0, 1, 2, 3, 17, 1000, 100000};
    int bad = 0, runs = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int kind = 0; kind < 5; kind++) {
            size_t n = sizes[si];
            double *score = cpose_malloc((n + 1) * sizeof *score);
            uint32_t *got = cpose_malloc((n + 1) * sizeof *got), *want = cpose_malloc((n + 1) * sizeof *want);
            for (size_t i = 0; i < n; i++) score[i] = random_score(kind < 4 ? kind : (int)(tl_rand_u64() % 4));
            for (size_t i = 0; i < n; i++) want[i] = (uint32_t)i;
            ref_scores = score;
            qsort(want, n, sizeof *want, cmp_ref);
            cpose_score_order_desc(score, n, got);
            runs++;
            if (n && memcmp(got, want, n * sizeof *got) != 0) {
                size_t i = 0;
                while (got[i] == want[i]) i++;
                fprintf(stderr, "  n %zu kind %d: position %zu holds %u (score %a), want %u (score %a)\n", n, kind, i,
                        got[i], score[got[i]], want[i], score[want[i]]);
                bad++;
            }
            cpose_free(score);
            cpose_free(got);
            cpose_free(want);
        }
    CHECK_MSG(bad == 0, "%d of %d orders differ from the stable sort", bad, runs);
}

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    tl_rng_state = 0x9E3779B97F4A7C15ull;
    TL_GENERATED(test_against_reference());
    return tl_finish();
}
