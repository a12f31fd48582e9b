/* core/nn/coreml_read.h — the CoreML reader's shared state, internal to core/nn: the program's values
 * (type, and data for consts), an operation's bound parameters, the reader (file names, the blob
 * file, the description), error helpers (protobuf through core/nn/pb_read.h), and the four parts of the reader:
 * core/nn/coreml_values.c (types, immediate and blob values, const parameters), core/nn/coreml_shapes.c
 * (declared output shapes), core/nn/coreml_restate.c (checked ops as ONNX nodes) and
 * core/nn/coreml_import.c (operations, Model, package). */
#ifndef CPOSE_COREML_READ_H
#define CPOSE_COREML_READ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/pb_read.h"
#include "core/nn/export_meta.h"
#include "core/nn/onnx_restate.h"

#define CM_MAX_DIMS 8
#define CM_MAX_PARAMS 12
#define CM_MAX_ARGS 8

/* MIL DataType values */
enum { CML_DT_BOOL = 1, CML_DT_STRING = 2, CML_DT_FP16 = 10, CML_DT_FP32 = 11, CML_DT_FP64 = 12, CML_DT_INT8 = 21, CML_DT_INT16 = 22,
       CML_DT_INT32 = 23, CML_DT_INT64 = 24, CML_DT_UINT8 = 31 };

/* A value of the program: its type, and its data when a const produced it. */
struct cml_value {
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

struct cml_arg {
    char name[40];
    int n;
    int arg[CM_MAX_ARGS];  /* value indices */
};

struct cml_reader {
    const char *model_path;   /* .../Data/com.apple.CoreML/model.mlmodel */
    char *model_dir;          /* its folder: @model_path */
    struct cml_value *v;
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

/* The message inside a length-delimited field, and a whole buffer, as readers. */
static inline struct pb_reader cml_sub(const struct pb_field *f)
{
    struct pb_reader m;
    pb_reader_init(&m, f->data, f->len);
    return m;
}
static inline struct pb_reader cml_of(const void *data, size_t n)
{
    struct pb_reader m;
    pb_reader_init(&m, data, n);
    return m;
}
/* A length-delimited field's bytes as a NUL-terminated copy (cpose_malloc'ed). */
char *cml_field_strdup(const struct pb_field *f);
/* Does the length-delimited field hold exactly the string s? */
int cml_field_is(const struct pb_field *f, const char *s);

/* Records "<model>: operation <k> '<type>' (output '<name>'): <take>" (or "<model>: <take>" outside
 * the block), frees take, returns rc. */
int cml_rerr(const struct cml_reader *r, int rc, char *take);
#define RERR(rc, ...) return cml_rerr(r, (rc), cpose_asprintf(__VA_ARGS__))
/* A malformed-protobuf error naming what was being read and the decoder's reason. */
int cml_malformed(const struct cml_reader *r, const struct pb_reader *m, const char *what);
/* The newest value named name, or -1. */
int cml_find_value(const struct cml_reader *r, const char *name);
/* A new zeroed value at the end of r->v (pointers into r->v are invalidated). */
struct cml_value *cml_new_value(struct cml_reader *r);

/* ValueType (a LEN field) into out's dtype/ndim/dims; only tensors of constant dims are read. */
int cml_read_value_type(struct cml_reader *r, const struct pb_field *vt, struct cml_value *out);
/* NamedValueType into a new value (*index); fails on a name defined before or not an identifier. */
int cml_read_named_type(struct cml_reader *r, const struct pb_field *nf, int *index);
/* Value{type, immediateValue | blobFileValue} into v (type and data); blob rules checked. */
int cml_read_value(struct cml_reader *r, const struct pb_field *vf, struct cml_value *v);

static inline const struct cml_arg *cml_param(const struct cml_arg *ps, int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(ps[k].name, name)) return &ps[k];
    return NULL;
}

/* The const bound to parameter name (*out NULL when the parameter is absent); an error when it is
 * bound to a computed value. */
int cml_const_param(struct cml_reader *r, const struct cml_arg *ps, int n, const char *name, struct cml_value **out);
/* count integers (int32/int64/bool const) of parameter name into out; def (count values) when
 * absent, an error when absent and def is NULL or when the count differs. */
int cml_int_param(struct cml_reader *r, const struct cml_arg *ps, int n, const char *name, int64_t *out, int count,
                  const int64_t *def);
/* The string const of parameter name (def when absent). */
int cml_str_param(struct cml_reader *r, const struct cml_arg *ps, int n, const char *name, const char **out,
                  const char *def);

/* Checks out's declared dims against the dims the operation computes from its operands and
 * parameters (numpy broadcasting, conv/pool arithmetic, concat, upsample, reshape, transpose), as
 * Core ML's type inference would; an error names both shapes. */
int cml_check_shape(struct cml_reader *r, const char *type, const struct cml_arg *ps, int np, const struct cml_value *out);

/* Restates the checked operation `type` with parameters ps (np of them) as ONNX nodes into o; out
 * is its output value; image_input the function input's value index (its first use must be the
 * 1/255 mul). */
int cml_restate(struct cml_reader *r, struct cpose_onnx_restate *o, const char *type, const struct cml_arg *ps, int np,
                struct cml_value *out, int image_input);

#endif
