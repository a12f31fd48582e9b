/* core/nn/model_weights.c — model weights in HDF5: reading a flat state_dict (one dataset per key at
 * the root, attribute keys_in_order) or a cpose checkpoint (/model/<key> + attributes), with
 * unknown/missing/mis-shaped keys refused (by cpose_model_load_from, which any weight source — HDF5
 * here, .pt in core/nn/pt_load.c — feeds); and saving the checkpoint layout (DESIGN.md). */
#include "core/nn/model_impl.h"
#include "core/base/fsutil.h"
#include "core/nn/h5io.h"
#include "core/base/log.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define CKPT_FORMAT "cpose-checkpoint"

/* Appends "text" to a growing message, keeping it bounded: at most 8 entries, each cut to 100
 * characters (a damaged file's key can be any bytes), so the list is never empty when count > 0. */
static void msg_add(char *buf, size_t cap, int *count, const char *text)
{
    size_t len = strlen(buf);
    if (++*count > 8) return;
    char item[128];
    size_t tl = strlen(text);
    if (tl == 0) snprintf(item, sizeof item, "\"\" (an empty name)");
    else if (tl > 100) snprintf(item, sizeof item, "%.100s… (%zu chars)", text, tl);
    else snprintf(item, sizeof item, "%s", text);
    for (char *c = item; *c; c++)
        if ((unsigned char)*c < 0x20) *c = '?';
    if (len + strlen(item) + 3 < cap) snprintf(buf + len, cap - len, "%s%s", len ? "; " : "", item);
}

/* The first non-finite value of a loaded parameter, or -1. */
static int64_t first_nonfinite(const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return i;
    return -1;
}

int cpose_model_load_from(struct cpose_model *m, const struct cpose_weight_source *src, char **keys, size_t nkeys)
{
    int rc = CPOSE_OK, n_unknown = 0, n_missing = 0, n_shape = 0;
    char unknown[1024] = "", missing[1024] = "", shape[2048] = "";
    char *seen = cpose_calloc(m->params.len ? m->params.len : 1, 1);
    const char *file = src->file;
    for (size_t i = 0; i < nkeys; i++) {
        const char *k = keys[i];
        int found = -1;
        for (size_t j = 0; j < m->params.len; j++)
            if (!strcmp(CPOSE_VEC_AT(&m->params, struct cpose_param, j).name, k)) { found = (int)j; break; }
        if (found < 0) {
            msg_add(unknown, sizeof unknown, &n_unknown, k);
            continue;
        }
        struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, found);
        int nd;
        int64_t dims[CPOSE_H5_MAX_DIMS];
        if ((rc = src->shape(src->ctx, k, &nd, dims)) != CPOSE_OK) goto fail;
        int64_t cnt = 1;
        for (int d = 0; d < nd; d++)
            if (__builtin_mul_overflow(cnt, dims[d], &cnt)) cnt = INT64_MAX; /* h5io bounds it; never wraps */
        int ok = nd == p->ndim;
        for (int d = 0; ok && d < nd; d++) ok = dims[d] == p->dims[d];
        if (p->kind == CPOSE_PARAM_COUNTER) ok = cnt == 1;
        if (!ok) {
            char a[96], b[96], t[300];
            snprintf(t, sizeof t, "%s: file %s, model %s", k, cpose_shape_str(dims, nd, a, sizeof a),
                     cpose_shape_str(p->dims, p->ndim, b, sizeof b));
            msg_add(shape, sizeof shape, &n_shape, t);
            continue;
        }
        seen[found] = 1;
    }
    for (size_t j = 0; j < m->params.len; j++) {
        const struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, j);
        if (!seen[j] && !(p->kind == CPOSE_PARAM_COUNTER)) {
            /* a shape mismatch is reported as such, not again as missing */
            int listed = 0;
            for (size_t i = 0; i < nkeys; i++) listed |= !strcmp(keys[i], p->name);
            if (!listed) msg_add(missing, sizeof missing, &n_missing, p->name);
        }
    }
    if (n_unknown || n_missing || n_shape) {
        rc = cpose_err(CPOSE_EINVAL, "%s: weights do not fit the %s model:%s%s%s%s%s%s%s%s%s", file, m->name,
                       n_shape ? " wrong shape (" : "", shape, n_shape ? ")" : "",
                       n_unknown ? " unknown keys (" : "", unknown, n_unknown ? ")" : "",
                       n_missing ? " missing keys (" : "", missing, n_missing ? ")" : "");
        if (n_unknown + n_missing + n_shape > 8)
            cpose_err_context(rc, "%d unknown, %d missing, %d mis-shaped", n_unknown, n_missing, n_shape);
        goto fail;
    }
    for (size_t j = 0; j < m->params.len; j++) {
        struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, j);
        if (!seen[j]) continue;
        if ((rc = src->read(src->ctx, p->name, p->data, p->numel ? p->numel : 1)) != CPOSE_OK) goto fail;
        int64_t bad = first_nonfinite(p->data, p->numel ? p->numel : 1);
        if (bad >= 0) {
            rc = cpose_err(CPOSE_EINVAL,
                           "%s: weight '%s' holds a non-finite value (%g at flat index %lld); NaN/Inf weights would "
                           "make the outputs NaN — the file is damaged or came from a diverged training run",
                           file, p->name, (double)p->data[bad], (long long)bad);
            goto fail;
        }
    }
    cpose_model_invalidate(m);
