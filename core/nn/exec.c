/* core/nn/exec.c — graph executor: shape inference, storage planning (liveness-based buffer reuse, concat
 * inputs written in place, slices as views), low-precision hand-offs (a conv writing its reader's
 * bf16/int8 source, a conv converting a concat's inputs, through an upsample, or a slice's channels
 * itself), op dispatch, profiling (CPOSE_PROFILE=1|layers), and the load-adaptive thread count of
 * inference forwards (core/base/cpu_load.c: on a busy machine a forward runs on the CPUs other processes
 * leave free; the values are the same whatever the count). */
#include "core/nn/exec.h"

#include "core/nn/kernels.h"
#include "core/nn/kernels_quant.h"
#include "core/base/log.h"
#include "core/base/cpu_load.h"
#include "core/base/memlimit.h"

#include <omp.h>

#include <math.h>
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
    int *buf_of;             /* per root node: index into bufs (-1: none, or the caller's input) */
    int *last_use;           /* per node: last consumer id (n = kept) */
    struct cpose_vec bufs;   /* struct exec_buf */
    int input_layout;
    int views;               /* 1: concat/slice views allowed (default; CPOSE_VIEWS=0 or set_views turns off) */
    int handoff;             /* 1: low-precision convs hand off to their reader (default; CPOSE_LOWP_HANDOFF=0: off) */
    int *n_readers;          /* per node: how many input slots read it */
    /* the storage plan of the current run (remade every run: it is a few µs):
     * link/link_c: node stored inside node link[i] at channel offset link_c[i] (-1: its own);
     * root/roff: the node owning the storage and the offset in floats; first/last: the node ids
     * between which a root's storage is in use; rel: per node, the first root released after it,
     * chained through rel_next; view: the node is a slice view (no forward). */
    int *link, *link_c, *root, *first, *last, *rel, *rel_next;
    int64_t *roff;
    char *view;
    char *gathered;          /* per node: a concat or slice its only reader, a low-precision conv, converts directly (no forward) */
    char *per_image;         /* per node: may be stored strided at batch > 1 (see per_image_op) */
    int64_t batch;           /* B of the current run */
    int profile;             /* CPOSE_PROFILE set: time per op kind (=layers: and per node), printed by cpose_exec_free */
    double *node_ms;         /* per node, all runs (profile only) */
    int64_t runs;
    uint64_t checked_peak;   /* the largest plan already checked against the machine's memory */
    double op_ms[CPOSE_OP_COUNT];
    int64_t op_calls[CPOSE_OP_COUNT];
    struct cpose_thread_adapt adapt;  /* recent load samples (inference forwards only) */
    int last_threads;                 /* the thread count of the last run */
};

/* Ops whose forward treats each image alone and whose tensors are 4-D with the batch outermost:
 * the executor may run them one image at a time on batch-1 views of strided storage. Batchnorm is
 * not one (training statistics span the batch), nor are the head's reshapes. */
