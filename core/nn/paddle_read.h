/* core/nn/paddle_read.h — PaddlePaddle's inference files decoded into plain structs, for
 * core/nn/paddle_import.c (internal to core/nn). Written from framework.proto's public field list
 * (FORMATS.md §12) and Paddle's documented LoDTensor stream, with core/nn/pb_read.h:
 *
 * model.pdmodel, a proto2 ProgramDesc: blocks = 1 (BlockDesc{idx 1, parent_idx 2, vars 3, ops 4}),
 * version = 4 (Version{version 1}); VarDesc{name 1, type 2 (VarType{type 1, lod_tensor 3
 * (LoDTensorDesc{tensor 1 (TensorDesc{data_type 1, dims 2}), lod_level 2})}), persistable 3};
 * OpDesc{inputs 1, outputs 2 (Var{parameter 1, arguments 2}), type 3, attrs 4 (Attr{name 1, type 2,
 * i 3, f 4, s 5, ints 6, floats 7, b 10, l 13, longs 15})}. Proto2's required fields (a block's idx
 * and parent_idx, a var's name and type, VarType.type, TensorDesc.data_type, LoDTensorDesc.tensor,
 * an op's type, a slot's parameter, an attribute's name and type) must be present, as Paddle's
 * parser demands; unknown fields are skipped, as protobuf does.
 *
 * model.pdiparams (save_combine): for each persistable LoD tensor of the program in sorted-name
 * order: uint32 version (must be 0), uint64 LoD level count and each level's uint64 byte size and
 * data, uint32 tensor version (must be 0), int32 TensorDesc byte size, the TensorDesc, the raw data.
 * The file must end exactly after the last tensor (load_combine refuses leftovers). */
#ifndef CPOSE_PADDLE_READ_H
#define CPOSE_PADDLE_READ_H

#include <stddef.h>
#include <stdint.h>

#define PDR_MAX_DIMS 8

/* VarType.Type values. */
enum { PDR_FP32 = 5, PDR_LOD_TENSOR = 7, PDR_FEED_MINIBATCH = 9, PDR_FETCH_LIST = 10 };
/* AttrType values. */
enum {
    PDR_ATTR_INT = 0, PDR_ATTR_FLOAT = 1, PDR_ATTR_STRING = 2, PDR_ATTR_INTS = 3, PDR_ATTR_FLOATS = 4,
    PDR_ATTR_STRINGS = 5, PDR_ATTR_BOOLEAN = 6, PDR_ATTR_BOOLEANS = 7, PDR_ATTR_BLOCK = 8, PDR_ATTR_LONG = 9,
    PDR_ATTR_BLOCKS = 10, PDR_ATTR_LONGS = 11
};

struct pdr_attr {
    char *name;
    int type;
    int64_t i;          /* INT (i), LONG (l), BOOLEAN (b) */
    float f;
    char *s;            /* STRING */
    int64_t *ints;      /* INTS (ints), LONGS (longs) */
    int n_ints;
    float *floats;
    int n_floats;
};

struct pdr_slot {
    char *param;
    char **args;
    int n_args;
};

struct pdr_op {
    char *type;
    struct pdr_slot *in, *out;
    int n_in, n_out;
    struct pdr_attr *attrs;
    int n_attrs;
};

struct pdr_var {
    char *name;
    int type;             /* VarType.Type */
    int has_tensor;       /* lod_tensor present */
    int dtype;            /* its TensorDesc.data_type */
    int ndim;
    int64_t dims[PDR_MAX_DIMS];
    int persistable;
    float *data;          /* persistable LoD tensors after pdr_load_params */
};

struct pdr_program {
    int64_t version;
    int has_version;
    int n_blocks;
    struct pdr_var *vars;
    int n_vars;
    struct pdr_op *ops;
    int n_ops;
};

/* Decodes a ProgramDesc (path names the file in messages). Only block 0 is kept; n_blocks says how
 * many there were. Returns 0 or a status with the error recorded. */
int pdr_parse_program(const char *path, const uint8_t *b, size_t n, struct pdr_program *out);
/* Reads the .pdiparams bytes into the program's persistable LoD tensors (sorted by name; the
 * feed/fetch holders are not tensors). Each tensor's dims must equal its VarDesc's and its type
 * must be FP32. */
int pdr_load_params(const char *path, const uint8_t *b, size_t n, struct pdr_program *p);
void pdr_free(struct pdr_program *p);

/* Lookups: NULL / -1 when absent. */
const struct pdr_attr *pdr_attr(const struct pdr_op *op, const char *name);
const struct pdr_slot *pdr_in(const struct pdr_op *op, const char *param);
const struct pdr_slot *pdr_out(const struct pdr_op *op, const char *param);
int pdr_find_var(const struct pdr_program *p, const char *name);

#endif
