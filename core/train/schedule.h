/* core/train/schedule.h — Ultralytics 8.1's learning-rate schedule, warmup and accumulation.
 *
 * lf(e) (the LambdaLR factor of epoch e): linear max(1 − e/epochs, 0)·(1 − lrf) + lrf, or with cos_lr
 * one_cycle(1, lrf, epochs): ((1 − cos(e·π/epochs))/2)·(lrf − 1) + 1.
 * Warmup lasts nw = max(round(warmup_epochs·nb), 100) iterations (−1, no warmup, when warmup_epochs ≤ 0).
 * At global iteration ni = i + nb·epoch with ni ≤ nw (np.interp over [0, nw]):
 *   accumulate = max(1, round(interp(ni, [1, nbs/batch])));
 *   lr of group 0 (biases) = interp(ni, [warmup_bias_lr, initial_lr·lf(epoch)]), groups 1, 2 from 0;
 *   momentum (SGD and RMSProp only) = interp(ni, [warmup_momentum, momentum]).
 * After warmup the lr is the scheduler's initial_lr·lf(epoch) (it steps at the end of each epoch) and
 * the momentum keeps its last warmup value (the configured momentum), or the optimizer's own when
 * there was no warmup. round() is half-to-even, like Python's and NumPy's. */
#ifndef CPOSE_TRAIN_SCHEDULE_H
#define CPOSE_TRAIN_SCHEDULE_H

#include "core/train/optim.h"

struct cpose_sched_cfg {
    int epochs;
    double lrf;              /* final lr fraction (0.01) */
    int cos_lr;              /* 0: linear, 1: one_cycle cosine */
    double warmup_epochs;    /* 3.0 */
    double warmup_momentum;  /* 0.8 */
    double warmup_bias_lr;   /* 0.1 (0 after optimizer=auto) */
    double momentum;         /* the configured momentum (0.937), the warmup's end point */
    int nbs, batch;          /* nominal batch size (64) and batch size */
    long nb;                 /* batches per epoch */
};

/* Fills *s with default.yaml's values for the given epochs, batch and batches per epoch. */
CPOSE_API void cpose_sched_cfg_default(struct cpose_sched_cfg *s, int epochs, int batch, long nb);
/* The lr factor lf(epoch). */
CPOSE_API double cpose_sched_lf(const struct cpose_sched_cfg *s, double epoch);
/* Warmup length nw in iterations, or −1 without warmup. */
CPOSE_API long cpose_sched_warmup_iters(const struct cpose_sched_cfg *s);
/* The accumulation count in force at global iteration ni. */
CPOSE_API int cpose_sched_accumulate(const struct cpose_sched_cfg *s, long ni);
/* Sets every group's lr (and, for SGD/RMSProp, momentum) of o as Ultralytics has them while it runs
 * global iteration ni of epoch `epoch`. */
CPOSE_API void cpose_sched_apply(const struct cpose_sched_cfg *s, struct cpose_optim *o, int epoch, long ni);

/* The schedule's values at one point without an optimizer (for inspection, e.g. from Lua): each group's
 * lr, the momentum (SGD/RMSProp: warmup value, or `momentum` after warmup as the last warmup iteration
 * left it, or momentum0 without warmup; the Adam family: momentum0 = beta1) and the accumulation count,
 * for an optimizer of `kind` built with lr0 and momentum0. */
struct cpose_sched_point {
    double lr[CPOSE_OPTIM_NGROUPS];
    double momentum;
    int accumulate;
};
CPOSE_API void cpose_sched_at(const struct cpose_sched_cfg *s, enum cpose_optim_kind kind, double lr0, double momentum0,
                              int epoch, long ni, struct cpose_sched_point *out);

#endif
