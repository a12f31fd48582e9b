/* tests/test_export_tf.c — the TF GraphDef, SavedModel and TF.js exporters on a generated
 * yolov8n-pose.yaml model (seed 0, BN statistics spread) at 160×160, run in TensorFlow.js
 * (tests/helpers/tfjs_run.js: tfjs-core + tfjs-converter + tfjs-backend-cpu from npm, installed by
 * tests/helpers/tfjs_setup.sh) against cpose's forward:
 *   - format=pb: decoded with protobufjs and the excerpt tests/helpers/tf_graph_excerpt.proto,
 *     checked (Placeholder x, one sink Identity, every op's attributes), compared node by node with
 *     the TF.js model.json, then run in tfjs; OpenCV's TF importer (TF's own message definitions)
 *     reads it too;
 *   - format=saved_model: saved_model.pb decoded and checked (tag, signature), its graph run; the
 *     float32/float16 .tflite files beside it are format=tflite's flatbuffers;
 *   - format=tfjs: fp32, half (float16 weights) and int8 (uint8 weights) loaded from the folder, and
 *     batch=2 at 64×64;
 *   - the node list itself (convs, one sink), an op with no TF mapping named, half+int8 refused,
 *     int8 saved_model refused, an unwritable folder leaving nothing behind.
 * All TF files hold coordinates in pixels (Ultralytics' .pb/SavedModel/TF.js variant), compared as is. */
/* cpose-layer: plugins */
#include <sys/wait.h>

#include "exporters/tf/tf_graphdef.h"
#include "plugins/plugin_host.h"
#include "tests/tl_tfjs.h"
#include "tests/tl_model.h"

/* The flatbuffer part of a .tflite (before the appended zip holding metadata.json). */
static size_t flatbuffer_len(const char *buf, size_t len)
{
    for (size_t i = 0; i + 43 < len; i++)
        if (!memcmp(buf + i, "PK\3\4", 4) && !memcmp(buf + i + 30, "metadata.json", 13)) return i;
    return 0;
}

/* The saved_model folder: metadata.yaml, and .tflite files whose flatbuffers are format=tflite's. */
static void saved_model_files(const struct cpose_plugin_registry *r, struct cpose_model *m, const char *dir)
{
    char *stem = cpose_path_stem(dir);  /* yolov8n-pose_saved_model */
    size_t sl = strlen(stem) - strlen("_saved_model");
    char yaml[900];
    snprintf(yaml, sizeof yaml, "%s/metadata.yaml", dir);
    CHECK_MSG(access(yaml, R_OK) == 0, "no %s", yaml);
    char other[700];
    snprintf(other, sizeof other, "%s/tflite_ref", tmp);
    const char *kv[] = {"imgsz", "160", "project", other, NULL};
    const char *kvh[] = {"imgsz", "160", "project", other, "half", "True", "exist_ok", "True", NULL};
    for (int half = 0; half <= 1; half++) {
        char *ref_dir = ttf_export(r, m, "tflite", half ? kvh : kv);
        if (!ref_dir) continue;
        char a[1200], b[1200];
        snprintf(a, sizeof a, "%s/%.*s_%s.tflite", dir, (int)sl, stem, half ? "float16" : "float32");
        snprintf(b, sizeof b, "%s/%.*s_%s.tflite", ref_dir, (int)sl, stem, half ? "float16" : "float32");
        char *ba = NULL, *bb = NULL;
        size_t la = 0, lb = 0;
        CHECK_MSG(cpose_read_file(a, &ba, &la) == CPOSE_OK, "no %s", a);
        CHECK_MSG(cpose_read_file(b, &bb, &lb) == CPOSE_OK, "no %s", b);
        if (ba && bb) {
            size_t fa = flatbuffer_len(ba, la), fb = flatbuffer_len(bb, lb);
            CHECK_MSG(fa > 8 && !memcmp(ba + 4, "TFL3", 4), "%s: no TFL3 flatbuffer with a metadata.json zip after it", a);
            CHECK_MSG(fa == fb && !memcmp(ba, bb, fa), "%s: its flatbuffer (%zu bytes) is not format=tflite's (%zu bytes)", a, fa, fb);
        }
        cpose_free(ba), cpose_free(bb), cpose_free(ref_dir);
    }
    cpose_free(stem);
}

/* The node list on the view at 64×64: one Conv2D + BiasAdd per view conv, input x, one sink
 * Identity; then an op the GraphDef has no mapping for, named in the error. */