fail:
    cpose_free(seen);
    return rc;
}

/* The HDF5 weight source: datasets <group><key> of an open file. */
struct h5_source {
    struct cpose_h5 *f;
    const char *group;
};

static int h5_shape(void *ctx, const char *key, int *nd, int64_t *dims)
{
    struct h5_source *h = ctx;
    char path[512];
    snprintf(path, sizeof path, "%s%s", h->group, key);
    return cpose_h5_shape(h->f, path, nd, dims);
}

static int h5_read(void *ctx, const char *key, float *dst, int64_t numel)
{
    struct h5_source *h = ctx;
    char path[512];
    snprintf(path, sizeof path, "%s%s", h->group, key);
    return cpose_h5_read_f32_into(h->f, path, dst, numel);
}

static int load_into(struct cpose_model *m, struct cpose_h5 *f, const char *group, char **keys, size_t nkeys)
{
    struct h5_source h = {f, group};
    struct cpose_weight_source src = {cpose_h5_path(f), &h, h5_shape, h5_read};
    return cpose_model_load_from(m, &src, keys, nkeys);
}

int cpose_weights_check_version(struct cpose_h5 *f, int *version)
{
    const char *file = cpose_h5_path(f);
    int64_t v = 0;
    size_t nv = 0;
    int rc;
    if (version) *version = 0;
    if (cpose_h5_attr_exists(f, "/", "format") > 0) {
        char *fmt = NULL;
        if ((rc = cpose_h5_attr_read_str(f, "/", "format", &fmt)) != CPOSE_OK) return rc;
        int ok = !strcmp(fmt, CKPT_FORMAT);
        if (!ok)
            rc = cpose_err(CPOSE_EINVAL, "%s: format '%.60s' is not a cpose weights file (expected '%s')", file, fmt,
                           CKPT_FORMAT);
        cpose_free(fmt);
        if (!ok) return rc;
    }
    if (cpose_h5_attr_exists(f, "/", "version") <= 0) return CPOSE_OK;
    if ((rc = cpose_h5_attr_read_i64(f, "/", "version", &v, 1, &nv)) != CPOSE_OK)
        return cpose_err_context(rc, "%s: reading the format version", file);
    if (nv != 1 || v < 1 || v > CPOSE_WEIGHTS_VERSION_MAX)
        return cpose_err(CPOSE_EINVAL,
                         "%s: format version %lld%s is not one this cpose %s reads (versions 1..%d): the file was "
                         "written by a newer cpose — update cpose, or re-export the weights with the version that wrote them",
                         file, (long long)v, nv == 1 ? "" : " (not a single number)", CPOSE_VERSION,
                         CPOSE_WEIGHTS_VERSION_MAX);
    if (version) *version = (int)v;
    return CPOSE_OK;
}

/* The dataset keys of a file: /model/ listing for checkpoints, else keys_in_order or the root.
 * The format version is checked first. */
static int file_keys(struct cpose_h5 *f, int *is_ckpt, char ***keys, size_t *n)
{
    int rc = cpose_weights_check_version(f, NULL);
    if (rc) return rc;
    *is_ckpt = cpose_h5_attr_exists(f, "/", "format") > 0 || cpose_h5_exists(f, "/model") > 0;
    if (*is_ckpt) return cpose_h5_list(f, "/model", keys, n);
    if (cpose_h5_attr_exists(f, "/", "keys_in_order") > 0) return cpose_h5_attr_read_str_array(f, "/", "keys_in_order", keys, n);
    return cpose_h5_list(f, "/", keys, n);
}

/* Training arguments and imgsz of a checkpoint file into m (train_args first, else the imgsz
 * attribute). Unreadable train_args are a warning, not an error: the weights are still good. */
