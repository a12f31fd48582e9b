/* core/train/dfl.c — the distribution focal loss pieces: the softmax expectation that decodes one
 * box side from its reg_max logits, and the DFL of one side with its gradient. */
#include <math.h>

#include "core/train/loss_impl.h"

double cpose_dfl_expect(const float *logit, size_t step, int n, double *prob)
{
    double mx = logit[0];
    for (int k = 1; k < n; k++)
        if (logit[k * step] > mx) mx = logit[k * step];
    double sum = 0;
    for (int k = 0; k < n; k++) sum += prob[k] = exp(logit[k * step] - mx);
    double e = 0, inv = 1.0 / sum;
    for (int k = 0; k < n; k++) {
        prob[k] *= inv;
        e += k * prob[k];
    }
    return e;
}

double cpose_dfl_side(const float *logit, size_t step, int n, const double *prob, float target, double *grad)
{
    /* Ultralytics: tl = target.long(), tr = tl + 1, wl = tr − target, wr = 1 − wl (float32);
     * CE(z, k) = logsumexp(z) − z_k = −log prob_k. */
    int tl = (int)target, tr = tl + 1;
    if (tr > n - 1) tr = n - 1; /* unreachable after the clamp to n − 1.01; keeps the index in range */
    float wl = (float)(tl + 1) - target, wr = 1.0f - wl;
    double mx = logit[0];
    for (int k = 1; k < n; k++)
        if (logit[k * step] > mx) mx = logit[k * step];
    double sum = 0;
    for (int k = 0; k < n; k++) sum += exp(logit[k * step] - mx);
    double lse = mx + log(sum);
    double ce_l = lse - logit[tl * step], ce_r = lse - logit[tr * step];
    if (grad) {
        double ws = (double)wl + (double)wr;
        for (int k = 0; k < n; k++) grad[k] = prob[k] * ws;
        grad[tl] -= wl;
        grad[tr] -= wr;
    }
    return ce_l * wl + ce_r * wr;
}
