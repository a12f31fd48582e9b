/* core/nn/coreml_values.c — the CoreML reader's values (contract in core/nn/coreml_read.h): MIL
 * ValueTypes (tensors of constant dims), NamedValueTypes, immediate TensorValues and BlobFileValues
 * checked against the MIL blob storage rules (header version 2; 64-byte aligned metadata record
 * with the 0xDEADBEEF sentinel, a data type matching the value's, size = elements × element size,
 * 64-byte aligned data inside the file). */
#include <string.h>

#include "core/base/fsutil.h"
#include "core/base/num_convert.h"
#include "core/nn/coreml_read.h"

int cml_rerr(const struct cml_reader *r, int rc, char *take)
{
    if (r->op_index >= 0)
        rc = cpose_err(rc, "%s: operation %d '%s' (output '%s'): %s", r->model_path, r->op_index, r->op_type, r->op_out, take);
    else
        rc = cpose_err(rc, "%s: %s", r->model_path, take);
    cpose_free(take);
    return rc;
}
#define RERR(rc, ...) return cml_rerr(r, (rc), cpose_asprintf(__VA_ARGS__))

int cml_malformed(const struct cml_reader *r, const struct pb_reader *m, const char *what)
{
    return cml_rerr(r, CPOSE_EINVAL, cpose_asprintf("malformed protobuf in %s: %s", what, m->error ? m->error : "?"));
}

int cml_find_value(const struct cml_reader *r, const char *name)
{
    for (int k = r->n_v - 1; k >= 0; k--)
        if (!strcmp(r->v[k].name, name)) return k;
    return -1;
}

struct cml_value *cml_new_value(struct cml_reader *r)
{
    if (r->n_v == r->cap_v) {
        r->cap_v = r->cap_v ? 2 * r->cap_v : 256;
        r->v = cpose_realloc(r->v, (size_t)r->cap_v * sizeof *r->v);
    }
    struct cml_value *v = &r->v[r->n_v++];
    memset(v, 0, sizeof *v);
    return v;
}

char *cml_field_strdup(const struct pb_field *f)
{
    char *s = cpose_malloc(f->len + 1);
    if (f->len) memcpy(s, f->data, f->len);
    s[f->len] = 0;
    return s;
}

int cml_field_is(const struct pb_field *f, const char *s)
{
    return f->wire == PB_WIRE_LEN && strlen(s) == f->len && !memcmp(f->data, s, f->len);
}

/* ---- types ---- */

/* TensorType inside a ValueType message: dtype, rank, constant dims. */
int cml_read_value_type(struct cml_reader *r, const struct pb_field *vt, struct cml_value *out)
{
    struct pb_reader m = cml_sub(vt);
    struct pb_field f;
    int rc, tensor = 0;
    int64_t rank = -1;
    out->ndim = 0, out->dtype = 0;
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.num != 1 || f.wire != PB_WIRE_LEN) {
            if (f.num >= 2 && f.num <= 4) RERR(CPOSE_ENOTSUP, "a list, tuple or dictionary type (tensors are read)");
            continue;
        }
        tensor = 1;
        struct pb_reader t = cml_sub(&f);
        struct pb_field g;
        while ((rc = pb_next(&t, &g)) > 0) {
            if (g.num == 1 && g.wire == PB_WIRE_VARINT) out->dtype = (int)g.v;
            else if (g.num == 2 && g.wire == PB_WIRE_VARINT) rank = (int64_t)g.v;
            else if (g.num == 3 && g.wire == PB_WIRE_LEN) {
                struct pb_reader dm = cml_sub(&g);
                struct pb_field h;
                int constant = 0;
                while ((rc = pb_next(&dm, &h)) > 0) {
                    if (h.num == 2) RERR(CPOSE_ENOTSUP, "a tensor with an unknown (dynamic) dimension");
                    if (h.num != 1 || h.wire != PB_WIRE_LEN) continue;
                    struct pb_reader cm = cml_sub(&h);
                    struct pb_field s;
                    uint64_t size = 0;
                    while ((rc = pb_next(&cm, &s)) > 0)
                        if (s.num == 1 && s.wire == PB_WIRE_VARINT) size = s.v;
                    if (rc < 0) return cml_malformed(r, &cm, "a dimension");
                    if (out->ndim == CM_MAX_DIMS) RERR(CPOSE_ENOTSUP, "more than %d dimensions", CM_MAX_DIMS);
                    out->d[out->ndim++] = (int64_t)size;
                    constant = 1;
                }
                if (rc < 0) return cml_malformed(r, &dm, "a dimension");
                if (!constant) RERR(CPOSE_EINVAL, "a Dimension that is neither constant nor unknown");
            }
        }
        if (rc < 0) return cml_malformed(r, &t, "a TensorType");
    }
    if (rc < 0) return cml_malformed(r, &m, "a ValueType");
    if (!tensor) RERR(CPOSE_EINVAL, "a ValueType without a tensorType");
    if (rank != out->ndim) RERR(CPOSE_EINVAL, "TensorType rank %lld but %d dimensions", (long long)rank, out->ndim);
    if (!out->dtype) RERR(CPOSE_EINVAL, "a TensorType without a dataType");
    return CPOSE_OK;
}

