/* core/cli/cli_prec.c — half= and int8= on predict, val and benchmark: bf16 convolutions where the CPU
 * has bf16 dot products (else a message and float32), int8 convolutions calibrated on the val images of
 * data= (plugins/plugin_calib.h: the exporters' calibration pass, its per-value min/max). */
#include "core/cli/cli.h"
#include "core/base/alloc.h"
#include "core/base/log.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_stem.h"
#include "core/nn/kernels_wino_int8.h"
#include "core/nn/model.h"
#include "datasets/dataset.h"
#include "plugins/plugin_calib.h"
#include "plugins/plugin_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The input range of every conv of m's fused graph over the calibration images (view conv nodes
 * carry the fused conv's name; their input's range is the conv's input range), into the model. */
static int calibrate_int8(const struct cpose_args *a, struct cpose_model *m, int imgsz)
{
    char **files = NULL, *used = NULL;
    size_t n = 0;
    struct cpose_view_store *vs = NULL;
    struct cpose_value_range *r = NULL;
    float **images = NULL;
    const char **names = NULL;
    float *lo = NULL, *hi = NULL;
    const char *data = cpose_args_is_none(a, "data") ? "" : cpose_args_str(a, "data");
    int rc = cpose_calib_files(data, cpose_model_train_args(m), cpose_args_float(a, "fraction", 1.0), &files, &n, &used);
    if (rc) return rc;  /* the message names int8=True or the data file */
    if ((rc = cpose_view_build(m, 1, imgsz, imgsz, &vs)) != CPOSE_OK) goto done;
    const struct cpose_view *v = cpose_view_of(vs);
    cpose_info("int8: calibrating on %zu val images of %s%s at %dx%d (min/max of each conv input)", n, used,
               *data ? "" : " (the model's train_args data)", imgsz, imgsz);
    int64_t per = 3 * (int64_t)imgsz * imgsz;
    images = cpose_calloc(n, sizeof *images);
    for (size_t i = 0; i < n && rc == CPOSE_OK; i++) {
        images[i] = cpose_malloc((size_t)per * sizeof(float));
        if ((rc = cpose_calib_image(files[i], imgsz, imgsz, images[i])) != CPOSE_OK)
            cpose_err_context(rc, "int8 calibration image %zu of %zu", i + 1, n);
    }
    r = cpose_malloc((size_t)v->n_nodes * sizeof *r);
    if (rc == CPOSE_OK) rc = cpose_calib_run_view(v, (const float *const *)images, n, r);
    if (rc) goto done;
    names = cpose_calloc((size_t)v->n_nodes, sizeof *names);
    lo = cpose_malloc((size_t)v->n_nodes * sizeof *lo), hi = cpose_malloc((size_t)v->n_nodes * sizeof *hi);
    int k = 0;
    for (int i = 0; i < v->n_nodes; i++) {
        const struct cpose_view_node *nd = CPOSE_VIEW_NODE(v, i);
        if (nd->op != CPOSE_VIEW_CONV) continue;
        names[k] = nd->name, lo[k] = r[nd->in[0]].min, hi[k] = r[nd->in[0]].max;
        k++;
    }
    rc = cpose_model_set_precision(m, CPOSE_PREC_INT8, names, lo, hi, k);
done:
    for (size_t i = 0; images && i < n; i++) cpose_free(images[i]);
    cpose_free(images), cpose_free(r), cpose_free(names), cpose_free(lo), cpose_free(hi);
    cpose_view_store_free(vs);
    cpose_strv_free(files, n);
    cpose_free(used);
    return rc;
}

int cpose_cli_apply_precision(const struct cpose_args *a, struct cpose_model *m, int imgsz)
{
    int half = cpose_args_bool(a, "half"), int8 = cpose_args_bool(a, "int8");
    if (imgsz <= 0) { /* as val and predict choose it: imgsz=, else the size the model was trained at */
        const struct cpose_model_info *info = cpose_model_get_info(m);
        imgsz = cpose_args_given(a, "imgsz") || info->imgsz <= 0 ? (int)cpose_args_int(a, "imgsz", 640) : info->imgsz;
        if (imgsz < info->max_stride) imgsz = info->max_stride;
        imgsz = (imgsz + info->max_stride - 1) / info->max_stride * info->max_stride;
    }
    if (int8) {
        if (half) cpose_warn("half=True and int8=True: int8 is used (as in Ultralytics' exports)");
        int rc = calibrate_int8(a, m, imgsz);
        if (rc == CPOSE_OK)
            cpose_info("int8: convolutions in int8 (%s, %s), the head's decode in float32 (the "
                       "first conv too: %s)", cpose_cpu_isa_name(), cpose_int8_kernels_desc(),
                       cpose_stem_on() ? "float32 FMAs on the image, cpose's stem kernel"
                           : "where oneDNN has no fast int8 kernel for 3 channels");
        return rc;
    }
    if (!half) return CPOSE_OK;
    if (!cpose_cpu_has_bf16()) {
        /* an ISA cap hides bf16 from a CPU that has it: say which setting did */
        const char *cap = getenv("ONEDNN_MAX_CPU_ISA");
        if (!cap) cap = getenv("DNNL_MAX_CPU_ISA");
        char why[96] = "";
        if (getenv("CPOSE_NO_BF16"))
            snprintf(why, sizeof why, " (CPOSE_NO_BF16 is set)");
        else if (cap && *cap)
            snprintf(why, sizeof why, " (oneDNN's ISA is capped at %.40s)", cap);
        cpose_warn("half=True: this CPU (%s) has no bf16 dot products (AVX512_BF16 or AMX)%s; running float32",
                   cpose_cpu_isa_name(), why);
        return CPOSE_OK;
    }
    if (cpose_bf16_own_available())
        cpose_info("half=True: convolutions in bf16 (%s), float32 accumulation: the 3×3 stride-1 ones on cpose's Winograd "
                   "kernel (oneDNN's below 32 channels), the 1×1 ones on cpose's implicit GEMM, the stride-2 ones on "
                   "oneDNN's; the first conv, the head's output convs and its decode in float32", cpose_cpu_isa_name());
    else
        cpose_info("half=True: 3×3 convolutions in bf16 (%s), float32 accumulation; the first conv, the 1×1 convs "
                   "(bound by memory: converting their input costs more than bf16 saves), the head's output convs and "
                   "its decode in float32", cpose_cpu_isa_name());
    return cpose_model_set_precision(m, CPOSE_PREC_BF16, NULL, NULL, NULL, 0);
}
