/* tests/test_exec_views.c — the executor's views (concat inputs written in place, slices as views)
 * give exactly the values of the copy path, on a graph with YOLOv8's patterns (C2f with a
 * shortcut, SPPF, upsample + concat, a head concat with a padded tail, unaligned and conflicting
 * concats), in nChw8c and nChw16c; and the views are really taken (storage addresses). Also the
 * shortcut add folded into its conv as a residual input. */
/* cpose-layer: nn */
#include "core/nn/exec.h"
#include "core/nn/graph.h"
#include "core/nn/kernels.h"
#include "tests/testlib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 33) & 0xffffff) / 16777215.0f * 2 - 1;
}

static float *weights[64];
static int n_weights;

static int conv(struct cpose_graph *g, int x, int cin, int cout, int k, int s, int layout, uint64_t *seed)
{
    struct cpose_conv2d_params *p = cpose_calloc(1, sizeof *p);
    float *w = malloc(sizeof(float) * (cout * cin * k * k + cout));
    float sc = 1.5f / sqrtf((float)(cin * k * k));
    for (int i = 0; i < cout * cin * k * k; i++) w[i] = frand(seed) * sc;
    for (int i = 0; i < cout; i++) w[cout * cin * k * k + i] = 0.1f * frand(seed);
    weights[n_weights++] = w;
    *p = (struct cpose_conv2d_params){.cin = cin, .cout = cout, .k = k, .stride = s, .pad = k / 2,
                                      .act = CPOSE_ACT_SILU, .out_layout = layout, .weight = w,
                                      .bias = w + cout * cin * k * k};
    return cpose_graph_add(g, CPOSE_OP_conv2d, &x, 1, p, "conv");
}

static int op1(struct cpose_graph *g, int op, int x, void *params)
{
    return cpose_graph_add(g, op, &x, 1, params, cpose_op_get(op)->name);
}

static int slice(struct cpose_graph *g, int x, int start, int len)
{
    struct cpose_slice_params *p = cpose_calloc(1, sizeof *p);
    *p = (struct cpose_slice_params){start, len};
    return op1(g, CPOSE_OP_slice, x, p);
}

static int pool(struct cpose_graph *g, int x)
{
    struct cpose_maxpool2d_params *p = cpose_calloc(1, sizeof *p);
    *p = (struct cpose_maxpool2d_params){5, 1, 2};
    return op1(g, CPOSE_OP_maxpool2d, x, p);
}

static int cat(struct cpose_graph *g, const int *in, int n) { return cpose_graph_add(g, CPOSE_OP_concat, in, n, NULL, "cat"); }

/* Node ids the address checks look at. */
struct ids { int c2, cv1, split, m0, m1, c2f, sppf_cv1, p1, p2, p3, sppf, down, up, mid, pan, box, cls, level, unal, conflict, out; };

