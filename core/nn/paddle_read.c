/* core/nn/paddle_read.c — decoding model.pdmodel and model.pdiparams (contract in
 * core/nn/paddle_read.h). */
#include "core/nn/paddle_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/status.h"
#include "core/nn/pb_read.h"

/* Decoding context: the file and the message being read, for errors. */
struct ctx {
    const char *path;
    const uint8_t *base;  /* the file's first byte (offsets in messages) */
    char where[160];      /* "block 0, op 12" */
};

static int bad(const struct ctx *c, const uint8_t *at, const char *what)
{
    return cpose_err(CPOSE_EINVAL, "%s: byte %zu (%s): %s", c->path, (size_t)(at - c->base), c->where, what);
}

static int malformed(const struct ctx *c, const struct pb_reader *r)
{
    return cpose_err(CPOSE_EINVAL, "%s: byte %zu (%s): malformed protobuf: %s", c->path,
                     (size_t)(r->start - c->base) + r->error_at, c->where, r->error);
}

static char *str_of(const struct pb_field *f) { return cpose_strndup((const char *)f->data, f->len); }

/* int64 attribute values are clamped to ±2^40 (far beyond any size), so sums of a few never overflow */
#define PDR_MAX_INT ((int64_t)1 << 40)

#define WANT(cond, f, what)                                                                                        \
    do {                                                                                                           \
        if (!(cond)) return bad(c, (f)->data ? (f)->data : r.p, what);                                              \
    } while (0)

/* TensorDesc{data_type 1 (required), dims 2}. */
static int parse_tensor_desc(struct ctx *c, const uint8_t *b, size_t n, int *dtype, int *ndim, int64_t *dims)
{
    struct pb_reader r;
    struct pb_field f;
    int rc, has_type = 0;
    size_t nd = 0;
    pb_reader_init(&r, b, n);
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            WANT(f.wire == PB_WIRE_VARINT, &f, "TensorDesc.data_type is not a varint");
            *dtype = (int)f.v, has_type = 1;
        } else if (f.num == 2) {
            int k = pb_varints_of(&f, dims, PDR_MAX_DIMS, &nd);
            WANT(k != -2, &f, "a tensor of more than 8 dims");
            WANT(k == 0, &f, "TensorDesc.dims is not a list of integers");
        }
    }
    if (rc < 0) return malformed(c, &r);
    if (!has_type) return bad(c, b, "TensorDesc without its required data_type");
    *ndim = (int)nd;
    return CPOSE_OK;
}

/* VarType{type 1 (required), lod_tensor 3 {tensor 1 (required), lod_level 2}}. */
static int parse_var_type(struct ctx *c, const uint8_t *b, size_t n, struct pdr_var *v)
{
    struct pb_reader r;
    struct pb_field f;
    int rc, has_type = 0;
    pb_reader_init(&r, b, n);
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            WANT(f.wire == PB_WIRE_VARINT, &f, "VarType.type is not a varint");
            v->type = (int)f.v, has_type = 1;
        } else if (f.num == 3) {
            WANT(f.wire == PB_WIRE_LEN, &f, "VarType.lod_tensor is not a message");
            struct pb_reader r2;
            struct pb_field g;
            int has_tensor = 0;
            pb_reader_init(&r2, f.data, f.len);
            while ((rc = pb_next(&r2, &g)) > 0)
                if (g.num == 1) {
                    if (g.wire != PB_WIRE_LEN) return bad(c, f.data, "LoDTensorDesc.tensor is not a message");
                    if ((rc = parse_tensor_desc(c, g.data, g.len, &v->dtype, &v->ndim, v->dims))) return rc;
                    has_tensor = 1;
                }
            if (rc < 0) return malformed(c, &r2);
            if (!has_tensor) return bad(c, f.data, "LoDTensorDesc without its required tensor");
            v->has_tensor = 1;
        }
    }
    if (rc < 0) return malformed(c, &r);
    if (!has_type) return bad(c, b, "VarType without its required type");
    return CPOSE_OK;
}

