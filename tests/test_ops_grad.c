/* tests/test_ops_grad.c — every op's backward gradient-checked against central differences, in
 * every layout the executor feeds it (NCHW, NHWC, nChw8c, nChw16c for 4-D ops; plain for the
 * row-major ops).
 *
 * The check: L = Σ r·y over the output's logical elements (r fixed random weights, summed in
 * double); the analytic input gradient is the op's backward with grad_out = r; the numeric one is
 * (L(x + h) − L(x − h)) / 2h per checked element (inputs and parameters). Also checked: blocked
 * padding of the input gradients is zero, stored gradients overwrite what was there, and the
 * accumulate mode (ctx.grad_accum, ctx.param_accum) adds a second backward to the first. */
/* cpose-layer: nn */
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "tests/testlib.h"
#include "tests/tl_tensor.h"

#include <math.h>
#include <string.h>

static uint64_t rng = 12345;
static double urand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (rng >> 11) * (1.0 / 9007199254740992.0);
}

struct pparam {
    float *data, *grad;
    int n;
};

struct gcase {
    const char *name;
    const struct cpose_op_def *op;
    void *params;
    int n_in;
    int ndim;                 /* 4: NCHW logical dims; else plain */
    int64_t dims[4][4];
    int layout;
    int train;
    double h, tol;
    int distinct;             /* 1: input values distinct on a 0.01 grid (max pool: no ties within h) */
    int positive_in1;         /* 1: input 1 kept away from zero (div) */
    struct pparam pp[2];
    int np;
};

static int64_t numel(const int64_t *d, int nd)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= d[i];
    return n;
}

/* Logical element i (row-major index over dims) of t. */
static float *elem(const struct cpose_tensor *t, int64_t i)
{
    if (t->ndim != 4 || t->layout == CPOSE_LAYOUT_PLAIN) return &t->data[i];
    int64_t W = t->dims[3], H = t->dims[2], C = t->dims[1];
    int64_t w = i % W, h = i / W % H, c = i / (W * H) % C, n = i / (W * H * C);
    return &t->data[cpose_tensor_off(t, n, c, h, w)];
}

static double loss_of(const struct gcase *gc, struct cpose_tensor **in, struct cpose_tensor *out, const double *r)
{
    struct cpose_op_ctx ctx = {.train = gc->train};
    CHECK(gc->op->forward(&ctx, (const struct cpose_tensor *const *)in, gc->n_in, out, gc->params) == CPOSE_OK);
    double L = 0;
    int64_t n = cpose_tensor_numel(out);
    for (int64_t i = 0; i < n; i++) L += r[i] * *elem(out, i);
    return L;
}

static void bump_weights(const struct gcase *gc)
{
    if (gc->op == &cpose_op_conv2d) ((struct cpose_conv2d_params *)gc->params)->weights_version++;
}

/* Checks an analytic value against the central difference of L in *x. */
static void check_one(const struct gcase *gc, struct cpose_tensor **in, struct cpose_tensor *out, const double *r,
                      float *x, double ana, const char *what, int64_t idx, int *bad)
{
    float x0 = *x;
    *x = (float)(x0 + gc->h);
    bump_weights(gc);
    double lp = loss_of(gc, in, out, r);
    *x = (float)(x0 - gc->h);
    bump_weights(gc);
    double lm = loss_of(gc, in, out, r);
    *x = x0;
    bump_weights(gc);
    double num = (lp - lm) / (2 * gc->h);
    if (fabs(num - ana) > gc->tol * (1 + fabs(num)) && (*bad)++ < 3)
        CHECK_MSG(0, "%s %s: d/d%s[%lld] analytic %.6g, numeric %.6g", gc->name, cpose_layout_name(gc->layout), what,
                  (long long)idx, ana, num);
}

