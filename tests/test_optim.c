/* tests/test_optim.c — optimizers, schedule and EMA against values computed here by hand from the
 * formulas (Ultralytics 8.1 trainer arithmetic, PyTorch 1.13 update rules): the optimizer choice,
 * accumulation and decay scaling, lr/momentum/accumulate at chosen iterations of warmup and decay
 * (linear and cosine), the EMA ramp, the gradient clip, and steps of every optimizer on a 3-element
 * parameter. */
/* cpose-layer: train */
#include <math.h>

#include "core/base/alloc.h"
#include "core/train/ema.h"
#include "core/train/optim.h"
#include "core/train/schedule.h"
#include "tests/testlib.h"

#define REL(a, b, tol) CHECK_NEAR((a), (b), (tol) * (fabs((double)(b)) + 1e-12))

static void test_choice(void)
{
    struct cpose_optim_choice ch;
    double wb = 0.1;
    CHECK(cpose_optim_choose("auto", 1, 10001, 0.01, 0.937, &wb, &ch) == CPOSE_OK);
    CHECK(ch.kind == CPOSE_OPTIM_SGD && ch.lr == 0.01 && ch.momentum == 0.9 && wb == 0.0);
    wb = 0.1;
    CHECK(cpose_optim_choose("auto", 1, 10000, 0.01, 0.937, &wb, &ch) == CPOSE_OK);
    CHECK(ch.kind == CPOSE_OPTIM_ADAMW && fabs(ch.lr - 0.002) < 1e-15 && ch.momentum == 0.9 && wb == 0.0);
    CHECK(cpose_optim_choose("auto", 80, 100, 0.01, 0.937, NULL, &ch) == CPOSE_OK);
    CHECK(fabs(ch.lr - 0.000119) < 1e-15); /* 0.01/84 = 0.00011904… rounded to 6 places */
    wb = 0.1;
    CHECK(cpose_optim_choose("RMSProp", 1, 100, 0.02, 0.5, &wb, &ch) == CPOSE_OK);
    CHECK(ch.kind == CPOSE_OPTIM_RMSPROP && ch.lr == 0.02 && ch.momentum == 0.5 && wb == 0.1);
    CHECK(cpose_optim_choose("sgd", 1, 100, 0.01, 0.9, NULL, &ch) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "optimizer=sgd");
    CHECK_CONTAINS(cpose_errmsg(), "NAdam");

    CHECK(cpose_optim_accumulate(64, 16) == 4);
    CHECK(cpose_optim_accumulate(64, 24) == 3);   /* 2.67 */
    CHECK(cpose_optim_accumulate(10, 4) == 2);    /* 2.5 → 2: half to even, like Python's round */
    CHECK(cpose_optim_accumulate(64, 128) == 1);  /* round(0.5) = 0 → max(…, 1) */
    CHECK_NEAR(cpose_optim_scaled_decay(0.0005, 24, 64), 0.0005 * 24 * 3 / 64, 1e-18);
    CHECK(cpose_optim_iterations(1000, 16, 64, 100) == 1600); /* ceil(1000/64)·100 */
    CHECK(cpose_optim_iterations(1000, 128, 64, 3) == 24);    /* ceil(1000/128)·3 */

    CHECK(cpose_param_group_of("model.22.cv4.0.2.bias") == CPOSE_PGROUP_BIAS);
    CHECK(cpose_param_group_of("model.0.bn.weight") == CPOSE_PGROUP_NORM);
    CHECK(cpose_param_group_of("model.0.bn.running_var") == CPOSE_PGROUP_BUFFER);
    CHECK(cpose_param_group_of("model.0.conv.weight") == CPOSE_PGROUP_WEIGHT);
    CHECK(cpose_param_group_of("model.22.dfl.conv.weight") == CPOSE_PGROUP_WEIGHT);
}