static int per_image_op(int op)
{
    switch (op) {
    case CPOSE_OP_conv2d: case CPOSE_OP_silu: case CPOSE_OP_sigmoid: case CPOSE_OP_add: case CPOSE_OP_mul:
    case CPOSE_OP_sub: case CPOSE_OP_div: case CPOSE_OP_concat: case CPOSE_OP_slice: case CPOSE_OP_maxpool2d:
    case CPOSE_OP_upsample: return 1;
    default: return 0;
    }
}

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
    const char *views = getenv("CPOSE_VIEWS");
    e->views = !(views && !strcmp(views, "0"));
    const char *handoff = getenv("CPOSE_LOWP_HANDOFF");
    e->handoff = !(handoff && !strcmp(handoff, "0"));
    e->n_readers = cpose_calloc(e->n, sizeof(int));
    int *ints = cpose_malloc(7 * (size_t)e->n * sizeof(int));
    e->link = ints, e->link_c = ints + e->n, e->root = ints + 2 * e->n, e->first = ints + 3 * e->n;
    e->last = ints + 4 * e->n, e->rel = ints + 5 * e->n, e->rel_next = ints + 6 * e->n;
    e->roff = cpose_malloc(e->n * sizeof(int64_t));
    e->view = cpose_malloc(e->n);
    e->gathered = cpose_calloc(e->n, 1);
    e->per_image = cpose_malloc(e->n);
    e->profile = getenv("CPOSE_PROFILE") && *getenv("CPOSE_PROFILE") && strcmp(getenv("CPOSE_PROFILE"), "0");
    e->node_ms = cpose_calloc(e->n, sizeof(double));
    for (int i = 0; i < e->n; i++) {
        e->last_use[i] = (keep && keep[i]) || i == g->output ? e->n : i;
        const struct cpose_node *nd = cpose_graph_node(g, i);
        for (int j = 0; j < nd->n_in; j++) {
            if (e->last_use[nd->in[j]] < i) e->last_use[nd->in[j]] = i;
            e->n_readers[nd->in[j]]++;
        }
    }
    /* a node may live strided at batch > 1 when it and every reader run image by image, and no
     * caller reads it after the run (a kept tensor must be dense for cpose_exec_tensor) */
    for (int i = 0; i < e->n; i++) e->per_image[i] = per_image_op(cpose_graph_node(g, i)->op) && e->last_use[i] < e->n;
    for (int i = 0; i < e->n; i++) {
        const struct cpose_node *nd = cpose_graph_node(g, i);
        for (int j = 0; j < nd->n_in; j++)
            if (!per_image_op(nd->op)) e->per_image[nd->in[j]] = 0;
    }
    *out = e;
    return CPOSE_OK;
}

void cpose_exec_set_input_layout(struct cpose_exec *e, int layout)
{
    CPOSE_ASSERT(layout == CPOSE_LAYOUT_PLAIN || layout == CPOSE_LAYOUT_NHWC);
    e->input_layout = layout;
}

void cpose_exec_set_views(struct cpose_exec *e, int on) { e->views = on != 0; }

void cpose_exec_free(struct cpose_exec *e)
{
    if (!e) return;
    if (e->profile && e->runs) {
        if (!strcmp(getenv("CPOSE_PROFILE"), "layers") && e->runs > 1) {
            fprintf(stderr, "cpose profile (per node, ms per run, runs 2..%lld):\n", (long long)e->runs);
            for (int i = 0; i < e->n; i++) {
                const struct cpose_node *nd = cpose_graph_node(e->g, i);
                const struct cpose_tensor *t = &e->t[i];
                char sh[96], what[80] = "";
                if (nd->op == CPOSE_OP_conv2d) {
                    const struct cpose_conv2d_params *p = nd->params;
                    double gf = 2.0 * cpose_tensor_numel(t) * p->cin * p->k * p->k * 1e-9;
                    snprintf(what, sizeof what, "k%d s%d %d→%d %s %.1f GFLOP/s", p->k, p->stride, p->cin, p->cout,
                             cpose_conv_kernel_impl(p->kern), e->node_ms[i] > 0 ? gf / (e->node_ms[i] / (e->runs - 1) * 1e-3) : 0.0);
                }
                fprintf(stderr, "  %3d %-9s %-22s %-20s %-8s %8.3f %s\n", i, cpose_op_get(nd->op)->name, nd->name,
                        cpose_shape_str(t->dims, t->ndim, sh, sizeof sh), t->ndim == 4 ? cpose_layout_name(t->layout) : "",
                        e->node_ms[i] / (e->runs - 1), what);
            }
        }
        fprintf(stderr, "cpose profile (per op kind, all runs):\n");
        for (int i = 0; i < CPOSE_OP_COUNT; i++)
            if (e->op_calls[i])
                fprintf(stderr, "  %-10s %6lld calls %10.2f ms\n", cpose_op_get(i)->name, (long long)e->op_calls[i],
                        e->op_ms[i]);
    }
    cpose_free(e->node_ms);
    for (size_t i = 0; i < e->bufs.len; i++) free(CPOSE_VEC_AT(&e->bufs, struct exec_buf, i).data);
    cpose_vec_free(&e->bufs);
    cpose_free(e->t), cpose_free(e->buf_of), cpose_free(e->last_use);
    cpose_free(e->link), cpose_free(e->roff), cpose_free(e->view), cpose_free(e->gathered), cpose_free(e->per_image);
    cpose_free(e->n_readers);
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
        if (n > SIZE_MAX / sizeof(float) || posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) p = NULL;
        b->data = p, b->cap = p ? n : 0;
        if (!p) return -1;
    }
    CPOSE_VEC_AT(&e->bufs, struct exec_buf, best).busy = 1;
    return best;
}

