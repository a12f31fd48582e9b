/* exporters/ncnn/ncnn_export.c — the ncnn exporter plugin (cpose-export-ncnn.so): the graph view
 * written as ncnn's text .param and raw .bin (FORMATS.md §13) into `<stem>_ncnn_model/` with
 * model.ncnn.param, model.ncnn.bin and metadata.yaml, as Ultralytics' export (through pnnx) lays it
 * out: input blob `in0` (w, h, c), output blob `out0`, a 2-D Mat h = 4 + nc + nkpt·kdim, w = anchors.
 *
 * Translation (ncnn Mats have no batch axis, so view axis a is ncnn axis a − 1 and batch must be 1):
 *   Input → Input 0=w 1=h 2=c; Conv → Convolution (weights OIHW after a 4-byte storage flag, fp32 or
 *   fp16 with half=True; bias raw fp32); SiLU → Swish; Sigmoid → Sigmoid; Add/Sub/Mul/Div →
 *   BinaryOp (a one-value constant operand as with_scalar, reversed ops when it is on the left);
 *   Concat → Concat; Slice → Crop (numpy-style starts/ends/axes arrays); MaxPool → Pooling;
 *   Upsample → Interp (nearest); Reshape → Reshape (the static dims); Transpose → Permute;
 *   Softmax → Softmax (fixbug); Anchors and larger constants → MemoryData (raw fp32).
 * A value read by more than one layer goes through a Split layer (ncnn lets each blob be consumed
 * once). Floats are printed with a '.' or an exponent, as ncnn's param parser needs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exporters/common/fp16.h"
#include "exporters/common/meta_yaml.h"
#include "exporters/common/host_buf.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg ncnn_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size (ncnn Mats hold one image: 1 only)"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "fp16 convolution weights (flag 0x01306B47)"},
    {NULL, 0, NULL, NULL},
};

#define NCNN_MAGIC 7767517
#define NCNN_FLAG_FP16 0x01306B47u

/* A float as ncnn's parser reads floats: always with a '.' or an exponent. */
static void fmt_float(char *out, size_t cap, float v)
{
    snprintf(out, cap, "%.9g", (double)v);
    if (!strpbrk(out, ".eEn")) strncat(out, ".0", cap - strlen(out) - 1);
}

struct writer {
    const struct cpose_host *h;
    struct cpose_export *x;
    const struct cpose_view *v;
    int half;
    struct host_buf param, bin;
    int n_layers, n_blobs;
    int *uses;       /* per node: layers reading its value (scalar constants and Anchors' input excluded) */
    int *taken;      /* per node: how many of those reads were handed out */
    char **blob;     /* per node: its blob name (NULL: not a blob) */
};

static const struct cpose_view_node *node(const struct writer *w, int i) { return CPOSE_VIEW_NODE(w->v, i); }

static int is_scalar_const(const struct writer *w, int i)
{
    const struct cpose_view_node *n = node(w, i);
    return n->op == CPOSE_VIEW_CONST && n->ndim <= 1 && (n->ndim == 0 || n->dims[0] == 1);
}

/* Does node i read input k as a blob (not a folded scalar or the Anchors' shape source)? */
static int reads_blob(const struct writer *w, int i, int k)
{
    const struct cpose_view_node *n = node(w, i);
    if (n->op == CPOSE_VIEW_ANCHORS) return 0;
    return !is_scalar_const(w, n->in[k]);
}

