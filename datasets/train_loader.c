/* datasets/train_loader.c — the training loader: dataset opening (fraction, single_cls, flip_idx),
 * the per-epoch sampler, and the worker threads. Work is one sample at a time: a worker claims the
 * next position of the epoch, augments it into its batch slot and counts it done; the caller takes
 * batch b once all its samples are done. A ring of slots bounds how far the workers run ahead.
 * Results depend only on (seed, epoch, image), never on which thread made them. */
#define _GNU_SOURCE
#include "datasets/train_loader.h"

#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/image.h"
#include "datasets/dataset.h"
#include "datasets/labels.h"
#include "datasets/loader.h"

struct slot {
    float *img;                    /* batch × 3 × s × s */
    struct cpose_aug_labels *lab;  /* batch */
    int done;                      /* samples finished */
    int rc, err_pos;               /* first error (lowest position) */
    char err[512];
};

struct cpose_train_loader {
    struct cpose_train_opts o;
    struct cpose_label_set set;
    size_t n;
    int K, nc, n_batches;
    char **names;
    int *flip_idx;
    /* the epoch */
    int epoch, mosaic;
    size_t *perm;                  /* this loader's epoch positions → dataset index (n_pos entries) */
    size_t *gperm;                 /* the epoch's order of the whole dataset (n entries) */
    size_t n_pos;                  /* positions per epoch: n, or with shards n_batches × the rank's batch */
    int global_batch;              /* batch= (o.batch is this rank's share of it) */
    /* slots and threads */
    int depth;
    struct slot *slots;
    pthread_t *threads;
    int n_threads;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    size_t next_pos;               /* next position to claim */
    int consumed;                  /* batches whose slot is free again */
    int busy;                      /* samples in flight */
    int paused, quit, started;
    int cur;                       /* batch handed out (held until the next call), −1 none */
    /* the batch handed out */
    float *batch_idx, *cls, *bboxes, *kpts;
    size_t t_cap;
};

void cpose_train_opts_defaults(struct cpose_train_opts *o)
{
    *o = (struct cpose_train_opts){.split = "train", .imgsz = 640, .batch = 16, .workers = 8, .seed = 0,
                                   .epochs = 100, .close_mosaic = 10, .fraction = 1.0, .single_cls = 0,
                                   .augment = 1, .shuffle = 1, .shard_rank = 0, .shard_size = 1};
    cpose_aug_hyp_defaults(&o->hyp);
}

int cpose_train_mosaic_on(int epoch, int epochs, int close_mosaic, double mosaic)
{
    if (mosaic <= 0) return 0;
    int closed_from = epochs - close_mosaic; /* Ultralytics closes when epoch == epochs − close_mosaic */
    if (close_mosaic > 0 && closed_from >= 0 && epoch >= closed_from) return 0;
    return 1;
}

/* ---- samples ---- */

static int load_resized(void *ctx, size_t i, struct cpose_image *img, struct cpose_aug_labels *lab)
{
    const struct cpose_train_loader *L = ctx;
    const struct cpose_label_item *it = &L->set.items[i];
    struct cpose_image im = {0};
    int rc = cpose_image_read(it->im_file, &im);
    if (rc) return rc;
    int w, h, s = L->o.imgsz;
    cpose_load_image_size(im.w, im.h, s, &w, &h);
    if (w != im.w || h != im.h) {
        rc = cpose_image_resize(&im, w, h, CPOSE_INTER_LINEAR, img); /* load_image with augment: linear */
        cpose_image_free(&im);
        if (rc) return cpose_err_context(rc, "%s", it->im_file);
    } else {
        *img = im;
    }
    cpose_aug_labels_from_yolo(lab, it->cls_box, it->kpts, it->n, L->K, w, h);
    if (L->o.single_cls)
        for (int j = 0; j < lab->n; j++) lab->cls[j] = 0;
    return CPOSE_OK;
}

