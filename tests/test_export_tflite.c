/* tests/test_export_tflite.c — the TFLite exporter on a generated yolov8n-pose.yaml model (seed 0,
 * BN statistics spread) at 160×160: fp32 and fp16 files run in ArmNN's TfLite parser on CpuRef
 * against cpose's forward (tests/tl_tflite.h), their structure and appended metadata zip; the
 * NHWC rewrite names a view node it cannot map; int8=True without data= (and no train_args data)
 * is refused with a message; an unwritable output folder leaves nothing behind. int8 files are
 * test_export_tflite_int8. The parity fixture at 640 is
 * test_export_tflite_parity (slow: ArmNN's reference backend takes minutes there). */
/* cpose-layer: plugins */
#include "exporters/tf/tf_nhwc.h"
#include "plugins/plugin_host.h"
#include "tests/tl_tflite.h"
#include "tests/tl_model.h"

/* The rewrite on a view with one node changed: the error names the node and why. */
static void unmappable(struct cpose_model *m)
{
    struct cpose_view_store *s = NULL;
    CHECK(cpose_view_build(m, 1, 64, 64, &s) == CPOSE_OK);
    if (!s) return;
    const struct cpose_view *v = cpose_view_of(s);
    struct cpose_view copy = *v;
    struct cpose_view_node *nodes = malloc((size_t)v->n_nodes * sizeof *nodes);
    for (int i = 0; i < v->n_nodes; i++) nodes[i] = *CPOSE_VIEW_NODE(v, i);
    copy.nodes = nodes, copy.node_size = sizeof *nodes;
    int conv = -1, pool = -1;
    for (int i = 0; i < v->n_nodes; i++) {
        if (conv < 0 && nodes[i].op == CPOSE_VIEW_CONV && nodes[i].p.conv.kh == 3) conv = i;
        if (pool < 0 && nodes[i].op == CPOSE_VIEW_MAXPOOL) pool = i;
    }
    CHECK(conv >= 0 && pool >= 0);
    struct cpose_export x;
    memset(&x, 0, sizeof x);
    struct tfg_options o = {1, 1, 17, 3};
    struct tfg_graph g;
    nodes[conv].p.conv.groups = 2;
    CHECK(tfg_from_view(cpose_plugin_host(), &x, &copy, &o, &g) == CPOSE_PLUGIN_ENOTSUP);
    tfg_free(&g);
    CHECK_CONTAINS(x.error, nodes[conv].name);
    CHECK_CONTAINS(x.error, "(op Conv): grouped convolutions have no mapping");
    cpose_free(x.error), x.error = NULL;
    nodes[conv].p.conv.groups = 1;
    nodes[pool].p.pool.pad_top = 0;  /* 5×5/1 with padding 0,2 before/after: not SAME */
    CHECK(tfg_from_view(cpose_plugin_host(), &x, &copy, &o, &g) == CPOSE_PLUGIN_ENOTSUP);
    tfg_free(&g);
    CHECK_CONTAINS(x.error, nodes[pool].name);
    CHECK_CONTAINS(x.error, "(op MaxPool)");
    cpose_free(x.error), x.error = NULL;
    /* unchanged, the rewrite ends in the [1, 56, A] output with normalised rows */
    nodes[pool].p.pool.pad_top = nodes[pool].p.pool.pad_bottom;
    CHECK(tfg_from_view(cpose_plugin_host(), &x, &copy, &o, &g) == 0);
    if (g.output >= 0) {
        const struct tfg_value *out = &g.values[g.output];
        CHECK(out->ndim == 3 && out->dims[1] == 56 && out->dims[2] == 64 + 16 + 4);
        CHECK(!strcmp(out->name, "output0") && !strcmp(g.values[g.input].name, "images"));
        CHECK(g.values[g.input].dims[3] == 3);  /* NHWC */
        int transposes = 0;
        for (int i = 0; i < g.n_ops; i++) transposes += g.ops[i].kind == TFG_TRANSPOSE;
        CHECK_MSG(transposes == 1, "%d transposes: the head's reshapes should need only the final one", transposes);
        /* the first 3×3 conv: OHWI in the graph, HWIO from tfg_filter_hwio, both against the view's OIHW */
        const struct cpose_view_conv *vc = &nodes[conv].p.conv;
        for (int i = 0; i < g.n_ops; i++) {
            if (g.ops[i].kind != TFG_CONV2D || strcmp(g.ops[i].src, nodes[conv].name)) continue;
            const struct tfg_value *w = &g.values[g.ops[i].in[1]];
            CHECK(w->ndim == 4 && w->dims[0] == vc->cout && w->dims[1] == 3 && w->dims[2] == 3 && w->dims[3] == vc->cin);
            float *hwio = malloc((size_t)tfg_numel(w) * sizeof(float));
            tfg_filter_hwio(w, hwio);
            int bad_ohwi = 0, bad_hwio = 0;
            for (int o = 0; o < vc->cout; o++)
                for (int c = 0; c < vc->cin; c++)
                    for (int y = 0; y < 3; y++)
                        for (int xx = 0; xx < 3; xx++) {
                            float want = vc->weight[((o * vc->cin + c) * 3 + y) * 3 + xx];
                            bad_ohwi += w->data[((o * 3 + y) * 3 + xx) * vc->cin + c] != want;
                            bad_hwio += hwio[((y * 3 + xx) * vc->cin + c) * vc->cout + o] != want;
                        }
            CHECK_MSG(bad_ohwi == 0 && bad_hwio == 0, "%d OHWI and %d HWIO weights misplaced", bad_ohwi, bad_hwio);
            free(hwio);
        }
    }
    tfg_free(&g);
    cpose_free(x.error);
    free(nodes);
    cpose_view_store_free(s);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct cpose_plugin_registry *r = tlt_setup("export-tflite");
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
    if (!m) return tl_finish();
    tl_spread_bn(m);
    const int64_t H = 160, W = 160;
    float *x = cpose_malloc((size_t)(3 * H * W) * sizeof(float));
    uint64_t s = 1;
    for (int64_t i = 0; i < 3 * H * W; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((s >> 40) & 0xffff) / 65535.0f;
    }
    tlt_parity(r, m, x, H, W, 0.5, 2e-3);  /* fp16 measured: 0.12 px, 2.2e-5 */
    unmappable(m);

    /* int8=True without calibration data is refused with a message, nothing written */
    char model_arg[700], folder[800];
    snprintf(model_arg, sizeof model_arg, "%s/yolov8n-pose.h5", tlt_dir);
    snprintf(folder, sizeof folder, "%s/int8", tlt_dir);
    const char *keys[3] = {"imgsz", "int8", "project"}, *vals[3] = {"64", "True", folder};
    char *path = NULL;
    CHECK(cpose_export_run(r, m, model_arg, "tflite", keys, vals, 3, &path) != CPOSE_OK && !path);
    CHECK_CONTAINS(cpose_errmsg(), "int8=True needs data=");
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s' -type f 2>/dev/null)\"", folder);
    CHECK_MSG(system(cmd) == 0, "int8=True left files in %s", folder);

    /* an unwritable folder (a path through a regular file): a clear error, nothing left */
    char blocker[800], bad[900];
    snprintf(blocker, sizeof blocker, "%s/not_a_dir", tlt_dir);
    FILE *f = fopen(blocker, "w");
    if (f) fclose(f);
    snprintf(bad, sizeof bad, "%s/sub", blocker);
    const char *k2[2] = {"imgsz", "project"}, *v2[2] = {"64", bad};
    CHECK(cpose_export_run(r, m, model_arg, "tflite", k2, v2, 2, &path) != CPOSE_OK && !path);
    CHECK_CONTAINS(cpose_errmsg(), "not_a_dir");
    CHECK_MSG(access(bad, F_OK) != 0, "%s was created", bad);

    cpose_free(x);
    cpose_model_free(m);
    cpose_plugins_free(r);
    return tl_finish();
}
