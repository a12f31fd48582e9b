/* core/nn/model.c — the model object: loading (YAML or HDF5 weights), fresh initialisation, the
 * eval forward (fused and unfused), raw head outputs, and Ultralytics' summary figures. */
#include "core/nn/model_impl.h"
#include "core/nn/kernels.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

#include <math.h>
#include <string.h>

struct cpose_param *cpose_model_param(const struct cpose_model *m, const char *name)
{
    for (size_t i = 0; i < m->params.len; i++) {
        struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
        if (strcmp(p->name, name) == 0) return p;
    }
    return NULL;
}

void cpose_model_invalidate(struct cpose_model *m)
{
    cpose_exec_free(m->exec_fused);
    m->exec_fused = NULL;
    cpose_graph_free(m->fused);
    m->fused = NULL;
    /* unfused convs borrow parameter memory: bump versions so kernels re-pack the weights */
    for (int i = 0; m->graph && i < cpose_graph_size(m->graph); i++) {
        struct cpose_node *n = cpose_graph_node(m->graph, i);
        if (n->op == CPOSE_OP_conv2d) ((struct cpose_conv2d_params *)n->params)->weights_version++;
    }
}

void cpose_model_free(struct cpose_model *m)
{
    if (!m) return;
    cpose_exec_free(m->exec);
    cpose_exec_free(m->exec_fused);
    cpose_graph_free(m->fused);
    cpose_graph_free(m->graph);
    cpose_free(m->fuse_map);
    for (size_t i = 0; i < m->params.len; i++) {
        struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
        cpose_free(p->name);
        cpose_free(p->data);
    }
    cpose_vec_free(&m->params);
    for (int i = 0; i < m->info.n_names; i++) cpose_free(m->info.names[i]);
    cpose_free(m->info.names);
    cpose_free(m->yaml_text);
    cpose_free(m->yaml_file);
    cpose_free(m->train_args_yaml);
    cpose_model_free_ranges(m);
    cpose_free(m);
}

/* splitmix64: a small seeded generator for fresh weights. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double rng_uniform(uint64_t *s) { return (rng_next(s) >> 11) * (1.0 / 9007199254740992.0); }

void cpose_model_init_weights(struct cpose_model *m, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < m->params.len; i++) {
        struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
        const char *leaf = strrchr(p->name, '.') + 1;
        int is_bn = strstr(p->name, ".bn.") != NULL;
        if (p->kind == CPOSE_PARAM_FROZEN) continue; /* DFL: arange, set by the builder */
        if (is_bn) {
            /* BN weight 1, bias 0, running mean 0. Ultralytics runs one train-mode forward on zeros
             * to find the strides: every conv before a BN has no bias, so each BN sees only zeros
             * (batch mean 0, variance 0) and its running_var becomes 0.97·1 + 0.03·0. */
            float v = !strcmp(leaf, "weight") ? 1.0f : !strcmp(leaf, "running_var") ? 0.97f
                      : !strcmp(leaf, "num_batches_tracked") ? 1.0f : 0.0f;
            for (int64_t k = 0; k < p->numel; k++) p->data[k] = v;
            continue;
        }
        /* PyTorch's Conv2d default: kaiming_uniform(a=√5) → U(−1/√fan_in, 1/√fan_in), bias the same bound */
        int64_t fan_in;
        if (p->ndim == 4) {
            fan_in = p->dims[1] * p->dims[2] * p->dims[3];
        } else {
            const struct cpose_param *w = p - 1;  /* a conv bias follows its weight */
            fan_in = w->ndim == 4 ? w->dims[1] * w->dims[2] * w->dims[3] : 1;
        }
        double bound = 1.0 / sqrt((double)fan_in);
        for (int64_t k = 0; k < p->numel; k++) p->data[k] = (float)((2 * rng_uniform(&s) - 1) * bound);
    }
    /* Detect bias init: box branch bias 1.0, class bias log(5 / nc / (640 / stride)²) */
    char name[96];
    for (int l = 0; l < m->info.n_levels; l++) {
        const struct cpose_node *h = cpose_graph_node(m->graph, m->head_node);
        const char *prefix = h->name;  /* "model.22.decode" */
        int plen = (int)(strrchr(prefix, '.') - prefix);
        snprintf(name, sizeof name, "%.*s.cv2.%d.2.bias", plen, prefix, l);
        struct cpose_param *p = cpose_model_param(m, name);
        for (int64_t k = 0; p && k < p->numel; k++) p->data[k] = 1.0f;
        snprintf(name, sizeof name, "%.*s.cv3.%d.2.bias", plen, prefix, l);
        p = cpose_model_param(m, name);
        double v = log(5.0 / m->info.nc / pow(640.0 / m->info.strides[l], 2));
        for (int64_t k = 0; p && k < p->numel; k++) p->data[k] = (float)v;
    }
    cpose_model_invalidate(m);
}

