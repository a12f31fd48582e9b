/* datasets/augment.h — Ultralytics 8.1's training augmentations (v8_transforms for pose) in C:
 * Mosaic (4 images on a 2s×2s canvas), RandomPerspective (center, perspective, rotation+scale,
 * shear, translation; warpAffine with border 114, mosaic border −s/2), RandomHSV (LUT method),
 * RandomFlip (flipud; fliplr swapping keypoints by flip_idx), LetterBox for the non-mosaic path,
 * box_candidates (wh_thr 2, ar_thr 100, area_thr 0.1). Keypoints that leave the image become
 * invisible (v = 0, coordinates clipped to the edge); boxes are clipped.
 *
 * Randomness comes from one cpose_rng per sample, seeded from (seed, epoch, index), so a sample's
 * result does not depend on which thread made it or in which order.
 *
 * Labels travel in pixels of the current image (struct cpose_aug_labels: xyxy boxes, x y v
 * keypoints) and are normalised only at the end (cpose_aug_labels_normalize). */
#ifndef CPOSE_AUGMENT_H
#define CPOSE_AUGMENT_H

#include <stddef.h>
#include <stdint.h>
#include "core/base/status.h"

struct cpose_image;

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */
struct cpose_rng {
    uint64_t s[4];
};
/* Seeds a stream from (seed, epoch, index): distinct triples give independent streams. */
CPOSE_API void cpose_rng_seed(struct cpose_rng *r, uint64_t seed, uint64_t epoch, uint64_t index);
CPOSE_API uint64_t cpose_rng_next(struct cpose_rng *r);
/* Uniform in [lo, hi) (53-bit resolution). */
CPOSE_API double cpose_rng_uniform(struct cpose_rng *r, double lo, double hi);
/* Uniform integer in [0, n) (n ≥ 1), without modulo bias. */
CPOSE_API uint64_t cpose_rng_below(struct cpose_rng *r, uint64_t n);

/* ---- hyperparameters (Ultralytics' names and default.yaml values) ---- */
struct cpose_aug_hyp {
    double hsv_h, hsv_s, hsv_v;       /* 0.015, 0.7, 0.4 */
    double degrees, translate, scale; /* 0.0, 0.1, 0.5 */
    double shear, perspective;        /* 0.0, 0.0 */
    double flipud, fliplr;            /* 0.0, 0.5 */
    double mosaic;                    /* 1.0 (probability) */
};
CPOSE_API void cpose_aug_hyp_defaults(struct cpose_aug_hyp *h);
/* Checks ranges (probabilities in [0,1], gains and magnitudes ≥ 0, scale < 1 ... ) and names the
 * first bad key: CPOSE_EINVAL "augment: fliplr=1.5 must be in [0, 1]". */
CPOSE_API int cpose_aug_hyp_check(const struct cpose_aug_hyp *h);

/* ---- labels in pixels ---- */
struct cpose_aug_labels {
    int n, K;          /* instances, keypoints per instance (0: boxes only) */
    int cap;           /* allocated instances */
    float *cls;        /* n */
    float *boxes;      /* n × 4: x1 y1 x2 y2 (pixels) */
    float *kpts;       /* n × K × 3: x y (pixels) v */
};
/* Makes room for n instances (contents kept); sets K. */
CPOSE_API void cpose_aug_labels_reserve(struct cpose_aug_labels *l, int n, int K);
CPOSE_API void cpose_aug_labels_free(struct cpose_aug_labels *l); /* NULL-safe */
/* Appends src's instances shifted by (dx, dy). K must match (or dst empty). */
CPOSE_API void cpose_aug_labels_append(struct cpose_aug_labels *dst, const struct cpose_aug_labels *src, float dx,
                                       float dy);
/* Loads normalised YOLO rows (cls cx cy w h; kpts x y v normalised) into pixels of a w×h image. */
CPOSE_API void cpose_aug_labels_from_yolo(struct cpose_aug_labels *l, const float *cls_box, const float *kpts, int n,
                                          int K, int w, int h);
/* Clips boxes to [0,w]×[0,h]; a keypoint outside that area gets v = 0 and its x, y clipped. */
CPOSE_API void cpose_aug_labels_clip(struct cpose_aug_labels *l, int w, int h);
/* Keeps only the instances with keep[i] != 0 (order kept). */
CPOSE_API void cpose_aug_labels_filter(struct cpose_aug_labels *l, const unsigned char *keep);

