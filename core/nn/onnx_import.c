/* core/nn/onnx_import.c — ONNX graph → cpose graph IR (the body op by op, the head recognised and
 * replaced by pose_head) and the model object around it. Contract in core/nn/onnx_import.h. */
#include "core/nn/onnx_import.h"
#include "core/nn/onnx_read.h"

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/base/num_convert.h"
#include "core/nn/model_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What an ONNX value name stands for during the import. */
enum value_kind {
    V_CONST = 1,  /* a constant tensor (consts[cidx]) */
    V_BODY,       /* a 4-D activation computed by cpose node `node` */
    V_PART,       /* channels [start, start+len) of body node `node` (a Split/Slice output, made lazily) */
    V_SIGMOID,    /* sigmoid(body node `node`), consumed only by the SiLU Mul */
    V_TAIL,       /* computed by the head's decode (replaced by pose_head) */
};

struct value {
    const char *name;  /* borrowed from the model proto */
    int kind;
    int cidx;                 /* V_CONST */
    int node;                 /* V_BODY, V_PART, V_SIGMOID */
    int c, stride;            /* V_BODY/V_PART: channels, spatial stride relative to the input */
    int start, len, group, part, n_parts;  /* V_PART: channel range; Split group id, index, count */
    int slice_node;           /* V_PART: the materialised slice node or -1 */
};

struct importer {
    const char *path;
    Onnx__ModelProto *mp;
    struct cpose_model *m;
    struct cpose_graph *g;
    struct value *vals;
    int n_vals, cap_vals;
    int *hash;  /* open addressing over vals, size hcap (power of two), -1 empty */
    int hcap;
    struct cpose_onnx_const *consts;
    int n_consts, cap_consts;
    int *uses;   /* per value: consumer count */
    int n_groups;
    /* head evidence */
    int boundary[16], n_boundary;
    int n_softmax, reg_max, n_tail;
    struct cpose_onnx_meta meta;
};

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

/* Index of value `name`, or -1. */
static int val_find(const struct importer *im, const char *name)
{
    if (!im->hcap) return -1;
    for (uint32_t h = hash_str(name) & (im->hcap - 1);; h = (h + 1) & (im->hcap - 1)) {
        int k = im->hash[h];
        if (k < 0) return -1;
        if (!strcmp(im->vals[k].name, name)) return k;
    }
}

/* Adds (or redefines) value `name`; returns it. */
static struct value *val_put(struct importer *im, const char *name, int kind)
{
    int k = val_find(im, name);
    if (k < 0) {
        if (im->n_vals + 1 > im->hcap / 2) {
            int nc = im->hcap ? im->hcap * 2 : 1024;
            cpose_free(im->hash);
            im->hash = cpose_malloc(nc * sizeof(int));
            for (int i = 0; i < nc; i++) im->hash[i] = -1;
            im->hcap = nc;
            for (int i = 0; i < im->n_vals; i++) {
                uint32_t h = hash_str(im->vals[i].name) & (nc - 1);
                while (im->hash[h] >= 0) h = (h + 1) & (nc - 1);
                im->hash[h] = i;
            }
        }
        if (im->n_vals == im->cap_vals) {
            im->cap_vals = im->cap_vals ? 2 * im->cap_vals : 512;
            im->vals = cpose_realloc(im->vals, im->cap_vals * sizeof *im->vals);
        }
        k = im->n_vals++;
        uint32_t h = hash_str(name) & (im->hcap - 1);
        while (im->hash[h] >= 0) h = (h + 1) & (im->hcap - 1);
        im->hash[h] = k;
    }
    struct value *v = &im->vals[k];
    memset(v, 0, sizeof *v);
    v->name = name, v->kind = kind, v->slice_node = -1, v->node = -1;
    return v;
}

static int add_const(struct importer *im, struct cpose_onnx_const *take)
{
    if (im->n_consts == im->cap_consts) {
        im->cap_consts = im->cap_consts ? 2 * im->cap_consts : 256;
        im->consts = cpose_realloc(im->consts, im->cap_consts * sizeof *im->consts);
    }
    im->consts[im->n_consts] = *take;
    memset(take, 0, sizeof *take);
    return im->n_consts++;
}

static const char *node_label(const Onnx__NodeProto *n)
{
    return n->name && *n->name ? n->name : n->n_output ? n->output[0] : "?";
}

/* cpose node name from an ONNX node name: "/model.2/cv1/conv/Conv" → "model.2.cv1.conv". */
static void cpose_name(const Onnx__NodeProto *n, char *buf, size_t cap)
{
    const char *s = node_label(n);
    while (*s == '/') s++;
    snprintf(buf, cap, "%s", s);
    char *slash = strrchr(buf, '/');
    if (slash && slash != buf) *slash = 0;
    for (char *p = buf; *p; p++)
        if (*p == '/') *p = '.';
}

#define NODE_ERR(rc, n, ...)                                                                                   \
    node_err(im, (rc), (n), cpose_asprintf(__VA_ARGS__))
static int node_err(struct importer *im, int rc, const Onnx__NodeProto *n, char *take_msg)
{
    rc = cpose_err(rc, "%s: node '%s' (op %s): %s", im->path, node_label(n), n->op_type ? n->op_type : "?", take_msg);
    cpose_free(take_msg);
    return rc;
}

/* The const behind input k of n, or NULL (absent, or not a constant). */
static const struct cpose_onnx_const *input_const(const struct importer *im, const Onnx__NodeProto *n, size_t k)
{
    if (k >= n->n_input || !*n->input[k]) return NULL;
    int v = val_find(im, n->input[k]);
    return v >= 0 && im->vals[v].kind == V_CONST ? &im->consts[im->vals[v].cidx] : NULL;
}

/* Parameter table entry (owned copy) for a constant used as conv weight/bias; reused by name. */
static float *param_for(struct importer *im, const struct cpose_onnx_const *c, int kind)
{
    struct cpose_param *p = cpose_model_param(im->m, c->name);
    if (p) return p->data;
    struct cpose_param np = {0};
    np.name = cpose_strdup(c->name);
    np.ndim = c->ndim > 4 ? 4 : c->ndim;
    for (int d = 0; d < np.ndim; d++) np.dims[d] = c->dims[d];
    np.numel = c->numel;
    np.data = cpose_malloc((size_t)c->numel * sizeof(float));
    memcpy(np.data, c->f, (size_t)c->numel * sizeof(float));
    np.kind = kind;
    p = cpose_vec_push(&im->m->params, &np);
    return p->data;
}

