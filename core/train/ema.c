/* core/train/ema.c — the model EMA (see ema.h). */
#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/train/ema.h"

double cpose_ema_decay_at(double decay, double tau, long updates)
{
    return decay * (1 - exp(-(double)updates / tau));
}

int cpose_ema_create(const struct cpose_param *params, size_t np, double decay, double tau, long updates,
                     struct cpose_ema **out)
{
    *out = NULL;
    if (!(tau > 0) || !(decay >= 0 && decay <= 1))
        return cpose_err(CPOSE_EINVAL, "EMA: decay %g must lie in [0, 1] and tau %g be positive", decay, tau);
    struct cpose_ema *e = cpose_calloc(1, sizeof *e);
    e->decay = decay;
    e->tau = tau;
    e->updates = updates;
    e->np = np;
    e->n = cpose_malloc(sizeof(size_t) * (np ? np : 1));
    e->value = cpose_calloc(np ? np : 1, sizeof(float *));
    for (size_t i = 0; i < np; i++) {
        e->n[i] = params[i].n;
        e->value[i] = cpose_malloc(sizeof(float) * (params[i].n ? params[i].n : 1));
        memcpy(e->value[i], params[i].data, sizeof(float) * params[i].n);
    }
    *out = e;
    return CPOSE_OK;
}

void cpose_ema_free(struct cpose_ema *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->np; i++) cpose_free(e->value[i]);
    cpose_free(e->value);
    cpose_free(e->n);
    cpose_free(e);
}

int cpose_ema_update(struct cpose_ema *e, const struct cpose_param *params, size_t np)
{
    if (np != e->np) return cpose_err(CPOSE_ESHAPE, "EMA: the table has %zu rows, the EMA %zu", np, e->np);
    for (size_t i = 0; i < np; i++)
        if (params[i].n != e->n[i])
            return cpose_err(CPOSE_ESHAPE, "EMA: %s has %zu values, the EMA holds %zu", params[i].name, params[i].n,
                             e->n[i]);
    e->updates++;
    double d = cpose_ema_decay_at(e->decay, e->tau, e->updates);
    const float fd = (float)d, fc = (float)(1 - d);
#pragma omp parallel for schedule(dynamic, 4) if (np > 16)
    for (size_t i = 0; i < np; i++) {
        float *v = e->value[i];
        const float *m = params[i].data;
        for (size_t k = 0; k < e->n[i]; k++) v[k] = v[k] * fd + fc * m[k];
    }
    return CPOSE_OK;
}