static void test_schedule(void)
{
    struct cpose_sched_cfg s;
    cpose_sched_cfg_default(&s, 100, 16, 50);
    CHECK(cpose_sched_warmup_iters(&s) == 150); /* max(round(3·50), 100) */
    float w = 0, g = 0;
    struct cpose_param p[3] = {{"b.bias", &w, &g, 1, CPOSE_PGROUP_BIAS},
                               {"c.weight", &w, &g, 1, CPOSE_PGROUP_WEIGHT},
                               {"bn.weight", &w, &g, 1, CPOSE_PGROUP_NORM}};
    struct cpose_optim *o;
    CHECK(cpose_optim_create(CPOSE_OPTIM_SGD, 0.01, 0.937, 0.0005, p, 3, &o) == CPOSE_OK);
    CHECK(o->group[1].weight_decay == 0.0005 && o->group[0].weight_decay == 0 && o->group[2].weight_decay == 0);

    /* ni = 30 of epoch 0: a fifth of the warmup; lf(0) = 1 */
    cpose_sched_apply(&s, o, 0, 30);
    CHECK_NEAR(o->group[0].lr, 0.1 + (0.01 - 0.1) * 0.2, 1e-15);
    CHECK_NEAR(o->group[1].lr, 0.01 * 0.2, 1e-15);
    CHECK_NEAR(o->group[2].lr, 0.01 * 0.2, 1e-15);
    CHECK_NEAR(o->group[1].momentum, 0.8 + (0.937 - 0.8) * 0.2, 1e-15);
    CHECK(cpose_sched_accumulate(&s, 30) == 2); /* interp = 1.6 */
    /* ni = 75 of epoch 1: half way; lf(1) = 0.99·0.99 + 0.01 */
    cpose_sched_apply(&s, o, 1, 75);
    double lf1 = 0.99 * 0.99 + 0.01;
    CHECK_NEAR(o->group[0].lr, 0.1 + (0.01 * lf1 - 0.1) * 0.5, 1e-15);
    CHECK_NEAR(o->group[2].lr, 0.01 * lf1 * 0.5, 1e-15);
    CHECK(cpose_sched_accumulate(&s, 75) == 2); /* interp = 2.5 → 2 (half to even, like NumPy) */
    CHECK(cpose_sched_accumulate(&s, 125) == 4); /* 1 + 3·125/150 = 3.5 → 4 (half to even) */
    cpose_sched_apply(&s, o, 3, 150);           /* last warmup iteration */
    CHECK_NEAR(o->group[1].momentum, 0.937, 1e-15);
    /* after warmup: lr = lr0·lf(epoch), momentum stays */
    cpose_sched_apply(&s, o, 4, 200);
    CHECK_NEAR(o->group[0].lr, 0.01 * (0.96 * 0.99 + 0.01), 1e-15);
    CHECK_NEAR(o->group[1].lr, 0.01 * (0.96 * 0.99 + 0.01), 1e-15);
    CHECK_NEAR(o->group[1].momentum, 0.937, 1e-15);
    CHECK(cpose_sched_accumulate(&s, 200) == 4);
    /* the same points without an optimizer */
    struct cpose_sched_point pt;
    cpose_sched_at(&s, CPOSE_OPTIM_SGD, 0.01, 0.9, 0, 30, &pt);
    CHECK_NEAR(pt.lr[0], 0.082, 1e-15);
    CHECK_NEAR(pt.lr[1], 0.002, 1e-15);
    CHECK_NEAR(pt.momentum, 0.8274, 1e-15);
    CHECK(pt.accumulate == 2);
    cpose_sched_at(&s, CPOSE_OPTIM_SGD, 0.01, 0.9, 4, 200, &pt);
    CHECK_NEAR(pt.lr[2], 0.009604, 1e-15);
    CHECK_NEAR(pt.momentum, 0.937, 1e-15); /* not the 0.9 SGD was built with: warmup ended at 0.937 */
    CHECK(pt.accumulate == 4);
    cpose_sched_at(&s, CPOSE_OPTIM_ADAMW, 0.002, 0.9, 0, 30, &pt);
    CHECK(pt.momentum == 0.9);
    CHECK_NEAR(cpose_sched_lf(&s, 100), 0.01, 1e-15);
    CHECK_NEAR(cpose_sched_lf(&s, 120), 0.01, 1e-15); /* max(1 − e/epochs, 0) */
    /* cosine one_cycle(1, lrf, epochs) */
    s.cos_lr = 1;
    CHECK_NEAR(cpose_sched_lf(&s, 50), 0.5 * (0.01 - 1) + 1, 1e-15);
    CHECK_NEAR(cpose_sched_lf(&s, 25), (1 - cos(M_PI / 4)) / 2 * (0.01 - 1) + 1, 1e-15);
    CHECK_NEAR(cpose_sched_lf(&s, 0), 1.0, 1e-15);
    s.cos_lr = 0;
    /* short epochs: at least 100 warmup iterations; round half to even on the warmup length */
    s.nb = 10;
    CHECK(cpose_sched_warmup_iters(&s) == 100);
    s.nb = 41;
    s.warmup_epochs = 2.5;
    CHECK(cpose_sched_warmup_iters(&s) == 102); /* 102.5 → 102 */
    s.warmup_epochs = 0;
    CHECK(cpose_sched_warmup_iters(&s) == -1);
    o->group[1].momentum = 0.9;
    cpose_sched_apply(&s, o, 0, 0); /* no warmup: lr0·lf(0), momentum untouched */
    CHECK_NEAR(o->group[0].lr, 0.01, 1e-15);
    CHECK(o->group[1].momentum == 0.9);
    cpose_optim_free(o);

    /* the Adam family has no momentum for the warmup to move (betas stay) */
    cpose_sched_cfg_default(&s, 10, 16, 50);
    CHECK(cpose_optim_create(CPOSE_OPTIM_ADAMW, 0.002, 0.9, 0.0005, p, 3, &o) == CPOSE_OK);
    s.warmup_bias_lr = 0;
    cpose_sched_apply(&s, o, 0, 15);
    CHECK(o->group[1].momentum == 0.9);
    CHECK_NEAR(o->group[0].lr, 0.002 * 0.1, 1e-15); /* from 0 (auto zeroes warmup_bias_lr) */
    cpose_optim_free(o);
}

