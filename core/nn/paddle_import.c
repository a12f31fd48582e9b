/* core/nn/paddle_import.c — Paddle program → checked ops with inferred shapes → ONNX nodes → cpose's
 * ONNX import (contract in core/nn/paddle_import.h). */
#include "core/nn/paddle_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/export_meta.h"
#include "core/nn/onnx_restate.h"
#include "core/nn/paddle_read.h"

/* The ops this reader knows, with the input and output slots each must have (one argument each,
 * except a '*' slot: one or more). Slots not listed must be empty (Paddle writes empty optional
 * slots); an output slot marked '?' may be present. */
struct opspec {
    const char *type;
    const char *ins[3];
    const char *outs[3];
};
static const struct opspec OPS[] = {
    {"feed", {"X"}, {"Out"}},
    {"fetch", {"X"}, {"Out"}},
    {"conv2d", {"Input", "Filter"}, {"Output"}},
    {"elementwise_add", {"X", "Y"}, {"Out"}},
    {"elementwise_sub", {"X", "Y"}, {"Out"}},
    {"elementwise_mul", {"X", "Y"}, {"Out"}},
    {"elementwise_div", {"X", "Y"}, {"Out"}},
    {"silu", {"X"}, {"Out"}},
    {"swish", {"X"}, {"Out"}},
    {"sigmoid", {"X"}, {"Out"}},
    {"softmax", {"X"}, {"Out"}},
    {"concat", {"*X"}, {"Out"}},
    {"split", {"X"}, {"*Out"}},
    {"slice", {"Input"}, {"Out"}},
    {"pool2d", {"X"}, {"Out"}},
    {"nearest_interp_v2", {"X"}, {"Out"}},
    {"reshape2", {"X"}, {"Out", "?XShape"}},
    {"transpose2", {"X"}, {"Out", "?XShape"}},
};
#define N_OPS ((int)(sizeof OPS / sizeof OPS[0]))

/* Sanity bounds on what a file may ask for (far above any YOLOv8-pose program): image sides, batch,
 * strides/dilations/paddings/kernel sizes, interpolation results. */
#define PD_MAX_SIDE 16384
#define PD_MAX_BATCH 256
#define PD_MAX_WINDOW (1 << 20)

struct shape {
    int nd;
    int64_t d[PDR_MAX_DIMS];
};

struct imp {
    const char *model_path, *params_path;
    struct pdr_program p;
    struct shape *sh;  /* per var: its inferred shape */
    int *written;      /* per var: 1 once an op wrote it (or it is persistable) */
    int *uses;         /* per var: how many op inputs read it */
    int *inited;       /* per var: its ONNX initializer exists */
    int *folded;       /* per op: folded into the conv2d before it */
    int feed_op, fetch_op, in_var, out_var;
};

/* "op 12 (conv2d → 'model.0.conv/conv2d')" for messages. */
static const char *op_desc(const struct imp *m, int k, char *buf, size_t cap)
{
    const struct pdr_op *op = &m->p.ops[k];
    const char *o = op->n_out && op->out[0].n_args ? op->out[0].args[0] : "?";
    snprintf(buf, cap, "op %d (%s → '%s')", k, op->type, o);
    return buf;
}
#define OPERR(rc, ...)                                                                                             \
    do {                                                                                                           \
        char d_[400];                                                                                              \
        char *m_ = cpose_asprintf(__VA_ARGS__);                                                                    \
        int r_ = cpose_err((rc), "%s: %s: %s", m->model_path, op_desc(m, k, d_, sizeof d_), m_);                    \
        cpose_free(m_);                                                                                            \
        return r_;                                                                                                 \
    } while (0)

static const struct opspec *spec_of(const char *type)
{
    for (int s = 0; s < N_OPS; s++)
        if (!strcmp(OPS[s].type, type)) return &OPS[s];
    return NULL;
}

