/* eval/val.h — `cpose val`: a pose model over a dataset split as Ultralytics' PoseValidator runs it
 * (rect batches, eval forward, NMS at val settings, scale back with ratio_pad, Ultralytics metrics,
 * predictions.json, COCOeval when the split's COCO keypoints JSON is known, reports).
 *
 *   struct cpose_val_summary s;
 *   if (cpose_val_run(model, &args, &s) == CPOSE_OK) printf("%g\n", s.metrics.pose.map);
 *   cpose_val_summary_free(&s);
 */
#ifndef CPOSE_VAL_H
#define CPOSE_VAL_H

#include <stdint.h>
#include "core/base/args.h"
#include "eval/cocoeval.h"
#include "eval/metrics.h"
#include "core/base/status.h"

struct cpose_model;

#define CPOSE_VAL_MAX_FILES 40

/* One of the first val batches, kept when plots=True so reports/ can draw val_batch<i>_labels.jpg and
 * val_batch<i>_pred.jpg for i = 0..2 (Ultralytics' plot_val_samples / plot_predictions for batch_i < 3):
 * at most 16 images as 8-bit BGR, their labels and their predictions (after NMS, before scaling back
 * to the original image) in the batch image's frame. Owned by the summary. */
#define CPOSE_VAL_PLOT_MAX_IMAGES 16
#define CPOSE_VAL_PLOT_BATCHES 3
struct cpose_val_plot_batch {
    int n, H, W, K;          /* images kept, batch image size, keypoints per instance */
    uint8_t *bgr;            /* n × H × W × 3 */
    char **paths;            /* n image paths */
    int n_labels;
    float *lbl_idx, *lbl_cls; /* n_labels: image index, class */
    float *lbl_box;          /* n_labels × 4: cx cy w h normalised to (W, H) */
    float *lbl_kpts;         /* n_labels × K × 3: x/W, y/H, visibility */
    int n_preds, cap_preds;
    float *pred_idx, *pred_cls, *pred_conf; /* n_preds */
    float *pred_box;         /* n_preds × 4: cx cy w h in pixels of the batch image */
    float *pred_kpts;        /* n_preds × K × 3: x, y (pixels), confidence (1 for 2-value keypoints) */
};

/* What a val run produced. Everything is owned by the summary (cpose_val_summary_free). */
struct cpose_val_summary {
    struct cpose_val_results metrics; /* Ultralytics metrics: metrics.box / metrics.pose (mp, mr, map50,
                                       * map75, map, maps[nc] per class id, per-class arrays), seen, nc */
    int64_t n_images;                 /* images evaluated (corrupt ones were skipped by the scan) */
    int imgsz;                        /* the image size used (imgsz=, else the model's own, else 640) */
    int64_t n_predictions;            /* detections after NMS, all images */
    double ms_pre, ms_inf, ms_post;   /* milliseconds per image: load+letterbox (with workers ≥ 1 only the
                                       * wait for the prefetched batch), forward, NMS+matching */
    int coco_ran;                     /* 1 when COCOeval ran on predictions.json */
    double coco_kpt[10];              /* pycocotools summarize() stats, keypoints (when coco_ran) */
    double coco_bbox[12];             /* and bbox */
    char *anno_json;                  /* the COCO GT file used, or NULL */
    char *pred_path;                  /* predictions.json written into save_dir, or NULL */
    struct cpose_cocoeval coco_kpt_eval, coco_bbox_eval; /* the COCOeval results (when coco_ran) */
    double coco_seconds;              /* time COCOeval took */
    char *report_dir;                 /* report= (an extra folder for the reports), or NULL */
    char **names;                     /* the dataset's class names (n_names) */
    int n_names;
    char *save_dir;                   /* the run folder (runs/pose/val, val2, ...) */
    int plots;                        /* plots=True: reports/ also draws the curves and the batch grids */
    /* batches 0..2 (plots=True); NULL past the split's last batch (or with plots=False) */
    struct cpose_val_plot_batch *plot_batch[CPOSE_VAL_PLOT_BATCHES];
    int follower;                     /* 1 on ranks other than 0 of a sharded run: no metrics, nothing written */
    int n_files;                      /* files written into save_dir / report=, absolute paths */
    char *files[CPOSE_VAL_MAX_FILES];
};

