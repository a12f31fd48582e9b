/* exporters/onnx/onnx_nms.c — NMS in ONNX ops: single-label candidates (best class per anchor),
 * class-offset boxes as Ultralytics' non_max_suppression does (cls · 7680), NonMaxSuppression over
 * them as one class (so rows come in descending score per image), then the kept rows gathered and
 * scattered into a zero [B, max_det, 6 + nm] tensor at their rank within their image. */
#include "exporters/onnx/onnx_nms.h"

#include <string.h>

static const char *slice3(struct onnx_builder *b, const char *name, const char *x, int64_t axis, int64_t s, int64_t e)
{
    const int64_t one = 1;
    const char *in[4] = {x, ob_init_int64(b, ob_printf(b, "%s.starts", name), &one, 1, &s),
                         ob_init_int64(b, ob_printf(b, "%s.ends", name), &one, 1, &e),
                         ob_init_int64(b, ob_printf(b, "%s.axes", name), &one, 1, &axis)};
    return ob_node(b, "Slice", name, in, 4, NULL)->output[0];
}

static const char *reshape(struct onnx_builder *b, const char *name, const char *x, const int64_t *shape, int n)
{
    int64_t d = n;
    return ob_op2(b, "Reshape", name, x, ob_init_int64(b, ob_printf(b, "%s.shape", name), &d, 1, shape));
}

static const char *cast(struct onnx_builder *b, const char *name, const char *x, int to)
{
    Onnx__NodeProto *n = ob_node(b, "Cast", name, &x, 1, NULL);
    ob_attr_int(b, n, "to", to);
    return n->output[0];
}

static const char *concat(struct onnx_builder *b, const char *name, const char *const *in, int n, int axis)
{
    Onnx__NodeProto *c = ob_node(b, "Concat", name, in, n, NULL);
    ob_attr_int(b, c, "axis", axis);
    return c->output[0];
}