/* NamedValueType{name=1, type=2} into a new value; fails on a name already defined. */
int cml_read_named_type(struct cml_reader *r, const struct pb_field *nf, int *index)
{
    struct pb_reader m = cml_sub(nf);
    struct pb_field f, type = {0};
    char *name = NULL;
    int rc, have_type = 0;
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.num == 1 && f.wire == PB_WIRE_LEN) cpose_free(name), name = cml_field_strdup(&f);
        else if (f.num == 2 && f.wire == PB_WIRE_LEN) type = f, have_type = 1;
    }
    if (rc < 0) {
        cpose_free(name);
        return cml_malformed(r, &m, "a NamedValueType");
    }
    if (!name || !*name || !have_type) {
        cpose_free(name);
        RERR(CPOSE_EINVAL, "a NamedValueType without a name or a type");
    }
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || (p > name && ((*p >= '0' && *p <= '9') || *p == '@')))) {
            rc = cml_rerr(r, CPOSE_EINVAL, cpose_asprintf("'%s' is not a MIL identifier ([A-Za-z_][A-Za-z0-9_@]*)", name));
            cpose_free(name);
            return rc;
        }
    if (cml_find_value(r, name) >= 0) {
        rc = cml_rerr(r, CPOSE_EINVAL, cpose_asprintf("value '%s' is defined twice", name));
        cpose_free(name);
        return rc;
    }
    struct cml_value *v = cml_new_value(r);
    v->name = name;
    snprintf(v->onnx, sizeof v->onnx, "%s", name);
    *index = r->n_v - 1;
    return cml_read_value_type(r, &type, v);
}

/* ---- const values ---- */

static int64_t numel_of(const struct cml_value *v)
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

static void alloc_data(struct cml_value *v)
{
    v->numel = numel_of(v);
    v->f = cpose_calloc((size_t)(v->numel ? v->numel : 1), sizeof(float));
    v->i = cpose_calloc((size_t)(v->numel ? v->numel : 1), sizeof(int64_t));
}

