/* core/nn/ops/plane_impl.h — every 4-D layout seen as planes × pixels × lanes (internal to op files).
 *
 * plain NCHW: G = N·C planes of H·W pixels, 1 lane; NHWC: G = N planes, C lanes; blocked nChw{b}c:
 * G = N·Cp/b planes, b lanes. Element (g, q, v) is at (g·P + q)·V + v, and its channel is
 * (g mod CB)·V + v (CB = channel groups per image: C, 1 or Cp/b). */
#ifndef CPOSE_PLANE_IMPL_H
#define CPOSE_PLANE_IMPL_H

#include "core/nn/graph.h"

#include <string.h>

struct cpose_planes {
    int64_t G, CB, P, V;
};

static inline struct cpose_planes cpose_planes_of(const struct cpose_tensor *t)
{
    struct cpose_planes p;
    int64_t N = t->dims[0], C = t->dims[1];
    p.P = t->dims[2] * t->dims[3];
    if (t->layout == CPOSE_LAYOUT_PLAIN) p.CB = C, p.V = 1;
    else if (t->layout == CPOSE_LAYOUT_NHWC) p.CB = 1, p.V = C;
    else p.V = t->layout, p.CB = cpose_tensor_cpad(t) / p.V;
    p.G = N * p.CB;
    return p;
}

/* dst = v (acc 0) or dst += v (acc 1), n floats. */
static inline void cpose_grad_store(float *dst, const float *v, int64_t n, int acc)
{
    if (acc) {
#pragma omp parallel for simd schedule(static) if (n >= CPOSE_PAR_MIN)
        for (int64_t i = 0; i < n; i++) dst[i] += v[i];
    } else {
#pragma omp parallel for simd schedule(static) if (n >= CPOSE_PAR_MIN)
        for (int64_t i = 0; i < n; i++) dst[i] = v[i];
    }
}

/* Channels [s0, s0 + len) of src into channels [d0, d0 + len) of dst (same N, H, W and layout),
 * stored (acc 0) or added (acc 1). Whole blocks are copied when both ranges start at a block
 * boundary and either cover whole blocks or run to the end of both tensors (then the tail lanes
 * are padding on both sides). With acc 0 dst's padding channels are left zero. */
static inline void cpose_channel_copy(const struct cpose_tensor *src, int64_t s0, struct cpose_tensor *dst, int64_t d0,
                                      int64_t len, int acc)
{
    int64_t N = src->dims[0], H = src->dims[2], W = src->dims[3], HW = H * W;
    int64_t b = cpose_layout_block(src->layout), Cs = src->dims[1], Cd = dst->dims[1];
    if (src->layout == CPOSE_LAYOUT_NHWC) {
#pragma omp parallel for schedule(static) if (N * HW * len >= CPOSE_PAR_MIN)
        for (int64_t q = 0; q < N * HW; q++) {
            const float *s = src->data + q * Cs + s0;
            float *d = dst->data + q * Cd + d0;
            for (int64_t c = 0; c < len; c++) d[c] = acc ? d[c] + s[c] : s[c];
        }
    } else if (src->layout == CPOSE_LAYOUT_PLAIN) {
        for (int64_t n = 0; n < N; n++)
            cpose_grad_store(dst->data + (n * Cd + d0) * HW, src->data + (n * Cs + s0) * HW, len * HW, acc);
    } else if (s0 % b == 0 && d0 % b == 0 && (len % b == 0 || (s0 + len == Cs && d0 + len == Cd))) {
        /* one parallel region over (image, block): each a dense run of H·W·b floats */
        int64_t cbs = cpose_tensor_cpad(src) / b, cbd = cpose_tensor_cpad(dst) / b, nb = (len + b - 1) / b, run = HW * b;
#pragma omp parallel for schedule(static) if (N * nb * run >= CPOSE_PAR_MIN)
        for (int64_t j = 0; j < N * nb; j++) {
            int64_t n = j / nb, k = j % nb;
            float *d = dst->data + (n * cbd + d0 / b + k) * run;
            const float *s = src->data + (n * cbs + s0 / b + k) * run;
            if (acc)
                for (int64_t i = 0; i < run; i++) d[i] += s[i];
            else
                memcpy(d, s, run * sizeof(float));
        }
    } else {
#pragma omp parallel for collapse(2) schedule(static) if (N * len * HW >= CPOSE_PAR_MIN)
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < len; c++)
                for (int64_t h = 0; h < H; h++)
                    for (int64_t w = 0; w < W; w++) {
                        float v = src->data[cpose_tensor_off(src, n, s0 + c, h, w)];
                        float *d = &dst->data[cpose_tensor_off(dst, n, d0 + c, h, w)];
                        *d = acc ? *d + v : v;
                    }
        if (!acc) cpose_tensor_zero_pad(dst);
    }
}

#endif
