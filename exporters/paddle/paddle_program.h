/* exporters/paddle/paddle_program.h — building PaddlePaddle's inference files (FORMATS.md §12):
 * the ProgramDesc protobuf of model.pdmodel (one block: VarDescs, then OpDescs with their inputs,
 * outputs and typed attributes) and the combined parameter file model.pdiparams (the persistable
 * tensors in sorted-name order, each as save_combine writes a LoDTensor). Field numbers are those of
 * paddle.framework.proto (framework.proto); everything is encoded with exporters/common/pb_write.
 *
 *     struct pd_program p;
 *     pd_init(&p, host);
 *     pd_var(&p, "x0", dims, 4, 0, NULL);                 // a LoD tensor, FP32
 *     struct pd_op op;
 *     pd_op_begin(&p, &op);
 *     pd_in(&op, "X", "x0"); pd_out(&op, "Out", "y");     // inputs, outputs, then the type, then attrs
 *     pd_type(&op, "sigmoid");
 *     pd_op_end(&p, &op);
 *     pd_finish(&p, &model, &model_len, &params, &params_len);
 *
 * Errors (out of memory inside pb_write) surface as pd_finish returning nonzero. */
#ifndef CPOSE_EXPORTERS_PADDLE_PROGRAM_H
#define CPOSE_EXPORTERS_PADDLE_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "exporters/common/pb_write.h"
#include "plugins/cpose_plugin.h"

/* VarType.Type values (framework.proto). */
enum {
    PD_FP32 = 5,
    PD_LOD_TENSOR = 7,
    PD_FEED_MINIBATCH = 9,
    PD_FETCH_LIST = 10,
};
/* AttrType values (framework.proto). */
enum { PD_ATTR_INT = 0, PD_ATTR_FLOAT = 1, PD_ATTR_STRING = 2, PD_ATTR_INTS = 3, PD_ATTR_FLOATS = 4, PD_ATTR_BOOLEAN = 6 };

/* ProgramDesc.version: 2.4.2 as Paddle encodes versions (major·10^6 + minor·10^3 + patch) — the last
 * program version without Scalar attributes, the layout of the v8-era exports. */
#define PD_PROGRAM_VERSION 2004002

struct pd_var {
    char *name;             /* host-allocated */
    int type;               /* PD_LOD_TENSOR, PD_FEED_MINIBATCH, PD_FETCH_LIST */
    int ndim;
    int64_t dims[CPOSE_VIEW_MAX_DIMS];
    int persistable, need_check_feed;
    const float *data;      /* persistable LoD tensors: numel(dims) floats (borrowed) */
};

struct pd_program {
    const struct cpose_host *h;
    struct pd_var *vars;
    int n_vars, cap_vars;
    struct pb_buf ops;      /* BlockDesc.ops fields (4), in order */
    int n_ops;
};

struct pd_op {
    struct pb_buf b;
};

void pd_init(struct pd_program *p, const struct cpose_host *h);
void pd_free(struct pd_program *p);

/* Declares a variable (name copied). A persistable LoD tensor carries its data, written to
 * .pdiparams. Returns its index. */
int pd_var(struct pd_program *p, const char *name, const int64_t *dims, int ndim, int persistable, const float *data);
/* Declares the feed (FEED_MINIBATCH) or fetch (FETCH_LIST) holder variable, persistable as Paddle
 * declares them. */
void pd_holder(struct pd_program *p, const char *name, int type);

void pd_op_begin(struct pd_program *p, struct pd_op *op);
/* One input/output slot (OpDesc.Var: parameter, arguments). */
void pd_in(struct pd_op *op, const char *param, const char *arg);
void pd_ins(struct pd_op *op, const char *param, const char *const *args, int n);
void pd_out(struct pd_op *op, const char *param, const char *arg);
void pd_outs(struct pd_op *op, const char *param, const char *const *args, int n);
void pd_type(struct pd_op *op, const char *type);
void pd_attr_int(struct pd_op *op, const char *name, int32_t v);
void pd_attr_float(struct pd_op *op, const char *name, float v);
void pd_attr_str(struct pd_op *op, const char *name, const char *v);
void pd_attr_bool(struct pd_op *op, const char *name, int v);
void pd_attr_ints(struct pd_op *op, const char *name, const int32_t *v, int n);
void pd_attr_floats(struct pd_op *op, const char *name, const float *v, int n);
void pd_op_end(struct pd_program *p, struct pd_op *op);

/* Encodes the ProgramDesc and the .pdiparams bytes (host-allocated, caller frees). Returns 0, or
 * -1 with *what set when encoding failed. */
int pd_finish(struct pd_program *p, uint8_t **model, size_t *model_len, uint8_t **params, size_t *params_len,
              const char **what);

#endif
