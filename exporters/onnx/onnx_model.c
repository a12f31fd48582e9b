/* exporters/onnx/onnx_model.c — the ONNX ModelProto written from the host's graph view with given
 * options (onnx_model.h): shared by the ONNX plugin and the plugins that start from ONNX (TensorRT). */
#include <string.h>

#include "exporters/onnx/onnx_graph.h"
#include "exporters/onnx/onnx_model.h"
#include "exporters/onnx/onnx_nms.h"

static Onnx__ValueInfoProto *value_info(struct onnx_builder *b, const char *name, int elem, int ndim, const int64_t *dims,
                                        const char *const *params)
{
    Onnx__ValueInfoProto *v = ob_alloc(b, sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = ob_strdup(b, name);
    Onnx__TypeProto *t = ob_alloc(b, sizeof *t);
    onnx__type_proto__init(t);
    Onnx__TypeProto__Tensor *tt = ob_alloc(b, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1, tt->elem_type = elem;
    Onnx__TensorShapeProto *s = ob_alloc(b, sizeof *s);
    onnx__tensor_shape_proto__init(s);
    s->n_dim = (size_t)ndim;
    s->dim = ob_alloc(b, (size_t)ndim * sizeof *s->dim);
    for (int i = 0; i < ndim; i++) {
        Onnx__TensorShapeProto__Dimension *d = ob_alloc(b, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (params && params[i]) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = ob_strdup(b, params[i]);
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        }
        s->dim[i] = d;
    }
    tt->shape = s;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->type = t;
    return v;
}

/* Gives the node producing `from` the output name `to` (the graph output must be named output0). */
static void rename_output(struct onnx_builder *b, const char *from, const char *to)
{
    for (size_t i = b->n_nodes; i-- > 0;)
        if (!strcmp(b->nodes[i]->output[0], from)) {
            b->nodes[i]->output[0] = ob_strdup(b, to);
            return;
        }
}

int onnx_write_model(const struct cpose_host *h, struct cpose_export *x, const char *out_path,
                     const struct onnx_model_opts *o)
{
    int opset = o->opset, half = o->half, dynamic = o->dynamic, nms = o->nms;
    const struct cpose_view *v = h->view(x);
    if (!v) return CPOSE_PLUGIN_EINVAL;
    const struct cpose_view_node *in = CPOSE_VIEW_NODE(v, v->input), *out = CPOSE_VIEW_NODE(v, v->output);
    struct onnx_builder b;
    onnx_builder_init(&b, h, x, opset, half, dynamic);
    int rc = CPOSE_PLUGIN_OK;
    const int elem = half ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    const char *input = "images", *result = NULL;
    if (half) {
        Onnx__NodeProto *c = ob_node(&b, "Cast", "images_to_float", &input, 1, "images_f32");
        ob_attr_int(&b, c, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
        input = "images_f32";
    }
    rc = onnx_translate_view(&b, v, input, &result);
    int64_t odims[3] = {out->dims[0], out->dims[1], out->dims[2]};
    const char *oparams[3] = {dynamic ? "batch" : NULL, NULL, dynamic ? "anchors" : NULL};
    if (rc == CPOSE_PLUGIN_OK && nms) {
        const struct cpose_plugin_meta *md = h->meta(x);
        struct onnx_nms_opts no = {o->conf, o->iou, o->max_det, md->n_names, (int)out->dims[1]};
        rc = onnx_append_nms(&b, result, &no, &result);
        odims[1] = no.max_det, odims[2] = 6 + out->dims[1] - 4 - md->n_names;
        oparams[2] = NULL;
    }
    if (rc == CPOSE_PLUGIN_OK) {
        if (half) {
            Onnx__NodeProto *c = ob_node(&b, "Cast", "output0_to_half", &result, 1, "output0");
            ob_attr_int(&b, c, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16);
        } else {
            rename_output(&b, result, "output0");
        }
        /* graph */
        Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
        g.name = "main_graph";
        g.n_node = b.n_nodes, g.node = b.nodes;
        g.n_initializer = b.n_inits, g.initializer = b.inits;
        const char *iparams[4] = {dynamic ? "batch" : NULL, NULL, dynamic ? "height" : NULL, dynamic ? "width" : NULL};
        Onnx__ValueInfoProto *gi = value_info(&b, "images", elem, 4, in->dims, iparams);
        Onnx__ValueInfoProto *go = value_info(&b, "output0", elem, 3, odims, oparams);
        g.n_input = 1, g.input = &gi;
        g.n_output = 1, g.output = &go;
        /* model */
        Onnx__OperatorSetIdProto os = ONNX__OPERATOR_SET_ID_PROTO__INIT, *osp = &os;
        os.domain = "", os.has_version = 1, os.version = opset;
        Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
        m.has_ir_version = 1, m.ir_version = opset >= 15 ? 8 : 7;  /* IR 8 came with opset 15 (onnx 1.10) */
        m.n_opset_import = 1, m.opset_import = &osp;
        m.producer_name = "cpose";
        m.producer_version = (char *)h->meta(x)->version;
        m.graph = &g;
        const char *const *keys = h->meta_keys(x);
        size_t nk = 0;
        while (keys[nk]) nk++;
        Onnx__StringStringEntryProto **props = ob_alloc(&b, (nk + 1) * sizeof *props);
        for (size_t i = 0; i < nk && rc == CPOSE_PLUGIN_OK; i++) {
            char *val = h->meta_text(x, keys[i], CPOSE_META_PYTHON);
            if (!val) {
                rc = CPOSE_PLUGIN_EINVAL;
                break;
            }
            props[i] = ob_alloc(&b, sizeof **props);
            onnx__string_string_entry_proto__init(props[i]);
            props[i]->key = ob_strdup(&b, keys[i]);
            props[i]->value = ob_strdup(&b, val);
            h->free(val);
        }
        m.n_metadata_props = nk, m.metadata_props = props;
        if (rc == CPOSE_PLUGIN_OK) {
            h->progress(x, 0.9, "onnx: serialise");
            size_t len = onnx__model_proto__get_packed_size(&m);
            uint8_t *buf = h->alloc(len);
            onnx__model_proto__pack(&m, buf);
            rc = h->write_file(x, out_path, buf, len);
            h->free(buf);
            h->progress(x, 1.0, "onnx: done");
            if (rc == CPOSE_PLUGIN_OK)
                h->log(x, CPOSE_PLUGIN_LOG_INFO, "opset %d, IR %lld, %zu nodes, %zu initializers%s%s%s", opset,
                       (long long)m.ir_version, b.n_nodes, b.n_inits, half ? ", fp16" : "", dynamic ? ", dynamic" : "",
                       nms ? ", NMS" : "");
        }
    }
    onnx_builder_free(&b);
    return rc;
}

