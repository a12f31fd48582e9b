/* tests/test_export_ncnn.c — the ncnn exporter and reader: exports through the plugin, checks the
 * files' structure here (independently of cpose's reader: the magic and counts, every blob consumed
 * at most once, floats written with a '.', out0 as the output, the fp16 flag, metadata.yaml), reads
 * them back with cpose's strict reader and runs them against cpose's own forward at 640×640 and at
 * 384×640 (|Δ| ≤ 1e-2 px on coordinates, ≤ 1e-4 on scores and visibilities; half=True within fp16's
 * resolution), and feeds the reader hand-broken copies (one per rule). Weights and input: the parity
 * fixture when present, else a generated yolov8n-pose.yaml model (seed 0, BN statistics spread). */
/* cpose-layer: plugins */
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
    int rc = cpose_export_run(r, m, model_arg, "ncnn", keys, vals, n, &path);
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

/* The .param's structure, checked here by its own parse: returns the number of problems. */
static int check_structure(const char *text)
{
    int problems = 0, layers = 0, nl = 0, nb = 0;
    char **produced = calloc(8192, sizeof(char *)), **consumed = calloc(8192, sizeof(char *));
    int n_prod = 0, n_cons = 0, saw_out0 = 0, split = 0;
    const char *p = text;
    if (strncmp(p, "7767517\n", 8)) problems++, printf("  no magic\n");
    p = strchr(p, '\n') + 1;
    if (sscanf(p, "%d %d", &nl, &nb) != 2) problems++;
    p = strchr(p, '\n') + 1;
    char line[8192];
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len >= sizeof line) len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = 0;
        p = e ? e + 1 : p + len;
        char type[64], name[256];
        int ni, no, off;
        if (sscanf(line, "%63s %255s %d %d%n", type, name, &ni, &no, &off) != 4) continue;
        layers++;
        split += !strcmp(type, "Split");
        char *q = line + off, tok[300];
        for (int k = 0; k < ni + no; k++) {
            int used;
            if (sscanf(q, "%299s%n", tok, &used) != 1) break;
            q += used;
            if (k < ni) {
                for (int j = 0; j < n_cons; j++)
                    if (!strcmp(consumed[j], tok)) problems++, printf("  blob %s consumed twice\n", tok);
                consumed[n_cons++] = strdup(tok);
            } else {
                saw_out0 |= !strcmp(tok, "out0");
                produced[n_prod++] = strdup(tok);
            }
        }
        int used;
        while (sscanf(q, "%299s%n", tok, &used) == 1) {
            q += used;
            const char *eq = strchr(tok, '=');
            if (!eq) problems++, printf("  '%s' is not k=v\n", tok);
            /* float-valued params of these layers must carry a '.' */
            int key = atoi(tok);
            if ((!strcmp(type, "Interp") && (key == 1 || key == 2)) || (!strcmp(type, "BinaryOp") && key == 2))
                if (eq && !strpbrk(eq + 1, ".e")) problems++, printf("  float param without '.': %s\n", tok);
        }
    }
    if (layers != nl || n_prod != nb) problems++, printf("  header %d %d, file %d layers %d blobs\n", nl, nb, layers, n_prod);
    if (!saw_out0) problems++, printf("  no out0\n");
    if (!split) problems++, printf("  no Split layer for fan-out\n");
    printf("param structure: %d layers, %d blobs, %d Split layers, %d problems\n", layers, n_prod, split, problems);
    for (int k = 0; k < n_prod; k++) free(produced[k]);
    for (int k = 0; k < n_cons; k++) free(consumed[k]);
    free(produced), free(consumed);
    return problems;
}