/* The body node for value index v (materialising a slice for a channel part). -1 if v is not a
 * body value. */
static int body_node(struct importer *im, int vi, const char *name)
{
    struct value *v = &im->vals[vi];
    if (v->kind == V_BODY) return v->node;
    if (v->kind != V_PART) return -1;
    if (v->slice_node < 0) {
        struct cpose_slice_params *p = cpose_calloc(1, sizeof *p);
        p->start = v->start, p->len = v->len;
        v->slice_node = cpose_graph_add(im->g, CPOSE_OP_slice, &v->node, 1, p, name);
    }
    return v->slice_node;
}

static int is_body(const struct value *v) { return v && (v->kind == V_BODY || v->kind == V_PART); }

static struct value *input_val(struct importer *im, const Onnx__NodeProto *n, size_t k)
{
    if (k >= n->n_input || !*n->input[k]) return NULL;
    int v = val_find(im, n->input[k]);
    return v >= 0 ? &im->vals[v] : NULL;
}

static void set_body(struct importer *im, const char *out, int node, int c, int stride)
{
    struct value *v = val_put(im, out, V_BODY);
    v->node = node, v->c = c, v->stride = stride;
}

/* Body value behind input 0 of n as a node id (errors when it is missing). */
static int need_body_input(struct importer *im, const Onnx__NodeProto *n, size_t k, struct value **vout)
{
    struct value *v = input_val(im, n, k);
    if (!is_body(v)) return -1;
    char name[160];
    cpose_name(n, name, sizeof name);
    strncat(name, ".part", sizeof name - strlen(name) - 1);
    *vout = v;
    return body_node(im, (int)(v - im->vals), name);
}

static int axis_norm(int64_t axis, int rank) { return (int)(axis < 0 ? axis + rank : axis); }

/* ---- body ops ---- */

static int imp_conv(struct importer *im, const Onnx__NodeProto *n)
{
    struct value *x;
    int xin = need_body_input(im, n, 0, &x);
    const struct cpose_onnx_const *w = input_const(im, n, 1), *b = input_const(im, n, 2);
    if (xin < 0) return NODE_ERR(CPOSE_ENOTSUP, n, "input '%s' is not an activation of the network body", n->input[0]);
    if (!w || w->ndim != 4)
        return NODE_ERR(CPOSE_ENOTSUP, n, "weight '%s' must be a constant 4-D tensor (initializer or Constant)",
                        n->n_input > 1 ? n->input[1] : "");
    if (n->n_input > 2 && *n->input[2] && (!b || b->numel != w->dims[0]))
        return NODE_ERR(CPOSE_ENOTSUP, n, "bias '%s' must be a constant of %lld values", n->input[2],
                        (long long)w->dims[0]);
    const int64_t *ks, *st, *pd, *dl;
    size_t nks = cpose_onnx_attr_ints(n, "kernel_shape", &ks), nst = cpose_onnx_attr_ints(n, "strides", &st);
    size_t npd = cpose_onnx_attr_ints(n, "pads", &pd), ndl = cpose_onnx_attr_ints(n, "dilations", &dl);
    char buf[32];
    const char *autopad = cpose_onnx_attr_str(n, "auto_pad", "NOTSET", buf, sizeof buf);
    if (cpose_onnx_attr_int(n, "group", 1) != 1)
        return NODE_ERR(CPOSE_ENOTSUP, n, "group=%lld: cpose runs only group=1 convolutions",
                        (long long)cpose_onnx_attr_int(n, "group", 1));
    if (w->dims[2] != w->dims[3] || (nks && (nks != 2 || ks[0] != w->dims[2] || ks[1] != w->dims[3])))
        return NODE_ERR(CPOSE_ENOTSUP, n, "kernel %lldx%lld: cpose runs square 2-D kernels only", (long long)w->dims[2],
                        (long long)w->dims[3]);
    for (size_t k = 0; k < ndl; k++)
        if (dl[k] != 1) return NODE_ERR(CPOSE_ENOTSUP, n, "dilation %lld: cpose runs undilated convolutions only", (long long)dl[k]);
    int stride = nst ? (int)st[0] : 1, pad = npd ? (int)pd[0] : 0, k = (int)w->dims[2];
    if (nst && (nst != 2 || st[1] != st[0])) return NODE_ERR(CPOSE_ENOTSUP, n, "unequal strides");
    for (size_t q = 0; q < npd; q++)
        if (npd != 4 || pd[q] != pd[0]) return NODE_ERR(CPOSE_ENOTSUP, n, "asymmetric pads: cpose pads all sides alike");
    if (!strcmp(autopad, "VALID")) pad = 0;
    else if ((!strcmp(autopad, "SAME_UPPER") || !strcmp(autopad, "SAME_LOWER")) && stride == 1 && k % 2) pad = k / 2;
    else if (strcmp(autopad, "NOTSET")) return NODE_ERR(CPOSE_ENOTSUP, n, "auto_pad=%s with stride %d, kernel %d", autopad, stride, k);
    if (w->dims[1] != x->c)
        return NODE_ERR(CPOSE_ESHAPE, n, "weight '%s' expects %lld input channels, its input '%s' has %d", w->name,
                        (long long)w->dims[1], n->input[0], x->c);
    struct cpose_conv2d_params *p = cpose_calloc(1, sizeof *p);
    p->cin = (int)w->dims[1], p->cout = (int)w->dims[0], p->k = k, p->stride = stride, p->pad = pad;
    p->weight = param_for(im, w, CPOSE_PARAM_WEIGHT);
    p->bias = b ? param_for(im, b, CPOSE_PARAM_BIAS) : NULL;
    char name[160];
    cpose_name(n, name, sizeof name);
    int id = cpose_graph_add(im->g, CPOSE_OP_conv2d, &xin, 1, p, name);
    set_body(im, n->output[0], id, p->cout, x->stride * stride);
    return CPOSE_OK;
}

/* QuantizeLinear of a body value with a per-tensor scale and zero point (a uint8 or int8 zero point
 * tensor; uint8 when absent) becomes a fake_quantize node: the pair QuantizeLinear →
 * DequantizeLinear (the QDQ form of a quantised activation) computes exactly that in float, and the
 * DequantizeLinear reading it passes the value on (import_node). */
