/* datasets/coco_json.h — a COCO JSON reader on yajl for ground-truth files ({images, annotations,
 * categories}) and results files ([{image_id, category_id, bbox, keypoints, score}, ...]). Holds what
 * conversion and evaluation need; `segmentation` and unknown keys are skipped without being stored,
 * so a 200 MB person_keypoints file costs its mapped bytes plus its numbers. Large files are parsed on several threads
 * (coco_json_load.c); the result is the same as a single sequential pass. A file is mapped and read
 * through a window (read ahead, dropped behind the parser), so it is never whole in the resident set.
 *
 * Numbers are parsed exactly (as Python's float() and strtod would). Malformed
 * JSON is CPOSE_EINVAL with the file name and byte offset; a value of the wrong type for a known
 * key (e.g. "bbox": "x") is CPOSE_EINVAL naming the key, the annotation id and the offset. Which
 * keys are *required* is the consumer's rule: the reader records presence in has_* flags. */
#ifndef CPOSE_COCO_JSON_H
#define CPOSE_COCO_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "core/base/status.h"

struct cpose_coco_image {
    int64_t id;
    char *file_name;          /* owned by the cpose_coco; NULL when absent */
    int64_t width, height;    /* 0 when absent */
    int has_id;
};

struct cpose_coco_ann {
    int64_t id, image_id;
    int64_t category_id;
    int64_t iscrowd;          /* 0 when absent */
    int64_t num_keypoints;    /* -1 when absent */
    double area;              /* 0 when absent (has_area) */
    double bbox[4];           /* x, y, w, h (top-left) */
    double score;             /* results files */
    size_t kpt_offset;        /* index into cpose_coco.kpt_values */
    int n_kpt_values;         /* 3·K values (x, y, v) as in the file; 0 when absent */
    unsigned has_id : 1, has_image_id : 1, has_category_id : 1, has_bbox : 1, has_area : 1, has_score : 1,
        has_keypoints : 1, has_iscrowd : 1,
        bbox_empty : 1;       /* "bbox": [] (has_bbox stays 0: JSON2YOLO treats it as missing) */
    int64_t byte_offset;      /* where the object starts in the file (for error messages) */
};

struct cpose_coco_category {
    int64_t id;
    char *name, *supercategory;
    int n_keypoint_names;     /* length of the "keypoints" name list */
};

struct cpose_coco {
    char *path;
    struct cpose_coco_image *images;
    size_t n_images;
    struct cpose_coco_ann *anns;
    size_t n_anns;
    struct cpose_coco_category *categories;
    size_t n_categories;
    double *kpt_values;       /* all keypoint numbers, ann->kpt_offset indexes here */
    size_t n_kpt_values;      /* extent of kpt_values: a file parsed in pieces leaves unused values
                                 between the pieces' runs (read values through the annotations) */
    int is_results;           /* 1 when the file was a top-level array (results format) */
    int has_images, has_annotations, has_categories; /* top-level keys present (ground-truth object) */
};

/* Reads a COCO file: a top-level object (ground truth; "images", "annotations", "categories" read,
 * other keys skipped) or a top-level array (results: every element is read as an annotation and
 * is_results is set). On error *out is left empty and nothing needs freeing. */
CPOSE_API int cpose_coco_load(const char *path, struct cpose_coco *out);
/* Same, from memory (path is used in messages only). */
CPOSE_API int cpose_coco_parse(const char *path, const char *buf, size_t len, struct cpose_coco *out);
CPOSE_API void cpose_coco_free(struct cpose_coco *c); /* NULL-safe */
/* Keypoint values of an annotation (n = a->n_kpt_values). */
static inline const double *cpose_coco_kpts(const struct cpose_coco *c, const struct cpose_coco_ann *a)
{
    return c->kpt_values + a->kpt_offset;
}

#endif
