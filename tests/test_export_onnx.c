/* tests/test_export_onnx.c — the ONNX exporter end to end: exports through the plugin, runs the
 * files in ONNX Runtime (onnxruntime-node, tests/helpers/ort_run.js) and compares with cpose's own
 * forward (|Δ| ≤ 1e-4 on scores and visibilities, ≤ 1e-2 px on coordinates) at 640×640 (opset 17
 * and 12) and at 384×640 from a dynamic=True file; half=True and nms=True (rows vs cpose_nms);
 * python3-onnx's checker with full shape inference and the metadata_props as Python literals;
 * OpenCV's dnn module as a second runtime. Input and weights: the parity fixture when present,
 * else a generated yolov8n-pose.yaml model (seed 0, BN statistics spread) on a seeded input. */
/* cpose-layer: plugins */
#include <math.h>
#include <sys/wait.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/h5io.h"
#include "core/base/log.h"
#include "core/nn/model_impl.h"
#include "core/predict/nms.h"
#include "plugins/plugin_registry.h"
#include "tests/testlib.h"
#include "tests/tl_model.h"
#include <immintrin.h>

/* fp16 through the CPU's F16C instructions (independent of the exporter's own converter) */
__attribute__((target("f16c"))) static void cpose_fp16_convert(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT);
}
__attribute__((target("f16c"))) static float cpose_fp16_to_f32(uint16_t h) { return _cvtsh_ss(h); }

static char node_path[4096], src_dir[4096], dir[512];
/* Debian's python3 (python3-onnx, python3-opencv), not a pyenv one earlier on PATH */
static const char *py = "python3";


static int write_raw(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

/* Runs model in ORT on x [B,3,H,W]; returns output0 as float32 (malloc'ed; *n floats) or NULL. */
static float *ort_run(const char *model, const float *x, int64_t B, int64_t H, int64_t W, int half, size_t *n)
{
    char in[600], out[600], cmd[8192];
    snprintf(in, sizeof in, "%s/in.raw", dir);
    snprintf(out, sizeof out, "%s/out.raw", dir);
    size_t cnt = (size_t)(B * 3 * H * W);
    if (half) {
        uint16_t *h = malloc(cnt * 2);
        cpose_fp16_convert(x, h, cnt);
        write_raw(in, h, cnt * 2);
        free(h);
    } else {
        write_raw(in, x, cnt * 4);
    }
    snprintf(cmd, sizeof cmd, "NODE_PATH='%s' node '%s/tests/helpers/ort_run.js' '%s' '%s' %lld,3,%lld,%lld %s '%s'",
             node_path, src_dir, model, in, (long long)B, (long long)H, (long long)W, half ? "float16" : "float32", out);
    if (system(cmd) != 0) return NULL;
    char *buf = NULL;
    size_t len = 0;
    if (cpose_read_file(out, &buf, &len) != CPOSE_OK) return NULL;
    float *r;
    if (half) {
        *n = len / 2;
        r = malloc(*n * sizeof(float));
        for (size_t i = 0; i < *n; i++) {
            uint16_t v;
            memcpy(&v, buf + 2 * i, 2);
            r[i] = cpose_fp16_to_f32(v);
        }
    } else {
        *n = len / 4;
        r = malloc(len);
        memcpy(r, buf, len);
    }
    cpose_free(buf);
    return r;
}

/* Max |Δ| over coordinates (rows 0-3 and keypoint x, y) and probabilities (score, visibility). */
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
                    const char **kv, int n)
{
    const char *keys[16], *vals[16];
    for (int i = 0; i < n; i++) keys[i] = kv[2 * i], vals[i] = kv[2 * i + 1];
    char *path = NULL;
    double t0 = cpose_now();
    int rc = cpose_export_run(r, m, model_arg, "onnx", keys, vals, n, &path);
    CHECK_MSG(rc == CPOSE_OK, "export: %s", cpose_errmsg());
    if (path) printf("exported %s in %.2f s\n", path, cpose_now() - t0);
    return path;
}

