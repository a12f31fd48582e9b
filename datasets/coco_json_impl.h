/* datasets/coco_json_impl.h — internals shared by the COCO reader's state machine (coco_json.c, the
 * yajl callbacks) and its drivers (coco_json_load.c: streaming, in-memory, segmentation skipping and
 * the parallel split of the annotations array; coco_json_scan.c: the polygon check that skipping
 * relies on). Not a public header. */
#ifndef CPOSE_COCO_JSON_IMPL_H
#define CPOSE_COCO_JSON_IMPL_H

#include <stdint.h>
#include <yajl/yajl_parse.h>

#include "core/base/alloc.h"
#include "datasets/coco_json.h"

enum coco_section { SEC_NONE, SEC_IMAGES, SEC_ANNS, SEC_CATS };
enum { COCO_KEY_IMAGES = 1, COCO_KEY_ANNS = 2, COCO_KEY_CATS = 4 };
/* ST_LIST is only ever the array directly under a top-level key (or the top-level results list);
 * everything nested deeper than an item's own fields is skipped with the `skip` depth counter. */
enum coco_state { ST_START, ST_TOP, ST_LIST, ST_ITEM, ST_NUMS, ST_DONE };
enum coco_field {
    F_OTHER, F_ID, F_IMAGE_ID, F_CATEGORY_ID, F_ISCROWD, F_NUM_KEYPOINTS, F_AREA, F_BBOX, F_SCORE, F_KEYPOINTS,
    F_FILE_NAME, F_WIDTH, F_HEIGHT, F_NAME, F_SUPERCATEGORY
};

struct coco_parser {
    const char *path;
    yajl_handle h;
    int64_t base;            /* file offset of the first byte of the chunk being fed */
    enum coco_state st;
    enum coco_section sec, pending_sec;
    enum coco_field field;
    int skip;                /* depth of containers being skipped */
    int n_nums;              /* values seen in the current bbox/keypoints array */
    int rc;                  /* first error recorded by a callback */
    int top_is_list;         /* the document is a results list */
    unsigned top_keys;       /* COCO_KEY_* bits: top-level keys seen */
    uint64_t n_keys;         /* map keys seen so far (the drivers use it to confirm a key they found) */
    int last_key_is_segmentation; /* the last key was "segmentation" directly in an annotation */
    int last_key_is_keypoints;    /* the last key was "keypoints" directly in an annotation */
    int last_key_is_bbox;         /* the last key was "bbox" directly in an annotation */
    int preloaded_nums;      /* values a driver read (keypoints: pushed to kpts; bbox: stored in ann.bbox)
                                for the list about to be fed as "[]" */
    struct cpose_vec images, anns, cats, kpts;
    struct cpose_coco_image img;
    struct cpose_coco_ann ann;
    struct cpose_coco_category cat;
};

/* Decimal JSON number text (validated by the caller) → the double Python's json module gives: float()'s
 * correctly rounded value, except that the integer -0 is Python's int 0, so +0 (-0.0 and -0e0 stay -0). */
double cpose_coco_number(const char *s, size_t n);
/* One pass over the JSON number at s (at most n bytes): checks RFC 8259's grammar
 * (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) and converts it as cpose_coco_number does.
 * Returns its length with *out set (out may be NULL: only the grammar is checked), or 0 when s does
 * not start with a number. The caller checks that what follows cannot continue it. */
size_t cpose_coco_number_scan(const char *s, size_t n, double *out);
/* Length of the JSON value at s (at most n bytes) if it is an array whose elements are numbers or such
 * arrays, nested at most 64 deep and written exactly as RFC 8259 allows (a COCO polygon list); 0 for
 * anything else, which yajl then reads (coco_json_scan.c). */
size_t cpose_coco_number_array_len(const char *s, size_t n);

/* Sets up an empty parser (its yajl handle included) for the file named path (messages only). */
void cpose_coco_parser_init(struct coco_parser *p, const char *path);
/* Feeds len bytes that sit at file offset file_off (offsets in messages are file offsets even when
 * the bytes are synthetic stand-ins); CPOSE_EINVAL with the message recorded on malformed JSON or a
 * wrongly typed key. */
int cpose_coco_parser_feed(struct coco_parser *p, const char *buf, size_t len, int64_t file_off);
/* Ends the document: CPOSE_EINVAL when it is truncated or neither an object nor a list. */
int cpose_coco_parser_complete(struct coco_parser *p);
/* Moves what was read into *out (the parser's vectors then belong to out). */
void cpose_coco_parser_take(struct coco_parser *p, struct cpose_coco *out);
/* complete, then take. */
int cpose_coco_parser_finish(struct coco_parser *p, struct cpose_coco *out);
/* Frees what the parser still owns (after finish: only the yajl handle). */
void cpose_coco_parser_free(struct coco_parser *p);

/* In-memory parse with the annotations array split into n_chunks pieces (n_chunks ≤ 1: one piece)
 * parsed concurrently, on up to omp_get_max_threads() threads that each take the next piece when they
 * come free; skip_segmentation=0 feeds every byte to yajl. The result, and any
 * error message, is the same as the plain sequential parse's; exposed for the tests. */
int cpose_coco_parse_opts(const char *path, const char *buf, size_t len, int n_chunks, int skip_segmentation,
                          struct cpose_coco *out);

#endif
