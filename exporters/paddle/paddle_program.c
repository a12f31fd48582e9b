/* exporters/paddle/paddle_program.c — the ProgramDesc and .pdiparams encoders (contract in
 * exporters/paddle/paddle_program.h).
 *
 * framework.proto field numbers used: ProgramDesc{blocks 1, version 4 {version 1}};
 * BlockDesc{idx 1, parent_idx 2, vars 3, ops 4}; VarDesc{name 1, type 2, persistable 3,
 * need_check_feed 4}; VarType{type 1, lod_tensor 3 {tensor 1 {data_type 1, dims 2}, lod_level 2}};
 * OpDesc{inputs 1, outputs 2 (Var{parameter 1, arguments 2}), type 3, attrs 4}; Attr{name 1, type 2,
 * i 3, f 4, s 5, ints 6, floats 7, b 10}. The file is proto2 without [packed], so repeated scalars
 * (dims, ints, floats) are written one field per value, as Paddle's own serializer writes them.
 *
 * .pdiparams per tensor (Paddle's LoDTensor stream): uint32 version 0, uint64 LoD level count 0,
 * uint32 tensor version 0, int32 byte size of the TensorDesc, the TensorDesc, the raw data. */
#include "exporters/paddle/paddle_program.h"

#include <stdlib.h>
#include <string.h>

#include "exporters/common/host_buf.h"

void pd_init(struct pd_program *p, const struct cpose_host *h)
{
    memset(p, 0, sizeof *p);
    p->h = h;
    pb_init(&p->ops, h->realloc, h->free);
}

void pd_free(struct pd_program *p)
{
    for (int k = 0; k < p->n_vars; k++) p->h->free(p->vars[k].name);
    p->h->free(p->vars);
    pb_free(&p->ops);
    p->vars = NULL, p->n_vars = 0;
}

static struct pd_var *new_var(struct pd_program *p, const char *name)
{
    if (p->n_vars == p->cap_vars) {
        p->cap_vars = p->cap_vars ? 2 * p->cap_vars : 256;
        p->vars = p->h->realloc(p->vars, (size_t)p->cap_vars * sizeof *p->vars);
    }
    struct pd_var *v = &p->vars[p->n_vars++];
    memset(v, 0, sizeof *v);
    size_t n = strlen(name) + 1;
    v->name = p->h->alloc(n);
    memcpy(v->name, name, n);
    return v;
}

int pd_var(struct pd_program *p, const char *name, const int64_t *dims, int ndim, int persistable, const float *data)
{
    struct pd_var *v = new_var(p, name);
    v->type = PD_LOD_TENSOR;
    v->ndim = ndim;
    memcpy(v->dims, dims, (size_t)ndim * sizeof(int64_t));
    v->persistable = persistable;
    v->data = data;
    return p->n_vars - 1;
}

void pd_holder(struct pd_program *p, const char *name, int type)
{
    struct pd_var *v = new_var(p, name);
    v->type = type;
    v->persistable = 1;
}

void pd_op_begin(struct pd_program *p, struct pd_op *op) { pb_init(&op->b, p->h->realloc, p->h->free); }

static void slot(struct pd_op *op, uint32_t field, const char *param, const char *const *args, int n)
{
    pb_begin(&op->b, field);
    pb_string(&op->b, 1, param);
    for (int k = 0; k < n; k++) pb_string(&op->b, 2, args[k]);
    pb_end(&op->b);
}
void pd_in(struct pd_op *op, const char *param, const char *arg) { slot(op, 1, param, &arg, 1); }
void pd_ins(struct pd_op *op, const char *param, const char *const *args, int n) { slot(op, 1, param, args, n); }
void pd_out(struct pd_op *op, const char *param, const char *arg) { slot(op, 2, param, &arg, 1); }
void pd_outs(struct pd_op *op, const char *param, const char *const *args, int n) { slot(op, 2, param, args, n); }
void pd_type(struct pd_op *op, const char *type) { pb_string(&op->b, 3, type); }

static void attr_head(struct pd_op *op, const char *name, int type)
{
    pb_begin(&op->b, 4);
    pb_string(&op->b, 1, name);
    pb_varint(&op->b, 2, (uint64_t)type);
}
void pd_attr_int(struct pd_op *op, const char *name, int32_t v)
{
    attr_head(op, name, PD_ATTR_INT);
    pb_varint(&op->b, 3, (uint64_t)(int64_t)v);
    pb_end(&op->b);
}
void pd_attr_float(struct pd_op *op, const char *name, float v)
{
    attr_head(op, name, PD_ATTR_FLOAT);
    pb_float(&op->b, 4, v);
    pb_end(&op->b);
}
void pd_attr_str(struct pd_op *op, const char *name, const char *v)
{
    attr_head(op, name, PD_ATTR_STRING);
    pb_string(&op->b, 5, v);
    pb_end(&op->b);
}
void pd_attr_bool(struct pd_op *op, const char *name, int v)
{
    attr_head(op, name, PD_ATTR_BOOLEAN);
    pb_varint(&op->b, 10, v ? 1 : 0);
    pb_end(&op->b);
}
void pd_attr_ints(struct pd_op *op, const char *name, const int32_t *v, int n)
{
    attr_head(op, name, PD_ATTR_INTS);
    for (int k = 0; k < n; k++) pb_varint(&op->b, 6, (uint64_t)(int64_t)v[k]);
    pb_end(&op->b);
}
void pd_attr_floats(struct pd_op *op, const char *name, const float *v, int n)
{
    attr_head(op, name, PD_ATTR_FLOATS);
    for (int k = 0; k < n; k++) pb_float(&op->b, 7, v[k]);
    pb_end(&op->b);
}

