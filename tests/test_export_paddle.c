/* tests/test_export_paddle.c — the PaddlePaddle exporter and reader: exports through the plugin and
 * checks the folder's layout (inference_model/model.pdmodel + model.pdiparams, metadata.yaml at
 * the .pdmodel's parents[1]); decodes and runs the program independently of cpose with
 * tests/helpers/paddle_run.py (its own protobuf decoder, the .pdiparams walked in sorted-name
 * order, every op executed with torch's kernels — python3-torch) and compares that with cpose's
 * own forward; decodes the program with `protoc-c --decode` against the hand-kept schema excerpt
 * tests/helpers/paddle_excerpt.proto; reads the folder back with cpose's strict reader and runs it, at 640×640 and at
 * 384×640 (|Δ| ≤ 1e-2 px on coordinates, ≤ 1e-4 on scores and visibilities); feeds the reader
 * hand-broken copies, one per rule (a var used but not declared, an unknown op type, no feed op, no
 * fetch op, a parameter missing from .pdiparams, one of the wrong size, a bad tensor version,
 * trailing bytes); and checks the refusals at export (half/int8: Ultralytics' paddle export is
 * fp32; an argument paddle does not take). Weights and input: the parity fixture when present,
 * else a generated yolov8n-pose.yaml model (seed 0, BN statistics spread). */
/* cpose-layer: plugins */
#define _GNU_SOURCE  /* memmem */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
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
    int rc = cpose_export_run(r, m, model_arg, "paddle", keys, vals, n, &path);
    CHECK_MSG(rc == CPOSE_OK, "export: %s", cpose_errmsg());
    return path;
}

static char *slurp(const char *dirp, const char *file, size_t *len)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dirp, file);
    char *buf = NULL;
    *len = 0;
    if (cpose_read_file(path, &buf, len) != CPOSE_OK) return NULL;
    return buf;
}

static void spit(const char *dirp, const char *file, const void *p, size_t n)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dirp, file);
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f) return;
    fwrite(p, 1, n, f);
    fclose(f);
}

/* Runs the exported folder with tests/helpers/paddle_run.py (python3 + torch) on x [1,3,H,W] and
 * compares with ref. Returns 0 when python3-torch is missing (the part is skipped). */
static void python_run(const char *dirp, const float *x, int64_t H, int64_t W, const float *ref, const char *what)
{
    const char *src = getenv("CPOSE_SOURCE_DIR");
    if (system("/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null") != 0) {
        printf("note: /usr/bin/python3 with torch missing; the independent run is skipped\n");
        return;
    }
    char in[700], out[700], cmd[4000], line[2048] = "";
    snprintf(in, sizeof in, "%s/x.f32", dir), snprintf(out, sizeof out, "%s/y.f32", dir);
    FILE *f = fopen(in, "wb");
    fwrite(x, sizeof(float), (size_t)(3 * H * W), f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/helpers/paddle_run.py '%s' '%s' 1,3,%lld,%lld '%s' 2>&1",
             src ? src : "..", dirp, in, (long long)H, (long long)W, out);
    FILE *p = popen(cmd, "r");
    size_t got = p ? fread(line, 1, sizeof line - 1, p) : 0;
    line[got] = 0;
    int rc = p ? pclose(p) : -1;
    CHECK_MSG(rc == 0, "paddle_run.py: %s", line);
    if (rc) return;
    printf("paddle_run.py (%s): %s", what, line);
    const int64_t A = (H / 8) * (W / 8) + (H / 16) * (W / 16) + (H / 32) * (W / 32), C = 56;
    size_t len = 0;
    char *y = NULL;
    CHECK(cpose_read_file(out, &y, &len) == CPOSE_OK && len == (size_t)(C * A) * sizeof(float));
    if (len != (size_t)(C * A) * sizeof(float)) return;
    double dc, dp;
    compare((const float *)y, ref, C, A, &dc, &dp);
    printf("paddle program run by torch vs cpose, %s at %lldx%lld: max |d| coords %.3g px, scores/visibility %.3g\n",
           what, (long long)H, (long long)W, dc, dp);
    CHECK(dc <= 1e-2 && dp <= 1e-4);
    cpose_free(y);
}

