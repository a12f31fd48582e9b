/* tests/test_export_openvino_int8.c — OpenVINO int8 (FakeQuantize) export of a generated
 * yolov8n-pose.yaml model (seed 0, BN spread) at 160×160 calibrated on 8 `cpose synth` val images,
 * and its read-back by cpose's strict reader:
 *   - python3's xml.etree (not cpose's reader) checks the IR: every Convolution outside the head's
 *     decode reads a FakeQuantize levels 256 (one Const value per range, input = output range, 0 on
 *     the grid) on its data and a FakeQuantize levels 255 (per output channel: [C,1,1,1] ranges,
 *     symmetric) on its weights; the decode (names with ".decode.") has no FakeQuantize;
 *   - read back, the graph holds one fake_quantize node per quantised activation, and on two val
 *     images its output is within the measured int8 error of cpose's float32 forward;
 *   - the reader refuses hand-broken FakeQuantize layers (levels 1; input_low not below
 *     input_high), naming the rule;
 *   - half=True with int8=True is refused;
 *   - the fake_quantize op itself on hand-computed values. */
/* cpose-layer: plugins */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "core/nn/model_impl.h"
#include "datasets/synth.h"
#include "plugins/plugin_registry.h"
#include "tests/testlib.h"
#include "tests/tl_model.h"

static const int64_t H = 160, W = 160, C = 56, A = 20 * 20 + 10 * 10 + 5 * 5;
static char dir[512];

static const char *py_rules =
    "import sys, xml.etree.ElementTree as ET\n"
    "net = ET.parse(sys.argv[1]).getroot(); L = {l.get('id'): l for l in net.iter('layer')}\n"
    "src = {(e.get('to-layer'), e.get('to-port')): e.get('from-layer') for e in net.iter('edge')}\n"
    "def dims(l, port): return [int(d.text) for p in l.iter('port') if p.get('id') == port for d in p.iter('dim')]\n"
    "fq_a = fq_w = 0\n"
    "for i, l in L.items():\n"
    "    if l.get('type') == 'FakeQuantize' and '.decode.' in l.get('name'): sys.exit('FakeQuantize in the decode: ' + l.get('name'))\n"
    "    if l.get('type') != 'Convolution': continue\n"
    "    a, w = L[src[(i, '0')]], L[src[(i, '1')]]\n"
    "    if '.decode.' in l.get('name'):\n"
    "        if a.get('type') == 'FakeQuantize' or w.get('type') == 'FakeQuantize': sys.exit('quantised decode conv ' + l.get('name'))\n"
    "        continue\n"
    "    if a.get('type') != 'FakeQuantize' or a.find('data').get('levels') != '256': sys.exit('conv data not FQ 256: ' + l.get('name'))\n"
    "    if w.get('type') != 'FakeQuantize' or w.find('data').get('levels') != '255': sys.exit('conv weights not FQ 255: ' + l.get('name'))\n"
    "    cout = dims(l, '1')[0]\n"
    "    for p in '1234':\n"
    "        if dims(w, p) != [cout, 1, 1, 1]: sys.exit('weight range not per channel: ' + w.get('name'))\n"
    "        if dims(a, p) != [1, 1, 1, 1]: sys.exit('activation range not per tensor: ' + a.get('name'))\n"
    "    fq_a += 1; fq_w += 1\n"
    "print('conv inputs and weights quantised:', fq_a, fq_w)\n"
    "sys.exit(0 if fq_a > 50 else 'too few quantised convs')\n";

