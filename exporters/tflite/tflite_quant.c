/* exporters/tflite/tflite_quant.c — the int8 activation parameters of the NHWC TF graph from the
 * view's calibration ranges (tflite_quant.h). */
#include "exporters/tflite/tflite_quant.h"

#include <float.h>
#include <string.h>

static float fmin4(float a, float b, float c, float d)
{
    float m = a < b ? a : b;
    m = m < c ? m : c;
    return m < d ? m : d;
}

static float fmax4(float a, float b, float c, float d)
{
    float m = a > b ? a : b;
    m = m > c ? m : c;
    return m > d ? m : d;
}

int tflite_int8_params(const struct tfg_graph *g, const struct cpose_view *v, const struct cpose_value_range *ranges,
                       struct tflite_qparams *act)
{
    const struct cpose_host *h = g->h;
    struct cpose_value_range *r = h->alloc((size_t)g->n_values * sizeof *r);
    char *known = h->calloc((size_t)g->n_values, 1);
    /* ranges by name: the rewrite names a view node's value after the node */
    for (int i = 0; i < g->n_values; i++) {
        const struct tfg_value *val = &g->values[i];
        if (val->data) {  /* constants: their own range, for the interval arithmetic below */
            float lo = FLT_MAX, hi = -FLT_MAX;
            for (int64_t k = 0; k < tfg_numel(val); k++)
                lo = val->data[k] < lo ? val->data[k] : lo, hi = val->data[k] > hi ? val->data[k] : hi;
            r[i].min = lo, r[i].max = hi, known[i] = 1;
            continue;
        }
        for (int n = 0; n < v->n_nodes && !known[i]; n++)
            if (!strcmp(CPOSE_VIEW_NODE(v, n)->name, val->name)) r[i] = ranges[n], known[i] = 1;
    }
    r[g->input] = ranges[v->input], known[g->input] = 1;
    act[g->input] = tflite_qparams_of(r[g->input].min, r[g->input].max);
    int rc = 0;
    for (int k = 0; k < g->n_ops && rc == 0; k++) {
        const struct tfg_op *op = &g->ops[k];
        int o = op->out, a = op->in[0], b = op->n_in > 1 ? op->in[1] : -1;
        switch (op->kind) {
        case TFG_LOGISTIC:
        case TFG_SOFTMAX:
            act[o].scale = 1.0f / 256.0f, act[o].zero_point = -128;
            r[o].min = 0, r[o].max = 1, known[o] = 1;
            break;
        case TFG_RESHAPE: case TFG_TRANSPOSE: case TFG_SLICE: case TFG_PAD: case TFG_MAXPOOL: case TFG_RESIZE_NEAREST:
            act[o] = act[a], r[o] = r[a], known[o] = 1;
            break;
        case TFG_DIV:
            rc = h->error(g->x, CPOSE_PLUGIN_ENOTSUP, "int8: '%s' (DIV) has no int8 kernel in TFLite", op->src);
            break;
        case TFG_CONCAT:  /* the hull of its inputs (a view range by name would miss normalised inputs) */
            r[o].min = FLT_MAX, r[o].max = -FLT_MAX;
            for (int j = 0; j < op->n_in; j++) {
                r[o].min = r[op->in[j]].min < r[o].min ? r[op->in[j]].min : r[o].min;
                r[o].max = r[op->in[j]].max > r[o].max ? r[op->in[j]].max : r[o].max;
            }
            known[o] = 1;
            act[o] = tflite_qparams_of(r[o].min, r[o].max);
            break;
        default:
            if (!known[o]) {
                if ((op->kind == TFG_ADD || op->kind == TFG_SUB || op->kind == TFG_MUL) && b >= 0 && known[a] && known[b]) {
                    float a0 = r[a].min, a1 = r[a].max, b0 = r[b].min, b1 = r[b].max;
                    if (op->kind == TFG_ADD) r[o].min = a0 + b0, r[o].max = a1 + b1;
                    else if (op->kind == TFG_SUB) r[o].min = a0 - b1, r[o].max = a1 - b0;
                    else r[o].min = fmin4(a0 * b0, a0 * b1, a1 * b0, a1 * b1), r[o].max = fmax4(a0 * b0, a0 * b1, a1 * b0, a1 * b1);
                    known[o] = 1;
                }
            }
            if (!known[o]) {
                rc = h->error(g->x, CPOSE_PLUGIN_EINVAL, "int8: no calibration range for '%s' (%s of '%s')",
                              g->values[o].name, tfg_op_name(op->kind), op->src);
                break;
            }
            act[o] = tflite_qparams_of(r[o].min, r[o].max);
        }
    }
    h->free(r), h->free(known);
    return rc;
}
