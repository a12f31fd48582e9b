/* exporters/coreml/coreml_export.c — the CoreML exporter plugin (cpose-export-coreml.so): the graph
 * view as an ML Program in `<stem>.mlpackage/` (FORMATS.md §6):
 *
 *     <stem>.mlpackage/Manifest.json                               (the package's item index)
 *     <stem>.mlpackage/Data/com.apple.CoreML/model.mlmodel         (a Model protobuf, spec version 6)
 *     <stem>.mlpackage/Data/com.apple.CoreML/weights/weight.bin    (MIL blob storage v2)
 *
 * The Model holds description (input `image`: an RGB ImageType of imgsz; output: a FLOAT32
 * multiArray [1, 56, A]; metadata: shortDescription, versionString, author, license, and the other
 * Ultralytics keys as str(v) in userDefined) and mlProgram: one function `main` in opset CoreML5
 * (iOS15) whose block starts with mul(image, 1/255) — the ImageType's scale, as coremltools puts it
 * into the program — and continues with one MIL op per view node: conv (pad_type custom), silu,
 * sigmoid, add/sub/mul/real_div, concat, slice_by_index, max_pool, upsample_nearest_neighbor,
 * reshape (static target), transpose and softmax. Every parameter is a `const` op: int32/bool/string
 * and fp32 scalars inline, every float tensor (weights, biases, view constants, anchors) a
 * BlobFileValue into weight.bin (offset = the blob's 64-byte metadata record).
 *
 * half=True writes the float tensors as fp16 blobs and computes in fp16, as coremltools' default
 * FLOAT16 compute precision does: the scaled image is cast to fp16 and the output cast back to fp32.
 * nms=True (the NMS pipeline) and int8=True (palettisation) are refused; batch must be 1 (the image
 * input holds one image). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exporters/common/fp16.h"
#include "exporters/common/host_buf.h"
#include "exporters/common/pb_write.h"
#include "plugins/cpose_plugin.h"

/* MIL DataType values (MIL.proto) and blob storage dtypes (FORMATS.md §6) */
enum { MIL_BOOL = 1, MIL_STRING = 2, MIL_FP16 = 10, MIL_FP32 = 11, MIL_INT32 = 23 };
enum { BLOB_FP16 = 1, BLOB_FP32 = 2 };
#define SPEC_VERSION 6  /* iOS15: the first with ML Programs */
#define OPSET "CoreML5"
#define WEIGHT_FILE "@model_path/weights/weight.bin"

static const struct cpose_plugin_arg coreml_args[] = {
    {"imgsz", CPOSE_PLUGIN_ARG_LIST, "640", "input size: 640 or h,w"},
    {"batch", CPOSE_PLUGIN_ARG_INT, "1", "batch size (CoreML's image input takes 1)"},
    {"half", CPOSE_PLUGIN_ARG_BOOL, "False", "fp16 weights and fp16 compute"},
    {"int8", CPOSE_PLUGIN_ARG_BOOL, "False", "k-means palettisation (refused: not written by cpose)"},
    {"nms", CPOSE_PLUGIN_ARG_BOOL, "False", "NMS pipeline (refused: a later issue)"},
    {NULL, 0, NULL, NULL},
};

struct ml {
    const struct cpose_host *h;
    struct cpose_export *x;
    int half, act;              /* act: the MIL dtype activations are computed in */
    struct pb_buf pb;           /* model.mlmodel, operations written in place */
    struct host_buf blob;       /* weight.bin */
    uint32_t n_blobs;
    int n_ops;
    char **shared;              /* names of the weight consts written (a weight shared by several convs,
                                 * such as the DFL's, is written once) */
    int n_shared;
};

/* ---- protobuf pieces (field numbers: MIL.proto, Model.proto, FeatureTypes.proto) ---- */

