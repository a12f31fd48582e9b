/* tests/test_plugin_view.c — the graph view exporters translate (plugins/plugin_view.c): a plain
 * reference interpreter written here runs every view op (conv, SiLU, the expanded Pose head:
 * Reshape, Transpose, Softmax, DFL conv, Anchors, Sub/Add/Mul, Sigmoid, Concat) and its output must
 * match cpose's own engine (fused_pose_head) on the same weights and input; also the view's shapes,
 * names and anchors, and the host's metadata text. Weights: the bncal fixture when present, else a
 * generated yolov8n-pose.yaml model with its BN statistics spread so activations are not flat. */
/* cpose-layer: plugins */
#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/nn/model_impl.h"
#include "plugins/plugin_view.h"
#include "tests/testlib.h"
#include "tests/tl_model.h"

struct rt { int ndim; int64_t d[8]; float *x; };

static int64_t numel(const struct rt *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->d[i];
    return n;
}

static void set_shape(struct rt *t, const struct cpose_view_node *n)
{
    t->ndim = n->ndim;
    memcpy(t->d, n->dims, sizeof t->d);
    t->x = calloc((size_t)numel(t), sizeof(float));
}

/* Strides of a row-major shape. */
static void strides(const struct rt *t, int64_t *s)
{
    int64_t acc = 1;
    for (int i = t->ndim - 1; i >= 0; i--) s[i] = acc, acc *= t->d[i];
}

static float bin(int op, float a, float b)
{
    switch (op) {
    case CPOSE_VIEW_ADD: return a + b;
    case CPOSE_VIEW_SUB: return a - b;
    case CPOSE_VIEW_MUL: return a * b;
    default: return a / b;
    }
}

