/* tests/test_layout_narrow.c — a model narrower than YOLOv8's n scale keeps off oneDNN's reference
 * kernels. Here that is width 0.125, whose C2f halves have 8 channels, giving convs of 8 input
 * channels; nChw16c would run those on the reference kernel. Checked:
 * - the rule of cpose_kernel_layout_for_graph;
 * - the float32 forward where nChw16c is preferred: no conv on a reference kernel, values against the
 *   NHWC float32 forward;
 * - the bf16 forward (AVX512_BF16 CPUs): no reference kernel, values close to float32;
 * - the train executor's conv layouts, and its forward. */
/* cpose-layer: train */
#include "core/base/alloc.h"
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "core/nn/model.h"
#include "core/nn/model_impl.h"
#include "core/train/train_exec.h"
#include "tests/testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes <dir>/yolov8n-pose.yaml: the shipped yolov8-pose.yaml with the n scale's width at 0.125.
 * Returns its path (static storage) or NULL. */
static const char *narrow_yaml(const char *dir)
{
    static char out[512];
    char in[512];
    snprintf(in, sizeof in, "%s/core/cfg/models/yolov8-pose.yaml", tl_source_dir());
    snprintf(out, sizeof out, "%s/yolov8n-pose.yaml", dir);
    FILE *f = fopen(in, "r"), *g = fopen(out, "w");
    CHECK_MSG(f && g, "cannot read %s or write %s", in, out);
    if (!f || !g) {
        if (f) fclose(f);
        if (g) fclose(g);
        return NULL;
    }
    char line[512];
    int replaced = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "n: [0.33, 0.25, 1024]")) {
            fputs("  n: [0.33, 0.125, 1024]\n", g);
            replaced++;
        } else {
            fputs(line, g);
        }
    }
    fclose(f);
    fclose(g);
    CHECK_MSG(replaced == 1, "the n scale line of %s was found %d times (want 1)", in, replaced);
    return replaced == 1 ? out : NULL;
}

/* The number of m's fused convs whose kernel is oneDNN's reference one; the first such impl in *which. */
static int reference_convs(const struct cpose_model *m, const char **which)
{
    int n = 0;
    *which = "";
    for (int i = 0; i < cpose_graph_size(m->fused); i++) {
        const struct cpose_node *nd = cpose_graph_node(m->fused, i);
        if (nd->op != CPOSE_OP_conv2d) continue;
        const char *impl = cpose_conv_kernel_impl(((const struct cpose_conv2d_params *)nd->params)->kern);
        if (strstr(impl, "ref:")) {
            if (!n) *which = nd->name;
            n++;
        }
    }
    return n;
}

static void test_rule(struct cpose_model *narrow, struct cpose_model *std)
{
    CHECK(cpose_kernel_layout_for_graph(CPOSE_LAYOUT_BLK16, narrow->graph, CPOSE_PREC_F32) == CPOSE_LAYOUT_BLK8);
    CHECK(cpose_kernel_layout_for_graph(CPOSE_LAYOUT_BLK16, narrow->graph, CPOSE_PREC_BF16) == CPOSE_LAYOUT_NHWC);
    /* yolov8n's narrowest convs take 16 channels: nChw16c stays */
    CHECK(cpose_kernel_layout_for_graph(CPOSE_LAYOUT_BLK16, std->graph, CPOSE_PREC_F32) == CPOSE_LAYOUT_BLK16);
    CHECK(cpose_kernel_layout_for_graph(CPOSE_LAYOUT_BLK16, std->graph, CPOSE_PREC_BF16) == CPOSE_LAYOUT_BLK16);
    /* other preferences pass through, and CPOSE_LAYOUT is the user's */
    CHECK(cpose_kernel_layout_for_graph(CPOSE_LAYOUT_BLK8, narrow->graph, CPOSE_PREC_F32) == CPOSE_LAYOUT_BLK8);
    CHECK(cpose_kernel_layout_for_graph(CPOSE_LAYOUT_NHWC, narrow->graph, CPOSE_PREC_BF16) == CPOSE_LAYOUT_NHWC);
    setenv("CPOSE_LAYOUT", "blk16", 1);
    CHECK(cpose_kernel_layout_for_graph(CPOSE_LAYOUT_BLK16, narrow->graph, CPOSE_PREC_F32) == CPOSE_LAYOUT_BLK16);
    unsetenv("CPOSE_LAYOUT");
}

/* The float32 forward in the layout the rule picks (nChw16c preferred where the CPU has AVX-512:
 * CPOSE_AVX512_FMA=wide) against NHWC, then bf16 against that float32 output. */
