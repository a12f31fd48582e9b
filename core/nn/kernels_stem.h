/* core/nn/kernels_stem.h — internal: an int8 model's first conv (3 input channels, 3×3, stride 2,
 * pad 1) in float32 FMAs straight from the float32 NCHW image (core/nn/kernels_stem.c), run by the
 * int8 conv of core/nn/kernels_lowp.c in place of oneDNN where cpose_stem_wanted says so.
 *
 * Why: oneDNN's int8 path spends more on this conv's edges than on its 27 multiply-adds per output: a
 * reorder of the image into NHWC u8 (0.41 ms at 640 on a Zen 3), then its swish post-op on 16 outputs
 * per input pixel (0.73 ms of its 1.9). Here the image is read in place, the products are float32
 * (exact inputs, unrounded weights: closer to float32 than int8 is), and the epilogue is the int8
 * kernels' own (bias, cpose_silu8_poly3, stored as float32 or as the reader's u8/s8 at its scale). */
#ifndef CPOSE_KERNELS_STEM_H
#define CPOSE_KERNELS_STEM_H

#include "core/nn/graph.h"
#include "core/nn/kernels_i8_store.h"

#include <stdint.h>

struct cpose_stem;

/* Whether an int8 model's conv p is a stem this kernel takes: 3 input channels, 3×3 stride 2 pad 1,
 * an AVX2 CPU; env CPOSE_STEM=0 turns it off (for A/B runs). The model's precision pass makes such a
 * first conv int8 even where oneDNN has no fast int8 kernel for 3 channels (core/nn/model_prec.c). */
int cpose_stem_fits(const struct cpose_conv2d_params *p);
/* Whether the CPU and the mode let it run at all (the shape aside). */
int cpose_stem_on(void);
/* Whether conv p runs here: it fits, and reads a float32 NCHW (plain) source and writes NHWC, with no
 * residual. */
int cpose_stem_wanted(const struct cpose_conv2d_params *p, int src_layout, int out_layout, int has_res);
/* Packs p's weights ([27 taps][cout rounded up to 8]) and bias. Errors: CPOSE_ENOMEM. */
int cpose_stem_prepare(const struct cpose_conv2d_params *p, struct cpose_stem **out);
/* dst = act(conv(src) + bias) for N images: src float32 NCHW (3 channels of H×W), dst NHWC of
 * ((H−1)/2+1)×((W−1)/2+1) pixels in dst_kind (u8/s8: ·to_scale, rounded to nearest even and
 * saturated). Runs on omp_get_max_threads() threads. Errors: CPOSE_ENOMEM. */
int cpose_stem_run(const struct cpose_stem *s, int act, const float *src, int64_t N, int64_t H, int64_t W, void *dst,
                   int dst_kind, float to_scale);
void cpose_stem_free(struct cpose_stem *s);  /* NULL-safe */

#endif