/* Makes the sample at epoch position p into its slot (called without the lock). */
static int make_sample(struct cpose_train_loader *L, int epoch, int mosaic, size_t p)
{
    int s = L->o.imgsz, B = L->o.batch;
    struct slot *sl = &L->slots[(p / B) % L->depth];
    size_t j = p % B, index = L->perm[p];
    struct cpose_rng rng;
    cpose_rng_seed(&rng, L->o.seed, (uint64_t)epoch, index);
    struct cpose_aug_source src = {load_resized, L, L->n, L->flip_idx};
    struct cpose_image img = {0};
    int rc;
    if (L->o.augment) {
        rc = cpose_augment_sample(&src, index, s, &L->o.hyp, mosaic, &rng, &img, &sl->lab[j]);
    } else {
        struct cpose_image im = {0};
        struct cpose_letterbox info;
        rc = load_resized(L, index, &im, &sl->lab[j]);
        if (rc == CPOSE_OK) rc = cpose_image_letterbox(&im, s, s, 0, 32, 1, &img, &info);
        if (rc == CPOSE_OK) {
            struct cpose_aug_labels *l = &sl->lab[j];
            float r = (float)info.ratio;
            for (int i = 0; i < l->n; i++) {
                for (int c = 0; c < 4; c++) l->boxes[4 * i + c] = l->boxes[4 * i + c] * r + (float)(c % 2 ? info.pad_h : info.pad_w);
                for (int k = 0; k < l->K; k++) {
                    float *q = l->kpts + ((size_t)i * l->K + k) * 3;
                    q[0] = q[0] * r + (float)info.pad_w;
                    q[1] = q[1] * r + (float)info.pad_h;
                }
            }
        }
        cpose_image_free(&im);
    }
    if (rc == CPOSE_OK) cpose_image_to_chw_rgb(&img, sl->img + j * 3 * (size_t)s * s);
    cpose_image_free(&img);
    if (rc) rc = cpose_err_context(rc, "train sample %zu (%s)", index, L->set.items[index].im_file);
    return rc;
}

/* Records a finished sample (lock held). */
static void sample_done(struct cpose_train_loader *L, size_t p, int rc)
{
    struct slot *sl = &L->slots[(p / L->o.batch) % L->depth];
    if (rc && (sl->rc == 0 || (int)(p % L->o.batch) < sl->err_pos)) {
        sl->rc = rc;
        sl->err_pos = (int)(p % L->o.batch);
        snprintf(sl->err, sizeof sl->err, "%s", cpose_errmsg());
    }
    sl->done++;
}

static int claimable(const struct cpose_train_loader *L)
{
    return !L->paused && L->next_pos < L->n_pos && L->next_pos < (size_t)(L->consumed + L->depth) * L->o.batch;
}

static void *worker_main(void *arg)
{
    struct cpose_train_loader *L = arg;
    pthread_mutex_lock(&L->mu);
    while (!L->quit) {
        if (!claimable(L)) {
            pthread_cond_wait(&L->work_cv, &L->mu);
            continue;
        }
        size_t p = L->next_pos++;
        int epoch = L->epoch, mosaic = L->mosaic;
        L->busy++;
        pthread_mutex_unlock(&L->mu);
        int rc = make_sample(L, epoch, mosaic, p);
        pthread_mutex_lock(&L->mu);
        sample_done(L, p, rc);
        L->busy--;
        pthread_cond_broadcast(&L->done_cv);
    }
    pthread_mutex_unlock(&L->mu);
    return NULL;
}

/* ---- opening ---- */

