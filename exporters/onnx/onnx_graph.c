/* exporters/onnx/onnx_graph.c — the ONNX graph builder and the translation of the host's view ops
 * (cpose_plugin.h) into ONNX nodes for opsets 12–17. */
#include "exporters/onnx/onnx_graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exporters/common/fp16.h"

void onnx_builder_init(struct onnx_builder *b, const struct cpose_host *h, struct cpose_export *x, int opset, int half,
                       int dynamic)
{
    memset(b, 0, sizeof *b);
    b->h = h, b->x = x, b->opset = opset, b->half = half, b->dynamic = dynamic;
}

void onnx_builder_free(struct onnx_builder *b)
{
    for (size_t i = 0; i < b->n_arena; i++) b->h->free(b->arena[i]);
    b->h->free(b->arena);
    b->h->free(b->nodes);
    b->h->free(b->inits);
    memset(b, 0, sizeof *b);
}

void *ob_alloc(struct onnx_builder *b, size_t n)
{
    if (b->n_arena == b->cap_arena) {
        b->cap_arena = b->cap_arena ? 2 * b->cap_arena : 256;
        b->arena = b->h->realloc(b->arena, b->cap_arena * sizeof(void *));
    }
    void *p = b->h->calloc(1, n ? n : 1);
    b->arena[b->n_arena++] = p;
    return p;
}

char *ob_strdup(struct onnx_builder *b, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ob_alloc(b, n);
    memcpy(d, s, n);
    return d;
}

char *ob_printf(struct onnx_builder *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = ob_alloc(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Appends p to a growable pointer array. */
static void push_ptr(struct onnx_builder *b, void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *arr = b->h->realloc(*arr, *cap * sizeof(void *));
    }
    (*arr)[(*n)++] = p;
}

Onnx__NodeProto *ob_node(struct onnx_builder *b, const char *op_type, const char *name, const char *const *in, int n_in,
                         const char *out)
{
    Onnx__NodeProto *n = ob_alloc(b, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = ob_strdup(b, op_type);
    n->name = name ? ob_strdup(b, name) : ob_printf(b, "%s_%d", op_type, b->counter++);
    n->n_input = (size_t)n_in;
    n->input = ob_alloc(b, (size_t)(n_in ? n_in : 1) * sizeof(char *));
    for (int i = 0; i < n_in; i++) n->input[i] = ob_strdup(b, in[i]);
    n->n_output = 1;
    n->output = ob_alloc(b, sizeof(char *));
    n->output[0] = out ? ob_strdup(b, out) : ob_printf(b, "%s_output_0", n->name);
    push_ptr(b, (void ***)&b->nodes, &b->n_nodes, &b->cap_nodes, n);
    return n;
}

static Onnx__AttributeProto *attr(struct onnx_builder *b, Onnx__NodeProto *n, const char *name, int type)
{
    Onnx__AttributeProto *a = ob_alloc(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = ob_strdup(b, name);
    a->has_type = 1, a->type = type;
    Onnx__AttributeProto **arr = ob_alloc(b, (n->n_attribute + 1) * sizeof *arr);
    if (n->n_attribute) memcpy(arr, n->attribute, n->n_attribute * sizeof *arr);
    arr[n->n_attribute++] = a;
    n->attribute = arr;
    return a;
}

void ob_attr_int(struct onnx_builder *b, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1, a->i = v;
}

void ob_attr_ints(struct onnx_builder *b, Onnx__NodeProto *n, const char *name, const int64_t *v, int count)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)count;
    a->ints = ob_alloc(b, (size_t)count * sizeof(int64_t));
    memcpy(a->ints, v, (size_t)count * sizeof(int64_t));
}

void ob_attr_float(struct onnx_builder *b, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1, a->f = v;
}

void ob_attr_str(struct onnx_builder *b, Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(b, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)ob_strdup(b, v);
}

static Onnx__TensorProto *tensor(struct onnx_builder *b, const char *name, const int64_t *dims, int ndim, int dtype,
                                 const void *raw, size_t bytes)
{
    Onnx__TensorProto *t = ob_alloc(b, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = ob_strdup(b, name);
    t->n_dims = (size_t)ndim;
    t->dims = ob_alloc(b, (size_t)(ndim ? ndim : 1) * sizeof(int64_t));
    if (ndim) memcpy(t->dims, dims, (size_t)ndim * sizeof(int64_t));
    t->has_data_type = 1, t->data_type = dtype;
    t->has_raw_data = 1;
    t->raw_data.len = bytes;
    t->raw_data.data = ob_alloc(b, bytes);
    if (bytes) memcpy(t->raw_data.data, raw, bytes);  /* x86-64 and the ONNX wire format: little-endian */
    push_ptr(b, (void ***)&b->inits, &b->n_inits, &b->cap_inits, t);
    return t;
}

/* Was an initializer (or its fp16 source) of this name written already? A weight the view uses
 * more than once (the DFL conv, once per level) is stored once. */
static int have_init(const struct onnx_builder *b, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < b->n_inits; i++) {
        const char *n = b->inits[i]->name;
        if (!strncmp(n, name, len) && (!n[len] || !strcmp(n + len, "_fp16"))) return 1;
    }
    return 0;
}

const char *ob_init_float(struct onnx_builder *b, const char *name, const int64_t *dims, int ndim, const float *data)
{
    if (have_init(b, name)) return name;
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)dims[i];
    if (!b->half || n < 2) {
        tensor(b, name, dims, ndim, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, data, n * sizeof(float));
        return name;
    }
    uint16_t *h = b->h->alloc(n * sizeof(uint16_t));
    cpose_fp16_convert(data, h, n);
    const char *hname = ob_printf(b, "%s_fp16", name);
    tensor(b, hname, dims, ndim, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, h, n * sizeof(uint16_t));
    b->h->free(h);
    Onnx__NodeProto *c = ob_node(b, "Cast", ob_printf(b, "%s_cast", name), &hname, 1, name);
    ob_attr_int(b, c, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    return name;
}

const char *ob_init_int64(struct onnx_builder *b, const char *name, const int64_t *dims, int ndim, const int64_t *data)
{
    if (have_init(b, name)) return name;
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)dims[i];
    tensor(b, name, dims, ndim, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, data, n * sizeof(int64_t));
    return name;
}

