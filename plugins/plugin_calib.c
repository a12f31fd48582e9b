/* plugins/plugin_calib.c — the calibration pass (plugin_calib.h): a float32 interpreter of the graph
 * view (convolutions on cpose's oneDNN kernel, the other ops as plain loops on row-major data) that
 * records every value's min and max, and the choice of calibration images. */
#include "plugins/plugin_calib.h"

#include <float.h>
#include <math.h>
#include <string.h>
#include <yaml.h>

#include "core/base/alloc.h"
#include "core/base/yaml_doc.h"
#include "core/nn/graph.h"
#include "core/nn/image.h"
#include "core/nn/kernels.h"
#include "datasets/dataset.h"

static int64_t numel_of(const struct cpose_view_node *n)
{
    int64_t c = 1;
    for (int i = 0; i < n->ndim; i++) c *= n->dims[i];
    return c;
}

/* Numpy broadcasting of a (dims da, rank na) and b into out (dims od, rank nd). */
static void binary(int op, const float *a, const int64_t *da, int na, const float *b, const int64_t *db, int nb,
                   float *out, const int64_t *od, int nd)
{
    int64_t n = 1, idx[CPOSE_VIEW_MAX_DIMS] = {0};
    for (int k = 0; k < nd; k++) n *= od[k];
    for (int64_t o = 0; o < n; o++) {
        int64_t ia = 0, ib = 0;
        for (int k = 0; k < nd; k++) {
            int ka = k - (nd - na), kb = k - (nd - nb);
            if (ka >= 0) ia = ia * da[ka] + (da[ka] == 1 ? 0 : idx[k]);
            if (kb >= 0) ib = ib * db[kb] + (db[kb] == 1 ? 0 : idx[k]);
        }
        float x = a[ia], y = b[ib];
        out[o] = op == CPOSE_VIEW_ADD ? x + y : op == CPOSE_VIEW_SUB ? x - y : op == CPOSE_VIEW_MUL ? x * y : x / y;
        for (int k = nd - 1; k >= 0; k--) {
            if (++idx[k] < od[k]) break;
            idx[k] = 0;
        }
    }
}

/* outer = product of dims before axis, inner = product after it. */
static void split_at(const int64_t *d, int nd, int axis, int64_t *outer, int64_t *inner)
{
    *outer = *inner = 1;
    for (int k = 0; k < axis; k++) *outer *= d[k];
    for (int k = axis + 1; k < nd; k++) *inner *= d[k];
}

static void transpose(const float *src, const int64_t *sd, int nd, const int *perm, float *dst)
{
    int64_t stride[CPOSE_VIEW_MAX_DIMS], od[CPOSE_VIEW_MAX_DIMS], idx[CPOSE_VIEW_MAX_DIMS] = {0}, n = 1;
    for (int k = nd - 1; k >= 0; k--) stride[k] = n, n *= sd[k];
    for (int j = 0; j < nd; j++) od[j] = sd[perm[j]];
    for (int64_t o = 0; o < n; o++) {
        int64_t off = 0;
        for (int j = 0; j < nd; j++) off += idx[j] * stride[perm[j]];
        dst[o] = src[off];
        for (int j = nd - 1; j >= 0; j--) {
            if (++idx[j] < od[j]) break;
            idx[j] = 0;
        }
    }
}

struct interp {
    const struct cpose_view *v;
    float **val;                            /* per node: its value for the current batch (or NULL) */
    int *owned;                             /* 1: val[i] is ours to free */
    int *last_use;                          /* the last node reading node i */
    struct cpose_conv2d_params *conv;       /* per node (CONV only), kernels cached across batches */
};

static int run_conv(struct interp *it, int i, const struct cpose_view_node *n, const struct cpose_view_node *src)
{
    const struct cpose_view_conv *c = &n->p.conv;
    if (c->kh != c->kw || c->stride_h != c->stride_w || c->pad_top != c->pad_left || c->pad_top != c->pad_bottom ||
        c->pad_top != c->pad_right || c->groups != 1 || c->dilation_h != 1 || c->dilation_w != 1)
        return cpose_err(CPOSE_ENOTSUP, "calibration: view node %d '%s': only square, symmetric, ungrouped convs run here",
                         i, n->name);
    struct cpose_conv2d_params *p = &it->conv[i];
    if (!p->weight) {
        p->cin = c->cin, p->cout = c->cout, p->k = c->kh, p->stride = c->stride_h, p->pad = c->pad_top;
        p->act = CPOSE_ACT_NONE, p->weight = c->weight, p->bias = c->bias, p->weights_version = 1;
    }
    struct cpose_tensor in = {it->val[n->in[0]], 4, {0}, CPOSE_LAYOUT_PLAIN}, out = {it->val[i], 4, {0}, CPOSE_LAYOUT_PLAIN};
    memcpy(in.dims, src->dims, 4 * sizeof(int64_t));
    memcpy(out.dims, n->dims, 4 * sizeof(int64_t));
    int rc = cpose_conv_kernel_run(p, &in, NULL, &out);
    return rc ? cpose_err_context(rc, "calibration: view node %d '%s'", i, n->name) : CPOSE_OK;
}

