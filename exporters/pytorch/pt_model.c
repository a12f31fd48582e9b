/* exporters/pytorch/pt_model.c — the PoseModel module tree as pickle (see pt_model.h). Attribute
 * names and their order follow what torch 1.13's nn.Module and Ultralytics 8.1's classes keep in
 * __dict__ (read from a checkpoint Ultralytics wrote, for the facts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/pytorch/pt_model.h"
#include "exporters/pytorch/yaml_pickle.h"

#define BN_EPS 1e-3
#define BN_MOMENTUM 0.03

struct ptw {
    struct torch_archive *a;
    struct pklw *w;
    const struct cpose_host *h;
    struct cpose_export *x;
    const struct cpose_view *view;
    int dtype;
    int rc;              /* the first error */
    int silu_memo;       /* Ultralytics' Conv.default_act: one SiLU shared by every Conv (-1 before) */
};

/* ---- tensors ---------------------------------------------------------------------------------- */

/* The model parameter of that name, or NULL. */
static int param(struct ptw *p, const char *name, struct cpose_plugin_tensor *t)
{
    int n = p->h->num_params(p->x);
    for (int i = 0; i < n; i++)
        if (p->h->param(p->x, i, t) == 0 && !strcmp(t->name, name)) return 1;
    return 0;
}

/* The view's conv whose weight is named weight_name, or NULL. */
static const struct cpose_view_conv *view_conv(struct ptw *p, const char *weight_name)
{
    for (int i = 0; i < p->view->n_nodes; i++) {
        const struct cpose_view_node *n = CPOSE_VIEW_NODE(p->view, i);
        if (n->op == CPOSE_VIEW_CONV && n->p.conv.weight_name && !strcmp(n->p.conv.weight_name, weight_name))
            return &n->p.conv;
    }
    return NULL;
}

static void missing(struct ptw *p, const char *name)
{
    if (!p->rc)
        p->rc = p->h->error(p->x, CPOSE_PLUGIN_EINVAL, "the model has no parameter '%s' (the .pt writer follows the "
                            "model YAML's layers; was the model built from another YAML?)", name);
}

/* ---- torch.nn.Module state -------------------------------------------------------------------- */

static void od(struct ptw *p) { ta_ordered_dict(p->a); }

/* GLOBAL cls, NEWOBJ, then the dict's MARK and `training`, `_parameters` opened: the caller adds
 * parameter items, then calls mod_buffers. */
static void mod_begin(struct ptw *p, const char *module, const char *cls)
{
    struct pklw *w = p->w;
    pklw_global(w, module, cls);
    pklw_empty_tuple(w);
    pklw_newobj(w);
    pklw_memoize(w);
    pklw_empty_dict(w);
    pklw_mark(w);
    pklw_str(w, "training"), pklw_bool(w, 0);
    pklw_str(w, "_parameters"), od(p), pklw_mark(w);
}

/* Closes _parameters, opens _buffers. */
static void mod_buffers(struct ptw *p) { pklw_setitems(p->w), pklw_str(p->w, "_buffers"), od(p), pklw_mark(p->w); }

/* Closes _buffers, writes the hook dicts, opens _modules. */
static void mod_children(struct ptw *p)
{
    struct pklw *w = p->w;
    pklw_setitems(w);
    pklw_str(w, "_non_persistent_buffers_set");
    pklw_global(w, "__builtin__", "set"), pklw_empty_list(w), pklw_tupleN(w, 1), pklw_reduce(w);
    pklw_str(w, "_backward_hooks"), od(p);
    pklw_str(w, "_is_full_backward_hook"), pklw_none(w);
    static const char *const hooks[] = {"_forward_hooks", "_forward_pre_hooks", "_state_dict_hooks",
                                        "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"};
    for (size_t i = 0; i < sizeof hooks / sizeof *hooks; i++) pklw_str(w, hooks[i]), od(p);
    pklw_str(w, "_modules"), od(p), pklw_mark(w);
}

/* Closes _modules: the caller then adds its own attributes (key, value pairs) and calls mod_end. */
static void mod_attrs(struct ptw *p) { pklw_setitems(p->w); }
static void mod_end(struct ptw *p) { pklw_setitems(p->w), pklw_build(p->w); }

/* A module without parameters or buffers, up to its children. */
static void mod_plain(struct ptw *p, const char *module, const char *cls)
{
    mod_begin(p, module, cls);
    mod_buffers(p);
    mod_children(p);
}

