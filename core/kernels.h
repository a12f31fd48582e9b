/* core/kernels.h — the convolution kernel interface (oneDNN behind it: core/kernels_dnnl.c).
 *
 * A kernel is created lazily for a conv node and cached in its params: the oneDNN primitive (JIT,
 * ≈ 30 ms to build) is made once per input shape and re-made only when the shape, the weight
 * pointer or weights_version change. Activations are NHWC (cpose_tensor.nhwc = 1) or NCHW. */
#ifndef CPOSE_KERNELS_H
#define CPOSE_KERNELS_H

#include "graph.h"

/* out = act(conv(in, weight) + bias) [+ res]. res (optional, NULL: none) has out's dims, any
 * layout, and may not overlap out. Shapes must already agree (conv2d's shape function).
 * Errors: CPOSE_EINVAL with oneDNN's status name. */
CPOSE_API int cpose_conv_kernel_run(struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                                    const struct cpose_tensor *res, struct cpose_tensor *out);
CPOSE_API void cpose_conv_kernel_free(struct cpose_conv_kernel *k);  /* NULL-safe */
/* The activation layout the kernels run fastest in on this machine: nChw16c with AVX-512, else
 * nChw8c (env CPOSE_LAYOUT=nhwc|blk8|blk16 overrides, for benchmarks). */
CPOSE_API int cpose_kernel_activation_layout(void);
/* The oneDNN implementation a built kernel runs ("jit:avx2", "brg:avx512_core", "ref:any"; "" for
 * NULL). A "ref" kernel also logs one warning when built. */
CPOSE_API const char *cpose_conv_kernel_impl(const struct cpose_conv_kernel *k);

#endif