/* The first node whose storage releases (rel) happen once node i has run; they run for every node from it
 * to i. A gathered node (a concat, slice or upsample whose forward the next conv does while converting
 * its source) holds its releases until that conv has run: the conv reads storage the gathered nodes'
 * inputs own, which a release would let acquire hand out, or free to grow it, before the conv read it. */
static int releases_from(const struct cpose_exec *e, int i)
{
    if (e->gathered[i]) return i + 1;
    while (i > 0 && e->gathered[i - 1]) i--;
    return i;
}

/* Peak activation bytes of the current plan (what acquire will hold at once), or UINT64_MAX when a
 * size overflows. Checked against the machine before anything is allocated. */
static uint64_t plan_peak_bytes(const struct cpose_exec *e)
{
    uint64_t live = 0, peak = 0;
    for (int i = 0; i < e->n; i++) {
        int r = e->root[i];
        if (e->first[r] == i && !(cpose_graph_node(e->g, i)->op == CPOSE_OP_input && e->input_layout == CPOSE_LAYOUT_PLAIN)) {
            uint64_t bytes;
            if (cpose_mul_checked(e->t[r].ndim, e->t[r].dims, &bytes) ||
                __builtin_mul_overflow(bytes, (uint64_t)sizeof(float), &bytes) || __builtin_add_overflow(live, bytes, &live))
                return UINT64_MAX;
            if (live > peak) peak = live;
        }
        for (int j = releases_from(e, i); j <= i; j++)
            for (int k = e->rel[j]; k >= 0; k = e->rel_next[k]) {
                uint64_t bytes = 0;
                if (cpose_mul_checked(e->t[k].ndim, e->t[k].dims, &bytes)) continue;
                bytes *= sizeof(float);
                live -= bytes < live ? bytes : live; /* a plain input was never counted */
            }
    }
    return peak;
}

/* Counts the non-finite values of the output; a NaN/Inf there comes from NaN/Inf weights or input,
 * or an overflow, and would silently turn into wrong metrics downstream. */
static int check_finite_output(const struct cpose_exec *e)
{
    const struct cpose_tensor *o = &e->t[e->g->output];
    int64_t n = cpose_tensor_size(o), bad = 0, first = -1;
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(o->data[i])) bad++, first = first < 0 ? i : first;
    if (!bad) return CPOSE_OK;
    return cpose_err(CPOSE_EINVAL,
                     "the forward pass produced %lld non-finite values (NaN/Inf) of %lld in its output (first at flat "
                     "index %lld): the weights or the input hold NaN/Inf, or a value overflowed",
                     (long long)bad, (long long)n, (long long)first);
}

/* The node owning i's storage, and i's channel offset in it. */
static int resolve(const struct cpose_exec *e, int i, int64_t *ch)
{
    int64_t c = 0;
    while (e->link[i] >= 0) c += e->link_c[i], i = e->link[i];
    *ch = c;
    return i;
}

/* Whether root r (stored alone so far) can move into concat node c at channel offset p: same
 * blocked shape (at batch > 1 only a node that runs image by image, see per_image_op), inside c's channels (a partial last block only at c's end), and
 * every input slot of c that its channels cover is a view of r at the matching offset. */
static int can_link(const struct cpose_exec *e, int r, int c, int64_t p)
{
    const struct cpose_tensor *tr = &e->t[r], *tc = &e->t[c];
    const struct cpose_node *nc = cpose_graph_node(e->g, c);
    int64_t b = cpose_layout_block(tc->layout), Cr = tr->dims[1], Cc = tc->dims[1];
    if (cpose_graph_node(e->g, r)->op == CPOSE_OP_input || tr->ndim != 4 || tr->layout != tc->layout ||
        tr->dims[0] != tc->dims[0] || (tr->dims[0] > 1 && !e->per_image[r]) || tr->dims[2] != tc->dims[2] ||
        tr->dims[3] != tc->dims[3])
        return 0;
    if (p < 0 || p % b || p + Cr > Cc || (Cr % b && p + Cr != Cc)) return 0;
    int64_t o = 0;
    for (int k = 0; k < nc->n_in; k++) {
        int64_t ck = e->t[nc->in[k]].dims[1], rk;
        if (o < p + Cr && p < o + ck && (resolve(e, nc->in[k], &rk) != r || o - rk != p)) return 0;
        o += ck;
    }
    return 1;
}

