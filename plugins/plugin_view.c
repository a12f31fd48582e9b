/* plugins/plugin_view.c — the graph view plugins translate: the model's fused graph rewritten as
 * the primitive ops of cpose_plugin.h (conv + separate SiLU and residual Add), with the Pose head
 * decode expanded once, here, for every format.
 *
 * Head expansion, per level l with stride s (inputs: the level tensor [B, 4·R + nc, H, W] and the
 * keypoint tensor [B, nk·kd, H, W]); the same formulas as core/ops/pose_head.c:
 *   box  = Slice(level, 1, 0, 4R) → Reshape [0,4,R,-1] → Transpose [0,2,1,3] → Softmax(1)
 *          → Conv 1×1 R→1 (the DFL weights 0..R−1) → Reshape [0,4,-1]            [B,4,A_l]
 *   lt, rb = Slice(box, 1, 0, 2), Slice(box, 1, 2, 4); a = Anchors(level)         [1,2,A_l]
 *   x1y1 = a − lt, x2y2 = a + rb; xywh = Concat((x1y1 + x2y2)·0.5, x2y2 − x1y1) · s
 *   cls  = Sigmoid(Reshape(Slice(level, 1, 4R, 4R + nc), [0,nc,-1]))
 *   kpt  = Reshape(kpts, [0,nk,kd,-1]); xy = (Slice(kpt,2,0,2)·2 + (Reshape(a,[1,1,2,-1]) − 0.5))·s;
 *          v = Sigmoid(Slice(kpt,2,2,3)); Reshape(Concat(xy, v; 2), [0,nk·kd,-1])
 *   out_l = Concat(xywh, cls, kpt; 1); output = Concat(out_0.., 2). */
#include "plugins/plugin_view.h"

#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/graph.h"
#include "core/nn/model_impl.h"

struct cpose_view_store {
    struct cpose_view view;
    struct cpose_vec nodes;   /* struct cpose_view_node */
    struct cpose_vec owned;   /* void *: names and data the nodes point to */
};

static const char *const op_names[CPOSE_VIEW_OP_COUNT] = {
    [CPOSE_VIEW_INPUT] = "Input",     [CPOSE_VIEW_CONST] = "Const",         [CPOSE_VIEW_CONV] = "Conv",
    [CPOSE_VIEW_SILU] = "SiLU",       [CPOSE_VIEW_SIGMOID] = "Sigmoid",     [CPOSE_VIEW_ADD] = "Add",
    [CPOSE_VIEW_SUB] = "Sub",         [CPOSE_VIEW_MUL] = "Mul",             [CPOSE_VIEW_DIV] = "Div",
    [CPOSE_VIEW_CONCAT] = "Concat",   [CPOSE_VIEW_SLICE] = "Slice",         [CPOSE_VIEW_MAXPOOL] = "MaxPool",
    [CPOSE_VIEW_UPSAMPLE] = "Upsample", [CPOSE_VIEW_RESHAPE] = "Reshape",   [CPOSE_VIEW_TRANSPOSE] = "Transpose",
    [CPOSE_VIEW_SOFTMAX] = "Softmax", [CPOSE_VIEW_ANCHORS] = "Anchors",
};

const char *cpose_view_op_name(int op)
{
    return op >= 0 && op < CPOSE_VIEW_OP_COUNT && op_names[op] ? op_names[op] : "?";
}

static void *own(struct cpose_view_store *s, void *p)
{
    cpose_vec_push(&s->owned, &p);
    return p;
}

static struct cpose_view_node *node_at(struct cpose_view_store *s, int id)
{
    return &CPOSE_VEC_AT(&s->nodes, struct cpose_view_node, id);
}

/* Appends a node named "<base>.<suffix>" (or base) with inputs; returns its id. dims set after. */
static int add(struct cpose_view_store *s, int op, const char *base, const char *suffix, const int *in, int n_in)
{
    struct cpose_view_node n;
    memset(&n, 0, sizeof n);
    n.op = op;
    char *name = suffix ? cpose_asprintf("%s.%s", base, suffix) : cpose_strdup(base);
    /* a module applied more than once (SPPF's max-pool "model.9.m") gets ".1", ".2", ... */
    for (int k = 1;; k++) {
        int taken = 0;
        for (size_t i = 0; i < s->nodes.len && !taken; i++) taken = !strcmp(node_at(s, (int)i)->name, name);
        if (!taken) break;
        char *next = cpose_asprintf("%s%s%s.%d", base, suffix ? "." : "", suffix ? suffix : "", k);
        cpose_free(name);
        name = next;
    }
    n.name = own(s, name);
    n.n_in = n_in;
    for (int i = 0; i < n_in; i++) n.in[i] = in[i];
    cpose_vec_push(&s->nodes, &n);
    return (int)s->nodes.len - 1;
}

