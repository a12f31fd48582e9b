/* reports/plot.h — the pictures Ultralytics writes with plots=True, drawn with OpenCV through
 * core/nn/image.h (no matplotlib, no PIL):
 *   - results.png: one panel per loss/metric column of a training results.csv, each with the per-epoch
 *     values (blue, with markers) and a Gaussian-smoothed line (orange, dotted; scipy's
 *     gaussian_filter1d with sigma 3), titled with the column name;
 *   - image grids of a batch (Ultralytics' plot_images: up to 16 tiles in a ceil(sqrt(n)) square,
 *     filled column by column, scaled so the grid fits 1920 px) with boxes, labels and keypoint
 *     skeletons: train_batch0..2.jpg, val_batch0..2_labels.jpg, val_batch0..2_pred.jpg;
 *   - the PR / F1 / P / R curves of box (B) and pose (P) metrics: BoxPR_curve.png, BoxF1_curve.png,
 *     BoxP_curve.png, BoxR_curve.png and the same with Pose.
 * Every file is written atomically (temporary name, then rename): a failed plot leaves no file.
 *
 *   cpose_plot_results("runs/pose/train/results.csv", "runs/pose/train/results.png");
 *   struct cpose_plot_batch pb;
 *   cpose_plot_batch_from_train(&batch, &pb);            // a datasets/train_loader.h batch
 *   pb.paths = files;                                     // optional tile captions
 *   cpose_plot_batch_write(&pb, names, nc, "runs/pose/train/train_batch0.jpg");
 *   cpose_plot_val_curves(&summary.metrics, summary.names, summary.n_names, save_dir);
 */
#ifndef CPOSE_PLOT_H
#define CPOSE_PLOT_H

#include <stdint.h>

#include "core/base/status.h"
#include "core/nn/image.h"
#include "datasets/train_loader.h"
#include "eval/metrics.h"
#include "eval/val.h"

/* ---- results.png ---------------------------------------------------------------------------- */

/* Reads a results.csv (Ultralytics' format: a header of column names, then one row of numbers per
 * epoch; fields may be padded with spaces) and draws results.png to png_path. The first column is
 * the x axis (epoch). With Ultralytics' pose header (reports/results_csv.h) the 18 loss and metric
 * panels come in Ultralytics' 2 × 9 order (train losses, P and R of B and P on the first row; val
 * losses, mAP50 and mAP50-95 of B and P on the second); any other CSV gets one panel per column after
 * the first in file order, in 2 rows. Columns named lr/... are not plotted in either case.
 * Errors, with nothing written: CPOSE_EIO for a missing or unreadable file (naming it); CPOSE_EINVAL
 * naming "file:line" for an empty file, a header with fewer than 2 columns, a row whose field count
 * differs from the header's, a field that is not a number (naming the column), or no data rows. */
CPOSE_API int cpose_plot_results(const char *csv_path, const char *png_path);
/* The same into an image (BGR, owned by the caller: cpose_image_free) instead of a file;
 * *n_panels (may be NULL) receives the number of panels drawn. */
CPOSE_API int cpose_plot_results_render(const char *csv_path, struct cpose_image *out, int *n_panels);

/* ---- image grids (train_batchN.jpg, val_batchN_labels.jpg, val_batchN_pred.jpg) ------------- */

/* One batch to draw, in the layout of datasets/train_loader.h's struct cpose_train_batch. Borrowed.
 * Exactly one of img / img_bgr is set. Targets are labels when conf is NULL, predictions otherwise
 * (a prediction and its keypoints are drawn only when conf > 0.25, labelled "name 0.9"). */
