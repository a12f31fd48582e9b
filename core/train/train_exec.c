/* core/train/train_exec.c — the train-mode executor (see train_exec.h): parameter table, storage
 * plan (tensors as time intervals packed into one arena), forward, loss-side conversions, backward,
 * profiling. */
#include "core/train/train_exec.h"
#include "core/train/grad_sync.h"
#include "core/base/dist.h"

#include "core/base/log.h"
#include "core/nn/kernels.h"
#include "core/nn/model_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cpose_train_exec {
    struct cpose_model *m;
    const struct cpose_graph *g;
    int n, head, nl, F, K;
    struct cpose_tensor *t, *gt;  /* per node: forward output, gradient */
    int64_t *off_f, *off_g;       /* byte offsets in the arena (-1: none) */
    char *arena;
    size_t arena_bytes;
    int64_t B, H, W, A;
    int lh[4], lw[4];
    float *feat[4], *gfeat[4], *kpt, *gkpt;  /* plain NCHW copies for the loss, and its gradients */
    char *is_out;
    char *written;                /* per node during backward: its gradient holds a contribution */
    struct cpose_train_param *params;
    int np;
    float *grad_mem;
    size_t grad_n;
    int profile;
    double fwd_ms[CPOSE_OP_COUNT], bwd_ms[CPOSE_OP_COUNT], loss_io_ms;
    double *node_fwd, *node_bwd;  /* CPOSE_PROFILE=layers: per node */
    int64_t steps;
    int *param_owner;             /* per parameter: the node whose backward writes its gradient */
    struct cpose_grad_sync *sync; /* data-parallel: the gradient all-reduce (NULL in one process) */
};

static int is_norm_weight(const char *name)
{
    const char *leaf = strrchr(name, '.');
    return strstr(name, ".bn.") && leaf && !strcmp(leaf, ".weight");
}

int cpose_train_exec_new(struct cpose_model *m, struct cpose_train_exec **out)
{
    *out = NULL;
    if (!m->graph || m->info.n_levels < 1) return cpose_err(CPOSE_EINVAL, "train: the model has no Pose head");
    struct cpose_train_exec *ex = cpose_calloc(1, sizeof *ex);
    ex->m = m, ex->g = m->graph, ex->n = cpose_graph_size(m->graph), ex->head = m->head_node;
    ex->nl = m->info.n_levels, ex->F = 4 * 16 + m->info.nc, ex->K = m->info.nkpt * m->info.kdim;
    ex->t = cpose_calloc(ex->n, sizeof *ex->t);
    ex->gt = cpose_calloc(ex->n, sizeof *ex->gt);
    ex->off_f = cpose_malloc(ex->n * sizeof(int64_t));
    ex->off_g = cpose_malloc(ex->n * sizeof(int64_t));
    ex->is_out = cpose_calloc(ex->n, 1);
    ex->written = cpose_calloc(ex->n, 1);
    for (int l = 0; l < ex->nl; l++) ex->is_out[m->level_node[l]] = ex->is_out[m->kpt_node[l]] = 1;
    const char *prof = getenv("CPOSE_PROFILE");
    ex->profile = prof && *prof && strcmp(prof, "0");
    ex->node_fwd = cpose_calloc(ex->n, sizeof(double)), ex->node_bwd = cpose_calloc(ex->n, sizeof(double));
    /* the parameter table: every trainable parameter, gradients in one block */
    for (size_t i = 0; i < m->params.len; i++) {
        struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
        if (p->kind == CPOSE_PARAM_WEIGHT || p->kind == CPOSE_PARAM_BIAS) ex->np++, ex->grad_n += p->numel;
    }
    ex->params = cpose_calloc(ex->np, sizeof *ex->params);
    ex->param_owner = cpose_calloc(ex->np ? ex->np : 1, sizeof *ex->param_owner);
    ex->grad_mem = cpose_calloc(ex->grad_n ? ex->grad_n : 1, sizeof(float));
    size_t off = 0;
    int k = 0;
    for (size_t i = 0; i < m->params.len; i++) {
        struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
        if (p->kind != CPOSE_PARAM_WEIGHT && p->kind != CPOSE_PARAM_BIAS) continue;
        ex->params[k] = (struct cpose_train_param){.name = p->name, .data = p->data, .grad = ex->grad_mem + off,
                                                   .n = (size_t)p->numel,
                                                   .group = p->kind == CPOSE_PARAM_BIAS ? 0 : is_norm_weight(p->name) ? 2 : 1};
        off += p->numel, k++;
    }
    /* point the nodes' gradient slots at the table */
    int layout = cpose_kernel_layout_for_graph(cpose_kernel_activation_layout(), ex->g, CPOSE_PREC_F32);
    for (int i = 0; i < ex->n; i++) {
        struct cpose_node *nd = cpose_graph_node(ex->g, i);
        float **pairs[2][2] = {{NULL, NULL}, {NULL, NULL}};
        const float *src[2] = {NULL, NULL};
        if (nd->op == CPOSE_OP_conv2d) {
            struct cpose_conv2d_params *c = nd->params;
            c->out_layout = layout;
            src[0] = c->weight, src[1] = c->bias, pairs[0][0] = &c->grad_w, pairs[1][0] = &c->grad_b;
        } else if (nd->op == CPOSE_OP_batchnorm) {
            struct cpose_batchnorm_params *b = nd->params;
            src[0] = b->weight, src[1] = b->bias, pairs[0][0] = &b->grad_w, pairs[1][0] = &b->grad_b;
        }
        for (int s = 0; s < 2; s++) {
            if (!src[s]) continue;
            for (int j = 0; j < ex->np; j++)
                if (ex->params[j].data == src[s]) *pairs[s][0] = ex->params[j].grad, ex->param_owner[j] = i;
        }
    }
    *out = ex;
    return CPOSE_OK;
}