static void test_ema(void)
{
    float wdata[2] = {1.0f, -2.0f}, rm[1] = {0.5f};
    struct cpose_param p[2] = {{"model.0.conv.weight", wdata, NULL, 2, CPOSE_PGROUP_WEIGHT},
                               {"model.0.bn.running_mean", rm, NULL, 1, CPOSE_PGROUP_BUFFER}};
    struct cpose_ema *e;
    CHECK(cpose_ema_create(p, 2, 0.9999, 2000, 0, &e) == CPOSE_OK);
    double ev[3] = {1.0, -2.0, 0.5};
    for (int it = 1; it <= 3; it++) {
        wdata[0] += 0.25f;
        wdata[1] -= 0.5f;
        rm[0] *= 2;
        CHECK(cpose_ema_update(e, p, 2) == CPOSE_OK);
        double d = 0.9999 * (1 - exp(-it / 2000.0));
        ev[0] = ev[0] * d + (1 - d) * wdata[0];
        ev[1] = ev[1] * d + (1 - d) * wdata[1];
        ev[2] = ev[2] * d + (1 - d) * rm[0];
        CHECK_NEAR(cpose_ema_decay_at(0.9999, 2000, it), d, 1e-15);
    }
    CHECK(e->updates == 3);
    REL(e->value[0][0], ev[0], 1e-6);
    REL(e->value[0][1], ev[1], 1e-6);
    REL(e->value[1][0], ev[2], 1e-6); /* buffers are averaged too */
    CHECK_NEAR(cpose_ema_decay_at(0.9999, 2000, 2000), 0.9999 * (1 - exp(-1.0)), 1e-15);
    p[0].n = 1;
    CHECK(cpose_ema_update(e, p, 2) == CPOSE_ESHAPE);
    CHECK_CONTAINS(cpose_errmsg(), "model.0.conv.weight");
    cpose_ema_free(e);
}