static int check_opts(const struct cpose_train_opts *o)
{
    if (!o->data || !*o->data) return cpose_err(CPOSE_EINVAL, "train loader: data= is required (a dataset YAML)");
    if (o->imgsz < 32 || o->imgsz > 8192 || o->imgsz % 32)
        return cpose_err(CPOSE_EINVAL, "train loader: imgsz=%d must be a multiple of 32 in 32..8192", o->imgsz);
    if (o->batch < 1) return cpose_err(CPOSE_EINVAL, "train loader: batch=%d must be at least 1", o->batch);
    if (o->workers < 0 || o->workers > 256)
        return cpose_err(CPOSE_EINVAL, "train loader: workers=%d must be 0..256", o->workers);
    if (!(o->fraction > 0 && o->fraction <= 1))
        return cpose_err(CPOSE_EINVAL, "train loader: fraction=%g must be in (0, 1]", o->fraction);
    if (o->close_mosaic < 0)
        return cpose_err(CPOSE_EINVAL, "train loader: close_mosaic=%d must be ≥ 0", o->close_mosaic);
    if (o->shard_size < 1 || o->shard_rank < 0 || o->shard_rank >= o->shard_size)
        return cpose_err(CPOSE_EINVAL, "train loader: shard %d of %d: the rank must be within [0, %d)", o->shard_rank,
                         o->shard_size, o->shard_size);
    if (o->batch % o->shard_size)
        return cpose_err(CPOSE_EINVAL, "batch=%d must be a multiple of the number of ranks (%d): each rank takes batch/%d",
                         o->batch, o->shard_size, o->shard_size);
    return cpose_aug_hyp_check(&o->hyp);
}

