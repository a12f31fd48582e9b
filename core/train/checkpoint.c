/* core/train/checkpoint.c — writing and restoring training checkpoints (layout in checkpoint.h):
 * the weights part through cpose_model_write_h5 with the EMA's values, then the raw values, the
 * optimizer, the gradients and the run state. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/train/checkpoint.h"
#include "core/train/checkpoint_impl.h"

void cpose_ckpt_state_init(struct cpose_ckpt_state *st)
{
    memset(st, 0, sizeof *st);
    st->epoch = -1;
    st->best_epoch = -1;
    st->best_fitness = NAN;
}

void cpose_ckpt_state_free(struct cpose_ckpt_state *st)
{
    if (!st) return;
    cpose_free(st->train_args_yaml);
    cpose_free(st->dataset_hash);
    cpose_free(st->rng);
    cpose_ckpt_state_init(st);
}

void cpose_ckpt_key(char *buf, size_t cap, const char *group, const char *name)
{
    snprintf(buf, cap, "/%s/%s", group, name);
}

/* /model values: the EMA's row of that name (else the table's) when its size matches. */
struct value_ctx {
    const struct cpose_param *tab;
    size_t n;
    const struct cpose_ema *e;
};

static const float *ema_value_of(void *vctx, const char *key, int64_t numel)
{
    const struct value_ctx *c = vctx;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->tab[i].name, key) && (int64_t)c->tab[i].n == numel)
            return c->e && i < c->e->np && c->e->n[i] == c->tab[i].n ? c->e->value[i] : c->tab[i].data;
    return NULL;
}

static int write_vec(struct cpose_h5 *f, const char *group, const char *name, const float *v, size_t n)
{
    char key[600];
    cpose_ckpt_key(key, sizeof key, group, name);
    int64_t d = (int64_t)n;
    return cpose_h5_write_f32(f, key, v, 1, &d);
}

static int write_optimizer(struct cpose_h5 *f, const struct cpose_param *tab, size_t n_trainable,
                           const struct cpose_optim *o)
{
    if (o->np != n_trainable)
        return cpose_err(CPOSE_EINVAL, "checkpoint: the optimizer holds %zu parameters, the table %zu trainable rows",
                         o->np, n_trainable);
    int rc = cpose_h5_attr_write_str(f, "/", "optim_kind", cpose_optim_name(o->kind));
    double lr[3], ilr[3], mom[3], wd[3];
    for (int g = 0; g < CPOSE_OPTIM_NGROUPS; g++)
        lr[g] = o->group[g].lr, ilr[g] = o->group[g].initial_lr, mom[g] = o->group[g].momentum,
        wd[g] = o->group[g].weight_decay;
    double hyper[4] = {o->beta2, o->eps, o->rms_alpha, o->momentum_decay};
    int64_t np = (int64_t)o->np;
    if (!rc) rc = cpose_h5_attr_write_f64(f, "/", "optim_lr", lr, 3);
    if (!rc) rc = cpose_h5_attr_write_f64(f, "/", "optim_initial_lr", ilr, 3);
    if (!rc) rc = cpose_h5_attr_write_f64(f, "/", "optim_momentum", mom, 3);
    if (!rc) rc = cpose_h5_attr_write_f64(f, "/", "optim_weight_decay", wd, 3);
    if (!rc) rc = cpose_h5_attr_write_f64(f, "/", "optim_hyper", hyper, 4);
    if (!rc) rc = cpose_h5_attr_write_i64(f, "/", "optim_params", &np, 1);
    int64_t *steps = cpose_malloc(sizeof(int64_t) * (o->np ? o->np : 1));
    for (size_t i = 0; i < o->np; i++) steps[i] = o->steps[i];
    if (!rc && np) rc = cpose_h5_write_i64(f, "/optimizer/steps", steps, 1, &np);
    if (!rc && np) rc = cpose_h5_write_f32(f, "/optimizer/mu_product", o->mu_product, 1, &np);
    cpose_free(steps);
    for (size_t i = 0; i < o->np && !rc; i++) {
        if (o->s1[i]) rc = write_vec(f, "optimizer/s1", tab[i].name, o->s1[i], tab[i].n);
        if (!rc && o->s2[i]) rc = write_vec(f, "optimizer/s2", tab[i].name, o->s2[i], tab[i].n);
    }
    return rc;
}

