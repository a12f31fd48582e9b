/* exporters/tflite/tflite_write.c — TFLite serialisation: plan the tensors, buffers and operators
 * of the graph (int32 parameter tensors for RESHAPE/TRANSPOSE/SLICE/PAD/RESIZE, fp16 constants with
 * DEQUANTIZE), then build the FlatBuffer children first: buffers, tensors, options, operators,
 * operator codes, the subgraph and the model. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exporters/common/flatbuf.h"
#include "exporters/common/fp16.h"
#include "exporters/tflite/tflite_write.h"

/* TFLite schema facts: tensor types, builtin operator codes, BuiltinOptions union indices. */
enum { TT_FLOAT32 = 0, TT_FLOAT16 = 1, TT_INT32 = 2, TT_INT8 = 9 };
enum {
    OP_ADD = 0, OP_CONCATENATION = 2, OP_CONV_2D = 3, OP_DEQUANTIZE = 6, OP_LOGISTIC = 14, OP_MAX_POOL_2D = 17,
    OP_MUL = 18, OP_RESHAPE = 22, OP_SOFTMAX = 25, OP_PAD = 34, OP_TRANSPOSE = 39, OP_SUB = 41, OP_DIV = 42,
    OP_SLICE = 65, OP_RESIZE_NEAREST_NEIGHBOR = 97, OP_QUANTIZE = 114,
};
enum {
    BO_NONE = 0, BO_CONV2D = 1, BO_POOL2D = 5, BO_SOFTMAX = 9, BO_CONCATENATION = 10, BO_ADD = 11, BO_RESHAPE = 17,
    BO_MUL = 21, BO_PAD = 22, BO_TRANSPOSE = 26, BO_SUB = 28, BO_DIV = 29, BO_DEQUANTIZE = 38, BO_SLICE = 48,
    BO_RESIZE_NEAREST_NEIGHBOR = 74,
};
enum { PADDING_SAME = 0, PADDING_VALID = 1 };

static const int builtin_of[TFG_OP_COUNT] = {
    [TFG_CONV2D] = OP_CONV_2D, [TFG_LOGISTIC] = OP_LOGISTIC, [TFG_MUL] = OP_MUL, [TFG_ADD] = OP_ADD,
    [TFG_SUB] = OP_SUB, [TFG_DIV] = OP_DIV, [TFG_CONCAT] = OP_CONCATENATION, [TFG_SLICE] = OP_SLICE,
    [TFG_MAXPOOL] = OP_MAX_POOL_2D, [TFG_RESIZE_NEAREST] = OP_RESIZE_NEAREST_NEIGHBOR, [TFG_RESHAPE] = OP_RESHAPE,
    [TFG_TRANSPOSE] = OP_TRANSPOSE, [TFG_SOFTMAX] = OP_SOFTMAX, [TFG_PAD] = OP_PAD,
};

struct plan_tensor {
    char *name;          /* owned */
    int type, ndim;
    int32_t shape[TFG_MAX_DIMS];
    int buffer;          /* 0 = none (activations) */
    int nq;              /* quantisation entries (0: none; 1 per tensor; C per channel along dim 0) */
    float *q_scale;      /* owned, nq */
    int64_t *q_zero;     /* owned, nq */
};
struct plan_buffer { void *data; size_t bytes; int owned; };
struct plan_op { int code, version, ir_op; int n_in, in[TFG_MAX_DIMS + 2], out; };  /* ir_op −1: DEQUANTIZE */

struct plan {
    const struct cpose_host *h;
    struct plan_tensor *t;
    int nt, ct;
    struct plan_buffer *b;
    int nb, cb;
    struct plan_op *o;
    int no, co;
};

static char *dup_str(const struct cpose_host *h, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    char *s = h->alloc(la + lb + 1);
    memcpy(s, a, la);
    if (b) memcpy(s + la, b, lb);
    s[la + lb] = 0;
    return s;
}

static int add_buffer(struct plan *p, void *data, size_t bytes, int owned)
{
    if (p->nb == p->cb) p->cb = p->cb ? 2 * p->cb : 256, p->b = p->h->realloc(p->b, (size_t)p->cb * sizeof *p->b);
    p->b[p->nb] = (struct plan_buffer){data, bytes, owned};
    return p->nb++;
}

