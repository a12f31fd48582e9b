/* core/nn/kernels_dnnl.c — convolution on oneDNN 2.6 primitives (C API): format_tag any weights
 * (blocked, reordered once), channels-last activations, bias and swish (SiLU) as post-op.
 * A oneDNN primitive fixes its thread count when it is made (it runs `omp parallel num_threads(n)`
 * with the count of its creation); a forward that runs on another count (the load-adaptive executor,
 * core/nn/exec.c) gets a primitive made for that count, kept beside the first and sharing its packed
 * weights — only when oneDNN picks the same implementation and weights layout for it, so the values
 * cannot change; otherwise the first primitive runs (struct cpose_conv_threads, defined here and used
 * by the bf16/int8 kernels of kernels_lowp.c too). */
#include "core/nn/kernels.h"
#include "core/nn/kernels_lowp.h"
#include "core/base/cpu_fma.h"
#include "core/base/log.h"

#include <dnnl.h>
#include <dnnl_debug.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cpose_conv_kernel {
    int64_t n, h, w;
    int layout_in, layout_out, layout_res;  /* layout_res: -1 without a residual */
    const float *wsrc, *bsrc;
    uint64_t wver;
    dnnl_primitive_t prim;
    dnnl_memory_t src, wts, bias, dst, res;
    int res_arg;  /* the residual's execution argument (its post-op index) */
    void *wbuf;  /* packed weights (owned) */
    dnnl_primitive_t wreorder;  /* plain OIHW → wbuf, re-run when the weights change (training) */
    dnnl_memory_t wplain;
    char impl[64];  /* oneDNN's implementation name, e.g. "jit:avx2" */
    struct cpose_wino *wino;  /* the Winograd kernel when it takes this conv (then impl says so) */
    struct cpose_wino_bf16 *wino16;  /* cpose's own bf16 kernel when one takes this conv (then nothing else is built): */
    struct cpose_conv_bf16 *conv16;  /* Winograd, or the implicit GEMM (p->bf16_own says which) */
    int own;                         /* p->bf16_own it was built for */
    int prec;                 /* p->prec it was built for */
    int hand;                 /* the hand-off it was built for: 1 writes to lowp_to, 2 reads from lowp_from, 4 gathers */
    struct cpose_lowp *lowp;  /* the bf16/int8 kernel when prec is not float32 (then nothing else is built) */
    struct cpose_conv_threads thr; /* prim for other thread counts */
};

static dnnl_engine_t g_engine;
static dnnl_stream_t g_stream;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static dnnl_status_t g_init_status;

static void engine_init(void)
{
    g_init_status = dnnl_engine_create(&g_engine, dnnl_cpu, 0);
    if (g_init_status == dnnl_success) g_init_status = dnnl_stream_create(&g_stream, g_engine, dnnl_stream_default_flags);
}

