/* exporters/openvino/openvino_export.c — the OpenVINO exporter plugin (cpose-export-openvino.so):
 * the graph view as OpenVINO IR v11 (FORMATS.md §4) in `<stem>_openvino_model/` with `<stem>.xml`,
 * `<stem>.bin` and metadata.yaml, as Ultralytics' export lays it out.
 *
 * Layers: Parameter-1 `images`, Const-1 (data in the .bin at 64-byte aligned offsets), Convolution-1
 * with its OIHW weights as a Const input and the bias as an Add-1 of a [1,C,1,1] Const, Swish-4
 * (SiLU), Sigmoid-1, Add/Subtract/Multiply/Divide-1 (numpy broadcast), Concat-1, Slice-8,
 * MaxPool-1, Interpolate-11 (nearest, asymmetric, floor), Reshape-1 (special_zero), Transpose-1,
 * SoftMax-8 and Result-1 (`output0`). Every port carries its dims; ports are numbered inputs then
 * outputs; edges join an output port to an input port. half=True stores the float Consts as f16, each
 * followed by Convert-1 to f32 (what OpenVINO's compress_to_fp16 writes). int8=True inserts
 * FakeQuantize-1 (NNCF's form) from the host's calibration ranges: levels 256 on every conv input
 * (asymmetric, 0 on the grid, one per value) and levels 255 per output channel on every conv's
 * weights (symmetric), with the head's decode (DFL conv, anchors arithmetic, sigmoids) kept in float
 * as Ultralytics' ignored scope does. rt_info/model_info carries what
 * Ultralytics sets (model_type, reverse_input_channels, pad_value, scale_values, iou_threshold,
 * labels, resize_type). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exporters/common/fp16.h"
#include "exporters/common/meta_yaml.h"
#include "exporters/common/host_buf.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg ov_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the input"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "f16 Consts, each followed by Convert to f32"},
    {"int8", CPOSE_PLUGIN_ARG_BOOL, "False", "INT8 FakeQuantize on conv inputs and weights, calibrated on data=; head decode float"},
    {"data", CPOSE_PLUGIN_ARG_STR, "", "int8 calibration dataset YAML (its val images; default: the model's train data)"},
    {"fraction", CPOSE_PLUGIN_ARG_FLOAT, "1.0", "int8: fraction of the val images used for calibration"},
    {"iou", CPOSE_PLUGIN_ARG_FLOAT, "0.7", "iou_threshold written to rt_info/model_info"},
    {NULL, 0, NULL, NULL},
};

/* Text with XML's five special characters escaped. */
static void buf_xml(struct host_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': host_buf_add(b, "&amp;", 5); break;
        case '<': host_buf_add(b, "&lt;", 4); break;
        case '>': host_buf_add(b, "&gt;", 4); break;
        case '"': host_buf_add(b, "&quot;", 6); break;
        case '\'': host_buf_add(b, "&apos;", 6); break;
        default: host_buf_add(b, s, 1);
        }
    }
}

/* A value in the IR: the layer and output port producing it, and its dims. */
struct val {
    int layer, port, ndim;
    int64_t dims[CPOSE_VIEW_MAX_DIMS];
    const char *prec;  /* "FP32", "FP16", "I64" */
};

struct ir {
    const struct cpose_host *h;
    struct cpose_export *x;
    int half;
    struct host_buf xml, edges, bin;
    int n_layers;
    const struct cpose_value_range *ranges;  /* int8: calibration ranges per view node, else NULL */
    struct val *fq;                          /* int8: the FakeQuantize of view node i's value (fq_done[i]) */
    char *fq_done;
    int n_fq;
};

static void dims_xml(struct ir *w, const int64_t *d, int nd)
{
    for (int k = 0; k < nd; k++) host_buf_printf(&w->xml, "\t\t\t\t\t<dim>%lld</dim>\n", (long long)d[k]);
}

static void shape_attr(struct host_buf *b, const int64_t *d, int nd)
{
    for (int k = 0; k < nd; k++) host_buf_printf(b, "%s%lld", k ? "," : "", (long long)d[k]);
}

/* Emits one layer: inputs (edges added), data attributes (preformatted, may be NULL), one output
 * of dims out (names: the tensor name or NULL). Returns its output value. */
