/* exporters/tf/tf_nhwc.c — the NCHW view → NHWC TF graph rewrite (see tf_nhwc.h): layout tracking
 * per value, constant folding of the head's anchor/stride arithmetic, reshapes on physical data,
 * explicit PAD where PyTorch's padding is not TF's SAME. */
#include "exporters/tf/tf_nhwc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* What a view node became: an IR value in some physical order, or a constant not written yet. */
struct nh {
    int id;                      /* IR value; -1 for a lazy constant */
    int ndim;
    int64_t ld[TFG_MAX_DIMS];    /* logical (view) dims */
    int perm[TFG_MAX_DIMS];      /* physical dim j holds logical dim perm[j] */
    float *cdata;                /* lazy constant: logical row-major data (owned by the rewrite) */
};

struct rw {
    struct tfg_graph *g;
    const struct cpose_view *v;
    struct nh *st;
    int n_generated;             /* for unique names of added values */
};

static const char *const view_op_names[CPOSE_VIEW_OP_COUNT] = {
    "Input", "Const", "Conv", "SiLU", "Sigmoid", "Add", "Sub", "Mul", "Div", "Concat",
    "Slice", "MaxPool", "Upsample", "Reshape", "Transpose", "Softmax", "Anchors",
};

const char *tfg_op_name(int kind)
{
    static const char *const names[TFG_OP_COUNT] = {
        "CONV_2D", "LOGISTIC", "MUL", "ADD", "SUB", "DIV", "CONCATENATION", "SLICE", "MAX_POOL_2D",
        "RESIZE_NEAREST_NEIGHBOR", "RESHAPE", "TRANSPOSE", "SOFTMAX", "PAD",
    };
    return kind >= 0 && kind < TFG_OP_COUNT ? names[kind] : "?";
}

int64_t tfg_numel(const struct tfg_value *v)
{
    int64_t n = 1;
    for (int i = 0; i < v->ndim; i++) n *= v->dims[i];
    return n;
}

void tfg_filter_hwio(const struct tfg_value *w, float *dst)
{
    int64_t O = w->dims[0], KH = w->dims[1], KW = w->dims[2], I = w->dims[3];
    for (int64_t o = 0; o < O; o++)
        for (int64_t y = 0; y < KH; y++)
            for (int64_t x = 0; x < KW; x++)
                for (int64_t i = 0; i < I; i++)
                    dst[((y * KW + x) * I + i) * O + o] = w->data[((o * KH + y) * KW + x) * I + i];
}

void tfg_free(struct tfg_graph *g)
{
    if (!g->h) return;
    for (int i = 0; i < g->n_values; i++) {
        g->h->free(g->values[i].name);
        g->h->free(g->values[i].data);
    }
    g->h->free(g->values);
    g->h->free(g->ops);
    g->values = NULL, g->ops = NULL;
    g->n_values = g->n_ops = 0;
}

static char *fmt(const struct cpose_host *h, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = h->alloc((size_t)n + 1);
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    return s;
}

/* Adds a value (name taken over; data taken over, may be NULL); returns its id. */
static int add_value(struct tfg_graph *g, char *name, int ndim, const int64_t *dims, float *data)
{
    if (g->n_values == g->cap_values) {
        g->cap_values = g->cap_values ? 2 * g->cap_values : 256;
        g->values = g->h->realloc(g->values, (size_t)g->cap_values * sizeof *g->values);
    }
    struct tfg_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = name, v->ndim = ndim, v->data = data;
    memcpy(v->dims, dims, (size_t)ndim * sizeof *dims);
    return g->n_values++;
}

static struct tfg_op *add_op(struct tfg_graph *g, int kind, const char *src, const int *in, int n_in, int out)
{
    if (g->n_ops == g->cap_ops) {
        g->cap_ops = g->cap_ops ? 2 * g->cap_ops : 256;
        g->ops = g->h->realloc(g->ops, (size_t)g->cap_ops * sizeof *g->ops);
    }
    struct tfg_op *op = &g->ops[g->n_ops++];
    memset(op, 0, sizeof *op);
    op->kind = kind, op->src = src, op->n_in = n_in, op->out = out;
    for (int i = 0; i < n_in; i++) op->in[i] = in[i];
    return op;
}

static void phys_dims(const struct nh *s, int64_t *d)
{
    for (int j = 0; j < s->ndim; j++) d[j] = s->ld[s->perm[j]];
}