#define DNNL_TRY(call)                                                                                    \
    do {                                                                                                  \
        dnnl_status_t st_ = (call);                                                                       \
        if (st_ != dnnl_success) {                                                                        \
            rc = cpose_err(CPOSE_EINVAL, "oneDNN: %s failed (%s)", #call, dnnl_status2str(st_));           \
            goto fail;                                                                                    \
        }                                                                                                 \
    } while (0)

static dnnl_format_tag_t layout_tag(int layout)
{
    switch (layout) {
    case CPOSE_LAYOUT_NHWC: return dnnl_nhwc;
    case CPOSE_LAYOUT_BLK8: return dnnl_nChw8c;
    case CPOSE_LAYOUT_BLK16: return dnnl_nChw16c;
    default: return dnnl_nchw;
    }
}

int cpose_kernel_activation_layout(void)
{
    const char *env = getenv("CPOSE_LAYOUT");  /* override for benchmarks: nhwc, blk8, blk16 */
    if (env && !strcmp(env, "nhwc")) return CPOSE_LAYOUT_NHWC;
    if (env && !strcmp(env, "blk8")) return CPOSE_LAYOUT_BLK8;
    if (env && !strcmp(env, "blk16")) return CPOSE_LAYOUT_BLK16;
    /* the vector width of the machine: 16 floats with AVX-512, else 8 */
    return (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core ? CPOSE_LAYOUT_BLK16
                                                                                                 : CPOSE_LAYOUT_BLK8;
}

int cpose_kernel_inference_layout(void)
{
    const char *env = getenv("CPOSE_LAYOUT");
    int layout = cpose_kernel_activation_layout();
    if ((env && *env) || layout != CPOSE_LAYOUT_BLK16 || !cpose_wino_enabled() || cpose_avx512_fma_is_wide())
        return layout;
    return CPOSE_LAYOUT_BLK8; /* 16 lanes multiply no faster than 8 here: Winograd on nChw8c does less work */
}

/* Measured at width 0.125 (8-channel C2f halves), 128 px, on an AVX-512 Zen 4: the 8→16 and 8→8 3×3
 * convs took 10–86 ms each on oneDNN's reference kernel in nChw16c (float32 and bf16, forward and
 * weight gradient), the whole float32 forward 2.7 ms; in nChw8c (float32) and NHWC (bf16) none ran
 * on it. */
int cpose_kernel_layout_for_graph(int preferred, const struct cpose_graph *g, int prec)
{
    const char *env = getenv("CPOSE_LAYOUT");
    if (preferred != CPOSE_LAYOUT_BLK16 || (env && *env) || !g) return preferred;
    for (int i = 0; i < cpose_graph_size(g); i++) {
        const struct cpose_node *nd = cpose_graph_node(g, i);
        if (nd->op != CPOSE_OP_conv2d) continue;
        const struct cpose_conv2d_params *p = nd->params;
        if (p->cin > 3 && p->cin < 16) return prec == CPOSE_PREC_BF16 ? CPOSE_LAYOUT_NHWC : CPOSE_LAYOUT_BLK8;
    }
    return preferred;
}

void cpose_conv_kernel_free(struct cpose_conv_kernel *k)
{
    if (!k) return;
    if (k->prim) dnnl_primitive_destroy(k->prim);
    cpose_conv_threads_free(&k->thr);
    if (k->src) dnnl_memory_destroy(k->src);
    if (k->wts) dnnl_memory_destroy(k->wts);
    if (k->bias) dnnl_memory_destroy(k->bias);
    if (k->dst) dnnl_memory_destroy(k->dst);
    if (k->res) dnnl_memory_destroy(k->res);
    if (k->wreorder) dnnl_primitive_destroy(k->wreorder);
    if (k->wplain) dnnl_memory_destroy(k->wplain);
    free(k->wbuf);
    cpose_wino_free(k->wino);
    cpose_wino_bf16_free(k->wino16);
    cpose_conv_bf16_free(k->conv16);
    cpose_lowp_free(k->lowp);
    cpose_free(k);
}

static int handoff_of(const struct cpose_conv2d_params *p)
{
    return (p->lowp_to ? 1 : 0) | (p->lowp_from ? 2 : 0) | (p->n_gather ? 4 : 0);
}

/* A kernel record for conv p on these tensors: what cpose_conv_kernel_run compares to decide whether it
 * still fits (shape, layouts, weights, precision, hand-off, own bf16 kernel); nothing built yet. */
static struct cpose_conv_kernel *kernel_new(const struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                                            const struct cpose_tensor *res, const struct cpose_tensor *out)
{
    struct cpose_conv_kernel *k = cpose_calloc(1, sizeof *k);
    k->n = in->dims[0], k->h = in->dims[2], k->w = in->dims[3];
    k->layout_in = in->layout, k->layout_out = out->layout, k->layout_res = res ? res->layout : -1;
    k->wsrc = p->weight, k->bsrc = p->bias, k->wver = p->weights_version, k->prec = p->prec;
    k->hand = handoff_of(p), k->own = p->bf16_own;
    return k;
}

static int kernel_build(struct cpose_conv2d_params *p, const struct cpose_tensor *in, const struct cpose_tensor *res,
                        const struct cpose_tensor *out, struct cpose_conv_kernel **kout)
{
    int rc = CPOSE_OK;
    struct cpose_conv_kernel *k = kernel_new(p, in, res, out);
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t wplain = NULL;
    dnnl_memory_desc_t src_md, w_md, w_any, b_md, dst_md, res_md;
    dnnl_dims_t sd = {in->dims[0], p->cin, in->dims[2], in->dims[3]};
    dnnl_dims_t dd = {out->dims[0], p->cout, out->dims[2], out->dims[3]};
    dnnl_dims_t wd = {p->cout, p->cin, p->k, p->k};
    dnnl_dims_t bd = {p->cout};
    dnnl_dims_t strides = {p->stride, p->stride}, dil = {0, 0}, pad = {p->pad, p->pad};
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dnnl_f32, layout_tag(in->layout)));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dnnl_f32, layout_tag(out->layout)));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&w_md, 4, wd, dnnl_f32, dnnl_oihw));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_x));
    dnnl_convolution_desc_t cd;
    DNNL_TRY(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &src_md,
                                                        &w_any, p->bias ? &b_md : NULL, &dst_md, strides, dil, pad, pad));
    DNNL_TRY(dnnl_primitive_attr_create(&attr));
    if (p->act == CPOSE_ACT_SILU || res) {
        DNNL_TRY(dnnl_post_ops_create(&po));
        if (p->act == CPOSE_ACT_SILU) DNNL_TRY(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_swish, 1.0f, 0.0f));
        if (res) {
            /* the residual as a binary post-op after the activation (a sum post-op would have to come
             * first, and needs the residual copied into the destination) */
            DNNL_TRY(dnnl_memory_desc_init_by_tag(&res_md, 4, dd, dnnl_f32, layout_tag(res->layout)));
            k->res_arg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(dnnl_post_ops_len(po)) | DNNL_ARG_SRC_1;
            DNNL_TRY(dnnl_post_ops_append_binary(po, dnnl_binary_add, &res_md));
        }
        DNNL_TRY(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    DNNL_TRY(dnnl_primitive_desc_create(&pd, &cd, attr, g_engine, NULL));
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(k->impl, sizeof k->impl, "%s", impl);
    if (!strncmp(k->impl, "ref", 3)) {
        /* a reference kernel is 100× slower: say which conv and layouts, so it can be fixed */
        static int warned;
        if (!warned++)
            cpose_warn("oneDNN runs conv %dx%d %d→%d (%s → %s) on its reference kernel '%s' (slow); "
                       "CPOSE_LAYOUT=nhwc|blk8|blk16 selects another activation layout", p->k, p->k, p->cin, p->cout,
                       cpose_layout_name(in->layout), cpose_layout_name(out->layout), k->impl);
    }
    const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    size_t wbytes = dnnl_memory_desc_get_size(wq);
    if (posix_memalign(&k->wbuf, 64, wbytes ? wbytes : 64) != 0) {
        rc = cpose_err(CPOSE_ENOMEM, "conv weights: cannot allocate %zu bytes", wbytes);
        goto fail;
    }
    DNNL_TRY(dnnl_memory_create(&wplain, &w_md, g_engine, (void *)p->weight));
    DNNL_TRY(dnnl_memory_create(&k->wts, wq, g_engine, k->wbuf));
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, &w_md, g_engine, wq, g_engine, NULL));
    DNNL_TRY(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, wplain}, {DNNL_ARG_TO, k->wts}};
    DNNL_TRY(dnnl_primitive_execute(reorder, g_stream, 2, rargs));
    DNNL_TRY(dnnl_stream_wait(g_stream));
    k->wreorder = reorder, k->wplain = wplain;
    reorder = NULL, wplain = NULL;
    DNNL_TRY(dnnl_primitive_create(&k->prim, pd));
    cpose_conv_threads_init(&k->thr, &cd, attr, k->impl);
    attr = NULL;
    DNNL_TRY(dnnl_memory_create(&k->src, &src_md, g_engine, DNNL_MEMORY_NONE));
    DNNL_TRY(dnnl_memory_create(&k->dst, &dst_md, g_engine, DNNL_MEMORY_NONE));
    if (p->bias) DNNL_TRY(dnnl_memory_create(&k->bias, &b_md, g_engine, (void *)p->bias));
    if (res) DNNL_TRY(dnnl_memory_create(&k->res, &res_md, g_engine, DNNL_MEMORY_NONE));
    if (cpose_wino_enabled() && cpose_wino_applies(p, in, res, out)) {
        if ((rc = cpose_wino_prepare(p, &k->wino)) != CPOSE_OK) goto fail;
        snprintf(k->impl, sizeof k->impl, "winograd2x3:avx2");
    }
    *kout = k;
    k = NULL;