/* TensorValue (ImmediateValue.tensor) into v, whose type is set. */
static int read_immediate(struct cml_reader *r, const struct pb_field *imm, struct cml_value *v)
{
    struct pb_reader m = cml_sub(imm);
    struct pb_field f;
    int rc, got = 0;
    alloc_data(v);
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.num != 1 || f.wire != PB_WIRE_LEN) RERR(CPOSE_ENOTSUP, "an immediate value that is not a tensor");
        struct pb_reader t = cml_sub(&f);
        struct pb_field g;
        while ((rc = pb_next(&t, &g)) > 0) {
            if (g.wire != PB_WIRE_LEN) continue;
            struct pb_reader rep = cml_sub(&g);
            struct pb_field h;
            int64_t n = 0;
            while ((rc = pb_next(&rep, &h)) > 0) {
                if (h.num != 1) continue;
                if (g.num == 4) { /* strings */
                    if (v->dtype != CML_DT_STRING) RERR(CPOSE_EINVAL, "string values for a tensor of data type %d", v->dtype);
                    cpose_free(v->s), v->s = cml_field_strdup(&h), n++;
                } else if (g.num == 1) { /* floats, packed */
                    if (v->dtype != CML_DT_FP32) RERR(CPOSE_EINVAL, "float values for a tensor of data type %d", v->dtype);
                    if (h.wire != PB_WIRE_LEN || h.len % 4) RERR(CPOSE_EINVAL, "packed floats of %zu bytes", h.len);
                    for (size_t q = 0; q < h.len / 4; q++, n++) {
                        if (n >= v->numel) RERR(CPOSE_EINVAL, "more values than the type's %lld", (long long)v->numel);
                        memcpy(&v->f[n], h.data + 4 * q, 4), v->i[n] = cpose_float_to_i64(v->f[n]);
                    }
                } else if (g.num == 2 || g.num == 3 || g.num == 5) { /* ints, bools, longInts, packed varints */
                    int want = g.num == 2 ? CML_DT_INT32 : g.num == 3 ? CML_DT_BOOL : CML_DT_INT64;
                    if (v->dtype != want) RERR(CPOSE_EINVAL, "TensorValue field %u for a tensor of data type %d", g.num, v->dtype);
                    size_t have = (size_t)n;
                    int q = pb_varints_of(&h, v->i, (size_t)v->numel, &have);
                    if (q == -2) RERR(CPOSE_EINVAL, "more values than the type's %lld", (long long)v->numel);
                    if (q < 0) RERR(CPOSE_EINVAL, "malformed protobuf in packed integers");
                    for (; n < (int64_t)have; n++) {
                        if (g.num == 2) v->i[n] = (int64_t)(int32_t)v->i[n];
                        v->f[n] = (float)v->i[n];
                    }
                } else {
                    RERR(CPOSE_ENOTSUP, "TensorValue field %u (doubles/bytes are not read)", g.num);
                }
            }
            if (rc < 0) return cml_malformed(r, &rep, "a repeated value");
            if (n != v->numel) RERR(CPOSE_EINVAL, "%lld values for a tensor of %lld elements", (long long)n, (long long)v->numel);
            got = 1;
        }
        if (rc < 0) return cml_malformed(r, &t, "a TensorValue");
    }
    if (rc < 0) return cml_malformed(r, &m, "an ImmediateValue");
    if (!got) RERR(CPOSE_EINVAL, "an immediate value without data");
    return CPOSE_OK;
}

/* The blob storage file's header, checked once. */
static int check_blob_file(struct cml_reader *r)
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
static int read_blob(struct cml_reader *r, const struct pb_field *bf, struct cml_value *v)
{
    struct pb_reader m = cml_sub(bf);
    struct pb_field f;
    char *file = NULL;
    uint64_t off = 0;
    int rc;
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.num == 1 && f.wire == PB_WIRE_LEN) cpose_free(file), file = cml_field_strdup(&f);
        else if (f.num == 2 && f.wire == PB_WIRE_VARINT) off = f.v;
    }
    if (rc < 0) {
        cpose_free(file);
        return cml_malformed(r, &m, "a BlobFileValue");
    }
    static const char prefix[] = "@model_path/";
    if (!file || strncmp(file, prefix, sizeof prefix - 1) || strstr(file, "..")) {
        rc = cml_rerr(r, CPOSE_EINVAL, cpose_asprintf("blob file '%s' is not a path under @model_path/", file ? file : ""));
        cpose_free(file);
        return rc;
    }
    char *path = cpose_path_join(r->model_dir, file + sizeof prefix - 1);
    cpose_free(file);
    if (!r->blob_path) {
        r->blob_path = path;
        if ((rc = cpose_read_file(path, &r->blob, &r->blob_len)) != CPOSE_OK) return cml_rerr(r, rc, cpose_asprintf("%s", cpose_errmsg()));
    } else {
        int same = !strcmp(path, r->blob_path);
        if (!same) {
            rc = cml_rerr(r, CPOSE_ENOTSUP, cpose_asprintf("a second blob file %s (one weight file is read)", path));
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
    int want = v->dtype == CML_DT_FP16 ? 1 : v->dtype == CML_DT_FP32 ? 2 : v->dtype == CML_DT_UINT8 ? 3 : v->dtype == CML_DT_INT8 ? 4 : 0;
    if (!want || (v->dtype != CML_DT_FP16 && v->dtype != CML_DT_FP32))
        RERR(CPOSE_ENOTSUP, "a blob of MIL data type %d (fp16 and fp32 are read)", v->dtype);
    if (dtype != (uint32_t)want)
        RERR(CPOSE_EINVAL, "blob at offset %llu has data type %u, the value's type needs %d", (unsigned long long)off, dtype, want);
    alloc_data(v);
    uint64_t esize = v->dtype == CML_DT_FP16 ? 2 : 4;
    if (size != (uint64_t)v->numel * esize)
        RERR(CPOSE_EINVAL, "blob at offset %llu holds %llu bytes, the value needs %lld × %llu", (unsigned long long)off,
             (unsigned long long)size, (long long)v->numel, (unsigned long long)esize);
    if (data % 64) RERR(CPOSE_EINVAL, "blob at offset %llu: data offset %llu is not 64-byte aligned", (unsigned long long)off, (unsigned long long)data);
    if (data < off + 64 || data > r->blob_len || size > r->blob_len - data)
        RERR(CPOSE_EINVAL, "blob at offset %llu: data %llu + %llu bytes lies outside %s (%zu bytes)", (unsigned long long)off,
             (unsigned long long)data, (unsigned long long)size, r->blob_path, r->blob_len);
    const uint8_t *p = (const uint8_t *)r->blob + data;
    for (int64_t q = 0; q < v->numel; q++) {
        if (v->dtype == CML_DT_FP16) {
            uint16_t h;
            memcpy(&h, p + 2 * q, 2);
            v->f[q] = half_to_float(h);
        } else {
            memcpy(&v->f[q], p + 4 * q, 4);
        }
        v->i[q] = cpose_float_to_i64(v->f[q]);
    }
    return CPOSE_OK;
}

/* Value{type=2, immediateValue=3 | blobFileValue=5} into v (a new const value, unnamed if name NULL). */
int cml_read_value(struct cml_reader *r, const struct pb_field *vf, struct cml_value *v)
{
    struct pb_reader m = cml_sub(vf);
    struct pb_field f, type = {0}, imm = {0}, blob = {0};
    int rc, ht = 0, hi = 0, hb = 0;
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.wire != PB_WIRE_LEN) continue;
        if (f.num == 2) type = f, ht = 1;
        else if (f.num == 3) imm = f, hi = 1;
        else if (f.num == 5) blob = f, hb = 1;
    }
    if (rc < 0) return cml_malformed(r, &m, "a Value");
    if (!ht) RERR(CPOSE_EINVAL, "a Value without a type");
    if (hi + hb != 1) RERR(CPOSE_EINVAL, "a Value needs exactly one of immediateValue and blobFileValue");
    if ((rc = cml_read_value_type(r, &type, v)) != CPOSE_OK) return rc;
    v->is_const = 1;
    return hi ? read_immediate(r, &imm, v) : read_blob(r, &blob, v);
}

