/* core/nn/model_prec.c — the inference precision of a model's fused forward (model.h:
 * cpose_model_set_precision): which convs switch to bf16 or int8, and their int8 input ranges. */
#include "core/nn/model_impl.h"
#include "core/nn/kernels.h"
#include "core/nn/kernels_stem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cpose_model_free_ranges(struct cpose_model *m)
{
    for (int i = 0; i < m->n_ranges; i++) cpose_free(m->ranges[i].name);
    cpose_free(m->ranges);
    m->ranges = NULL, m->n_ranges = 0;
}

int cpose_model_set_precision(struct cpose_model *m, int prec, const char *const *names, const float *lo,
                              const float *hi, int n)
{
    if (prec != CPOSE_PREC_F32 && prec != CPOSE_PREC_BF16 && prec != CPOSE_PREC_INT8)
        return cpose_err(CPOSE_EINVAL, "precision %d: use 0 (float32), 1 (bf16) or 2 (int8)", prec);
    if (prec == CPOSE_PREC_INT8 && (n <= 0 || !names || !lo || !hi))
        return cpose_err(CPOSE_EINVAL, "int8 precision needs the calibrated input range of each conv (run the "
                                       "calibration on data= images first)");
    for (int i = 0; prec == CPOSE_PREC_INT8 && i < n; i++)
        if (!(lo[i] <= hi[i]) || !isfinite(lo[i]) || !isfinite(hi[i]))
            return cpose_err(CPOSE_EINVAL, "int8 range of '%s' is [%g, %g]: need finite lo ≤ hi", names[i], lo[i], hi[i]);
    cpose_model_free_ranges(m);
    if (prec == CPOSE_PREC_INT8) {
        m->ranges = cpose_calloc((size_t)n, sizeof *m->ranges);
        for (int i = 0; i < n; i++) m->ranges[i] = (struct cpose_prec_range){cpose_strdup(names[i]), lo[i], hi[i]};
        m->n_ranges = n;
    }
    m->prec = prec;
    cpose_model_invalidate(m);  /* the fused graph is rebuilt with the new precision */
    return CPOSE_OK;
}

int cpose_model_get_precision(const struct cpose_model *m) { return m->prec; }

/* Which kernel runs bf16 conv p (enum cpose_bf16_own), on nChw16c activations with cpose's own bf16
 * kernels available (AVX512_BF16): a 3×3 stride-1 conv of ≥ 32 channels in and out runs Winograd
 * (unless CPOSE_WINOGRAD=0), a 1×1 conv the implicit GEMM; the rest oneDNN's direct kernels. Measured
 * per layer on yolov8n-pose at 640, 2 threads, AMD Zen 4 (README, "cpose's own bf16 kernels"): Winograd
 * took 64→64 convs at 80×80 from 1.23 to 0.95 ms but lost on 16→16 ones (0.62 against 0.47 ms), where
 * the transforms outweigh the GEMMs; the implicit GEMM was no faster than oneDNN on stride-2 convs.
 * Env CPOSE_BF16_OWN=0 leaves every conv to oneDNN. */
static int bf16_own_kernel(const struct cpose_model *m, const struct cpose_conv2d_params *p)
{
    const char *env = getenv("CPOSE_BF16_OWN");
    if ((env && !strcmp(env, "0")) || !cpose_bf16_own_available() || cpose_model_activation_layout(m) != CPOSE_LAYOUT_BLK16 ||
        p->cin < 16 || p->cout < 16)
        return CPOSE_BF16_ONEDNN;
    if (p->k == 1 && p->stride == 1 && p->pad == 0) return CPOSE_BF16_GEMM;
    if (p->k == 3 && p->stride == 1 && p->pad == 1 && p->cin >= 32 && p->cout >= 32 && cpose_wino_enabled())
        return CPOSE_BF16_WINOGRAD;
    return CPOSE_BF16_ONEDNN;
}

/* Whether int8 takes the head's output convs (env CPOSE_INT8_HEAD=0: no, for A/B runs). */
static int int8_head(void)
{
    const char *env = getenv("CPOSE_INT8_HEAD");
    return !(env && !strcmp(env, "0"));
}

/* Convs that switch: in bf16 those with a SiLU epilogue (the head's last 1×1 convs, whose outputs are
 * decoded, have none), in int8 all of them (as Ultralytics' int8 exports quantise the head too: on
 * synth-seed1-best.h5 and a cpose-trained model, pose mAP50-95 moved 0.0761 → 0.0794 and 0.0745 →
 * 0.0745, the head at 640 took 0.35 ms less; env CPOSE_INT8_HEAD=0 keeps those nine
 * in float32), except
 * - in bf16, the first conv (on the image: pixels k/255 are not exact in bf16) and the 1×1 convs that
 *   cpose's own implicit GEMM does not take: oneDNN's bf16 1×1 kernel converts its float32 input in a
 *   separate pass, and a 1×1 conv does only 2·cin multiply-adds per input value, so that cost more
 *   than bf16 saved (the 18 1×1 convs of yolov8n-pose at 640 on an AVX-512 bf16 host: 7.3 ms in
 *   oneDNN bf16 against 5.6 ms in float32). The implicit GEMM rounds its input while it reads it;
 * - in int8, a first conv (3 input channels) that oneDNN would run on its reference kernel, unless
 *   cpose's stem kernel takes it (kernels_stem.h: float32 FMAs on the image, an NHWC model). Its
 *   input, pixels k/255 in [0, 1], is exact in u8 at the calibrated scale 255/max when the
 *   calibration images reach white; int8 reads a quarter of the bytes and wins on 1×1 convs too. */
