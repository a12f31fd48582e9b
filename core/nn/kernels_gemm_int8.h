/* core/nn/kernels_gemm_int8.h — internal: an int8 model's 1×1 and 3×3 stride-2 convolutions as a u8·s8
 * GEMM on AVX2 without VNNI (core/nn/kernels_gemm_int8.c), run by the int8 conv of core/nn/kernels_lowp.c
 * in place of oneDNN's direct kernel where cpose_gemm_i8_wanted says so.
 *
 * Why: without VNNI an int8 multiply-add is three instructions (vpmaddubsw, vpmaddwd by ones, vpaddd:
 * 32 products), and on a Zen 3 they share three pipes, so a core does at most 32 products a cycle.
 * oneDNN 2.6's int8 1×1 and stride-2 kernels reach 20–65 % of that on YOLOv8n-pose's shapes, and their
 * SiLU post-op costs as much as the products on the wide planes. Here a chunk of output pixels is
 * packed once into rows of u8 (im2col for 3×3; an s8 source shifted by −(its calibrated minimum), so
 * that vpmaddubsw, which multiplies u8 by s8, takes it; the shift's Σ shift·w per output channel is
 * folded into the bias), a 6-pixel × 16-channel micro-kernel runs the products over the whole row, and
 * the epilogue is the int8 kernels' own: bias, SiLU (cpose_silu8_poly3), then float32 or the reader's
 * u8/s8 at its scale, rounded to nearest even and saturated (kernels_i8_store.h).
 *
 * The source bytes are those oneDNN's kernel reads (the tensor's u8/s8 buffer). The weights are
 * quantised per output channel to as many bits as keep vpmaddubsw's saturating 16-bit pair sums exact,
 * 2·umax·wmax ≤ 32767 with umax the largest packed byte: 127 for a u8 source without VNNI (wmax 127),
 * 127 + shift for an s8 one. After a SiLU (≥ −0.28) the shift is a few steps and wmax ≈ 114, where
 * oneDNN, which shifts every s8 source by 128, halves the weights to 64.
 *
 * The pair kernel (the default where it keeps wmax ≥ 48; CPOSE_GEMM_INT8_PAIRS=0 turns it off) adds two
 * steps' pair sums in int16 before widening them: 3 multiplies for 64 products instead of 4, so the
 * products run 4/3 as fast, and the weights keep half the steps (4·umax·wmax ≤ 32767: 64 for a u8
 * source, ≈ 60 after a SiLU, oneDNN's 64), which doubles their rounding error. */
#ifndef CPOSE_KERNELS_GEMM_INT8_H
#define CPOSE_KERNELS_GEMM_INT8_H

#include "core/nn/graph.h"
#include "core/nn/kernels_i8_store.h"

#include <stdint.h>

struct cpose_gemm_i8;

/* Whether the int8 conv p should run here: a 1×1 stride-1 conv without padding, or a 3×3 stride-2
 * pad-1 one of ≥ 32 input channels, with ≥ 8 output channels, on an AVX2 CPU, with source and output in NHWC, no residual, and the mode allows it.
 * Mode: cpose_gemm_i8_set_mode, else env CPOSE_GEMM_INT8 (0 off, 1x1 or s2 for one shape only, 1 on
 * wherever AVX2 is), else on for CPUs without VNNI (with VNNI oneDNN's one-instruction multiply-add
 * stays). */
int cpose_gemm_i8_wanted(const struct cpose_conv2d_params *p, int src_layout, int out_layout, int has_res);
/* Whether the mode and the CPU let it run at all (the shape aside). */
int cpose_gemm_i8_on(void);
/* -1: decide as above (the default); 0: never; 1: wherever it applies (tests). */
void cpose_gemm_i8_set_mode(int mode);

/* Quantises and packs p's weights for a source quantised as x_q = round(x·in_scale) in s8 (src_signed)
 * or u8; an s8 source's smallest value is taken as round down(p->in_lo·in_scale), and smaller ones
 * are read as it. Errors: CPOSE_ENOMEM. */
int cpose_gemm_i8_prepare(const struct cpose_conv2d_params *p, float in_scale, int src_signed, struct cpose_gemm_i8 **out);
/* dst = act(conv(src) + bias) for N images of H×W source pixels: src the quantised source (NHWC, cin
 * bytes a pixel), dst NHWC of the conv's output size in dst_kind (u8/s8: ·to_scale, rounded to nearest
 * even and saturated). Runs on omp_get_max_threads() threads. Errors: CPOSE_ENOMEM. */
int cpose_gemm_i8_run(const struct cpose_gemm_i8 *g, int act, const void *src, int64_t N, int64_t H, int64_t W, void *dst,
                      int dst_kind, float to_scale);
void cpose_gemm_i8_free(struct cpose_gemm_i8 *g);  /* NULL-safe */
/* The steps a side of g's weights (wmax above: the largest |weight| of each output channel is quantised
 * to it), for the tests' tolerances. */
int cpose_gemm_i8_weight_steps(const struct cpose_gemm_i8 *g);
/* Whether the pair kernel may run at all (env CPOSE_GEMM_INT8_PAIRS=0: never), read once. */
int cpose_gemm_i8_pairs_on(void);
/* 1 where g runs the pair kernel (the conv's implementation name then ends in "+pairs"), else 0. */
int cpose_gemm_i8_pairs(const struct cpose_gemm_i8 *g);

#endif