/* ValueType{tensorType=1 TensorType{dataType=1, rank=2, dimensions=3 {constant=1 {size=1}}}} as field. */
static void value_type(struct pb_buf *b, uint32_t field, int dtype, const int64_t *dims, int nd)
{
    pb_begin(b, field);
    pb_begin(b, 1);
    pb_varint(b, 1, (uint64_t)dtype);
    pb_varint(b, 2, (uint64_t)nd);
    for (int k = 0; k < nd; k++) {
        pb_begin(b, 3);
        pb_begin(b, 1);
        pb_varint(b, 1, (uint64_t)dims[k]);
        pb_end(b);
        pb_end(b);
    }
    pb_end(b);
    pb_end(b);
}

/* NamedValueType{name=1, type=2} as field. */
static void named_type(struct pb_buf *b, uint32_t field, const char *name, int dtype, const int64_t *dims, int nd)
{
    pb_begin(b, field);
    pb_string(b, 1, name);
    value_type(b, 2, dtype, dims, nd);
    pb_end(b);
}

/* A map<string, X> entry {key=1, value=2 ...}: opens the value message; close with two pb_end. */
static void map_entry_begin(struct pb_buf *b, uint32_t field, const char *key)
{
    pb_begin(b, field);
    pb_string(b, 1, key);
    pb_begin(b, 2);
}

static void map_string(struct pb_buf *b, uint32_t field, const char *key, const char *value)
{
    pb_begin(b, field);
    pb_string(b, 1, key);
    pb_string(b, 2, value);
    pb_end(b);
}

/* ---- operations ---- */

static void op_begin(struct ml *w, const char *type)
{
    pb_begin(&w->pb, 3);
    pb_string(&w->pb, 1, type);
    w->n_ops++;
}

/* inputs=2 map entry: param → Argument{arguments=1 [Binding{name=1}]}. */
static void op_args(struct ml *w, const char *param, const char *const *names, int n)
{
    map_entry_begin(&w->pb, 2, param);
    for (int k = 0; k < n; k++) {
        pb_begin(&w->pb, 1);
        pb_string(&w->pb, 1, names[k]);
        pb_end(&w->pb);
    }
    pb_end(&w->pb);
    pb_end(&w->pb);
}

static void op_arg(struct ml *w, const char *param, const char *name) { op_args(w, param, &name, 1); }

static void op_end(struct ml *w, const char *out, int dtype, const int64_t *dims, int nd)
{
    named_type(&w->pb, 3, out, dtype, dims, nd);
    pb_end(&w->pb);
}

/* attributes=5 entry "name": a scalar string Value. */
static void attr_name(struct ml *w, const char *name)
{
    map_entry_begin(&w->pb, 5, "name");
    value_type(&w->pb, 2, MIL_STRING, NULL, 0);
    pb_begin(&w->pb, 3);  /* immediateValue */
    pb_begin(&w->pb, 1);  /* tensor */
    pb_begin(&w->pb, 4);  /* strings */
    pb_string(&w->pb, 1, name);
    pb_end(&w->pb), pb_end(&w->pb), pb_end(&w->pb);
    pb_end(&w->pb), pb_end(&w->pb);
}

/* const op with an immediate value: kind 'i' int32, 'b' bool, 's' string, 'f' fp32; n values
 * (scalar = rank 0 when scalar is set). */
static void const_imm(struct ml *w, const char *name, int kind, const void *v, int n, int scalar)
{
    int dtype = kind == 'i' ? MIL_INT32 : kind == 'b' ? MIL_BOOL : kind == 's' ? MIL_STRING : MIL_FP32;
    int64_t d = n;
    op_begin(w, "const");
    attr_name(w, name);
    map_entry_begin(&w->pb, 5, "val");
    value_type(&w->pb, 2, dtype, &d, scalar ? 0 : 1);
    pb_begin(&w->pb, 3);
    pb_begin(&w->pb, 1);
    if (kind == 'i') {
        int64_t vv[16];
        for (int k = 0; k < n; k++) vv[k] = ((const int32_t *)v)[k];
        pb_begin(&w->pb, 2);
        pb_packed_varints(&w->pb, 1, vv, (size_t)n);
    } else if (kind == 'b') {
        int64_t vv[16];
        for (int k = 0; k < n; k++) vv[k] = ((const int *)v)[k] != 0;
        pb_begin(&w->pb, 3);
        pb_packed_varints(&w->pb, 1, vv, (size_t)n);
    } else if (kind == 's') {
        pb_begin(&w->pb, 4);
        pb_string(&w->pb, 1, (const char *)v);
    } else {
        pb_begin(&w->pb, 1);
        pb_packed_floats(&w->pb, 1, (const float *)v, (size_t)n);
    }
    pb_end(&w->pb), pb_end(&w->pb), pb_end(&w->pb);
    pb_end(&w->pb), pb_end(&w->pb);
    op_end(w, name, dtype, &d, scalar ? 0 : 1);
}