int cpose_train_loader_open(const struct cpose_train_opts *o, struct cpose_train_loader **out)
{
    *out = NULL;
    int rc = check_opts(o);
    if (rc) return rc;
    const char *split = o->split ? o->split : "train";
    int s = cpose_split_from_name(split);
    if (s < 0) return cpose_err(CPOSE_EINVAL, "train loader: split=%s: use train, val or test", split);
    struct cpose_dataset d;
    if ((rc = cpose_dataset_load(o->data, &d)) != CPOSE_OK) return rc;
    if (d.kpt_shape[0] <= 0) {
        rc = cpose_err(CPOSE_EINVAL, "%s: no kpt_shape: a pose dataset needs kpt_shape: [K, 3]", d.yaml_path);
        cpose_dataset_free(&d);
        return rc;
    }
    if (d.flip_idx && d.kpt_shape[0] > 64) {
        rc = cpose_err(CPOSE_EINVAL, "%s: kpt_shape K=%d: flipping supports at most 64 keypoints", d.yaml_path,
                       d.kpt_shape[0]);
        cpose_dataset_free(&d);
        return rc;
    }
    char **files = NULL;
    size_t n = 0;
    if ((rc = cpose_dataset_images(&d, (enum cpose_split)s, &files, &n)) != CPOSE_OK) {
        rc = cpose_err_context(rc, "%s: split '%s'", d.yaml_path, split);
        cpose_dataset_free(&d);
        return rc;
    }
    size_t keep = (size_t)llround((double)n * o->fraction); /* Ultralytics: im_files[:round(N·fraction)] */
    if (keep == 0) keep = 1;
    for (size_t i = keep; i < n; i++) cpose_free(files[i]);
    n = keep;
    /* Every sample allocates and frees images of 0.3–1.2 MB. With glibc's defaults on the main arena
     * those go through mmap/munmap or brk trimming, and the page faults cost ~6× the augmentation
     * itself when workers=0 (bench_train_loader: 39 → 178 img/s). Keep freed memory for reuse
     * instead: chunks up to 32 MB from the heap, trimmed only beyond 128 MB free. Process-wide. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    struct cpose_train_loader *L = cpose_calloc(1, sizeof *L);
    L->o = *o;
    L->o.split = NULL;
    L->cur = -1;
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s: ", split);
    struct cpose_scan_opts so = {d.nc, d.kpt_shape[0], d.kpt_shape[1], prefix, 1, NULL};
    rc = cpose_labels_scan(files, n, &so, &L->set);
    char *first = n ? cpose_img2label_path(files[0]) : NULL;
    cpose_strv_free(files, n);
    if (rc == CPOSE_OK && L->set.nf == 0)
        rc = cpose_err(CPOSE_EINVAL, "%s: no labels found for the %zu %s images (looked for files like %s); "
                       "training needs YOLO pose label files",
                       d.yaml_path, n, split, first ? first : "?");
    else if (rc == CPOSE_OK && L->set.n_items == 0)
        rc = cpose_err(CPOSE_EINVAL, "%s: no usable images in split '%s' (all corrupt)", d.yaml_path, split);
    cpose_free(first);
    if (rc) {
        cpose_dataset_free(&d);
        cpose_train_loader_free(L);
        return rc;
    }
    L->n = L->set.n_items;
    L->K = L->set.K;
    L->names = d.names;
    L->nc = d.nc;
    d.names = NULL;
    if (d.flip_idx) {
        L->flip_idx = cpose_malloc((size_t)d.n_flip_idx * sizeof *L->flip_idx);
        memcpy(L->flip_idx, d.flip_idx, (size_t)d.n_flip_idx * sizeof *L->flip_idx);
    }
    cpose_dataset_free(&d);
    L->n_batches = (int)((L->n + o->batch - 1) / o->batch);
    /* a shard takes its slice of every global batch; the last one is filled up from the start of the
     * epoch's order, so every rank has the same number of images per step (as PyTorch's
     * DistributedSampler pads) */
    L->global_batch = o->batch;
    L->o.batch = o->batch / o->shard_size;
    L->n_pos = o->shard_size > 1 ? (size_t)L->n_batches * L->o.batch : L->n;
    L->perm = cpose_malloc(L->n_pos * sizeof *L->perm);
    L->gperm = cpose_malloc(L->n * sizeof *L->gperm);
    for (size_t i = 0; i < L->n_pos; i++) L->perm[i] = i % L->n;
    L->depth = o->workers ? 3 : 1;
    if (L->depth > L->n_batches) L->depth = L->n_batches;
    L->slots = cpose_calloc((size_t)L->depth, sizeof *L->slots);
    size_t img_floats = (size_t)L->o.batch * 3 * o->imgsz * o->imgsz;
    for (int i = 0; i < L->depth; i++) {
        L->slots[i].img = cpose_calloc(img_floats, sizeof(float));
        L->slots[i].lab = cpose_calloc((size_t)L->o.batch, sizeof *L->slots[i].lab);
    }
    pthread_mutex_init(&L->mu, NULL);
    pthread_cond_init(&L->work_cv, NULL);
    pthread_cond_init(&L->done_cv, NULL);
    L->paused = 1; /* until the first start_epoch */
    L->started = 1;
    L->threads = cpose_calloc((size_t)o->workers + 1, sizeof *L->threads);
    for (int i = 0; i < o->workers; i++) {
        if (pthread_create(&L->threads[i], NULL, worker_main, L) != 0) {
            cpose_train_loader_free(L);
            return cpose_err(CPOSE_EIO, "train loader: could not start worker %d of %d", i + 1, o->workers);
        }
        L->n_threads++;
    }
    *out = L;
    return CPOSE_OK;
}

/* ---- epochs and batches ---- */

int cpose_train_loader_set_epochs(struct cpose_train_loader *L, int epochs)
{
    if (epochs < 1) return cpose_err(CPOSE_EINVAL, "train loader: epochs=%d must be ≥ 1", epochs);
    pthread_mutex_lock(&L->mu);
    L->o.epochs = epochs; /* read by the next start_epoch only */
    pthread_mutex_unlock(&L->mu);
    return CPOSE_OK;
}

int cpose_train_loader_epochs(const struct cpose_train_loader *L) { return L->o.epochs; }