/* Decides which nodes live inside another's storage (blocked tensors only, where a channel range
 * starting at a block boundary is one dense run per image): a slice starting at a block boundary
 * is a view of its input; the inputs of a concat whose slots start at block boundaries are
 * written in place into its output (through their roots, so C2f's cv1 output, its split view and
 * the bottleneck outputs all land in the C2f concat). At batch > 1 such a channel range is one
 * run per image, strided by the owner's image size: only inference nodes that run image by image
 * (e->per_image) are placed so, and exec_run gives their ops batch-1 views, one per image. Why not
 * one call with a strided descriptor: oneDNN 2.6 serves a blocked memory descriptor whose batch
 * stride is a wider buffer's only with its reference convolution (impl "ref:any" for a 3×3 conv on
 * nChw16c at batch 1 and 16, where the dense one gets "jit:avx512_core"); per image, every conv
 * keeps its JIT kernel, and one kernel (batch 1) serves every batch size. */
static void plan_views(struct cpose_exec *e, int train)
{
    for (int i = 0; i < e->n; i++) e->link[i] = -1, e->link_c[i] = 0, e->view[i] = 0;
    for (int i = 0; e->views && !(train && e->batch > 1) && i < e->n; i++) {
        const struct cpose_node *nd = cpose_graph_node(e->g, i);
        const struct cpose_tensor *o = &e->t[i];
        int64_t b = cpose_layout_block(o->layout);
        if (!b || o->ndim != 4 || (o->dims[0] > 1 && nd->op == CPOSE_OP_slice && !e->per_image[i])) continue;
        if (nd->op == CPOSE_OP_slice) {
            const struct cpose_slice_params *sp = nd->params;
            const struct cpose_tensor *x = &e->t[nd->in[0]];
            if (x->layout == o->layout && sp->start % b == 0 && (sp->len % b == 0 || sp->start + sp->len == x->dims[1]))
                e->link[i] = nd->in[0], e->link_c[i] = sp->start, e->view[i] = 1;
        } else if (nd->op == CPOSE_OP_concat) {
            int64_t off = 0;
            int aligned = 1;
            for (int k = 0; k < nd->n_in; k++) {
                aligned &= off % b == 0;
                off += e->t[nd->in[k]].dims[1];
            }
            off = 0;
            for (int k = 0; aligned && k < nd->n_in; k++) {
                int64_t rk;
                int r = resolve(e, nd->in[k], &rk);
                if (r != i && can_link(e, r, i, off - rk)) e->link[r] = i, e->link_c[r] = off - rk;
                off += e->t[nd->in[k]].dims[1];
            }
        }
    }
    /* roots, offsets, and each root's span of use */
    for (int i = 0; i < e->n; i++) e->first[i] = -1, e->last[i] = -1, e->rel[i] = -1, e->buf_of[i] = -1;
    for (int i = 0; i < e->n; i++) {
        int64_t ch;
        int r = e->root[i] = resolve(e, i, &ch);
        /* the offset in image 0 (only nonzero for 4-D views); image n adds n · image_stride */
        e->roff[i] = ch * e->t[i].dims[2] * e->t[i].dims[3];
        if (e->first[r] < 0) e->first[r] = i;
        if (e->last_use[i] > e->last[r]) e->last[r] = e->last_use[i];
    }
    for (int r = 0; r < e->n; r++)
        if (e->first[r] >= 0 && e->last[r] < e->n) e->rel_next[r] = e->rel[e->last[r]], e->rel[e->last[r]] = r;
}

/* Floats between consecutive images of node i's storage: its owner's image size. */
static int64_t image_stride(const struct cpose_exec *e, int i)
{
    const struct cpose_tensor *r = &e->t[e->root[i]];
    return cpose_tensor_size(r) / r->dims[0];
}