static const char *dims_text(const int64_t *d, int nd, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int k = 0; k < nd && n < cap; k++) n += (size_t)snprintf(buf + n, cap - n, "%s%lld", k ? ", " : "", (long long)d[k]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

/* Var index of an op's slot argument (the slot must exist with one argument). */
static int arg_var(const struct imp *m, const struct pdr_slot *s, int a) { return pdr_find_var(&m->p, s->args[a]); }
static int in_var(const struct imp *m, const struct pdr_op *op, const char *param)
{
    const struct pdr_slot *s = pdr_in(op, param);
    return s && s->n_args ? arg_var(m, s, 0) : -1;
}
static int out_var(const struct imp *m, const struct pdr_op *op, const char *param)
{
    const struct pdr_slot *s = pdr_out(op, param);
    return s && s->n_args ? arg_var(m, s, 0) : -1;
}

/* ---- structure: op types, slots, declared vars, dataflow, feed/fetch ------------------------------ */

static int check_slots(struct imp *m, int k, const struct pdr_slot *slots, int n, const char *const *want, int is_in)
{
    const struct pdr_op *op = &m->p.ops[k];
    for (int w = 0; w < 3 && want[w]; w++) {
        const char *name = want[w] + (want[w][0] == '*' || want[w][0] == '?');
        const struct pdr_slot *s = NULL;
        for (int q = 0; q < n; q++)
            if (!strcmp(slots[q].param, name)) s = &slots[q];
        if (want[w][0] == '?' && (!s || !s->n_args)) continue;
        if (!s || !s->n_args) OPERR(CPOSE_EINVAL, "no %s '%s' (a %s op needs one)", is_in ? "input" : "output", name, op->type);
        if (want[w][0] != '*' && s->n_args != 1)
            OPERR(CPOSE_EINVAL, "%s '%s' holds %d vars; a %s op takes one", is_in ? "input" : "output", name, s->n_args,
                  op->type);
    }
    for (int q = 0; q < n; q++) {
        int listed = 0;
        for (int w = 0; w < 3 && want[w]; w++) listed |= !strcmp(slots[q].param, want[w] + (want[w][0] == '*' || want[w][0] == '?'));
        if (!listed && slots[q].n_args)
            OPERR(CPOSE_ENOTSUP, "%s slot '%s' (%s) is not read by cpose (a tensor-valued attribute or an optional "
                  "operand this reader does not take)", is_in ? "input" : "output", slots[q].param, slots[q].args[0]);
        for (int a = 0; a < slots[q].n_args; a++)
            if (pdr_find_var(&m->p, slots[q].args[a]) < 0)
                OPERR(CPOSE_EINVAL, "var '%s' (%s '%s') is not declared in block 0", slots[q].args[a],
                      is_in ? "input" : "output", slots[q].param);
    }
    return CPOSE_OK;
}

static int check_structure(struct imp *m)
{
    struct pdr_program *p = &m->p;
    if (p->n_blocks != 1)
        return cpose_err(CPOSE_ENOTSUP, "%s: %d blocks; cpose reads single-block programs (no control flow)", m->model_path,
                         p->n_blocks);
    if (!p->has_version || p->version < 0 || p->version / 1000000 > 3)
        return cpose_err(CPOSE_EINVAL, "%s: program version %lld%s: the .pdmodel layout is Paddle 1.x-3.x's (version 0 or "
                         "major·10^6 + minor·10^3 + patch, major ≤ 3)", m->model_path, (long long)p->version,
                         p->has_version ? "" : " (missing)");
    for (int a = 0; a < p->n_vars; a++) {
        for (int b = 0; b < a; b++)
            if (!strcmp(p->vars[a].name, p->vars[b].name))
                return cpose_err(CPOSE_EINVAL, "%s: var '%s' is declared twice in block 0", m->model_path, p->vars[a].name);
        const struct pdr_var *v = &p->vars[a];
        if (v->type == PDR_LOD_TENSOR && !v->has_tensor)
            return cpose_err(CPOSE_EINVAL, "%s: var '%s' is a LOD_TENSOR without its lod_tensor description", m->model_path,
                             v->name);
    }
    m->sh = cpose_calloc((size_t)p->n_vars + 1, sizeof *m->sh);
    m->written = cpose_calloc((size_t)p->n_vars + 1, sizeof(int));
    m->uses = cpose_calloc((size_t)p->n_vars + 1, sizeof(int));
    m->inited = cpose_calloc((size_t)p->n_vars + 1, sizeof(int));
    m->folded = cpose_calloc((size_t)p->n_ops + 1, sizeof(int));
    for (int a = 0; a < p->n_vars; a++) m->written[a] = p->vars[a].persistable;
    m->feed_op = m->fetch_op = -1;
    int n_feed = 0, n_fetch = 0;
    for (int k = 0; k < p->n_ops; k++) n_feed += !strcmp(p->ops[k].type, "feed"), n_fetch += !strcmp(p->ops[k].type, "fetch");
    if (!n_feed)
        return cpose_err(CPOSE_EINVAL, "%s: no feed op: an inference program feeds its input with a feed op (X \"feed\")",
                         m->model_path);
    if (!n_fetch)
        return cpose_err(CPOSE_EINVAL, "%s: no fetch op: an inference program returns its output with a fetch op (Out "
                         "\"fetch\")", m->model_path);
    for (int k = 0; k < p->n_ops; k++) {
        const struct pdr_op *op = &p->ops[k];
        const struct opspec *s = spec_of(op->type);
        if (!s)
            OPERR(CPOSE_ENOTSUP, "unknown op type '%s' (Paddle has no such operator, or not one a YOLOv8-pose export uses; "
                  "this reader knows feed, fetch, conv2d, elementwise_add/sub/mul/div, silu, swish, sigmoid, softmax, "
                  "concat, split, slice, pool2d, nearest_interp_v2, reshape2, transpose2)", op->type);
        int rc = check_slots(m, k, op->in, op->n_in, s->ins, 1);
        if (!rc) rc = check_slots(m, k, op->out, op->n_out, s->outs, 0);
        if (rc) return rc;
        int is_feed = !strcmp(op->type, "feed"), is_fetch = !strcmp(op->type, "fetch");
        if (is_feed || is_fetch) {
            int *slot = is_feed ? &m->feed_op : &m->fetch_op;
            if (*slot >= 0) OPERR(CPOSE_ENOTSUP, "a second %s op (cpose models have one input and one output)", op->type);
            *slot = k;
            int holder = is_feed ? in_var(m, op, "X") : out_var(m, op, "Out");
            const struct pdr_var *hv = &p->vars[holder];
            if (hv->type != (is_feed ? PDR_FEED_MINIBATCH : PDR_FETCH_LIST))
                OPERR(CPOSE_EINVAL, "the %s holder '%s' is of VarType %d, not %s", op->type, hv->name, hv->type,
                      is_feed ? "FEED_MINIBATCH (9)" : "FETCH_LIST (10)");
            const struct pdr_attr *col = pdr_attr(op, "col");
            if (!col || col->type != PDR_ATTR_INT || col->i != 0)
                OPERR(CPOSE_EINVAL, "the %s op needs the INT attribute col = 0", op->type);
        }
        /* dataflow: inputs written before, outputs written once */
        for (int q = 0; q < op->n_in; q++)
            for (int a = 0; a < op->in[q].n_args; a++) {
                int v = arg_var(m, &op->in[q], a);
                if (is_feed) continue;  /* the holder */
                if (!m->written[v])
                    OPERR(CPOSE_EINVAL, "reads var '%s' before any op writes it (and it is not persistable)", p->vars[v].name);
                m->uses[v]++;
            }
        for (int q = 0; q < op->n_out && !is_fetch; q++)
            for (int a = 0; a < op->out[q].n_args; a++) {
                int v = arg_var(m, &op->out[q], a);
                if (p->vars[v].persistable)
                    OPERR(CPOSE_EINVAL, "writes the persistable var '%s' (a parameter)", p->vars[v].name);
                if (m->written[v])
                    OPERR(CPOSE_ENOTSUP, "writes var '%s' a second time (in-place programs are not read)", p->vars[v].name);
                if (p->vars[v].type != PDR_LOD_TENSOR)
                    OPERR(CPOSE_EINVAL, "writes var '%s', which is not a LOD_TENSOR", p->vars[v].name);
                m->written[v] = 1;
            }
    }
    m->in_var = out_var(m, &p->ops[m->feed_op], "Out");
    m->out_var = in_var(m, &p->ops[m->fetch_op], "X");
    return CPOSE_OK;
}

/* ---- shapes -------------------------------------------------------------------------------------- */

static const struct pdr_attr *need_attr(const struct pdr_op *op, const char *name, int type, int n_ints)
{
    const struct pdr_attr *a = pdr_attr(op, name);
    if (!a || a->type != type) return NULL;
    if (n_ints >= 0 && type == PDR_ATTR_INTS && a->n_ints != n_ints) return NULL;
    return a;
}
#define ATTR(var, name, type, n)                                                                                   \
    const struct pdr_attr *var = need_attr(op, name, type, n);                                                     \
    if (!var) OPERR(CPOSE_EINVAL, "attribute '%s' missing or not of type %s%s", name, #type + 9, (n) >= 0 ? " of the right length" : "")

static int attr_is(const struct pdr_op *op, const char *name, const char *want, int absent_ok)
{
    const struct pdr_attr *a = pdr_attr(op, name);
    if (!a) return absent_ok;
    return a->type == PDR_ATTR_STRING && a->s && !strcmp(a->s, want);
}
static int64_t attr_int_or(const struct pdr_op *op, const char *name, int64_t def)
{
    const struct pdr_attr *a = pdr_attr(op, name);
    return a && (a->type == PDR_ATTR_INT || a->type == PDR_ATTR_LONG || a->type == PDR_ATTR_BOOLEAN) ? a->i : def;
}

/* paddings of conv2d/pool2d → top, bottom, left, right. */
static int pads4(const struct pdr_attr *a, int64_t p[4])
{
    if (a->n_ints == 2) p[0] = p[1] = a->ints[0], p[2] = p[3] = a->ints[1];
    else if (a->n_ints == 4) memcpy(p, a->ints, 4 * sizeof(int64_t));
    else return -1;
    for (int k = 0; k < 4; k++)
        if (p[k] < 0 || p[k] > PD_MAX_WINDOW) return -1;
    return 0;
}

static int norm_axis(int64_t a, int nd) { return a < 0 ? (a + nd >= 0 ? (int)(a + nd) : -1) : a < nd ? (int)a : -1; }

/* Numpy broadcast of x and y aligned as Paddle's elementwise axis says; -1 when they do not fit. */
static int broadcast(const struct shape *x, const struct shape *y, int64_t axis, struct shape *o)
{
    if (axis == -1 || axis == x->nd - y->nd) {
        int nd = x->nd > y->nd ? x->nd : y->nd;
        o->nd = nd;
        for (int k = 0; k < nd; k++) {
            int64_t a = k - (nd - x->nd) >= 0 ? x->d[k - (nd - x->nd)] : 1, b = k - (nd - y->nd) >= 0 ? y->d[k - (nd - y->nd)] : 1;
            if (a != b && a != 1 && b != 1) return -1;
            o->d[k] = a == 1 ? b : a;
        }
        return 0;
    }
    if (axis < 0 || axis + y->nd > x->nd) return -1;
    *o = *x;
    for (int k = 0; k < y->nd; k++)
        if (y->d[k] != x->d[axis + k] && y->d[k] != 1) return -1;
    return 0;
}

static int window(int64_t in, int64_t k, int64_t s, int64_t dil, int64_t p0, int64_t p1, int64_t *out)
{
    if (s < 1 || k < 1 || dil < 1 || s > PD_MAX_WINDOW || k > PD_MAX_WINDOW || dil > PD_MAX_WINDOW) return -1;
    int64_t span = dil * (k - 1) + 1;
    if (in + p0 + p1 < span) return -1;
    *out = (in + p0 + p1 - span) / s + 1;
    return 0;
}

/* Infers op k's output shapes into m->sh (checking its attributes on the way). */
static int infer_op(struct imp *m, int k)
{
    const struct pdr_op *op = &m->p.ops[k];
    const char *t = op->type;
    char b1[160], b2[160];
    if (!strcmp(t, "feed")) {
        const struct pdr_var *v = &m->p.vars[m->in_var];
        struct shape *s = &m->sh[m->in_var];
        s->nd = v->ndim;
        for (int q = 0; q < v->ndim; q++) s->d[q] = v->dims[q] < 0 ? (q == 0 ? 1 : -1) : v->dims[q];
        if (s->nd != 4 || s->d[1] != 3 || s->d[0] < 1 || s->d[0] > PD_MAX_BATCH || s->d[2] < 1 || s->d[3] < 1 ||
            s->d[2] > PD_MAX_SIDE || s->d[3] > PD_MAX_SIDE)
            OPERR(CPOSE_ESHAPE, "the fed var '%s' is %s; cpose needs an image [N, 3, H, W] with H and W given (N ≤ %d, "
                  "sides ≤ %d)", v->name, dims_text(v->dims, v->ndim, b1, sizeof b1), PD_MAX_BATCH, PD_MAX_SIDE);
        return CPOSE_OK;
    }
    if (!strcmp(t, "fetch")) return CPOSE_OK;
    int xi = in_var(m, op, !strcmp(t, "conv2d") ? "Input" : !strcmp(t, "slice") ? "Input" : "X");
    const struct shape *x = xi >= 0 ? &m->sh[xi] : NULL;
    int oi = out_var(m, op, !strcmp(t, "conv2d") ? "Output" : "Out");
    struct shape o = {0};
    if (!strcmp(t, "conv2d")) {
        int fi = in_var(m, op, "Filter");
        const struct shape *f = &m->sh[fi];
        ATTR(st, "strides", PDR_ATTR_INTS, 2);
        ATTR(dl, "dilations", PDR_ATTR_INTS, 2);
        ATTR(pd, "paddings", PDR_ATTR_INTS, -1);
        int64_t g = attr_int_or(op, "groups", 1), p4[4];
        if (!m->p.vars[fi].persistable) OPERR(CPOSE_ENOTSUP, "the filter '%s' is not a parameter", m->p.vars[fi].name);
        if (pads4(pd, p4)) OPERR(CPOSE_EINVAL, "paddings must hold 2 or 4 non-negative values");
        if (!attr_is(op, "padding_algorithm", "EXPLICIT", 1) && !attr_is(op, "padding_algorithm", "VALID", 0))
            OPERR(CPOSE_ENOTSUP, "padding_algorithm other than EXPLICIT or VALID");
        if (attr_is(op, "padding_algorithm", "VALID", 0)) memset(p4, 0, sizeof p4);
        if (!attr_is(op, "data_format", "NCHW", 1) && !attr_is(op, "data_format", "AnyLayout", 0))
            OPERR(CPOSE_ENOTSUP, "data_format other than NCHW");
        if (x->nd != 4 || f->nd != 4 || g < 1 || x->d[1] != f->d[1] * g || f->d[0] % g)
            OPERR(CPOSE_ESHAPE, "input %s does not fit filter %s with groups %lld (input channels = filter dim 1 × groups)",
                  dims_text(x->d, x->nd, b1, sizeof b1), dims_text(f->d, f->nd, b2, sizeof b2), (long long)g);
        o.nd = 4, o.d[0] = x->d[0], o.d[1] = f->d[0];
        if (window(x->d[2], f->d[2], st->ints[0], dl->ints[0], p4[0], p4[1], &o.d[2]) ||
            window(x->d[3], f->d[3], st->ints[1], dl->ints[1], p4[2], p4[3], &o.d[3]))
            OPERR(CPOSE_ESHAPE, "the window does not fit the input %s", dims_text(x->d, x->nd, b1, sizeof b1));
    } else if (!strncmp(t, "elementwise_", 12)) {
        const struct shape *y = &m->sh[in_var(m, op, "Y")];
        int64_t axis = attr_int_or(op, "axis", -1);
        if (broadcast(x, y, axis, &o))
            OPERR(CPOSE_ESHAPE, "X %s and Y %s do not broadcast with axis %lld", dims_text(x->d, x->nd, b1, sizeof b1),
                  dims_text(y->d, y->nd, b2, sizeof b2), (long long)axis);
    } else if (!strcmp(t, "silu") || !strcmp(t, "sigmoid")) {
        o = *x;
    } else if (!strcmp(t, "swish")) {
        const struct pdr_attr *beta = pdr_attr(op, "beta");
        if (beta && (beta->type != PDR_ATTR_FLOAT || beta->f != 1.0f)) OPERR(CPOSE_ENOTSUP, "swish with beta ≠ 1");
        o = *x;
    } else if (!strcmp(t, "softmax")) {
        if (norm_axis(attr_int_or(op, "axis", -1), x->nd) < 0) OPERR(CPOSE_ESHAPE, "axis outside a %d-D input", x->nd);
        o = *x;
    } else if (!strcmp(t, "concat")) {
        const struct pdr_slot *s = pdr_in(op, "X");
        int ax = norm_axis(attr_int_or(op, "axis", 0), x->nd);
        if (ax < 0) OPERR(CPOSE_ESHAPE, "axis outside a %d-D input", x->nd);
        o = *x;
        for (int a = 1; a < s->n_args; a++) {
            const struct shape *y = &m->sh[arg_var(m, s, a)];
            int same = y->nd == x->nd;
            for (int q = 0; q < x->nd && same; q++) same = q == ax || y->d[q] == x->d[q];
            if (!same)
                OPERR(CPOSE_ESHAPE, "input %d %s does not match input 0 %s off axis %d", a,
                      dims_text(y->d, y->nd, b1, sizeof b1), dims_text(x->d, x->nd, b2, sizeof b2), ax);
            o.d[ax] += y->d[ax];
        }
    } else if (!strcmp(t, "split")) {
        const struct pdr_slot *s = pdr_out(op, "Out");
        int ax = norm_axis(attr_int_or(op, "axis", 0), x->nd);
        const struct pdr_attr *sec = pdr_attr(op, "sections");
        int64_t num = attr_int_or(op, "num", 0), sizes[64], sum = 0, infer = -1;
        if (ax < 0 || s->n_args > 64) OPERR(CPOSE_ESHAPE, "axis outside a %d-D input", x->nd);
        if (sec && sec->n_ints) {
            if (sec->n_ints != s->n_args) OPERR(CPOSE_EINVAL, "%d sections for %d outputs", sec->n_ints, s->n_args);
            for (int a = 0; a < s->n_args; a++) {
                sizes[a] = sec->ints[a];
                if (sizes[a] == -1 && infer < 0) infer = a;
                else if (sizes[a] < 0) OPERR(CPOSE_EINVAL, "section %lld", (long long)sizes[a]);
                else sum += sizes[a];
            }
            if (infer >= 0) sizes[infer] = x->d[ax] - sum, sum = x->d[ax];
        } else {
            if (num != s->n_args || x->d[ax] % num) OPERR(CPOSE_EINVAL, "num %lld for %d outputs", (long long)num, s->n_args);
            for (int a = 0; a < s->n_args; a++) sizes[a] = x->d[ax] / num;
            sum = x->d[ax];
        }
        if (sum != x->d[ax]) OPERR(CPOSE_ESHAPE, "sections add up to %lld, the axis holds %lld", (long long)sum, (long long)x->d[ax]);
        for (int a = 0; a < s->n_args; a++) {
            struct shape *so = &m->sh[arg_var(m, s, a)];
            *so = *x;
            so->d[ax] = sizes[a];
        }
        return CPOSE_OK;
    } else if (!strcmp(t, "slice")) {
        ATTR(axes, "axes", PDR_ATTR_INTS, -1);
        ATTR(starts, "starts", PDR_ATTR_INTS, axes->n_ints);
        ATTR(ends, "ends", PDR_ATTR_INTS, axes->n_ints);
        const struct pdr_attr *dec = pdr_attr(op, "decrease_axis");
        if (dec && dec->n_ints) OPERR(CPOSE_ENOTSUP, "decrease_axis (dropping sliced axes) is not read");
        o = *x;
        for (int a = 0; a < axes->n_ints; a++) {
            int ax = norm_axis(axes->ints[a], x->nd);
            if (ax < 0) OPERR(CPOSE_ESHAPE, "axis %lld outside a %d-D input", (long long)axes->ints[a], x->nd);
            int64_t n = x->d[ax], s = starts->ints[a], e = ends->ints[a];
            if (s < 0) s += n;
            if (e < 0) e += n;
            s = s < 0 ? 0 : s > n ? n : s, e = e < 0 ? 0 : e > n ? n : e;
            if (e <= s) OPERR(CPOSE_ESHAPE, "an empty range on axis %d", ax);
            o.d[ax] = e - s;
        }
    } else if (!strcmp(t, "pool2d")) {
        ATTR(ks, "ksize", PDR_ATTR_INTS, 2);
        ATTR(st, "strides", PDR_ATTR_INTS, 2);
        ATTR(pd, "paddings", PDR_ATTR_INTS, -1);
        int64_t p4[4];
        if (!attr_is(op, "pooling_type", "max", 0)) OPERR(CPOSE_ENOTSUP, "pooling_type other than max");
        if (attr_int_or(op, "global_pooling", 0) || attr_int_or(op, "adaptive", 0) || attr_int_or(op, "ceil_mode", 0))
            OPERR(CPOSE_ENOTSUP, "global, adaptive or ceil_mode pooling");
        if (!attr_is(op, "padding_algorithm", "EXPLICIT", 1)) OPERR(CPOSE_ENOTSUP, "padding_algorithm other than EXPLICIT");
        if (!attr_is(op, "data_format", "NCHW", 1)) OPERR(CPOSE_ENOTSUP, "data_format other than NCHW");
        if (pads4(pd, p4)) OPERR(CPOSE_EINVAL, "paddings must hold 2 or 4 non-negative values");
        if (x->nd != 4) OPERR(CPOSE_ESHAPE, "input is not 4-D");
        o = *x;
        if (window(x->d[2], ks->ints[0], st->ints[0], 1, p4[0], p4[1], &o.d[2]) ||
            window(x->d[3], ks->ints[1], st->ints[1], 1, p4[2], p4[3], &o.d[3]))
            OPERR(CPOSE_ESHAPE, "the window does not fit the input %s", dims_text(x->d, x->nd, b1, sizeof b1));
    } else if (!strcmp(t, "nearest_interp_v2")) {
        if (!attr_is(op, "interp_method", "nearest", 1) || attr_int_or(op, "align_corners", 0))
            OPERR(CPOSE_ENOTSUP, "only nearest interpolation without align_corners is read");
        if (!attr_is(op, "data_layout", "NCHW", 1)) OPERR(CPOSE_ENOTSUP, "data_layout other than NCHW");
        if (x->nd != 4) OPERR(CPOSE_ESHAPE, "input is not 4-D");
        const struct pdr_attr *sc = pdr_attr(op, "scale");
        int64_t oh = attr_int_or(op, "out_h", -1), ow = attr_int_or(op, "out_w", -1);
        o = *x;
        if (oh > 0 && ow > 0) o.d[2] = oh, o.d[3] = ow;
        else if (sc && sc->type == PDR_ATTR_FLOATS && sc->n_floats >= 1) {
            float sh = sc->floats[0], sw = sc->n_floats > 1 ? sc->floats[1] : sh;
            if (!(sh > 0 && sh <= 64 && sw > 0 && sw <= 64)) OPERR(CPOSE_EINVAL, "scale outside (0, 64]");
            o.d[2] = (int64_t)((float)x->d[2] * sh), o.d[3] = (int64_t)((float)x->d[3] * sw);
        } else OPERR(CPOSE_EINVAL, "neither out_h/out_w nor a positive scale");
        if (o.d[2] < 1 || o.d[3] < 1 || o.d[2] > PD_MAX_WINDOW || o.d[3] > PD_MAX_WINDOW)
            OPERR(CPOSE_ESHAPE, "an output of %lld x %lld", (long long)o.d[2], (long long)o.d[3]);
    } else if (!strcmp(t, "reshape2")) {
        ATTR(sa, "shape", PDR_ATTR_INTS, -1);
        int64_t known = 1, total = 1;
        int infer = -1;
        if (sa->n_ints < 1 || sa->n_ints > PDR_MAX_DIMS) OPERR(CPOSE_EINVAL, "a shape of %d dims", sa->n_ints);
        for (int q = 0; q < x->nd; q++)
            if (__builtin_mul_overflow(total, x->d[q], &total)) OPERR(CPOSE_ESHAPE, "the input's size overflows");
        o.nd = sa->n_ints;
        for (int q = 0; q < o.nd; q++) {
            int64_t v = sa->ints[q];
            if (v == 0) {
                if (q >= x->nd) OPERR(CPOSE_ESHAPE, "0 (copy) at dim %d of a %d-D input", q, x->nd);
                o.d[q] = x->d[q];
            } else if (v == -1) {
                if (infer >= 0) OPERR(CPOSE_EINVAL, "two -1 dims");
                infer = q;
                continue;
            } else if (v < 0 || v > total) OPERR(CPOSE_EINVAL, "dim %lld for %lld values", (long long)v, (long long)total);
            else o.d[q] = v;
            if (__builtin_mul_overflow(known, o.d[q], &known) || known > total)
                OPERR(CPOSE_ESHAPE, "the target shape holds more than the input's %lld values", (long long)total);
        }
        if (infer >= 0) o.d[infer] = known ? total / known : 0;
        int64_t got = 1;
        for (int q = 0; q < o.nd; q++)
            if (__builtin_mul_overflow(got, o.d[q], &got)) got = -1;
        if (got != total)
            OPERR(CPOSE_ESHAPE, "%s holds %lld values, the target %s %lld", dims_text(x->d, x->nd, b1, sizeof b1),
                  (long long)total, dims_text(o.d, o.nd, b2, sizeof b2), (long long)got);
    } else if (!strcmp(t, "transpose2")) {
        ATTR(ax, "axis", PDR_ATTR_INTS, x->nd);
        int seen[PDR_MAX_DIMS] = {0};
        o.nd = x->nd;
        for (int q = 0; q < x->nd; q++) {
            int a = norm_axis(ax->ints[q], x->nd);
            if (a < 0 || seen[a]++) OPERR(CPOSE_EINVAL, "axis is not a permutation of 0..%d", x->nd - 1);
            o.d[q] = x->d[a];
        }
    }
    m->sh[oi] = o;
    int xs = out_var(m, op, "XShape");
    if (xs >= 0) {
        m->sh[xs].nd = x->nd + 1;
        m->sh[xs].d[0] = 0;
        memcpy(m->sh[xs].d + 1, x->d, (size_t)x->nd * sizeof(int64_t));
    }
    return CPOSE_OK;
}

/* Every written var's inferred shape against the dims its VarDesc declares (-1 matches anything). */
static int check_declared(const struct imp *m)
{
    for (int v = 0; v < m->p.n_vars; v++) {
        const struct pdr_var *d = &m->p.vars[v];
        if (d->persistable || d->type != PDR_LOD_TENSOR || !m->written[v] || v == m->in_var) continue;
        const struct shape *s = &m->sh[v];
        int same = d->ndim == s->nd;
        for (int q = 0; q < s->nd && same; q++) same = d->dims[q] < 0 || d->dims[q] == s->d[q];
        if (!same) {
            char b1[160], b2[160];
            return cpose_err(CPOSE_ESHAPE, "%s: var '%s' is declared %s, its op computes %s", m->model_path, d->name,
                             dims_text(d->dims, d->ndim, b1, sizeof b1), dims_text(s->d, s->nd, b2, sizeof b2));
        }
    }
    return CPOSE_OK;
}

/* ---- the ONNX restatement ------------------------------------------------------------------------ */

/* The ONNX name of var v as an operand: a parameter becomes an initializer (once). */
static const char *operand(struct imp *m, struct cpose_onnx_restate *o, int v)
{
    const struct pdr_var *d = &m->p.vars[v];
    if (d->persistable && !m->inited[v]) {
        orst_init(o, d->name, d->dims, d->ndim, d->data, NULL);
        m->inited[v] = 1;
    }
    return d->name;
}

/* When conv2d op k's only reader is an elementwise_add of a [Cout] parameter along axis 1, returns
 * that op's index (its bias is folded into the Conv), else -1. */
static int bias_add_of(const struct imp *m, int k)
{
    int ov = out_var(m, &m->p.ops[k], "Output");
    if (m->uses[ov] != 1 || ov == m->out_var) return -1;
    for (int j = k + 1; j < m->p.n_ops; j++) {
        const struct pdr_op *a = &m->p.ops[j];
        if (strcmp(a->type, "elementwise_add") || in_var(m, a, "X") != ov) continue;
        int y = in_var(m, a, "Y");
        const struct pdr_var *yv = &m->p.vars[y];
        if (yv->persistable && yv->ndim == 1 && yv->dims[0] == m->sh[ov].d[1] && attr_int_or(a, "axis", -1) == 1) return j;
        return -1;
    }
    return -1;
}

static int restate_op(struct imp *m, int k, struct cpose_onnx_restate *o)
{
    const struct pdr_op *op = &m->p.ops[k];
    const char *t = op->type;
    if (!strcmp(t, "feed") || !strcmp(t, "fetch") || m->folded[k]) return CPOSE_OK;
    char nm[600];
    int xi = in_var(m, op, !strcmp(t, "conv2d") || !strcmp(t, "slice") ? "Input" : "X");
    const char *x = xi >= 0 ? operand(m, o, xi) : NULL;
    int oi = out_var(m, op, !strcmp(t, "conv2d") ? "Output" : "Out");
    const char *out = oi >= 0 ? m->p.vars[oi].name : NULL;
    if (!strcmp(t, "conv2d")) {
        int fi = in_var(m, op, "Filter"), add = bias_add_of(m, k);
        const struct shape *f = &m->sh[fi];
        const char *ci[3] = {x, operand(m, o, fi), NULL};
        if (add >= 0) {
            ci[2] = operand(m, o, in_var(m, &m->p.ops[add], "Y"));
            m->folded[add] = 1;
            out = m->p.vars[out_var(m, &m->p.ops[add], "Out")].name;
        }
        int64_t p4[4], pads[4];
        pads4(pdr_attr(op, "paddings"), p4);
        if (attr_is(op, "padding_algorithm", "VALID", 0)) memset(p4, 0, sizeof p4);
        pads[0] = p4[0], pads[1] = p4[2], pads[2] = p4[1], pads[3] = p4[3];
        Onnx__NodeProto *n = orst_node(o, "Conv", out, ci, add >= 0 ? 3 : 2, out);
        const int64_t ks[2] = {f->d[2], f->d[3]};
        orst_attr_ints(o, n, "kernel_shape", ks, 2);
        orst_attr_ints(o, n, "strides", pdr_attr(op, "strides")->ints, 2);
        orst_attr_ints(o, n, "dilations", pdr_attr(op, "dilations")->ints, 2);
        orst_attr_ints(o, n, "pads", pads, 4);
        if (attr_int_or(op, "groups", 1) != 1) orst_attr_int(o, n, "group", attr_int_or(op, "groups", 1));
        return CPOSE_OK;
    }
    if (!strncmp(t, "elementwise_", 12)) {
        static const char *const names[][2] = {{"elementwise_add", "Add"}, {"elementwise_sub", "Sub"},
                                               {"elementwise_mul", "Mul"}, {"elementwise_div", "Div"}};
        const char *onnx_op = NULL;
        for (int q = 0; q < 4; q++)
            if (!strcmp(t, names[q][0])) onnx_op = names[q][1];
        int yi = in_var(m, op, "Y");
        int64_t axis = attr_int_or(op, "axis", -1);
        const struct shape *xs = &m->sh[xi], *ys = &m->sh[yi];
        const char *y;
        if (axis == -1 || axis == xs->nd - ys->nd) {
            y = operand(m, o, yi);
        } else {
            /* Y aligned at X's axis: a parameter reshaped with trailing 1s (numpy form) */
            const struct pdr_var *yv = &m->p.vars[yi];
            if (!yv->persistable) OPERR(CPOSE_ENOTSUP, "axis %lld with a computed Y (only parameters are realigned)", (long long)axis);
            int64_t d[PDR_MAX_DIMS];
            int nd = xs->nd - (int)axis;
            for (int q = 0; q < nd; q++) d[q] = q < ys->nd ? ys->d[q] : 1;
            snprintf(nm, sizeof nm, "%s@axis%lld", yv->name, (long long)axis);
            y = orst_init(o, nm, d, nd, yv->data, NULL);
        }
        const char *ab[2] = {x, y};
        orst_node(o, onnx_op, out, ab, 2, out);
        return CPOSE_OK;
    }
    if (!strcmp(t, "silu") || !strcmp(t, "swish")) {
        snprintf(nm, sizeof nm, "%s@sigmoid", out);
        orst_node(o, "Sigmoid", out, &x, 1, nm);
        const char *ab[2] = {x, nm};
        orst_node(o, "Mul", out, ab, 2, out);
        return CPOSE_OK;
    }
    if (!strcmp(t, "sigmoid")) {
        orst_node(o, "Sigmoid", out, &x, 1, out);
        return CPOSE_OK;
    }
    if (!strcmp(t, "softmax") || !strcmp(t, "concat")) {
        const struct pdr_slot *s = pdr_in(op, "X");
        const char *ins[64];
        int n_in = s->n_args > 64 ? 64 : s->n_args;
        for (int a = 0; a < n_in; a++) ins[a] = operand(m, o, arg_var(m, s, a));
        int is_sm = !strcmp(t, "softmax");
        Onnx__NodeProto *n = orst_node(o, is_sm ? "Softmax" : "Concat", out, ins, n_in, out);
        orst_attr_int(o, n, "axis", norm_axis(attr_int_or(op, "axis", is_sm ? -1 : 0), m->sh[xi].nd));
        return CPOSE_OK;
    }
    if (!strcmp(t, "split")) {
        const struct pdr_slot *s = pdr_out(op, "Out");
        int ax = norm_axis(attr_int_or(op, "axis", 0), m->sh[xi].nd);
        int64_t at = 0, a64 = ax;
        for (int a = 0; a < s->n_args; a++) {
            int v = arg_var(m, s, a);
            const char *name = m->p.vars[v].name;
            int64_t st = at, en = at + m->sh[v].d[ax];
            at = en;
            const char *si[4] = {x, orst_ints(o, name, "starts", &st, 1), orst_ints(o, name, "ends", &en, 1),
                                 orst_ints(o, name, "axes", &a64, 1)};
            orst_node(o, "Slice", name, si, 4, name);
        }
        return CPOSE_OK;
    }
    if (!strcmp(t, "slice")) {
        const struct pdr_attr *axes = pdr_attr(op, "axes");
        int64_t ax[PDR_MAX_DIMS];
        int n = axes->n_ints > PDR_MAX_DIMS ? PDR_MAX_DIMS : axes->n_ints;
        for (int q = 0; q < n; q++) ax[q] = norm_axis(axes->ints[q], m->sh[xi].nd);
        const char *si[4] = {x, orst_ints(o, out, "starts", pdr_attr(op, "starts")->ints, n),
                             orst_ints(o, out, "ends", pdr_attr(op, "ends")->ints, n), orst_ints(o, out, "axes", ax, n)};
        orst_node(o, "Slice", out, si, 4, out);
        return CPOSE_OK;
    }
    if (!strcmp(t, "pool2d")) {
        int64_t p4[4];
        pads4(pdr_attr(op, "paddings"), p4);
        const int64_t pads[4] = {p4[0], p4[2], p4[1], p4[3]};
        Onnx__NodeProto *n = orst_node(o, "MaxPool", out, &x, 1, out);
        orst_attr_ints(o, n, "kernel_shape", pdr_attr(op, "ksize")->ints, 2);
        orst_attr_ints(o, n, "strides", pdr_attr(op, "strides")->ints, 2);
        orst_attr_ints(o, n, "pads", pads, 4);
        return CPOSE_OK;
    }
    if (!strcmp(t, "nearest_interp_v2")) {
        const struct shape *xs = &m->sh[xi], *os = &m->sh[oi];
        float sc[4] = {1, 1, (float)os->d[2] / (float)xs->d[2], (float)os->d[3] / (float)xs->d[3]};
        int64_t four = 4;
        snprintf(nm, sizeof nm, "%s.scales", out);
        const char *ri[3] = {x, "", orst_init(o, nm, &four, 1, sc, NULL)};
        Onnx__NodeProto *n = orst_node(o, "Resize", out, ri, 3, out);
        orst_attr_str(o, n, "mode", "nearest");
        orst_attr_str(o, n, "coordinate_transformation_mode", "asymmetric");
        orst_attr_str(o, n, "nearest_mode", "floor");
        return CPOSE_OK;
    }
    if (!strcmp(t, "reshape2")) {
        const struct shape *os = &m->sh[oi];
        const char *ri[2] = {x, orst_ints(o, out, "shape", os->d, os->nd)};
        orst_node(o, "Reshape", out, ri, 2, out);
        return CPOSE_OK;
    }
    if (!strcmp(t, "transpose2")) {
        const struct pdr_attr *ax = pdr_attr(op, "axis");
        int64_t perm[PDR_MAX_DIMS];
        for (int q = 0; q < ax->n_ints && q < PDR_MAX_DIMS; q++) perm[q] = norm_axis(ax->ints[q], m->sh[xi].nd);
        Onnx__NodeProto *n = orst_node(o, "Transpose", out, &x, 1, out);
        orst_attr_ints(o, n, "perm", perm, ax->n_ints);
        return CPOSE_OK;
    }
    OPERR(CPOSE_ENOTSUP, "no ONNX restatement");
}

/* ---- the whole read ------------------------------------------------------------------------------ */

static int read_model(struct imp *m, const char *meta_path, struct cpose_model **out)
{
    char *bytes = NULL;
    size_t n = 0;
    int rc = cpose_read_file(m->model_path, &bytes, &n);
    if (rc) return rc;
    rc = pdr_parse_program(m->model_path, (const uint8_t *)bytes, n, &m->p);
    cpose_free(bytes);
    if (!rc) rc = check_structure(m);
    if (rc) return rc;
    if ((rc = cpose_read_file(m->params_path, &bytes, &n))) return rc;
    rc = pdr_load_params(m->params_path, (const uint8_t *)bytes, n, &m->p);
    cpose_free(bytes);
    if (rc) return rc;
    for (int v = 0; v < m->p.n_vars; v++)
        if (m->p.vars[v].persistable && m->p.vars[v].type == PDR_LOD_TENSOR) {
            m->sh[v].nd = m->p.vars[v].ndim;
            memcpy(m->sh[v].d, m->p.vars[v].dims, sizeof m->sh[v].d);
        }
    for (int k = 0; k < m->p.n_ops && !rc; k++) rc = infer_op(m, k);
    if (!rc) rc = check_declared(m);
    if (rc) return rc;
    struct cpose_onnx_restate o;
    orst_init_restate(&o);
    for (int k = 0; k < m->p.n_ops && !rc; k++) rc = restate_op(m, k, &o);
    struct cpose_export_meta meta = {0};
    if (!rc) rc = cpose_export_meta_read(meta_path, &meta);
    if (!rc) {
        const struct shape *is = &m->sh[m->in_var], *os = &m->sh[m->out_var];
        rc = orst_import(&o, m->model_path, m->p.vars[m->in_var].name, is->d, is->nd, m->p.vars[m->out_var].name, os->d,
                         os->nd, &meta, out);
    }
    cpose_export_meta_clear(&meta);
    orst_free(&o);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int cpose_paddle_is_model(const char *path)
{
    if (ends_with(path, ".pdmodel") || ends_with(path, "_paddle_model") || ends_with(path, "_paddle_model/")) return 1;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
    char *p = cpose_path_join(path, "inference_model/model.pdmodel");
    int yes = stat(p, &st) == 0;
    cpose_free(p);
    return yes;
}

int cpose_paddle_model_load(const char *path, struct cpose_model **out)
{
    *out = NULL;
    struct imp m;
    memset(&m, 0, sizeof m);
    char *model = ends_with(path, ".pdmodel") ? cpose_strdup(path) : cpose_path_join(path, "inference_model/model.pdmodel");
    char *params = cpose_asprintf("%.*s.pdiparams", (int)(strlen(model) - 8), model);
    /* metadata.yaml at the .pdmodel's parents[1], as AutoBackend looks for it */
    char *d1 = cpose_path_dirname(model), *d2 = cpose_path_dirname(d1);
    char *meta = cpose_path_join(d2, "metadata.yaml");
    m.model_path = model, m.params_path = params;
    int rc = read_model(&m, meta, out);
    pdr_free(&m.p);
    cpose_free(m.sh), cpose_free(m.written), cpose_free(m.uses), cpose_free(m.inited), cpose_free(m.folded);
    cpose_free(model), cpose_free(params), cpose_free(d1), cpose_free(d2), cpose_free(meta);
    return rc;
}