/* Ultralytics' box_candidates: box1 before, box2 after augmentation (xyxy): kept when both sides of
 * box2 exceed wh_thr pixels, its area is more than area_thr of box1's, and its aspect ratio is
 * below ar_thr. Returns 1 to keep. */
CPOSE_API int cpose_box_candidate(const float box1[4], const float box2[4], double wh_thr, double ar_thr,
                                  double area_thr);

/* ---- the steps ---- */
/* RandomHSV with fixed gains r = (r_h, r_s, r_v) (Ultralytics draws r = U(-1,1)·gain + 1): H via a
 * LUT x·r_h mod 180, S and V via LUTs clip(x·r, 0, 255). In place (BGR). */
CPOSE_API void cpose_aug_hsv_apply(struct cpose_image *img, const double r[3]);
/* RandomHSV: draws r from rng (3 draws) and applies it; all gains 0 leaves the image untouched and
 * draws nothing, as Ultralytics does. */
CPOSE_API void cpose_aug_hsv(struct cpose_image *img, double hgain, double sgain, double vgain,
                             struct cpose_rng *rng);

/* Horizontal flip of the image and labels: x → w − x, boxes re-ordered to xyxy, keypoints
 * permuted by flip_idx (K entries; NULL: not permuted). */
CPOSE_API void cpose_aug_fliplr(struct cpose_image *img, struct cpose_aug_labels *l, const int *flip_idx);
/* Vertical flip: y → h − y. */
CPOSE_API void cpose_aug_flipud(struct cpose_image *img, struct cpose_aug_labels *l);

/* The RandomPerspective matrix for an image w×h and a border (negative for mosaic: −s/2): M =
 * T·S·R·P·C (center, perspective, rotation+scale, shear, translation), drawing in that order
 * (2 perspective, angle, scale, 2 shear, 2 translation). *scale_out gets the drawn scale; out size
 * is (w + 2·border_x, h + 2·border_y). */
CPOSE_API void cpose_aug_perspective_matrix(const struct cpose_aug_hyp *h, int w, int h_px, int border_x,
                                            int border_y, struct cpose_rng *rng, double M[9], double *scale_out);
/* Applies M to the image (warpAffine, or warpPerspective when perspective != 0; border 114; skipped
 * when M is the identity and the size unchanged) and to the labels: box corners mapped and
 * enclosed, keypoints mapped (outside the out image → v = 0), all clipped, then instances failing
 * box_candidates(original box·scale, new box) dropped. dst receives a new out_w×out_h image. */
CPOSE_API int cpose_aug_warp(const struct cpose_image *src, struct cpose_aug_labels *l, const double M[9],
                             double scale, int perspective, int out_w, int out_h, struct cpose_image *dst);

/* Mosaic of 4 images (each already resized so its long side is s) with their labels, around the
 * centre (xc, yc) of a 2s×2s canvas filled with 114, with Ultralytics' tile placement (top-left,
 * top-right, bottom-left, bottom-right). Labels are shifted, clipped to the canvas and zero-area
 * boxes dropped. dst receives a new 2s×2s image; out receives the labels. */
CPOSE_API int cpose_aug_mosaic4(const struct cpose_image *const im[4], const struct cpose_aug_labels *const lab[4],
                                int s, int xc, int yc, struct cpose_image *dst, struct cpose_aug_labels *out);

/* ---- the whole sample (v8_transforms) ---- */
/* Gives image `index` of the dataset, resized so its long side is imgsz (INTER_LINEAR, Ultralytics'
 * load_image for training), and its labels in pixels of that image. */
typedef int (*cpose_aug_load_fn)(void *ctx, size_t index, struct cpose_image *img, struct cpose_aug_labels *lab);

struct cpose_aug_source {
    cpose_aug_load_fn load;
    void *ctx;
    size_t n;            /* images in the dataset (mosaic picks its 3 partners uniformly from them) */
    const int *flip_idx; /* K entries or NULL */
};

/* One training sample as Ultralytics builds it: with probability hyp->mosaic (when use_mosaic)
 * Mosaic + RandomPerspective(border −s/2), else LetterBox(s×s) + RandomPerspective(border 0); then
 * RandomHSV, RandomFlip(vertical, flipud), RandomFlip(horizontal, fliplr, flip_idx). dst receives an
 * imgsz×imgsz BGR image, out the labels in its pixels. */
CPOSE_API int cpose_augment_sample(const struct cpose_aug_source *src, size_t index, int imgsz,
                                   const struct cpose_aug_hyp *hyp, int use_mosaic, struct cpose_rng *rng,
                                   struct cpose_image *dst, struct cpose_aug_labels *out);

#endif