int onnx_append_nms(struct onnx_builder *b, const char *pred, const struct onnx_nms_opts *o, const char **out)
{
    const int F = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, I64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    int64_t C = o->channels, K = 6 + C - 4 - o->nc, one = 1;
    const int64_t perm[3] = {0, 2, 1};
    Onnx__NodeProto *t = ob_node(b, "Transpose", "nms.transpose", &pred, 1, NULL);
    ob_attr_ints(b, t, "perm", perm, 3);
    const char *P = t->output[0];                                           /* [B, A, C] */
    const char *xy = slice3(b, "nms.xy", P, 2, 0, 2), *wh = slice3(b, "nms.wh", P, 2, 2, 4);
    float halfv = 0.5f, maxwh = 7680.0f;
    const char *hw = ob_op2(b, "Mul", "nms.half_wh", wh, ob_init_float(b, "nms.half", &one, 1, &halfv));
    const char *p1 = ob_op2(b, "Sub", "nms.x1y1", xy, hw), *p2 = ob_op2(b, "Add", "nms.x2y2", xy, hw);
    const char *pp[2] = {p1, p2};
    const char *xyxy = concat(b, "nms.xyxy", pp, 2, 2);                     /* [B, A, 4] */
    const char *scores = slice3(b, "nms.scores", P, 2, 4, 4 + o->nc);       /* [B, A, nc] */
    Onnx__NodeProto *rm = ob_node(b, "ReduceMax", "nms.conf", &scores, 1, NULL);
    const int64_t ax2 = 2;
    ob_attr_ints(b, rm, "axes", &ax2, 1);
    ob_attr_int(b, rm, "keepdims", 1);
    const char *conf = rm->output[0];                                       /* [B, A, 1] */
    Onnx__NodeProto *am = ob_node(b, "ArgMax", "nms.cls", &scores, 1, NULL);
    ob_attr_int(b, am, "axis", 2);
    ob_attr_int(b, am, "keepdims", 1);
    const char *cls = cast(b, "nms.cls_f", am->output[0], F);               /* [B, A, 1] */
    const char *extra = slice3(b, "nms.extra", P, 2, 4 + o->nc, C);         /* [B, A, nm] */
    const char *rp[4] = {xyxy, conf, cls, extra};
    const char *rows = concat(b, "nms.rows", rp, 4, 2);                     /* [B, A, K] */
    /* boxes of different classes never suppress each other: offset by cls · max_wh */
    const char *off = ob_op2(b, "Mul", "nms.offset", cls, ob_init_float(b, "nms.max_wh", &one, 1, &maxwh));
    const char *boxes = ob_op2(b, "Add", "nms.boxes", xyxy, off);
    Onnx__NodeProto *st = ob_node(b, "Transpose", "nms.score_t", &conf, 1, NULL);
    ob_attr_ints(b, st, "perm", perm, 3);                                   /* [B, 1, A] */
    int64_t md = o->max_det;
    float iou = (float)o->iou, cth = (float)o->conf;
    const char *ni[5] = {boxes, st->output[0], ob_init_int64(b, "nms.max_det", &one, 1, &md),
                         ob_init_float(b, "nms.iou", &one, 1, &iou), ob_init_float(b, "nms.conf_thres", &one, 1, &cth)};
    const char *sel = ob_node(b, "NonMaxSuppression", "nms.nms", ni, 5, NULL)->output[0]; /* [N, 3] */
    const char *bi = slice3(b, "nms.sel_b", sel, 1, 0, 1), *ai = slice3(b, "nms.sel_a", sel, 1, 2, 3); /* [N, 1] */
    const char *ba[2] = {bi, ai};
    const char *gi = concat(b, "nms.gather_idx", ba, 2, 1);
    const char *kept = ob_op2(b, "GatherND", "nms.kept", rows, gi);         /* [N, K] */
    /* rank of each kept row within its image: its index minus the count of rows of earlier images */
    const int64_t row[2] = {1, -1}, col[2] = {-1, 1}, flat[1] = {-1};
    const char *bv = reshape(b, "nms.b_vec", bi, flat, 1);                  /* [N] */
    const char *less = ob_op2(b, "Less", "nms.less", reshape(b, "nms.b_row", bv, row, 2), reshape(b, "nms.b_col", bv, col, 2));
    const char *lessi = cast(b, "nms.less_i", less, I64);                   /* [N, N]: b_k < b_j at [j, k] */
    Onnx__NodeProto *rs;
    const int64_t ax1 = 1;
    if (b->opset >= 13) {
        const char *ri[2] = {lessi, ob_init_int64(b, "nms.sum_axes", &one, 1, &ax1)};
        rs = ob_node(b, "ReduceSum", "nms.before", ri, 2, NULL);
    } else {
        rs = ob_node(b, "ReduceSum", "nms.before", &lessi, 1, NULL);
        ob_attr_ints(b, rs, "axes", &ax1, 1);
    }
    ob_attr_int(b, rs, "keepdims", 0);
    const char *nshape = ob_op1(b, "Shape", "nms.n_shape", bv);
    int64_t zero = 0, step = 1;
    const char *ri[3] = {ob_init_int64(b, "nms.r0", NULL, 0, &zero),
                         reshape(b, "nms.n", nshape, (const int64_t[]){-1}, 0) /* scalar N */,
                         ob_init_int64(b, "nms.r1", NULL, 0, &step)};
    const char *idx = ob_node(b, "Range", "nms.idx", ri, 3, NULL)->output[0];  /* [N] */
    const char *pos = ob_op2(b, "Sub", "nms.pos", idx, rs->output[0]);
    const char *sp[2] = {bv, pos};
    const char *scat = concat(b, "nms.scatter_idx", (const char *[]){reshape(b, "nms.b_c", sp[0], col, 2),
                                                                     reshape(b, "nms.p_c", sp[1], col, 2)}, 2, 1);
    /* zeros [B, max_det, K] */
    const char *pshape = ob_op1(b, "Shape", "nms.pred_shape", pred);
    const char *bdim = slice3(b, "nms.batch", pshape, 0, 0, 1);
    const int64_t mk[2] = {o->max_det, K};
    int64_t two = 2;
    const char *zs[2] = {bdim, ob_init_int64(b, "nms.md_k", &two, 1, mk)};
    const char *zshape = concat(b, "nms.zero_shape", zs, 2, 0);
    Onnx__NodeProto *zeros = ob_node(b, "ConstantOfShape", "nms.zeros", &zshape, 1, NULL);
    Onnx__TensorProto *zv = ob_alloc(b, sizeof *zv);  /* value attribute: float 0 [1] */
    onnx__tensor_proto__init(zv);
    zv->n_dims = 1, zv->dims = ob_alloc(b, sizeof(int64_t)), zv->dims[0] = 1;
    zv->has_data_type = 1, zv->data_type = F;
    zv->has_raw_data = 1, zv->raw_data.len = 4, zv->raw_data.data = ob_alloc(b, 4);
    Onnx__AttributeProto *a = ob_alloc(b, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = ob_strdup(b, "value"), a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, a->t = zv;
    zeros->n_attribute = 1, zeros->attribute = ob_alloc(b, sizeof a), zeros->attribute[0] = a;
    const char *si[3] = {zeros->output[0], scat, kept};
    *out = ob_node(b, "ScatterND", "nms.out", si, 3, NULL)->output[0];
    return 0;
}
