/* exporters/torchscript/torchscript_export.c — format=torchscript: <stem>.torchscript, an archive
 * that torch.jit.load reads (layout found by saving a small scripted module with python3-torch 1.13
 * and reading the zip; FORMATS.md §2):
 *   <stem>/data.pkl          a __torch__.PoseModel object (NEWOBJ + BUILD of its attributes: every
 *                            weight, constant and anchor grid as a buffer, then `training`)
 *   <stem>/data/<n>          the buffers' float32 storages
 *   <stem>/code/__torch__.py the class in TorchScript source, its forward one flat statement per node
 *                            of cpose's graph view (torch.conv2d, silu, cat, max_pool2d,
 *                            upsample_nearest2d, softmax, slice, reshape, permute, arithmetic)
 *   <stem>/constants.pkl     an empty tuple
 *   <stem>/version           "3" (the file format version torch 1.13 writes for these ops)
 *   <stem>/extra/config.txt  Ultralytics' metadata JSON (AutoBackend reads it through _extra_files)
 * The anchor grid is stored at the export's size, as a traced Ultralytics export fixes it: run the
 * file at the imgsz it was exported with (batch may differ). */
#include <stdio.h>
#include <string.h>

#include "exporters/common/host_buf.h"
#include "exporters/common/torch_archive.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg ts_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the example input (the file runs any batch)"},
    {"optimize", CPOSE_PLUGIN_ARG_BOOL, "False", "mobile (lite interpreter) format: not written by this exporter"},
    {NULL, 0, NULL, NULL},
};

/* The buffer a node owns (its weights, constant, or anchors), by kind letter and node id. */
static int owns_data(const struct cpose_view_node *n)
{
    return n->op == CPOSE_VIEW_CONV || n->op == CPOSE_VIEW_CONST || n->op == CPOSE_VIEW_ANCHORS;
}

static void ints(struct host_buf *b, int n, const int *v)
{
    host_buf_printf(b, "[");
    for (int i = 0; i < n; i++) host_buf_printf(b, "%s%d", i ? ", " : "", v[i]);
    host_buf_printf(b, "]");
}