static void identity(int n, int *perm)
{
    for (int i = 0; i < n; i++) perm[i] = i;
}

static int same_perm(int n, const int *a, const int *b)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* out = data (logical dims ld, ndim) in physical order perm. */
static void permute(const float *src, int ndim, const int64_t *ld, const int *perm, float *dst)
{
    int64_t stride[TFG_MAX_DIMS], pd[TFG_MAX_DIMS], idx[TFG_MAX_DIMS] = {0}, n = 1;
    for (int k = ndim - 1; k >= 0; k--) stride[k] = n, n *= ld[k];
    for (int j = 0; j < ndim; j++) pd[j] = ld[perm[j]];
    for (int64_t o = 0; o < n; o++) {
        int64_t off = 0;
        for (int j = 0; j < ndim; j++) off += idx[j] * stride[perm[j]];
        dst[o] = src[off];
        for (int j = ndim - 1; j >= 0; j--) {
            if (++idx[j] < pd[j]) break;
            idx[j] = 0;
        }
    }
}

/* Writes lazy constant s as an IR value of rank ndim (leading 1s added) in physical order perm. */
static int materialize(struct rw *r, const struct nh *s, const char *base, int ndim, const int *perm)
{
    const struct cpose_host *h = r->g->h;
    int64_t ld[TFG_MAX_DIMS], pd[TFG_MAX_DIMS], n = 1;
    int pad = ndim - s->ndim;
    for (int k = 0; k < ndim; k++) ld[k] = k < pad ? 1 : s->ld[k - pad];
    for (int k = 0; k < ndim; k++) n *= ld[k];
    for (int j = 0; j < ndim; j++) pd[j] = ld[perm[j]];
    float *d = h->alloc((size_t)n * sizeof(float));
    permute(s->cdata, ndim, ld, perm, d);
    return add_value(r->g, fmt(h, "%s/const_%d", base, r->n_generated++), ndim, pd, d);
}

/* The value of node state s in physical order `perm` (same rank): s itself, a transpose of it, or
 * its constant written in that order. */
static int need(struct rw *r, const struct nh *s, const char *base, const int *perm)
{
    if (s->id < 0) return materialize(r, s, base, s->ndim, perm);
    if (same_perm(s->ndim, s->perm, perm)) return s->id;
    int inv[TFG_MAX_DIMS], q[TFG_MAX_DIMS];
    int64_t ld_out[TFG_MAX_DIMS];
    for (int j = 0; j < s->ndim; j++) inv[s->perm[j]] = j;
    for (int j = 0; j < s->ndim; j++) q[j] = inv[perm[j]], ld_out[j] = s->ld[perm[j]];
    /* only size-1 dims move: the data order is unchanged, a RESHAPE does it */
    int moves = 0, last = -1;
    for (int j = 0; j < s->ndim; j++)
        if (ld_out[j] != 1) {
            if (q[j] < last) moves = 1;
            last = q[j];
        }
    if (!moves) {
        int out = add_value(r->g, fmt(r->g->h, "%s/reshape_%d", base, r->n_generated++), s->ndim, ld_out, NULL);
        struct tfg_op *op = add_op(r->g, TFG_RESHAPE, base, &s->id, 1, out);
        op->p.reshape.ndim = s->ndim;
        memcpy(op->p.reshape.shape, ld_out, sizeof ld_out);
        return out;
    }
    int out = add_value(r->g, fmt(r->g->h, "%s/transpose_%d", base, r->n_generated++), s->ndim, ld_out, NULL);
    struct tfg_op *op = add_op(r->g, TFG_TRANSPOSE, base, &s->id, 1, out);
    op->p.transpose.ndim = s->ndim;
    memcpy(op->p.transpose.perm, q, sizeof q);
    return out;
}

static const int NHWC[4] = {0, 2, 3, 1};

static int unsupported(struct rw *r, int i, const char *why)
{
    const struct cpose_view_node *n = CPOSE_VIEW_NODE(r->v, i);
    return r->g->h->error(r->g->x, CPOSE_PLUGIN_ENOTSUP, "view node %d '%s' (op %s): %s", i, n->name,
                          n->op >= 0 && n->op < CPOSE_VIEW_OP_COUNT ? view_op_names[n->op] : "?", why);
}