/* ---- parameters bound to consts ---- */

int cml_const_param(struct cml_reader *r, const struct cml_arg *ps, int n, const char *name, struct cml_value **out)
{
    const struct cml_arg *p = cml_param(ps, n, name);
    *out = NULL;
    if (!p) return CPOSE_OK;
    struct cml_value *v = &r->v[p->arg[0]];
    if (!v->is_const) RERR(CPOSE_ENOTSUP, "parameter '%s' must be a constant (bound to computed value '%s')", name, v->name);
    *out = v;
    return CPOSE_OK;
}

int cml_int_param(struct cml_reader *r, const struct cml_arg *ps, int n, const char *name, int64_t *out, int count,
                    const int64_t *def)
{
    struct cml_value *v;
    int rc = cml_const_param(r, ps, n, name, &v);
    if (rc) return rc;
    if (!v) {
        if (!def) RERR(CPOSE_EINVAL, "parameter '%s' is missing", name);
        memcpy(out, def, (size_t)count * sizeof(int64_t));
        return CPOSE_OK;
    }
    if (v->dtype != CML_DT_INT32 && v->dtype != CML_DT_INT64 && v->dtype != CML_DT_BOOL)
        RERR(CPOSE_EINVAL, "parameter '%s' has data type %d, an integer type is needed", name, v->dtype);
    if (v->numel != count) RERR(CPOSE_EINVAL, "parameter '%s' holds %lld values, %d expected", name, (long long)v->numel, count);
    memcpy(out, v->i, (size_t)count * sizeof(int64_t));
    return CPOSE_OK;
}

int cml_str_param(struct cml_reader *r, const struct cml_arg *ps, int n, const char *name, const char **out, const char *def)
{
    struct cml_value *v;
    int rc = cml_const_param(r, ps, n, name, &v);
    if (rc) return rc;
    if (!v) {
        *out = def;
        return CPOSE_OK;
    }
    if (v->dtype != CML_DT_STRING || !v->s) RERR(CPOSE_EINVAL, "parameter '%s' must be a string", name);
    *out = v->s;
    return CPOSE_OK;
}