int cpose_train_loader_start_epoch(struct cpose_train_loader *L, int epoch)
{
    if (epoch < 0) return cpose_err(CPOSE_EINVAL, "train loader: epoch %d must be ≥ 0", epoch);
    pthread_mutex_lock(&L->mu);
    L->paused = 1;
    while (L->busy > 0) pthread_cond_wait(&L->done_cv, &L->mu);
    L->epoch = epoch;
    L->mosaic = L->o.augment && cpose_train_mosaic_on(epoch, L->o.epochs, L->o.close_mosaic, L->o.hyp.mosaic);
    /* The sampler: a Fisher–Yates shuffle from its own stream (seed, epoch, sampler id). */
    struct cpose_rng rng;
    cpose_rng_seed(&rng, L->o.seed, (uint64_t)epoch, UINT64_MAX);
    for (size_t i = 0; i < L->n; i++) L->gperm[i] = i;
    for (size_t i = L->n; i > 1 && L->o.shuffle; i--) {
        size_t j = (size_t)cpose_rng_below(&rng, i), t = L->gperm[i - 1];
        L->gperm[i - 1] = L->gperm[j];
        L->gperm[j] = t;
    }
    /* this loader's positions: its slice of each global batch (all of it without shards) */
    size_t Bl = (size_t)L->o.batch, Bg = (size_t)L->global_batch;
    for (size_t q = 0; q < L->n_pos; q++)
        L->perm[q] = L->gperm[((q / Bl) * Bg + (size_t)L->o.shard_rank * Bl + q % Bl) % L->n];
    for (int i = 0; i < L->depth; i++) {
        L->slots[i].done = 0;
        L->slots[i].rc = 0;
    }
    L->next_pos = 0;
    L->consumed = 0;
    L->cur = -1;
    L->paused = 0;
    pthread_cond_broadcast(&L->work_cv);
    pthread_mutex_unlock(&L->mu);
    return CPOSE_OK;
}

/* Concatenates the slot's per-image labels into the batch targets, normalised. */
static void assemble(struct cpose_train_loader *L, struct slot *sl, int n_img, struct cpose_train_batch *b)
{
    int K = L->K;
    size_t total = 0;
    for (int j = 0; j < n_img; j++) total += (size_t)sl->lab[j].n;
    if (total + 1 > L->t_cap) {
        L->t_cap = 2 * total + 16;
        L->batch_idx = cpose_realloc(L->batch_idx, L->t_cap * sizeof *L->batch_idx);
        L->cls = cpose_realloc(L->cls, L->t_cap * sizeof *L->cls);
        L->bboxes = cpose_realloc(L->bboxes, L->t_cap * 4 * sizeof *L->bboxes);
        L->kpts = cpose_realloc(L->kpts, L->t_cap * (size_t)(K ? K : 1) * 3 * sizeof *L->kpts);
    }
    float W = (float)L->o.imgsz, H = (float)L->o.imgsz;
    size_t t = 0;
    for (int j = 0; j < n_img; j++) {
        const struct cpose_aug_labels *l = &sl->lab[j];
        for (int i = 0; i < l->n; i++, t++) {
            const float *bx = l->boxes + 4 * i;
            L->batch_idx[t] = (float)j;
            L->cls[t] = l->cls[i];
            L->bboxes[4 * t + 0] = (bx[0] + bx[2]) / 2 / W;
            L->bboxes[4 * t + 1] = (bx[1] + bx[3]) / 2 / H;
            L->bboxes[4 * t + 2] = (bx[2] - bx[0]) / W;
            L->bboxes[4 * t + 3] = (bx[3] - bx[1]) / H;
            for (int k = 0; k < K; k++) {
                const float *p = l->kpts + ((size_t)i * K + k) * 3;
                float *q = L->kpts + (t * K + k) * 3;
                q[0] = p[0] / W;
                q[1] = p[1] / H;
                q[2] = p[2];
            }
        }
    }
    b->n_targets = (int)total;
    b->batch_idx = L->batch_idx;
    b->cls = L->cls;
    b->bboxes = L->bboxes;
    b->keypoints = L->kpts;
}