const char *ob_op1(struct onnx_builder *b, const char *op, const char *name, const char *a)
{
    return ob_node(b, op, name, &a, 1, NULL)->output[0];
}

const char *ob_op2(struct onnx_builder *b, const char *op, const char *name, const char *a, const char *c)
{
    const char *in[2] = {a, c};
    return ob_node(b, op, name, in, 2, NULL)->output[0];
}

/* A 1-D int64 constant [n]. */
static const char *i64_vec(struct onnx_builder *b, const char *name, const int64_t *v, int n)
{
    int64_t d = n;
    return ob_init_int64(b, name, &d, 1, v);
}

/* A rank-0 float constant. */
static const char *f32_scalar(struct onnx_builder *b, const char *name, float v)
{
    return ob_init_float(b, name, NULL, 0, &v);
}

/* Softmax along axis; before opset 13 Softmax flattens from axis on, so a non-last axis is moved
 * to the end and back. */
static const char *softmax(struct onnx_builder *b, const char *name, const char *x, int axis, int ndim)
{
    if (b->opset >= 13 || axis == ndim - 1 || axis == -1) {
        Onnx__NodeProto *n = ob_node(b, "Softmax", name, &x, 1, NULL);
        ob_attr_int(b, n, "axis", axis);
        return n->output[0];
    }
    int64_t perm[8];
    for (int i = 0; i < ndim; i++) perm[i] = i;
    perm[axis] = ndim - 1, perm[ndim - 1] = axis;  /* a swap is its own inverse */
    Onnx__NodeProto *t1 = ob_node(b, "Transpose", ob_printf(b, "%s_to_last", name), &x, 1, NULL);
    ob_attr_ints(b, t1, "perm", perm, ndim);
    Onnx__NodeProto *s = ob_node(b, "Softmax", name, (const char *const *)t1->output, 1, NULL);
    ob_attr_int(b, s, "axis", ndim - 1);
    Onnx__NodeProto *t2 = ob_node(b, "Transpose", ob_printf(b, "%s_back", name), (const char *const *)s->output, 1, NULL);
    ob_attr_ints(b, t2, "perm", perm, ndim);
    return t2->output[0];
}

