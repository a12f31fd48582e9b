/* tests/test_ops.c — every graph op against hand-computed values on small tensors, conv2d (oneDNN)
 * against a naive loop in both layouts, batchnorm train/eval, and BN/SiLU fusion equivalence. */
/* cpose-layer: nn */
#include "core/nn/exec.h"
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "tests/testlib.h"
#include "tests/tl_tensor.h"

#include <math.h>
#include <string.h>

/* Runs op on inputs; out->data must be big enough; returns the status. */
static int run_op(const struct cpose_op_def *d, const struct cpose_tensor **in, int n_in, struct cpose_tensor *out,
                  void *params, int train)
{
    struct cpose_op_ctx ctx = {.train = train};
    float *buf = out->data;
    int rc = d->shape(in, n_in, params, out);
    out->data = buf;
    if (rc) return rc;
    return d->forward(&ctx, in, n_in, out, params);
}

static struct cpose_tensor t4(float *data, int64_t n, int64_t c, int64_t h, int64_t w, int nhwc)
{
    struct cpose_tensor t = {.data = data};
    cpose_tensor_set4(&t, n, c, h, w, nhwc);
    return t;
}

static void check_vals(const char *what, const float *got, const float *want, int n, double tol)
{
    for (int i = 0; i < n; i++) CHECK_MSG(fabs(got[i] - want[i]) <= tol, "%s[%d] = %g, want %g", what, i, got[i], want[i]);
}

static void test_eltwise(void)
{
    float a[4] = {0, 1, -2, 3}, b[4] = {1, 2, 4, -3}, y[4];
    struct cpose_tensor ta = t4(a, 1, 4, 1, 1, 1), tb = t4(b, 1, 4, 1, 1, 1), ty = {.data = y};
    const struct cpose_tensor *in[2] = {&ta, &tb};
    CHECK(run_op(&cpose_op_silu, in, 1, &ty, NULL, 0) == CPOSE_OK);
    check_vals("silu", y, (float[]){0.0f, 0.7310585786f, -0.2384058440f, 2.8577223804f}, 4, 1e-6);
    CHECK(run_op(&cpose_op_sigmoid, in, 1, &ty, NULL, 0) == CPOSE_OK);
    check_vals("sigmoid", y, (float[]){0.5f, 0.7310585786f, 0.1192029220f, 0.9525741268f}, 4, 1e-6);
    CHECK(run_op(&cpose_op_add, in, 2, &ty, NULL, 0) == CPOSE_OK);
    check_vals("add", y, (float[]){1, 3, 2, 0}, 4, 0);
    CHECK(run_op(&cpose_op_sub, in, 2, &ty, NULL, 0) == CPOSE_OK);
    check_vals("sub", y, (float[]){-1, -1, -6, 6}, 4, 0);
    CHECK(run_op(&cpose_op_mul, in, 2, &ty, NULL, 0) == CPOSE_OK);
    check_vals("mul", y, (float[]){0, 2, -8, -9}, 4, 0);
    CHECK(run_op(&cpose_op_div, in, 2, &ty, NULL, 0) == CPOSE_OK);
    check_vals("div", y, (float[]){0, 0.5f, -0.5f, -1}, 4, 0);
    struct cpose_tensor tc = t4(b, 1, 2, 2, 1, 1);
    in[1] = &tc;
    CHECK(run_op(&cpose_op_add, in, 2, &ty, NULL, 0) == CPOSE_ESHAPE);
    CHECK_CONTAINS(cpose_errmsg(), "[1, 4, 1, 1]");
    CHECK_CONTAINS(cpose_errmsg(), "[1, 2, 2, 1]");
}

