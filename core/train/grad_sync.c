/* core/train/grad_sync.c — bucketed, overlapped gradient averaging over MPI ranks (see grad_sync.h). */
#include "core/train/grad_sync.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/dist.h"
#include "core/base/log.h"

struct bucket {
    size_t lo, hi;  /* float range of the gradient block */
    int min_owner;  /* ready once the backward has run this node (and all after it) */
    int handle, started;
};

struct cpose_grad_sync {
    float *grad;
    size_t grad_n;
    struct bucket *b;
    int nb, next;    /* buckets, the next one to start (they become ready in this order) */
    long steps;
    double wait_ms;  /* in finish(): the all-reduce time the backward did not hide */
    double call_ms;  /* in after_node(): starting buckets and polling them during the backward */
    double last_poll; /* cpose_now() of the last poll */
};

/* MPI moves data only inside its calls, and each call also polls every transport (shared memory, TCP):
 * a bucket in flight is polled at most every 2 ms of backward, not after each of its hundreds of nodes. */
#define POLL_INTERVAL_S 0.002

int cpose_grad_sync_new(float *grad, size_t grad_n, int n_params, const size_t *offset, const size_t *count,
                        const int *owner, size_t bucket_floats, struct cpose_grad_sync **out)
{
    *out = NULL;
    if (!bucket_floats) {
        const char *mb = getenv("CPOSE_DIST_BUCKET_MB");
        double v = mb ? atof(mb) : 4.0;
        bucket_floats = (size_t)((v > 0 ? v : 4.0) * 1024 * 1024 / 4);
    }
    struct cpose_grad_sync *gs = cpose_calloc(1, sizeof *gs);
    gs->grad = grad;
    gs->grad_n = grad_n;
    gs->b = cpose_calloc((size_t)n_params + 1, sizeof *gs->b);
    /* parameters in reverse order (the backward finishes the last layers first); a bucket is a run of
     * neighbours in the block, so each is one contiguous range */
    for (int k = n_params - 1; k >= 0;) {
        struct bucket *bk = &gs->b[gs->nb++];
        bk->hi = offset[k] + count[k];
        bk->min_owner = owner[k];
        size_t size = 0;
        for (; k >= 0 && (size == 0 || size + count[k] <= bucket_floats); k--) {
            if (offset[k] + count[k] != (size ? bk->lo : bk->hi)) {
                cpose_grad_sync_free(gs);
                return cpose_err(CPOSE_EINVAL, "gradient sync: parameter %d is not next to its neighbour in the block", k);
            }
            bk->lo = offset[k];
            size += count[k];
            if (owner[k] < bk->min_owner) bk->min_owner = owner[k];
        }
    }
    *out = gs;
    return CPOSE_OK;
}

void cpose_grad_sync_free(struct cpose_grad_sync *gs)
{
    if (!gs) return;
    cpose_free(gs->b);
    cpose_free(gs);
}

void cpose_grad_sync_begin(struct cpose_grad_sync *gs)
{
    for (int i = 0; i < gs->nb; i++) gs->b[i].started = 0, gs->b[i].handle = -1;
    gs->next = 0;
}

static int start(struct cpose_grad_sync *gs, struct bucket *bk)
{
    bk->started = 1;
    return cpose_dist_sum_f32_start(gs->grad + bk->lo, bk->hi - bk->lo, &bk->handle);
}

int cpose_grad_sync_after_node(struct cpose_grad_sync *gs, int node)
{
    int ready = gs->next < gs->nb && gs->b[gs->next].min_owner >= node;
    if (!ready && !gs->next) return CPOSE_OK; /* nothing started yet */
    double t0 = cpose_now();
    if (!ready && t0 - gs->last_poll < POLL_INTERVAL_S) return CPOSE_OK;
    gs->last_poll = t0;
    int rc = CPOSE_OK;
    while (rc == CPOSE_OK && gs->next < gs->nb && gs->b[gs->next].min_owner >= node) rc = start(gs, &gs->b[gs->next++]);
    /* poll the oldest unfinished bucket */
    for (int i = 0; rc == CPOSE_OK && i < gs->next; i++) {
        int done = cpose_dist_poll(gs->b[i].handle);
        if (done < 0) rc = done;
        if (done <= 0) break;
    }
    gs->call_ms += (cpose_now() - t0) * 1e3;
    return rc;
}

int cpose_grad_sync_finish(struct cpose_grad_sync *gs)
{
    double t0 = cpose_now();
    int rc = CPOSE_OK;
    while (gs->next < gs->nb && rc == CPOSE_OK) rc = start(gs, &gs->b[gs->next++]);
    for (int i = 0; i < gs->nb; i++) {
        int r = cpose_dist_wait(gs->b[i].handle, "train: gradient all-reduce");
        if (r != CPOSE_OK && rc == CPOSE_OK) rc = r;
    }
    if (rc != CPOSE_OK) return rc;
    int n = cpose_dist_size();
    if (n > 1) {
        float inv = 1.0f / (float)n;
        for (size_t i = 0; i < gs->grad_n; i++) gs->grad[i] *= inv;
    }
    gs->steps++;
    gs->wait_ms += (cpose_now() - t0) * 1e3;
    return CPOSE_OK;
}

void cpose_grad_sync_stats(const struct cpose_grad_sync *gs, struct cpose_grad_sync_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!gs) return;
    st->steps = gs->steps;
    st->floats_per_step = gs->grad_n;
    st->wait_ms = gs->wait_ms;
    st->call_ms = gs->call_ms;
    st->buckets = gs->nb;
}