/* Anchors [1,2,H·W] (x + 0.5, y + 0.5) of level tensor `lv`, computed from its shape (dynamic). */
static const char *anchors_dynamic(struct onnx_builder *b, const char *name, const char *lv)
{
    const char *shp = ob_op1(b, "Shape", ob_printf(b, "%s_shape", name), lv);
    int64_t i2 = 2, i3 = 3;
    const char *hi = ob_op2(b, "Gather", ob_printf(b, "%s_h", name), shp, ob_init_int64(b, ob_printf(b, "%s_i2", name), NULL, 0, &i2));
    const char *wi = ob_op2(b, "Gather", ob_printf(b, "%s_w", name), shp, ob_init_int64(b, ob_printf(b, "%s_i3", name), NULL, 0, &i3));
    Onnx__NodeProto *hc = ob_node(b, "Cast", ob_printf(b, "%s_hf", name), &hi, 1, NULL);
    ob_attr_int(b, hc, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    Onnx__NodeProto *wc = ob_node(b, "Cast", ob_printf(b, "%s_wf", name), &wi, 1, NULL);
    ob_attr_int(b, wc, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    const char *half = f32_scalar(b, ob_printf(b, "%s_half", name), 0.5f);
    const char *one = f32_scalar(b, ob_printf(b, "%s_one", name), 1.0f);
    const char *zero = f32_scalar(b, ob_printf(b, "%s_zero", name), 0.0f);
    const char *hl = ob_op2(b, "Add", ob_printf(b, "%s_hlim", name), hc->output[0], half);
    const char *wl = ob_op2(b, "Add", ob_printf(b, "%s_wlim", name), wc->output[0], half);
    const char *rx[3] = {half, wl, one}, *ry[3] = {half, hl, one};
    const char *xs = ob_node(b, "Range", ob_printf(b, "%s_xs", name), rx, 3, NULL)->output[0];
    const char *ys = ob_node(b, "Range", ob_printf(b, "%s_ys", name), ry, 3, NULL)->output[0];
    const int64_t row[2] = {1, -1}, col[2] = {-1, 1}, flat[3] = {1, 1, -1};
    const char *xr = ob_op2(b, "Reshape", ob_printf(b, "%s_xrow", name), xs, i64_vec(b, ob_printf(b, "%s_row", name), row, 2));
    const char *yc = ob_op2(b, "Reshape", ob_printf(b, "%s_ycol", name), ys, i64_vec(b, ob_printf(b, "%s_col", name), col, 2));
    /* broadcast each against the other's zeros: X[h,w] = x_w, Y[h,w] = y_h */
    const char *x0 = ob_op2(b, "Mul", ob_printf(b, "%s_x0", name), xr, zero);
    const char *y0 = ob_op2(b, "Mul", ob_printf(b, "%s_y0", name), yc, zero);
    const char *X = ob_op2(b, "Add", ob_printf(b, "%s_X", name), xr, y0);
    const char *Y = ob_op2(b, "Add", ob_printf(b, "%s_Y", name), yc, x0);
    const char *fl = i64_vec(b, ob_printf(b, "%s_flat", name), flat, 3);
    const char *xf = ob_op2(b, "Reshape", ob_printf(b, "%s_xf", name), X, fl);
    const char *yf = ob_op2(b, "Reshape", ob_printf(b, "%s_yf", name), Y, fl);
    const char *cat[2] = {xf, yf};
    Onnx__NodeProto *c = ob_node(b, "Concat", name, cat, 2, NULL);
    ob_attr_int(b, c, "axis", 1);
    return c->output[0];
}

/* Constant folding of static exports: a Reshape or a binary op whose inputs are all constants
 * (the keypoint grid anchors − 0.5) is computed here and written as one initializer, as torch's
 * exporter folds constants; some runtimes (OpenCV 4.6's dnn) refuse broadcasting constant pairs.
 * vals[i] holds node i's constant value (builder memory) or NULL. Returns n's value or NULL. */
static const float *fold(struct onnx_builder *b, const struct cpose_view *v, const struct cpose_view_node *n,
                         const float **vals)
{
    if (n->op == CPOSE_VIEW_CONST) return n->data;
    if (n->op == CPOSE_VIEW_ANCHORS) return b->dynamic ? NULL : n->data;
    int binary = n->op == CPOSE_VIEW_ADD || n->op == CPOSE_VIEW_SUB || n->op == CPOSE_VIEW_MUL || n->op == CPOSE_VIEW_DIV;
    if (n->op != CPOSE_VIEW_RESHAPE && !binary) return NULL;
    for (int j = 0; j < n->n_in; j++)
        if (!vals[n->in[j]]) return NULL;
    int64_t N = 1;
    for (int i = 0; i < n->ndim; i++) N *= n->dims[i];
    float *o = ob_alloc(b, (size_t)N * sizeof(float));
    if (n->op == CPOSE_VIEW_RESHAPE) {
        memcpy(o, vals[n->in[0]], (size_t)N * sizeof(float));
        return o;
    }
    const struct cpose_view_node *x = CPOSE_VIEW_NODE(v, n->in[0]), *y = CPOSE_VIEW_NODE(v, n->in[1]);
    int64_t sx[CPOSE_VIEW_MAX_DIMS] = {0}, sy[CPOSE_VIEW_MAX_DIMS] = {0}, so[CPOSE_VIEW_MAX_DIMS];
    int64_t ax = 1, ay = 1, ao = 1;
    for (int i = n->ndim - 1; i >= 0; i--) {  /* broadcasting strides: 0 on size-1 or missing dims */
        int ix = i - (n->ndim - x->ndim), iy = i - (n->ndim - y->ndim);
        if (ix >= 0) sx[i] = x->dims[ix] > 1 ? ax : 0, ax *= x->dims[ix];
        if (iy >= 0) sy[i] = y->dims[iy] > 1 ? ay : 0, ay *= y->dims[iy];
        so[i] = ao, ao *= n->dims[i];
    }
    const float *X = vals[n->in[0]], *Y = vals[n->in[1]];
    for (int64_t i = 0; i < N; i++) {
        int64_t r = i, px = 0, py = 0;
        for (int k = 0; k < n->ndim; k++) {
            int64_t q = r / so[k];
            r %= so[k], px += q * sx[k], py += q * sy[k];
        }
        float a = X[px], c = Y[py];
        o[i] = n->op == CPOSE_VIEW_ADD ? a + c : n->op == CPOSE_VIEW_SUB ? a - c : n->op == CPOSE_VIEW_MUL ? a * c : a / c;
    }
    return o;
}

static int is_binary(int op)
{
    return op == CPOSE_VIEW_ADD || op == CPOSE_VIEW_SUB || op == CPOSE_VIEW_MUL || op == CPOSE_VIEW_DIV;
}

static int64_t numel(const struct cpose_view_node *n)
{
    int64_t k = 1;
    for (int i = 0; i < n->ndim; i++) k *= n->dims[i];
    return k;
}

/* The constant c (values x) broadcast to the shape of node n (builder memory). */
static const float *broadcast(struct onnx_builder *b, const struct cpose_view_node *c, const float *x,
                              const struct cpose_view_node *n)
{
    int64_t sc[CPOSE_VIEW_MAX_DIMS] = {0}, so[CPOSE_VIEW_MAX_DIMS], ac = 1, ao = 1, N = numel(n);
    for (int i = n->ndim - 1; i >= 0; i--) {
        int ic = i - (n->ndim - c->ndim);
        if (ic >= 0) sc[i] = c->dims[ic] > 1 ? ac : 0, ac *= c->dims[ic];
        so[i] = ao, ao *= n->dims[i];
    }
    float *o = ob_alloc(b, (size_t)N * sizeof(float));
    for (int64_t i = 0; i < N; i++) {
        int64_t r = i, p = 0;
        for (int k = 0; k < n->ndim; k++) p += (r / so[k]) * sc[k], r %= so[k];
        o[i] = x[p];
    }
    return o;
}

/* Translates view node i (its inputs' value names in names[]); returns its value name or NULL. */
static const char *translate(struct onnx_builder *b, const struct cpose_view *v, const struct cpose_view_node *n,
                             const char **names)
{
    const char *in[8];
    for (int j = 0; j < n->n_in; j++) in[j] = names[n->in[j]];
    const char *nm = n->name;
    switch (n->op) {
    case CPOSE_VIEW_CONST: return ob_init_float(b, nm, n->dims, n->ndim, n->data);
    case CPOSE_VIEW_CONV: {
        const struct cpose_view_conv *c = &n->p.conv;
        int64_t wd[4] = {c->cout, c->cin / c->groups, c->kh, c->kw}, bd = c->cout;
        const char *ci[3] = {in[0], ob_init_float(b, c->weight_name, wd, 4, c->weight), NULL};
        int nin = 2;
        if (c->bias_name) ci[nin++] = ob_init_float(b, c->bias_name, &bd, 1, c->bias);
        Onnx__NodeProto *o = ob_node(b, "Conv", nm, ci, nin, NULL);
        const int64_t ks[2] = {c->kh, c->kw}, st[2] = {c->stride_h, c->stride_w},
                      pads[4] = {c->pad_top, c->pad_left, c->pad_bottom, c->pad_right},
                      dil[2] = {c->dilation_h, c->dilation_w};
        ob_attr_ints(b, o, "dilations", dil, 2);
        ob_attr_int(b, o, "group", c->groups);
        ob_attr_ints(b, o, "kernel_shape", ks, 2);
        ob_attr_ints(b, o, "pads", pads, 4);
        ob_attr_ints(b, o, "strides", st, 2);
        return o->output[0];
    }
    case CPOSE_VIEW_SILU: {
        const char *s = ob_op1(b, "Sigmoid", ob_printf(b, "%s.sigmoid", nm), in[0]);
        return ob_op2(b, "Mul", nm, in[0], s);
    }
    case CPOSE_VIEW_SIGMOID: return ob_op1(b, "Sigmoid", nm, in[0]);
    case CPOSE_VIEW_ADD: return ob_op2(b, "Add", nm, in[0], in[1]);
    case CPOSE_VIEW_SUB: return ob_op2(b, "Sub", nm, in[0], in[1]);
    case CPOSE_VIEW_MUL: return ob_op2(b, "Mul", nm, in[0], in[1]);
    case CPOSE_VIEW_DIV: return ob_op2(b, "Div", nm, in[0], in[1]);
    case CPOSE_VIEW_CONCAT: {
        Onnx__NodeProto *o = ob_node(b, "Concat", nm, in, n->n_in, NULL);
        /* the last axis as -1: OpenCV 4.6's dnn mishandles a positive last axis of a 3-D concat */
        ob_attr_int(b, o, "axis", n->p.axis == n->ndim - 1 ? -1 : n->p.axis);
        return o->output[0];
    }
    case CPOSE_VIEW_SLICE: {
        int64_t s = n->p.slice.start, e = n->p.slice.end, ax = n->p.slice.axis;
        const char *si[4] = {in[0], i64_vec(b, ob_printf(b, "%s.starts", nm), &s, 1),
                             i64_vec(b, ob_printf(b, "%s.ends", nm), &e, 1), i64_vec(b, ob_printf(b, "%s.axes", nm), &ax, 1)};
        return ob_node(b, "Slice", nm, si, 4, NULL)->output[0];
    }
    case CPOSE_VIEW_MAXPOOL: {
        const struct cpose_view_pool *p = &n->p.pool;
        Onnx__NodeProto *o = ob_node(b, "MaxPool", nm, in, 1, NULL);
        const int64_t ks[2] = {p->kh, p->kw}, st[2] = {p->stride_h, p->stride_w},
                      pads[4] = {p->pad_top, p->pad_left, p->pad_bottom, p->pad_right};
        ob_attr_int(b, o, "ceil_mode", 0);
        ob_attr_ints(b, o, "kernel_shape", ks, 2);
        ob_attr_ints(b, o, "pads", pads, 4);
        ob_attr_ints(b, o, "strides", st, 2);
        return o->output[0];
    }
    case CPOSE_VIEW_UPSAMPLE: {
        const float sc[4] = {1, 1, (float)n->p.upsample.scale_h, (float)n->p.upsample.scale_w};
        int64_t four = 4, zero = 0;
        const char *roi = "";
        if (b->opset < 13) roi = ob_init_float(b, ob_printf(b, "%s.roi", nm), &zero, 1, NULL);  /* required before 13 */
        const char *ri[3] = {in[0], roi, ob_init_float(b, ob_printf(b, "%s.scales", nm), &four, 1, sc)};
        Onnx__NodeProto *o = ob_node(b, "Resize", nm, ri, 3, NULL);
        ob_attr_str(b, o, "coordinate_transformation_mode", "asymmetric");
        ob_attr_str(b, o, "mode", "nearest");
        ob_attr_str(b, o, "nearest_mode", "floor");
        return o->output[0];
    }
    case CPOSE_VIEW_RESHAPE: {
        const char *shape = i64_vec(b, ob_printf(b, "%s.shape", nm), n->p.reshape.dims, n->p.reshape.ndim);
        return ob_op2(b, "Reshape", nm, in[0], shape);
    }
    case CPOSE_VIEW_TRANSPOSE: {
        int64_t perm[CPOSE_VIEW_MAX_DIMS];
        for (int i = 0; i < n->p.transpose.ndim; i++) perm[i] = n->p.transpose.perm[i];
        Onnx__NodeProto *o = ob_node(b, "Transpose", nm, in, 1, NULL);
        ob_attr_ints(b, o, "perm", perm, n->p.transpose.ndim);
        return o->output[0];
    }
    case CPOSE_VIEW_SOFTMAX: return softmax(b, nm, in[0], n->p.axis, n->ndim);
    case CPOSE_VIEW_ANCHORS:
        if (b->dynamic) return anchors_dynamic(b, nm, in[0]);
        return ob_init_float(b, nm, n->dims, n->ndim, n->data);
    default:
        b->h->error(b->x, CPOSE_PLUGIN_ENOTSUP, "view node '%s': op %d has no ONNX translation in this plugin", nm, n->op);
        return NULL;
    }
}

int onnx_translate_view(struct onnx_builder *b, const struct cpose_view *v, const char *input_name, const char **out_name)
{
    const char **names = b->h->calloc((size_t)v->n_nodes, sizeof(char *));
    const float **vals = b->h->calloc((size_t)v->n_nodes, sizeof(float *));
    int rc = CPOSE_PLUGIN_OK;
    for (int i = 0; i < v->n_nodes && rc == CPOSE_PLUGIN_OK; i++) {
        const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
        vals[i] = fold(b, v, n, vals);
        if (vals[i]) continue;  /* a constant: written below when a computed node reads it */
        const char *saved[8] = {NULL};
        for (int j = 0; j < n->n_in; j++) {
            const struct cpose_view_node *c = CPOSE_VIEW_NODE(v, n->in[j]);
            if (!vals[n->in[j]]) continue;
            if (is_binary(n->op) && numel(c) > 1 && numel(c) != numel(n)) {
                /* a constant broadcast against a computed tensor is written at the full shape: OpenCV
                 * 4.6's dnn cannot broadcast a constant that is neither a scalar nor per-channel */
                saved[j] = names[n->in[j]];
                names[n->in[j]] = ob_init_float(b, ob_printf(b, "%s.const%d", n->name, j), n->dims, n->ndim,
                                                broadcast(b, c, vals[n->in[j]], n));
            } else if (!names[n->in[j]]) {
                names[n->in[j]] = ob_init_float(b, c->name, c->dims, c->ndim, vals[n->in[j]]);
            }
        }
        names[i] = n->op == CPOSE_VIEW_INPUT ? input_name : translate(b, v, n, names);
        for (int j = 0; j < n->n_in; j++)
            if (saved[j]) names[n->in[j]] = saved[j];
        if (!names[i]) rc = CPOSE_PLUGIN_ENOTSUP;
        if (i % 64 == 0) b->h->progress(b->x, 0.8 * i / v->n_nodes, "onnx: graph");
    }
    if (rc == CPOSE_PLUGIN_OK) *out_name = names[v->output];
    b->h->free(names);
    b->h->free(vals);
    return rc;
}