static int parse_var(struct ctx *c, const uint8_t *b, size_t n, struct pdr_var *v)
{
    struct pb_reader r;
    struct pb_field f;
    int rc, has_type = 0;
    pb_reader_init(&r, b, n);
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            WANT(f.wire == PB_WIRE_LEN && !v->name, &f, "VarDesc.name is not a (single) string");
            v->name = str_of(&f);
        } else if (f.num == 2) {
            WANT(f.wire == PB_WIRE_LEN, &f, "VarDesc.type is not a message");
            if ((rc = parse_var_type(c, f.data, f.len, v))) return rc;
            has_type = 1;
        } else if (f.num == 3) {
            WANT(f.wire == PB_WIRE_VARINT, &f, "VarDesc.persistable is not a varint");
            v->persistable = f.v != 0;
        }
    }
    if (rc < 0) return malformed(c, &r);
    if (!v->name || !has_type) return bad(c, b, "VarDesc without its required name or type");
    return CPOSE_OK;
}

static int parse_slot(struct ctx *c, const uint8_t *b, size_t n, struct pdr_slot *s)
{
    struct pb_reader r;
    struct pb_field f;
    int rc;
    pb_reader_init(&r, b, n);
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            WANT(f.wire == PB_WIRE_LEN && !s->param, &f, "OpDesc.Var.parameter is not a (single) string");
            s->param = str_of(&f);
        } else if (f.num == 2) {
            WANT(f.wire == PB_WIRE_LEN, &f, "OpDesc.Var.arguments is not a string");
            s->args = cpose_realloc(s->args, (size_t)(s->n_args + 1) * sizeof(char *));
            s->args[s->n_args++] = str_of(&f);
        }
    }
    if (rc < 0) return malformed(c, &r);
    if (!s->param) return bad(c, b, "an input/output slot without its required parameter name");
    return CPOSE_OK;
}

static int parse_attr(struct ctx *c, const uint8_t *b, size_t n, struct pdr_attr *a)
{
    struct pb_reader r;
    struct pb_field f;
    int rc, has_type = 0;
    int64_t tmp[256];
    float ftmp[256];
    pb_reader_init(&r, b, n);
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            WANT(f.wire == PB_WIRE_LEN && !a->name, &f, "Attr.name is not a (single) string");
            a->name = str_of(&f);
            break;
        case 2:
            WANT(f.wire == PB_WIRE_VARINT, &f, "Attr.type is not a varint");
            a->type = (int)f.v, has_type = 1;
            break;
        case 3: case 10: case 13:  /* i (int32), b, l */
            WANT(f.wire == PB_WIRE_VARINT, &f, "an integer attribute value is not a varint");
            a->i = f.num == 3 ? (int64_t)(int32_t)f.v : (int64_t)f.v;
            a->i = a->i > PDR_MAX_INT ? PDR_MAX_INT : a->i < -PDR_MAX_INT ? -PDR_MAX_INT : a->i;
            break;
        case 4:
            WANT(f.wire == PB_WIRE_I32, &f, "Attr.f is not a fixed32");
            a->f = pb_float_of(&f);
            break;
        case 5:
            WANT(f.wire == PB_WIRE_LEN && !a->s, &f, "Attr.s is not a (single) string");
            a->s = str_of(&f);
            break;
        case 6: case 15: {  /* ints (int32), longs */
            size_t k = 0;
            int e = pb_varints_of(&f, tmp, 256, &k);
            WANT(e == 0, &f, "an integer list attribute is malformed or longer than 256");
            a->ints = cpose_realloc(a->ints, (size_t)(a->n_ints + (int)k + 1) * sizeof(int64_t));
            for (size_t q = 0; q < k; q++) {
                int64_t v = f.num == 6 ? (int64_t)(int32_t)tmp[q] : tmp[q];
                a->ints[a->n_ints++] = v > PDR_MAX_INT ? PDR_MAX_INT : v < -PDR_MAX_INT ? -PDR_MAX_INT : v;
            }
            break;
        }
        case 7: {
            size_t k = 0;
            int e = pb_floats_of(&f, ftmp, 256, &k);
            WANT(e == 0, &f, "Attr.floats is malformed or longer than 256");
            a->floats = cpose_realloc(a->floats, (size_t)(a->n_floats + (int)k + 1) * sizeof(float));
            memcpy(a->floats + a->n_floats, ftmp, k * sizeof(float));
            a->n_floats += (int)k;
            break;
        }
        default:
            break;
        }
    }
    if (rc < 0) return malformed(c, &r);
    if (!a->name || !has_type) return bad(c, b, "Attr without its required name or type");
    return CPOSE_OK;
}

