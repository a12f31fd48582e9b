/* datasets/loader.c — validation/prediction batches: rectangular batch planning (set_rectangle),
 * load_image resize, letterbox into the batch shape, labels mapped into the batch frame, parallel
 * decoding with OpenMP (in the caller, or ahead of it in datasets/loader_prefetch.c). */
#define _GNU_SOURCE
#include "datasets/loader.h"
#include "datasets/loader_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "core/base/alloc.h"
#include "datasets/dataset.h"
#include "datasets/download.h"
#include "core/nn/image.h"
#include "datasets/imghdr.h"
#include "core/base/fsutil.h"
#include "datasets/labels.h"
#include "core/base/log.h"


void cpose_load_image_size(int w0, int h0, int imgsz, int *w, int *h)
{
    double r = (double)imgsz / (double)(h0 > w0 ? h0 : w0);
    if (r != 1) {
        double cw = ceil(w0 * r), ch = ceil(h0 * r);
        *w = (int)(cw < imgsz ? cw : imgsz);
        *h = (int)(ch < imgsz ? ch : imgsz);
    } else {
        *w = w0;
        *h = h0;
    }
}

struct ar_ent {
    double ar;
    size_t i;
};

static int cmp_ar(const void *a, const void *b)
{
    const struct ar_ent *x = a, *y = b;
    if (x->ar != y->ar) return x->ar < y->ar ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i; /* stable for equal ratios */
}

/* Batch shapes: Ultralytics' set_rectangle (rect) or imgsz × imgsz. Reorders files/sizes/labels. */
static void plan(struct cpose_loader *L, double pad)
{
    L->n_batches = (int)((L->n + L->batch - 1) / L->batch);
    L->shapes = cpose_calloc((size_t)L->n_batches + 1, sizeof *L->shapes);
    if (!L->rect) {
        for (int b = 0; b < L->n_batches; b++) L->shapes[b][0] = L->shapes[b][1] = L->imgsz;
        return;
    }
    struct ar_ent *e = cpose_malloc((L->n + 1) * sizeof *e);
    for (size_t i = 0; i < L->n; i++) {
        e[i].ar = (double)L->h0[i] / (double)L->w0[i];
        e[i].i = i;
    }
    qsort(e, L->n, sizeof *e, cmp_ar);
    char **files = cpose_malloc((L->n + 1) * sizeof *files);
    int *w0 = cpose_malloc((L->n + 1) * sizeof *w0), *h0 = cpose_malloc((L->n + 1) * sizeof *h0);
    const struct cpose_label_item **lb = cpose_calloc(L->n + 1, sizeof *lb);
    for (size_t i = 0; i < L->n; i++) {
        files[i] = L->files[e[i].i];
        w0[i] = L->w0[e[i].i];
        h0[i] = L->h0[e[i].i];
        lb[i] = L->labels ? L->labels[e[i].i] : NULL;
    }
    cpose_free(L->files);
    cpose_free(L->w0);
    cpose_free(L->h0);
    cpose_free(L->labels);
    L->files = files;
    L->w0 = w0;
    L->h0 = h0;
    L->labels = lb;
    for (int b = 0; b < L->n_batches; b++) {
        size_t i0 = (size_t)b * L->batch, i1 = i0 + L->batch < L->n ? i0 + L->batch : L->n;
        double mini = e[i0].ar, maxi = e[i1 - 1].ar; /* sorted */
        double sh = 1, sw = 1;
        if (maxi < 1) sh = maxi;
        else if (mini > 1) sw = 1 / mini;
        L->shapes[b][0] = (int)ceil(sh * L->imgsz / L->stride + pad) * L->stride;
        L->shapes[b][1] = (int)ceil(sw * L->imgsz / L->stride + pad) * L->stride;
    }
    cpose_free(e);
}

static int check_args(int imgsz, int batch, int stride)
{
    if (imgsz < 32 || imgsz > 8192) return cpose_err(CPOSE_EINVAL, "loader: imgsz=%d must be 32..8192", imgsz);
    if (batch < 1) return cpose_err(CPOSE_EINVAL, "loader: batch=%d must be at least 1", batch);
    if (stride < 1) return cpose_err(CPOSE_EINVAL, "loader: stride=%d must be positive", stride);
    return CPOSE_OK;
}

