/* core/nn/kernels_quant.h — internal: an int8 conv's source conversion on AVX2 (core/nn/kernels_quant.c),
 * and the epilogue of a oneDNN int8 conv whose int32 sums cpose finishes (cpose_i8_finish_nhwc, below);
 * the conversion is run by core/nn/kernels_lowp.c in place of oneDNN's reorders where cpose_quant_wanted says so:
 * float32 NHWC channels → s8 or u8 at the conv's input scale, rounded to nearest even and saturated
 * (the values of oneDNN's reorder), for one tensor or for all the parts a conv gathers (a concat's
 * inputs, a slice's channels of its input) in a single pass over the pixels.
 *
 * Why: oneDNN 2.6 converts float32 NHWC to s8 NHWC with its generic reorder ("simple:any"), one
 * element at a time, and as one parallel region per gathered part: 42 reorders in an int8 YOLOv8n-pose
 * forward at 640. Here 8 channels are one vector and a conv's parts share one pass. */
#ifndef CPOSE_KERNELS_QUANT_H
#define CPOSE_KERNELS_QUANT_H

#include "core/nn/kernels_i8_store.h"

#include <stdint.h>

/* One part of a conv's source: channels c0..c0+len−1 of a float32 NHWC tensor whose pixels are
 * `stride` floats apart (its channel count); or, with q set, of an NHWC buffer of the destination's
 * type and scale whose pixels are `stride` bytes apart (a producer's hand-off buffer), copied. The
 * parts fill the destination's channels in order. up > 1: the part is at 1/up of the destination's
 * height and width (src_h × src_w pixels an image), read as nearest upsampling: destination pixel
 * (h, w) of an image takes the part's (h/up, w/up). */
struct cpose_quant_part {
    const float *data;
    int64_t stride;
    int c0, len;
    const void *q;
    int up;
    int64_t src_h, src_w;
};

/* Whether this kernel converts a source in src_layout into a buffer in q_layout: both NHWC, an AVX2
 * CPU, and env CPOSE_OWN_QUANT is not "0" (for A/B runs against oneDNN's reorder). */
int cpose_quant_wanted(int src_layout, int q_layout);
/* dst[p·cin + off_k + j] = sat(nearbyint(parts[k].data[p·stride_k + c0_k + j]·scale)) for the P
 * pixels p (images × rows × columns), each part k's len_k channels at off_k = Σ len of the parts
 * before it (Σ len = cin); s8 (−128..127) when is_signed, else u8 (0..255); a part with q set gives
 * q[p·stride_k + c0_k + j] as it is; an upsampled part (up > 1) reads pixel p's source pixel in place
 * of p. Runs on
 * omp_get_max_threads() threads. Errors: CPOSE_EINVAL when the parts do not add up to cin,
 * CPOSE_ENOMEM. */
int cpose_quant_nhwc(const struct cpose_quant_part *parts, int n_parts, int64_t P, int cin, float scale, int is_signed,
                     void *dst);

/* The epilogue cpose's own int8 kernels have, for a oneDNN int8 conv run without post-ops into int32
 * sums: oneDNN 2.6's SiLU post-op (swish) costs about as much as the products of a 16-channel conv, and
 * cpose_silu8_poly3 a fraction of that. y = acc[p·cout + o]·oscale[o] + bias[o], SiLU where act is
 * CPOSE_ACT_SILU, plus res[p·cout + o], stored at dst[p·cout + o] as dst_kind (enum cpose_i8_dst:
 * float32, or u8/s8 at ·to_scale, rounded to nearest even and saturated) for the P pixels; bias and res
 * may be NULL. Runs on omp_get_max_threads() threads. Errors: CPOSE_ENOMEM; CPOSE_ENOTSUP without AVX2. */
int cpose_i8_finish_nhwc(const int32_t *acc, int64_t P, int cout, const float *oscale, const float *bias, int act,
                         const float *res, void *dst, int dst_kind, float to_scale);

#endif
