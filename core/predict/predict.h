/* core/predict/predict.h — prediction on images: sources (files, folders, globs, .txt lists, URLs),
 * Ultralytics' preprocessing and post-processing (letterbox, NMS, scaling back to the original
 * image), per-image results, and the writers behind `cpose predict` (YOLO txt, COCO-results JSON).
 *
 * Layout of a result: n detections; boxes n×4 (x1, y1, x2, y2 in original-image pixels, clipped
 * to the image), scores n, classes n, kpts n×nkpt×kdim (x, y[, conf]; x, y in original pixels,
 * clipped). Detections come in NMS order (descending score). */
#ifndef CPOSE_PREDICT_H
#define CPOSE_PREDICT_H

#include <stdint.h>
#include "core/base/args.h"
#include "core/nn/image.h"
#include "core/predict/nms.h"
#include "core/base/status.h"

/* ---- sources ---------------------------------------------------------------------------------- */

/* The image files a `source=` names, in Ultralytics' order. */
struct cpose_sources {
    char **paths;   /* absolute paths (downloads: the local temporary copy) */
    size_t n;
    char *tmp_dir;  /* folder holding downloaded files (removed by cpose_sources_free), or NULL */
};

/* Image extensions Ultralytics accepts (lowercase, without the dot), NULL-terminated. */
CPOSE_API extern const char *const cpose_img_formats[];
/* 1 when path's extension (case-insensitive) is one of cpose_img_formats. */
CPOSE_API int cpose_is_image_path(const char *path);

/* Expands source: an http(s) URL (downloaded with libcurl into a temporary folder), a .txt file
 * (one source per line, sorted; relative lines resolved against the working directory, then the
 * list's folder), a glob pattern (sorted; a "**" folder segment recurses as in Python's glob),
 * a folder (its files, sorted), or an image file. Only
 * files with an image extension are kept. Errors (CPOSE_EINVAL/CPOSE_EIO) name the missing path
 * or failed URL; a source that yields no image is CPOSE_EINVAL. Free with cpose_sources_free. */
CPOSE_API int cpose_sources_open(const char *source, struct cpose_sources *out);
CPOSE_API void cpose_sources_free(struct cpose_sources *s); /* NULL-safe, idempotent */

/* ---- pre- and post-processing ------------------------------------------------------------------ */

/* Letterboxes img for the network (imgsz square target, auto padding to multiples of stride,
 * scale-up allowed) and writes the float32 CHW RGB [0,1] tensor into *chw (cpose_malloc'ed,
 * caller frees), with the input size in *in_w, *in_h. */
CPOSE_API int cpose_predict_preprocess(const struct cpose_image *img, int imgsz, int stride, float **chw, int *in_w,
                                       int *in_h);

/* Ultralytics' scale_boxes: maps n boxes (x1, y1, x2, y2 at the start of each row of `row_stride`
 * floats) from the in_w×in_h network input back to the orig_w×orig_h image (gain = min ratio,
 * pad = round(d/2 − 0.1) half-to-even), then clips to the image. Units: pixels. Cannot fail. */
CPOSE_API void cpose_scale_boxes(int in_w, int in_h, int orig_w, int orig_h, float *rows, int64_t n,
                                 int64_t row_stride);
/* Ultralytics' scale_coords: maps n×nkpt points (x, y at the start of each group of kdim floats)
 * likewise but with the unrounded pad d/2, then clips x to [0, orig_w] and y to [0, orig_h]. */
CPOSE_API void cpose_scale_coords(int in_w, int in_h, int orig_w, int orig_h, float *pts, int64_t n_points,
                                  int kdim);

/* The same with an explicit ratio_pad (Ultralytics' val path: gain and pad come from the
 * dataset's letterbox, e.g. gain 1, pad (left, top) = (16, 96)); boxes and points use the given
 * pad as is. */
CPOSE_API void cpose_scale_boxes_rp(double gain, double pad_x, double pad_y, int orig_w, int orig_h, float *rows,
                                    int64_t n, int64_t row_stride);
CPOSE_API void cpose_scale_coords_rp(double gain, double pad_x, double pad_y, int orig_w, int orig_h, float *pts,
                                     int64_t n_points, int kdim);

/* ---- results ---------------------------------------------------------------------------------- */

struct cpose_pred_result {
    char *path;             /* image path (owned) */
    int orig_w, orig_h;     /* original image size */
    int in_w, in_h;         /* network input size after letterbox */
    int64_t n;              /* detections */
    int nkpt, kdim;         /* keypoint shape (17, 3) */
    float *boxes;           /* n×4, owned */
    float *scores;          /* n, owned */
    int *classes;           /* n, owned */
    float *kpts;            /* n×nkpt×kdim, owned (NULL when nkpt is 0) */
    double ms_pre, ms_inf, ms_post; /* milliseconds spent per stage */
};

/* Fills r from NMS rows (n×(6 + nkpt·kdim), network-input pixels): scales boxes (rounded to whole
 * pixels, as Ultralytics' predictor does) and keypoints back to the original image. r->path and
 * sizes must be set by the caller; previous arrays are freed. */
CPOSE_API void cpose_pred_result_from_rows(struct cpose_pred_result *r, const float *rows, int64_t n, int nkpt,
                                           int kdim);
CPOSE_API void cpose_pred_result_free(struct cpose_pred_result *r); /* NULL-safe, idempotent */

/* "2 persons, " / "1 person, " / "(no detections), " as Ultralytics' Results.verbose() prints
 * (classes in ascending order), written into buf (always NUL-terminated). */
