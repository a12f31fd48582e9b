/* core/nn/coreml_import.c — .mlpackage → checked ML Program → ONNX nodes → cpose's ONNX import
 * (contract in core/nn/coreml_import.h). Field numbers: Model.proto (Model, ModelDescription,
 * Metadata, FeatureDescription), FeatureTypes.proto (ImageFeatureType, ArrayFeatureType) and
 * MIL.proto (Program, Function, Block, Operation, Argument, NamedValueType, ValueType, TensorType,
 * Value, TensorValue), as FORMATS.md §6 lists them. */
#include "core/nn/coreml_import.h"

#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/coreml_pb.h"
#include "core/nn/export_meta.h"
#include "core/nn/onnx_restate.h"

#define CM_MAX_DIMS 8
#define CM_MAX_PARAMS 12
#define CM_MAX_ARGS 8

/* MIL DataType values */
enum { DT_BOOL = 1, DT_STRING = 2, DT_FP16 = 10, DT_FP32 = 11, DT_FP64 = 12, DT_INT8 = 21, DT_INT16 = 22,
       DT_INT32 = 23, DT_INT64 = 24, DT_UINT8 = 31 };

/* A value of the program: its type, and its data when a const produced it. */
struct cval {
    char *name;          /* owned */
    int dtype, ndim;
    int64_t d[CM_MAX_DIMS];
    int is_const;
    int64_t numel;
    float *f;            /* owned: float/bool/int values as float (consts) */
    int64_t *i;          /* owned: the same as integers */
    char *s;             /* owned: a string const */
    char onnx[320];      /* the ONNX value it restates as ("" = none yet) */
    int emitted;         /* a float const: its initializer is written */
};

struct cparam {
    char name[40];
    int n;
    int arg[CM_MAX_ARGS];  /* value indices */
};

struct reader {
    const char *model_path;   /* .../Data/com.apple.CoreML/model.mlmodel */
    char *model_dir;          /* its folder: @model_path */
    struct cval *v;
    int n_v, cap_v;
    /* the blob file, read once */
    char *blob_path, *blob;
    size_t blob_len;
    int blob_checked;
    /* description */
    char *in_name, *out_name;
    int64_t img_w, img_h, out_shape[CM_MAX_DIMS];
    int color, n_out_shape, n_inputs, n_outputs;
    struct cpose_export_meta meta;
    /* the op being read, for messages */
    int op_index;
    char op_type[64], op_out[256];
};

static int rerr(const struct reader *r, int rc, char *take)
{
    if (r->op_index >= 0)
        rc = cpose_err(rc, "%s: operation %d '%s' (output '%s'): %s", r->model_path, r->op_index, r->op_type, r->op_out, take);
    else
        rc = cpose_err(rc, "%s: %s", r->model_path, take);
    cpose_free(take);
    return rc;
}
#define RERR(rc, ...) return rerr(r, (rc), cpose_asprintf(__VA_ARGS__))

static int malformed(const struct reader *r, const struct cml_pb *m, const char *what)
{
    return rerr(r, CPOSE_EINVAL, cpose_asprintf("malformed protobuf in %s: %s", what, m->error ? m->error : "?"));
}

static int find_value(const struct reader *r, const char *name)
{
    for (int k = r->n_v - 1; k >= 0; k--)
        if (!strcmp(r->v[k].name, name)) return k;
    return -1;
}

static struct cval *new_value(struct reader *r)
{
    if (r->n_v == r->cap_v) {
        r->cap_v = r->cap_v ? 2 * r->cap_v : 256;
        r->v = cpose_realloc(r->v, (size_t)r->cap_v * sizeof *r->v);
    }
    struct cval *v = &r->v[r->n_v++];
    memset(v, 0, sizeof *v);
    return v;
}

/* ---- types ---- */

/* TensorType inside a ValueType message: dtype, rank, constant dims. */
static int read_value_type(struct reader *r, const struct cml_field *vt, struct cval *out)
{
    struct cml_pb m = cml_pb_sub(vt);
    struct cml_field f;
    int rc, tensor = 0;
    int64_t rank = -1;
    out->ndim = 0, out->dtype = 0;
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.num != 1 || f.wire != CML_PB_LEN) {
            if (f.num >= 2 && f.num <= 4) RERR(CPOSE_ENOTSUP, "a list, tuple or dictionary type (tensors are read)");
            continue;
        }
        tensor = 1;
        struct cml_pb t = cml_pb_sub(&f);
        struct cml_field g;
        while ((rc = cml_pb_next(&t, &g)) > 0) {
            if (g.num == 1 && g.wire == CML_PB_VARINT) out->dtype = (int)g.v;
            else if (g.num == 2 && g.wire == CML_PB_VARINT) rank = (int64_t)g.v;
            else if (g.num == 3 && g.wire == CML_PB_LEN) {
                struct cml_pb dm = cml_pb_sub(&g);
                struct cml_field h;
                int constant = 0;
                while ((rc = cml_pb_next(&dm, &h)) > 0) {
                    if (h.num == 2) RERR(CPOSE_ENOTSUP, "a tensor with an unknown (dynamic) dimension");
                    if (h.num != 1 || h.wire != CML_PB_LEN) continue;
                    struct cml_pb cm = cml_pb_sub(&h);
                    struct cml_field s;
                    uint64_t size = 0;
                    while ((rc = cml_pb_next(&cm, &s)) > 0)
                        if (s.num == 1 && s.wire == CML_PB_VARINT) size = s.v;
                    if (rc < 0) return malformed(r, &cm, "a dimension");
                    if (out->ndim == CM_MAX_DIMS) RERR(CPOSE_ENOTSUP, "more than %d dimensions", CM_MAX_DIMS);
                    out->d[out->ndim++] = (int64_t)size;
                    constant = 1;
                }
                if (rc < 0) return malformed(r, &dm, "a dimension");
                if (!constant) RERR(CPOSE_EINVAL, "a Dimension that is neither constant nor unknown");
            }
        }
        if (rc < 0) return malformed(r, &t, "a TensorType");
    }
    if (rc < 0) return malformed(r, &m, "a ValueType");
    if (!tensor) RERR(CPOSE_EINVAL, "a ValueType without a tensorType");
    if (rank != out->ndim) RERR(CPOSE_EINVAL, "TensorType rank %lld but %d dimensions", (long long)rank, out->ndim);
    if (!out->dtype) RERR(CPOSE_EINVAL, "a TensorType without a dataType");
    return CPOSE_OK;
}

/* NamedValueType{name=1, type=2} into a new value; fails on a name already defined. */
static int read_named_type(struct reader *r, const struct cml_field *nf, int *index)
{
    struct cml_pb m = cml_pb_sub(nf);
    struct cml_field f, type = {0};
    char *name = NULL;
    int rc, have_type = 0;
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.num == 1 && f.wire == CML_PB_LEN) cpose_free(name), name = cml_pb_strdup(&f);
        else if (f.num == 2 && f.wire == CML_PB_LEN) type = f, have_type = 1;
    }
    if (rc < 0) {
        cpose_free(name);
        return malformed(r, &m, "a NamedValueType");
    }
    if (!name || !*name || !have_type) {
        cpose_free(name);
        RERR(CPOSE_EINVAL, "a NamedValueType without a name or a type");
    }
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || (p > name && ((*p >= '0' && *p <= '9') || *p == '@')))) {
            rc = rerr(r, CPOSE_EINVAL, cpose_asprintf("'%s' is not a MIL identifier ([A-Za-z_][A-Za-z0-9_@]*)", name));
            cpose_free(name);
            return rc;
        }
    if (find_value(r, name) >= 0) {
        rc = rerr(r, CPOSE_EINVAL, cpose_asprintf("value '%s' is defined twice", name));
        cpose_free(name);
        return rc;
    }
    struct cval *v = new_value(r);
    v->name = name;
    snprintf(v->onnx, sizeof v->onnx, "%s", name);
    *index = r->n_v - 1;
    return read_value_type(r, &type, v);
}

