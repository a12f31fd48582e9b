/* core/nn/h5io.c — HDF5 helpers behind core/nn/h5io.h: typed dataset reads/writes, attributes, listing,
 * and create-to-temporary + rename on commit. HDF5's own error printing is silenced; failures come
 * back as cpose messages naming the file and object. */
#include "core/nn/h5io.h"
#include "core/base/alloc.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cpose_h5 {
    hid_t file;
    char *path, *tmp_path; /* tmp_path set for files being created */
};

static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

int cpose_h5_open(const char *path, struct cpose_h5 **out)
{
    quiet();
    *out = NULL;
    if (access(path, R_OK) != 0) return cpose_err(CPOSE_EIO, "cannot open '%s': no such readable file", path);
    if (H5Fis_hdf5(path) <= 0) return cpose_err(CPOSE_EINVAL, "'%s' is not an HDF5 file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return cpose_err(CPOSE_EIO, "cannot open HDF5 file '%s'", path);
    struct cpose_h5 *h = cpose_calloc(1, sizeof *h);
    h->file = f;
    h->path = cpose_strdup(path);
    *out = h;
    return CPOSE_OK;
}

int cpose_h5_create(const char *path, struct cpose_h5 **out)
{
    quiet();
    *out = NULL;
    char *tmp = cpose_asprintf("%s.tmp.%d", path, (int)getpid());
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        int rc = cpose_err(CPOSE_EIO, "cannot create HDF5 file '%s' (is the folder writable?)", tmp);
        cpose_free(tmp);
        return rc;
    }
    struct cpose_h5 *h = cpose_calloc(1, sizeof *h);
    h->file = f;
    h->path = cpose_strdup(path);
    h->tmp_path = tmp;
    *out = h;
    return CPOSE_OK;
}

static void release(struct cpose_h5 *f)
{
    cpose_free(f->path);
    cpose_free(f->tmp_path);
    cpose_free(f);
}

int cpose_h5_commit(struct cpose_h5 *f)
{
    int rc = CPOSE_OK;
    if (f->tmp_path && H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0)
        rc = cpose_err(CPOSE_EIO, "cannot flush '%s'", f->tmp_path);
    if (H5Fclose(f->file) < 0 && rc == CPOSE_OK) rc = cpose_err(CPOSE_EIO, "cannot close '%s'", f->path);
    if (f->tmp_path) {
        if (rc == CPOSE_OK && rename(f->tmp_path, f->path) != 0)
            rc = cpose_err(CPOSE_EIO, "cannot rename '%s' to '%s'", f->tmp_path, f->path);
        if (rc != CPOSE_OK) unlink(f->tmp_path);
    }
    release(f);
    return rc;
}

void cpose_h5_close(struct cpose_h5 *f)
{
    if (!f) return;
    H5Fclose(f->file);
    if (f->tmp_path) unlink(f->tmp_path);
    release(f);
}

const char *cpose_h5_path(const struct cpose_h5 *f) { return f->path; }

int cpose_h5_exists(struct cpose_h5 *f, const char *name)
{
    /* H5Lexists needs every intermediate link to exist: walk the path. */
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", name);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int ok = H5Lexists(f->file, buf, H5P_DEFAULT) > 0;
        *p = '/';
        if (!ok) return 0;
    }
    return H5Lexists(f->file, name, H5P_DEFAULT) > 0;
}

static int open_dataset(struct cpose_h5 *f, const char *name, hid_t *ds)
{
    if (!cpose_h5_exists(f, name))
        return cpose_err(CPOSE_EINVAL, "'%s' has no dataset '%s'", f->path, name);
    *ds = H5Dopen2(f->file, name, H5P_DEFAULT);
    if (*ds < 0) return cpose_err(CPOSE_EINVAL, "'%s': '%s' is not a dataset", f->path, name);
    return CPOSE_OK;
}

static int dataset_shape(hid_t ds, int *ndim, int64_t dims[CPOSE_H5_MAX_DIMS], size_t *count)
{
    hid_t sp = H5Dget_space(ds);
    int nd = H5Sget_simple_extent_ndims(sp);
    hsize_t d[CPOSE_H5_MAX_DIMS] = {0};
    if (nd < 0 || nd > CPOSE_H5_MAX_DIMS) {
        H5Sclose(sp);
        return cpose_err(CPOSE_EINVAL, "dataset has unsupported rank %d", nd);
    }
    H5Sget_simple_extent_dims(sp, d, NULL);
    H5Sclose(sp);
    size_t n = 1;
    for (int i = 0; i < nd; i++) {
        if (dims) dims[i] = (int64_t)d[i];
        n *= d[i];
    }
    if (ndim) *ndim = nd;
    if (count) *count = n;
    return CPOSE_OK;
}