static char *dup_name(const struct cpose_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *dup_name(const struct cpose_host *h, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    size_t n = strlen(tmp) + 1;
    char *s = h->alloc(n);
    memcpy(s, tmp, n);
    return s;
}

/* Writes into tmp the blob name node i's next consumer reads: the value itself (one reader) or its
 * next Split output. */
static void take_blob(struct writer *w, int i, char *tmp, size_t cap)
{
    if (w->uses[i] <= 1) snprintf(tmp, cap, "%s", w->blob[i]);
    else snprintf(tmp, cap, "%s_splitncnn_%d", w->blob[i], w->taken[i]++);
}

/* The layer line's head: type, name, input and output blobs. */
static void layer_begin(struct writer *w, const char *type, const char *name, int n_in, const char *const *ins,
                        int n_out, const char *const *outs)
{
    host_buf_printf(&w->param, "%-16s %-32s %d %d", type, name, n_in, n_out);
    for (int k = 0; k < n_in; k++) host_buf_printf(&w->param, " %s", ins[k]);
    for (int k = 0; k < n_out; k++) host_buf_printf(&w->param, " %s", outs[k]);
    w->n_layers++;
}

/* After node i's layer: a Split when several layers read it. */
static void maybe_split(struct writer *w, int i)
{
    if (w->uses[i] <= 1) return;
    int n = w->uses[i];
    char name[200];
    snprintf(name, sizeof name, "splitncnn_%d", i);
    host_buf_printf(&w->param, "%-16s %-32s 1 %d %s", "Split", name, n, w->blob[i]);
    for (int k = 0; k < n; k++) host_buf_printf(&w->param, " %s_splitncnn_%d", w->blob[i], k);
    host_buf_printf(&w->param, "\n");
    w->n_layers++;
    w->n_blobs += n;
}

static void write_f32(struct writer *w, const float *p, size_t n) { host_buf_add(&w->bin, p, n * sizeof(float)); }

/* ncnn's 3-D Permute order types: output (w, h, c) taken from input axes (0 = w, 1 = h, 2 = c). */
static int permute_type(const int src_whc[3])
{
    static const int table[6][3] = {{0, 1, 2}, {1, 0, 2}, {0, 2, 1}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}};
    for (int t = 0; t < 6; t++)
        if (table[t][0] == src_whc[0] && table[t][1] == src_whc[1] && table[t][2] == src_whc[2]) return t;
    return -1;
}