static void node_list(struct cpose_model *m)
{
    struct cpose_view_store *s = NULL;
    CHECK(cpose_view_build(m, 1, 64, 64, &s) == CPOSE_OK);
    if (!s) return;
    const struct cpose_view *v = cpose_view_of(s);
    int view_convs = 0;
    for (int i = 0; i < v->n_nodes; i++) view_convs += CPOSE_VIEW_NODE(v, i)->op == CPOSE_VIEW_CONV;
    struct cpose_export x;
    memset(&x, 0, sizeof x);
    struct tfg_options o = {0, 1, 17, 3};
    struct tfg_graph g;
    struct tfgd_graph gd;
    CHECK(tfg_from_view(cpose_plugin_host(), &x, v, &o, &g) == 0);
    CHECK(tfgd_build(&g, &gd) == 0);
    int convs = 0, biases = 0, consumed_max = 0;
    int *uses = calloc((size_t)gd.n_nodes, sizeof(int));
    for (int i = 0; i < gd.n_nodes; i++) {
        convs += !strcmp(gd.nodes[i].op, "Conv2D");
        biases += !strcmp(gd.nodes[i].op, "BiasAdd");
        for (int k = 0; k < gd.nodes[i].n_in; k++) {
            CHECK(gd.nodes[i].in[k] < i);  /* topological */
            uses[gd.nodes[i].in[k]]++;
        }
    }
    int sinks = 0;
    for (int i = 0; i < gd.n_nodes; i++) sinks += uses[i] == 0, consumed_max = uses[i] > consumed_max ? uses[i] : consumed_max;
    CHECK_MSG(convs == view_convs && biases == view_convs, "%d Conv2D, %d BiasAdd for %d view convs", convs, biases, view_convs);
    CHECK_MSG(sinks == 1 && uses[gd.output] == 0 && !strcmp(gd.nodes[gd.output].name, "Identity"), "%d sinks", sinks);
    CHECK(!strcmp(gd.nodes[gd.input].name, "x") && !strcmp(gd.nodes[gd.input].op, "Placeholder"));
    CHECK(gd.out_ndim == 3 && gd.out_dims[1] == 56 && gd.out_dims[2] == 64 + 16 + 4);
    free(uses);
    tfgd_free(&gd);
    /* an NHWC op the GraphDef writer does not know */
    int victim = -1;
    for (int i = 0; i < g.n_ops && victim < 0; i++)
        if (g.ops[i].kind == TFG_SOFTMAX) victim = i;
    CHECK(victim >= 0);
    if (victim >= 0) {
        g.ops[victim].kind = TFG_OP_COUNT;
        CHECK(tfgd_build(&g, &gd) == CPOSE_PLUGIN_ENOTSUP);
        tfgd_free(&gd);
        CHECK_CONTAINS(x.error, g.ops[victim].src);
        CHECK_CONTAINS(x.error, "has no TF mapping");
    }
    tfg_free(&g);
    cpose_free(x.error);
    cpose_view_store_free(s);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct cpose_plugin_registry *r = ttf_setup("export-tf", 160, 160);
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
    if (!m) return tl_finish();
    tl_spread_bn(m);
    float *x = cpose_malloc((size_t)(3 * H * W) * sizeof(float));
    uint64_t s = 1;
    for (int64_t i = 0; i < 3 * H * W; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((s >> 40) & 0xffff) / 65535.0f;
    }
    ttf_write_input(x);
    float *ref = malloc((size_t)(C * A) * sizeof(float));
    CHECK(cpose_model_predict(m, x, 1, H, W, ref) == CPOSE_OK);
    node_list(m);

    char proto[4300], args[9000];
    snprintf(proto, sizeof proto, "%s/tests/helpers/tf_graph_excerpt.proto", src_dir);
    const char *fp32[] = {"imgsz", "160", NULL};
    char *web = ttf_export(r, m, "tfjs", fp32), *pb = ttf_export(r, m, "pb", fp32);
    float *out_web = NULL;
    if (web) {
        snprintf(args, sizeof args, "web '%s'", web);
        out_web = ttf_run(args);
        ttf_compare("tfjs fp32 vs cpose forward", out_web, ref, 1e-2, 1e-4);
    }
    if (pb && web) {
        snprintf(args, sizeof args, "pb '%s' '%s' '%s'", pb, proto, web);  /* also compared with model.json */
        float *out_pb = ttf_run(args);
        ttf_compare("GraphDef (.pb) in tfjs vs cpose forward", out_pb, ref, 1e-2, 1e-4);
        if (out_pb && out_web) ttf_compare("GraphDef vs model.json outputs in tfjs", out_pb, out_web, 0, 0);
        free(out_pb);
    }
    if (pb) {  /* TF's own message definitions (inside OpenCV's importer) read the file too */
        snprintf(args, sizeof args, "/usr/bin/python3 '%s/tests/helpers/cv_tf_import.py' '%s'", src_dir, pb);
        int rc = system(args);
        if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) printf("note: python3-opencv missing, OpenCV import of the .pb not checked\n");
        else CHECK_MSG(rc == 0, "OpenCV's TF importer refuses %s", pb);
    }
    char *sm = ttf_export(r, m, "saved_model", fp32);
    if (sm) {
        snprintf(args, sizeof args, "saved_model '%s' '%s'", sm, proto);
        float *out_sm = ttf_run(args);
        ttf_compare("SavedModel graph in tfjs vs cpose forward", out_sm, ref, 1e-2, 1e-4);
        free(out_sm);
        saved_model_files(r, m, sm);
    }
    const char *half[] = {"imgsz", "160", "half", "True", "project", tmp, "name", "half", NULL};
    const char *int8[] = {"imgsz", "160", "int8", "True", "project", tmp, "name", "int8", NULL};
    for (int q = 0; q < 2; q++) {
        char *dir = ttf_export(r, m, "tfjs", q ? int8 : half);
        if (!dir) continue;
        char mj[1000], *json = NULL;
        size_t len = 0;
        snprintf(mj, sizeof mj, "%s/model.json", dir);
        CHECK(cpose_read_file(mj, &json, &len) == CPOSE_OK);
        if (json) CHECK_CONTAINS(json, q ? "\"quantization\": {\"dtype\": \"uint8\", \"min\": " : "\"quantization\": {\"dtype\": \"float16\"}");
        cpose_free(json);
        snprintf(args, sizeof args, "web '%s'", dir);
        float *o = ttf_run(args);
        ttf_compare(q ? "tfjs uint8 weights vs cpose forward" : "tfjs float16 weights vs cpose forward", o, ref, q ? 1.5 : 0.05, q ? 3e-3 : 2e-4);  /* measured: uint8 0.33 px, 5.0e-4; float16 5.3e-3 px, 2.2e-5 */
        free(o);
        cpose_free(dir);
    }

    /* batch=2 at 64×64: two different images through one TF.js model */
    ttf_size(2, 64, 64);
    float *x2 = malloc((size_t)(B * 3 * H * W) * sizeof(float)), *ref2 = malloc((size_t)(B * C * A) * sizeof(float));
    for (int64_t i = 0; i < B * 3 * H * W; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x2[i] = (float)((s >> 40) & 0xffff) / 65535.0f;
    }
    CHECK(cpose_model_predict(m, x2, B, H, W, ref2) == CPOSE_OK);
    ttf_write_input(x2);
    const char *b2[] = {"imgsz", "64", "batch", "2", "project", tmp, "name", "batch2", NULL};
    char *dir2 = ttf_export(r, m, "tfjs", b2);
    if (dir2) {
        snprintf(args, sizeof args, "web '%s'", dir2);
        float *o = ttf_run(args);
        ttf_compare("tfjs fp32 batch 2 at 64x64 vs cpose forward", o, ref2, 1e-2, 1e-4);
        free(o);
    }
    cpose_free(dir2), free(x2), free(ref2);

    /* refusals: half+int8 for tfjs, int8 for saved_model; nothing written */
    char folder[800], cmd[2000], *path = NULL;
    snprintf(folder, sizeof folder, "%s/refused", tmp);
    char model_arg[700];
    snprintf(model_arg, sizeof model_arg, "%s/yolov8n-pose.h5", tmp);
    const char *k1[4] = {"imgsz", "half", "int8", "project"}, *v1[4] = {"64", "True", "True", folder};
    CHECK(cpose_export_run(r, m, model_arg, "tfjs", k1, v1, 4, &path) != CPOSE_OK && !path);
    CHECK_CONTAINS(cpose_errmsg(), "choose one quantisation");
    const char *k2[3] = {"imgsz", "int8", "project"}, *v2[3] = {"64", "True", folder};
    CHECK(cpose_export_run(r, m, model_arg, "saved_model", k2, v2, 3, &path) != CPOSE_OK && !path);
    CHECK_CONTAINS(cpose_errmsg(), "int8=True");
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s' -type f 2>/dev/null)\"", folder);
    CHECK_MSG(system(cmd) == 0, "a refused export left files in %s", folder);

    /* an unwritable folder (a path through a regular file): a clear error, nothing left */
    char blocker[800], bad[900];
    snprintf(blocker, sizeof blocker, "%s/not_a_dir", tmp);
    FILE *f = fopen(blocker, "w");
    if (f) fclose(f);
    snprintf(bad, sizeof bad, "%s/sub", blocker);
    const char *fmts[3] = {"pb", "saved_model", "tfjs"};
    for (int i = 0; i < 3; i++) {
        const char *k3[2] = {"imgsz", "project"}, *v3[2] = {"64", bad};
        CHECK(cpose_export_run(r, m, model_arg, fmts[i], k3, v3, 2, &path) != CPOSE_OK && !path);
        CHECK_CONTAINS(cpose_errmsg(), "not_a_dir");
        CHECK_MSG(access(bad, F_OK) != 0, "format=%s created %s", fmts[i], bad);
    }

    free(out_web), free(ref);
    cpose_free(web), cpose_free(pb), cpose_free(sm);
    cpose_free(x);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