static int add_tensor(struct plan *p, char *name, int type, int ndim, const int64_t *dims, int buffer)
{
    if (p->nt == p->ct) p->ct = p->ct ? 2 * p->ct : 256, p->t = p->h->realloc(p->t, (size_t)p->ct * sizeof *p->t);
    struct plan_tensor *t = &p->t[p->nt];
    memset(t, 0, sizeof *t);
    t->name = name, t->type = type, t->ndim = ndim, t->buffer = buffer;
    for (int i = 0; i < ndim; i++) t->shape[i] = (int32_t)dims[i];
    return p->nt++;
}

static struct plan_op *add_op(struct plan *p, int code, int ir_op)
{
    if (p->no == p->co) p->co = p->co ? 2 * p->co : 256, p->o = p->h->realloc(p->o, (size_t)p->co * sizeof *p->o);
    struct plan_op *o = &p->o[p->no++];
    memset(o, 0, sizeof *o);
    o->code = code, o->version = 1, o->ir_op = ir_op;
    return o;
}

/* An int32 constant tensor (parameters of RESHAPE, TRANSPOSE, SLICE, PAD, RESIZE). */
static int int_tensor(struct plan *p, const char *base, const char *what, const int64_t *v, int n, int rows2)
{
    int32_t *d = p->h->alloc((size_t)(n ? n : 1) * sizeof(int32_t));
    for (int i = 0; i < n; i++) d[i] = (int32_t)v[i];
    int buf = add_buffer(p, d, (size_t)n * sizeof(int32_t), 1);
    int64_t dims[2] = {rows2 ? n / 2 : n, 2};
    return add_tensor(p, dup_str(p->h, base, what), TT_INT32, rows2 ? 2 : 1, dims, buf);
}

static void plan_free(struct plan *p)
{
    for (int i = 0; i < p->nt; i++) p->h->free(p->t[i].name), p->h->free(p->t[i].q_scale), p->h->free(p->t[i].q_zero);
    for (int i = 0; i < p->nb; i++)
        if (p->b[i].owned) p->h->free(p->b[i].data);
    p->h->free(p->t), p->h->free(p->b), p->h->free(p->o);
}

static void set_quant(struct plan *p, int t, int n, const float *scale, const int64_t *zero)
{
    struct plan_tensor *pt = &p->t[t];
    pt->nq = n;
    pt->q_scale = p->h->alloc((size_t)n * sizeof(float));
    pt->q_zero = p->h->alloc((size_t)n * sizeof(int64_t));
    memcpy(pt->q_scale, scale, (size_t)n * sizeof(float));
    memcpy(pt->q_zero, zero, (size_t)n * sizeof(int64_t));
}