/* model.pdmodel read by the protobuf compiler's own parser against the hand-kept schema excerpt
 * tests/helpers/paddle_excerpt.proto: no parse error, no missing required field, no field outside
 * the schema, the root block, the version, one feed and one fetch op, and the op types a YOLOv8-pose
 * program needs. Skipped (with a note) without protoc-c. */
static void protoc_check(const char *dirp)
{
    const char *src = getenv("CPOSE_SOURCE_DIR");
    if (system("protoc-c --version >/dev/null 2>&1") != 0) {
        printf("note: protoc-c (protobuf-c-compiler) not installed; the protoc decode is skipped\n");
        return;
    }
    char cmd[4000];
    snprintf(cmd, sizeof cmd, "protoc-c --proto_path=%s/tests/helpers --decode=cpose_paddle_excerpt.ProgramDesc "
             "paddle_excerpt.proto < '%s/inference_model/model.pdmodel' 2>&1", src ? src : "..", dirp);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    if (!p) return;
    size_t cap = 1 << 20, n = 0;
    char *text = malloc(cap + 1);
    for (size_t got; (got = fread(text + n, 1, cap - n, p)) > 0;) {
        n += got;
        if (n == cap) text = realloc(text, (cap *= 2) + 1);
    }
    text[n] = 0;
    int rc = pclose(p);
    CHECK_MSG(rc == 0 && !strstr(text, "warning") && !strstr(text, "Failed"), "protoc-c --decode: %.300s", text);
    int unknown = 0, feeds = 0, fetches = 0;
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *q = line;
        while (*q == ' ') q++;
        unknown += *q >= '0' && *q <= '9';  /* a field number printed: not in the schema */
        feeds += !strncmp(q, "type: \"feed\"\n", 13);
        fetches += !strncmp(q, "type: \"fetch\"\n", 14);
    }
    CHECK_MSG(unknown == 0, "%d fields outside the schema excerpt", unknown);
    CHECK(feeds == 1 && fetches == 1);
    CHECK(strstr(text, "blocks {\n  idx: 0\n  parent_idx: -1\n") && strstr(text, "version {\n  version: 2004002\n}"));
    static const char *const need[] = {"conv2d", "elementwise_add", "silu", "concat", "slice", "pool2d", "nearest_interp_v2",
                                       "reshape2", "transpose2", "softmax", "elementwise_sub", "elementwise_mul", "sigmoid"};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++) {
        char want[64];
        snprintf(want, sizeof want, "type: \"%s\"\n", need[k]);
        CHECK_MSG(strstr(text, want) != NULL, "no %s op", need[k]);
    }
    printf("protoc-c --decode with the schema excerpt: %zu bytes of text, feed %d, fetch %d, %d unknown fields\n", n, feeds,
           fetches, unknown);
    free(text);
}

/* Reads dirp back with cpose, runs it on x [1,3,H,W] and compares with ref. */
static void read_and_run(const char *dirp, const float *x, int64_t H, int64_t W, const float *ref, const char *what)
{
    struct cpose_model *m2 = NULL;
    int rc = cpose_model_load(dirp, NULL, &m2);
    CHECK_MSG(rc == CPOSE_OK, "read back %s: %s", dirp, cpose_errmsg());
    if (rc) return;
    const int64_t A = (H / 8) * (W / 8) + (H / 16) * (W / 16) + (H / 32) * (W / 32), C = 56;
    float *o = malloc((size_t)(C * A) * sizeof(float));
    CHECK(cpose_model_predict(m2, x, 1, H, W, o) == CPOSE_OK);
    double dc, dp;
    compare(o, ref, C, A, &dc, &dp);
    printf("paddle read back by cpose vs cpose, %s at %lldx%lld: max |d| coords %.3g px, scores/visibility %.3g\n", what,
           (long long)H, (long long)W, dc, dp);
    CHECK(dc <= 1e-2 && dp <= 1e-4);
    CHECK(m2->info.nc == 1 && m2->info.nkpt == 17 && m2->info.n_names == 1 && !strcmp(m2->info.names[0], "person"));
    CHECK_MSG(m2->info.imgsz == (H > W ? H : W), "imgsz %d from metadata.yaml", m2->info.imgsz);
    free(o);
    cpose_model_free(m2);
}