static int imp_quantize(struct importer *im, const Onnx__NodeProto *n)
{
    struct value *x;
    int xin = need_body_input(im, n, 0, &x);
    const struct cpose_onnx_const *sc = input_const(im, n, 1), *zp = input_const(im, n, 2);
    if (!sc || sc->numel != 1 || !(sc->f[0] > 0)) return NODE_ERR(CPOSE_ENOTSUP, n, "y_scale must be one positive constant (per tensor)");
    if (n->n_input > 2 && *n->input[2] && (!zp || zp->numel != 1)) return NODE_ERR(CPOSE_ENOTSUP, n, "y_zero_point must be one constant");
    int is_signed = zp && zp->elem_type == 3;  /* ONNX INT8 */
    struct cpose_fake_quantize_params *p = cpose_calloc(1, sizeof *p);
    p->scale = sc->f[0], p->zero = zp ? zp->f[0] : 0, p->qmin = is_signed ? -128 : 0, p->qmax = is_signed ? 127 : 255;
    if (p->zero < p->qmin || p->zero > p->qmax) {
        cpose_free(p);
        return NODE_ERR(CPOSE_EINVAL, n, "zero point %g outside [%g, %g]", zp->f[0], is_signed ? -128.0 : 0.0, is_signed ? 127.0 : 255.0);
    }
    char name[160];
    cpose_name(n, name, sizeof name);
    int id = cpose_graph_add(im->g, CPOSE_OP_fake_quantize, &xin, 1, p, name);
    set_body(im, n->output[0], id, x->c, x->stride);
    return CPOSE_OK;
}

static int imp_maxpool(struct importer *im, const Onnx__NodeProto *n)
{
    struct value *x;
    int xin = need_body_input(im, n, 0, &x);
    const int64_t *ks, *st, *pd, *dl;
    size_t nks = cpose_onnx_attr_ints(n, "kernel_shape", &ks), nst = cpose_onnx_attr_ints(n, "strides", &st);
    size_t npd = cpose_onnx_attr_ints(n, "pads", &pd), ndl = cpose_onnx_attr_ints(n, "dilations", &dl);
    char buf[32];
    if (strcmp(cpose_onnx_attr_str(n, "auto_pad", "NOTSET", buf, sizeof buf), "NOTSET"))
        return NODE_ERR(CPOSE_ENOTSUP, n, "auto_pad=%s: give explicit pads", buf);
    if (nks != 2 || ks[0] != ks[1]) return NODE_ERR(CPOSE_ENOTSUP, n, "cpose runs square 2-D pooling windows only");
    if (nst && (nst != 2 || st[0] != st[1])) return NODE_ERR(CPOSE_ENOTSUP, n, "unequal strides");
    for (size_t q = 0; q < npd; q++)
        if (npd != 4 || pd[q] != pd[0]) return NODE_ERR(CPOSE_ENOTSUP, n, "asymmetric pads");
    for (size_t q = 0; q < ndl; q++)
        if (dl[q] != 1) return NODE_ERR(CPOSE_ENOTSUP, n, "dilated pooling");
    int stride = nst ? (int)st[0] : 1;
    if (cpose_onnx_attr_int(n, "ceil_mode", 0) && stride != 1) return NODE_ERR(CPOSE_ENOTSUP, n, "ceil_mode=1");
    if (n->n_output > 1 && *n->output[1]) return NODE_ERR(CPOSE_ENOTSUP, n, "the Indices output");
    struct cpose_maxpool2d_params *p = cpose_calloc(1, sizeof *p);
    p->k = (int)ks[0], p->stride = stride, p->pad = npd ? (int)pd[0] : 0;
    char name[160];
    cpose_name(n, name, sizeof name);
    int id = cpose_graph_add(im->g, CPOSE_OP_maxpool2d, &xin, 1, p, name);
    set_body(im, n->output[0], id, x->c, x->stride * stride);
    return CPOSE_OK;
}

static int imp_resize(struct importer *im, const Onnx__NodeProto *n)
{
    struct value *x;
    int xin = need_body_input(im, n, 0, &x);
    char mode[32], ctm[32], nm[32];
    cpose_onnx_attr_str(n, "mode", "nearest", mode, sizeof mode);
    cpose_onnx_attr_str(n, "coordinate_transformation_mode", "half_pixel", ctm, sizeof ctm);
    cpose_onnx_attr_str(n, "nearest_mode", "round_prefer_floor", nm, sizeof nm);
    if (!strcmp(n->op_type, "Upsample")) strcpy(ctm, "asymmetric"), strcpy(nm, "floor");
    const struct cpose_onnx_const *sc = input_const(im, n, !strcmp(n->op_type, "Upsample") ? 1 : 2);
    if (strcmp(mode, "nearest")) return NODE_ERR(CPOSE_ENOTSUP, n, "mode=%s: cpose upsamples with nearest only", mode);
    if (!sc || sc->numel != 4)
        return NODE_ERR(CPOSE_ENOTSUP, n, "scales must be a constant of 4 values (sizes= resizes are not supported)");
    int s = cpose_float_to_i32(sc->f[2]);
    if (sc->f[0] != 1 || sc->f[1] != 1 || sc->f[2] != sc->f[3] || sc->f[2] != (float)s || s < 1)
        return NODE_ERR(CPOSE_ENOTSUP, n, "scales [%g, %g, %g, %g]: cpose upsamples H and W by one integer factor",
                        sc->f[0], sc->f[1], sc->f[2], sc->f[3]);
    /* nearest ×s with these coordinate rules picks source pixel floor(i/s) (repeat) */
    int repeat = (!strcmp(ctm, "asymmetric") && !strcmp(nm, "floor")) ||
                 ((!strcmp(ctm, "half_pixel") || !strcmp(ctm, "pytorch_half_pixel")) &&
                  (!strcmp(nm, "round_prefer_floor") || (s % 2 == 1)));
    if (!repeat)
        return NODE_ERR(CPOSE_ENOTSUP, n, "coordinate_transformation_mode=%s nearest_mode=%s is not a pixel repeat", ctm, nm);
    if (x->stride % s) return NODE_ERR(CPOSE_ESHAPE, n, "upsampling ×%d above the input resolution", s);
    struct cpose_upsample_params *p = cpose_calloc(1, sizeof *p);
    p->scale = s;
    char name[160];
    cpose_name(n, name, sizeof name);
    int id = cpose_graph_add(im->g, CPOSE_OP_upsample, &xin, 1, p, name);
    set_body(im, n->output[0], id, x->c, x->stride / s);
    return CPOSE_OK;
}

