/* exporters/paddle/paddle_export.c — the PaddlePaddle exporter plugin (cpose-export-paddle.so): the
 * graph view as a Paddle inference model (FORMATS.md §12) in `<stem>_paddle_model/`, laid out as the
 * v8-era Ultralytics export (x2paddle) leaves it and its AutoBackend reads it:
 * `inference_model/model.pdmodel` (a paddle.framework.proto ProgramDesc), `inference_model/
 * model.pdiparams` (save_combine's parameter stream) and `metadata.yaml` (AutoBackend looks for it
 * at w.parents[1], w being the .pdmodel).
 *
 * Translation, one block: feed (X "feed", Out "x0", col 0) → x0 [B,3,H,W]; Conv → conv2d (Input,
 * Filter OIHW; paddings [ph, pw], or [top, bottom, left, right] when uneven; padding_algorithm
 * EXPLICIT) + elementwise_add of the [C] bias with axis 1; SiLU → silu; Sigmoid → sigmoid;
 * Add/Sub/Mul/Div → elementwise_* (axis -1, numpy broadcasting; constants are persistable vars);
 * Concat → concat; Slice → slice (axes/starts/ends); MaxPool → pool2d (max, EXPLICIT paddings);
 * Upsample → nearest_interp_v2 (scale [h, w], align_corners false); Reshape → reshape2 and
 * Transpose → transpose2 (each with its XShape output); Softmax → softmax; the Anchors and other
 * constants → persistable vars; then fetch (X output, Out "fetch", col 0). Everything is fp32:
 * Ultralytics' paddle export takes imgsz and batch only, so half=True and int8=True are refused. */
#include <stdio.h>
#include <string.h>

#include "exporters/common/meta_yaml.h"
#include "exporters/paddle/paddle_program.h"
#include "plugins/cpose_plugin.h"

static const struct cpose_plugin_arg paddle_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size of the input"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "refused: Ultralytics' paddle export is fp32 (it takes imgsz and batch)"},
    {"int8", CPOSE_PLUGIN_ARG_BOOL, "False", "refused: Ultralytics' paddle export is fp32"},
    {NULL, 0, NULL, NULL},
};

struct writer {
    const struct cpose_host *h;
    struct cpose_export *x;
    const struct cpose_view *v;
    struct pd_program p;
    char **var;  /* per node: the name of its value's variable (host-allocated) */
};

static char *dup(const struct cpose_host *h, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = h->alloc(n);
    memcpy(d, s, n);
    return d;
}

static const struct cpose_view_node *node(const struct writer *w, int i) { return CPOSE_VIEW_NODE(w->v, i); }

/* Declares node i's value variable with the node's dims. */
static void value_var(struct writer *w, int i)
{
    const struct cpose_view_node *n = node(w, i);
    pd_var(&w->p, w->var[i], n->dims, n->ndim, 0, NULL);
}

/* Declares a parameter var named name — unless one of that name already holds the same data (the
 * DFL conv, shared by the head's levels), which is reused; another parameter of that name gets a
 * "#<n>" suffix (name is updated). */
static void param(struct writer *w, char *name, size_t cap, const int64_t *dims, int nd, const float *data)
{
    size_t len = strlen(name);
    for (int n = 1;; n++) {
        const struct pd_var *same = NULL;
        for (int k = 0; k < w->p.n_vars && !same; k++)
            if (!strcmp(w->p.vars[k].name, name)) same = &w->p.vars[k];
        if (!same) break;
        if (same->persistable && same->data == data && same->ndim == nd && !memcmp(same->dims, dims, (size_t)nd * 8)) return;
        snprintf(name + len, cap - len, "#%d", n);
    }
    pd_var(&w->p, name, dims, nd, 1, data);
}

static void ints32(int32_t *out, const int64_t *in, int n)
{
    for (int k = 0; k < n; k++) out[k] = (int32_t)in[k];
}

/* conv2d + pool2d paddings: [ph, pw] when each axis is even, else [top, bottom, left, right]. */
static int paddings(int32_t out[4], int top, int left, int bottom, int right)
{
    if (top == bottom && left == right) {
        out[0] = top, out[1] = left;
        return 2;
    }
    out[0] = top, out[1] = bottom, out[2] = left, out[3] = right;
    return 4;
}

/* A one-input op `type` reading node i's input 0 into node i's value. */
static void unary(struct writer *w, int i, const char *type, const char *in_slot, const char *out_slot)
{
    struct pd_op op;
    pd_op_begin(&w->p, &op);
    pd_in(&op, in_slot, w->var[node(w, i)->in[0]]);
    pd_out(&op, out_slot, w->var[i]);
    pd_type(&op, type);
    pd_op_end(&w->p, &op);
}

