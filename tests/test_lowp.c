/* tests/test_lowp.c — bf16 and int8 inference against float32: single convolutions against a double
 * convolution written here (layouts, strides, SiLU, residual, batch 2, signed and non-negative int8
 * ranges), the model's precision switch (which convs switch, int8 refused without ranges), and whole
 * forwards against the float32 forward on a generated model and on the bncal parity fixture (int8
 * calibrated with plugins/plugin_calib.h), and the hand-off between low-precision convs against the
 * conversion it replaces, including a gathering conv whose sources must outlive the concat it skips.
 * bf16 parts skip with a message on CPUs without bf16. */
/* cpose-layer: plugins */
#include "core/nn/exec.h"
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_stem.h"
#include "core/nn/h5io.h"
#include "core/nn/model.h"
#include "core/nn/model_impl.h"
#include "plugins/plugin_calib.h"
#include "plugins/plugin_view.h"
#include "tests/testlib.h"
#include "tests/tl_tensor.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 33) & 0xffffff) / 16777215.0f * 2 - 1;
}

/* Relative errors of got against want: RMS over RMS, and max over max |want|. */
static void rel_err(const double *want, const float *got, size_t n, double *rms, double *mx)
{
    double se = 0, sw = 0, me = 0, mw = 0;
    for (size_t i = 0; i < n; i++) {
        double d = got[i] - want[i];
        se += d * d, sw += want[i] * want[i];
        me = fabs(d) > me ? fabs(d) : me, mw = fabs(want[i]) > mw ? fabs(want[i]) : mw;
    }
    *rms = sqrt(se / (sw > 0 ? sw : 1)), *mx = me / (mw > 0 ? mw : 1);
}

/* One conv N×C×H×W → O channels, k×k, stride s, in `layout`, at precision prec, against a double
 * conv. nonneg: inputs in [0, 2) (int8 takes u8) instead of (-2, 2). Tolerances (relative to the
 * output's RMS / max): bf16 1% / 4%, int8 3% / 10% — bf16 keeps 8 significant bits (relative
 * rounding 2^-9 per operand), int8 127 steps per range; a wrong scale, layout or bias is off by O(1). */
static void conv_case(int prec, int layout, int N, int C, int O, int H, int W, int k, int s, int with_res, int nonneg,
                      uint64_t seed)
{
    int pad = k / 2, Ho = (H + 2 * pad - k) / s + 1, Wo = (W + 2 * pad - k) / s + 1;
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * O * Ho * Wo;
    float *x = malloc(sizeof(float) * nx), *wt = malloc(sizeof(float) * O * C * k * k), *b = malloc(sizeof(float) * O);
    float *r = malloc(sizeof(float) * ny), *got = malloc(sizeof(float) * ny);
    double *want = malloc(sizeof(double) * ny);
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < nx; i++) {
        x[i] = nonneg ? frand(&seed) + 1 : frand(&seed) * 2;
        lo = fminf(lo, x[i]), hi = fmaxf(hi, x[i]);
    }
    for (int o = 0; o < O; o++) /* per-channel magnitudes spread over 30×: per-channel scales matter */
        for (int i = 0; i < C * k * k; i++) wt[o * C * k * k + i] = frand(&seed) / sqrtf(C * k * k) * (1 + o % 30);
    for (int i = 0; i < O; i++) b[i] = frand(&seed);
    for (size_t i = 0; i < ny; i++) r[i] = frand(&seed);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++) {
                    double acc = b[o];
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < k; i++)
                            for (int j = 0; j < k; j++) {
                                int hh = h * s + i - pad, ww = w * s + j - pad;
                                if (hh >= 0 && hh < H && ww >= 0 && ww < W)
                                    acc += (double)wt[((o * C + c) * k + i) * k + j] * x[((n * C + c) * H + hh) * W + ww];
                            }
                    acc = acc / (1 + exp(-acc));
                    size_t q = ((size_t)(n * O + o) * Ho + h) * Wo + w;
                    want[q] = acc + (with_res ? r[q] : 0);
                }
    struct cpose_conv2d_params p = {.cin = C, .cout = O, .k = k, .stride = s, .pad = pad, .act = CPOSE_ACT_SILU,
                                    .out_layout = layout, .weight = wt, .bias = b, .prec = prec, .in_lo = lo, .in_hi = hi};
    struct cpose_tensor tx = tl_tensor_from_nchw(x, N, C, H, W, layout);
    struct cpose_tensor tr = tl_tensor_from_nchw(r, N, O, Ho, Wo, layout), ty = {0};
    cpose_tensor_set4(&ty, N, O, Ho, Wo, layout);
    ty.data = calloc(cpose_tensor_size(&ty), sizeof(float));
    int rc = cpose_conv_kernel_run(&p, &tx, with_res ? &tr : NULL, &ty);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    const char *impl = cpose_conv_kernel_impl(p.kern);
    CHECK_MSG(!strncmp(impl, prec == CPOSE_PREC_BF16 ? "bf16 " : "int8 ", 5), "impl '%s'", impl);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int h = 0; h < Ho; h++)
                for (int w = 0; w < Wo; w++) got[((size_t)(n * O + o) * Ho + h) * Wo + w] = ty.data[cpose_tensor_off(&ty, n, o, h, w)];
    double rms, mx;
    rel_err(want, got, ny, &rms, &mx);
    double trms = prec == CPOSE_PREC_BF16 ? 0.01 : 0.03, tmax = prec == CPOSE_PREC_BF16 ? 0.04 : 0.10;
    CHECK_MSG(rms <= trms && mx <= tmax, "%s %s N%d %d→%d %dx%d k%d s%d res%d nonneg%d: rel rms %.4g (≤ %g), rel max %.4g (≤ %g)",
              prec == CPOSE_PREC_BF16 ? "bf16" : "int8", cpose_layout_name(layout), N, C, O, H, W, k, s, with_res,
              nonneg, rms, trms, mx, tmax);
    printf("  %s %-6s N%d %3d→%-3d %2dx%-2d k%d s%d res%d nonneg%d: rel rms %.2e, rel max %.2e (%s)\n",
           prec == CPOSE_PREC_BF16 ? "bf16" : "int8", cpose_layout_name(layout), N, C, O, H, W, k, s, with_res, nonneg,
           rms, mx, impl);
    /* a second run on the cached kernel gives the same values */
    float *again = malloc(sizeof(float) * cpose_tensor_size(&ty));
    memcpy(again, ty.data, sizeof(float) * cpose_tensor_size(&ty));
    CHECK(cpose_conv_kernel_run(&p, &tx, with_res ? &tr : NULL, &ty) == CPOSE_OK);
    CHECK(!memcmp(again, ty.data, sizeof(float) * cpose_tensor_size(&ty)));
    cpose_conv_kernel_free(p.kern);
    free(again), free(x), free(wt), free(b), free(r), free(got), free(want), free(tx.data), free(tr.data), free(ty.data);
}