int cpose_loader_open(const char *data, const char *split, int imgsz, int batch, int stride, int rect, double pad,
                      struct cpose_loader **out)
{
    *out = NULL;
    int rc = check_args(imgsz, batch, stride);
    if (rc) return rc;
    int s = cpose_split_from_name(split);
    if (s < 0) return cpose_err(CPOSE_EINVAL, "loader: split=%s: use train, val or test", split);
    struct cpose_dataset d;
    if ((rc = cpose_dataset_load(data, &d)) != CPOSE_OK) return rc;
    if ((rc = cpose_dataset_ensure(&d, 1)) != CPOSE_OK) {
        cpose_dataset_free(&d);
        return rc;
    }
    char **files = NULL;
    size_t n = 0;
    if ((rc = cpose_dataset_images(&d, (enum cpose_split)s, &files, &n)) != CPOSE_OK) {
        cpose_dataset_free(&d);
        return rc;
    }
    struct cpose_loader *L = cpose_calloc(1, sizeof *L);
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s: ", split);
    struct cpose_scan_opts so = {d.nc, d.kpt_shape[0], d.kpt_shape[1], prefix, 1, NULL};
    rc = cpose_labels_scan(files, n, &so, &L->set);
    cpose_strv_free(files, n);
    if (rc) {
        cpose_dataset_free(&d);
        cpose_free(L);
        return rc;
    }
    L->names = d.names;
    L->nc = d.nc;
    if (d.flip_idx) {
        L->flip_idx = cpose_malloc((size_t)d.n_flip_idx * sizeof *L->flip_idx);
        memcpy(L->flip_idx, d.flip_idx, (size_t)d.n_flip_idx * sizeof *L->flip_idx);
    }
    d.names = NULL;
    d.nc = 0;
    cpose_dataset_free(&d);
    if (L->set.n_items == 0) {
        cpose_loader_free(L);
        return cpose_err(CPOSE_EINVAL, "loader: no usable images in %s split '%s'", data, split);
    }
    L->n = L->set.n_items;
    L->K = L->set.K;
    L->files = cpose_malloc(L->n * sizeof *L->files);
    L->w0 = cpose_malloc(L->n * sizeof *L->w0);
    L->h0 = cpose_malloc(L->n * sizeof *L->h0);
    L->labels = cpose_malloc(L->n * sizeof *L->labels);
    for (size_t i = 0; i < L->n; i++) {
        L->files[i] = L->set.items[i].im_file;
        L->w0[i] = L->set.items[i].w;
        L->h0[i] = L->set.items[i].h;
        L->labels[i] = &L->set.items[i];
    }
    L->imgsz = imgsz;
    L->batch = batch;
    L->stride = stride;
    L->rect = rect;
    plan(L, pad);
    *out = L;
    return CPOSE_OK;
}

/* Image size from the JPEG/PNG header, decoding other formats. */
static int file_size_wh(const char *path, int *w, int *h)
{
    char *data = NULL;
    size_t len = 0;
    int rc = cpose_read_file(path, &data, &len);
    if (rc) return rc;
    rc = cpose_image_header_size((const uint8_t *)data, len, w, h);
    cpose_free(data);
    if (rc == CPOSE_ENOTSUP) return cpose_image_size(path, w, h);
    return rc ? cpose_err_context(rc, "%s", path) : CPOSE_OK;
}

int cpose_loader_open_files(char *const *files, size_t n, int imgsz, int batch, int stride, int rect, double pad,
                            struct cpose_loader **out)
{
    *out = NULL;
    int rc = check_args(imgsz, batch, stride);
    if (rc) return rc;
    if (n == 0) return cpose_err(CPOSE_EINVAL, "loader: no images");
    struct cpose_loader *L = cpose_calloc(1, sizeof *L);
    L->n = n;
    L->files = cpose_malloc(n * sizeof *L->files);
    L->w0 = cpose_calloc(n, sizeof *L->w0);
    L->h0 = cpose_calloc(n, sizeof *L->h0);
    L->imgsz = imgsz;
    L->batch = batch;
    L->stride = stride;
    L->rect = rect;
    for (size_t i = 0; i < n; i++) L->files[i] = cpose_strdup(files[i]);
    if (rect) {
        int first_bad = -1;
        char msg[512] = "";
#pragma omp parallel for schedule(dynamic, 4)
        for (size_t i = 0; i < n; i++)
            if (file_size_wh(L->files[i], &L->w0[i], &L->h0[i]) != CPOSE_OK) {
#pragma omp critical(cpose_loader_err)
                if (first_bad < 0 || (int)i < first_bad) {
                    first_bad = (int)i;
                    snprintf(msg, sizeof msg, "%s", cpose_errmsg());
                }
            }
        if (first_bad >= 0) {
            rc = cpose_err(CPOSE_EIO, "loader: %s", msg);
            for (size_t i = 0; i < n; i++) cpose_free(L->files[i]);
            cpose_free(L->files);
            L->files = NULL;
            cpose_loader_free(L);
            return rc;
        }
    }
    plan(L, pad);
    L->names = NULL;
    *out = L;
    return CPOSE_OK;
}

