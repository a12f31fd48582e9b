/* core/nn/coreml_import.c — .mlpackage → checked ML Program → ONNX nodes → cpose's ONNX import
 * (contract in core/nn/coreml_import.h). Field numbers: Model.proto (Model, ModelDescription,
 * Metadata, FeatureDescription), FeatureTypes.proto (ImageFeatureType, ArrayFeatureType) and
 * MIL.proto (Program, Function, Block, Operation, Argument, NamedValueType, ValueType, TensorType,
 * Value, TensorValue), as FORMATS.md §6 lists them. This part reads the operations (checked against
 * the op table below), the Model and the package; core/nn/coreml_values.c reads values and blobs,
 * core/nn/coreml_restate.c writes the ONNX nodes. */
#include "core/nn/coreml_import.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "core/base/fsutil.h"
#include "core/nn/coreml_read.h"

struct opdef {
    const char *type;
    const char *params[CM_MAX_PARAMS];  /* "x" required, "?x" optional, "*x" variadic (required) */
};

static const struct opdef OPS[] = {
    {"const", {NULL}},
    {"conv", {"x", "weight", "?bias", "?strides", "?pad_type", "?pad", "?dilations", "?groups", NULL}},
    {"silu", {"x", NULL}},
    {"sigmoid", {"x", NULL}},
    {"add", {"x", "y", NULL}},
    {"sub", {"x", "y", NULL}},
    {"mul", {"x", "y", NULL}},
    {"real_div", {"x", "y", NULL}},
    {"concat", {"*values", "axis", "?interleave", NULL}},
    {"slice_by_index", {"x", "begin", "end", "?stride", "?begin_mask", "?end_mask", "?squeeze_mask", NULL}},
    {"max_pool", {"x", "kernel_sizes", "?strides", "pad_type", "?pad", "?ceil_mode", NULL}},
    {"upsample_nearest_neighbor", {"x", "?scale_factor_height", "?scale_factor_width", NULL}},
    {"reshape", {"x", "shape", NULL}},
    {"transpose", {"x", "perm", NULL}},
    {"softmax", {"x", "?axis", NULL}},
    {"cast", {"x", "dtype", NULL}},
    {NULL, {NULL}},
};

/* Argument{arguments=1 [Binding{name=1 | value=2}]} into p. */
static int read_argument(struct cml_reader *r, const struct pb_field *af, struct cml_arg *p)
{
    struct pb_reader m = cml_sub(af);
    struct pb_field f;
    int rc;
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.num != 1 || f.wire != PB_WIRE_LEN) continue;
        struct pb_reader b = cml_sub(&f);
        struct pb_field g;
        int bound = 0;
        while ((rc = pb_next(&b, &g)) > 0) {
            if (g.wire != PB_WIRE_LEN || (g.num != 1 && g.num != 2)) continue;
            if (p->n == CM_MAX_ARGS) RERR(CPOSE_ENOTSUP, "parameter '%s' with more than %d arguments", p->name, CM_MAX_ARGS);
            if (g.num == 1) {
                char *name = cml_field_strdup(&g);
                int k = cml_find_value(r, name);
                if (k < 0) {
                    rc = cml_rerr(r, CPOSE_EINVAL, cpose_asprintf("parameter '%s' reads '%s', which is not defined before it", p->name, name));
                    cpose_free(name);
                    return rc;
                }
                cpose_free(name);
                p->arg[p->n++] = k;
            } else {
                struct cml_value *v = cml_new_value(r);
                v->name = cpose_asprintf("%s__%s__imm%d", r->op_out, p->name, p->n);
                snprintf(v->onnx, sizeof v->onnx, "%s", v->name);
                if ((rc = cml_read_value(r, &g, v)) != CPOSE_OK) return rc;
                p->arg[p->n++] = r->n_v - 1;
            }
            bound++;
        }
        if (rc < 0) return cml_malformed(r, &b, "a Binding");
        if (bound != 1) RERR(CPOSE_EINVAL, "parameter '%s': a Binding with %d of name/value", p->name, bound);
    }
    if (rc < 0) return cml_malformed(r, &m, "an Argument");
    if (!p->n) RERR(CPOSE_EINVAL, "parameter '%s' has no arguments", p->name);
    return CPOSE_OK;
}

