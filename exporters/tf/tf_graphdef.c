/* exporters/tf/tf_graphdef.c — the NHWC graph → TF node list, and its GraphDef and SavedModel
 * protobuf encodings (contracts in tf_graphdef.h). */
#include "exporters/tf/tf_graphdef.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/common/pb_write.h"

const char *tfgd_dtype_name(int dtype)
{
    return dtype == TFGD_DT_FLOAT ? "DT_FLOAT" : dtype == TFGD_DT_INT32 ? "DT_INT32" : dtype == TFGD_DT_HALF ? "DT_HALF" : "DT_INVALID";
}

void tfgd_free(struct tfgd_graph *gd)
{
    if (!gd->h) return;
    for (int i = 0; i < gd->n_nodes; i++) {
        gd->h->free(gd->nodes[i].name);
        gd->h->free(gd->nodes[i].owned);
    }
    gd->h->free(gd->nodes);
    gd->nodes = NULL;
    gd->n_nodes = gd->cap_nodes = 0;
}

const struct tfgd_attr *tfgd_attr_of(const struct tfgd_node *n, const char *key)
{
    for (int i = 0; i < n->n_attr; i++)
        if (!strcmp(n->attr[i].key, key)) return &n->attr[i];
    return NULL;
}

/* A node name TF accepts: [A-Za-z0-9.][A-Za-z0-9_.\-/>]*, other characters become '_'. */
static char *node_name(const struct cpose_host *h, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = h->alloc((size_t)n + 1);
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    for (int i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                 (i > 0 && (c == '_' || c == '-' || c == '/' || c == '>'));
        if (!ok) s[i] = '_';
    }
    return s;
}

static int add_node(struct tfgd_graph *gd, char *name, const char *op)
{
    if (gd->n_nodes == gd->cap_nodes) {
        gd->cap_nodes = gd->cap_nodes ? 2 * gd->cap_nodes : 256;
        gd->nodes = gd->h->realloc(gd->nodes, (size_t)gd->cap_nodes * sizeof *gd->nodes);
    }
    struct tfgd_node *n = &gd->nodes[gd->n_nodes];
    memset(n, 0, sizeof *n);
    n->name = name, n->op = op;
    return gd->n_nodes++;
}

/* Adds an attribute in key order and returns it (kind and key set, the rest zero). */
static struct tfgd_attr *attr(struct tfgd_graph *gd, int node, const char *key, int kind)
{
    struct tfgd_node *n = &gd->nodes[node];
    int at = n->n_attr;
    while (at > 0 && strcmp(n->attr[at - 1].key, key) > 0) at--;
    memmove(&n->attr[at + 1], &n->attr[at], (size_t)(n->n_attr - at) * sizeof *n->attr);
    n->n_attr++;
    struct tfgd_attr *a = &n->attr[at];
    memset(a, 0, sizeof *a);
    a->key = key, a->kind = kind;
    return a;
}

static void attr_type(struct tfgd_graph *gd, int node, const char *key, int dt) { attr(gd, node, key, TFGD_ATTR_TYPE)->i = dt; }
static void attr_str(struct tfgd_graph *gd, int node, const char *key, const char *s) { attr(gd, node, key, TFGD_ATTR_STR)->s = s; }
static void attr_bool(struct tfgd_graph *gd, int node, const char *key, int b) { attr(gd, node, key, TFGD_ATTR_BOOL)->i = b; }
static void attr_int(struct tfgd_graph *gd, int node, const char *key, int64_t i) { attr(gd, node, key, TFGD_ATTR_INT)->i = i; }

static void attr_ints(struct tfgd_graph *gd, int node, const char *key, int kind, const int64_t *v, int n)
{
    struct tfgd_attr *a = attr(gd, node, key, kind);
    a->n = n;
    if (n) memcpy(a->ints, v, (size_t)n * sizeof *v);
}

/* A Const node holding data (borrowed unless `owned`, which it takes over; dtype FLOAT or INT32).
 * A constant with the name and the content of an existing Const is that node (the DFL conv's
 * weights, shared by the levels); one with a taken name and other content gets "_<n>" appended. */
