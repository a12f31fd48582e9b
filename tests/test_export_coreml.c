/* tests/test_export_coreml.c — the CoreML exporter and reader: exports a .mlpackage through the
 * plugin; checks it independently of cpose's reader with tests/helpers/coreml_check.py (protoc-c
 * --decode_raw for the Model's top-level fields, its own wire decoder for the MIL operations, and
 * weight.bin's blob records read with Python's struct); reads the package back with cpose's strict
 * reader and runs it against cpose's own forward at 640×640 and 384×640 (|Δ| ≤ 1e-2 px on
 * coordinates, ≤ 1e-4 on scores and visibilities; half=True within fp16's resolution); feeds the
 * reader hand-broken copies (one per rule: a blob offset not 64-aligned, a bad sentinel, a blob past
 * the file's end, an op reading an undefined value, an unknown op, a Manifest whose root entry is
 * missing, specificationVersion 5, a value defined twice, a blob of the wrong data type, an output
 * type that is not what the op computes); checks that nms, int8 and an unknown argument are refused. Weights and input: the parity fixture when
 * present, else a generated yolov8n-pose.yaml model (seed 0, BN statistics spread). */
/* cpose-layer: plugins */
#define _GNU_SOURCE
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/nn/h5io.h"
#include "core/nn/model_impl.h"
#include "plugins/plugin_registry.h"
#include "tests/testlib.h"
#include "tests/tl_model.h"

static char dir[512];

static void compare(const float *got, const float *ref, int64_t C, int64_t A, double *dc, double *dp)
{
    *dc = *dp = 0;
    for (int64_t c = 0; c < C; c++)
        for (int64_t a = 0; a < A; a++) {
            double d = fabs((double)got[c * A + a] - ref[c * A + a]);
            if (isnan(d)) d = INFINITY;
            if (c == 4 || (c >= 5 && (c - 5) % 3 == 2)) *dp = fmax(*dp, d);
            else *dc = fmax(*dc, d);
        }
}

static char *export(const struct cpose_plugin_registry *r, struct cpose_model *m, const char *model_arg, const char **kv,
                    int n)
{
    const char *keys[8], *vals[8];
    for (int i = 0; i < n; i++) keys[i] = kv[2 * i], vals[i] = kv[2 * i + 1];
    char *path = NULL;
    int rc = cpose_export_run(r, m, model_arg, "coreml", keys, vals, n, &path);
    CHECK_MSG(rc == CPOSE_OK, "export: %s", cpose_errmsg());
    return path;
}

static const char *const MODEL = "Data/com.apple.CoreML/model.mlmodel";
static const char *const WEIGHTS = "Data/com.apple.CoreML/weights/weight.bin";
static const char *const MANIFEST = "Manifest.json";

static char *slurp(const char *pkg, const char *file, size_t *len)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", pkg, file);
    char *buf = NULL;
    *len = 0;
    if (cpose_read_file(path, &buf, len) != CPOSE_OK) return NULL;
    return buf;
}

static void put(const char *pkg, const char *file, const void *data, size_t len)
{
    char path[1200], cmd[1300];
    snprintf(path, sizeof path, "%s/%s", pkg, file);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    CHECK(system(cmd) == 0);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fwrite(data, 1, len, f);
    fclose(f);
}

static int py_check(const char *pkg, int64_t H, int64_t W, int half)
{
    const char *src = getenv("CPOSE_SOURCE_DIR");
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "python3 %s/tests/helpers/coreml_check.py '%s' %lld %lld %d", src ? src : "..", pkg,
             (long long)H, (long long)W, half);
    return system(cmd);
}

/* Reads pkg back, runs it on x [1,3,H,W] and compares with ref. */
static void read_and_run(const char *pkg, const float *x, int64_t H, int64_t W, const float *ref, double tol_c,
                         double tol_p, const char *what)
{
    struct cpose_model *m2 = NULL;
    int rc = cpose_model_load(pkg, NULL, &m2);
    CHECK_MSG(rc == CPOSE_OK, "read back %s: %s", pkg, cpose_errmsg());
    if (rc) return;
    const int64_t A = (H / 8) * (W / 8) + (H / 16) * (W / 16) + (H / 32) * (W / 32), C = 56;
    float *o = malloc((size_t)(C * A) * sizeof(float));
    CHECK(cpose_model_predict(m2, x, 1, H, W, o) == CPOSE_OK);
    double dc, dp;
    compare(o, ref, C, A, &dc, &dp);
    printf("coreml read back vs cpose, %s at %lldx%lld: max |d| coords %.3g px, scores/visibility %.3g\n", what,
           (long long)H, (long long)W, dc, dp);
    CHECK(dc <= tol_c && dp <= tol_p);
    CHECK(m2->info.nc == 1 && m2->info.nkpt == 17 && m2->info.n_names == 1 && !strcmp(m2->info.names[0], "person"));
    free(o);
    cpose_model_free(m2);
}