int cpose_h5_shape(struct cpose_h5 *f, const char *name, int *ndim, int64_t dims[CPOSE_H5_MAX_DIMS])
{
    hid_t ds = -1;
    int rc = open_dataset(f, name, &ds);
    if (rc) return rc;
    rc = dataset_shape(ds, ndim, dims, NULL);
    H5Dclose(ds);
    return rc;
}

static int read_typed(struct cpose_h5 *f, const char *name, hid_t memtype, size_t elem, void **data, int *ndim,
                      int64_t dims[CPOSE_H5_MAX_DIMS])
{
    hid_t ds = -1;
    int rc = open_dataset(f, name, &ds);
    if (rc) return rc;
    size_t n;
    if ((rc = dataset_shape(ds, ndim, dims, &n)) != CPOSE_OK) {
        H5Dclose(ds);
        return cpose_err_context(rc, "'%s' in '%s'", name, f->path);
    }
    void *buf = cpose_malloc(n ? n * elem : elem);
    if (n && H5Dread(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        cpose_free(buf);
        H5Dclose(ds);
        return cpose_err(CPOSE_EIO, "cannot read dataset '%s' from '%s' as a number array", name, f->path);
    }
    H5Dclose(ds);
    *data = buf;
    return CPOSE_OK;
}

int cpose_h5_read_f32(struct cpose_h5 *f, const char *name, float **data, int *ndim, int64_t dims[CPOSE_H5_MAX_DIMS])
{
    return read_typed(f, name, H5T_NATIVE_FLOAT, sizeof(float), (void **)data, ndim, dims);
}

int cpose_h5_read_f64(struct cpose_h5 *f, const char *name, double **data, int *ndim, int64_t dims[CPOSE_H5_MAX_DIMS])
{
    return read_typed(f, name, H5T_NATIVE_DOUBLE, sizeof(double), (void **)data, ndim, dims);
}

int cpose_h5_read_i64(struct cpose_h5 *f, const char *name, int64_t **data, int *ndim, int64_t dims[CPOSE_H5_MAX_DIMS])
{
    return read_typed(f, name, H5T_NATIVE_INT64, sizeof(int64_t), (void **)data, ndim, dims);
}

int cpose_h5_read_f32_into(struct cpose_h5 *f, const char *name, float *data, size_t count)
{
    hid_t ds = -1;
    int rc = open_dataset(f, name, &ds);
    if (rc) return rc;
    size_t n;
    int nd;
    int64_t dims[CPOSE_H5_MAX_DIMS];
    rc = dataset_shape(ds, &nd, dims, &n);
    if (rc == CPOSE_OK && n != count)
        rc = cpose_err(CPOSE_ESHAPE, "dataset '%s' in '%s' has %zu values, expected %zu", name, f->path, n, count);
    if (rc == CPOSE_OK && n && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = cpose_err(CPOSE_EIO, "cannot read dataset '%s' from '%s'", name, f->path);
    H5Dclose(ds);
    return rc;
}

static int write_typed(struct cpose_h5 *f, const char *name, hid_t filetype, hid_t memtype, const void *data, int ndim,
                       const int64_t *dims)
{
    hsize_t d[CPOSE_H5_MAX_DIMS];
    for (int i = 0; i < ndim; i++) d[i] = (hsize_t)dims[i];
    hid_t sp = ndim ? H5Screate_simple(ndim, d, NULL) : H5Screate(H5S_SCALAR);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t ds = H5Dcreate2(f->file, name, filetype, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    H5Sclose(sp);
    if (ds < 0) return cpose_err(CPOSE_EIO, "cannot create dataset '%s' in '%s' (does it exist already?)", name, f->path);
    herr_t st = H5Dwrite(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Dclose(ds);
    if (st < 0) return cpose_err(CPOSE_EIO, "cannot write dataset '%s' in '%s'", name, f->path);
    return CPOSE_OK;
}

int cpose_h5_write_f32(struct cpose_h5 *f, const char *name, const float *data, int ndim, const int64_t *dims)
{
    return write_typed(f, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, data, ndim, dims);
}

int cpose_h5_write_f64(struct cpose_h5 *f, const char *name, const double *data, int ndim, const int64_t *dims)
{
    return write_typed(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data, ndim, dims);
}

int cpose_h5_write_i64(struct cpose_h5 *f, const char *name, const int64_t *data, int ndim, const int64_t *dims)
{
    return write_typed(f, name, H5T_STD_I64LE, H5T_NATIVE_INT64, data, ndim, dims);
}

int cpose_h5_write_u8(struct cpose_h5 *f, const char *name, const uint8_t *data, int ndim, const int64_t *dims)
{
    return write_typed(f, name, H5T_STD_U8LE, H5T_NATIVE_UINT8, data, ndim, dims);
}

int cpose_h5_attr_exists(struct cpose_h5 *f, const char *obj, const char *attr)
{
    if (strcmp(obj, "/") != 0 && !cpose_h5_exists(f, obj)) return 0;
    return H5Aexists_by_name(f->file, obj, attr, H5P_DEFAULT) > 0;
}

static hid_t vlen_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static int attr_write(struct cpose_h5 *f, const char *obj, const char *attr, hid_t filetype, hid_t memtype,
                      const void *data, size_t n, int scalar)
{
    if (cpose_h5_attr_exists(f, obj, attr)) H5Adelete_by_name(f->file, obj, attr, H5P_DEFAULT);
    hsize_t d = n;
    hid_t sp = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &d, NULL);
    hid_t a = H5Acreate_by_name(f->file, obj, attr, filetype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(sp);
    if (a < 0) return cpose_err(CPOSE_EIO, "cannot create attribute '%s' on '%s' in '%s'", attr, obj, f->path);
    herr_t st = H5Awrite(a, memtype, data);
    H5Aclose(a);
    if (st < 0) return cpose_err(CPOSE_EIO, "cannot write attribute '%s' on '%s' in '%s'", attr, obj, f->path);
    return CPOSE_OK;
}

int cpose_h5_attr_write_str(struct cpose_h5 *f, const char *obj, const char *attr, const char *value)
{
    hid_t t = vlen_str_type();
    int rc = attr_write(f, obj, attr, t, t, &value, 1, 1);
    H5Tclose(t);
    return rc;
}

int cpose_h5_attr_write_str_array(struct cpose_h5 *f, const char *obj, const char *attr, const char *const *values, size_t n)
{
    hid_t t = vlen_str_type();
    int rc = attr_write(f, obj, attr, t, t, values, n, 0);
    H5Tclose(t);
    return rc;
}

int cpose_h5_attr_write_f64(struct cpose_h5 *f, const char *obj, const char *attr, const double *v, size_t n)
{
    return attr_write(f, obj, attr, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, n, 0);
}

int cpose_h5_attr_write_i64(struct cpose_h5 *f, const char *obj, const char *attr, const int64_t *v, size_t n)
{
    return attr_write(f, obj, attr, H5T_STD_I64LE, H5T_NATIVE_INT64, v, n, 0);
}

static int attr_open(struct cpose_h5 *f, const char *obj, const char *attr, hid_t *a, size_t *n)
{
    if (!cpose_h5_attr_exists(f, obj, attr))
        return cpose_err(CPOSE_EINVAL, "'%s' has no attribute '%s' on '%s'", f->path, attr, obj);
    *a = H5Aopen_by_name(f->file, obj, attr, H5P_DEFAULT, H5P_DEFAULT);
    if (*a < 0) return cpose_err(CPOSE_EIO, "cannot open attribute '%s' on '%s' in '%s'", attr, obj, f->path);
    hid_t sp = H5Aget_space(*a);
    hssize_t cnt = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    *n = cnt < 0 ? 0 : (size_t)cnt;
    return CPOSE_OK;
}

int cpose_h5_attr_read_str_array(struct cpose_h5 *f, const char *obj, const char *attr, char ***values, size_t *n)
{
    hid_t a = -1;
    size_t cnt = 0;
    int rc = attr_open(f, obj, attr, &a, &cnt);
    if (rc) return rc;
    hid_t ft = H5Aget_type(a);
    int is_str = H5Tget_class(ft) == H5T_STRING, is_vlen = H5Tis_variable_str(ft) > 0;
    size_t fixed = H5Tget_size(ft);
    H5Tclose(ft);
    if (!is_str) {
        H5Aclose(a);
        return cpose_err(CPOSE_EINVAL, "attribute '%s' on '%s' in '%s' is not text", attr, obj, f->path);
    }
    char **out = cpose_calloc(cnt ? cnt : 1, sizeof *out);
    if (is_vlen) {
        char **raw = calloc(cnt ? cnt : 1, sizeof *raw);
        hid_t t = vlen_str_type();
        herr_t st = H5Aread(a, t, raw);
        if (st >= 0)
            for (size_t i = 0; i < cnt; i++) out[i] = cpose_strdup(raw[i] ? raw[i] : "");
        if (st >= 0) {
            hid_t sp = H5Aget_space(a);
            H5Dvlen_reclaim(t, sp, H5P_DEFAULT, raw);
            H5Sclose(sp);
        }
        H5Tclose(t);
        free(raw);
        if (st < 0) rc = cpose_err(CPOSE_EIO, "cannot read attribute '%s' in '%s'", attr, f->path);
    } else {
        char *raw = cpose_calloc(cnt ? cnt : 1, fixed + 1);
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, fixed);
        if (H5Aread(a, t, raw) < 0) rc = cpose_err(CPOSE_EIO, "cannot read attribute '%s' in '%s'", attr, f->path);
        else
            for (size_t i = 0; i < cnt; i++) out[i] = cpose_strndup(raw + i * fixed, fixed);
        H5Tclose(t);
        cpose_free(raw);
    }
    H5Aclose(a);
    if (rc) {
        cpose_h5_free_strings(out, cnt);
        return rc;
    }
    *values = out;
    *n = cnt;
    return CPOSE_OK;
}

int cpose_h5_attr_read_str(struct cpose_h5 *f, const char *obj, const char *attr, char **value)
{
    char **vals;
    size_t n;
    int rc = cpose_h5_attr_read_str_array(f, obj, attr, &vals, &n);
    if (rc) return rc;
    *value = n ? vals[0] : cpose_strdup("");
    for (size_t i = 1; i < n; i++) cpose_free(vals[i]);
    cpose_free(vals);
    return CPOSE_OK;
}

static int attr_read_num(struct cpose_h5 *f, const char *obj, const char *attr, hid_t memtype, size_t elem, void *v,
                         size_t max, size_t *n)
{
    hid_t a = -1;
    size_t cnt = 0;
    int rc = attr_open(f, obj, attr, &a, &cnt);
    if (rc) return rc;
    void *buf = cpose_malloc((cnt ? cnt : 1) * elem);
    if (H5Aread(a, memtype, buf) < 0)
        rc = cpose_err(CPOSE_EINVAL, "attribute '%s' on '%s' in '%s' is not numeric", attr, obj, f->path);
    else {
        memcpy(v, buf, (cnt < max ? cnt : max) * elem);
        if (n) *n = cnt;
    }
    cpose_free(buf);
    H5Aclose(a);
    return rc;
}

int cpose_h5_attr_read_f64(struct cpose_h5 *f, const char *obj, const char *attr, double *v, size_t max, size_t *n)
{
    return attr_read_num(f, obj, attr, H5T_NATIVE_DOUBLE, sizeof(double), v, max, n);
}

int cpose_h5_attr_read_i64(struct cpose_h5 *f, const char *obj, const char *attr, int64_t *v, size_t max, size_t *n)
{
    return attr_read_num(f, obj, attr, H5T_NATIVE_INT64, sizeof(int64_t), v, max, n);
}

struct list_ctx {
    struct cpose_vec names;
};

static herr_t list_cb(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    struct list_ctx *ctx = data;
    H5O_info_t oi;
    if (H5Oget_info_by_name2(group, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 && oi.type == H5O_TYPE_DATASET) {
        char *copy = cpose_strdup(name);
        cpose_vec_push(&ctx->names, &copy);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int cpose_h5_list(struct cpose_h5 *f, const char *group, char ***names, size_t *n)
{
    if (strcmp(group, "/") != 0 && !cpose_h5_exists(f, group))
        return cpose_err(CPOSE_EINVAL, "'%s' has no group '%s'", f->path, group);
    hid_t g = H5Gopen2(f->file, group, H5P_DEFAULT);
    if (g < 0) return cpose_err(CPOSE_EINVAL, "'%s': '%s' is not a group", f->path, group);
    struct list_ctx ctx = {CPOSE_VEC_INIT(char *)};
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, list_cb, &ctx);
    H5Gclose(g);
    if (ctx.names.len) qsort(ctx.names.data, ctx.names.len, sizeof(char *), cmp_str);
    *names = ctx.names.len ? ctx.names.data : cpose_calloc(1, sizeof(char *));
    if (!ctx.names.len) cpose_vec_free(&ctx.names);
    *n = ctx.names.len;
    return CPOSE_OK;
}

void cpose_h5_free_strings(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++) cpose_free(names[i]);
    cpose_free(names);
}