/* A copy of src's files with the first `from` after `after` replaced by `to`; the reader must refuse it naming want. */
static void broken(const char *src, const char *tag, const char *after, const char *from, const char *to, const char *want)
{
    char cdir[700], path[900];
    snprintf(cdir, sizeof cdir, "%s/broken_%s_openvino_model", dir, tag);
    mkdir(cdir, 0755);
    char *xml = NULL, *bin = NULL, *meta = NULL;
    size_t xl = 0, bl = 0, ml = 0;
    snprintf(path, sizeof path, "%s/yolov8n-pose.xml", src);
    cpose_read_file(path, &xml, &xl);
    snprintf(path, sizeof path, "%s/yolov8n-pose.bin", src);
    cpose_read_file(path, &bin, &bl);
    snprintf(path, sizeof path, "%s/metadata.yaml", src);
    cpose_read_file(path, &meta, &ml);
    char *start = xml ? strstr(xml, after) : NULL, *at = start ? strstr(start, from) : NULL;
    CHECK_MSG(at != NULL, "case %s: '%s' not found", tag, from);
    if (!at) return;
    char *ed = malloc(xl + strlen(to) + 1);
    memcpy(ed, xml, (size_t)(at - xml));
    strcpy(ed + (at - xml), to);
    strcat(ed, at + strlen(from));
    snprintf(path, sizeof path, "%s/yolov8n-pose.xml", cdir);
    cpose_write_file_atomic(path, ed, strlen(ed));
    snprintf(path, sizeof path, "%s/yolov8n-pose.bin", cdir);
    cpose_write_file_atomic(path, bin, bl);
    snprintf(path, sizeof path, "%s/metadata.yaml", cdir);
    cpose_write_file_atomic(path, meta, ml);
    struct cpose_model *m = NULL;
    int rc = cpose_model_load(cdir, NULL, &m);
    CHECK_MSG(rc != CPOSE_OK && !m, "case %s: the reader accepted a broken file", tag);
    CHECK_MSG(strstr(cpose_errmsg(), want) != NULL, "case %s: message '%s' lacks '%s'", tag, cpose_errmsg(), want);
    printf("refused (%s): %s\n", tag, cpose_errmsg());
    cpose_model_free(m);
    free(ed);
    cpose_free(xml), cpose_free(bin), cpose_free(meta);
}