static void key(struct ptw *p, const char *k) { pklw_str(p->w, k); }
static void int_pair(struct ptw *p, int a, int b) { pklw_int(p->w, a), pklw_int(p->w, b), pklw_tupleN(p->w, 2); }

static void int_list(struct ptw *p, const int *v, int n)
{
    pklw_empty_list(p->w);
    if (!n) return;
    pklw_mark(p->w);
    for (int i = 0; i < n; i++) pklw_int(p->w, v[i]);
    pklw_appends(p->w);
}

/* i, f, type: what parse_model sets on each layer (f an int or a list) */
static void layer_attrs(struct ptw *p, int i, const struct yaml_layer *l, const char *type)
{
    key(p, "i"), pklw_int(p->w, i);
    key(p, "f");
    if (l->n_from == 1) pklw_int(p->w, l->from[0]);
    else int_list(p, l->from, l->n_from);
    key(p, "type"), pklw_str(p->w, type);
}

static void parameter(struct ptw *p, const char *name, const struct cpose_plugin_tensor *t, int grad)
{
    key(p, name);
    ta_parameter(p->a, t->data, t->ndim, t->dims, p->dtype, grad);
}

/* ---- torch layers ----------------------------------------------------------------------------- */

/* Conv2d at prefix (weight prefix.weight, bias prefix.bias when the model has one). folded_bias:
 * use the view's folded conv (weight and bias) for a Conv whose BN the model lacks. Returns the
 * output channels. */
static int conv2d(struct ptw *p, const char *prefix, int grad, int folded)
{
    char wn[256], bn[256];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(bn, sizeof bn, "%s.bias", prefix);
    struct cpose_plugin_tensor wt, bt;
    const struct cpose_view_conv *vc = view_conv(p, wn);
    int has_w = param(p, wn, &wt), has_b = param(p, bn, &bt);
    if (folded && vc) { /* the folded weight, its bias goes to the identity BN */
        memset(&wt, 0, sizeof wt);
        wt.ndim = 4, wt.dims[0] = vc->cout, wt.dims[1] = vc->cin / vc->groups, wt.dims[2] = vc->kh, wt.dims[3] = vc->kw;
        wt.data = vc->weight, has_w = 1, has_b = 0;
    }
    if (!has_w) {
        missing(p, wn);
        return 0;
    }
    int sh = vc ? vc->stride_h : 1, sw = vc ? vc->stride_w : 1, ph = vc ? vc->pad_top : 0, pw = vc ? vc->pad_left : 0;
    int dh = vc ? vc->dilation_h : 1, dw = vc ? vc->dilation_w : 1, g = vc ? vc->groups : 1;
    mod_begin(p, "torch.nn.modules.conv", "Conv2d");
    parameter(p, "weight", &wt, grad);
    key(p, "bias");
    if (has_b) ta_parameter(p->a, bt.data, bt.ndim, bt.dims, p->dtype, grad);
    else pklw_none(p->w);
    mod_buffers(p);
    mod_children(p);
    mod_attrs(p);
    int cout = (int)wt.dims[0];
    key(p, "in_channels"), pklw_int(p->w, wt.dims[1] * g);
    key(p, "out_channels"), pklw_int(p->w, cout);
    key(p, "kernel_size"), int_pair(p, (int)wt.dims[2], (int)wt.dims[3]);
    key(p, "stride"), int_pair(p, sh, sw);
    key(p, "padding"), int_pair(p, ph, pw);
    key(p, "dilation"), int_pair(p, dh, dw);
    key(p, "transposed"), pklw_bool(p->w, 0);
    key(p, "output_padding"), int_pair(p, 0, 0);
    key(p, "groups"), pklw_int(p->w, g);
    key(p, "padding_mode"), pklw_str(p->w, "zeros");
    key(p, "_reversed_padding_repeated_twice");
    pklw_mark(p->w), pklw_int(p->w, pw), pklw_int(p->w, pw), pklw_int(p->w, ph), pklw_int(p->w, ph), pklw_tuple(p->w);
    mod_end(p);
    return cout;
}

/* BatchNorm2d at prefix with the model's parameters; identity (weight 1, bias = the folded conv's
 * bias, mean 0, var 1 - eps so that var + eps is 1 also in fp16) when folded. */