fail:
    if (reorder) dnnl_primitive_destroy(reorder);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (wplain) dnnl_memory_destroy(wplain);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (po) dnnl_post_ops_destroy(po);
    cpose_conv_kernel_free(k);
    return rc;
}

const char *cpose_conv_kernel_impl(const struct cpose_conv_kernel *k) { return k ? k->lowp ? cpose_lowp_impl(k->lowp) : k->impl : ""; }

/* (Re)makes own's weights from p's: the bf16 Winograd or 1×1 kernel. */
static int own_bf16_prepare(struct cpose_conv_kernel *k, const struct cpose_conv2d_params *p)
{
    cpose_wino_bf16_free(k->wino16), cpose_conv_bf16_free(k->conv16);
    k->wino16 = NULL, k->conv16 = NULL;
    return p->bf16_own == CPOSE_BF16_WINOGRAD ? cpose_wino_bf16_prepare(p, &k->wino16) : cpose_conv_bf16_prepare(p, &k->conv16);
}

/* Whether one of cpose's own bf16 kernels takes conv p on these tensors. */
static int own_bf16_applies(const struct cpose_conv2d_params *p, const struct cpose_tensor *in, const struct cpose_tensor *res,
                            const struct cpose_tensor *out)
{
    if (p->prec != CPOSE_PREC_BF16) return 0;
    if (p->bf16_own == CPOSE_BF16_WINOGRAD) return cpose_wino_bf16_applies(p, in, res, out);
    return p->bf16_own == CPOSE_BF16_GEMM && cpose_conv_bf16_applies(p, in, res, out);
}

