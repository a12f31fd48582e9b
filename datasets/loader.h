/* datasets/loader.h — batches for validation and prediction as Ultralytics builds them without
 * augmentation: load_image's long-side resize, rectangular batch shapes (images sorted by aspect
 * ratio), LetterBox(scaleup=False, auto=False) into the batch shape, labels carried through, and
 * per-image metadata to map predictions back to the original image. Images decode in parallel,
 * optionally one batch ahead on a background thread (cpose_loader_set_workers).
 *
 *   struct cpose_loader *L;
 *   cpose_loader_open("coco8-pose.yaml", "val", 640, 16, 32, 1, 0.5, &L);
 *   struct cpose_batch b;
 *   while (cpose_loader_next(L, &b) == CPOSE_OK && b.n > 0) { ... b.images ... }
 *   cpose_loader_free(L);
 */
#ifndef CPOSE_LOADER_H
#define CPOSE_LOADER_H

#include <stddef.h>
#include "core/base/status.h"

struct cpose_batch_item {
    const char *im_file;      /* borrowed from the loader */
    int ori_h, ori_w;         /* original size (pixels) */
    int resized_h, resized_w; /* after load_image's resize (long side → imgsz, ceil, ≤ imgsz) */
    double ratio_h, ratio_w;  /* resized / original (Ultralytics' ratio_pad[0]) */
    double lb_ratio;          /* the letterbox's own scale (≤ 1: scaleup=False) */
    double pad_w, pad_h;      /* letterbox half-padding dw, dh (floats; labels are shifted by these) */
    int pad_left, pad_top;    /* integer pixel offsets (Ultralytics' ratio_pad[1]) */
    int n_labels;
    float *cls;               /* n_labels class ids */
    float *bboxes;            /* n_labels × 4: cx, cy, w, h normalised to the batch image (W, H) */
    float *kpts;              /* n_labels × K × 3: x/W, y/H, visibility (the batch image's frame) */
    int unreadable;           /* 1: the image could not be read now (warned; its slot is zeros, no labels): skip it */
};

struct cpose_batch {
    int n;                    /* images in this batch (0 at the end) */
    int H, W;                 /* batch image size */
    int K;                    /* keypoints per label (0 without kpt_shape) */
    float *images;            /* n × 3 × H × W, RGB in [0,1]; owned by the loader, valid until the next call */
    struct cpose_batch_item *items; /* n entries, owned by the loader */
    int index;                /* batch number */
};

struct cpose_loader;

/* Opens a dataset split (data = YAML path or bundled name; split = "train"/"val"/"test"): lists
 * the images, verifies them and their labels (cpose_labels_scan, with cache; corrupt ones are
 * skipped), and plans batches. rect: Ultralytics' rectangular batches (images sorted by h/w,
 * shapes = ceil(imgsz·shape/stride + pad)·stride); otherwise every batch is imgsz × imgsz.
 * Pass stride = max(model stride, 32) as Ultralytics does. */
CPOSE_API int cpose_loader_open(const char *data, const char *split, int imgsz, int batch, int stride, int rect,
                                double pad, struct cpose_loader **out);
/* Same over plain image files (no labels; sizes read from the images when rect is set). */
CPOSE_API int cpose_loader_open_files(char *const *files, size_t n, int imgsz, int batch, int stride, int rect,
                                      double pad, struct cpose_loader **out);
/* Fills the next batch (b->n == 0 after the last). A file that fails to decode is CPOSE_EIO naming it. */
CPOSE_API int cpose_loader_next(struct cpose_loader *L, struct cpose_batch *b);
/* Makes this loader yield only the batches whose index % size == rank (a distributed run: each rank
 * takes whole batches, so a batch's shape and contents do not depend on the number of ranks; the
 * batch's global image indices are b.index·batch + i). size 1 is every batch. */
CPOSE_API int cpose_loader_shard(struct cpose_loader *L, int rank, int size);
/* Overlap: workers ≥ 1 starts one background thread that, while the caller works on the batch
 * cpose_loader_next returned, decodes and letterboxes the following one with `workers` OpenMP
 * threads (into a second buffer: each batch stays valid until the next call, as without it).
 * workers = 0 (the default) makes every batch inside cpose_loader_next on the OpenMP team. The
 * batches are the same bytes either way. Errors: CPOSE_EINVAL for workers < 0, CPOSE_ENOMEM when
 * the thread cannot start. */
CPOSE_API int cpose_loader_set_workers(struct cpose_loader *L, int workers);
/* Back to the first batch. */
CPOSE_API void cpose_loader_reset(struct cpose_loader *L);
CPOSE_API size_t cpose_loader_size(const struct cpose_loader *L);     /* images */
CPOSE_API int cpose_loader_n_batches(const struct cpose_loader *L);
/* The class names and kpt_shape of the dataset (NULL/0 for plain files); borrowed. */
CPOSE_API char *const *cpose_loader_names(const struct cpose_loader *L, int *nc);
/* The dataset's flip_idx (K entries, *K receives K) or NULL (plain files, or no flip_idx); borrowed. */
CPOSE_API const int *cpose_loader_flip_idx(const struct cpose_loader *L, int *K);
CPOSE_API void cpose_loader_free(struct cpose_loader *L); /* NULL-safe */

/* Ultralytics' load_image size rule: r = imgsz / max(h0, w0); when r != 1 the size becomes
 * (min(ceil(w0·r), imgsz), min(ceil(h0·r), imgsz)). */
CPOSE_API void cpose_load_image_size(int w0, int h0, int imgsz, int *w, int *h);

#endif
