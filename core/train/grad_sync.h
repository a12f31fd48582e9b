/* core/train/grad_sync.h — data-parallel gradient averaging (mpirun -np N cpose train): the parameter
 * gradients, one contiguous block, are cut into buckets of about 4 MB in reverse parameter order; a
 * bucket's sum over the ranks is started as soon as the backward has run every node that owns one of
 * its parameters, so the all-reduce of the head's gradients overlaps the backward of the layers before
 * (PyTorch DDP's bucketing). finish() waits for all and divides by N. */
#ifndef CPOSE_GRAD_SYNC_H
#define CPOSE_GRAD_SYNC_H

#include <stddef.h>
#include "core/base/status.h"

struct cpose_grad_sync;

/* grad: the gradient block (grad_n floats); n_params ranges [offset[k], offset[k] + count[k]) in block
 * order, each owned by node owner[k] of the graph (the node whose backward writes it). bucket_floats 0:
 * the default (1 Mi floats, or CPOSE_DIST_BUCKET_MB). */
CPOSE_API int cpose_grad_sync_new(float *grad, size_t grad_n, int n_params, const size_t *offset, const size_t *count,
                                  const int *owner, size_t bucket_floats, struct cpose_grad_sync **out);
CPOSE_API void cpose_grad_sync_free(struct cpose_grad_sync *gs); /* NULL-safe */
/* A backward begins: no bucket started. */
CPOSE_API void cpose_grad_sync_begin(struct cpose_grad_sync *gs);
/* The backward has run every node ≥ node (nodes run in decreasing order): starts the buckets that are
 * complete, and lets MPI progress the ones started. */
CPOSE_API int cpose_grad_sync_after_node(struct cpose_grad_sync *gs, int node);
/* Starts what is left, waits for every bucket and divides by the number of ranks. */
CPOSE_API int cpose_grad_sync_finish(struct cpose_grad_sync *gs);
/* Totals since creation: steps, floats summed per step, milliseconds spent in finish() (starting what
 * was left and waiting: the all-reduce time the backward did not hide), milliseconds spent in
 * after_node() (starting and polling buckets during the backward), buckets. */
struct cpose_grad_sync_stats {
    long steps;
    size_t floats_per_step;
    double wait_ms, call_ms;
    int buckets;
};
CPOSE_API void cpose_grad_sync_stats(const struct cpose_grad_sync *gs, struct cpose_grad_sync_stats *st);

#endif