static void free_items(struct cpose_loader *L, struct cpose_loader_slot *sl)
{
    if (!sl->items) return;
    for (int i = 0; i < L->batch; i++) {
        cpose_free(sl->items[i].cls);
        cpose_free(sl->items[i].bboxes);
        cpose_free(sl->items[i].kpts);
    }
    memset(sl->items, 0, (size_t)L->batch * sizeof *sl->items);
}

/* Loads, resizes and letterboxes image i into dst (3·H·W floats), filling the item's metadata and labels. */
static int load_one(struct cpose_loader *L, size_t i, int H, int W, float *dst, struct cpose_batch_item *it)
{
    struct cpose_image im = {0}, rs = {0}, lb = {0};
    int rc = cpose_image_read(L->files[i], &im);
    if (rc) return rc;
    it->im_file = L->files[i];
    it->ori_h = im.h;
    it->ori_w = im.w;
    int w, h;
    cpose_load_image_size(im.w, im.h, L->imgsz, &w, &h);
    const struct cpose_image *src = &im;
    if (w != im.w || h != im.h) {
        double r = (double)L->imgsz / (double)(im.h > im.w ? im.h : im.w);
        if ((rc = cpose_image_resize(&im, w, h, r > 1 ? CPOSE_INTER_LINEAR : CPOSE_INTER_AREA, &rs)) != CPOSE_OK) goto fail;
        src = &rs;
    }
    it->resized_h = h;
    it->resized_w = w;
    it->ratio_h = (double)h / im.h;
    it->ratio_w = (double)w / im.w;
    struct cpose_letterbox info;
    if ((rc = cpose_image_letterbox(src, W, H, 0, L->stride, 0, &lb, &info)) != CPOSE_OK) goto fail;
    if (lb.w != W || lb.h != H) {
        rc = cpose_err(CPOSE_ESHAPE, "letterbox of %s gave %dx%d, expected %dx%d", L->files[i], lb.w, lb.h, W, H);
        goto fail;
    }
    it->lb_ratio = info.ratio;
    it->pad_w = info.pad_w;
    it->pad_h = info.pad_h;
    it->pad_left = info.left;
    it->pad_top = info.top;
    cpose_image_to_chw_rgb(&lb, dst);

    const struct cpose_label_item *li = L->labels ? L->labels[i] : NULL;
    int n = li ? li->n : 0, K = L->K;
    it->n_labels = n;
    it->cls = cpose_malloc(((size_t)n + 1) * sizeof(float));
    it->bboxes = cpose_malloc(((size_t)n * 4 + 1) * sizeof(float));
    it->kpts = cpose_malloc(((size_t)n * K * 3 + 1) * sizeof(float));
    double r = info.ratio;
    for (int j = 0; j < n; j++) {
        const float *cb = li->cls_box + 5 * j;
        it->cls[j] = cb[0];
        /* normalised xywh → pixels in the resized image → letterbox scale + pad → normalised to W, H */
        double cx = cb[1] * w * r + info.pad_w, cy = cb[2] * h * r + info.pad_h;
        double bw = cb[3] * w * r, bh = cb[4] * h * r;
        it->bboxes[4 * j + 0] = (float)(cx / W);
        it->bboxes[4 * j + 1] = (float)(cy / H);
        it->bboxes[4 * j + 2] = (float)(bw / W);
        it->bboxes[4 * j + 3] = (float)(bh / H);
        for (int k = 0; k < K; k++) {
            const float *s = li->kpts + ((size_t)j * K + k) * 3;
            float *d = it->kpts + ((size_t)j * K + k) * 3;
            d[0] = (float)((s[0] * w * r + info.pad_w) / W);
            d[1] = (float)((s[1] * h * r + info.pad_h) / H);
            d[2] = s[2];
        }
    }
fail:
    cpose_image_free(&im);
    cpose_image_free(&rs);
    cpose_image_free(&lb);
    return rc;
}