static int add_const(struct tfgd_graph *gd, char *name, int dtype, int ndim, const int64_t *dims, const void *data, void *owned)
{
    size_t cnt = 1;
    for (int k = 0; k < ndim; k++) cnt *= (size_t)dims[k];
    const void *bytes = owned ? owned : data;
    char *base = name;
    for (int clash = 1;; clash++) {
        int found = -1;
        for (int i = 0; i < gd->n_nodes && found < 0; i++)
            if (!strcmp(gd->nodes[i].name, name)) found = i;
        if (found < 0) break;
        const struct tfgd_node *o = &gd->nodes[found];
        if (!strcmp(o->op, "Const") && o->dtype == dtype && o->ndim == ndim && !memcmp(o->dims, dims, (size_t)ndim * sizeof *dims) &&
            o->nbytes == cnt * 4 && !memcmp(o->data, bytes, cnt * 4)) {
            if (name != base) gd->h->free(name);
            gd->h->free(base);
            gd->h->free(owned);
            return found;
        }
        if (name != base) gd->h->free(name);
        name = node_name(gd->h, "%s_%d", base, clash);
    }
    if (name != base) gd->h->free(base);
    int id = add_node(gd, name, "Const");
    struct tfgd_node *n = &gd->nodes[id];
    n->dtype = dtype, n->ndim = ndim, n->data = bytes, n->owned = owned;
    memcpy(n->dims, dims, (size_t)ndim * sizeof *dims);
    n->nbytes = cnt * 4;
    attr_type(gd, id, "dtype", dtype);
    attr(gd, id, "value", TFGD_ATTR_TENSOR);
    return id;
}

/* An int32 Const of n values with the given shape. */
static int const_i32(struct tfgd_graph *gd, char *name, const int64_t *v, int n, int ndim, const int64_t *dims)
{
    int32_t *d = gd->h->alloc((size_t)(n ? n : 1) * sizeof *d);
    for (int i = 0; i < n; i++) d[i] = (int32_t)v[i];
    return add_const(gd, name, TFGD_DT_INT32, ndim, dims, NULL, d);
}

static int const_vec(struct tfgd_graph *gd, char *name, const int64_t *v, int n)
{
    int64_t dims[1] = {n};
    return const_i32(gd, name, v, n, 1, dims);
}

static void input(struct tfgd_graph *gd, int node, int from) { struct tfgd_node *n = &gd->nodes[node]; n->in[n->n_in++] = from; }

struct build {
    const struct tfg_graph *g;
    struct tfgd_graph *gd;
    int *node_of;                /* tfg value id → node producing it (-1: none yet) */
};

/* The node of tfg value v: its producer, or a Const written now for a constant value. */
static int value_node(struct build *b, int v)
{
    if (b->node_of[v] >= 0) return b->node_of[v];
    const struct tfg_value *val = &b->g->values[v];
    if (!val->data) return -1;
    b->node_of[v] = add_const(b->gd, node_name(b->gd->h, "%s", val->name), TFGD_DT_FLOAT, val->ndim, val->dims, val->data, NULL);
    return b->node_of[v];
}

/* The node of op o (its first n_in inputs first, so every node comes after its inputs). */
static int op_node(struct build *b, const char *op, const char *name, const struct tfg_op *o, int n_in)
{
    int ins[TFGD_MAX_INPUTS];
    for (int k = 0; k < n_in; k++) ins[k] = value_node(b, o->in[k]);
    int id = add_node(b->gd, node_name(b->gd->h, "%s", name), op);
    for (int k = 0; k < n_in; k++) input(b->gd, id, ins[k]);
    attr_type(b->gd, id, "T", TFGD_DT_FLOAT);
    return id;
}