static struct val layer(struct ir *w, const char *name, const char *type, const char *opset, const char *data,
                        const struct val *ins, int n_in, const int64_t *out, int out_nd, const char *prec,
                        const char *names)
{
    int id = w->n_layers++;
    host_buf_printf(&w->xml, "\t\t<layer id=\"%d\" name=\"", id);
    buf_xml(&w->xml, name);
    host_buf_printf(&w->xml, "\" type=\"%s\" version=\"%s\">\n", type, opset);
    if (data) host_buf_printf(&w->xml, "\t\t\t<data %s />\n", data);
    if (n_in) {
        host_buf_printf(&w->xml, "\t\t\t<input>\n");
        for (int k = 0; k < n_in; k++) {
            host_buf_printf(&w->xml, "\t\t\t\t<port id=\"%d\" precision=\"%s\">\n", k, ins[k].prec);
            dims_xml(w, ins[k].dims, ins[k].ndim);
            host_buf_printf(&w->xml, "\t\t\t\t</port>\n");
            host_buf_printf(&w->edges, "\t\t<edge from-layer=\"%d\" from-port=\"%d\" to-layer=\"%d\" to-port=\"%d\" />\n",
                       ins[k].layer, ins[k].port, id, k);
        }
        host_buf_printf(&w->xml, "\t\t\t</input>\n");
    }
    struct val v = {id, n_in, out_nd, {0}, prec};
    if (out_nd >= 0) {
        host_buf_printf(&w->xml, "\t\t\t<output>\n\t\t\t\t<port id=\"%d\" precision=\"%s\"", n_in, prec);
        if (names) {
            host_buf_printf(&w->xml, " names=\"");
            buf_xml(&w->xml, names);
            host_buf_printf(&w->xml, "\"");
        }
        host_buf_printf(&w->xml, ">\n");
        dims_xml(w, out, out_nd);
        host_buf_printf(&w->xml, "\t\t\t\t</port>\n\t\t\t</output>\n");
        memcpy(v.dims, out, (size_t)out_nd * sizeof(int64_t));
    }
    host_buf_printf(&w->xml, "\t\t</layer>\n");
    return v;
}

/* Appends bytes to the .bin at a 64-byte aligned offset; returns the offset. */
static size_t bin_put(struct ir *w, const void *p, size_t n)
{
    static const char zeros[64];
    if (w->bin.len % 64) host_buf_add(&w->bin, zeros, 64 - w->bin.len % 64);
    size_t off = w->bin.len;
    host_buf_add(&w->bin, p, n);
    return off;
}

/* A float Const (f16 + Convert with half=True). */
static struct val const_f32(struct ir *w, const char *name, const float *data, const int64_t *dims, int nd)
{
    int64_t n = 1;
    for (int k = 0; k < nd; k++) n *= dims[k];
    char attrs[512], shape[256] = "";
    struct host_buf sb = {w->h, NULL, 0, 0};
    shape_attr(&sb, dims, nd);
    snprintf(shape, sizeof shape, "%s", sb.p ? sb.p : "");
    w->h->free(sb.p);
    if (!w->half) {
        size_t off = bin_put(w, data, (size_t)n * 4);
        snprintf(attrs, sizeof attrs, "element_type=\"f32\" shape=\"%s\" offset=\"%zu\" size=\"%zu\"", shape, off,
                 (size_t)n * 4);
        return layer(w, name, "Const", "opset1", attrs, NULL, 0, dims, nd, "FP32", NULL);
    }
    uint16_t *hv = w->h->alloc((size_t)n * 2 + 2);
    cpose_fp16_convert(data, hv, (size_t)n);
    size_t off = bin_put(w, hv, (size_t)n * 2);
    w->h->free(hv);
    snprintf(attrs, sizeof attrs, "element_type=\"f16\" shape=\"%s\" offset=\"%zu\" size=\"%zu\"", shape, off,
             (size_t)n * 2);
    struct val c = layer(w, name, "Const", "opset1", attrs, NULL, 0, dims, nd, "FP16", NULL);
    char cname[300];
    snprintf(cname, sizeof cname, "%s/to_f32", name);
    return layer(w, cname, "Convert", "opset1", "destination_type=\"f32\"", &c, 1, dims, nd, "FP32", NULL);
}

