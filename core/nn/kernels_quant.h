/* core/nn/kernels_quant.h — internal: an int8 conv's source conversion on AVX2 (core/nn/kernels_quant.c),
 * run by core/nn/kernels_lowp.c in place of oneDNN's reorders where cpose_quant_wanted says so:
 * float32 NHWC channels → s8 or u8 at the conv's input scale, rounded to nearest even and saturated
 * (the values of oneDNN's reorder), for one tensor or for all the parts a conv gathers (a concat's
 * inputs, a slice's channels of its input) in a single pass over the pixels.
 *
 * Why: oneDNN 2.6 converts float32 NHWC to s8 NHWC with its generic reorder ("simple:any"), one
 * element at a time, and as one parallel region per gathered part: 42 reorders in an int8 YOLOv8n-pose
 * forward at 640. Here 8 channels are one vector and a conv's parts share one pass. */
#ifndef CPOSE_KERNELS_QUANT_H
#define CPOSE_KERNELS_QUANT_H

#include <stdint.h>

/* One part of a conv's source: channels c0..c0+len−1 of a float32 NHWC tensor whose pixels are
 * `stride` floats apart (its channel count); or, with q set, of an NHWC buffer of the destination's
 * type and scale whose pixels are `stride` bytes apart (a producer's hand-off buffer), copied. The
 * parts fill the destination's channels in order. */
struct cpose_quant_part {
    const float *data;
    int64_t stride;
    int c0, len;
    const void *q;
};

/* Whether this kernel converts a source in src_layout into a buffer in q_layout: both NHWC, an AVX2
 * CPU, and env CPOSE_OWN_QUANT is not "0" (for A/B runs against oneDNN's reorder). */
int cpose_quant_wanted(int src_layout, int q_layout);
/* dst[p·cin + off_k + j] = sat(nearbyint(parts[k].data[p·stride_k + c0_k + j]·scale)) for the P
 * pixels p (images × rows × columns), each part k's len_k channels at off_k = Σ len of the parts
 * before it (Σ len = cin); s8 (−128..127) when is_signed, else u8 (0..255); a part with q set gives
 * q[p·stride_k + c0_k + j] as it is. Runs on
 * omp_get_max_threads() threads. Errors: CPOSE_EINVAL when the parts do not add up to cin,
 * CPOSE_ENOMEM. */
int cpose_quant_nhwc(const struct cpose_quant_part *parts, int n_parts, int64_t P, int cin, float scale, int is_signed,
                     void *dst);

#endif
