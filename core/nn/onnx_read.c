/* core/nn/onnx_read.c — the protobuf-level reading of ONNX files: parse, constant tensors in all
 * their storage forms, attributes, and Ultralytics' metadata_props (Python literals). */
#include "core/nn/onnx_read.h"
#include "core/base/alloc.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int cpose_onnx_parse(const char *path, const uint8_t *data, size_t len, Onnx__ModelProto **out)
{
    *out = NULL;
    if (len == 0) return cpose_err(CPOSE_EINVAL, "%s: empty file, not an ONNX model", path);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, data);
    if (!m)
        return cpose_err(CPOSE_EINVAL, "%s: not a valid ONNX model (the protobuf does not parse: truncated or not an "
                                       "ONNX file; re-export it)", path);
    if (!m->graph || m->graph->n_node == 0 || m->graph->n_output == 0) {
        onnx__model_proto__free_unpacked(m, NULL);
        return cpose_err(CPOSE_EINVAL, "%s: not an ONNX model (no graph, nodes or outputs; truncated or another "
                                       "protobuf file)", path);
    }
    *out = m;
    return CPOSE_OK;
}

/* IEEE half → float (normals, subnormals, inf, nan). */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, f = h & 0x3ff, bits;
    if (e == 0) {
        float v = ldexpf((float)f, -24);
        return sign ? -v : v;
    }
    if (e == 31) bits = sign | 0x7f800000u | (f << 13);
    else bits = sign | ((e - 15 + 127) << 23) | (f << 13);
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

/* Bytes per element in raw_data, or 0 for a type cpose does not read. */
static int elem_bytes(int t)
{
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return 1;
    default: return 0;
    }
}

static int is_float_type(int t)
{
    return t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || t == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ||
           t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 || t == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
}

/* Element k of raw little-endian storage as double. */
static double raw_elem(const uint8_t *p, int t, int64_t k)
{
    int b = elem_bytes(t);
    const uint8_t *q = p + k * b;
    uint64_t u = 0;
    for (int i = 0; i < b; i++) u |= (uint64_t)q[i] << (8 * i);
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: { uint32_t w = (uint32_t)u; float f; memcpy(&f, &w, 4); return f; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: { double d; memcpy(&d, &u, 8); return d; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return half_to_float((uint16_t)u);
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return bf16_to_float((uint16_t)u);
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return (double)(int64_t)u;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return (double)(int32_t)(uint32_t)u;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return (double)(int16_t)(uint16_t)u;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return (double)(int8_t)(uint8_t)u;
    default: return (double)u;  /* unsigned types, bool */
    }
}

void cpose_onnx_const_clear(struct cpose_onnx_const *c)
{
    if (!c) return;
    cpose_free(c->name), cpose_free(c->f), cpose_free(c->i);
    memset(c, 0, sizeof *c);
}

/* Allocates c's arrays for numel values and sets both views from v[k] (double). */
static void const_alloc(struct cpose_onnx_const *c)
{
    c->f = cpose_malloc((size_t)(c->numel ? c->numel : 1) * sizeof(float));
    c->i = cpose_malloc((size_t)(c->numel ? c->numel : 1) * sizeof(int64_t));
}

static void const_set(struct cpose_onnx_const *c, int64_t k, double v, int64_t iv)
{
    c->f[k] = (float)v;
    c->i[k] = iv;
}

int cpose_onnx_const_from_tensor(const Onnx__TensorProto *t, const char *what, struct cpose_onnx_const *c)
{
    memset(c, 0, sizeof *c);
    int type = t->data_type;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return cpose_err(CPOSE_ENOTSUP, "tensor '%s': external data files are not supported (save the model with its "
                                        "weights inside the .onnx file)", what);
    if (!elem_bytes(type))
        return cpose_err(CPOSE_ENOTSUP, "tensor '%s': data type %d is not a numeric type cpose reads", what, type);
    if (t->n_dims > 8) return cpose_err(CPOSE_EINVAL, "tensor '%s': %zu dims (at most 8)", what, t->n_dims);
    c->ndim = (int)t->n_dims;
    c->numel = 1;
    for (int d = 0; d < c->ndim; d++) {
        if (t->dims[d] < 0) return cpose_err(CPOSE_EINVAL, "tensor '%s': negative dim %lld", what, (long long)t->dims[d]);
        c->dims[d] = t->dims[d];
        c->numel *= t->dims[d];
    }
    c->elem_type = type;
    int64_t n = c->numel;
    size_t have;
    if (t->has_raw_data) have = t->raw_data.len / elem_bytes(type);
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) have = t->n_float_data;
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) have = t->n_double_data;
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) have = t->n_int64_data;
    else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 || type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64)
        have = t->n_uint64_data;
    else have = t->n_int32_data;
    if ((int64_t)have != n || (t->has_raw_data && t->raw_data.len != (size_t)n * elem_bytes(type)))
        return cpose_err(CPOSE_EINVAL, "tensor '%s': %lld elements by its dims but %zu stored (a truncated or damaged "
                                       "file)", what, (long long)n, have);
    const_alloc(c);
    int isf = is_float_type(type);
    for (int64_t k = 0; k < n; k++) {
        double v;
        if (t->has_raw_data) v = raw_elem(t->raw_data.data, type, k);
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) v = t->float_data[k];
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) v = t->double_data[k];
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) v = (double)t->int64_data[k];
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 || type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64)
            v = (double)t->uint64_data[k];
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16) v = half_to_float((uint16_t)t->int32_data[k]);
        else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16) v = bf16_to_float((uint16_t)t->int32_data[k]);
        else v = t->int32_data[k];
        int64_t iv;
        if (!t->has_raw_data && type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) iv = t->int64_data[k];
        else if (t->has_raw_data && type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
            uint64_t u = 0;
            for (int b = 0; b < 8; b++) u |= (uint64_t)t->raw_data.data[k * 8 + b] << (8 * b);
            iv = (int64_t)u;
        } else iv = isf ? (isfinite(v) ? (int64_t)v : 0) : (int64_t)v;
        const_set(c, k, v, iv);
    }
    c->name = cpose_strdup(t->name && *t->name ? t->name : what);
    return CPOSE_OK;
}

