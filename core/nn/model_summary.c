/* core/nn/model_summary.c — Ultralytics' model summary figures: layers, parameters, gradients and
 * GFLOPs. Ultralytics reports 2 × thop's count of an eval-mode forward, in which thop counts
 * conv = output elements × Cin × k² (bias not counted), BatchNorm2d (affine) = 4 × elements,
 * nearest Upsample = output elements, the DFL 1×1 conv of the decode = 4·A × reg_max, and zero
 * for SiLU, max-pool, concat, add and the other functional ops. (Checked against REFERENCE.md:
 * n = 2 × (4 588 327 200 + 4 × 14 476 000 + 1 228 800 + 537 600) = 9.2960 GFLOPs at 640.) */
#include "core/nn/model_impl.h"

#include <string.h>

/* Shape-only walk of g at B×3×S×S, summing FLOPs in thop's convention. */
static int graph_flops(const struct cpose_graph *g, int64_t S, double *flops)
{
    int n = cpose_graph_size(g), rc = CPOSE_OK;
    struct cpose_tensor *t = cpose_calloc(n, sizeof *t);
    double f = 0;
    for (int i = 0; i < n; i++) {
        const struct cpose_node *nd = cpose_graph_node(g, i);
        const struct cpose_tensor *in[8];
        for (int j = 0; j < nd->n_in; j++) in[j] = &t[nd->in[j]];
        if (nd->op == CPOSE_OP_input) {
            cpose_tensor_set4(&t[i], 1, 3, S, S, 1);
            continue;
        }
        if ((rc = cpose_op_get(nd->op)->shape(in, nd->n_in, nd->params, &t[i])) != CPOSE_OK) goto fail;
        if (nd->op == CPOSE_OP_conv2d) {
            const struct cpose_conv2d_params *p = nd->params;
            f += 2.0 * (double)cpose_tensor_numel(&t[i]) * p->cin * p->k * p->k;
        } else if (nd->op == CPOSE_OP_batchnorm) {
            f += 8.0 * (double)cpose_tensor_numel(&t[i]);
        } else if (nd->op == CPOSE_OP_upsample) {
            f += 2.0 * (double)cpose_tensor_numel(&t[i]);
        } else if (nd->op == CPOSE_OP_pose_head) {
            const struct cpose_pose_head_params *p = nd->params;
            f += 2.0 * 4.0 * (double)t[i].dims[2] * p->reg_max;
        }
    }
    *flops = f;
fail:
    cpose_free(t);
    return rc;
}

int cpose_model_summary(const struct cpose_model *m, int fused, int imgsz, struct cpose_model_summary *s)
{
    int rc;
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", m->name);
    s->layers = m->n_modules - (fused ? m->n_conv_modules : 0);
    if (!fused) {
        s->params = m->info.n_params;
        for (size_t i = 0; i < m->params.len; i++) {
            const struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
            if (p->kind == CPOSE_PARAM_WEIGHT || p->kind == CPOSE_PARAM_BIAS) s->gradients += p->numel;
        }
    } else {
        /* After fuse(): each Conv2d+BN becomes one Conv2d with bias and no gradient; the plain
         * Conv2d layers (head outputs) keep theirs; the DFL stays frozen. */
        for (int i = 0; i < cpose_graph_size(m->graph); i++) {
            const struct cpose_node *nd = cpose_graph_node(m->graph, i);
            if (nd->op != CPOSE_OP_conv2d) continue;
            const struct cpose_conv2d_params *p = nd->params;
            int64_t np = (int64_t)p->cout * p->cin * p->k * p->k + p->cout;
            s->params += np;
            if (p->bias) s->gradients += np;
        }
        for (size_t i = 0; i < m->params.len; i++) {
            const struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
            if (p->kind == CPOSE_PARAM_FROZEN) s->params += p->numel;
        }
    }
    /* Ultralytics saves checkpoints with requires_grad off (strip_optimizer), so a model loaded
     * from weights reports 0 gradients; a fresh YAML model reports its trainable parameters
     * (fused: only the plain head Conv2d layers keep requires_grad). */
    if (m->from_weights) s->gradients = 0;
    double f = 0;
    if (imgsz <= 0) imgsz = 640;
    const struct cpose_graph *g = m->graph;
    struct cpose_graph *fg = NULL;
    if (fused) {
        if ((rc = cpose_graph_fuse_structure(m->graph, &fg, NULL)) != CPOSE_OK) return rc;
        g = fg;
    }
    /* Ultralytics profiles a max-stride square and scales by area; the walk at imgsz is the same
     * number when imgsz is a multiple of the stride (every size scales exactly). */
    rc = graph_flops(g, imgsz, &f);
    cpose_graph_free(fg);
    s->gflops = f / 1e9;
    return rc;
}