static int imp_split(struct importer *im, const Onnx__NodeProto *n, struct value *x)
{
    int axis = axis_norm(cpose_onnx_attr_int(n, "axis", 0), 4);
    if (axis != 1) return 1; /* not a channel split: part of the head */
    int sizes[16], k = (int)n->n_output;
    if (k > 16) return NODE_ERR(CPOSE_ENOTSUP, n, "%d outputs (at most 16)", k);
    const struct cpose_onnx_const *sc = input_const(im, n, 1);
    const int64_t *sa;
    size_t nsa = cpose_onnx_attr_ints(n, "split", &sa);
    if (n->n_input > 1 && *n->input[1] && !sc) return NODE_ERR(CPOSE_ENOTSUP, n, "split sizes must be constant");
    for (int q = 0; q < k; q++) {
        if (sc) sizes[q] = q < sc->numel ? (int)sc->i[q] : -1;
        else if (nsa) sizes[q] = q < (int)nsa ? (int)sa[q] : -1;
        else sizes[q] = (x->c + k - 1) / k, sizes[q] = q == k - 1 ? x->c - sizes[q] * (k - 1) : sizes[q];
    }
    int total = 0;
    for (int q = 0; q < k; q++) total += sizes[q] > 0 ? sizes[q] : -100000;
    if (total != x->c) return NODE_ERR(CPOSE_ESHAPE, n, "split sizes do not add up to the input's %d channels", x->c);
    int src = body_node(im, (int)(x - im->vals), "split"), start = 0, group = ++im->n_groups, stride = x->stride;
    for (int q = 0; q < k; q++) {
        struct value *v = val_put(im, n->output[q], V_PART);
        v->node = src, v->start = start, v->len = sizes[q], v->c = sizes[q], v->stride = stride;
        v->group = group, v->part = q, v->n_parts = k;
        start += sizes[q];
    }
    return CPOSE_OK;
}

static int imp_slice(struct importer *im, const Onnx__NodeProto *n, struct value *x)
{
    const struct cpose_onnx_const *st = input_const(im, n, 1), *en = input_const(im, n, 2), *ax = input_const(im, n, 3),
                                  *sp = input_const(im, n, 4);
    if (!st || !en || st->numel != 1 || en->numel != 1) return 1;
    int axis = ax ? (ax->numel == 1 ? axis_norm(ax->i[0], 4) : -1) : 0;
    if (axis != 1 || (sp && (sp->numel != 1 || sp->i[0] != 1))) return 1;
    int64_t s = st->i[0], e = en->i[0], C = x->c;
    if (s < 0) s += C;
    if (e < 0) e += C;
    s = s < 0 ? 0 : s > C ? C : s;
    e = e < 0 ? 0 : e > C ? C : e;
    if (e <= s) return NODE_ERR(CPOSE_ESHAPE, n, "empty channel range");
    int src = body_node(im, (int)(x - im->vals), "slice");
    struct value *v = val_put(im, n->output[0], V_PART);
    v->node = src, v->start = (int)s, v->len = v->c = (int)(e - s), v->stride = x->stride;
    v->group = ++im->n_groups, v->part = 0, v->n_parts = 0;  /* never merged back */
    return CPOSE_OK;
}

static int imp_concat(struct importer *im, const Onnx__NodeProto *n)
{
    int in[8], n_in = 0, c = 0, stride = -1;
    if (axis_norm(cpose_onnx_attr_int(n, "axis", 0), 4) != 1) return 1;
    for (size_t k = 0; k < n->n_input; k++) {
        struct value *v = input_val(im, n, k);
        if (!is_body(v)) return 1;
        if (stride >= 0 && v->stride != stride)
            return NODE_ERR(CPOSE_ESHAPE, n, "input '%s' has stride %d, input 0 stride %d", n->input[k], v->stride, stride);
        stride = v->stride;
        /* all parts of one Split, in order: read the Split's input (no slices, as the builder's C2f) */
        if (v->kind == V_PART && v->part == 0 && v->n_parts > 1 && k + v->n_parts <= n->n_input) {
            int whole = 1;
            for (int q = 1; q < v->n_parts && whole; q++) {
                struct value *u = input_val(im, n, k + q);
                whole = u && u->kind == V_PART && u->group == v->group && u->part == q;
            }
            if (whole) {
                int total = 0;
                for (int q = 0; q < v->n_parts; q++) total += input_val(im, n, k + q)->len;
                if (n_in == 8) return NODE_ERR(CPOSE_ENOTSUP, n, "more than 8 inputs");
                in[n_in++] = v->node;
                c += total;
                k += v->n_parts - 1;
                continue;
            }
        }
        if (n_in == 8) return NODE_ERR(CPOSE_ENOTSUP, n, "more than 8 inputs");
        char name[160];
        cpose_name(n, name, sizeof name);
        in[n_in++] = body_node(im, (int)(v - im->vals), name);
        c += v->c;
    }
    char name[160];
    cpose_name(n, name, sizeof name);
    int id = n_in == 1 ? in[0] : cpose_graph_add(im->g, CPOSE_OP_concat, in, n_in, NULL, name);
    set_body(im, n->output[0], id, c, stride);
    return CPOSE_OK;
}

/* ---- the walk ---- */

/* Ops the head's decode may contain (replaced by pose_head as a whole). */
static int tail_op(const char *op)
{
    static const char *const ok[] = {"Reshape", "Transpose", "Softmax", "Split", "Slice", "Concat", "Conv", "Sigmoid",
                                     "Mul", "Add", "Sub", "Div", "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast",
                                     "Identity", "Constant", "Flatten", "MatMul", "ReduceSum", "Expand",
                                     "ConstantOfShape", "Range", NULL};
    for (int k = 0; ok[k]; k++)
        if (!strcmp(op, ok[k])) return 1;
    return 0;
}

static const char SUPPORTED[] =
    "Conv, Sigmoid+Mul (SiLU), Add, Concat, Split, Slice, MaxPool, Resize (nearest), Identity, Cast, Constant, and the "
    "YOLOv8-pose head's Reshape/Transpose/Softmax/Sigmoid/Mul/Add/Sub/Div/Gather/Shape";

