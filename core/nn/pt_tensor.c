/* core/nn/pt_tensor.c — tensors of a .pt checkpoint: decoding torch._utils._rebuild_tensor_v2 calls
 * and their storages' persistent ids, reading the storage bytes (any dtype torch.save writes for
 * weights: fp16, bf16, fp32, fp64, integers) into float32 through offset and strides, and the
 * state_dict walk of a pickled nn.Module tree (core/nn/pt_impl.h). */
#include "core/nn/pt_impl.h"

#include <string.h>

#include "core/base/alloc.h"

struct dtype_info {
    const char *storage; /* torch.<storage> class */
    enum cpose_pt_dtype dtype;
    int bytes;
};

static const struct dtype_info dtypes[] = {
    {"HalfStorage", CPOSE_PT_F16, 2},  {"BFloat16Storage", CPOSE_PT_BF16, 2}, {"FloatStorage", CPOSE_PT_F32, 4},
    {"DoubleStorage", CPOSE_PT_F64, 8}, {"LongStorage", CPOSE_PT_I64, 8},      {"IntStorage", CPOSE_PT_I32, 4},
    {"ByteStorage", CPOSE_PT_U8, 1},   {"BoolStorage", CPOSE_PT_BOOL, 1},
};

static int dtype_bytes(enum cpose_pt_dtype d)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (dtypes[i].dtype == d) return dtypes[i].bytes;
    return 0;
}