static void test_clip(void)
{
    float g1[2] = {3, 4}, g2[1] = {12}, x[3] = {0}, rmg[1] = {100};
    struct cpose_param p[3] = {{"a.weight", x, g1, 2, CPOSE_PGROUP_WEIGHT}, {"a.bias", x + 2, g2, 1, CPOSE_PGROUP_BIAS},
                               {"bn.running_mean", x, rmg, 1, CPOSE_PGROUP_BUFFER}};
    double total = cpose_clip_grad_norm(p, 3, 10.0);
    CHECK_NEAR(total, 13.0, 1e-6);
    double c = 10.0 / (13.0 + 1e-6);
    REL(g1[0], 3 * c, 1e-6);
    REL(g1[1], 4 * c, 1e-6);
    REL(g2[0], 12 * c, 1e-6);
    CHECK(rmg[0] == 100); /* buffers have no gradient to clip */
    total = cpose_clip_grad_norm(p, 2, 100.0); /* below the limit: unchanged */
    REL(total, 10.0, 1e-6);
    REL(g2[0], 12 * c, 1e-6);
}

/* ---- one or more steps of each optimizer on a 3-element weight (with decay) and a 3-element bias
 * (without), the expected values computed here from PyTorch 1.13's update formulas ---- */

struct ref_state {
    double x[3], m[3], v[3], mu_prod;
};

static const double G0[3] = {0.1, -0.2, 0.3};

/* the gradient at step t (varies so that momentum terms matter) */
static double grad_at(int k, int t) { return G0[k] * (1 + 0.5 * t) + 0.01 * k; }

static void ref_step(enum cpose_optim_kind kind, struct ref_state *s, int t, double lr, double mom, double wd)
{
    const double b1 = mom, b2 = 0.999, eps = 1e-8;
    for (int k = 0; k < 3; k++) {
        double g = grad_at(k, t), x = s->x[k];
        if (kind != CPOSE_OPTIM_ADAMW) g += wd * x;
        switch (kind) {
        case CPOSE_OPTIM_SGD:
            s->m[k] = t == 1 ? g : mom * s->m[k] + g;
            s->x[k] = x - lr * (g + mom * s->m[k]);
            break;
        case CPOSE_OPTIM_ADAM:
        case CPOSE_OPTIM_ADAMW:
            if (kind == CPOSE_OPTIM_ADAMW) x *= 1 - lr * wd;
            s->m[k] = b1 * s->m[k] + (1 - b1) * g;
            s->v[k] = b2 * s->v[k] + (1 - b2) * g * g;
            s->x[k] = x - lr / (1 - pow(b1, t)) * s->m[k] / (sqrt(s->v[k]) / sqrt(1 - pow(b2, t)) + eps);
            break;
        case CPOSE_OPTIM_ADAMAX:
            s->m[k] = b1 * s->m[k] + (1 - b1) * g;
            s->v[k] = fmax(b2 * s->v[k], fabs(g) + eps);
            s->x[k] = x - lr / (1 - pow(b1, t)) * s->m[k] / s->v[k];
            break;
        case CPOSE_OPTIM_NADAM: {
            double mu = b1 * (1 - 0.5 * pow(0.96, t * 0.004)), mun = b1 * (1 - 0.5 * pow(0.96, (t + 1) * 0.004));
            double mp = s->mu_prod * mu, mpn = mp * mun;
            s->m[k] = b1 * s->m[k] + (1 - b1) * g;
            s->v[k] = b2 * s->v[k] + (1 - b2) * g * g;
            double den = sqrt(s->v[k] / (1 - pow(b2, t))) + eps;
            s->x[k] = x - lr * (1 - mu) / (1 - mp) * g / den - lr * mun / (1 - mpn) * s->m[k] / den;
            if (k == 2) s->mu_prod = mp;
            break;
        }
        case CPOSE_OPTIM_RADAM: {
            s->m[k] = b1 * s->m[k] + (1 - b1) * g;
            s->v[k] = b2 * s->v[k] + (1 - b2) * g * g;
            double mh = s->m[k] / (1 - pow(b1, t)), rinf = 2 / (1 - b2) - 1;
            double rt = rinf - 2 * t * pow(b2, t) / (1 - pow(b2, t));
            if (rt > 5) {
                double r = sqrt((rt - 4) * (rt - 2) * rinf / ((rinf - 4) * (rinf - 2) * rt));
                s->x[k] = x - mh * lr * r * sqrt(1 - pow(b2, t)) / (sqrt(s->v[k]) + eps);
            } else {
                s->x[k] = x - mh * lr;
            }
            break;
        }
        case CPOSE_OPTIM_RMSPROP:
            s->v[k] = 0.99 * s->v[k] + 0.01 * g * g;
            s->m[k] = mom * s->m[k] + g / (sqrt(s->v[k]) + eps);
            s->x[k] = x - lr * s->m[k];
            break;
        }
    }
}