static struct val const_i64(struct ir *w, const char *name, const int64_t *v, int n)
{
    char attrs[256];
    size_t off = bin_put(w, v, (size_t)n * 8);
    snprintf(attrs, sizeof attrs, "element_type=\"i64\" shape=\"%d\" offset=\"%zu\" size=\"%zu\"", n, off, (size_t)n * 8);
    int64_t d = n;
    return layer(w, name, "Const", "opset1", attrs, NULL, 0, &d, 1, "I64", NULL);
}

static void aux_name(char *out, size_t cap, const char *base, const char *what) { snprintf(out, cap, "%s/%s", base, what); }

/* Four range Consts and a FakeQuantize-1 of x (levels; ranges of cnt values, dims rd). */
static struct val fake_quantize(struct ir *w, const char *name, struct val x, int levels, const float *lo, const float *hi,
                                const int64_t *rd, int rnd)
{
    char an[340], attrs[64];
    struct val in[5] = {x};
    const char *what[4] = {"input_low", "input_high", "output_low", "output_high"};
    for (int k = 0; k < 4; k++) {
        snprintf(an, sizeof an, "%s/fq/%s", name, what[k]);
        in[k + 1] = const_f32(w, an, k % 2 ? hi : lo, rd, rnd);
    }
    snprintf(an, sizeof an, "%s/fq", name);
    snprintf(attrs, sizeof attrs, "levels=\"%d\" auto_broadcast=\"numpy\"", levels);
    w->n_fq++;
    return layer(w, an, "FakeQuantize", "opset1", attrs, in, 5, x.dims, x.ndim, "FP32", NULL);
}

/* The activation FakeQuantize of view node j's value (one per value, shared by its consumers):
 * levels 256 over the calibration range widened to hold 0 and shifted so 0 is on the grid (the
 * asymmetric uint8 quantisation NNCF applies to activations). */
static struct val fq_activation(struct ir *w, const struct cpose_view *view, int j, struct val x)
{
    if (w->fq_done[j]) return w->fq[j];
    float lo = w->ranges[j].min < 0 ? w->ranges[j].min : 0, hi = w->ranges[j].max > 0 ? w->ranges[j].max : 0;
    if (hi - lo < 1e-8f) hi = lo + 1e-8f;
    float scale = (hi - lo) / 255.0f, zp = nearbyintf(-lo / scale);
    zp = zp < 0 ? 0 : zp > 255 ? 255 : zp;
    lo = -zp * scale, hi = lo + 255.0f * scale;
    const int64_t rd[4] = {1, 1, 1, 1};
    w->fq[j] = fake_quantize(w, CPOSE_VIEW_NODE(view, j)->name, x, 256, &lo, &hi, rd, 4);
    w->fq_done[j] = 1;
    return w->fq[j];
}

/* Per-output-channel symmetric weight FakeQuantize: levels 255 over [−max|w_c|, max|w_c|] (int8
 * narrow range, zero exact). */
static struct val fq_weights(struct ir *w, const char *name, struct val wv, const float *data, const int64_t *wd)
{
    int64_t O = wd[0], per = wd[1] * wd[2] * wd[3];
    float *lo = w->h->alloc((size_t)O * sizeof(float)), *hi = w->h->alloc((size_t)O * sizeof(float));
    for (int64_t o = 0; o < O; o++) {
        float m = 0;
        for (int64_t k = 0; k < per; k++) m = fabsf(data[o * per + k]) > m ? fabsf(data[o * per + k]) : m;
        hi[o] = m > 0 ? m : 1e-8f, lo[o] = -hi[o];
    }
    const int64_t rd[4] = {O, 1, 1, 1};
    struct val r = fake_quantize(w, name, wv, 255, lo, hi, rd, 4);
    w->h->free(lo), w->h->free(hi);
    return r;
}

