/* core/nn/graph.c — graph construction, the op registry, and the inference fusion pass (BatchNorm
 * folded into conv, SiLU fused into the conv epilogue). */
#include "core/nn/graph.h"
#include "core/nn/kernels.h"

#include <math.h>
#include <string.h>

static const struct cpose_op_def *const op_table[CPOSE_OP_COUNT] = {
#define CPOSE_OP(name) &cpose_op_##name,
#include "core/nn/ops/ops.def"
#undef CPOSE_OP
};

const struct cpose_op_def *cpose_op_get(int id)
{
    CPOSE_ASSERT(id >= 0 && id < CPOSE_OP_COUNT);
    return op_table[id];
}

int cpose_op_same_shape(const char *op, const struct cpose_tensor *a, const struct cpose_tensor *b)
{
    int same = a->ndim == b->ndim && a->layout == b->layout;
    for (int i = 0; same && i < a->ndim; i++) same = a->dims[i] == b->dims[i];
    if (!same) {
        char sa[96], sb[96];
        return cpose_err(CPOSE_ESHAPE, "%s: input shapes differ: %s %s vs %s %s", op,
                         cpose_shape_str(a->dims, a->ndim, sa, sizeof sa), cpose_layout_name(a->layout),
                         cpose_shape_str(b->dims, b->ndim, sb, sizeof sb), cpose_layout_name(b->layout));
    }
    return CPOSE_OK;
}

struct cpose_graph *cpose_graph_new(void)
{
    struct cpose_graph *g = cpose_calloc(1, sizeof *g);
    g->nodes.elem = sizeof(struct cpose_node);
    g->output = -1;
    return g;
}

void cpose_graph_free(struct cpose_graph *g)
{
    if (!g) return;
    for (int i = 0; i < cpose_graph_size(g); i++) {
        struct cpose_node *n = cpose_graph_node(g, i);
        const struct cpose_op_def *d = cpose_op_get(n->op);
        if (n->params && d->free_params) d->free_params(n->params);
        cpose_free(n->params);
        cpose_free(n->name);
    }
    cpose_vec_free(&g->nodes);
    cpose_free(g);
}

int cpose_graph_add(struct cpose_graph *g, int op, const int *in, int n_in, void *take_params, const char *name)
{
    CPOSE_ASSERT(n_in >= 0 && n_in <= 8);
    struct cpose_node n = {.op = op, .n_in = n_in, .params = take_params, .name = cpose_strdup(name ? name : "")};
    for (int i = 0; i < n_in; i++) {
        CPOSE_ASSERT(in[i] >= 0 && in[i] < cpose_graph_size(g));
        n.in[i] = in[i];
    }
    cpose_vec_push(&g->nodes, &n);
    return cpose_graph_size(g) - 1;
}

static void *copy_params(const struct cpose_node *n)
{
    const struct cpose_op_def *d = cpose_op_get(n->op);
    if (!n->params || !d->params_size) return NULL;
    void *p = cpose_malloc(d->params_size);
    memcpy(p, n->params, d->params_size);
    if (n->op == CPOSE_OP_conv2d) {
        struct cpose_conv2d_params *c = p;
        const struct cpose_conv2d_params *o = n->params;
        size_t wn = (size_t)c->cout * c->cin * c->k * c->k;
        c->kern = NULL;
        c->bwd = NULL;
        if (o->own_w) {
            c->own_w = cpose_malloc(wn * sizeof(float));
            memcpy(c->own_w, o->own_w, wn * sizeof(float));
            c->weight = c->own_w;
        }
        if (o->own_b) {
            c->own_b = cpose_malloc(c->cout * sizeof(float));
            memcpy(c->own_b, o->own_b, c->cout * sizeof(float));
            c->bias = c->own_b;
        }
    }
    if (n->op == CPOSE_OP_batchnorm) ((struct cpose_batchnorm_params *)p)->saved = NULL;
    return p;
}

/* add(a, b) of the original graph g where one input maps to a conv of the new graph f that only
 * this add reads (used: original use counts) and the other input comes earlier in f: that conv
 * takes the other input as its residual. Returns the conv's id in f, or -1. */
static int residual_conv(const struct cpose_graph *g, struct cpose_graph *f, const struct cpose_node *add, const int *map,
                         const int *used)
{
    for (int j = 0; j < 2; j++) {
        int a = add->in[j], x = add->in[1 - j];
        if (used[a] != 1 || a == x) continue;
        struct cpose_node *c = cpose_graph_node(f, map[a]);
        if (c->op != CPOSE_OP_conv2d || c->n_in != 1 || map[x] >= map[a]) continue;
        /* the conv's own node is the last one of f (the add follows its whole fused chain) */
        if (map[a] != cpose_graph_size(f) - 1) continue;
        c->in[c->n_in++] = map[x];
        return map[a];
    }
    (void)g;
    return -1;
}