/* Whether node i runs image by image this run: at batch > 1, it or an input lives strided inside
 * another node's storage (plan_views). */
static int runs_per_image(const struct cpose_exec *e, int i)
{
    const struct cpose_node *nd = cpose_graph_node(e->g, i);
    int strided = e->batch > 1 && e->root[i] != i;
    for (int j = 0; j < nd->n_in; j++) strided |= e->batch > 1 && e->root[nd->in[j]] != nd->in[j];
    return strided;
}

/* Whether every channel range a gather of concat or slice j would convert starts on a block of j's
 * layout and ends on one or at its tensor's last channel (always, in a plain layout). In a blocked
 * layout the conversion is a oneDNN reorder between sub-memories, which oneDNN refuses elsewhere
 * ("unimplemented": a slice from channel 8 of nChw16c, a concat of 64 + 8 + ... channels). */
static int gather_aligned(const struct cpose_exec *e, int j)
{
    const struct cpose_node *nj = cpose_graph_node(e->g, j);
    int64_t b = cpose_layout_block(e->t[j].layout);
    if (!b) return 1;
    if (nj->op == CPOSE_OP_slice) {
        const struct cpose_slice_params *sp = nj->params;
        return sp->start % b == 0 && (sp->len % b == 0 || sp->start + sp->len == e->t[nj->in[0]].dims[1]);
    }
    int64_t off = 0;
    for (int k = 0; k < nj->n_in; k++) {
        int64_t len = e->t[nj->in[k]].dims[1];
        if (off % b || (len % b && off + len != e->t[j].dims[1])) return 0;
        off += len;
    }
    return 1;
}

/* Whether concat or slice node j can be gathered by conv c, its next node: c is a low-precision conv
 * whose source (not residual) is j and its only reader, j is not kept, nothing is stored inside
 * another node's storage, neither runs image by image, and the ranges converted sit on the
 * layout's blocks (gather_aligned). j's inputs then stay unreleased until c
 * has converted them: their last use is j or later, j is right before c, and c's conversions all run
 * before its convolution writes an output that may reuse their storage. */
static int can_gather(const struct cpose_exec *e, int j, int c)
{
    const struct cpose_node *nj = cpose_graph_node(e->g, j), *nc = cpose_graph_node(e->g, c);
    const struct cpose_conv2d_params *pc = nc->params;
    if ((nj->op != CPOSE_OP_concat && nj->op != CPOSE_OP_slice) || nc->op != CPOSE_OP_conv2d || c != j + 1 ||
        nc->in[0] != j || pc->prec == CPOSE_PREC_F32 || pc->bf16_own || nj->n_in > CPOSE_GATHER_MAX || e->n_readers[j] != 1 ||
        e->last_use[j] != c || e->root[j] != j || runs_per_image(e, j) || runs_per_image(e, c) || !gather_aligned(e, j))
        return 0;
    for (int k = 0; k < nj->n_in; k++)
        if (e->root[nj->in[k]] != nj->in[k] || cpose_graph_node(e->g, nj->in[k])->op == CPOSE_OP_input) return 0;
    return 1;
}

/* Whether input u of concat j, gathered by the int8 conv j + 1, is a nearest upsample that conv can read
 * through (cpose_gather_part.up): u is the node right before j, j its only reader, neither it nor its
 * input stored inside another node or run image by image, and the conv converts with cpose's NHWC loop
 * (the only one that maps pixels). u's forward is then skipped: the neck's two 2× upsamples wrote
 * 1.6 and 3.3 MB of float32 a forward at 640 for the next conv to convert. */
static int can_read_through(const struct cpose_exec *e, int u, int j)
{
    const struct cpose_node *nu = cpose_graph_node(e->g, u);
    const struct cpose_conv2d_params *pc = cpose_graph_node(e->g, j + 1)->params;
    if (nu->op != CPOSE_OP_upsample || u != j - 1 || e->n_readers[u] != 1 || e->last_use[u] != j || e->root[u] != u ||
        runs_per_image(e, u) || pc->prec != CPOSE_PREC_INT8 || !cpose_quant_wanted(e->t[j].layout, e->t[j].layout))
        return 0;
    int x = nu->in[0];
    return e->root[x] == x && e->t[x].layout == e->t[u].layout && cpose_graph_node(e->g, x)->op != CPOSE_OP_input;
}

