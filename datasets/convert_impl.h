/* datasets/convert_impl.h — what the COCO → YOLO converter's files share: a growable text buffer and
 * the hand-over from convert.c (rules, checks, the image index) to convert_labels.c (label files). */
#ifndef CPOSE_CONVERT_IMPL_H
#define CPOSE_CONVERT_IMPL_H

#include <stddef.h>

#include "core/base/alloc.h"
#include "datasets/coco_json.h"
#include "datasets/convert.h"

/* A growable byte buffer. */
struct cbuf {
    char *p;
    size_t n, cap;
};

static inline void cbuf_reserve(struct cbuf *b, size_t extra)
{
    if (b->n + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->n + extra) cap *= 2;
    b->p = cpose_realloc(b->p, cap);
    b->cap = cap;
}

/* One JSON file's annotations, checked and matched to their images by convert.c. */
struct convert_plan {
    const struct cpose_coco *c;
    const struct cpose_convert_opts *o;
    const char *json_path;    /* for messages */
    const char *labels_dir;   /* save_dir/labels/<stem'>, already made */
    const size_t *ann_img;    /* image index of each annotation */
    const size_t *first_seen; /* per image: rank of its first annotation among the annotated images, or (size_t)-1 */
    size_t n_used;            /* images with at least one annotation */
};

struct convert_counts {
    long long files, lines, skipped;
};

/* Asks the kernel to back the 2 MiB-aligned interior of a large array with huge pages now
 * (MADV_COLLAPSE, Linux 6.1+; elsewhere the calls fail and nothing changes), before it is read out
 * of order. */
void cpose_convert_settle(const void *data, size_t bytes);

/* Writes one label file per annotated image (images whose file names give one label path share it:
 * their rows follow each other in first-annotation order; json2yolo style appends to a file that
 * exists, as JSON2YOLO's "a" mode). Folders below labels_dir are made first; a file_name leaving the
 * labels folder is CPOSE_EINVAL naming it; a failed write is CPOSE_EIO naming the file. The keypoint
 * array is settled (cpose_convert_settle) while the files are put in order. */
int cpose_convert_write_labels(const struct convert_plan *plan, struct convert_counts *counts);

#endif
