/* datasets/augment.c — the per-sample random stream, the hyperparameters, pixel labels (append,
 * clip, filter), box_candidates, RandomHSV and the flips. The geometric steps (perspective, mosaic)
 * and the whole-sample pipeline are in augment_geom.c. */
#include "datasets/augment.h"

#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/image.h"

/* ---- random numbers ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void cpose_rng_seed(struct cpose_rng *r, uint64_t seed, uint64_t epoch, uint64_t index)
{
    /* Mix the three words through splitmix so nearby triples give unrelated states. */
    uint64_t x = seed;
    uint64_t a = splitmix64(&x);
    x = a ^ epoch;
    uint64_t b = splitmix64(&x);
    x = b ^ index;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t cpose_rng_next(struct cpose_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cpose_rng_uniform(struct cpose_rng *r, double lo, double hi)
{
    double u = (double)(cpose_rng_next(r) >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * u;
}

uint64_t cpose_rng_below(struct cpose_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the incomplete last block */
    uint64_t x;
    do x = cpose_rng_next(r);
    while (x >= limit);
    return x % n;
}

/* ---- hyperparameters ---- */

void cpose_aug_hyp_defaults(struct cpose_aug_hyp *h)
{
    *h = (struct cpose_aug_hyp){.hsv_h = 0.015, .hsv_s = 0.7, .hsv_v = 0.4, .degrees = 0.0, .translate = 0.1,
                                .scale = 0.5, .shear = 0.0, .perspective = 0.0, .flipud = 0.0, .fliplr = 0.5,
                                .mosaic = 1.0};
}

int cpose_aug_hyp_check(const struct cpose_aug_hyp *h)
{
    struct {
        const char *key;
        double v, lo, hi;
    } r[] = {{"hsv_h", h->hsv_h, 0, 1},          {"hsv_s", h->hsv_s, 0, 1},    {"hsv_v", h->hsv_v, 0, 1},
             {"degrees", h->degrees, 0, 180},    {"translate", h->translate, 0, 1},
             {"scale", h->scale, 0, 0.999999},   {"shear", h->shear, 0, 89},   {"perspective", h->perspective, 0, 0.001},
             {"flipud", h->flipud, 0, 1},        {"fliplr", h->fliplr, 0, 1},  {"mosaic", h->mosaic, 0, 1}};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (!(r[i].v >= r[i].lo && r[i].v <= r[i].hi))
            return cpose_err(CPOSE_EINVAL, "augment: %s=%g must be in [%g, %g]", r[i].key, r[i].v, r[i].lo, r[i].hi);
    return CPOSE_OK;
}

/* ---- labels ---- */

void cpose_aug_labels_reserve(struct cpose_aug_labels *l, int n, int K)
{
    l->K = K;
    if (n <= l->cap) return;
    int cap = n < 8 ? 8 : n;
    l->cls = cpose_realloc(l->cls, (size_t)cap * sizeof *l->cls);
    l->boxes = cpose_realloc(l->boxes, (size_t)cap * 4 * sizeof *l->boxes);
    if (K > 0) l->kpts = cpose_realloc(l->kpts, (size_t)cap * K * 3 * sizeof *l->kpts);
    l->cap = cap;
}

void cpose_aug_labels_free(struct cpose_aug_labels *l)
{
    if (!l) return;
    cpose_free(l->cls);
    cpose_free(l->boxes);
    cpose_free(l->kpts);
    memset(l, 0, sizeof *l);
}

void cpose_aug_labels_append(struct cpose_aug_labels *dst, const struct cpose_aug_labels *src, float dx, float dy)
{
    int K = src->K, n0 = dst->n;
    cpose_aug_labels_reserve(dst, n0 + src->n, K);
    for (int i = 0; i < src->n; i++) {
        int j = n0 + i;
        dst->cls[j] = src->cls[i];
        for (int c = 0; c < 4; c++) dst->boxes[4 * j + c] = src->boxes[4 * i + c] + (c % 2 ? dy : dx);
        for (int k = 0; k < K; k++) {
            const float *s = src->kpts + ((size_t)i * K + k) * 3;
            float *d = dst->kpts + ((size_t)j * K + k) * 3;
            d[0] = s[0] + dx;
            d[1] = s[1] + dy;
            d[2] = s[2];
        }
    }
    dst->n = n0 + src->n;
}

void cpose_aug_labels_from_yolo(struct cpose_aug_labels *l, const float *cls_box, const float *kpts, int n, int K,
                                int w, int h)
{
    l->n = 0;
    cpose_aug_labels_reserve(l, n, K);
    for (int i = 0; i < n; i++) {
        const float *r = cls_box + 5 * i;
        l->cls[i] = r[0];
        l->boxes[4 * i + 0] = (r[1] - r[3] / 2) * w;
        l->boxes[4 * i + 1] = (r[2] - r[4] / 2) * h;
        l->boxes[4 * i + 2] = (r[1] + r[3] / 2) * w;
        l->boxes[4 * i + 3] = (r[2] + r[4] / 2) * h;
        for (int k = 0; k < K; k++) {
            const float *s = kpts + ((size_t)i * K + k) * 3;
            float *d = l->kpts + ((size_t)i * K + k) * 3;
            d[0] = s[0] * w;
            d[1] = s[1] * h;
            d[2] = s[2];
        }
    }
    l->n = n;
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

void cpose_aug_labels_clip(struct cpose_aug_labels *l, int w, int h)
{
    for (int i = 0; i < l->n; i++) {
        float *b = l->boxes + 4 * i;
        b[0] = clampf(b[0], 0, (float)w);
        b[2] = clampf(b[2], 0, (float)w);
        b[1] = clampf(b[1], 0, (float)h);
        b[3] = clampf(b[3], 0, (float)h);
        for (int k = 0; k < l->K; k++) {
            float *p = l->kpts + ((size_t)i * l->K + k) * 3;
            if (p[0] < 0 || p[1] < 0 || p[0] > w || p[1] > h) p[2] = 0;
            p[0] = clampf(p[0], 0, (float)w);
            p[1] = clampf(p[1], 0, (float)h);
        }
    }
}

void cpose_aug_labels_filter(struct cpose_aug_labels *l, const unsigned char *keep)
{
    int K = l->K, j = 0;
    for (int i = 0; i < l->n; i++) {
        if (!keep[i]) continue;
        if (j != i) {
            l->cls[j] = l->cls[i];
            memmove(l->boxes + 4 * j, l->boxes + 4 * i, 4 * sizeof *l->boxes);
            if (K) memmove(l->kpts + (size_t)j * K * 3, l->kpts + (size_t)i * K * 3, (size_t)K * 3 * sizeof *l->kpts);
        }
        j++;
    }
    l->n = j;
}

int cpose_box_candidate(const float box1[4], const float box2[4], double wh_thr, double ar_thr, double area_thr)
{
    const double eps = 1e-16;
    double w1 = box1[2] - box1[0], h1 = box1[3] - box1[1];
    double w2 = box2[2] - box2[0], h2 = box2[3] - box2[1];
    double ar = fmax(w2 / (h2 + eps), h2 / (w2 + eps));
    return w2 > wh_thr && h2 > wh_thr && w2 * h2 / (w1 * h1 + eps) > area_thr && ar < ar_thr;
}

/* ---- RandomHSV ---- */

void cpose_aug_hsv_apply(struct cpose_image *img, const double r[3])
{
    uint8_t lut[3][256];
    for (int x = 0; x < 256; x++) {
        lut[0][x] = (uint8_t)fmod(x * r[0], 180.0); /* x·r ≥ 0: Python's % and fmod agree */
        for (int c = 1; c < 3; c++) {
            double v = x * r[c];
            lut[c][x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    cpose_image_bgr_to_hsv(img);
    size_t n = (size_t)img->w * img->h;
    uint8_t *p = img->data;
    for (size_t i = 0; i < n; i++, p += 3) {
        p[0] = lut[0][p[0]];
        p[1] = lut[1][p[1]];
        p[2] = lut[2][p[2]];
    }
    cpose_image_hsv_to_bgr(img);
}

void cpose_aug_hsv(struct cpose_image *img, double hgain, double sgain, double vgain, struct cpose_rng *rng)
{
    if (!(hgain || sgain || vgain)) return;
    double g[3] = {hgain, sgain, vgain}, r[3];
    for (int c = 0; c < 3; c++) r[c] = cpose_rng_uniform(rng, -1, 1) * g[c] + 1;
    cpose_aug_hsv_apply(img, r);
}

/* ---- flips ---- */

void cpose_aug_fliplr(struct cpose_image *img, struct cpose_aug_labels *l, const int *flip_idx)
{
    int w = img->w, c = img->c;
    for (int y = 0; y < img->h; y++) {
        uint8_t *row = img->data + (size_t)y * w * c;
        for (int a = 0, b = w - 1; a < b; a++, b--)
            for (int k = 0; k < c; k++) {
                uint8_t t = row[a * c + k];
                row[a * c + k] = row[b * c + k];
                row[b * c + k] = t;
            }
    }
    int K = l->K;
    float tmp[3 * 64];
    for (int i = 0; i < l->n; i++) {
        float *b = l->boxes + 4 * i, x1 = b[0];
        b[0] = (float)w - b[2];
        b[2] = (float)w - x1;
        float *kp = l->kpts + (size_t)i * K * 3;
        for (int k = 0; k < K; k++) kp[3 * k] = (float)w - kp[3 * k];
        if (flip_idx && K <= 64) {
            memcpy(tmp, kp, (size_t)K * 3 * sizeof *kp);
            for (int k = 0; k < K; k++) memcpy(kp + 3 * k, tmp + 3 * flip_idx[k], 3 * sizeof *kp);
        }
    }
}

void cpose_aug_flipud(struct cpose_image *img, struct cpose_aug_labels *l)
{
    size_t row = (size_t)img->w * img->c;
    uint8_t *tmp = cpose_malloc(row);
    for (int a = 0, b = img->h - 1; a < b; a++, b--) {
        memcpy(tmp, img->data + a * row, row);
        memcpy(img->data + a * row, img->data + b * row, row);
        memcpy(img->data + b * row, tmp, row);
    }
    cpose_free(tmp);
    int h = img->h, K = l->K;
    for (int i = 0; i < l->n; i++) {
        float *b = l->boxes + 4 * i, y1 = b[1];
        b[1] = (float)h - b[3];
        b[3] = (float)h - y1;
        float *kp = l->kpts + (size_t)i * K * 3;
        for (int k = 0; k < K; k++) kp[3 * k + 1] = (float)h - kp[3 * k + 1];
    }
}
