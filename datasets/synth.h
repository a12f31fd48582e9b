/* datasets/synth.h — the synthetic people dataset: articulated figures with the 17 COCO keypoints
 * (skeleton model with limb lengths and joint angles) drawn on textured backgrounds, written as
 * COCO keypoint JSON + JPEGs + YOLO pose labels + a dataset YAML. Deterministic for a seed. */
#ifndef CPOSE_SYNTH_H
#define CPOSE_SYNTH_H

#include <stdint.h>
#include "core/base/status.h"

struct cpose_synth_opts {
    const char *save_dir;  /* output root (created; must be empty or absent unless exist_ok) */
    int n_train, n_val;    /* images per split (defaults 64 and 16) */
    int imgsz;             /* the long side of every image (default 320) */
    uint64_t seed;         /* same seed → same bytes */
    int exist_ok;          /* replace a non-empty save_dir */
};

/* Writes
 *   save_dir/images/{train,val}/<12-digit id>.jpg
 *   save_dir/labels/{train,val}/<id>.txt        YOLO pose rows ("%.6f"; people with keypoints)
 *   save_dir/annotations/person_keypoints_{train,val}.json   COCO (images, annotations with bbox,
 *        area, num_keypoints, iscrowd 0, keypoints; the person category with names and skeleton)
 *   save_dir/synth-pose.yaml                     dataset YAML (path, train, val, kpt_shape, flip_idx, names)
 * The tree is built beside save_dir and renamed into place when complete. */
CPOSE_API int cpose_synth_generate(const struct cpose_synth_opts *o);

/* The options from the `synth` arguments (save_dir, n_train, n_val, imgsz, seed, exist_ok) with their
 * defaults (datasets/synth-pose, 64, 16, 320, 0, False). o->save_dir points into a. */
struct cpose_args;
CPOSE_API void cpose_synth_opts_from_args(const struct cpose_args *a, struct cpose_synth_opts *o);

/* One figure of an image, as the generator placed it (for tests of the figure model). */
struct cpose_synth_person {
    double kpt[17][3];     /* x, y in pixels; v: 2 visible, 1 occluded, 0 outside the frame (x = y = 0) */
    double bbox[4];        /* x, y, w, h (clipped to the image) */
    double area;           /* visible body area in pixels */
    int num_keypoints;
};

/* Renders image `index` of a split (0 train, 1 val) into *img (BGR, caller frees) and its people
 * into persons[] (up to max_persons); *n_persons receives the count. */
struct cpose_image;
CPOSE_API int cpose_synth_render(uint64_t seed, int split, int index, int imgsz, struct cpose_image *img,
                                 struct cpose_synth_person *persons, int max_persons, int *n_persons);

#endif