/* For each int8 conv that gathers a concat with cpose's conversion loop (kernels_quant.h): an input of
 * the concat that an int8 conv writes, read by nothing but the concat, is written by that conv in the
 * gatherer's source type and scale (its lowp_to), and the gatherer copies it (cpose_gather_part.from)
 * instead of converting its float32: the last bottleneck of every C2f, the neck's stride-2 convs. */
static void plan_gather_handoff(struct cpose_exec *e)
{
    for (int j = 0; j + 1 < e->n; j++) {
        const struct cpose_node *nj = cpose_graph_node(e->g, j);
        struct cpose_conv2d_params *pg = cpose_graph_node(e->g, j + 1)->params;
        if (!e->gathered[j] || nj->op != CPOSE_OP_concat || pg->prec != CPOSE_PREC_INT8 ||
            !cpose_quant_wanted(e->t[j].layout, e->t[j].layout))
            continue;
        for (int k = 0; k < nj->n_in; k++) {
            int i = nj->in[k];
            const struct cpose_node *ni = cpose_graph_node(e->g, i);
            struct cpose_conv2d_params *pi = ni->params;
            if (ni->op != CPOSE_OP_conv2d || pi->prec != CPOSE_PREC_INT8 || pi->bf16_own || pi->lowp_to || e->n_readers[i] != 1 ||
                e->last_use[i] != j || e->root[i] != i || runs_per_image(e, i))
                continue;
            pi->lowp_to = pg, pg->gather[k].from = pi;
        }
    }
}

/* Pairs each low-precision conv whose output only convs of the same precision read (as their
 * source, not a residual), all with the same input scale, with those readers: the producer then
 * writes their source type once and they skip their float32 → bf16/int8 conversion
 * (cpose_conv2d_params.lowp_to; lowp_from of each). The neck's last convs at each level feed the
 * next level's stride-2 conv and the head's three branches: four conversions of one tensor became
 * one. A concat or slice read only by a low-precision conv is gathered by it (can_gather,
 * cpose_conv2d_params.gather), through an upsample feeding the concat where it can (can_read_through),
 * int8 convs writing the concat's inputs hand off to it where they can (plan_gather_handoff).
 * Inference only, never for a kept output, a node stored inside another's storage, or one that
 * runs image by image. The values are those of the conversion the reader would do. Clears last
 * run's pairs. */
static void plan_handoff(struct cpose_exec *e, int train)
{
    for (int i = 0; i < e->n; i++) {
        struct cpose_node *nd = cpose_graph_node(e->g, i);
        e->gathered[i] = 0;
        if (nd->op != CPOSE_OP_conv2d) continue;
        struct cpose_conv2d_params *p = nd->params;
        p->lowp_to = p->lowp_from = NULL, p->n_gather = 0;
    }
    if (train || !e->handoff) return;
    for (int j = 0; j + 1 < e->n; j++) {
        if (!can_gather(e, j, j + 1)) continue;
        const struct cpose_node *nj = cpose_graph_node(e->g, j);
        struct cpose_conv2d_params *pc = cpose_graph_node(e->g, j + 1)->params;
        if (nj->op == CPOSE_OP_slice) {
            const struct cpose_slice_params *sp = nj->params;
            pc->gather[0] = (struct cpose_gather_part){&e->t[nj->in[0]], sp->start, sp->len, NULL, 0};
        } else {
            for (int k = 0; k < nj->n_in; k++) {
                int u = nj->in[k];
                pc->gather[k] = (struct cpose_gather_part){&e->t[u], 0, (int)e->t[u].dims[1], NULL, 0};
                if (can_read_through(e, u, j)) {
                    const struct cpose_upsample_params *up = cpose_graph_node(e->g, u)->params;
                    pc->gather[k].t = &e->t[cpose_graph_node(e->g, u)->in[0]], pc->gather[k].up = up->scale;
                    e->gathered[u] = 1;
                }
            }
        }
        pc->n_gather = nj->n_in, e->gathered[j] = 1;
    }
    for (int i = 0; i < e->n; i++) {
        struct cpose_node *ni = cpose_graph_node(e->g, i);
        struct cpose_conv2d_params *pi = ni->params, *first = NULL;
        if (ni->op != CPOSE_OP_conv2d || pi->prec == CPOSE_PREC_F32 || pi->bf16_own || e->n_readers[i] < 1 || e->root[i] != i ||
            runs_per_image(e, i))
            continue;
        /* every reader a conv of the same precision that reads i as its source, all converting it
         * alike (the same calibrated range: the same scale and type), the last of them its last use */
        int ok = 1, edges = 0, last = -1;
        for (int c = i + 1; c < e->n && ok; c++) {
            const struct cpose_node *nc = cpose_graph_node(e->g, c);
            for (int k = 0; k < nc->n_in; k++) {
                if (nc->in[k] != i) continue;
                const struct cpose_conv2d_params *pc = nc->params;
                edges++, last = c;
                if (k != 0 || nc->op != CPOSE_OP_conv2d || pc->prec != pi->prec || pc->bf16_own || runs_per_image(e, c) ||
                    (first && (pc->in_lo != first->in_lo || pc->in_hi != first->in_hi)))
                    ok = 0;
                else if (!first)
                    first = nc->params;
            }
        }
        if (!ok || edges != e->n_readers[i] || e->last_use[i] != last) continue;
        pi->lowp_to = first;
        for (int c = i + 1; c <= last; c++) {
            struct cpose_node *nc = cpose_graph_node(e->g, c);
            if (nc->op == CPOSE_OP_conv2d && nc->in[0] == i) ((struct cpose_conv2d_params *)nc->params)->lowp_from = pi;
        }
    }
    plan_gather_handoff(e);
}