/* Writes node i (its layer line and weights). Returns 0 or a status with the error recorded. */
static int write_node(struct writer *w, int i)
{
    const struct cpose_host *h = w->h;
    const struct cpose_view_node *n = node(w, i);
    char names[8][300], f[64];
    const char *ins[8];
    int n_in = 0;
    if (n->op != CPOSE_VIEW_INPUT && n->op != CPOSE_VIEW_CONST && n->op != CPOSE_VIEW_ANCHORS)
        for (int k = 0; k < n->n_in; k++)
            if (reads_blob(w, i, k)) {
                take_blob(w, n->in[k], names[n_in], sizeof names[n_in]);
                ins[n_in] = names[n_in];
                n_in++;
            }
    const char *out = w->blob[i];
    int rank = n->ndim - 1;  /* ncnn drops the batch axis */
    switch (n->op) {
    case CPOSE_VIEW_INPUT:
        layer_begin(w, "Input", "in0", 0, NULL, 1, &out);
        host_buf_printf(&w->param, " 0=%lld 1=%lld 2=%lld", (long long)n->dims[3], (long long)n->dims[2], (long long)n->dims[1]);
        break;
    case CPOSE_VIEW_CONST:
        if (is_scalar_const(w, i)) return CPOSE_PLUGIN_OK;  /* folded into its BinaryOps */
        /* fallthrough */
    case CPOSE_VIEW_ANCHORS: {
        if (rank < 1 || rank > 3 || !n->data)
            return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': a %d-D constant has no ncnn MemoryData form", n->name,
                            n->ndim);
        layer_begin(w, "MemoryData", n->name, 0, NULL, 1, &out);
        host_buf_printf(&w->param, " 0=%lld", (long long)n->dims[n->ndim - 1]);
        if (rank >= 2) host_buf_printf(&w->param, " 1=%lld", (long long)n->dims[n->ndim - 2]);
        if (rank >= 3) host_buf_printf(&w->param, " 2=%lld", (long long)n->dims[n->ndim - 3]);
        int64_t numel = 1;
        for (int d = 0; d < n->ndim; d++) numel *= n->dims[d];
        write_f32(w, n->data, (size_t)numel);
        break;
    }
    case CPOSE_VIEW_CONV: {
        const struct cpose_view_conv *c = &n->p.conv;
        if (c->groups != 1)
            return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': grouped convolution (groups=%d)", n->name, c->groups);
        size_t wn = (size_t)c->cout * c->cin * c->kh * c->kw;
        layer_begin(w, "Convolution", n->name, 1, ins, 1, &out);
        host_buf_printf(&w->param, " 0=%d 1=%d 11=%d 2=%d 12=%d 3=%d 13=%d 4=%d 14=%d 15=%d 16=%d 5=1 6=%zu", c->cout, c->kw,
                   c->kh, c->dilation_w, c->dilation_h, c->stride_w, c->stride_h, c->pad_left, c->pad_top, c->pad_right,
                   c->pad_bottom, wn);
        if (w->half) {
            uint32_t flag = NCNN_FLAG_FP16;
            host_buf_add(&w->bin, &flag, 4);
            uint16_t *hw = h->alloc(wn * sizeof(uint16_t) + 2);
            cpose_fp16_convert(c->weight, hw, wn);
            hw[wn] = 0;
            host_buf_add(&w->bin, hw, (wn * 2 + 3) / 4 * 4);  /* padded to 4 bytes */
            h->free(hw);
        } else {
            uint32_t flag = 0;
            host_buf_add(&w->bin, &flag, 4);
            write_f32(w, c->weight, wn);
        }
        write_f32(w, c->bias, (size_t)c->cout);
        break;
    }
    case CPOSE_VIEW_SILU: layer_begin(w, "Swish", n->name, 1, ins, 1, &out); break;
    case CPOSE_VIEW_SIGMOID: layer_begin(w, "Sigmoid", n->name, 1, ins, 1, &out); break;
    case CPOSE_VIEW_ADD:
    case CPOSE_VIEW_SUB:
    case CPOSE_VIEW_MUL:
    case CPOSE_VIEW_DIV: {
        static const int op_of[] = {[CPOSE_VIEW_ADD] = 0, [CPOSE_VIEW_SUB] = 1, [CPOSE_VIEW_MUL] = 2, [CPOSE_VIEW_DIV] = 3};
        int op = op_of[n->op], sa = is_scalar_const(w, n->in[0]), sb = is_scalar_const(w, n->in[1]);
        if (sa && sb)
            return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': an op of two constants (fold it first)", n->name);
        layer_begin(w, "BinaryOp", n->name, n_in, ins, 1, &out);
        if (sa || sb) {
            if (sa && op == 1) op = 7;       /* RSUB: b − x */
            else if (sa && op == 3) op = 8;  /* RDIV: b / x */
            fmt_float(f, sizeof f, node(w, n->in[sa ? 0 : 1])->data[0]);
            host_buf_printf(&w->param, " 0=%d 1=1 2=%s", op, f);
        } else {
            host_buf_printf(&w->param, " 0=%d", op);
        }
        break;
    }
    case CPOSE_VIEW_CONCAT:
        layer_begin(w, "Concat", n->name, n_in, ins, 1, &out);
        host_buf_printf(&w->param, " 0=%d", n->p.axis - 1);
        break;
    case CPOSE_VIEW_SLICE:
        if (n->p.slice.axis < 1)
            return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': a slice along the batch axis", n->name);
        layer_begin(w, "Crop", n->name, 1, ins, 1, &out);
        host_buf_printf(&w->param, " -23309=1,%lld -23310=1,%lld -23311=1,%d", (long long)n->p.slice.start,
                   (long long)n->p.slice.end, n->p.slice.axis - 1);
        break;
    case CPOSE_VIEW_MAXPOOL: {
        const struct cpose_view_pool *p = &n->p.pool;
        layer_begin(w, "Pooling", n->name, 1, ins, 1, &out);
        host_buf_printf(&w->param, " 0=0 1=%d 11=%d 2=%d 12=%d 3=%d 13=%d 14=%d 15=%d 5=1", p->kw, p->kh, p->stride_w,
                   p->stride_h, p->pad_left, p->pad_top, p->pad_right, p->pad_bottom);
        break;
    }
    case CPOSE_VIEW_UPSAMPLE: {
        char fh[64];
        fmt_float(fh, sizeof fh, (float)n->p.upsample.scale_h);
        fmt_float(f, sizeof f, (float)n->p.upsample.scale_w);
        layer_begin(w, "Interp", n->name, 1, ins, 1, &out);
        host_buf_printf(&w->param, " 0=1 1=%s 2=%s", fh, f);
        break;
    }
    case CPOSE_VIEW_RESHAPE: {
        if (rank < 1 || rank > 3)
            return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': a %d-D reshape has no ncnn form here", n->name, n->ndim);
        layer_begin(w, "Reshape", n->name, 1, ins, 1, &out);
        host_buf_printf(&w->param, " 0=%lld", (long long)n->dims[n->ndim - 1]);
        if (rank >= 2) host_buf_printf(&w->param, " 1=%lld", (long long)n->dims[n->ndim - 2]);
        if (rank >= 3) host_buf_printf(&w->param, " 2=%lld", (long long)n->dims[n->ndim - 3]);
        break;
    }
    case CPOSE_VIEW_TRANSPOSE: {
        const struct cpose_view_perm *p = &n->p.transpose;
        int t = -1;
        if (p->ndim == 4 && p->perm[0] == 0) {
            /* view axis a (1..3) is ncnn c, h, w; out axis j takes in axis perm[j] */
            int src[3];
            for (int j = 0; j < 3; j++) src[2 - j] = 3 - p->perm[1 + j];  /* output w, h, c from input w/h/c */
            t = permute_type(src);
        }
        if (t < 0)
            return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': transpose not expressible as an ncnn 3-D Permute",
                            n->name);
        layer_begin(w, "Permute", n->name, 1, ins, 1, &out);
        host_buf_printf(&w->param, " 0=%d", t);
        break;
    }
    case CPOSE_VIEW_SOFTMAX:
        layer_begin(w, "Softmax", n->name, 1, ins, 1, &out);
        host_buf_printf(&w->param, " 0=%d 1=1", n->p.axis - 1);
        break;
    default:
        return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': op %d has no ncnn form in this exporter", n->name, n->op);
    }
    host_buf_printf(&w->param, "\n");
    w->n_blobs++;
    maybe_split(w, i);
    return CPOSE_PLUGIN_OK;
}