static void set_dims(struct cpose_view_store *s, int id, int ndim, const int64_t *dims)
{
    struct cpose_view_node *n = node_at(s, id);
    n->ndim = ndim;
    memcpy(n->dims, dims, ndim * sizeof(int64_t));
}

static int unary(struct cpose_view_store *s, int op, const char *base, const char *suffix, int x)
{
    int id = add(s, op, base, suffix, &x, 1);
    struct cpose_view_node *src = node_at(s, x);
    set_dims(s, id, src->ndim, src->dims);
    return id;
}

/* Binary op with numpy broadcasting of the two shapes. */
static int binary(struct cpose_view_store *s, int op, const char *base, const char *suffix, int a, int b)
{
    int in[2] = {a, b};
    int id = add(s, op, base, suffix, in, 2);
    const struct cpose_view_node *x = node_at(s, a), *y = node_at(s, b);
    int nd = x->ndim > y->ndim ? x->ndim : y->ndim;
    int64_t d[CPOSE_VIEW_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        int ix = i - (nd - x->ndim), iy = i - (nd - y->ndim);
        int64_t dx = ix >= 0 ? x->dims[ix] : 1, dy = iy >= 0 ? y->dims[iy] : 1;
        d[i] = dx > dy ? dx : dy;
    }
    set_dims(s, id, nd, d);
    return id;
}

static int scalar(struct cpose_view_store *s, const char *base, const char *suffix, float v)
{
    int id = add(s, CPOSE_VIEW_CONST, base, suffix, NULL, 0);
    float *d = own(s, cpose_malloc(sizeof(float)));
    *d = v;
    int64_t one = 1;
    set_dims(s, id, 1, &one);
    node_at(s, id)->data = d;
    return id;
}

static int slice(struct cpose_view_store *s, const char *base, const char *suffix, int x, int axis, int64_t start,
                 int64_t end)
{
    int id = unary(s, CPOSE_VIEW_SLICE, base, suffix, x);
    struct cpose_view_node *n = node_at(s, id);
    n->p.slice.axis = axis, n->p.slice.start = start, n->p.slice.end = end;
    n->dims[axis] = end - start;
    return id;
}

/* Reshape to target (0 = copy, -1 = infer). */
static int reshape(struct cpose_view_store *s, const char *base, const char *suffix, int x, int ndim, const int64_t *target)
{
    int id = add(s, CPOSE_VIEW_RESHAPE, base, suffix, &x, 1);
    const struct cpose_view_node *src = node_at(s, x);
    int64_t numel = 1, known = 1, d[CPOSE_VIEW_MAX_DIMS];
    int infer = -1;
    for (int i = 0; i < src->ndim; i++) numel *= src->dims[i];
    for (int i = 0; i < ndim; i++) {
        d[i] = target[i] == 0 ? src->dims[i] : target[i];
        if (target[i] == -1) infer = i;
        else known *= d[i];
    }
    if (infer >= 0) d[infer] = numel / known;
    struct cpose_view_node *n = node_at(s, id);
    n->p.reshape.ndim = ndim;
    memcpy(n->p.reshape.dims, target, ndim * sizeof(int64_t));
    set_dims(s, id, ndim, d);
    return id;
}

static int concat(struct cpose_view_store *s, const char *base, const char *suffix, const int *in, int n_in, int axis)
{
    int id = add(s, CPOSE_VIEW_CONCAT, base, suffix, in, n_in);
    const struct cpose_view_node *first = node_at(s, in[0]);
    int64_t d[CPOSE_VIEW_MAX_DIMS];
    memcpy(d, first->dims, first->ndim * sizeof(int64_t));
    for (int i = 1; i < n_in; i++) d[axis] += node_at(s, in[i])->dims[axis];
    set_dims(s, id, first->ndim, d);
    node_at(s, id)->p.axis = axis;
    return id;
}