/* Runs node i's forward; at batch > 1, when it or an input lives strided inside another node's
 * storage (plan_views), one image at a time on batch-1 views (inputs with another batch size,
 * such as broadcast constants, are passed whole). */
static int forward_node(struct cpose_exec *e, struct cpose_op_ctx *ctx, int i, const struct cpose_tensor *const *in,
                        struct cpose_tensor *o)
{
    const struct cpose_node *nd = cpose_graph_node(e->g, i);
    const struct cpose_op_def *d = cpose_op_get(nd->op);
    int64_t B = e->batch;
    if (!runs_per_image(e, i)) return d->forward(ctx, in, nd->n_in, o, nd->params);
    CPOSE_ASSERT(per_image_op(nd->op) && o->ndim == 4 && o->dims[0] == B && nd->n_in <= 8);
    for (int64_t n = 0; n < B; n++) {
        struct cpose_tensor ti[8], to = *o;
        const struct cpose_tensor *pi[8];
        for (int j = 0; j < nd->n_in; j++) {
            ti[j] = *in[j];
            if (ti[j].ndim == 4 && ti[j].dims[0] == B) ti[j].dims[0] = 1, ti[j].data += n * image_stride(e, nd->in[j]);
            pi[j] = &ti[j];
        }
        to.dims[0] = 1, to.data += n * image_stride(e, i);
        int rc = d->forward(ctx, pi, nd->n_in, &to, nd->params);
        if (rc != CPOSE_OK) return rc;
    }
    return CPOSE_OK;
}

