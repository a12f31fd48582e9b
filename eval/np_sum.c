/* eval/np_sum.c — numpy's pairwise summation (np.sum / np.mean of float64 arrays), reproduced to the
 * bit so that means over AP tables equal pycocotools' and Ultralytics'. */
#include "eval/np_sum.h"

#define PW_BLOCK 128

double cpose_np_sum(const double *a, size_t n)
{
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= PW_BLOCK) {
        double r[8];
        for (int j = 0; j < 8; j++) r[j] = a[j];
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return cpose_np_sum(a, n2) + cpose_np_sum(a + n2, n - n2);
}
