/* core/nn/onnx_restate.c — building an in-memory ONNX model for the readers of other formats
 * (contract in core/nn/onnx_restate.h). */
#include "core/nn/onnx_restate.h"

#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/onnx_import.h"

void orst_init_restate(struct cpose_onnx_restate *o)
{
    o->owned = (struct cpose_vec)CPOSE_VEC_INIT(void *);
    o->nodes = (struct cpose_vec)CPOSE_VEC_INIT(Onnx__NodeProto *);
    o->inits = (struct cpose_vec)CPOSE_VEC_INIT(Onnx__TensorProto *);
}

void orst_free(struct cpose_onnx_restate *o)
{
    for (size_t k = 0; k < o->owned.len; k++) cpose_free(CPOSE_VEC_AT(&o->owned, void *, k));
    cpose_vec_free(&o->owned), cpose_vec_free(&o->nodes), cpose_vec_free(&o->inits);
}

static void *own(struct cpose_onnx_restate *o, void *p)
{
    cpose_vec_push(&o->owned, &p);
    return p;
}
static char *ostr(struct cpose_onnx_restate *o, const char *s) { return own(o, cpose_strdup(s)); }

Onnx__NodeProto *orst_node(struct cpose_onnx_restate *o, const char *op, const char *layer, const char *const *ins, int n_in,
                              const char *out)
{
    Onnx__NodeProto *n = own(o, cpose_calloc(1, sizeof *n));
    onnx__node_proto__init(n);
    n->op_type = ostr(o, op);
    char *name = cpose_asprintf("%s/%s", layer, op);
    n->name = own(o, name);
    n->n_input = (size_t)n_in;
    n->input = own(o, cpose_calloc(n_in ? n_in : 1, sizeof(char *)));
    for (int k = 0; k < n_in; k++) n->input[k] = ostr(o, ins[k]);
    n->n_output = 1;
    n->output = own(o, cpose_calloc(1, sizeof(char *)));
    n->output[0] = ostr(o, out);
    cpose_vec_push(&o->nodes, &n);
    return n;
}

static Onnx__AttributeProto *oattr(struct cpose_onnx_restate *o, Onnx__NodeProto *n, const char *name)
{
    Onnx__AttributeProto *a = own(o, cpose_calloc(1, sizeof *a));
    onnx__attribute_proto__init(a);
    a->name = ostr(o, name);
    Onnx__AttributeProto **list = own(o, cpose_calloc(n->n_attribute + 1, sizeof *list));
    if (n->n_attribute) memcpy(list, n->attribute, n->n_attribute * sizeof *list);
    list[n->n_attribute++] = a;
    n->attribute = list;
    return a;
}
void orst_attr_int(struct cpose_onnx_restate *o, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = oattr(o, n, name);
    a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a->has_i = 1, a->i = v;
}
void orst_attr_ints(struct cpose_onnx_restate *o, Onnx__NodeProto *n, const char *name, const int64_t *v, int k)
{
    Onnx__AttributeProto *a = oattr(o, n, name);
    a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->n_ints = (size_t)k;
    a->ints = own(o, cpose_malloc((size_t)k * sizeof(int64_t)));
    memcpy(a->ints, v, (size_t)k * sizeof(int64_t));
}
void orst_attr_str(struct cpose_onnx_restate *o, Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = oattr(o, n, name);
    a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    a->has_s = 1, a->s.data = (uint8_t *)ostr(o, v), a->s.len = strlen(v);
}