/* The kernel of conv p run by cpose's own bf16 kernels (own_bf16_applies said yes). */
static int own_bf16_build(const struct cpose_conv2d_params *p, const struct cpose_tensor *in, const struct cpose_tensor *res,
                        const struct cpose_tensor *out, struct cpose_conv_kernel **kout)
{
    struct cpose_conv_kernel *k = kernel_new(p, in, res, out);
    snprintf(k->impl, sizeof k->impl, p->bf16_own == CPOSE_BF16_WINOGRAD ? "bf16 winograd2x3:avx512_bf16" : "bf16 gemm:avx512_bf16");
    int rc = own_bf16_prepare(k, p);
    if (rc != CPOSE_OK) {
        cpose_conv_kernel_free(k);
        return rc;
    }
    *kout = k;
    return CPOSE_OK;
}

int cpose_cpu_has_bf16(void)
{
    const char *off = getenv("CPOSE_NO_BF16");
    if (off && *off && strcmp(off, "0")) return 0;
    unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

int cpose_cpu_has_vnni(void)
{
    unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core_vnni) == dnnl_cpu_isa_avx512_core_vnni ||
           (isa & dnnl_cpu_isa_avx2_vnni) == dnnl_cpu_isa_avx2_vnni;
}

const char *cpose_cpu_isa_name(void)
{
    static const struct { unsigned isa; const char *name; } t[] = {
        {dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"}, {dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"},
        {dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"}, {dnnl_cpu_isa_avx512_core, "avx512_core"},
        {dnnl_cpu_isa_avx2_vnni, "avx2_vnni"}, {dnnl_cpu_isa_avx2, "avx2"}, {dnnl_cpu_isa_avx, "avx"},
        {dnnl_cpu_isa_sse41, "sse41"}};
    unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if ((isa & t[i].isa) == t[i].isa) return t[i].name;
    return "any";
}

void cpose_conv_threads_init(struct cpose_conv_threads *t, const dnnl_convolution_desc_t *cd,
                             dnnl_primitive_attr_t attr, const char *impl)
{
    memset(t, 0, sizeof *t);
    t->cd = *cd, t->attr = attr, t->nthr = omp_get_max_threads();
    snprintf(t->impl, sizeof t->impl, "%s", impl ? impl : "");
}

dnnl_primitive_t cpose_conv_threads_pick(struct cpose_conv_threads *t, dnnl_engine_t eng, dnnl_primitive_t first,
                                         dnnl_memory_t wts, int nthr)
{
    if (nthr == t->nthr) return first;
    for (int i = 0; i < t->n_alt; i++)
        if (t->alt[i].nthr == nthr) return t->alt[i].prim ? t->alt[i].prim : first;
    if (t->n_alt == (int)(sizeof t->alt / sizeof t->alt[0])) return first;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    const char *impl = NULL;
    const dnnl_memory_desc_t *wq = NULL, *have = NULL;
    if (dnnl_primitive_desc_create(&pd, &t->cd, t->attr, eng, NULL) == dnnl_success &&
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl &&
        !strcmp(impl, t->impl) && (wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)) &&
        dnnl_memory_get_memory_desc(wts, &have) == dnnl_success && dnnl_memory_desc_equal(wq, have) &&
        dnnl_primitive_create(&prim, pd) != dnnl_success)
        prim = NULL;
    if (pd) dnnl_primitive_desc_destroy(pd);
    t->alt[t->n_alt].nthr = nthr, t->alt[t->n_alt].prim = prim;
    t->n_alt++;
    return prim ? prim : first;
}

int cpose_conv_threads_has(const struct cpose_conv_threads *t, int nthr)
{
    if (t->nthr == nthr) return 1;
    for (int i = 0; i < t->n_alt; i++)
        if (t->alt[i].nthr == nthr) return t->alt[i].prim != NULL;
    return 0;
}

int cpose_conv_kernel_has_threads(const struct cpose_conv_kernel *k, int nthr)
{
    if (!k || k->wino || k->wino16 || k->conv16) return 0;
    return cpose_conv_threads_has(k->lowp ? cpose_lowp_threads(k->lowp) : &k->thr, nthr);
}

void cpose_conv_threads_free(struct cpose_conv_threads *t)
{
    for (int i = 0; i < t->n_alt; i++)
        if (t->alt[i].prim) dnnl_primitive_destroy(t->alt[i].prim);
    if (t->attr) dnnl_primitive_attr_destroy(t->attr);
    memset(t, 0, sizeof *t);
}