static void eval_node(const struct cpose_view_node *n, struct rt *v, struct rt *o, const float *input)
{
    const struct rt *a = n->n_in > 0 ? &v[n->in[0]] : NULL, *b = n->n_in > 1 ? &v[n->in[1]] : NULL;
    set_shape(o, n);
    int64_t N = numel(o), os[8], as[8], bs[8], idx[8];
    strides(o, os);
    switch (n->op) {
    case CPOSE_VIEW_INPUT: memcpy(o->x, input, N * sizeof(float)); break;
    case CPOSE_VIEW_CONST:
    case CPOSE_VIEW_ANCHORS: memcpy(o->x, n->data, N * sizeof(float)); break;
    case CPOSE_VIEW_CONV: {
        const struct cpose_view_conv *c = &n->p.conv;
        int64_t B = o->d[0], H = a->d[2], W = a->d[3], Ho = o->d[2], Wo = o->d[3];
        for (int64_t bb = 0; bb < B; bb++)
            for (int co = 0; co < c->cout; co++)
                for (int64_t y = 0; y < Ho; y++)
                    for (int64_t xx = 0; xx < Wo; xx++) {
                        double s = c->bias[co];
                        for (int ci = 0; ci < c->cin; ci++)
                            for (int ky = 0; ky < c->kh; ky++) {
                                int64_t iy = y * c->stride_h - c->pad_top + ky;
                                if (iy < 0 || iy >= H) continue;
                                for (int kx = 0; kx < c->kw; kx++) {
                                    int64_t ix = xx * c->stride_w - c->pad_left + kx;
                                    if (ix < 0 || ix >= W) continue;
                                    s += (double)c->weight[((co * c->cin + ci) * c->kh + ky) * c->kw + kx] *
                                         a->x[((bb * c->cin + ci) * H + iy) * W + ix];
                                }
                            }
                        o->x[((bb * c->cout + co) * Ho + y) * Wo + xx] = (float)s;
                    }
        break;
    }
    case CPOSE_VIEW_SILU:
        for (int64_t i = 0; i < N; i++) o->x[i] = a->x[i] / (1.0f + expf(-a->x[i]));
        break;
    case CPOSE_VIEW_SIGMOID:
        for (int64_t i = 0; i < N; i++) o->x[i] = 1.0f / (1.0f + expf(-a->x[i]));
        break;
    case CPOSE_VIEW_ADD:
    case CPOSE_VIEW_SUB:
    case CPOSE_VIEW_MUL:
    case CPOSE_VIEW_DIV: {
        /* numpy broadcasting: align trailing dims, size-1 dims repeat */
        int64_t sa[8] = {0}, sb[8] = {0};
        strides(a, as), strides(b, bs);
        for (int i = 0; i < o->ndim; i++) {
            int ia = i - (o->ndim - a->ndim), ib = i - (o->ndim - b->ndim);
            sa[i] = ia >= 0 && a->d[ia] > 1 ? as[ia] : 0;
            sb[i] = ib >= 0 && b->d[ib] > 1 ? bs[ib] : 0;
        }
        for (int64_t i = 0; i < N; i++) {
            int64_t r = i, pa = 0, pb = 0;
            for (int k = 0; k < o->ndim; k++) idx[k] = r / os[k], r %= os[k], pa += idx[k] * sa[k], pb += idx[k] * sb[k];
            o->x[i] = bin(n->op, a->x[pa], b->x[pb]);
        }
        break;
    }
    case CPOSE_VIEW_CONCAT: {
        int ax = n->p.axis;
        int64_t outer = 1, inner = 1, off = 0;
        for (int k = 0; k < ax; k++) outer *= o->d[k];
        for (int k = ax + 1; k < o->ndim; k++) inner *= o->d[k];
        for (int j = 0; j < n->n_in; j++) {
            const struct rt *t = &v[n->in[j]];
            int64_t cj = t->d[ax];
            for (int64_t q = 0; q < outer; q++)
                memcpy(o->x + (q * o->d[ax] + off) * inner, t->x + q * cj * inner, cj * inner * sizeof(float));
            off += cj;
        }
        break;
    }
    case CPOSE_VIEW_SLICE: {
        int ax = n->p.slice.axis;
        int64_t outer = 1, inner = 1, len = n->p.slice.end - n->p.slice.start;
        for (int k = 0; k < ax; k++) outer *= o->d[k];
        for (int k = ax + 1; k < o->ndim; k++) inner *= o->d[k];
        for (int64_t q = 0; q < outer; q++)
            memcpy(o->x + q * len * inner, a->x + (q * a->d[ax] + n->p.slice.start) * inner, len * inner * sizeof(float));
        break;
    }
    case CPOSE_VIEW_MAXPOOL: {
        const struct cpose_view_pool *p = &n->p.pool;
        int64_t H = a->d[2], W = a->d[3], Ho = o->d[2], Wo = o->d[3];
        for (int64_t bc = 0; bc < o->d[0] * o->d[1]; bc++)
            for (int64_t y = 0; y < Ho; y++)
                for (int64_t xx = 0; xx < Wo; xx++) {
                    float m = -INFINITY;
                    for (int ky = 0; ky < p->kh; ky++)
                        for (int kx = 0; kx < p->kw; kx++) {
                            int64_t iy = y * p->stride_h - p->pad_top + ky, ix = xx * p->stride_w - p->pad_left + kx;
                            if (iy >= 0 && iy < H && ix >= 0 && ix < W) m = fmaxf(m, a->x[(bc * H + iy) * W + ix]);
                        }
                    o->x[(bc * Ho + y) * Wo + xx] = m;
                }
        break;
    }
    case CPOSE_VIEW_UPSAMPLE: {
        int64_t H = a->d[2], W = a->d[3], Ho = o->d[2], Wo = o->d[3];
        for (int64_t bc = 0; bc < o->d[0] * o->d[1]; bc++)
            for (int64_t y = 0; y < Ho; y++)
                for (int64_t xx = 0; xx < Wo; xx++)
                    o->x[(bc * Ho + y) * Wo + xx] = a->x[(bc * H + y / n->p.upsample.scale_h) * W + xx / n->p.upsample.scale_w];
        break;
    }
    case CPOSE_VIEW_RESHAPE: memcpy(o->x, a->x, N * sizeof(float)); break;
    case CPOSE_VIEW_TRANSPOSE:
        strides(a, as);
        for (int64_t i = 0; i < N; i++) {
            int64_t r = i, p = 0;
            for (int k = 0; k < o->ndim; k++) idx[k] = r / os[k], r %= os[k], p += idx[k] * as[n->p.transpose.perm[k]];
            o->x[i] = a->x[p];
        }
        break;
    case CPOSE_VIEW_SOFTMAX: {
        int ax = n->p.axis;
        int64_t outer = 1, inner = 1, L = o->d[ax];
        for (int k = 0; k < ax; k++) outer *= o->d[k];
        for (int k = ax + 1; k < o->ndim; k++) inner *= o->d[k];
        for (int64_t q = 0; q < outer; q++)
            for (int64_t r = 0; r < inner; r++) {
                const float *s = a->x + q * L * inner + r;
                float *d = o->x + q * L * inner + r, m = -INFINITY;
                double sum = 0;
                for (int64_t l = 0; l < L; l++) m = fmaxf(m, s[l * inner]);
                for (int64_t l = 0; l < L; l++) sum += d[l * inner] = expf(s[l * inner] - m);
                for (int64_t l = 0; l < L; l++) d[l * inner] = (float)(d[l * inner] / sum);
            }
        break;
    }
    default: CHECK_MSG(0, "unknown view op %d at %s", n->op, n->name);
    }
}