/* One Operation: checked against its definition, its output defined, restated. */
static int read_operation(struct cml_reader *r, struct cpose_onnx_restate *o, const struct pb_field *of, int image_input)
{
    struct pb_reader m = cml_sub(of);
    struct pb_field f;
    int rc;
    /* first pass: type and output name (for messages) */
    r->op_type[0] = 0, r->op_out[0] = 0;
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.num == 1 && f.wire == PB_WIRE_LEN) snprintf(r->op_type, sizeof r->op_type, "%.*s", (int)(f.len < 63 ? f.len : 63), f.data);
        if (f.num == 3 && f.wire == PB_WIRE_LEN && !r->op_out[0]) {
            struct pb_reader nm = cml_sub(&f);
            struct pb_field g;
            while (pb_next(&nm, &g) > 0)
                if (g.num == 1 && g.wire == PB_WIRE_LEN) snprintf(r->op_out, sizeof r->op_out, "%.*s", (int)(g.len < 255 ? g.len : 255), g.data);
        }
        if (f.num == 4) RERR(CPOSE_ENOTSUP, "nested blocks (control flow) are not read");
    }
    if (rc < 0) return cml_malformed(r, &m, "an Operation");
    const struct opdef *def = OPS;
    while (def->type && strcmp(def->type, r->op_type)) def++;
    if (!def->type) RERR(CPOSE_ENOTSUP, "unknown operation type '%s' for this reader", r->op_type);
    /* parameters */
    struct cml_arg ps[CM_MAX_PARAMS];
    int np = 0, n_out = 0, out_index = -1;
    struct pb_field val = {0};
    int have_val = 0;
    m = cml_sub(of);
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.wire != PB_WIRE_LEN) continue;
        if (f.num == 2 || f.num == 5) { /* map entries {key=1, value=2} */
            struct pb_reader e = cml_sub(&f);
            struct pb_field g, key = {0}, value = {0};
            int hk = 0, hv = 0;
            while ((rc = pb_next(&e, &g)) > 0) {
                if (g.num == 1 && g.wire == PB_WIRE_LEN) key = g, hk = 1;
                if (g.num == 2 && g.wire == PB_WIRE_LEN) value = g, hv = 1;
            }
            if (rc < 0) return cml_malformed(r, &e, "a map entry");
            if (!hk || !hv) RERR(CPOSE_EINVAL, "a map entry without its key or value");
            if (f.num == 5) {
                if (cml_field_is(&key, "val")) val = value, have_val = 1;
                continue;
            }
            if (np == CM_MAX_PARAMS) RERR(CPOSE_ENOTSUP, "more than %d parameters", CM_MAX_PARAMS);
            struct cml_arg *p = &ps[np++];
            memset(p, 0, sizeof *p);
            snprintf(p->name, sizeof p->name, "%.*s", (int)(key.len < 39 ? key.len : 39), key.data);
            int known = 0;
            for (int k = 0; def->params[k]; k++) {
                const char *pn = def->params[k] + (def->params[k][0] == '?' || def->params[k][0] == '*');
                known |= !strcmp(pn, p->name);
            }
            if (!known) RERR(CPOSE_EINVAL, "'%s' takes no parameter '%s'", r->op_type, p->name);
            if (cml_param(ps, np - 1, p->name)) RERR(CPOSE_EINVAL, "parameter '%s' given twice", p->name);
            if ((rc = read_argument(r, &value, p)) != CPOSE_OK) return rc;
        }
    }
    if (rc < 0) return cml_malformed(r, &m, "an Operation");
    for (int k = 0; def->params[k]; k++) {
        const char *pn = def->params[k] + (def->params[k][0] == '?' || def->params[k][0] == '*');
        const struct cml_arg *p = cml_param(ps, np, pn);
        if (!p && def->params[k][0] != '?') RERR(CPOSE_EINVAL, "required parameter '%s' is missing", pn);
        if (p && def->params[k][0] != '*' && p->n != 1) RERR(CPOSE_EINVAL, "parameter '%s' takes one argument, not %d", pn, p->n);
    }
    /* outputs (defined after the inputs are resolved: an op cannot read its own output) */
    m = cml_sub(of);
    while ((rc = pb_next(&m, &f)) > 0)
        if (f.num == 3 && f.wire == PB_WIRE_LEN) {
            if ((rc = cml_read_named_type(r, &f, &out_index)) != CPOSE_OK) return rc;
            n_out++;
        }
    if (rc < 0) return cml_malformed(r, &m, "an Operation");
    if (n_out != 1) RERR(CPOSE_ENOTSUP, "%d outputs (operations with one output are read)", n_out);
    struct cml_value *out = &r->v[out_index];
    if (!strcmp(r->op_type, "const")) {
        if (!have_val) RERR(CPOSE_EINVAL, "a const without its 'val' attribute");
        struct cml_value tmp;
        memset(&tmp, 0, sizeof tmp);
        rc = cml_read_value(r, &val, &tmp);
        out = &r->v[out_index];  /* read_value may not grow r->v, but stay safe */
        if (!rc && (tmp.dtype != out->dtype || tmp.ndim != out->ndim || memcmp(tmp.d, out->d, (size_t)tmp.ndim * sizeof(int64_t))))
            rc = cml_rerr(r, CPOSE_EINVAL, cpose_asprintf("'val' has another type than the const's output"));
        out->is_const = 1, out->numel = tmp.numel, out->f = tmp.f, out->i = tmp.i, out->s = tmp.s;
        return rc;
    }
    /* one data type across the tensor operands */
    static const char *const same[] = {"x", "y", "weight", "bias", "values", NULL};
    int dt = -1;
    for (int k = 0; same[k]; k++) {
        const struct cml_arg *p = cml_param(ps, np, same[k]);
        for (int q = 0; p && q < p->n; q++) {
            int t = r->v[p->arg[q]].dtype;
            if (dt < 0) dt = t;
            else if (t != dt) RERR(CPOSE_EINVAL, "operand '%s' has data type %d, the others %d", r->v[p->arg[q]].name, t, dt);
        }
    }
    if (strcmp(r->op_type, "cast") && dt >= 0 && out->dtype != dt)
        RERR(CPOSE_EINVAL, "output data type %d differs from its operands' %d", out->dtype, dt);
    if (dt >= 0 && dt != CML_DT_FP16 && dt != CML_DT_FP32) RERR(CPOSE_ENOTSUP, "operands of data type %d (fp16/fp32 are read)", dt);
    if ((rc = cml_check_shape(r, r->op_type, ps, np, out)) != CPOSE_OK) return rc;
    return cml_restate(r, o, r->op_type, ps, np, out, image_input);
}

