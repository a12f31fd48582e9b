/* tests/test_export_openvino.c — the OpenVINO exporter and reader: exports through the plugin,
 * checks the IR with python3's own XML parser (independently of cpose's reader: IR version 11, every
 * port has its dims, every edge joins an existing output port to an input port of equal shape, each
 * input port fed once, each Const's offset + size inside the .bin and equal to shape × element size,
 * rt_info/model_info as Ultralytics writes it, f16 Consts each followed by Convert with half=True),
 * reads the folder back with cpose's strict reader and runs it against cpose's own forward at
 * 640×640 and 384×640 (|Δ| ≤ 1e-2 px on coordinates, ≤ 1e-4 on scores and visibilities; half=True
 * within fp16's resolution), feeds the reader hand-broken copies (one per rule), and checks that
 * int8=True without calibration data is refused (int8 files: test_export_openvino_int8). Weights and input: the parity fixture when present, else a generated
 * yolov8n-pose.yaml model (seed 0, BN statistics spread). */
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
    int rc = cpose_export_run(r, m, model_arg, "openvino", keys, vals, n, &path);
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

static const char *py = "python3";

/* The IR's structure, checked by python3's xml.etree: 0 when every rule holds. */
static int py_check(const char *dirp, int half)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "%s - '%s' %d <<'EOF'\n"
             "import sys, os, xml.etree.ElementTree as ET\n"
             "d, half = sys.argv[1], int(sys.argv[2])\n"
             "xml = [f for f in os.listdir(d) if f.endswith('.xml')]\n"
             "assert len(xml) == 1, xml\n"
             "net = ET.parse(os.path.join(d, xml[0])).getroot()\n"
             "binsize = os.path.getsize(os.path.join(d, xml[0][:-4] + '.bin'))\n"
             "assert net.tag == 'net' and net.get('version') == '11'\n"
             "ports, types = {}, {}\n"
             "for l in net.find('layers'):\n"
             "    lid = l.get('id'); types[lid] = l.get('type')\n"
             "    for kind in ('input', 'output'):\n"
             "        for p in (l.find(kind) if l.find(kind) is not None else []):\n"
             "            dims = [int(x.text) for x in p.findall('dim')]\n"
             "            assert dims, ('port without dims', lid, p.get('id'))\n"
             "            ports[(lid, p.get('id'))] = (kind, dims)\n"
             "    if l.get('type') == 'Const':\n"
             "        dt = l.find('data'); size = {'f32': 4, 'f16': 2, 'i64': 8}[dt.get('element_type')]\n"
             "        n = 1\n"
             "        for x in dt.get('shape').split(','): n *= int(x)\n"
             "        assert int(dt.get('size')) == n * size and int(dt.get('offset')) + int(dt.get('size')) <= binsize, lid\n"
             "        assert (dt.get('element_type') == 'f16') == (half and dt.get('element_type') != 'i64'), (lid, dt.attrib)\n"
             "fed, consumers = set(), {}\n"
             "for e in net.find('edges'):\n"
             "    f, t = (e.get('from-layer'), e.get('from-port')), (e.get('to-layer'), e.get('to-port'))\n"
             "    assert ports[f][0] == 'output' and ports[t][0] == 'input', (f, t)\n"
             "    assert ports[f][1] == ports[t][1], (f, t, ports[f], ports[t])\n"
             "    assert t not in fed, t; fed.add(t)\n"
             "    consumers.setdefault(f[0], []).append(types[t[0]])\n"
             "assert all(k in fed for k, v in ports.items() if v[0] == 'input')\n"
             "if half:\n"
             "    for lid, ty in types.items():\n"
             "        if ty == 'Const' and net.find(\".//layer[@id='%%s']/data\" %% lid).get('element_type') == 'f16':\n"
             "            assert consumers[lid] == ['Convert'], (lid, consumers[lid])\n"
             "mi = {c.tag: c.get('value') for c in net.find('rt_info/model_info')}\n"
             "assert mi['model_type'] == 'YOLO' and mi['labels'] == 'person' and mi['pad_value'] == '114', mi\n"
             "assert mi['resize_type'] == 'fit_to_window_letterbox' and float(mi['scale_values']) == 255, mi\n"
             "assert float(mi['iou_threshold']) == 0.7 and mi['reverse_input_channels'] in ('YES', 'True'), mi\n"
             "par = [l for l in net.find('layers') if l.get('type') == 'Parameter']\n"
             "assert len(par) == 1 and par[0].find('output/port').get('names') == 'images'\n"
             "print('IR structure ok:', len(types), 'layers,', len(fed), 'edges, bin', binsize, 'bytes')\n"
             "EOF",
             py, dirp, half);
    return system(cmd);
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
    printf("openvino read back vs cpose, %s at %lldx%lld: max |d| coords %.3g px, scores/visibility %.3g\n", what,
           (long long)H, (long long)W, dc, dp);
    CHECK(dc <= tol_c && dp <= tol_p);
    CHECK(m2->info.nc == 1 && m2->info.nkpt == 17 && m2->info.n_names == 1 && !strcmp(m2->info.names[0], "person"));
    free(o);
    cpose_model_free(m2);
}

/* Copies the export into a case folder with the XML text edited (from → to, first occurrence at or
 * after `after`, or with next_line on the first line of another type than `after`) and the .bin cut by `cut` bytes; expects the reader to refuse it with `want` in
 * the message. */
