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
    int strict;               /* json2yolo style: refuse what JSON2YOLO guesses or skips (see below) */
};

struct cpose_convert_stats {
    int n_json;
    long long n_images_written;  /* label files written */
    long long n_lines;           /* label rows written */
    long long n_skipped;         /* annotations skipped (crowd, no class, empty box, duplicate, ...) */
};

/* Converts every *.json in opts->json_dir into save_dir:
 *   save_dir/<stem>.yaml            names: {class: name} (as JSON2YOLO writes it; json2yolo style:
 *                                   only when the file has categories)
 *   save_dir/labels/<stem'>/<file_name with .txt>   stem' = stem without "instances_"
 *   save_dir/dataset.yaml           style=ultralytics only: a dataset YAML (path, train/val,
 *                                   kpt_shape, flip_idx, names); JSON2YOLO writes none
 * style=json2yolo takes every input JSON2YOLO converts, with its output (datasets/README.md lists
 * them): a file without "images"/"annotations" (e.g. `{}`, a results list) is skipped with a warning
 * (an empty labels folder, as JSON2YOLO leaves); a missing, null or empty bbox is the box around the
 * keypoints with v > 0 (none: skipped); an annotation without keypoints gives a box-only row; image
 * ids match as JSON2YOLO's "%g" keys; an absolute file_name keeps its base name; two JSON files with
 * one labels folder append. strict=1 (and style=ultralytics) refuses instead: annotations without
 * keypoints, without both bbox and keypoints, with "bbox": [], and files without images/annotations.
 * Refuses a non-empty save_dir unless exist_ok (then it is removed first). Errors in every style:
 * malformed JSON with the byte offset (from the reader), an annotation missing image_id / an unknown
 * image id with the annotation id, an image without file_name or a positive size, keypoints not in
 * triplets, a file_name leaving the labels folder, a category id outside the 91→80 table (JSON2YOLO
 * stops with an exception on all of these). stats may be NULL. */
CPOSE_API int cpose_convert_coco(const struct cpose_convert_opts *opts, struct cpose_convert_stats *stats);

/* The COCO-91 → COCO-80 class table: index = category_id − 1 (0..90), value = class or −1. */
CPOSE_API int cpose_coco91_to_80(int64_t category_id);

#endif
