/* core/nn/kernels.h — the convolution kernel interface (oneDNN behind it: core/nn/kernels_dnnl.c).
 *
 * A kernel is created lazily for a conv node and cached in its params: the oneDNN primitive (JIT,
 * ≈ 30 ms to build) is made once per input shape and re-made only when the shape, the weight
 * pointer change; when weights_version changes the weights are re-packed. Activations come in any
 * cpose_tensor.layout (core/nn/tensor.h): plain NCHW, NHWC, or blocked nChw8c / nChw16c. */
#ifndef CPOSE_KERNELS_H
#define CPOSE_KERNELS_H

#include "core/nn/graph.h"

/* Inference precision of a conv (cpose_conv2d_params.prec). BF16: bf16 weights and activations,
 * float32 accumulation (oneDNN's avx512_core_bf16 / AMX kernels; elsewhere oneDNN emulates it
 * slowly, so callers check cpose_cpu_has_bf16 first). INT8: s8 weights with one scale per output
 * channel, the input quantised with its calibrated range (s8, or u8 for a non-negative range), int32
 * accumulation (VNNI where the CPU has it, AVX2/AVX-512 multiply-adds otherwise). Output float32
 * either way (core/nn/kernels_lowp.c). */
enum cpose_prec { CPOSE_PREC_F32 = 0, CPOSE_PREC_BF16 = 1, CPOSE_PREC_INT8 = 2 };
/* Whether this CPU runs bf16 dot products natively (oneDNN's ISA query: avx512_core_bf16 or AMX).
 * Env CPOSE_NO_BF16=1 answers 0 (to test the float32 fallback). */
CPOSE_API int cpose_cpu_has_bf16(void);
/* Whether this CPU has int8 dot-product instructions (AVX512_VNNI or AVX_VNNI); int8 runs without
 * them too, on plain multiply-adds. */
CPOSE_API int cpose_cpu_has_vnni(void);
/* oneDNN's name for the ISA it dispatches to ("avx512_core_bf16", "avx2", ...). */
CPOSE_API const char *cpose_cpu_isa_name(void);

/* out = act(conv(in, weight) + bias) [+ res]. res (optional, NULL: none) has out's dims, any
 * layout, and may not overlap out. Shapes must already agree (conv2d's shape function).
 * Errors: CPOSE_EINVAL with oneDNN's status name. */
CPOSE_API int cpose_conv_kernel_run(struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                                    const struct cpose_tensor *res, struct cpose_tensor *out);
CPOSE_API void cpose_conv_kernel_free(struct cpose_conv_kernel *k);  /* NULL-safe */
/* The activation layout the kernels run fastest in on this machine: nChw16c with AVX-512, else
 * nChw8c (env CPOSE_LAYOUT=nhwc|blk8|blk16 overrides, for benchmarks). */
CPOSE_API int cpose_kernel_activation_layout(void);
/* The activation layout of a float32 inference forward: cpose_kernel_activation_layout, except on an
 * AVX-512 CPU whose 16-lane FMAs are no faster than 8-lane ones (cpose_avx512_fma_is_wide, measured;
 * AMD Zen 4), where it is nChw8c so that 3×3 stride-1 convs run Winograd (less arithmetic) — unless
 * Winograd is off (CPOSE_WINOGRAD=0) or CPOSE_LAYOUT is set. Training keeps the kernels' layout. */
CPOSE_API int cpose_kernel_inference_layout(void);
/* The layout graph g's convs run in at precision prec (float32 or bf16), given the one preferred
 * (cpose_kernel_activation_layout or _inference_layout): nChw16c becomes nChw8c (float32) or NHWC
 * (bf16, whose kernels want 16-channel blocks) when g has a conv of 4 to 15 input channels, which
 * oneDNN 2.6 runs only on its reference kernel in nChw16c (a width below YOLOv8's n scale). Unless
 * CPOSE_LAYOUT is set; every other layout is returned as given. */
CPOSE_API int cpose_kernel_layout_for_graph(int preferred, const struct cpose_graph *g, int prec);
/* Whether oneDNN has a JIT (not its slow reference) kernel for conv p at precision prec (bf16 or int8,
 * with p's int8 input range) on activations in `layout` (probed on a 32×32 input; the choice does not
 * depend on the spatial size). 0 for float32 or when oneDNN cannot build it. */
CPOSE_API int cpose_lowp_conv_has_jit(const struct cpose_conv2d_params *p, int prec, int layout);
/* The oneDNN implementation a built kernel runs ("jit:avx2", "brg:avx512_core", "ref:any"; "" for
 * NULL). A "ref" kernel also logs one warning when built. */