void cpose_loader_fill(struct cpose_loader *L, struct cpose_loader_slot *sl, int bi, int threads)
{
    size_t i0 = (size_t)bi * L->batch, i1 = i0 + L->batch < L->n ? i0 + L->batch : L->n;
    int n = (int)(i1 - i0), H = L->shapes[bi][0], W = L->shapes[bi][1];
    size_t need = (size_t)n * 3 * H * W;
    if (need > sl->cap) {
        cpose_free(sl->images);
        sl->images = cpose_malloc(need * sizeof(float));
        sl->cap = need;
    }
    if (!sl->items) sl->items = cpose_calloc((size_t)L->batch, sizeof *sl->items);
    free_items(L, sl);
    sl->bi = bi;
    if (threads < 1) threads = omp_get_max_threads();
    /* an image that passed the scan but cannot be read now is skipped with a warning (Ultralytics
     * drops corrupt images the same way) instead of stopping the run */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int k = 0; k < n; k++) {
        int rc = load_one(L, i0 + (size_t)k, H, W, sl->images + (size_t)k * 3 * H * W, &sl->items[k]);
        if (rc != CPOSE_OK) {
            struct cpose_batch_item *it = &sl->items[k];
            char *why = cpose_strdup(cpose_errmsg());
#pragma omp critical(cpose_loader_next_err)
            cpose_warn("skipping unreadable image %s: %s", L->files[i0 + (size_t)k], why);
            cpose_free(why);
            cpose_free(it->cls), cpose_free(it->bboxes), cpose_free(it->kpts);
            memset(it, 0, sizeof *it);
            it->im_file = L->files[i0 + (size_t)k];
            it->unreadable = 1;
            memset(sl->images + (size_t)k * 3 * H * W, 0, (size_t)3 * H * W * sizeof(float));
        }
    }
}

int cpose_loader_next_index(const struct cpose_loader *L, int bi)
{
    if (L->shard_size > 1)
        while (bi < L->n_batches && bi % L->shard_size != L->shard_rank) bi++;
    return bi < L->n_batches ? bi : -1;
}

int cpose_loader_next(struct cpose_loader *L, struct cpose_batch *b)
{
    memset(b, 0, sizeof *b);
    int bi = cpose_loader_next_index(L, L->next);
    /* the prefetcher's batch when it made this one, else made here (the first batch, after a
     * reset or a new shard, or without a prefetcher) */
    int s = cpose_loader_prefetch_take(L, bi);
    if (bi < 0) return CPOSE_OK;
    if (s < 0) cpose_loader_fill(L, &L->slots[s = 0], bi, 0);
    L->next = bi + 1;
    struct cpose_loader_slot *sl = &L->slots[s];
    size_t i0 = (size_t)bi * L->batch;
    b->n = (int)((i0 + L->batch < L->n ? i0 + L->batch : L->n) - i0);
    b->H = L->shapes[bi][0];
    b->W = L->shapes[bi][1];
    b->K = L->K;
    b->images = sl->images;
    b->items = sl->items;
    b->index = bi;
    /* the caller holds slot s until its next call: the following batch goes into the other */
    cpose_loader_prefetch_post(L, cpose_loader_next_index(L, bi + 1), s ^ 1);
    return CPOSE_OK;
}

void cpose_loader_reset(struct cpose_loader *L) { L->next = 0; }

int cpose_loader_shard(struct cpose_loader *L, int rank, int size)
{
    if (size < 1 || rank < 0 || rank >= size)
        return cpose_err(CPOSE_EINVAL, "loader shard %d of %d: the rank must be within [0, size)", rank, size);
    L->shard_rank = rank;
    L->shard_size = size;
    return CPOSE_OK;
}
size_t cpose_loader_size(const struct cpose_loader *L) { return L->n; }
int cpose_loader_n_batches(const struct cpose_loader *L) { return L->n_batches; }

char *const *cpose_loader_names(const struct cpose_loader *L, int *nc)
{
    if (nc) *nc = L->nc;
    return L->names;
}

const int *cpose_loader_flip_idx(const struct cpose_loader *L, int *K)
{
    if (K) *K = L->K;
    return L->flip_idx;
}

void cpose_loader_free(struct cpose_loader *L)
{
    if (!L) return;
    cpose_loader_prefetch_stop(L);
    for (int s = 0; s < 2; s++) {
        free_items(L, &L->slots[s]);
        cpose_free(L->slots[s].items);
        cpose_free(L->slots[s].images);
    }
    if (L->set.n_items == 0 && L->files) /* plain files: owned here; else borrowed from the label set */
        for (size_t i = 0; i < L->n; i++) cpose_free(L->files[i]);
    cpose_free(L->files);
    cpose_free(L->w0);
    cpose_free(L->h0);
    cpose_free(L->labels);
    cpose_free(L->shapes);
    cpose_labels_free(&L->set);
    cpose_strv_free(L->names, (size_t)L->nc);
    cpose_free(L->flip_idx);
    cpose_free(L);
}