static int parse_op(struct ctx *c, const uint8_t *b, size_t n, struct pdr_op *op)
{
    struct pb_reader r;
    struct pb_field f;
    int rc;
    pb_reader_init(&r, b, n);
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1 || f.num == 2) {
            WANT(f.wire == PB_WIRE_LEN, &f, "OpDesc.inputs/outputs is not a message");
            struct pdr_slot **list = f.num == 1 ? &op->in : &op->out;
            int *cnt = f.num == 1 ? &op->n_in : &op->n_out;
            *list = cpose_realloc(*list, (size_t)(*cnt + 1) * sizeof **list);
            memset(&(*list)[*cnt], 0, sizeof **list);
            (*cnt)++;
            if ((rc = parse_slot(c, f.data, f.len, &(*list)[*cnt - 1]))) return rc;
        } else if (f.num == 3) {
            WANT(f.wire == PB_WIRE_LEN && !op->type, &f, "OpDesc.type is not a (single) string");
            op->type = str_of(&f);
        } else if (f.num == 4) {
            WANT(f.wire == PB_WIRE_LEN, &f, "OpDesc.attrs is not a message");
            op->attrs = cpose_realloc(op->attrs, (size_t)(op->n_attrs + 1) * sizeof *op->attrs);
            memset(&op->attrs[op->n_attrs], 0, sizeof *op->attrs);
            op->n_attrs++;
            if ((rc = parse_attr(c, f.data, f.len, &op->attrs[op->n_attrs - 1]))) return rc;
        }
    }
    if (rc < 0) return malformed(c, &r);
    if (!op->type) return bad(c, b, "OpDesc without its required type");
    return CPOSE_OK;
}

static int parse_block(struct ctx *c, const uint8_t *b, size_t n, struct pdr_program *p)
{
    struct pb_reader r;
    struct pb_field f;
    int rc, has_idx = 0, has_parent = 0;
    int64_t idx = -2, parent = -2;
    pb_reader_init(&r, b, n);
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1 || f.num == 2) {
            WANT(f.wire == PB_WIRE_VARINT, &f, "BlockDesc.idx/parent_idx is not a varint");
            if (f.num == 1) idx = (int32_t)f.v, has_idx = 1;
            else parent = (int32_t)f.v, has_parent = 1;
        } else if (f.num == 3) {
            WANT(f.wire == PB_WIRE_LEN, &f, "BlockDesc.vars is not a message");
            p->vars = cpose_realloc(p->vars, (size_t)(p->n_vars + 1) * sizeof *p->vars);
            memset(&p->vars[p->n_vars], 0, sizeof *p->vars);
            p->n_vars++;
            snprintf(c->where, sizeof c->where, "block 0, var %d", p->n_vars - 1);
            if ((rc = parse_var(c, f.data, f.len, &p->vars[p->n_vars - 1]))) return rc;
        } else if (f.num == 4) {
            WANT(f.wire == PB_WIRE_LEN, &f, "BlockDesc.ops is not a message");
            p->ops = cpose_realloc(p->ops, (size_t)(p->n_ops + 1) * sizeof *p->ops);
            memset(&p->ops[p->n_ops], 0, sizeof *p->ops);
            p->n_ops++;
            snprintf(c->where, sizeof c->where, "block 0, op %d", p->n_ops - 1);
            if ((rc = parse_op(c, f.data, f.len, &p->ops[p->n_ops - 1]))) return rc;
        }
    }
    snprintf(c->where, sizeof c->where, "block 0");
    if (rc < 0) return malformed(c, &r);
    if (!has_idx || !has_parent) return bad(c, b, "BlockDesc without its required idx or parent_idx");
    if (idx != 0 || parent != -1)
        return cpose_err(CPOSE_EINVAL, "%s: the first block has idx %lld and parent_idx %lld; the root block is idx 0, "
                         "parent -1", c->path, (long long)idx, (long long)parent);
    return CPOSE_OK;
}