/* Computes node i into it->val[i]. */
static int run_node(struct interp *it, int i, const float *input)
{
    const struct cpose_view_node *n = CPOSE_VIEW_NODE(it->v, i);
    const struct cpose_view_node *a = n->n_in > 0 ? CPOSE_VIEW_NODE(it->v, n->in[0]) : NULL;
    const struct cpose_view_node *b = n->n_in > 1 ? CPOSE_VIEW_NODE(it->v, n->in[1]) : NULL;
    int64_t cnt = numel_of(n);
    if (n->op == CPOSE_VIEW_INPUT) {
        it->val[i] = (float *)input;
        return CPOSE_OK;
    }
    if (n->op == CPOSE_VIEW_CONST || n->op == CPOSE_VIEW_ANCHORS) {
        if (!n->data) return cpose_err(CPOSE_EINVAL, "calibration: view node %d '%s' has no data", i, n->name);
        it->val[i] = (float *)n->data;
        return CPOSE_OK;
    }
    float *y = it->val[i] = cpose_malloc((size_t)(cnt ? cnt : 1) * sizeof(float));
    it->owned[i] = 1;
    const float *x = it->val[n->in[0]];
    switch (n->op) {
    case CPOSE_VIEW_CONV: return run_conv(it, i, n, a);
    case CPOSE_VIEW_SILU:
        for (int64_t k = 0; k < cnt; k++) y[k] = x[k] / (1.0f + expf(-x[k]));
        return CPOSE_OK;
    case CPOSE_VIEW_SIGMOID:
        for (int64_t k = 0; k < cnt; k++) y[k] = 1.0f / (1.0f + expf(-x[k]));
        return CPOSE_OK;
    case CPOSE_VIEW_ADD: case CPOSE_VIEW_SUB: case CPOSE_VIEW_MUL: case CPOSE_VIEW_DIV:
        binary(n->op, x, a->dims, a->ndim, it->val[n->in[1]], b->dims, b->ndim, y, n->dims, n->ndim);
        return CPOSE_OK;
    case CPOSE_VIEW_CONCAT: {
        int64_t outer, inner, at = 0;
        split_at(n->dims, n->ndim, n->p.axis, &outer, &inner);
        for (int k = 0; k < n->n_in; k++) {
            const struct cpose_view_node *s = CPOSE_VIEW_NODE(it->v, n->in[k]);
            int64_t len = s->dims[n->p.axis] * inner;
            for (int64_t o = 0; o < outer; o++)
                memcpy(y + o * n->dims[n->p.axis] * inner + at, it->val[n->in[k]] + o * len, (size_t)len * sizeof(float));
            at += len;
        }
        return CPOSE_OK;
    }
    case CPOSE_VIEW_SLICE: {
        int64_t outer, inner;
        split_at(a->dims, a->ndim, n->p.slice.axis, &outer, &inner);
        int64_t len = (n->p.slice.end - n->p.slice.start) * inner, full = a->dims[n->p.slice.axis] * inner;
        for (int64_t o = 0; o < outer; o++)
            memcpy(y + o * len, x + o * full + n->p.slice.start * inner, (size_t)len * sizeof(float));
        return CPOSE_OK;
    }
    case CPOSE_VIEW_MAXPOOL: {
        const struct cpose_view_pool *p = &n->p.pool;
        int64_t H = a->dims[2], W = a->dims[3], Ho = n->dims[2], Wo = n->dims[3];
        for (int64_t nc = 0; nc < n->dims[0] * n->dims[1]; nc++)
            for (int64_t oy = 0; oy < Ho; oy++)
                for (int64_t ox = 0; ox < Wo; ox++) {
                    float m = -FLT_MAX;
                    for (int ky = 0; ky < p->kh; ky++)
                        for (int kx = 0; kx < p->kw; kx++) {
                            int64_t iy = oy * p->stride_h - p->pad_top + ky, ix = ox * p->stride_w - p->pad_left + kx;
                            if (iy >= 0 && iy < H && ix >= 0 && ix < W && x[(nc * H + iy) * W + ix] > m) m = x[(nc * H + iy) * W + ix];
                        }
                    y[(nc * Ho + oy) * Wo + ox] = m;
                }
        return CPOSE_OK;
    }
    case CPOSE_VIEW_UPSAMPLE: {
        int64_t H = a->dims[2], W = a->dims[3], Ho = n->dims[2], Wo = n->dims[3];
        int sh = n->p.upsample.scale_h, sw = n->p.upsample.scale_w;
        for (int64_t nc = 0; nc < n->dims[0] * n->dims[1]; nc++)
            for (int64_t oy = 0; oy < Ho; oy++)
                for (int64_t ox = 0; ox < Wo; ox++) y[(nc * Ho + oy) * Wo + ox] = x[(nc * H + oy / sh) * W + ox / sw];
        return CPOSE_OK;
    }
    case CPOSE_VIEW_RESHAPE: memcpy(y, x, (size_t)cnt * sizeof(float)); return CPOSE_OK;
    case CPOSE_VIEW_TRANSPOSE: transpose(x, a->dims, a->ndim, n->p.transpose.perm, y); return CPOSE_OK;
    case CPOSE_VIEW_SOFTMAX: {
        int64_t outer, inner, L = n->dims[n->p.axis];
        split_at(n->dims, n->ndim, n->p.axis, &outer, &inner);
        for (int64_t o = 0; o < outer; o++)
            for (int64_t q = 0; q < inner; q++) {
                const float *xs = x + o * L * inner + q;
                float *ys = y + o * L * inner + q, m = -FLT_MAX;
                double sum = 0;
                for (int64_t l = 0; l < L; l++) m = xs[l * inner] > m ? xs[l * inner] : m;
                for (int64_t l = 0; l < L; l++) sum += ys[l * inner] = expf(xs[l * inner] - m);
                for (int64_t l = 0; l < L; l++) ys[l * inner] = (float)(ys[l * inner] / sum);
            }
        return CPOSE_OK;
    }
    default: return cpose_err(CPOSE_ENOTSUP, "calibration: view node %d '%s' has an op this interpreter does not run", i, n->name);
    }
}

