/* core/train/schedule.c — Ultralytics' lr factor (linear or one_cycle), warmup of lr, momentum and
 * accumulation (np.interp semantics), as described in schedule.h. */
#include <math.h>
#include <string.h>

#include "core/train/schedule.h"

void cpose_sched_cfg_default(struct cpose_sched_cfg *s, int epochs, int batch, long nb)
{
    memset(s, 0, sizeof *s);
    s->epochs = epochs;
    s->lrf = 0.01;
    s->warmup_epochs = 3.0;
    s->warmup_momentum = 0.8;
    s->warmup_bias_lr = 0.1;
    s->momentum = 0.937;
    s->nbs = 64;
    s->batch = batch;
    s->nb = nb;
}

double cpose_sched_lf(const struct cpose_sched_cfg *s, double e)
{
    if (s->cos_lr) {
        double c = (1 - cos(e * M_PI / s->epochs)) / 2;
        return (c > 0 ? c : 0) * (s->lrf - 1) + 1;
    }
    double lin = 1 - e / s->epochs;
    return (lin > 0 ? lin : 0) * (1.0 - s->lrf) + s->lrf;
}

long cpose_sched_warmup_iters(const struct cpose_sched_cfg *s)
{
    if (!(s->warmup_epochs > 0)) return -1;
    long w = (long)nearbyint(s->warmup_epochs * s->nb);
    return w > 100 ? w : 100;
}

/* np.interp(x, [0, x1], [y0, y1]) for 0 ≤ x ≤ x1 (clamped outside, like NumPy). */
static double interp(double x, double x1, double y0, double y1)
{
    if (x <= 0) return y0;
    if (x >= x1) return y1;
    return y0 + (y1 - y0) * (x / x1);
}

int cpose_sched_accumulate(const struct cpose_sched_cfg *s, long ni)
{
    long nw = cpose_sched_warmup_iters(s);
    if (nw >= 0 && ni <= nw) {
        int a = (int)nearbyint(interp((double)ni, (double)nw, 1.0, (double)s->nbs / s->batch));
        return a > 1 ? a : 1;
    }
    return cpose_optim_accumulate(s->nbs, s->batch);
}

void cpose_sched_apply(const struct cpose_sched_cfg *s, struct cpose_optim *o, int epoch, long ni)
{
    long nw = cpose_sched_warmup_iters(s);
    double lf = cpose_sched_lf(s, epoch);
    int has_momentum = o->kind == CPOSE_OPTIM_SGD || o->kind == CPOSE_OPTIM_RMSPROP;
    for (int j = 0; j < CPOSE_OPTIM_NGROUPS; j++) {
        struct cpose_optim_group *g = &o->group[j];
        if (nw >= 0 && ni <= nw) {
            g->lr = interp((double)ni, (double)nw, j == 0 ? s->warmup_bias_lr : 0.0, g->initial_lr * lf);
            if (has_momentum) g->momentum = interp((double)ni, (double)nw, s->warmup_momentum, s->momentum);
        } else {
            g->lr = g->initial_lr * lf;
        }
    }
}

void cpose_sched_at(const struct cpose_sched_cfg *s, enum cpose_optim_kind kind, double lr0, double momentum0,
                    int epoch, long ni, struct cpose_sched_point *out)
{
    struct cpose_optim o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    for (int j = 0; j < CPOSE_OPTIM_NGROUPS; j++) {
        o.group[j].lr = o.group[j].initial_lr = lr0;
        o.group[j].momentum = momentum0;
    }
    long nw = cpose_sched_warmup_iters(s);
    if (nw >= 0 && ni > nw) cpose_sched_apply(s, &o, epoch, nw); /* the last warmup iteration's momentum */
    cpose_sched_apply(s, &o, epoch, ni);
    for (int j = 0; j < CPOSE_OPTIM_NGROUPS; j++) out->lr[j] = o.group[j].lr;
    out->momentum = o.group[1].momentum;
    out->accumulate = cpose_sched_accumulate(s, ni);
}