/* ---- const values ---- */

static int64_t numel_of(const struct cval *v)
{
    int64_t n = 1;
    for (int k = 0; k < v->ndim; k++) n *= v->d[k];
    return n;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, m = h & 1023, bits;
    if (e == 0) {
        if (!m) bits = sign;
        else {
            e = 127 - 15 + 1;
            while (!(m & 1024)) m <<= 1, e--;
            bits = sign | (e << 23) | ((m & 1023) << 13);
        }
    } else if (e == 31) bits = sign | 0x7f800000u | (m << 13);
    else bits = sign | ((e + 127 - 15) << 23) | (m << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void alloc_data(struct cval *v)
{
    v->numel = numel_of(v);
    v->f = cpose_calloc((size_t)(v->numel ? v->numel : 1), sizeof(float));
    v->i = cpose_calloc((size_t)(v->numel ? v->numel : 1), sizeof(int64_t));
}

/* TensorValue (ImmediateValue.tensor) into v, whose type is set. */
static int read_immediate(struct reader *r, const struct cml_field *imm, struct cval *v)
{
    struct cml_pb m = cml_pb_sub(imm);
    struct cml_field f;
    int rc, got = 0;
    alloc_data(v);
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.num != 1 || f.wire != CML_PB_LEN) RERR(CPOSE_ENOTSUP, "an immediate value that is not a tensor");
        struct cml_pb t = cml_pb_sub(&f);
        struct cml_field g;
        while ((rc = cml_pb_next(&t, &g)) > 0) {
            if (g.wire != CML_PB_LEN) continue;
            struct cml_pb rep = cml_pb_sub(&g);
            struct cml_field h;
            int64_t n = 0;
            while ((rc = cml_pb_next(&rep, &h)) > 0) {
                if (h.num != 1) continue;
                if (g.num == 4) { /* strings */
                    if (v->dtype != DT_STRING) RERR(CPOSE_EINVAL, "string values for a tensor of data type %d", v->dtype);
                    cpose_free(v->s), v->s = cml_pb_strdup(&h), n++;
                } else if (g.num == 1) { /* floats, packed */
                    if (v->dtype != DT_FP32) RERR(CPOSE_EINVAL, "float values for a tensor of data type %d", v->dtype);
                    if (h.wire != CML_PB_LEN || h.len % 4) RERR(CPOSE_EINVAL, "packed floats of %zu bytes", h.len);
                    for (size_t q = 0; q < h.len / 4; q++, n++) {
                        if (n >= v->numel) RERR(CPOSE_EINVAL, "more values than the type's %lld", (long long)v->numel);
                        memcpy(&v->f[n], h.data + 4 * q, 4), v->i[n] = (int64_t)v->f[n];
                    }
                } else if (g.num == 2 || g.num == 3 || g.num == 5) { /* ints, bools, longInts, packed varints */
                    int want = g.num == 2 ? DT_INT32 : g.num == 3 ? DT_BOOL : DT_INT64;
                    if (v->dtype != want) RERR(CPOSE_EINVAL, "TensorValue field %u for a tensor of data type %d", g.num, v->dtype);
                    uint64_t x = h.v;
                    struct cml_pb pk = cml_pb_of(h.data, h.wire == CML_PB_LEN ? h.len : 0);
                    int q = h.wire == CML_PB_LEN ? cml_pb_next_varint(&pk, &x) : h.wire == CML_PB_VARINT;
                    while (q > 0) {
                        if (n >= v->numel) RERR(CPOSE_EINVAL, "more values than the type's %lld", (long long)v->numel);
                        v->i[n] = g.num == 2 ? (int64_t)(int32_t)x : (int64_t)x, v->f[n] = (float)v->i[n];
                        n++;
                        q = h.wire == CML_PB_LEN ? cml_pb_next_varint(&pk, &x) : 0;
                    }
                    if (q < 0) return malformed(r, &pk, "packed integers");
                } else {
                    RERR(CPOSE_ENOTSUP, "TensorValue field %u (doubles/bytes are not read)", g.num);
                }
            }
            if (rc < 0) return malformed(r, &rep, "a repeated value");
            if (n != v->numel) RERR(CPOSE_EINVAL, "%lld values for a tensor of %lld elements", (long long)n, (long long)v->numel);
            got = 1;
        }
        if (rc < 0) return malformed(r, &t, "a TensorValue");
    }
    if (rc < 0) return malformed(r, &m, "an ImmediateValue");
    if (!got) RERR(CPOSE_EINVAL, "an immediate value without data");
    return CPOSE_OK;
}

/* The blob storage file's header, checked once. */
static int check_blob_file(struct reader *r)
{
    if (r->blob_checked) return CPOSE_OK;
    r->blob_checked = 1;
    if (r->blob_len < 64) RERR(CPOSE_EINVAL, "%s: %zu bytes, shorter than the 64-byte storage header", r->blob_path, r->blob_len);
    uint32_t count, version;
    memcpy(&count, r->blob, 4), memcpy(&version, r->blob + 4, 4);
    if (version != 2) RERR(CPOSE_ENOTSUP, "%s: blob storage version %u (2 is read)", r->blob_path, version);
    (void)count;
    return CPOSE_OK;
}