/* Builds from a YAML file (path or bundled name) without weights. */
int cpose_model_from_yaml_name(const char *name, char force_scale, struct cpose_model **out)
{
    int rc;
    char *path = cpose_model_find_yaml(name), *text = NULL;
    if (!path) return CPOSE_EINVAL;
    if ((rc = cpose_read_file(path, &text, NULL)) != CPOSE_OK) {
        cpose_free(path);
        return rc;
    }
    struct cpose_model *m = cpose_calloc(1, sizeof *m);
    m->params.elem = sizeof(struct cpose_param);
    m->yaml_text = text;
    m->yaml_file = cpose_strdup(name);
    cpose_free(path);
    if ((rc = cpose_model_build(m, text, name, force_scale)) != CPOSE_OK) {
        cpose_model_free(m);
        return rc;
    }
    *out = m;
    return CPOSE_OK;
}


const struct cpose_model_info *cpose_model_get_info(const struct cpose_model *m) { return &m->info; }

int64_t cpose_model_num_anchors(const struct cpose_model *m, int64_t H, int64_t W)
{
    int64_t a = 0;
    for (int l = 0; l < m->info.n_levels; l++) {
        int64_t s = m->info.strides[l];
        a += ((H + s - 1) / s) * ((W + s - 1) / s);
    }
    return a;
}

static int run(struct cpose_model *m, int fused, const float *input, int64_t B, int64_t H, int64_t W, float *pred)
{
    int rc;
    if (B < 1 || H % m->info.max_stride || W % m->info.max_stride || H <= 0 || W <= 0)
        return cpose_err(CPOSE_ESHAPE, "input %lldx%lld: H and W must be positive multiples of %d (batch %lld)",
                         (long long)H, (long long)W, m->info.max_stride, (long long)B);
    int n = cpose_graph_size(m->graph);
    char *keep = cpose_calloc(n, 1);
    for (int l = 0; l < m->info.n_levels; l++) keep[m->level_node[l]] = keep[m->kpt_node[l]] = 1;
    if (fused && !m->fused) {
        cpose_free(m->fuse_map);
        m->fuse_map = cpose_malloc(n * sizeof(int));
        cpose_graph_fuse(m->graph, &m->fused, m->fuse_map);
        cpose_model_apply_precision(m);
    }
    struct cpose_exec **e = fused ? &m->exec_fused : &m->exec;
    if (!*e) {
        /* every conv writes the kernels' preferred layout; the other ops follow their inputs */
        const struct cpose_graph *g = fused ? m->fused : m->graph;
        int layout = cpose_model_activation_layout(m);
        for (int i = 0; i < cpose_graph_size(g); i++) {
            struct cpose_node *nd = cpose_graph_node(g, i);
            if (nd->op == CPOSE_OP_conv2d) ((struct cpose_conv2d_params *)nd->params)->out_layout = layout;
        }
        if (fused) {
            char *fk = cpose_calloc(cpose_graph_size(m->fused), 1);
            for (int i = 0; i < n; i++)
                if (keep[i]) fk[m->fuse_map[i]] = 1;
            cpose_exec_new(m->fused, fk, e);
            cpose_free(fk);
        } else {
            cpose_exec_new(m->graph, keep, e);
        }
        /* fixed with the convs' layouts and precisions: a new precision rebuilds the executor */
        cpose_exec_set_input_layout(*e, cpose_model_input_layout(m, g));
    }
    cpose_free(keep);
    rc = cpose_exec_run(*e, input, B, 3, H, W, 0);
    if (rc) return rc;
    m->last_fused = fused;
    m->last_B = B, m->last_H = H, m->last_W = W;
    const struct cpose_tensor *o = cpose_exec_tensor(*e, fused ? m->fuse_map[m->head_node] : m->head_node);
    memcpy(pred, o->data, cpose_tensor_numel(o) * sizeof(float));
    return CPOSE_OK;
}