static void test_layout_ops(void)
{
    /* concat along C in NHWC: a [1,1,1,2] = {1,2}, b [1,2,1,2] = c0 {3,4}, c1 {5,6} (stored h,w,c) */
    float a[2] = {1, 2}, b[4] = {3, 5, 4, 6}, y[16];
    struct cpose_tensor ta = t4(a, 1, 1, 1, 2, 1), tb = t4(b, 1, 2, 1, 2, 1), ty = {.data = y};
    const struct cpose_tensor *in[2] = {&ta, &tb};
    CHECK(run_op(&cpose_op_concat, in, 2, &ty, NULL, 0) == CPOSE_OK);
    CHECK(ty.dims[1] == 3);
    check_vals("concat nhwc", y, (float[]){1, 3, 5, 2, 4, 6}, 6, 0);
    ta.layout = tb.layout = CPOSE_LAYOUT_PLAIN;  /* same data read as NCHW: a = {1,2}, b = c0 {3,5}, c1 {4,6} */
    CHECK(run_op(&cpose_op_concat, in, 2, &ty, NULL, 0) == CPOSE_OK);
    check_vals("concat nchw", y, (float[]){1, 2, 3, 5, 4, 6}, 6, 0);
    /* slice channels [1,3) of a [1,3,1,2] NHWC tensor {1,3,5, 2,4,6} */
    float s[6] = {1, 3, 5, 2, 4, 6};
    struct cpose_tensor ts = t4(s, 1, 3, 1, 2, 1);
    struct cpose_slice_params sp = {1, 2};
    in[0] = &ts;
    CHECK(run_op(&cpose_op_slice, in, 1, &ty, &sp, 0) == CPOSE_OK);
    check_vals("slice", y, (float[]){3, 5, 4, 6}, 4, 0);
    sp.start = 2;
    CHECK(run_op(&cpose_op_slice, in, 1, &ty, &sp, 0) == CPOSE_ESHAPE);
    /* maxpool k5 s1 p2 on a 3×3 ramp 1..9: every window covers the whole image but corners */
    float r[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct cpose_tensor tr = t4(r, 1, 1, 3, 3, 1);
    struct cpose_maxpool2d_params mp = {5, 1, 2};
    in[0] = &tr;
    CHECK(run_op(&cpose_op_maxpool2d, in, 1, &ty, &mp, 0) == CPOSE_OK);
    check_vals("maxpool", y, (float[]){9, 9, 9, 9, 9, 9, 9, 9, 9}, 9, 0);
    struct cpose_maxpool2d_params mp2 = {2, 2, 0};
    CHECK(run_op(&cpose_op_maxpool2d, in, 1, &ty, &mp2, 0) == CPOSE_OK);
    CHECK(ty.dims[2] == 1 && ty.dims[3] == 1 && y[0] == 5);
    struct cpose_maxpool2d_params mp3 = {3, 1, 1};
    CHECK(run_op(&cpose_op_maxpool2d, in, 1, &ty, &mp3, 0) == CPOSE_OK);
    check_vals("maxpool3", y, (float[]){5, 6, 6, 8, 9, 9, 8, 9, 9}, 9, 0);
    /* nearest upsample ×2 of [[1,2],[3,4]] */
    float u[4] = {1, 2, 3, 4};
    struct cpose_tensor tu = t4(u, 1, 1, 2, 2, 0);
    struct cpose_upsample_params up = {2};
    in[0] = &tu;
    CHECK(run_op(&cpose_op_upsample, in, 1, &ty, &up, 0) == CPOSE_OK);
    check_vals("upsample", y, (float[]){1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 16, 0);
    tu.layout = CPOSE_LAYOUT_NHWC;
    CHECK(run_op(&cpose_op_upsample, in, 1, &ty, &up, 0) == CPOSE_OK);
    check_vals("upsample nhwc", y, (float[]){1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 16, 0);
}

static void test_plain_ops(void)
{
    float x[6] = {1, 2, 3, 4, 5, 6}, y[6];
    struct cpose_tensor tx = {.data = x, .ndim = 2, .dims = {2, 3}}, ty = {.data = y};
    const struct cpose_tensor *in[1] = {&tx};
    struct cpose_reshape_params rp = {.ndim = 2, .dims = {3, -1}};
    CHECK(run_op(&cpose_op_reshape, in, 1, &ty, &rp, 0) == CPOSE_OK);
    CHECK(ty.ndim == 2 && ty.dims[0] == 3 && ty.dims[1] == 2);
    check_vals("reshape", y, x, 6, 0);
    struct cpose_reshape_params bad = {.ndim = 2, .dims = {4, -1}};
    CHECK(run_op(&cpose_op_reshape, in, 1, &ty, &bad, 0) == CPOSE_ESHAPE);
    struct cpose_transpose_params tp = {.ndim = 2, .perm = {1, 0}};
    CHECK(run_op(&cpose_op_transpose, in, 1, &ty, &tp, 0) == CPOSE_OK);
    CHECK(ty.dims[0] == 3 && ty.dims[1] == 2);
    check_vals("transpose", y, (float[]){1, 4, 2, 5, 3, 6}, 6, 0);
    /* softmax along axis 1 of [[0, ln2, ln 3], [5, 5, 5]] */
    float s[6] = {0, logf(2), logf(3), 5, 5, 5};
    tx.data = s;
    struct cpose_softmax_params sp = {1};
    CHECK(run_op(&cpose_op_softmax, in, 1, &ty, &sp, 0) == CPOSE_OK);
    check_vals("softmax", y, (float[]){1 / 6.f, 2 / 6.f, 3 / 6.f, 1 / 3.f, 1 / 3.f, 1 / 3.f}, 6, 1e-6);
    struct cpose_softmax_params s0 = {0};  /* along axis 0: columns */
    CHECK(run_op(&cpose_op_softmax, in, 1, &ty, &s0, 0) == CPOSE_OK);
    CHECK_NEAR(y[0], 1 / (1 + expf(5)), 1e-6);
    CHECK_NEAR(y[0] + y[3], 1, 1e-6);
}

static void test_batchnorm(void)
{
    /* 2 channels, N=1, 1×2 pixels, NCHW: c0 {1, 3}, c1 {0, 4} */
    float x[4] = {1, 3, 0, 4}, y[4];
    float w[2] = {2, 1}, b[2] = {1, 0}, mean[2] = {1, 0}, var[2] = {3, 15}, nbt = 0;
    struct cpose_batchnorm_params p = {2, 1.0f, 0.1f, w, b, mean, var, &nbt, NULL, NULL, NULL};
    struct cpose_tensor tx = t4(x, 1, 2, 1, 2, 0), ty = {.data = y};
    const struct cpose_tensor *in[1] = {&tx};
    CHECK(run_op(&cpose_op_batchnorm, in, 1, &ty, &p, 0) == CPOSE_OK);
    /* eval: c0 (x−1)/√4·2 + 1 = {1, 3}; c1 x/√16 = {0, 1} */
    check_vals("bn eval", y, (float[]){1, 3, 0, 1}, 4, 1e-6);
    /* train: batch mean {2, 2}, biased var {1, 4}, unbiased {2, 8}; eps 1 */
    CHECK(run_op(&cpose_op_batchnorm, in, 1, &ty, &p, 1) == CPOSE_OK);
    check_vals("bn train", y, (float[]){-2 / sqrtf(2) + 1, 2 / sqrtf(2) + 1, -2 / sqrtf(5), 2 / sqrtf(5)}, 4, 1e-6);
    check_vals("bn running_mean", mean, (float[]){0.9f * 1 + 0.1f * 2, 0.1f * 2}, 2, 1e-6);
    check_vals("bn running_var", var, (float[]){0.9f * 3 + 0.1f * 2, 0.9f * 15 + 0.1f * 8}, 2, 1e-5);
    CHECK(nbt == 1);
}

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 33) & 0xffffff) / 16777215.0f * 2 - 1;
}