static struct cpose_graph *build(int layout, struct ids *d)
{
    uint64_t seed = 11;
    struct cpose_graph *g = cpose_graph_new();
    int x = cpose_graph_add(g, CPOSE_OP_input, NULL, 0, NULL, "input");
    x = conv(g, x, 3, 16, 3, 1, layout, &seed);
    /* C2f(16 → 16, n = 2, first bottleneck with shortcut) */
    d->cv1 = conv(g, x, 16, 16, 1, 1, layout, &seed);
    d->split = slice(g, d->cv1, 8, 8);
    int b = conv(g, d->split, 8, 8, 3, 1, layout, &seed);
    b = conv(g, b, 8, 8, 3, 1, layout, &seed);
    int ab[2] = {d->split, b};
    d->m0 = cpose_graph_add(g, CPOSE_OP_add, ab, 2, NULL, "add");
    b = conv(g, d->m0, 8, 8, 3, 1, layout, &seed);
    d->m1 = conv(g, b, 8, 8, 3, 1, layout, &seed);
    d->c2f = cat(g, (int[]){d->cv1, d->m0, d->m1}, 3);
    d->mid = conv(g, d->c2f, 32, 16, 1, 1, layout, &seed);
    /* SPPF */
    d->sppf_cv1 = conv(g, d->mid, 16, 8, 1, 1, layout, &seed);
    d->p1 = pool(g, d->sppf_cv1), d->p2 = pool(g, d->p1), d->p3 = pool(g, d->p2);
    d->sppf = cat(g, (int[]){d->sppf_cv1, d->p1, d->p2, d->p3}, 4);
    x = conv(g, d->sppf, 32, 16, 1, 1, layout, &seed);
    /* down, up, concat with a tensor that is also read elsewhere (mid feeds the SPPF too) */
    d->down = conv(g, x, 16, 16, 3, 2, layout, &seed);
    struct cpose_upsample_params *up = cpose_calloc(1, sizeof *up);
    up->scale = 2;
    d->up = op1(g, CPOSE_OP_upsample, d->down, up);
    d->pan = cat(g, (int[]){d->up, d->mid}, 2);
    /* head level: 64 + 1 channels (the tail block's padding comes from the 1-channel conv) */
    d->box = conv(g, d->pan, 32, 64, 1, 1, layout, &seed);
    d->cls = conv(g, d->pan, 32, 1, 1, 1, layout, &seed);
    d->level = cat(g, (int[]){d->box, d->cls}, 2);
    /* unaligned concat (5 + 1 channels) of a tensor already placed elsewhere: copies */
    int five = conv(g, d->pan, 32, 5, 1, 1, layout, &seed);
    d->unal = cat(g, (int[]){five, d->cls}, 2);
    /* C2-style concat(m(a), b) of the two halves a, b of one tensor: b's storage cannot move into
     * the concat (its other half would sit under m(a)): copies */
    int c2 = d->c2 = conv(g, d->sppf, 32, 16, 1, 1, layout, &seed);
    int a = slice(g, c2, 0, 8), bh = slice(g, c2, 8, 8);
    d->conflict = cat(g, (int[]){conv(g, a, 8, 8, 3, 1, layout, &seed), bh}, 2);
    x = conv(g, d->level, 65, 8, 1, 1, layout, &seed);
    int y = conv(g, d->unal, 6, 8, 1, 1, layout, &seed);
    int z = conv(g, d->conflict, 16, 8, 3, 2, layout, &seed);
    struct cpose_upsample_params *up2 = cpose_calloc(1, sizeof *up2);
    up2->scale = 2;
    z = op1(g, CPOSE_OP_upsample, z, up2);
    g->output = d->out = cat(g, (int[]){x, y, z}, 3);
    return g;
}

/* Runs g with views on or off, every node kept or only the output; returns each node's values
 * as NCHW (a malloc'ed array per node, NULL for non-4-D) and the executor (caller frees). */
static struct cpose_exec *run(struct cpose_graph *g, const float *img, int N, int H, int W, int views, int keep_all,
                              float **vals)
{
    int n = cpose_graph_size(g);
    char *keep = calloc(n, 1);
    memset(keep, keep_all, n);
    struct cpose_exec *e = NULL;
    CHECK(cpose_exec_new(g, keep, &e) == CPOSE_OK);
    cpose_exec_set_input_layout(e, CPOSE_LAYOUT_PLAIN);
    cpose_exec_set_views(e, views);
    CHECK_MSG(cpose_exec_run(e, img, N, 3, H, W, 0) == CPOSE_OK, "%s", cpose_errmsg());
    for (int i = 0; i < n; i++) {
        const struct cpose_tensor *t = cpose_exec_tensor(e, i);
        vals[i] = NULL;
        if ((!keep_all && i != g->output) || t->ndim != 4) continue;
        vals[i] = malloc(sizeof(float) * cpose_tensor_numel(t));
        cpose_tensor_to_nchw(t, vals[i]);
    }
    free(keep);
    return e;
}

static void compare(const char *what, const float *a, const float *b, int64_t n)
{
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) bad += a[i] != b[i] || isnan(a[i]);
    CHECK_MSG(bad == 0, "%s: %lld of %lld values differ between views and copies", what, (long long)bad, (long long)n);
}

