/* core/nn/model_build.c — the model builder: Ultralytics model YAML (libyaml) → parameter table and
 * graph of primitive ops (Conv, C2f, C2, Bottleneck, SPPF, Concat, nn.Upsample, Pose).
 *
 * Layer count ("layers" in the summary line): Ultralytics prints len(list(model.modules())), the
 * torch modules counted once each. We count the same modules while building: the model and its
 * Sequential (2), Conv = Conv + Conv2d + BatchNorm2d (3; their SiLU is one shared instance, counted
 * once for the whole model), Bottleneck 1 + 2 Conv, C2f/C2 1 + 2 Conv + ModuleList/Sequential 1 +
 * bottlenecks, SPPF 1 + 2 Conv + MaxPool2d, Upsample 1, Concat 1, Pose 1 + 3 ModuleLists + per
 * level 3 Sequentials (1 + 2 Conv + Conv2d each) + DFL 2. Fusing removes one (the BN) per Conv. */
#include "core/nn/model_impl.h"
#include "core/base/yaml_doc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

/* ---- parameters ---- */

static struct cpose_param *add_param(struct cpose_model *m, const char *name, int kind, int ndim, int64_t d0,
                                     int64_t d1, int64_t d2, int64_t d3)
{
    struct cpose_param p = {.name = cpose_strdup(name), .ndim = ndim, .kind = kind};
    int64_t d[4] = {d0, d1, d2, d3};
    p.numel = 1;
    for (int i = 0; i < ndim; i++) p.dims[i] = d[i], p.numel *= d[i];
    p.data = cpose_calloc(p.numel ? p.numel : 1, sizeof(float));
    struct cpose_param *r = cpose_vec_push(&m->params, &p);
    return r;
}

/* Parameter data pointers are stable (each allocated once), but the vec may move: nodes keep the
 * data pointers, never the struct cpose_param pointers. */

struct builder {
    struct cpose_model *m;
    struct cpose_graph *g;
};

static int b_conv2d(struct builder *b, int in, const char *prefix, int c1, int c2, int k, int s, int bias)
{
    char name[160];
    struct cpose_conv2d_params *p = cpose_calloc(1, sizeof *p);
    p->cin = c1, p->cout = c2, p->k = k, p->stride = s, p->pad = k / 2;
    snprintf(name, sizeof name, "%s.weight", prefix);
    p->weight = add_param(b->m, name, CPOSE_PARAM_WEIGHT, 4, c2, c1, k, k)->data;
    if (bias) {
        snprintf(name, sizeof name, "%s.bias", prefix);
        p->bias = add_param(b->m, name, CPOSE_PARAM_BIAS, 1, c2, 0, 0, 0)->data;
    }
    return cpose_graph_add(b->g, CPOSE_OP_conv2d, &in, 1, p, prefix);
}

/* Ultralytics Conv: Conv2d(bias=False) + BatchNorm2d(eps 1e-3, momentum 0.03) + SiLU. The params
 * are registered first (conv_params), the nodes later (conv_nodes), because the state_dict order
 * (module attribute order: C2f's cv1, cv2, then m) differs from the data-flow order. */
struct conv_pre {
    char prefix[96];
    struct cpose_conv2d_params *conv;
    struct cpose_batchnorm_params *bn;
};