static void const_i32(struct ml *w, const char *name, const int32_t *v, int n) { const_imm(w, name, 'i', v, n, 0); }
static void const_i32_scalar(struct ml *w, const char *name, int32_t v) { const_imm(w, name, 'i', &v, 1, 1); }
static void const_f32_scalar(struct ml *w, const char *name, float v) { const_imm(w, name, 'f', &v, 1, 1); }
static void const_str(struct ml *w, const char *name, const char *s) { const_imm(w, name, 's', s, 1, 1); }

/* Appends one blob (64-byte metadata record, then the data, both 64-byte aligned); returns the
 * record's offset. */
static uint64_t blob_put(struct ml *w, uint32_t dtype, const void *data, uint64_t size)
{
    static const char zeros[64];
    if (w->blob.len % 64) host_buf_add(&w->blob, zeros, 64 - w->blob.len % 64);
    uint64_t off = w->blob.len;
    uint8_t meta[64] = {0};
    uint32_t sentinel = 0xDEADBEEFu;
    uint64_t data_off = off + 64;
    memcpy(meta, &sentinel, 4);
    memcpy(meta + 4, &dtype, 4);
    memcpy(meta + 8, &size, 8);
    memcpy(meta + 16, &data_off, 8);
    host_buf_add(&w->blob, meta, 64);
    host_buf_add(&w->blob, data, size);
    w->n_blobs++;
    return off;
}

/* const op of a float tensor stored in weight.bin (fp16 with half=True). */
static void const_tensor(struct ml *w, const char *name, const float *data, const int64_t *dims, int nd)
{
    int64_t n = 1;
    for (int k = 0; k < nd; k++) n *= dims[k];
    uint64_t off;
    if (w->half) {
        uint16_t *hv = w->h->alloc((size_t)n * 2 + 2);
        cpose_fp16_convert(data, hv, (size_t)n);
        off = blob_put(w, BLOB_FP16, hv, (uint64_t)n * 2);
        w->h->free(hv);
    } else {
        off = blob_put(w, BLOB_FP32, data, (uint64_t)n * 4);
    }
    op_begin(w, "const");
    attr_name(w, name);
    map_entry_begin(&w->pb, 5, "val");
    value_type(&w->pb, 2, w->act, dims, nd);
    pb_begin(&w->pb, 5);  /* blobFileValue */
    pb_string(&w->pb, 1, WEIGHT_FILE);
    pb_varint(&w->pb, 2, off);
    pb_end(&w->pb);
    pb_end(&w->pb), pb_end(&w->pb);
    op_end(w, name, w->act, dims, nd);
}

/* A MIL identifier ([A-Za-z_][A-Za-z0-9_@]*) from a view name, with a suffix. */
static void ident(char *out, size_t cap, const char *name, const char *suffix)
{
    snprintf(out, cap, "%s%s%s", name, suffix ? "_" : "", suffix ? suffix : "");
    for (char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '@'))
            *p = '_';
    if (out[0] >= '0' && out[0] <= '9') out[0] = '_';
}

#define NAME_CAP 256

/* Has a weight const named name been written? Records it when not (returns 0 then). */
static int written(struct ml *w, const char *name)
{
    for (int k = 0; k < w->n_shared; k++)
        if (!strcmp(w->shared[k], name)) return 1;
    w->shared = w->h->realloc(w->shared, (size_t)(w->n_shared + 1) * sizeof *w->shared);
    size_t n = strlen(name) + 1;
    w->shared[w->n_shared] = w->h->alloc(n);
    memcpy(w->shared[w->n_shared++], name, n);
    return 0;
}