/* python3 with onnx: the checker (full check), strict shape inference, and the metadata. */
static int py_check(const char *model, const char *imgsz)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "%s - '%s' \"%s\" <<'EOF'\n"
             "import ast, sys, onnx\n"
             "m = onnx.load(sys.argv[1])\n"
             "onnx.checker.check_model(m, full_check=True)\n"
             "onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)\n"
             "md = {p.key: p.value for p in m.metadata_props}\n"
             "assert ast.literal_eval(md['names']) == {0: 'person'}, md['names']\n"
             "assert ast.literal_eval(md['kpt_shape']) == [17, 3], md['kpt_shape']\n"
             "assert ast.literal_eval(md['imgsz']) == ast.literal_eval(sys.argv[2]), md['imgsz']\n"
             "assert int(md['stride']) == 32 and int(md['batch']) >= 1 and md['task'] == 'pose', md\n"
             "assert isinstance(ast.literal_eval(md['args']), dict), md['args']\n"
             "assert m.ir_version <= 8 and m.graph.input[0].name == 'images' and m.graph.output[0].name == 'output0'\n"
             "print('onnx checker + strict shape inference + metadata ok:', sys.argv[1], 'IR', m.ir_version, 'opset', m.opset_import[0].version)\n"
             "EOF",
             py, model, imgsz);
    return system(cmd);
}