static int eligible(const struct cpose_model *m, const struct cpose_conv2d_params *p)
{
    if (p->act != CPOSE_ACT_SILU && (m->prec == CPOSE_PREC_BF16 || !int8_head())) return 0;
    if (m->prec == CPOSE_PREC_BF16) return p->cin > 3 && (p->k > 1 || bf16_own_kernel(m, p) == CPOSE_BF16_GEMM);
    int layout = cpose_model_activation_layout(m);
    return p->cin > 3 || cpose_lowp_conv_has_jit(p, CPOSE_PREC_INT8, layout) ||
           (cpose_stem_fits(p) && layout == CPOSE_LAYOUT_NHWC);
}

void cpose_model_apply_precision(struct cpose_model *m)
{
    for (int i = 0; m->fused && i < cpose_graph_size(m->fused); i++) {
        struct cpose_node *nd = cpose_graph_node(m->fused, i);
        if (nd->op != CPOSE_OP_conv2d) continue;
        struct cpose_conv2d_params *p = nd->params;
        p->prec = CPOSE_PREC_F32, p->bf16_own = 0;
        if (m->prec == CPOSE_PREC_F32) continue;
        if (m->prec == CPOSE_PREC_BF16) {
            if (eligible(m, p)) p->prec = CPOSE_PREC_BF16, p->bf16_own = bf16_own_kernel(m, p);
            continue;
        }
        for (int r = 0; r < m->n_ranges; r++)
            if (!strcmp(m->ranges[r].name, nd->name)) {
                p->in_lo = m->ranges[r].lo, p->in_hi = m->ranges[r].hi;
                if (eligible(m, p)) p->prec = CPOSE_PREC_INT8;
                break;
            }
    }
}

void cpose_model_precision_count(const struct cpose_model *m, int *lowp, int *f32)
{
    *lowp = *f32 = 0;
    for (int i = 0; m->fused && i < cpose_graph_size(m->fused); i++) {
        const struct cpose_node *nd = cpose_graph_node(m->fused, i);
        if (nd->op != CPOSE_OP_conv2d) continue;
        if (((const struct cpose_conv2d_params *)nd->params)->prec != CPOSE_PREC_F32) ++*lowp;
        else ++*f32;
    }
}

int cpose_model_conv_precision(const struct cpose_model *m, const char *name)
{
    for (int i = 0; m->fused && i < cpose_graph_size(m->fused); i++) {
        const struct cpose_node *nd = cpose_graph_node(m->fused, i);
        if (nd->op == CPOSE_OP_conv2d && !strcmp(nd->name, name)) return ((const struct cpose_conv2d_params *)nd->params)->prec;
    }
    return -1;
}

int cpose_model_input_layout(const struct cpose_model *m, const struct cpose_graph *g)
{
    if (cpose_layout_block(cpose_model_activation_layout(m))) return CPOSE_LAYOUT_PLAIN;
    int readers = 0;
    for (int i = 0; i < cpose_graph_size(g); i++) {
        const struct cpose_node *nd = cpose_graph_node(g, i);
        for (int j = 0; j < nd->n_in; j++) {
            if (cpose_graph_node(g, nd->in[j])->op != CPOSE_OP_input) continue;
            if (nd->op != CPOSE_OP_conv2d || j != 0 || ((const struct cpose_conv2d_params *)nd->params)->prec == CPOSE_PREC_F32)
                return CPOSE_LAYOUT_NHWC;
            readers++;
        }
    }
    return readers ? CPOSE_LAYOUT_PLAIN : CPOSE_LAYOUT_NHWC;
}

int cpose_model_activation_layout(const struct cpose_model *m)
{
    const char *env = getenv("CPOSE_LAYOUT");
    const struct cpose_graph *g = m->fused ? m->fused : m->graph;
    if (m->prec == CPOSE_PREC_F32) /* all three honour CPOSE_LAYOUT */
        return cpose_kernel_layout_for_graph(cpose_kernel_inference_layout(), g, CPOSE_PREC_F32);
    if (m->prec == CPOSE_PREC_BF16) return cpose_kernel_layout_for_graph(cpose_kernel_activation_layout(), g, CPOSE_PREC_BF16);
    if (env && *env) return cpose_kernel_activation_layout();
    return CPOSE_LAYOUT_NHWC;
}