static int graph_fuse(const struct cpose_graph *g, struct cpose_graph **out, int *map_out, int fold)
{
    int n = cpose_graph_size(g);
    int *uses = cpose_calloc(n, sizeof(int)), *sole = cpose_malloc(n * sizeof(int));
    int *map = cpose_malloc(n * sizeof(int));
    for (int i = 0; i < n; i++) sole[i] = -1;
    for (int i = 0; i < n; i++) {
        const struct cpose_node *nd = cpose_graph_node(g, i);
        for (int j = 0; j < nd->n_in; j++) uses[nd->in[j]]++, sole[nd->in[j]] = i;
    }
    if (g->output >= 0) uses[g->output]++;
    int *used = cpose_malloc(n * sizeof(int));
    memcpy(used, uses, n * sizeof(int));
    struct cpose_graph *f = cpose_graph_new();
    for (int i = 0, id_res; i < n; i++) {
        const struct cpose_node *nd = cpose_graph_node(g, i);
        int in[8];
        for (int j = 0; j < nd->n_in; j++) in[j] = map[nd->in[j]];
        if (nd->op == CPOSE_OP_conv2d) {
            struct cpose_conv2d_params *c = copy_params(nd);
            int last = i;
            if (uses[i] == 1 && cpose_graph_node(g, sole[i])->op == CPOSE_OP_batchnorm && c->act == CPOSE_ACT_NONE && !fold) {
                last = sole[i];
            } else if (uses[i] == 1 && cpose_graph_node(g, sole[i])->op == CPOSE_OP_batchnorm && c->act == CPOSE_ACT_NONE) {
                const struct cpose_batchnorm_params *bn = cpose_graph_node(g, sole[i])->params;
                size_t per = (size_t)c->cin * c->k * c->k;
                float *w = cpose_malloc((size_t)c->cout * per * sizeof(float));
                float *b = cpose_malloc((size_t)c->cout * sizeof(float));
                for (int o = 0; o < c->cout; o++) {
                    /* double for the scale so folding adds no more error than the float product */
                    double s = (double)bn->weight[o] / sqrt((double)bn->var[o] + bn->eps);
                    for (size_t k = 0; k < per; k++) w[o * per + k] = (float)(c->weight[o * per + k] * s);
                    double b0 = c->bias ? c->bias[o] : 0.0;
                    b[o] = (float)((b0 - bn->mean[o]) * s + bn->bias[o]);
                }
                cpose_free(c->own_w);
                cpose_free(c->own_b);
                c->own_w = w, c->own_b = b, c->weight = w, c->bias = b;
                last = sole[i];
            }
            if (uses[last] == 1 && cpose_graph_node(g, sole[last])->op == CPOSE_OP_silu && c->act == CPOSE_ACT_NONE) {
                c->act = CPOSE_ACT_SILU;
                last = sole[last];
            }
            int id = cpose_graph_add(f, CPOSE_OP_conv2d, in, nd->n_in, c, nd->name);
            /* nodes folded into this conv map to it (they come later, and are skipped below) */
            map[i] = id;
            for (int k = i; k != last;) {
                k = sole[k];
                map[k] = id;
                uses[k] = -1; /* marks "folded" */
            }
            continue;
        }
        if (uses[i] == -1) continue;
        if (fold && nd->op == CPOSE_OP_add && nd->n_in == 2 && (id_res = residual_conv(g, f, nd, map, used)) >= 0) {
            map[i] = id_res;
            continue;
        }
        map[i] = cpose_graph_add(f, nd->op, in, nd->n_in, copy_params(nd), nd->name);
    }
    f->output = g->output >= 0 ? map[g->output] : -1;
    if (map_out) memcpy(map_out, map, n * sizeof(int));
    cpose_free(uses), cpose_free(sole), cpose_free(map), cpose_free(used);
    *out = f;
    return CPOSE_OK;
}

int cpose_graph_fuse(const struct cpose_graph *g, struct cpose_graph **out, int *map_out)
{
    return graph_fuse(g, out, map_out, 1);
}

int cpose_graph_fuse_structure(const struct cpose_graph *g, struct cpose_graph **out, int *map_out)
{
    return graph_fuse(g, out, map_out, 0);
}