/* The fake_quantize op on hand-computed values: scale 0.1, zero point 10, uint8. */
static void fake_quantize_golden(void)
{
    struct cpose_fake_quantize_params p = {0.1f, 10, 0, 255};
    float x[6] = {0.26f, -0.04f, -2.0f, 30.0f, 0.0f, 0.35f}, y[6];
    const float want[6] = {0.3f, 0.0f, -1.0f, 24.5f, 0.0f, 0.4f};  /* 0.35/0.1 = 3.5 → 4 (half to even) */
    struct cpose_tensor tx = {x, 1, {6}, CPOSE_LAYOUT_PLAIN}, ty = {y, 1, {6}, CPOSE_LAYOUT_PLAIN};
    const struct cpose_tensor *in[1] = {&tx};
    struct cpose_op_ctx ctx = {0};
    CHECK(cpose_op_get(CPOSE_OP_fake_quantize)->forward(&ctx, in, 1, &ty, &p) == CPOSE_OK);
    for (int i = 0; i < 6; i++) CHECK_NEAR(y[i], want[i], 1e-5);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    fake_quantize_golden();
    const char *bin = getenv("CPOSE_BIN");
    snprintf(dir, sizeof dir, "%s", tl_tmpdir("export-openvino-int8"));
    char plugdir[4200];
    char *bindir = cpose_path_dirname(bin ? bin : "./cpose");
    snprintf(plugdir, sizeof plugdir, "%s/lib/cpose/plugins", bindir);
    cpose_free(bindir);
    const char *paths[1] = {plugdir};
    struct cpose_plugin_registry *r = cpose_plugins_load_paths(paths, 1);
    CHECK_MSG(cpose_plugins_find(r, "openvino") != NULL, "no openvino plugin in %s", plugdir);
    char root[700], yaml[800], model_arg[700];
    snprintf(root, sizeof root, "%s/synth", dir);
    struct cpose_synth_opts so = {root, 1, 8, 160, 5, 1};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    snprintf(yaml, sizeof yaml, "%s/synth-pose.yaml", root);
    snprintf(model_arg, sizeof model_arg, "%s/yolov8n-pose.h5", dir);
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
    if (!m) return tl_finish();
    tl_spread_bn(m);

    char *path = NULL;
    const char *keys[3] = {"imgsz", "int8", "data"}, *vals[3] = {"160", "True", yaml};
    CHECK_MSG(cpose_export_run(r, m, model_arg, "openvino", keys, vals, 3, &path) == CPOSE_OK, "%s", cpose_errmsg());
    if (!path) return tl_finish();
    char xml[900], cmd[6000];
    snprintf(xml, sizeof xml, "%s/yolov8n-pose.xml", path);
    snprintf(cmd, sizeof cmd, "python3 -c \"$(cat <<'PYEOF'\n%sPYEOF\n)\" '%s'", py_rules, xml);
    CHECK_MSG(system(cmd) == 0, "FakeQuantize rules of %s", xml);

    /* read back: fake_quantize nodes, and close to the float forward */
    struct cpose_model *q = NULL;
    CHECK_MSG(cpose_model_load(path, NULL, &q) == CPOSE_OK, "%s", cpose_errmsg());
    if (q) {
        int n_fq = 0;
        for (int i = 0; i < cpose_graph_size(q->graph); i++) n_fq += cpose_graph_node(q->graph, i)->op == CPOSE_OP_fake_quantize;
        printf("read back: %d fake_quantize nodes\n", n_fq);
        CHECK(n_fq > 50);
        float *x = malloc((size_t)(3 * H * W) * sizeof(float)), *ref = malloc((size_t)(C * A) * sizeof(float)),
              *got = malloc((size_t)(C * A) * sizeof(float));
        double dc = 0, dp = 0, mc = 0;
        for (int im = 1; im <= 2; im++) {
            char file[900];
            snprintf(file, sizeof file, "%s/images/val/00000000000%d.jpg", root, im == 1 ? 2 : 7);
            struct cpose_image img = {0}, lb = {0};
            struct cpose_letterbox info;
            CHECK(cpose_image_read(file, &img) == CPOSE_OK);
            CHECK(cpose_image_letterbox(&img, (int)W, (int)H, 0, 32, 1, &lb, &info) == CPOSE_OK);
            cpose_image_to_chw_rgb(&lb, x);
            cpose_image_free(&img), cpose_image_free(&lb);
            CHECK(cpose_model_predict(m, x, 1, H, W, ref) == CPOSE_OK);
            CHECK(cpose_model_predict(q, x, 1, H, W, got) == CPOSE_OK);
            for (int64_t c = 0; c < C; c++)
                for (int64_t a = 0; a < A; a++) {
                    double d = fabs((double)got[c * A + a] - ref[c * A + a]);
                    int coord = c < 4 || (c >= 5 && (c - 5) % 3 != 2);
                    if (coord) dc = fmax(dc, d), mc += d / (double)(2 * A * 38);
                    else dp = fmax(dp, d);
                }
        }
        printf("OpenVINO int8 read back vs float32 forward, 2 val images: coordinates max %.3g px (mean %.3g), scores "
               "and visibility max %.3g\n", dc, mc, dp);
        CHECK_MSG(dc < 1.0 && dp < 0.01, "int8 read-back off: %.3g px, %.3g", dc, dp);
        CHECK_MSG(dc > 0, "the int8 read-back equals the float forward exactly: no quantisation ran");
        free(x), free(ref), free(got);
        cpose_model_free(q);
    }

    broken(path, "levels", "type=\"FakeQuantize\"", "levels=\"256\"", "levels=\"1\"", "levels must be an integer in [2, 65536]");
    /* the image's FakeQuantize with input_high read from input_low's bytes: input_low == input_high */
    char *x8 = NULL;
    size_t xl = 0;
    cpose_read_file(xml, &x8, &xl);
    const char *lo = x8 ? strstr(x8, "name=\"images/fq/input_low\"") : NULL, *hi = x8 ? strstr(x8, "name=\"images/fq/input_high\"") : NULL;
    long lo_off = -1, hi_off = -1;
    if (lo && strstr(lo, "offset=\"")) lo_off = strtol(strstr(lo, "offset=\"") + 8, NULL, 10);
    if (hi && strstr(hi, "offset=\"")) hi_off = strtol(strstr(hi, "offset=\"") + 8, NULL, 10);
    CHECK(lo_off >= 0 && hi_off >= 0);
    char from[64], to[64];
    snprintf(from, sizeof from, "offset=\"%ld\"", hi_off);
    snprintf(to, sizeof to, "offset=\"%ld\"", lo_off);
    broken(path, "order", "name=\"images/fq/input_high\"", from, to, "is not below input_high");
    cpose_free(x8);
    cpose_free(path);

    const char *k2[4] = {"imgsz", "int8", "half", "data"}, *v2[4] = {"160", "True", "True", yaml};
    CHECK(cpose_export_run(r, m, model_arg, "openvino", k2, v2, 4, &path) != CPOSE_OK && !path);
    CHECK_CONTAINS(cpose_errmsg(), "half=True and int8=True");
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