int main(void)
{
    const char *bin = getenv("CPOSE_BIN"), *src = getenv("CPOSE_SOURCE_DIR");
    snprintf(src_dir, sizeof src_dir, "%s", src ? src : CPOSE_SOURCE_DIR);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "bash '%s/tests/helpers/ort_setup.sh'", src_dir);
    FILE *p = popen(cmd, "r");
    int got_path = p && fgets(node_path, sizeof node_path, p) != NULL;
    int st = p ? pclose(p) : -1;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
        printf("SKIP: node/npm not installed (scripts/setup.sh installs them)\n");
        return 77;
    }
    CHECK_MSG(got_path && st == 0, "onnxruntime-node could not be installed (tests/helpers/ort_setup.sh)");
    if (!got_path) return tl_finish();
    node_path[strcspn(node_path, "\n")] = 0;
    if (access("/usr/bin/python3", X_OK) == 0) py = "/usr/bin/python3";
    snprintf(cmd, sizeof cmd, "%s -c 'import onnx, cv2, numpy' 2>/dev/null", py);
    CHECK_MSG(system(cmd) == 0,
              "python3-onnx / python3-opencv missing (scripts/setup.sh installs them)");

    snprintf(dir, sizeof dir, "%s", tl_tmpdir("export-onnx"));
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "onnx") != NULL, "no onnx plugin in %s", plugdir);

    /* model and input */
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
        CHECK(nd == 4 && d[2] == 640 && d[3] == 640);
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
    snprintf(model_arg, sizeof model_arg, "%s/yolov8n-pose.h5", dir);  /* exports land beside it */
    const int64_t A640 = 8400, C = 56;
    float *ref = malloc((size_t)(C * A640) * sizeof(float));
    CHECK(cpose_model_predict(m, x640, 1, 640, 640, ref) == CPOSE_OK);

    /* 1. static 640, opset 17 */
    const char *kv17[] = {"opset", "17"};
    char *f17 = export(r, m, model_arg, kv17, 1);
    size_t n = 0;
    double dc, dp;
    float *o = f17 ? ort_run(f17, x640, 1, 640, 640, 0, &n) : NULL;
    CHECK_MSG(o && n == (size_t)(C * A640), "ORT output %zu floats", n);
    if (o && n == (size_t)(C * A640)) {
        compare(o, ref, 1, C, A640, &dc, &dp);
        printf("ORT vs cpose, 640x640 opset 17: max |d| coords %.3g px, scores/visibility %.3g\n", dc, dp);
        CHECK(dc <= 1e-2 && dp <= 1e-4);
    }
    float *ort17 = o;  /* the NMS case below runs cpose_nms on these same scores */
    if (f17) CHECK(py_check(f17, "[640, 640]") == 0);

    /* 2. OpenCV dnn runs the same file */
    if (f17) {
        char refp[600];
        snprintf(refp, sizeof refp, "%s/ref.raw", dir);
        write_raw(refp, ref, (size_t)(C * A640) * 4);
        snprintf(cmd, sizeof cmd,
                 "%s - '%s' '%s/in.raw' '%s' <<'EOF'\n"
                 "import sys, numpy as np, cv2\n"
                 "net = cv2.dnn.readNetFromONNX(sys.argv[1])\n"
                 "x = np.fromfile(sys.argv[2], dtype=np.float32).reshape(1, 3, 640, 640)\n"
                 "net.setInput(x)\n"
                 "y = net.forward().reshape(56, -1)\n"
                 "ref = np.fromfile(sys.argv[3], dtype=np.float32).reshape(56, -1)\n"
                 "prob = np.zeros(56, bool); prob[4] = True; prob[7::3] = True\n"
                 "dc, dp = np.abs(y - ref)[~prob].max(), np.abs(y - ref)[prob].max()\n"
                 "print('OpenCV %%s dnn vs cpose: max |d| coords %%.3g px, scores/visibility %%.3g' %% (cv2.__version__, dc, dp))\n"
                 "sys.exit(0 if dc <= 1e-2 and dp <= 1e-4 else 1)\n"
                 "EOF",
                 py, f17, dir, refp);
        CHECK(system(cmd) == 0);
    }

    /* 3. opset 12 (Softmax before 13 flattens; Resize-11 needs roi) */
    const char *kv12[] = {"opset", "12"};
    char *f12 = export(r, m, model_arg, kv12, 1);
    o = f12 ? ort_run(f12, x640, 1, 640, 640, 0, &n) : NULL;
    CHECK(o && n == (size_t)(C * A640));
    if (o && n == (size_t)(C * A640)) {
        compare(o, ref, 1, C, A640, &dc, &dp);
        printf("ORT vs cpose, 640x640 opset 12: max |d| coords %.3g px, scores/visibility %.3g\n", dc, dp);
        CHECK(dc <= 1e-2 && dp <= 1e-4);
    }
    free(o);
    if (f12) CHECK(py_check(f12, "[640, 640]") == 0);

    /* 4. dynamic=True exported at 640, run at 384x640 and at batch 2 */
    const char *kvd[] = {"dynamic", "True"};
    char *fd = export(r, m, model_arg, kvd, 1);
    const int64_t H2 = 384, A2 = (384 / 8) * 80 + (384 / 16) * 40 + (384 / 32) * 20;
    float *x2 = malloc((size_t)(2 * 3 * H2 * 640) * sizeof(float));
    for (int b = 0; b < 2; b++)
        for (int c = 0; c < 3; c++)  /* rows 128..511 of the 640 input; the second image flipped */
            for (int64_t y = 0; y < H2; y++)
                for (int64_t xx = 0; xx < 640; xx++)
                    x2[((b * 3 + c) * H2 + y) * 640 + xx] = x640[(c * 640 + 128 + y) * 640 + (b ? 639 - xx : xx)];
    float *ref2 = malloc((size_t)(2 * C * A2) * sizeof(float));
    CHECK(cpose_model_predict(m, x2, 2, H2, 640, ref2) == CPOSE_OK);
    o = fd ? ort_run(fd, x2, 2, H2, 640, 0, &n) : NULL;
    CHECK_MSG(o && n == (size_t)(2 * C * A2), "ORT dynamic output %zu floats, want %lld", n, (long long)(2 * C * A2));
    if (o && n == (size_t)(2 * C * A2)) {
        compare(o, ref2, 2, C, A2, &dc, &dp);
        printf("ORT vs cpose, dynamic file at 2x3x384x640: max |d| coords %.3g px, scores/visibility %.3g\n", dc, dp);
        CHECK(dc <= 1e-2 && dp <= 1e-4);
    }
    free(o);
    if (fd) CHECK(py_check(fd, "[640, 640]") == 0);

    /* 5. half=True: fp16 input/output and weights; within fp16's resolution */
    const char *kvh[] = {"half", "True"};
    char *fh = export(r, m, model_arg, kvh, 1);
    o = fh ? ort_run(fh, x640, 1, 640, 640, 1, &n) : NULL;
    CHECK(o && n == (size_t)(C * A640));
    if (o && n == (size_t)(C * A640)) {
        compare(o, ref, 1, C, A640, &dc, &dp);
        printf("ORT vs cpose, half=True: max |d| coords %.3g px, scores/visibility %.3g\n", dc, dp);
        CHECK(dc <= 4.0 && dp <= 2e-2);  /* fp16 keeps ~3 digits: output steps are 0.5 px at 512-1024 px */
    }
    free(o);
    if (fh) CHECK(py_check(fh, "[640, 640]") == 0);

    /* 6. nms=True: rows like cpose predict — cpose_nms (predict defaults) on the scores ONNX Runtime
     * computed in case 1, so 1e-8 differences between the engines cannot reorder near-ties; rows
     * with equal scores may come in either order, so rows are matched as a set */
    float smax = 0;
    for (int64_t a = 0; a < A640; a++) smax = fmaxf(smax, ref[4 * A640 + a]);
    char conf[32];  /* a threshold that keeps some rows of this model (random weights score low) */
    snprintf(conf, sizeof conf, "%.4f", smax * 0.6);
    const char *kvn[] = {"nms", "True", "conf", conf};
    char *fn = export(r, m, model_arg, kvn, 2);
    o = fn ? ort_run(fn, x640, 1, 640, 640, 0, &n) : NULL;
    const int64_t K = 57, MD = 300;
    CHECK(o && n == (size_t)(MD * K) && ort17);
    if (o && n == (size_t)(MD * K) && ort17) {
        struct cpose_nms_opts no;
        cpose_nms_opts_predict(&no, 1);
        no.conf = atof(conf);
        float *rows = NULL;
        int64_t nr = 0, kept = 0, missing = 0;
        CHECK(cpose_nms(ort17, C, A640, &no, &rows, &nr) == CPOSE_OK);
        while (kept < MD && o[kept * K + 4] > 0) kept++;
        for (int64_t i = 0; i < nr; i++) {
            int found = 0;
            for (int64_t j = 0; j < kept && !found; j++) {
                int same = 1;
                for (int64_t k = 0; k < K && same; k++) same = fabs(o[j * K + k] - rows[i * K + k]) <= 1e-3;
                found = same;
            }
            missing += !found;
        }
        int zeros = 1, sorted = 1;
        for (int64_t i = kept * K; i < MD * K; i++) zeros &= o[i] == 0;
        for (int64_t i = 1; i < kept; i++) sorted &= o[i * K + 4] <= o[(i - 1) * K + 4];
        printf("ORT nms=True (conf %s): %lld rows, cpose_nms on the same scores: %lld rows, %lld unmatched\n", conf,
               (long long)kept, (long long)nr, (long long)missing);
        CHECK(kept == nr && nr > 0 && missing == 0 && zeros && sorted);
        cpose_free(rows);
    }
    free(o);
    free(ort17);
    if (fn) CHECK(py_check(fn, "[640, 640]") == 0);

    cpose_free(f17), cpose_free(f12), cpose_free(fd), cpose_free(fh), cpose_free(fn);
    free(x2), free(ref2), free(ref);
    cpose_free(x640);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