int cpose_lowp_conv_has_jit(const struct cpose_conv2d_params *p, int prec, int layout)
{
    pthread_once(&g_once, engine_init);
    if (g_init_status != dnnl_success || prec == CPOSE_PREC_F32) return 0;
    struct cpose_conv2d_params q = *p;
    q.prec = prec, q.kern = NULL, q.bwd = NULL, q.lowp_to = q.lowp_from = NULL, q.n_gather = 0;
    int64_t S = 32, So = (S + 2 * p->pad - p->k) / p->stride + 1;
    struct cpose_tensor in = {0}, out = {0};
    cpose_tensor_set4(&in, 1, p->cin, S, S, layout);
    cpose_tensor_set4(&out, 1, p->cout, So, So, layout);
    struct cpose_lowp *lp = NULL;
    int jit = cpose_lowp_build(g_engine, g_stream, &q, &in, NULL, &out, &lp) == CPOSE_OK && !cpose_lowp_is_reference(lp);
    cpose_lowp_free(lp);
    return jit;
}

int cpose_conv_kernel_run(struct cpose_conv2d_params *p, const struct cpose_tensor *in, const struct cpose_tensor *res,
                          struct cpose_tensor *out)
{
    int rc = CPOSE_OK;
    pthread_once(&g_once, engine_init);
    if (g_init_status != dnnl_success)
        return cpose_err(CPOSE_EINVAL, "oneDNN: cannot create the CPU engine (%s)", dnnl_status2str(g_init_status));
    struct cpose_conv_kernel *k = p->kern;
    if (k && (k->n != in->dims[0] || k->h != in->dims[2] || k->w != in->dims[3] || k->layout_in != in->layout ||
              k->layout_out != out->layout || k->layout_res != (res ? res->layout : -1) || k->wsrc != p->weight ||
              k->bsrc != p->bias || k->prec != p->prec || (k->lowp && k->wver != p->weights_version) || k->own != p->bf16_own ||
              k->hand != handoff_of(p))) {
        cpose_conv_kernel_free(k);
        p->kern = k = NULL;
    }
    if (k && k->wver != p->weights_version) {
        /* new weight values (a training step): re-pack them, keep the primitive */
        if (k->wino) {
            cpose_wino_free(k->wino);
            k->wino = NULL;
            if ((rc = cpose_wino_prepare(p, &k->wino)) != CPOSE_OK) return rc;
        } else if (k->wino16 || k->conv16) {
            if ((rc = own_bf16_prepare(k, p)) != CPOSE_OK) return rc;
        } else {
            dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, k->wplain}, {DNNL_ARG_TO, k->wts}};
            DNNL_TRY(dnnl_primitive_execute(k->wreorder, g_stream, 2, rargs));
            DNNL_TRY(dnnl_stream_wait(g_stream));
        }
        k->wver = p->weights_version;
    }
    if (!k && own_bf16_applies(p, in, res, out)) {
        if ((rc = own_bf16_build(p, in, res, out, &p->kern)) != CPOSE_OK) return rc;
        k = p->kern;
    }
    if (!k && p->prec != CPOSE_PREC_F32) {
        k = kernel_new(p, in, res, out);
        if ((rc = cpose_lowp_build(g_engine, g_stream, p, in, res, out, &k->lowp)) != CPOSE_OK) {
            cpose_conv_kernel_free(k);
            return rc;
        }
        static int warned;
        if (cpose_lowp_is_reference(k->lowp) && !warned++)
            cpose_warn("oneDNN runs the conv %dx%d %d→%d (%s) on its reference kernel '%s' (slow)", p->k, p->k, p->cin,
                       p->cout, cpose_layout_name(in->layout), cpose_lowp_impl(k->lowp));
        p->kern = k;
    }
    if (!k) {
        if ((rc = kernel_build(p, in, res, out, &p->kern)) != CPOSE_OK) return rc;
        k = p->kern;
    }
    if (k->lowp) {
        const void *qin = NULL;
        const void *part_q[CPOSE_GATHER_MAX] = {NULL};
        if (p->lowp_from && !(p->lowp_from->kern && (qin = cpose_lowp_handoff(p->lowp_from->kern->lowp))))
            return cpose_err(CPOSE_EINVAL, "low-precision hand-off: the producing conv has not run before its reader");
        for (int j = 0; j < p->n_gather; j++) {
            const struct cpose_conv2d_params *f = p->gather[j].from;
            if (f && !(f->kern && f->kern->lowp && (part_q[j] = cpose_lowp_handoff(f->kern->lowp))))
                return cpose_err(CPOSE_EINVAL, "low-precision hand-off: a gathered part's conv has not run before its reader");
        }
        return cpose_lowp_run(k->lowp, g_stream, in, qin, p->n_gather ? p->gather : NULL, part_q, res, out);
    }
    if (k->wino) return cpose_wino_run(k->wino, p, in, res, out);
    if (k->wino16) return cpose_wino_bf16_run(k->wino16, p, in, res, out);
    if (k->conv16) return cpose_conv_bf16_run(k->conv16, p, in, res, out);
    DNNL_TRY(dnnl_memory_set_data_handle(k->src, in->data));
    DNNL_TRY(dnnl_memory_set_data_handle(k->dst, out->data));
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, k->src}, {DNNL_ARG_WEIGHTS, k->wts}, {DNNL_ARG_DST, k->dst}};
    int na = 3;
    if (k->bias) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, k->bias};
    if (res) {
        DNNL_TRY(dnnl_memory_set_data_handle(k->res, res->data));
        args[na++] = (dnnl_exec_arg_t){k->res_arg, k->res};
    }
    dnnl_primitive_t prim = cpose_conv_threads_pick(&k->thr, g_engine, k->prim, k->wts, omp_get_max_threads());
    DNNL_TRY(dnnl_primitive_execute(prim, g_stream, na, args));
    DNNL_TRY(dnnl_stream_wait(g_stream));