/* Is PyTorch padding (before, after) on size `in` with kernel k, stride s exactly TF's SAME? */
static int is_same(int64_t in, int k, int s, int before, int after)
{
    int64_t out = (in + s - 1) / s, total = (out - 1) * s + k - in;
    if (total < 0) total = 0;
    return before == total / 2 && after == total - total / 2;
}

/* Numpy broadcasting of two constants into out (logical dims od, ndim). */
static void fold_binary(int op, const struct nh *a, const struct nh *b, int ndim, const int64_t *od, float *out)
{
    int64_t n = 1, idx[TFG_MAX_DIMS] = {0};
    for (int k = 0; k < ndim; k++) n *= od[k];
    for (int64_t o = 0; o < n; o++) {
        int64_t ia = 0, ib = 0;
        for (int k = 0; k < ndim; k++) {
            int ka = k - (ndim - a->ndim), kb = k - (ndim - b->ndim);
            if (ka >= 0) ia = ia * a->ld[ka] + (a->ld[ka] == 1 ? 0 : idx[k]);
            if (kb >= 0) ib = ib * b->ld[kb] + (b->ld[kb] == 1 ? 0 : idx[k]);
        }
        float x = a->cdata[ia], y = b->cdata[ib];
        out[o] = op == CPOSE_VIEW_ADD ? x + y : op == CPOSE_VIEW_SUB ? x - y : op == CPOSE_VIEW_MUL ? x * y : x / y;
        for (int k = ndim - 1; k >= 0; k--) {
            if (++idx[k] < od[k]) break;
            idx[k] = 0;
        }
    }
}

/* Reshape on physical data: output physical order in *out_perm, or 0 if the groups of logical dims
 * merged or split are not contiguous and in order in memory. */
static int reshape_perm(const struct nh *s, int ondim, const int64_t *od, int *out_perm)
{
    int A[TFG_MAX_DIMS], B[TFG_MAX_DIMS], na = 0, nb = 0;
    for (int k = 0; k < s->ndim; k++)
        if (s->ld[k] != 1) A[na++] = k;
    for (int k = 0; k < ondim; k++)
        if (od[k] != 1) B[nb++] = k;
    /* groups: A[ga[g]..ga[g+1]) ↔ B[gb[g]..gb[g+1]) with equal products */
    int ga[TFG_MAX_DIMS + 1], gb[TFG_MAX_DIMS + 1], ng = 0, ia = 0, ib = 0;
    while (ia < na && ib < nb) {
        ga[ng] = ia, gb[ng] = ib;
        int64_t pa = s->ld[A[ia++]], pb = od[B[ib++]];
        while (pa != pb) {
            if (pa < pb) {
                if (ia >= na) return 0;
                pa *= s->ld[A[ia++]];
            } else {
                if (ib >= nb) return 0;
                pb *= od[B[ib++]];
            }
        }
        ng++;
    }
    if (ia != na || ib != nb) return 0;
    ga[ng] = na, gb[ng] = nb;
    /* the non-1 logical dims in physical order */
    int P[TFG_MAX_DIMS], np = 0;
    for (int j = 0; j < s->ndim; j++)
        if (s->ld[s->perm[j]] != 1) P[np++] = s->perm[j];
    int nout = 0;
    for (int k = 0; k < ondim; k++)
        if (od[k] == 1) out_perm[nout++] = k;
    for (int j = 0; j < np;) {
        int g = 0;
        while (g < ng && A[ga[g]] != P[j]) g++;
        if (g == ng) return 0;
        for (int t = ga[g]; t < ga[g + 1]; t++, j++)
            if (j >= np || P[j] != A[t]) return 0;
        for (int t = gb[g]; t < gb[g + 1]; t++) out_perm[nout++] = B[t];
    }
    return nout == ondim;
}

static int emit_unary(struct rw *r, int kind, const char *name, int in, const int64_t *pd, int ndim)
{
    int out = add_value(r->g, fmt(r->g->h, "%s", name), ndim, pd, NULL);
    add_op(r->g, kind, name, &in, 1, out);
    return out;
}