/* An initializer (float32 data or int64 data); data copied. */
const char *orst_init(struct cpose_onnx_restate *o, const char *name, const int64_t *dims, int ndim, const float *f,
                         const int64_t *i64)
{
    Onnx__TensorProto *t = own(o, cpose_calloc(1, sizeof *t));
    onnx__tensor_proto__init(t);
    t->name = ostr(o, name);
    t->n_dims = (size_t)ndim;
    t->dims = own(o, cpose_malloc((size_t)(ndim ? ndim : 1) * sizeof(int64_t)));
    int64_t n = 1;
    for (int k = 0; k < ndim; k++) t->dims[k] = dims[k], n *= dims[k];
    t->has_data_type = 1;
    t->data_type = f ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    size_t bytes = (size_t)n * (f ? 4 : 8);
    t->has_raw_data = 1;
    t->raw_data.len = bytes;
    t->raw_data.data = own(o, cpose_malloc(bytes ? bytes : 1));
    memcpy(t->raw_data.data, f ? (const void *)f : (const void *)i64, bytes);
    cpose_vec_push(&o->inits, &t);
    return t->name;
}

const char *orst_ints(struct cpose_onnx_restate *o, const char *layer, const char *what, const int64_t *v, int n)
{
    char *name = cpose_asprintf("%s.%s", layer, what);
    int64_t d = n;
    const char *r = orst_init(o, name, &d, 1, NULL, v);
    cpose_free(name);
    return r;
}

Onnx__ValueInfoProto *orst_value_info(struct cpose_onnx_restate *o, const char *name, const int64_t *dims, int ndim)
{
    Onnx__ValueInfoProto *v = own(o, cpose_calloc(1, sizeof *v));
    onnx__value_info_proto__init(v);
    v->name = ostr(o, name);
    Onnx__TypeProto *t = own(o, cpose_calloc(1, sizeof *t));
    onnx__type_proto__init(t);
    Onnx__TypeProto__Tensor *tt = own(o, cpose_calloc(1, sizeof *tt));
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1, tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    Onnx__TensorShapeProto *sp = own(o, cpose_calloc(1, sizeof *sp));
    onnx__tensor_shape_proto__init(sp);
    sp->n_dim = (size_t)ndim;
    sp->dim = own(o, cpose_calloc(sp->n_dim, sizeof *sp->dim));
    for (size_t k = 0; k < sp->n_dim; k++) {
        Onnx__TensorShapeProto__Dimension *d = own(o, cpose_calloc(1, sizeof *d));
        onnx__tensor_shape_proto__dimension__init(d);
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = dims[k];
        sp->dim[k] = d;
    }
    tt->shape = sp;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, t->tensor_type = tt;
    v->type = t;
    return v;
}


int orst_import(struct cpose_onnx_restate *o, const char *path, const char *input, const int64_t *in_dims, int in_nd,
                const char *output, const int64_t *out_dims, int out_nd, const struct cpose_export_meta *meta,
                struct cpose_model **out)
{
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.name = "restated";
    g.n_node = o->nodes.len, g.node = (Onnx__NodeProto **)o->nodes.data;
    g.n_initializer = o->inits.len, g.initializer = (Onnx__TensorProto **)o->inits.data;
    Onnx__ValueInfoProto *gi = orst_value_info(o, input, in_dims, in_nd);
    Onnx__ValueInfoProto *go = orst_value_info(o, output, out_dims, out_nd);
    g.n_input = 1, g.input = &gi, g.n_output = 1, g.output = &go;
    Onnx__OperatorSetIdProto os = ONNX__OPERATOR_SET_ID_PROTO__INIT, *osp = &os;
    os.domain = "", os.has_version = 1, os.version = 13;
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1, m.ir_version = 7;
    m.n_opset_import = 1, m.opset_import = &osp;
    m.graph = &g;
    Onnx__StringStringEntryProto props[CPOSE_EXPORT_META_MAX], *pp[CPOSE_EXPORT_META_MAX];
    for (int k = 0; k < meta->n; k++) {
        onnx__string_string_entry_proto__init(&props[k]);
        props[k].key = meta->key[k], props[k].value = meta->value[k];
        pp[k] = &props[k];
    }
    m.n_metadata_props = (size_t)meta->n, m.metadata_props = pp;
    size_t len = onnx__model_proto__get_packed_size(&m);
    uint8_t *bytes = cpose_malloc(len);
    onnx__model_proto__pack(&m, bytes);
    int rc = cpose_onnx_model_load_mem(path, bytes, len, out);
    cpose_free(bytes);
    return rc;
}