/* IEEE half → float, exact (subnormals, infinities and NaN included). */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | man << 13;
    } else if (exp) {
        bits = sign | (exp + 112) << 23 | man << 13;
    } else if (man) { /* subnormal: normalise */
        int e = -1;
        do man <<= 1, e++;
        while (!(man & 0x400));
        bits = sign | (uint32_t)(112 - e) << 23 | (man & 0x3ff) << 13;
    } else {
        bits = sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static float element(const uint8_t *p, enum cpose_pt_dtype d)
{
    switch (d) {
    case CPOSE_PT_F16: return half_to_float((uint16_t)(p[0] | p[1] << 8));
    case CPOSE_PT_BF16: {
        uint32_t bits = (uint32_t)(p[0] | p[1] << 8) << 16;
        float f;
        memcpy(&f, &bits, 4);
        return f;
    }
    case CPOSE_PT_F32: { float f; memcpy(&f, p, 4); return f; }
    case CPOSE_PT_F64: { double x; memcpy(&x, p, 8); return (float)x; }
    case CPOSE_PT_I64: { int64_t x; memcpy(&x, p, 8); return (float)x; }
    case CPOSE_PT_I32: { int32_t x; memcpy(&x, p, 4); return (float)x; }
    case CPOSE_PT_U8:
    case CPOSE_PT_BOOL: return (float)p[0];
    }
    return 0;
}

/* An int tuple (or torch.Size(tuple)) into dims; -1 on anything else. */
static int int_tuple(const struct cpose_pkl *v, int64_t *dims)
{
    if (v && v->kind == CPOSE_PKL_CALL && cpose_pkl_is_global(v->func, "torch", "Size") && v->args->n == 1)
        v = v->args->items[0];
    if (!v || (v->kind != CPOSE_PKL_TUPLE && v->kind != CPOSE_PKL_LIST) || v->n > CPOSE_PT_MAX_DIMS) return -1;
    for (size_t i = 0; i < v->n; i++)
        if (!cpose_pkl_int(v->items[i], &dims[i])) return -1;
    return (int)v->n;
}

int cpose_pt_tensor_decode(const char *file, const char *what, const struct cpose_pkl *v, struct cpose_pt_tensor *t)
{
    if (v && v->kind == CPOSE_PKL_CALL &&
        (cpose_pkl_is_global(v->func, "torch._utils", "_rebuild_parameter") ||
         cpose_pkl_is_global(v->func, "torch._utils", "_rebuild_parameter_with_state")) && v->args->n >= 1)
        v = v->args->items[0];
    if (!v || v->kind != CPOSE_PKL_CALL || !cpose_pkl_is_global(v->func, "torch._utils", "_rebuild_tensor_v2") ||
        v->args->n < 4) {
        const struct cpose_pkl *f = v && v->kind == CPOSE_PKL_CALL ? v->func : NULL;
        return cpose_err(CPOSE_EINVAL, "%s: '%s' is not a tensor (a %s%s%s%s%s); expected torch._utils._rebuild_tensor_v2",
                         file, what, cpose_pkl_kind_name(v), f && f->kind == CPOSE_PKL_GLOBAL ? " of " : "",
                         f && f->kind == CPOSE_PKL_GLOBAL ? f->module : "", f && f->kind == CPOSE_PKL_GLOBAL ? "." : "",
                         f && f->kind == CPOSE_PKL_GLOBAL ? f->name : "");
    }
    const struct cpose_pkl *const *a = (const struct cpose_pkl *const *)v->args->items;
    const struct cpose_pkl *pid = a[0]->kind == CPOSE_PKL_PERSID ? a[0]->args : NULL;
    if (!pid || pid->kind != CPOSE_PKL_TUPLE || pid->n < 5 || pid->items[0]->kind != CPOSE_PKL_STR ||
        strcmp(pid->items[0]->s, "storage") || pid->items[1]->kind != CPOSE_PKL_GLOBAL ||
        pid->items[2]->kind != CPOSE_PKL_STR || !cpose_pkl_int(pid->items[4], &t->storage_numel))
        return cpose_err(CPOSE_EINVAL, "%s: tensor '%s': its storage is not a torch storage persistent id "
                                       "(\"storage\", torch.<Type>Storage, key, location, numel)",
                         file, what);
    const struct cpose_pkl *cls = pid->items[1];
    int found = 0;
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (!strcmp(cls->module, "torch") && !strcmp(cls->name, dtypes[i].storage)) t->dtype = dtypes[i].dtype, found = 1;
    if (!found)
        return cpose_err(CPOSE_EINVAL, "%s: tensor '%s' is stored as %s.%s; cpose reads Half, BFloat16, Float, Double, "
                                       "Long, Int, Byte and Bool storages",
                         file, what, cls->module, cls->name);
    if (pid->items[2]->len >= sizeof t->storage || strchr(pid->items[2]->s, '/'))
        return cpose_err(CPOSE_EINVAL, "%s: tensor '%s': storage key '%.60s' is not a plain name", file, what,
                         pid->items[2]->s);
    snprintf(t->storage, sizeof t->storage, "%s", pid->items[2]->s);
    int64_t stride[CPOSE_PT_MAX_DIMS];
    int nd = int_tuple(a[2], t->size), ns = int_tuple(a[3], stride);
    if (!cpose_pkl_int(a[1], &t->offset) || nd < 0 || ns != nd || t->offset < 0 || t->storage_numel < 0)
        return cpose_err(CPOSE_EINVAL, "%s: tensor '%s': storage offset, size or stride is not a valid integer tuple",
                         file, what);
    t->ndim = nd;
    for (int d = 0; d < nd; d++) {
        t->stride[d] = stride[d];
        if (t->size[d] < 0 || stride[d] < 0)
            return cpose_err(CPOSE_EINVAL, "%s: tensor '%s': negative size or stride", file, what);
    }
    return CPOSE_OK;
}

int64_t cpose_pt_tensor_numel(const struct cpose_pt_tensor *t)
{
    int64_t n = 1;
    for (int d = 0; d < t->ndim; d++)
        if (__builtin_mul_overflow(n, t->size[d], &n)) return INT64_MAX;
    return n;
}

int cpose_pt_tensor_read(struct cpose_pt_zip *z, const struct cpose_pt_tensor *t, float *dst)
{
    const char *file = cpose_pt_zip_path(z);
    char rel[80];
    snprintf(rel, sizeof rel, "data/%s", t->storage);
    long idx = cpose_pt_zip_find(z, rel);
    if (idx < 0)
        return cpose_err(CPOSE_EINVAL, "%s: tensor '%s': its storage member %s/%s is missing from the archive", file,
                         t->key, cpose_pt_zip_prefix(z), rel);
    const uint8_t *data;
    size_t len;
    int rc = cpose_pt_zip_read(z, (size_t)idx, &data, &len);
    if (rc) return cpose_err_context(rc, "tensor '%s'", t->key);
    int eb = dtype_bytes(t->dtype);
    if ((uint64_t)t->storage_numel > len / (size_t)eb)
        return cpose_err(CPOSE_EINVAL, "%s: tensor '%s': storage %s holds %zu bytes, fewer than its %lld elements need",
                         file, t->key, t->storage, len, (long long)t->storage_numel);
    int64_t numel = cpose_pt_tensor_numel(t);
    if (numel == 0) return CPOSE_OK;
    /* the last element the view touches must lie inside the storage */
    int64_t last = t->offset;
    for (int d = 0; d < t->ndim; d++) {
        int64_t s;
        if (__builtin_mul_overflow(t->size[d] - 1, t->stride[d], &s) || __builtin_add_overflow(last, s, &last)) last = INT64_MAX;
    }
    if (last >= t->storage_numel)
        return cpose_err(CPOSE_EINVAL, "%s: tensor '%s': its view (offset %lld, reaching element %lld) runs past its "
                                       "storage of %lld elements",
                         file, t->key, (long long)t->offset, (long long)last, (long long)t->storage_numel);
    int64_t idxs[CPOSE_PT_MAX_DIMS] = {0};
    for (int64_t i = 0; i < numel; i++) {
        int64_t e = t->offset;
        for (int d = 0; d < t->ndim; d++) e += idxs[d] * t->stride[d];
        dst[i] = element(data + (size_t)e * (size_t)eb, t->dtype);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idxs[d] < t->size[d]) break;
            idxs[d] = 0;
        }
    }
    return CPOSE_OK;
}