/* ---- the Model ---- */

static int read_description(struct cml_reader *r, const struct pb_field *df)
{
    struct pb_reader m = cml_sub(df);
    struct pb_field f;
    int rc;
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.wire != PB_WIRE_LEN) continue;
        if (f.num == 1 || f.num == 10) { /* FeatureDescription{name=1, type=3} */
            struct pb_reader fd = cml_sub(&f);
            struct pb_field g;
            char *name = NULL;
            while ((rc = pb_next(&fd, &g)) > 0) {
                if (g.num == 1 && g.wire == PB_WIRE_LEN) cpose_free(name), name = cml_field_strdup(&g);
                if (g.num != 3 || g.wire != PB_WIRE_LEN) continue;
                struct pb_reader ft = cml_sub(&g);
                struct pb_field h;
                while ((rc = pb_next(&ft, &h)) > 0) {
                    if (h.wire != PB_WIRE_LEN || h.num > 8) continue;
                    struct pb_reader t = cml_sub(&h);
                    struct pb_field q;
                    if (f.num == 1 && h.num != 4) {
                        cpose_free(name);
                        RERR(CPOSE_ENOTSUP, "the input is not an ImageType (Ultralytics exports an RGB image input)");
                    }
                    if (f.num == 10 && h.num != 5) {
                        cpose_free(name);
                        RERR(CPOSE_ENOTSUP, "the output is not a multiArrayType");
                    }
                    while ((rc = pb_next(&t, &q)) > 0) {
                        if (h.num == 4 && q.wire == PB_WIRE_VARINT) {
                            if (q.num == 1) r->img_w = (int64_t)q.v;
                            if (q.num == 2) r->img_h = (int64_t)q.v;
                            if (q.num == 3) r->color = (int)q.v;
                        }
                        if (h.num == 5 && q.num == 1) {
                            size_t have = (size_t)r->n_out_shape;
                            if (pb_varints_of(&q, r->out_shape, CM_MAX_DIMS, &have) < 0) {
                                cpose_free(name);
                                RERR(CPOSE_EINVAL, "the output multiArray's shape is malformed or longer than %d", CM_MAX_DIMS);
                            }
                            r->n_out_shape = (int)have;
                        }
                    }
                    if (rc < 0) {
                        cpose_free(name);
                        return cml_malformed(r, &t, "a FeatureType");
                    }
                }
                if (rc < 0) {
                    cpose_free(name);
                    return cml_malformed(r, &ft, "a FeatureType");
                }
            }
            if (rc < 0) {
                cpose_free(name);
                return cml_malformed(r, &fd, "a FeatureDescription");
            }
            if (f.num == 1) cpose_free(r->in_name), r->in_name = name, r->n_inputs++;
            else cpose_free(r->out_name), r->out_name = name, r->n_outputs++;
        } else if (f.num == 100) { /* Metadata */
            struct pb_reader md = cml_sub(&f);
            struct pb_field g;
            while ((rc = pb_next(&md, &g)) > 0) {
                if (g.wire != PB_WIRE_LEN) continue;
                char *key = NULL, *value = NULL;
                if (g.num == 1) key = cpose_strdup("description"), value = cml_field_strdup(&g);
                else if (g.num == 100) {
                    struct pb_reader e = cml_sub(&g);
                    struct pb_field h;
                    while ((rc = pb_next(&e, &h)) > 0) {
                        if (h.num == 1 && h.wire == PB_WIRE_LEN) cpose_free(key), key = cml_field_strdup(&h);
                        if (h.num == 2 && h.wire == PB_WIRE_LEN) cpose_free(value), value = cml_field_strdup(&h);
                    }
                    if (rc < 0) {
                        cpose_free(key), cpose_free(value);
                        return cml_malformed(r, &e, "a userDefined entry");
                    }
                }
                static const char *const keep[] = {"description", "stride", "task", "batch", "imgsz", "names", "kpt_shape", NULL};
                int wanted = 0;
                for (int k = 0; key && keep[k]; k++) wanted |= !strcmp(key, keep[k]);
                if (wanted && value && r->meta.n < CPOSE_EXPORT_META_MAX) {
                    r->meta.key[r->meta.n] = key, r->meta.value[r->meta.n++] = value;
                } else {
                    cpose_free(key), cpose_free(value);
                }
            }
            if (rc < 0) return cml_malformed(r, &md, "the Metadata");
        }
    }
    if (rc < 0) return cml_malformed(r, &m, "the ModelDescription");
    return CPOSE_OK;
}