static void release(struct interp *it, int i)
{
    if (it->owned[i]) cpose_free(it->val[i]);
    it->val[i] = NULL, it->owned[i] = 0;
}

/* One batch through the view; ranges updated when given; *out (optional) gets the output. */
static int run_batch(struct interp *it, const float *input, struct cpose_value_range *ranges, float **out)
{
    const struct cpose_view *v = it->v;
    int rc = CPOSE_OK;
    for (int i = 0; i < v->n_nodes && rc == CPOSE_OK; i++) {
        rc = run_node(it, i, input);
        if (rc) break;
        if (ranges) {
            const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
            int64_t cnt = numel_of(n);
            float lo = ranges[i].min, hi = ranges[i].max;
            for (int64_t k = 0; k < cnt; k++) {
                float q = it->val[i][k];
                lo = q < lo ? q : lo, hi = q > hi ? q : hi;
            }
            ranges[i].min = lo, ranges[i].max = hi;
        }
        for (int k = 0; k < CPOSE_VIEW_NODE(v, i)->n_in; k++) {
            int j = CPOSE_VIEW_NODE(v, i)->in[k];
            if (it->last_use[j] == i && j != v->output) release(it, j);
        }
    }
    if (rc == CPOSE_OK && out) {
        int64_t cnt = numel_of(CPOSE_VIEW_NODE(v, v->output));
        *out = cpose_malloc((size_t)cnt * sizeof(float));
        memcpy(*out, it->val[v->output], (size_t)cnt * sizeof(float));
    }
    for (int i = 0; i < v->n_nodes; i++) release(it, i);
    return rc;
}

static void interp_init(struct interp *it, const struct cpose_view *v)
{
    it->v = v;
    it->val = cpose_calloc((size_t)v->n_nodes, sizeof(float *));
    it->owned = cpose_calloc((size_t)v->n_nodes, sizeof(int));
    it->last_use = cpose_calloc((size_t)v->n_nodes, sizeof(int));
    it->conv = cpose_calloc((size_t)v->n_nodes, sizeof(struct cpose_conv2d_params));
    for (int i = 0; i < v->n_nodes; i++) {
        const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
        for (int k = 0; k < n->n_in; k++) it->last_use[n->in[k]] = i;
    }
}