static void run_case(struct gcase *gc)
{
    struct cpose_tensor in[4], gin[4], out = {0}, gout = {0};
    struct cpose_tensor *inp[4], *ginp[4];
    int nd = gc->ndim;
    for (int k = 0; k < gc->n_in; k++) {
        int64_t n = numel(gc->dims[k], nd);
        float *v = malloc(n * sizeof(float));
        for (int64_t i = 0; i < n; i++) {
            v[i] = (float)(4 * urand() - 2);
            if (gc->distinct) v[i] = (float)(((i * 7919) % n) * 0.01 - n * 0.005);
            if (gc->positive_in1 && k == 1) v[i] = (float)(1.5 + urand());
        }
        if (nd == 4) {
            in[k] = tl_tensor_from_nchw(v, gc->dims[k][0], gc->dims[k][1], gc->dims[k][2], gc->dims[k][3], gc->layout);
            gin[k] = tl_tensor_from_nchw(v, gc->dims[k][0], gc->dims[k][1], gc->dims[k][2], gc->dims[k][3], gc->layout);
            free(v);
        } else {
            in[k] = (struct cpose_tensor){.data = v, .ndim = nd};
            memcpy(in[k].dims, gc->dims[k], sizeof gc->dims[k]);
            gin[k] = in[k];
            gin[k].data = malloc(n * sizeof(float));
        }
        inp[k] = &in[k], ginp[k] = &gin[k];
    }
    CHECK(gc->op->shape((const struct cpose_tensor *const *)inp, gc->n_in, gc->params, &out) == CPOSE_OK);
    int64_t osz = cpose_tensor_size(&out), on = cpose_tensor_numel(&out);
    out.data = calloc(osz, sizeof(float));
    gout = out;
    gout.data = calloc(osz, sizeof(float));
    double *r = malloc(on * sizeof(double));
    for (int64_t i = 0; i < on; i++) r[i] = 2 * urand() - 1, *elem(&gout, i) = (float)r[i];
    /* the analytic gradients: a forward at x, then backward into buffers full of garbage */
    float *pg1[2] = {0};
    for (int k = 0; k < gc->n_in; k++)
        for (int64_t i = 0; i < cpose_tensor_size(&gin[k]); i++) gin[k].data[i] = 7.0f;
    for (int j = 0; j < gc->np; j++)
        for (int i = 0; i < gc->pp[j].n; i++) gc->pp[j].grad[i] = 7.0f;
    loss_of(gc, inp, &out, r);
    struct cpose_op_ctx ctx = {.train = gc->train};
    CHECK(gc->op->backward(&ctx, (const struct cpose_tensor *const *)inp, gc->n_in, &out, &gout, ginp, gc->params) ==
          CPOSE_OK);
    /* padding zero (blocked) */
    for (int k = 0; k < gc->n_in && nd == 4; k++) {
        int64_t pad_nonzero = 0, sz = cpose_tensor_size(&gin[k]);
        double logical = 0, stored = 0;
        for (int64_t i = 0; i < sz; i++) stored += fabs(gin[k].data[i]);
        for (int64_t i = 0; i < cpose_tensor_numel(&gin[k]); i++) logical += fabs(*elem(&gin[k], i));
        pad_nonzero = stored != logical;
        CHECK_MSG(!pad_nonzero, "%s %s: input %d gradient has nonzero padding", gc->name, cpose_layout_name(gc->layout), k);
    }
    /* numeric vs analytic: up to 40 elements per input and parameter, spread over the tensor */
    for (int k = 0; k < gc->n_in; k++) {
        int64_t n = cpose_tensor_numel(&in[k]), step = n > 40 ? n / 40 : 1;
        int bad = 0;
        char what[16];
        snprintf(what, sizeof what, "x%d", k);
        for (int64_t i = (k * 3) % step; i < n; i += step)
            check_one(gc, inp, &out, r, elem(&in[k], i), *elem(&gin[k], i), what, i, &bad);
        tl_passed++;
    }
    for (int j = 0; j < gc->np; j++) {
        int n = gc->pp[j].n, step = n > 40 ? n / 40 : 1, bad = 0;
        pg1[j] = malloc(n * sizeof(float));
        memcpy(pg1[j], gc->pp[j].grad, n * sizeof(float));
        for (int i = 0; i < n; i += step)
            check_one(gc, inp, &out, r, &gc->pp[j].data[i], pg1[j][i], j ? "bias" : "weight", i, &bad);
        tl_passed++;
    }
    /* accumulate mode: a second backward adds the same gradients */
    float *g1[4];
    for (int k = 0; k < gc->n_in; k++) {
        int64_t sz = cpose_tensor_size(&gin[k]);
        g1[k] = malloc(sz * sizeof(float));
        memcpy(g1[k], gin[k].data, sz * sizeof(float));
    }
    loss_of(gc, inp, &out, r);
    ctx = (struct cpose_op_ctx){.train = gc->train, .grad_accum = 0xff, .param_accum = 1};
    CHECK(gc->op->backward(&ctx, (const struct cpose_tensor *const *)inp, gc->n_in, &out, &gout, ginp, gc->params) ==
          CPOSE_OK);
    for (int k = 0; k < gc->n_in; k++) {
        int64_t sz = cpose_tensor_size(&gin[k]), bad = 0;
        for (int64_t i = 0; i < sz; i++) bad += fabs(gin[k].data[i] - 2 * g1[k][i]) > 1e-5 * (1 + fabs(g1[k][i]));
        CHECK_MSG(!bad, "%s %s: accumulated input %d gradient is not twice the stored one (%lld values)", gc->name,
                  cpose_layout_name(gc->layout), k, (long long)bad);
        free(g1[k]);
    }
    for (int j = 0; j < gc->np; j++) {
        int bad = 0;
        for (int i = 0; i < gc->pp[j].n; i++) bad += fabs(gc->pp[j].grad[i] - 2 * pg1[j][i]) > 1e-4 * (1 + fabs(pg1[j][i]));
        CHECK_MSG(!bad, "%s %s: accumulated parameter gradient %d is not twice the stored one", gc->name,
                  cpose_layout_name(gc->layout), j);
        free(pg1[j]);
    }
    for (int k = 0; k < gc->n_in; k++) free(in[k].data), free(gin[k].data);
    free(out.data), free(gout.data), free(r);
}