/* BlobFileValue{fileName=1, offset=2} into v. */
static int read_blob(struct reader *r, const struct cml_field *bf, struct cval *v)
{
    struct cml_pb m = cml_pb_sub(bf);
    struct cml_field f;
    char *file = NULL;
    uint64_t off = 0;
    int rc;
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.num == 1 && f.wire == CML_PB_LEN) cpose_free(file), file = cml_pb_strdup(&f);
        else if (f.num == 2 && f.wire == CML_PB_VARINT) off = f.v;
    }
    if (rc < 0) {
        cpose_free(file);
        return malformed(r, &m, "a BlobFileValue");
    }
    static const char prefix[] = "@model_path/";
    if (!file || strncmp(file, prefix, sizeof prefix - 1) || strstr(file, "..")) {
        rc = rerr(r, CPOSE_EINVAL, cpose_asprintf("blob file '%s' is not a path under @model_path/", file ? file : ""));
        cpose_free(file);
        return rc;
    }
    char *path = cpose_path_join(r->model_dir, file + sizeof prefix - 1);
    cpose_free(file);
    if (!r->blob_path) {
        r->blob_path = path;
        if ((rc = cpose_read_file(path, &r->blob, &r->blob_len)) != CPOSE_OK) return rerr(r, rc, cpose_asprintf("%s", cpose_errmsg()));
    } else {
        int same = !strcmp(path, r->blob_path);
        if (!same) {
            rc = rerr(r, CPOSE_ENOTSUP, cpose_asprintf("a second blob file %s (one weight file is read)", path));
            cpose_free(path);
            return rc;
        }
        cpose_free(path);
    }
    if ((rc = check_blob_file(r)) != CPOSE_OK) return rc;
    if (off % 64) RERR(CPOSE_EINVAL, "blob offset %llu is not 64-byte aligned", (unsigned long long)off);
    if (off < 64 || off + 64 > r->blob_len)
        RERR(CPOSE_EINVAL, "blob offset %llu: its 64-byte metadata lies outside %s (%zu bytes)", (unsigned long long)off,
             r->blob_path, r->blob_len);
    const uint8_t *md = (const uint8_t *)r->blob + off;
    uint32_t sentinel, dtype;
    uint64_t size, data;
    memcpy(&sentinel, md, 4), memcpy(&dtype, md + 4, 4), memcpy(&size, md + 8, 8), memcpy(&data, md + 16, 8);
    if (sentinel != 0xDEADBEEFu) RERR(CPOSE_EINVAL, "blob at offset %llu: sentinel 0x%08X, not 0xDEADBEEF", (unsigned long long)off, sentinel);
    int want = v->dtype == DT_FP16 ? 1 : v->dtype == DT_FP32 ? 2 : v->dtype == DT_UINT8 ? 3 : v->dtype == DT_INT8 ? 4 : 0;
    if (!want || (v->dtype != DT_FP16 && v->dtype != DT_FP32))
        RERR(CPOSE_ENOTSUP, "a blob of MIL data type %d (fp16 and fp32 are read)", v->dtype);
    if (dtype != (uint32_t)want)
        RERR(CPOSE_EINVAL, "blob at offset %llu has data type %u, the value's type needs %d", (unsigned long long)off, dtype, want);
    alloc_data(v);
    uint64_t esize = v->dtype == DT_FP16 ? 2 : 4;
    if (size != (uint64_t)v->numel * esize)
        RERR(CPOSE_EINVAL, "blob at offset %llu holds %llu bytes, the value needs %lld × %llu", (unsigned long long)off,
             (unsigned long long)size, (long long)v->numel, (unsigned long long)esize);
    if (data % 64) RERR(CPOSE_EINVAL, "blob at offset %llu: data offset %llu is not 64-byte aligned", (unsigned long long)off, (unsigned long long)data);
    if (data < off + 64 || data > r->blob_len || size > r->blob_len - data)
        RERR(CPOSE_EINVAL, "blob at offset %llu: data %llu + %llu bytes lies outside %s (%zu bytes)", (unsigned long long)off,
             (unsigned long long)data, (unsigned long long)size, r->blob_path, r->blob_len);
    const uint8_t *p = (const uint8_t *)r->blob + data;
    for (int64_t q = 0; q < v->numel; q++) {
        if (v->dtype == DT_FP16) {
            uint16_t h;
            memcpy(&h, p + 2 * q, 2);
            v->f[q] = half_to_float(h);
        } else {
            memcpy(&v->f[q], p + 4 * q, 4);
        }
        v->i[q] = (int64_t)v->f[q];
    }
    return CPOSE_OK;
}

/* Value{type=2, immediateValue=3 | blobFileValue=5} into v (a new const value, unnamed if name NULL). */
static int read_value(struct reader *r, const struct cml_field *vf, struct cval *v)
{
    struct cml_pb m = cml_pb_sub(vf);
    struct cml_field f, type = {0}, imm = {0}, blob = {0};
    int rc, ht = 0, hi = 0, hb = 0;
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.wire != CML_PB_LEN) continue;
        if (f.num == 2) type = f, ht = 1;
        else if (f.num == 3) imm = f, hi = 1;
        else if (f.num == 5) blob = f, hb = 1;
    }
    if (rc < 0) return malformed(r, &m, "a Value");
    if (!ht) RERR(CPOSE_EINVAL, "a Value without a type");
    if (hi + hb != 1) RERR(CPOSE_EINVAL, "a Value needs exactly one of immediateValue and blobFileValue");
    if ((rc = read_value_type(r, &type, v)) != CPOSE_OK) return rc;
    v->is_const = 1;
    return hi ? read_immediate(r, &imm, v) : read_blob(r, &blob, v);
}

/* ---- operations ---- */

struct opdef {
    const char *type;
    const char *params[CM_MAX_PARAMS];  /* "x" required, "?x" optional, "*x" variadic (required) */
};

static const struct opdef OPS[] = {
    {"const", {NULL}},
    {"conv", {"x", "weight", "?bias", "?strides", "?pad_type", "?pad", "?dilations", "?groups", NULL}},
    {"silu", {"x", NULL}},
    {"sigmoid", {"x", NULL}},
    {"add", {"x", "y", NULL}},
    {"sub", {"x", "y", NULL}},
    {"mul", {"x", "y", NULL}},
    {"real_div", {"x", "y", NULL}},
    {"concat", {"*values", "axis", "?interleave", NULL}},
    {"slice_by_index", {"x", "begin", "end", "?stride", "?begin_mask", "?end_mask", "?squeeze_mask", NULL}},
    {"max_pool", {"x", "kernel_sizes", "?strides", "pad_type", "?pad", "?ceil_mode", NULL}},
    {"upsample_nearest_neighbor", {"x", "?scale_factor_height", "?scale_factor_width", NULL}},
    {"reshape", {"x", "shape", NULL}},
    {"transpose", {"x", "perm", NULL}},
    {"softmax", {"x", "?axis", NULL}},
    {"cast", {"x", "dtype", NULL}},
    {NULL, {NULL}},
};

static const struct cparam *param(const struct cparam *ps, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(ps[k].name, name)) return &ps[k];
    return NULL;
}

/* The const value bound to parameter name (NULL if absent); fails when bound to a computed value. */
static int const_param(struct reader *r, const struct cparam *ps, int n, const char *name, struct cval **out)
{
    const struct cparam *p = param(ps, n, name);
    *out = NULL;
    if (!p) return CPOSE_OK;
    struct cval *v = &r->v[p->arg[0]];
    if (!v->is_const) RERR(CPOSE_ENOTSUP, "parameter '%s' must be a constant (bound to computed value '%s')", name, v->name);
    *out = v;
    return CPOSE_OK;
}

/* Integer list parameter (default def, n_def values when absent); count checked. */
static int int_param(struct reader *r, const struct cparam *ps, int n, const char *name, int64_t *out, int count,
                     const int64_t *def)
{
    struct cval *v;
    int rc = const_param(r, ps, n, name, &v);
    if (rc) return rc;
    if (!v) {
        if (!def) RERR(CPOSE_EINVAL, "parameter '%s' is missing", name);
        memcpy(out, def, (size_t)count * sizeof(int64_t));
        return CPOSE_OK;
    }
    if (v->dtype != DT_INT32 && v->dtype != DT_INT64 && v->dtype != DT_BOOL)
        RERR(CPOSE_EINVAL, "parameter '%s' has data type %d, an integer type is needed", name, v->dtype);
    if (v->numel != count) RERR(CPOSE_EINVAL, "parameter '%s' holds %lld values, %d expected", name, (long long)v->numel, count);
    memcpy(out, v->i, (size_t)count * sizeof(int64_t));
    return CPOSE_OK;
}

static int str_param(struct reader *r, const struct cparam *ps, int n, const char *name, const char **out, const char *def)
{
    struct cval *v;
    int rc = const_param(r, ps, n, name, &v);
    if (rc) return rc;
    if (!v) {
        *out = def;
        return CPOSE_OK;
    }
    if (v->dtype != DT_STRING || !v->s) RERR(CPOSE_EINVAL, "parameter '%s' must be a string", name);
    *out = v->s;
    return CPOSE_OK;
}

/* The ONNX name of value k; a float const gets its initializer the first time it is read. */
static const char *onnx_in(struct reader *r, struct cpose_onnx_restate *o, int k)
{
    struct cval *v = &r->v[k];
    if (v->is_const && !v->emitted) {
        int64_t d[CM_MAX_DIMS];
        memcpy(d, v->d, sizeof d);
        orst_init(o, v->onnx, d, v->ndim, v->f, NULL);
        v->emitted = 1;
    }
    return v->onnx;
}