int pdr_parse_program(const char *path, const uint8_t *b, size_t n, struct pdr_program *out)
{
    memset(out, 0, sizeof *out);
    struct ctx cx = {path, b, "ProgramDesc"}, *c = &cx;
    struct pb_reader r;
    struct pb_field f;
    int rc;
    pb_reader_init(&r, b, n);
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            WANT(f.wire == PB_WIRE_LEN, &f, "ProgramDesc.blocks is not a message");
            if (out->n_blocks++ == 0 && (rc = parse_block(c, f.data, f.len, out))) return rc;
            snprintf(cx.where, sizeof cx.where, "ProgramDesc");
        } else if (f.num == 4) {
            WANT(f.wire == PB_WIRE_LEN, &f, "ProgramDesc.version is not a message");
            struct pb_reader r2;
            struct pb_field g;
            pb_reader_init(&r2, f.data, f.len);
            out->has_version = 1;
            while ((rc = pb_next(&r2, &g)) > 0)
                if (g.num == 1) {
                    if (g.wire != PB_WIRE_VARINT) return bad(c, f.data, "Version.version is not a varint");
                    out->version = (int64_t)g.v;
                }
            if (rc < 0) return malformed(c, &r2);
        }
    }
    if (rc < 0) return malformed(c, &r);
    if (out->n_blocks == 0) return cpose_err(CPOSE_EINVAL, "%s: a ProgramDesc without blocks (not a Paddle program?)", path);
    return CPOSE_OK;
}

/* ---- .pdiparams ------------------------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp((*(struct pdr_var *const *)a)->name, (*(struct pdr_var *const *)b)->name);
}

static void dims_str(char *out, size_t cap, const int64_t *d, int nd)
{
    size_t k = (size_t)snprintf(out, cap, "[");
    for (int q = 0; q < nd && k < cap; q++) k += (size_t)snprintf(out + k, cap - k, "%s%lld", q ? ", " : "", (long long)d[q]);
    if (k < cap) snprintf(out + k, cap - k, "]");
}

int pdr_load_params(const char *path, const uint8_t *b, size_t n, struct pdr_program *p)
{
    struct pdr_var **pers = cpose_calloc((size_t)p->n_vars + 1, sizeof *pers);
    int np = 0, rc = CPOSE_OK;
    for (int k = 0; k < p->n_vars; k++)
        if (p->vars[k].persistable && p->vars[k].type == PDR_LOD_TENSOR) pers[np++] = &p->vars[k];
    qsort(pers, (size_t)np, sizeof *pers, by_name);
    size_t off = 0;
    struct ctx cx = {path, b, ""}, *c = &cx;
#define NEED(bytes, what)                                                                                          \
    if (n - off < (size_t)(bytes)) {                                                                               \
        rc = cpose_err(CPOSE_EINVAL, "%s: the file ends at byte %zu inside persistable var '%s' (%d of %d, sorted by " \
                       "name) while reading its %s: the program declares more parameters than the file holds",        \
                       path, n, v->name, k + 1, np, what);                                                           \
        break;                                                                                                     \
    }
    for (int k = 0; k < np; k++) {
        struct pdr_var *v = pers[k];
        uint32_t ver;
        uint64_t levels;
        int32_t dsize;
        NEED(4, "LoDTensor version");
        memcpy(&ver, b + off, 4), off += 4;
        if (ver != 0) {
            rc = cpose_err(CPOSE_EINVAL, "%s: byte %zu, var '%s': LoDTensor version %u; only version 0 exists", path, off - 4,
                           v->name, ver);
            break;
        }
        NEED(8, "LoD level count");
        memcpy(&levels, b + off, 8), off += 8;
        if (levels > 64) {
            rc = cpose_err(CPOSE_EINVAL, "%s: byte %zu, var '%s': %llu LoD levels", path, off - 8, v->name,
                           (unsigned long long)levels);
            break;
        }
        for (uint64_t l = 0; l < levels && !rc; l++) {
            uint64_t sz;
            NEED(8, "LoD level size");
            memcpy(&sz, b + off, 8), off += 8;
            NEED(sz, "LoD level data");
            off += sz;
        }
        if (rc) break;
        NEED(4, "tensor version");
        memcpy(&ver, b + off, 4), off += 4;
        if (ver != 0) {
            rc = cpose_err(CPOSE_EINVAL, "%s: byte %zu, var '%s': tensor version %u; Paddle reads only version 0", path,
                           off - 4, v->name, ver);
            break;
        }
        NEED(4, "TensorDesc size");
        memcpy(&dsize, b + off, 4), off += 4;
        if (dsize < 0) {
            rc = cpose_err(CPOSE_EINVAL, "%s: byte %zu, var '%s': negative TensorDesc size %d", path, off - 4, v->name, dsize);
            break;
        }
        NEED(dsize, "TensorDesc");
        int dtype = -1, nd = 0;
        int64_t d[PDR_MAX_DIMS];
        snprintf(cx.where, sizeof cx.where, "TensorDesc of var '%s'", v->name);
        if ((rc = parse_tensor_desc(c, b + off, (size_t)dsize, &dtype, &nd, d))) break;
        off += (size_t)dsize;
        int same = nd == v->ndim;
        for (int q = 0; q < nd && same; q++) same = d[q] == v->dims[q];
        if (!same) {
            char got[160], want[160];
            dims_str(got, sizeof got, d, nd), dims_str(want, sizeof want, v->dims, v->ndim);
            rc = cpose_err(CPOSE_ESHAPE, "%s: var '%s' (%d of %d, sorted by name) has dims %s in the file, the program "
                           "declares %s", path, v->name, k + 1, np, got, want);
            break;
        }
        if (dtype != PDR_FP32 || v->dtype != PDR_FP32) {
            rc = cpose_err(CPOSE_ENOTSUP, "%s: var '%s': data type %d (file) / %d (program); cpose reads FP32 (5) "
                           "parameters", path, v->name, dtype, v->dtype);
            break;
        }
        int64_t cnt = 1;
        for (int q = 0; q < nd; q++) cnt = d[q] < 0 || (cnt && d[q] > INT64_MAX / 4 / cnt) ? -1 : cnt * d[q];
        if (cnt < 0) {
            rc = cpose_err(CPOSE_EINVAL, "%s: var '%s': dims out of range", path, v->name);
            break;
        }
        NEED((uint64_t)cnt * 4, "data");
        v->data = cpose_malloc((size_t)(cnt ? cnt : 1) * sizeof(float));
        memcpy(v->data, b + off, (size_t)cnt * 4);
        off += (size_t)cnt * 4;
    }
#undef NEED
    cpose_free(pers);
    if (!rc && off != n)
        rc = cpose_err(CPOSE_EINVAL, "%s: %zu bytes are left after the %d persistable vars the program declares (Paddle's "
                       "load_combine refuses partial loads)", path, n - off, np);
    return rc;
}

/* ---- lookups and cleanup ------------------------------------------------------------------------ */