static void batchnorm(struct ptw *p, const char *prefix, int c, const struct cpose_view_conv *folded)
{
    static const char *const parts[] = {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"};
    struct cpose_plugin_tensor t[5];
    float *made = NULL;
    if (folded) {
        made = p->h->calloc((size_t)(4 * c + 1), sizeof(float));
        for (int k = 0; k < c; k++) made[k] = 1.0f, made[c + k] = folded->bias[k], made[3 * c + k] = (float)(1.0 - BN_EPS);
        for (int j = 0; j < 5; j++) {
            memset(&t[j], 0, sizeof t[j]);
            t[j].ndim = j < 4, t[j].dims[0] = c, t[j].data = made + (j < 4 ? j * c : 4 * c);
        }
    } else {
        for (int j = 0; j < 5; j++) {
            char n[256];
            snprintf(n, sizeof n, "%s.%s", prefix, parts[j]);
            if (!param(p, n, &t[j])) {
                missing(p, n);
                return;
            }
        }
    }
    mod_begin(p, "torch.nn.modules.batchnorm", "BatchNorm2d");
    parameter(p, "weight", &t[0], 1);
    parameter(p, "bias", &t[1], 1);
    mod_buffers(p);
    for (int j = 2; j < 5; j++) {
        key(p, parts[j]);
        ta_tensor(p->a, t[j].data, j == 4 ? 0 : 1, t[j].dims, j == 4 ? TA_I64 : p->dtype, 0);
    }
    mod_children(p);
    mod_attrs(p);
    key(p, "num_features"), pklw_int(p->w, c);
    key(p, "eps"), pklw_float(p->w, BN_EPS);
    key(p, "momentum"), pklw_float(p->w, BN_MOMENTUM);
    key(p, "affine"), pklw_bool(p->w, 1);
    key(p, "track_running_stats"), pklw_bool(p->w, 1);
    mod_end(p);
    p->h->free(made);
}

static void silu(struct ptw *p)
{
    if (p->silu_memo >= 0) {
        pklw_get(p->w, (uint32_t)p->silu_memo);
        return;
    }
    mod_plain(p, "torch.nn.modules.activation", "SiLU");
    mod_attrs(p);
    key(p, "inplace"), pklw_bool(p->w, 1);
    mod_end(p);
    p->silu_memo = (int)pklw_memoize(p->w);
}

/* ---- Ultralytics blocks ----------------------------------------------------------------------- */

static int has_param(struct ptw *p, const char *fmt, const char *prefix)
{
    char n[256];
    struct cpose_plugin_tensor t;
    snprintf(n, sizeof n, fmt, prefix);
    return param(p, n, &t);
}

/* Conv (conv + bn + act) at prefix; returns its output channels. Layer attributes (when l) are
 * written after the children. */
static int conv_block(struct ptw *p, const char *prefix, int index, const struct yaml_layer *l)
{
    char sub[256];
    int folded = !has_param(p, "%s.bn.weight", prefix);
    mod_plain(p, "ultralytics.nn.modules.conv", "Conv");
    snprintf(sub, sizeof sub, "%s.conv", prefix);
    key(p, "conv");
    int c = conv2d(p, sub, 1, folded);
    char wn[300];
    snprintf(wn, sizeof wn, "%s.weight", sub);
    key(p, "bn");
    snprintf(sub, sizeof sub, "%s.bn", prefix);
    batchnorm(p, sub, c, folded ? view_conv(p, wn) : NULL);
    if (folded && !view_conv(p, wn)) missing(p, wn);
    key(p, "act");
    silu(p);
    mod_attrs(p);
    if (l) layer_attrs(p, index, l, "ultralytics.nn.modules.conv.Conv");
    mod_end(p);
    return c;
}

static int count_repeats(struct ptw *p, const char *prefix)
{
    int n = 0;
    char sub[256];
    for (;; n++) {
        snprintf(sub, sizeof sub, "%s.m.%d.cv1", prefix, n);
        if (!has_param(p, "%s.conv.weight", sub)) return n;
    }
}

static void c2f(struct ptw *p, const char *prefix, int index, const struct yaml_layer *l)
{
    char sub[256];
    int shortcut = !strcmp(l->arg1, "True") || !strcmp(l->arg1, "true");
    mod_plain(p, "ultralytics.nn.modules.block", "C2f");
    snprintf(sub, sizeof sub, "%s.cv1", prefix);
    key(p, "cv1");
    int c1out = conv_block(p, sub, 0, NULL);
    snprintf(sub, sizeof sub, "%s.cv2", prefix);
    key(p, "cv2");
    conv_block(p, sub, 0, NULL);
    key(p, "m");
    mod_plain(p, "torch.nn.modules.container", "ModuleList");
    int n = count_repeats(p, prefix);
    for (int k = 0; k < n; k++) {
        char name[16];
        snprintf(name, sizeof name, "%d", k);
        key(p, name);
        mod_plain(p, "ultralytics.nn.modules.block", "Bottleneck");
        snprintf(sub, sizeof sub, "%s.m.%d.cv1", prefix, k);
        key(p, "cv1");
        conv_block(p, sub, 0, NULL);
        snprintf(sub, sizeof sub, "%s.m.%d.cv2", prefix, k);
        key(p, "cv2");
        conv_block(p, sub, 0, NULL);
        mod_attrs(p);
        key(p, "add"), pklw_bool(p->w, shortcut); /* shortcut and c1 == c2 (always equal inside C2f) */
        mod_end(p);
    }
    mod_attrs(p);
    mod_end(p);
    mod_attrs(p);
    key(p, "c"), pklw_int(p->w, c1out / 2);
    layer_attrs(p, index, l, "ultralytics.nn.modules.block.C2f");
    mod_end(p);
}

static void sppf(struct ptw *p, const char *prefix, int index, const struct yaml_layer *l)
{
    char sub[256];
    int k = l->arg1[0] ? atoi(l->arg1) : 5;
    mod_plain(p, "ultralytics.nn.modules.block", "SPPF");
    snprintf(sub, sizeof sub, "%s.cv1", prefix);
    key(p, "cv1");
    conv_block(p, sub, 0, NULL);
    snprintf(sub, sizeof sub, "%s.cv2", prefix);
    key(p, "cv2");
    conv_block(p, sub, 0, NULL);
    key(p, "m");
    mod_plain(p, "torch.nn.modules.pooling", "MaxPool2d");
    mod_attrs(p);
    key(p, "kernel_size"), pklw_int(p->w, k);
    key(p, "stride"), pklw_int(p->w, 1);
    key(p, "padding"), pklw_int(p->w, k / 2);
    key(p, "dilation"), pklw_int(p->w, 1);
    key(p, "return_indices"), pklw_bool(p->w, 0);
    key(p, "ceil_mode"), pklw_bool(p->w, 0);
    mod_end(p);
    mod_attrs(p);
    layer_attrs(p, index, l, "ultralytics.nn.modules.block.SPPF");
    mod_end(p);
}

static void upsample(struct ptw *p, int index, const struct yaml_layer *l)
{
    mod_plain(p, "torch.nn.modules.upsampling", "Upsample");
    mod_attrs(p);
    key(p, "name"), pklw_str(p->w, "Upsample");
    key(p, "size"), pklw_none(p->w);
    key(p, "scale_factor"), pklw_float(p->w, l->arg1[0] ? atof(l->arg1) : 2.0);
    key(p, "mode"), pklw_str(p->w, "nearest");
    key(p, "align_corners"), pklw_none(p->w);
    key(p, "recompute_scale_factor"), pklw_none(p->w);
    layer_attrs(p, index, l, "torch.nn.modules.upsampling.Upsample");
    mod_end(p);
}

static void concat(struct ptw *p, int index, const struct yaml_layer *l)
{
    mod_plain(p, "ultralytics.nn.modules.conv", "Concat");
    mod_attrs(p);
    key(p, "d"), pklw_int(p->w, 1);
    layer_attrs(p, index, l, "ultralytics.nn.modules.conv.Concat");
    mod_end(p);
}

/* cv2/cv3/cv4 of the head: ModuleList of Sequential(Conv, Conv, Conv2d) per level */
static void head_branch(struct ptw *p, const char *prefix, const char *name, int nl)
{
    char sub[256];
    key(p, name);
    mod_plain(p, "torch.nn.modules.container", "ModuleList");
    for (int i = 0; i < nl; i++) {
        char k[16];
        snprintf(k, sizeof k, "%d", i);
        key(p, k);
        mod_plain(p, "torch.nn.modules.container", "Sequential");
        for (int j = 0; j < 2; j++) {
            snprintf(k, sizeof k, "%d", j);
            key(p, k);
            snprintf(sub, sizeof sub, "%s.%s.%d.%d", prefix, name, i, j);
            conv_block(p, sub, 0, NULL);
        }
        key(p, "2");
        snprintf(sub, sizeof sub, "%s.%s.%d.2", prefix, name, i);
        conv2d(p, sub, 1, 0);
        mod_attrs(p);
        mod_end(p);
    }
    mod_attrs(p);
    mod_end(p);
}

static void stride_tensor(struct ptw *p, const struct cpose_plugin_meta *md)
{
    float s[8];
    int64_t n = md->n_levels;
    for (int i = 0; i < md->n_levels && i < 8; i++) s[i] = (float)md->strides[i];
    ta_tensor(p->a, s, 1, &n, TA_F32, 0);
}

static void pose_head(struct ptw *p, const char *prefix, int index, const struct yaml_layer *l)
{
    const struct cpose_plugin_meta *md = p->h->meta(p->x);
    int nl = l->n_from, reg_max = 16;
    char dfl[256];
    snprintf(dfl, sizeof dfl, "%s.dfl.conv.weight", prefix);
    struct cpose_plugin_tensor t;
    if (param(p, dfl, &t)) reg_max = (int)t.dims[1];
    mod_plain(p, "ultralytics.nn.modules.head", "Pose");
    head_branch(p, prefix, "cv2", nl);
    head_branch(p, prefix, "cv3", nl);
    key(p, "dfl");
    mod_plain(p, "ultralytics.nn.modules.block", "DFL");
    key(p, "conv");
    snprintf(dfl, sizeof dfl, "%s.dfl.conv", prefix);
    conv2d(p, dfl, 0, 0);
    mod_attrs(p);
    key(p, "c1"), pklw_int(p->w, reg_max);
    mod_end(p);
    head_branch(p, prefix, "cv4", nl);
    mod_attrs(p);
    key(p, "nc"), pklw_int(p->w, md->n_names);
    key(p, "nl"), pklw_int(p->w, nl);
    key(p, "reg_max"), pklw_int(p->w, reg_max);
    key(p, "no"), pklw_int(p->w, md->n_names + 4 * reg_max);
    key(p, "stride"), stride_tensor(p, md);
    key(p, "kpt_shape"), int_list(p, md->kpt_shape, 2);
    key(p, "nk"), pklw_int(p->w, md->kpt_shape[0] * md->kpt_shape[1]);
    key(p, "detect"); /* Pose keeps Detect.forward to call as self.detect(self, x) */
    pklw_global(p->w, "__builtin__", "getattr");
    pklw_global(p->w, "ultralytics.nn.modules.head", "Detect");
    pklw_str(p->w, "forward");
    pklw_tupleN(p->w, 2);
    pklw_reduce(p->w);
    layer_attrs(p, index, l, "ultralytics.nn.modules.head.Pose");
    key(p, "inplace"), pklw_bool(p->w, 1);
    mod_end(p);
}

/* ---- the model -------------------------------------------------------------------------------- */

/* The model YAML as Ultralytics keeps it: the file's mapping plus scale, yaml_file and ch. */
static int model_yaml(struct ptw *p, const char *text)
{
    char err[256];
    if (yaml_pickle(p->w, text, err, sizeof err))
        return p->h->error(p->x, CPOSE_PLUGIN_EINVAL, "the model's YAML does not parse: %s", err);
    const struct cpose_plugin_meta *md = p->h->meta(p->x);
    const char *v8 = md->model_name ? strstr(md->model_name, "v8") : NULL;
    char scale[2] = {v8 && v8[2] && v8[2] != '-' ? v8[2] : 'n', 0};
    const char *file = CPOSE_HOST_HAS(p->h, model_text) ? p->h->model_text(p->x, "yaml_file") : NULL;
    const char *base = file && strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    pklw_mark(p->w);
    key(p, "scale"), pklw_str(p->w, scale);
    key(p, "yaml_file"), pklw_str(p->w, base ? base : "yolov8-pose.yaml");
    key(p, "ch"), pklw_int(p->w, 3);
    pklw_setitems(p->w);
    return 0;
}

int pt_pickle_train_args(struct torch_archive *a, const char *train_args_yaml)
{
    struct pklw *w = &a->pk;
    const struct cpose_plugin_meta *md = a->h->meta(a->x);
    if (train_args_yaml && *train_args_yaml) {
        char err[256];
        if (yaml_pickle(w, train_args_yaml, err, sizeof err))
            return a->h->error(a->x, CPOSE_PLUGIN_EINVAL, "the model's train_args do not parse as YAML: %s", err);
        if (!yaml_has_key(train_args_yaml, "task")) pklw_str(w, "task"), pklw_str(w, "pose"), pklw_setitem(w);
        return 0;
    }
    pklw_empty_dict(w);
    pklw_mark(w);
    pklw_str(w, "task"), pklw_str(w, "pose");
    pklw_str(w, "mode"), pklw_str(w, "train");
    pklw_str(w, "imgsz"), pklw_int(w, md->imgsz[1] > md->imgsz[0] ? md->imgsz[1] : md->imgsz[0]);
    pklw_setitems(w);
    return 0;
}

int pt_pickle_pose_model(struct torch_archive *a, int dtype, const char *train_args_yaml)
{
    const struct cpose_host *h = a->h;
    struct ptw p = {a, &a->pk, h, a->x, h->view(a->x), dtype, 0, -1};
    if (!p.view) return CPOSE_PLUGIN_EINVAL;
    const char *yaml = CPOSE_HOST_HAS(h, model_text) ? h->model_text(a->x, "yaml") : NULL;
    if (!yaml)
        return h->error(a->x, CPOSE_PLUGIN_ENOTSUP, "the model carries no YAML, which the .pt module tree is built "
                        "from (cpose older than plugin ABI 1.1?)");
    struct yaml_layer *layers = NULL;
    char err[256];
    int n = yaml_layers(yaml, &layers, h->realloc, err, sizeof err);
    if (n < 0) {
        h->free(layers);
        return h->error(a->x, CPOSE_PLUGIN_EINVAL, "the model's YAML: %s", err);
    }
    const struct cpose_plugin_meta *md = h->meta(a->x);
    mod_plain(&p, "ultralytics.nn.tasks", "PoseModel");
    key(&p, "model");
    mod_plain(&p, "torch.nn.modules.container", "Sequential");
    int save[64], n_save = 0;
    for (int i = 0; i < n && !p.rc; i++) {
        const struct yaml_layer *l = &layers[i];
        char name[16], prefix[32];
        snprintf(name, sizeof name, "%d", i);
        snprintf(prefix, sizeof prefix, "model.%d", i);
        key(&p, name);
        if (!strcmp(l->module, "Conv")) conv_block(&p, prefix, i, l);
        else if (!strcmp(l->module, "C2f")) c2f(&p, prefix, i, l);
        else if (!strcmp(l->module, "SPPF")) sppf(&p, prefix, i, l);
        else if (!strcmp(l->module, "nn.Upsample")) upsample(&p, i, l);
        else if (!strcmp(l->module, "Concat")) concat(&p, i, l);
        else if (!strcmp(l->module, "Pose")) pose_head(&p, prefix, i, l);
        else
            p.rc = h->error(a->x, CPOSE_PLUGIN_ENOTSUP, "model YAML layer %d: module '%s' has no .pt form in this "
                            "writer (it knows Conv, C2f, SPPF, nn.Upsample, Concat, Pose)", i, l->module);
        for (int k = 0; k < l->n_from; k++) { /* parse_model's save list: every from that is not -1, sorted */
            int f = l->from[k] < 0 ? l->from[k] + i : l->from[k];
            if (l->from[k] == -1 || n_save == 64) continue;
            int dup = 0;
            for (int j = 0; j < n_save; j++) dup |= save[j] == f;
            if (!dup) save[n_save++] = f;
        }
    }
    h->free(layers);
    if (p.rc) return p.rc;
    mod_attrs(&p);
    mod_end(&p);  /* the Sequential */
    for (int i = 0; i < n_save; i++)
        for (int j = i + 1; j < n_save; j++)
            if (save[j] < save[i]) { int t = save[i]; save[i] = save[j], save[j] = t; }
    mod_attrs(&p);
    key(&p, "yaml");
    if ((p.rc = model_yaml(&p, yaml)) != 0) return p.rc;
    key(&p, "save"), int_list(&p, save, n_save);
    key(&p, "names");
    pklw_empty_dict(p.w);
    if (md->n_names) {
        pklw_mark(p.w);
        for (int i = 0; i < md->n_names; i++) pklw_int(p.w, i), pklw_str(p.w, md->names[i]);
        pklw_setitems(p.w);
    }
    key(&p, "inplace"), pklw_bool(p.w, 1);
    key(&p, "stride"), stride_tensor(&p, md);
    key(&p, "nc"), pklw_int(p.w, md->n_names);
    key(&p, "args");
    if ((p.rc = pt_pickle_train_args(a, train_args_yaml)) != 0) return p.rc;
    key(&p, "kpt_shape"), int_list(&p, md->kpt_shape, 2);
    mod_end(&p);
    return p.rc;
}