/* The value field of the map entry whose key is `key` inside message field f (a map<string, X>). */
static int map_lookup(struct cml_reader *r, const struct pb_field *entry, const char *key, struct pb_field *value, int *found)
{
    struct pb_reader e = cml_sub(entry);
    struct pb_field g;
    int rc, match = 0, hv = 0;
    while ((rc = pb_next(&e, &g)) > 0) {
        if (g.num == 1) match = cml_field_is(&g, key);
        if (g.num == 2 && g.wire == PB_WIRE_LEN) *value = g, hv = 1;
    }
    if (rc < 0) return cml_malformed(r, &e, "a map entry");
    *found = match && hv;
    return CPOSE_OK;
}

static int read_program(struct cml_reader *r, const struct pb_field *pf, struct cpose_onnx_restate *o, int *input, int *output)
{
    struct pb_reader m = cml_sub(pf);
    struct pb_field f, fn = {0}, block = {0};
    int rc, found = 0;
    while ((rc = pb_next(&m, &f)) > 0)
        if (f.num == 2 && f.wire == PB_WIRE_LEN && !found)
            if ((rc = map_lookup(r, &f, "main", &fn, &found)) != CPOSE_OK) return rc;
    if (rc < 0) return cml_malformed(r, &m, "the Program");
    if (!found) RERR(CPOSE_EINVAL, "the ML Program has no function 'main'");
    /* Function{inputs=1, opset=2, block_specializations=3} */
    char opset[32] = "";
    struct pb_reader fm = cml_sub(&fn);
    *input = -1;
    while ((rc = pb_next(&fm, &f)) > 0) {
        if (f.num == 2 && f.wire == PB_WIRE_LEN) snprintf(opset, sizeof opset, "%.*s", (int)(f.len < 31 ? f.len : 31), f.data);
        if (f.num == 1 && f.wire == PB_WIRE_LEN) {
            if (*input >= 0) RERR(CPOSE_ENOTSUP, "function 'main' has a second input (one image input is read)");
            if ((rc = cml_read_named_type(r, &f, input)) != CPOSE_OK) return rc;
        }
    }
    if (rc < 0) return cml_malformed(r, &fm, "function 'main'");
    static const char *const opsets[] = {"CoreML5", "CoreML6", "CoreML7", "CoreML8", NULL};
    int known = 0;
    for (int k = 0; opsets[k]; k++) known |= !strcmp(opset, opsets[k]);
    if (!known) RERR(CPOSE_ENOTSUP, "function 'main' has opset '%s' (CoreML5 to CoreML8 are read)", opset);
    if (*input < 0) RERR(CPOSE_EINVAL, "function 'main' has no input");
    found = 0;
    fm = cml_sub(&fn);
    while ((rc = pb_next(&fm, &f)) > 0)
        if (f.num == 3 && f.wire == PB_WIRE_LEN && !found)
            if ((rc = map_lookup(r, &f, opset, &block, &found)) != CPOSE_OK) return rc;
    if (!found) RERR(CPOSE_EINVAL, "function 'main' has no block for its opset '%s'", opset);
    /* Block{outputs=2, operations=3} */
    struct pb_reader bm = cml_sub(&block);
    char *out_name = NULL;
    int n_outs = 0;
    r->op_index = 0;
    while ((rc = pb_next(&bm, &f)) > 0) {
        if (f.num == 2 && f.wire == PB_WIRE_LEN) cpose_free(out_name), out_name = cml_field_strdup(&f), n_outs++;
        if (f.num == 3 && f.wire == PB_WIRE_LEN) {
            if ((rc = read_operation(r, o, &f, *input)) != CPOSE_OK) {
                cpose_free(out_name);
                return rc;
            }
            r->op_index++;
        }
    }
    r->op_index = -1;
    if (rc < 0) {
        cpose_free(out_name);
        return cml_malformed(r, &bm, "the Block");
    }
    if (n_outs != 1) {
        cpose_free(out_name);
        RERR(CPOSE_ENOTSUP, "the block has %d outputs (one is read)", n_outs);
    }
    *output = cml_find_value(r, out_name);
    if (*output < 0) rc = cml_rerr(r, CPOSE_EINVAL, cpose_asprintf("block output '%s' is never defined", out_name));
    cpose_free(out_name);
    return rc;
}

