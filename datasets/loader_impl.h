/* datasets/loader_impl.h — the val/predict loader's state, shared by datasets/loader.c (planning,
 * decoding) and datasets/loader_prefetch.c (the background thread that makes the next batch). */
#ifndef CPOSE_LOADER_IMPL_H
#define CPOSE_LOADER_IMPL_H

#include "datasets/labels.h"
#include "datasets/loader.h"

/* One batch's storage: images (cap floats) and the items (batch entries) of batch bi. */
struct cpose_loader_slot {
    float *images;
    size_t cap;
    struct cpose_batch_item *items;
    int bi;
};

struct cpose_loader_prefetch;

struct cpose_loader {
    size_t n;                 /* images */
    char **files;             /* in batch order (sorted by aspect ratio when rect) */
    int *w0, *h0;             /* original sizes (0 when unknown: plain files without rect) */
    const struct cpose_label_item **labels; /* per image or NULL */
    struct cpose_label_set set;
    int K;
    int imgsz, batch, stride, rect;
    int n_batches;
    int (*shapes)[2];         /* per batch: H, W */
    int next;
    int shard_rank, shard_size; /* this loader yields batches with index % shard_size == shard_rank */
    char **names;
    int nc;
    int *flip_idx;            /* the dataset's flip_idx (K entries) or NULL */
    /* two batches: the one the caller holds and the one the prefetcher fills */
    struct cpose_loader_slot slots[2];
    struct cpose_loader_prefetch *pf; /* NULL: batches are made in cpose_loader_next */
};

/* Decodes, resizes and letterboxes batch bi into sl with `threads` OpenMP threads (< 1: the
 * OpenMP default). Unreadable images are warned about and marked. Touches only sl and reads L's
 * plan, so it may run on another thread than the caller's. */
void cpose_loader_fill(struct cpose_loader *L, struct cpose_loader_slot *sl, int bi, int threads);
/* The first batch index ≥ bi this loader yields (its shard), or −1 after the last. */
int cpose_loader_next_index(const struct cpose_loader *L, int bi);
/* Waits for the prefetcher's batch in flight (if any); returns its slot when it is batch bi,
 * else −1 (no prefetcher, nothing posted, or another batch: it is dropped). */
int cpose_loader_prefetch_take(struct cpose_loader *L, int bi);
/* Asks the prefetcher (if any) to make batch bi (≥ 0; −1 posts nothing) into slot s. */
void cpose_loader_prefetch_post(struct cpose_loader *L, int bi, int s);
/* Stops and joins the prefetcher (NULL-safe: no prefetcher is a no-op). */
void cpose_loader_prefetch_stop(struct cpose_loader *L);

#endif