static int rewrite_node(struct rw *r, int i, const struct tfg_options *o)
{
    struct tfg_graph *g = r->g;
    const struct cpose_host *h = g->h;
    const struct cpose_view_node *n = CPOSE_VIEW_NODE(r->v, i);
    struct nh *s = &r->st[i];
    memset(s, 0, sizeof *s);
    s->ndim = n->ndim;
    memcpy(s->ld, n->dims, (size_t)n->ndim * sizeof(int64_t));
    identity(n->ndim, s->perm);
    s->id = -1;
    const struct nh *a = n->n_in > 0 ? &r->st[n->in[0]] : NULL, *b = n->n_in > 1 ? &r->st[n->in[1]] : NULL;
    int64_t pd[TFG_MAX_DIMS];
    switch (n->op) {
    case CPOSE_VIEW_INPUT:
        memcpy(s->perm, NHWC, sizeof NHWC);
        phys_dims(s, pd);
        s->id = g->input = add_value(g, fmt(h, "images"), 4, pd, NULL);
        return 0;
    case CPOSE_VIEW_CONST:
    case CPOSE_VIEW_ANCHORS: {
        int64_t cnt = 1;
        for (int k = 0; k < n->ndim; k++) cnt *= n->dims[k];
        if (!n->data) return unsupported(r, i, "a constant without data");
        s->cdata = h->alloc((size_t)cnt * sizeof(float));
        memcpy(s->cdata, n->data, (size_t)cnt * sizeof(float));
        return 0;
    }
    case CPOSE_VIEW_CONV: {
        const struct cpose_view_conv *c = &n->p.conv;
        if (c->groups != 1) return unsupported(r, i, "grouped convolutions have no mapping in this exporter");
        if (c->dilation_h != 1 || c->dilation_w != 1) return unsupported(r, i, "dilated convolutions have no mapping in this exporter");
        if (a->id < 0) return unsupported(r, i, "a convolution of a constant");
        int pointwise = c->kh == 1 && c->kw == 1 && c->stride_h == 1 && c->stride_w == 1 && !c->pad_top && !c->pad_left &&
                        !c->pad_bottom && !c->pad_right && a->ndim == 4 && a->perm[3] == 1;
        const int *perm = pointwise ? a->perm : NHWC;
        int x = need(r, a, n->name, perm);
        int same = 0;
        if (!pointwise) {
            int64_t H = a->ld[2], W = a->ld[3];
            int zero = !c->pad_top && !c->pad_left && !c->pad_bottom && !c->pad_right;
            same = !zero && is_same(H, c->kh, c->stride_h, c->pad_top, c->pad_bottom) &&
                   is_same(W, c->kw, c->stride_w, c->pad_left, c->pad_right);
            if (!zero && !same) {
                int64_t pdims[4] = {a->ld[0], H + c->pad_top + c->pad_bottom, W + c->pad_left + c->pad_right, a->ld[1]};
                int padded = add_value(g, fmt(h, "%s/pad", n->name), 4, pdims, NULL);
                struct tfg_op *op = add_op(g, TFG_PAD, n->name, &x, 1, padded);
                op->p.pad.ndim = 4;
                op->p.pad.before[1] = c->pad_top, op->p.pad.after[1] = c->pad_bottom;
                op->p.pad.before[2] = c->pad_left, op->p.pad.after[2] = c->pad_right;
                x = padded;
            }
        }
        /* OHWI filter and bias */
        int64_t wd[4] = {c->cout, c->kh, c->kw, c->cin}, bd[1] = {c->cout};
        float *w = h->alloc((size_t)(c->cout * c->kh * c->kw * c->cin) * sizeof(float));
        for (int oc = 0; oc < c->cout; oc++)
            for (int ic = 0; ic < c->cin; ic++)
                for (int y = 0; y < c->kh; y++)
                    for (int xx = 0; xx < c->kw; xx++)
                        w[((oc * c->kh + y) * c->kw + xx) * c->cin + ic] = c->weight[((oc * c->cin + ic) * c->kh + y) * c->kw + xx];
        float *bias = h->alloc((size_t)c->cout * sizeof(float));
        memcpy(bias, c->bias, (size_t)c->cout * sizeof(float));
        int wid = add_value(g, fmt(h, "%s", c->weight_name ? c->weight_name : n->name), 4, wd, w);
        int bid = add_value(g, c->bias_name && *c->bias_name ? fmt(h, "%s", c->bias_name) : fmt(h, "%s.bias", n->name), 1, bd,
                            bias);
        memcpy(s->perm, perm, 4 * sizeof(int));
        phys_dims(s, pd);
        int ins[3] = {x, wid, bid};
        s->id = add_value(g, fmt(h, "%s", n->name), 4, pd, NULL);
        struct tfg_op *op = add_op(g, TFG_CONV2D, n->name, ins, 3, s->id);
        op->p.conv.stride_h = c->stride_h, op->p.conv.stride_w = c->stride_w, op->p.conv.same = same;
        return 0;
    }
    case CPOSE_VIEW_SILU:
    case CPOSE_VIEW_SIGMOID: {
        if (a->id < 0) return unsupported(r, i, "an activation of a constant");
        memcpy(s->perm, a->perm, sizeof s->perm);
        phys_dims(s, pd);
        if (n->op == CPOSE_VIEW_SIGMOID) {
            s->id = emit_unary(r, TFG_LOGISTIC, n->name, a->id, pd, s->ndim);
            return 0;
        }
        /* no SiLU op in TFLite: x · LOGISTIC(x) */
        int sig = add_value(g, fmt(h, "%s/sigmoid", n->name), s->ndim, pd, NULL);
        add_op(g, TFG_LOGISTIC, n->name, &a->id, 1, sig);
        int ins[2] = {a->id, sig};
        s->id = add_value(g, fmt(h, "%s", n->name), s->ndim, pd, NULL);
        add_op(g, TFG_MUL, n->name, ins, 2, s->id);
        return 0;
    }
    case CPOSE_VIEW_ADD:
    case CPOSE_VIEW_SUB:
    case CPOSE_VIEW_MUL:
    case CPOSE_VIEW_DIV: {
        if (a->id < 0 && b->id < 0) {
            int64_t cnt = 1;
            for (int k = 0; k < n->ndim; k++) cnt *= n->dims[k];
            s->cdata = h->alloc((size_t)cnt * sizeof(float));
            fold_binary(n->op, a, b, n->ndim, n->dims, s->cdata);
            return 0;
        }
        int ia, ib;
        if (a->id >= 0 && b->id >= 0 && a->ndim == b->ndim && a->ndim == n->ndim && same_perm(a->ndim, a->perm, b->perm)) {
            memcpy(s->perm, a->perm, sizeof s->perm);
            ia = a->id, ib = b->id;
        } else if (a->id < 0 || b->id < 0) {
            const struct nh *var = a->id >= 0 ? a : b, *cst = a->id >= 0 ? b : a;
            if (var->ndim != n->ndim || cst->ndim > n->ndim) return unsupported(r, i, "a broadcast this rewrite does not place");
            memcpy(s->perm, var->perm, sizeof s->perm);
            int cid = materialize(r, cst, n->name, n->ndim, var->perm);
            ia = a->id >= 0 ? a->id : cid;
            ib = b->id >= 0 ? b->id : cid;
        } else {
            if (a->ndim != n->ndim || b->ndim != n->ndim) return unsupported(r, i, "operands of different ranks");
            ia = need(r, a, n->name, s->perm);  /* both to logical order */
            ib = need(r, b, n->name, s->perm);
        }
        phys_dims(s, pd);
        int kind = n->op == CPOSE_VIEW_ADD ? TFG_ADD : n->op == CPOSE_VIEW_SUB ? TFG_SUB : n->op == CPOSE_VIEW_MUL ? TFG_MUL : TFG_DIV;
        int ins[2] = {ia, ib};
        s->id = add_value(g, fmt(h, "%s", n->name), s->ndim, pd, NULL);
        add_op(g, kind, n->name, ins, 2, s->id);
        return 0;
    }
    case CPOSE_VIEW_CONCAT: {
        const struct nh *ref = NULL;
        for (int k = 0; k < n->n_in && !ref; k++)
            if (r->st[n->in[k]].id >= 0) ref = &r->st[n->in[k]];
        if (!ref) return unsupported(r, i, "a concatenation of constants");
        memcpy(s->perm, ref->perm, sizeof s->perm);
        int ins[8], axis = 0;
        for (int k = 0; k < n->n_in; k++) ins[k] = need(r, &r->st[n->in[k]], n->name, s->perm);
        for (int j = 0; j < s->ndim; j++)
            if (s->perm[j] == n->p.axis) axis = j;
        phys_dims(s, pd);
        s->id = add_value(g, fmt(h, "%s", n->name), s->ndim, pd, NULL);
        struct tfg_op *op = add_op(g, TFG_CONCAT, n->name, ins, n->n_in, s->id);
        op->p.axis = axis;
        return 0;
    }
    case CPOSE_VIEW_SLICE: {
        if (a->id < 0) return unsupported(r, i, "a slice of a constant");
        memcpy(s->perm, a->perm, sizeof s->perm);
        phys_dims(s, pd);
        s->id = add_value(g, fmt(h, "%s", n->name), s->ndim, pd, NULL);
        struct tfg_op *op = add_op(g, TFG_SLICE, n->name, &a->id, 1, s->id);
        for (int j = 0; j < s->ndim; j++) {
            int k = s->perm[j];
            op->p.slice.begin[j] = k == n->p.slice.axis ? n->p.slice.start : 0;
            op->p.slice.size[j] = s->ld[k];
        }
        return 0;
    }
    case CPOSE_VIEW_MAXPOOL: {
        const struct cpose_view_pool *p = &n->p.pool;
        if (a->id < 0 || a->ndim != 4) return unsupported(r, i, "a max-pool of a constant");
        int zero = !p->pad_top && !p->pad_left && !p->pad_bottom && !p->pad_right;
        int same = !zero && is_same(a->ld[2], p->kh, p->stride_h, p->pad_top, p->pad_bottom) &&
                   is_same(a->ld[3], p->kw, p->stride_w, p->pad_left, p->pad_right);
        if (!zero && !same)
            return unsupported(r, i, "max-pool padding that TF's SAME does not reproduce has no mapping in this exporter");
        int x = need(r, a, n->name, NHWC);
        memcpy(s->perm, NHWC, sizeof NHWC);
        phys_dims(s, pd);
        s->id = add_value(g, fmt(h, "%s", n->name), 4, pd, NULL);
        struct tfg_op *op = add_op(g, TFG_MAXPOOL, n->name, &x, 1, s->id);
        op->p.pool.kh = p->kh, op->p.pool.kw = p->kw, op->p.pool.stride_h = p->stride_h, op->p.pool.stride_w = p->stride_w;
        op->p.pool.same = same;
        return 0;
    }
    case CPOSE_VIEW_UPSAMPLE: {
        if (a->id < 0 || a->ndim != 4) return unsupported(r, i, "an upsample of a constant");
        int x = need(r, a, n->name, NHWC);
        memcpy(s->perm, NHWC, sizeof NHWC);
        phys_dims(s, pd);
        s->id = add_value(g, fmt(h, "%s", n->name), 4, pd, NULL);
        struct tfg_op *op = add_op(g, TFG_RESIZE_NEAREST, n->name, &x, 1, s->id);
        op->p.resize.h = s->ld[2], op->p.resize.w = s->ld[3];
        return 0;
    }
    case CPOSE_VIEW_RESHAPE: {
        if (a->id < 0) {  /* a constant: same data, new dims */
            int64_t cnt = 1;
            for (int k = 0; k < n->ndim; k++) cnt *= n->dims[k];
            s->cdata = h->alloc((size_t)cnt * sizeof(float));
            memcpy(s->cdata, a->cdata, (size_t)cnt * sizeof(float));
            return 0;
        }
        int x = a->id;
        if (!reshape_perm(a, n->ndim, n->dims, s->perm)) {
            int id[TFG_MAX_DIMS];
            identity(a->ndim, id);
            x = need(r, a, n->name, id);
            identity(n->ndim, s->perm);
        }
        phys_dims(s, pd);
        s->id = add_value(g, fmt(h, "%s", n->name), s->ndim, pd, NULL);
        struct tfg_op *op = add_op(g, TFG_RESHAPE, n->name, &x, 1, s->id);
        op->p.reshape.ndim = s->ndim;
        memcpy(op->p.reshape.shape, pd, sizeof pd);
        return 0;
    }
    case CPOSE_VIEW_TRANSPOSE: {
        /* only the order changes: out logical i = in logical p[i]; physical j keeps in physical j */
        const int *p = n->p.transpose.perm;
        int pinv[TFG_MAX_DIMS];
        for (int k = 0; k < n->ndim; k++) pinv[p[k]] = k;
        if (a->id < 0) {
            int64_t cnt = 1;
            for (int k = 0; k < n->ndim; k++) cnt *= n->dims[k];
            s->cdata = h->alloc((size_t)cnt * sizeof(float));
            permute(a->cdata, a->ndim, a->ld, p, s->cdata);
            return 0;
        }
        for (int j = 0; j < n->ndim; j++) s->perm[j] = pinv[a->perm[j]];
        s->id = a->id;
        return 0;
    }
    case CPOSE_VIEW_SOFTMAX: {
        if (a->id < 0) return unsupported(r, i, "a softmax of a constant");
        int ax = n->p.axis, k = 0;
        for (int j = 0; j < a->ndim; j++)
            if (a->perm[j] != ax) s->perm[k++] = a->perm[j];
        s->perm[k] = ax;
        int x = need(r, a, n->name, s->perm);
        phys_dims(s, pd);
        s->id = emit_unary(r, TFG_SOFTMAX, n->name, x, pd, s->ndim);
        return 0;
    }
    default: return unsupported(r, i, "no mapping to a TF op");
    }
}