/* ---- a protobuf field walker of the test's own, for the hand-broken programs --------------------- */

static size_t put_varint(uint8_t *o, uint64_t v)
{
    size_t n = 0;
    do {
        o[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static uint64_t get_varint(const uint8_t *b, size_t *i)
{
    uint64_t v = 0;
    for (int s = 0;; s += 7) {
        uint8_t c = b[(*i)++];
        v |= (uint64_t)(c & 0x7f) << s;
        if (c < 0x80) return v;
    }
}

/* The field at b[*i]: number, wire type, payload (LEN fields) and the field's whole extent. */
static void field_at(const uint8_t *b, size_t *i, uint32_t *num, const uint8_t **pl, size_t *plen)
{
    uint64_t tag = get_varint(b, i);
    *num = (uint32_t)(tag >> 3);
    *pl = NULL, *plen = 0;
    switch (tag & 7) {
    case 0: get_varint(b, i); break;
    case 1: *i += 8; break;
    case 5: *i += 4; break;
    case 2:
        *plen = (size_t)get_varint(b, i);
        *pl = b + *i;
        *i += *plen;
        break;
    }
}

/* Does message m hold string field `num` equal to s? */
static int has_string(const uint8_t *m, size_t n, uint32_t num, const char *s)
{
    for (size_t i = 0; i < n;) {
        uint32_t f;
        const uint8_t *pl;
        size_t pn;
        field_at(m, &i, &f, &pl, &pn);
        if (f == num && pl && pn == strlen(s) && !memcmp(pl, s, pn)) return 1;
    }
    return 0;
}

/* A copy of the program without the first block-0 entry of field `kind` (3 = a var, 4 = an op)
 * whose string field `key` (var name 1, op type 3) equals s. */
static uint8_t *drop_entry(const uint8_t *prog, size_t n, uint32_t kind, uint32_t key, const char *s, size_t *out_n)
{
    uint8_t *out = malloc(n + 16), *blk = malloc(n);
    size_t o = 0, bo = 0;
    int dropped = 0;
    for (size_t i = 0; i < n;) {
        size_t start = i;
        uint32_t f;
        const uint8_t *pl;
        size_t pn;
        field_at(prog, &i, &f, &pl, &pn);
        if (f != 1) {
            memcpy(out + o, prog + start, i - start), o += i - start;
            continue;
        }
        for (size_t j = 0; j < pn;) {
            size_t s0 = j;
            uint32_t g;
            const uint8_t *q;
            size_t qn;
            field_at(pl, &j, &g, &q, &qn);
            if (!dropped && g == kind && q && has_string(q, qn, key, s)) {
                dropped = 1;
                continue;
            }
            memcpy(blk + bo, pl + s0, j - s0), bo += j - s0;
        }
        o += put_varint(out + o, (1 << 3) | 2);
        o += put_varint(out + o, bo);
        memcpy(out + o, blk, bo), o += bo;
    }
    free(blk);
    CHECK_MSG(dropped, "no entry %u with '%s' to drop", kind, s);
    *out_n = o;
    return out;
}

/* Writes a broken copy of the export (program and parameters as given) and expects the reader to
 * refuse it with `want` in the message. */
static void refused(const char *tag, const void *prog, size_t pn, const void *params, size_t qn, const char *want)
{
    char cdir[700], idir[800];
    snprintf(cdir, sizeof cdir, "%s/broken_%s_paddle_model", dir, tag);
    snprintf(idir, sizeof idir, "%s/inference_model", cdir);
    cpose_mkdirs(idir);
    spit(idir, "model.pdmodel", prog, pn);
    spit(idir, "model.pdiparams", params, qn);
    struct cpose_model *m = NULL;
    int rc = cpose_model_load(cdir, NULL, &m);
    CHECK_MSG(rc != CPOSE_OK && m == NULL, "case %s: the reader accepted a broken model", tag);
    CHECK_MSG(strstr(cpose_errmsg(), want) != NULL, "case %s: message '%s' lacks '%s'", tag, cpose_errmsg(), want);
    printf("refused (%s): %s\n", tag, cpose_errmsg());
    if (m) cpose_model_free(m);
}

static void broken_cases(const char *src)
{
    size_t pn, qn;
    char *prog = slurp(src, "inference_model/model.pdmodel", &pn), *par = slurp(src, "inference_model/model.pdiparams", &qn);
    CHECK(prog && par && qn > 64);
    if (!prog || !par || qn <= 64) return;
    uint8_t *edit = malloc(pn > qn ? pn + 16 : qn + 16);
    size_t en;

    /* 1. a var an op reads, not declared */
    uint8_t *d = drop_entry((const uint8_t *)prog, pn, 3, 1, "model.0.act", &en);
    refused("undeclared", d, en, par, qn, "var 'model.0.act' (output 'Out') is not declared in block 0");
    free(d);
    /* 2. an unknown op type (same length, so every enclosing length stays right) */
    memcpy(edit, prog, pn);
    uint8_t *at = memmem(edit, pn, "\x1a\x04silu", 6);
    CHECK(at != NULL);
    if (at) at[2] = 'x';
    refused("unknown_op", edit, pn, par, qn, "unknown op type 'xilu'");
    /* 3, 4. no feed op, no fetch op */
    d = drop_entry((const uint8_t *)prog, pn, 4, 3, "feed", &en);
    refused("no_feed", d, en, par, qn, "no feed op");
    free(d);
    d = drop_entry((const uint8_t *)prog, pn, 4, 3, "fetch", &en);
    refused("no_fetch", d, en, par, qn, "no fetch op");
    free(d);
    /* 5. parameters missing: the file cut after its first half */
    refused("missing_param", prog, pn, par, qn / 2, "the program declares more parameters than the file holds");
    /* 6. a parameter of the wrong size: the first tensor's first dim + 1 in its TensorDesc (bytes 20.. of the file:
     * 08 05 = data_type FP32, then 10 <dim 0>) */
    memcpy(edit, par, qn);
    CHECK_MSG(edit[20] == 0x08 && edit[21] == 0x05 && edit[22] == 0x10 && edit[23] < 0x7f, "first TensorDesc %02x %02x %02x",
              edit[20], edit[21], edit[22]);
    edit[23]++;
    refused("wrong_size", prog, pn, edit, qn, "in the file, the program declares");
    /* 7. a bad tensor version (bytes 12..15) */
    memcpy(edit, par, qn);
    edit[12] = 1;
    refused("version", prog, pn, edit, qn, "tensor version 1; Paddle reads only version 0");
    /* 8. bytes after the last tensor */
    memcpy(edit, par, qn);
    memset(edit + qn, 0, 8);
    refused("trailing", prog, pn, edit, qn + 8, "8 bytes are left after the");
    free(edit);
    cpose_free(prog), cpose_free(par);
}

/* Damaged programs (seeded truncations and byte flips of model.pdmodel): each must load or be
 * refused with a message, never crash (run under valgrind or a sanitizer to see reads out of bounds). */
static void sweep(const char *src, int n_cases)
{
    size_t pn, qn;
    char *prog = slurp(src, "inference_model/model.pdmodel", &pn), *par = slurp(src, "inference_model/model.pdiparams", &qn);
    if (!prog || !par) return;
    char cdir[700], idir[800];
    snprintf(cdir, sizeof cdir, "%s/sweep_paddle_model", dir);
    snprintf(idir, sizeof idir, "%s/inference_model", cdir);
    cpose_mkdirs(idir);
    spit(idir, "model.pdiparams", par, qn);
    uint8_t *v = malloc(pn);
    uint64_t s = 7;
    int refused_n = 0, loaded = 0;
    for (int c = 0; c < n_cases; c++) {
        memcpy(v, prog, pn);
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        size_t at = (size_t)(s >> 33) % pn, len = pn;
        if (c % 3 == 0) len = at;                                     /* truncated */
        else v[at] ^= (uint8_t)(1 + ((s >> 20) & 0xfe));               /* one byte changed */
        spit(idir, "model.pdmodel", v, len);
        struct cpose_model *m = NULL;
        cpose_err_clear();
        int rc = cpose_model_load(cdir, NULL, &m);
        if (rc == CPOSE_OK) loaded++, cpose_model_free(m);
        else {
            refused_n++;
            CHECK_MSG(*cpose_errmsg() && m == NULL, "case %d: refused without a message", c);
        }
    }
    printf("damaged programs: %d refused with a message, %d still valid, no crash\n", refused_n, loaded);
    CHECK(refused_n > n_cases / 2);
    free(v);
    cpose_free(prog), cpose_free(par);
}

int main(void)
{
    const char *bin = getenv("CPOSE_BIN");
    snprintf(dir, sizeof dir, "%s", tl_tmpdir("export-paddle"));
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "paddle") != NULL, "no paddle plugin in %s", plugdir);
    if (!cpose_plugins_find(r, "paddle")) return tl_finish();

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

    /* 1. at 640: the layout, the metadata, an independent decode + run, cpose's read-back */
    char *p640 = export(r, m, model_arg, NULL, 0);
    if (p640) {
        CHECK(strstr(p640, "yolov8n-pose_paddle_model") != NULL);
        size_t len;
        char *prog = slurp(p640, "inference_model/model.pdmodel", &len);
        CHECK_MSG(prog && len > 1000 && (uint8_t)prog[0] == 0x0a, "model.pdmodel must start with ProgramDesc.blocks (0a)");
        CHECK(prog && memmem(prog, len, "\x1a\x04" "feed", 6) && memmem(prog, len, "\x1a\x05" "fetch", 7) &&
              memmem(prog, len, "\x1a\x06" "conv2d", 8) && memmem(prog, len, "\x1a\x11" "nearest_interp_v2", 19));
        cpose_free(prog);
        char *meta = slurp(p640, "metadata.yaml", &len);
        CHECK_MSG(meta && strstr(meta, "task: \"pose\"\n") && strstr(meta, "kpt_shape: [17, 3]\n") &&
                  strstr(meta, "imgsz: [640, 640]\n") && strstr(meta, "stride: 32\n") &&
                  strstr(meta, "names: {0: \"person\"}\n"), "metadata.yaml: %s", meta ? meta : "(missing)");
        cpose_free(meta);
        protoc_check(p640);
        python_run(p640, x640, 640, 640, ref, "fp32 export");
        read_and_run(p640, x640, 640, 640, ref, "fp32 export");
    }

    /* 2. exported at 384x640, run there */
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
        python_run(p384, x2, H2, 640, ref2, "fp32 export at 384x640");
        read_and_run(p384, x2, H2, 640, ref2, "fp32 export at 384x640");
    }

    /* 3. the reader refuses what Paddle would */
    if (p640) broken_cases(p640);
    if (p640) sweep(p640, 48);

    /* 4. refused at export, leaving nothing: half/int8 (Ultralytics' paddle export is fp32), an argument paddle does not take */
    char model4[800], b4dir[900];
    snprintf(model4, sizeof model4, "%s/refused/yolov8n-pose.h5", dir);
    snprintf(b4dir, sizeof b4dir, "%s/refused/yolov8n-pose_paddle_model", dir);
    char *pb = NULL;
    const char *kh[1] = {"half"}, *vt[1] = {"True"}, *ki[1] = {"int8"}, *ko[1] = {"opset"}, *v12[1] = {"12"};
    CHECK(cpose_export_run(r, m, model4, "paddle", kh, vt, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "half=True: Ultralytics' PaddlePaddle export is fp32 only");
    CHECK(cpose_export_run(r, m, model4, "paddle", ki, vt, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "int8=True");
    CHECK(cpose_export_run(r, m, model4, "paddle", ko, v12, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "does not take argument 'opset'");
    CHECK_MSG(access(b4dir, F_OK) != 0, "a refused export left %s", b4dir);

    cpose_free(p640), cpose_free(p384);
    free(x2), free(ref2), free(ref);
    cpose_free(x640);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