/* Emits view node n; *v gets its value. Returns 0 or a status with the error recorded. */
static int emit(struct ir *w, const struct cpose_view *view, const struct cpose_view_node *n, struct val *vals, int i,
                int is_output)
{
    const struct cpose_host *h = w->h;
    struct val ins[8];
    for (int k = 0; k < n->n_in; k++) ins[k] = vals[n->in[k]];
    char attrs[512], an[300];
    const char *out_names = is_output ? "output0" : NULL;
    (void)view;
    switch (n->op) {
    case CPOSE_VIEW_INPUT: {
        struct host_buf sb = {h, NULL, 0, 0};
        shape_attr(&sb, n->dims, n->ndim);
        snprintf(attrs, sizeof attrs, "shape=\"%s\" element_type=\"f32\"", sb.p);
        h->free(sb.p);
        vals[i] = layer(w, "images", "Parameter", "opset1", attrs, NULL, 0, n->dims, n->ndim, "FP32", "images");
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_CONST:
    case CPOSE_VIEW_ANCHORS:
        if (!n->data) return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': a constant without data", n->name);
        vals[i] = const_f32(w, n->name, n->data, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    case CPOSE_VIEW_CONV: {
        const struct cpose_view_conv *c = &n->p.conv;
        if (c->groups != 1)
            return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': grouped convolution (groups=%d)", n->name, c->groups);
        int64_t wd[4] = {c->cout, c->cin, c->kh, c->kw}, bd[4] = {1, c->cout, 1, 1};
        struct val cin[2] = {ins[0], const_f32(w, c->weight_name ? c->weight_name : n->name, c->weight, wd, 4)};
        if (w->ranges && !strstr(n->name, ".decode.")) {  /* the head's decode (DFL conv) stays float, as NNCF's ignored scope */
            cin[0] = fq_activation(w, view, n->in[0], ins[0]);
            cin[1] = fq_weights(w, c->weight_name ? c->weight_name : n->name, cin[1], c->weight, wd);
        }
        snprintf(attrs, sizeof attrs,
                 "strides=\"%d,%d\" dilations=\"%d,%d\" pads_begin=\"%d,%d\" pads_end=\"%d,%d\" auto_pad=\"explicit\"",
                 c->stride_h, c->stride_w, c->dilation_h, c->dilation_w, c->pad_top, c->pad_left, c->pad_bottom,
                 c->pad_right);
        struct val conv = layer(w, n->name, "Convolution", "opset1", attrs, cin, 2, n->dims, n->ndim, "FP32", NULL);
        aux_name(an, sizeof an, n->name, "bias");
        struct val add[2] = {conv, const_f32(w, c->bias_name ? c->bias_name : an, c->bias, bd, 4)};
        aux_name(an, sizeof an, n->name, "add_bias");
        vals[i] = layer(w, an, "Add", "opset1", "auto_broadcast=\"numpy\"", add, 2, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_SILU:
        vals[i] = layer(w, n->name, "Swish", "opset4", NULL, ins, 1, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    case CPOSE_VIEW_SIGMOID:
        vals[i] = layer(w, n->name, "Sigmoid", "opset1", NULL, ins, 1, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    case CPOSE_VIEW_ADD:
    case CPOSE_VIEW_SUB:
    case CPOSE_VIEW_MUL:
    case CPOSE_VIEW_DIV: {
        static const char *const ops[] = {[CPOSE_VIEW_ADD] = "Add", [CPOSE_VIEW_SUB] = "Subtract",
                                          [CPOSE_VIEW_MUL] = "Multiply", [CPOSE_VIEW_DIV] = "Divide"};
        vals[i] = layer(w, n->name, ops[n->op], "opset1", "auto_broadcast=\"numpy\"", ins, 2, n->dims, n->ndim, "FP32",
                        out_names);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_CONCAT:
        snprintf(attrs, sizeof attrs, "axis=\"%d\"", n->p.axis);
        vals[i] = layer(w, n->name, "Concat", "opset1", attrs, ins, n->n_in, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    case CPOSE_VIEW_SLICE: {
        int64_t st = n->p.slice.start, en = n->p.slice.end, one = 1, ax = n->p.slice.axis;
        struct val si[5] = {ins[0]};
        aux_name(an, sizeof an, n->name, "start"), si[1] = const_i64(w, an, &st, 1);
        aux_name(an, sizeof an, n->name, "stop"), si[2] = const_i64(w, an, &en, 1);
        aux_name(an, sizeof an, n->name, "step"), si[3] = const_i64(w, an, &one, 1);
        aux_name(an, sizeof an, n->name, "axes"), si[4] = const_i64(w, an, &ax, 1);
        vals[i] = layer(w, n->name, "Slice", "opset8", NULL, si, 5, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_MAXPOOL: {
        const struct cpose_view_pool *p = &n->p.pool;
        snprintf(attrs, sizeof attrs,
                 "strides=\"%d,%d\" pads_begin=\"%d,%d\" pads_end=\"%d,%d\" kernel=\"%d,%d\" rounding_type=\"floor\" "
                 "auto_pad=\"explicit\"", p->stride_h, p->stride_w, p->pad_top, p->pad_left, p->pad_bottom, p->pad_right,
                 p->kh, p->kw);
        vals[i] = layer(w, n->name, "MaxPool", "opset1", attrs, ins, 1, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_UPSAMPLE: {
        float sc[2] = {(float)n->p.upsample.scale_h, (float)n->p.upsample.scale_w};
        int64_t two = 2, axes[2] = {2, 3};
        struct val ii[3] = {ins[0]};
        aux_name(an, sizeof an, n->name, "scales"), ii[1] = const_f32(w, an, sc, &two, 1);
        aux_name(an, sizeof an, n->name, "axes"), ii[2] = const_i64(w, an, axes, 2);
        vals[i] = layer(w, n->name, "Interpolate", "opset11",
                        "mode=\"nearest\" shape_calculation_mode=\"scales\" coordinate_transformation_mode=\"asymmetric\" "
                        "nearest_mode=\"floor\" antialias=\"false\" pads_begin=\"0,0,0,0\" pads_end=\"0,0,0,0\" "
                        "cube_coeff=\"-0.75\"", ii, 3, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_RESHAPE: {
        struct val ri[2] = {ins[0]};
        aux_name(an, sizeof an, n->name, "shape"), ri[1] = const_i64(w, an, n->p.reshape.dims, n->p.reshape.ndim);
        vals[i] = layer(w, n->name, "Reshape", "opset1", "special_zero=\"true\"", ri, 2, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_TRANSPOSE: {
        int64_t perm[CPOSE_VIEW_MAX_DIMS];
        for (int k = 0; k < n->p.transpose.ndim; k++) perm[k] = n->p.transpose.perm[k];
        struct val ti[2] = {ins[0]};
        aux_name(an, sizeof an, n->name, "order"), ti[1] = const_i64(w, an, perm, n->p.transpose.ndim);
        vals[i] = layer(w, n->name, "Transpose", "opset1", NULL, ti, 2, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_SOFTMAX:
        snprintf(attrs, sizeof attrs, "axis=\"%d\"", n->p.axis);
        vals[i] = layer(w, n->name, "SoftMax", "opset8", attrs, ins, 1, n->dims, n->ndim, "FP32", out_names);
        return CPOSE_PLUGIN_OK;
    default:
        return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': op %d has no OpenVINO form in this exporter", n->name, n->op);
    }
}

/* rt_info/model_info as Ultralytics sets it (labels: class names with spaces as '_'). */
static void rt_info(struct ir *w)
{
    const struct cpose_plugin_meta *m = w->h->meta(w->x);
    struct host_buf *b = &w->xml;
    host_buf_printf(b, "\t<rt_info>\n\t\t<model_info>\n");
    host_buf_printf(b, "\t\t\t<iou_threshold value=\"%g\" />\n", w->h->arg_float(w->x, "iou", 0.7));
    host_buf_printf(b, "\t\t\t<labels value=\"");
    for (int k = 0; k < m->n_names; k++) {
        if (k) host_buf_add(b, " ", 1);
        for (const char *s = m->names[k]; *s; s++) {
            char c[2] = {*s == ' ' ? '_' : *s, 0};
            buf_xml(b, c);
        }
    }
    host_buf_printf(b, "\" />\n");
    host_buf_printf(b, "\t\t\t<model_type value=\"YOLO\" />\n\t\t\t<pad_value value=\"114\" />\n");
    host_buf_printf(b, "\t\t\t<resize_type value=\"fit_to_window_letterbox\" />\n");
    host_buf_printf(b, "\t\t\t<reverse_input_channels value=\"YES\" />\n\t\t\t<scale_values value=\"255\" />\n");
    host_buf_printf(b, "\t\t</model_info>\n\t</rt_info>\n");
}

static int export_openvino(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    struct ir w;
    memset(&w, 0, sizeof w);
    w.h = h, w.x = x, w.half = h->arg_bool(x, "half");
    if (h->arg_bool(x, "int8")) {
        if (w.half) return h->error(x, CPOSE_PLUGIN_EINVAL, "half=True and int8=True together: choose one");
        if (!CPOSE_HOST_HAS(h, calibrate))
            return h->error(x, CPOSE_PLUGIN_EABI, "int8=True needs a cpose host with calibration (plugin ABI 1.2 or newer)");
        if (!(w.ranges = h->calibrate(x, NULL))) return CPOSE_PLUGIN_EINVAL;
        w.fq = h->calloc((size_t)v->n_nodes, sizeof *w.fq);
        w.fq_done = h->calloc((size_t)v->n_nodes, 1);
    }
    w.xml.h = w.edges.h = w.bin.h = h;
    host_buf_printf(&w.xml, "<?xml version=\"1.0\"?>\n<net name=\"main_graph\" version=\"11\">\n\t<layers>\n");
    struct val *vals = h->calloc((size_t)v->n_nodes, sizeof *vals);
    int rc = CPOSE_PLUGIN_OK;
    for (int i = 0; i < v->n_nodes && rc == CPOSE_PLUGIN_OK; i++) {
        rc = emit(&w, v, CPOSE_VIEW_NODE(v, i), vals, i, i == v->output);
        if (i % 64 == 0) h->progress(x, 0.8 * i / v->n_nodes, "openvino: layers");
    }
    if (rc == CPOSE_PLUGIN_OK) {
        struct val o = vals[v->output];
        layer(&w, "output0/sink_port_0", "Result", "opset1", NULL, &o, 1, NULL, -1, "FP32", NULL);
        host_buf_printf(&w.xml, "\t</layers>\n\t<edges>\n");
        host_buf_add(&w.xml, w.edges.p, w.edges.len);
        host_buf_printf(&w.xml, "\t</edges>\n");
        rt_info(&w);
        host_buf_printf(&w.xml, "</net>\n");
        /* <stem>_openvino_model/<stem>.xml and .bin */
        const char *base = strrchr(out_path, '/') ? strrchr(out_path, '/') + 1 : out_path;
        size_t stem = strlen(base) > 15 && !strcmp(base + strlen(base) - 15, "_openvino_model") ? strlen(base) - 15
                                                                                                 : strlen(base);
        size_t plen = strlen(out_path) + stem + 16;
        char *path = h->alloc(plen);
        rc = h->make_dir(x, out_path);
        if (rc == CPOSE_PLUGIN_OK) {
            snprintf(path, plen, "%s/%.*s.xml", out_path, (int)stem, base);
            rc = h->write_file(x, path, w.xml.p, w.xml.len);
        }
        if (rc == CPOSE_PLUGIN_OK) {
            snprintf(path, plen, "%s/%.*s.bin", out_path, (int)stem, base);
            rc = h->write_file(x, path, w.bin.p ? w.bin.p : "", w.bin.len);
        }
        if (rc == CPOSE_PLUGIN_OK) rc = cpose_write_metadata_yaml(h, x, out_path);
        h->free(path);
        if (rc == CPOSE_PLUGIN_OK)
            h->log(x, CPOSE_PLUGIN_LOG_INFO, "IR v11, %d layers, %zu weight bytes%s%s", w.n_layers, w.bin.len,
                   w.half ? ", f16 Consts + Convert" : "", w.ranges ? ", int8 FakeQuantize on conv inputs and weights" : "");
    }
    h->progress(x, 1.0, "openvino: done");
    h->free(vals), h->free(w.fq), h->free(w.fq_done);
    h->free(w.xml.p), h->free(w.edges.p), h->free(w.bin.p);
    return rc;
}

static const struct cpose_plugin openvino_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "openvino",
    .suffix = "_openvino_model",
    .is_dir = 1,
    .args = ov_args,
    .description = "OpenVINO IR v11 (<stem>.xml + <stem>.bin + metadata.yaml): input images, output output0; rt_info model_info",
    .export_model = export_openvino,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &openvino_plugin; }