int cpose_train_loader_next(struct cpose_train_loader *L, struct cpose_train_batch *b)
{
    memset(b, 0, sizeof *b);
    int B = L->o.batch;
    pthread_mutex_lock(&L->mu);
    if (L->paused) {
        pthread_mutex_unlock(&L->mu);
        return cpose_err(CPOSE_EINVAL, "train loader: call cpose_train_loader_start_epoch before next");
    }
    if (L->cur >= 0) { /* the batch handed out last time is released */
        struct slot *old = &L->slots[L->cur % L->depth];
        old->done = 0;
        old->rc = 0;
        L->consumed = L->cur + 1;
        L->cur = -1;
        pthread_cond_broadcast(&L->work_cv);
    }
    int bi = L->consumed;
    b->epoch = L->epoch;
    b->index = bi;
    b->mosaic = L->mosaic;
    if (bi >= L->n_batches) {
        pthread_mutex_unlock(&L->mu);
        return CPOSE_OK;
    }
    size_t p0 = (size_t)bi * B;
    int n_img = (int)(L->n_pos - p0 < (size_t)B ? L->n_pos - p0 : (size_t)B);
    struct slot *sl = &L->slots[bi % L->depth];
    if (L->n_threads == 0) {
        int epoch = L->epoch, mosaic = L->mosaic;
        L->next_pos = p0 + n_img;
        pthread_mutex_unlock(&L->mu);
        for (int j = 0; j < n_img; j++) {
            int rc = make_sample(L, epoch, mosaic, p0 + j);
            sample_done(L, p0 + j, rc);
        }
        pthread_mutex_lock(&L->mu);
    } else {
        while (sl->done < n_img) pthread_cond_wait(&L->done_cv, &L->mu);
    }
    L->cur = bi;
    int rc = sl->rc;
    char err[512];
    if (rc) snprintf(err, sizeof err, "%s", sl->err);
    pthread_mutex_unlock(&L->mu);
    if (rc) return cpose_err(rc, "%s", err);
    b->n = n_img;
    b->H = b->W = L->o.imgsz;
    b->K = L->K;
    b->img = sl->img;
    b->indices = L->perm + p0;
    assemble(L, sl, n_img, b);
    return CPOSE_OK;
}

size_t cpose_train_loader_size(const struct cpose_train_loader *L) { return L->n; }
int cpose_train_loader_n_batches(const struct cpose_train_loader *L) { return L->n_batches; }

const int *cpose_train_loader_flip_idx(const struct cpose_train_loader *L, int *K)
{
    if (K) *K = L->K;
    return L->flip_idx;
}

char *const *cpose_train_loader_names(const struct cpose_train_loader *L, int *nc)
{
    if (nc) *nc = L->nc;
    return L->names;
}

const char *cpose_train_loader_file(const struct cpose_train_loader *L, size_t i)
{
    return i < L->n ? L->set.items[i].im_file : NULL;
}

void cpose_train_loader_free(struct cpose_train_loader *L)
{
    if (!L) return;
    if (L->started) {
        pthread_mutex_lock(&L->mu);
        L->quit = 1;
        pthread_cond_broadcast(&L->work_cv);
        pthread_mutex_unlock(&L->mu);
        for (int i = 0; i < L->n_threads; i++) pthread_join(L->threads[i], NULL);
        pthread_mutex_destroy(&L->mu);
        pthread_cond_destroy(&L->work_cv);
        pthread_cond_destroy(&L->done_cv);
    }
    for (int i = 0; i < L->depth && L->slots; i++) {
        cpose_free(L->slots[i].img);
        for (int j = 0; j < L->o.batch && L->slots[i].lab; j++) cpose_aug_labels_free(&L->slots[i].lab[j]);
        cpose_free(L->slots[i].lab);
    }
    cpose_free(L->slots);
    cpose_free(L->threads);
    cpose_free(L->perm);
    cpose_free(L->gperm);
    cpose_free(L->flip_idx);
    if (L->names) cpose_strv_free(L->names, (size_t)L->nc);
    cpose_free(L->batch_idx);
    cpose_free(L->cls);
    cpose_free(L->bboxes);
    cpose_free(L->kpts);
    cpose_labels_free(&L->set);
    cpose_free(L);
}