/* Copies the package into a case folder with one file edited: the `nth` occurrence (1-based) of
 * `from` (n bytes) replaced by `to` (same length), and the file cut by `cut` bytes; expects the
 * reader to refuse it with `want` in the message. */
static void broken(const char *src, const char *tag, const char *file, const void *from, const void *to, size_t n, int nth,
                   size_t cut, const char *want)
{
    char cdir[700];
    snprintf(cdir, sizeof cdir, "%s/broken_%s.mlpackage", dir, tag);
    const char *files[3] = {MODEL, WEIGHTS, MANIFEST};
    for (int k = 0; k < 3; k++) {
        size_t len;
        char *data = slurp(src, files[k], &len);
        CHECK(data != NULL);
        if (!data) return;
        if (!strcmp(file, files[k])) {
            if (from) {
                char *at = NULL, *p = data;
                for (int q = 0; q < nth; q++) {
                    at = memmem(p, len - (size_t)(p - data), from, n);
                    if (!at) break;
                    p = at + 1;
                }
                CHECK_MSG(at != NULL, "case %s: occurrence %d of the pattern not found", tag, nth);
                if (at) memcpy(at, to, n);
            }
            len -= cut;
        }
        put(cdir, files[k], data, len);
        cpose_free(data);
    }
    struct cpose_model *m = NULL;
    int rc = cpose_model_load(cdir, NULL, &m);
    CHECK_MSG(rc != CPOSE_OK && m == NULL, "case %s: the reader accepted a broken package", tag);
    CHECK_MSG(strstr(cpose_errmsg(), want) != NULL, "case %s: message '%s' lacks '%s'", tag, cpose_errmsg(), want);
    printf("refused (%s): %s\n", tag, cpose_errmsg());
}

