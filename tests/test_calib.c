/* tests/test_calib.c — the int8 calibration pass (plugins/plugin_calib.h): on a generated
 * yolov8n-pose.yaml model (seed 0, BN spread) at 160×160 and a few `cpose synth` val images, the
 * view interpreter's output equals cpose's engine forward (cpose_model_predict, the fused graph on
 * oneDNN), the recorded ranges of the input and the output are the min/max of the images and of the
 * engine's outputs, every range is finite and ordered; the choice of images follows data=, the
 * model's train_args data, and fraction (Ultralytics' round(n·fraction) first images); no data at
 * all is a clear error. */
/* cpose-layer: plugins */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/image.h"
#include "core/nn/model_impl.h"
#include "datasets/dataset.h"
#include "datasets/synth.h"
#include "plugins/plugin_calib.h"
#include "plugins/plugin_view.h"
#include "tests/testlib.h"
#include "tests/tl_model.h"

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *dir = tl_tmpdir("calib");
    char root[600], yaml[700];
    snprintf(root, sizeof root, "%s/synth", dir);
    struct cpose_synth_opts so = {root, 2, 6, 160, 3, 1};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    snprintf(yaml, sizeof yaml, "%s/synth-pose.yaml", root);

    /* the images: data=, fraction, train_args, none */
    char **files = NULL, *used = NULL;
    size_t n = 0;
    CHECK(cpose_calib_files(yaml, NULL, 0.5, &files, &n, &used) == CPOSE_OK);
    CHECK_MSG(n == 3, "fraction 0.5 of 6 val images: %zu", n);
    if (n) CHECK_CONTAINS(files[0], "/images/val/");
    cpose_strv_free(files, n), cpose_free(used);
    CHECK(cpose_calib_files("", NULL, 1.0, &files, &n, &used) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "int8=True needs data=");
    char args[800];
    snprintf(args, sizeof args, "task: pose\ndata: %s\nimgsz: 160\n", yaml);
    CHECK(cpose_calib_files("", args, 1.0, &files, &n, &used) == CPOSE_OK);
    CHECK(n == 6 && used && !strcmp(used, yaml));
    CHECK(cpose_calib_files(yaml, NULL, 1.5, (char ***)&files, &n, &used) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "fraction=1.5");
    CHECK(cpose_calib_files("/nonexistent/d.yaml", NULL, 1.0, (char ***)&files, &n, &used) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "/nonexistent/d.yaml");
    CHECK(cpose_calib_files(yaml, NULL, 1.0, &files, &n, &used) == CPOSE_OK);

    /* the pass on the model */
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
    if (!m || n != 6) return tl_finish();
    tl_spread_bn(m);
    const int64_t H = 160, W = 160, C = 56, A = 20 * 20 + 10 * 10 + 5 * 5;
    float *images[6];
    float in_lo = FLT_MAX, in_hi = -FLT_MAX, out_lo = FLT_MAX, out_hi = -FLT_MAX;
    double worst = 0;
    float *ref = cpose_malloc((size_t)(C * A) * sizeof(float));
    struct cpose_view_store *s = NULL;
    CHECK(cpose_view_build(m, 1, H, W, &s) == CPOSE_OK);
    const struct cpose_view *v = cpose_view_of(s);
    for (size_t i = 0; i < n; i++) {
        struct cpose_image img = {0}, lb = {0};
        struct cpose_letterbox info;
        CHECK(cpose_image_read(files[i], &img) == CPOSE_OK);
        CHECK(cpose_image_letterbox(&img, (int)W, (int)H, 0, 32, 1, &lb, &info) == CPOSE_OK);
        images[i] = cpose_malloc((size_t)(3 * H * W) * sizeof(float));
        cpose_image_to_chw_rgb(&lb, images[i]);
        cpose_image_free(&img), cpose_image_free(&lb);
        for (int64_t k = 0; k < 3 * H * W; k++) in_lo = fminf(in_lo, images[i][k]), in_hi = fmaxf(in_hi, images[i][k]);
        CHECK(cpose_model_predict(m, images[i], 1, H, W, ref) == CPOSE_OK);
        for (int64_t k = 0; k < C * A; k++) out_lo = fminf(out_lo, ref[k]), out_hi = fmaxf(out_hi, ref[k]);
        float *got = NULL;
        CHECK(cpose_calib_forward(v, images[i], &got) == CPOSE_OK);
        for (int64_t k = 0; got && k < C * A; k++) worst = fmax(worst, fabs((double)got[k] - ref[k]) / (1.0 + fabs(ref[k])));
        cpose_free(got);
    }
    printf("view interpreter vs engine forward: max relative |d| %.3g over %zu images\n", worst, n);
    CHECK_MSG(worst < 1e-4, "the view interpreter differs from the engine: %.3g", worst);

    struct cpose_value_range *r = cpose_malloc((size_t)v->n_nodes * sizeof *r);
    CHECK(cpose_calib_run_view(v, (const float *const *)images, n, r) == CPOSE_OK);
    CHECK_NEAR(r[v->input].min, in_lo, 0);
    CHECK_NEAR(r[v->input].max, in_hi, 0);
    printf("output range [%g, %g], engine [%g, %g]\n", r[v->output].min, r[v->output].max, out_lo, out_hi);
    CHECK_NEAR(r[v->output].min, out_lo, 1e-3 * (1 + fabsf(out_lo)));
    CHECK_NEAR(r[v->output].max, out_hi, 1e-3 * (1 + fabsf(out_hi)));
    int bad = 0, sig = 0;
    for (int i = 0; i < v->n_nodes; i++) {
        const struct cpose_view_node *nd = CPOSE_VIEW_NODE(v, i);
        bad += !(isfinite(r[i].min) && isfinite(r[i].max) && r[i].min <= r[i].max);
        if (nd->op == CPOSE_VIEW_SIGMOID) sig += r[i].min >= 0 && r[i].max <= 1 && r[i].max > r[i].min;
        if (nd->op == CPOSE_VIEW_SOFTMAX) CHECK(r[i].min >= 0 && r[i].max <= 1);
    }
    CHECK_MSG(bad == 0, "%d ranges not finite and ordered", bad);
    CHECK(sig == 6);  /* cls and kpt_v sigmoids of 3 levels: inside [0, 1] */
    /* batch 2 (a short batch filled by repeating): the same ranges */
    struct cpose_view_store *s2 = NULL;
    CHECK(cpose_view_build(m, 2, H, W, &s2) == CPOSE_OK);
    struct cpose_value_range *r2 = cpose_malloc((size_t)v->n_nodes * sizeof *r2);
    CHECK(cpose_calib_run_view(cpose_view_of(s2), (const float *const *)images, 5, r2) == CPOSE_OK);
    struct cpose_value_range *r5 = cpose_malloc((size_t)v->n_nodes * sizeof *r5);
    CHECK(cpose_calib_run_view(v, (const float *const *)images, 5, r5) == CPOSE_OK);
    int differ = 0;
    for (int i = 0; i < v->n_nodes; i++)
        differ += fabsf(r2[i].min - r5[i].min) > 1e-4f * (1 + fabsf(r5[i].min)) ||
                  fabsf(r2[i].max - r5[i].max) > 1e-4f * (1 + fabsf(r5[i].max));
    CHECK_MSG(differ == 0, "%d ranges differ between batch 1 and batch 2", differ);

    for (size_t i = 0; i < n; i++) cpose_free(images[i]);
    cpose_free(r), cpose_free(r2), cpose_free(r5), cpose_free(ref);
    cpose_view_store_free(s), cpose_view_store_free(s2);
    cpose_strv_free(files, n), cpose_free(used);
    cpose_model_free(m);
    return tl_finish();
}