static int write_state(struct cpose_h5 *f, const struct cpose_ckpt_state *st, const struct cpose_ema *e)
{
    int64_t i64[5] = {st->epoch, st->iteration, st->last_opt_step, st->best_epoch, (int64_t)st->seed};
    double f64[2] = {st->best_fitness, st->train_seconds};
    int rc = cpose_h5_attr_write_i64(f, "/", "run_counters", i64, 5);
    if (!rc) rc = cpose_h5_attr_write_f64(f, "/", "run_values", f64, 2);
    if (!rc) rc = cpose_h5_attr_write_i64(f, "/", "epoch", i64, 1);
    if (!rc) rc = cpose_h5_attr_write_f64(f, "/", "best_fitness", f64, 1);
    if (!rc && st->train_args_yaml) rc = cpose_h5_attr_write_str(f, "/", "train_args", st->train_args_yaml);
    if (!rc && st->dataset_hash) rc = cpose_h5_attr_write_str(f, "/", "dataset_hash", st->dataset_hash);
    if (!rc && st->n_rng) {
        int64_t *w = cpose_malloc(sizeof(int64_t) * st->n_rng);
        for (size_t i = 0; i < st->n_rng; i++) w[i] = (int64_t)st->rng[i];
        rc = cpose_h5_attr_write_i64(f, "/", "rng", w, st->n_rng);
        cpose_free(w);
    }
    if (!rc && e) {
        int64_t u = e->updates;
        double dt[2] = {e->decay, e->tau};
        rc = cpose_h5_attr_write_i64(f, "/", "ema_updates", &u, 1);
        if (!rc) rc = cpose_h5_attr_write_f64(f, "/", "ema_decay_tau", dt, 2);
    }
    int64_t g = st->has_grads ? 1 : 0;
    if (!rc) rc = cpose_h5_attr_write_i64(f, "/", "has_grads", &g, 1);
    return rc;
}

int cpose_ckpt_save(const char *path, const struct cpose_model *m, const struct cpose_param *tab, size_t n,
                    size_t n_trainable, const struct cpose_optim *o, const struct cpose_ema *e,
                    const struct cpose_ckpt_state *st)
{
    struct cpose_h5 *f = NULL;
    int rc;
    if (n_trainable > n)
        return cpose_err(CPOSE_EINVAL, "checkpoint %s: %zu trainable rows in a table of %zu", path, n_trainable, n);
    if (e && e->np != n)
        return cpose_err(CPOSE_EINVAL, "checkpoint %s: the EMA holds %zu rows, the table %zu", path, e->np, n);
    if ((rc = cpose_h5_create(path, &f)) != CPOSE_OK) return rc;
    struct value_ctx ctx = {tab, n, e};
    rc = cpose_model_write_h5(m, f, ema_value_of, &ctx);
    for (size_t i = 0; i < n && !rc; i++) rc = write_vec(f, "raw", tab[i].name, tab[i].data, tab[i].n);
    for (size_t i = 0; i < n_trainable && !rc && st->has_grads; i++)
        if (tab[i].grad) rc = write_vec(f, "grad", tab[i].name, tab[i].grad, tab[i].n);
    if (!rc && o) rc = write_optimizer(f, tab, n_trainable, o);
    if (!rc) rc = write_state(f, st, e);
    if (rc) {
        cpose_h5_close(f);
        return cpose_err_context(rc, "writing checkpoint %s", path);
    }
    return cpose_h5_commit(f);
}

/* ---- reading ---- */

static int read_str_opt(struct cpose_h5 *f, const char *attr, char **out)
{
    *out = NULL;
    return cpose_h5_attr_exists(f, "/", attr) > 0 ? cpose_h5_attr_read_str(f, "/", attr, out) : CPOSE_OK;
}

int cpose_ckpt_read_state_h5(struct cpose_h5 *f, struct cpose_ckpt_state *st)
{
    const char *file = cpose_h5_path(f);
    int version, rc;
    cpose_ckpt_state_init(st);
    if ((rc = cpose_weights_check_version(f, &version)) != CPOSE_OK) return rc;
    st->format_version = version;
    if (cpose_h5_attr_exists(f, "/", "run_counters") <= 0)
        return cpose_err(CPOSE_EINVAL,
                         "%s holds weights only (format version %d), no training state to resume: start a new run "
                         "with model=%s (or pretrained=%s)",
                         file, version, file, file);
    int64_t i64[5] = {0};
    double f64[2] = {0};
    size_t ni = 0, nf = 0;
    if ((rc = cpose_h5_attr_read_i64(f, "/", "run_counters", i64, 5, &ni)) != CPOSE_OK) return rc;
    if ((rc = cpose_h5_attr_read_f64(f, "/", "run_values", f64, 2, &nf)) != CPOSE_OK) return rc;
    if (ni != 5 || nf != 2)
        return cpose_err(CPOSE_EINVAL, "%s: damaged training state (run_counters has %zu values, run_values %zu; "
                                       "expected 5 and 2)", file, ni, nf);
    st->epoch = (int)i64[0], st->iteration = (long)i64[1], st->last_opt_step = (long)i64[2];
    st->best_epoch = (int)i64[3], st->seed = (uint64_t)i64[4];
    st->best_fitness = f64[0], st->train_seconds = f64[1];
    if ((rc = read_str_opt(f, "train_args", &st->train_args_yaml)) != CPOSE_OK) goto fail;
    if ((rc = read_str_opt(f, "dataset_hash", &st->dataset_hash)) != CPOSE_OK) goto fail;
    int64_t g = 0;
    size_t ng = 0;
    if (cpose_h5_attr_exists(f, "/", "has_grads") > 0 &&
        (rc = cpose_h5_attr_read_i64(f, "/", "has_grads", &g, 1, &ng)) != CPOSE_OK)
        goto fail;
    st->has_grads = g != 0;
    if (cpose_h5_attr_exists(f, "/", "rng") > 0) {
        /* the attribute's length is not known up front: read with a generous bound, then trim */
        size_t cap = 1 << 16, nr = 0;
        int64_t *w = cpose_malloc(sizeof(int64_t) * cap);
        if ((rc = cpose_h5_attr_read_i64(f, "/", "rng", w, cap, &nr)) != CPOSE_OK) {
            cpose_free(w);
            goto fail;
        }
        st->rng = cpose_malloc(sizeof(uint64_t) * (nr ? nr : 1));
        for (size_t i = 0; i < nr; i++) st->rng[i] = (uint64_t)w[i];
        st->n_rng = nr;
        cpose_free(w);
    }
    return CPOSE_OK;
fail:
    cpose_ckpt_state_free(st);
    return cpose_err_context(rc, "reading the training state of %s", file);
}

