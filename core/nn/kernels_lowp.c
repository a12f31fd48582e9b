/* core/nn/kernels_lowp.c — bf16 and int8 convolution of one conv node on oneDNN 2.6 (kernels_lowp.h):
 * a reorder that converts (and for int8 scales) the float32 activation into a buffer the kernel owns
 * (for int8 in NHWC on AVX2 cpose's conversion loop instead, kernels_quant.h, gathered parts in one pass),
 * the low-precision convolution with float32 output, and the weights packed once in bf16 or s8. A
 * conv whose readers are all low-precision convs at one input scale (p->lowp_to) writes its output
 * straight in their source type instead, and they skip their conversion (p->lowp_from). A conv that
 * gathers a concat or a slice (p->n_gather) converts each concat input, or the slice's channels of
 * its input, into its channel range of the source buffer, one reorder per part, and the concat or
 * slice itself never runs. cpose's own kernels take some convs instead of oneDNN's: the int16
 * Winograd (kernels_wino_int8.h) and, for an int8 first conv on the float32 image, the stem
 * (kernels_stem.h: no converter, no oneDNN primitive). The convolution is made again for another
 * OpenMP thread count when a forward runs on one (struct cpose_conv_threads: a kernel made inside a
 * forward that the load-adaptive executor gave one thread would otherwise run on one thread ever
 * after). */
#include "core/nn/kernels_lowp.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_gemm_int8.h"
#include "core/nn/kernels_quant.h"
#include "core/nn/kernels_stem.h"
#include "core/nn/kernels_wino_int8.h"
#include "core/base/log.h"

#include <dnnl_debug.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cpose_lowp {
    dnnl_primitive_t quant, conv;          /* f32 activation → src type; the convolution */
    dnnl_memory_t src_f32, src_q, wts, bias, dst, res;
    void *qbuf, *wbuf;                     /* converted source, packed weights (owned) */
    void *obuf;                            /* hand-off: the output in the reader's source type (owned) */
    int hand_in;                           /* the source comes converted from the producer's obuf */
    int n_parts;                           /* gathered concat inputs (0: the source is one tensor) */
    dnnl_primitive_t part_quant[CPOSE_GATHER_MAX];           /* each input → its channels of qbuf */
    dnnl_memory_t part_f32[CPOSE_GATHER_MAX], part_q[CPOSE_GATHER_MAX];
    int reference;                         /* oneDNN chose its reference (slow) implementation */
    float *obias, *oscale;                 /* int8: bias in accumulator units, output scales (owned) */
    int32_t *accbuf;                       /* own_epi: oneDNN's int32 sums (owned) */
    const float *fbias;                    /* own_epi: the conv's float32 bias (p->bias, not owned; NULL without one) */
    int own_epi;                           /* int8 SiLU conv on oneDNN: int32 sums, cpose's epilogue (cpose_i8_finish_nhwc) */
    int res_arg;
    char impl[80];
    struct cpose_conv_threads thr;         /* conv for other thread counts */
    struct cpose_wino_i8 *wino;            /* int8 3×3 s1 convs: cpose's Winograd, built instead of conv */
    struct cpose_stem *stem;               /* an int8 first conv: cpose's float32 stem, instead of quant and conv */
    struct cpose_gemm_i8 *gemm;            /* int8 1×1 and 3×3 stride-2 convs: cpose's u8·s8 GEMM, built instead of conv */
    int own_dst;                           /* cpose's kernels: the output kind (enum cpose_i8_dst) */
    float own_to_scale;                    /* and the hand-off scale */
    int act;                               /* the conv's activation (for cpose's kernels) */
    int own_quant;                         /* int8 NHWC: cpose's conversion (kernels_quant.h) instead of quant / part_quant */
    int q_signed, cin;                     /* for it: s8 (else u8) and the source's channels */
    float sscale;                          /* and the input scale */
    dnnl_engine_t eng;                     /* the engine it was built on (not owned) */
};

