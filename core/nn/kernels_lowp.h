/* core/nn/kernels_lowp.h — internal: the low-precision (bf16, int8) convolution of one conv node,
 * built and run by core/nn/kernels_dnnl.c when the node's params ask for it (p->prec). Not a public
 * header: it names oneDNN types.
 *
 * Each forward converts the float32 activation to the conv's source type with a oneDNN reorder
 * (bf16: round to nearest even; int8: x·in_scale rounded and saturated to s8, or u8 for a
 * non-negative range), runs the oneDNN convolution on bf16 or int8 weights (int8: one scale per
 * output channel, 127/max|w|), accumulates in float32 (bf16) or int32 (int8), and writes float32
 * with bias, SiLU and the residual applied as in the float32 kernel. */
#ifndef CPOSE_KERNELS_LOWP_H
#define CPOSE_KERNELS_LOWP_H

#include <dnnl.h>

#include "core/nn/graph.h"

struct cpose_lowp;

/* Builds the kernel for p (p->prec BF16 or INT8; INT8 needs p->in_absmax > 0) on engine/stream,
 * activations in in's, res's and out's layouts. Errors: CPOSE_EINVAL with oneDNN's status,
 * CPOSE_ENOMEM. */
int cpose_lowp_build(dnnl_engine_t eng, dnnl_stream_t strm, const struct cpose_conv2d_params *p,
                     const struct cpose_tensor *in, const struct cpose_tensor *res, const struct cpose_tensor *out,
                     struct cpose_lowp **lp);
/* out = act(conv(in) + bias) [+ res] in the kernel's precision. */
int cpose_lowp_run(struct cpose_lowp *lp, dnnl_stream_t strm, const struct cpose_tensor *in,
                   const struct cpose_tensor *res, struct cpose_tensor *out);
/* oneDNN's implementation name with the precision ("bf16 brg:avx512_core_bf16"). */
const char *cpose_lowp_impl(const struct cpose_lowp *lp);
void cpose_lowp_free(struct cpose_lowp *lp);  /* NULL-safe */

#endif