static struct conv_pre conv_params(struct builder *b, const char *prefix, int c1, int c2, int k, int s)
{
    struct conv_pre r;
    char pn[160];
    snprintf(r.prefix, sizeof r.prefix, "%s", prefix);
    struct cpose_conv2d_params *p = cpose_calloc(1, sizeof *p);
    p->cin = c1, p->cout = c2, p->k = k, p->stride = s, p->pad = k / 2;
    snprintf(pn, sizeof pn, "%s.conv.weight", prefix);
    p->weight = add_param(b->m, pn, CPOSE_PARAM_WEIGHT, 4, c2, c1, k, k)->data;
    struct cpose_batchnorm_params *bn = cpose_calloc(1, sizeof *bn);
    bn->c = c2, bn->eps = 1e-3f, bn->momentum = 0.03f;
    snprintf(pn, sizeof pn, "%s.bn.weight", prefix);
    bn->weight = add_param(b->m, pn, CPOSE_PARAM_WEIGHT, 1, c2, 0, 0, 0)->data;
    snprintf(pn, sizeof pn, "%s.bn.bias", prefix);
    bn->bias = add_param(b->m, pn, CPOSE_PARAM_BIAS, 1, c2, 0, 0, 0)->data;
    snprintf(pn, sizeof pn, "%s.bn.running_mean", prefix);
    bn->mean = add_param(b->m, pn, CPOSE_PARAM_BUFFER, 1, c2, 0, 0, 0)->data;
    snprintf(pn, sizeof pn, "%s.bn.running_var", prefix);
    bn->var = add_param(b->m, pn, CPOSE_PARAM_BUFFER, 1, c2, 0, 0, 0)->data;
    snprintf(pn, sizeof pn, "%s.bn.num_batches_tracked", prefix);
    bn->nbt = add_param(b->m, pn, CPOSE_PARAM_COUNTER, 0, 0, 0, 0, 0)->data;
    r.conv = p, r.bn = bn;
    b->m->n_modules += 3, b->m->n_conv_modules++;
    return r;
}

static int conv_nodes(struct builder *b, int in, struct conv_pre pre)
{
    char name[160];
    snprintf(name, sizeof name, "%s.conv", pre.prefix);
    int x = cpose_graph_add(b->g, CPOSE_OP_conv2d, &in, 1, pre.conv, name);
    snprintf(name, sizeof name, "%s.bn", pre.prefix);
    x = cpose_graph_add(b->g, CPOSE_OP_batchnorm, &x, 1, pre.bn, name);
    snprintf(name, sizeof name, "%s.act", pre.prefix);
    return cpose_graph_add(b->g, CPOSE_OP_silu, &x, 1, NULL, name);
}

static int b_conv(struct builder *b, int in, const char *prefix, int c1, int c2, int k, int s)
{
    return conv_nodes(b, in, conv_params(b, prefix, c1, c2, k, s));
}

static int b_slice(struct builder *b, int in, const char *prefix, int start, int len)
{
    struct cpose_slice_params *p = cpose_calloc(1, sizeof *p);
    p->start = start, p->len = len;
    return cpose_graph_add(b->g, CPOSE_OP_slice, &in, 1, p, prefix);
}

static int b_bottleneck(struct builder *b, int in, const char *prefix, int c1, int c2, int shortcut, double e)
{
    char name[160];
    int c_ = (int)(c2 * e);
    snprintf(name, sizeof name, "%s.cv1", prefix);
    int x = b_conv(b, in, name, c1, c_, 3, 1);
    snprintf(name, sizeof name, "%s.cv2", prefix);
    x = b_conv(b, x, name, c_, c2, 3, 1);
    b->m->n_modules += 1;
    if (shortcut && c1 == c2) {
        int ab[2] = {in, x};
        snprintf(name, sizeof name, "%s.add", prefix);
        x = cpose_graph_add(b->g, CPOSE_OP_add, ab, 2, NULL, name);
    }
    return x;
}

/* C2f: cv1 → chunk(2) → n bottlenecks chained on the second half → concat(all) → cv2. The concat
 * takes cv1's whole output (= both halves in order) instead of two slices. */
static int b_c2f(struct builder *b, int in, const char *prefix, int c1, int c2, int n, int shortcut)
{
    char name[160];
    int c = (int)(c2 * 0.5);
    snprintf(name, sizeof name, "%s.cv1", prefix);
    int y = b_conv(b, in, name, c1, 2 * c, 1, 1);
    snprintf(name, sizeof name, "%s.cv2", prefix);
    struct conv_pre cv2 = conv_params(b, name, (2 + n) * c, c2, 1, 1);
    snprintf(name, sizeof name, "%s.split", prefix);
    int cur = b_slice(b, y, name, c, c);
    int parts[8] = {y};
    CPOSE_ASSERT(n <= 7);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s.m.%d", prefix, i);
        cur = b_bottleneck(b, cur, name, c, c, shortcut, 1.0);
        parts[1 + i] = cur;
    }
    snprintf(name, sizeof name, "%s.cat", prefix);
    int x = cpose_graph_add(b->g, CPOSE_OP_concat, parts, n + 1, NULL, name);
    x = conv_nodes(b, x, cv2);
    b->m->n_modules += 2;
    return x;
}