#define LP_TRY(call)                                                                                      \
    do {                                                                                                  \
        dnnl_status_t st_ = (call);                                                                       \
        if (st_ != dnnl_success) {                                                                        \
            rc = cpose_err(CPOSE_EINVAL, "oneDNN (%s conv): %s failed (%s)", prec_name(p->prec), #call,   \
                           dnnl_status2str(st_));                                                         \
            goto fail;                                                                                    \
        }                                                                                                 \
    } while (0)

static const char *prec_name(int prec) { return prec == CPOSE_PREC_BF16 ? "bf16" : prec == CPOSE_PREC_INT8 ? "int8" : "f32"; }

static dnnl_format_tag_t tag_of(int layout)
{
    switch (layout) {
    case CPOSE_LAYOUT_NHWC: return dnnl_nhwc;
    case CPOSE_LAYOUT_BLK8: return dnnl_nChw8c;
    case CPOSE_LAYOUT_BLK16: return dnnl_nChw16c;
    default: return dnnl_nchw;
    }
}

void cpose_lowp_free(struct cpose_lowp *lp)
{
    if (!lp) return;
    if (lp->quant) dnnl_primitive_destroy(lp->quant);
    if (lp->conv) dnnl_primitive_destroy(lp->conv);
    cpose_conv_threads_free(&lp->thr);
    cpose_wino_i8_free(lp->wino);
    cpose_stem_free(lp->stem);
    cpose_gemm_i8_free(lp->gemm);
    for (int k = 0; k < lp->n_parts; k++) {
        if (lp->part_quant[k]) dnnl_primitive_destroy(lp->part_quant[k]);
        if (lp->part_f32[k]) dnnl_memory_destroy(lp->part_f32[k]);
        if (lp->part_q[k]) dnnl_memory_destroy(lp->part_q[k]);
    }
    dnnl_memory_t mems[6] = {lp->src_f32, lp->src_q, lp->wts, lp->bias, lp->dst, lp->res};
    for (int i = 0; i < 6; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    free(lp->qbuf), free(lp->wbuf), free(lp->obuf), free(lp->accbuf);
    cpose_free(lp->obias), cpose_free(lp->oscale);
    cpose_free(lp);
}

const char *cpose_lowp_impl(const struct cpose_lowp *lp) { return lp ? lp->impl : ""; }
const void *cpose_lowp_handoff(const struct cpose_lowp *lp) { return lp ? lp->obuf : NULL; }
int cpose_lowp_is_reference(const struct cpose_lowp *lp) { return lp && lp->reference; }
const struct cpose_conv_threads *cpose_lowp_threads(const struct cpose_lowp *lp) { return &lp->thr; }

/* The scale that maps the calibrated input range onto the integer type: s8 (±127) when the range
 * has negative values, else u8 (0..255). A degenerate range gets a tiny one (all values ≈ 0).
 * Without VNNI, oneDNN multiplies u8 by s8 with vpmaddubsw, which adds each pair of products into a
 * saturating s16: 2·255·127 = 64770 overflows it, so there u8 inputs use 0..127 (2·127·127 = 32258
 * fits). oneDNN guards its s8-input path itself (weights at half scale). Measured on an AVX2 CPU: a
 * 64→32 1×1 conv on a non-negative input went from 8.7 % to <1 % relative RMS error (tests/test_lowp.c). */
static float input_scale(const struct cpose_conv2d_params *p, dnnl_data_type_t *dt)
{
    float lo = p->in_lo, hi = p->in_hi;
    float amax = fmaxf(fabsf(lo), fabsf(hi));
    if (!(amax > 1e-12f)) amax = 1e-12f;
    *dt = lo < 0 ? dnnl_s8 : dnnl_u8;
    return (lo < 0 || !cpose_cpu_has_vnni() ? 127.0f : 255.0f) / amax;
}

/* A reorder primitive from → to, with output scales (count 0: none; mask as oneDNN's). */
static int make_reorder(dnnl_engine_t eng, const struct cpose_conv2d_params *p, const dnnl_memory_desc_t *from,
                        const dnnl_memory_desc_t *to, int count, int mask, const float *scales, dnnl_primitive_t *out)
{
    int rc = CPOSE_OK;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    LP_TRY(dnnl_primitive_attr_create(&attr));
    if (count) LP_TRY(dnnl_primitive_attr_set_output_scales(attr, count, mask, scales));
    LP_TRY(dnnl_reorder_primitive_desc_create(&rpd, from, eng, to, eng, attr));
    LP_TRY(dnnl_primitive_create(out, rpd));
fail:
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return rc;
}

/* How the source reaches the kernel, for its implementation name: from the producer (<hand-off),
 * gathered from a concat's inputs or a slice (<gather), converted by cpose's loop (:avx2, <cvt:avx2)
 * or by a oneDNN reorder (nothing more). */
static const char *source_tag(const struct cpose_lowp *lp, const struct cpose_conv2d_params *p)
{
    if (lp->hand_in) return " <hand-off";
    if (p->n_gather) return lp->own_quant ? " <gather:avx2" : " <gather";
    return lp->own_quant ? " <cvt:avx2" : "";
}

static int alloc64(void **ptr, size_t bytes)
{
    if (posix_memalign(ptr, 64, bytes ? bytes : 64) != 0) {
        *ptr = NULL;
        return cpose_err(CPOSE_ENOMEM, "low-precision conv: cannot allocate %zu bytes", bytes);
    }
    return CPOSE_OK;
}

/* Whether the gathered source (p->n_gather) fits the conv: each part's channels of a tensor in in's
 * layout and batch/spatial shape (an upsampled part's times its scale), together in's channels. */
static int gather_fits(const struct cpose_conv2d_params *p, const struct cpose_tensor *in)
{
    int64_t off = 0;
    for (int k = 0; k < p->n_gather; k++) {
        const struct cpose_tensor *t = p->gather[k].t;
        int c0 = p->gather[k].c0, len = p->gather[k].len, up = p->gather[k].up > 1 ? p->gather[k].up : 1;
        if (t->ndim != 4 || t->layout != in->layout || t->dims[0] != in->dims[0] || t->dims[2] * up != in->dims[2] ||
            t->dims[3] * up != in->dims[3] || c0 < 0 || len < 1 || c0 + len > t->dims[1] || off + len > p->cin)
            return cpose_err(CPOSE_EINVAL, "%s conv gathering its source: part %d does not fit", prec_name(p->prec), k);
        off += len;
    }
    if (off != p->cin)
        return cpose_err(CPOSE_EINVAL, "%s conv gathering its source: the parts hold %lld of %d channels", prec_name(p->prec),
                         (long long)off, p->cin);
    return CPOSE_OK;
}

/* The gathered source (p->n_gather): per part, a reorder from its channels of its float32 tensor
 * (a oneDNN sub-memory when they are not the whole tensor) into the next channel range of the source
 * buffer (a sub-memory of q_md on lp->qbuf), with the conv's input scale. The parts must fit
 * (gather_fits). */
static int build_gather(dnnl_engine_t eng, const struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                        const dnnl_memory_desc_t *q_md, float sscale, struct cpose_lowp *lp)
{
    int rc = gather_fits(p, in);
    if (rc != CPOSE_OK) return rc;
    int64_t off = 0;
    for (int k = 0; k < p->n_gather; k++) {
        const struct cpose_tensor *t = p->gather[k].t;
        int c0 = p->gather[k].c0, len = p->gather[k].len;
        dnnl_dims_t td = {t->dims[0], t->dims[1], t->dims[2], t->dims[3]}, pd = {t->dims[0], len, t->dims[2], t->dims[3]};
        dnnl_dims_t from = {0, c0, 0, 0}, to = {0, off, 0, 0};
        dnnl_memory_desc_t t_md, f32_md, sub_md;
        LP_TRY(dnnl_memory_desc_init_by_tag(&t_md, 4, td, dnnl_f32, tag_of(t->layout)));
        LP_TRY(dnnl_memory_desc_init_submemory(&f32_md, &t_md, pd, from));
        LP_TRY(dnnl_memory_desc_init_submemory(&sub_md, q_md, pd, to));
        lp->n_parts = k + 1;
        if ((rc = make_reorder(eng, p, &f32_md, &sub_md, p->prec == CPOSE_PREC_INT8, 0, &sscale, &lp->part_quant[k])) != CPOSE_OK)
            goto fail;
        LP_TRY(dnnl_memory_create(&lp->part_f32[k], &f32_md, eng, DNNL_MEMORY_NONE));
        LP_TRY(dnnl_memory_create(&lp->part_q[k], &sub_md, eng, lp->qbuf));
        off += len;
    }
fail:
    return rc;
}

/* The oneDNN convolution of lp (all but the source conversion): its descriptor on q_md → dst_md,
 * int8 output scales and bias in accumulator units, the SiLU / residual / hand-off-scale post-ops,
 * the weights packed once (bf16, or s8 per output channel), the primitive and its thread record. With
 * lp->own_epi (set by the caller) it writes int32 sums into lp->accbuf instead, without scales, bias or
 * post-ops, for cpose_i8_finish_nhwc. */
static int build_conv(dnnl_engine_t eng, dnnl_stream_t strm, const struct cpose_conv2d_params *p,
                      const struct cpose_tensor *res, const dnnl_memory_desc_t *q_md, const dnnl_memory_desc_t *dst_md,
                      float sscale, float to_scale, struct cpose_lowp *lp)
{
    int rc = CPOSE_OK;
    int int8 = p->prec == CPOSE_PREC_INT8;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_t wre = NULL;
    dnnl_memory_t wplain = NULL;
    float *wscale = NULL;
    dnnl_dims_t dd;
    for (int i = 0; i < 4; i++) dd[i] = dst_md->dims[i];
    dnnl_dims_t wd = {p->cout, p->cin, p->k, p->k}, bd = {p->cout};
    dnnl_dims_t strides = {p->stride, p->stride}, dil = {0, 0}, pad = {p->pad, p->pad};
    dnnl_memory_desc_t w_md, w_any, b_md, res_md;
    LP_TRY(dnnl_memory_desc_init_by_tag(&w_md, 4, wd, dnnl_f32, dnnl_oihw));
    LP_TRY(dnnl_memory_desc_init_by_tag(&w_any, 4, wd, int8 ? dnnl_s8 : dnnl_bf16, dnnl_format_tag_any));
    LP_TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_x));
    dnnl_memory_desc_t acc_md;
    if (lp->own_epi) LP_TRY(dnnl_memory_desc_init_by_tag(&acc_md, 4, dd, dnnl_s32, dnnl_nhwc));
    dnnl_convolution_desc_t cd;
    LP_TRY(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, q_md, &w_any,
                                                      p->bias && !lp->own_epi ? &b_md : NULL, lp->own_epi ? &acc_md : dst_md,
                                                      strides, dil, pad, pad));
    LP_TRY(dnnl_primitive_attr_create(&attr));
    if (int8) {
        /* per output channel: w_q = round(w·ws[o]), acc = Σ x_q·w_q = sscale·ws[o]·Σ x·w, so the
         * output scale is 1/(sscale·ws[o]); oneDNN 2.x adds the bias to the accumulator before it
         * scales, hence the bias in accumulator units */
        wscale = cpose_malloc((size_t)p->cout * sizeof(float));
        lp->oscale = cpose_malloc((size_t)p->cout * sizeof(float));
        int64_t per = (int64_t)p->cin * p->k * p->k;
        for (int o = 0; o < p->cout; o++) {
            float m = 0;
            for (int64_t j = 0; j < per; j++) m = fmaxf(m, fabsf(p->weight[o * per + j]));
            wscale[o] = m > 0 ? 127.0f / m : 1.0f;
            lp->oscale[o] = 1.0f / (sscale * wscale[o]);
        }
        if (p->bias && !lp->own_epi) {
            lp->obias = cpose_malloc((size_t)p->cout * sizeof(float));
            for (int o = 0; o < p->cout; o++) lp->obias[o] = p->bias[o] / lp->oscale[o];
        }
        if (!lp->own_epi) LP_TRY(dnnl_primitive_attr_set_output_scales(attr, p->cout, 1 << 1, lp->oscale));
    }
    if (!lp->own_epi && (p->act == CPOSE_ACT_SILU || res || to_scale != 1.0f)) {
        LP_TRY(dnnl_post_ops_create(&po));
        if (p->act == CPOSE_ACT_SILU) LP_TRY(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_swish, 1.0f, 0.0f));
        if (res) {
            LP_TRY(dnnl_memory_desc_init_by_tag(&res_md, 4, dd, dnnl_f32, tag_of(res->layout)));
            lp->res_arg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(dnnl_post_ops_len(po)) | DNNL_ARG_SRC_1;
            LP_TRY(dnnl_post_ops_append_binary(po, dnnl_binary_add, &res_md));
        }
        if (to_scale != 1.0f) LP_TRY(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_linear, to_scale, 0.0f));
        LP_TRY(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    LP_TRY(dnnl_primitive_desc_create(&pd, &cd, attr, eng, NULL));
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl) impl = "?";
    snprintf(lp->impl, sizeof lp->impl, "%s %s%s%s%s", prec_name(p->prec), impl, lp->own_epi ? "+epi:avx2" : "", source_tag(lp, p),
             p->lowp_to ? " >hand-off" : "");
    lp->reference = !strncmp(impl, "ref", 3);
    /* weights: float32 OIHW → the kernel's packed bf16 / s8 (scaled per output channel) */
    const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    if ((rc = alloc64(&lp->wbuf, dnnl_memory_desc_get_size(wq))) != CPOSE_OK) goto fail;
    LP_TRY(dnnl_memory_create(&wplain, &w_md, eng, (void *)p->weight));
    LP_TRY(dnnl_memory_create(&lp->wts, wq, eng, lp->wbuf));
    if ((rc = make_reorder(eng, p, &w_md, wq, int8 ? p->cout : 0, 1 << 0, wscale, &wre)) != CPOSE_OK) goto fail;
    dnnl_exec_arg_t wargs[2] = {{DNNL_ARG_FROM, wplain}, {DNNL_ARG_TO, lp->wts}};
    LP_TRY(dnnl_primitive_execute(wre, strm, 2, wargs));
    LP_TRY(dnnl_stream_wait(strm));
    if (lp->own_epi) {
        if ((rc = alloc64((void **)&lp->accbuf, dnnl_memory_desc_get_size(&acc_md))) != CPOSE_OK) goto fail;
        LP_TRY(dnnl_memory_create(&lp->dst, &acc_md, eng, lp->accbuf));
        lp->fbias = p->bias;
    } else {
        LP_TRY(dnnl_memory_create(&lp->dst, dst_md, eng, p->lowp_to ? lp->obuf : DNNL_MEMORY_NONE));
        if (p->bias) LP_TRY(dnnl_memory_create(&lp->bias, &b_md, eng, int8 ? (void *)lp->obias : (void *)p->bias));
    }
    if (res && !lp->own_epi) LP_TRY(dnnl_memory_create(&lp->res, &res_md, eng, DNNL_MEMORY_NONE));
    LP_TRY(dnnl_primitive_create(&lp->conv, pd));
    cpose_conv_threads_init(&lp->thr, &cd, attr, impl);
    attr = NULL;