void cpose_train_exec_free(struct cpose_train_exec *ex)
{
    if (!ex) return;
    if (ex->profile && ex->steps) {
        double tf = 0, tb = 0;
        fprintf(stderr, "cpose profile (train, per op kind, ms per step over %lld steps): forward / backward\n",
                (long long)ex->steps);
        for (int i = 0; i < CPOSE_OP_COUNT; i++) {
            if (ex->fwd_ms[i] == 0 && ex->bwd_ms[i] == 0) continue;
            fprintf(stderr, "  %-10s %9.2f %9.2f\n", cpose_op_get(i)->name, ex->fwd_ms[i] / ex->steps,
                    ex->bwd_ms[i] / ex->steps);
            tf += ex->fwd_ms[i], tb += ex->bwd_ms[i];
        }
        if (!strcmp(getenv("CPOSE_PROFILE"), "layers"))
            for (int i = 1; i < ex->n; i++) {
                const struct cpose_node *nd = cpose_graph_node(ex->g, i);
                if (i == ex->head || nd->op != CPOSE_OP_conv2d) continue;
                const struct cpose_conv2d_params *c = nd->params;
                char sh[96];
                double gf = 2.0 * cpose_tensor_numel(&ex->t[i]) * c->cin * c->k * c->k * 1e-9;
                fprintf(stderr, "  %3d %-26s %-20s k%d s%d %4d→%-4d fwd %7.2f ms %5.0f GF/s (%s)  bwd %7.2f ms %5.0f GF/s (%s | %s)\n",
                        i, nd->name, cpose_shape_str(ex->t[i].dims, 4, sh, sizeof sh), c->k, c->stride, c->cin, c->cout,
                        ex->node_fwd[i] / ex->steps, gf / (ex->node_fwd[i] / ex->steps * 1e-3), cpose_conv_kernel_impl(c->kern),
                        ex->node_bwd[i] / ex->steps, 2 * gf / (ex->node_bwd[i] / ex->steps * 1e-3),
                        cpose_conv_bwd_impl(c->bwd, 0), cpose_conv_bwd_impl(c->bwd, 1));
            }
        fprintf(stderr, "  %-10s %9.2f %9.2f\n  head I/O (layout conversions for the loss) %.2f\n", "total",
                tf / ex->steps, tb / ex->steps, ex->loss_io_ms / ex->steps);
    }
    /* the graph outlives us: detach its gradient slots */
    for (int i = 0; i < ex->n; i++) {
        struct cpose_node *nd = cpose_graph_node(ex->g, i);
        if (nd->op == CPOSE_OP_conv2d) {
            struct cpose_conv2d_params *c = nd->params;
            c->grad_w = c->grad_b = NULL;
        } else if (nd->op == CPOSE_OP_batchnorm) {
            struct cpose_batchnorm_params *b = nd->params;
            b->grad_w = b->grad_b = NULL;
        }
    }
    free(ex->arena);
    for (int l = 0; l < 4; l++) cpose_free(ex->feat[l]), cpose_free(ex->gfeat[l]);
    cpose_free(ex->kpt), cpose_free(ex->gkpt);
    cpose_free(ex->t), cpose_free(ex->gt), cpose_free(ex->off_f), cpose_free(ex->off_g);
    cpose_free(ex->node_fwd), cpose_free(ex->node_bwd);
    cpose_free(ex->is_out), cpose_free(ex->written), cpose_free(ex->params), cpose_free(ex->grad_mem);
    cpose_free(ex->param_owner);
    cpose_grad_sync_free(ex->sync);
    cpose_free(ex);
}

