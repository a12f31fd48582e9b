/* core/train/ema.h — Ultralytics' ModelEMA: an exponential moving average of every floating-point
 * state_dict entry (parameters and buffers such as BN running statistics), with the ramp
 * d = decay·(1 − exp(−updates/tau)) (decay 0.9999, tau 2000). Each update first counts itself, then
 * sets v ← v·d + (1 − d)·model_v in float32. */
#ifndef CPOSE_TRAIN_EMA_H
#define CPOSE_TRAIN_EMA_H

#include "core/base/status.h"
#include "core/train/param_table.h"

struct cpose_ema {
    double decay, tau;
    long updates;
    size_t np;
    size_t *n;       /* [np] element counts (checked against the table at each update) */
    float **value;   /* [np] the averaged values, owned */
};

/* d(updates) = decay·(1 − exp(−updates/tau)). */
CPOSE_API double cpose_ema_decay_at(double decay, double tau, long updates);
/* Copies the table's current values (the EMA starts as a copy of the model, updates = `updates`). */
CPOSE_API int cpose_ema_create(const struct cpose_param *params, size_t np, double decay, double tau, long updates,
                               struct cpose_ema **out);
CPOSE_API void cpose_ema_free(struct cpose_ema *e);
/* One update from the table (same rows as at creation); CPOSE_ESHAPE when a row's size changed. */
CPOSE_API int cpose_ema_update(struct cpose_ema *e, const struct cpose_param *params, size_t np);

#endif