/* One statement of forward for node i (value v<i>); returns 0 or a status with the error recorded. */
static int statement(const struct cpose_host *h, struct cpose_export *x, const struct cpose_view *v, int i,
                     struct host_buf *b)
{
    const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
    const int *in = n->in;
    host_buf_printf(b, "    v%d = ", i);
    static const char *const binary[] = {[CPOSE_VIEW_ADD] = "add", [CPOSE_VIEW_SUB] = "sub",
                                         [CPOSE_VIEW_MUL] = "mul", [CPOSE_VIEW_DIV] = "div"};
    switch (n->op) {
    case CPOSE_VIEW_INPUT: host_buf_printf(b, "x"); break;
    case CPOSE_VIEW_CONST: host_buf_printf(b, "self.c%d", i); break;
    case CPOSE_VIEW_ANCHORS: host_buf_printf(b, "self.a%d", i); break;
    case CPOSE_VIEW_CONV: {
        const struct cpose_view_conv *c = &n->p.conv;
        char src[32];
        snprintf(src, sizeof src, "v%d", in[0]);
        if (c->pad_top != c->pad_bottom || c->pad_left != c->pad_right) {
            host_buf_printf(b, "torch.constant_pad_nd(v%d, [%d, %d, %d, %d], 0.)\n    v%d = ", in[0], c->pad_left,
                            c->pad_right, c->pad_top, c->pad_bottom, i);
            snprintf(src, sizeof src, "v%d", i);
        }
        int sym = c->pad_top == c->pad_bottom && c->pad_left == c->pad_right;
        host_buf_printf(b, "torch.conv2d(%s, self.w%d, self.b%d, [%d, %d], [%d, %d], [%d, %d], %d)", src, i, i,
                        c->stride_h, c->stride_w, sym ? c->pad_top : 0, sym ? c->pad_left : 0, c->dilation_h,
                        c->dilation_w, c->groups);
        break;
    }
    case CPOSE_VIEW_SILU: host_buf_printf(b, "torch.silu(v%d)", in[0]); break;
    case CPOSE_VIEW_SIGMOID: host_buf_printf(b, "torch.sigmoid(v%d)", in[0]); break;
    case CPOSE_VIEW_ADD: case CPOSE_VIEW_SUB: case CPOSE_VIEW_MUL: case CPOSE_VIEW_DIV:
        host_buf_printf(b, "torch.%s(v%d, v%d)", binary[n->op], in[0], in[1]);
        break;
    case CPOSE_VIEW_CONCAT:
        host_buf_printf(b, "torch.cat([");
        for (int j = 0; j < n->n_in; j++) host_buf_printf(b, "%sv%d", j ? ", " : "", in[j]);
        host_buf_printf(b, "], %d)", n->p.axis);
        break;
    case CPOSE_VIEW_SLICE:
        host_buf_printf(b, "torch.slice(v%d, %d, %lld, %lld)", in[0], n->p.slice.axis, (long long)n->p.slice.start,
                        (long long)n->p.slice.end);
        break;
    case CPOSE_VIEW_MAXPOOL: {
        const struct cpose_view_pool *p = &n->p.pool;
        if (p->pad_top != p->pad_bottom || p->pad_left != p->pad_right)
            return h->error(x, CPOSE_PLUGIN_ENOTSUP, "view node %s: asymmetric max-pool padding has no TorchScript "
                            "max_pool2d form", n->name);
        host_buf_printf(b, "torch.max_pool2d(v%d, [%d, %d], [%d, %d], [%d, %d], [1, 1], False)", in[0], p->kh, p->kw,
                        p->stride_h, p->stride_w, p->pad_top, p->pad_left);
        break;
    }
    case CPOSE_VIEW_UPSAMPLE:
        host_buf_printf(b, "torch.upsample_nearest2d(v%d, None, [%d., %d.])", in[0], n->p.upsample.scale_h,
                        n->p.upsample.scale_w);
        break;
    case CPOSE_VIEW_RESHAPE: {
        const struct cpose_view_shape *s = &n->p.reshape;
        host_buf_printf(b, "torch.reshape(v%d, [", in[0]);
        for (int j = 0; j < s->ndim; j++) {
            if (j) host_buf_printf(b, ", ");
            if (s->dims[j] == 0) host_buf_printf(b, "torch.size(v%d, %d)", in[0], j);
            else host_buf_printf(b, "%lld", (long long)s->dims[j]);
        }
        host_buf_printf(b, "])");
        break;
    }
    case CPOSE_VIEW_TRANSPOSE:
        host_buf_printf(b, "torch.permute(v%d, ", in[0]);
        ints(b, n->p.transpose.ndim, n->p.transpose.perm);
        host_buf_printf(b, ")");
        break;
    case CPOSE_VIEW_SOFTMAX: host_buf_printf(b, "torch.softmax(v%d, %d, None)", in[0], n->p.axis); break;
    default:
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "view node %s: op %d has no TorchScript form in this exporter",
                        n->name, n->op);
    }
    host_buf_printf(b, "\n");
    return 0;
}

/* Every buffer name, in declaration order, through fn (used for the class text and the pickle). */
static void declare(struct host_buf *b, const struct cpose_view *v)
{
    host_buf_printf(b, "class PoseModel(Module):\n  __parameters__ = []\n  __buffers__ = [");
    for (int i = 0; i < v->n_nodes; i++) {
        const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
        if (n->op == CPOSE_VIEW_CONV) host_buf_printf(b, "\"w%d\", \"b%d\", ", i, i);
        else if (n->op == CPOSE_VIEW_CONST) host_buf_printf(b, "\"c%d\", ", i);
        else if (n->op == CPOSE_VIEW_ANCHORS) host_buf_printf(b, "\"a%d\", ", i);
    }
    host_buf_printf(b, "]\n");
    for (int i = 0; i < v->n_nodes; i++) {
        const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
        if (n->op == CPOSE_VIEW_CONV) host_buf_printf(b, "  w%d : Tensor\n  b%d : Tensor\n", i, i);
        else if (n->op == CPOSE_VIEW_CONST) host_buf_printf(b, "  c%d : Tensor\n", i);
        else if (n->op == CPOSE_VIEW_ANCHORS) host_buf_printf(b, "  a%d : Tensor\n", i);
    }
    host_buf_printf(b, "  training : bool\n");
}

