/* core/train/optim.c — Ultralytics' optimizer choice and PyTorch 1.13's update rules (SGD with
 * Nesterov momentum, Adam, Adamax, AdamW, NAdam, RAdam, RMSprop) over the three parameter groups,
 * the parameter grouping rule and the gradient-norm clip. */
#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/train/optim.h"

static const char *const kind_names[] = {"SGD", "Adam", "Adamax", "AdamW", "NAdam", "RAdam", "RMSProp"};

const char *cpose_optim_name(enum cpose_optim_kind kind)
{
    return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "?";
}

enum cpose_param_group cpose_param_group_of(const char *name)
{
    if (strstr(name, "bias")) return CPOSE_PGROUP_BIAS;
    const char *bn = strstr(name, ".bn.");
    if (bn || strncmp(name, "bn.", 3) == 0) {
        const char *leaf = strrchr(name, '.') + 1;
        return strcmp(leaf, "weight") == 0 ? CPOSE_PGROUP_NORM : CPOSE_PGROUP_BUFFER;
    }
    return CPOSE_PGROUP_WEIGHT;
}

int cpose_optim_choose(const char *name, int nc, long iterations, double lr0, double momentum,
                       double *warmup_bias_lr, struct cpose_optim_choice *out)
{
    memset(out, 0, sizeof *out);
    if (name && strcmp(name, "auto") == 0) {
        if (iterations > 10000) {
            out->kind = CPOSE_OPTIM_SGD;
            out->lr = 0.01;
        } else {
            out->kind = CPOSE_OPTIM_ADAMW;
            /* round(0.002 · 5 / (4 + nc), 6) */
            out->lr = nearbyint(0.002 * 5 / (4 + nc) * 1e6) / 1e6;
        }
        out->momentum = 0.9;
        out->warmup_bias_lr_zeroed = 1;
        if (warmup_bias_lr) *warmup_bias_lr = 0.0;
        return CPOSE_OK;
    }
    for (int k = 0; k < (int)(sizeof kind_names / sizeof kind_names[0]); k++)
        if (name && strcmp(name, kind_names[k]) == 0) {
            out->kind = (enum cpose_optim_kind)k;
            out->lr = lr0;
            out->momentum = momentum;
            return CPOSE_OK;
        }
    return cpose_err(CPOSE_EINVAL,
                     "optimizer=%s is not known; use one of auto, SGD, Adam, Adamax, AdamW, NAdam, RAdam, RMSProp",
                     name ? name : "(null)");
}

int cpose_optim_accumulate(int nbs, int batch)
{
    int a = (int)nearbyint((double)nbs / batch);
    return a > 1 ? a : 1;
}

double cpose_optim_scaled_decay(double weight_decay, int batch, int nbs)
{
    return weight_decay * batch * cpose_optim_accumulate(nbs, batch) / nbs;
}

long cpose_optim_iterations(long n_images, int batch, int nbs, int epochs)
{
    long per = batch > nbs ? batch : nbs;
    return (n_images + per - 1) / per * epochs;
}

int cpose_optim_create(enum cpose_optim_kind kind, double lr, double momentum, double decay,
                       struct cpose_param *params, size_t np, struct cpose_optim **out)
{
    *out = NULL;
    if ((unsigned)kind > CPOSE_OPTIM_RMSPROP) return cpose_err(CPOSE_EINVAL, "optimizer kind %d is not known", kind);
    for (size_t i = 0; i < np; i++)
        if ((unsigned)params[i].group > CPOSE_PGROUP_BUFFER)
            return cpose_err(CPOSE_EINVAL, "parameter %s has group %d (0..3 expected)", params[i].name,
                             params[i].group);
    struct cpose_optim *o = cpose_calloc(1, sizeof *o);
    o->kind = kind;
    for (int g = 0; g < CPOSE_OPTIM_NGROUPS; g++) {
        o->group[g].lr = o->group[g].initial_lr = lr;
        o->group[g].momentum = momentum;
        o->group[g].weight_decay = g == CPOSE_PGROUP_WEIGHT ? decay : 0.0;
    }
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->rms_alpha = 0.99;
    o->momentum_decay = 4e-3;
    o->params = params;
    o->np = np;
    o->s1 = cpose_calloc(np ? np : 1, sizeof *o->s1);
    o->s2 = cpose_calloc(np ? np : 1, sizeof *o->s2);
    o->steps = cpose_calloc(np ? np : 1, sizeof *o->steps);
    o->mu_product = cpose_malloc(sizeof(float) * (np ? np : 1));
    for (size_t i = 0; i < np; i++) {
        o->mu_product[i] = 1.0f;
        if (params[i].group == CPOSE_PGROUP_BUFFER) continue;
        o->s1[i] = cpose_calloc(params[i].n ? params[i].n : 1, sizeof(float));
        if (kind != CPOSE_OPTIM_SGD) o->s2[i] = cpose_calloc(params[i].n ? params[i].n : 1, sizeof(float));
    }
    *out = o;
    return CPOSE_OK;
}