/* Reads dirp back, runs it on x [1,3,H,W] and compares with ref. */
static void read_and_run(const char *dirp, const float *x, int64_t H, int64_t W, const float *ref, double tol_c,
                         double tol_p, const char *what)
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
    printf("ncnn read back vs cpose, %s at %lldx%lld: max |d| coords %.3g px, scores/visibility %.3g\n", what,
           (long long)H, (long long)W, dc, dp);
    CHECK(dc <= tol_c && dp <= tol_p);
    CHECK(m2->info.nc == 1 && m2->info.nkpt == 17 && m2->info.n_names == 1 && !strcmp(m2->info.names[0], "person"));
    free(o);
    cpose_model_free(m2);
}

/* Copies the export into a case folder with the param text edited (from → to, first occurrence at or
 * after `after`, or with next_line on the first line of another type than `after`) and the .bin cut by `cut` bytes; expects the reader to refuse it with `want` in
 * the message. */
static void broken(const char *src, const char *tag, const char *after, int next_line, const char *from, const char *to,
                   size_t cut, const char *want)
{
    char cdir[700], path[800];
    snprintf(cdir, sizeof cdir, "%s/broken_%s_ncnn_model", dir, tag);
    mkdir(cdir, 0755);
    size_t plen, blen;
    char *param = slurp(src, "model.ncnn.param", &plen), *bin = slurp(src, "model.ncnn.bin", &blen);
    if (!param || !bin) {
        CHECK(0);
        return;
    }
    char *edited = param;
    if (from) {
        char *start = after ? strstr(param, after) : param;
        char *at = start ? strstr(start, from) : NULL;
        while (at && next_line) {  /* the first occurrence on a line of another layer type than `after` */
            char *ls = at;
            while (ls > param && ls[-1] != '\n') ls--;
            if (strncmp(ls, after, strlen(after))) break;
            at = strstr(at + 1, from);
        }
        CHECK_MSG(at != NULL, "case %s: '%s' not found in the export", tag, from);
        if (!at) return;
        edited = malloc(plen + strlen(to) + 1);
        size_t pre = (size_t)(at - param);
        memcpy(edited, param, pre);
        strcpy(edited + pre, to);
        strcat(edited, at + strlen(from));
    }
    snprintf(path, sizeof path, "%s/model.ncnn.param", cdir);
    FILE *f = fopen(path, "wb");
    fputs(edited, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/model.ncnn.bin", cdir);
    f = fopen(path, "wb");
    fwrite(bin, 1, blen - cut, f);
    fclose(f);
    struct cpose_model *m = NULL;
    int rc = cpose_model_load(cdir, NULL, &m);
    CHECK_MSG(rc != CPOSE_OK && m == NULL, "case %s: the reader accepted a broken file", tag);
    CHECK_MSG(strstr(cpose_errmsg(), want) != NULL, "case %s: message '%s' lacks '%s'", tag, cpose_errmsg(), want);
    printf("refused (%s): %s\n", tag, cpose_errmsg());
    if (edited != param) free(edited);
    cpose_free(param), cpose_free(bin);
}

int main(void)
{
    const char *bin = getenv("CPOSE_BIN");
    snprintf(dir, sizeof dir, "%s", tl_tmpdir("export-ncnn"));
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "ncnn") != NULL, "no ncnn plugin in %s", plugdir);
    if (!cpose_plugins_find(r, "ncnn")) return tl_finish();

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
        CHECK(strstr(p640, "yolov8n-pose_ncnn_model") != NULL);
        size_t len;
        char *param = slurp(p640, "model.ncnn.param", &len);
        CHECK(param && check_structure(param) == 0);
        CHECK(param && !strncmp(strchr(strchr(param, '\n') + 1, '\n') + 1, "Input ", 6) &&
              strstr(param, " 0 1 in0 0=640 1=640 2=3\n") != NULL);
        cpose_free(param);
        char *meta = slurp(p640, "metadata.yaml", &len);
        CHECK(meta && strstr(meta, "task: \"pose\"\n") && strstr(meta, "kpt_shape: [17, 3]\n") &&
              strstr(meta, "imgsz: [640, 640]\n") && strstr(meta, "stride: 32\n"));
        CHECK(meta && strstr(meta, "names: {0: \"person\"}\n") != NULL);
        cpose_free(meta);
        char *bbin = slurp(p640, "model.ncnn.bin", &len);
        uint32_t flag = 1;
        if (bbin) memcpy(&flag, bbin, 4);
        CHECK_MSG(bbin && flag == 0, "first conv's storage flag 0x%08x, want 0 (fp32)", flag);
        cpose_free(bbin);
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
        size_t len;
        char *param = slurp(p384, "model.ncnn.param", &len);
        CHECK(param && strstr(param, " 0=640 1=384 2=3") != NULL);
        cpose_free(param);
        read_and_run(p384, x2, H2, 640, ref2, 1e-2, 1e-4, "fp32 export at 384x640");
    }

    /* 3. half=True: fp16 conv weights behind the 0x01306B47 flag */
    char model3[800];
    snprintf(model3, sizeof model3, "%s/half/yolov8n-pose.h5", dir);
    const char *kvh[] = {"half", "True"};
    char *ph = export(r, m, model3, kvh, 1);
    if (ph) {
        size_t len, len32 = 0;
        char *bbin = slurp(ph, "model.ncnn.bin", &len), *b32 = p640 ? slurp(p640, "model.ncnn.bin", &len32) : NULL;
        uint32_t flag = 0;
        if (bbin) memcpy(&flag, bbin, 4);
        CHECK_MSG(flag == 0x01306B47u, "half=True storage flag 0x%08x", flag);
        CHECK_MSG(b32 && len < len32 * 6 / 10, "fp16 .bin %zu bytes, fp32 %zu", len, len32);
        cpose_free(bbin), cpose_free(b32);
        read_and_run(ph, x640, 640, 640, ref, 4.0, 2e-2, "half=True");
    }

    /* 4. the reader refuses what ncnn would */
    if (p640) {
        broken(p640, "twice", "Split", 1, "_splitncnn_1", "_splitncnn_0", 0, "consumed once");
        broken(p640, "unknown", NULL, 0, "Swish ", "Mish2 ", 0, "unknown layer type");
        broken(p640, "counts", NULL, 0, "7767517\n", "7767517\n1", 0, "declares");
        broken(p640, "magic", NULL, 0, "7767517", "7767518", 0, "magic 7767517");
        broken(p640, "float", "Interp", 0, "1=2.0", "1=2", 0, "without a '.'");
        broken(p640, "wsize", "Convolution", 0, " 6=432", " 6=431", 0, "weight_data_size");
        broken(p640, "truncated", NULL, 0, NULL, NULL, 4, "past the end");
        broken(p640, "undeclared", NULL, 0, " in0 0=640", " images 0=640", 0, "is not produced by an earlier layer");
        broken(p640, "no_out0", NULL, 0, " out0", " out1", 0, "no blob 'out0'");
    }

    /* 5. errors at export: batch 2 (ncnn Mats hold one image), an argument ncnn does not take */
    const char *kvb[] = {"batch", "2"};
    char *pb = NULL;
    const char *keys[1] = {"batch"}, *vals[1] = {"2"};
    (void)kvb;
    char model4[800];
    snprintf(model4, sizeof model4, "%s/b2/yolov8n-pose.h5", dir);
    CHECK(cpose_export_run(r, m, model4, "ncnn", keys, vals, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "batch=2: an ncnn Mat holds one image");
    char b2dir[900];
    snprintf(b2dir, sizeof b2dir, "%s/b2/yolov8n-pose_ncnn_model", dir);
    CHECK_MSG(access(b2dir, F_OK) != 0, "a refused export left %s", b2dir);
    const char *k5[1] = {"opset"}, *v5[1] = {"12"};
    CHECK(cpose_export_run(r, m, model4, "ncnn", k5, v5, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "does not take argument 'opset'");

    cpose_free(p640), cpose_free(p384), cpose_free(ph);
    free(x2), free(ref2), free(ref);
    cpose_free(x640);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