static int emit_op(struct build *b, const struct tfg_op *o)
{
    struct tfgd_graph *gd = b->gd;
    const struct cpose_host *h = gd->h;
    const struct tfg_value *out = &b->g->values[o->out], *x = &b->g->values[o->in[0]];
    int id = -1;
    for (int k = 0; k < o->n_in; k++)
        if (b->node_of[o->in[k]] < 0 && !b->g->values[o->in[k]].data)
            return h->error(gd->x, CPOSE_PLUGIN_EINVAL, "TF graph: '%s' reads '%s', which nothing writes", out->name,
                            b->g->values[o->in[k]].name);
    switch (o->kind) {
    case TFG_CONV2D: {
        const struct tfg_value *w = &b->g->values[o->in[1]];
        int64_t hwio[4] = {w->dims[1], w->dims[2], w->dims[3], w->dims[0]};
        float *f = h->alloc((size_t)tfg_numel(w) * sizeof(float));
        tfg_filter_hwio(w, f);
        int wn = add_const(gd, node_name(h, "%s", w->name), TFGD_DT_FLOAT, 4, hwio, NULL, f);
        int xn = value_node(b, o->in[0]), bn = value_node(b, o->in[2]);
        int conv = add_node(gd, node_name(h, "%s/Conv2D", out->name), "Conv2D");
        input(gd, conv, xn);
        input(gd, conv, wn);
        int64_t strides[4] = {1, o->p.conv.stride_h, o->p.conv.stride_w, 1}, ones[4] = {1, 1, 1, 1};
        attr_type(gd, conv, "T", TFGD_DT_FLOAT);
        attr_str(gd, conv, "data_format", "NHWC");
        attr_ints(gd, conv, "dilations", TFGD_ATTR_INTS, ones, 4);
        attr_ints(gd, conv, "explicit_paddings", TFGD_ATTR_INTS, NULL, 0);
        attr_str(gd, conv, "padding", o->p.conv.same ? "SAME" : "VALID");
        attr_ints(gd, conv, "strides", TFGD_ATTR_INTS, strides, 4);
        attr_bool(gd, conv, "use_cudnn_on_gpu", 1);
        id = add_node(gd, node_name(h, "%s", out->name), "BiasAdd");
        input(gd, id, conv);
        input(gd, id, bn);
        attr_type(gd, id, "T", TFGD_DT_FLOAT);
        attr_str(gd, id, "data_format", "NHWC");
        break;
    }
    case TFG_LOGISTIC: id = op_node(b, "Sigmoid", out->name, o, 1); break;
    case TFG_MUL: id = op_node(b, "Mul", out->name, o, 2); break;
    case TFG_ADD: id = op_node(b, "AddV2", out->name, o, 2); break;
    case TFG_SUB: id = op_node(b, "Sub", out->name, o, 2); break;
    case TFG_DIV: id = op_node(b, "RealDiv", out->name, o, 2); break;
    case TFG_SOFTMAX: id = op_node(b, "Softmax", out->name, o, 1); break;
    case TFG_CONCAT: {
        int64_t axis = o->p.axis;
        int an = const_i32(gd, node_name(h, "%s/axis", out->name), &axis, 1, 0, NULL);
        id = op_node(b, "ConcatV2", out->name, o, o->n_in);
        input(gd, id, an);
        attr_int(gd, id, "N", o->n_in);
        attr_type(gd, id, "Tidx", TFGD_DT_INT32);
        break;
    }
    case TFG_SLICE: {
        int bn = const_vec(gd, node_name(h, "%s/begin", out->name), o->p.slice.begin, x->ndim);
        int sn = const_vec(gd, node_name(h, "%s/size", out->name), o->p.slice.size, x->ndim);
        id = op_node(b, "Slice", out->name, o, 1);
        input(gd, id, bn);
        input(gd, id, sn);
        attr_type(gd, id, "Index", TFGD_DT_INT32);
        break;
    }
    case TFG_MAXPOOL: {
        id = op_node(b, "MaxPool", out->name, o, 1);
        int64_t k[4] = {1, o->p.pool.kh, o->p.pool.kw, 1}, s[4] = {1, o->p.pool.stride_h, o->p.pool.stride_w, 1};
        attr_str(gd, id, "data_format", "NHWC");
        attr_ints(gd, id, "explicit_paddings", TFGD_ATTR_INTS, NULL, 0);
        attr_ints(gd, id, "ksize", TFGD_ATTR_INTS, k, 4);
        attr_str(gd, id, "padding", o->p.pool.same ? "SAME" : "VALID");
        attr_ints(gd, id, "strides", TFGD_ATTR_INTS, s, 4);
        break;
    }
    case TFG_RESIZE_NEAREST: {
        int64_t size[2] = {o->p.resize.h, o->p.resize.w};
        int sn = const_vec(gd, node_name(h, "%s/size", out->name), size, 2);
        id = op_node(b, "ResizeNearestNeighbor", out->name, o, 1);
        input(gd, id, sn);
        attr_bool(gd, id, "align_corners", 0);
        attr_bool(gd, id, "half_pixel_centers", 0);
        break;
    }
    case TFG_RESHAPE: {
        int sn = const_vec(gd, node_name(h, "%s/shape", out->name), o->p.reshape.shape, o->p.reshape.ndim);
        id = op_node(b, "Reshape", out->name, o, 1);
        input(gd, id, sn);
        attr_type(gd, id, "Tshape", TFGD_DT_INT32);
        break;
    }
    case TFG_TRANSPOSE: {
        int64_t perm[TFG_MAX_DIMS];
        for (int k = 0; k < o->p.transpose.ndim; k++) perm[k] = o->p.transpose.perm[k];
        int pn = const_vec(gd, node_name(h, "%s/perm", out->name), perm, o->p.transpose.ndim);
        id = op_node(b, "Transpose", out->name, o, 1);
        input(gd, id, pn);
        attr_type(gd, id, "Tperm", TFGD_DT_INT32);
        break;
    }
    case TFG_PAD: {
        int64_t p[2 * TFG_MAX_DIMS], dims[2] = {o->p.pad.ndim, 2};
        for (int k = 0; k < o->p.pad.ndim; k++) p[2 * k] = o->p.pad.before[k], p[2 * k + 1] = o->p.pad.after[k];
        int pn = const_i32(gd, node_name(h, "%s/paddings", out->name), p, 2 * o->p.pad.ndim, 2, dims);
        id = op_node(b, "Pad", out->name, o, 1);
        input(gd, id, pn);
        attr_type(gd, id, "Tpaddings", TFGD_DT_INT32);
        break;
    }
    default:
        return h->error(gd->x, CPOSE_PLUGIN_ENOTSUP, "TF graph: op %d ('%s', from view node '%s') has no TF mapping in this "
                        "exporter", o->kind, tfg_op_name(o->kind), o->src ? o->src : "?");
    }
    b->node_of[o->out] = id;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((*(const struct tfgd_node *const *)a)->name, (*(const struct tfgd_node *const *)b)->name);
}

