/* core/nn/pt_load.c — cpose_pt_model_load (core/nn/pt_load.h): from a torch.save archive to a built
 * model: pick `ema` or `model`, walk the module tree to its state_dict, build the model from the
 * checkpoint's YAML dict, load the tensors by name and shape, and carry names, kpt_shape, stride and
 * train_args over. */
#include "core/nn/pt_load.h"

#include <string.h>

#include "core/base/alloc.h"
#include "core/base/log.h"
#include "core/nn/model_impl.h"
#include "core/nn/pt_impl.h"

struct pt_ctx {
    const char *file;
    struct cpose_pt_zip *z;
    struct cpose_pkl_doc *doc;
    struct cpose_pt_tensor *t;
    size_t n, cap;
};

static const struct cpose_pt_tensor *find_tensor(const struct pt_ctx *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->t[i].key, key)) return &c->t[i];
    return NULL;
}

static int src_shape(void *ctx, const char *key, int *nd, int64_t *dims)
{
    const struct cpose_pt_tensor *t = find_tensor(ctx, key);
    if (!t) return cpose_err(CPOSE_EINVAL, "%s: no tensor '%s'", ((struct pt_ctx *)ctx)->file, key);
    *nd = t->ndim;
    for (int d = 0; d < t->ndim; d++) dims[d] = t->size[d];
    return CPOSE_OK;
}

static int src_read(void *ctx, const char *key, float *dst, int64_t numel)
{
    struct pt_ctx *c = ctx;
    const struct cpose_pt_tensor *t = find_tensor(c, key);
    if (!t || cpose_pt_tensor_numel(t) != numel)
        return cpose_err(CPOSE_EINVAL, "%s: tensor '%s' does not hold %lld values", c->file, key, (long long)numel);
    return cpose_pt_tensor_read(c->z, t, dst);
}

/* The model node: ema when present and not None, else model (Ultralytics' preference). */
static int pick_model(struct pt_ctx *c, const struct cpose_pkl *root, const struct cpose_pkl **model, const char **which)
{
    if (cpose_pkl_map_len(root) == 0 && !(root->kind == CPOSE_PKL_DICT))
        return cpose_err(CPOSE_EINVAL, "%s: not an Ultralytics checkpoint: its pickle holds a %s, not the dict "
                                       "{'model': ..., 'ema': ..., 'train_args': ...} Ultralytics saves",
                         c->file, cpose_pkl_kind_name(root));
    const struct cpose_pkl *ema = cpose_pkl_get(root, "ema"), *mod = cpose_pkl_get(root, "model");
    if (ema && ema->kind != CPOSE_PKL_NONE) *model = ema, *which = "ema";
    else if (mod && mod->kind != CPOSE_PKL_NONE) *model = mod, *which = "model";
    else {
        char keys[256] = "";
        for (size_t i = 0; i < cpose_pkl_map_len(root) && strlen(keys) < 200; i++) {
            const struct cpose_pkl *k = cpose_pkl_map_key(root, i);
            if (k->kind == CPOSE_PKL_STR)
                snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s'%.40s'", i ? ", " : "", k->s);
        }
        return cpose_err(CPOSE_EINVAL, "%s: not an Ultralytics checkpoint: no 'model' or 'ema' entry (its keys: %s)",
                         c->file, *keys ? keys : "none");
    }
    return CPOSE_OK;
}

/* The model YAML text of the module's `yaml` dict, with its file name and scale letter. */
static int build_from_yaml_dict(struct pt_ctx *c, const struct cpose_pkl *yd, struct cpose_model **out)
{
    char *text = cpose_pt_yaml_from_map(yd, NULL);
    if (!text || !*text) {
        cpose_free(text);
        return cpose_err(CPOSE_EINVAL, "%s: the model's 'yaml' is not a dict of plain values; pass cfg=yolov8n-pose.yaml",
                         c->file);
    }
    const struct cpose_pkl *yf = cpose_pkl_get(yd, "yaml_file"), *sc = cpose_pkl_get(yd, "scale");
    const char *name = yf && yf->kind == CPOSE_PKL_STR && *yf->s ? yf->s : "yolov8-pose.yaml";
    char scale = sc && sc->kind == CPOSE_PKL_STR && sc->len == 1 ? sc->s[0] : 0;
    struct cpose_model *m = cpose_calloc(1, sizeof *m);
    m->params.elem = sizeof(struct cpose_param);
    m->yaml_text = text;
    m->yaml_file = cpose_strdup(name);
    int rc = cpose_model_build(m, text, name, scale);
    if (rc) {
        cpose_model_free(m);
        return cpose_err_context(rc, "%s: building the model from its 'yaml' dict", c->file);
    }
    *out = m;
    return CPOSE_OK;
}