/* Validates m on args' data= split= with Ultralytics' val arguments: imgsz, batch, conf (None →
 * 0.001), iou, max_det, single_cls (agnostic NMS, one class), save_json (predictions.json),
 * anno_json (COCO GT for COCOeval; default <dataset>/annotations/person_keypoints_val2017.json or
 * person_keypoints_<split>.json), project/name/exist_ok (runs/pose/val, val2, ...),
 * report= (an extra folder for the report), verbose (per-class rows when nc > 1), plots (keep the
 * first three batches in out->plot_batch[] for the batch plots).
 * Prints the metric table, the speed line and pycocotools' summaries on stdout. Writes predictions.json
 * (save_json) but no report: reports/val_reports.h writes those from the summary (the `val` mode and
 * Lua's model:val() call cpose_val_write_reports next).
 * Errors (CPOSE_EINVAL/CPOSE_EIO) name the key or file: no data=, a missing split, a model/dataset
 * class or keypoint mismatch, an unreadable anno_json. *out is filled on CPOSE_OK and empty
 * (safe to free) otherwise. */
CPOSE_API int cpose_val_run(struct cpose_model *m, const struct cpose_args *a, struct cpose_val_summary *out);

/* One val batch as a per-batch hook sees it (Ultralytics' validator hands the trainer's loss the same
 * two things: the eval-mode head's raw outputs next to its predictions, and the batch dict): the raw
 * head outputs of this batch's forward and its labels in the letterboxed batch image's frame.
 * Borrowed for the duration of the call. */
struct cpose_val_raw_batch {
    int index;                  /* batch number (0-based) */
    int B, H, W;                /* images in the batch and the batch image size */
    int n_levels;               /* head levels (3, or 4 for P6 models) */
    const float *feats[4];      /* level l: [B, 4·16 + nc, level_h[l], level_w[l]] NCHW, DFL then class logits */
    int level_h[4], level_w[4]; /* H / stride_l, W / stride_l */
    const float *kpt;           /* [B, nkpt·kdim, A] raw keypoints (A = Σ level_h·level_w) */
    int n, K;                   /* labels in the batch (unreadable images have none), keypoints per label */
    const float *batch_idx;     /* [n] image index in the batch */
    const float *cls;           /* [n] class (0 with single_cls=True) */
    const float *bboxes;        /* [n × 4] cx cy w h normalised to (W, H) */
    const float *keypoints;     /* [n × K × 3] x/W, y/H, visibility */
};

/* A per-batch hook for cpose_val_run_hooked: on_batch runs after each batch's forward; a non-OK
 * return stops the run with that status (the run then fails as any val error). */
struct cpose_val_hooks {
    void *user;
    int (*on_batch)(void *user, const struct cpose_val_raw_batch *rb);
};

/* cpose_val_run with a per-batch hook (hooks or hooks->on_batch NULL: none). The trainer's val losses
 * (core/train) use it: eval/ sits below train/ and never calls the loss itself. */
CPOSE_API int cpose_val_run_hooked(struct cpose_model *m, const struct cpose_args *a, const struct cpose_val_hooks *hooks,
                                   struct cpose_val_summary *out);
/* Under mpirun (core/base/dist.h) cpose_val_run is sharded: every rank must call it; each evaluates whole
 * batches (batch index % ranks == rank) and rank 0 gathers all images' results and computes the metrics
 * and predictions.json in the dataset's order, identical to one process. The other ranks return with
 * out->follower = 1 and nothing else filled or written. cpose_val_run_local and
 * cpose_val_run_hooked always run alone (the trainer's rank 0 validating while the other ranks wait). */
CPOSE_API int cpose_val_run_local(struct cpose_model *m, const struct cpose_args *a, struct cpose_val_summary *out);
CPOSE_API void cpose_val_summary_free(struct cpose_val_summary *s); /* NULL-safe, idempotent */
/* Adds a file written for this run to s->files (copied; at most CPOSE_VAL_MAX_FILES are kept). */
CPOSE_API void cpose_val_add_file(struct cpose_val_summary *s, const char *path);

/* The summary as the tree Lua's model:val() returns (Ultralytics' metrics object, flattened):
 * {box = {map, map50, map75, maps = {per class id}, mp, mr}, pose = {...}, fitness, images,
 *  instances, predictions, imgsz, speed = {preprocess, inference, postprocess} (ms per image),
 *  coco = {keypoints = {10 stats}, bbox = {12 stats}, anno_json} (only when COCOeval ran),
 *  save_dir, files = {...}}. Owned by the caller (cJSON_Delete). Cannot fail. */
struct cJSON;
CPOSE_API struct cJSON *cpose_val_summary_json(const struct cpose_val_summary *s);

/* COCO's 80→91 category ids (Ultralytics' coco80_to_coco91_class), for class maps. */
CPOSE_API extern const int cpose_coco80_to_91[80];

#endif
