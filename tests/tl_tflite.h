/* tests/tl_tflite.h — shared by the TFLite export tests (test_export_tflite.c on a generated model,
 * test_export_tflite_parity.c on the parity fixture): export through the plugin, check the file's
 * structure and metadata (tests/helpers/tflite_check.py, flatc with the schema excerpt
 * tests/helpers/tflite_excerpt.fbs), run it in ArmNN's TfLite parser on CpuRef
 * (tests/helpers/armnn_run.py) and compare with cpose's forward. fp16 files are run after
 * tflite_check.py turns their float16 constants into the float32 values they stand for (ArmNN 22
 * refuses a conv whose weights come out of a DEQUANTIZE), so the numbers are the fp16 file's. */
#ifndef CPOSE_TL_TFLITE_H
#define CPOSE_TL_TFLITE_H

#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/nn/model_impl.h"
#include "plugins/plugin_registry.h"
#include "tests/testlib.h"

static char tlt_src[4096], tlt_dir[512];

/* Skips (exit 77) unless python3 with pyarmnn and flatc are installed; loads the plugins. */
static struct cpose_plugin_registry *tlt_setup(const char *tag)
{
    const char *src = getenv("CPOSE_SOURCE_DIR"), *bin = getenv("CPOSE_BIN");
    snprintf(tlt_src, sizeof tlt_src, "%s", src ? src : CPOSE_SOURCE_DIR);
    if (system("/usr/bin/python3 -c 'import numpy, pyarmnn' >/dev/null 2>&1") != 0) {
        printf("SKIP: /usr/bin/python3 cannot import pyarmnn (Debian python3-pyarmnn libarmnntfliteparser22 "
               "libarmnn-cpuref-backend22; scripts/setup.sh installs them)\n");
        exit(77);
    }
    if (system("command -v flatc >/dev/null 2>&1") != 0) {
        printf("SKIP: flatc not installed (Debian flatbuffers-compiler; scripts/setup.sh installs it)\n");
        exit(77);
    }
    snprintf(tlt_dir, sizeof tlt_dir, "%s", tl_tmpdir(tag));
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "tflite") != NULL, "no tflite plugin in %s", plugdir);
    return r;
}

/* Exports format=tflite with key/value pairs; returns the .tflite path inside the folder (malloc'ed) or NULL. */
static char *tlt_export(const struct cpose_plugin_registry *r, struct cpose_model *m, const char *model_arg,
                        const char **kv, int n, int half)
{
    const char *keys[16], *vals[16];
    for (int i = 0; i < n; i++) keys[i] = kv[2 * i], vals[i] = kv[2 * i + 1];
    char *path = NULL;
    double t0 = cpose_now();
    int rc = cpose_export_run(r, m, model_arg, "tflite", keys, vals, n, &path);
    CHECK_MSG(rc == CPOSE_OK, "export: %s", cpose_errmsg());
    if (!path) return NULL;
    printf("exported %s in %.2f s\n", path, cpose_now() - t0);
    char *stem = cpose_path_stem(model_arg);
    char *file = malloc(strlen(path) + strlen(stem) + 32);
    sprintf(file, "%s/%s_%s.tflite", path, stem, half ? "float16" : "float32");
    cpose_free(stem);
    cpose_free(path);
    CHECK_MSG(access(file, R_OK) == 0, "no %s", file);
    return file;
}

static int tlt_check(const char *file, int64_t H, int64_t W, int64_t C, int64_t A, int half)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/helpers/tflite_check.py' check '%s/tests/helpers/tflite_excerpt.fbs' "
             "'%s' %lld %lld %lld %lld %d", tlt_src, tlt_src, file, (long long)H, (long long)W, (long long)C, (long long)A, half);
    return system(cmd);
}

/* Runs file in ArmNN CpuRef on x [1,3,H,W] (NCHW; written as NHWC); returns [1,C,A] (malloc'ed) or NULL. */
static float *tlt_armnn(const char *file, const float *x, int64_t H, int64_t W, size_t *n)
{
    char in[600], out[600], cmd[9000];
    snprintf(in, sizeof in, "%s/in.raw", tlt_dir);
    snprintf(out, sizeof out, "%s/out.raw", tlt_dir);
    float *nhwc = malloc((size_t)(3 * H * W) * sizeof(float));
    for (int64_t c = 0; c < 3; c++)
        for (int64_t p = 0; p < H * W; p++) nhwc[p * 3 + c] = x[c * H * W + p];
    FILE *f = fopen(in, "wb");
    size_t w = f ? fwrite(nhwc, sizeof(float), (size_t)(3 * H * W), f) : 0;
    if (f) fclose(f);
    free(nhwc);
    if (w != (size_t)(3 * H * W)) return NULL;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/helpers/armnn_run.py' '%s' '%s' '%s' 2>&1 | grep -v 'Skipped'",
             tlt_src, file, in, out);
    double t0 = cpose_now();
    if (system(cmd) != 0) return NULL;
    printf("armnn CpuRef run: %.1f s\n", cpose_now() - t0);
    char *buf = NULL;
    size_t len = 0;
    if (cpose_read_file(out, &buf, &len) != CPOSE_OK) return NULL;
    float *r = malloc(len);
    memcpy(r, buf, len);
    cpose_free(buf);
    *n = len / sizeof(float);
    return r;
}