static int read_model(struct cml_reader *r, const uint8_t *bytes, size_t len, struct cpose_model **out)
{
    struct pb_reader m = cml_of(bytes, len);
    struct pb_field f, desc = {0}, prog = {0};
    int rc, hd = 0, hp = 0;
    uint64_t spec = 0;
    while ((rc = pb_next(&m, &f)) > 0) {
        if (f.num == 1 && f.wire == PB_WIRE_VARINT) spec = f.v;
        else if (f.num == 2 && f.wire == PB_WIRE_LEN) desc = f, hd = 1;
        else if (f.num == 502 && f.wire == PB_WIRE_LEN) prog = f, hp = 1;
        else if (f.num >= 200) RERR(CPOSE_ENOTSUP, "model type field %u: not an ML Program (mlProgram = 502)", f.num);
    }
    if (rc < 0) return cml_malformed(r, &m, "the Model");
    if (spec < 6) RERR(CPOSE_ENOTSUP, "specificationVersion %llu: ML Programs need 6 (iOS15) or later", (unsigned long long)spec);
    if (!hp) RERR(CPOSE_EINVAL, "no mlProgram (field 502) in the Model");
    if (!hd) RERR(CPOSE_EINVAL, "no description in the Model");
    if ((rc = read_description(r, &desc)) != CPOSE_OK) return rc;
    if (r->n_inputs != 1 || r->n_outputs != 1)
        RERR(CPOSE_ENOTSUP, "%d inputs and %d outputs in the description (one of each is read)", r->n_inputs, r->n_outputs);
    if (r->color != 20) RERR(CPOSE_ENOTSUP, "the image input's colorSpace is %d, not RGB (20)", r->color);
    struct cpose_onnx_restate o;
    orst_init_restate(&o);
    int input = -1, output = -1;
    rc = read_program(r, &prog, &o, &input, &output);
    if (!rc) {
        const struct cml_value *in = &r->v[input], *ov = &r->v[output];
        if (strcmp(in->name, r->in_name))
            rc = cml_rerr(r, CPOSE_EINVAL, cpose_asprintf("the description's input '%s' is not the function's input '%s'", r->in_name, in->name));
        else if (in->dtype != CML_DT_FP32 || in->ndim != 4 || in->d[0] != 1 || in->d[1] != 3 || in->d[2] != r->img_h || in->d[3] != r->img_w)
            rc = cml_rerr(r, CPOSE_ESHAPE, cpose_asprintf("the function input must be fp32 [1, 3, %lld, %lld] for the %lldx%lld RGB image",
                                                      (long long)r->img_h, (long long)r->img_w, (long long)r->img_w, (long long)r->img_h));
        else if (strcmp(ov->name, r->out_name))
            rc = cml_rerr(r, CPOSE_EINVAL, cpose_asprintf("the description's output '%s' is not the block's output '%s'", r->out_name, ov->name));
        else if (ov->ndim != r->n_out_shape || memcmp(ov->d, r->out_shape, (size_t)ov->ndim * sizeof(int64_t)) || ov->dtype != CML_DT_FP32)
            rc = cml_rerr(r, CPOSE_ESHAPE, cpose_asprintf("the output multiArray's shape differs from the block output's fp32 type"));
        else
            rc = orst_import(&o, r->model_path, in->onnx, in->d, 4, ov->onnx, ov->d, ov->ndim, &r->meta, out);
    }
    orst_free(&o);
    return rc;
}