CPOSE_API const char *cpose_conv_kernel_impl(const struct cpose_conv_kernel *k);
/* Whether a built kernel has a oneDNN convolution made for nthr OpenMP threads: the one it was built
 * with, or one made when a forward ran on nthr (a oneDNN primitive keeps the thread count of its
 * creation). 0 when it has none for nthr (oneDNN picked another implementation or weights layout for
 * that count, so the first runs), for NULL, and for the Winograd kernel (which needs none). */
CPOSE_API int cpose_conv_kernel_has_threads(const struct cpose_conv_kernel *k, int nthr);

/* Backward of a conv without fused activation or residual (the training graph): into gin (NULL:
 * not wanted; layout of in) the data gradient, stored or added (gin_accum); into p->grad_w and
 * p->grad_b (when set) the weight and bias gradients, stored or added (param_accum). On oneDNN's
 * backward-data / backward-weights primitives, built once per shape and cached in p->bwd; the
 * current weights are re-packed each call. Errors: CPOSE_ENOTSUP for a fused conv, CPOSE_EINVAL
 * with oneDNN's status. */
CPOSE_API int cpose_conv_kernel_backward(struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                                         const struct cpose_tensor *gout, struct cpose_tensor *gin, int gin_accum,
                                         int param_accum);
CPOSE_API void cpose_conv_bwd_free(struct cpose_conv_bwd *b);  /* NULL-safe */
/* The implementation names of a built backward ("" for NULL): weights 0 = data gradient, 1 = weights. */
CPOSE_API const char *cpose_conv_bwd_impl(const struct cpose_conv_bwd *b, int weights);

/* Winograd F(2×2, 3×3) for 3×3 stride-1 pad-1 convs between nChw8c tensors (core/nn/kernels_wino.c),
 * used by cpose_conv_kernel_run when enabled and cpose_wino_applies (AVX2+FMA CPU, ≥ 16 channels
 * in and out). On by default; env CPOSE_WINOGRAD=0 (or cpose_wino_set_enabled(0), before the
 * kernels are built) runs oneDNN's direct kernel instead. It is 1.4–1.8× faster than that kernel on
 * those convs and per layer as accurate (max error vs a double conv 1–2e-6 against oneDNN's
 * 1–5e-6); over the 1107 rows of test_predict_e2e it is closer to Ultralytics on average (|dbox|
 * 0.00139 vs 0.00156 px, |dkpt| 0.0066 vs 0.0077 px, |dscore| 2.0e-6 vs 2.2e-6); its worst row's
 * score is 1.07e-4 off, inside the 1.39e-4 of the unfused direct path. prepare transforms p's weights (errors: CPOSE_ENOMEM); run
 * computes out = act(conv(in) + bias) [+ res] like the oneDNN kernel. */
struct cpose_wino;
CPOSE_API int cpose_wino_enabled(void);
CPOSE_API void cpose_wino_set_enabled(int on);
CPOSE_API int cpose_wino_applies(const struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                                 const struct cpose_tensor *res, const struct cpose_tensor *out);
CPOSE_API int cpose_wino_prepare(const struct cpose_conv2d_params *p, struct cpose_wino **out);
CPOSE_API int cpose_wino_run(const struct cpose_wino *w, const struct cpose_conv2d_params *p,
                             const struct cpose_tensor *in, const struct cpose_tensor *res, struct cpose_tensor *out);
CPOSE_API void cpose_wino_free(struct cpose_wino *w);  /* NULL-safe */
/* Shared by the float32 and bf16 Winograd kernels. u16[ξ] = (G g Gᵀ)[ξ / 4][ξ % 4] for one 3×3
 * filter g (row-major), computed in double. */
CPOSE_API void cpose_wino_filter(const float *g, float u16[16]);
/* Splits an image's `tiles` output tiles into chunks of *nt tiles (a multiple of tr) whose scratch
 * (per_tile bytes a tile) fits in ≈ 256 KiB of a core's L2, at least six a thread: *nt and *nch chunks. */
CPOSE_API void cpose_wino_chunks(int64_t tiles, int64_t per_tile, int tr, int64_t *nt, int64_t *nch);
/* One chunk of a chunked kernel: `count` units (tiles, pixels) from `first` of image n, with the running
 * thread's scratch a and b. */
typedef void (*cpose_chunk_fn)(const void *ctx, int64_t n, int64_t first, int count, void *a, void *b);
/* Runs fn over images × ⌈units / per⌉ chunks of `per` units on the OpenMP threads (each takes the next
 * chunk when done with one, so a slowed thread takes fewer; the results do not depend on who ran what), each
 * thread with its own 64-byte aligned scratch a (a_bytes) and b (b_bytes). Errors: CPOSE_ENOMEM naming `what`. */
CPOSE_API int cpose_run_chunks(int64_t images, int64_t units, int64_t per, size_t a_bytes, size_t b_bytes, cpose_chunk_fn fn,
                               const void *ctx, const char *what);