static void test_layout(int layout, int H, int W)
{
    struct ids d;
    n_weights = 0;
    struct cpose_graph *g = build(layout, &d);
    int n = cpose_graph_size(g);
    uint64_t seed = 3;
    float *img = malloc(sizeof(float) * 2 * 3 * H * W);
    for (int i = 0; i < 2 * 3 * H * W; i++) img[i] = frand(&seed);
    float **on = calloc(n, sizeof *on), **off = calloc(n, sizeof *off), **lean = calloc(n, sizeof *lean);
    char what[64];
    for (int keep_all = 1; keep_all >= 0; keep_all--) {
        struct cpose_exec *e_on = run(g, img, 1, H, W, 1, keep_all, on);
        struct cpose_exec *e_off = run(g, img, 1, H, W, 0, keep_all, off);
        for (int i = 0; i < n; i++)
            if (on[i] && off[i]) {
                snprintf(what, sizeof what, "%s %dx%d node %d (%s)%s", cpose_layout_name(layout), H, W, i,
                         cpose_op_get(cpose_graph_node(g, i)->op)->name, keep_all ? "" : " lean");
                compare(what, on[i], off[i], cpose_tensor_numel(cpose_exec_tensor(e_on, i)));
            }
        /* where things live: views share storage, the copy path does not */
        int64_t HW = (int64_t)H * W;
#define AT(id) (cpose_exec_tensor(e_on, (id))->data)
#define AT_OFF(id) (cpose_exec_tensor(e_off, (id))->data)
        if (layout == CPOSE_LAYOUT_BLK8) {  /* (in nChw16c the 8-channel slots are not block-aligned) */
            CHECK(AT(d.split) == AT(d.cv1) + 8 * HW && AT(d.cv1) == AT(d.c2f));
            CHECK(AT(d.m0) == AT(d.c2f) + 16 * HW && AT(d.m1) == AT(d.c2f) + 24 * HW);
            CHECK(AT(d.sppf_cv1) == AT(d.sppf) && AT(d.p1) == AT(d.sppf) + 8 * HW && AT(d.p3) == AT(d.sppf) + 24 * HW);
            CHECK(AT(d.up) == AT(d.pan) && AT(d.mid) == AT(d.pan) + 16 * HW);
            CHECK(AT(d.box) == AT(d.level) && AT(d.cls) == AT(d.level) + 64 * HW);
            CHECK(AT(d.unal) != AT(d.cls) && AT(d.conflict) != AT(d.c2));
            CHECK(AT_OFF(d.split) != AT_OFF(d.cv1) + 8 * HW && AT_OFF(d.cv1) != AT_OFF(d.c2f));
        }
        if (keep_all) {
            /* the concat of a padded tail keeps zero padding (the next conv reads it) */
            const struct cpose_tensor *lv = cpose_exec_tensor(e_on, d.level);
            int64_t b = cpose_layout_block(layout), nz = 0;
            for (int64_t q = 0; q < HW; q++)
                for (int64_t l = 65 % b; l < b; l++) nz += lv->data[(64 / b) * HW * b + q * b + l] != 0.0f;
            CHECK_MSG(nz == 0, "%lld nonzero padding values in the level concat", (long long)nz);
        }
        for (int i = 0; i < n; i++) free(on[i]), free(off[i]);
        cpose_exec_free(e_on), cpose_exec_free(e_off);
    }
    /* a batch of two, image 0 as alone (batch 1 and batch N may pick other oneDNN kernels) */
    struct cpose_exec *e2 = run(g, img, 2, H, W, 1, 0, lean);
    struct cpose_exec *e1 = run(g, img, 1, H, W, 1, 0, on);
    const struct cpose_tensor *o2 = cpose_exec_tensor(e2, g->output);
    int64_t per = cpose_tensor_numel(o2) / 2;
    double err = 0;
    for (int64_t i = 0; i < per; i++) err = fmax(err, fabs(lean[g->output][i] - on[g->output][i]));
    CHECK_MSG(err < 1e-5, "%s batch 2 image 0 vs batch 1: max |diff| %g", cpose_layout_name(layout), err);
    for (int i = 0; i < n; i++) free(on[i]), free(lean[i]);
    cpose_exec_free(e1), cpose_exec_free(e2);
    free(on), free(off), free(lean), free(img);
    cpose_graph_free(g);
    for (int i = 0; i < n_weights; i++) free(weights[i]);
}

/* The inference fusion folds the shortcut add into its conv (a residual input): same values. */
static void test_residual(int layout, int H, int W)
{
    struct ids d;
    n_weights = 0;
    struct cpose_graph *g = build(layout, &d), *f = NULL;
    int n = cpose_graph_size(g), *map = malloc(n * sizeof(int));
    CHECK(cpose_graph_fuse(g, &f, map) == CPOSE_OK);
    CHECK_MSG(cpose_graph_size(f) == n - 1, "fused graph has %d nodes, want %d", cpose_graph_size(f), n - 1);
    const struct cpose_node *c = cpose_graph_node(f, map[d.m0]);
    CHECK(c->op == CPOSE_OP_conv2d && c->n_in == 2 && c->in[1] == map[d.split]);
    uint64_t seed = 5;
    float *img = malloc(sizeof(float) * 3 * H * W);
    for (int i = 0; i < 3 * H * W; i++) img[i] = frand(&seed);
    float **a = calloc(n, sizeof *a), **b = calloc(cpose_graph_size(f), sizeof *b);
    struct cpose_exec *ea = run(g, img, 1, H, W, 0, 0, a), *eb = run(f, img, 1, H, W, 1, 0, b);
    const struct cpose_tensor *o = cpose_exec_tensor(ea, g->output);
    double err = 0;
    for (int64_t i = 0; i < cpose_tensor_numel(o); i++) err = fmax(err, fabs(a[g->output][i] - b[f->output][i]));
    CHECK_MSG(err <= 1e-6, "%s residual fusion: max |diff| %g", cpose_layout_name(layout), err);
    for (int i = 0; i < n; i++) free(a[i]);
    for (int i = 0; i < cpose_graph_size(f); i++) free(b[i]);
    cpose_exec_free(ea), cpose_exec_free(eb);
    free(a), free(b), free(img), free(map);
    cpose_graph_free(f), cpose_graph_free(g);
    for (int i = 0; i < n_weights; i++) free(weights[i]);
}