/* C2: cv1 → chunk(2) = (a, b) → cv2(concat(m(a), b)), m = Sequential of n bottlenecks. */
static int b_c2(struct builder *b, int in, const char *prefix, int c1, int c2, int n, int shortcut)
{
    char name[160];
    int c = (int)(c2 * 0.5);
    snprintf(name, sizeof name, "%s.cv1", prefix);
    int y = b_conv(b, in, name, c1, 2 * c, 1, 1);
    snprintf(name, sizeof name, "%s.cv2", prefix);
    struct conv_pre cv2 = conv_params(b, name, 2 * c, c2, 1, 1);
    snprintf(name, sizeof name, "%s.split0", prefix);
    int a = b_slice(b, y, name, 0, c);
    snprintf(name, sizeof name, "%s.split1", prefix);
    int bb = b_slice(b, y, name, c, c);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s.m.%d", prefix, i);
        a = b_bottleneck(b, a, name, c, c, shortcut, 1.0);
    }
    int parts[2] = {a, bb};
    snprintf(name, sizeof name, "%s.cat", prefix);
    int x = cpose_graph_add(b->g, CPOSE_OP_concat, parts, 2, NULL, name);
    x = conv_nodes(b, x, cv2);
    b->m->n_modules += 2;
    return x;
}

static int b_sppf(struct builder *b, int in, const char *prefix, int c1, int c2, int k)
{
    char name[160];
    int c_ = c1 / 2;
    snprintf(name, sizeof name, "%s.cv1", prefix);
    int parts[4];
    parts[0] = b_conv(b, in, name, c1, c_, 1, 1);
    snprintf(name, sizeof name, "%s.cv2", prefix);
    struct conv_pre cv2 = conv_params(b, name, c_ * 4, c2, 1, 1);
    for (int i = 1; i < 4; i++) {
        struct cpose_maxpool2d_params *p = cpose_calloc(1, sizeof *p);
        p->k = k, p->stride = 1, p->pad = k / 2;
        snprintf(name, sizeof name, "%s.m", prefix);
        parts[i] = cpose_graph_add(b->g, CPOSE_OP_maxpool2d, &parts[i - 1], 1, p, name);
    }
    snprintf(name, sizeof name, "%s.cat", prefix);
    int x = cpose_graph_add(b->g, CPOSE_OP_concat, parts, 4, NULL, name);
    x = conv_nodes(b, x, cv2);
    b->m->n_modules += 2;
    return x;
}