fail:
    return rc;
}

/* ---- backward: data and weight gradients on oneDNN's backward primitives ---- */

struct cpose_conv_bwd {
    int64_t n, h, w;
    int layout_in, layout_gout, has_gin;
    const float *wsrc;
    dnnl_primitive_t bwd_data, bwd_w;
    dnnl_primitive_t wreorder;             /* plain weights → bwd_data's weights format */
    dnnl_primitive_t dw_store, dw_add;     /* diff weights → plain gradient, stored or added */
    dnnl_memory_t src, gout, gin, wplain, wts, dw, dwplain, db;
    void *wbuf, *dwbuf;
    float *dbias;                          /* [cout] */
    float *gin_tmp;                        /* gin's size: data gradient before it is added (accumulation) */
    size_t gin_floats;
    char impl_data[64], impl_w[64];
};

void cpose_conv_bwd_free(struct cpose_conv_bwd *b)
{
    if (!b) return;
    dnnl_primitive_t prims[5] = {b->bwd_data, b->bwd_w, b->wreorder, b->dw_store, b->dw_add};
    for (int i = 0; i < 5; i++)
        if (prims[i]) dnnl_primitive_destroy(prims[i]);
    dnnl_memory_t mems[8] = {b->src, b->gout, b->gin, b->wplain, b->wts, b->dw, b->dwplain, b->db};
    for (int i = 0; i < 8; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    free(b->wbuf), free(b->dwbuf), free(b->gin_tmp);
    cpose_free(b->dbias);
    cpose_free(b);
}

static int alloc64(void **p, size_t bytes)
{
    *p = NULL;
    if (posix_memalign(p, 64, bytes ? bytes : 64) != 0) return cpose_err(CPOSE_ENOMEM, "conv backward: cannot allocate %zu bytes", bytes);
    return CPOSE_OK;
}

static int make_reorder(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, int add, dnnl_primitive_t *out)
{
    int rc = CPOSE_OK;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    DNNL_TRY(dnnl_primitive_attr_create(&attr));
    if (add) {
        DNNL_TRY(dnnl_post_ops_create(&po));
        DNNL_TRY(dnnl_post_ops_append_sum(po, 1.0f));
        DNNL_TRY(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, from, g_engine, to, g_engine, attr));
    DNNL_TRY(dnnl_primitive_create(out, rpd));
fail:
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return rc;
}

static void impl_name(dnnl_primitive_desc_t pd, char *buf, size_t len, const char *what, const struct cpose_conv2d_params *p)
{
    const char *impl = NULL;
    buf[0] = 0;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(buf, len, "%s", impl);
    if (!strncmp(buf, "ref", 3)) {
        static int warned;
        if (!warned++)
            cpose_warn("oneDNN runs the %s gradient of conv %dx%d %d→%d on its reference kernel '%s' (slow)", what, p->k,
                       p->k, p->cin, p->cout, buf);
    }
}

static int bwd_build(struct cpose_conv2d_params *p, const struct cpose_tensor *in, const struct cpose_tensor *gout,
                     const struct cpose_tensor *gin, struct cpose_conv_bwd **bout)
{
    int rc = CPOSE_OK;
    struct cpose_conv_bwd *b = cpose_calloc(1, sizeof *b);
    dnnl_primitive_desc_t fpd = NULL, dpd = NULL, wpd = NULL;
    b->n = in->dims[0], b->h = in->dims[2], b->w = in->dims[3];
    b->layout_in = in->layout, b->layout_gout = gout->layout, b->has_gin = gin != NULL;
    b->wsrc = p->weight;
    dnnl_memory_desc_t src_md, dst_md, w_md, w_any, b_md, gin_md;
    dnnl_dims_t sd = {in->dims[0], p->cin, in->dims[2], in->dims[3]};
    dnnl_dims_t dd = {gout->dims[0], p->cout, gout->dims[2], gout->dims[3]};
    dnnl_dims_t wd = {p->cout, p->cin, p->k, p->k}, bd = {p->cout};
    dnnl_dims_t strides = {p->stride, p->stride}, dil = {0, 0}, pad = {p->pad, p->pad};
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dnnl_f32, layout_tag(in->layout)));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dnnl_f32, layout_tag(gout->layout)));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&w_md, 4, wd, dnnl_f32, dnnl_oihw));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_x));
    dnnl_convolution_desc_t fd, dsc, wdsc;
    DNNL_TRY(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_md,
                                                        &w_any, p->bias ? &b_md : NULL, &dst_md, strides, dil, pad, pad));
    DNNL_TRY(dnnl_primitive_desc_create(&fpd, &fd, NULL, g_engine, NULL));
    if (gin) {
        DNNL_TRY(dnnl_memory_desc_init_by_tag(&gin_md, 4, sd, dnnl_f32, layout_tag(gin->layout)));
        DNNL_TRY(dnnl_dilated_convolution_backward_data_desc_init(&dsc, dnnl_convolution_direct, &gin_md, &w_any, &dst_md,
                                                                  strides, dil, pad, pad));
        DNNL_TRY(dnnl_primitive_desc_create(&dpd, &dsc, NULL, g_engine, fpd));
        impl_name(dpd, b->impl_data, sizeof b->impl_data, "data", p);
        const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(dpd, dnnl_query_weights_md, 0);
        if ((rc = alloc64(&b->wbuf, dnnl_memory_desc_get_size(wq)))) goto fail;
        DNNL_TRY(dnnl_memory_create(&b->wplain, &w_md, g_engine, (void *)p->weight));
        DNNL_TRY(dnnl_memory_create(&b->wts, wq, g_engine, b->wbuf));
        if ((rc = make_reorder(&w_md, wq, 0, &b->wreorder))) goto fail;
        DNNL_TRY(dnnl_primitive_create(&b->bwd_data, dpd));
        DNNL_TRY(dnnl_memory_create(&b->gin, &gin_md, g_engine, DNNL_MEMORY_NONE));
        b->gin_floats = (size_t)cpose_tensor_size(gin);
    }
    /* the bias gradient is a plain channel sum of diff_dst, done here (oneDNN's fused reduction was
     * the slowest part of the small head convs' backward) */
    DNNL_TRY(dnnl_dilated_convolution_backward_weights_desc_init(&wdsc, dnnl_convolution_direct, &src_md, &w_any, NULL,
                                                                 &dst_md, strides, dil, pad, pad));
    DNNL_TRY(dnnl_primitive_desc_create(&wpd, &wdsc, NULL, g_engine, fpd));
    impl_name(wpd, b->impl_w, sizeof b->impl_w, "weight", p);
    const dnnl_memory_desc_t *dwq = dnnl_primitive_desc_query_md(wpd, dnnl_query_diff_weights_md, 0);
    if ((rc = alloc64(&b->dwbuf, dnnl_memory_desc_get_size(dwq)))) goto fail;
    DNNL_TRY(dnnl_memory_create(&b->dw, dwq, g_engine, b->dwbuf));
    DNNL_TRY(dnnl_memory_create(&b->dwplain, &w_md, g_engine, DNNL_MEMORY_NONE));
    if ((rc = make_reorder(dwq, &w_md, 0, &b->dw_store)) || (rc = make_reorder(dwq, &w_md, 1, &b->dw_add))) goto fail;
    if (p->bias) b->dbias = cpose_malloc(p->cout * sizeof(float));
    DNNL_TRY(dnnl_primitive_create(&b->bwd_w, wpd));
    DNNL_TRY(dnnl_memory_create(&b->src, &src_md, g_engine, DNNL_MEMORY_NONE));
    DNNL_TRY(dnnl_memory_create(&b->gout, &dst_md, g_engine, DNNL_MEMORY_NONE));
    *bout = b;
    b = NULL;