int tfgd_build(const struct tfg_graph *g, struct tfgd_graph *gd)
{
    const struct cpose_host *h = g->h;
    memset(gd, 0, sizeof *gd);
    gd->h = h, gd->x = g->x, gd->input = gd->output = -1;
    if (g->input < 0 || g->output < 0) return h->error(g->x, CPOSE_PLUGIN_EINVAL, "TF graph: no input or output");
    struct build b = {g, gd, h->alloc((size_t)g->n_values * sizeof(int))};
    for (int i = 0; i < g->n_values; i++) b.node_of[i] = -1;
    /* the ops the output depends on (ops are in topological order) */
    char *needed = h->calloc((size_t)g->n_values, 1);
    needed[g->output] = 1;
    for (int i = g->n_ops - 1; i >= 0; i--)
        if (needed[g->ops[i].out])
            for (int k = 0; k < g->ops[i].n_in; k++) needed[g->ops[i].in[k]] = 1;
    const struct tfg_value *in = &g->values[g->input];
    int x = gd->input = b.node_of[g->input] = add_node(gd, node_name(h, "x"), "Placeholder");
    attr_type(gd, x, "dtype", TFGD_DT_FLOAT);
    attr_ints(gd, x, "shape", TFGD_ATTR_SHAPE, in->dims, in->ndim);
    int rc = 0;
    for (int i = 0; i < g->n_ops && rc == 0; i++)
        if (needed[g->ops[i].out]) rc = emit_op(&b, &g->ops[i]);
    if (rc == 0 && b.node_of[g->output] < 0)
        rc = h->error(g->x, CPOSE_PLUGIN_EINVAL, "TF graph: the output '%s' is not computed by any op", g->values[g->output].name);
    if (rc == 0) {
        int id = gd->output = add_node(gd, node_name(h, "Identity"), "Identity");
        gd->out_ndim = g->values[g->output].ndim;
        memcpy(gd->out_dims, g->values[g->output].dims, sizeof gd->out_dims);
        input(gd, id, b.node_of[g->output]);
        attr_type(gd, id, "T", TFGD_DT_FLOAT);
        /* node names must be unique */
        const struct tfgd_node **by = h->alloc((size_t)gd->n_nodes * sizeof *by);
        for (int i = 0; i < gd->n_nodes; i++) by[i] = &gd->nodes[i];
        qsort(by, (size_t)gd->n_nodes, sizeof *by, cmp_names);
        for (int i = 1; i < gd->n_nodes && rc == 0; i++)
            if (!strcmp(by[i]->name, by[i - 1]->name))
                rc = h->error(g->x, CPOSE_PLUGIN_EINVAL, "TF graph: two nodes named '%s' (ops %s and %s); rename the model "
                              "layer or value", by[i]->name, by[i - 1]->op, by[i]->op);
        h->free(by);
    }
    h->free(needed);
    h->free(b.node_of);
    return rc;
}