CPOSE_API void cpose_pred_result_summary(const struct cpose_pred_result *r, char *const *names, int n_names,
                                         char *buf, size_t cap);

/* ---- writers ---------------------------------------------------------------------------------- */

/* Writes a YOLO-format label file for one result (atomically): per detection
 * `cls cx cy w h` normalized by the original size, then per keypoint `x y` normalized (+ `conf`
 * when kdim is 3), then `conf` when save_conf; numbers printed with %g. No detections: an empty
 * file is not written (Ultralytics writes nothing) and CPOSE_OK is returned. */
CPOSE_API int cpose_pred_write_txt(const char *path, const struct cpose_pred_result *r, int save_conf);

/* Ultralytics' save_crop: each detection's box grown by ×1.02 + 10 px, truncated to integers,
 * clipped, cut from img (the original, unannotated) and saved as dir/crops/<class name>/<stem>.jpg
 * (then <stem>2.jpg, <stem>3.jpg ... for further crops). */
CPOSE_API int cpose_pred_save_crops(const char *dir, const struct cpose_pred_result *r, const struct cpose_image *img,
                                    char *const *names, int n_names);

/* COCO results rows for a whole run: image_id = file stem as an integer when it is all digits,
 * else the stem string; category_id = class; bbox [x, y, w, h] (top-left, original pixels,
 * rounded to 3 decimals); keypoints nkpt·kdim values; score rounded to 5 decimals. Rows stream to
 * a temporary file as they are added (memory stays flat on COCO-sized runs). */
struct cpose_pred_json;
CPOSE_API struct cpose_pred_json *cpose_pred_json_new(void);
CPOSE_API void cpose_pred_json_add(struct cpose_pred_json *j, const struct cpose_pred_result *r);
/* Writes the array to path atomically. */
CPOSE_API int cpose_pred_json_write(const struct cpose_pred_json *j, const char *path);
CPOSE_API void cpose_pred_json_free(struct cpose_pred_json *j); /* NULL-safe */

/* ---- running predict over a source ---------------------------------------------------------- */

/* What predict needs from a model: an eval forward and its metadata. core/predict/predict_model.c builds
 * one from a struct cpose_model; anything with the same output layout (exported models) can too. */
struct cpose_predict_backend {
    void *ctx;
    /* input [B, 3, H, W] float32 RGB [0,1] → pred [B, 4 + nc + nkpt·kdim, A] (caller-allocated) */
    int (*forward)(void *ctx, const float *input, int64_t B, int64_t H, int64_t W, float *pred);
    int64_t (*num_anchors)(void *ctx, int64_t H, int64_t W);
    int nc, nkpt, kdim;
    int stride;            /* max stride: letterbox pads to multiples of it */
    char *const *names;    /* class names (nc entries), borrowed */
    int n_names;
};

/* Run-wide summary filled by cpose_predict_run. */
struct cpose_predict_summary {
    int64_t n_images;      /* images processed */
    int64_t n_failed;      /* images that could not be read (reported by name, skipped) */
    int64_t n_detections;
    double ms_pre, ms_inf, ms_post; /* totals over processed images */
    char *save_dir;        /* run folder when anything was saved, else NULL (owned; see _free) */
};
CPOSE_API void cpose_predict_summary_free(struct cpose_predict_summary *s); /* NULL-safe */

/* Called once per processed image with its result (and the original image, before annotation);
 * a nonzero return stops the run with that status. Borrowed pointers, valid during the call. */
typedef int (*cpose_predict_cb)(void *ud, const struct cpose_pred_result *r, const struct cpose_image *img);

/* Runs predict over args' source= with Ultralytics' arguments: imgsz, conf (None → 0.25), iou,
 * max_det, classes, agnostic_nms, save (annotated images), save_txt/save_conf (labels/<stem>.txt),
 * save_crop (crops/<name>/<stem>.jpg), save_json (predictions.json; also written whenever save,
 * save_txt or save_crop is on), show_labels,
 * show_conf, show_boxes, line_width, project/name/exist_ok (runs/pose/predict, predict2, ...),
 * verbose (per-image lines and the speed line on stdout). Unreadable images are reported by name
 * and skipped. Returns CPOSE_OK when at least one image was processed; CPOSE_EINVAL/CPOSE_EIO
 * for a bad source or when every image failed. summary may be NULL; cb may be NULL. */
CPOSE_API int cpose_predict_run(const struct cpose_predict_backend *b, const struct cpose_args *a,
                                cpose_predict_cb cb, void *ud, struct cpose_predict_summary *summary);

/* One image through the backend: preprocess, forward, NMS (opts), scale back. r->path is left to
 * the caller; r's arrays are replaced. Timing fields are filled. */
CPOSE_API int cpose_predict_image(const struct cpose_predict_backend *b, const struct cpose_image *img, int imgsz,
                                  const struct cpose_nms_opts *opts, struct cpose_pred_result *r);

/* ---- on a struct cpose_model (core/nn/model.h) ------------------------------------------------- */

struct cpose_model;
/* Fills b to run m (borrowed: m must outlive b's use). */
CPOSE_API void cpose_predict_backend_from_model(struct cpose_model *m, struct cpose_predict_backend *b);
/* cpose_predict_run on a model: what `cpose predict` and the Lua binding call. */
CPOSE_API int cpose_predict_run_model(struct cpose_model *m, const struct cpose_args *a, cpose_predict_cb cb,
                                      void *ud, struct cpose_predict_summary *summary);

#endif