/* Restates op (checked) as ONNX nodes; out is its output value. */
static int restate(struct reader *r, struct cpose_onnx_restate *o, const char *type, const struct cparam *ps, int np,
                   struct cval *out, int image_input)
{
    const char *layer = out->name;
    int x = param(ps, np, "x") ? param(ps, np, "x")->arg[0] : -1;
    struct cval *xv = x >= 0 ? &r->v[x] : NULL;
    int rc;
    if (!strcmp(type, "mul") && image_input >= 0 && x == image_input) {
        struct cval *y = &r->v[param(ps, np, "y")->arg[0]];
        if (!y->is_const || y->numel != 1 || fabsf(y->f[0] * 255.0f - 1.0f) > 1e-5f)
            RERR(CPOSE_ENOTSUP, "the image input must be scaled by one constant 1/255 (the ImageType scale Ultralytics sets)");
        snprintf(out->onnx, sizeof out->onnx, "%s", xv->onnx);  /* the [0, 1] image cpose takes */
        return CPOSE_OK;
    }
    if (image_input >= 0 && x != image_input)
        for (int k = 0; k < np; k++)
            for (int q = 0; q < ps[k].n; q++)
                if (ps[k].arg[q] == image_input)
                    RERR(CPOSE_ENOTSUP, "reads the unscaled image input: its first use must be mul by 1/255");
    if (image_input >= 0 && x == image_input) RERR(CPOSE_ENOTSUP, "reads the unscaled image input: its first use must be mul by 1/255");
    if (!strcmp(type, "cast")) {
        const char *dt;
        if ((rc = str_param(r, ps, np, "dtype", &dt, NULL))) return rc;
        if (!dt || (strcmp(dt, "fp16") && strcmp(dt, "fp32")))
            RERR(CPOSE_ENOTSUP, "cast to '%s' (fp16/fp32 casts are read)", dt ? dt : "");
        if (out->dtype != (!strcmp(dt, "fp16") ? DT_FP16 : DT_FP32)) RERR(CPOSE_EINVAL, "output type differs from dtype '%s'", dt);
        snprintf(out->onnx, sizeof out->onnx, "%s", onnx_in(r, o, x));  /* cpose computes in fp32 */
        return CPOSE_OK;
    }
    if (!strcmp(type, "conv")) {
        struct cval *w;
        if ((rc = const_param(r, ps, np, "weight", &w))) return rc;
        if (!w || w->ndim != 4) RERR(CPOSE_ENOTSUP, "weight must be a 4-D constant (OIHW)");
        int64_t st[2], dl[2], pad[4] = {0, 0, 0, 0}, g, one2[2] = {1, 1}, one = 1, zero4[4] = {0, 0, 0, 0};
        const char *pt;
        if ((rc = int_param(r, ps, np, "strides", st, 2, one2)) || (rc = int_param(r, ps, np, "dilations", dl, 2, one2)) ||
            (rc = int_param(r, ps, np, "groups", &g, 1, &one)) || (rc = str_param(r, ps, np, "pad_type", &pt, "valid")))
            return rc;
        if (!strcmp(pt, "custom")) {
            if ((rc = int_param(r, ps, np, "pad", pad, 4, zero4))) return rc;
        } else if (strcmp(pt, "valid")) {
            RERR(CPOSE_ENOTSUP, "pad_type '%s' (custom and valid are read)", pt);
        }
        if (xv->ndim != 4 || w->d[1] * g != xv->d[1])
            RERR(CPOSE_ESHAPE, "weight [%lld, %lld, ...] × groups %lld does not match x's %lld channels", (long long)w->d[0],
                 (long long)w->d[1], (long long)g, (long long)(xv->ndim > 1 ? xv->d[1] : 0));
        const char *cin[3] = {onnx_in(r, o, x), onnx_in(r, o, (int)(w - r->v)), NULL};
        struct cval *b;
        if ((rc = const_param(r, ps, np, "bias", &b))) return rc;
        if (b) {
            if (b->numel != w->d[0]) RERR(CPOSE_ESHAPE, "bias of %lld values for %lld filters", (long long)b->numel, (long long)w->d[0]);
            cin[2] = onnx_in(r, o, (int)(b - r->v));
        }
        Onnx__NodeProto *n = orst_node(o, "Conv", layer, cin, b ? 3 : 2, out->onnx);
        const int64_t opads[4] = {pad[0], pad[2], pad[1], pad[3]};  /* MIL [t, b, l, r] → ONNX [t, l, b, r] */
        orst_attr_ints(o, n, "strides", st, 2), orst_attr_ints(o, n, "dilations", dl, 2), orst_attr_ints(o, n, "pads", opads, 4);
        orst_attr_int(o, n, "group", g);
        return CPOSE_OK;
    }
    if (!strcmp(type, "silu")) {
        char nm[340];
        snprintf(nm, sizeof nm, "%s__sigmoid", out->onnx);
        const char *in = onnx_in(r, o, x);
        orst_node(o, "Sigmoid", layer, &in, 1, nm);
        const char *m2[2] = {in, nm};
        orst_node(o, "Mul", layer, m2, 2, out->onnx);
        return CPOSE_OK;
    }
    static const char *const simple[][2] = {{"sigmoid", "Sigmoid"}, {"add", "Add"}, {"sub", "Sub"}, {"mul", "Mul"},
                                            {"real_div", "Div"}, {NULL, NULL}};
    for (int k = 0; simple[k][0]; k++)
        if (!strcmp(type, simple[k][0])) {
            const char *ins[2] = {onnx_in(r, o, x), k ? onnx_in(r, o, param(ps, np, "y")->arg[0]) : NULL};
            orst_node(o, simple[k][1], layer, ins, k ? 2 : 1, out->onnx);
            return CPOSE_OK;
        }
    if (!strcmp(type, "concat")) {
        int64_t ax, il = 0, zero = 0;
        if ((rc = int_param(r, ps, np, "axis", &ax, 1, NULL)) || (rc = int_param(r, ps, np, "interleave", &il, 1, &zero))) return rc;
        if (il) RERR(CPOSE_ENOTSUP, "interleave=true");
        const struct cparam *vals = param(ps, np, "values");
        const char *ins[CM_MAX_ARGS];
        for (int k = 0; k < vals->n; k++) ins[k] = onnx_in(r, o, vals->arg[k]);
        orst_attr_int(o, orst_node(o, "Concat", layer, ins, vals->n, out->onnx), "axis", ax);
        return CPOSE_OK;
    }
    if (!strcmp(type, "slice_by_index")) {
        int nd = xv->ndim;
        int64_t be[CM_MAX_DIMS], en[CM_MAX_DIMS], st[CM_MAX_DIMS], bm[CM_MAX_DIMS], em[CM_MAX_DIMS], sm[CM_MAX_DIMS], ones[CM_MAX_DIMS],
            zeros[CM_MAX_DIMS];
        for (int k = 0; k < nd; k++) ones[k] = 1, zeros[k] = 0;
        if ((rc = int_param(r, ps, np, "begin", be, nd, NULL)) || (rc = int_param(r, ps, np, "end", en, nd, NULL)) ||
            (rc = int_param(r, ps, np, "stride", st, nd, ones)) || (rc = int_param(r, ps, np, "begin_mask", bm, nd, zeros)) ||
            (rc = int_param(r, ps, np, "end_mask", em, nd, zeros)) || (rc = int_param(r, ps, np, "squeeze_mask", sm, nd, zeros)))
            return rc;
        const char *cur = onnx_in(r, o, x);
        int n_sliced = 0;
        for (int k = 0; k < nd; k++) {
            if (sm[k]) RERR(CPOSE_ENOTSUP, "squeeze_mask on axis %d", k);
            if (st[k] != 1) RERR(CPOSE_ENOTSUP, "stride %lld on axis %d (1 is read)", (long long)st[k], k);
            int64_t b = bm[k] ? 0 : be[k] < 0 ? be[k] + xv->d[k] : be[k], e = em[k] ? xv->d[k] : en[k] < 0 ? en[k] + xv->d[k] : en[k];
            if (b < 0 || e > xv->d[k] || b >= e) RERR(CPOSE_ESHAPE, "axis %d: range [%lld, %lld) of %lld", k, (long long)b, (long long)e, (long long)xv->d[k]);
            if (e - b != out->d[k]) RERR(CPOSE_ESHAPE, "axis %d: %lld values but the output type says %lld", k, (long long)(e - b), (long long)out->d[k]);
            if (b == 0 && e == xv->d[k]) continue;
            char what[32], nm[340];
            snprintf(nm, sizeof nm, "%s__s%d", out->onnx, k);
            int64_t ax = k;
            snprintf(what, sizeof what, "starts%d", k);
            const char *si[5] = {cur, orst_ints(o, layer, what, &b, 1), NULL, NULL, NULL};
            snprintf(what, sizeof what, "ends%d", k), si[2] = orst_ints(o, layer, what, &e, 1);
            snprintf(what, sizeof what, "axes%d", k), si[3] = orst_ints(o, layer, what, &ax, 1);
            snprintf(what, sizeof what, "steps%d", k), si[4] = orst_ints(o, layer, what, &ones[0], 1);
            n_sliced++;
            Onnx__NodeProto *n = orst_node(o, "Slice", layer, si, 5, nm);
            cur = n->output[0];
        }
        if (!n_sliced) orst_node(o, "Identity", layer, &cur, 1, out->onnx);
        else snprintf(out->onnx, sizeof out->onnx, "%s", cur);
        return CPOSE_OK;
    }
    if (!strcmp(type, "max_pool")) {
        int64_t k[2], st[2], pad[4] = {0, 0, 0, 0}, cm = 0, zero = 0, zero4[4] = {0, 0, 0, 0}, one2[2] = {1, 1};
        const char *pt;
        if ((rc = int_param(r, ps, np, "kernel_sizes", k, 2, NULL)) || (rc = int_param(r, ps, np, "strides", st, 2, one2)) ||
            (rc = int_param(r, ps, np, "ceil_mode", &cm, 1, &zero)) || (rc = str_param(r, ps, np, "pad_type", &pt, NULL)))
            return rc;
        if (!strcmp(pt, "custom")) {
            if ((rc = int_param(r, ps, np, "pad", pad, 4, zero4))) return rc;
        } else if (strcmp(pt, "valid")) {
            RERR(CPOSE_ENOTSUP, "pad_type '%s' (custom and valid are read)", pt);
        }
        if (cm) RERR(CPOSE_ENOTSUP, "ceil_mode=true");
        const char *in = onnx_in(r, o, x);
        Onnx__NodeProto *n = orst_node(o, "MaxPool", layer, &in, 1, out->onnx);
        const int64_t opads[4] = {pad[0], pad[2], pad[1], pad[3]};
        orst_attr_ints(o, n, "kernel_shape", k, 2), orst_attr_ints(o, n, "strides", st, 2), orst_attr_ints(o, n, "pads", opads, 4);
        return CPOSE_OK;
    }
    if (!strcmp(type, "upsample_nearest_neighbor")) {
        struct cval *sh, *sw;
        if ((rc = const_param(r, ps, np, "scale_factor_height", &sh)) || (rc = const_param(r, ps, np, "scale_factor_width", &sw)))
            return rc;
        if ((sh && sh->numel != 1) || (sw && sw->numel != 1)) RERR(CPOSE_EINVAL, "scale factors must be scalars");
        float s4[4] = {1, 1, sh ? sh->f[0] : 1, sw ? sw->f[0] : 1};
        int64_t four = 4;
        char nm[340];
        snprintf(nm, sizeof nm, "%s.scales4", layer);
        const char *ri[3] = {onnx_in(r, o, x), "", orst_init(o, nm, &four, 1, s4, NULL)};
        Onnx__NodeProto *n = orst_node(o, "Resize", layer, ri, 3, out->onnx);
        orst_attr_str(o, n, "mode", "nearest");
        orst_attr_str(o, n, "coordinate_transformation_mode", "asymmetric");
        orst_attr_str(o, n, "nearest_mode", "floor");
        return CPOSE_OK;
    }
    if (!strcmp(type, "reshape")) {
        struct cval *s;
        if ((rc = const_param(r, ps, np, "shape", &s))) return rc;
        if (!s || s->numel < 1 || s->numel > CM_MAX_DIMS) RERR(CPOSE_EINVAL, "shape must be a constant of 1 to %d values", CM_MAX_DIMS);
        const char *ri[2] = {onnx_in(r, o, x), orst_ints(o, layer, "shape", s->i, (int)s->numel)};
        orst_node(o, "Reshape", layer, ri, 2, out->onnx);
        return CPOSE_OK;
    }
    if (!strcmp(type, "transpose")) {
        int64_t perm[CM_MAX_DIMS];
        if ((rc = int_param(r, ps, np, "perm", perm, xv->ndim, NULL))) return rc;
        const char *in = onnx_in(r, o, x);
        orst_attr_ints(o, orst_node(o, "Transpose", layer, &in, 1, out->onnx), "perm", perm, xv->ndim);
        return CPOSE_OK;
    }
    if (!strcmp(type, "softmax")) {
        int64_t ax, last = -1;
        if ((rc = int_param(r, ps, np, "axis", &ax, 1, &last))) return rc;
        const char *in = onnx_in(r, o, x);
        orst_attr_int(o, orst_node(o, "Softmax", layer, &in, 1, out->onnx), "axis", ax);
        return CPOSE_OK;
    }
    RERR(CPOSE_ENOTSUP, "no ONNX restatement");
}