/* Emits view node i (its value is named names[i]). Returns 0 or a status with the error recorded. */
static int emit(struct ml *w, const struct cpose_view *v, int i, char (*names)[NAME_CAP])
{
    const struct cpose_view_node *n = CPOSE_VIEW_NODE(v, i);
    const char *out = names[i];
    const char *in0 = n->n_in ? names[n->in[0]] : NULL;
    char a[NAME_CAP], b[NAME_CAP], c[NAME_CAP], d[NAME_CAP], e[NAME_CAP];
    switch (n->op) {
    case CPOSE_VIEW_CONST:
    case CPOSE_VIEW_ANCHORS:
        if (!n->data) return w->h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': a constant without data", n->name);
        const_tensor(w, out, n->data, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    case CPOSE_VIEW_CONV: {
        const struct cpose_view_conv *cv = &n->p.conv;
        int64_t wd[4] = {cv->cout, cv->cin / cv->groups, cv->kh, cv->kw}, bd = cv->cout;
        ident(a, sizeof a, cv->weight_name ? cv->weight_name : n->name, cv->weight_name ? NULL : "weight");
        ident(b, sizeof b, cv->bias_name ? cv->bias_name : n->name, cv->bias_name ? NULL : "bias");
        if (!written(w, a)) const_tensor(w, a, cv->weight, wd, 4);
        if (!written(w, b)) const_tensor(w, b, cv->bias, &bd, 1);
        int32_t st[2] = {cv->stride_h, cv->stride_w}, dl[2] = {cv->dilation_h, cv->dilation_w},
                pad[4] = {cv->pad_top, cv->pad_bottom, cv->pad_left, cv->pad_right};
        ident(c, sizeof c, n->name, "strides"), const_i32(w, c, st, 2);
        ident(d, sizeof d, n->name, "pad"), const_i32(w, d, pad, 4);
        ident(e, sizeof e, n->name, "dilations"), const_i32(w, e, dl, 2);
        char pt[NAME_CAP], gr[NAME_CAP];
        ident(pt, sizeof pt, n->name, "pad_type"), const_str(w, pt, "custom");
        ident(gr, sizeof gr, n->name, "groups"), const_i32_scalar(w, gr, cv->groups);
        op_begin(w, "conv");
        op_arg(w, "x", in0), op_arg(w, "weight", a), op_arg(w, "bias", b), op_arg(w, "strides", c);
        op_arg(w, "pad_type", pt), op_arg(w, "pad", d), op_arg(w, "dilations", e), op_arg(w, "groups", gr);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_SILU:
    case CPOSE_VIEW_SIGMOID:
        op_begin(w, n->op == CPOSE_VIEW_SILU ? "silu" : "sigmoid");
        op_arg(w, "x", in0);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    case CPOSE_VIEW_ADD:
    case CPOSE_VIEW_SUB:
    case CPOSE_VIEW_MUL:
    case CPOSE_VIEW_DIV: {
        static const char *const ops[] = {[CPOSE_VIEW_ADD] = "add", [CPOSE_VIEW_SUB] = "sub",
                                          [CPOSE_VIEW_MUL] = "mul", [CPOSE_VIEW_DIV] = "real_div"};
        op_begin(w, ops[n->op]);
        op_arg(w, "x", in0), op_arg(w, "y", names[n->in[1]]);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_CONCAT: {
        const char *vals[8];
        for (int k = 0; k < n->n_in; k++) vals[k] = names[n->in[k]];
        int ileave = 0;
        ident(a, sizeof a, n->name, "axis"), const_i32_scalar(w, a, n->p.axis);
        ident(b, sizeof b, n->name, "interleave"), const_imm(w, b, 'b', &ileave, 1, 1);
        op_begin(w, "concat");
        op_args(w, "values", vals, n->n_in), op_arg(w, "axis", a), op_arg(w, "interleave", b);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_SLICE: {
        const struct cpose_view_node *src = CPOSE_VIEW_NODE(v, n->in[0]);
        int r = src->ndim, ax = n->p.slice.axis < 0 ? n->p.slice.axis + r : n->p.slice.axis;
        int32_t be[CPOSE_VIEW_MAX_DIMS], en[CPOSE_VIEW_MAX_DIMS], st[CPOSE_VIEW_MAX_DIMS];
        int mask[CPOSE_VIEW_MAX_DIMS] = {0};
        for (int k = 0; k < r; k++) be[k] = 0, en[k] = (int32_t)src->dims[k], st[k] = 1;
        be[ax] = (int32_t)n->p.slice.start, en[ax] = (int32_t)n->p.slice.end;
        ident(a, sizeof a, n->name, "begin"), const_i32(w, a, be, r);
        ident(b, sizeof b, n->name, "end"), const_i32(w, b, en, r);
        ident(c, sizeof c, n->name, "stride"), const_i32(w, c, st, r);
        ident(d, sizeof d, n->name, "begin_mask"), const_imm(w, d, 'b', mask, r, 0);
        ident(e, sizeof e, n->name, "end_mask"), const_imm(w, e, 'b', mask, r, 0);
        op_begin(w, "slice_by_index");
        op_arg(w, "x", in0), op_arg(w, "begin", a), op_arg(w, "end", b), op_arg(w, "stride", c);
        op_arg(w, "begin_mask", d), op_arg(w, "end_mask", e);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_MAXPOOL: {
        const struct cpose_view_pool *p = &n->p.pool;
        int32_t k[2] = {p->kh, p->kw}, st[2] = {p->stride_h, p->stride_w},
                pad[4] = {p->pad_top, p->pad_bottom, p->pad_left, p->pad_right};
        int ceil_mode = 0;
        char pt[NAME_CAP];
        ident(a, sizeof a, n->name, "kernel_sizes"), const_i32(w, a, k, 2);
        ident(b, sizeof b, n->name, "strides"), const_i32(w, b, st, 2);
        ident(pt, sizeof pt, n->name, "pad_type"), const_str(w, pt, "custom");
        ident(c, sizeof c, n->name, "pad"), const_i32(w, c, pad, 4);
        ident(d, sizeof d, n->name, "ceil_mode"), const_imm(w, d, 'b', &ceil_mode, 1, 1);
        op_begin(w, "max_pool");
        op_arg(w, "x", in0), op_arg(w, "kernel_sizes", a), op_arg(w, "strides", b), op_arg(w, "pad_type", pt);
        op_arg(w, "pad", c), op_arg(w, "ceil_mode", d);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_UPSAMPLE:
        ident(a, sizeof a, n->name, "scale_factor_height"), const_f32_scalar(w, a, (float)n->p.upsample.scale_h);
        ident(b, sizeof b, n->name, "scale_factor_width"), const_f32_scalar(w, b, (float)n->p.upsample.scale_w);
        op_begin(w, "upsample_nearest_neighbor");
        op_arg(w, "x", in0), op_arg(w, "scale_factor_height", a), op_arg(w, "scale_factor_width", b);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    case CPOSE_VIEW_RESHAPE: {
        int32_t shape[CPOSE_VIEW_MAX_DIMS];  /* the static target (the view's 0/-1 resolved) */
        for (int k = 0; k < n->ndim; k++) shape[k] = (int32_t)n->dims[k];
        ident(a, sizeof a, n->name, "shape"), const_i32(w, a, shape, n->ndim);
        op_begin(w, "reshape");
        op_arg(w, "x", in0), op_arg(w, "shape", a);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_TRANSPOSE: {
        int32_t perm[CPOSE_VIEW_MAX_DIMS];
        for (int k = 0; k < n->p.transpose.ndim; k++) perm[k] = n->p.transpose.perm[k];
        ident(a, sizeof a, n->name, "perm"), const_i32(w, a, perm, n->p.transpose.ndim);
        op_begin(w, "transpose");
        op_arg(w, "x", in0), op_arg(w, "perm", a);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    }
    case CPOSE_VIEW_SOFTMAX:
        ident(a, sizeof a, n->name, "axis"), const_i32_scalar(w, a, n->p.axis);
        op_begin(w, "softmax");
        op_arg(w, "x", in0), op_arg(w, "axis", a);
        op_end(w, out, w->act, n->dims, n->ndim);
        return CPOSE_PLUGIN_OK;
    default:
        return w->h->error(w->x, CPOSE_PLUGIN_ENOTSUP, "node '%s': op %d has no CoreML form in this exporter", n->name,
                           n->op);
    }
}

/* The input's preprocessing (×1/255, then a cast to fp16 with half=True); returns the name of the
 * value the network reads. */
static const char *preprocess(struct ml *w, const struct cpose_view_node *in)
{
    const_f32_scalar(w, "image__scale__", 1.0f / 255.0f);
    op_begin(w, "mul");
    op_arg(w, "x", "image"), op_arg(w, "y", "image__scale__");
    op_end(w, "image__scaled__", MIL_FP32, in->dims, in->ndim);
    if (!w->half) return "image__scaled__";
    const_str(w, "image__dtype__", "fp16");
    op_begin(w, "cast");
    op_arg(w, "x", "image__scaled__"), op_arg(w, "dtype", "image__dtype__");
    op_end(w, "image__fp16__", MIL_FP16, in->dims, in->ndim);
    return "image__fp16__";
}

/* ModelDescription.metadata: the four named fields, the other keys in userDefined as str(v). */
static int metadata(struct ml *w, struct pb_buf *b)
{
    const struct cpose_host *h = w->h;
    static const char *const named[][2] = {{"description", "1"}, {"version", "2"}, {"author", "3"}, {"license", "4"}};
    pb_begin(b, 100);
    for (int k = 0; k < 4; k++) {
        char *t = h->meta_text(w->x, named[k][0], CPOSE_META_PYTHON);
        if (!t) return CPOSE_PLUGIN_EINVAL;
        pb_string(b, (uint32_t)(named[k][1][0] - '0'), t);
        h->free(t);
    }
    const char *const *keys = h->meta_keys(w->x);
    for (int k = 0; keys[k]; k++) {
        int skip = 0;
        for (int q = 0; q < 4; q++) skip |= !strcmp(keys[k], named[q][0]);
        if (skip) continue;
        char *t = h->meta_text(w->x, keys[k], CPOSE_META_PYTHON);
        if (!t) return CPOSE_PLUGIN_EINVAL;
        map_string(b, 100, keys[k], t);
        h->free(t);
    }
    pb_end(b);
    return CPOSE_PLUGIN_OK;
}

/* Opens the Model message in w->pb: specificationVersion, description, and mlProgram down to the
 * main function's block (its outputs); the operations follow as Block field 3 and model_end closes
 * the five messages still open. */
static int model_begin(struct ml *w, const struct cpose_view *v, const char *out_name)
{
    const struct cpose_view_node *in = CPOSE_VIEW_NODE(v, v->input), *on = CPOSE_VIEW_NODE(v, v->output);
    struct pb_buf *b = &w->pb;
    pb_varint(b, 1, SPEC_VERSION);
    pb_begin(b, 2);  /* description */
    pb_begin(b, 1);  /* input */
    pb_string(b, 1, "image");
    pb_begin(b, 3);
    pb_begin(b, 4);  /* imageType */
    pb_varint(b, 1, (uint64_t)in->dims[3]);
    pb_varint(b, 2, (uint64_t)in->dims[2]);
    pb_varint(b, 3, 20);  /* RGB */
    pb_end(b), pb_end(b), pb_end(b);
    pb_begin(b, 10);  /* output */
    pb_string(b, 1, out_name);
    pb_begin(b, 3);
    pb_begin(b, 5);  /* multiArrayType */
    pb_packed_varints(b, 1, on->dims, (size_t)on->ndim);
    pb_varint(b, 2, 65568);  /* FLOAT32 */
    pb_end(b), pb_end(b), pb_end(b);
    int rc = metadata(w, b);
    pb_end(b);
    pb_begin(b, 502);  /* mlProgram */
    pb_varint(b, 1, 1);
    map_entry_begin(b, 2, "main");
    named_type(b, 1, "image", MIL_FP32, in->dims, in->ndim);
    pb_string(b, 2, OPSET);
    map_entry_begin(b, 3, OPSET);
    pb_string(b, 2, out_name);
    return rc;
}

static uint8_t *model_end(struct ml *w, size_t *len, int *rc)
{
    pb_end(&w->pb), pb_end(&w->pb);  /* block entry */
    pb_end(&w->pb), pb_end(&w->pb);  /* function entry */
    pb_end(&w->pb);                  /* mlProgram */
    uint8_t *bytes = pb_take(&w->pb, len);
    if (!bytes && !*rc) *rc = w->h->error(w->x, CPOSE_PLUGIN_ENOMEM, "encoding model.mlmodel failed: %s", w->pb.error);
    return bytes;
}

/* A random (version 4) UUID in upper-case hex, as Core ML's package writer names items. */
static void uuid4(char out[37], unsigned salt)
{
    uint8_t r[16];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(r, 1, 16, f) : 0;
    if (f) fclose(f);
    uint64_t s = (uint64_t)time(NULL) * 6364136223846793005ull + salt;
    for (size_t k = got; k < 16; k++) s = s * 6364136223846793005ull + 1442695040888963407ull, r[k] = (uint8_t)(s >> 56);
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40), r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", r[0], r[1], r[2], r[3], r[4],
             r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

static int write_package(struct ml *w, const char *dir, const uint8_t *model, size_t mlen)
{
    const struct cpose_host *h = w->h;
    size_t plen = strlen(dir) + 64;
    char *path = h->alloc(plen);
    int rc = CPOSE_PLUGIN_OK;
    snprintf(path, plen, "%s/Data/com.apple.CoreML/weights", dir);
    rc = h->make_dir(w->x, path);
    if (!rc) {
        snprintf(path, plen, "%s/Data/com.apple.CoreML/model.mlmodel", dir);
        rc = h->write_file(w->x, path, model, mlen);
    }
    if (!rc) {
        snprintf(path, plen, "%s/Data/com.apple.CoreML/weights/weight.bin", dir);
        rc = h->write_file(w->x, path, w->blob.p, w->blob.len);
    }
    if (!rc) {
        char u1[37], u2[37];
        uuid4(u1, 1), uuid4(u2, 2);
        struct host_buf m = {h, NULL, 0, 0};
        host_buf_printf(&m,
                        "{\n    \"fileFormatVersion\": \"1.0.0\",\n    \"itemInfoEntries\": {\n"
                        "        \"%s\": {\n            \"author\": \"com.apple.CoreML\",\n"
                        "            \"description\": \"CoreML Model Specification\",\n"
                        "            \"name\": \"model.mlmodel\",\n            \"path\": \"com.apple.CoreML/model.mlmodel\"\n"
                        "        },\n"
                        "        \"%s\": {\n            \"author\": \"com.apple.CoreML\",\n"
                        "            \"description\": \"CoreML Model Weights\",\n"
                        "            \"name\": \"weights\",\n            \"path\": \"com.apple.CoreML/weights\"\n"
                        "        }\n    },\n    \"rootModelIdentifier\": \"%s\"\n}\n",
                        u1, u2, u1);
        snprintf(path, plen, "%s/Manifest.json", dir);
        rc = h->write_file(w->x, path, m.p, m.len);
        h->free(m.p);
    }
    h->free(path);
    return rc;
}

static int export_coreml(const struct cpose_host *h, struct cpose_export *x, const char *out_path)
{
    if (h->arg_bool(x, "nms"))
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "nms=True (the CoreML NMS pipeline) is not written yet; export with "
                        "nms=False and run NMS on the [1, 56, anchors] output");
    if (h->arg_bool(x, "int8"))
        return h->error(x, CPOSE_PLUGIN_ENOTSUP, "int8=True (k-means weight palettisation) is not written by cpose; "
                        "export with int8=False (half=True for fp16 weights)");
    if (h->arg_int(x, "batch", 1) != 1)
        return h->error(x, CPOSE_PLUGIN_EINVAL, "batch=%lld: CoreML's image input holds one image; export with batch=1",
                        (long long)h->arg_int(x, "batch", 1));
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    struct ml w;
    memset(&w, 0, sizeof w);
    w.h = h, w.x = x, w.half = h->arg_bool(x, "half"), w.act = w.half ? MIL_FP16 : MIL_FP32;
    w.blob.h = h;
    pb_init(&w.pb, h->realloc, h->free);
    static const char zeros[64];
    host_buf_add(&w.blob, zeros, 64);  /* the storage header, filled in at the end */
    char(*names)[NAME_CAP] = h->calloc((size_t)v->n_nodes, NAME_CAP);
    for (int i = 0; i < v->n_nodes; i++) ident(names[i], NAME_CAP, CPOSE_VIEW_NODE(v, i)->name, NULL);
    char out_name[64];
    snprintf(out_name, sizeof out_name, "var_%d", v->n_nodes);
    int rc = model_begin(&w, v, out_name);
    const char *net_in = preprocess(&w, CPOSE_VIEW_NODE(v, v->input));
    snprintf(names[v->input], NAME_CAP, "%s", net_in);
    if (!w.half) snprintf(names[v->output], NAME_CAP, "%s", out_name);
    for (int i = 0; i < v->n_nodes && rc == CPOSE_PLUGIN_OK; i++) {
        if (i != v->input) rc = emit(&w, v, i, names);
        if (i % 64 == 0) h->progress(x, 0.8 * i / v->n_nodes, "coreml: program");
    }
    if (rc == CPOSE_PLUGIN_OK && w.half) {
        const struct cpose_view_node *on = CPOSE_VIEW_NODE(v, v->output);
        const_str(&w, "output__dtype__", "fp32");
        op_begin(&w, "cast");
        op_arg(&w, "x", names[v->output]), op_arg(&w, "dtype", "output__dtype__");
        op_end(&w, out_name, MIL_FP32, on->dims, on->ndim);
    }
    size_t mlen = 0;
    uint8_t *model = NULL;
    if (rc == CPOSE_PLUGIN_OK) {
        uint32_t hdr[2] = {w.n_blobs, 2};  /* count, version 2 */
        memcpy(w.blob.p, hdr, sizeof hdr);
        model = model_end(&w, &mlen, &rc);
    }
    if (rc == CPOSE_PLUGIN_OK) rc = write_package(&w, out_path, model, mlen);
    if (rc == CPOSE_PLUGIN_OK)
        h->log(x, CPOSE_PLUGIN_LOG_INFO, "ML Program (spec %d, %s), %d operations, %u weight blobs (%zu bytes)%s",
               SPEC_VERSION, OPSET, w.n_ops, w.n_blobs, w.blob.len, w.half ? ", fp16 weights and compute" : "");
    h->progress(x, 1.0, "coreml: done");
    h->free(model);
    h->free(names);
    for (int k = 0; k < w.n_shared; k++) h->free(w.shared[k]);
    h->free(w.shared);
    h->free(w.blob.p);
    pb_free(&w.pb);
    return rc;
}

static const struct cpose_plugin coreml_plugin = {
    .abi_major = CPOSE_PLUGIN_ABI_MAJOR,
    .abi_minor = CPOSE_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct cpose_plugin),
    .format = "coreml",
    .suffix = ".mlpackage",
    .is_dir = 1,
    .args = coreml_args,
    .description = "CoreML ML Program (<stem>.mlpackage: Manifest.json, model.mlmodel spec 6, weights/weight.bin): "
                   "RGB image input ×1/255, output [1, 56, anchors]; metadata in description and userDefined",
    .export_model = export_coreml,
};

CPOSE_PLUGIN_EXPORT const struct cpose_plugin *cpose_plugin_entry(void) { return &coreml_plugin; }