int tfgd_from_export(const struct cpose_host *h, struct cpose_export *x, struct tfg_graph *g, struct tfgd_graph *gd)
{
    memset(gd, 0, sizeof *gd);
    memset(g, 0, sizeof *g);
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    const struct cpose_plugin_meta *md = h->meta(x);
    struct tfg_options o = {0, md->n_names, md->kpt_shape[0], md->kpt_shape[1]};
    int rc = tfg_from_view(h, x, v, &o, g);
    return rc ? rc : tfgd_build(g, gd);
}

/* ---- protobuf ---------------------------------------------------------------------------------- */

/* TensorShapeProto{dim=2 {size=1}} */
static void put_shape(struct pb_buf *p, uint32_t field, int ndim, const int64_t *dims)
{
    pb_begin(p, field);
    for (int k = 0; k < ndim; k++) {
        pb_begin(p, 2);
        pb_varint(p, 1, (uint64_t)dims[k]);
        pb_end(p);
    }
    pb_end(p);
}

/* AttrValue{list=1, s=2, i=3, b=5, type=6, shape=7, tensor=8}: the oneof is always written, even
 * when its value is 0/false/empty, so the reader knows which case it is. */
static void put_attr_value(struct pb_buf *p, const struct tfgd_node *n, const struct tfgd_attr *a)
{
    switch (a->kind) {
    case TFGD_ATTR_TYPE: pb_varint(p, 6, (uint64_t)a->i); break;
    case TFGD_ATTR_STR: pb_string(p, 2, a->s); break;
    case TFGD_ATTR_INT: pb_varint(p, 3, (uint64_t)a->i); break;
    case TFGD_ATTR_BOOL: pb_varint(p, 5, (uint64_t)!!a->i); break;
    case TFGD_ATTR_INTS:
        pb_begin(p, 1);  /* ListValue{i=3 packed} */
        if (a->n) pb_packed_varints(p, 3, a->ints, (size_t)a->n);
        pb_end(p);
        break;
    case TFGD_ATTR_SHAPE: put_shape(p, 7, a->n, a->ints); break;
    case TFGD_ATTR_TENSOR:
        pb_begin(p, 8);  /* TensorProto{dtype=1, tensor_shape=2, tensor_content=4, int_val=7} */
        pb_varint(p, 1, (uint64_t)n->dtype);
        put_shape(p, 2, n->ndim, n->dims);
        /* an int32 scalar (ConcatV2's axis) as int_val, the form TF writes for scalars and
         * OpenCV's TF importer reads; everything else as raw content */
        if (n->dtype == TFGD_DT_INT32 && n->ndim == 0) pb_packed_int32s(p, 7, n->data, 1);
        else pb_bytes(p, 4, n->data, n->nbytes);
        pb_end(p);
        break;
    }
}