static void test_convs(void)
{
    int bf16 = cpose_cpu_has_bf16();
    if (!bf16) printf("SKIP part: bf16 convs (this CPU, %s, has no bf16 dot products)\n", cpose_cpu_isa_name());
    for (int prec = CPOSE_PREC_BF16; prec <= CPOSE_PREC_INT8; prec++) {
        if (prec == CPOSE_PREC_BF16 && !bf16) continue;
        int layouts[3] = {CPOSE_LAYOUT_BLK16, CPOSE_LAYOUT_BLK8, CPOSE_LAYOUT_NHWC};
        for (int l = 0; l < 3; l++) {
            conv_case(prec, layouts[l], 1, 32, 48, 13, 11, 3, 1, 1, 0, 11);
            conv_case(prec, layouts[l], 2, 24, 40, 12, 10, 3, 2, 0, 0, 12);
            conv_case(prec, layouts[l], 1, 64, 32, 9, 7, 1, 1, 0, 1, 13);
        }
    }
}

/* Calibrated int8 ranges of m's convs at S×S over images (n of them, [3,S,S] each), into m. */
static int set_int8(struct cpose_model *m, int64_t S, const float *const *images, size_t n)
{
    struct cpose_view_store *vs = NULL;
    int rc = cpose_view_build(m, 1, S, S, &vs);
    if (rc) return rc;
    const struct cpose_view *v = cpose_view_of(vs);
    struct cpose_value_range *r = malloc(sizeof *r * v->n_nodes);
    const char **names = calloc(v->n_nodes, sizeof *names);
    float *lo = malloc(sizeof(float) * v->n_nodes), *hi = malloc(sizeof(float) * v->n_nodes);
    int k = 0;
    if ((rc = cpose_calib_run_view(v, images, n, r)) == CPOSE_OK) {
        for (int i = 0; i < v->n_nodes; i++) {
            const struct cpose_view_node *nd = CPOSE_VIEW_NODE(v, i);
            if (nd->op == CPOSE_VIEW_CONV) names[k] = nd->name, lo[k] = r[nd->in[0]].min, hi[k] = r[nd->in[0]].max, k++;
        }
        rc = cpose_model_set_precision(m, CPOSE_PREC_INT8, names, lo, hi, k);
    }
    free(r), free(names), free(lo), free(hi);
    cpose_view_store_free(vs);
    return rc;
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* Switches m to prec (int8: calibrated on x alone) and runs x (1×3×S×S) into got. */
static void run_prec(struct cpose_model *m, int prec, int64_t S, const float *x, float *got)
{
    const float *imgs[1] = {x};
    int rc = prec == CPOSE_PREC_INT8 ? set_int8(m, S, imgs, 1) : cpose_model_set_precision(m, prec, NULL, NULL, NULL, 0);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    CHECK(cpose_model_predict(m, x, 1, S, S, got) == CPOSE_OK);
}

/* pred [56, A] of a lower precision against float32: box rows (0–3) and keypoint x/y in pixels and
 * the person score, over the 100 anchors float32 scores highest (the detections that matter). */
struct cmp { double box, kpt, score, mbox, mkpt; int64_t n; };
static struct cmp compare_pred(const float *ref, const float *got, int64_t A)
{
    struct cmp c = {0};
    float *s = malloc(sizeof(float) * A);
    memcpy(s, ref + 4 * A, sizeof(float) * A);
    qsort(s, A, sizeof *s, cmp_desc);
    float thr = s[A > 100 ? 99 : A - 1];
    free(s);
    for (int64_t a = 0; a < A; a++) {
        if (ref[4 * A + a] < thr) continue;
        c.n++;
        for (int r = 0; r < 4; r++) {
            double e = fabs(ref[r * A + a] - got[r * A + a]);
            c.box = fmax(c.box, e), c.mbox += e / 4;
        }
        c.score = fmax(c.score, fabs(ref[4 * A + a] - got[4 * A + a]));
        for (int k = 0; k < 17; k++)
            for (int d = 0; d < 2; d++) {
                double e = fabs(ref[(5 + 3 * k + d) * A + a] - got[(5 + 3 * k + d) * A + a]);
                c.kpt = fmax(c.kpt, e), c.mkpt += e / 34;
            }
    }
    if (c.n) c.mbox /= (double)c.n, c.mkpt /= (double)c.n;
    return c;
}

/* The switch on a generated model: which convs switch, refusals, and a forward close to float32. */
static void test_model_generated(void)
{
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
    if (!m) return;
    int64_t S = 128, A = cpose_model_num_anchors(m, S, S);
    float *x = malloc(sizeof(float) * 3 * S * S), *ref = malloc(sizeof(float) * 56 * A), *got = malloc(sizeof(float) * 56 * A);
    uint64_t seed = 5;
    for (int64_t i = 0; i < 3 * S * S; i++) x[i] = (frand(&seed) + 1) / 2;
    CHECK(cpose_model_predict(m, x, 1, S, S, ref) == CPOSE_OK);
    int lowp, f32;
    cpose_model_precision_count(m, &lowp, &f32);
    CHECK_MSG(lowp == 0 && f32 == 72, "float32: %d low, %d float32 convs (72 in the fused n model)", lowp, f32);
    /* refusals: int8 without ranges, an unknown precision, a reversed range */
    CHECK(cpose_model_set_precision(m, CPOSE_PREC_INT8, NULL, NULL, NULL, 0) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "calibrat");
    CHECK(cpose_model_set_precision(m, 7, NULL, NULL, NULL, 0) == CPOSE_EINVAL);
    const char *nm[1] = {"model.1.conv"};
    float lo = 1, hi = 0;
    CHECK(cpose_model_set_precision(m, CPOSE_PREC_INT8, nm, &lo, &hi, 1) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "model.1.conv");
    CHECK(cpose_model_get_precision(m) == CPOSE_PREC_F32);
    for (int prec = CPOSE_PREC_BF16; prec <= CPOSE_PREC_INT8; prec++) {
        if (prec == CPOSE_PREC_BF16 && !cpose_cpu_has_bf16()) continue;
        run_prec(m, prec, S, x, got);
        cpose_model_precision_count(m, &lowp, &f32);
        /* 72 convs: the head's 9 output convs (no SiLU) stay float32; in bf16 also the first (3 input
         * channels), and the 18 1×1 convs of the C2f and SPPF blocks unless cpose's own bf16 GEMM takes
         * them; in int8 the first where neither cpose's stem kernel (AVX2) nor a oneDNN JIT kernel takes it */
        int first = cpose_model_conv_precision(m, "model.0.conv");
        CHECK_MSG(first == CPOSE_PREC_F32 || (prec == CPOSE_PREC_INT8 && first == CPOSE_PREC_INT8),
                  "the first conv runs in precision %d", first);
        int own = prec == CPOSE_PREC_BF16 && cpose_bf16_own_available();
        /* int8 takes the head's nine output convs too (bf16 does not) */
        int want = prec == CPOSE_PREC_BF16 ? (own ? 62 : 44) : 71 + (first == CPOSE_PREC_INT8);
        if (own) { /* 36 of the 38 3×3 stride-1 convs on Winograd (not the two 16→16 ones), the 18 1×1 on the GEMM */
            int wino = 0, gemm = 0;
            for (int i = 0; i < cpose_graph_size(m->fused); i++) {
                const struct cpose_node *nd = cpose_graph_node(m->fused, i);
                if (nd->op != CPOSE_OP_conv2d) continue;
                const char *impl = cpose_conv_kernel_impl(((const struct cpose_conv2d_params *)nd->params)->kern);
                wino += strstr(impl, "bf16 winograd2x3") != NULL, gemm += strstr(impl, "bf16 gemm") != NULL;
            }
            CHECK_MSG(wino == 36 && gemm == 18, "bf16: %d convs on cpose's Winograd (want 36), %d on its GEMM (want 18)",
                      wino, gemm);
        }
        if (prec == CPOSE_PREC_INT8 && cpose_stem_on()) {
            const char *impl = "";
            for (int i = 0; i < cpose_graph_size(m->fused); i++) {
                const struct cpose_node *nd = cpose_graph_node(m->fused, i);
                if (nd->op == CPOSE_OP_conv2d && !strcmp(nd->name, "model.0.conv"))
                    impl = cpose_conv_kernel_impl(((const struct cpose_conv2d_params *)nd->params)->kern);
            }
            CHECK_MSG(first == CPOSE_PREC_INT8 && strstr(impl, "stem_f32"), "int8 on AVX2: the first conv runs '%s' (precision %d), not the stem",
                      impl, first);
        }
        if (prec == CPOSE_PREC_INT8 && cpose_cpu_has_vnni())
            CHECK_MSG(first == CPOSE_PREC_INT8, "int8 with VNNI: the first conv runs int8 (precision %d)", first);
        CHECK_MSG(lowp == want && f32 == 72 - want, "%s: %d low, %d float32 convs (want %d and %d)",
                  prec == 1 ? "bf16" : "int8", lowp, f32, want, 72 - want);
        double box = 0, score = 0;
        for (int64_t a = 0; a < A; a++) {
            for (int r = 0; r < 4; r++) box = fmax(box, fabs(ref[r * A + a] - got[r * A + a]));
            score = fmax(score, fabs(ref[4 * A + a] - got[4 * A + a]));
        }
        /* a fresh model's outputs sit near its biases: loose bounds, but a broken conv moves them far */
        CHECK_MSG(box < 4.0 && score < 0.05, "%s generated: max |dbox| %.3g px (< 4), |dscore| %.3g (< 0.05)",
                  prec == 1 ? "bf16" : "int8", box, score);
        printf("  generated %s: max |dbox| %.3g px, |dscore| %.3g over %lld anchors\n", prec == 1 ? "bf16" : "int8", box,
               score, (long long)A);
    }
    /* back to float32 gives the float32 values exactly */
    CHECK(cpose_model_set_precision(m, CPOSE_PREC_F32, NULL, NULL, NULL, 0) == CPOSE_OK);
    CHECK(cpose_model_predict(m, x, 1, S, S, got) == CPOSE_OK);
    CHECK(!memcmp(ref, got, sizeof(float) * 56 * A));
    free(x), free(ref), free(got);
    cpose_model_free(m);
}

/* The bncal parity fixture at 640: int8 calibrated on its input. Bounds over the 100 anchors float32
 * scores highest (boxes in pixels of a 640 image). */
static void test_model_fixture(void)
{
    const char *wpath = tl_fixture("ultralytics/yolov8n-pose-seed0-bncal.h5");
    const char *ppath = tl_fixture("ultralytics/parity_seed0_bncal.h5");
    struct cpose_model *m = NULL;
    struct cpose_h5 *f = NULL;
    float *x = NULL;
    int nd;
    int64_t d[CPOSE_H5_MAX_DIMS];
    CHECK(cpose_model_load(wpath, NULL, &m) == CPOSE_OK);
    CHECK(cpose_h5_open(ppath, &f) == CPOSE_OK);
    if (!m || !f) return;
    CHECK(cpose_h5_read_f32(f, "input", &x, &nd, d) == CPOSE_OK);
    cpose_h5_close(f);
    int64_t S = 640, A = cpose_model_num_anchors(m, S, S);
    float *ref = malloc(sizeof(float) * 56 * A), *got = malloc(sizeof(float) * 56 * A);
    CHECK(cpose_model_predict(m, x, 1, S, S, ref) == CPOSE_OK);
    for (int prec = CPOSE_PREC_BF16; prec <= CPOSE_PREC_INT8; prec++) {
        if (prec == CPOSE_PREC_BF16 && !cpose_cpu_has_bf16()) continue;
        run_prec(m, prec, S, x, got);
        struct cmp c = compare_pred(ref, got, A);
        /* the bncal weights are random (BN re-estimated): its DFL logits are nearly flat, so a box side
         * moves by several pixels for small logit changes, and int8 calibrates on this one image (s8
         * symmetric ranges: 8.6 px mean box error measured); the trained model's val mAP is the accuracy
         * figure (README). A wrong scale, bias or layout in one conv moves these by hundreds of pixels. */
        double tb = prec == 1 ? 1.5 : 12.0, tk = prec == 1 ? 2.5 : 20.0, ts = prec == 1 ? 0.02 : 0.06;
        CHECK(c.n > 0);
        CHECK_MSG(c.mbox <= tb && c.mkpt <= tk && c.score <= ts,
                  "%s bncal: mean |dbox| %.3g px (≤ %g), mean |dkpt| %.3g px (≤ %g), max |dscore| %.3g (≤ %g) over %lld anchors",
                  prec == 1 ? "bf16" : "int8", c.mbox, tb, c.mkpt, tk, c.score, ts, (long long)c.n);
        printf("  bncal %s: mean |dbox| %.3g px (max %.3g), mean |dkpt| %.3g px (max %.3g), max |dscore| %.3g over the "
               "%lld top-scored anchors\n", prec == 1 ? "bf16" : "int8", c.mbox, c.box, c.mkpt, c.kpt, c.score, (long long)c.n);
    }
    free(ref), free(got), cpose_free(x);
    cpose_model_free(m);
}

/* A conv node of g reading x (and residual res when >= 0) with random weights that keep activations
 * O(1), at precision prec with int8 input range [lo, hi]. */
static int graph_conv(struct cpose_graph *g, int x, int res, int cin, int cout, int k, int s, int act, int prec, float lo,
                      float hi, float **wkeep, uint64_t *seed)
{
    struct cpose_conv2d_params *p = cpose_calloc(1, sizeof *p);
    float *w = *wkeep = malloc(sizeof(float) * (cout * cin * k * k + cout));
    for (int i = 0; i < cout * cin * k * k; i++) w[i] = frand(seed) * 1.5f / sqrtf((float)(cin * k * k));
    for (int i = 0; i < cout; i++) w[cout * cin * k * k + i] = 0.1f * frand(seed);
    *p = (struct cpose_conv2d_params){.cin = cin, .cout = cout, .k = k, .stride = s, .pad = k / 2, .act = act,
                                      .out_layout = cpose_kernel_activation_layout(), .weight = w,
                                      .bias = w + cout * cin * k * k, .prec = prec, .in_lo = lo, .in_hi = hi};
    int in[2] = {x, res};
    return cpose_graph_add(g, CPOSE_OP_conv2d, in, res >= 0 ? 2 : 1, p, "conv");
}

/* An executor for g reading a plain NCHW input, with the low-precision hand-offs and gathering on or
 * off (CPOSE_LOWP_HANDOFF=0 is read when it is made), every conv's kernel rebuilt: the kernels live in
 * the graph, and a new weights version builds them anew for this executor's plan. */
static struct cpose_exec *handoff_exec(struct cpose_graph *g, int handoff)
{
    struct cpose_exec *ex = NULL;
    for (int i = 0; i < cpose_graph_size(g); i++)
        if (cpose_graph_node(g, i)->op == CPOSE_OP_conv2d)
            ((struct cpose_conv2d_params *)cpose_graph_node(g, i)->params)->weights_version++;
    if (!handoff) setenv("CPOSE_LOWP_HANDOFF", "0", 1);
    CHECK(cpose_exec_new(g, NULL, &ex) == CPOSE_OK);
    unsetenv("CPOSE_LOWP_HANDOFF");
    cpose_exec_set_input_layout(ex, CPOSE_LAYOUT_PLAIN);
    return ex;
}

/* The hand-off between low-precision convs (a producer writing its reader's source type, the reader
 * skipping its conversion) and the gathered concat (a low-precision conv converting a concat's
 * inputs straight into its source, the concat never run), against the same graph without either
 * (CPOSE_LOWP_HANDOFF=0), on a chain with every case: b → c → d → f hand off (c both reads and
 * writes a hand-off, d also adds a residual, c's int8 range is non-negative so it takes u8 and
 * saturates SiLU's negative values), c also to its second reader d2 (the same range as d), q to
 * neither of its two readers (two ranges); k reads a channel slice of f, and h the concat of f, k, the
 * float32 conv e2 and a 2× upsample of the float32 conv t, both gathered where slices and concats are not
 * views (NHWC; in a blocked layout they are views or written in place instead where their channel
 * ranges sit on the blocks, and run as nodes where not: the slice from 8 and the slot at 120 in
 * nChw16c), h reading t through the upsample where cpose's int8 conversion gathers; the first conv
 * and the last (no SiLU) stay float32. Run in the machine's layout and in NHWC (the int8 layout). Bound: 1e-5 of the outputs' scale, since the
 * producer applies the very rounding (bf16) or scale, rounding and saturation (int8) of the
 * conversion it replaces (measured: identical); a wrong type, scale, buffer or channel offset is off
 * by O(1). */
static void test_handoff(void)
{
    float *w[15];
    uint64_t seed = 21;
    struct cpose_graph *g = NULL;
    int H = 24, W = 20;
    for (int nhwc = 0; nhwc <= 1; nhwc++)
        for (int prec = CPOSE_PREC_BF16; prec <= CPOSE_PREC_INT8; prec++) {
            if (prec == CPOSE_PREC_BF16 && !cpose_cpu_has_bf16()) continue;
            cpose_graph_free(g);
            g = cpose_graph_new();
            if (nhwc) setenv("CPOSE_LAYOUT", "nhwc", 1);
            int gathers = !cpose_layout_block(cpose_kernel_activation_layout());
            int x = cpose_graph_add(g, CPOSE_OP_input, NULL, 0, NULL, "input");
            int a = graph_conv(g, x, -1, 3, 16, 3, 1, CPOSE_ACT_SILU, CPOSE_PREC_F32, 0, 0, &w[0], &seed);
            int e = graph_conv(g, a, -1, 16, 32, 3, 2, CPOSE_ACT_SILU, CPOSE_PREC_F32, 0, 0, &w[1], &seed);
            int b = graph_conv(g, a, -1, 16, 32, 3, 2, CPOSE_ACT_SILU, prec, -0.3f, 3.0f, &w[2], &seed);
            int c = graph_conv(g, b, -1, 32, 32, 3, 1, CPOSE_ACT_SILU, prec, 0.0f, 2.0f, &w[3], &seed);
            int d = graph_conv(g, c, e, 32, 32, 1, 1, CPOSE_ACT_SILU, prec, -0.3f, 3.0f, &w[4], &seed);
            int f = graph_conv(g, d, -1, 32, 48, 3, 1, CPOSE_ACT_SILU, prec, -0.5f, 5.0f, &w[5], &seed);
            struct cpose_slice_params *sp = cpose_calloc(1, sizeof *sp);
            *sp = (struct cpose_slice_params){.start = 8, .len = 32};
            int sl = cpose_graph_add(g, CPOSE_OP_slice, &f, 1, sp, "slice");
            int k = graph_conv(g, sl, -1, 32, 16, 3, 1, CPOSE_ACT_SILU, prec, -0.5f, 5.0f, &w[9], &seed);
            int e2 = graph_conv(g, a, -1, 16, 32, 3, 2, CPOSE_ACT_SILU, CPOSE_PREC_F32, 0, 0, &w[8], &seed);
            /* c's second reader, with d's range: c hands off to both; q's two readers differ in
             * range: q hands off to neither; k, d2, r1 and r2, read only by the concat, hand off to
             * h, which gathers it, where cpose's int8 conversion runs */
            int d2 = graph_conv(g, c, -1, 32, 16, 3, 1, CPOSE_ACT_SILU, prec, -0.3f, 3.0f, &w[10], &seed);
            int q = graph_conv(g, a, -1, 16, 16, 3, 2, CPOSE_ACT_SILU, prec, -0.3f, 3.0f, &w[11], &seed);
            int r1 = graph_conv(g, q, -1, 16, 8, 3, 1, CPOSE_ACT_SILU, prec, -0.3f, 3.0f, &w[12], &seed);
            int r2 = graph_conv(g, q, -1, 16, 8, 3, 1, CPOSE_ACT_SILU, prec, -0.4f, 3.0f, &w[13], &seed);
            /* t at half the concat's size, upsampled 2× right before the concat: an int8 h reads t
             * through the upsample, which is not run */
            int t = graph_conv(g, a, -1, 16, 16, 3, 4, CPOSE_ACT_SILU, CPOSE_PREC_F32, 0, 0, &w[14], &seed);
            struct cpose_upsample_params *upp = cpose_calloc(1, sizeof *upp);
            upp->scale = 2;
            int u = cpose_graph_add(g, CPOSE_OP_upsample, &t, 1, upp, "upsample");
            int fke[7] = {f, k, e2, d2, r1, r2, u};
            int cat = cpose_graph_add(g, CPOSE_OP_concat, fke, 7, NULL, "cat");
            int h = graph_conv(g, cat, -1, 144, 24, 1, 1, CPOSE_ACT_SILU, prec, -0.5f, 5.0f, &w[6], &seed);
            g->output = graph_conv(g, h, -1, 24, 8, 1, 1, CPOSE_ACT_NONE, CPOSE_PREC_F32, 0, 0, &w[7], &seed);
            unsetenv("CPOSE_LAYOUT");
            for (int64_t B = 1; B <= 2; B++) {
                float *img = malloc(sizeof(float) * B * 3 * H * W), *out[3] = {NULL, NULL, NULL};
                for (int64_t i = 0; i < B * 3 * H * W; i++) img[i] = (frand(&seed) + 1) / 2;
                int64_t n = 0;
                /* int8 on NHWC converts its sources with cpose's AVX2 loop (kernels_quant.h); run 2 hands
                 * off and gathers as run 1 does, with oneDNN's reorders instead */
                int own = prec == CPOSE_PREC_INT8 && gathers && cpose_have_avx2();
                for (int run = 0; run <= 2; run++) {
                    int on = run != 0;
                    if (run == 2) setenv("CPOSE_OWN_QUANT", "0", 1);
                    struct cpose_exec *ex = handoff_exec(g, on);
                    CHECK_MSG(cpose_exec_run(ex, img, B, 3, H, W, 0) == CPOSE_OK, "%s", cpose_errmsg());
                    const struct cpose_tensor *o = cpose_exec_tensor(ex, g->output);
                    n = cpose_tensor_size(o);
                    out[run] = malloc(sizeof(float) * n);
                    memcpy(out[run], o->data, sizeof(float) * n);
                    /* the pairs and the gather are really taken (or not) */
                    const char *ci = cpose_conv_kernel_impl(((struct cpose_conv2d_params *)cpose_graph_node(g, c)->params)->kern);
                    const char *hi = cpose_conv_kernel_impl(((struct cpose_conv2d_params *)cpose_graph_node(g, h)->params)->kern);
                    const char *ki = cpose_conv_kernel_impl(((struct cpose_conv2d_params *)cpose_graph_node(g, k)->params)->kern);
                    /* in a blocked layout whose blocks the concat's slots start on (channels 0, 48, 64, 96,
                     * 112, 120, 128: nChw8c, not nChw16c) d2 writes into the concat, at batch > 1 image by
                     * image: then c hands off to neither of its readers */
                    int64_t blk = cpose_layout_block(cpose_exec_tensor(ex, cat)->layout);
                    int in_place = blk && 120 % blk == 0;
                    int c_to = on && (!in_place || B == 1);
                    CHECK_MSG(!!strstr(ci, "<hand-off") == on && !!strstr(ci, ">hand-off") == c_to, "hand-off %s: c runs '%s'",
                              on ? "on" : "off", ci);
                    const char *d2i = cpose_conv_kernel_impl(((struct cpose_conv2d_params *)cpose_graph_node(g, d2)->params)->kern);
                    const char *qi = cpose_conv_kernel_impl(((struct cpose_conv2d_params *)cpose_graph_node(g, q)->params)->kern);
                    CHECK_MSG(!!strstr(d2i, "<hand-off") == c_to && !strstr(qi, ">hand-off"),
                              "hand-off %s: c's second reader runs '%s'; q (readers of two ranges) '%s'", on ? "on" : "off", d2i, qi);
                    CHECK_MSG(!!strstr(hi, "<gather") == (on && gathers) && !!strstr(ki, "<gather") == (on && gathers),
                              "hand-off %s, %s: h runs '%s', k '%s'", on ? "on" : "off", nhwc ? "NHWC" : "the machine's layout",
                              hi, ki);
                    const char *bi = cpose_conv_kernel_impl(((struct cpose_conv2d_params *)cpose_graph_node(g, b)->params)->kern);
                    int own_run = own && run != 2;
                    CHECK_MSG(!!strstr(bi, "<cvt:avx2") == own_run && !!strstr(hi, "<gather:avx2") == (own_run && on),
                              "run %d: b converts its source in '%s', h gathers in '%s'", run, bi, hi);
                    /* r1, read only by the concat h gathers, writes h's source type for h to copy where
                     * cpose's conversion gathers */
                    const char *r1i = cpose_conv_kernel_impl(((struct cpose_conv2d_params *)cpose_graph_node(g, r1)->params)->kern);
                    CHECK_MSG(!!strstr(r1i, ">hand-off") == (own_run && on), "run %d: r1 runs '%s'", run, r1i);
                    /* k (32 channels in: the int16 Winograd on AVX2) likewise */
                    CHECK_MSG(!!strstr(ki, ">hand-off") == (own_run && on), "run %d: k runs '%s'", run, ki);
                    /* the upsample is read through (not run) where h gathers with cpose's int8 conversion */
                    CHECK_MSG(cpose_exec_ran(ex, u) == !(own_run && on), "run %d: the upsample %s", run,
                              cpose_exec_ran(ex, u) ? "ran" : "did not run");
                    unsetenv("CPOSE_OWN_QUANT");
                    cpose_exec_free(ex);
                }
                CHECK_MSG(!memcmp(out[1], out[2], sizeof(float) * n), "%s %s batch %lld: cpose's conversion and oneDNN's differ",
                          prec == 1 ? "bf16" : "int8", nhwc ? "NHWC" : "native", (long long)B);
                double worst = 0, scale = 0;
                for (int64_t i = 0; i < n; i++) {
                    worst = fmax(worst, fabs((double)out[1][i] - out[0][i]));
                    scale = fmax(scale, fabs((double)out[0][i]));
                }
                CHECK_MSG(scale > 0.1 && worst <= 1e-5 * scale, "%s %s batch %lld: hand-off changes an output by %.3g (max |output| %.3g)",
                          prec == 1 ? "bf16" : "int8", nhwc ? "NHWC" : "native", (long long)B, worst, scale);
                printf("  hand-off%s %s %s batch %lld: max |d| %.3g against the conversion (max |output| %.3g)%s\n",
                       gathers ? " and gather" : "", prec == 1 ? "bf16" : "int8", nhwc ? "NHWC" : "native", (long long)B,
                       worst, scale, own ? "; cpose's AVX2 conversion gives oneDNN's reorders' outputs exactly" : "");
                free(img), free(out[0]), free(out[1]), free(out[2]);
            }
            for (int i = 0; i < 15; i++) free(w[i]);
            (void)d;
        }
    cpose_graph_free(g);
}

/* The storage a gathering conv converts from stays its inputs' until that conv has run: a and b, read
 * only by the concat the int8 conv c gathers, must not be released at the concat (c's output, 8× their
 * size, would then grow one of their buffers, freeing it, before c converted it). In NHWC, where the
 * concat is gathered; c's outputs with and without hand-offs (CPOSE_LOWP_HANDOFF=0: the concat runs,
 * then c converts it) must match exactly, on the first run (when the buffers are made) and the next. */
static void test_gather_release(void)
{
    float *w[4];
    uint64_t seed = 33;
    setenv("CPOSE_LAYOUT", "nhwc", 1);
    struct cpose_graph *g = cpose_graph_new();
    int x = cpose_graph_add(g, CPOSE_OP_input, NULL, 0, NULL, "input");
    int a = graph_conv(g, x, -1, 3, 16, 3, 1, CPOSE_ACT_SILU, CPOSE_PREC_F32, 0, 0, &w[0], &seed);
    int b = graph_conv(g, x, -1, 3, 16, 3, 1, CPOSE_ACT_SILU, CPOSE_PREC_F32, 0, 0, &w[1], &seed);
    int ab[2] = {a, b};
    int cat = cpose_graph_add(g, CPOSE_OP_concat, ab, 2, NULL, "cat");
    int c = graph_conv(g, cat, -1, 32, 256, 1, 1, CPOSE_ACT_SILU, CPOSE_PREC_INT8, -0.3f, 3.0f, &w[2], &seed);
    g->output = graph_conv(g, c, -1, 256, 8, 1, 1, CPOSE_ACT_NONE, CPOSE_PREC_F32, 0, 0, &w[3], &seed);
    unsetenv("CPOSE_LAYOUT");
    enum { H = 12, W = 10 };
    float img[3 * H * W], *out[2][2] = {{NULL}};
    for (int i = 0; i < 3 * H * W; i++) img[i] = (frand(&seed) + 1) / 2;
    int64_t n = 0, gathered = 0;
    for (int on = 0; on <= 1; on++) {
        struct cpose_exec *ex = handoff_exec(g, on);
        for (int run = 0; run < 2; run++) {
            CHECK_MSG(cpose_exec_run(ex, img, 1, 3, H, W, 0) == CPOSE_OK, "%s", cpose_errmsg());
            const struct cpose_tensor *o = cpose_exec_tensor(ex, g->output);
            n = cpose_tensor_size(o);
            out[on][run] = malloc(sizeof(float) * n);
            memcpy(out[on][run], o->data, sizeof(float) * n);
        }
        if (on) gathered = !cpose_exec_ran(ex, cat);
        cpose_exec_free(ex);
    }
    for (int run = 0; run < 2; run++)
        CHECK_MSG(!memcmp(out[0][run], out[1][run], sizeof(float) * n), "run %d: the gathering conv's output differs from the "
                  "concat's (its sources were released before it read them?)", run + 1);
    printf("  gathered concat%s: the gathering conv's output equals the concat's on the first and second run\n",
           gathered ? "" : " (not gathered on this CPU)");
    for (int i = 0; i < 2; i++) free(out[i][0]), free(out[i][1]);
    for (int i = 0; i < 4; i++) free(w[i]);
    cpose_graph_free(g);
}

/* A conv kernel made while a forward runs on one thread (a forward the load-adaptive executor gave one
 * thread) must get a convolution made for two when a later forward runs on two, with the same values;
 * and one made on two threads gets one for a single thread. oneDNN fixes a primitive's thread count
 * when it makes it, so without this a bf16/int8 model whose first forward ran on one thread ran its
 * convolutions on one thread ever after. Float32 (oneDNN's direct kernel, not Winograd) is checked too. */
static void thread_case(int prec, int first, int then)
{
    enum { N = 1, C = 32, O = 48, H = 13, W = 11 };
    /* the layouts the model runs them in: int8 in NHWC (oneDNN 2.6 has int8 JIT kernels only there) */
    int layout = prec == CPOSE_PREC_INT8 ? CPOSE_LAYOUT_NHWC : cpose_kernel_activation_layout();
    uint64_t seed = 21 + (uint64_t)prec;
    float *x = malloc(sizeof(float) * N * C * H * W), *wt = malloc(sizeof(float) * O * C * 9), *b = malloc(sizeof(float) * O);
    for (int i = 0; i < N * C * H * W; i++) x[i] = frand(&seed) * 2;
    for (int i = 0; i < O * C * 9; i++) wt[i] = frand(&seed) / 17;
    for (int i = 0; i < O; i++) b[i] = frand(&seed);
    struct cpose_conv2d_params p = {.cin = C, .cout = O, .k = 3, .stride = 1, .pad = 1, .act = CPOSE_ACT_SILU,
                                    .out_layout = layout, .weight = wt, .bias = b, .prec = prec, .in_lo = -2, .in_hi = 2};
    struct cpose_tensor tx = tl_tensor_from_nchw(x, N, C, H, W, layout), ty = {0};
    cpose_tensor_set4(&ty, N, O, H, W, layout);
    size_t ny = cpose_tensor_size(&ty);
    ty.data = calloc(ny, sizeof(float));
    float *ref = malloc(sizeof(float) * ny);
    int saved = omp_get_max_threads();
    omp_set_num_threads(first);
    CHECK_MSG(cpose_conv_kernel_run(&p, &tx, NULL, &ty) == CPOSE_OK, "%s", cpose_errmsg());
    memcpy(ref, ty.data, sizeof(float) * ny);
    const char *name = prec == CPOSE_PREC_BF16 ? "bf16" : prec == CPOSE_PREC_INT8 ? "int8" : "f32";
    CHECK_MSG(cpose_conv_kernel_has_threads(p.kern, first) && !cpose_conv_kernel_has_threads(p.kern, then),
              "%s: made on %d threads, it reports %d/%d for %d/%d", name, first, cpose_conv_kernel_has_threads(p.kern, first),
              cpose_conv_kernel_has_threads(p.kern, then), first, then);
    omp_set_num_threads(then);
    CHECK(cpose_conv_kernel_run(&p, &tx, NULL, &ty) == CPOSE_OK);
    CHECK_MSG(cpose_conv_kernel_has_threads(p.kern, then), "%s (%s): made on %d threads, a forward on %d threads has no "
              "convolution made for %d", name, cpose_conv_kernel_impl(p.kern), first, then, then);
    CHECK_MSG(!memcmp(ref, ty.data, sizeof(float) * ny), "%s: %d threads and %d threads give different values", name, first, then);
    omp_set_num_threads(saved);
    cpose_conv_kernel_free(p.kern);
    free(x), free(wt), free(b), free(ref), free(tx.data), free(ty.data);
}

static void test_thread_counts(void)
{
    int wino = cpose_wino_enabled();
    cpose_wino_set_enabled(0); /* float32 on oneDNN's direct kernel, whose primitive has a count */
    for (int prec = CPOSE_PREC_F32; prec <= CPOSE_PREC_INT8; prec++) {
        if (prec == CPOSE_PREC_BF16 && !cpose_cpu_has_bf16()) continue;
        thread_case(prec, 1, 2);
        thread_case(prec, 2, 1);
    }
    cpose_wino_set_enabled(wino);
}

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    TL_GENERATED(test_convs());
    TL_GENERATED(test_thread_counts());
    TL_GENERATED(test_model_generated());
    TL_GENERATED(test_handoff());
    TL_GENERATED(test_gather_release());
    TL_FIXTURES(test_model_fixture());
    return tl_finish();
}