fail:
    if (wre) dnnl_primitive_destroy(wre);
    if (wplain) dnnl_memory_destroy(wplain);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (po) dnnl_post_ops_destroy(po);
    cpose_free(wscale);
    return rc;
}

int cpose_lowp_build(dnnl_engine_t eng, dnnl_stream_t strm, const struct cpose_conv2d_params *p,
                     const struct cpose_tensor *in, const struct cpose_tensor *res, const struct cpose_tensor *out,
                     struct cpose_lowp **lpo)
{
    int rc = CPOSE_OK;
    int int8 = p->prec == CPOSE_PREC_INT8;
    struct cpose_lowp *lp = cpose_calloc(1, sizeof *lp);
    lp->eng = eng;
    CPOSE_ASSERT(p->prec == CPOSE_PREC_BF16 || p->prec == CPOSE_PREC_INT8);

    dnnl_data_type_t sdt = dnnl_bf16, ddt = dnnl_f32;
    float sscale = int8 ? input_scale(p, &sdt) : 1.0f;
    /* hand-off to the reader: its source type and (int8) its input scale, applied after SiLU and the
     * residual exactly as its own conversion would */
    float to_scale = 1.0f;
    if (p->lowp_to) {
        CPOSE_ASSERT(p->lowp_to->prec == p->prec);
        ddt = dnnl_bf16;
        if (p->lowp_to->prec == CPOSE_PREC_INT8) to_scale = input_scale(p->lowp_to, &ddt);
    }
    lp->hand_in = p->lowp_from != NULL;
    dnnl_dims_t sd = {in->dims[0], p->cin, in->dims[2], in->dims[3]};
    dnnl_dims_t dd = {out->dims[0], p->cout, out->dims[2], out->dims[3]};
    dnnl_memory_desc_t f32_md, q_md, dst_md;
    LP_TRY(dnnl_memory_desc_init_by_tag(&f32_md, 4, sd, dnnl_f32, tag_of(in->layout)));
    /* a plain (NCHW) source of a conv writing NHWC, the image an int8 model reads in place
     * (cpose_model_input_layout), is converted to NHWC in the same reorder */
    int q_layout = in->layout == CPOSE_LAYOUT_PLAIN && out->layout == CPOSE_LAYOUT_NHWC ? CPOSE_LAYOUT_NHWC : in->layout;
    LP_TRY(dnnl_memory_desc_init_by_tag(&q_md, 4, sd, sdt, tag_of(q_layout)));
    LP_TRY(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, ddt, tag_of(out->layout)));
    lp->own_dst = ddt == dnnl_f32 ? CPOSE_I8_DST_F32 : ddt == dnnl_u8 ? CPOSE_I8_DST_U8 : CPOSE_I8_DST_S8;
    lp->own_to_scale = to_scale, lp->act = p->act;
    if (p->lowp_to && (rc = alloc64(&lp->obuf, dnnl_memory_desc_get_size(&dst_md))) != CPOSE_OK) goto fail;
    /* an int8 first conv on the float32 image: cpose's stem kernel reads the image in place (no
     * converter, no oneDNN conv; kernels_stem.h) */
    if (int8 && !lp->hand_in && !p->n_gather && cpose_stem_wanted(p, in->layout, out->layout, res != NULL)) {
        if ((rc = cpose_stem_prepare(p, &lp->stem)) != CPOSE_OK) goto fail;
        snprintf(lp->impl, sizeof lp->impl, "int8 stem_f32:avx2%s", p->lowp_to ? " >hand-off" : "");
        *lpo = lp;
        return CPOSE_OK;
    }
    /* the activation converter and the buffer it fills (a hand-off reader has neither: the source
     * is the producer's output buffer, set at each run) */
    if (lp->hand_in) {
        LP_TRY(dnnl_memory_create(&lp->src_q, &q_md, eng, DNNL_MEMORY_NONE));
    } else {
        if ((rc = alloc64(&lp->qbuf, dnnl_memory_desc_get_size(&q_md))) != CPOSE_OK) goto fail;
        LP_TRY(dnnl_memory_create(&lp->src_q, &q_md, eng, lp->qbuf));
        if (int8 && cpose_quant_wanted(in->layout, q_layout)) {
            /* cpose's conversion, all parts in one pass (kernels_quant.h) */
            if (p->n_gather && (rc = gather_fits(p, in)) != CPOSE_OK) goto fail;
            lp->own_quant = 1, lp->n_parts = p->n_gather, lp->q_signed = sdt == dnnl_s8, lp->cin = p->cin, lp->sscale = sscale;
        } else if (p->n_gather) {
            for (int k = 0; k < p->n_gather; k++)
                if (p->gather[k].from || p->gather[k].up > 1) {
                    rc = cpose_err(CPOSE_EINVAL, "%s conv gathering its source: part %d is %s, which only cpose's "
                                   "int8 NHWC conversion reads", prec_name(p->prec), k,
                                   p->gather[k].from ? "handed off" : "read through an upsample");
                    goto fail;
                }
            if ((rc = build_gather(eng, p, in, &q_md, sscale, lp)) != CPOSE_OK) goto fail;
        } else {
            if ((rc = make_reorder(eng, p, &f32_md, &q_md, int8 ? 1 : 0, 0, &sscale, &lp->quant)) != CPOSE_OK) goto fail;
            LP_TRY(dnnl_memory_create(&lp->src_f32, &f32_md, eng, DNNL_MEMORY_NONE));
        }
    }
    /* the convolution: cpose's int16 Winograd where it applies (int8, kernels_wino_int8.h; its output
     * is float32, or the int8 reader's u8/s8), else oneDNN's */
    if (int8 && cpose_wino_i8_wanted(p, q_layout, out->layout, res ? res->layout : -1)) {
        if ((rc = cpose_wino_i8_prepare(p, sscale, sdt == dnnl_s8, &lp->wino)) != CPOSE_OK) goto fail;
        snprintf(lp->impl, sizeof lp->impl, "int8 wino4_i16:avx2%s%s", source_tag(lp, p), p->lowp_to ? " >hand-off" : "");
    } else if (int8 && cpose_gemm_i8_wanted(p, q_layout, out->layout, res != NULL)) {
        if ((rc = cpose_gemm_i8_prepare(p, sscale, sdt == dnnl_s8, &lp->gemm)) != CPOSE_OK) goto fail;
        snprintf(lp->impl, sizeof lp->impl, "int8 gemm_u8s8:avx2%s%s%s", cpose_gemm_i8_pairs(lp->gemm) ? "+pairs" : "",
                 source_tag(lp, p), p->lowp_to ? " >hand-off" : "");
    } else {
        /* an int8 SiLU conv in NHWC on AVX2 without VNNI: oneDNN leaves its int32 sums, cpose scales them,
         * adds the bias, applies SiLU and adds the residual (cpose_i8_finish_nhwc): oneDNN 2.6's swish
         * post-op cost about as much as the 16-channel convs' products */
        const char *env_epi = getenv("CPOSE_OWN_EPILOGUE");
        lp->own_epi = int8 && p->act == CPOSE_ACT_SILU && out->layout == CPOSE_LAYOUT_NHWC &&
                      (!res || res->layout == CPOSE_LAYOUT_NHWC) && cpose_have_avx2() && !cpose_cpu_has_vnni() &&
                      !(env_epi && !strcmp(env_epi, "0"));
        if ((rc = build_conv(eng, strm, p, res, &q_md, &dst_md, sscale, to_scale, lp)) != CPOSE_OK) goto fail;
    }
    *lpo = lp;
    lp = NULL;