static int conv(struct cpose_view_store *s, const char *base, const char *suffix, int x, int cin, int cout, int k,
                int stride, int pad, const float *w, const float *b, const char *wname, const char *bname)
{
    int id = add(s, CPOSE_VIEW_CONV, base, suffix, &x, 1);
    const struct cpose_view_node *src = node_at(s, x);
    int64_t d[4] = {src->dims[0], cout, (src->dims[2] + 2 * pad - k) / stride + 1,
                    (src->dims[3] + 2 * pad - k) / stride + 1};
    set_dims(s, id, 4, d);
    struct cpose_view_conv *c = &node_at(s, id)->p.conv;
    c->cin = cin, c->cout = cout, c->kh = c->kw = k, c->stride_h = c->stride_w = stride;
    c->pad_top = c->pad_left = c->pad_bottom = c->pad_right = pad;
    c->dilation_h = c->dilation_w = 1, c->groups = 1;
    size_t wn = (size_t)cout * cin * k * k;
    float *wc = own(s, cpose_malloc(wn * sizeof(float))), *bc = own(s, cpose_calloc(cout, sizeof(float)));
    memcpy(wc, w, wn * sizeof(float));
    if (b) memcpy(bc, b, cout * sizeof(float));
    c->weight = wc, c->bias = bc;
    c->weight_name = own(s, cpose_strdup(wname));
    c->bias_name = own(s, cpose_strdup(bname));
    return id;
}

/* Expands one pose_head node (inputs: view ids of its 2·nl inputs); returns the output id. */
static int expand_head(struct cpose_view_store *s, const struct cpose_model *m, const char *name,
                       const struct cpose_pose_head_params *p, const int *in)
{
    int R = p->reg_max, nc = p->nc, nk = p->nk, kd = p->kdim, outs[4];
    char base[160], dfl_name[160];
    /* the DFL weights: the model's frozen parameter (0..R−1) when present */
    snprintf(dfl_name, sizeof dfl_name, "%.*s.dfl.conv.weight", (int)(strrchr(name, '.') - name), name);
    const struct cpose_param *dfl = cpose_model_param(m, dfl_name);
    float *dw = own(s, cpose_malloc(R * sizeof(float)));
    for (int r = 0; r < R; r++) dw[r] = dfl && dfl->numel == R ? dfl->data[r] : (float)r;
    for (int l = 0; l < p->nl; l++) {
        snprintf(base, sizeof base, "%s.l%d", name, l);
        float st = (float)p->strides[l];
        int lv = in[l], kp = in[p->nl + l];
        int box = slice(s, base, "box", lv, 1, 0, 4 * R);
        const int64_t t4r[4] = {0, 4, R, -1}, t4[3] = {0, 4, -1}, tc[3] = {0, nc, -1};
        box = reshape(s, base, "box_reshape", box, 4, t4r);
        int tr = unary(s, CPOSE_VIEW_TRANSPOSE, base, "box_transpose", box);
        struct cpose_view_node *tn = node_at(s, tr);
        const int perm[4] = {0, 2, 1, 3};
        tn->p.transpose.ndim = 4;
        memcpy(tn->p.transpose.perm, perm, sizeof perm);
        int64_t td[4] = {tn->dims[0], R, 4, tn->dims[3]};
        set_dims(s, tr, 4, td);
        int sm = unary(s, CPOSE_VIEW_SOFTMAX, base, "dfl_softmax", tr);
        node_at(s, sm)->p.axis = 1;
        int dc = conv(s, base, "dfl_conv", sm, R, 1, 1, 1, 0, dw, NULL, dfl_name, "");
        node_at(s, dc)->p.conv.bias_name = NULL;  /* the DFL conv has no bias in Ultralytics */
        int dist = reshape(s, base, "dist", dc, 3, t4);
        int lt = slice(s, base, "lt", dist, 1, 0, 2), rb = slice(s, base, "rb", dist, 1, 2, 4);
        int an = unary(s, CPOSE_VIEW_ANCHORS, base, "anchors", lv);
        struct cpose_view_node *a = node_at(s, an);
        int64_t H = a->dims[2], W = a->dims[3], ad[3] = {1, 2, H * W};
        float *av = own(s, cpose_malloc((size_t)2 * H * W * sizeof(float)));
        for (int64_t q = 0; q < H * W; q++) av[q] = (float)(q % W) + 0.5f, av[H * W + q] = (float)(q / W) + 0.5f;
        a->data = av;
        set_dims(s, an, 3, ad);
        int x1y1 = binary(s, CPOSE_VIEW_SUB, base, "x1y1", an, lt);
        int x2y2 = binary(s, CPOSE_VIEW_ADD, base, "x2y2", an, rb);
        int sum = binary(s, CPOSE_VIEW_ADD, base, "c_sum", x1y1, x2y2);
        int cxy = binary(s, CPOSE_VIEW_MUL, base, "cxy", sum, scalar(s, base, "half", 0.5f));
        int wh = binary(s, CPOSE_VIEW_SUB, base, "wh", x2y2, x1y1);
        int pair[2] = {cxy, wh};
        int xywh = concat(s, base, "xywh", pair, 2, 1);
        int stc = scalar(s, base, "stride", st);
        int boxp = binary(s, CPOSE_VIEW_MUL, base, "box_px", xywh, stc);
        int cls = slice(s, base, "cls", lv, 1, 4 * R, 4 * R + nc);
        cls = reshape(s, base, "cls_reshape", cls, 3, tc);
        cls = unary(s, CPOSE_VIEW_SIGMOID, base, "cls_sigmoid", cls);
        const int64_t tk[4] = {0, nk, kd, -1}, tk3[3] = {0, nk * kd, -1}, ta[4] = {1, 1, 2, -1};
        int k4 = reshape(s, base, "kpt_reshape", kp, 4, tk);
        int kxy = slice(s, base, "kpt_xy", k4, 2, 0, 2);
        kxy = binary(s, CPOSE_VIEW_MUL, base, "kpt_xy2", kxy, scalar(s, base, "two", 2.0f));
        int a4 = reshape(s, base, "anchors4", an, 4, ta);
        int cell = binary(s, CPOSE_VIEW_SUB, base, "cell", a4, scalar(s, base, "half_k", 0.5f));
        kxy = binary(s, CPOSE_VIEW_ADD, base, "kpt_grid", kxy, cell);
        kxy = binary(s, CPOSE_VIEW_MUL, base, "kpt_px", kxy, stc);
        int kout = kxy;
        if (kd == 3) {
            int kv = slice(s, base, "kpt_v", k4, 2, 2, 3);
            kv = unary(s, CPOSE_VIEW_SIGMOID, base, "kpt_sigmoid", kv);
            int kk[2] = {kxy, kv};
            kout = concat(s, base, "kpt_cat", kk, 2, 2);
        }
        kout = reshape(s, base, "kpt", kout, 3, tk3);
        int parts[3] = {boxp, cls, kout};
        outs[l] = concat(s, base, "out", parts, 3, 1);
    }
    return p->nl == 1 ? outs[0] : concat(s, name, NULL, outs, p->nl, 2);
}