/* Naive NCHW convolution. */
static void conv_ref(const float *x, const float *w, const float *b, float *y, int N, int C, int H, int W, int O, int k,
                     int s, int p, int silu)
{
    int Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int i = 0; i < Ho; i++)
                for (int j = 0; j < Wo; j++) {
                    double acc = b ? b[o] : 0;
                    for (int c = 0; c < C; c++)
                        for (int a = 0; a < k; a++)
                            for (int bb = 0; bb < k; bb++) {
                                int h = i * s - p + a, ww = j * s - p + bb;
                                if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
                                acc += (double)x[((n * C + c) * H + h) * W + ww] * w[((o * C + c) * k + a) * k + bb];
                            }
                    if (silu) acc = acc / (1 + exp(-acc));
                    y[((n * O + o) * Ho + i) * Wo + j] = (float)acc;
                }
}

static void test_conv(void)
{
    static const struct { int N, C, H, W, O, k, s, silu, bias; } cases[] = {
        {2, 5, 9, 7, 6, 3, 2, 1, 1}, {1, 3, 8, 8, 16, 3, 1, 0, 0}, {1, 16, 5, 6, 8, 1, 1, 1, 1}, {1, 4, 6, 6, 4, 5, 1, 0, 1},
    };
    uint64_t seed = 42;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int N = cases[ci].N, C = cases[ci].C, H = cases[ci].H, W = cases[ci].W, O = cases[ci].O, k = cases[ci].k,
            s = cases[ci].s, p = k / 2;
        int Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1;
        size_t nx = (size_t)N * C * H * W, nw = (size_t)O * C * k * k, ny = (size_t)N * O * Ho * Wo;
        float *x = malloc(nx * 4), *xh = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(O * 4);
        float *y = malloc(ny * 4), *yr = malloc(ny * 4), *yn = malloc(ny * 4);
        for (size_t i = 0; i < nx; i++) x[i] = frand(&seed);
        for (size_t i = 0; i < nw; i++) w[i] = frand(&seed);
        for (int i = 0; i < O; i++) b[i] = frand(&seed);
        conv_ref(x, w, cases[ci].bias ? b : NULL, yr, N, C, H, W, O, k, s, p, cases[ci].silu);
        struct cpose_conv2d_params cp = {.cin = C, .cout = O, .k = k, .stride = s, .pad = p,
                                         .act = cases[ci].silu ? CPOSE_ACT_SILU : CPOSE_ACT_NONE,
                                         .weight = w, .bias = cases[ci].bias ? b : NULL};
        for (int nhwc = 0; nhwc < 2; nhwc++) {
            struct cpose_tensor tx = t4(nhwc ? xh : x, N, C, H, W, nhwc), ty = {.data = y};
            if (nhwc) cpose_nchw_to_nhwc(x, xh, N, C, H, W);
            const struct cpose_tensor *in[1] = {&tx};
            CHECK_MSG(run_op(&cpose_op_conv2d, in, 1, &ty, &cp, 0) == CPOSE_OK, "%s", cpose_errmsg());
            CHECK(ty.dims[2] == Ho && ty.dims[3] == Wo && ty.dims[1] == O);
            const float *got = y;
            if (nhwc) cpose_nhwc_to_nchw(y, yn, N, O, Ho, Wo), got = yn;
            double e = 0;
            for (size_t i = 0; i < ny; i++) e = fmax(e, fabs(got[i] - yr[i]));
            CHECK_MSG(e < 1e-4, "conv case %zu %s: max |diff| %g", ci, nhwc ? "NHWC" : "NCHW", e);
        }
        cpose_conv_kernel_free(cp.kern);
        free(x), free(xh), free(w), free(b), free(y), free(yr), free(yn);
    }
}