static void test_forward(const char *yaml)
{
    struct cpose_model *m = NULL, *ref = NULL;
    CHECK(cpose_model_load_seeded(yaml, NULL, 0, &m) == CPOSE_OK);
    setenv("CPOSE_LAYOUT", "nhwc", 1);
    CHECK(cpose_model_load_seeded(yaml, NULL, 0, &ref) == CPOSE_OK);
    if (!m || !ref) {
        cpose_model_free(m), cpose_model_free(ref);
        unsetenv("CPOSE_LAYOUT");
        return;
    }
    int64_t S = 128, A = cpose_model_num_anchors(m, S, S), n = 56 * A;
    float *x = cpose_malloc(sizeof(float) * 3 * S * S), *want = cpose_malloc(sizeof(float) * n),
          *got = cpose_malloc(sizeof(float) * n), *half = cpose_malloc(sizeof(float) * n);
    for (int64_t i = 0; i < 3 * S * S; i++) x[i] = (float)(tl_rand_u64() % 1000) / 999.0f;
    CHECK(cpose_model_predict(ref, x, 1, S, S, want) == CPOSE_OK);
    unsetenv("CPOSE_LAYOUT");
    setenv("CPOSE_AVX512_FMA", "wide", 1);
    CHECK(cpose_model_predict(m, x, 1, S, S, got) == CPOSE_OK);
    const char *which;
    int nref = reference_convs(m, &which);
    CHECK_MSG(nref == 0, "float32: %d convs on a reference kernel (the first: %s)", nref, which);
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)got[i] - want[i])), scale = fmax(scale, fabs(want[i]));
    CHECK_MSG(scale > 0 && worst <= 1e-4 * scale, "float32 against NHWC: max |d| %.3g (max |output| %.3g)", worst, scale);
    printf("  float32 (layout %s): max |d| %.3g against NHWC over %lld values\n",
           cpose_layout_name(cpose_model_activation_layout(m)), worst, (long long)n);
    if (cpose_cpu_has_bf16()) {
        CHECK(cpose_model_set_precision(m, CPOSE_PREC_BF16, NULL, NULL, NULL, 0) == CPOSE_OK);
        CHECK(cpose_model_predict(m, x, 1, S, S, half) == CPOSE_OK);
        nref = reference_convs(m, &which);
        CHECK_MSG(nref == 0, "bf16: %d convs on a reference kernel (the first: %s)", nref, which);
        int lowp, f32;
        cpose_model_precision_count(m, &lowp, &f32);
        double box = 0, score = 0;
        for (int64_t a = 0; a < A; a++) {
            for (int r = 0; r < 4; r++) box = fmax(box, fabs(half[r * A + a] - got[r * A + a]));
            score = fmax(score, fabs(half[4 * A + a] - got[4 * A + a]));
        }
        /* bounds of test_lowp's generated model: a fresh model's outputs sit near its biases */
        CHECK_MSG(lowp > 0 && box < 4.0 && score < 0.05, "bf16 (%d convs): max |dbox| %.3g px, |dscore| %.3g", lowp, box, score);
        printf("  bf16 (layout %s, %d convs): max |dbox| %.3g px, |dscore| %.3g\n",
               cpose_layout_name(cpose_model_activation_layout(m)), lowp, box, score);
    } else {
        printf("  bf16: not checked (no bf16 dot products here)\n");
    }
    unsetenv("CPOSE_AVX512_FMA");
    cpose_free(x), cpose_free(want), cpose_free(got), cpose_free(half);
    cpose_model_free(m), cpose_model_free(ref);
}

/* Training runs the kernels' layout, nChw8c for this model where that is nChw16c. */
static void test_train(const char *yaml)
{
    struct cpose_model *m = NULL;
    struct cpose_train_exec *ex = NULL;
    CHECK(cpose_model_load_seeded(yaml, NULL, 0, &m) == CPOSE_OK);
    if (!m) return;
    CHECK(cpose_train_exec_new(m, &ex) == CPOSE_OK);
    int want = cpose_kernel_activation_layout() == CPOSE_LAYOUT_BLK16 ? CPOSE_LAYOUT_BLK8 : cpose_kernel_activation_layout();
    int convs = 0, other = 0;
    for (int i = 0; i < cpose_graph_size(m->graph); i++) {
        const struct cpose_node *nd = cpose_graph_node(m->graph, i);
        if (nd->op != CPOSE_OP_conv2d) continue;
        convs++;
        other += ((const struct cpose_conv2d_params *)nd->params)->out_layout != want;
    }
    CHECK_MSG(convs > 0 && other == 0, "train: %d of %d convs not in %s", other, convs, cpose_layout_name(want));
    int64_t B = 2, S = 64;
    float *x = cpose_malloc(sizeof(float) * B * 3 * S * S);
    for (int64_t i = 0; i < B * 3 * S * S; i++) x[i] = (float)(tl_rand_u64() % 1000) / 999.0f;
    if (ex) {
        CHECK(cpose_train_exec_forward(ex, x, B, S, S) == CPOSE_OK);
        const float *f = cpose_train_exec_feat(ex, 0);
        CHECK(f && isfinite(f[0]));
    }
    printf("  train: %d convs in %s\n", convs, cpose_layout_name(want));
    cpose_free(x);
    cpose_train_exec_free(ex);
    cpose_model_free(m);
}

int main(void)
{
    unsetenv("CPOSE_LAYOUT");
    const char *yaml = narrow_yaml(tl_tmpdir("narrow"));
    struct cpose_model *narrow = NULL, *std = NULL;
    if (yaml) CHECK(cpose_model_load_seeded(yaml, NULL, 0, &narrow) == CPOSE_OK);
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &std) == CPOSE_OK);
    if (narrow && std) test_rule(narrow, std);
    cpose_model_free(narrow), cpose_model_free(std);
    if (yaml) test_forward(yaml);
    if (yaml) test_train(yaml);
    return tl_finish();
}