const Onnx__AttributeProto *cpose_onnx_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t k = 0; k < n->n_attribute; k++)
        if (n->attribute[k]->name && !strcmp(n->attribute[k]->name, name)) return n->attribute[k];
    return NULL;
}

int cpose_onnx_const_from_node(const Onnx__NodeProto *n, struct cpose_onnx_const *c)
{
    const char *out = n->n_output ? n->output[0] : "?";
    memset(c, 0, sizeof *c);
    const Onnx__AttributeProto *a;
    int rc;
    if ((a = cpose_onnx_attr(n, "value")) && a->t) {
        if ((rc = cpose_onnx_const_from_tensor(a->t, out, c)) != CPOSE_OK) return rc;
    } else if ((a = cpose_onnx_attr(n, "value_float")) || (a = cpose_onnx_attr(n, "value_int"))) {
        c->ndim = 0, c->numel = 1;
        const_alloc(c);
        int isf = !strcmp(a->name, "value_float");
        const_set(c, 0, isf ? a->f : (double)a->i, isf ? (int64_t)a->f : a->i);
        c->elem_type = isf ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    } else if ((a = cpose_onnx_attr(n, "value_floats")) || (a = cpose_onnx_attr(n, "value_ints"))) {
        int isf = !strcmp(a->name, "value_floats");
        c->ndim = 1, c->numel = c->dims[0] = (int64_t)(isf ? a->n_floats : a->n_ints);
        const_alloc(c);
        for (int64_t k = 0; k < c->numel; k++)
            const_set(c, k, isf ? a->floats[k] : (double)a->ints[k], isf ? (int64_t)a->floats[k] : a->ints[k]);
        c->elem_type = isf ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    } else {
        return cpose_err(CPOSE_ENOTSUP, "Constant node '%s' (output %s): no value cpose reads (value, value_float(s), "
                                        "value_int(s))", n->name ? n->name : "", out);
    }
    cpose_free(c->name);
    c->name = cpose_strdup(out);
    return CPOSE_OK;
}

int64_t cpose_onnx_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = cpose_onnx_attr(n, name);
    return a && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT ? a->i : def;
}

const char *cpose_onnx_attr_str(const Onnx__NodeProto *n, const char *name, const char *def, char *buf, size_t cap)
{
    const Onnx__AttributeProto *a = cpose_onnx_attr(n, name);
    if (!a || a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) return def;
    size_t l = a->s.len < cap - 1 ? a->s.len : cap - 1;
    memcpy(buf, a->s.data, l);
    buf[l] = 0;
    return buf;
}

size_t cpose_onnx_attr_ints(const Onnx__NodeProto *n, const char *name, const int64_t **v)
{
    const Onnx__AttributeProto *a = cpose_onnx_attr(n, name);
    *v = NULL;
    if (!a || a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS) return 0;
    *v = a->ints;
    return a->n_ints;
}

/* ---- metadata: the small Python-literal grammar Ultralytics writes (ints, lists, a dict of
 * int → quoted string) ---- */

static const char *skip_ws(const char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    return s;
}