/* Runs op on inputs stored in `layout`, returns the NCHW result in y and checks padding is zero. */
static int run_in_layout(const struct cpose_op_def *d, const struct cpose_tensor *nchw_in, int n_in, void *params,
                         int layout, float *y)
{
    struct cpose_tensor tin[4], out = {0};
    const struct cpose_tensor *in[4];
    for (int i = 0; i < n_in; i++) {
        const struct cpose_tensor *s = nchw_in + i;
        tin[i] = tl_tensor_from_nchw(s->data, s->dims[0], s->dims[1], s->dims[2], s->dims[3], layout);
        in[i] = &tin[i];
    }
    int rc = d->shape(in, n_in, params, &out);
    if (!rc) {
        out.data = malloc(cpose_tensor_size(&out) * sizeof(float));
        for (int64_t i = 0; i < cpose_tensor_size(&out); i++) out.data[i] = NAN;
        struct cpose_op_ctx ctx = {0};
        rc = d->forward(&ctx, in, n_in, &out, params);
        if (!rc) {
            cpose_tensor_to_nchw(&out, y);
            int64_t nan = 0;
            for (int64_t i = 0; i < cpose_tensor_size(&out); i++) nan += isnan(out.data[i]);
            CHECK_MSG(nan == 0, "%s in %s left %lld unwritten floats (padding)", d->name, cpose_layout_name(layout),
                      (long long)nan);
        }
        free(out.data);
    }
    for (int i = 0; i < n_in; i++) free(tin[i].data);
    return rc;
}