static const int layouts4[4] = {CPOSE_LAYOUT_PLAIN, CPOSE_LAYOUT_NHWC, CPOSE_LAYOUT_BLK8, CPOSE_LAYOUT_BLK16};

static void set_dims(struct gcase *gc, int k, int64_t a, int64_t b, int64_t c, int64_t d)
{
    gc->dims[k][0] = a, gc->dims[k][1] = b, gc->dims[k][2] = c, gc->dims[k][3] = d;
}

static void test_eltwise(void)
{
    const struct cpose_op_def *ops[6] = {&cpose_op_silu, &cpose_op_sigmoid, &cpose_op_add, &cpose_op_sub,
                                         &cpose_op_mul, &cpose_op_div};
    for (int o = 0; o < 6; o++)
        for (int l = 0; l < 4; l++) {
            struct gcase gc = {.name = ops[o]->name, .op = ops[o], .n_in = o < 2 ? 1 : 2, .ndim = 4,
                               .layout = layouts4[l], .h = 1e-2, .tol = 2e-3, .positive_in1 = o == 5};
            set_dims(&gc, 0, 2, 19, 5, 4);
            set_dims(&gc, 1, 2, 19, 5, 4);
            run_case(&gc);
        }
}

static void test_shape_ops(void)
{
    for (int l = 0; l < 4; l++) {
        struct gcase gc = {.name = "concat", .op = &cpose_op_concat, .n_in = 3, .ndim = 4, .layout = layouts4[l],
                           .h = 1e-2, .tol = 1e-3};
        set_dims(&gc, 0, 2, 16, 3, 4), set_dims(&gc, 1, 2, 3, 3, 4), set_dims(&gc, 2, 2, 21, 3, 4);
        run_case(&gc);
        struct cpose_slice_params sp[3] = {{16, 16}, {3, 20}, {32, 8}};
        for (int s = 0; s < 3; s++) {
            struct gcase gs = {.name = "slice", .op = &cpose_op_slice, .params = &sp[s], .n_in = 1, .ndim = 4,
                               .layout = layouts4[l], .h = 1e-2, .tol = 1e-3};
            set_dims(&gs, 0, 2, 40, 3, 4);
            run_case(&gs);
        }
        struct cpose_upsample_params up = {2};
        struct gcase gu = {.name = "upsample", .op = &cpose_op_upsample, .params = &up, .n_in = 1, .ndim = 4,
                           .layout = layouts4[l], .h = 1e-2, .tol = 1e-3};
        set_dims(&gu, 0, 2, 19, 3, 4);
        run_case(&gu);
        struct cpose_maxpool2d_params mp[2] = {{5, 1, 2}, {3, 2, 1}};
        for (int s = 0; s < 2; s++) {
            struct gcase gm = {.name = "maxpool2d", .op = &cpose_op_maxpool2d, .params = &mp[s], .n_in = 1, .ndim = 4,
                               .layout = layouts4[l], .h = 1e-3, .tol = 1e-3, .distinct = 1};
            set_dims(&gm, 0, 2, 19, 6, 7);
            run_case(&gm);
        }
    }
    struct cpose_reshape_params rp = {2, {6, -1}};
    struct gcase gr = {.name = "reshape", .op = &cpose_op_reshape, .params = &rp, .n_in = 1, .ndim = 3, .h = 1e-2, .tol = 1e-3};
    gr.dims[0][0] = 2, gr.dims[0][1] = 3, gr.dims[0][2] = 4;
    run_case(&gr);
    struct cpose_transpose_params tp = {3, {2, 0, 1}};
    struct gcase gt = {.name = "transpose", .op = &cpose_op_transpose, .params = &tp, .n_in = 1, .ndim = 3, .h = 1e-2, .tol = 1e-3};
    gt.dims[0][0] = 2, gt.dims[0][1] = 3, gt.dims[0][2] = 4;
    run_case(&gt);
    struct cpose_softmax_params smp = {1};
    struct gcase gsm = {.name = "softmax", .op = &cpose_op_softmax, .params = &smp, .n_in = 1, .ndim = 3, .h = 1e-2, .tol = 2e-3};
    gsm.dims[0][0] = 2, gsm.dims[0][1] = 5, gsm.dims[0][2] = 3;
    run_case(&gsm);
}