static int exec_run(struct cpose_exec *e, const float *input, int64_t B, int64_t C, int64_t H, int64_t W, int train)
{
    int rc = CPOSE_OK;
    struct cpose_op_ctx ctx = {.train = train};
    /* shapes first: the storage plan needs all of them */
    for (int i = 0; i < e->n; i++) {
        const struct cpose_node *nd = cpose_graph_node(e->g, i);
        const struct cpose_op_def *d = cpose_op_get(nd->op);
        const struct cpose_tensor *in[8];
        for (int j = 0; j < nd->n_in; j++) in[j] = &e->t[nd->in[j]];
        if (nd->op == CPOSE_OP_input) cpose_tensor_set4(&e->t[i], B, C, H, W, e->input_layout);
        else if ((rc = d->shape(in, nd->n_in, nd->params, &e->t[i])) != CPOSE_OK)
            return cpose_err_context(rc, "node %d (%s %s)", i, d->name, nd->name);
    }
    e->batch = B;
    plan_views(e, train);
    plan_handoff(e, train);
    uint64_t peak = plan_peak_bytes(e);
    if (peak > e->checked_peak) { /* only a plan larger than one already checked reads /proc/meminfo */
        char what[160];
        snprintf(what, sizeof what, "a forward pass on input [%lld, %lld, %lld, %lld]", (long long)B, (long long)C,
                 (long long)H, (long long)W);
        if ((rc = cpose_mem_check(peak, what, "use a smaller batch or image size")) != CPOSE_OK) return rc;
        e->checked_peak = peak;
    }
    e->runs++;
    for (size_t i = 0; i < e->bufs.len; i++) CPOSE_VEC_AT(&e->bufs, struct exec_buf, i).busy = 0;
    for (int i = 0; i < e->n; i++) {
        const struct cpose_node *nd = cpose_graph_node(e->g, i);
        const struct cpose_op_def *d = cpose_op_get(nd->op);
        struct cpose_tensor *o = &e->t[i];
        const struct cpose_tensor *in[8];
        for (int j = 0; j < nd->n_in; j++) in[j] = &e->t[nd->in[j]];
        int r = e->root[i];
        if (nd->op == CPOSE_OP_input && e->input_layout == CPOSE_LAYOUT_PLAIN) {
            /* the caller's NCHW batch is read in place (ops never write their inputs) */
            o->data = (float *)input;
        } else {
            if (e->first[r] == i && (e->buf_of[r] = acquire(e, (size_t)cpose_tensor_size(&e->t[r]))) < 0)
                return cpose_err(CPOSE_ENOMEM, "node %d (%s %s): cannot allocate %.3g GB for its output", i, d->name,
                                 nd->name, (double)cpose_tensor_size(&e->t[r]) * sizeof(float) / 1e9);
            o->data = CPOSE_VEC_AT(&e->bufs, struct exec_buf, e->buf_of[r]).data + e->roff[i];
            if (nd->op == CPOSE_OP_input) {
                cpose_nchw_to_nhwc(input, o->data, B, C, H, W);
            } else if (!e->view[i] && !e->gathered[i]) {
                double t0 = e->profile ? cpose_now() : 0;
                if ((rc = forward_node(e, &ctx, i, in, o)) != CPOSE_OK)
                    return cpose_err_context(rc, "node %d (%s %s)", i, d->name, nd->name);
                if (e->profile) {
                    double ms = (cpose_now() - t0) * 1e3;
                    e->op_ms[nd->op] += ms, e->op_calls[nd->op]++;
                    if (e->runs > 1) e->node_ms[i] += ms;  /* the first run builds the kernels */
                }
            }
        }
        /* release the storage whose last reader this was (or, after a gathering conv, the gathered nodes') */
        for (int j = releases_from(e, i); j <= i; j++)
            for (int k = e->rel[j]; k >= 0; k = e->rel_next[k])
                if (e->buf_of[k] >= 0) CPOSE_VEC_AT(&e->bufs, struct exec_buf, e->buf_of[k]).busy = 0;
    }
    if (rc == CPOSE_OK && !train) rc = check_finite_output(e);
    return rc;
}

int cpose_exec_run(struct cpose_exec *e, const float *input, int64_t B, int64_t C, int64_t H, int64_t W, int train)
{
    /* training keeps its thread count: oneDNN's backward-weights reduction order depends on it, and a
     * rerun with the same seed and threads= must give identical metrics */
    int requested = omp_get_max_threads();
    int threads = train || omp_in_parallel() ? requested : cpose_thread_adapt_next(&e->adapt, requested);
    if (threads != requested) omp_set_num_threads(threads);
    e->last_threads = threads;
    int rc = exec_run(e, input, B, C, H, W, train);
    if (threads != requested) omp_set_num_threads(requested);
    return rc;
}

int cpose_exec_last_threads(const struct cpose_exec *e) { return e->last_threads; }

int cpose_exec_ran(const struct cpose_exec *e, int id)
{
    CPOSE_ASSERT(id >= 0 && id < e->n);
    return e->runs > 0 && !e->view[id] && !e->gathered[id];
}

const struct cpose_tensor *cpose_exec_tensor(const struct cpose_exec *e, int id)
{
    CPOSE_ASSERT(id >= 0 && id < e->n);
    return &e->t[id];
}