/* Concat, slice, maxpool, upsample in every layout agree with the plain NCHW result. */
static void test_layouts(void)
{
    static const int layouts[] = {CPOSE_LAYOUT_NHWC, CPOSE_LAYOUT_BLK8, CPOSE_LAYOUT_BLK16};
    enum { N = 2, H = 5, W = 4 };
    static const int chans[][2] = {{16, 8}, {8, 5}, {3, 13}};  /* aligned, tail, unaligned */
    uint64_t seed = 99;
    for (size_t ci = 0; ci < 3; ci++) {
        int C1 = chans[ci][0], C2 = chans[ci][1];
        float *a = malloc(N * C1 * H * W * 4), *b = malloc(N * C2 * H * W * 4);
        for (int i = 0; i < N * C1 * H * W; i++) a[i] = frand(&seed);
        for (int i = 0; i < N * C2 * H * W; i++) b[i] = frand(&seed);
        struct cpose_tensor ins[2] = {t4(a, N, C1, H, W, 0), t4(b, N, C2, H, W, 0)};
        size_t big = (size_t)N * (C1 + C2) * H * W * 4 * 4;
        float *want = malloc(big), *got = malloc(big);
        struct cpose_slice_params sl = {C1 > 8 ? 8 : 1, C1 > 8 ? C1 - 8 : C1 - 1};
        struct cpose_slice_params sl2 = {0, C1 > 3 ? 3 : 1};
        struct cpose_maxpool2d_params mp = {5, 1, 2};
        struct cpose_upsample_params up = {2};
        struct { const struct cpose_op_def *d; int n_in; void *p; const char *name; } ops[] = {
            {&cpose_op_concat, 2, NULL, "concat"}, {&cpose_op_slice, 1, &sl, "slice"}, {&cpose_op_slice, 1, &sl2, "slice0"},
            {&cpose_op_maxpool2d, 1, &mp, "maxpool"}, {&cpose_op_upsample, 1, &up, "upsample"}, {&cpose_op_silu, 1, NULL, "silu"},
        };
        for (size_t oi = 0; oi < sizeof ops / sizeof ops[0]; oi++) {
            CHECK(run_in_layout(ops[oi].d, ins, ops[oi].n_in, ops[oi].p, CPOSE_LAYOUT_PLAIN, want) == CPOSE_OK);
            for (int li = 0; li < 3; li++) {
                memset(got, 0, big);
                CHECK(run_in_layout(ops[oi].d, ins, ops[oi].n_in, ops[oi].p, layouts[li], got) == CPOSE_OK);
                struct cpose_tensor o = {0}, tmp[2] = {ins[0], ins[1]};
                const struct cpose_tensor *ip[2] = {&tmp[0], &tmp[1]};
                ops[oi].d->shape(ip, ops[oi].n_in, ops[oi].p, &o);
                int64_t n = cpose_tensor_numel(&o), bad = 0;
                for (int64_t i = 0; i < n; i++) bad += got[i] != want[i];
                CHECK_MSG(bad == 0, "%s C=%d,%d in %s: %lld values differ", ops[oi].name, C1, C2,
                          cpose_layout_name(layouts[li]), (long long)bad);
            }
        }
        free(a), free(b), free(want), free(got);
    }
}