/* names: {0: 'person'} or ['person']; a list of another length than nc is a warning. */
static void apply_names(struct pt_ctx *c, struct cpose_model *m, const struct cpose_pkl *v)
{
    if (!v || v->kind == CPOSE_PKL_NONE) return;
    int nc = m->info.nc, ok = 1;
    char **names = cpose_calloc((size_t)nc, sizeof *names);
    if (v->kind == CPOSE_PKL_LIST || v->kind == CPOSE_PKL_TUPLE) {
        ok = (int)v->n == nc;
        for (int i = 0; ok && i < nc; i++)
            if (v->items[i]->kind == CPOSE_PKL_STR) names[i] = cpose_strdup(v->items[i]->s);
            else ok = 0;
    } else {
        ok = (int)cpose_pkl_map_len(v) == nc;
        for (size_t i = 0; ok && i < cpose_pkl_map_len(v); i++) {
            int64_t k;
            const struct cpose_pkl *val = cpose_pkl_map_val(v, i);
            if (!cpose_pkl_int(cpose_pkl_map_key(v, i), &k) || k < 0 || k >= nc || names[k] || val->kind != CPOSE_PKL_STR) ok = 0;
            else names[k] = cpose_strdup(val->s);
        }
    }
    if (!ok) {
        cpose_warn("%s: ignoring its class names (not %d names indexed 0..%d)", c->file, nc, nc - 1);
        for (int i = 0; i < nc; i++) cpose_free(names[i]);
        cpose_free(names);
        return;
    }
    for (int i = 0; i < m->info.n_names; i++) cpose_free(m->info.names[i]);
    cpose_free(m->info.names);
    m->info.names = names, m->info.n_names = nc;
}

/* kpt_shape and stride attributes, when present, must agree with the model the YAML built. */
static int check_kpt_stride(struct pt_ctx *c, const struct cpose_model *m, const struct cpose_pkl *attrs)
{
    const struct cpose_pkl *ks = cpose_pkl_get(attrs, "kpt_shape");
    if (ks && ks->kind != CPOSE_PKL_NONE) {
        int64_t a = 0, b = 0;
        int ok = (ks->kind == CPOSE_PKL_LIST || ks->kind == CPOSE_PKL_TUPLE) && ks->n == 2 &&
                 cpose_pkl_int(ks->items[0], &a) && cpose_pkl_int(ks->items[1], &b);
        if (!ok || a != m->info.nkpt || b != m->info.kdim)
            return cpose_err(CPOSE_EINVAL, "%s: the model's kpt_shape [%lld, %lld] disagrees with its YAML's [%d, %d]",
                             c->file, (long long)a, (long long)b, m->info.nkpt, m->info.kdim);
    }
    const struct cpose_pkl *st = cpose_pkl_get(attrs, "stride");
    if (st && st->kind != CPOSE_PKL_NONE) {
        struct cpose_pt_tensor t = {.key = "stride"};
        float v[8];
        int rc = cpose_pt_tensor_decode(c->file, "stride", st, &t);
        if (!rc && (t.ndim != 1 || t.size[0] != m->info.n_levels))
            rc = cpose_err(CPOSE_EINVAL, "%s: the model's stride holds %lld values; its YAML builds %d levels", c->file,
                           (long long)(t.ndim == 1 ? t.size[0] : -1), m->info.n_levels);
        if (!rc) rc = cpose_pt_tensor_read(c->z, &t, v);
        for (int l = 0; !rc && l < m->info.n_levels; l++)
            if (v[l] != (float)m->info.strides[l])
                rc = cpose_err(CPOSE_EINVAL, "%s: the model's stride %g at level %d disagrees with its YAML's %d", c->file,
                               (double)v[l], l, m->info.strides[l]);
        if (rc) return rc;
    }
    return CPOSE_OK;
}

/* train_args (checkpoint) else args (model: a dict or a namespace object) as the model's YAML text. */
static void apply_train_args(struct pt_ctx *c, struct cpose_model *m, const struct cpose_pkl *root,
                             const struct cpose_pkl *attrs)
{
    const struct cpose_pkl *ta = cpose_pkl_get(root, "train_args");
    if (!cpose_pkl_map_len(ta)) {
        ta = cpose_pkl_get(attrs, "args");
        if (ta && ta->kind == CPOSE_PKL_CALL && !ta->dict_items) ta = cpose_pkl_attrs(ta);
    }
    char *text = cpose_pt_yaml_from_map(ta, NULL);
    if (text && *text && cpose_model_set_train_args(m, text) != CPOSE_OK)
        cpose_warn("%s: ignoring its train_args (%s)", c->file, cpose_errmsg());
    cpose_free(text);
}

