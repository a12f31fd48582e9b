/* core/nn/h5io.h — thin helpers over the HDF5 C library for what cpose stores: float32/float64/int64
 * datasets addressed by path ("/model/model.0.conv.weight" or "pred"), string and numeric
 * attributes, and listing. Files are written to a temporary name and renamed on close. */
#ifndef CPOSE_H5IO_H
#define CPOSE_H5IO_H

#include <stddef.h>
#include <stdint.h>
#include "core/base/status.h"

#define CPOSE_H5_MAX_DIMS 8

struct cpose_h5;  /* an open file */

/* Opens an existing file read-only. Errors name the file. */
CPOSE_API int cpose_h5_open(const char *path, struct cpose_h5 **out);
/* Creates a file for writing at "<path>.tmp.<pid>"; cpose_h5_commit renames it to path. */
CPOSE_API int cpose_h5_create(const char *path, struct cpose_h5 **out);
/* Flushes, closes and renames a file from cpose_h5_create (or just closes one from open). */
CPOSE_API int cpose_h5_commit(struct cpose_h5 *f);
/* Closes without keeping anything written (the temporary file is removed). NULL-safe. */
CPOSE_API void cpose_h5_close(struct cpose_h5 *f);
CPOSE_API const char *cpose_h5_path(const struct cpose_h5 *f);

CPOSE_API int cpose_h5_exists(struct cpose_h5 *f, const char *name);
/* Shape of a dataset: ndim and dims (up to CPOSE_H5_MAX_DIMS). */
CPOSE_API int cpose_h5_shape(struct cpose_h5 *f, const char *name, int *ndim, int64_t dims[CPOSE_H5_MAX_DIMS]);
/* Reads a dataset converted to float32 / float64 / int64 into a cpose_malloc'ed buffer (caller
 * frees); shape optional. A missing dataset is CPOSE_EINVAL naming it and the file. */
CPOSE_API int cpose_h5_read_f32(struct cpose_h5 *f, const char *name, float **data, int *ndim, int64_t dims[CPOSE_H5_MAX_DIMS]);
CPOSE_API int cpose_h5_read_f64(struct cpose_h5 *f, const char *name, double **data, int *ndim, int64_t dims[CPOSE_H5_MAX_DIMS]);
CPOSE_API int cpose_h5_read_i64(struct cpose_h5 *f, const char *name, int64_t **data, int *ndim, int64_t dims[CPOSE_H5_MAX_DIMS]);
/* Reads into a caller buffer of exactly `count` float32 values (shape must hold count elements). */
CPOSE_API int cpose_h5_read_f32_into(struct cpose_h5 *f, const char *name, float *data, size_t count);

/* Writes a dataset (intermediate groups created: "/model/x.weight" makes group "/model"). */
CPOSE_API int cpose_h5_write_f32(struct cpose_h5 *f, const char *name, const float *data, int ndim, const int64_t *dims);
CPOSE_API int cpose_h5_write_f64(struct cpose_h5 *f, const char *name, const double *data, int ndim, const int64_t *dims);
CPOSE_API int cpose_h5_write_i64(struct cpose_h5 *f, const char *name, const int64_t *data, int ndim, const int64_t *dims);
CPOSE_API int cpose_h5_write_u8(struct cpose_h5 *f, const char *name, const uint8_t *data, int ndim, const int64_t *dims);

/* Attributes on an object ("/" for the file, or a group/dataset path). Strings are variable-length
 * UTF-8; a string array attribute (e.g. keys_in_order) is read as a vector of strings. */
CPOSE_API int cpose_h5_attr_exists(struct cpose_h5 *f, const char *obj, const char *attr);
CPOSE_API int cpose_h5_attr_write_str(struct cpose_h5 *f, const char *obj, const char *attr, const char *value);
CPOSE_API int cpose_h5_attr_read_str(struct cpose_h5 *f, const char *obj, const char *attr, char **value);
CPOSE_API int cpose_h5_attr_write_f64(struct cpose_h5 *f, const char *obj, const char *attr, const double *v, size_t n);
CPOSE_API int cpose_h5_attr_read_f64(struct cpose_h5 *f, const char *obj, const char *attr, double *v, size_t max, size_t *n);
CPOSE_API int cpose_h5_attr_write_i64(struct cpose_h5 *f, const char *obj, const char *attr, const int64_t *v, size_t n);
CPOSE_API int cpose_h5_attr_read_i64(struct cpose_h5 *f, const char *obj, const char *attr, int64_t *v, size_t max, size_t *n);
/* Reads a string-array attribute; *values is a cpose_malloc'ed array of n cpose_malloc'ed strings. */
CPOSE_API int cpose_h5_attr_read_str_array(struct cpose_h5 *f, const char *obj, const char *attr, char ***values, size_t *n);
CPOSE_API int cpose_h5_attr_write_str_array(struct cpose_h5 *f, const char *obj, const char *attr, const char *const *values, size_t n);

/* Lists the datasets directly inside a group ("/" or "/model"), sorted by name; names are
 * relative to the group. *names is a cpose_malloc'ed array of cpose_malloc'ed strings. */
CPOSE_API int cpose_h5_list(struct cpose_h5 *f, const char *group, char ***names, size_t *n);
/* Frees an array of strings from the functions above. */
CPOSE_API void cpose_h5_free_strings(char **names, size_t n);

#endif
