/* core/train/trainer_args.c — the train arguments: what cpose refuses or ignores, args.yaml (Ultralytics'
 * train_args) out and back in, freeze= layers, and the newest last.h5 for resume=True. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/base/settings.h"
#include "core/train/trainer_impl.h"

/* Keys whose non-default value cpose cannot honour, with the reason (refused by name). */
struct refusal {
    const char *key;
    const char *why;
};
static const struct refusal bool_refusals[] = {
    {"rect", "rectangular training batches are not implemented (train uses square mosaic/letterbox batches)"},
    {"multi_scale", "multi-scale training is not implemented"},
    {"profile", "profile= times ONNX/TensorRT exports during training, which cpose does not do"},
    {"save_hybrid", "save_hybrid is a val-only option for autolabelling"},
};
static const struct refusal float_refusals[] = {
    {"mixup", "mixup augmentation is not implemented (Ultralytics' pose default is 0.0)"},
    {"copy_paste", "copy_paste applies to segmentation labels only"},
    {"bgr", "the BGR channel-swap augmentation is not implemented"},
    {"dropout", "dropout applies to classification models only"},
    {"label_smoothing", "label_smoothing is not used by the v8 pose loss"},
};

int cpose_trainer_check_args(const struct cpose_args *a)
{
    const char *task = cpose_args_str(a, "task");
    if (strcmp(task, "pose") != 0)
        return cpose_err(CPOSE_EINVAL, "task=%s: cpose trains pose models only (task=pose)", task);
    for (size_t i = 0; i < sizeof bool_refusals / sizeof *bool_refusals; i++)
        if (cpose_args_bool(a, bool_refusals[i].key))
            return cpose_err(CPOSE_EINVAL, "%s=True is not supported: %s; leave %s=False", bool_refusals[i].key,
                             bool_refusals[i].why, bool_refusals[i].key);
    for (size_t i = 0; i < sizeof float_refusals / sizeof *float_refusals; i++)
        if (cpose_args_float(a, float_refusals[i].key, 0) != 0)
            return cpose_err(CPOSE_EINVAL, "%s=%s is not supported: %s; leave %s=0.0", float_refusals[i].key,
                             cpose_args_str(a, float_refusals[i].key), float_refusals[i].why, float_refusals[i].key);
    static const char *const classify_only[][2] = {
        {"auto_augment", "randaugment"}, {"erasing", "0.4"}, {"crop_fraction", "1.0"}};
    for (size_t i = 0; i < 3; i++)
        if (cpose_args_given(a, classify_only[i][0]) &&
            strtod(cpose_args_str(a, classify_only[i][0]), NULL) != strtod(classify_only[i][1], NULL) &&
            strcmp(cpose_args_str(a, classify_only[i][0]), classify_only[i][1]) != 0)
            return cpose_err(CPOSE_EINVAL, "%s=%s applies to classification training only: leave it out for pose",
                             classify_only[i][0], cpose_args_str(a, classify_only[i][0]));
    const char *device = cpose_args_str(a, "device");
    if (*device && strcmp(device, "cpu") != 0)
        return cpose_err(CPOSE_EINVAL, "device=%s: this build trains on the CPU only (device=cpu)", device);
    const char *cache = cpose_args_str(a, "cache");
    if (cpose_parse_bool(cache) != 0 && strcmp(cache, "ram") != 0 && strcmp(cache, "disk") != 0)
        return cpose_err(CPOSE_EINVAL, "cache=%s: use False, ram or disk", cache);
    if (cpose_parse_bool(cache) != 0)
        cpose_warn("cache=%s: images are decoded on the fly by the background loader; the setting changes nothing", cache);

    int has_time = !cpose_args_is_none(a, "time");
    int64_t epochs = cpose_args_int(a, "epochs", 100);
    if (!has_time && epochs < 1)
        return cpose_err(CPOSE_EINVAL, "epochs=%lld must be at least 1", (long long)epochs);
    if (has_time && !(cpose_args_float(a, "time", 0) > 0))
        return cpose_err(CPOSE_EINVAL, "time=%s must be a positive number of hours", cpose_args_str(a, "time"));
    struct { const char *key; int64_t lo, hi; } ranges[] = {
        {"batch", 1, 1024}, {"imgsz", 32, 8192}, {"nbs", 1, 1 << 20}, {"patience", 0, 1 << 30},
        {"workers", 0, 64}, {"close_mosaic", 0, 1 << 30}, {"save_period", -1, 1 << 30}};
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
        int64_t v = cpose_args_int(a, ranges[i].key, ranges[i].lo);
        if (v < ranges[i].lo || v > ranges[i].hi)
            return cpose_err(CPOSE_EINVAL, "%s=%lld must be in [%lld, %lld]", ranges[i].key, (long long)v,
                             (long long)ranges[i].lo, (long long)ranges[i].hi);
    }
    if (cpose_args_int(a, "batch", 16) == -1)
        return cpose_err(CPOSE_EINVAL, "batch=-1 (AutoBatch) needs a GPU: pass a batch size");
    struct { const char *key; double lo, hi; } franges[] = {
        {"lr0", 0, 10}, {"lrf", 0, 10}, {"momentum", 0, 1}, {"weight_decay", 0, 1}, {"warmup_epochs", 0, 1e6},
        {"warmup_momentum", 0, 1}, {"warmup_bias_lr", 0, 10}, {"fraction", 1e-9, 1}, {"box", 0, 1e6},
        {"cls", 0, 1e6}, {"dfl", 0, 1e6}, {"pose", 0, 1e6}, {"kobj", 0, 1e6}};
    for (size_t i = 0; i < sizeof franges / sizeof *franges; i++) {
        double v = cpose_args_float(a, franges[i].key, franges[i].lo);
        if (!(v >= franges[i].lo && v <= franges[i].hi))
            return cpose_err(CPOSE_EINVAL, "%s=%s must be in [%g, %g]", franges[i].key, cpose_args_str(a, franges[i].key),
                             franges[i].lo, franges[i].hi);
    }
    int fl[256];
    if (cpose_trainer_freeze_list(a, fl, 256) < 0) return CPOSE_EINVAL;
    return CPOSE_OK;
}