static void interp_free(struct interp *it)
{
    for (int i = 0; i < it->v->n_nodes; i++) cpose_conv_kernel_free(it->conv[i].kern);
    cpose_free(it->val), cpose_free(it->owned), cpose_free(it->last_use), cpose_free(it->conv);
}

int cpose_calib_forward(const struct cpose_view *v, const float *input, float **out)
{
    struct interp it;
    interp_init(&it, v);
    int rc = run_batch(&it, input, NULL, out);
    interp_free(&it);
    return rc;
}

int cpose_calib_run_view(const struct cpose_view *v, const float *const *images, size_t n, struct cpose_value_range *ranges)
{
    if (n == 0) return cpose_err(CPOSE_EINVAL, "calibration: no images");
    for (int i = 0; i < v->n_nodes; i++) ranges[i].min = FLT_MAX, ranges[i].max = -FLT_MAX;
    int64_t B = v->batch, per = 3 * v->height * v->width;
    float *batch = cpose_malloc((size_t)(B * per) * sizeof(float));
    struct interp it;
    interp_init(&it, v);
    int rc = CPOSE_OK;
    for (size_t at = 0; at < n && rc == CPOSE_OK; at += (size_t)B) {
        for (int64_t b = 0; b < B; b++) memcpy(batch + b * per, images[(at + (size_t)b) % n], (size_t)per * sizeof(float));
        rc = run_batch(&it, batch, ranges, NULL);
    }
    interp_free(&it);
    cpose_free(batch);
    for (int i = 0; i < v->n_nodes && rc == CPOSE_OK; i++)
        if (!(ranges[i].min <= ranges[i].max))  /* NaN somewhere */
            rc = cpose_err(CPOSE_EINVAL, "calibration: view node %d '%s' has no finite range (NaN in the forward)", i,
                           CPOSE_VIEW_NODE(v, i)->name);
    return rc;
}

/* The `data` value of a train_args YAML text (malloc'ed) or NULL. */
static char *train_args_data(const char *text)
{
    if (!text || !*text) return NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return NULL;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    int ok = yaml_parser_load(&parser, &doc);
    yaml_parser_delete(&parser);
    if (!ok) return NULL;
    char *r = NULL;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type == YAML_MAPPING_NODE) {
        const char *s = cpose_yaml_scalar(cpose_yaml_map_get(&doc, root, "data"));
        if (s && *s && strcmp(s, "null") && strcmp(s, "None")) r = cpose_strdup(s);
    }
    yaml_document_delete(&doc);
    return r;
}

int cpose_calib_files(const char *data, const char *train_args_yaml, double fraction, char ***files, size_t *n,
                      char **data_used)
{
    *files = NULL, *n = 0, *data_used = NULL;
    char *yaml = data && *data ? cpose_strdup(data) : train_args_data(train_args_yaml);
    if (!yaml)
        return cpose_err(CPOSE_EINVAL, "int8=True needs data=<dataset.yaml> for calibration (its val images); the "
                                       "model carries no training data to default to");
    if (!(fraction > 0 && fraction <= 1)) {
        cpose_free(yaml);
        return cpose_err(CPOSE_EINVAL, "fraction=%g: must be in (0, 1]", fraction);
    }
    struct cpose_dataset d;
    int rc = cpose_dataset_load(yaml, &d);
    if (rc) {
        cpose_err_context(rc, "int8 calibration data '%s'", yaml);
        cpose_free(yaml);
        return rc;
    }
    rc = cpose_dataset_images(&d, CPOSE_SPLIT_VAL, files, n);
    cpose_dataset_free(&d);
    if (rc) {
        cpose_err_context(rc, "int8 calibration: the val images of '%s'", yaml);
        cpose_free(yaml);
        return rc;
    }
    size_t keep = (size_t)llround((double)*n * fraction);
    if (keep < 1) keep = 1;
    for (size_t i = keep; i < *n; i++) cpose_free((*files)[i]);
    *n = keep;
    *data_used = yaml;
    return CPOSE_OK;
}

int cpose_calib_image(const char *path, int64_t H, int64_t W, float *out)
{
    struct cpose_image src = {0}, lb = {0};
    struct cpose_letterbox info;
    int rc = cpose_image_read(path, &src);
    if (rc == CPOSE_OK) rc = cpose_image_letterbox(&src, (int)W, (int)H, 0, 32, 1, &lb, &info);
    if (rc == CPOSE_OK) cpose_image_to_chw_rgb(&lb, out);
    cpose_image_free(&src);
    cpose_image_free(&lb);
    return rc;
}