/* Records body value v as an input of the head (once). A channel part is not materialised here:
 * build_head reads the whole tensor when the head's parts cover it. */
static int add_boundary(struct importer *im, const Onnx__NodeProto *n, struct value *v)
{
    for (int k = 0; k < im->n_boundary; k++) {
        const struct value *b = &im->vals[im->boundary[k]];
        if (b->kind == v->kind && b->node == v->node && (v->kind == V_BODY || (b->start == v->start && b->len == v->len)))
            return CPOSE_OK;
    }
    if (im->n_boundary == 16) return NODE_ERR(CPOSE_ENOTSUP, n, "the head reads more than 16 body tensors");
    im->boundary[im->n_boundary++] = (int)(v - im->vals);
    return CPOSE_OK;
}

static int mark_tail(struct importer *im, const Onnx__NodeProto *n)
{
    if (!tail_op(n->op_type))
        return NODE_ERR(CPOSE_ENOTSUP, n, "op %s is not supported by cpose's ONNX import (supported: %s)", n->op_type,
                        SUPPORTED);
    int rc, reads_data = strcmp(n->op_type, "Shape") != 0;  /* Shape reads only the dims */
    for (size_t k = 0; k < n->n_input; k++) {
        struct value *v = input_val(im, n, k);
        if (reads_data && is_body(v) && (rc = add_boundary(im, n, v)) != CPOSE_OK) return rc;
        if (v && v->kind == V_SIGMOID)
            return NODE_ERR(CPOSE_ENOTSUP, n, "reads a SiLU's sigmoid '%s' outside the SiLU", n->input[k]);
    }
    if (!strcmp(n->op_type, "Softmax")) im->n_softmax++;
    if (!strcmp(n->op_type, "Conv")) {
        /* the DFL: a 1×1 conv with weights 0..reg_max-1, to float rounding: an EMA of the frozen
         * weights in float32 (cpose's, Ultralytics') leaves bins like 6.9999995 and 10.999999 */
        const struct cpose_onnx_const *w = input_const(im, n, 1);
        int arange = w && w->ndim == 4 && w->dims[0] == 1 && w->dims[2] == 1 && w->dims[3] == 1 && w->dims[1] > 1;
        for (int64_t k = 0; arange && k < w->numel; k++) arange = fabsf(w->f[k] - (float)k) <= 1e-3f;
        if (!arange) return NODE_ERR(CPOSE_ENOTSUP, n, "a convolution inside the head that is not the DFL (weights 0..reg_max-1)");
        if (im->reg_max && im->reg_max != (int)w->dims[1])
            return NODE_ERR(CPOSE_ENOTSUP, n, "DFL convs with %d and %d bins", im->reg_max, (int)w->dims[1]);
        im->reg_max = (int)w->dims[1];
        param_for(im, w, CPOSE_PARAM_FROZEN);
    }
    im->n_tail++;
    for (size_t k = 0; k < n->n_output; k++)
        if (*n->output[k]) val_put(im, n->output[k], V_TAIL);
    return CPOSE_OK;
}

/* Is input a of Mul node n sigmoid(b)? */
static int mul_is_silu(struct importer *im, const Onnx__NodeProto *n, struct value **x)
{
    if (n->n_input != 2) return 0;
    for (int j = 0; j < 2; j++) {
        struct value *s = input_val(im, n, j), *v = input_val(im, n, 1 - j);
        if (s && v && s->kind == V_SIGMOID && is_body(v) &&
            (s->node == v->node || (v->kind == V_PART && v->slice_node == s->node))) {
            *x = v;
            return 1;
        }
    }
    return 0;
}