/* 1 when name is in a pickled set (a SET node, or set([...]) as protocol 2 writes it). */
static int in_set(const struct cpose_pkl *set, const char *name)
{
    if (set && set->kind == CPOSE_PKL_CALL && set->args->n == 1) set = set->args->items[0];
    if (!set || (set->kind != CPOSE_PKL_SET && set->kind != CPOSE_PKL_LIST && set->kind != CPOSE_PKL_TUPLE)) return 0;
    for (size_t i = 0; i < set->n; i++)
        if (set->items[i]->kind == CPOSE_PKL_STR && !strcmp(set->items[i]->s, name)) return 1;
    return 0;
}

static int add_tensors(const char *file, const struct cpose_pkl *map, const char *prefix, const struct cpose_pkl *skip,
                       struct cpose_pt_tensor **out, size_t *n, size_t *cap)
{
    for (size_t i = 0; i < cpose_pkl_map_len(map); i++) {
        const struct cpose_pkl *k = cpose_pkl_map_key(map, i), *v = cpose_pkl_map_val(map, i);
        if (k->kind != CPOSE_PKL_STR || v->kind == CPOSE_PKL_NONE || in_set(skip, k->s)) continue;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 64;
            *out = cpose_realloc(*out, *cap * sizeof **out);
        }
        struct cpose_pt_tensor *t = &(*out)[*n];
        memset(t, 0, sizeof *t);
        if (strlen(prefix) + k->len >= sizeof t->key)
            return cpose_err(CPOSE_EINVAL, "%s: state_dict key '%s%.60s...' is too long", file, prefix, k->s);
        snprintf(t->key, sizeof t->key, "%s%s", prefix, k->s);
        int rc = cpose_pt_tensor_decode(file, t->key, v, t);
        if (rc) return rc;
        (*n)++;
    }
    return CPOSE_OK;
}

int cpose_pt_state_dict(const char *file, const struct cpose_pkl *module, const char *prefix,
                        struct cpose_pt_tensor **out, size_t *n, size_t *cap, int depth, long *visits)
{
    const struct cpose_pkl *attrs = cpose_pkl_attrs(module);
    const char *where = *prefix ? prefix : "the model";
    if (depth > 32) return cpose_err(CPOSE_EINVAL, "%s: modules nest deeper than 32 levels at '%s'", file, where);
    if (++*visits > 100000)
        return cpose_err(CPOSE_EINVAL, "%s: more than 100000 modules (shared sub-modules repeated?) at '%s': not a "
                                       "YOLOv8 checkpoint",
                         file, where);
    const struct cpose_pkl *params = cpose_pkl_get(attrs, "_parameters"), *mods = cpose_pkl_get(attrs, "_modules");
    if (!attrs || !params || !mods) {
        const struct cpose_pkl *f = module && module->kind == CPOSE_PKL_CALL ? module->func : NULL;
        return cpose_err(CPOSE_EINVAL, "%s: '%s' is %s%s%s%s, not a pickled torch module (an object whose state has "
                                       "_parameters and _modules)",
                         file, where, f && f->kind == CPOSE_PKL_GLOBAL ? "an object of " : "a ",
                         f && f->kind == CPOSE_PKL_GLOBAL ? f->module : cpose_pkl_kind_name(module),
                         f && f->kind == CPOSE_PKL_GLOBAL ? "." : "", f && f->kind == CPOSE_PKL_GLOBAL ? f->name : "");
    }
    int rc = add_tensors(file, params, prefix, NULL, out, n, cap);
    if (!rc) rc = add_tensors(file, cpose_pkl_get(attrs, "_buffers"), prefix,
                              cpose_pkl_get(attrs, "_non_persistent_buffers_set"), out, n, cap);
    for (size_t i = 0; !rc && i < cpose_pkl_map_len(mods); i++) {
        const struct cpose_pkl *k = cpose_pkl_map_key(mods, i), *child = cpose_pkl_map_val(mods, i);
        if (k->kind != CPOSE_PKL_STR || child->kind == CPOSE_PKL_NONE) continue;
        char *sub = cpose_asprintf("%s%s.", prefix, k->s);
        rc = cpose_pt_state_dict(file, child, sub, out, n, cap, depth + 1, visits);
        cpose_free(sub);
    }
    return rc;
}