/* Argument{arguments=1 [Binding{name=1 | value=2}]} into p. */
static int read_argument(struct reader *r, const struct cml_field *af, struct cparam *p)
{
    struct cml_pb m = cml_pb_sub(af);
    struct cml_field f;
    int rc;
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.num != 1 || f.wire != CML_PB_LEN) continue;
        struct cml_pb b = cml_pb_sub(&f);
        struct cml_field g;
        int bound = 0;
        while ((rc = cml_pb_next(&b, &g)) > 0) {
            if (g.wire != CML_PB_LEN || (g.num != 1 && g.num != 2)) continue;
            if (p->n == CM_MAX_ARGS) RERR(CPOSE_ENOTSUP, "parameter '%s' with more than %d arguments", p->name, CM_MAX_ARGS);
            if (g.num == 1) {
                char *name = cml_pb_strdup(&g);
                int k = find_value(r, name);
                if (k < 0) {
                    rc = rerr(r, CPOSE_EINVAL, cpose_asprintf("parameter '%s' reads '%s', which is not defined before it", p->name, name));
                    cpose_free(name);
                    return rc;
                }
                cpose_free(name);
                p->arg[p->n++] = k;
            } else {
                struct cval *v = new_value(r);
                v->name = cpose_asprintf("%s__%s__imm%d", r->op_out, p->name, p->n);
                snprintf(v->onnx, sizeof v->onnx, "%s", v->name);
                if ((rc = read_value(r, &g, v)) != CPOSE_OK) return rc;
                p->arg[p->n++] = r->n_v - 1;
            }
            bound++;
        }
        if (rc < 0) return malformed(r, &b, "a Binding");
        if (bound != 1) RERR(CPOSE_EINVAL, "parameter '%s': a Binding with %d of name/value", p->name, bound);
    }
    if (rc < 0) return malformed(r, &m, "an Argument");
    if (!p->n) RERR(CPOSE_EINVAL, "parameter '%s' has no arguments", p->name);
    return CPOSE_OK;
}

