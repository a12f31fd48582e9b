/* core/nn/kernels_wino_int8.h — internal: the int8 model's 3×3 stride-1 convolutions as Winograd
 * F(4×4, 3×3) in 16-bit integers (core/nn/kernels_wino_int8.c), run by the int8 conv of
 * core/nn/kernels_lowp.c in place of oneDNN's direct kernel where cpose_wino_i8_wanted says so.
 *
 * Why: without VNNI an int8 multiply-add costs oneDNN two multiplies (vpmaddubsw, then vpmaddwd to
 * widen), so a 16-bit multiply-add (one vpmaddwd) is nearly as fast per product, and F(4×4, 3×3)
 * needs 4× fewer products (36 transform points for 16 outputs). F(2×2, 3×3) (2.25× fewer) took 0.93×
 * of oneDNN's time on a Zen 3 against F(4×4)'s 0.63–0.67×, and was dropped. The input transform of a
 * quantised tile is exact in 16 bits (|Bᵀ d B| ≤ 100·255). The transformed filter U = G g Gᵀ is
 * quantised per transform point and output channel, to as many bits as keep the int32 sum over a
 * group of 64 input channels from overflowing (the groups are added in float32): 10.4 bits at the
 * corner points, finer than the direct kernel's 7, and per point so that the small entries, which Aᵀ
 * multiplies by up to 64, keep theirs. Against a double conv of the same quantised source this stays
 * within 0.2 % relative RMS (tests/test_wino_int8.c). The rest is that of the direct int8 conv: the
 * same input quantisation (the tensor's u8/s8 source buffer), the same epilogue (bias, SiLU, residual,
 * then float32 or the reader's u8/s8 at its scale, rounded to nearest even and saturated). */
#ifndef CPOSE_KERNELS_WINO_INT8_H
#define CPOSE_KERNELS_WINO_INT8_H

#include "core/nn/graph.h"
#include "core/nn/kernels_i8_store.h"

#include <stdint.h>

struct cpose_wino_i8;


/* Whether the int8 conv p should run here: a 3×3 stride-1 pad-1 conv with ≥ 32 input channels (with
 * 16 the transforms cost more than the products saved: 0.70 → 0.84 ms for YOLOv8n's 16→16 at 160×160
 * on a Zen 3, bench_wino_int8) on an AVX2 CPU, with source, output and residual in NHWC, and the mode
 * allows it. Mode: cpose_wino_i8_set_mode, else env CPOSE_WINO_INT8 (0 off, 1 on wherever AVX2 is),
 * else on for CPUs without VNNI (with VNNI oneDNN's one-instruction int8 multiply-add stays) while
 * cpose_wino_enabled(). */
int cpose_wino_i8_wanted(const struct cpose_conv2d_params *p, int src_layout, int out_layout, int res_layout);
/* Whether the mode and the CPU let it run at all (the shape aside). */
int cpose_wino_i8_on(void);
/* What the int8 convs run on this CPU, for `cpose checks` and the int8 message: "VNNI", or "no VNNI:
 * plain multiply-adds" with this Winograd's part where cpose_wino_i8_on() and the u8·s8 GEMM's
 * (kernels_gemm_int8.h) where cpose_gemm_i8_on(). */
const char *cpose_int8_kernels_desc(void);
/* -1: decide as above (the default); 0: never; 1: wherever it applies (tests). */
void cpose_wino_i8_set_mode(int mode);

/* Transforms and quantises p's weights for a source quantised as x_q = round(x·in_scale) in s8
 * (src_signed) or u8. Errors: CPOSE_ENOMEM. */
int cpose_wino_i8_prepare(const struct cpose_conv2d_params *p, float in_scale, int src_signed, struct cpose_wino_i8 **out);
/* dst = act(conv(src) + bias) [+ res] for N images of H×W: src the quantised source (NHWC, cin
 * bytes a pixel), res float32 NHWC or NULL, dst NHWC in dst_kind (u8/s8: ·to_scale, rounded to
 * nearest even and saturated). Runs on omp_get_max_threads() threads. Errors: CPOSE_ENOMEM. */
int cpose_wino_i8_run(const struct cpose_wino_i8 *w, int act, const void *src, int64_t N, int64_t H, int64_t W,
                      const float *res, void *dst, int dst_kind, float to_scale);
void cpose_wino_i8_free(struct cpose_wino_i8 *w);  /* NULL-safe */

#endif