static int import_node(struct importer *im, const Onnx__NodeProto *n)
{
    const char *op = n->op_type ? n->op_type : "";
    int rc, any_tail = 0, any_body = 0;
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
        return NODE_ERR(CPOSE_ENOTSUP, n, "domain '%s': cpose imports the standard ONNX domain only", n->domain);
    for (size_t k = 0; k < n->n_input; k++) {
        if (!*n->input[k]) continue;
        struct value *v = input_val(im, n, k);
        if (!v || !v->kind)
            return NODE_ERR(CPOSE_EINVAL, n, "input '%s' is not produced by any earlier node, initializer or graph "
                                             "input (nodes must be in topological order)", n->input[k]);
        any_tail |= v->kind == V_TAIL;
        any_body |= is_body(v);
    }
    if (n->n_output == 0) return NODE_ERR(CPOSE_EINVAL, n, "no outputs");
    if (!strcmp(op, "Constant")) {
        struct cpose_onnx_const c;
        if ((rc = cpose_onnx_const_from_node(n, &c)) != CPOSE_OK) return cpose_err_context(rc, "%s", im->path);
        val_put(im, n->output[0], V_CONST)->cidx = add_const(im, &c);
        return CPOSE_OK;
    }
    if (any_tail) return mark_tail(im, n);
    if (!strcmp(op, "Identity") || (!strcmp(op, "Cast") && (any_body || input_const(im, n, 0)))) {
        struct value *v = input_val(im, n, 0);
        if (!v) return NODE_ERR(CPOSE_EINVAL, n, "no input");
        struct value copy = *v;
        struct value *o = val_put(im, n->output[0], copy.kind);
        const char *name = o->name;
        *o = copy;
        o->name = name;
        if (o->kind == V_CONST) {
            /* a constant under a second name (PyTorch's export dedups equal weights this way):
             * its own copy, so the parameter table keeps every state_dict key */
            const struct cpose_onnx_const *src = &im->consts[o->cidx];
            struct cpose_onnx_const c = *src;
            c.name = cpose_strdup(name);
            c.f = cpose_malloc((size_t)(src->numel ? src->numel : 1) * sizeof(float));
            c.i = cpose_malloc((size_t)(src->numel ? src->numel : 1) * sizeof(int64_t));
            memcpy(c.f, src->f, (size_t)src->numel * sizeof(float));
            memcpy(c.i, src->i, (size_t)src->numel * sizeof(int64_t));
            o->cidx = add_const(im, &c);
        }
        return CPOSE_OK;
    }
    if (!any_body) {
        /* computed from constants only (shape arithmetic): belongs to the head if anywhere */
        return mark_tail(im, n);
    }
    struct value *x0 = input_val(im, n, 0), *sx;
    if (!strcmp(op, "Conv") && is_body(x0)) return imp_conv(im, n);
    if (!strcmp(op, "MaxPool") && is_body(x0)) return imp_maxpool(im, n);
    if (!strcmp(op, "QuantizeLinear") && is_body(x0)) return imp_quantize(im, n);
    if (!strcmp(op, "DequantizeLinear") && x0->kind == V_BODY &&
        cpose_graph_node(im->g, x0->node)->op == CPOSE_OP_fake_quantize) {
        /* the scale and zero point must be the QuantizeLinear's: then the pair is the fake_quantize */
        const struct cpose_fake_quantize_params *p = cpose_graph_node(im->g, x0->node)->params;
        const struct cpose_onnx_const *sc = input_const(im, n, 1), *zp = input_const(im, n, 2);
        if (!sc || sc->numel != 1 || sc->f[0] != p->scale || (zp ? zp->f[0] : 0) != p->zero)
            return NODE_ERR(CPOSE_ENOTSUP, n, "a DequantizeLinear whose scale or zero point differ from its QuantizeLinear's");
        set_body(im, n->output[0], x0->node, x0->c, x0->stride);
        return CPOSE_OK;
    }
    if ((!strcmp(op, "Resize") || !strcmp(op, "Upsample")) && is_body(x0)) return imp_resize(im, n);
    if (!strcmp(op, "Sigmoid") && is_body(x0)) {
        /* part of a SiLU when its only consumer is Mul(x, sigmoid(x)) — decided by the pre-pass */
        int vi = val_find(im, n->output[0]);
        if (vi >= 0 && im->vals[vi].kind == V_SIGMOID) {
            char name[160];
            cpose_name(n, name, sizeof name);
            im->vals[vi].node = body_node(im, (int)(x0 - im->vals), name);
            return CPOSE_OK;
        }
        return mark_tail(im, n);
    }
    if (!strcmp(op, "Mul") && mul_is_silu(im, n, &sx)) {
        char name[160];
        cpose_name(n, name, sizeof name);
        int xin = body_node(im, (int)(sx - im->vals), name);
        int id = cpose_graph_add(im->g, CPOSE_OP_silu, &xin, 1, NULL, name);
        set_body(im, n->output[0], id, sx->c, sx->stride);
        return CPOSE_OK;
    }
    if (!strcmp(op, "Add") && n->n_input == 2) {
        struct value *a = input_val(im, n, 0), *b = input_val(im, n, 1);
        if (is_body(a) && is_body(b)) {
            if (a->c != b->c || a->stride != b->stride)
                return NODE_ERR(CPOSE_ESHAPE, n, "adds %d channels at stride %d to %d channels at stride %d", a->c,
                                a->stride, b->c, b->stride);
            char name[160];
            cpose_name(n, name, sizeof name);
            int ab[2] = {body_node(im, (int)(a - im->vals), name), body_node(im, (int)(b - im->vals), name)};
            int id = cpose_graph_add(im->g, CPOSE_OP_add, ab, 2, NULL, name);
            set_body(im, n->output[0], id, a->c, a->stride);
            return CPOSE_OK;
        }
    }
    if (!strcmp(op, "Split") && is_body(x0)) {
        if ((rc = imp_split(im, n, x0)) <= 0) return rc;
    }
    if (!strcmp(op, "Slice") && is_body(x0)) {
        if ((rc = imp_slice(im, n, x0)) <= 0) return rc;
    }
    if (!strcmp(op, "Concat")) {
        if ((rc = imp_concat(im, n)) <= 0) return rc;
    }
    /* anything else reading the body starts the head */
    return mark_tail(im, n);
}

/* Pre-pass: counts consumers of each value name and marks each Sigmoid whose only consumer is
 * Mul(x, sigmoid(x)) as half of a SiLU. Runs after the initializers and graph input are known. */
static void find_silus(struct importer *im)
{
    const Onnx__GraphProto *g = im->mp->graph;
    /* count uses by name through a temporary table of value slots */
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_output; k++)
            if (*g->node[i]->output[k] && val_find(im, g->node[i]->output[k]) < 0)
                val_put(im, g->node[i]->output[k], 0);
    im->uses = cpose_calloc(im->n_vals + 1, sizeof(int));
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_input; k++) {
            int v = *g->node[i]->input[k] ? val_find(im, g->node[i]->input[k]) : -1;
            if (v >= 0) im->uses[v]++;
        }
    for (size_t j = 0; j < g->n_output; j++) {
        int v = val_find(im, g->output[j]->name);
        if (v >= 0) im->uses[v]++;
    }
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *mul = g->node[i];
        if (strcmp(mul->op_type, "Mul") || mul->n_input != 2) continue;
        for (int j = 0; j < 2; j++) {
            /* find the Sigmoid producing input j */
            for (size_t q = 0; q < i; q++) {
                const Onnx__NodeProto *s = g->node[q];
                if (strcmp(s->op_type, "Sigmoid") || s->n_input != 1 || s->n_output != 1 ||
                    strcmp(s->output[0], mul->input[j]) || strcmp(s->input[0], mul->input[1 - j]))
                    continue;
                int v = val_find(im, s->output[0]);
                if (v >= 0 && im->uses[v] == 1) im->vals[v].kind = V_SIGMOID;
            }
        }
    }
}

/* ---- the head ---- */

/* The node the head reads for boundary value vi (a channel part is materialised as a slice). */
static int head_input(struct importer *im, int vi)
{
    return body_node(im, vi, "head.input");
}

/* Channels of the tensor a part was cut from. */
static int src_channels(const struct importer *im, const struct value *part)
{
    for (int k = 0; k < im->n_vals; k++)
        if (im->vals[k].kind == V_BODY && im->vals[k].node == part->node) return im->vals[k].c;
    return -1;
}

static int cmp_stride(const void *a, const void *b)
{
    return ((const int *)a)[0] - ((const int *)b)[0];
}

