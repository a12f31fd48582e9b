/* tests/test_export_tf_parity.c — the TF exporters on the parity fixture (bncal weights and input,
 * 640×640) in TensorFlow.js (tests/tl_tfjs.h) against Ultralytics' own PyTorch output `pred` of the
 * fixture (and cpose's forward): the GraphDef (.pb) and the TF.js model fp32 within 1e-4 on scores and
 * 1e-2 px on coordinates; float16 and uint8 weights within the tolerances measured on this input
 * (exporters/README.md; uint8 is loose: per-tensor 8-bit weights of this fixture's wide BN-folded ranges). Labelled slow: tfjs's pure-JS CPU backend takes tens of seconds per run at
 * 640. Skips (77) without ../shared/fixtures or node/npm. */
/* cpose-layer: plugins */
#include "core/nn/h5io.h"
#include "tests/tl_tfjs.h"

static float *read_f32(struct cpose_h5 *f, const char *name, int64_t want)
{
    float *v = NULL;
    int nd = 0;
    int64_t d[CPOSE_H5_MAX_DIMS], n = 1;
    CHECK(cpose_h5_read_f32(f, name, &v, &nd, d) == CPOSE_OK);
    for (int k = 0; k < nd; k++) n *= d[k];
    CHECK_MSG(v && n == want, "%s: %lld values, want %lld", name, (long long)n, (long long)want);
    if (v && n == want) return v;
    cpose_free(v);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *wpath = tl_fixture("ultralytics/yolov8n-pose-seed0-bncal.h5");
    const char *ipath = tl_fixture("ultralytics/parity_seed0_bncal.h5");
    struct cpose_plugin_registry *r = ttf_setup("export-tf-parity", 640, 640);
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load(wpath, NULL, &m) == CPOSE_OK);
    struct cpose_h5 *f = NULL;
    float *x = NULL, *pred = NULL;
    CHECK(cpose_h5_open(ipath, &f) == CPOSE_OK);
    if (f) {
        x = read_f32(f, "input", 3 * H * W);
        pred = read_f32(f, "pred", C * A);
        cpose_h5_close(f);
    }
    if (!m || !x || !pred) return tl_finish();
    float *ref = malloc((size_t)(C * A) * sizeof(float));
    CHECK(cpose_model_predict(m, x, 1, H, W, ref) == CPOSE_OK);
    ttf_compare("cpose forward vs Ultralytics pred", ref, pred, 1e-2, 1e-4);
    ttf_write_input(x);
    char args[9000], proto[4300];
    snprintf(proto, sizeof proto, "%s/tests/helpers/tf_graph_excerpt.proto", src_dir);
    const char *fp32[] = {"imgsz", "640", NULL};
    char *pb = ttf_export(r, m, "pb", fp32);
    if (pb) {
        snprintf(args, sizeof args, "pb '%s' '%s' -", pb, proto);
        float *o = ttf_run(args);
        ttf_compare("GraphDef (.pb) 640 vs Ultralytics pred", o, pred, 1e-2, 1e-4);
        free(o);
    }
    const char *half[] = {"imgsz", "640", "half", "True", "project", tmp, "name", "half", NULL};
    const char *int8[] = {"imgsz", "640", "int8", "True", "project", tmp, "name", "int8", NULL};
    const char *const *kv[3] = {fp32, half, int8};
    const char *what[3] = {"tfjs fp32 640 vs Ultralytics pred", "tfjs float16 weights 640 vs Ultralytics pred",
                           "tfjs uint8 weights 640 vs Ultralytics pred"};
    /* measured (exporters/README.md): float16 2.25 px, 9.1e-3 (as the TFLite float16 file here); uint8
     * 54.7 px, 0.176: per-tensor uint8 of this fixture's BN-folded weights, whose ranges are wide */
    const double tol_px[3] = {1e-2, 3.0, 80.0}, tol_p[3] = {1e-4, 1.5e-2, 0.25};
    for (int q = 0; q < 3; q++) {
        char *dir = ttf_export(r, m, "tfjs", kv[q]);
        if (!dir) continue;
        snprintf(args, sizeof args, "web '%s'", dir);
        float *o = ttf_run(args);
        ttf_compare(what[q], o, pred, tol_px[q], tol_p[q]);
        free(o);
        cpose_free(dir);
    }
    cpose_free(pb);
    free(ref);
    cpose_free(x), cpose_free(pred);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
