/* eval/cocoeval.h — COCO evaluation (keypoints/OKS and bbox/IoU) with pycocotools' exact semantics.
 *
 * Input is a ground-truth file and a results file as datasets/coco_json.h loads them (or as a
 * caller fills those structs in memory). The evaluation follows pycocotools 2.0 COCOeval:
 *  - loadRes: decided by the FIRST result: with a bbox, every result gets area = w·h, iscrowd 0;
 *    without, bbox = keypoint min/max and area = its area. Result ids are 1..N in file order. A
 *    result whose image id is not a GT image is refused (pycocotools asserts).
 *  - imgIds = sorted unique GT image ids, catIds = sorted GT category ids; GT and results outside
 *    them are not evaluated.
 *  - ignore: iscrowd (and num_keypoints == 0 for keypoints); area ranges test the GT `area` field.
 *  - per image: results sorted by score (stable), cut at maxDets[-1]; greedy matching with
 *    iou < min(t, 1-1e-10), crowd GT reusable, unmatched results outside the area range ignored.
 *  - accumulate: stable global score sort, tp/fp cumulative sums, precision made monotone from
 *    the right, 101 recall points by left binary search; stats as summarize() prints them.
 * All arithmetic is in double in numpy's order (including numpy's pairwise summation).
 * OpenMP runs the per-image work in parallel; results are identical for any thread count. */
#ifndef CPOSE_COCOEVAL_H
#define CPOSE_COCOEVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "datasets/coco_json.h"
#include "eval/np_sum.h"
#include "core/base/status.h"

enum cpose_iou_type { CPOSE_IOU_BBOX = 0, CPOSE_IOU_KEYPOINTS = 1 };

#define CPOSE_COCOEVAL_MAX_THRS 32
#define CPOSE_COCOEVAL_MAX_AREAS 8
#define CPOSE_COCOEVAL_MAX_DETS 8
#define CPOSE_COCOEVAL_MAX_KPTS 256

/* COCO-17 OKS sigmas as pycocotools defines them (value/10). */
CPOSE_API extern const double cpose_coco17_sigmas[17];

struct cpose_cocoeval_params {
    enum cpose_iou_type iou_type;
    int n_iou;                                   /* IoU/OKS thresholds (default 10: .50:.05:.95) */
    double iou_thrs[CPOSE_COCOEVAL_MAX_THRS];
    int n_rec;                                   /* recall points (default 101) */
    int n_area;                                  /* area ranges with their labels */
    double area_rng[CPOSE_COCOEVAL_MAX_AREAS][2];
    char area_lbl[CPOSE_COCOEVAL_MAX_AREAS][16];
    int n_max_dets;                              /* ascending */
    int max_dets[CPOSE_COCOEVAL_MAX_DETS];
    int n_kpt;                                   /* keypoints per person; 0 = from the first GT */
    double sigmas[CPOSE_COCOEVAL_MAX_KPTS];      /* used when sigmas_set, else COCO-17 or 1/nkpt */
    int sigmas_set;
};

/* Defaults of pycocotools Params(iouType): thresholds, recall points, area ranges, maxDets
 * (keypoints: all/medium/large, [20]; bbox: all/small/medium/large, [1, 10, 100]). */
CPOSE_API void cpose_cocoeval_default_params(struct cpose_cocoeval_params *p, enum cpose_iou_type t);

/* One evaluation's results. precision is [T][R][K][A][M] (C order, -1 = no GT), recall [T][K][A][M];
 * stats are summarize()'s 10 (keypoints) or 12 (bbox) numbers. Owned; free with _free. */
struct cpose_cocoeval {
    struct cpose_cocoeval_params params;
    int n_img, n_cat;
    int64_t *img_ids, *cat_ids;   /* sorted */
    double *precision;            /* T*R*K*A*M */
    double *recall;               /* T*K*A*M */
    double *scores;               /* T*R*K*A*M: score at each recall point (-1 none) */
    double rec_thrs[256];
    int n_stats;
    double stats[12];
    size_t n_dt_other_cat;        /* results whose category_id is not a GT category (not evaluated) */
    /* Per (image, category) IoU/OKS matrix as pycocotools' self.ious: rows = results sorted by score
     * and cut at maxDets[-1], columns = GT in file order. ious_off[i*n_cat+k] indexes ious_data;
     * ious_rows/ious_cols give the shape (0×0 when pycocotools has []). */
    double *ious_data;
    size_t *ious_off;
    int *ious_rows, *ious_cols;
};

/* Evaluates results `dt` against ground truth `gt` (both borrowed). On error (a result for an image
 * not in gt, keypoints of the wrong length, missing fields the evaluation needs) returns CPOSE_EINVAL
 * with a message naming the file and the result/annotation; *out is then empty. */
CPOSE_API int cpose_cocoeval_run(const struct cpose_coco *gt, const struct cpose_coco *dt,
                                 const struct cpose_cocoeval_params *p, struct cpose_cocoeval *out);
CPOSE_API void cpose_cocoeval_free(struct cpose_cocoeval *e); /* NULL-safe; leaves *e zeroed */

/* Fills e->stats/n_stats from e->precision and e->recall as summarize() does (called by _run). */
CPOSE_API void cpose_cocoeval_compute_stats(struct cpose_cocoeval *e);

/* The IoU/OKS matrix for an image id and category id (NULL when absent or empty); rows/cols out. */
CPOSE_API const double *cpose_cocoeval_ious(const struct cpose_cocoeval *e, int64_t img_id, int64_t cat_id,
                                            int *rows, int *cols);

/* summarize()'s line i (0 ≤ i < n_stats) exactly as pycocotools prints it, without newline. */
CPOSE_API void cpose_cocoeval_summary_line(const struct cpose_cocoeval *e, int i, char *buf, size_t n);
/* Prints all summary lines to fp. */
CPOSE_API void cpose_cocoeval_print_summary(const struct cpose_cocoeval *e, FILE *fp);

/* AP averaged over recall points and categories at one IoU threshold index, for area range a and
 * maxDets index m (as _summarize does: mean over entries > -1; -1 when none). */
CPOSE_API double cpose_cocoeval_ap_at(const struct cpose_cocoeval *e, int t, int a, int m);


#endif