/* ---- coordinate normalisation pushed towards the producers ---------------------------------------
 * The output's per-row factors (1/W, 1/H or 1) are moved up through Concats and row-preserving
 * Reshapes to the nodes that compute the coordinates (the head's box and keypoint pixel values), so
 * every concatenated tensor already holds normalised values: then a tensor mixing coordinates and
 * scores spans about [0, 1], which is what makes a single int8 scale per tensor work (Ultralytics
 * normalises inside the head for the same reason, PR #1695, issue #17203). A "row" is one index of
 * dims 1..ndim−2 (every dim but the batch and the last, the anchors), flattened row-major. */

static int64_t rows_of(const struct cpose_view_node *n)
{
    int64_t r = 1;
    for (int k = 1; k < n->ndim - 1; k++) r *= n->dims[k];
    return r;
}

static int all_ones(const float *f, int64_t n)
{
    for (int64_t k = 0; k < n; k++)
        if (f[k] != 1.0f) return 0;
    return 1;
}

/* Moves rowf[i] to node i's inputs when i is a Concat or a row-preserving Reshape whose inputs are
 * activations read by i alone; rowf entries of all ones are dropped. */
static void push_rows(const struct cpose_host *h, const struct cpose_view *v, const int *consumers, float **rowf, int i)
{
    const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
    if (n->ndim < 3 || (n->op != CPOSE_VIEW_CONCAT && n->op != CPOSE_VIEW_RESHAPE)) return;
    for (int j = 0; j < n->n_in; j++) {
        const struct cpose_view_node *in = CPOSE_VIEW_NODE(v, n->in[j]);
        if (consumers[n->in[j]] != 1 || in->op == CPOSE_VIEW_CONST || in->op == CPOSE_VIEW_ANCHORS || in->ndim < 3)
            return;
        if (n->op == CPOSE_VIEW_RESHAPE) {  /* a reshape keeps the batch and the anchors */
            if (in->dims[0] != n->dims[0] || in->dims[in->ndim - 1] != n->dims[n->ndim - 1]) return;
            continue;
        }
        if (in->ndim != n->ndim) return;
        for (int k = 0; k < n->ndim; k++)  /* a concat changes only its axis */
            if (k != n->p.axis && in->dims[k] != n->dims[k]) return;
    }
    if (n->op == CPOSE_VIEW_RESHAPE && rows_of(CPOSE_VIEW_NODE(v, n->in[0])) != rows_of(n)) return;
    int64_t off = 0;
    for (int j = 0; j < n->n_in; j++) {
        const struct cpose_view_node *in = CPOSE_VIEW_NODE(v, n->in[j]);
        int64_t nr = rows_of(in);
        float *f = h->alloc((size_t)nr * sizeof(float));
        for (int64_t r = 0; r < nr; r++) {
            int64_t out_row = r;
            if (n->op == CPOSE_VIEW_CONCAT && n->p.axis >= 1 && n->p.axis < n->ndim - 1) {
                /* the input's row index as a multi-index, shifted along the concat axis */
                int64_t idx[CPOSE_VIEW_MAX_DIMS], rem = r;
                for (int k = n->ndim - 2; k >= 1; k--) idx[k] = rem % in->dims[k], rem /= in->dims[k];
                idx[n->p.axis] += off;
                out_row = 0;
                for (int k = 1; k < n->ndim - 1; k++) out_row = out_row * n->dims[k] + idx[k];
            }
            f[r] = rowf[i][out_row];
        }
        if (n->op == CPOSE_VIEW_CONCAT) off += in->dims[n->p.axis];
        if (all_ones(f, nr)) h->free(f);
        else rowf[n->in[j]] = f;
    }
    h->free(rowf[i]);
    rowf[i] = NULL;
}