/* ---- args.yaml ---- */

/* A value as YAML: null, true/false, a number as given, or a string quoted when YAML would read it
 * as something else. */
static void yaml_value(char **buf, size_t *len, size_t *cap, const struct cpose_args *a, int id)
{
    const struct cpose_arg_def *d = &cpose_arg_defs[id];
    const char *v = a->value[id] ? a->value[id] : d->def;
    char tmp[64];
    const char *out = v;
    int quote = 0;
    if (!*v || strcmp(v, "None") == 0) out = "null";
    else if (d->type == CPOSE_ARG_BOOL) out = cpose_parse_bool(v) == 1 ? "true" : "false";
    else if (d->type == CPOSE_ARG_STR) {
        int b = cpose_parse_bool(v);
        if (b >= 0 && (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)) out = b ? "true" : "false";
        else quote = strpbrk(v, ":#'\"{}[],&*!|>%@`") != NULL || v[0] == ' ' || v[0] == '-';
    } else if (d->type == CPOSE_ARG_LIST) {
        snprintf(tmp, sizeof tmp, "%s", v);
        out = tmp;
    }
    size_t need = strlen(d->name) + strlen(out) * 2 + 8;
    if (*len + need >= *cap) {
        *cap = (*cap + need) * 2;
        *buf = cpose_realloc(*buf, *cap);
    }
    *len += (size_t)snprintf(*buf + *len, *cap - *len, "%s: ", d->name);
    if (quote) {
        (*buf)[(*len)++] = '\'';
        for (const char *p = out; *p; p++) {
            if (*p == '\'') (*buf)[(*len)++] = '\'';
            (*buf)[(*len)++] = *p;
        }
        (*buf)[(*len)++] = '\'';
        (*buf)[*len] = 0;
    } else
        *len += (size_t)snprintf(*buf + *len, *cap - *len, "%s", out);
    (*buf)[(*len)++] = '\n';
    (*buf)[*len] = 0;
}

char *cpose_trainer_args_yaml(const struct cpose_args *a)
{
    size_t cap = 4096, len = 0;
    char *buf = cpose_malloc(cap);
    buf[0] = 0;
    for (int id = 0; id < CPOSE_ARG_COUNT; id++) {
        /* Ultralytics' keys come first in args.def (up to threads=); cpose's own only when given */
        if (id >= CPOSE_ARGID_threads && !a->value[id]) continue;
        if (id == CPOSE_ARGID_mode) {
            /* the mode of a training run is train, whichever front end started it */
            struct cpose_args m = {0};
            m.value[id] = (char *)"train";
            yaml_value(&buf, &len, &cap, &m, id);
            continue;
        }
        yaml_value(&buf, &len, &cap, a, id);
    }
    return buf;
}