/* One Operation: checked against its definition, its output defined, restated. */
static int read_operation(struct reader *r, struct cpose_onnx_restate *o, const struct cml_field *of, int image_input)
{
    struct cml_pb m = cml_pb_sub(of);
    struct cml_field f;
    int rc;
    /* first pass: type and output name (for messages) */
    r->op_type[0] = 0, r->op_out[0] = 0;
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.num == 1 && f.wire == CML_PB_LEN) snprintf(r->op_type, sizeof r->op_type, "%.*s", (int)(f.len < 63 ? f.len : 63), f.data);
        if (f.num == 3 && f.wire == CML_PB_LEN && !r->op_out[0]) {
            struct cml_pb nm = cml_pb_sub(&f);
            struct cml_field g;
            while (cml_pb_next(&nm, &g) > 0)
                if (g.num == 1 && g.wire == CML_PB_LEN) snprintf(r->op_out, sizeof r->op_out, "%.*s", (int)(g.len < 255 ? g.len : 255), g.data);
        }
        if (f.num == 4) RERR(CPOSE_ENOTSUP, "nested blocks (control flow) are not read");
    }
    if (rc < 0) return malformed(r, &m, "an Operation");
    const struct opdef *def = OPS;
    while (def->type && strcmp(def->type, r->op_type)) def++;
    if (!def->type) RERR(CPOSE_ENOTSUP, "unknown operation type '%s' for this reader", r->op_type);
    /* parameters */
    struct cparam ps[CM_MAX_PARAMS];
    int np = 0, n_out = 0, out_index = -1;
    struct cml_field val = {0};
    int have_val = 0;
    m = cml_pb_sub(of);
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.wire != CML_PB_LEN) continue;
        if (f.num == 2 || f.num == 5) { /* map entries {key=1, value=2} */
            struct cml_pb e = cml_pb_sub(&f);
            struct cml_field g, key = {0}, value = {0};
            int hk = 0, hv = 0;
            while ((rc = cml_pb_next(&e, &g)) > 0) {
                if (g.num == 1 && g.wire == CML_PB_LEN) key = g, hk = 1;
                if (g.num == 2 && g.wire == CML_PB_LEN) value = g, hv = 1;
            }
            if (rc < 0) return malformed(r, &e, "a map entry");
            if (!hk || !hv) RERR(CPOSE_EINVAL, "a map entry without its key or value");
            if (f.num == 5) {
                if (cml_pb_streq(&key, "val")) val = value, have_val = 1;
                continue;
            }
            if (np == CM_MAX_PARAMS) RERR(CPOSE_ENOTSUP, "more than %d parameters", CM_MAX_PARAMS);
            struct cparam *p = &ps[np++];
            memset(p, 0, sizeof *p);
            snprintf(p->name, sizeof p->name, "%.*s", (int)(key.len < 39 ? key.len : 39), key.data);
            int known = 0;
            for (int k = 0; def->params[k]; k++) {
                const char *pn = def->params[k] + (def->params[k][0] == '?' || def->params[k][0] == '*');
                known |= !strcmp(pn, p->name);
            }
            if (!known) RERR(CPOSE_EINVAL, "'%s' takes no parameter '%s'", r->op_type, p->name);
            if (param(ps, np - 1, p->name)) RERR(CPOSE_EINVAL, "parameter '%s' given twice", p->name);
            if ((rc = read_argument(r, &value, p)) != CPOSE_OK) return rc;
        }
    }
    if (rc < 0) return malformed(r, &m, "an Operation");
    for (int k = 0; def->params[k]; k++) {
        const char *pn = def->params[k] + (def->params[k][0] == '?' || def->params[k][0] == '*');
        const struct cparam *p = param(ps, np, pn);
        if (!p && def->params[k][0] != '?') RERR(CPOSE_EINVAL, "required parameter '%s' is missing", pn);
        if (p && def->params[k][0] != '*' && p->n != 1) RERR(CPOSE_EINVAL, "parameter '%s' takes one argument, not %d", pn, p->n);
    }
    /* outputs (defined after the inputs are resolved: an op cannot read its own output) */
    m = cml_pb_sub(of);
    while ((rc = cml_pb_next(&m, &f)) > 0)
        if (f.num == 3 && f.wire == CML_PB_LEN) {
            if ((rc = read_named_type(r, &f, &out_index)) != CPOSE_OK) return rc;
            n_out++;
        }
    if (rc < 0) return malformed(r, &m, "an Operation");
    if (n_out != 1) RERR(CPOSE_ENOTSUP, "%d outputs (operations with one output are read)", n_out);
    struct cval *out = &r->v[out_index];
    if (!strcmp(r->op_type, "const")) {
        if (!have_val) RERR(CPOSE_EINVAL, "a const without its 'val' attribute");
        struct cval tmp;
        memset(&tmp, 0, sizeof tmp);
        rc = read_value(r, &val, &tmp);
        out = &r->v[out_index];  /* read_value may not grow r->v, but stay safe */
        if (!rc && (tmp.dtype != out->dtype || tmp.ndim != out->ndim || memcmp(tmp.d, out->d, (size_t)tmp.ndim * sizeof(int64_t))))
            rc = rerr(r, CPOSE_EINVAL, cpose_asprintf("'val' has another type than the const's output"));
        out->is_const = 1, out->numel = tmp.numel, out->f = tmp.f, out->i = tmp.i, out->s = tmp.s;
        return rc;
    }
    /* one data type across the tensor operands */
    static const char *const same[] = {"x", "y", "weight", "bias", "values", NULL};
    int dt = -1;
    for (int k = 0; same[k]; k++) {
        const struct cparam *p = param(ps, np, same[k]);
        for (int q = 0; p && q < p->n; q++) {
            int t = r->v[p->arg[q]].dtype;
            if (dt < 0) dt = t;
            else if (t != dt) RERR(CPOSE_EINVAL, "operand '%s' has data type %d, the others %d", r->v[p->arg[q]].name, t, dt);
        }
    }
    if (strcmp(r->op_type, "cast") && dt >= 0 && out->dtype != dt)
        RERR(CPOSE_EINVAL, "output data type %d differs from its operands' %d", out->dtype, dt);
    if (dt >= 0 && dt != DT_FP16 && dt != DT_FP32) RERR(CPOSE_ENOTSUP, "operands of data type %d (fp16/fp32 are read)", dt);
    return restate(r, o, r->op_type, ps, np, out, image_input);
}

/* ---- the Model ---- */