/* Blocked convolutions (plain image in, blocked out; blocked in and out with padded channels). */
static void test_conv_blocked(void)
{
    uint64_t seed = 5;
    static const struct { int C, O, H, W, k, s, in_layout, out_layout; } cases[] = {
        {3, 16, 10, 12, 3, 2, CPOSE_LAYOUT_PLAIN, CPOSE_LAYOUT_BLK8}, {16, 51, 6, 5, 3, 1, CPOSE_LAYOUT_BLK8, CPOSE_LAYOUT_BLK8},
        {51, 51, 4, 4, 3, 1, CPOSE_LAYOUT_BLK8, CPOSE_LAYOUT_BLK8}, {24, 8, 7, 7, 1, 1, CPOSE_LAYOUT_BLK8, CPOSE_LAYOUT_BLK8},
        {3, 16, 8, 8, 3, 2, CPOSE_LAYOUT_PLAIN, CPOSE_LAYOUT_BLK16}, {20, 51, 4, 6, 3, 1, CPOSE_LAYOUT_BLK16, CPOSE_LAYOUT_BLK16},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int C = cases[ci].C, O = cases[ci].O, H = cases[ci].H, W = cases[ci].W, k = cases[ci].k, s = cases[ci].s, p = k / 2;
        int Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1;
        float *x = malloc(C * H * W * 4), *w = malloc(O * C * k * k * 4), *b = malloc(O * 4);
        float *yr = malloc(O * Ho * Wo * 4), *y = malloc(O * Ho * Wo * 4);
        for (int i = 0; i < C * H * W; i++) x[i] = frand(&seed);
        for (int i = 0; i < O * C * k * k; i++) w[i] = frand(&seed);
        for (int i = 0; i < O; i++) b[i] = frand(&seed);
        conv_ref(x, w, b, yr, 1, C, H, W, O, k, s, p, 1);
        struct cpose_conv2d_params cp = {.cin = C, .cout = O, .k = k, .stride = s, .pad = p, .act = CPOSE_ACT_SILU,
                                         .weight = w, .bias = b, .out_layout = cases[ci].out_layout};
        struct cpose_tensor xin = t4(x, 1, C, H, W, 0);
        /* run_in_layout stores the input in one layout; the first case keeps the image plain */
        CHECK_MSG(run_in_layout(&cpose_op_conv2d, &xin, 1, &cp, cases[ci].in_layout, y) == CPOSE_OK, "%s", cpose_errmsg());
        double e = 0;
        for (int i = 0; i < O * Ho * Wo; i++) e = fmax(e, fabs(y[i] - yr[i]));
        CHECK_MSG(e < 1e-4, "blocked conv case %zu: max |diff| %g", ci, e);
        cpose_conv_kernel_free(cp.kern);
        free(x), free(w), free(b), free(yr), free(y);
    }
}

/* input → conv → bn → silu → add(input-sized? no: conv out) ; fused graph gives the same output. */
static void test_fusion(void)
{
    enum { C = 4, O = 8, H = 6, W = 5 };
    uint64_t seed = 7;
    float w[O * C * 9], gamma[O], beta[O], mean[O], var[O], x[C * H * W];
    for (int i = 0; i < O * C * 9; i++) w[i] = frand(&seed);
    for (int i = 0; i < O; i++) gamma[i] = 1 + 0.5f * frand(&seed), beta[i] = frand(&seed), mean[i] = frand(&seed),
                               var[i] = 1 + frand(&seed) * 0.9f;
    for (int i = 0; i < C * H * W; i++) x[i] = frand(&seed);
    struct cpose_graph *g = cpose_graph_new();
    int n0 = cpose_graph_add(g, CPOSE_OP_input, NULL, 0, NULL, "input");
    struct cpose_conv2d_params *cp = cpose_calloc(1, sizeof *cp);
    *cp = (struct cpose_conv2d_params){.cin = C, .cout = O, .k = 3, .stride = 1, .pad = 1, .weight = w};
    int n1 = cpose_graph_add(g, CPOSE_OP_conv2d, &n0, 1, cp, "c");
    struct cpose_batchnorm_params *bp = cpose_calloc(1, sizeof *bp);
    *bp = (struct cpose_batchnorm_params){O, 1e-3f, 0.03f, gamma, beta, mean, var, NULL, NULL, NULL, NULL};
    int n2 = cpose_graph_add(g, CPOSE_OP_batchnorm, &n1, 1, bp, "bn");
    int n3 = cpose_graph_add(g, CPOSE_OP_silu, &n2, 1, NULL, "act");
    int ab[2] = {n3, n3};
    g->output = cpose_graph_add(g, CPOSE_OP_add, ab, 2, NULL, "add");
    struct cpose_graph *f = NULL;
    int map[5];
    CHECK(cpose_graph_fuse(g, &f, map) == CPOSE_OK);
    CHECK(cpose_graph_size(f) == 3);  /* input, fused conv, add */
    CHECK(map[1] == 1 && map[2] == 1 && map[3] == 1 && map[4] == 2);
    struct cpose_exec *e1 = NULL, *e2 = NULL;
    cpose_exec_new(g, NULL, &e1);
    cpose_exec_new(f, NULL, &e2);
    CHECK(cpose_exec_run(e1, x, 1, C, H, W, 0) == CPOSE_OK);
    CHECK(cpose_exec_run(e2, x, 1, C, H, W, 0) == CPOSE_OK);
    const struct cpose_tensor *a = cpose_exec_tensor(e1, g->output), *b = cpose_exec_tensor(e2, f->output);
    CHECK(cpose_tensor_numel(a) == O * H * W && cpose_tensor_numel(b) == O * H * W);
    double err = 0;
    for (int i = 0; i < O * H * W; i++) err = fmax(err, fabs(a->data[i] - b->data[i]));
    CHECK_MSG(err < 1e-5, "fused vs unfused max |diff| %g", err);
    /* and against the formula at one point, from the naive conv */
    float y[O * H * W];
    conv_ref(x, w, NULL, y, 1, C, H, W, O, 3, 1, 1, 0);
    int o = 3, q = 7;  /* channel 3, pixel 7 */
    double z = (y[o * H * W + q] - mean[o]) / sqrt(var[o] + 1e-3) * gamma[o] + beta[o];
    double want = 2 * z / (1 + exp(-z));
    CHECK_NEAR(b->data[q * O + o], want, 1e-5);  /* executor tensors are NHWC */
    cpose_exec_free(e1), cpose_exec_free(e2);
    cpose_graph_free(f), cpose_graph_free(g);
}

