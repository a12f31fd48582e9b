/* core/exec.c — graph executor: shape inference, liveness-based buffer reuse, op dispatch. */
#include "exec.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exec_buf {
    float *data;
    size_t cap;  /* floats */
    int busy;
};

struct cpose_exec {
    const struct cpose_graph *g;
    int n;
    struct cpose_tensor *t;  /* per node */
    int *buf_of;             /* per node: index into bufs */
    int *last_use;           /* per node: last consumer id (n = kept) */
    struct cpose_vec bufs;   /* struct exec_buf */
    int input_layout;
    int profile;             /* CPOSE_PROFILE set: time per op kind, printed by cpose_exec_free */
    double op_ms[CPOSE_OP_COUNT];
    int64_t op_calls[CPOSE_OP_COUNT];
};

int cpose_exec_new(const struct cpose_graph *g, const char *keep, struct cpose_exec **out)
{
    struct cpose_exec *e = cpose_calloc(1, sizeof *e);
    e->g = g;
    e->n = cpose_graph_size(g);
    e->t = cpose_calloc(e->n, sizeof *e->t);
    e->buf_of = cpose_malloc(e->n * sizeof(int));
    e->last_use = cpose_malloc(e->n * sizeof(int));
    e->bufs.elem = sizeof(struct exec_buf);
    e->input_layout = CPOSE_LAYOUT_NHWC;
    e->profile = getenv("CPOSE_PROFILE") && *getenv("CPOSE_PROFILE") && strcmp(getenv("CPOSE_PROFILE"), "0");
    for (int i = 0; i < e->n; i++) {
        e->last_use[i] = (keep && keep[i]) || i == g->output ? e->n : i;
        const struct cpose_node *nd = cpose_graph_node(g, i);
        for (int j = 0; j < nd->n_in; j++)
            if (e->last_use[nd->in[j]] < i) e->last_use[nd->in[j]] = i;
    }
    *out = e;
    return CPOSE_OK;
}

void cpose_exec_set_input_layout(struct cpose_exec *e, int layout)
{
    CPOSE_ASSERT(layout == CPOSE_LAYOUT_PLAIN || layout == CPOSE_LAYOUT_NHWC);
    e->input_layout = layout;
}

void cpose_exec_free(struct cpose_exec *e)
{
    if (!e) return;
    if (e->profile) {
        fprintf(stderr, "cpose profile (per op kind, all runs):\n");
        for (int i = 0; i < CPOSE_OP_COUNT; i++)
            if (e->op_calls[i])
                fprintf(stderr, "  %-10s %6lld calls %10.2f ms\n", cpose_op_get(i)->name, (long long)e->op_calls[i],
                        e->op_ms[i]);
    }
    for (size_t i = 0; i < e->bufs.len; i++) free(CPOSE_VEC_AT(&e->bufs, struct exec_buf, i).data);
    cpose_vec_free(&e->bufs);
    cpose_free(e->t), cpose_free(e->buf_of), cpose_free(e->last_use);
    cpose_free(e);
}

/* Picks the smallest free buffer holding n floats, growing the largest free one or adding one. */
static int acquire(struct cpose_exec *e, size_t n)
{
    int best = -1, largest = -1;
    for (size_t i = 0; i < e->bufs.len; i++) {
        struct exec_buf *b = &CPOSE_VEC_AT(&e->bufs, struct exec_buf, i);
        if (b->busy) continue;
        if (b->cap >= n && (best < 0 || b->cap < CPOSE_VEC_AT(&e->bufs, struct exec_buf, best).cap)) best = (int)i;
        if (largest < 0 || b->cap > CPOSE_VEC_AT(&e->bufs, struct exec_buf, largest).cap) largest = (int)i;
    }
    if (best < 0) {
        struct exec_buf nb = {0};
        if (largest >= 0) {
            best = largest;
        } else {
            cpose_vec_push(&e->bufs, &nb);
            best = (int)e->bufs.len - 1;
        }
        struct exec_buf *b = &CPOSE_VEC_AT(&e->bufs, struct exec_buf, best);
        free(b->data);
        void *p = NULL;
        /* 64-byte alignment for the oneDNN kernels */
        if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) p = NULL;
        CPOSE_ASSERT(p != NULL);
        b->data = p, b->cap = n;
    }
    CPOSE_VEC_AT(&e->bufs, struct exec_buf, best).busy = 1;
    return best;
}

int cpose_exec_run(struct cpose_exec *e, const float *input, int64_t B, int64_t C, int64_t H, int64_t W, int train)
{
    int rc = CPOSE_OK;
    struct cpose_op_ctx ctx = {.train = train};
    for (size_t i = 0; i < e->bufs.len; i++) CPOSE_VEC_AT(&e->bufs, struct exec_buf, i).busy = 0;
    for (int i = 0; i < e->n; i++) {
        const struct cpose_node *nd = cpose_graph_node(e->g, i);
        const struct cpose_op_def *d = cpose_op_get(nd->op);
        struct cpose_tensor *o = &e->t[i];
        const struct cpose_tensor *in[8];
        for (int j = 0; j < nd->n_in; j++) in[j] = &e->t[nd->in[j]];
        if (nd->op == CPOSE_OP_input) {
            cpose_tensor_set4(o, B, C, H, W, e->input_layout);
        } else if ((rc = d->shape(in, nd->n_in, nd->params, o)) != CPOSE_OK) {
            return cpose_err_context(rc, "node %d (%s %s)", i, d->name, nd->name);
        }
        if (nd->op == CPOSE_OP_input && e->input_layout == CPOSE_LAYOUT_PLAIN) {
            /* the caller's NCHW batch is read in place (ops never write their inputs) */
            e->buf_of[i] = -1;
            o->data = (float *)input;
            continue;
        }
        e->buf_of[i] = acquire(e, (size_t)cpose_tensor_size(o));
        o->data = CPOSE_VEC_AT(&e->bufs, struct exec_buf, e->buf_of[i]).data;
        if (nd->op == CPOSE_OP_input) {
            cpose_nchw_to_nhwc(input, o->data, B, C, H, W);
        } else {
            double t0 = e->profile ? cpose_now() : 0;
            if ((rc = d->forward(&ctx, in, nd->n_in, o, nd->params)) != CPOSE_OK)
                return cpose_err_context(rc, "node %d (%s %s)", i, d->name, nd->name);
            if (e->profile) e->op_ms[nd->op] += (cpose_now() - t0) * 1e3, e->op_calls[nd->op]++;
        }
        /* release inputs whose last consumer this was */
        for (int j = 0; j < nd->n_in; j++) {
            int s = nd->in[j];
            if (e->last_use[s] == i && e->buf_of[s] >= 0) CPOSE_VEC_AT(&e->bufs, struct exec_buf, e->buf_of[s]).busy = 0;
        }
        if (e->last_use[i] == i && e->buf_of[i] >= 0) CPOSE_VEC_AT(&e->bufs, struct exec_buf, e->buf_of[i]).busy = 0;
    }
    return rc;
}

const struct cpose_tensor *cpose_exec_tensor(const struct cpose_exec *e, int id)
{
    CPOSE_ASSERT(id >= 0 && id < e->n);
    return &e->t[id];
}