static int read_description(struct reader *r, const struct cml_field *df)
{
    struct cml_pb m = cml_pb_sub(df);
    struct cml_field f;
    int rc;
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.wire != CML_PB_LEN) continue;
        if (f.num == 1 || f.num == 10) { /* FeatureDescription{name=1, type=3} */
            struct cml_pb fd = cml_pb_sub(&f);
            struct cml_field g;
            char *name = NULL;
            while ((rc = cml_pb_next(&fd, &g)) > 0) {
                if (g.num == 1 && g.wire == CML_PB_LEN) cpose_free(name), name = cml_pb_strdup(&g);
                if (g.num != 3 || g.wire != CML_PB_LEN) continue;
                struct cml_pb ft = cml_pb_sub(&g);
                struct cml_field h;
                while ((rc = cml_pb_next(&ft, &h)) > 0) {
                    if (h.wire != CML_PB_LEN || h.num > 8) continue;
                    struct cml_pb t = cml_pb_sub(&h);
                    struct cml_field q;
                    if (f.num == 1 && h.num != 4) {
                        cpose_free(name);
                        RERR(CPOSE_ENOTSUP, "the input is not an ImageType (Ultralytics exports an RGB image input)");
                    }
                    if (f.num == 10 && h.num != 5) {
                        cpose_free(name);
                        RERR(CPOSE_ENOTSUP, "the output is not a multiArrayType");
                    }
                    while ((rc = cml_pb_next(&t, &q)) > 0) {
                        if (h.num == 4 && q.wire == CML_PB_VARINT) {
                            if (q.num == 1) r->img_w = (int64_t)q.v;
                            if (q.num == 2) r->img_h = (int64_t)q.v;
                            if (q.num == 3) r->color = (int)q.v;
                        }
                        if (h.num == 5 && q.num == 1) {
                            struct cml_pb pk = cml_pb_of(q.data, q.wire == CML_PB_LEN ? q.len : 0);
                            uint64_t x;
                            if (q.wire == CML_PB_VARINT) r->out_shape[r->n_out_shape++ % CM_MAX_DIMS] = (int64_t)q.v;
                            else
                                while (cml_pb_next_varint(&pk, &x) > 0 && r->n_out_shape < CM_MAX_DIMS) r->out_shape[r->n_out_shape++] = (int64_t)x;
                        }
                    }
                    if (rc < 0) {
                        cpose_free(name);
                        return malformed(r, &t, "a FeatureType");
                    }
                }
                if (rc < 0) {
                    cpose_free(name);
                    return malformed(r, &ft, "a FeatureType");
                }
            }
            if (rc < 0) {
                cpose_free(name);
                return malformed(r, &fd, "a FeatureDescription");
            }
            if (f.num == 1) cpose_free(r->in_name), r->in_name = name, r->n_inputs++;
            else cpose_free(r->out_name), r->out_name = name, r->n_outputs++;
        } else if (f.num == 100) { /* Metadata */
            struct cml_pb md = cml_pb_sub(&f);
            struct cml_field g;
            while ((rc = cml_pb_next(&md, &g)) > 0) {
                if (g.wire != CML_PB_LEN) continue;
                char *key = NULL, *value = NULL;
                if (g.num == 1) key = cpose_strdup("description"), value = cml_pb_strdup(&g);
                else if (g.num == 100) {
                    struct cml_pb e = cml_pb_sub(&g);
                    struct cml_field h;
                    while ((rc = cml_pb_next(&e, &h)) > 0) {
                        if (h.num == 1 && h.wire == CML_PB_LEN) cpose_free(key), key = cml_pb_strdup(&h);
                        if (h.num == 2 && h.wire == CML_PB_LEN) cpose_free(value), value = cml_pb_strdup(&h);
                    }
                    if (rc < 0) {
                        cpose_free(key), cpose_free(value);
                        return malformed(r, &e, "a userDefined entry");
                    }
                }
                static const char *const keep[] = {"description", "stride", "task", "batch", "imgsz", "names", "kpt_shape", NULL};
                int wanted = 0;
                for (int k = 0; key && keep[k]; k++) wanted |= !strcmp(key, keep[k]);
                if (wanted && value && r->meta.n < CPOSE_EXPORT_META_MAX) {
                    r->meta.key[r->meta.n] = key, r->meta.value[r->meta.n++] = value;
                } else {
                    cpose_free(key), cpose_free(value);
                }
            }
            if (rc < 0) return malformed(r, &md, "the Metadata");
        }
    }
    if (rc < 0) return malformed(r, &m, "the ModelDescription");
    return CPOSE_OK;
}

/* The value field of the map entry whose key is `key` inside message field f (a map<string, X>). */
static int map_lookup(struct reader *r, const struct cml_field *entry, const char *key, struct cml_field *value, int *found)
{
    struct cml_pb e = cml_pb_sub(entry);
    struct cml_field g;
    int rc, match = 0, hv = 0;
    while ((rc = cml_pb_next(&e, &g)) > 0) {
        if (g.num == 1) match = cml_pb_streq(&g, key);
        if (g.num == 2 && g.wire == CML_PB_LEN) *value = g, hv = 1;
    }
    if (rc < 0) return malformed(r, &e, "a map entry");
    *found = match && hv;
    return CPOSE_OK;
}

static int read_program(struct reader *r, const struct cml_field *pf, struct cpose_onnx_restate *o, int *input, int *output)
{
    struct cml_pb m = cml_pb_sub(pf);
    struct cml_field f, fn = {0}, block = {0};
    int rc, found = 0;
    while ((rc = cml_pb_next(&m, &f)) > 0)
        if (f.num == 2 && f.wire == CML_PB_LEN && !found)
            if ((rc = map_lookup(r, &f, "main", &fn, &found)) != CPOSE_OK) return rc;
    if (rc < 0) return malformed(r, &m, "the Program");
    if (!found) RERR(CPOSE_EINVAL, "the ML Program has no function 'main'");
    /* Function{inputs=1, opset=2, block_specializations=3} */
    char opset[32] = "";
    struct cml_pb fm = cml_pb_sub(&fn);
    *input = -1;
    while ((rc = cml_pb_next(&fm, &f)) > 0) {
        if (f.num == 2 && f.wire == CML_PB_LEN) snprintf(opset, sizeof opset, "%.*s", (int)(f.len < 31 ? f.len : 31), f.data);
        if (f.num == 1 && f.wire == CML_PB_LEN) {
            if (*input >= 0) RERR(CPOSE_ENOTSUP, "function 'main' has a second input (one image input is read)");
            if ((rc = read_named_type(r, &f, input)) != CPOSE_OK) return rc;
        }
    }
    if (rc < 0) return malformed(r, &fm, "function 'main'");
    static const char *const opsets[] = {"CoreML5", "CoreML6", "CoreML7", "CoreML8", NULL};
    int known = 0;
    for (int k = 0; opsets[k]; k++) known |= !strcmp(opset, opsets[k]);
    if (!known) RERR(CPOSE_ENOTSUP, "function 'main' has opset '%s' (CoreML5 to CoreML8 are read)", opset);
    if (*input < 0) RERR(CPOSE_EINVAL, "function 'main' has no input");
    found = 0;
    fm = cml_pb_sub(&fn);
    while ((rc = cml_pb_next(&fm, &f)) > 0)
        if (f.num == 3 && f.wire == CML_PB_LEN && !found)
            if ((rc = map_lookup(r, &f, opset, &block, &found)) != CPOSE_OK) return rc;
    if (!found) RERR(CPOSE_EINVAL, "function 'main' has no block for its opset '%s'", opset);
    /* Block{outputs=2, operations=3} */
    struct cml_pb bm = cml_pb_sub(&block);
    char *out_name = NULL;
    int n_outs = 0;
    r->op_index = 0;
    while ((rc = cml_pb_next(&bm, &f)) > 0) {
        if (f.num == 2 && f.wire == CML_PB_LEN) cpose_free(out_name), out_name = cml_pb_strdup(&f), n_outs++;
        if (f.num == 3 && f.wire == CML_PB_LEN) {
            if ((rc = read_operation(r, o, &f, *input)) != CPOSE_OK) {
                cpose_free(out_name);
                return rc;
            }
            r->op_index++;
        }
    }
    r->op_index = -1;
    if (rc < 0) {
        cpose_free(out_name);
        return malformed(r, &bm, "the Block");
    }
    if (n_outs != 1) {
        cpose_free(out_name);
        RERR(CPOSE_ENOTSUP, "the block has %d outputs (one is read)", n_outs);
    }
    *output = find_value(r, out_name);
    if (*output < 0) rc = rerr(r, CPOSE_EINVAL, cpose_asprintf("block output '%s' is never defined", out_name));
    cpose_free(out_name);
    return rc;
}