static int b_pose(struct builder *b, const int *in, const int *ch, int nl, const char *prefix, int nc, int nk, int kdim)
{
    struct cpose_model *m = b->m;
    char name[160];
    const int reg_max = 16;
    int c2 = ch[0] / 4 > 16 ? ch[0] / 4 : 16;
    if (c2 < reg_max * 4) c2 = reg_max * 4;
    int c3 = ch[0] > (nc < 100 ? nc : 100) ? ch[0] : (nc < 100 ? nc : 100);
    int c4 = ch[0] / 4 > nk * kdim ? ch[0] / 4 : nk * kdim;
    int br[3][4];  /* branch outputs: cv2 (box), cv3 (cls), cv4 (kpt) per level */
    const int cw[3] = {c2, c3, c4}, co[3] = {4 * reg_max, nc, nk * kdim};
    const char *cvn[3] = {"cv2", "cv3", "cv4"};
    /* state_dict order: cv2.*, cv3.*, dfl, cv4.* */
    for (int bi = 0; bi < 3; bi++) {
        if (bi == 2) {
            snprintf(name, sizeof name, "%s.dfl.conv.weight", prefix);
            struct cpose_param *d = add_param(m, name, CPOSE_PARAM_FROZEN, 4, 1, reg_max, 1, 1);
            for (int r = 0; r < reg_max; r++) d->data[r] = (float)r;
            m->n_modules += 2;
        }
        for (int l = 0; l < nl; l++) {
            snprintf(name, sizeof name, "%s.%s.%d.0", prefix, cvn[bi], l);
            int x = b_conv(b, in[l], name, ch[l], cw[bi], 3, 1);
            snprintf(name, sizeof name, "%s.%s.%d.1", prefix, cvn[bi], l);
            x = b_conv(b, x, name, cw[bi], cw[bi], 3, 1);
            snprintf(name, sizeof name, "%s.%s.%d.2", prefix, cvn[bi], l);
            br[bi][l] = b_conv2d(b, x, name, cw[bi], co[bi], 1, 1, 1);
            m->n_modules += 2;  /* Sequential + Conv2d */
        }
        m->n_modules += 1;  /* ModuleList */
    }
    m->n_modules += 1;  /* Pose */
    int hin[8];
    for (int l = 0; l < nl; l++) {
        int pair[2] = {br[0][l], br[1][l]};
        snprintf(name, sizeof name, "%s.level%d", prefix, l);
        m->level_node[l] = cpose_graph_add(b->g, CPOSE_OP_concat, pair, 2, NULL, name);
        m->kpt_node[l] = br[2][l];
        hin[l] = m->level_node[l], hin[nl + l] = br[2][l];
    }
    struct cpose_pose_head_params *hp = cpose_calloc(1, sizeof *hp);
    hp->nl = nl, hp->nc = nc, hp->nk = nk, hp->kdim = kdim, hp->reg_max = reg_max;
    for (int l = 0; l < nl; l++) hp->strides[l] = m->info.strides[l];
    snprintf(name, sizeof name, "%s.decode", prefix);
    m->head_node = cpose_graph_add(b->g, CPOSE_OP_pose_head, hin, 2 * nl, hp, name);
    return m->head_node;
}

static int make_divisible(double x, int d) { return (int)ceil(x / d) * d; }

/* Picks the scale letter from a model name: "yolov8s-pose.yaml" → 's'; 0 if none. */
static char scale_from_name(const char *name)
{
    const char *base = cpose_path_basename(name);
    for (const char *p = base; (p = strstr(p, "yolov")) != NULL; p++) {
        const char *q = p + 5;
        if (!isdigit((unsigned char)*q)) continue;
        while (isdigit((unsigned char)*q)) q++;
        if (strchr("nslmx", *q) && *q) return *q;
    }
    return 0;
}

#define BFAIL(...)                                     \
    do {                                               \
        rc = cpose_err(CPOSE_EINVAL, __VA_ARGS__);     \
        goto fail;                                     \
    } while (0)