/* A Winograd kernel's chunk: nt tiles from t0 (row-major over the tW tiles of a row) of the H×W image
 * plane x into y (residual plane res or NULL), with the thread's scratch V and M. */
typedef void (*cpose_wino_chunk_fn)(const void *w, int act, const float *x, const float *res, float *y, int64_t H,
                                    int64_t W, int64_t tW, int64_t t0, int nt, void *V, void *M);
/* Runs a Winograd kernel w over in → out: chunks of tiles (a multiple of tr) sized by cpose_wino_chunks
 * for v_bytes + m_bytes of scratch per tile and transform point, on cpose_run_chunks. */
CPOSE_API int cpose_wino_drive(const void *w, cpose_wino_chunk_fn chunk, int act, const struct cpose_tensor *in,
                               const struct cpose_tensor *res, struct cpose_tensor *out, int tr, size_t v_bytes,
                               size_t m_bytes, const char *what);

/* Which kernel runs a bf16 conv (cpose_conv2d_params.bf16_own, chosen by cpose_model_apply_precision):
 * oneDNN's, or one of cpose's own below, which read and write float32. */
enum cpose_bf16_own { CPOSE_BF16_ONEDNN = 0, CPOSE_BF16_WINOGRAD = 1, CPOSE_BF16_GEMM = 2 };
/* Whether cpose's own bf16 kernels (below) can run here: AVX512_BF16 with AVX512VL (and
 * cpose_cpu_has_bf16, so CPOSE_NO_BF16=1 answers 0). */
CPOSE_API int cpose_bf16_own_available(void);
/* Winograd F(2×2, 3×3) in bf16 for 3×3 stride-1 pad-1 convs between nChw16c tensors
 * (core/nn/kernels_wino_bf16.c): the transforms in float32, the 16 GEMMs of transformed tiles and
 * filters on bf16 dot products (AVX512_BF16 vdpbf16ps) with float32 accumulation, then the output
 * transform and epilogue in float32. Half the multiplies of the float32 Winograd, each at twice the
 * rate; its error is that of rounding the transformed input and filter to bf16 (8 bits), of the
 * order of oneDNN's direct bf16 conv. It takes a conv whose params say so (cpose_conv2d_params.bf16_own
 * CPOSE_BF16_WINOGRAD, set by cpose_model_apply_precision for half=True) when applies says yes (a CPU with AVX512_BF16,
 * ≥ 16 channels in and out, nChw16c). Float32 in and out: it takes no bf16 hand-off or gather.
 * prepare transforms and rounds p's weights (errors: CPOSE_ENOMEM); run computes
 * out = act(conv(in) + bias) [+ res]. */
struct cpose_wino_bf16;
CPOSE_API int cpose_wino_bf16_applies(const struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                                      const struct cpose_tensor *res, const struct cpose_tensor *out);
CPOSE_API int cpose_wino_bf16_prepare(const struct cpose_conv2d_params *p, struct cpose_wino_bf16 **out);
CPOSE_API int cpose_wino_bf16_run(const struct cpose_wino_bf16 *w, const struct cpose_conv2d_params *p,
                                  const struct cpose_tensor *in, const struct cpose_tensor *res,
                                  struct cpose_tensor *out);
CPOSE_API void cpose_wino_bf16_free(struct cpose_wino_bf16 *w);  /* NULL-safe */

/* A k×k conv (any stride and pad) in bf16 between nChw16c tensors as an implicit GEMM
 * (core/nn/kernels_conv_bf16.c): each chunk of output pixels gathers its taps and rounds them to bf16 as
 * it reads them, bf16 weights, float32 accumulation on vdpbf16ps, bias, SiLU and the residual in
 * float32. Taken by a conv whose params say so (cpose_conv2d_params.bf16_own CPOSE_BF16_GEMM)
 * when applies says yes (≥ 16 channels in and out); float32 in and out. prepare rounds p's weights
 * (errors: CPOSE_ENOMEM); run computes out = act(conv(in) + bias) [+ res]. */
struct cpose_conv_bf16;
CPOSE_API int cpose_conv_bf16_applies(const struct cpose_conv2d_params *p, const struct cpose_tensor *in,
                                      const struct cpose_tensor *res, const struct cpose_tensor *out);
CPOSE_API int cpose_conv_bf16_prepare(const struct cpose_conv2d_params *p, struct cpose_conv_bf16 **out);
CPOSE_API int cpose_conv_bf16_run(const struct cpose_conv_bf16 *w, const struct cpose_conv2d_params *p,
                                  const struct cpose_tensor *in, const struct cpose_tensor *res,
                                  struct cpose_tensor *out);
CPOSE_API void cpose_conv_bf16_free(struct cpose_conv_bf16 *w);  /* NULL-safe */

#endif