/* "[a, b]" or "(a, b)" or "a" (one int, used twice) → two ints. Returns 0 on success. */
static int parse_int_pair(const char *s, int out[2])
{
    s = skip_ws(s);
    char *e;
    if (*s != '[' && *s != '(') {
        long v = strtol(s, &e, 10);
        if (e == s || *skip_ws(e)) return -1;
        out[0] = out[1] = (int)v;
        return 0;
    }
    char close = *s == '[' ? ']' : ')';
    s++;
    for (int k = 0; k < 2; k++) {
        s = skip_ws(s);
        long v = strtol(s, &e, 10);
        if (e == s) return -1;
        out[k] = (int)v;
        s = skip_ws(e);
        if (k == 0 && *s++ != ',') return -1;
    }
    if (*s == ',') s = skip_ws(s + 1);
    return *s == close && !*skip_ws(s + 1) ? 0 : -1;
}

/* A quoted Python string at *ps ('...' or "..." with backslash escapes) → owned copy. */
static char *parse_quoted(const char **ps)
{
    const char *s = *ps;
    char q = *s;
    if (q != '\'' && q != '"') return NULL;
    s++;
    size_t cap = strlen(s) + 1, n = 0;
    char *o = cpose_malloc(cap);
    while (*s && *s != q) {
        if (*s == '\\' && s[1]) {
            s++;
            o[n++] = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        } else {
            o[n++] = *s;
        }
        s++;
    }
    if (*s != q) {
        cpose_free(o);
        return NULL;
    }
    o[n] = 0;
    *ps = s + 1;
    return o;
}

/* "{0: 'person', 1: 'car'}" → names indexed by key (keys 0..n-1, any order). 0 on success. */
static int parse_names(const char *s, struct cpose_onnx_meta *meta)
{
    s = skip_ws(s);
    if (*s++ != '{') return -1;
    int cap = 0;
    for (;;) {
        s = skip_ws(s);
        if (*s == '}') break;
        char *e;
        long key = strtol(s, &e, 10);
        if (e == s || key < 0 || key > 100000) return -1;
        s = skip_ws(e);
        if (*s++ != ':') return -1;
        s = skip_ws(s);
        char *v = parse_quoted(&s);
        if (!v) return -1;
        if (key >= cap) {
            int nc = (int)key + 1 > 2 * cap ? (int)key + 1 : 2 * cap;
            meta->names = cpose_realloc(meta->names, nc * sizeof(char *));
            memset(meta->names + cap, 0, (nc - cap) * sizeof(char *));
            cap = nc;
        }
        cpose_free(meta->names[key]);
        meta->names[key] = v;
        if (key + 1 > meta->n_names) meta->n_names = (int)key + 1;
        s = skip_ws(s);
        if (*s == ',') s++;
        else if (*s != '}') return -1;
    }
    if (*skip_ws(s + 1)) return -1;
    for (int k = 0; k < meta->n_names; k++)
        if (!meta->names[k]) return -1; /* keys must be 0..n-1 */
    return 0;
}

void cpose_onnx_meta_clear(struct cpose_onnx_meta *meta)
{
    if (!meta) return;
    for (int k = 0; k < meta->n_names; k++) cpose_free(meta->names[k]);
    cpose_free(meta->names);
    memset(meta, 0, sizeof *meta);
}

int cpose_onnx_meta_read(const char *path, const Onnx__ModelProto *m, struct cpose_onnx_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    for (size_t k = 0; k < m->n_metadata_props; k++) {
        const char *key = m->metadata_props[k]->key, *v = m->metadata_props[k]->value;
        if (!key || !v) continue;
        int bad = 0, pair[2];
        char *e;
        if (!strcmp(key, "stride") || !strcmp(key, "batch")) {
            long x = strtol(skip_ws(v), &e, 10);
            bad = e == skip_ws(v) || *skip_ws(e) || x < 1;
            if (!bad) *(!strcmp(key, "stride") ? &meta->stride : &meta->batch) = (int)x;
        } else if (!strcmp(key, "imgsz") || !strcmp(key, "kpt_shape")) {
            bad = parse_int_pair(v, pair) || pair[0] < 1 || pair[1] < 1;
            if (!bad) memcpy(!strcmp(key, "imgsz") ? meta->imgsz : meta->kpt_shape, pair, sizeof pair);
        } else if (!strcmp(key, "names")) {
            bad = parse_names(v, meta);
        } else if (!strcmp(key, "task")) {
            snprintf(meta->task, sizeof meta->task, "%s", v);
        } else if (!strcmp(key, "description")) {
            snprintf(meta->description, sizeof meta->description, "%s", v);
        }
        if (bad) {
            int rc = cpose_err(CPOSE_EINVAL, "%s: metadata_props '%s' = \"%s\" is not the Python literal Ultralytics "
                                             "writes (e.g. stride \"32\", imgsz \"[640, 640]\", kpt_shape \"[17, 3]\", "
                                             "names \"{0: 'person'}\")", path, key, v);
            cpose_onnx_meta_clear(meta);
            return rc;
        }
    }
    return CPOSE_OK;
}