/* ---- the package ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int cpose_coreml_is_model(const char *path) { return ends_with(path, ".mlpackage") || ends_with(path, ".mlpackage/"); }

/* The root model's path from Manifest.json (owned), or NULL with the error recorded. */
static char *manifest_model(const char *pkg)
{
    char *mpath = cpose_path_join(pkg, "Manifest.json"), *text = NULL, *model = NULL;
    size_t len;
    if (cpose_read_file(mpath, &text, &len) != CPOSE_OK) {
        cpose_err(CPOSE_EIO, "%s: cannot read the package's Manifest.json (%s)", pkg, cpose_errmsg());
        cpose_free(mpath);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(j, "itemInfoEntries");
    const cJSON *root = cJSON_GetObjectItemCaseSensitive(j, "rootModelIdentifier");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "fileFormatVersion");
    if (!j) cpose_err(CPOSE_EINVAL, "%s: not JSON (near byte %ld)", mpath, (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : 0));
    else if (!cJSON_IsString(ver) || !cJSON_IsObject(entries) || !cJSON_IsString(root))
        cpose_err(CPOSE_EINVAL, "%s: needs fileFormatVersion (string), itemInfoEntries (object) and rootModelIdentifier (string)", mpath);
    else {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(entries, root->valuestring);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "path");
        if (!e) cpose_err(CPOSE_EINVAL, "%s: rootModelIdentifier '%s' has no entry in itemInfoEntries", mpath, root->valuestring);
        else if (!cJSON_IsString(p) || strstr(p->valuestring, "..") || p->valuestring[0] == '/')
            cpose_err(CPOSE_EINVAL, "%s: entry '%s' has no relative path", mpath, root->valuestring);
        else {
            char *data = cpose_path_join(pkg, "Data");
            model = cpose_path_join(data, p->valuestring);
            cpose_free(data);
        }
    }
    cJSON_Delete(j);
    cpose_free(text), cpose_free(mpath);
    return model;
}

int cpose_coreml_model_load(const char *path, struct cpose_model **out)
{
    *out = NULL;
    if (!cpose_path_is_dir(path)) return cpose_err(CPOSE_EINVAL, "%s: not a folder (a .mlpackage is one)", path);
    char *model = manifest_model(path);
    if (!model) return CPOSE_EINVAL;
    char *bytes = NULL;
    size_t len = 0;
    int rc = cpose_read_file(model, &bytes, &len);
    if (rc) {
        rc = cpose_err(rc, "%s: the Manifest's root model cannot be read (%s)", path, cpose_errmsg());
        cpose_free(model);
        return rc;
    }
    struct cml_reader r;
    memset(&r, 0, sizeof r);
    r.model_path = model, r.model_dir = cpose_path_dirname(model), r.op_index = -1;
    rc = read_model(&r, (const uint8_t *)bytes, len, out);
    for (int k = 0; k < r.n_v; k++) cpose_free(r.v[k].name), cpose_free(r.v[k].f), cpose_free(r.v[k].i), cpose_free(r.v[k].s);
    cpose_free(r.v);
    cpose_free(r.blob_path), cpose_free(r.blob);
    cpose_free(r.in_name), cpose_free(r.out_name);
    cpose_export_meta_clear(&r.meta);
    cpose_free(r.model_dir);
    cpose_free(bytes), cpose_free(model);
    return rc;
}