fail:
    if (fpd) dnnl_primitive_desc_destroy(fpd);
    if (dpd) dnnl_primitive_desc_destroy(dpd);
    if (wpd) dnnl_primitive_desc_destroy(wpd);
    cpose_conv_bwd_free(b);
    return rc;
}

/* sums[c] = Σ over images and pixels of t's channel c (double accumulation, one thread: small). */
static void channel_sum(const struct cpose_tensor *t, float *sums)
{
    int64_t N = t->dims[0], C = t->dims[1], HW = t->dims[2] * t->dims[3], b = cpose_layout_block(t->layout);
    double acc[C];
    for (int64_t c = 0; c < C; c++) acc[c] = 0;
    if (b) {
        int64_t CB = cpose_tensor_cpad(t) / b;
        for (int64_t j = 0; j < N * CB; j++) {
            const float *blk = t->data + j * HW * b;
            int64_t c0 = (j % CB) * b;
            float part[b];
            for (int64_t v = 0; v < b; v++) part[v] = 0;
            for (int64_t q = 0; q < HW; q++)
                for (int64_t v = 0; v < b; v++) part[v] += blk[q * b + v];
            for (int64_t v = 0; v < b && c0 + v < C; v++) acc[c0 + v] += part[v];
        }
    } else {
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t q = 0; q < HW; q++)
                    acc[c] += t->data[cpose_tensor_off(t, n, c, q / t->dims[3], q % t->dims[3])];
    }
    for (int64_t c = 0; c < C; c++) sums[c] = (float)acc[c];
}