void cpose_optim_free(struct cpose_optim *o)
{
    if (!o) return;
    for (size_t i = 0; i < o->np; i++) {
        cpose_free(o->s1[i]);
        cpose_free(o->s2[i]);
    }
    cpose_free(o->s1);
    cpose_free(o->s2);
    cpose_free(o->steps);
    cpose_free(o->mu_product);
    cpose_free(o);
}

void cpose_optim_zero_grad(struct cpose_param *params, size_t np)
{
    for (size_t i = 0; i < np; i++)
        if (params[i].grad) memset(params[i].grad, 0, sizeof(float) * params[i].n);
}

/* One parameter's update; arithmetic in float like PyTorch's in-place ops, scalars from doubles. */
static void step_param(struct cpose_optim *o, size_t i)
{
    struct cpose_param *p = &o->params[i];
    const struct cpose_optim_group *g = &o->group[p->group];
    const size_t n = p->n;
    float *x = p->data, *gr = p->grad;
    const float wd = (float)g->weight_decay;
    const int first = o->steps[i] == 0;
    long t = ++o->steps[i];
    float *s1 = o->s1[i], *s2 = o->s2[i];
    const double lr = g->lr, b1 = g->momentum, b2 = o->beta2, eps = o->eps;

    switch (o->kind) {
    case CPOSE_OPTIM_SGD: {
        const float m = (float)g->momentum, flr = (float)lr;
        for (size_t k = 0; k < n; k++) {
            float d = wd != 0 ? gr[k] + wd * x[k] : gr[k];
            if (m != 0) {
                s1[k] = first ? d : s1[k] * m + d;
                d = d + m * s1[k]; /* nesterov */
            }
            x[k] -= flr * d;
        }
        break;
    }
    case CPOSE_OPTIM_ADAM:
    case CPOSE_OPTIM_ADAMW: {
        const int decoupled = o->kind == CPOSE_OPTIM_ADAMW;
        const float shrink = (float)(1 - lr * g->weight_decay);
        const double bc1 = 1 - pow(b1, (double)t), bc2 = 1 - pow(b2, (double)t);
        const float step_size = (float)(lr / bc1), bc2s = (float)sqrt(bc2), fe = (float)eps;
        const float fb1 = (float)b1, fb2 = (float)b2, c1 = (float)(1 - b1), c2 = (float)(1 - b2);
        for (size_t k = 0; k < n; k++) {
            float gk = gr[k];
            if (decoupled) x[k] *= shrink;
            else if (wd != 0) gk += wd * x[k];
            s1[k] = s1[k] * fb1 + c1 * gk;
            s2[k] = s2[k] * fb2 + c2 * gk * gk;
            float denom = sqrtf(s2[k]) / bc2s + fe;
            x[k] -= step_size * (s1[k] / denom);
        }
        break;
    }
    case CPOSE_OPTIM_ADAMAX: {
        const float clr = (float)(lr / (1 - pow(b1, (double)t))), fe = (float)eps;
        const float fb1 = (float)b1, fb2 = (float)b2, c1 = (float)(1 - b1);
        for (size_t k = 0; k < n; k++) {
            float gk = wd != 0 ? gr[k] + wd * x[k] : gr[k];
            s1[k] = s1[k] * fb1 + c1 * gk;
            float u = s2[k] * fb2, a = fabsf(gk) + fe;
            s2[k] = u > a ? u : a;
            x[k] -= clr * (s1[k] / s2[k]);
        }
        break;
    }
    case CPOSE_OPTIM_NADAM: {
        const double md = o->momentum_decay, bc2 = 1 - pow(b2, (double)t);
        const double mu = b1 * (1 - 0.5 * pow(0.96, t * md)), mu_next = b1 * (1 - 0.5 * pow(0.96, (t + 1) * md));
        o->mu_product[i] = (float)(o->mu_product[i] * mu);
        const float mp = o->mu_product[i], mpn = (float)(mp * mu_next);
        const float cg = (float)(-lr * (1 - mu) / (1 - (double)mp)), cm = (float)(-lr * mu_next / (1 - (double)mpn));
        const float fb1 = (float)b1, fb2 = (float)b2, c1 = (float)(1 - b1), c2 = (float)(1 - b2);
        const float fbc2 = (float)bc2, fe = (float)eps;
        for (size_t k = 0; k < n; k++) {
            float gk = wd != 0 ? gr[k] + wd * x[k] : gr[k];
            s1[k] = s1[k] * fb1 + c1 * gk;
            s2[k] = s2[k] * fb2 + c2 * gk * gk;
            float denom = sqrtf(s2[k] / fbc2) + fe;
            x[k] += cg * (gk / denom);
            x[k] += cm * (s1[k] / denom);
        }
        break;
    }
    case CPOSE_OPTIM_RADAM: {
        const double bc1 = 1 - pow(b1, (double)t), bc2 = 1 - pow(b2, (double)t);
        const double rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 * t * pow(b2, (double)t) / bc2;
        const float fb1 = (float)b1, fb2 = (float)b2, c1 = (float)(1 - b1), c2 = (float)(1 - b2);
        const float fbc1 = (float)bc1, flr = (float)lr, fe = (float)eps;
        if (rho_t > 5) {
            const float rect = (float)sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
            const float sbc2 = (float)sqrt(bc2);
            for (size_t k = 0; k < n; k++) {
                float gk = wd != 0 ? gr[k] + wd * x[k] : gr[k];
                s1[k] = s1[k] * fb1 + c1 * gk;
                s2[k] = s2[k] * fb2 + c2 * gk * gk;
                float adaptive = sbc2 / (sqrtf(s2[k]) + fe);
                x[k] -= (s1[k] / fbc1) * flr * adaptive * rect;
            }
        } else {
            for (size_t k = 0; k < n; k++) {
                float gk = wd != 0 ? gr[k] + wd * x[k] : gr[k];
                s1[k] = s1[k] * fb1 + c1 * gk;
                s2[k] = s2[k] * fb2 + c2 * gk * gk;
                x[k] -= (s1[k] / fbc1) * flr;
            }
        }
        break;
    }
    case CPOSE_OPTIM_RMSPROP: {
        const float al = (float)o->rms_alpha, c = (float)(1 - o->rms_alpha), fe = (float)eps, flr = (float)lr;
        const float m = (float)g->momentum;
        for (size_t k = 0; k < n; k++) {
            float gk = wd != 0 ? gr[k] + wd * x[k] : gr[k];
            s1[k] = s1[k] * al + c * gk * gk;
            float avg = sqrtf(s1[k]) + fe;
            if (m > 0) {
                s2[k] = s2[k] * m + gk / avg;
                x[k] -= flr * s2[k];
            } else {
                x[k] -= flr * (gk / avg);
            }
        }
        break;
    }
    }
}

