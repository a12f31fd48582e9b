/* exporters/tflite/tflite_file.c — builds one .tflite (graph rewrite, optional calibration and int8
 * parameters, flatbuffer, metadata zip) and writes it with metadata.yaml into the output folder. */
#include "exporters/tflite/tflite_file.h"

#include <stdio.h>
#include <string.h>

#include "exporters/tf/tf_nhwc.h"
#include "exporters/tflite/tflite_quant.h"
#include "exporters/tflite/tflite_write.h"

/* Appends text to a growing host-allocated string. */
struct text { const struct cpose_host *h; char *s; size_t len, cap; };

static void put(struct text *t, const char *a)
{
    size_t n = strlen(a);
    if (t->len + n + 1 > t->cap) {
        t->cap = 2 * (t->len + n + 1);
        t->s = t->h->realloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, a, n + 1);
    t->len += n;
}

/* metadata.json (JSON object) or metadata.yaml (one "key: value" line each), Ultralytics' keys. */
static char *metadata(const struct cpose_host *h, struct cpose_export *x, int style)
{
    struct text t = {h, NULL, 0, 0};
    put(&t, style == CPOSE_META_JSON ? "{" : "");
    const char *const *keys = h->meta_keys(x);
    for (int i = 0; keys[i]; i++) {
        char *v = h->meta_text(x, keys[i], style);
        if (!v) {
            h->free(t.s);
            return NULL;
        }
        if (style == CPOSE_META_JSON) {
            put(&t, i ? ", \"" : "\"");
            put(&t, keys[i]);
            put(&t, "\": ");
        } else {
            put(&t, keys[i]);
            put(&t, ": ");
        }
        put(&t, v);
        put(&t, style == CPOSE_META_JSON ? "" : "\n");
        h->free(v);
    }
    if (style == CPOSE_META_JSON) put(&t, "}");
    return t.s;
}

static int quantized(const struct cpose_host *h, struct cpose_export *x, const struct cpose_view *v,
                     const struct tfg_graph *g, const char *desc, struct tflite_made *out, uint8_t **fb, size_t *fb_len)
{
    if (!CPOSE_HOST_HAS(h, calibrate))
        return h->error(x, CPOSE_PLUGIN_EABI, "int8=True needs a cpose host with calibration (plugin ABI 1.2 or newer)");
    h->progress(x, 0.05, "tflite: calibration");
    const struct cpose_value_range *r = h->calibrate(x, &out->n_calib);
    if (!r) return CPOSE_PLUGIN_EINVAL;
    struct tflite_qparams *act = h->calloc((size_t)g->n_values, sizeof *act);
    int rc = tflite_int8_params(g, v, r, act);
    if (rc == 0) {
        h->progress(x, 0.5, "tflite: int8 flatbuffer");
        rc = tflite_serialize_int8(g, act, desc, fb, fb_len);
    }
    h->free(act);
    return rc;
}

int tflite_make(const struct cpose_host *h, struct cpose_export *x, int mode, struct tflite_made *out)
{
    memset(out, 0, sizeof *out);
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    const struct cpose_plugin_meta *md = h->meta(x);
    struct tfg_options o = {1, md->n_names, md->kpt_shape[0], md->kpt_shape[1]};
    struct tfg_graph g;
    h->progress(x, 0.02, "tflite: NHWC graph");
    int rc = tfg_from_view(h, x, v, &o, &g);
    uint8_t *fb = NULL, *zip = NULL;
    size_t fb_len = 0, zip_len = 0;
    char *json = NULL;
    char desc[256];
    snprintf(desc, sizeof desc, "%s exported by cpose %s", md->model_name, md->version);
    if (rc == 0) {
        out->n_ops = g.n_ops, out->n_values = g.n_values;
        for (int k = 0; k < g.n_ops; k++) out->tfg_kinds |= 1 << g.ops[k].kind;
        if (mode == TFLITE_INT8) {
            rc = quantized(h, x, v, &g, desc, out, &fb, &fb_len);
        } else {
            h->progress(x, 0.5, "tflite: flatbuffer");
            rc = tflite_serialize(&g, mode == TFLITE_FLOAT16, desc, &fb, &fb_len);
        }
    }
    if (rc == 0) {
        json = metadata(h, x, CPOSE_META_JSON);
        out->yaml = metadata(h, x, CPOSE_META_YAML);
        if (!json || !out->yaml) rc = CPOSE_PLUGIN_EINVAL;
    }
    if (rc == 0) {
        tflite_zip_one(h, fb_len, "metadata.json", json, strlen(json), &zip, &zip_len);
        out->len = fb_len + zip_len;
        out->bytes = h->alloc(out->len);
        memcpy(out->bytes, fb, fb_len);
        memcpy(out->bytes + fb_len, zip, zip_len);
    }
    tfg_free(&g);
    h->free(fb), h->free(zip), h->free(json);
    if (rc) tflite_made_free(h, out);
    return rc;
}

void tflite_made_free(const struct cpose_host *h, struct tflite_made *m)
{
    h->free(m->bytes), h->free(m->yaml);
    m->bytes = NULL, m->yaml = NULL;
}

int tflite_write_folder(const struct cpose_host *h, struct cpose_export *x, const char *folder, const char *tag,
                        const struct tflite_made *made, char **file)
{
    *file = NULL;
    int rc = h->make_dir(x, folder);
    if (rc) return rc;
    const char *base = strrchr(folder, '/') ? strrchr(folder, '/') + 1 : folder;
    size_t stem = strlen(base), sl = strlen("_saved_model");
    if (stem > sl && !strcmp(base + stem - sl, "_saved_model")) stem -= sl;
    size_t n = strlen(folder) + stem + strlen(tag) + 32;
    *file = h->alloc(n);
    snprintf(*file, n, "%s/%.*s_%s.tflite", folder, (int)stem, base, tag);
    rc = h->write_file(x, *file, made->bytes, made->len);
    if (rc == 0) {
        size_t m = strlen(folder) + 32;
        char *ypath = h->alloc(m);
        snprintf(ypath, m, "%s/metadata.yaml", folder);
        rc = h->write_file(x, ypath, made->yaml, strlen(made->yaml));
        h->free(ypath);
    }
    return rc;
}