const struct pdr_attr *pdr_attr(const struct pdr_op *op, const char *name)
{
    for (int k = 0; k < op->n_attrs; k++)
        if (!strcmp(op->attrs[k].name, name)) return &op->attrs[k];
    return NULL;
}

static const struct pdr_slot *find_slot(const struct pdr_slot *s, int n, const char *param)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(s[k].param, param)) return &s[k];
    return NULL;
}
const struct pdr_slot *pdr_in(const struct pdr_op *op, const char *param) { return find_slot(op->in, op->n_in, param); }
const struct pdr_slot *pdr_out(const struct pdr_op *op, const char *param) { return find_slot(op->out, op->n_out, param); }

int pdr_find_var(const struct pdr_program *p, const char *name)
{
    for (int k = 0; k < p->n_vars; k++)
        if (!strcmp(p->vars[k].name, name)) return k;
    return -1;
}

static void free_slots(struct pdr_slot *s, int n)
{
    for (int k = 0; k < n; k++) {
        for (int a = 0; a < s[k].n_args; a++) cpose_free(s[k].args[a]);
        cpose_free(s[k].args), cpose_free(s[k].param);
    }
    cpose_free(s);
}

void pdr_free(struct pdr_program *p)
{
    for (int k = 0; k < p->n_vars; k++) cpose_free(p->vars[k].name), cpose_free(p->vars[k].data);
    for (int k = 0; k < p->n_ops; k++) {
        struct pdr_op *op = &p->ops[k];
        free_slots(op->in, op->n_in), free_slots(op->out, op->n_out);
        for (int a = 0; a < op->n_attrs; a++)
            cpose_free(op->attrs[a].name), cpose_free(op->attrs[a].s), cpose_free(op->attrs[a].ints),
                cpose_free(op->attrs[a].floats);
        cpose_free(op->attrs), cpose_free(op->type);
    }
    cpose_free(p->vars), cpose_free(p->ops);
    memset(p, 0, sizeof *p);
}