const char *cpose_conv_bwd_impl(const struct cpose_conv_bwd *b, int weights) { return !b ? "" : weights ? b->impl_w : b->impl_data; }

int cpose_conv_kernel_backward(struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                               const struct cpose_tensor *gout, struct cpose_tensor *gin, int gin_accum, int param_accum)
{
    int rc = CPOSE_OK;
    pthread_once(&g_once, engine_init);
    if (g_init_status != dnnl_success)
        return cpose_err(CPOSE_EINVAL, "oneDNN: cannot create the CPU engine (%s)", dnnl_status2str(g_init_status));
    if (p->act != CPOSE_ACT_NONE)
        return cpose_err(CPOSE_ENOTSUP, "conv2d: no backward through a fused activation (train the unfused graph)");
    struct cpose_conv_bwd *b = p->bwd;
    if (b && (b->n != in->dims[0] || b->h != in->dims[2] || b->w != in->dims[3] || b->layout_in != in->layout ||
              b->layout_gout != gout->layout || b->has_gin != (gin != NULL) || b->wsrc != p->weight)) {
        cpose_conv_bwd_free(b);
        p->bwd = b = NULL;
    }
    if (!b) {
        if ((rc = bwd_build(p, in, gout, gin, &p->bwd)) != CPOSE_OK) return rc;
        b = p->bwd;
    }
    DNNL_TRY(dnnl_memory_set_data_handle(b->gout, gout->data));
    if (gin) {
        /* the current weights in the backward kernel's format, then diff_src */
        dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, b->wplain}, {DNNL_ARG_TO, b->wts}};
        DNNL_TRY(dnnl_primitive_execute(b->wreorder, g_stream, 2, rargs));
        float *dst = gin->data;
        if (gin_accum) {
            if (!b->gin_tmp && (rc = alloc64((void **)&b->gin_tmp, b->gin_floats * sizeof(float)))) return rc;
            dst = b->gin_tmp;
        }
        DNNL_TRY(dnnl_memory_set_data_handle(b->gin, dst));
        dnnl_exec_arg_t dargs[3] = {{DNNL_ARG_DIFF_DST, b->gout}, {DNNL_ARG_WEIGHTS, b->wts}, {DNNL_ARG_DIFF_SRC, b->gin}};
        DNNL_TRY(dnnl_primitive_execute(b->bwd_data, g_stream, 3, dargs));
        DNNL_TRY(dnnl_stream_wait(g_stream));
        if (gin_accum) {
            int64_t n = (int64_t)b->gin_floats;
            float *g = gin->data;
            const float *t = b->gin_tmp;
#pragma omp parallel for simd schedule(static) if (n >= CPOSE_PAR_MIN)
            for (int64_t i = 0; i < n; i++) g[i] += t[i];
        }
    }
    if (p->grad_w || p->grad_b) {
        DNNL_TRY(dnnl_memory_set_data_handle(b->src, in->data));
        dnnl_exec_arg_t wargs[4] = {{DNNL_ARG_SRC, b->src}, {DNNL_ARG_DIFF_DST, b->gout}, {DNNL_ARG_DIFF_WEIGHTS, b->dw}};
        DNNL_TRY(dnnl_primitive_execute(b->bwd_w, g_stream, 3, wargs));
        if (p->grad_w) {
            DNNL_TRY(dnnl_memory_set_data_handle(b->dwplain, p->grad_w));
            dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, b->dw}, {DNNL_ARG_TO, b->dwplain}};
            DNNL_TRY(dnnl_primitive_execute(param_accum ? b->dw_add : b->dw_store, g_stream, 2, rargs));
        }
        DNNL_TRY(dnnl_stream_wait(g_stream));
        if (p->grad_b && b->dbias) {
            channel_sum(gout, b->dbias);
            for (int o = 0; o < p->cout; o++) p->grad_b[o] = param_accum ? p->grad_b[o] + b->dbias[o] : b->dbias[o];
        }
    }
fail:
    return rc;
}