/* Runs the view on input; returns the output tensor's data (malloc'ed) and frees the rest. */
static float *run_view(const struct cpose_view *v, const float *input)
{
    struct rt *vals = calloc((size_t)v->n_nodes, sizeof *vals);
    for (int i = 0; i < v->n_nodes; i++) eval_node(CPOSE_VIEW_NODE(v, i), vals, &vals[i], input);
    float *out = vals[v->output].x;
    for (int i = 0; i < v->n_nodes; i++)
        if (i != v->output) free(vals[i].x);
    free(vals);
    return out;
}


int main(void)
{
    struct cpose_model *m = NULL;
    const char *fix = tl_fixtures();
    char wpath[4200];
    snprintf(wpath, sizeof wpath, "%s/ultralytics/yolov8n-pose-seed0-bncal.h5", fix ? fix : "");
    if (fix && access(wpath, R_OK) == 0) {
        CHECK(cpose_model_load(wpath, NULL, &m) == CPOSE_OK);
        printf("weights: %s\n", wpath);
    } else {
        CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 0, &m) == CPOSE_OK);
        tl_spread_bn(m);
        printf("weights: generated yolov8n-pose.yaml, seed 0 (fixtures absent)\n");
    }
    const int64_t B = 2, H = 64, W = 96;
    struct cpose_view_store *s = NULL;
    CHECK(cpose_view_build(m, B, H, W, &s) == CPOSE_OK);
    const struct cpose_view *v = cpose_view_of(s);
    const struct cpose_view_node *in = CPOSE_VIEW_NODE(v, v->input), *out = CPOSE_VIEW_NODE(v, v->output);
    CHECK(in->op == CPOSE_VIEW_INPUT && !strcmp(in->name, "images"));
    CHECK(in->dims[0] == B && in->dims[1] == 3 && in->dims[2] == H && in->dims[3] == W);
    int64_t A = (H / 8) * (W / 8) + (H / 16) * (W / 16) + (H / 32) * (W / 32);
    CHECK(out->ndim == 3 && out->dims[0] == B && out->dims[1] == 56 && out->dims[2] == A);
    /* topological order, unique names, the head's primitives present, anchors as defined */
    int counts[CPOSE_VIEW_OP_COUNT] = {0}, topo = 1, unique = 1, anchors_ok = 1;
    for (int i = 0; i < v->n_nodes; i++) {
        const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
        counts[n->op]++;
        for (int j = 0; j < n->n_in; j++) topo &= n->in[j] < i;
        for (int k = 0; k < i; k++) unique &= strcmp(n->name, CPOSE_VIEW_NODE(v, k)->name) != 0;
        if (n->op == CPOSE_VIEW_ANCHORS) {
            const struct cpose_view_node *lv = CPOSE_VIEW_NODE(v, n->in[0]);
            int64_t h = lv->dims[2], w = lv->dims[3];
            anchors_ok &= n->dims[2] == h * w;
            for (int64_t q = 0; q < h * w; q++)
                anchors_ok &= n->data[q] == (float)(q % w) + 0.5f && n->data[h * w + q] == (float)(q / w) + 0.5f;
        }
    }
    CHECK(topo);
    CHECK(unique);
    CHECK(anchors_ok);
    CHECK(counts[CPOSE_VIEW_ANCHORS] == 3 && counts[CPOSE_VIEW_SOFTMAX] == 3 && counts[CPOSE_VIEW_TRANSPOSE] == 3);
    /* one Conv per 4-D weight of the state_dict (the DFL's once per level), one SiLU per BatchNorm */
    int n_w4 = 0, n_bn = 0;
    for (size_t i = 0; i < m->params.len; i++) {
        const struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
        n_w4 += p->ndim == 4 && !strstr(p->name, ".dfl.");
        n_bn += strstr(p->name, ".bn.weight") != NULL;
    }
    CHECK_MSG(counts[CPOSE_VIEW_CONV] == n_w4 + 3, "%d convs, want %d", counts[CPOSE_VIEW_CONV], n_w4 + 3);
    CHECK_MSG(counts[CPOSE_VIEW_SILU] == n_bn, "%d SiLU, want %d", counts[CPOSE_VIEW_SILU], n_bn);
    CHECK(!strcmp(CPOSE_VIEW_NODE(v, 1)->p.conv.weight_name, "model.0.conv.weight"));
    /* the expanded graph vs cpose's fused engine (pose_head op) on the same input */
    float *x = malloc((size_t)(B * 3 * H * W) * sizeof(float));
    uint64_t r = 1;
    for (int64_t i = 0; i < B * 3 * H * W; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((r >> 40) & 0xffff) / 65535.0f;
    }
    float *ref = malloc((size_t)(B * 56 * A) * sizeof(float));
    CHECK(cpose_model_predict(m, x, B, H, W, ref) == CPOSE_OK);
    float *got = run_view(v, x);
    double dcoord = 0, dprob = 0, spread = 0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < 56; c++)
            for (int64_t a = 0; a < A; a++) {
                int64_t i = (b * 56 + c) * A + a;
                double d = fabs(got[i] - ref[i]);
                int prob = c == 4 || (c >= 5 && (c - 5) % 3 == 2);
                if (prob) dprob = fmax(dprob, d);
                else dcoord = fmax(dcoord, d);
                if (c == 0) spread = fmax(spread, fabs(ref[i] - ref[(b * 56) * A]));
            }
    printf("view vs engine: max |d| coords %.3g px, scores/visibility %.3g (box x spread %.1f px)\n", dcoord, dprob, spread);
    CHECK(dcoord <= 1e-2);
    CHECK(dprob <= 1e-4);
    CHECK(spread > 1.0);  /* the outputs are not flat, so the comparison means something */
    /* a broken expansion is caught: drop the keypoint ×2 and the check must fail */
    for (int i = 0; i < v->n_nodes; i++) {
        struct cpose_view_node *n = (struct cpose_view_node *)CPOSE_VIEW_NODE(v, i);
        if (n->op == CPOSE_VIEW_CONST && strstr(n->name, ".l0.two")) *(float *)n->data = 1.0f;
    }
    float *bad = run_view(v, x);
    double dbad = 0;
    for (int64_t i = 0; i < B * 56 * A; i++) dbad = fmax(dbad, fabs(bad[i] - ref[i]));
    CHECK(dbad > 1e-2);
    free(bad), free(got), free(ref), free(x);
    cpose_view_store_free(s);
    /* sizes that are not multiples of the stride are refused with the numbers */
    CHECK(cpose_view_build(m, 1, 100, 640, &s) == CPOSE_EINVAL && s == NULL);
    CHECK_CONTAINS(cpose_errmsg(), "multiples of 32");
    cpose_model_free(m);
    return tl_finish();
}
