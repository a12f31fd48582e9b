/* core/nn/kernels_dnnl.c — convolution on oneDNN 2.6 primitives (C API): format_tag any weights
 * (blocked, reordered once), channels-last activations, bias and swish (SiLU) as post-op. */
#include "core/nn/kernels.h"
#include "core/base/log.h"

#include <dnnl.h>
#include <dnnl_debug.h>
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
    char impl[64];  /* oneDNN's implementation name, e.g. "jit:avx2" */
    struct cpose_wino *wino;  /* the Winograd kernel when it takes this conv (then impl says so) */
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

void cpose_conv_kernel_free(struct cpose_conv_kernel *k)
{
    if (!k) return;
    if (k->prim) dnnl_primitive_destroy(k->prim);
    if (k->src) dnnl_memory_destroy(k->src);
    if (k->wts) dnnl_memory_destroy(k->wts);
    if (k->bias) dnnl_memory_destroy(k->bias);
    if (k->dst) dnnl_memory_destroy(k->dst);
    if (k->res) dnnl_memory_destroy(k->res);
    free(k->wbuf);
    cpose_wino_free(k->wino);
    cpose_free(k);
}

static int kernel_build(struct cpose_conv2d_params *p, const struct cpose_tensor *in, const struct cpose_tensor *res,
                        const struct cpose_tensor *out, struct cpose_conv_kernel **kout)
{
    int rc = CPOSE_OK;
    struct cpose_conv_kernel *k = cpose_calloc(1, sizeof *k);
    dnnl_primitive_desc_t pd = NULL, rpd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t wplain = NULL;
    k->n = in->dims[0], k->h = in->dims[2], k->w = in->dims[3];
    k->layout_in = in->layout, k->layout_out = out->layout, k->layout_res = res ? res->layout : -1;
    k->wsrc = p->weight, k->bsrc = p->bias, k->wver = p->weights_version;

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
    DNNL_TRY(dnnl_primitive_create(&k->prim, pd));
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

const char *cpose_conv_kernel_impl(const struct cpose_conv_kernel *k) { return k ? k->impl : ""; }

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
              k->bsrc != p->bias || k->wver != p->weights_version)) {
        cpose_conv_kernel_free(k);
        p->kern = k = NULL;
    }
    if (!k) {
        if ((rc = kernel_build(p, in, res, out, &p->kern)) != CPOSE_OK) return rc;
        k = p->kern;
    }
    if (k->wino) return cpose_wino_run(k->wino, p, in, res, out);
    DNNL_TRY(dnnl_memory_set_data_handle(k->src, in->data));
    DNNL_TRY(dnnl_memory_set_data_handle(k->dst, out->data));
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, k->src}, {DNNL_ARG_WEIGHTS, k->wts}, {DNNL_ARG_DST, k->dst}};
    int na = 3;
    if (k->bias) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, k->bias};
    if (res) {
        DNNL_TRY(dnnl_memory_set_data_handle(k->res, res->data));
        args[na++] = (dnnl_exec_arg_t){k->res_arg, k->res};
    }
    DNNL_TRY(dnnl_primitive_execute(k->prim, g_stream, na, args));
    DNNL_TRY(dnnl_stream_wait(g_stream));
fail:
    return rc;
}