/* Batch N (1, 2 and an odd 3): views (channel ranges strided per image, ops run image by image
 * on them) give exactly the copy path's values, every node kept and only the output kept; in the
 * lean run the views are really taken (image 0's addresses; the last image's values prove the
 * stride), and kept nodes stay dense (their values are read through cpose_exec_tensor). */
static void test_batch(int layout, int H, int W, int N)
{
    struct ids d;
    n_weights = 0;
    struct cpose_graph *g = build(layout, &d);
    int n = cpose_graph_size(g);
    uint64_t seed = 7 + N;
    float *img = malloc(sizeof(float) * N * 3 * H * W);
    for (int i = 0; i < N * 3 * H * W; i++) img[i] = frand(&seed);
    float **on = calloc(n, sizeof *on), **off = calloc(n, sizeof *off);
    char what[96];
    for (int keep_all = 1; keep_all >= 0; keep_all--) {
        struct cpose_exec *e_on = run(g, img, N, H, W, 1, keep_all, on);
        struct cpose_exec *e_off = run(g, img, N, H, W, 0, keep_all, off);
        for (int i = 0; i < n; i++)
            if (on[i] && off[i]) {
                snprintf(what, sizeof what, "%s %dx%d batch %d node %d (%s)%s", cpose_layout_name(layout), H, W, N, i,
                         cpose_op_get(cpose_graph_node(g, i)->op)->name, keep_all ? "" : " lean");
                compare(what, on[i], off[i], cpose_tensor_numel(cpose_exec_tensor(e_on, i)));
            }
        int64_t HW = (int64_t)H * W;
        if (!keep_all && layout == CPOSE_LAYOUT_BLK8) {
            CHECK(AT(d.split) == AT(d.cv1) + 8 * HW && AT(d.cv1) == AT(d.c2f));
            CHECK(AT(d.m0) == AT(d.c2f) + 16 * HW && AT(d.m1) == AT(d.c2f) + 24 * HW);
            CHECK(AT(d.sppf_cv1) == AT(d.sppf) && AT(d.p3) == AT(d.sppf) + 24 * HW);
            CHECK(AT(d.up) == AT(d.pan) && AT(d.mid) == AT(d.pan) + 16 * HW);
            CHECK(AT(d.box) == AT(d.level) && AT(d.cls) == AT(d.level) + 64 * HW);
            CHECK(AT(d.unal) != AT(d.cls) && AT(d.conflict) != AT(d.c2));
        }
        if (keep_all && N > 1) /* kept nodes are dense: no kept node inside another's storage */
            CHECK(AT(d.m0) != AT(d.c2f) + 16 * HW && AT(d.split) != AT(d.cv1) + 8 * HW);
        for (int i = 0; i < n; i++) free(on[i]), free(off[i]);
        cpose_exec_free(e_on), cpose_exec_free(e_off);
    }
    free(on), free(off), free(img);
    cpose_graph_free(g);
    for (int i = 0; i < n_weights; i++) free(weights[i]);
}

int main(void)
{
    test_residual(CPOSE_LAYOUT_BLK8, 12, 12);
    test_residual(CPOSE_LAYOUT_NHWC, 10, 6);
    test_layout(CPOSE_LAYOUT_BLK8, 12, 12);
    test_layout(CPOSE_LAYOUT_BLK8, 10, 6);
    test_layout(CPOSE_LAYOUT_BLK16, 10, 6);
    for (int N = 1; N <= 3; N++) {
        test_batch(CPOSE_LAYOUT_BLK8, 12, 12, N);
        test_batch(CPOSE_LAYOUT_BLK16, 10, 6, N);
        test_batch(CPOSE_LAYOUT_NHWC, 10, 6, N);
    }
    return tl_finish();
}
