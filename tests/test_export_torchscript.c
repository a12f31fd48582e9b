/* tests/test_export_torchscript.c — format=torchscript end to end: exports through the plugin,
 * loads the file with python3-torch's torch.jit.load (tests/helpers/ts_run.py, which also checks the
 * extra/config.txt metadata) and compares its forward with cpose's own (|Δ| ≤ 1e-2 px on
 * coordinates, ≤ 1e-4 on scores and visibilities, the ONNX export's tolerances) at 640×640 and at
 * 384×640 (batch 2); optimize=True refused with a message and nothing written. Weights: the bncal
 * parity fixture when present, else a generated yolov8n-pose.yaml model (seed 0, BN spread).
 * Skips when torch does not import. */
/* cpose-layer: plugins */
#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/nn/h5io.h"
#include "core/nn/model_impl.h"
#include "plugins/plugin_registry.h"
#include "tests/testlib.h"
#include "tests/tl_model.h"

static char dir[512], src_dir[4096];

static int write_raw(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

/* Runs the TorchScript file on x [B,3,H,W] in torch; returns its output (malloc'ed, *n floats). */
static float *torch_run(const char *file, const float *x, int64_t B, int64_t H, int64_t W, size_t *n)
{
    char in[600], out[600], cmd[8192];
    snprintf(in, sizeof in, "%s/in.raw", dir);
    snprintf(out, sizeof out, "%s/out.raw", dir);
    write_raw(in, x, (size_t)(B * 3 * H * W) * 4);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/helpers/ts_run.py' '%s' '%s' %lld,3,%lld,%lld '%s'", src_dir,
             file, in, (long long)B, (long long)H, (long long)W, out);
    if (system(cmd) != 0) return NULL;
    char *buf = NULL;
    size_t len = 0;
    if (cpose_read_file(out, &buf, &len) != CPOSE_OK) return NULL;
    *n = len / 4;
    float *r = malloc(len);
    memcpy(r, buf, len);
    cpose_free(buf);
    return r;
}

/* Max |Δ| over coordinates (rows 0-3, keypoint x, y) and probabilities (score, visibilities). */
static void compare(const float *got, const float *ref, int64_t B, int64_t C, int64_t A, double *dc, double *dp)
{
    *dc = *dp = 0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t a = 0; a < A; a++) {
                int64_t i = (b * C + c) * A + a;
                double d = fabs((double)got[i] - ref[i]);
                if (isnan(d)) d = INFINITY;
                if (c == 4 || (c >= 5 && (c - 5) % 3 == 2)) *dp = fmax(*dp, d);
                else *dc = fmax(*dc, d);
            }
}

static char *export(const struct cpose_plugin_registry *r, struct cpose_model *m, const char *model_arg,
                    const char **keys, const char **vals, int n, int *rc)
{
    char *path = NULL;
    *rc = cpose_export_run(r, m, model_arg, "torchscript", keys, vals, n, &path);
    if (*rc == CPOSE_OK) printf("exported %s\n", path);
    return path;
}