int cpose_model_build(struct cpose_model *m, const char *yaml_text, const char *yaml_name, char force_scale)
{
    int rc = CPOSE_OK;
    yaml_parser_t parser;
    yaml_document_t doc;
    int have_doc = 0;
    int *layer_out = NULL, *layer_ch = NULL, *layer_stride = NULL;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml_text, strlen(yaml_text));
    if (!yaml_parser_load(&parser, &doc))
        BFAIL("%s: YAML error at line %zu: %s", yaml_name, parser.problem_mark.line + 1,
              parser.problem ? parser.problem : "parse error");
    have_doc = 1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) BFAIL("%s: not a model YAML (expected a mapping)", yaml_name);

    int64_t nc = 80;
    if (cpose_yaml_map_get(&doc, root, "nc") && !cpose_yaml_int(cpose_yaml_map_get(&doc, root, "nc"), &nc)) BFAIL("%s: 'nc' must be an integer", yaml_name);
    int nk = 17, kdim = 3;
    yaml_node_t *ks = cpose_yaml_map_get(&doc, root, "kpt_shape");
    if (ks) {
        int64_t a, c;
        if (cpose_yaml_seq_len(ks) != 2 || !cpose_yaml_int(cpose_yaml_seq_at(&doc, ks, 0), &a) || !cpose_yaml_int(cpose_yaml_seq_at(&doc, ks, 1), &c) || a < 1 ||
            (c != 2 && c != 3))
            BFAIL("%s: 'kpt_shape' must be [keypoints, 2 or 3]", yaml_name);
        nk = (int)a, kdim = (int)c;
    }
    double depth = 1.0, width = 1.0;
    int max_ch = 1 << 30;
    char scale = force_scale ? force_scale : scale_from_name(yaml_name);
    yaml_node_t *scales = cpose_yaml_map_get(&doc, root, "scales");
    if (scales && scales->type == YAML_MAPPING_NODE && scales->data.mapping.pairs.top > scales->data.mapping.pairs.start) {
        char key[2] = {scale, 0};
        yaml_node_t *sv = scale ? cpose_yaml_map_get(&doc, scales, key) : NULL;
        if (!sv) {
            yaml_node_pair_t *p0 = scales->data.mapping.pairs.start;
            const char *first = cpose_yaml_scalar(yaml_document_get_node(&doc, p0->key));
            if (scale) BFAIL("%s: no scale '%c' in 'scales'", yaml_name, scale);
            cpose_warn("no model scale given in '%s', assuming scale='%s'", yaml_name, first ? first : "?");
            scale = first ? first[0] : 'n';
            sv = yaml_document_get_node(&doc, p0->value);
        }
        double mc;
        if (cpose_yaml_seq_len(sv) != 3 || !cpose_yaml_number(cpose_yaml_seq_at(&doc, sv, 0), &depth) || !cpose_yaml_number(cpose_yaml_seq_at(&doc, sv, 1), &width) ||
            !cpose_yaml_number(cpose_yaml_seq_at(&doc, sv, 2), &mc))
            BFAIL("%s: scale '%c' must be [depth, width, max_channels]", yaml_name, scale);
        max_ch = (int)mc;
    } else {
        double v;
        if (cpose_yaml_map_get(&doc, root, "depth_multiple") && cpose_yaml_number(cpose_yaml_map_get(&doc, root, "depth_multiple"), &v)) depth = v;
        if (cpose_yaml_map_get(&doc, root, "width_multiple") && cpose_yaml_number(cpose_yaml_map_get(&doc, root, "width_multiple"), &v)) width = v;
    }
    m->info.scale = scale ? scale : 'n';
    m->info.nc = (int)nc, m->info.nkpt = nk, m->info.kdim = kdim;
    m->info.n_outputs = 4 + (int)nc + nk * kdim;

    yaml_node_t *sections[2] = {cpose_yaml_map_get(&doc, root, "backbone"), cpose_yaml_map_get(&doc, root, "head")};
    if (cpose_yaml_seq_len(sections[0]) < 1 || cpose_yaml_seq_len(sections[1]) < 1)
        BFAIL("%s: needs 'backbone' and 'head' lists of [from, repeats, module, args]", yaml_name);
    int n_layers = cpose_yaml_seq_len(sections[0]) + cpose_yaml_seq_len(sections[1]);
    layer_out = cpose_malloc(n_layers * sizeof(int));
    layer_ch = cpose_malloc(n_layers * sizeof(int));
    layer_stride = cpose_malloc(n_layers * sizeof(int));
    struct builder b = {.m = m, .g = cpose_graph_new()};
    m->graph = b.g;
    m->n_modules = 2;  /* the model and its Sequential */
    int x_in = cpose_graph_add(b.g, CPOSE_OP_input, NULL, 0, NULL, "input");
    int li = 0, have_head = 0;
    for (int sec = 0; sec < 2; sec++)
        for (int r = 0; r < cpose_yaml_seq_len(sections[sec]); r++, li++) {
            yaml_node_t *row = cpose_yaml_seq_at(&doc, sections[sec], r);
            if (cpose_yaml_seq_len(row) != 4) BFAIL("%s: layer %d: expected [from, repeats, module, args]", yaml_name, li);
            yaml_node_t *fr = cpose_yaml_seq_at(&doc, row, 0), *args = cpose_yaml_seq_at(&doc, row, 3);
            const char *mod = cpose_yaml_scalar(cpose_yaml_seq_at(&doc, row, 2));
            int64_t reps;
            if (!cpose_yaml_int(cpose_yaml_seq_at(&doc, row, 1), &reps) || !mod || (args && args->type != YAML_SEQUENCE_NODE))
                BFAIL("%s: layer %d: bad repeats, module or args", yaml_name, li);
            int from[8], nf = 0;
            if (fr->type == YAML_SEQUENCE_NODE) {
                for (int i = 0; i < cpose_yaml_seq_len(fr) && nf < 8; i++) {
                    int64_t v;
                    if (!cpose_yaml_int(cpose_yaml_seq_at(&doc, fr, i), &v)) BFAIL("%s: layer %d: 'from' must be integers", yaml_name, li);
                    from[nf++] = (int)v;
                }
            } else {
                int64_t v;
                if (!cpose_yaml_int(fr, &v)) BFAIL("%s: layer %d: 'from' must be an integer or a list", yaml_name, li);
                from[nf++] = (int)v;
            }
            int src_node[8], src_ch[8], src_stride[8];
            for (int i = 0; i < nf; i++) {
                int f = from[i] < 0 ? li + from[i] : from[i];
                if (f < -1 || f >= li) BFAIL("%s: layer %d: 'from' %d refers to no earlier layer", yaml_name, li, from[i]);
                src_node[i] = f < 0 ? x_in : layer_out[f];
                src_ch[i] = f < 0 ? 3 : layer_ch[f];
                src_stride[i] = f < 0 ? 1 : layer_stride[f];
            }
            int n = reps > 1 ? (int)fmax(round(reps * depth), 1) : (int)reps;
            int na = cpose_yaml_seq_len(args);
            int64_t a[4] = {0, 0, 0, 0};
            int ai[4] = {0};
            for (int i = 0; i < na && i < 4; i++) ai[i] = cpose_yaml_int(cpose_yaml_seq_at(&doc, args, i), &a[i]);
            char prefix[64];
            snprintf(prefix, sizeof prefix, "model.%d", li);
            int out = -1, cout = src_ch[0], stride = src_stride[0];
            int c1 = src_ch[0];
            int is_conv = !strcmp(mod, "Conv"), is_c2f = !strcmp(mod, "C2f"), is_c2 = !strcmp(mod, "C2"),
                is_sppf = !strcmp(mod, "SPPF"), is_bn = !strcmp(mod, "Bottleneck");
            if (is_conv || is_c2f || is_c2 || is_sppf || is_bn) {
                if (na < 1 || !ai[0]) BFAIL("%s: layer %d (%s): first arg must be the output channels", yaml_name, li, mod);
                cout = (int)a[0];
                if (cout != nc) cout = make_divisible(fmin(cout, max_ch) * width, 8);
                if (is_conv) {
                    int k = na > 1 && ai[1] ? (int)a[1] : 1, s = na > 2 && ai[2] ? (int)a[2] : 1;
                    if (n != 1) BFAIL("%s: layer %d: Conv with repeats %d is not supported", yaml_name, li, n);
                    out = b_conv(&b, src_node[0], prefix, c1, cout, k, s);
                    stride *= s;
                } else if (is_sppf) {
                    out = b_sppf(&b, src_node[0], prefix, c1, cout, na > 1 && ai[1] ? (int)a[1] : 5);
                } else {
                    const char *sc = na > 1 ? cpose_yaml_scalar(cpose_yaml_seq_at(&doc, args, 1)) : NULL;
                    int shortcut = sc ? !strcmp(sc, "True") || !strcmp(sc, "true") : (is_bn ? 1 : 0);
                    if (is_c2f) out = b_c2f(&b, src_node[0], prefix, c1, cout, n, shortcut);
                    else if (is_c2) out = b_c2(&b, src_node[0], prefix, c1, cout, n, shortcut);
                    else out = b_bottleneck(&b, src_node[0], prefix, c1, cout, shortcut, 0.5);
                }
            } else if (!strcmp(mod, "Concat")) {
                cout = 0;
                for (int i = 0; i < nf; i++) {
                    cout += src_ch[i];
                    if (src_stride[i] != stride) BFAIL("%s: layer %d: Concat of inputs at different strides", yaml_name, li);
                }
                out = cpose_graph_add(b.g, CPOSE_OP_concat, src_node, nf, NULL, prefix);
                m->n_modules++;
            } else if (!strcmp(mod, "nn.Upsample")) {
                double sf = 2;
                if (na < 2 || !cpose_yaml_number(cpose_yaml_seq_at(&doc, args, 1), &sf) || sf < 1 || sf != (int)sf || stride % (int)sf)
                    BFAIL("%s: layer %d: nn.Upsample needs an integer scale factor", yaml_name, li);
                struct cpose_upsample_params *p = cpose_calloc(1, sizeof *p);
                p->scale = (int)sf;
                out = cpose_graph_add(b.g, CPOSE_OP_upsample, src_node, 1, p, prefix);
                stride /= (int)sf;
                m->n_modules++;
            } else if (!strcmp(mod, "Pose")) {
                if (nf < 1 || nf > 4) BFAIL("%s: layer %d: Pose takes 1 to 4 inputs", yaml_name, li);
                m->info.n_levels = nf;
                for (int i = 0; i < nf; i++) m->info.strides[i] = src_stride[i];
                m->info.max_stride = src_stride[nf - 1];
                out = b_pose(&b, src_node, src_ch, nf, prefix, (int)nc, nk, kdim);
                have_head = 1;
            } else {
                BFAIL("%s: layer %d: unknown module '%s' (known: Conv, C2f, C2, Bottleneck, SPPF, Concat, "
                      "nn.Upsample, Pose)", yaml_name, li, mod);
            }
            layer_out[li] = out, layer_ch[li] = cout, layer_stride[li] = stride;
        }
    if (!have_head) BFAIL("%s: the last layer must be a Pose head", yaml_name);
    m->n_modules += 1;  /* the shared SiLU */
    b.g->output = m->head_node;
    for (int i = 0; i < 64; i++) m->info.flip_idx[i] = i;
    if (nk == 17) {
        static const int coco[17] = {0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15};
        memcpy(m->info.flip_idx, coco, sizeof coco);
    }
    if (!m->info.n_names) {
        m->info.n_names = (int)nc;
        m->info.names = cpose_calloc(nc, sizeof(char *));
        for (int i = 0; i < nc; i++) m->info.names[i] = nc == 1 ? cpose_strdup("person") : cpose_asprintf("class%d", i);
    }
    /* "YOLOv8n-pose": the YAML stem with the scale letter, yolo → YOLO (as Ultralytics names it) */
    {
        char *stem = cpose_path_stem(yaml_name);
        char buf[64];
        const char *p = strstr(stem, "yolov");
        if (p && !scale_from_name(yaml_name)) {
            const char *q = p + 5;
            while (isdigit((unsigned char)*q)) q++;
            snprintf(buf, sizeof buf, "%.*s%c%s", (int)(q - stem), stem, m->info.scale, q);
        } else {
            snprintf(buf, sizeof buf, "%s", stem);
        }
        char *y = strstr(buf, "yolo");
        if (y) memcpy(y, "YOLO", 4);
        snprintf(m->name, sizeof m->name, "%s", buf);
        cpose_free(stem);
    }
    for (size_t i = 0; i < m->params.len; i++) m->info.n_params += CPOSE_VEC_AT(&m->params, struct cpose_param, i).kind <= CPOSE_PARAM_FROZEN ? CPOSE_VEC_AT(&m->params, struct cpose_param, i).numel : 0;
fail:
    if (have_doc) yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    cpose_free(layer_out), cpose_free(layer_ch), cpose_free(layer_stride);
    return rc;
}

char *cpose_model_find_yaml(const char *name)
{
    char *p = cpose_find_bundled(name);
    if (p) return p;
    /* yolov8n-pose.yaml → yolov8-pose.yaml (the scale letter is dropped; the builder reads it) */
    const char *base = cpose_path_basename(name);
    char uni[256];
    snprintf(uni, sizeof uni, "%s", base);
    char *v = strstr(uni, "yolov");
    if (v) {
        char *q = v + 5;
        while (isdigit((unsigned char)*q)) q++;
        if (*q && strchr("nslmx", *q)) memmove(q, q + 1, strlen(q));
    }
    p = cpose_find_bundled(uni);
    if (!p) {
        char *sub = cpose_path_join("models", uni);
        p = cpose_find_bundled(sub);
        cpose_free(sub);
    }
    if (!p) cpose_err(CPOSE_EINVAL, "model YAML '%s' not found (looked for %s in the current folder, "
                      "$CPOSE_CFG_DIR and the bundled core/cfg/models)", name, uni);
    return p;
}