/* data.pkl: the module object with its buffers and `training`, in declaration order. */
static void pickle_module(struct torch_archive *a, const struct cpose_view *v)
{
    struct pklw *w = &a->pk;
    pklw_proto(w);
    pklw_global(w, "__torch__", "PoseModel");
    pklw_empty_tuple(w);
    pklw_newobj(w);
    pklw_empty_dict(w);
    pklw_mark(w);
    char key[32];
    for (int i = 0; i < v->n_nodes; i++) {
        const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
        if (!owns_data(n)) continue;
        if (n->op == CPOSE_VIEW_CONV) {
            const struct cpose_view_conv *c = &n->p.conv;
            int64_t wd[4] = {c->cout, c->cin / c->groups, c->kh, c->kw}, bd[1] = {c->cout};
            snprintf(key, sizeof key, "w%d", i);
            pklw_str(w, key);
            ta_tensor(a, c->weight, 4, wd, TA_F32, 0);
            snprintf(key, sizeof key, "b%d", i);
            pklw_str(w, key);
            ta_tensor(a, c->bias, 1, bd, TA_F32, 0);
        } else {
            snprintf(key, sizeof key, "%c%d", n->op == CPOSE_VIEW_CONST ? 'c' : 'a', i);
            pklw_str(w, key);
            ta_tensor(a, n->data, n->ndim, n->dims, TA_F32, 0);
        }
    }
    pklw_str(w, "training");
    pklw_bool(w, 0);
    pklw_setitems(w);
    pklw_build(w);
    pklw_stop(w);
}

/* Ultralytics' metadata as one JSON object (the keys in their order). */
static int metadata_json(const struct cpose_host *h, struct cpose_export *x, struct host_buf *b)
{
    host_buf_printf(b, "{");
    const char *const *keys = h->meta_keys(x);
    for (int i = 0; keys[i]; i++) {
        char *val = h->meta_text(x, keys[i], CPOSE_META_JSON);
        if (!val) return CPOSE_PLUGIN_EINVAL;
        host_buf_printf(b, "%s\"%s\": %s", i ? ", " : "", keys[i], val);
        h->free(val);
    }
    host_buf_printf(b, "}");
    return 0;
}

static int export_torchscript(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    if (h->arg_bool(x, "optimize"))
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "optimize=True asks for the mobile (lite interpreter) format, which "
                        "this exporter does not write; export with optimize=False and run "
                        "torch.utils.mobile_optimizer.optimize_for_mobile on the result if you need it");
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    struct host_buf code = {h, NULL, 0, 0}, meta = {h, NULL, 0, 0};
    declare(&code, v);
    host_buf_printf(&code, "  def forward(self: __torch__.PoseModel,\n    x: Tensor) -> Tensor:\n");
    int rc = 0;
    for (int i = 0; i < v->n_nodes && !rc; i++) rc = statement(h, x, v, i, &code);
    if (!rc) {
        host_buf_printf(&code, "    return v%d\n", v->output);
        rc = metadata_json(h, x, &meta);
    }
    struct torch_archive a;
    ta_init(&a, h, x);
    if (!rc) {
        h->progress(x, 0.2, "torchscript: pickling the module");
        pickle_module(&a, v);
        static const uint8_t empty_tuple_pickle[] = {0x80, 2, ')', '.'};
        ta_member(&a, "code/__torch__.py", code.p, code.len);
        ta_member(&a, "constants.pkl", empty_tuple_pickle, sizeof empty_tuple_pickle);
        ta_member(&a, "version", "3\n", 2);
        ta_member(&a, "extra/config.txt", meta.p, meta.len);
        rc = ta_write(&a, out_path);
    }
    if (!rc) h->log(x, CPOSE_PLUGIN_LOG_INFO, "%s: %d statements, %d tensors", out_path, v->n_nodes, a.n_storages);
    ta_free(&a);
    h->free(code.p), h->free(meta.p);
    return rc;
}

static const struct cpose_plugin ts_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "torchscript",
    .suffix = ".torchscript",
    .is_dir = 0,
    .args = ts_args,
    .description = "TorchScript archive for torch.jit.load (flat generated forward, float32): <stem>.torchscript",
    .export_model = export_torchscript,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &ts_plugin; }