static int build(struct cpose_view_store *s, struct cpose_model *m, const struct cpose_graph *g, int64_t B, int64_t H,
                 int64_t W)
{
    int n = cpose_graph_size(g);
    int *map = cpose_malloc(n * sizeof(int));
    int rc = CPOSE_OK;
    char wname[200], bname[200];
    for (int i = 0; i < n && rc == CPOSE_OK; i++) {
        const struct cpose_node *nd = cpose_graph_node(g, i);
        int in[8];
        for (int j = 0; j < nd->n_in; j++) in[j] = map[nd->in[j]];
        switch (nd->op) {
        case CPOSE_OP_input: {
            int id = add(s, CPOSE_VIEW_INPUT, "images", NULL, NULL, 0);
            int64_t d[4] = {B, 3, H, W};
            set_dims(s, id, 4, d);
            s->view.input = map[i] = id;
            break;
        }
        case CPOSE_OP_conv2d: {
            const struct cpose_conv2d_params *c = nd->params;
            /* Ultralytics names: a Conv module "model.0.conv" → model.0.conv.weight; a bare Conv2d
             * (the head's last 1×1) keeps its own name */
            snprintf(wname, sizeof wname, "%s.weight", nd->name);
            snprintf(bname, sizeof bname, "%s.bias", nd->name);
            int x = conv(s, nd->name, NULL, in[0], c->cin, c->cout, c->k, c->stride, c->pad, c->weight, c->bias, wname,
                         bname);
            if (c->act == CPOSE_ACT_SILU) {
                char act[160];
                snprintf(act, sizeof act, "%.*s.act", (int)(strrchr(nd->name, '.') ? strrchr(nd->name, '.') - nd->name
                                                                                   : (long)strlen(nd->name)), nd->name);
                x = unary(s, CPOSE_VIEW_SILU, act, NULL, x);
            }
            if (nd->n_in == 2) x = binary(s, CPOSE_VIEW_ADD, nd->name, "residual", in[1], x);
            map[i] = x;
            break;
        }
        case CPOSE_OP_silu: map[i] = unary(s, CPOSE_VIEW_SILU, nd->name, NULL, in[0]); break;
        case CPOSE_OP_sigmoid: map[i] = unary(s, CPOSE_VIEW_SIGMOID, nd->name, NULL, in[0]); break;
        case CPOSE_OP_add: map[i] = binary(s, CPOSE_VIEW_ADD, nd->name, NULL, in[0], in[1]); break;
        case CPOSE_OP_sub: map[i] = binary(s, CPOSE_VIEW_SUB, nd->name, NULL, in[0], in[1]); break;
        case CPOSE_OP_mul: map[i] = binary(s, CPOSE_VIEW_MUL, nd->name, NULL, in[0], in[1]); break;
        case CPOSE_OP_div: map[i] = binary(s, CPOSE_VIEW_DIV, nd->name, NULL, in[0], in[1]); break;
        case CPOSE_OP_concat: map[i] = concat(s, nd->name, NULL, in, nd->n_in, 1); break;
        case CPOSE_OP_slice: {
            const struct cpose_slice_params *p = nd->params;
            map[i] = slice(s, nd->name, NULL, in[0], 1, p->start, p->start + p->len);
            break;
        }
        case CPOSE_OP_maxpool2d: {
            const struct cpose_maxpool2d_params *p = nd->params;
            int id = unary(s, CPOSE_VIEW_MAXPOOL, nd->name, NULL, in[0]);
            struct cpose_view_node *v = node_at(s, id);
            v->p.pool = (struct cpose_view_pool){p->k, p->k, p->stride, p->stride, p->pad, p->pad, p->pad, p->pad};
            v->dims[2] = (v->dims[2] + 2 * p->pad - p->k) / p->stride + 1;
            v->dims[3] = (v->dims[3] + 2 * p->pad - p->k) / p->stride + 1;
            map[i] = id;
            break;
        }
        case CPOSE_OP_upsample: {
            const struct cpose_upsample_params *p = nd->params;
            int id = unary(s, CPOSE_VIEW_UPSAMPLE, nd->name, NULL, in[0]);
            struct cpose_view_node *v = node_at(s, id);
            v->p.upsample.scale_h = v->p.upsample.scale_w = p->scale;
            v->dims[2] *= p->scale, v->dims[3] *= p->scale;
            map[i] = id;
            break;
        }
        case CPOSE_OP_pose_head: map[i] = expand_head(s, m, nd->name, nd->params, in); break;
        default:
            rc = cpose_err(CPOSE_ENOTSUP, "export view: node %d '%s' (op %s) has no primitive form", i, nd->name,
                           cpose_op_get(nd->op)->name);
        }
    }
    if (rc == CPOSE_OK) s->view.output = map[g->output];
    cpose_free(map);
    return rc;
}