static int load_archive(struct pt_ctx *c, const char *cfg, struct cpose_model **out)
{
    struct cpose_model *m = NULL;
    const struct cpose_pkl *model = NULL, *attrs = NULL;
    const char *which = "model";
    char **keys = NULL;
    long pk = cpose_pt_zip_find(c->z, "data.pkl");
    if (pk < 0)
        return cpose_err(CPOSE_EINVAL, "%s: a ZIP without %s%sdata.pkl: not a torch.save checkpoint", c->file,
                         cpose_pt_zip_prefix(c->z), *cpose_pt_zip_prefix(c->z) ? "/" : "");
    const uint8_t *pkl;
    size_t plen;
    int rc = cpose_pt_zip_read(c->z, (size_t)pk, &pkl, &plen);
    if (rc) return rc;
    char *src = cpose_asprintf("%s: %s", c->file, cpose_pt_zip_name(c->z, (size_t)pk));
    rc = cpose_pkl_parse(src, pkl, plen, &c->doc);
    cpose_free(src);
    if (rc) return rc;
    const struct cpose_pkl *root = c->doc->root;
    if ((rc = pick_model(c, root, &model, &which)) != CPOSE_OK) return rc;
    if (cpose_pkl_map_len(model)) { /* a plain state_dict */
        for (size_t i = 0; i < cpose_pkl_map_len(model); i++) {
            const struct cpose_pkl *k = cpose_pkl_map_key(model, i);
            if (k->kind != CPOSE_PKL_STR) continue;
            if (c->n == c->cap) c->cap = c->cap ? 2 * c->cap : 64, c->t = cpose_realloc(c->t, c->cap * sizeof *c->t);
            memset(&c->t[c->n], 0, sizeof *c->t);
            snprintf(c->t[c->n].key, sizeof c->t[c->n].key, "%s", k->s);
            if ((rc = cpose_pt_tensor_decode(c->file, k->s, cpose_pkl_map_val(model, i), &c->t[c->n])) != CPOSE_OK) return rc;
            c->n++;
        }
        if (!cfg || !*cfg)
            return cpose_err(CPOSE_EINVAL, "%s: '%s' is a plain state_dict without the model's YAML; pass "
                                           "cfg=yolov8n-pose.yaml (the scale it was trained at)",
                             c->file, which);
    } else {
        const struct cpose_pkl *cls = model->kind == CPOSE_PKL_CALL ? model->func : NULL;
        if (cls && cls->kind == CPOSE_PKL_GLOBAL && strcmp(cls->name, "PoseModel") != 0)
            return cpose_err(CPOSE_EINVAL, "%s: '%s' is a %s.%s; cpose reads YOLOv8 pose models "
                                           "(ultralytics.nn.tasks.PoseModel)",
                             c->file, which, cls->module, cls->name);
        long visits = 0;
        if ((rc = cpose_pt_state_dict(c->file, model, "", &c->t, &c->n, &c->cap, 0, &visits)) != CPOSE_OK) return rc;
        attrs = cpose_pkl_attrs(model);
    }
    if (cfg && *cfg) rc = cpose_model_from_yaml_name(cfg, 0, &m);
    else {
        const struct cpose_pkl *yd = cpose_pkl_get(attrs, "yaml");
        if (!cpose_pkl_map_len(yd))
            return cpose_err(CPOSE_EINVAL, "%s: its model carries no 'yaml' dict; pass cfg=yolov8n-pose.yaml", c->file);
        rc = build_from_yaml_dict(c, yd, &m);
    }
    if (rc) return rc;
    keys = cpose_calloc(c->n ? c->n : 1, sizeof *keys);
    for (size_t i = 0; i < c->n; i++) keys[i] = c->t[i].key;
    struct cpose_weight_source ws = {c->file, c, src_shape, src_read};
    if ((rc = cpose_model_load_from(m, &ws, keys, c->n)) != CPOSE_OK) goto fail;
    if (attrs) {
        if ((rc = check_kpt_stride(c, m, attrs)) != CPOSE_OK) goto fail;
        apply_names(c, m, cpose_pkl_get(attrs, "names"));
    }
    apply_train_args(c, m, root, attrs);
    m->from_weights = 1;
    *out = m, m = NULL;
fail:
    cpose_free(keys);
    cpose_model_free(m);
    return rc;
}

static int load_zip(struct cpose_pt_zip *z, const char *file, const char *cfg, struct cpose_model **out)
{
    struct pt_ctx c = {.file = file, .z = z};
    int rc = load_archive(&c, cfg, out);
    cpose_pkl_free(c.doc);
    cpose_free(c.t);
    return rc;
}

int cpose_pt_model_load(const char *path, const char *cfg, struct cpose_model **out)
{
    struct cpose_pt_zip *z = NULL;
    *out = NULL;
    int rc = cpose_pt_zip_open(path, &z);
    if (!rc) rc = load_zip(z, path, cfg, out);
    cpose_pt_zip_close(z);
    return rc;
}

int cpose_pt_model_load_mem(const char *name, const void *data, size_t len, const char *cfg, struct cpose_model **out)
{
    struct cpose_pt_zip *z = NULL;
    *out = NULL;
    int rc = cpose_pt_zip_open_mem(name, data, len, &z);
    if (!rc) rc = load_zip(z, name, cfg, out);
    cpose_pt_zip_close(z);
    return rc;
}