/* Multiplies node i's value by its row factors (a constant [1, rows..., 1] in the value's order). */
static void apply_rows(struct rw *r, int i, const float *f)
{
    const struct cpose_view_node *n = CPOSE_VIEW_NODE(r->v, i);
    struct nh *s = &r->st[i];
    struct nh c = {-1, n->ndim, {0}, {0}, (float *)f};
    for (int k = 0; k < n->ndim; k++) c.ld[k] = k == 0 || k == n->ndim - 1 ? 1 : n->dims[k];
    identity(n->ndim, c.perm);
    int cid = materialize(r, &c, n->name, n->ndim, s->perm);
    int64_t pd[TFG_MAX_DIMS];
    phys_dims(s, pd);
    int ins[2] = {s->id, cid};
    s->id = add_value(r->g, fmt(r->g->h, "%s/normalized", n->name), n->ndim, pd, NULL);
    add_op(r->g, TFG_MUL, n->name, ins, 2, s->id);
}

int tfg_from_view(const struct cpose_host *h, struct cpose_export *x, const struct cpose_view *v,
                  const struct tfg_options *o, struct tfg_graph *g)
{
    memset(g, 0, sizeof *g);
    g->h = h, g->x = x, g->input = g->output = -1;
    struct rw r = {g, v, h->calloc((size_t)v->n_nodes, sizeof(struct nh)), 0};
    int rc = 0;
    float **rowf = h->calloc((size_t)v->n_nodes, sizeof(float *));
    const struct cpose_view_node *on = CPOSE_VIEW_NODE(v, v->output);
    if (o->normalize && on->ndim == 3) {
        /* rows × 1/W or 1/H: box rows 0/2 and keypoint x by the width, 1/3 and keypoint y by the height */
        int C = (int)on->dims[1];
        float *f = h->alloc((size_t)C * sizeof(float));
        double iw = 1.0 / (double)v->width, ih = 1.0 / (double)v->height;
        for (int row = 0; row < C; row++) {
            int kr = row - 4 - o->nc;
            f[row] = (float)(row == 0 || row == 2 ? iw : row == 1 || row == 3 ? ih
                             : o->kd > 0 && kr >= 0 && kr % o->kd == 0 ? iw : o->kd > 0 && kr >= 0 && kr % o->kd == 1 ? ih : 1.0);
        }
        rowf[v->output] = f;
        int *consumers = h->calloc((size_t)v->n_nodes, sizeof(int));
        for (int i = 0; i < v->n_nodes; i++)
            for (int k = 0; k < CPOSE_VIEW_NODE(v, i)->n_in; k++) consumers[CPOSE_VIEW_NODE(v, i)->in[k]]++;
        for (int i = v->n_nodes - 1; i >= 0; i--)
            if (rowf[i]) push_rows(h, v, consumers, rowf, i);
        h->free(consumers);
    }
    for (int i = 0; i < v->n_nodes && rc == 0; i++) {
        const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
        if (n->ndim > TFG_MAX_DIMS) rc = unsupported(&r, i, "more dims than the rewrite holds");
        else rc = rewrite_node(&r, i, o);
        if (rc == 0 && rowf[i]) {
            if (r.st[i].id < 0) rc = unsupported(&r, i, "coordinates to normalise in a constant");
            else apply_rows(&r, i, rowf[i]);
        }
    }
    for (int i = 0; i < v->n_nodes; i++) h->free(rowf[i]);
    h->free(rowf);
    if (rc == 0) {
        struct nh *out = &r.st[v->output];
        if (out->id < 0 || out->ndim != 3) {
            rc = h->error(x, CPOSE_PLUGIN_EINVAL, "the view's output '%s' is not a [B, C, A] tensor", on->name);
        } else {
            int id3[3] = {0, 1, 2};
            g->output = need(&r, out, "output0", id3);
            h->free(g->values[g->output].name);
            g->values[g->output].name = fmt(h, "output0");
        }
    }
    for (int i = 0; i < v->n_nodes; i++) h->free(r.st[i].cdata);
    h->free(r.st);
    return rc;
}
