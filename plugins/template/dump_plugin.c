/* plugins/template/dump_plugin.c — the template exporter plugin (format=dump): writes the graph
 * view as readable text, one node per line, with the metadata on top. Copy this file to start a
 * plugin of your own; plugins/README.md shows how to build it outside the cpose tree.
 *
 * It uses only the installed header (pkg-config cpose-plugin) and the host table it is given:
 * no symbol of cpose is linked. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cpose_plugin.h>

/* The arguments this format takes (others are refused by cpose before export_dump runs). */
static const struct cpose_plugin_arg dump_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size"},
    {"weights", CPOSE_PLUGIN_ARG_BOOL, "False", "also print the first values of each conv's weights"},
    {NULL, 0, NULL, NULL},
};

static const char *const op_names[] = {"Input", "Const", "Conv", "SiLU", "Sigmoid", "Add", "Sub", "Mul", "Div",
                                       "Concat", "Slice", "MaxPool", "Upsample", "Reshape", "Transpose", "Softmax",
                                       "Anchors"};

/* A growing text buffer (host memory). */
struct text {
    const struct cpose_host *h;
    char *s;
    size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->s = t->h->realloc(t->s, t->cap);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

static void add_dims(struct text *t, int ndim, const int64_t *dims)
{
    add(t, "[");
    for (int i = 0; i < ndim; i++) add(t, "%s%lld", i ? ", " : "", (long long)dims[i]);
    add(t, "]");
}

static int export_dump(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;  /* the host recorded why */
    struct text t = {h, NULL, 0, 0};
    add(&t, "# cpose graph view: %d nodes, input %d, output %d\n", v->n_nodes, v->input, v->output);
    for (const char *const *k = h->meta_keys(x); *k; k++) {
        char *val = h->meta_text(x, *k, CPOSE_META_PYTHON);
        add(&t, "# %s: %s\n", *k, val ? val : "?");
        h->free(val);
    }
    int weights = h->arg_bool(x, "weights");
    for (int i = 0; i < v->n_nodes; i++) {
        const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
        const char *op = n->op >= 0 && n->op < (int)(sizeof op_names / sizeof *op_names) ? op_names[n->op] : "?";
        add(&t, "%4d %-9s %-40s in(", i, op, n->name);
        for (int j = 0; j < n->n_in; j++) add(&t, "%s%d", j ? "," : "", n->in[j]);
        add(&t, ") ");
        add_dims(&t, n->ndim, n->dims);
        switch (n->op) {
        case CPOSE_VIEW_CONV:
            add(&t, " k=%dx%d s=%d p=%d,%d,%d,%d g=%d w=%s", n->p.conv.kh, n->p.conv.kw, n->p.conv.stride_h,
                n->p.conv.pad_top, n->p.conv.pad_left, n->p.conv.pad_bottom, n->p.conv.pad_right, n->p.conv.groups,
                n->p.conv.weight_name);
            if (weights) add(&t, " w[0]=%.6g b[0]=%.6g", n->p.conv.weight[0], n->p.conv.bias[0]);
            break;
        case CPOSE_VIEW_CONCAT:
        case CPOSE_VIEW_SOFTMAX: add(&t, " axis=%d", n->p.axis); break;
        case CPOSE_VIEW_SLICE:
            add(&t, " axis=%d [%lld:%lld]", n->p.slice.axis, (long long)n->p.slice.start, (long long)n->p.slice.end);
            break;
        case CPOSE_VIEW_MAXPOOL: add(&t, " k=%d s=%d p=%d", n->p.pool.kh, n->p.pool.stride_h, n->p.pool.pad_top); break;
        case CPOSE_VIEW_UPSAMPLE: add(&t, " scale=%d", n->p.upsample.scale_h); break;
        case CPOSE_VIEW_RESHAPE: add(&t, " to="), add_dims(&t, n->p.reshape.ndim, n->p.reshape.dims); break;
        case CPOSE_VIEW_TRANSPOSE:
            add(&t, " perm=");
            for (int j = 0; j < n->p.transpose.ndim; j++) add(&t, "%s%d", j ? "," : "", n->p.transpose.perm[j]);
            break;
        case CPOSE_VIEW_CONST: add(&t, " value[0]=%g", n->data[0]); break;
        default: break;
        }
        add(&t, "\n");
        if (i % 64 == 0) h->progress(x, (double)i / v->n_nodes, "dump");
    }
    h->progress(x, 1.0, "dump");
    int rc = h->write_file(x, out_path, t.s, t.len);  /* atomic: nothing half-written on failure */
    h->free(t.s);
    return rc;
}

static const struct cpose_plugin dump_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "dump",
    .suffix = ".dump.txt",
    .is_dir = 0,
    .args = dump_args,
    .description = "readable text dump of the graph view (the template plugin)",
    .export_model = export_dump,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &dump_plugin; }