static void test_pose_head(void)
{
    /* one level, 1×2 grid, stride 8, nc 1, one keypoint: DFL logits all 0 → each distance 7.5 bins */
    enum { R = 16, CB = 4 * R + 1 };
    float lv[2 * CB] = {0}, kp[2 * 3], out[2 * 8];
    lv[CB - 1] = 0;           /* anchor 0 class logit 0 → 0.5 */
    lv[2 * CB - 1] = logf(3); /* anchor 1 → 0.75 */
    for (int r = 0; r < R; r++) lv[CB + r] = r == 2 ? 100.0f : 0.0f;  /* anchor 1 left distance = 2 */
    float kv[6] = {1, 2, 0, -0.5f, 0.25f, logf(4)};  /* NHWC: anchor 0 (x,y,v), anchor 1 */
    memcpy(kp, kv, sizeof kv);
    struct cpose_tensor tl = t4(lv, 1, CB, 1, 2, 1), tk = t4(kp, 1, 3, 1, 2, 1), ty = {.data = out};
    const struct cpose_tensor *in[2] = {&tl, &tk};
    struct cpose_pose_head_params p = {.nl = 1, .nc = 1, .nk = 1, .kdim = 3, .reg_max = R, .strides = {8}};
    CHECK(run_op(&cpose_op_pose_head, in, 2, &ty, &p, 0) == CPOSE_OK);
    CHECK(ty.ndim == 3 && ty.dims[1] == 8 && ty.dims[2] == 2);
    /* anchor 0 at (0.5, 0.5): box x1 = −7, x2 = 8 → cx 0.5·8 = 4, w 15·8 = 120 */
    float want0[8] = {4, 4, 120, 120, 0.5f, (1 * 2 + 0) * 8.0f, (2 * 2 + 0) * 8.0f, 0.5f};
    /* anchor 1 at (1.5, 0.5): left 2 → x1 = −0.5, x2 = 9 → cx 4.25·8 = 34, w 9.5·8 = 76 */
    float want1[8] = {34, 4, 76, 120, 0.75f, (-0.5f * 2 + 1) * 8.0f, (0.25f * 2 + 0) * 8.0f, 0.8f};
    for (int r = 0; r < 8; r++) {
        CHECK_NEAR(out[r * 2], want0[r], 1e-4);
        CHECK_NEAR(out[r * 2 + 1], want1[r], 1e-4);
    }
}

int main(void)
{
    test_eltwise();
    test_layout_ops();
    test_plain_ops();
    test_batchnorm();
    test_conv();
    test_conv_blocked();
    test_layouts();
    test_fusion();
    test_pose_head();
    for (int i = 0; i < CPOSE_OP_COUNT; i++) CHECK(cpose_op_get(i)->name != NULL);
    CHECK(!strcmp(cpose_op_get(CPOSE_OP_pose_head)->name, "pose_head"));
    return tl_finish();
}
