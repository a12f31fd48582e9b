/* core/nn/coreml_restate.c — checked MIL operations restated as ONNX nodes for cpose's ONNX import
 * (contract in core/nn/coreml_read.h): the image scale folded into the input, casts as identities,
 * conv pads reordered ([t, b, l, r] → [t, l, b, r]), silu as Sigmoid + Mul, slice_by_index as one
 * Slice per cut axis, upsample as Resize (nearest, asymmetric, floor). */
#include <math.h>
#include <string.h>

#include "core/nn/coreml_read.h"

/* The const value bound to parameter name (NULL if absent); fails when bound to a computed value. */
/* The ONNX name of value k; a float const gets its initializer the first time it is read. */
static const char *onnx_in(struct cml_reader *r, struct cpose_onnx_restate *o, int k)
{
    struct cml_value *v = &r->v[k];
    if (v->is_const && !v->emitted) {
        int64_t d[CM_MAX_DIMS];
        memcpy(d, v->d, sizeof d);
        orst_init(o, v->onnx, d, v->ndim, v->f, NULL);
        v->emitted = 1;
    }
    return v->onnx;
}

/* Restates op (checked) as ONNX nodes; out is its output value. */
int cml_restate(struct cml_reader *r, struct cpose_onnx_restate *o, const char *type, const struct cml_arg *ps, int np,
                   struct cml_value *out, int image_input)
{
    const char *layer = out->name;
    int x = cml_param(ps, np, "x") ? cml_param(ps, np, "x")->arg[0] : -1;
    struct cml_value *xv = x >= 0 ? &r->v[x] : NULL;
    int rc;
    if (!strcmp(type, "mul") && image_input >= 0 && x == image_input) {
        struct cml_value *y = &r->v[cml_param(ps, np, "y")->arg[0]];
        if (!y->is_const || y->numel != 1 || fabsf(y->f[0] * 255.0f - 1.0f) > 1e-5f)
            RERR(CPOSE_ENOTSUP, "the image input must be scaled by one constant 1/255 (the ImageType scale Ultralytics sets)");
        snprintf(out->onnx, sizeof out->onnx, "%s", xv->onnx);  /* the [0, 1] image cpose takes */
        return CPOSE_OK;
    }
    if (image_input >= 0 && x != image_input)
        for (int k = 0; k < np; k++)
            for (int q = 0; q < ps[k].n; q++)
                if (ps[k].arg[q] == image_input)
                    RERR(CPOSE_ENOTSUP, "reads the unscaled image input: its first use must be mul by 1/255");
    if (image_input >= 0 && x == image_input) RERR(CPOSE_ENOTSUP, "reads the unscaled image input: its first use must be mul by 1/255");
    if (!strcmp(type, "cast")) {
        const char *dt;
        if ((rc = cml_str_param(r, ps, np, "dtype", &dt, NULL))) return rc;
        if (!dt || (strcmp(dt, "fp16") && strcmp(dt, "fp32")))
            RERR(CPOSE_ENOTSUP, "cast to '%s' (fp16/fp32 casts are read)", dt ? dt : "");
        if (out->dtype != (!strcmp(dt, "fp16") ? CML_DT_FP16 : CML_DT_FP32)) RERR(CPOSE_EINVAL, "output type differs from dtype '%s'", dt);
        snprintf(out->onnx, sizeof out->onnx, "%s", onnx_in(r, o, x));  /* cpose computes in fp32 */
        return CPOSE_OK;
    }
    if (!strcmp(type, "conv")) {
        struct cml_value *w;
        if ((rc = cml_const_param(r, ps, np, "weight", &w))) return rc;
        if (!w || w->ndim != 4) RERR(CPOSE_ENOTSUP, "weight must be a 4-D constant (OIHW)");
        int64_t st[2], dl[2], pad[4] = {0, 0, 0, 0}, g, one2[2] = {1, 1}, one = 1, zero4[4] = {0, 0, 0, 0};
        const char *pt;
        if ((rc = cml_int_param(r, ps, np, "strides", st, 2, one2)) || (rc = cml_int_param(r, ps, np, "dilations", dl, 2, one2)) ||
            (rc = cml_int_param(r, ps, np, "groups", &g, 1, &one)) || (rc = cml_str_param(r, ps, np, "pad_type", &pt, "valid")))
            return rc;
        if (!strcmp(pt, "custom")) {
            if ((rc = cml_int_param(r, ps, np, "pad", pad, 4, zero4))) return rc;
        } else if (strcmp(pt, "valid")) {
            RERR(CPOSE_ENOTSUP, "pad_type '%s' (custom and valid are read)", pt);
        }
        if (xv->ndim != 4 || w->d[1] * g != xv->d[1])
            RERR(CPOSE_ESHAPE, "weight [%lld, %lld, ...] × groups %lld does not match x's %lld channels", (long long)w->d[0],
                 (long long)w->d[1], (long long)g, (long long)(xv->ndim > 1 ? xv->d[1] : 0));
        const char *cin[3] = {onnx_in(r, o, x), onnx_in(r, o, (int)(w - r->v)), NULL};
        struct cml_value *b;
        if ((rc = cml_const_param(r, ps, np, "bias", &b))) return rc;
        if (b) {
            if (b->numel != w->d[0]) RERR(CPOSE_ESHAPE, "bias of %lld values for %lld filters", (long long)b->numel, (long long)w->d[0]);
            cin[2] = onnx_in(r, o, (int)(b - r->v));
        }
        Onnx__NodeProto *n = orst_node(o, "Conv", layer, cin, b ? 3 : 2, out->onnx);
        const int64_t opads[4] = {pad[0], pad[2], pad[1], pad[3]};  /* MIL [t, b, l, r] → ONNX [t, l, b, r] */
        orst_attr_ints(o, n, "strides", st, 2), orst_attr_ints(o, n, "dilations", dl, 2), orst_attr_ints(o, n, "pads", opads, 4);
        orst_attr_int(o, n, "group", g);
        return CPOSE_OK;
    }
    if (!strcmp(type, "silu")) {
        char nm[340];
        snprintf(nm, sizeof nm, "%s__sigmoid", out->onnx);
        const char *in = onnx_in(r, o, x);
        orst_node(o, "Sigmoid", layer, &in, 1, nm);
        const char *m2[2] = {in, nm};
        orst_node(o, "Mul", layer, m2, 2, out->onnx);
        return CPOSE_OK;
    }
    static const char *const simple[][2] = {{"sigmoid", "Sigmoid"}, {"add", "Add"}, {"sub", "Sub"}, {"mul", "Mul"},
                                            {"real_div", "Div"}, {NULL, NULL}};
    for (int k = 0; simple[k][0]; k++)
        if (!strcmp(type, simple[k][0])) {
            const char *ins[2] = {onnx_in(r, o, x), k ? onnx_in(r, o, cml_param(ps, np, "y")->arg[0]) : NULL};
            orst_node(o, simple[k][1], layer, ins, k ? 2 : 1, out->onnx);
            return CPOSE_OK;
        }
    if (!strcmp(type, "concat")) {
        int64_t ax, il = 0, zero = 0;
        if ((rc = cml_int_param(r, ps, np, "axis", &ax, 1, NULL)) || (rc = cml_int_param(r, ps, np, "interleave", &il, 1, &zero))) return rc;
        if (il) RERR(CPOSE_ENOTSUP, "interleave=true");
        const struct cml_arg *vals = cml_param(ps, np, "values");
        const char *ins[CM_MAX_ARGS];
        for (int k = 0; k < vals->n; k++) ins[k] = onnx_in(r, o, vals->arg[k]);
        orst_attr_int(o, orst_node(o, "Concat", layer, ins, vals->n, out->onnx), "axis", ax);
        return CPOSE_OK;
    }
    if (!strcmp(type, "slice_by_index")) {
        int nd = xv->ndim;
        int64_t be[CM_MAX_DIMS], en[CM_MAX_DIMS], st[CM_MAX_DIMS], bm[CM_MAX_DIMS], em[CM_MAX_DIMS], sm[CM_MAX_DIMS], ones[CM_MAX_DIMS],
            zeros[CM_MAX_DIMS];
        for (int k = 0; k < nd; k++) ones[k] = 1, zeros[k] = 0;
        if ((rc = cml_int_param(r, ps, np, "begin", be, nd, NULL)) || (rc = cml_int_param(r, ps, np, "end", en, nd, NULL)) ||
            (rc = cml_int_param(r, ps, np, "stride", st, nd, ones)) || (rc = cml_int_param(r, ps, np, "begin_mask", bm, nd, zeros)) ||
            (rc = cml_int_param(r, ps, np, "end_mask", em, nd, zeros)) || (rc = cml_int_param(r, ps, np, "squeeze_mask", sm, nd, zeros)))
            return rc;
        const char *cur = onnx_in(r, o, x);
        int n_sliced = 0;
        for (int k = 0; k < nd; k++) {
            if (sm[k]) RERR(CPOSE_ENOTSUP, "squeeze_mask on axis %d", k);
            if (st[k] != 1) RERR(CPOSE_ENOTSUP, "stride %lld on axis %d (1 is read)", (long long)st[k], k);
            int64_t b = bm[k] ? 0 : be[k] < 0 ? be[k] + xv->d[k] : be[k], e = em[k] ? xv->d[k] : en[k] < 0 ? en[k] + xv->d[k] : en[k];
            if (b < 0 || e > xv->d[k] || b >= e) RERR(CPOSE_ESHAPE, "axis %d: range [%lld, %lld) of %lld", k, (long long)b, (long long)e, (long long)xv->d[k]);
            if (e - b != out->d[k]) RERR(CPOSE_ESHAPE, "axis %d: %lld values but the output type says %lld", k, (long long)(e - b), (long long)out->d[k]);
            if (b == 0 && e == xv->d[k]) continue;
            char what[32], nm[340];
            snprintf(nm, sizeof nm, "%s__s%d", out->onnx, k);
            int64_t ax = k;
            snprintf(what, sizeof what, "starts%d", k);
            const char *si[5] = {cur, orst_ints(o, layer, what, &b, 1), NULL, NULL, NULL};
            snprintf(what, sizeof what, "ends%d", k), si[2] = orst_ints(o, layer, what, &e, 1);
            snprintf(what, sizeof what, "axes%d", k), si[3] = orst_ints(o, layer, what, &ax, 1);
            snprintf(what, sizeof what, "steps%d", k), si[4] = orst_ints(o, layer, what, &ones[0], 1);
            n_sliced++;
            Onnx__NodeProto *n = orst_node(o, "Slice", layer, si, 5, nm);
            cur = n->output[0];
        }
        if (!n_sliced) orst_node(o, "Identity", layer, &cur, 1, out->onnx);
        else snprintf(out->onnx, sizeof out->onnx, "%s", cur);
        return CPOSE_OK;
    }
    if (!strcmp(type, "max_pool")) {
        int64_t k[2], st[2], pad[4] = {0, 0, 0, 0}, cm = 0, zero = 0, zero4[4] = {0, 0, 0, 0}, one2[2] = {1, 1};
        const char *pt;
        if ((rc = cml_int_param(r, ps, np, "kernel_sizes", k, 2, NULL)) || (rc = cml_int_param(r, ps, np, "strides", st, 2, one2)) ||
            (rc = cml_int_param(r, ps, np, "ceil_mode", &cm, 1, &zero)) || (rc = cml_str_param(r, ps, np, "pad_type", &pt, NULL)))
            return rc;
        if (!strcmp(pt, "custom")) {
            if ((rc = cml_int_param(r, ps, np, "pad", pad, 4, zero4))) return rc;
        } else if (strcmp(pt, "valid")) {
            RERR(CPOSE_ENOTSUP, "pad_type '%s' (custom and valid are read)", pt);
        }
        if (cm) RERR(CPOSE_ENOTSUP, "ceil_mode=true");
        const char *in = onnx_in(r, o, x);
        Onnx__NodeProto *n = orst_node(o, "MaxPool", layer, &in, 1, out->onnx);
        const int64_t opads[4] = {pad[0], pad[2], pad[1], pad[3]};
        orst_attr_ints(o, n, "kernel_shape", k, 2), orst_attr_ints(o, n, "strides", st, 2), orst_attr_ints(o, n, "pads", opads, 4);
        return CPOSE_OK;
    }
    if (!strcmp(type, "upsample_nearest_neighbor")) {
        struct cml_value *sh, *sw;
        if ((rc = cml_const_param(r, ps, np, "scale_factor_height", &sh)) || (rc = cml_const_param(r, ps, np, "scale_factor_width", &sw)))
            return rc;
        if ((sh && sh->numel != 1) || (sw && sw->numel != 1)) RERR(CPOSE_EINVAL, "scale factors must be scalars");
        float s4[4] = {1, 1, sh ? sh->f[0] : 1, sw ? sw->f[0] : 1};
        int64_t four = 4;
        char nm[340];
        snprintf(nm, sizeof nm, "%s.scales4", layer);
        const char *ri[3] = {onnx_in(r, o, x), "", orst_init(o, nm, &four, 1, s4, NULL)};
        Onnx__NodeProto *n = orst_node(o, "Resize", layer, ri, 3, out->onnx);
        orst_attr_str(o, n, "mode", "nearest");
        orst_attr_str(o, n, "coordinate_transformation_mode", "asymmetric");
        orst_attr_str(o, n, "nearest_mode", "floor");
        return CPOSE_OK;
    }
    if (!strcmp(type, "reshape")) {
        struct cml_value *s;
        if ((rc = cml_const_param(r, ps, np, "shape", &s))) return rc;
        if (!s || s->numel < 1 || s->numel > CM_MAX_DIMS) RERR(CPOSE_EINVAL, "shape must be a constant of 1 to %d values", CM_MAX_DIMS);
        const char *ri[2] = {onnx_in(r, o, x), orst_ints(o, layer, "shape", s->i, (int)s->numel)};
        orst_node(o, "Reshape", layer, ri, 2, out->onnx);
        return CPOSE_OK;
    }
    if (!strcmp(type, "transpose")) {
        int64_t perm[CM_MAX_DIMS];
        if ((rc = cml_int_param(r, ps, np, "perm", perm, xv->ndim, NULL))) return rc;
        const char *in = onnx_in(r, o, x);
        orst_attr_ints(o, orst_node(o, "Transpose", layer, &in, 1, out->onnx), "perm", perm, xv->ndim);
        return CPOSE_OK;
    }
    if (!strcmp(type, "softmax")) {
        int64_t ax, last = -1;
        if ((rc = cml_int_param(r, ps, np, "axis", &ax, 1, &last))) return rc;
        const char *in = onnx_in(r, o, x);
        orst_attr_int(o, orst_node(o, "Softmax", layer, &in, 1, out->onnx), "axis", ax);
        return CPOSE_OK;
    }
    RERR(CPOSE_ENOTSUP, "no ONNX restatement");
}