int cpose_trainer_args_from_yaml(const char *text, const char *what, struct cpose_args *a)
{
    int line_no = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        line_no++;
        char *line = cpose_strndup(p, n);
        p += n + (eol ? 1 : 0);
        char *colon = strchr(line, ':');
        if (!colon || line[0] == '#' || line[0] == ' ') { cpose_free(line); continue; }
        *colon = 0;
        char *val = colon + 1;
        while (*val == ' ') val++;
        size_t vl = strlen(val);
        while (vl && (val[vl - 1] == '\r' || val[vl - 1] == ' ')) val[--vl] = 0;
        if (vl >= 2 && val[0] == '\'' && val[vl - 1] == '\'') { /* '...' with '' for ' */
            char *w = val;
            for (size_t i = 1; i + 1 < vl; i++) {
                *w++ = val[i];
                if (val[i] == '\'' && val[i + 1] == '\'') i++;
            }
            *w = 0;
        }
        int id = cpose_arg_find(line);
        int rc = CPOSE_OK;
        if (id >= 0) rc = cpose_args_set(a, line, strcmp(val, "null") == 0 ? "None" : val);
        cpose_free(line);
        if (rc) return cpose_err_context(rc, "%s line %d", what, line_no);
    }
    return CPOSE_OK;
}

/* ---- freeze ---- */

int cpose_trainer_freeze_list(const struct cpose_args *a, int *out, int max)
{
    if (cpose_args_is_none(a, "freeze")) return 0;
    const char *v = cpose_args_str(a, "freeze");
    int n = 0;
    if (!strchr(v, ',') && !strchr(v, '[')) {
        char *end;
        long k = strtol(v, &end, 10);
        if (*end || k < 0 || k > max) {
            cpose_err(CPOSE_EINVAL, "freeze=%s: pass a layer count (freeze=10) or a list of layer indices (freeze=[0,1,2])", v);
            return -1;
        }
        for (int i = 0; i < k; i++) out[n++] = i;
        return n;
    }
    const char *p = v;
    while (*p) {
        while (*p == '[' || *p == ']' || *p == ',' || *p == ' ') p++;
        if (!*p) break;
        char *end;
        long k = strtol(p, &end, 10);
        if (end == p || k < 0 || k > 1000 || n >= max) {
            cpose_err(CPOSE_EINVAL, "freeze=%s: pass a layer count (freeze=10) or a list of layer indices (freeze=[0,1,2])", v);
            return -1;
        }
        out[n++] = (int)k;
        p = end;
    }
    return n;
}

int cpose_trainer_is_frozen(const char *name, const int *layers, int n_layers)
{
    if (strstr(name, ".dfl")) return 1; /* Ultralytics always freezes the DFL conv */
    for (int i = 0; i < n_layers; i++) {
        char pre[32];
        int k = snprintf(pre, sizeof pre, "model.%d.", layers[i]);
        if (strncmp(name, pre, (size_t)k) == 0) return 1;
    }
    return 0;
}

/* ---- resume=True ---- */

static void newest_last(const char *dir, int depth, char **best, double *best_t)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = cpose_path_join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 4) newest_last(p, depth + 1, best, best_t);
            else if (S_ISREG(st.st_mode) && strcmp(e->d_name, "last.h5") == 0) {
                double t = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9;
                if (!*best || t > *best_t) {
                    cpose_free(*best);
                    *best = cpose_strdup(p);
                    *best_t = t;
                }
            }
        }
        cpose_free(p);
    }
    closedir(d);
}

char *cpose_trainer_find_last(const struct cpose_args *a)
{
    char *root = cpose_args_is_none(a, "project") ? cpose_settings_get(CPOSE_SETTINGS_RUNS_DIR)
                                                   : cpose_strdup(cpose_args_str(a, "project"));
    char *best = NULL;
    double t = 0;
    if (root) newest_last(root, 0, &best, &t);
    if (!best)
        cpose_err(CPOSE_EINVAL, "resume=True: no weights/last.h5 found under %s; pass resume=<path to last.h5>",
                  root ? root : "the runs folder");
    cpose_free(root);
    return best;
}