/* ---- the storage plan ---- */

struct interval {
    int64_t bytes, start, end;  /* live over times [start, end] */
    int64_t *off;
};

static int by_size_desc(const void *a, const void *b)
{
    const struct interval *x = a, *y = b;
    return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

/* Greedy packing: largest first, each at the lowest offset free over its whole time span. */
static size_t pack(struct interval *iv, int n)
{
    qsort(iv, n, sizeof *iv, by_size_desc);
    size_t top = 0;
    int64_t *lo = cpose_malloc((n + 1) * sizeof(int64_t)), *hi = cpose_malloc((n + 1) * sizeof(int64_t));
    for (int i = 0; i < n; i++) {
        int m = 0;
        for (int j = 0; j < i; j++)
            if (iv[j].start <= iv[i].end && iv[i].start <= iv[j].end) lo[m] = *iv[j].off, hi[m] = *iv[j].off + iv[j].bytes, m++;
        /* sort the busy ranges by start (insertion sort: m is small) */
        for (int a = 1; a < m; a++)
            for (int b = a; b > 0 && lo[b] < lo[b - 1]; b--) {
                int64_t t = lo[b];
                lo[b] = lo[b - 1], lo[b - 1] = t;
                t = hi[b], hi[b] = hi[b - 1], hi[b - 1] = t;
            }
        int64_t o = 0;
        for (int a = 0; a < m; a++) {
            if (o + iv[i].bytes <= lo[a]) break;
            if (hi[a] > o) o = hi[a];
        }
        *iv[i].off = o;
        if ((size_t)(o + iv[i].bytes) > top) top = o + iv[i].bytes;
    }
    cpose_free(lo), cpose_free(hi);
    return top;
}

static int plan(struct cpose_train_exec *ex, int64_t B, int64_t H, int64_t W)
{
    int rc, n = ex->n;
    const struct cpose_graph *g = ex->g;
    for (int i = 0; i < n; i++) {
        if (i == ex->head) continue;
        const struct cpose_node *nd = cpose_graph_node(g, i);
        const struct cpose_op_def *d = cpose_op_get(nd->op);
        const struct cpose_tensor *in[8];
        for (int j = 0; j < nd->n_in; j++) in[j] = &ex->t[nd->in[j]];
        if (nd->op == CPOSE_OP_input) cpose_tensor_set4(&ex->t[i], B, 3, H, W, CPOSE_LAYOUT_PLAIN);
        else if ((rc = d->shape(in, nd->n_in, nd->params, &ex->t[i])) != CPOSE_OK)
            return cpose_err_context(rc, "node %d (%s %s)", i, d->name, nd->name);
        ex->gt[i] = ex->t[i];
    }
    /* times: forward of node i at i, the loss at n, backward of node j at 2n − j */
    int64_t *fend = cpose_malloc(n * sizeof(int64_t)), *gstart = cpose_malloc(n * sizeof(int64_t));
    for (int i = 0; i < n; i++) fend[i] = ex->is_out[i] ? n : i, gstart[i] = ex->is_out[i] ? n : INT64_MAX;
    for (int j = 0; j < n; j++) {
        if (j == ex->head) continue;
        const struct cpose_node *nd = cpose_graph_node(g, j);
        unsigned needs = cpose_op_get(nd->op)->bwd_needs;
        if (needs & CPOSE_BWD_OUT && fend[j] < 2 * n - j) fend[j] = 2 * n - j;
        for (int k = 0; k < nd->n_in; k++) {
            int i = nd->in[k];
            if (fend[i] < j) fend[i] = j;
            if (needs & CPOSE_BWD_IN(k) && fend[i] < 2 * n - j) fend[i] = 2 * n - j;
            if (gstart[i] > 2 * n - j) gstart[i] = 2 * n - j;
        }
    }
    struct interval *iv = cpose_malloc(2 * n * sizeof *iv);
    int ni = 0;
    for (int i = 1; i < n; i++) {
        ex->off_f[i] = ex->off_g[i] = -1;
        if (i == ex->head) continue;
        int64_t bytes = (cpose_tensor_size(&ex->t[i]) * (int64_t)sizeof(float) + 63) / 64 * 64;
        iv[ni++] = (struct interval){bytes, i, fend[i], &ex->off_f[i]};
        if (gstart[i] != INT64_MAX) iv[ni++] = (struct interval){bytes, gstart[i], 2 * n - i, &ex->off_g[i]};
    }
    ex->off_f[0] = ex->off_g[0] = -1;
    size_t top = pack(iv, ni);
    cpose_free(iv), cpose_free(fend), cpose_free(gstart);
    free(ex->arena);
    ex->arena = NULL;
    if (posix_memalign((void **)&ex->arena, 64, top ? top : 64) != 0)
        return cpose_err(CPOSE_ENOMEM, "train: cannot allocate %zu MiB of activations", top >> 20);
    memset(ex->arena, 0, top ? top : 64);
    ex->arena_bytes = top;
    for (int i = 1; i < n; i++) {
        if (ex->off_f[i] >= 0) ex->t[i].data = (float *)(ex->arena + ex->off_f[i]);
        if (ex->off_g[i] >= 0) ex->gt[i].data = (float *)(ex->arena + ex->off_g[i]);
    }
    /* the loss-side buffers */
    ex->A = 0;
    for (int l = 0; l < ex->nl; l++) {
        const struct cpose_tensor *t = &ex->t[ex->m->level_node[l]];
        ex->lh[l] = (int)t->dims[2], ex->lw[l] = (int)t->dims[3];
        ex->A += t->dims[2] * t->dims[3];
        cpose_free(ex->feat[l]), cpose_free(ex->gfeat[l]);
        ex->feat[l] = cpose_malloc(cpose_tensor_numel(t) * sizeof(float));
        ex->gfeat[l] = cpose_calloc(cpose_tensor_numel(t), sizeof(float));
    }
    cpose_free(ex->kpt), cpose_free(ex->gkpt);
    ex->kpt = cpose_malloc(B * ex->K * ex->A * sizeof(float));
    ex->gkpt = cpose_calloc(B * ex->K * ex->A, sizeof(float));
    ex->B = B, ex->H = H, ex->W = W;
    return CPOSE_OK;
}

size_t cpose_train_exec_arena_bytes(const struct cpose_train_exec *ex) { return ex->arena_bytes; }

/* Copies 4-D tensor t to or from a plain buffer where (n, c, pixel q) is at n·istride + c·cstride + q
 * (to_plain 1: t → buf; 0: buf → t, t's padding channels zeroed). One parallel region. */
static void plain_copy(struct cpose_tensor *t, float *buf, int64_t istride, int64_t cstride, int to_plain)
{
    int64_t N = t->dims[0], C = t->dims[1], HW = t->dims[2] * t->dims[3];
    int64_t b = cpose_layout_block(t->layout);
    if (b) {
        int64_t CB = cpose_tensor_cpad(t) / b;
#pragma omp parallel for schedule(static)
        for (int64_t j = 0; j < N * CB; j++) {
            int64_t n = j / CB, cb = j % CB;
            float *blk = t->data + j * HW * b;
            for (int64_t v = 0; v < b; v++) {
                int64_t c = cb * b + v;
                float *pl = buf + n * istride + c * cstride;
                if (c >= C) {
                    if (!to_plain)
                        for (int64_t q = 0; q < HW; q++) blk[q * b + v] = 0;
                } else if (to_plain) {
                    for (int64_t q = 0; q < HW; q++) pl[q] = blk[q * b + v];
                } else {
                    for (int64_t q = 0; q < HW; q++) blk[q * b + v] = pl[q];
                }
            }
        }
        return;
    }
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t q = 0; q < HW; q++) {
                float *e = &t->data[cpose_tensor_off(t, n, c, q / t->dims[3], q % t->dims[3])];
                float *p = &buf[n * istride + c * cstride + q];
                if (to_plain) *p = *e;
                else *e = *p;
            }
}