static int build_head(struct importer *im, const char *out_name)
{
    struct cpose_model *m = im->m;
    int ov = val_find(im, out_name);
    if (ov < 0 || im->vals[ov].kind != V_TAIL)
        return cpose_err(CPOSE_ENOTSUP, "%s: output '%s' is not computed by a YOLOv8-pose head (cpose imports pose "
                                        "models: convolutions, then the box/class/keypoint decode)", im->path, out_name);
    if (im->n_softmax < 1 || !im->reg_max)
        return cpose_err(CPOSE_ENOTSUP, "%s: the head is not YOLOv8-pose's decode (expected the DFL's Softmax and 1x1 "
                                        "conv; found %d Softmax, %s DFL); cpose cannot run this head", im->path,
                         im->n_softmax, im->reg_max ? "a" : "no");
    int R = im->reg_max;
    int nk = im->meta.kpt_shape[0] ? im->meta.kpt_shape[0] : 17, kdim = im->meta.kpt_shape[1] ? im->meta.kpt_shape[1] : 3;
    int K = nk * kdim;
    /* group the head's inputs by stride: per level a box+class tensor (or box and class apart) and keypoints */
    int order[16][2];
    for (int k = 0; k < im->n_boundary; k++) order[k][0] = im->vals[im->boundary[k]].stride, order[k][1] = im->boundary[k];
    qsort(order, im->n_boundary, sizeof order[0], cmp_stride);
    int nl = 0, lv_node[4], kp_node[4], strides[4], nc = -1;
    for (int k = 0; k < im->n_boundary;) {
        int s = order[k][0], box = -1, cls = -1, both = -1, kpt = -1, e = k;
        while (e < im->n_boundary && order[e][0] == s) e++;
        if (nl == 4) return cpose_err(CPOSE_ENOTSUP, "%s: the head reads more than 4 levels", im->path);
        int box_v = -1, cls_v = -1;
        for (int q = k; q < e; q++) {
            struct value *v = &im->vals[order[q][1]];
            if (v->c == K && kpt < 0) kpt = head_input(im, order[q][1]);
            else if (v->c == 4 * R) box_v = order[q][1];
            else if (v->c > 4 * R && both < 0) both = head_input(im, order[q][1]), nc = v->c - 4 * R;
            else cls_v = order[q][1];
        }
        if (both < 0 && box_v >= 0 && cls_v >= 0) {
            /* box and class channels read apart: when they are the two parts [0, 4R) and [4R, 4R + nc) of
             * one tensor of 4R + nc channels, read that tensor (as the builder's level concat) */
            const struct value *bv = &im->vals[box_v], *cv = &im->vals[cls_v];
            if (bv->kind == V_PART && cv->kind == V_PART && bv->node == cv->node && bv->start == 0 &&
                cv->start == 4 * R && src_channels(im, bv) == 4 * R + cv->len)
                both = bv->node;
            nc = cv->c;
        }
        if (both < 0 && box_v >= 0 && cls_v >= 0)
            box = head_input(im, box_v), cls = head_input(im, cls_v), nc = im->vals[cls_v].c;
        if (kpt < 0 || (both < 0 && (box < 0 || cls < 0)))
            return cpose_err(CPOSE_ENOTSUP, "%s: at stride %d the head does not read a box+class tensor (%d + nc channels) "
                                            "and a keypoint tensor (%d channels = kpt_shape %dx%d)", im->path, s, 4 * R,
                             K, nk, kdim);
        if (both < 0) {
            int pair[2] = {box, cls};
            char name[64];
            snprintf(name, sizeof name, "head.level%d", nl);
            both = cpose_graph_add(im->g, CPOSE_OP_concat, pair, 2, NULL, name);
        }
        lv_node[nl] = both, kp_node[nl] = kpt, strides[nl] = s, nl++;
        k = e;
    }
    if (!nl || nc < 1) return cpose_err(CPOSE_ENOTSUP, "%s: no head levels found", im->path);
    if (im->meta.n_names && im->meta.n_names != nc)
        return cpose_err(CPOSE_EINVAL, "%s: metadata names has %d classes, the head %d", im->path, im->meta.n_names, nc);
    /* the declared output shape, when given, must be [B, 4 + nc + K, A] */
    const Onnx__GraphProto *g = im->mp->graph;
    const Onnx__ValueInfoProto *vo = g->output[0];
    if (vo->type && vo->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && vo->type->tensor_type->shape) {
        const Onnx__TensorShapeProto *sh = vo->type->tensor_type->shape;
        if (sh->n_dim != 3 || (sh->dim[1]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                               sh->dim[1]->dim_value != 4 + nc + K))
            return cpose_err(CPOSE_ENOTSUP, "%s: output '%s' is not [batch, %d, anchors] (4 box + %d classes + %d keypoint "
                                            "values); an NMS or other post-processing head is not supported", im->path,
                             out_name, 4 + nc + K, nc, K);
    }
    struct cpose_pose_head_params *hp = cpose_calloc(1, sizeof *hp);
    hp->nl = nl, hp->nc = nc, hp->nk = nk, hp->kdim = kdim, hp->reg_max = R;
    int hin[8];
    for (int l = 0; l < nl; l++) {
        hp->strides[l] = strides[l];
        hin[l] = lv_node[l], hin[nl + l] = kp_node[l];
        m->level_node[l] = lv_node[l], m->kpt_node[l] = kp_node[l];
        m->info.strides[l] = strides[l];
    }
    m->head_node = cpose_graph_add(im->g, CPOSE_OP_pose_head, hin, 2 * nl, hp, "head.decode");
    im->g->output = m->head_node;
    m->info.nc = nc, m->info.nkpt = nk, m->info.kdim = kdim, m->info.n_outputs = 4 + nc + K;
    m->info.n_levels = nl, m->info.max_stride = strides[nl - 1];
    if (im->meta.stride && im->meta.stride != strides[nl - 1])
        cpose_warn("%s: metadata stride %d, the graph's largest stride %d (using %d)", im->path, im->meta.stride,
                   strides[nl - 1], strides[nl - 1]);
    return CPOSE_OK;
}