static void test_steps(void)
{
    const enum cpose_optim_kind kinds[] = {CPOSE_OPTIM_SGD,   CPOSE_OPTIM_ADAM,  CPOSE_OPTIM_ADAMAX, CPOSE_OPTIM_ADAMW,
                                           CPOSE_OPTIM_NADAM, CPOSE_OPTIM_RADAM, CPOSE_OPTIM_RMSPROP};
    const double x0[3] = {0.5, -1.0, 2.0}, lr = 0.01, mom = 0.9, wd = 0.05;
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
        enum cpose_optim_kind kind = kinds[ki];
        float w[3], b[3], gw[3], gb[3], frozen[3] = {7, 8, 9}, rm[3] = {1, 2, 3};
        for (int k = 0; k < 3; k++) w[k] = b[k] = (float)x0[k];
        struct cpose_param p[4] = {{"m.conv.weight", w, gw, 3, CPOSE_PGROUP_WEIGHT},
                                   {"m.conv.bias", b, gb, 3, CPOSE_PGROUP_BIAS},
                                   {"m.dfl.conv.weight", frozen, NULL, 3, CPOSE_PGROUP_WEIGHT},
                                   {"m.bn.running_mean", rm, NULL, 3, CPOSE_PGROUP_BUFFER}};
        struct cpose_optim *o;
        CHECK(cpose_optim_create(kind, lr, mom, wd, p, 4, &o) == CPOSE_OK);
        struct ref_state rw = {{x0[0], x0[1], x0[2]}, {0}, {0}, 1.0}, rb = rw;
        int steps = kind == CPOSE_OPTIM_RADAM ? 8 : 3; /* RAdam rectifies from step 6 on */
        for (int t = 1; t <= steps; t++) {
            for (int k = 0; k < 3; k++) gw[k] = gb[k] = (float)grad_at(k, t);
            cpose_optim_step(o);
            ref_step(kind, &rw, t, lr, mom, wd);
            ref_step(kind, &rb, t, lr, mom, 0.0);
        }
        for (int k = 0; k < 3; k++) {
            CHECK_MSG(fabs(w[k] - rw.x[k]) <= 2e-6 * fabs(rw.x[k] - x0[k]) + 3e-7 * fabs(rw.x[k]), "%s weight[%d] %.9g, formula %.9g",
                      cpose_optim_name(kind), k, w[k], rw.x[k]);
            CHECK_MSG(fabs(b[k] - rb.x[k]) <= 2e-6 * fabs(rb.x[k] - x0[k]) + 3e-7 * fabs(rb.x[k]), "%s bias[%d] %.9g, formula %.9g",
                      cpose_optim_name(kind), k, b[k], rb.x[k]);
            CHECK(w[k] != (float)x0[k]);
        }
        /* decay makes the two groups differ (AdamW shrinks, the others add wd·x to the gradient) */
        CHECK(w[0] != b[0]);
        CHECK(frozen[0] == 7 && frozen[2] == 9 && rm[1] == 2);
        cpose_optim_free(o);
    }
}

int main(void)
{
    test_choice();
    test_schedule();
    test_ema();
    test_clip();
    test_steps();
    printf("%d passed, %d failed\n", tl_passed, tl_failed);
    return tl_failed != 0;
}
