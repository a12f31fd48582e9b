/* core/nn/kernels_lowp.h — internal: the low-precision (bf16, int8) convolution of one conv node,
 * built and run by core/nn/kernels_dnnl.c when the node's params ask for it (p->prec). Not a public
 * header: it names oneDNN types.
 *
 * Each forward converts the float32 activation to the conv's source type with a oneDNN reorder
 * (bf16: round to nearest even; int8: x·in_scale rounded and saturated to s8, or u8 for a
 * non-negative range), runs the oneDNN convolution on bf16 or int8 weights (int8: one scale per
 * output channel, 127/max|w|), accumulates in float32 (bf16) or int32 (int8), and writes float32
 * with bias, SiLU and the residual applied as in the float32 kernel — or, handing off to a reader
 * conv, the reader's source type directly (see cpose_conv2d_params.lowp_to). */
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
/* out = act(conv(in) + bias) [+ res] in the kernel's precision. With a hand-off (p->lowp_from at
 * build) the source is qin, the producer's cpose_lowp_handoff buffer, and in is not read; otherwise
 * qin is NULL. With a gathered source (p->n_gather at build) the source is parts (p->gather: a
 * concat's inputs or a slice's channels of its input), and in is not read; otherwise parts is NULL. A producer (p->lowp_to at build)
 * writes its own hand-off buffer, not out. */
int cpose_lowp_run(struct cpose_lowp *lp, dnnl_stream_t strm, const struct cpose_tensor *in, const void *qin,
                   const struct cpose_gather_part *parts, const struct cpose_tensor *res, struct cpose_tensor *out);
/* Whether oneDNN chose its reference implementation (slow) for this kernel. */
int cpose_lowp_is_reference(const struct cpose_lowp *lp);
/* The output in the reader's source type of a kernel built with p->lowp_to, else NULL. */
const void *cpose_lowp_handoff(const struct cpose_lowp *lp);
/* oneDNN's implementation name with the precision ("bf16 brg:avx512_core_bf16"). */
const char *cpose_lowp_impl(const struct cpose_lowp *lp);
void cpose_lowp_free(struct cpose_lowp *lp);  /* NULL-safe */

#endif