void cpose_optim_step(struct cpose_optim *o)
{
#pragma omp parallel for schedule(dynamic, 4) if (o->np > 16)
    for (size_t i = 0; i < o->np; i++)
        if (o->params[i].grad && o->params[i].group != CPOSE_PGROUP_BUFFER) step_param(o, i);
}

double cpose_clip_grad_norm(struct cpose_param *params, size_t np, double max_norm)
{
    double total2 = 0;
    for (size_t i = 0; i < np; i++) {
        if (!params[i].grad || params[i].group == CPOSE_PGROUP_BUFFER) continue;
        double s = 0;
        for (size_t k = 0; k < params[i].n; k++) s += (double)params[i].grad[k] * params[i].grad[k];
        double ni = (float)sqrt(s); /* PyTorch's per-tensor norm is a float32 value */
        total2 += ni * ni;
    }
    double total = (float)sqrt(total2);
    double coef = max_norm / (total + 1e-6);
    if (coef > 1.0) coef = 1.0;
    const float fc = (float)coef;
    for (size_t i = 0; i < np; i++) {
        if (!params[i].grad || params[i].group == CPOSE_PGROUP_BUFFER) continue;
        for (size_t k = 0; k < params[i].n; k++) params[i].grad[k] *= fc;
    }
    return total;
}