fail:
    cpose_lowp_free(lp);
    return rc;
}

int cpose_lowp_run(struct cpose_lowp *lp, dnnl_stream_t strm, const struct cpose_tensor *in, const void *qin,
                   const struct cpose_gather_part *parts, const void *const *part_q, const struct cpose_tensor *res,
                   struct cpose_tensor *out)
{
    dnnl_status_t st;
    const char *what = "convert";
    CPOSE_ASSERT(!lp->hand_in == !qin && !lp->n_parts == !parts);
    if (lp->stem)
        return cpose_stem_run(lp->stem, lp->act, in->data, in->dims[0], in->dims[2], in->dims[3],
                              lp->obuf ? lp->obuf : (void *)out->data, lp->own_dst, lp->own_to_scale);
    if (qin) {
        if ((st = dnnl_memory_set_data_handle(lp->src_q, (void *)qin)) != dnnl_success) goto fail;
    } else if (lp->own_quant) {
        /* the whole of in, or each gathered part (a gathered conv's in is not read) */
        struct cpose_quant_part qp[CPOSE_GATHER_MAX] = {{in->data, in->dims[1], 0, lp->cin, NULL, 0, 0, 0}};
        int n = parts ? lp->n_parts : 1;
        for (int k = 0; parts && k < n; k++) {
            const struct cpose_tensor *t = parts[k].t;
            qp[k] = (struct cpose_quant_part){t->data,   t->dims[1], parts[k].c0, parts[k].len,
                                              part_q[k], parts[k].up, t->dims[2], t->dims[3]};
        }
        /* the pixels: in's shape (a gathered conv's in is the concat's, never run but shaped) */
        int rc = cpose_quant_nhwc(qp, n, in->dims[0] * in->dims[2] * in->dims[3], lp->cin, lp->sscale, lp->q_signed,
                                  lp->qbuf);
        if (rc != CPOSE_OK) return rc;
    } else if (parts) {
        for (int k = 0; k < lp->n_parts; k++) {
            if ((st = dnnl_memory_set_data_handle(lp->part_f32[k], parts[k].t->data)) != dnnl_success) goto fail;
            dnnl_exec_arg_t qargs[2] = {{DNNL_ARG_FROM, lp->part_f32[k]}, {DNNL_ARG_TO, lp->part_q[k]}};
            if ((st = dnnl_primitive_execute(lp->part_quant[k], strm, 2, qargs)) != dnnl_success) goto fail;
        }
    } else {
        if ((st = dnnl_memory_set_data_handle(lp->src_f32, in->data)) != dnnl_success) goto fail;
        dnnl_exec_arg_t qargs[2] = {{DNNL_ARG_FROM, lp->src_f32}, {DNNL_ARG_TO, lp->src_q}};
        if ((st = dnnl_primitive_execute(lp->quant, strm, 2, qargs)) != dnnl_success) goto fail;
    }
    what = "conv";
    if (lp->wino || lp->gemm) {
        if ((st = dnnl_stream_wait(strm)) != dnnl_success) goto fail;
        if (lp->gemm)
            return cpose_gemm_i8_run(lp->gemm, lp->act, qin ? qin : lp->qbuf, in->dims[0], in->dims[2], in->dims[3],
                                     lp->obuf ? lp->obuf : (void *)out->data, lp->own_dst, lp->own_to_scale);
        return cpose_wino_i8_run(lp->wino, lp->act, qin ? qin : lp->qbuf, in->dims[0], in->dims[2], in->dims[3],
                                 res ? res->data : NULL, lp->obuf ? lp->obuf : (void *)out->data, lp->own_dst,
                                 lp->own_to_scale);
    }
    if (!lp->obuf && !lp->own_epi && (st = dnnl_memory_set_data_handle(lp->dst, out->data)) != dnnl_success) goto fail;
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, lp->src_q}, {DNNL_ARG_WEIGHTS, lp->wts}, {DNNL_ARG_DST, lp->dst}};
    int na = 3;
    if (lp->bias) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, lp->bias};
    if (res && !lp->own_epi) {
        if ((st = dnnl_memory_set_data_handle(lp->res, res->data)) != dnnl_success) goto fail;
        args[na++] = (dnnl_exec_arg_t){lp->res_arg, lp->res};
    }
    dnnl_primitive_t conv = cpose_conv_threads_pick(&lp->thr, lp->eng, lp->conv, lp->wts, omp_get_max_threads());
    if ((st = dnnl_primitive_execute(conv, strm, na, args)) != dnnl_success) goto fail;
    if ((st = dnnl_stream_wait(strm)) != dnnl_success) goto fail;
    if (lp->own_epi)
        return cpose_i8_finish_nhwc(lp->accbuf, out->dims[0] * out->dims[2] * out->dims[3], (int)out->dims[1], lp->oscale,
                                    lp->fbias, lp->act, res ? res->data : NULL, lp->obuf ? lp->obuf : (void *)out->data,
                                    lp->own_dst, lp->own_to_scale);
    return CPOSE_OK;
fail:
    return cpose_err(CPOSE_EINVAL, "oneDNN (%s): %s failed (%s)", lp->impl, what, dnnl_status2str(st));
}
