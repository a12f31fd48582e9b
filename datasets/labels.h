/* datasets/labels.h — YOLO pose labels: reading and verifying image/label pairs with Ultralytics'
 * verify_image_label rules, the scan summary line, and a self-invalidating label cache. */
#ifndef CPOSE_LABELS_H
#define CPOSE_LABELS_H

#include <stddef.h>
#include <stdint.h>
#include "core/base/status.h"

/* One verified image and its labels. */
struct cpose_label_item {
    char *im_file;      /* image path (owned) */
    int w, h;           /* image size in pixels */
    int n;              /* rows after duplicate removal */
    float *cls_box;     /* n × 5: class, cx, cy, w, h (normalised) */
    float *kpts;        /* n × K × 3: x, y (normalised), visibility (2-column labels get 1) */
};

struct cpose_label_set {
    int K, ndim;                    /* kpt_shape used for the scan; K 0 for plain boxes */
    struct cpose_label_item *items; /* valid images only, in image-path order */
    size_t n_items;
    long nf, nm, ne, nc;            /* labels found, missing, empty, corrupt (Ultralytics' counters) */
    char **msgs;                    /* warnings, one per problem, naming the file and the reason */
    size_t n_msgs;
    int from_cache;                 /* 1 when read from a valid cache file */
};

struct cpose_scan_opts {
    int nc;               /* number of classes (class ids must be < nc) */
    int K, ndim;          /* kpt_shape; K = 0 for box-only labels */
    const char *prefix;   /* "train: " etc. for the summary line, may be NULL */
    int use_cache;        /* read/write <labels dir>.cache (skipped with a warning when not writable) */
    const char *cache_path; /* override the cache location (NULL: beside the labels folder) */
};

/* Verifies every image and its label file (cpose_img2label_path) as Ultralytics does:
 *  image: readable and decodable, at least 10×10, a JPEG must end with FFD9 (else "truncated");
 *  label: rows of 5 + K·ndim numbers, keypoint x/y ≤ 1, no negative value, class < nc;
 *  duplicate rows dropped with a warning; a missing label file is a background (nm), an empty one ne;
 *  a corrupt image or label is skipped and counted in nc with a message naming the file and reason.
 * Prints the summary "Scanning <labels dir>... N images, B backgrounds, C corrupt" and the warnings.
 * The cache (own binary format, written atomically) is keyed by a hash of all image and label
 * paths, sizes and mtimes and the scan options, so any change invalidates it. */
CPOSE_API int cpose_labels_scan(char *const *im_files, size_t n, const struct cpose_scan_opts *o,
                                struct cpose_label_set *out);
CPOSE_API void cpose_labels_free(struct cpose_label_set *s); /* NULL-safe */

/* Parses one label file's text (for tests and tools). On a format problem returns CPOSE_EINVAL with
 * the reason (the caller adds the file name). rows: n × (5 + K·ndim) floats, cpose_malloc'ed. */
CPOSE_API int cpose_labels_parse(const char *text, int nc, int K, int ndim, float **rows, int *n, int *n_dup);

#endif