static void load_train_args(struct cpose_model *m, struct cpose_h5 *f)
{
    if (cpose_h5_attr_exists(f, "/", "train_args") > 0) {
        char *ta = NULL;
        if (cpose_h5_attr_read_str(f, "/", "train_args", &ta) == CPOSE_OK && cpose_model_set_train_args(m, ta) != CPOSE_OK)
            cpose_warn("%s: ignoring its train_args (%s)", cpose_h5_path(f), cpose_errmsg());
        cpose_free(ta);
    }
    if (!m->info.imgsz && cpose_h5_attr_exists(f, "/", "imgsz") > 0) {
        int64_t v[2] = {0, 0};
        size_t nv = 0;
        if (cpose_h5_attr_read_i64(f, "/", "imgsz", v, 2, &nv) == CPOSE_OK && nv >= 1) {
            int64_t s = nv == 2 && v[1] > v[0] ? v[1] : v[0];
            if (s >= 1 && s <= 65536) m->info.imgsz = (int)s;
        }
    }
}

int cpose_model_load_weights(struct cpose_model *m, const char *path)
{
    struct cpose_h5 *f = NULL;
    char **keys = NULL;
    size_t n = 0;
    int ck, rc;
    if ((rc = cpose_h5_open(path, &f)) != CPOSE_OK) return rc;
    if ((rc = file_keys(f, &ck, &keys, &n)) == CPOSE_OK) rc = load_into(m, f, ck ? "/model/" : "/", keys, n);
    cpose_h5_free_strings(keys, n);
    cpose_h5_close(f);
    return rc;
}

static int has_key(char **keys, size_t n, const char *k)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(keys[i], k)) return 1;
    return 0;
}

int cpose_model_load_flat_or_ckpt(const char *path, const char *cfg, struct cpose_model **out)
{
    struct cpose_h5 *f = NULL;
    struct cpose_model *m = NULL;
    char **keys = NULL, *yaml = NULL, *yaml_file = NULL;
    size_t n = 0;
    int ck, rc;
    if (!cpose_path_is_file(path)) return cpose_err(CPOSE_EIO, "%s: no such weights file", path);
    if ((rc = cpose_h5_open(path, &f)) != CPOSE_OK) return rc;
    if ((rc = file_keys(f, &ck, &keys, &n)) != CPOSE_OK) goto fail;
    const char *group = ck ? "/model/" : "/";
    if (cfg && *cfg) {
        rc = cpose_model_from_yaml_name(cfg, 0, &m);
    } else if (ck && cpose_h5_attr_exists(f, "/", "yaml") > 0) {
        if ((rc = cpose_h5_attr_read_str(f, "/", "yaml", &yaml)) != CPOSE_OK) goto fail;
        if (cpose_h5_attr_exists(f, "/", "yaml_file") > 0) cpose_h5_attr_read_str(f, "/", "yaml_file", &yaml_file);
        m = cpose_calloc(1, sizeof *m);
        m->params.elem = sizeof(struct cpose_param);
        m->yaml_text = yaml, yaml = NULL;
        m->yaml_file = cpose_strdup(yaml_file ? yaml_file : "yolov8-pose.yaml");
        rc = cpose_model_build(m, m->yaml_text, m->yaml_file, 0);
    } else {
        /* no YAML: the scale from model.0.conv.weight's out-channels, p6 if a 4-level head exists */
        char k0[64];
        snprintf(k0, sizeof k0, "%smodel.0.conv.weight", group);
        int nd;
        int64_t d[CPOSE_H5_MAX_DIMS];
        if (!has_key(keys, n, "model.0.conv.weight") || cpose_h5_shape(f, k0, &nd, d) != CPOSE_OK || nd != 4) {
            rc = cpose_err(CPOSE_EINVAL, "%s: no model.0.conv.weight to infer the model from; pass cfg=yolov8n-pose.yaml", path);
            goto fail;
        }
        const char *letters = "nslmx";
        int idx = (int)(d[0] / 16) - 1;
        if (d[0] % 16 || idx < 0 || idx > 4) {
            rc = cpose_err(CPOSE_EINVAL, "%s: model.0.conv.weight has %lld out-channels (not 16/32/48/64/80); pass cfg=",
                           path, (long long)d[0]);
            goto fail;
        }
        int p6 = has_key(keys, n, "model.30.dfl.conv.weight");
        char name[64];
        snprintf(name, sizeof name, "yolov8%c-pose%s.yaml", letters[idx], p6 ? "-p6" : "");
        cpose_info("%s carries no model YAML: using %s (scale from model.0.conv.weight's %lld out-channels)", path,
                   name, (long long)d[0]);
        rc = cpose_model_from_yaml_name(name, 0, &m);
    }
    if (rc) goto fail;
    if ((rc = load_into(m, f, group, keys, n)) != CPOSE_OK) goto fail;
    if (ck && cpose_h5_attr_exists(f, "/", "names") > 0) {
        char **names = NULL;
        size_t nn = 0;
        if (cpose_h5_attr_read_str_array(f, "/", "names", &names, &nn) == CPOSE_OK && (int)nn == m->info.nc) {
            for (int i = 0; i < m->info.n_names; i++) cpose_free(m->info.names[i]);
            cpose_free(m->info.names);
            m->info.names = names, m->info.n_names = (int)nn;
        } else {
            cpose_h5_free_strings(names, nn);
        }
    }
    if (ck) load_train_args(m, f);
    m->from_weights = 1;
    *out = m, m = NULL;
fail:
    cpose_model_free(m);
    cpose_free(yaml), cpose_free(yaml_file);
    cpose_h5_free_strings(keys, n);
    cpose_h5_close(f);
    if (rc) cpose_err_context(rc, "loading %s", path);
    return rc;
}

