/* exporters/tf/pb_export.c — the TF GraphDef exporter plugin (cpose-export-pb.so): `format=pb` writes
 * `<stem>.pb`, a frozen tensorflow.GraphDef as Ultralytics' export_pb leaves it (Placeholder `x`
 * float32 NHWC, weights as Const nodes, one sink `Identity` [B, 4 + nc + nk·kd, A] with coordinates
 * in pixels). The node list is exporters/tf/tf_graphdef.h's, shared with SavedModel and TF.js. */
#include <string.h>

#include "exporters/tf/tf_graphdef.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg pb_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the input"},
    {NULL, 0, NULL, NULL},
};

static int export_pb(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    struct tfg_graph g;
    struct tfgd_graph gd;
    h->progress(x, 0.1, "pb: NHWC graph");
    int rc = tfgd_from_export(h, x, &g, &gd);
    uint8_t *bytes = NULL;
    size_t n = 0;
    if (rc == 0) {
        h->progress(x, 0.5, "pb: GraphDef");
        bytes = tfgd_encode_graphdef(&gd, &n);
        rc = bytes ? h->write_file(x, out_path, bytes, n) : CPOSE_PLUGIN_ENOMEM;
    }
    if (rc == 0) {
        h->progress(x, 1.0, "pb: done");
        h->log(x, CPOSE_PLUGIN_LOG_INFO, "%s: frozen GraphDef, %d nodes, input x:0, output Identity:0, %.1f MB, "
               "coordinates in pixels", out_path, gd.n_nodes, (double)n / 1e6);
    }
    h->free(bytes);
    tfgd_free(&gd);
    tfg_free(&g);
    return rc;
}

static const struct cpose_plugin pb_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "pb",
    .suffix = ".pb",
    .is_dir = 0,
    .args = pb_args,
    .description = "TF GraphDef (frozen, NHWC, Placeholder x → Identity): <stem>.pb",
    .export_model = export_pb,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &pb_plugin; }