/* Model facts besides the graph: names, flip_idx, name, imgsz, parameter count. */
static void finish_model(struct importer *im)
{
    struct cpose_model *m = im->m;
    struct cpose_model_info *in = &m->info;
    if (im->meta.n_names) {
        in->n_names = im->meta.n_names, in->names = im->meta.names;
        im->meta.names = NULL, im->meta.n_names = 0;
    } else {
        in->n_names = in->nc;
        in->names = cpose_calloc(in->nc, sizeof(char *));
        for (int k = 0; k < in->nc; k++) in->names[k] = in->nc == 1 ? cpose_strdup("person") : cpose_asprintf("class%d", k);
    }
    for (int k = 0; k < 64; k++) in->flip_idx[k] = k;
    if (in->nkpt == 17) {
        static const int coco[17] = {0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15};
        memcpy(in->flip_idx, coco, sizeof coco);
    }
    in->imgsz = im->meta.imgsz[0] > im->meta.imgsz[1] ? im->meta.imgsz[0] : im->meta.imgsz[1];
    /* "Ultralytics YOLOv8n-pose model" → YOLOv8n-pose; else the file's stem */
    const char *d = strstr(im->meta.description, "YOLO");
    if (d) {
        int l = 0;
        while (d[l] && d[l] != ' ' && l < 63) l++;
        snprintf(m->name, sizeof m->name, "%.*s", l, d);
        const char *v = strstr(m->name, "v8");
        if (v && v[2] >= 'a' && v[2] <= 'z') in->scale = v[2];
    } else {
        char *stem = cpose_path_stem(im->path);
        snprintf(m->name, sizeof m->name, "%s", stem);
        cpose_free(stem);
    }
    if (!in->scale) in->scale = 'n';
    for (size_t k = 0; k < m->params.len; k++) in->n_params += CPOSE_VEC_AT(&m->params, struct cpose_param, k).numel;
    for (int k = 0; k < cpose_graph_size(m->graph); k++) {
        int op = cpose_graph_node(m->graph, k)->op;
        m->n_modules += op == CPOSE_OP_conv2d || op == CPOSE_OP_silu || op == CPOSE_OP_maxpool2d ||
                        op == CPOSE_OP_upsample || op == CPOSE_OP_concat || op == CPOSE_OP_pose_head;
    }
    m->from_weights = 1;
}

static int run_import(struct importer *im)
{
    int rc;
    const Onnx__GraphProto *g = im->mp->graph;
    /* fields proto2 leaves NULL when absent, which a damaged file may lack */
    for (size_t i = 0; i < g->n_node; i++)
        if (!g->node[i]->op_type || !*g->node[i]->op_type)
            return cpose_err(CPOSE_EINVAL, "%s: node %zu ('%s') has no op_type (a damaged file)", im->path, i,
                             g->node[i]->name ? g->node[i]->name : "");
    for (size_t k = 0; k < g->n_input; k++)
        if (!g->input[k]->name) return cpose_err(CPOSE_EINVAL, "%s: graph input %zu has no name (a damaged file)", im->path, k);
    for (size_t k = 0; k < g->n_output; k++)
        if (!g->output[k]->name)
            return cpose_err(CPOSE_EINVAL, "%s: graph output %zu has no name (a damaged file)", im->path, k);
    for (size_t k = 0; k < g->n_initializer; k++) {
        struct cpose_onnx_const c;
        const char *nm = g->initializer[k]->name ? g->initializer[k]->name : "";
        if ((rc = cpose_onnx_const_from_tensor(g->initializer[k], nm, &c)) != CPOSE_OK)
            return cpose_err_context(rc, "%s: initializer %zu", im->path, k);
        val_put(im, nm, V_CONST)->cidx = add_const(im, &c);
    }
    /* the image input: the first graph input that is not an initializer */
    const Onnx__ValueInfoProto *inp = NULL;
    for (size_t k = 0; k < g->n_input && !inp; k++) {
        int v = val_find(im, g->input[k]->name);
        if (v < 0 || im->vals[v].kind != V_CONST) inp = g->input[k];
    }
    if (!inp) return cpose_err(CPOSE_EINVAL, "%s: the graph has no image input", im->path);
    if (inp->type && inp->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && inp->type->tensor_type->shape) {
        const Onnx__TensorShapeProto *sh = inp->type->tensor_type->shape;
        if (sh->n_dim != 4 || (sh->dim[1]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                               sh->dim[1]->dim_value != 3))
            return cpose_err(CPOSE_ESHAPE, "%s: input '%s' must be images [batch, 3, height, width]", im->path, inp->name);
        if (!im->meta.imgsz[0])
            for (int d = 0; d < 2; d++)
                if (sh->dim[2 + d]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
                    im->meta.imgsz[d] = (int)sh->dim[2 + d]->dim_value;
    }
    int x = cpose_graph_add(im->g, CPOSE_OP_input, NULL, 0, NULL, "input");
    set_body(im, inp->name, x, 3, 1);
    find_silus(im);
    for (size_t i = 0; i < g->n_node; i++)
        if ((rc = import_node(im, g->node[i])) != CPOSE_OK) return rc;
    if (g->n_output != 1)
        cpose_warn("%s: %zu graph outputs; cpose reads the first ('%s')", im->path, g->n_output, g->output[0]->name);
    return build_head(im, g->output[0]->name);
}

int cpose_onnx_model_load_mem(const char *path, const void *data, size_t len, struct cpose_model **out)
{
    int rc;
    struct importer im;
    memset(&im, 0, sizeof im);
    im.path = path;
    *out = NULL;
    if ((rc = cpose_onnx_parse(path, data, len, &im.mp)) != CPOSE_OK) return rc;
    if ((rc = cpose_onnx_meta_read(path, im.mp, &im.meta)) != CPOSE_OK) goto done;
    if (im.meta.task[0] && strcmp(im.meta.task, "pose")) {
        rc = cpose_err(CPOSE_ENOTSUP, "%s: metadata task '%s': cpose runs pose models only", path, im.meta.task);
        goto done;
    }
    im.m = cpose_calloc(1, sizeof *im.m);
    im.m->params.elem = sizeof(struct cpose_param);
    im.m->graph = im.g = cpose_graph_new();
    im.m->yaml_file = cpose_strdup(path);
    rc = run_import(&im);
    if (!rc) finish_model(&im);
done:
    if (rc) cpose_model_free(im.m);
    else *out = im.m;
    for (int k = 0; k < im.n_consts; k++) cpose_onnx_const_clear(&im.consts[k]);
    cpose_free(im.consts), cpose_free(im.vals), cpose_free(im.hash), cpose_free(im.uses);
    cpose_onnx_meta_clear(&im.meta);
    onnx__model_proto__free_unpacked(im.mp, NULL);
    return rc;
}

int cpose_onnx_model_load(const char *path, struct cpose_model **out)
{
    char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = cpose_read_file(path, &buf, &len);
    if (rc) return rc;
    rc = cpose_onnx_model_load_mem(path, buf, len, out);
    cpose_free(buf);
    return rc;
}