/* ---- forward ---- */

int cpose_train_exec_forward(struct cpose_train_exec *ex, const float *img, int64_t B, int64_t H, int64_t W)
{
    int rc;
    int ms = ex->m->info.max_stride;
    if (B < 1 || H <= 0 || W <= 0 || H % ms || W % ms)
        return cpose_err(CPOSE_ESHAPE, "train: input [%lld, 3, %lld, %lld]: H and W must be positive multiples of %d",
                         (long long)B, (long long)H, (long long)W, ms);
    if ((B != ex->B || H != ex->H || W != ex->W) && (rc = plan(ex, B, H, W)) != CPOSE_OK) return rc;
    struct cpose_op_ctx ctx = {.train = 1};
    ex->t[0].data = (float *)img;
    for (int i = 1; i < ex->n; i++) {
        if (i == ex->head) continue;
        const struct cpose_node *nd = cpose_graph_node(ex->g, i);
        const struct cpose_op_def *d = cpose_op_get(nd->op);
        const struct cpose_tensor *in[8];
        for (int j = 0; j < nd->n_in; j++) in[j] = &ex->t[nd->in[j]];
        double t0 = ex->profile ? cpose_now() : 0;
        if ((rc = d->forward(&ctx, in, nd->n_in, &ex->t[i], nd->params)) != CPOSE_OK)
            return cpose_err_context(rc, "train forward: node %d (%s %s)", i, d->name, nd->name);
        if (ex->profile) {
            double ms = (cpose_now() - t0) * 1e3;
            ex->fwd_ms[nd->op] += ms, ex->node_fwd[i] += ms;
        }
    }
    double t0 = cpose_now();
    int64_t a0 = 0;
    for (int l = 0; l < ex->nl; l++) {
        struct cpose_tensor *f = &ex->t[ex->m->level_node[l]], *k = &ex->t[ex->m->kpt_node[l]];
        int64_t HW = f->dims[2] * f->dims[3];
        plain_copy(f, ex->feat[l], f->dims[1] * HW, HW, 1);
        plain_copy(k, ex->kpt + a0, (int64_t)ex->K * ex->A, ex->A, 1);
        a0 += HW;
    }
    ex->loss_io_ms += (cpose_now() - t0) * 1e3;
    ex->steps++;
    return CPOSE_OK;
}