int cpose_ckpt_read_state(const char *path, struct cpose_ckpt_state *st)
{
    struct cpose_h5 *f = NULL;
    cpose_ckpt_state_init(st);
    int rc = cpose_h5_open(path, &f);
    if (!rc) rc = cpose_ckpt_read_state_h5(f, st);
    cpose_h5_close(f);
    return rc;
}

/* Reads a 1-D float row of exactly n values into a new buffer. */
static int read_vec(struct cpose_h5 *f, const char *group, const char *name, size_t n, float **out)
{
    char key[600];
    cpose_ckpt_key(key, sizeof key, group, name);
    *out = cpose_malloc(sizeof(float) * (n ? n : 1));
    int rc = cpose_h5_read_f32_into(f, key, *out, n);
    if (rc) cpose_free(*out), *out = NULL;
    return rc;
}

/* Everything load reads, before any of it is copied into the caller's structures. */
struct staged {
    size_t n, nt;
    float **raw, **ema, **grad, **s1, **s2;
    int64_t *steps;
    float *mu;
    double lr[3], ilr[3], mom[3], wd[3], hyper[4];
    int64_t ema_updates;
};

static void staged_free(struct staged *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->raw) cpose_free(s->raw[i]);
        if (s->ema) cpose_free(s->ema[i]);
        if (i < s->nt) {
            if (s->grad) cpose_free(s->grad[i]);
            if (s->s1) cpose_free(s->s1[i]);
            if (s->s2) cpose_free(s->s2[i]);
        }
    }
    cpose_free(s->raw), cpose_free(s->ema), cpose_free(s->grad), cpose_free(s->s1), cpose_free(s->s2);
    cpose_free(s->steps), cpose_free(s->mu);
}

static int stage_optimizer(struct cpose_h5 *f, const struct cpose_param *tab, size_t nt, const struct cpose_optim *o,
                           struct staged *s)
{
    size_t k;
    int rc = cpose_h5_attr_read_f64(f, "/", "optim_lr", s->lr, 3, &k);
    if (!rc) rc = cpose_h5_attr_read_f64(f, "/", "optim_initial_lr", s->ilr, 3, &k);
    if (!rc) rc = cpose_h5_attr_read_f64(f, "/", "optim_momentum", s->mom, 3, &k);
    if (!rc) rc = cpose_h5_attr_read_f64(f, "/", "optim_weight_decay", s->wd, 3, &k);
    if (!rc) rc = cpose_h5_attr_read_f64(f, "/", "optim_hyper", s->hyper, 4, &k);
    if (rc) return rc;
    s->s1 = cpose_calloc(nt ? nt : 1, sizeof(float *));
    s->s2 = cpose_calloc(nt ? nt : 1, sizeof(float *));
    if (nt) {
        int nd;
        int64_t d[CPOSE_H5_MAX_DIMS];
        if ((rc = cpose_h5_read_i64(f, "/optimizer/steps", &s->steps, &nd, d)) != CPOSE_OK) return rc;
        if (nd != 1 || d[0] != (int64_t)nt)
            return cpose_err(CPOSE_EINVAL, "%s: /optimizer/steps holds %lld values for %zu parameters",
                             cpose_h5_path(f), (long long)d[0], nt);
        s->mu = cpose_malloc(sizeof(float) * nt);
        if ((rc = cpose_h5_read_f32_into(f, "/optimizer/mu_product", s->mu, nt)) != CPOSE_OK) return rc;
    }
    for (size_t i = 0; i < nt && !rc; i++) {
        if (o->s1[i]) rc = read_vec(f, "optimizer/s1", tab[i].name, tab[i].n, &s->s1[i]);
        if (!rc && o->s2[i]) rc = read_vec(f, "optimizer/s2", tab[i].name, tab[i].n, &s->s2[i]);
    }
    return rc;
}