int cpose_model_write_h5(const struct cpose_model *m, struct cpose_h5 *f,
                         const float *(*value_of)(void *ctx, const char *key, int64_t numel), void *ctx)
{
    int rc = CPOSE_OK;
    for (size_t i = 0; i < m->params.len && !rc; i++) {
        const struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
        char key[512];
        snprintf(key, sizeof key, "/model/%s", p->name);
        if (p->kind == CPOSE_PARAM_COUNTER) {
            int64_t v = (int64_t)p->data[0];
            rc = cpose_h5_write_i64(f, key, &v, 0, NULL);
        } else {
            const float *v = value_of ? value_of(ctx, p->name, p->numel) : NULL;
            rc = cpose_h5_write_f32(f, key, v ? v : p->data, p->ndim, p->dims);
        }
    }
    int64_t ver = CPOSE_WEIGHTS_VERSION, kpt[2] = {m->info.nkpt, m->info.kdim}, strides[4];
    for (int l = 0; l < m->info.n_levels; l++) strides[l] = m->info.strides[l];
    int64_t flip[64], imgsz = m->info.imgsz;
    for (int i = 0; i < m->info.nkpt && i < 64; i++) flip[i] = m->info.flip_idx[i];
    char date[32];
    time_t now = time(NULL);
    struct tm tmv;
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tmv));
    if (!rc) rc = cpose_h5_attr_write_str(f, "/", "format", CKPT_FORMAT);
    if (!rc) rc = cpose_h5_attr_write_i64(f, "/", "version", &ver, 1);
    if (!rc) rc = cpose_h5_attr_write_str(f, "/", "task", "pose");
    if (!rc) rc = cpose_h5_attr_write_str_array(f, "/", "names", (const char *const *)m->info.names, m->info.n_names);
    if (!rc) rc = cpose_h5_attr_write_i64(f, "/", "kpt_shape", kpt, 2);
    if (!rc) rc = cpose_h5_attr_write_i64(f, "/", "flip_idx", flip, m->info.nkpt < 64 ? m->info.nkpt : 64);
    if (!rc) rc = cpose_h5_attr_write_i64(f, "/", "stride", strides, m->info.n_levels);
    if (!rc && imgsz > 0) rc = cpose_h5_attr_write_i64(f, "/", "imgsz", &imgsz, 1);
    if (!rc && m->train_args_yaml) rc = cpose_h5_attr_write_str(f, "/", "train_args", m->train_args_yaml);
    if (!rc) rc = cpose_h5_attr_write_str(f, "/", "yaml", m->yaml_text ? m->yaml_text : "");
    if (!rc) rc = cpose_h5_attr_write_str(f, "/", "yaml_file", m->yaml_file ? m->yaml_file : "");
    if (!rc) rc = cpose_h5_attr_write_str(f, "/", "date", date);
    if (!rc) rc = cpose_h5_attr_write_str(f, "/", "cpose_version", CPOSE_VERSION);
    return rc;
}

int cpose_model_save(const struct cpose_model *m, const char *path)
{
    struct cpose_h5 *f = NULL;
    int rc;
    if ((rc = cpose_h5_create(path, &f)) != CPOSE_OK) return rc;
    if ((rc = cpose_model_write_h5(m, f, NULL, NULL)) != CPOSE_OK) {
        cpose_h5_close(f);
        return cpose_err_context(rc, "saving %s", path);
    }
    return cpose_h5_commit(f);
}