static int8_t clamp8(double x)
{
    double r = nearbyint(x);
    return (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
}

/* Per-output-channel symmetric scales of an OHWI filter: max |w| / 127 over each channel (1 for an
 * all-zero channel). */
static void filter_scales(const struct tfg_value *w, float *scale)
{
    int64_t O = w->dims[0], per = tfg_numel(w) / O;
    for (int64_t o = 0; o < O; o++) {
        float m = 0;
        for (int64_t k = 0; k < per; k++) m = fabsf(w->data[o * per + k]) > m ? fabsf(w->data[o * per + k]) : m;
        scale[o] = m > 0 ? m / 127.0f : 1.0f;
    }
}

/* The int8 form of value i (a constant): conv filters per output channel (symmetric, zero point
 * 0), conv biases int32 at input scale × filter scale, other constants per tensor from their own
 * min/max (0 included). Returns the tensor id. */
static int int8_constant(struct plan *p, const struct tfg_graph *g, const struct tflite_qparams *q, int i,
                         const int *conv_of_w, const int *conv_of_b)
{
    const struct tfg_value *v = &g->values[i];
    int64_t n = tfg_numel(v);
    if (conv_of_w[i] >= 0 || conv_of_b[i] >= 0) {
        const struct tfg_op *op = &g->ops[conv_of_w[i] >= 0 ? conv_of_w[i] : conv_of_b[i]];
        const struct tfg_value *w = &g->values[op->in[1]];
        int64_t O = w->dims[0], per = tfg_numel(w) / O;
        float *ws = p->h->alloc((size_t)O * sizeof(float));
        int64_t *zero = p->h->calloc((size_t)O, sizeof(int64_t));
        filter_scales(w, ws);
        int t;
        if (conv_of_w[i] >= 0) {
            int8_t *d = p->h->alloc((size_t)n);
            for (int64_t o = 0; o < O; o++)
                for (int64_t k = 0; k < per; k++) d[o * per + k] = clamp8(w->data[o * per + k] / ws[o]);
            t = add_tensor(p, dup_str(p->h, v->name, NULL), TT_INT8, v->ndim, v->dims, add_buffer(p, d, (size_t)n, 1));
            set_quant(p, t, (int)O, ws, zero);
        } else {
            float in_scale = q[op->in[0]].scale, *bs = p->h->alloc((size_t)O * sizeof(float));
            int32_t *d = p->h->alloc((size_t)O * sizeof(int32_t));
            for (int64_t o = 0; o < O; o++) {
                bs[o] = in_scale * ws[o];
                double r = nearbyint((double)v->data[o] / (double)bs[o]);
                d[o] = (int32_t)(r > 2147483647.0 ? 2147483647.0 : r < -2147483647.0 ? -2147483647.0 : r);
            }
            t = add_tensor(p, dup_str(p->h, v->name, NULL), TT_INT32, v->ndim, v->dims,
                           add_buffer(p, d, (size_t)O * sizeof(int32_t), 1));
            set_quant(p, t, (int)O, bs, zero);
            p->h->free(bs);
        }
        p->h->free(ws), p->h->free(zero);
        return t;
    }
    float lo = 0, hi = 0;
    for (int64_t k = 0; k < n; k++) lo = v->data[k] < lo ? v->data[k] : lo, hi = v->data[k] > hi ? v->data[k] : hi;
    struct tflite_qparams c = tflite_qparams_of(lo, hi);
    int8_t *d = p->h->alloc((size_t)(n ? n : 1));
    for (int64_t k = 0; k < n; k++) d[k] = clamp8(v->data[k] / c.scale + c.zero_point);
    int t = add_tensor(p, dup_str(p->h, v->name, NULL), TT_INT8, v->ndim, v->dims, add_buffer(p, d, (size_t)n, 1));
    int64_t z = c.zero_point;
    set_quant(p, t, 1, &c.scale, &z);
    return t;
}

/* Activation tensor of value i in int8 mode (the graph input becomes float32 "images" + QUANTIZE). */
static int int8_activation(struct plan *p, const struct tfg_graph *g, const struct tflite_qparams *q, int i, int *in_t)
{
    const struct tfg_value *v = &g->values[i];
    int64_t z = q[i].zero_point;
    int t = add_tensor(p, dup_str(p->h, v->name, i == g->input ? "/int8" : i == g->output ? "/int8" : NULL), TT_INT8,
                       v->ndim, v->dims, 0);
    set_quant(p, t, 1, &q[i].scale, &z);
    if (i == g->input) {
        *in_t = add_tensor(p, dup_str(p->h, v->name, NULL), TT_FLOAT32, v->ndim, v->dims, 0);
        struct plan_op *o = add_op(p, OP_QUANTIZE, -2);
        o->version = 2;  /* float32 → int8 */
        o->n_in = 1, o->in[0] = *in_t, o->out = t;
    }
    return t;
}

/* A CONCATENATION's int8 inputs brought to its output's parameters: a requantising QUANTIZE
 * (int8 → int8) for each input whose scale or zero point differ, as TFLite's own quantiser
 * does (the concat then only moves bytes). */
static void ins_requantized(struct plan *p, const struct tfg_graph *g, const struct tflite_qparams *q,
                            const struct tfg_op *op, int *ins)
{
    const struct tflite_qparams *oq = &q[op->out];
    for (int i = 0; i < op->n_in; i++) {
        const struct tflite_qparams *iq = &q[op->in[i]];
        if (g->values[op->in[i]].data || (iq->scale == oq->scale && iq->zero_point == oq->zero_point)) continue;
        const struct tfg_value *v = &g->values[op->in[i]];
        char tag[32];
        snprintf(tag, sizeof tag, "/requantize_%d", i);
        int t = add_tensor(p, dup_str(p->h, g->values[op->out].name, tag), TT_INT8, v->ndim, v->dims, 0);
        int64_t z = oq->zero_point;
        set_quant(p, t, 1, &oq->scale, &z);
        struct plan_op *o = add_op(p, OP_QUANTIZE, -2);
        o->version = 2;
        o->n_in = 1, o->in[0] = ins[i], o->out = t;
        ins[i] = t;
    }
}

static void make_plan(const struct tfg_graph *g, int half, const struct tflite_qparams *q, struct plan *p, int *use,
                      int *in_t, int *out_t)
{
    add_buffer(p, NULL, 0, 0);  /* buffers[0]: the empty sentinel */
    int *conv_of_w = NULL, *conv_of_b = NULL;
    if (q) {
        conv_of_w = p->h->alloc((size_t)g->n_values * sizeof(int));
        conv_of_b = p->h->alloc((size_t)g->n_values * sizeof(int));
        for (int i = 0; i < g->n_values; i++) conv_of_w[i] = conv_of_b[i] = -1;
        for (int k = 0; k < g->n_ops; k++)
            if (g->ops[k].kind == TFG_CONV2D) conv_of_w[g->ops[k].in[1]] = k, conv_of_b[g->ops[k].in[2]] = k;
    }
    for (int i = 0; i < g->n_values; i++) {
        const struct tfg_value *v = &g->values[i];
        if (q) {
            use[i] = v->data ? int8_constant(p, g, q, i, conv_of_w, conv_of_b) : int8_activation(p, g, q, i, in_t);
            continue;
        }
        if (!v->data) {
            use[i] = add_tensor(p, dup_str(p->h, v->name, NULL), TT_FLOAT32, v->ndim, v->dims, 0);
            continue;
        }
        size_t n = (size_t)tfg_numel(v);
        if (!half) {
            int buf = add_buffer(p, v->data, n * sizeof(float), 0);
            use[i] = add_tensor(p, dup_str(p->h, v->name, NULL), TT_FLOAT32, v->ndim, v->dims, buf);
            continue;
        }
        uint16_t *hd = p->h->alloc((n ? n : 1) * sizeof(uint16_t));
        cpose_fp16_convert(v->data, hd, n);
        int buf = add_buffer(p, hd, n * sizeof(uint16_t), 1);
        int t16 = add_tensor(p, dup_str(p->h, v->name, NULL), TT_FLOAT16, v->ndim, v->dims, buf);
        use[i] = add_tensor(p, dup_str(p->h, v->name, "/dequantize"), TT_FLOAT32, v->ndim, v->dims, 0);
        struct plan_op *o = add_op(p, OP_DEQUANTIZE, -1);
        o->version = 3;  /* DEQUANTIZE of float16 inputs is version 3 */
        o->n_in = 1, o->in[0] = t16, o->out = use[i];
    }
    p->h->free(conv_of_w), p->h->free(conv_of_b);
    if (!q) *in_t = use[g->input];
    for (int k = 0; k < g->n_ops; k++) {
        const struct tfg_op *op = &g->ops[k];
        int ins[8];
        for (int i = 0; i < op->n_in; i++) ins[i] = use[op->in[i]];
        if (q && op->kind == TFG_CONCAT) ins_requantized(p, g, q, op, ins);
        struct plan_op *o = add_op(p, builtin_of[op->kind], k);
        if (q) o->version = op->kind == TFG_CONV2D ? 3 : op->kind == TFG_RESHAPE ? 1 : 2;  /* int8 kernels */
        for (int i = 0; i < op->n_in; i++) o->in[o->n_in++] = ins[i];
        o->out = use[op->out];
        const char *base = g->values[op->out].name;
        int nd = g->values[op->out].ndim;
        int64_t tmp[2 * TFG_MAX_DIMS];
        switch (op->kind) {
        case TFG_RESHAPE: o->in[o->n_in++] = int_tensor(p, base, "/shape", op->p.reshape.shape, op->p.reshape.ndim, 0); break;
        case TFG_TRANSPOSE:
            for (int i = 0; i < op->p.transpose.ndim; i++) tmp[i] = op->p.transpose.perm[i];
            o->in[o->n_in++] = int_tensor(p, base, "/perm", tmp, op->p.transpose.ndim, 0);
            break;
        case TFG_SLICE:
            o->in[o->n_in++] = int_tensor(p, base, "/begin", op->p.slice.begin, nd, 0);
            o->in[o->n_in++] = int_tensor(p, base, "/size", op->p.slice.size, nd, 0);
            break;
        case TFG_PAD:
            for (int i = 0; i < op->p.pad.ndim; i++) tmp[2 * i] = op->p.pad.before[i], tmp[2 * i + 1] = op->p.pad.after[i];
            o->in[o->n_in++] = int_tensor(p, base, "/paddings", tmp, 2 * op->p.pad.ndim, 1);
            break;
        case TFG_RESIZE_NEAREST:
            tmp[0] = op->p.resize.h, tmp[1] = op->p.resize.w;
            o->in[o->n_in++] = int_tensor(p, base, "/size", tmp, 2, 0);
            break;
        default: break;
        }
    }
    *out_t = use[g->output];
    if (q) {  /* int8 → float32 "output0" */
        const struct tfg_value *v = &g->values[g->output];
        *out_t = add_tensor(p, dup_str(p->h, v->name, NULL), TT_FLOAT32, v->ndim, v->dims, 0);
        struct plan_op *o = add_op(p, OP_DEQUANTIZE, -1);
        o->version = 2;  /* int8 input */
        o->n_in = 1, o->in[0] = use[g->output], o->out = *out_t;
    }
}

/* The options table of one operator; *type gets its BuiltinOptions index. */
static fb_ref options(struct fb_builder *b, const struct tfg_graph *g, const struct plan_op *o, int *type)
{
    *type = BO_NONE;
    if (o->ir_op == -2) return 0;  /* QUANTIZE: no options */
    if (o->ir_op < 0) {
        *type = BO_DEQUANTIZE;
        fb_table_start(b);
        return fb_table_end(b);
    }
    const struct tfg_op *op = &g->ops[o->ir_op];
    fb_ref shape = 0;
    if (op->kind == TFG_RESHAPE) {
        int32_t s[TFG_MAX_DIMS];
        for (int i = 0; i < op->p.reshape.ndim; i++) s[i] = (int32_t)op->p.reshape.shape[i];
        shape = fb_vector(b, s, (size_t)op->p.reshape.ndim, 4, 4);
    }
    switch (op->kind) {
    case TFG_CONV2D:
        *type = BO_CONV2D;
        fb_table_start(b);
        fb_add_i8(b, 0, op->p.conv.same ? PADDING_SAME : PADDING_VALID);
        fb_add_i32(b, 1, op->p.conv.stride_w);
        fb_add_i32(b, 2, op->p.conv.stride_h);
        fb_add_i8(b, 3, 0);   /* fused activation NONE */
        fb_add_i32(b, 4, 1);  /* dilation w, h */
        fb_add_i32(b, 5, 1);
        return fb_table_end(b);
    case TFG_MAXPOOL:
        *type = BO_POOL2D;
        fb_table_start(b);
        fb_add_i8(b, 0, op->p.pool.same ? PADDING_SAME : PADDING_VALID);
        fb_add_i32(b, 1, op->p.pool.stride_w);
        fb_add_i32(b, 2, op->p.pool.stride_h);
        fb_add_i32(b, 3, op->p.pool.kw);
        fb_add_i32(b, 4, op->p.pool.kh);
        fb_add_i8(b, 5, 0);
        return fb_table_end(b);
    case TFG_SOFTMAX:
        *type = BO_SOFTMAX;
        fb_table_start(b);
        fb_add_f32(b, 0, 1.0f);
        return fb_table_end(b);
    case TFG_CONCAT:
        *type = BO_CONCATENATION;
        fb_table_start(b);
        fb_add_i32(b, 0, op->p.axis);
        fb_add_i8(b, 1, 0);
        return fb_table_end(b);
    case TFG_ADD: case TFG_MUL: case TFG_SUB: case TFG_DIV:
        *type = op->kind == TFG_ADD ? BO_ADD : op->kind == TFG_MUL ? BO_MUL : op->kind == TFG_SUB ? BO_SUB : BO_DIV;
        fb_table_start(b);
        fb_add_i8(b, 0, 0);
        return fb_table_end(b);
    case TFG_RESHAPE:
        *type = BO_RESHAPE;
        fb_table_start(b);
        fb_add_ref(b, 0, shape);
        return fb_table_end(b);
    case TFG_RESIZE_NEAREST:
        *type = BO_RESIZE_NEAREST_NEIGHBOR;
        fb_table_start(b);
        fb_add_u8(b, 0, 0);  /* align_corners, half_pixel_centers: PyTorch's nearest */
        fb_add_u8(b, 1, 0);
        return fb_table_end(b);
    case TFG_TRANSPOSE:
    case TFG_PAD:
    case TFG_SLICE:
        *type = op->kind == TFG_TRANSPOSE ? BO_TRANSPOSE : op->kind == TFG_PAD ? BO_PAD : BO_SLICE;
        fb_table_start(b);
        return fb_table_end(b);
    default: return 0;  /* LOGISTIC has no options */
    }
}

static int serialize(const struct tfg_graph *g, int half, const struct tflite_qparams *q, const char *description,
                     uint8_t **out, size_t *len)
{
    const struct cpose_host *h = g->h;
    *out = NULL, *len = 0;
    struct plan p = {.h = h};
    int *use = h->alloc((size_t)g->n_values * sizeof(int)), in_t = -1, out_t = -1;
    make_plan(g, half, q, &p, use, &in_t, &out_t);
    h->free(use);

    struct fb_builder b;
    fb_init(&b, h->realloc, h->free);
    /* buffers */
    fb_ref *refs = h->alloc((size_t)(p.nb > p.nt ? (p.nb > p.no ? p.nb : p.no) : (p.nt > p.no ? p.nt : p.no)) * sizeof(fb_ref));
    for (int i = 0; i < p.nb; i++) {
        fb_ref data = i ? fb_vector(&b, p.b[i].data, p.b[i].bytes, 1, 16) : 0;
        fb_table_start(&b);
        if (data) fb_add_ref(&b, 0, data);
        refs[i] = fb_table_end(&b);
    }
    fb_ref buffers = fb_vector_refs(&b, refs, (size_t)p.nb);
    /* tensors */
    for (int i = 0; i < p.nt; i++) {
        fb_ref shape = fb_vector(&b, p.t[i].shape, (size_t)p.t[i].ndim, 4, 4);
        fb_ref name = fb_string(&b, p.t[i].name);
        fb_ref quant = 0;
        if (p.t[i].nq) {  /* QuantizationParameters: scale 2, zero_point 3, quantized_dimension 6 */
            fb_ref sc = fb_vector(&b, p.t[i].q_scale, (size_t)p.t[i].nq, 4, 4);
            fb_ref zp = fb_vector(&b, p.t[i].q_zero, (size_t)p.t[i].nq, 8, 8);
            fb_table_start(&b);
            fb_add_ref(&b, 2, sc);
            fb_add_ref(&b, 3, zp);
            fb_add_i32(&b, 6, 0);
            quant = fb_table_end(&b);
        }
        fb_table_start(&b);
        fb_add_ref(&b, 0, shape);
        fb_add_i8(&b, 1, (int8_t)p.t[i].type);
        fb_add_u32(&b, 2, (uint32_t)p.t[i].buffer);
        fb_add_ref(&b, 3, name);
        if (quant) fb_add_ref(&b, 4, quant);
        refs[i] = fb_table_end(&b);
    }
    fb_ref tensors = fb_vector_refs(&b, refs, (size_t)p.nt);
    /* operator codes: one per builtin code used, in order of first use */
    int codes[16], versions[16], n_codes = 0, *code_index = h->alloc((size_t)(p.no ? p.no : 1) * sizeof(int));
    for (int k = 0; k < p.no; k++) {
        int c = 0;
        while (c < n_codes && !(codes[c] == p.o[k].code && versions[c] == p.o[k].version)) c++;
        if (c == n_codes) codes[n_codes] = p.o[k].code, versions[n_codes++] = p.o[k].version;
        code_index[k] = c;
    }
    /* operators */
    for (int k = 0; k < p.no; k++) {
        const struct plan_op *o = &p.o[k];
        int32_t ins[TFG_MAX_DIMS + 2], outs[1] = {o->out};
        for (int i = 0; i < o->n_in; i++) ins[i] = o->in[i];
        fb_ref vin = fb_vector(&b, ins, (size_t)o->n_in, 4, 4), vout = fb_vector(&b, outs, 1, 4, 4);
        int type;
        fb_ref opt = options(&b, g, o, &type);
        fb_table_start(&b);
        fb_add_u32(&b, 0, (uint32_t)code_index[k]);
        fb_add_ref(&b, 1, vin);
        fb_add_ref(&b, 2, vout);
        if (opt) {
            fb_add_u8(&b, 3, (uint8_t)type);
            fb_add_ref(&b, 4, opt);
        }
        refs[k] = fb_table_end(&b);
    }
    fb_ref operators = fb_vector_refs(&b, refs, (size_t)p.no);
    fb_ref code_refs[16];
    for (int c = 0; c < n_codes; c++) {
        fb_table_start(&b);
        fb_add_i8(&b, 0, (int8_t)(codes[c] < 127 ? codes[c] : 127));  /* deprecated_builtin_code (old readers) */
        fb_add_i32(&b, 2, versions[c]);
        fb_add_i32(&b, 3, codes[c]);                                   /* builtin_code */
        code_refs[c] = fb_table_end(&b);
    }
    fb_ref opcodes = fb_vector_refs(&b, code_refs, (size_t)n_codes);
    int32_t sub_in[1] = {in_t}, sub_out[1] = {out_t};
    fb_ref vin = fb_vector(&b, sub_in, 1, 4, 4), vout = fb_vector(&b, sub_out, 1, 4, 4);
    fb_ref sg_name = fb_string(&b, "main");
    fb_table_start(&b);
    fb_add_ref(&b, 0, tensors);
    fb_add_ref(&b, 1, vin);
    fb_add_ref(&b, 2, vout);
    fb_add_ref(&b, 3, operators);
    fb_add_ref(&b, 4, sg_name);
    fb_ref sg = fb_table_end(&b);
    fb_ref subgraphs = fb_vector_refs(&b, &sg, 1);
    fb_ref desc = fb_string(&b, description);
    fb_table_start(&b);
    fb_add_u32(&b, 0, 3);  /* schema version */
    fb_add_ref(&b, 1, opcodes);
    fb_add_ref(&b, 2, subgraphs);
    fb_add_ref(&b, 3, desc);
    fb_add_ref(&b, 4, buffers);
    fb_ref model = fb_table_end(&b);
    int rc = fb_finish(&b, model, "TFL3", out, len);
    const char *why = b.error;
    fb_free(&b);
    h->free(refs);
    h->free(code_index);
    plan_free(&p);
    if (rc) return h->error(g->x, CPOSE_PLUGIN_EINVAL, "tflite: building the flatbuffer failed: %s", why ? why : "?");
    return 0;
}

int tflite_serialize(const struct tfg_graph *g, int half, const char *description, uint8_t **out, size_t *len)
{
    return serialize(g, half, NULL, description, out, len);
}

int tflite_serialize_int8(const struct tfg_graph *g, const struct tflite_qparams *act, const char *description,
                          uint8_t **out, size_t *len)
{
    return serialize(g, 0, act, description, out, len);
}

struct tflite_qparams tflite_qparams_of(float lo, float hi)
{
    lo = lo < 0 ? lo : 0, hi = hi > 0 ? hi : 0;  /* real 0 must be exact (padding, ReLU-free zeros) */
    if (hi - lo < 1e-8f) hi = lo + 1e-8f;
    struct tflite_qparams q;
    q.scale = (hi - lo) / 255.0f;
    double z = nearbyint(-128.0 - (double)lo / q.scale);
    q.zero_point = (int32_t)(z < -128 ? -128 : z > 127 ? 127 : z);
    return q;
}
