/* core/nn/kernels_lowp.h — internal: the low-precision (bf16, int8) convolution of one conv node,
 * built and run by core/nn/kernels_dnnl.c when the node's params ask for it (p->prec). Not a public
 * header: it names oneDNN types.
 *
 * Each forward converts the float32 activation to the conv's source type with a oneDNN reorder, or
 * for int8 in NHWC on AVX2 with cpose's conversion loop (kernels_quant.h; the same bytes) (bf16: round
 * to nearest even; int8: x·in_scale rounded and saturated to s8, or u8 for a non-negative range), runs the oneDNN convolution on bf16 or int8 weights (int8: one scale per
 * output channel, 127/max|w|), accumulates in float32 (bf16) or int32 (int8), and writes float32
 * with bias, SiLU and the residual applied as in the float32 kernel — or, handing off to a reader
 * conv, the reader's source type directly (see cpose_conv2d_params.lowp_to). */
#ifndef CPOSE_KERNELS_LOWP_H
#define CPOSE_KERNELS_LOWP_H

#include <dnnl.h>

#include "core/nn/graph.h"

struct cpose_lowp;

/* The convolution primitives of one conv, one per OpenMP thread count. A oneDNN primitive fixes its
 * thread count when it is made (it runs `omp parallel num_threads(n)` with the count of its creation),
 * so a forward on another count (the load-adaptive executor, core/nn/exec.c, or a kernel made inside
 * a forward that ran on fewer threads) needs one made for that count. It is used only when oneDNN
 * picks the same implementation and weights layout for it, so the values cannot change. */
struct cpose_conv_threads {
    dnnl_convolution_desc_t cd;   /* what the first primitive was made from */
    dnnl_primitive_attr_t attr;   /* owned */
    int nthr;                     /* the OpenMP thread count the first primitive was made with */
    char impl[64];                /* oneDNN's implementation name of the first primitive */
    struct { int nthr; dnnl_primitive_t prim; } alt[4];  /* for other counts (prim NULL: use the first) */
    int n_alt;
};
/* Records how the first primitive was made: cd, attr (taken: freed by cpose_conv_threads_free), its
 * implementation name, and the current omp_get_max_threads() as its count. */
void cpose_conv_threads_init(struct cpose_conv_threads *t, const dnnl_convolution_desc_t *cd,
                             dnnl_primitive_attr_t attr, const char *impl);
/* The primitive to run with nthr threads: first when it was made for nthr; else one made for nthr
 * (once, on eng) when oneDNN gives it first's implementation and wts's weights layout; else first. */
dnnl_primitive_t cpose_conv_threads_pick(struct cpose_conv_threads *t, dnnl_engine_t eng, dnnl_primitive_t first,
                                         dnnl_memory_t wts, int nthr);
void cpose_conv_threads_free(struct cpose_conv_threads *t);  /* the alternatives and attr; zeroes t */
/* Whether t has a primitive made for nthr threads (the first, or an alternative oneDNN accepted). */
int cpose_conv_threads_has(const struct cpose_conv_threads *t, int nthr);

/* Builds the kernel for p (p->prec BF16 or INT8; INT8 needs p->in_absmax > 0) on engine/stream,
 * activations in in's, res's and out's layouts. Errors: CPOSE_EINVAL with oneDNN's status,
 * CPOSE_ENOMEM. */
int cpose_lowp_build(dnnl_engine_t eng, dnnl_stream_t strm, const struct cpose_conv2d_params *p,
                     const struct cpose_tensor *in, const struct cpose_tensor *res, const struct cpose_tensor *out,
                     struct cpose_lowp **lp);
/* out = act(conv(in) + bias) [+ res] in the kernel's precision. With a hand-off (p->lowp_from at
 * build) the source is qin, the producer's cpose_lowp_handoff buffer, and in is not read; otherwise
 * qin is NULL. With a gathered source (p->n_gather at build) the source is parts (p->gather: a
 * concat's inputs or a slice's channels of its input), and in is not read; otherwise parts is NULL.
 * part_q[k] (with parts): the hand-off buffer of parts[k].from (already in the source type, copied),
 * else NULL (converted). A producer (p->lowp_to at build) writes its own hand-off buffer, not out. */
int cpose_lowp_run(struct cpose_lowp *lp, dnnl_stream_t strm, const struct cpose_tensor *in, const void *qin,
                   const struct cpose_gather_part *parts, const void *const *part_q, const struct cpose_tensor *res,
                   struct cpose_tensor *out);
/* Whether oneDNN chose its reference implementation (slow) for this kernel. */
int cpose_lowp_is_reference(const struct cpose_lowp *lp);
/* The output in the reader's source type of a kernel built with p->lowp_to, else NULL. */
const void *cpose_lowp_handoff(const struct cpose_lowp *lp);
/* oneDNN's implementation name with the precision ("bf16 brg:avx512_core_bf16"). */
const char *cpose_lowp_impl(const struct cpose_lowp *lp);
/* The kernel's convolution primitives by thread count (none where the int16 Winograd runs the conv:
 * it takes omp_get_max_threads() at each run). */
const struct cpose_conv_threads *cpose_lowp_threads(const struct cpose_lowp *lp);
void cpose_lowp_free(struct cpose_lowp *lp);  /* NULL-safe */

#endif
