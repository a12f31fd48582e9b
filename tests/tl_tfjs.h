/* tests/tl_tfjs.h — shared by the TF export tests (test_export_tf.c on a generated model,
 * test_export_tf_parity.c on the parity fixture): load the plugins, export, run a file in TensorFlow.js
 * through tests/helpers/tfjs_run.js (tfjs-core + tfjs-converter + tfjs-backend-cpu installed by
 * tests/helpers/tfjs_setup.sh) and compare its [1, 56, A] output with a reference in pixels. */
#ifndef CPOSE_TL_TFJS_H
#define CPOSE_TL_TFJS_H

#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/nn/model_impl.h"
#include "plugins/plugin_registry.h"
#include "tests/testlib.h"

static char src_dir[4096], tmp[512], node_path[4200];
/* the batch, input size and output shape [B, C, A] the helpers write and compare (ttf_setup sets
 * them for batch 1; ttf_size changes them) */
static int64_t B = 1, H, W, C = 56, A;

static void ttf_size(int64_t b, int64_t h, int64_t w)
{
    B = b, H = h, W = w, A = (h / 8) * (w / 8) + (h / 16) * (w / 16) + (h / 32) * (w / 32);
}

/* Skips (exit 77) unless node/npm can provide TensorFlow.js; loads the plugins; sets the size. */
static struct cpose_plugin_registry *ttf_setup(const char *tag, int64_t h, int64_t w)
{
    ttf_size(1, h, w);
    const char *src = getenv("CPOSE_SOURCE_DIR"), *bin = getenv("CPOSE_BIN");
    snprintf(src_dir, sizeof src_dir, "%s", src ? src : CPOSE_SOURCE_DIR);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "bash '%s/tests/helpers/tfjs_setup.sh'", src_dir);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(node_path, sizeof node_path, p) || pclose(p) != 0) {
        printf("SKIP: TensorFlow.js not available (tests/helpers/tfjs_setup.sh needs node and npm: scripts/setup.sh)\n");
        exit(77);
    }
    node_path[strcspn(node_path, "\n")] = 0;
    snprintf(tmp, sizeof tmp, "%s", tl_tmpdir(tag));
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    const char *fmts[3] = {"pb", "saved_model", "tfjs"};
    for (int i = 0; i < 3; i++) CHECK_MSG(cpose_plugins_find(r, fmts[i]) != NULL, "no %s plugin in %s", fmts[i], plugdir);
    return r;
}

/* Exports format with key/value pairs (NULL-terminated list); returns the output path (cpose_free) or NULL. */
static char *ttf_export(const struct cpose_plugin_registry *r, struct cpose_model *m, const char *format, const char *const *kv)
{
    const char *keys[16], *vals[16];
    int n = 0;
    for (; kv[2 * n]; n++) keys[n] = kv[2 * n], vals[n] = kv[2 * n + 1];
    char model_arg[700];
    snprintf(model_arg, sizeof model_arg, "%s/yolov8n-pose.h5", tmp);
    char *path = NULL;
    int rc = cpose_export_run(r, m, model_arg, format, keys, vals, n, &path);
    CHECK_MSG(rc == CPOSE_OK, "export format=%s: %s", format, cpose_errmsg());
    return path;
}

/* Writes the NCHW input x [B,3,H,W] as <tmp>/in.raw in NHWC, the order the TF files take. */
static void ttf_write_input(const float *x)
{
    float *nhwc = malloc((size_t)(B * 3 * H * W) * sizeof(float));
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < 3; c++)
            for (int64_t p = 0; p < H * W; p++) nhwc[(b * H * W + p) * 3 + c] = x[(b * 3 + c) * H * W + p];
    char in[700];
    snprintf(in, sizeof in, "%s/in.raw", tmp);
    FILE *f = fopen(in, "wb");
    CHECK(f && fwrite(nhwc, sizeof(float), (size_t)(B * 3 * H * W), f) == (size_t)(B * 3 * H * W));
    if (f) fclose(f);
    free(nhwc);
}

/* node tests/helpers/tfjs_run.js <args> <tmp>/in.raw <tmp>/out.raw; returns the [1,C,A] output it wrote (malloc'ed) or NULL. */
static float *ttf_run(const char *args)
{
    char cmd[12000], out[600];
    snprintf(out, sizeof out, "%s/out.raw", tmp);
    remove(out);
    snprintf(cmd, sizeof cmd, "NODE_PATH='%s' node '%s/tests/helpers/tfjs_run.js' %s '%s/in.raw' '%s'", node_path, src_dir,
             args, tmp, out);
    int rc = system(cmd);
    CHECK_MSG(rc == 0, "tfjs_run.js %s failed", args);
    if (rc != 0) return NULL;
    char *buf = NULL;
    size_t len = 0;
    if (cpose_read_file(out, &buf, &len) != CPOSE_OK) return NULL;
    CHECK_MSG(len == (size_t)(B * C * A) * sizeof(float), "output of %zu bytes, want %lld floats", len, (long long)(B * C * A));
    float *f = NULL;
    if (len == (size_t)(B * C * A) * sizeof(float)) {
        f = malloc(len);
        memcpy(f, buf, len);
    }
    cpose_free(buf);
    return f;
}

/* Max |Δ| over coordinate rows (boxes, keypoint x/y: pixels) and over the rest (scores,
 * visibilities), held to tol_px and tol_p; the means are printed too. */
static void ttf_compare(const char *what, const float *got, const float *ref, double tol_px, double tol_p)
{
    if (!got) return;
    double dc = 0, dp = 0, sc = 0, sp = 0;
    int64_t nc = 0, np = 0;
    for (int64_t bc = 0; bc < B * C; bc++) {
        int64_t c = bc % C, k = c - 5;
        int coord = c < 4 || (k >= 0 && k % 3 != 2);
        for (int64_t a = 0; a < A; a++) {
            double d = fabs((double)got[bc * A + a] - ref[bc * A + a]);
            if (isnan(d)) d = INFINITY;
            if (coord) dc = fmax(dc, d), sc += d, nc++;
            else dp = fmax(dp, d), sp += d, np++;
        }
    }
    printf("%s: max |d| coordinates %.3g px, scores/visibility %.3g (mean %.3g px, %.3g)\n", what, dc, dp, sc / (double)nc,
           sp / (double)np);
    CHECK_MSG(dc <= tol_px, "%s coordinates: %.3g px > %.3g", what, dc, tol_px);
    CHECK_MSG(dp <= tol_p, "%s scores: %.3g > %.3g", what, dp, tol_p);
}

#endif