static int read_model(struct reader *r, const uint8_t *bytes, size_t len, struct cpose_model **out)
{
    struct cml_pb m = cml_pb_of(bytes, len);
    struct cml_field f, desc = {0}, prog = {0};
    int rc, hd = 0, hp = 0;
    uint64_t spec = 0;
    while ((rc = cml_pb_next(&m, &f)) > 0) {
        if (f.num == 1 && f.wire == CML_PB_VARINT) spec = f.v;
        else if (f.num == 2 && f.wire == CML_PB_LEN) desc = f, hd = 1;
        else if (f.num == 502 && f.wire == CML_PB_LEN) prog = f, hp = 1;
        else if (f.num >= 200) RERR(CPOSE_ENOTSUP, "model type field %u: not an ML Program (mlProgram = 502)", f.num);
    }
    if (rc < 0) return malformed(r, &m, "the Model");
    if (spec < 6) RERR(CPOSE_ENOTSUP, "specificationVersion %llu: ML Programs need 6 (iOS15) or later", (unsigned long long)spec);
    if (!hp) RERR(CPOSE_EINVAL, "no mlProgram (field 502) in the Model");
    if (!hd) RERR(CPOSE_EINVAL, "no description in the Model");
    if ((rc = read_description(r, &desc)) != CPOSE_OK) return rc;
    if (r->n_inputs != 1 || r->n_outputs != 1)
        RERR(CPOSE_ENOTSUP, "%d inputs and %d outputs in the description (one of each is read)", r->n_inputs, r->n_outputs);
    if (r->color != 20) RERR(CPOSE_ENOTSUP, "the image input's colorSpace is %d, not RGB (20)", r->color);
    struct cpose_onnx_restate o;
    orst_init_restate(&o);
    int input = -1, output = -1;
    rc = read_program(r, &prog, &o, &input, &output);
    if (!rc) {
        const struct cval *in = &r->v[input], *ov = &r->v[output];
        if (strcmp(in->name, r->in_name))
            rc = rerr(r, CPOSE_EINVAL, cpose_asprintf("the description's input '%s' is not the function's input '%s'", r->in_name, in->name));
        else if (in->dtype != DT_FP32 || in->ndim != 4 || in->d[0] != 1 || in->d[1] != 3 || in->d[2] != r->img_h || in->d[3] != r->img_w)
            rc = rerr(r, CPOSE_ESHAPE, cpose_asprintf("the function input must be fp32 [1, 3, %lld, %lld] for the %lldx%lld RGB image",
                                                      (long long)r->img_h, (long long)r->img_w, (long long)r->img_w, (long long)r->img_h));
        else if (strcmp(ov->name, r->out_name))
            rc = rerr(r, CPOSE_EINVAL, cpose_asprintf("the description's output '%s' is not the block's output '%s'", r->out_name, ov->name));
        else if (ov->ndim != r->n_out_shape || memcmp(ov->d, r->out_shape, (size_t)ov->ndim * sizeof(int64_t)) || ov->dtype != DT_FP32)
            rc = rerr(r, CPOSE_ESHAPE, cpose_asprintf("the output multiArray's shape differs from the block output's fp32 type"));
        else
            rc = orst_import(&o, r->model_path, in->onnx, in->d, 4, ov->onnx, ov->d, ov->ndim, &r->meta, out);
    }
    orst_free(&o);
    return rc;
}

/* ---- the package ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int cpose_coreml_is_model(const char *path) { return ends_with(path, ".mlpackage") || ends_with(path, ".mlpackage/"); }

/* The root model's path from Manifest.json (owned), or NULL with the error recorded. */
static char *manifest_model(const char *pkg)
{
    char *mpath = cpose_path_join(pkg, "Manifest.json"), *text = NULL, *model = NULL;
    size_t len;
    if (cpose_read_file(mpath, &text, &len) != CPOSE_OK) {
        cpose_err(CPOSE_EIO, "%s: cannot read the package's Manifest.json (%s)", pkg, cpose_errmsg());
        cpose_free(mpath);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(j, "itemInfoEntries");
    const cJSON *root = cJSON_GetObjectItemCaseSensitive(j, "rootModelIdentifier");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "fileFormatVersion");
    if (!j) cpose_err(CPOSE_EINVAL, "%s: not JSON (near byte %ld)", mpath, (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : 0));
    else if (!cJSON_IsString(ver) || !cJSON_IsObject(entries) || !cJSON_IsString(root))
        cpose_err(CPOSE_EINVAL, "%s: needs fileFormatVersion (string), itemInfoEntries (object) and rootModelIdentifier (string)", mpath);
    else {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(entries, root->valuestring);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "path");
        if (!e) cpose_err(CPOSE_EINVAL, "%s: rootModelIdentifier '%s' has no entry in itemInfoEntries", mpath, root->valuestring);
        else if (!cJSON_IsString(p) || strstr(p->valuestring, "..") || p->valuestring[0] == '/')
            cpose_err(CPOSE_EINVAL, "%s: entry '%s' has no relative path", mpath, root->valuestring);
        else {
            char *data = cpose_path_join(pkg, "Data");
            model = cpose_path_join(data, p->valuestring);
            cpose_free(data);
        }
    }
    cJSON_Delete(j);
    cpose_free(text), cpose_free(mpath);
    return model;
}

int cpose_coreml_model_load(const char *path, struct cpose_model **out)
{
    *out = NULL;
    if (!cpose_path_is_dir(path)) return cpose_err(CPOSE_EINVAL, "%s: not a folder (a .mlpackage is one)", path);
    char *model = manifest_model(path);
    if (!model) return CPOSE_EINVAL;
    char *bytes = NULL;
    size_t len = 0;
    int rc = cpose_read_file(model, &bytes, &len);
    if (rc) {
        rc = cpose_err(rc, "%s: the Manifest's root model cannot be read (%s)", path, cpose_errmsg());
        cpose_free(model);
        return rc;
    }
    struct reader r;
    memset(&r, 0, sizeof r);
    r.model_path = model, r.model_dir = cpose_path_dirname(model), r.op_index = -1;
    rc = read_model(&r, (const uint8_t *)bytes, len, out);
    for (int k = 0; k < r.n_v; k++) cpose_free(r.v[k].name), cpose_free(r.v[k].f), cpose_free(r.v[k].i), cpose_free(r.v[k].s);
    cpose_free(r.v);
    cpose_free(r.blob_path), cpose_free(r.blob);
    cpose_free(r.in_name), cpose_free(r.out_name);
    cpose_export_meta_clear(&r.meta);
    cpose_free(r.model_dir);
    cpose_free(bytes), cpose_free(model);
    return rc;
}
