/* tests/test_pt_roundtrip.c — the .pt round trip within cpose: a generated model (spread BatchNorm
 * statistics, training arguments) exported by the `pytorch` plugin (exporters/pytorch/) and read back
 * by the .pt import (core/nn/pt_load.c) gives the same forward, the same parameters, class names,
 * kpt_shape and train_args; half=True reads back within fp16's rounding. Needs no Python: the writer
 * and the reader are both cpose's, so this checks that they agree; test_export_pytorch checks the file
 * against torch itself. */
/* cpose-layer: plugins */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/model_impl.h"
#include "plugins/plugin_registry.h"
#include "tests/testlib.h"
#include "tests/tl_model.h"

static const char *train_args_yaml = "task: pose\nmode: train\ndata: synth-pose.yaml\nepochs: 3\nimgsz: 320\nseed: 7\n";

/* max |a - b| over n values */
static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]);
        if (!(e <= d)) d = e; /* NaN counts as a difference */
    }
    return d;
}

/* Exports m as .pt (half or not), loads it back, compares its forward on x with ref (tolerances on
 * coordinates and on the score/visibility rows), and the metadata. */
static void round_trip(struct cpose_plugin_registry *r, struct cpose_model *m, const char *model_arg, int half,
                       const float *x, const float *ref, int64_t H, int64_t W, int64_t A, double tol_px, double tol_p)
{
    const char *kh[] = {"half"}, *vh[] = {"True"};
    char *path = NULL;
    int rc = cpose_export_run(r, m, model_arg, "pytorch", half ? kh : NULL, half ? vh : NULL, half ? 1 : 0, &path);
    CHECK_MSG(rc == CPOSE_OK, "export%s: %s", half ? " half" : "", cpose_errmsg());
    if (!path) return;
    struct cpose_model *back = NULL;
    rc = cpose_model_load(path, NULL, &back);
    CHECK_MSG(rc == CPOSE_OK, "loading %s back: %s", path, cpose_errmsg());
    if (back) {
        float *y = malloc((size_t)(56 * A) * sizeof(float));
        CHECK(cpose_model_predict(back, x, 1, H, W, y) == CPOSE_OK);
        /* rows 0..3 are box pixels; rows 4 (score) and 5..55 (keypoints: x, y pixels, visibility) */
        double dpx = 0, dp = 0;
        for (int row = 0; row < 56; row++) {
            int is_prob = row == 4 || (row >= 5 && (row - 5) % 3 == 2);
            double d = max_abs_diff(y + (size_t)row * A, ref + (size_t)row * A, (size_t)A);
            if (is_prob) dp = fmax(dp, d);
            else dpx = fmax(dpx, d);
        }
        printf("%s: coordinates max |d| %.3g px, scores/visibilities %.3g\n", half ? "half" : "fp32", dpx, dp);
        CHECK_MSG(dpx <= tol_px, "coordinates differ by %g px (tolerance %g)", dpx, tol_px);
        CHECK_MSG(dp <= tol_p, "scores differ by %g (tolerance %g)", dp, tol_p);
        const struct cpose_model_info *ib = cpose_model_get_info(back), *im = cpose_model_get_info(m);
        CHECK(ib->n_names == im->n_names && ib->nkpt == im->nkpt && ib->kdim == im->kdim && ib->n_params == im->n_params);
        if (ib->n_names == im->n_names && im->n_names > 0)
            CHECK_MSG(!strcmp(ib->names[0], im->names[0]), "names[0] %s vs %s", ib->names[0], im->names[0]);
        const char *ta = cpose_model_train_args(back);
        CHECK_MSG(ta != NULL, "the .pt read back has no train_args");
        if (ta) {
            CHECK_CONTAINS(ta, "synth-pose.yaml");
            CHECK_CONTAINS(ta, "seed: 7");
        }
        free(y);
        cpose_model_free(back);
    }
    cpose_free(path);
}

int main(void)
{
    const char *bin = getenv("CPOSE_BIN");
    const char *dir = tl_tmpdir("pt-roundtrip");
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "pytorch") != NULL, "no pytorch plugin in %s", plugdir);

    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 3, &m) == CPOSE_OK);
    if (!m || !cpose_plugins_find(r, "pytorch")) {
        cpose_model_free(m);
        cpose_plugins_free(r);
        return tl_finish();
    }
    tl_spread_bn(m);
    CHECK(cpose_model_set_train_args(m, train_args_yaml) == CPOSE_OK);
    const int64_t H = 256, W = 320, A = (H / 8) * (W / 8) + (H / 16) * (W / 16) + (H / 32) * (W / 32);
    float *x = malloc((size_t)(3 * H * W) * sizeof(float)), *ref = malloc((size_t)(56 * A) * sizeof(float));
    uint64_t s = 11;
    for (int64_t i = 0; i < 3 * H * W; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((s >> 40) & 0xffff) / 65535.0f;
    }
    CHECK(cpose_model_predict(m, x, 1, H, W, ref) == CPOSE_OK);
    char model_arg[600];
    snprintf(model_arg, sizeof model_arg, "%s/roundtrip.h5", dir);
    /* fp32: the parameters travel unfused (conv + BN) and are folded again on load, so only float
     * rounding of the fold separates the two forwards */
    round_trip(r, m, model_arg, 0, x, ref, H, W, A, 1e-3, 1e-6); /* measured: 0 and 0 */
    /* half=True: fp16 tensors (as Ultralytics' stripped checkpoints) */
    round_trip(r, m, model_arg, 1, x, ref, H, W, A, 0.05, 2e-4); /* measured: 0.0093 px, 2.0e-5 */
    free(x), free(ref);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