static void test_batchnorm(void)
{
    for (int train = 0; train < 2; train++)
        for (int l = 0; l < 4; l++) {
            enum { C = 19 };
            float w[C], b[C], mean[C], var[C], gw[C], gb[C];
            for (int c = 0; c < C; c++)
                w[c] = (float)(0.5 + urand()), b[c] = (float)(urand() - 0.5), mean[c] = (float)(urand() - 0.5),
                var[c] = (float)(0.5 + urand());
            struct cpose_batchnorm_params p = {.c = C, .eps = 1e-3f, .momentum = 0.03f, .weight = w, .bias = b,
                                               .mean = mean, .var = var, .grad_w = gw, .grad_b = gb};
            struct gcase gc = {.name = train ? "batchnorm(train)" : "batchnorm(eval)", .op = &cpose_op_batchnorm,
                               .params = &p, .n_in = 1, .ndim = 4, .layout = layouts4[l], .train = train, .h = 1e-2,
                               .tol = 3e-3, .pp = {{w, gw, C}, {b, gb, C}}, .np = 2};
            set_dims(&gc, 0, 3, C, 4, 5);
            run_case(&gc);
            cpose_free(p.saved);
        }
}

static void test_conv(void)
{
    struct { int cin, cout, k, s, pad, bias; } cs[4] = {{5, 19, 3, 1, 1, 1}, {16, 24, 3, 2, 1, 0}, {19, 8, 1, 1, 0, 1},
                                                          {3, 16, 3, 2, 1, 0}};
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 4; l++) {
            int wn = cs[c].cout * cs[c].cin * cs[c].k * cs[c].k;
            float *w = malloc(wn * sizeof(float)), *gw = malloc(wn * sizeof(float));
            float b[32], gb[32];
            for (int i = 0; i < wn; i++) w[i] = (float)((2 * urand() - 1) / sqrt(cs[c].cin * cs[c].k * cs[c].k));
            for (int i = 0; i < 32; i++) b[i] = (float)(urand() - 0.5);
            struct cpose_conv2d_params p = {.cin = cs[c].cin, .cout = cs[c].cout, .k = cs[c].k, .stride = cs[c].s,
                                            .pad = cs[c].pad, .weight = w, .bias = cs[c].bias ? b : NULL,
                                            .grad_w = gw, .grad_b = cs[c].bias ? gb : NULL};
            char name[64];
            snprintf(name, sizeof name, "conv2d k%d s%d %d→%d", cs[c].k, cs[c].s, cs[c].cin, cs[c].cout);
            struct gcase gc = {.name = name, .op = &cpose_op_conv2d, .params = &p, .n_in = 1, .ndim = 4,
                               .layout = layouts4[l], .h = 1e-2, .tol = 2e-3, .pp = {{w, gw, wn}, {b, gb, cs[c].cout}},
                               .np = cs[c].bias ? 2 : 1};
            set_dims(&gc, 0, 2, cs[c].cin, 7, 6);
            run_case(&gc);
            cpose_conv_kernel_free(p.kern);
            cpose_conv_bwd_free(p.bwd);
            free(w), free(gw);
        }
}

int main(void)
{
    test_eltwise();
    test_shape_ops();
    test_batchnorm();
    test_conv();
    return tl_finish();
}