int cpose_ckpt_load(const char *path, struct cpose_param *tab, size_t n, size_t n_trainable, struct cpose_optim *o,
                    struct cpose_ema *e, struct cpose_ckpt_state *st)
{
    struct cpose_h5 *f = NULL;
    struct staged s = {.n = n, .nt = n_trainable};
    struct cpose_ckpt_state tmp;
    int rc;
    cpose_ckpt_state_init(&tmp);
    if ((rc = cpose_ckpt_check(path, tab, n, n_trainable, o ? (int)o->kind : -1, NULL)) != CPOSE_OK) return rc;
    if (e && e->np != n)
        return cpose_err(CPOSE_EINVAL, "resuming %s: the EMA holds %zu rows, the table %zu", path, e->np, n);
    for (size_t i = 0; e && i < n; i++)
        if (e->n[i] != tab[i].n)
            return cpose_err(CPOSE_EINVAL, "resuming %s: the EMA's %s holds %zu values, the table's %zu", path,
                             tab[i].name, e->n[i], tab[i].n);
    if (o && o->np != n_trainable)
        return cpose_err(CPOSE_EINVAL, "resuming %s: the optimizer holds %zu parameters, the table %zu trainable rows",
                         path, o->np, n_trainable);
    if ((rc = cpose_h5_open(path, &f)) != CPOSE_OK) return rc;
    if ((rc = cpose_ckpt_read_state_h5(f, &tmp)) != CPOSE_OK) goto fail;
    s.raw = cpose_calloc(n ? n : 1, sizeof(float *));
    s.ema = cpose_calloc(n ? n : 1, sizeof(float *));
    s.grad = cpose_calloc(n_trainable ? n_trainable : 1, sizeof(float *));
    for (size_t i = 0; i < n && !rc; i++) rc = read_vec(f, "raw", tab[i].name, tab[i].n, &s.raw[i]);
    for (size_t i = 0; i < n && !rc && e; i++) rc = read_vec(f, "model", tab[i].name, tab[i].n, &s.ema[i]);
    for (size_t i = 0; i < n_trainable && !rc && tmp.has_grads; i++)
        if (tab[i].grad) rc = read_vec(f, "grad", tab[i].name, tab[i].n, &s.grad[i]);
    if (!rc && e) {
        size_t k;
        rc = cpose_h5_attr_read_i64(f, "/", "ema_updates", &s.ema_updates, 1, &k);
    }
    if (!rc && o) rc = stage_optimizer(f, tab, n_trainable, o, &s);
    if (rc) goto fail;
    /* everything read: now restore */
    for (size_t i = 0; i < n; i++) memcpy(tab[i].data, s.raw[i], sizeof(float) * tab[i].n);
    for (size_t i = 0; i < n_trainable; i++)
        if (tab[i].grad) {
            if (s.grad[i]) memcpy(tab[i].grad, s.grad[i], sizeof(float) * tab[i].n);
            else memset(tab[i].grad, 0, sizeof(float) * tab[i].n);
        }
    if (e) {
        for (size_t i = 0; i < n; i++) memcpy(e->value[i], s.ema[i], sizeof(float) * tab[i].n);
        e->updates = (long)s.ema_updates;
    }
    if (o) {
        for (int g = 0; g < CPOSE_OPTIM_NGROUPS; g++)
            o->group[g] = (struct cpose_optim_group){s.lr[g], s.ilr[g], s.mom[g], s.wd[g]};
        o->beta2 = s.hyper[0], o->eps = s.hyper[1], o->rms_alpha = s.hyper[2], o->momentum_decay = s.hyper[3];
        for (size_t i = 0; i < n_trainable; i++) {
            o->steps[i] = (long)s.steps[i];
            o->mu_product[i] = s.mu[i];
            if (o->s1[i]) memcpy(o->s1[i], s.s1[i], sizeof(float) * tab[i].n);
            if (o->s2[i]) memcpy(o->s2[i], s.s2[i], sizeof(float) * tab[i].n);
        }
    }
    if (st) *st = tmp;
    else cpose_ckpt_state_free(&tmp);
    staged_free(&s);
    cpose_h5_close(f);
    return CPOSE_OK;
fail:
    cpose_ckpt_state_free(&tmp);
    staged_free(&s);
    cpose_h5_close(f);
    return cpose_err_context(rc, "resuming from %s", path);
}