static int write_node(struct writer *w, int i)
{
    const struct cpose_host *h = w->h;
    const struct cpose_view_node *n = node(w, i);
    const char *in0 = n->n_in > 0 ? w->var[n->in[0]] : NULL;
    struct pd_op op;
    char name[512];
    int32_t iv[CPOSE_VIEW_MAX_DIMS];
    switch (n->op) {
    case CPOSE_VIEW_INPUT: {
        int k = pd_var(&w->p, w->var[i], n->dims, n->ndim, 0, NULL);
        w->p.vars[k].need_check_feed = 1;
        pd_op_begin(&w->p, &op);
        pd_in(&op, "X", "feed");
        pd_out(&op, "Out", w->var[i]);
        pd_type(&op, "feed");
        pd_attr_int(&op, "col", 0);
        pd_op_end(&w->p, &op);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_CONST:
    case CPOSE_VIEW_ANCHORS: {
        if (!n->data) return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': a constant without data", n->name);
        int64_t one = 1;
        if (n->ndim == 0) pd_var(&w->p, w->var[i], &one, 1, 1, n->data);
        else pd_var(&w->p, w->var[i], n->dims, n->ndim, 1, n->data);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_CONV: {
        const struct cpose_view_conv *c = &n->p.conv;
        char wname[512], bname[512];
        snprintf(wname, sizeof wname, "%s", c->weight_name ? c->weight_name : "");
        if (!*wname) snprintf(wname, sizeof wname, "%s.weight", n->name);
        snprintf(bname, sizeof bname, "%s", c->bias_name ? c->bias_name : "");
        if (!*bname) snprintf(bname, sizeof bname, "%s.bias", n->name);
        int64_t wd[4] = {c->cout, c->cin / c->groups, c->kh, c->kw}, bd = c->cout;
        param(w, wname, sizeof wname, wd, 4, c->weight);
        param(w, bname, sizeof bname, &bd, 1, c->bias);
        snprintf(name, sizeof name, "%s/conv2d", n->name);
        pd_var(&w->p, name, n->dims, n->ndim, 0, NULL);
        pd_op_begin(&w->p, &op);
        pd_in(&op, "Input", in0);
        pd_in(&op, "Filter", wname);
        pd_out(&op, "Output", name);
        pd_type(&op, "conv2d");
        const int32_t st[2] = {c->stride_h, c->stride_w}, dl[2] = {c->dilation_h, c->dilation_w};
        int32_t pd[4];
        int np = paddings(pd, c->pad_top, c->pad_left, c->pad_bottom, c->pad_right);
        pd_attr_ints(&op, "strides", st, 2);
        pd_attr_ints(&op, "paddings", pd, np);
        pd_attr_str(&op, "padding_algorithm", "EXPLICIT");
        pd_attr_ints(&op, "dilations", dl, 2);
        pd_attr_int(&op, "groups", c->groups);
        pd_attr_str(&op, "data_format", "NCHW");
        pd_op_end(&w->p, &op);
        value_var(w, i);
        pd_op_begin(&w->p, &op);
        pd_in(&op, "X", name);
        pd_in(&op, "Y", bname);
        pd_out(&op, "Out", w->var[i]);
        pd_type(&op, "elementwise_add");
        pd_attr_int(&op, "axis", 1);
        pd_op_end(&w->p, &op);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_SILU:
        value_var(w, i);
        unary(w, i, "silu", "X", "Out");
        return CPOSE_PLUGIN_OK;
    case CPOSE_VIEW_SIGMOID:
        value_var(w, i);
        unary(w, i, "sigmoid", "X", "Out");
        return CPOSE_PLUGIN_OK;
    case CPOSE_VIEW_ADD:
    case CPOSE_VIEW_SUB:
    case CPOSE_VIEW_MUL:
    case CPOSE_VIEW_DIV: {
        static const char *const ops[] = {[CPOSE_VIEW_ADD] = "elementwise_add", [CPOSE_VIEW_SUB] = "elementwise_sub",
                                          [CPOSE_VIEW_MUL] = "elementwise_mul", [CPOSE_VIEW_DIV] = "elementwise_div"};
        value_var(w, i);
        pd_op_begin(&w->p, &op);
        pd_in(&op, "X", in0);
        pd_in(&op, "Y", w->var[n->in[1]]);
        pd_out(&op, "Out", w->var[i]);
        pd_type(&op, ops[n->op]);
        pd_attr_int(&op, "axis", -1);
        pd_op_end(&w->p, &op);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_CONCAT: {
        const char *ins[8];
        for (int k = 0; k < n->n_in; k++) ins[k] = w->var[n->in[k]];
        value_var(w, i);
        pd_op_begin(&w->p, &op);
        pd_ins(&op, "X", ins, n->n_in);
        pd_out(&op, "Out", w->var[i]);
        pd_type(&op, "concat");
        pd_attr_int(&op, "axis", n->p.axis);
        pd_op_end(&w->p, &op);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_SLICE: {
        value_var(w, i);
        pd_op_begin(&w->p, &op);
        pd_in(&op, "Input", in0);
        pd_out(&op, "Out", w->var[i]);
        pd_type(&op, "slice");
        const int32_t ax = n->p.slice.axis, s = (int32_t)n->p.slice.start, e = (int32_t)n->p.slice.end, one = 1;
        pd_attr_ints(&op, "axes", &ax, 1);
        pd_attr_ints(&op, "starts", &s, 1);
        pd_attr_ints(&op, "ends", &e, 1);
        pd_attr_ints(&op, "infer_flags", &one, 1);
        pd_attr_ints(&op, "decrease_axis", NULL, 0);
        pd_op_end(&w->p, &op);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_MAXPOOL: {
        const struct cpose_view_pool *pl = &n->p.pool;
        value_var(w, i);
        pd_op_begin(&w->p, &op);
        pd_in(&op, "X", in0);
        pd_out(&op, "Out", w->var[i]);
        pd_type(&op, "pool2d");
        const int32_t ks[2] = {pl->kh, pl->kw}, st[2] = {pl->stride_h, pl->stride_w};
        int32_t pd[4];
        int np = paddings(pd, pl->pad_top, pl->pad_left, pl->pad_bottom, pl->pad_right);
        pd_attr_str(&op, "pooling_type", "max");
        pd_attr_ints(&op, "ksize", ks, 2);
        pd_attr_ints(&op, "strides", st, 2);
        pd_attr_ints(&op, "paddings", pd, np);
        pd_attr_bool(&op, "global_pooling", 0);
        pd_attr_bool(&op, "ceil_mode", 0);
        pd_attr_bool(&op, "exclusive", 1);
        pd_attr_bool(&op, "adaptive", 0);
        pd_attr_str(&op, "padding_algorithm", "EXPLICIT");
        pd_attr_str(&op, "data_format", "NCHW");
        pd_op_end(&w->p, &op);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_UPSAMPLE: {
        value_var(w, i);
        pd_op_begin(&w->p, &op);
        pd_in(&op, "X", in0);
        pd_out(&op, "Out", w->var[i]);
        pd_type(&op, "nearest_interp_v2");
        const float sc[2] = {(float)n->p.upsample.scale_h, (float)n->p.upsample.scale_w};
        pd_attr_str(&op, "data_layout", "NCHW");
        pd_attr_int(&op, "out_d", -1);
        pd_attr_int(&op, "out_h", -1);
        pd_attr_int(&op, "out_w", -1);
        pd_attr_floats(&op, "scale", sc, 2);
        pd_attr_str(&op, "interp_method", "nearest");
        pd_attr_bool(&op, "align_corners", 0);
        pd_attr_int(&op, "align_mode", 1);
        pd_op_end(&w->p, &op);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_RESHAPE:
    case CPOSE_VIEW_TRANSPOSE: {
        const struct cpose_view_node *src = node(w, n->in[0]);
        int64_t xs[CPOSE_VIEW_MAX_DIMS + 1] = {0};
        for (int k = 0; k < src->ndim; k++) xs[k + 1] = src->dims[k];
        snprintf(name, sizeof name, "%s/xshape", n->name);
        value_var(w, i);
        pd_var(&w->p, name, xs, src->ndim + 1, 0, NULL);
        pd_op_begin(&w->p, &op);
        pd_in(&op, "X", in0);
        pd_out(&op, "Out", w->var[i]);
        pd_out(&op, "XShape", name);
        if (n->op == CPOSE_VIEW_RESHAPE) {
            pd_type(&op, "reshape2");
            ints32(iv, n->p.reshape.dims, n->p.reshape.ndim);
            pd_attr_ints(&op, "shape", iv, n->p.reshape.ndim);
        } else {
            pd_type(&op, "transpose2");
            for (int k = 0; k < n->p.transpose.ndim; k++) iv[k] = n->p.transpose.perm[k];
            pd_attr_ints(&op, "axis", iv, n->p.transpose.ndim);
        }
        pd_op_end(&w->p, &op);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_SOFTMAX:
        value_var(w, i);
        pd_op_begin(&w->p, &op);
        pd_in(&op, "X", in0);
        pd_out(&op, "Out", w->var[i]);
        pd_type(&op, "softmax");
        pd_attr_int(&op, "axis", n->p.axis);
        pd_op_end(&w->p, &op);
        return CPOSE_PLUGIN_OK;
    default:
        return h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': op %d has no Paddle form in this exporter", n->name, n->op);
    }
}

static int write_files(struct writer *w, const char *out_path)
{
    const struct cpose_host *h = w->h;
    uint8_t *model = NULL, *params = NULL;
    size_t model_len = 0, params_len = 0;
    const char *what = NULL;
    if (pd_finish(&w->p, &model, &model_len, &params, &params_len, &what))
        return h->error(w->x, CPOSE_PLUGIN_ENOMEM, "encoding the program failed: %s", what ? what : "?");
    size_t plen = strlen(out_path) + 64;
    char *path = h->alloc(plen);
    snprintf(path, plen, "%s/inference_model", out_path);
    int rc = h->make_dir(w->x, path);
    if (rc == CPOSE_PLUGIN_OK) {
        snprintf(path, plen, "%s/inference_model/model.pdmodel", out_path);
        rc = h->write_file(w->x, path, model, model_len);
    }
    if (rc == CPOSE_PLUGIN_OK) {
        snprintf(path, plen, "%s/inference_model/model.pdiparams", out_path);
        rc = h->write_file(w->x, path, params, params_len);
    }
    if (rc == CPOSE_PLUGIN_OK) rc = cpose_write_metadata_yaml(h, w->x, out_path);
    if (rc == CPOSE_PLUGIN_OK)
        h->log(w->x, CPOSE_PLUGIN_LOG_INFO, "ProgramDesc %zu bytes (%d vars, %d ops), %zu parameter bytes", model_len,
               w->p.n_vars, w->p.n_ops, params_len);
    h->free(path), h->free(model), h->free(params);
    return rc;
}

static int export_paddle(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    if (h->arg_bool(x, "half") || h->arg_bool(x, "int8"))
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "%s=True: Ultralytics' PaddlePaddle export is fp32 only (it takes imgsz "
                        "and batch); export with half=False int8=False", h->arg_bool(x, "half") ? "half" : "int8");
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    struct writer w;
    memset(&w, 0, sizeof w);
    w.h = h, w.x = x, w.v = v;
    pd_init(&w.p, h);
    w.var = h->calloc((size_t)v->n_nodes, sizeof(char *));
    for (int i = 0; i < v->n_nodes; i++) w.var[i] = dup(h, i == v->input ? "x0" : node(&w, i)->name);
    pd_holder(&w.p, "feed", PD_FEED_MINIBATCH);
    pd_holder(&w.p, "fetch", PD_FETCH_LIST);
    int rc = CPOSE_PLUGIN_OK;
    for (int i = 0; i < v->n_nodes && rc == CPOSE_PLUGIN_OK; i++) {
        rc = write_node(&w, i);
        if (i % 64 == 0) h->progress(x, 0.8 * i / v->n_nodes, "paddle: ops");
    }
    if (rc == CPOSE_PLUGIN_OK) {
        struct pd_op op;
        pd_op_begin(&w.p, &op);
        pd_in(&op, "X", w.var[v->output]);
        pd_out(&op, "Out", "fetch");
        pd_type(&op, "fetch");
        pd_attr_int(&op, "col", 0);
        pd_op_end(&w.p, &op);
        rc = h->make_dir(x, out_path);
    }
    if (rc == CPOSE_PLUGIN_OK) rc = write_files(&w, out_path);
    h->progress(x, 1.0, "paddle: done");
    for (int i = 0; i < v->n_nodes; i++) h->free(w.var[i]);
    h->free(w.var);
    pd_free(&w.p);
    return rc;
}

static const struct cpose_plugin paddle_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "paddle",
    .suffix = "_paddle_model",
    .is_dir = 1,
    .args = paddle_args,
    .description = "PaddlePaddle (inference_model/model.pdmodel + model.pdiparams + metadata.yaml): feed x0, fetch the "
                   "56 x anchors output",
    .export_model = export_paddle,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &paddle_plugin; }
