/* datasets/train_loader.h — the training loader: a dataset split read once (labels verified and
 * cached, `fraction` and `single_cls` applied, `flip_idx` kept), shuffled per epoch from the seed,
 * each sample augmented (datasets/augment.h) by `workers` background threads while the caller's
 * step runs. Every sample draws from its own stream seeded by (seed, epoch, image index) and the
 * sampler from (seed, epoch), so the batches are byte-identical for any `workers` value.
 *
 *   struct cpose_train_opts o;
 *   cpose_train_opts_defaults(&o);
 *   o.data = "synth-pose.yaml"; o.imgsz = 320; o.batch = 8; o.workers = 2; o.epochs = 40;
 *   struct cpose_train_loader *L;
 *   if (cpose_train_loader_open(&o, &L)) { puts(cpose_errmsg()); ... }
 *   for (int e = 0; e < o.epochs; e++) {
 *       cpose_train_loader_start_epoch(L, e);
 *       struct cpose_train_batch b;
 *       while (cpose_train_loader_next(L, &b) == CPOSE_OK && b.n > 0) { ... step(b.img, b.batch_idx, ...) ... }
 *   }
 *   cpose_train_loader_free(L);
 */
#ifndef CPOSE_TRAIN_LOADER_H
#define CPOSE_TRAIN_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include "core/base/status.h"
#include "datasets/augment.h"

struct cpose_train_opts {
    const char *data;          /* dataset YAML (path or bundled name) */
    const char *split;         /* "train" (default) */
    int imgsz;                 /* 640 */
    int batch;                 /* 16 */
    int workers;               /* background threads; 0 = samples made in cpose_train_loader_next (8) */
    uint64_t seed;             /* 0 */
    int epochs;                /* 100: with close_mosaic, decides the epochs without mosaic */
    int close_mosaic;          /* 10: mosaic off from epoch (epochs − close_mosaic) on, as Ultralytics */
    double fraction;           /* 1.0: the first round(N·fraction) images (after sorting) are used */
    int single_cls;            /* 0: every class becomes 0 */
    int augment;               /* 1: off gives LetterBox only (no mosaic/perspective/HSV/flips) */
    struct cpose_aug_hyp hyp;  /* Ultralytics' defaults */
    int shuffle;               /* 1: a new order every epoch; 0: the dataset's order (tests) */
    int shard_rank, shard_size; /* 0, 1. A data-parallel run: rank r of N takes batch/N images of every
                                 * global batch of `batch` (its slice [r·batch/N, (r+1)·batch/N)), the last
                                 * global batch filled up from the epoch's start; each image is augmented
                                 * by its own stream, so the union of the ranks' batches is the batch one
                                 * process would make. batch must be a multiple of N. */
};
CPOSE_API void cpose_train_opts_defaults(struct cpose_train_opts *o);

/* One batch, in the layout the loss takes. Everything is owned by the loader and valid until the
 * next call of cpose_train_loader_next / start_epoch / free. */
struct cpose_train_batch {
    int n;                    /* images (0 after the last batch of the epoch; the last batch may be short) */
    int H, W, K;              /* image size (imgsz × imgsz), keypoints per instance */
    float *img;               /* n × 3 × H × W, RGB in [0, 1] */
    int n_targets;            /* instances in the batch */
    float *batch_idx;         /* n_targets: which image each instance belongs to */
    float *cls;               /* n_targets */
    float *bboxes;            /* n_targets × 4: cx cy w h normalised to (W, H) */
    float *keypoints;         /* n_targets × K × 3: x/W, y/H, visibility (0 for keypoints outside) */
    const size_t *indices;    /* n dataset indices of the images (the mosaic's first tile) */
    int epoch, index;         /* epoch, batch number within it */
    int mosaic;               /* 1 when mosaic was enabled for this epoch */
};

struct cpose_train_loader;

/* Opens the split: reads the YAML (kpt_shape required), lists the images, applies `fraction`,
 * verifies images and labels (cpose_labels_scan; corrupt ones skipped with a warning) and starts
 * `workers` threads. Errors: a missing dataset (the YAML's message), no images, a split without
 * any label file ("no labels found", naming the labels folder), bad options naming the key. */
CPOSE_API int cpose_train_loader_open(const struct cpose_train_opts *o, struct cpose_train_loader **out);
/* Starts epoch `epoch` (0-based): a new shuffle from (seed, epoch), mosaic on or off by close_mosaic,
 * background work restarted. Any batch of the previous epoch not yet taken is discarded. */
CPOSE_API int cpose_train_loader_start_epoch(struct cpose_train_loader *L, int epoch);
/* Changes the planned epoch count (o.epochs) of a live loader, as the trainer's time= re-plan does:
 * from the next cpose_train_loader_start_epoch on, mosaic closes at the new epochs − close_mosaic. The
 * epoch being served is not changed. CPOSE_EINVAL for epochs < 1. */
CPOSE_API int cpose_train_loader_set_epochs(struct cpose_train_loader *L, int epochs);
CPOSE_API int cpose_train_loader_epochs(const struct cpose_train_loader *L); /* the planned epoch count */
/* The next batch of the current epoch (b->n == 0 after the last). Waits for the workers; a sample
 * that failed (an unreadable image) is CPOSE_EIO naming the file. */
CPOSE_API int cpose_train_loader_next(struct cpose_train_loader *L, struct cpose_train_batch *b);
CPOSE_API size_t cpose_train_loader_size(const struct cpose_train_loader *L);   /* images */
CPOSE_API int cpose_train_loader_n_batches(const struct cpose_train_loader *L); /* ceil(size / batch) */
/* The dataset's flip_idx (K entries) or NULL, its class names and kpt_shape; borrowed. */
CPOSE_API const int *cpose_train_loader_flip_idx(const struct cpose_train_loader *L, int *K);
CPOSE_API char *const *cpose_train_loader_names(const struct cpose_train_loader *L, int *nc);
/* Image file of dataset index i (borrowed). */
CPOSE_API const char *cpose_train_loader_file(const struct cpose_train_loader *L, size_t i);
/* Stops the workers and frees everything. NULL-safe. */
CPOSE_API void cpose_train_loader_free(struct cpose_train_loader *L);

/* Is mosaic used in `epoch` (Ultralytics: closed when epoch reaches epochs − close_mosaic)? */
CPOSE_API int cpose_train_mosaic_on(int epoch, int epochs, int close_mosaic, double mosaic);

#endif