void pd_op_end(struct pd_program *p, struct pd_op *op)
{
    size_t n = 0;
    uint8_t *bytes = pb_take(&op->b, &n);
    if (!bytes) {
        p->ops.failed = 1;
        p->ops.error = op->b.error ? op->b.error : "an op failed to encode";
    } else {
        pb_bytes(&p->ops, 4, bytes, n);
        p->h->free(bytes);
    }
    pb_free(&op->b);
    p->n_ops++;
}

/* TensorDesc{data_type FP32, dims} into b. */
static void tensor_desc(struct pb_buf *b, const struct pd_var *v)
{
    pb_varint(b, 1, PD_FP32);
    for (int k = 0; k < v->ndim; k++) pb_varint(b, 2, (uint64_t)v->dims[k]);
}

static void var_desc(struct pb_buf *b, const struct pd_var *v)
{
    pb_begin(b, 3);
    pb_string(b, 1, v->name);
    pb_begin(b, 2);
    pb_varint(b, 1, (uint64_t)v->type);
    if (v->type == PD_LOD_TENSOR) {
        pb_begin(b, 3);
        pb_begin(b, 1);
        tensor_desc(b, v);
        pb_end(b);
        pb_varint(b, 2, 0);
        pb_end(b);
    }
    pb_end(b);
    pb_varint(b, 3, v->persistable ? 1 : 0);
    if (v->need_check_feed) pb_varint(b, 4, 1);
    pb_end(b);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const struct pd_var *const *)a)->name, (*(const struct pd_var *const *)b)->name);
}

static int64_t numel(const struct pd_var *v)
{
    int64_t n = 1;
    for (int k = 0; k < v->ndim; k++) n *= v->dims[k];
    return n;
}

int pd_finish(struct pd_program *p, uint8_t **model, size_t *model_len, uint8_t **params, size_t *params_len,
              const char **what)
{
    const struct cpose_host *h = p->h;
    *model = *params = NULL;
    *what = NULL;
    /* the block: idx 0, parent -1, the vars, then the ops already encoded */
    struct pb_buf blk;
    pb_init(&blk, h->realloc, h->free);
    pb_varint(&blk, 1, 0);
    pb_varint(&blk, 2, (uint64_t)(int64_t)-1);
    for (int k = 0; k < p->n_vars; k++) var_desc(&blk, &p->vars[k]);
    size_t nb = 0, no = 0;
    uint8_t *vb = pb_take(&blk, &nb), *ob = pb_take(&p->ops, &no);
    if (!vb || !ob) {
        *what = !vb ? blk.error : p->ops.error;
        h->free(vb), h->free(ob), pb_free(&blk);
        return -1;
    }
    uint8_t *whole = h->alloc(nb + no + 1);
    memcpy(whole, vb, nb);
    memcpy(whole + nb, ob, no);
    h->free(vb), h->free(ob), pb_free(&blk);
    struct pb_buf prog;
    pb_init(&prog, h->realloc, h->free);
    pb_bytes(&prog, 1, whole, nb + no);
    h->free(whole);
    pb_begin(&prog, 4);
    pb_varint(&prog, 1, PD_PROGRAM_VERSION);
    pb_end(&prog);
    *model = pb_take(&prog, model_len);
    if (!*model) {
        *what = prog.error;
        pb_free(&prog);
        return -1;
    }
    pb_free(&prog);

    /* the parameters, sorted by name */
    const struct pd_var **pers = h->calloc((size_t)p->n_vars + 1, sizeof *pers);
    int np = 0;
    for (int k = 0; k < p->n_vars; k++)
        if (p->vars[k].persistable && p->vars[k].type == PD_LOD_TENSOR) pers[np++] = &p->vars[k];
    qsort(pers, (size_t)np, sizeof *pers, by_name);
    struct host_buf out = {h, NULL, 0, 0};
    for (int k = 0; k < np && !*what; k++) {
        const struct pd_var *v = pers[k];
        uint32_t version = 0;
        uint64_t lod_levels = 0;
        host_buf_add(&out, &version, 4);
        host_buf_add(&out, &lod_levels, 8);
        host_buf_add(&out, &version, 4);
        struct pb_buf d;
        pb_init(&d, h->realloc, h->free);
        tensor_desc(&d, v);
        size_t dn = 0;
        uint8_t *db = pb_take(&d, &dn);
        if (!db) *what = d.error;
        int32_t size = (int32_t)dn;
        host_buf_add(&out, &size, 4);
        if (db) host_buf_add(&out, db, dn);
        h->free(db), pb_free(&d);
        if (v->data) host_buf_add(&out, v->data, (size_t)numel(v) * sizeof(float));
        else *what = "a persistable variable without data";
    }
    h->free(pers);
    if (*what) {
        h->free(*model), h->free(out.p);
        *model = NULL;
        return -1;
    }
    *params = (uint8_t *)(out.p ? out.p : h->calloc(1, 1));
    *params_len = out.len;
    return 0;
}
