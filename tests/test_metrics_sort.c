/* tests/test_metrics_sort.c — the numpy argsort that eval/metrics.c copies (introsort: median-of-3
 * quicksort, insertion sort below 16, heapsort past the depth limit), checked piece by piece. The
 * heapsort fallback only runs on inputs that defeat median-of-3 partitioning, which real
 * confidences never do, so it is called here directly. The file under test is included so its
 * static functions can be reached; every expectation is a property any correct sort has
 * (ascending by numpy's order, NaN last; a permutation of the indices), not an output of the code. */
/* cpose-layer: eval */
#include "eval/metrics.c"

#include "tests/testlib.h"

/* ascending in numpy's order (NaN after every number) and a permutation of 0..n-1 */
static int sorted_permutation(const float *v, const int *idx, long n)
{
    char *seen = calloc((size_t)n, 1);
    int ok = 1;
    for (long i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= n || seen[idx[i]]) ok = 0;
        else seen[idx[i]] = 1;
    }
    for (long i = 1; ok && i < n; i++) {
        float a = v[idx[i - 1]], b = v[idx[i]];
        if (a != a && b == b) ok = 0;          /* a NaN before a number */
        if (a == a && b == b && a > b) ok = 0; /* descending pair */
    }
    free(seen);
    return ok;
}

static void check_heapsort(const float *v, long n, const char *what)
{
    int *idx = malloc(sizeof(int) * (size_t)n);
    for (long i = 0; i < n; i++) idx[i] = (int)i;
    np_aheapsort(v, idx, n);
    CHECK_MSG(sorted_permutation(v, idx, n), "heapsort: %s (n %ld)", what, n);
    for (long i = 0; i < n; i++) idx[i] = (int)i;
    np_argsort_f32(v, idx, n);
    CHECK_MSG(sorted_permutation(v, idx, n), "argsort: %s (n %ld)", what, n);
    free(idx);
}

int main(void)
{
    enum { N = 1000 };
    static float v[N];
    uint32_t x = 7;
    for (int i = 0; i < N; i++) {
        x = x * 1664525u + 1013904223u;
        v[i] = (float)(x >> 8) / 16777216.0f;
    }
    check_heapsort(v, N, "random");
    check_heapsort(v, 2, "two");
    check_heapsort(v, 17, "seventeen");
    for (int i = 0; i < N; i++) v[i] = (float)(i % 10); /* many ties, as saturated confidences give */
    check_heapsort(v, N, "ties");
    for (int i = 0; i < N; i++) v[i] = (float)(N - i); /* descending */
    check_heapsort(v, N, "descending");
    v[3] = NAN, v[500] = NAN;
    check_heapsort(v, N, "with NaN");

    /* a hand-checked small case: heapsort of [3, 1, 2, 1] gives values 1, 1, 2, 3 */
    const float s[4] = {3, 1, 2, 1};
    int idx[4] = {0, 1, 2, 3};
    np_aheapsort(s, idx, 4);
    CHECK(s[idx[0]] == 1 && s[idx[1]] == 1 && idx[2] == 2 && idx[3] == 0);
    return tl_finish();
}