/* Max |Δ| of got (normalised coordinates, as the file writes them) × image size against ref (pixels):
 * *dc over box and keypoint x, y rows; *dp over scores and keypoint visibilities. */
static void tlt_compare(const float *got, const float *ref, int64_t C, int64_t A, int64_t H, int64_t W, int nc, int kd,
                        double *dc, double *dp)
{
    *dc = *dp = 0;
    for (int64_t c = 0; c < C; c++) {
        int64_t k = c - 4 - nc;
        int is_x = c == 0 || c == 2 || (k >= 0 && k % kd == 0), is_y = c == 1 || c == 3 || (k >= 0 && k % kd == 1);
        double scale = is_x ? (double)W : is_y ? (double)H : 1.0;
        for (int64_t a = 0; a < A; a++) {
            double d = fabs((double)got[c * A + a] * scale - ref[c * A + a]);
            if (isnan(d)) d = INFINITY;
            if (is_x || is_y) *dc = fmax(*dc, d);
            else *dp = fmax(*dp, d);
        }
    }
}

/* fp32 and fp16 exports of m at H×W, run in ArmNN on x against cpose's forward. Tolerances: fp32 1e-4
 * on probabilities, 1e-2 px on coordinates; fp16 the ones given. */
static __attribute__((unused)) void tlt_parity(const struct cpose_plugin_registry *r, struct cpose_model *m, const float *x, int64_t H, int64_t W,
                       double fp16_tol_px, double fp16_tol_p)
{
    char model_arg[700], imgsz[64];
    snprintf(model_arg, sizeof model_arg, "%s/yolov8n-pose.h5", tlt_dir);
    snprintf(imgsz, sizeof imgsz, "%lld,%lld", (long long)H, (long long)W);
    const int64_t C = 56, A = (H / 8) * (W / 8) + (H / 16) * (W / 16) + (H / 32) * (W / 32);
    float *ref = malloc((size_t)(C * A) * sizeof(float));
    CHECK(cpose_model_predict(m, x, 1, H, W, ref) == CPOSE_OK);
    for (int half = 0; half <= 1; half++) {
        const char *kv[] = {"imgsz", imgsz, "half", half ? "True" : "False"};
        char *file = tlt_export(r, m, model_arg, kv, 2, half);
        if (!file) continue;
        CHECK_MSG(tlt_check(file, H, W, C, A, half) == 0, "structure of %s", file);
        char run[700];
        snprintf(run, sizeof run, "%s", file);
        if (half) {
            char cmd[9000];
            snprintf(run, sizeof run, "%s/fp16_as_fp32.tflite", tlt_dir);
            snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/helpers/tflite_check.py' dequantize "
                     "'%s/tests/helpers/tflite_excerpt.fbs' '%s' '%s'", tlt_src, tlt_src, file, run);
            CHECK_MSG(system(cmd) == 0, "dequantize %s", file);
        }
        size_t n = 0;
        float *got = tlt_armnn(run, x, H, W, &n);
        CHECK_MSG(got && n == (size_t)(C * A), "ArmNN run of %s (%zu values, want %lld)", run, n, (long long)(C * A));
        if (got && n == (size_t)(C * A)) {
            double dc, dp;
            tlt_compare(got, ref, C, A, H, W, 1, 3, &dc, &dp);
            printf("%s %lldx%lld vs cpose forward: max |d| coordinates %.3g px, scores/visibility %.3g\n",
                   half ? "fp16" : "fp32", (long long)H, (long long)W, dc, dp);
            CHECK_MSG(dc <= (half ? fp16_tol_px : 1e-2), "%s coordinates: %.3g px", half ? "fp16" : "fp32", dc);
            CHECK_MSG(dp <= (half ? fp16_tol_p : 1e-4), "%s scores: %.3g", half ? "fp16" : "fp32", dp);
        }
        free(got);
        free(file);
    }
    free(ref);
}

#endif