const float *cpose_train_exec_feat(const struct cpose_train_exec *ex, int level) { return ex->feat[level]; }
const float *cpose_train_exec_kpt(const struct cpose_train_exec *ex) { return ex->kpt; }
float *cpose_train_exec_grad_feat(struct cpose_train_exec *ex, int level) { return ex->gfeat[level]; }
float *cpose_train_exec_grad_kpt(struct cpose_train_exec *ex) { return ex->gkpt; }
int64_t cpose_train_exec_anchors(const struct cpose_train_exec *ex) { return ex->A; }
void cpose_train_exec_level_dims(const struct cpose_train_exec *ex, int level, int *H, int *W)
{
    *H = ex->lh[level], *W = ex->lw[level];
}

/* ---- backward ---- */

int cpose_train_exec_backward(struct cpose_train_exec *ex, int accumulate)
{
    int rc;
    if (!ex->steps) return cpose_err(CPOSE_EINVAL, "train: backward before any forward");
    double t0 = cpose_now();
    memset(ex->written, 0, ex->n);
    if (ex->sync) {
        /* each rank's loss counts world-size times (Ultralytics' loss × world_size under DDP), and the
         * all-reduce averages: the gradient is that of the sum of the ranks' losses */
        float w = (float)cpose_dist_size();
        for (int l = 0; l < ex->nl; l++)
            for (int64_t i = 0, n = ex->B * ex->F * ex->lh[l] * ex->lw[l]; i < n; i++) ex->gfeat[l][i] *= w;
        for (int64_t i = 0, n = ex->B * ex->K * ex->A; i < n; i++) ex->gkpt[i] *= w;
    }
    int64_t a0 = 0;
    for (int l = 0; l < ex->nl; l++) {
        struct cpose_tensor *f = &ex->gt[ex->m->level_node[l]], *k = &ex->gt[ex->m->kpt_node[l]];
        int64_t HW = f->dims[2] * f->dims[3];
        plain_copy(f, ex->gfeat[l], f->dims[1] * HW, HW, 0);
        plain_copy(k, ex->gkpt + a0, (int64_t)ex->K * ex->A, ex->A, 0);
        a0 += HW;
        ex->written[ex->m->level_node[l]] = ex->written[ex->m->kpt_node[l]] = 1;
    }
    ex->loss_io_ms += (cpose_now() - t0) * 1e3;
    if (ex->sync) cpose_grad_sync_begin(ex->sync);
    for (int j = ex->n - 1; j >= 1; j--) {
        if (ex->sync && (rc = cpose_grad_sync_after_node(ex->sync, j + 1)) != CPOSE_OK) return rc;
        if (j == ex->head || !ex->written[j]) continue;
        const struct cpose_node *nd = cpose_graph_node(ex->g, j);
        const struct cpose_op_def *d = cpose_op_get(nd->op);
        const struct cpose_tensor *in[8];
        struct cpose_tensor *gin[8];
        struct cpose_op_ctx ctx = {.train = 1, .param_accum = accumulate};
        for (int k = 0; k < nd->n_in; k++) {
            int i = nd->in[k];
            in[k] = &ex->t[i];
            gin[k] = i == 0 ? NULL : &ex->gt[i];
            if (i == 0) continue;
            if (ex->written[i]) ctx.grad_accum |= 1u << k;
            ex->written[i] = 1;  /* later slots of this call with the same input add */
        }
        double t1 = ex->profile ? cpose_now() : 0;
        if ((rc = d->backward(&ctx, in, nd->n_in, &ex->t[j], &ex->gt[j], gin, nd->params)) != CPOSE_OK)
            return cpose_err_context(rc, "train backward: node %d (%s %s)", j, d->name, nd->name);
        if (ex->profile) {
            double ms = (cpose_now() - t1) * 1e3;
            ex->bwd_ms[nd->op] += ms, ex->node_bwd[j] += ms;
        }
    }
    return ex->sync ? cpose_grad_sync_finish(ex->sync) : CPOSE_OK;
}