static int write_files(struct writer *w, const char *dir)
{
    const struct cpose_host *h = w->h;
    size_t plen = strlen(dir) + 32;
    char *path = h->alloc(plen);
    struct host_buf whole = {h, NULL, 0, 0};
    host_buf_printf(&whole, "%d\n%d %d\n", NCNN_MAGIC, w->n_layers, w->n_blobs);
    host_buf_add(&whole, w->param.p, w->param.len);
    snprintf(path, plen, "%s/model.ncnn.param", dir);
    int rc = h->write_file(w->x, path, whole.p, whole.len);
    if (rc == CPOSE_PLUGIN_OK) {
        snprintf(path, plen, "%s/model.ncnn.bin", dir);
        rc = h->write_file(w->x, path, w->bin.p ? w->bin.p : "", w->bin.len);
    }
    h->free(whole.p);
    h->free(path);
    return rc;
}

static int export_ncnn(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    if (v->batch != 1)
        return h->error(x, CPOSE_PLUGIN_EINVAL, "batch=%lld: an ncnn Mat holds one image; export with batch=1",
                        (long long)v->batch);
    struct writer w;
    memset(&w, 0, sizeof w);
    w.h = h, w.x = x, w.v = v, w.half = h->arg_bool(x, "half");
    w.param.h = w.bin.h = h;
    w.uses = h->calloc((size_t)v->n_nodes, sizeof(int));
    w.taken = h->calloc((size_t)v->n_nodes, sizeof(int));
    w.blob = h->calloc((size_t)v->n_nodes, sizeof(char *));
    for (int i = 0; i < v->n_nodes; i++) {
        const struct cpose_view_node *n = node(&w, i);
        for (int k = 0; k < n->n_in; k++)
            if (reads_blob(&w, i, k)) w.uses[n->in[k]]++;
        w.blob[i] = n->op == CPOSE_VIEW_INPUT ? dup_name(h, "in0") : i == v->output ? dup_name(h, "out0")
                                                                                   : dup_name(h, "%d", i);
    }
    int rc = CPOSE_PLUGIN_OK;
    for (int i = 0; i < v->n_nodes && rc == CPOSE_PLUGIN_OK; i++) {
        rc = write_node(&w, i);
        if (i % 64 == 0) h->progress(x, 0.8 * i / v->n_nodes, "ncnn: layers");
    }
    if (rc == CPOSE_PLUGIN_OK) rc = h->make_dir(x, out_path);
    if (rc == CPOSE_PLUGIN_OK) rc = write_files(&w, out_path);
    if (rc == CPOSE_PLUGIN_OK) rc = cpose_write_metadata_yaml(h, x, out_path);
    if (rc == CPOSE_PLUGIN_OK)
        h->log(x, CPOSE_PLUGIN_LOG_INFO, "%d layers, %d blobs, %zu weight bytes%s", w.n_layers, w.n_blobs, w.bin.len,
               w.half ? ", fp16" : "");
    h->progress(x, 1.0, "ncnn: done");
    for (int i = 0; i < v->n_nodes; i++) h->free(w.blob[i]);
    h->free(w.blob), h->free(w.uses), h->free(w.taken);
    h->free(w.param.p), h->free(w.bin.p);
    return rc;
}

static const struct cpose_plugin ncnn_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "ncnn",
    .suffix = "_ncnn_model",
    .is_dir = 1,
    .args = ncnn_args,
    .description = "ncnn (model.ncnn.param + model.ncnn.bin + metadata.yaml): input in0, output out0 (56 x anchors)",
    .export_model = export_ncnn,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &ncnn_plugin; }