/* GraphDef{node=1, versions=4} into p. */
static void put_graphdef(struct pb_buf *p, const struct tfgd_graph *gd)
{
    for (int i = 0; i < gd->n_nodes; i++) {
        const struct tfgd_node *n = &gd->nodes[i];
        pb_begin(p, 1);  /* NodeDef{name=1, op=2, input=3, attr=5 map} */
        pb_string(p, 1, n->name);
        pb_string(p, 2, n->op);
        for (int k = 0; k < n->n_in; k++) pb_string(p, 3, gd->nodes[n->in[k]].name);
        for (int k = 0; k < n->n_attr; k++) {
            pb_begin(p, 5);  /* map entry {key=1, value=2} */
            pb_string(p, 1, n->attr[k].key);
            pb_begin(p, 2);
            put_attr_value(p, n, &n->attr[k]);
            pb_end(p);
            pb_end(p);
        }
        pb_end(p);
    }
    pb_begin(p, 4);  /* VersionDef{producer=1} */
    pb_varint(p, 1, TFGD_PRODUCER);
    pb_end(p);
}

static uint8_t *take(const struct tfgd_graph *gd, struct pb_buf *p, size_t *n, const char *what)
{
    uint8_t *bytes = pb_take(p, n);
    if (!bytes) gd->h->error(gd->x, CPOSE_PLUGIN_ENOMEM, "%s: %s", what, p->error ? p->error : "encoding failed");
    pb_free(p);
    return bytes;
}

uint8_t *tfgd_encode_graphdef(const struct tfgd_graph *gd, size_t *n)
{
    struct pb_buf p;
    pb_init(&p, gd->h->realloc, gd->h->free);
    put_graphdef(&p, gd);
    return take(gd, &p, n, "GraphDef");
}

/* map<string, TensorInfo{name=1, dtype=2, tensor_shape=3}> entry */
static void put_tensor_info(struct pb_buf *p, uint32_t field, const char *key, const char *tensor, int ndim, const int64_t *dims)
{
    pb_begin(p, field);
    pb_string(p, 1, key);
    pb_begin(p, 2);
    pb_string(p, 1, tensor);
    pb_varint(p, 2, TFGD_DT_FLOAT);
    put_shape(p, 3, ndim, dims);
    pb_end(p);
    pb_end(p);
}

uint8_t *tfgd_encode_saved_model(const struct tfgd_graph *gd, const uint8_t *graphdef, size_t graphdef_len,
                                 const char *in_key, const char *out_key, size_t *n)
{
    struct pb_buf p;
    pb_init(&p, gd->h->realloc, gd->h->free);
    pb_varint(&p, 1, 1);         /* saved_model_schema_version */
    pb_begin(&p, 2);             /* meta_graphs: MetaGraphDef */
    pb_begin(&p, 1);             /* meta_info_def: MetaInfoDef{tags=4} */
    pb_string(&p, 4, "serve");
    pb_end(&p);
    pb_bytes(&p, 2, graphdef, graphdef_len);  /* graph_def */
    pb_begin(&p, 5);             /* signature_def map entry */
    pb_string(&p, 1, "serving_default");
    pb_begin(&p, 2);             /* SignatureDef{inputs=1, outputs=2, method_name=3} */
    const struct tfgd_attr *xs = tfgd_attr_of(&gd->nodes[gd->input], "shape");
    put_tensor_info(&p, 1, in_key, "x:0", xs ? xs->n : 0, xs ? xs->ints : NULL);
    put_tensor_info(&p, 2, out_key, "Identity:0", gd->out_ndim, gd->out_dims);
    pb_string(&p, 3, "tensorflow/serving/predict");
    pb_end(&p);
    pb_end(&p);
    pb_end(&p);
    return take(gd, &p, n, "SavedModel");
}