int main(void)
{
    const char *bin = getenv("CPOSE_BIN");
    snprintf(dir, sizeof dir, "%s", tl_tmpdir("export-coreml"));
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "coreml") != NULL, "no coreml plugin in %s", plugdir);
    if (!cpose_plugins_find(r, "coreml")) return tl_finish();
    int have_tools = system("command -v python3 >/dev/null && command -v protoc-c >/dev/null") == 0;
    if (!have_tools) printf("python3 or protoc-c missing: the independent structure check is skipped\n");

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
    snprintf(model_arg, sizeof model_arg, "%s/yolov8n-pose.h5", dir);
    const int64_t C = 56, A640 = 8400;
    float *ref = malloc((size_t)(C * A640) * sizeof(float));
    CHECK(cpose_model_predict(m, x640, 1, 640, 640, ref) == CPOSE_OK);

    /* 1. fp32 at 640: structure, metadata, read back and run */
    char *p640 = export(r, m, model_arg, NULL, 0);
    if (p640) {
        CHECK(strstr(p640, "yolov8n-pose.mlpackage") != NULL);
        if (have_tools) CHECK(py_check(p640, 640, 640, 0) == 0);
        read_and_run(p640, x640, 640, 640, ref, 1e-2, 1e-4, "fp32 export");
    }

    /* 2. exported at 384x640, read back and run there */
    const int64_t H2 = 384, A2 = (384 / 8) * 80 + (384 / 16) * 40 + (384 / 32) * 20;
    float *x2 = malloc((size_t)(3 * H2 * 640) * sizeof(float));
    for (int c = 0; c < 3; c++)
        for (int64_t y = 0; y < H2; y++)
            memcpy(x2 + (c * H2 + y) * 640, x640 + (c * 640 + 128 + y) * 640, 640 * sizeof(float));
    float *ref2 = malloc((size_t)(C * A2) * sizeof(float));
    CHECK(cpose_model_predict(m, x2, 1, H2, 640, ref2) == CPOSE_OK);
    char model2[800];
    snprintf(model2, sizeof model2, "%s/rect/yolov8n-pose.h5", dir);
    const char *kv2[] = {"imgsz", "384,640"};
    char *p384 = export(r, m, model2, kv2, 1);
    if (p384) {
        if (have_tools) CHECK(py_check(p384, 384, 640, 0) == 0);
        read_and_run(p384, x2, H2, 640, ref2, 1e-2, 1e-4, "fp32 export at 384x640");
    }

    /* 3. half=True: fp16 blobs, fp16 compute between two casts */
    char model3[800];
    snprintf(model3, sizeof model3, "%s/half/yolov8n-pose.h5", dir);
    const char *kvh[] = {"half", "True"};
    char *ph = export(r, m, model3, kvh, 1);
    if (ph) {
        if (have_tools) CHECK(py_check(ph, 640, 640, 1) == 0);
        size_t l32 = 0, l16 = 0;
        char *w32 = p640 ? slurp(p640, WEIGHTS, &l32) : NULL, *w16 = slurp(ph, WEIGHTS, &l16);
        CHECK(w32 && w16 && l16 < l32 * 6 / 10);
        cpose_free(w32), cpose_free(w16);
        read_and_run(ph, x640, 640, 640, ref, 4.0, 2e-2, "half=True");
    }

    /* 4. the reader refuses what Core ML would */
    if (p640) {
        static const char wname[] = "@model_path/weights/weight.bin\x10\x40";
        static const char wname65[] = "@model_path/weights/weight.bin\x10\x41";
        broken(p640, "misaligned", MODEL, wname, wname65, sizeof wname - 1, 1, 0, "is not 64-byte aligned");
        static const uint8_t sent[4] = {0xEF, 0xBE, 0xAD, 0xDE}, sent_bad[4] = {0xEF, 0xBE, 0xAD, 0x00};
        broken(p640, "sentinel", WEIGHTS, sent, sent_bad, 4, 1, 0, "sentinel 0x00ADBEEF");
        broken(p640, "pastend", WEIGHTS, NULL, NULL, 0, 0, 64, "lies outside");
        broken(p640, "undefined", MODEL, "image__scaled__", "image__scaleX__", 15, 2, 0,
               "reads 'image__scaleX__', which is not defined before it");
        broken(p640, "unknownop", MODEL, "\x0a\x04silu", "\x0a\x04gelu", 6, 1, 0, "unknown operation type 'gelu'");
        /* the root identifier gets a 'Z' (no UUID has one): the Manifest's root entry is missing */
        broken(p640, "manifest", MANIFEST, "\"\n}\n", "Z\"}\n", 4, 1, 0, "has no entry in itemInfoEntries");
        broken(p640, "specversion", MODEL, "\x08\x06", "\x08\x05", 2, 1, 0, "specificationVersion 5");
        /* the groups const's output (the name's 2nd occurrence: attribute, output, binding) renamed to the weight's */
        broken(p640, "twice", MODEL, "model_0_conv_groups", "model_0_conv_weight", 19, 2, 0,
               "value 'model_0_conv_weight' is defined twice");
        /* the first conv's declared output [1, 16, 320, 320] (the first value of that type) made 321 wide */
        static const char t320[] = "\x1a\x04\x0a\x02\x08\x10\x1a\x05\x0a\x03\x08\xc0\x02\x1a\x05\x0a\x03\x08\xc0\x02",
                          t321[] = "\x1a\x04\x0a\x02\x08\x10\x1a\x05\x0a\x03\x08\xc0\x02\x1a\x05\x0a\x03\x08\xc1\x02";
        broken(p640, "outshape", MODEL, t320, t321, sizeof t320 - 1, 1, 0,
               "operation 9 'conv' (output 'model_0_conv'): output type [1, 16, 320, 321] differs from the computed [1, 16, 320, 320]");
        /* the first blob recorded as fp16 (dtype 1) while its value is fp32 */
        static const uint8_t dt[8] = {0xEF, 0xBE, 0xAD, 0xDE, 2, 0, 0, 0}, dt16[8] = {0xEF, 0xBE, 0xAD, 0xDE, 1, 0, 0, 0};
        broken(p640, "blobtype", WEIGHTS, dt, dt16, 8, 1, 0, "has data type 1, the value's type needs 2");
    }

    /* 5. errors at export: nms, int8, an argument coreml does not take; nothing left behind */
    char *pb = NULL;
    char model4[800], out4[900];
    snprintf(model4, sizeof model4, "%s/refused/yolov8n-pose.h5", dir);
    snprintf(out4, sizeof out4, "%s/refused/yolov8n-pose.mlpackage", dir);
    const char *k1[1] = {"nms"}, *v1[1] = {"True"};
    CHECK(cpose_export_run(r, m, model4, "coreml", k1, v1, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "nms=True (the CoreML NMS pipeline) is not written yet");
    const char *k2[1] = {"int8"};
    CHECK(cpose_export_run(r, m, model4, "coreml", k2, v1, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "int8=True (k-means weight palettisation) is not written by cpose");
    CHECK_MSG(access(out4, F_OK) != 0, "a refused export left %s", out4);
    const char *k5[1] = {"opset"}, *v5[1] = {"12"};
    CHECK(cpose_export_run(r, m, model4, "coreml", k5, v5, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "does not take argument 'opset'");

    cpose_free(p640), cpose_free(p384), cpose_free(ph);
    free(x2), free(ref2), free(ref);
    cpose_free(x640);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