static void broken(const char *src, const char *tag, const char *after, int next_line, const char *from, const char *to,
                   size_t cut, const char *want)
{
    char cdir[700], path[800];
    snprintf(cdir, sizeof cdir, "%s/broken_%s_openvino_model", dir, tag);
    mkdir(cdir, 0755);
    size_t plen, blen;
    char *param = slurp(src, "yolov8n-pose.xml", &plen), *bin = slurp(src, "yolov8n-pose.bin", &blen);
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
    snprintf(path, sizeof path, "%s/yolov8n-pose.xml", cdir);
    FILE *f = fopen(path, "wb");
    fputs(edited, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/yolov8n-pose.bin", cdir);
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
    snprintf(dir, sizeof dir, "%s", tl_tmpdir("export-openvino"));
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "openvino") != NULL, "no openvino plugin in %s", plugdir);
    if (!cpose_plugins_find(r, "openvino")) return tl_finish();
    if (access("/usr/bin/python3", X_OK) == 0) py = "/usr/bin/python3";

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
        CHECK(strstr(p640, "yolov8n-pose_openvino_model") != NULL);
        CHECK(py_check(p640, 0) == 0);
        size_t len;
        char *meta = slurp(p640, "metadata.yaml", &len);
        CHECK(meta && strstr(meta, "task: \"pose\"\n") && strstr(meta, "kpt_shape: [17, 3]\n") &&
              strstr(meta, "imgsz: [640, 640]\n") && strstr(meta, "names: {0: \"person\"}\n"));
        cpose_free(meta);
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
        char *xml = slurp(p384, "yolov8n-pose.xml", &len);
        CHECK(xml && strstr(xml, "shape=\"1,3,384,640\" element_type=\"f32\"") != NULL);
        cpose_free(xml);
        CHECK(py_check(p384, 0) == 0);
        read_and_run(p384, x2, H2, 640, ref2, 1e-2, 1e-4, "fp32 export at 384x640");
    }

    /* 3. half=True: f16 Consts, each followed by Convert */
    char model3[800];
    snprintf(model3, sizeof model3, "%s/half/yolov8n-pose.h5", dir);
    const char *kvh[] = {"half", "True"};
    char *ph = export(r, m, model3, kvh, 1);
    if (ph) {
        CHECK(py_check(ph, 1) == 0);
        read_and_run(ph, x640, 640, 640, ref, 4.0, 2e-2, "half=True");
    }

    /* 4. the reader refuses what OpenVINO would */
    if (p640) {
        broken(p640, "noshape", "type=\"Convolution\"", 0, "<port id=\"2\" precision=\"FP32\">\n\t\t\t\t\t<dim>1</dim>\n"
               "\t\t\t\t\t<dim>16</dim>\n\t\t\t\t\t<dim>320</dim>\n\t\t\t\t\t<dim>320</dim>\n",
               "<port id=\"2\" precision=\"FP32\">\n", 0, "port 2 has no shape");
        broken(p640, "port", "<edges>", 0, "to-port=\"1\"", "to-port=\"7\"", 0, "is not an input port");
        broken(p640, "outside", NULL, 0, NULL, NULL, 64, "lies outside");
        broken(p640, "version", NULL, 0, "type=\"Swish\" version=\"opset4\"", "type=\"Swish\" version=\"opset1\"", 0,
               "unknown layer type/version");
        broken(p640, "constshape", "type=\"Const\"", 0, "<dim>16</dim>", "<dim>15</dim>", 0, "differs from its output port");
        broken(p640, "edgeshape", "type=\"Convolution\"", 0, "<dim>320</dim>", "<dim>321</dim>", 0, "joins shapes");
        broken(p640, "fedtwice", "<edges>", 0, "\t\t<edge ", "\t\t<edge from-layer=\"0\" from-port=\"0\" to-layer=\"2\" to-port=\"0\" />\n\t\t<edge ",
               0, "fed by a second edge");
        broken(p640, "notxml", NULL, 0, "</net>", "</ne", 0, "not well-formed XML");
        broken(p640, "noversion", NULL, 0, "version=\"11\"", "version=\"9\"", 0, "not an OpenVINO IR");
    }

    /* 5. errors at export: int8 without data (the model has no train_args data), an argument openvino does not take */
    char *pb = NULL;
    const char *keys[1] = {"int8"}, *vals[1] = {"True"};
    char model4[800];
    snprintf(model4, sizeof model4, "%s/i8/yolov8n-pose.h5", dir);
    CHECK(cpose_export_run(r, m, model4, "openvino", keys, vals, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "int8=True needs data=");
    char i8dir[900];
    snprintf(i8dir, sizeof i8dir, "%s/i8/yolov8n-pose_openvino_model", dir);
    CHECK_MSG(access(i8dir, F_OK) != 0, "a refused export left %s", i8dir);
    const char *k5[1] = {"opset"}, *v5[1] = {"12"};
    CHECK(cpose_export_run(r, m, model4, "openvino", k5, v5, 1, &pb) != CPOSE_OK && !pb);
    CHECK_CONTAINS(cpose_errmsg(), "does not take argument 'opset'");

    cpose_free(p640), cpose_free(p384), cpose_free(ph);
    free(x2), free(ref2), free(ref);
    cpose_free(x640);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