int cpose_model_predict(struct cpose_model *m, const float *input, int64_t B, int64_t H, int64_t W, float *pred)
{
    return run(m, 1, input, B, H, W, pred);
}

int cpose_model_predict_unfused(struct cpose_model *m, const float *input, int64_t B, int64_t H, int64_t W, float *pred)
{
    return run(m, 0, input, B, H, W, pred);
}

static const struct cpose_tensor *last_tensor(const struct cpose_model *m, int node)
{
    const struct cpose_exec *e = m->last_fused ? m->exec_fused : m->exec;
    if (!e || !m->last_B) return NULL;
    return cpose_exec_tensor(e, m->last_fused ? m->fuse_map[node] : node);
}

int cpose_model_level_raw(const struct cpose_model *m, int level, float *out)
{
    if (level < 0 || level >= m->info.n_levels) return cpose_err(CPOSE_EINVAL, "level %d out of range", level);
    const struct cpose_tensor *t = last_tensor(m, m->level_node[level]);
    if (!t) return cpose_err(CPOSE_EINVAL, "no forward has run yet");
    cpose_tensor_to_nchw(t, out);
    return CPOSE_OK;
}

int cpose_model_kpt_raw(const struct cpose_model *m, float *out)
{
    int64_t A = cpose_model_num_anchors(m, m->last_H, m->last_W), a0 = 0;
    int K = m->info.nkpt * m->info.kdim;
    for (int l = 0; l < m->info.n_levels; l++) {
        const struct cpose_tensor *t = last_tensor(m, m->kpt_node[l]);
        if (!t) return cpose_err(CPOSE_EINVAL, "no forward has run yet");
        int64_t B = t->dims[0], HW = t->dims[2] * t->dims[3];
        for (int64_t b = 0; b < B; b++)
            for (int64_t q = 0; q < HW; q++)
                for (int c = 0; c < K; c++)
                    out[(b * K + c) * A + a0 + q] = t->data[cpose_tensor_off(t, b, c, q / t->dims[3], q % t->dims[3])];
        a0 += HW;
    }
    return CPOSE_OK;
}

int cpose_model_num_tensors(const struct cpose_model *m) { return (int)m->params.len; }

int cpose_model_tensor(const struct cpose_model *m, int i, const char **name, int *ndim, const int64_t **dims,
                       float **data)
{
    if (i < 0 || i >= (int)m->params.len) return cpose_err(CPOSE_EINVAL, "tensor index %d out of range", i);
    struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
    if (name) *name = p->name;
    if (ndim) *ndim = p->ndim;
    if (dims) *dims = p->dims;
    if (data) *data = p->data;
    return CPOSE_OK;
}

int cpose_model_last_threads(const struct cpose_model *m)
{
    const struct cpose_exec *e = m->last_fused ? m->exec_fused : m->exec;
    return e ? cpose_exec_last_threads(e) : 0;
}