struct cpose_plot_batch {
    int n, H, W;              /* images (only the first 16 are drawn), each H × W */
    const float *img;         /* n × 3 × H × W, RGB in [0, 1] */
    const uint8_t *img_bgr;   /* or n × H × W × 3, 8-bit BGR */
    const char *const *paths; /* n image paths (their file names caption the tiles), or NULL */
    int n_targets;
    const float *batch_idx;   /* n_targets: image index of each target */
    const float *cls;         /* n_targets: class ids */
    const float *bboxes;      /* n_targets × 4: cx cy w h (normalised to W, H when normalized, else pixels) */
    const float *conf;        /* n_targets confidences, or NULL for labels */
    int K, kdim;              /* keypoints per target (0: none) and values per keypoint (2 or 3) */
    const float *kpts;        /* n_targets × K × kdim: x y [visibility/conf], normalised or pixels as bboxes */
    int normalized;           /* 1: bboxes and kpts are normalised to (W, H); 0: pixels of the H × W image */
};

/* A view of a training batch (normalised targets, 17-keypoint skeletons when K = 17). Cannot fail. */
CPOSE_API void cpose_plot_batch_from_train(const struct cpose_train_batch *b, struct cpose_plot_batch *out);

/* Draws the grid as Ultralytics' plot_images does: ns = ceil(sqrt(min(n, 16))) tiles a side on white,
 * tile i at column i / ns, row i % ns; when ns · max(H, W) > 1920 the tiles shrink to
 * ceil(H · s) × ceil(W · s), s = 1920 / ns / max(H, W). White tile borders, file names, boxes in the
 * class colour (core/predict/annotate.h's palette) with "name" (labels) or "name 0.9" (predictions;
 * the class id when names is NULL or too short), keypoints with visibility/confidence ≥ 0.5 and the
 * COCO skeleton between them. out receives a new BGR image (caller frees). CPOSE_EINVAL for n < 1, a
 * bad size, no image data, or kdim other than 2 or 3. */
CPOSE_API int cpose_plot_batch_render(const struct cpose_plot_batch *b, char *const *names, int n_names,
                                      struct cpose_image *out);
/* Renders and writes the grid to path (.jpg as Ultralytics; any extension OpenCV encodes). */
CPOSE_API int cpose_plot_batch_write(const struct cpose_plot_batch *b, char *const *names, int n_names,
                                     const char *path);

/* Writes val_batch<index>_labels.jpg (the labels) and val_batch<index>_pred.jpg (the predictions
 * with confidence > 0.25) of a batch kept by cpose_val_run (plots=True) into dir. Errors name the file. */
CPOSE_API int cpose_plot_val_batch(const struct cpose_val_plot_batch *vb, char *const *names, int n_names,
                                   const char *dir, int index);

/* ---- PR / F1 / P / R curves ------------------------------------------------------------------ */

enum cpose_plot_curve {
    CPOSE_PLOT_PR = 0, /* precision over recall at IoU 0.5, per class + "all classes x mAP@0.5" */
    CPOSE_PLOT_F1 = 1, /* F1 over confidence, per class + the smoothed class mean ("all classes x at y") */
    CPOSE_PLOT_P = 2,  /* precision over confidence */
    CPOSE_PLOT_R = 3,  /* recall over confidence */
};
#define CPOSE_PLOT_N_CURVES 8
/* The 8 file names, Box then Pose, each PR, F1, P, R (Ultralytics' names). */
CPOSE_API extern const char *const cpose_plot_curve_files[CPOSE_PLOT_N_CURVES];

/* Draws one curve of metric m (r->box or r->pose of r; per-class lines when 1 ≤ classes ≤ 20, grey
 * lines otherwise, the class mean thick blue) into a new image. names (n_names) may be NULL. */
CPOSE_API int cpose_plot_curve_render(const struct cpose_val_results *r, const struct cpose_det_metric *m,
                                      enum cpose_plot_curve kind, char *const *names, int n_names,
                                      struct cpose_image *out);
/* Writes the 8 curve PNGs (cpose_plot_curve_files) of r into dir (created when missing). On error
 * the files already written stay; the message names the file that failed. */
CPOSE_API int cpose_plot_val_curves(const struct cpose_val_results *r, char *const *names, int n_names,
                                    const char *dir);

#endif