int cpose_train_exec_data_parallel(struct cpose_train_exec *ex)
{
    if (cpose_dist_size() <= 1 || ex->sync) return CPOSE_OK;
    size_t *off = cpose_malloc((ex->np + 1) * sizeof *off), *cnt = cpose_malloc((ex->np + 1) * sizeof *cnt);
    for (int k = 0; k < ex->np; k++) off[k] = (size_t)(ex->params[k].grad - ex->grad_mem), cnt[k] = ex->params[k].n;
    int rc = cpose_grad_sync_new(ex->grad_mem, ex->grad_n, ex->np, off, cnt, ex->param_owner, 0, &ex->sync);
    cpose_free(off);
    cpose_free(cnt);
    return rc;
}

void cpose_train_exec_sync_stats(const struct cpose_train_exec *ex, struct cpose_grad_sync_stats *st)
{
    cpose_grad_sync_stats(ex->sync, st);
}

struct cpose_train_param *cpose_train_exec_params(struct cpose_train_exec *ex, int *n)
{
    *n = ex->np;
    return ex->params;
}

void cpose_train_exec_zero_grad(struct cpose_train_exec *ex) { memset(ex->grad_mem, 0, ex->grad_n * sizeof(float)); }

double cpose_train_exec_grad_norm(const struct cpose_train_exec *ex)
{
    double s = 0;
    for (size_t i = 0; i < ex->grad_n; i++) s += (double)ex->grad_mem[i] * ex->grad_mem[i];
    return sqrt(s);
}

void cpose_train_exec_weights_changed(struct cpose_train_exec *ex) { cpose_model_invalidate(ex->m); }
