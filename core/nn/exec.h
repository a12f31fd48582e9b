/* core/nn/exec.h — the executor: runs a graph forward on a batch, with buffers reused by liveness.
 *
 * Activations are kept inside in the layout the kernels prefer (cpose_tensor.layout: blocked nChw8c
 * by default, see core/nn/kernels.h); the input is given NCHW and converted. Buffers are owned by the executor and stay valid until the next run or free; a node's
 * tensor may point inside another node's buffer (views, see cpose_exec_set_views). */
#ifndef CPOSE_EXEC_H
#define CPOSE_EXEC_H

#include "core/nn/graph.h"

struct cpose_exec;

/* Creates an executor for g (borrowed: g must outlive it). keep (optional, size = node count):
 * nonzero marks nodes whose outputs must survive the run (besides g->output). */
CPOSE_API int cpose_exec_new(const struct cpose_graph *g, const char *keep, struct cpose_exec **out);
CPOSE_API void cpose_exec_free(struct cpose_exec *e);  /* NULL-safe */
/* Layout the input node stores the NCHW input in (default NHWC). Blocked convolutions read a
 * 3-channel image fastest from plain NCHW (from NHWC oneDNN falls back to a reference kernel). */
CPOSE_API void cpose_exec_set_input_layout(struct cpose_exec *e, int layout);
/* Views (default on; env CPOSE_VIEWS=0 turns them off): for blocked tensors, a slice starting at a
 * channel block boundary is a view of its input (no copy), and the producers of a concat whose
 * inputs start at block boundaries write straight into its output. At batch > 1 such a channel
 * range is strided per image; only inference nodes whose op and readers work image by image
 * (conv, pooling, upsample, elementwise, concat, slice) and that are not kept are placed so, and
 * their ops then run once per image on batch-1 views. Off: every node has its own storage and
 * concat/slice copy (the reference the tests compare against; the values are identical).
 * Low-precision hand-off (default on; env CPOSE_LOWP_HANDOFF=0 turns it off): at inference, a bf16 or
 * int8 conv whose output only one conv of the same precision reads writes that reader's source type
 * directly, and the reader skips its conversion (cpose_conv2d_params.lowp_to); a concat or slice that
 * only the next bf16/int8 conv reads is not run, that conv converts its parts itself
 * (cpose_conv2d_params.gather); an int8 one reads a nearest upsample that feeds the concat right before
 * it through (the upsample's input, each pixel read for the pixels it would fill), and the upsample is
 * not run either. The values are the same either way. */
CPOSE_API void cpose_exec_set_views(struct cpose_exec *e, int on);
/* Runs the graph on input [B, C, H, W] float32 NCHW (borrowed: with a plain input layout it is
 * read in place, never written). train selects batchnorm's batch statistics. Errors name the
 * failing node. An inference run (train = 0, outside a parallel region) uses at most the OpenMP
 * thread count, fewer when other processes keep CPUs busy (cpose_thread_adapt_next in
 * core/base/cpu_load.h; env CPOSE_ADAPT_THREADS=0 turns it off, CPOSE_SIMULATE_LOAD=N simulates N
 * busy neighbours); the output values are the same whatever count it picks. */
CPOSE_API int cpose_exec_run(struct cpose_exec *e, const float *input, int64_t B, int64_t C, int64_t H, int64_t W,
                             int train);
/* Whether node id's forward ran in the last run: 0 for a view of another node's storage and for a
 * node the conv reading it did (gathered; see the hand-off above). */
CPOSE_API int cpose_exec_ran(const struct cpose_exec *e, int id);
/* The thread count the last run used (0 before any run). */
CPOSE_API int cpose_exec_last_threads(const struct cpose_exec *e);
/* The output tensor of node id after a run (valid for kept nodes and the output). */
CPOSE_API const struct cpose_tensor *cpose_exec_tensor(const struct cpose_exec *e, int id);

#endif
