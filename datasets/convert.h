/* datasets/convert.h — COCO keypoint JSON → YOLO pose labels, with JSON2YOLO's rules (byte-exact
 * "%g" output) or the published Ultralytics label style ("%.6f", people without keypoints left out). */
#ifndef CPOSE_CONVERT_H
#define CPOSE_CONVERT_H

#include <stdint.h>
#include "core/base/status.h"

enum cpose_convert_style { CPOSE_CONVERT_JSON2YOLO = 0, CPOSE_CONVERT_ULTRALYTICS = 1 };

struct cpose_convert_opts {
    const char *json_dir;     /* folder holding *.json (all converted, sorted by name) */
    const char *save_dir;     /* output folder */
    int use_keypoints;        /* write keypoints after the box (pose labels) */
    int cls91to80;            /* map COCO-91 category ids to the 80-class ids (unmapped: skipped) */
    int exist_ok;             /* allow deleting a non-empty save_dir first (JSON2YOLO always does) */
    enum cpose_convert_style style;
};

struct cpose_convert_stats {
    int n_json;
    long long n_images_written;  /* label files written */
    long long n_lines;           /* label rows written */
    long long n_skipped;         /* annotations skipped (crowd, no class, empty box, duplicate, ...) */
};

/* Converts every *.json in opts->json_dir into save_dir:
 *   save_dir/<stem>.yaml            names: {class: name} (as JSON2YOLO writes it)
 *   save_dir/labels/<stem'>/<file_name with .txt>   stem' = stem without "instances_"
 *   save_dir/dataset.yaml           a dataset YAML (path, train/val, kpt_shape, flip_idx, names)
 * Refuses a non-empty save_dir unless exist_ok (then it is removed first). Errors: malformed JSON
 * with the byte offset (from the reader), an annotation missing image_id / an unknown image id with
 * the annotation id, a category id outside the 91→80 table. stats may be NULL. */
CPOSE_API int cpose_convert_coco(const struct cpose_convert_opts *opts, struct cpose_convert_stats *stats);

/* The COCO-91 → COCO-80 class table: index = category_id − 1 (0..90), value = class or −1. */
CPOSE_API int cpose_coco91_to_80(int64_t category_id);

#endif