int cpose_view_build(struct cpose_model *m, int64_t B, int64_t H, int64_t W, struct cpose_view_store **out)
{
    *out = NULL;
    int ms = m->info.max_stride;
    if (B < 1 || H < ms || W < ms || H % ms || W % ms)
        return cpose_err(CPOSE_EINVAL, "export: batch %lld, imgsz %lldx%lld: need batch ≥ 1 and sizes that are multiples of %d",
                         (long long)B, (long long)H, (long long)W, ms);
    struct cpose_graph *fused = NULL;
    int rc = cpose_graph_fuse(m->graph, &fused, NULL);
    if (rc) return rc;
    struct cpose_view_store *s = cpose_calloc(1, sizeof *s);
    s->nodes = (struct cpose_vec)CPOSE_VEC_INIT(struct cpose_view_node);
    s->owned = (struct cpose_vec)CPOSE_VEC_INIT(void *);
    rc = build(s, m, fused, B, H, W);
    cpose_graph_free(fused);
    if (rc) {
        cpose_view_store_free(s);
        return rc;
    }
    s->view.n_nodes = (int)s->nodes.len;
    s->view.node_size = sizeof(struct cpose_view_node);
    s->view.nodes = s->nodes.data;
    s->view.batch = B, s->view.height = H, s->view.width = W;
    *out = s;
    return CPOSE_OK;
}

const struct cpose_view *cpose_view_of(const struct cpose_view_store *s) { return &s->view; }

void cpose_view_store_free(struct cpose_view_store *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->owned.len; i++) cpose_free(CPOSE_VEC_AT(&s->owned, void *, i));
    cpose_vec_free(&s->owned);
    cpose_vec_free(&s->nodes);
    cpose_free(s);
}