int main(void)
{
    const char *bin = getenv("CPOSE_BIN"), *src = getenv("CPOSE_SOURCE_DIR");
    snprintf(src_dir, sizeof src_dir, "%s", src ? src : CPOSE_SOURCE_DIR);
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null") != 0) {
        printf("SKIP: python3-torch does not import (scripts/setup.sh installs it)\n");
        return 77;
    }
    snprintf(dir, sizeof dir, "%s", tl_tmpdir("export-ts"));
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "torchscript") != NULL, "no torchscript plugin in %s", plugdir);

    struct cpose_model *m = NULL;
    float *x640 = NULL;
    const char *fix = tl_fixtures();
    char wpath[4200], ipath[4200], model_arg[700];
    snprintf(wpath, sizeof wpath, "%s/ultralytics/yolov8n-pose-seed0-bncal.h5", fix ? fix : "");
    snprintf(ipath, sizeof ipath, "%s/ultralytics/parity_seed0_bncal.h5", fix ? fix : "");
    if (fix && access(wpath, R_OK) == 0 && access(ipath, R_OK) == 0) {
        CHECK(cpose_model_load(wpath, NULL, &m) == CPOSE_OK);
        struct cpose_h5 *f = NULL;
        int nd;
        int64_t d[CPOSE_H5_MAX_DIMS];
        CHECK(cpose_h5_open(ipath, &f) == CPOSE_OK);
        CHECK(cpose_h5_read_f32(f, "input", &x640, &nd, d) == CPOSE_OK);
        cpose_h5_close(f);
        printf("weights and input: the bncal parity fixture\n");
    } else {
        CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
        tl_spread_bn(m);
        x640 = cpose_malloc(3 * 640 * 640 * sizeof(float));
        uint64_t s = 1;
        for (int64_t i = 0; i < 3 * 640 * 640; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            x640[i] = (float)((s >> 40) & 0xffff) / 65535.0f;
        }
        printf("weights and input: generated yolov8n-pose.yaml (seed 0), seeded input (fixtures absent)\n");
    }
    snprintf(model_arg, sizeof model_arg, "%s/yolov8n-pose.h5", dir);
    const int64_t C = 56, A640 = 8400;
    float *ref = malloc((size_t)(C * A640) * sizeof(float));
    CHECK(cpose_model_predict(m, x640, 1, 640, 640, ref) == CPOSE_OK);

    /* 1. 640×640 */
    int rc;
    char *f640 = export(r, m, model_arg, NULL, NULL, 0, &rc);
    CHECK_MSG(rc == CPOSE_OK, "export: %s", cpose_errmsg());
    size_t n = 0;
    double dc, dp;
    float *o = f640 ? torch_run(f640, x640, 1, 640, 640, &n) : NULL;
    CHECK_MSG(o && n == (size_t)(C * A640), "torch output %zu floats", n);
    if (o && n == (size_t)(C * A640)) {
        compare(o, ref, 1, C, A640, &dc, &dp);
        printf("torch.jit vs cpose, 640x640: max |d| coords %.3g px, scores/visibility %.3g\n", dc, dp);
        CHECK(dc <= 1e-2 && dp <= 1e-4);
    }
    free(o);

    /* 2. imgsz=384,640, batch 2 (rows 128..511 of the input; the second image mirrored) */
    const int64_t H2 = 384, A2 = (384 / 8) * 80 + (384 / 16) * 40 + (384 / 32) * 20;
    float *x2 = malloc((size_t)(2 * 3 * H2 * 640) * sizeof(float));
    for (int b = 0; b < 2; b++)
        for (int c = 0; c < 3; c++)
            for (int64_t y = 0; y < H2; y++)
                for (int64_t xx = 0; xx < 640; xx++)
                    x2[((b * 3 + c) * H2 + y) * 640 + xx] = x640[(c * 640 + 128 + y) * 640 + (b ? 639 - xx : xx)];
    float *ref2 = malloc((size_t)(2 * C * A2) * sizeof(float));
    CHECK(cpose_model_predict(m, x2, 2, H2, 640, ref2) == CPOSE_OK);
    const char *k2[] = {"imgsz"}, *v2[] = {"384,640"};
    char *f384 = export(r, m, model_arg, k2, v2, 1, &rc);
    CHECK_MSG(rc == CPOSE_OK, "export: %s", cpose_errmsg());
    o = f384 ? torch_run(f384, x2, 2, H2, 640, &n) : NULL;
    CHECK_MSG(o && n == (size_t)(2 * C * A2), "torch output %zu floats, want %lld", n, (long long)(2 * C * A2));
    if (o && n == (size_t)(2 * C * A2)) {
        compare(o, ref2, 2, C, A2, &dc, &dp);
        printf("torch.jit vs cpose, 2x3x384x640: max |d| coords %.3g px, scores/visibility %.3g\n", dc, dp);
        CHECK(dc <= 1e-2 && dp <= 1e-4);
    }
    free(o);

    /* 3. optimize=True refused, the earlier file untouched */
    long before = 0;
    FILE *f = f384 ? fopen(f384, "rb") : NULL;
    if (f) fseek(f, 0, SEEK_END), before = ftell(f), fclose(f);
    const char *k3[] = {"optimize", "imgsz"}, *v3[] = {"True", "384,640"};
    char *fo = export(r, m, model_arg, k3, v3, 2, &rc);
    CHECK(rc != CPOSE_OK && fo == NULL);
    CHECK_CONTAINS(cpose_errmsg(), "optimize=True");
    f = f384 ? fopen(f384, "rb") : NULL;
    CHECK(f != NULL);
    if (f) {
        fseek(f, 0, SEEK_END);
        CHECK(ftell(f) == before);
        fclose(f);
    }

    cpose_free(f640), cpose_free(f384), cpose_free(fo);
    free(x2), free(ref2), free(ref);
    cpose_free(x640);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
