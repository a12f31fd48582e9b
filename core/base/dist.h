/* core/base/dist.h — the distributed run: which rank this process is among how many, and the few
 * collectives cpose needs (barrier, sums, broadcast, gather to rank 0), on MPI (Open MPI) when the
 * build has it (CMake option CPOSE_MPI) and the process was started by mpirun.
 *
 * Without MPI, or when not launched by mpirun, the run is one rank of one: every collective is a
 * no-op that returns CPOSE_OK, so callers need no #ifdef.
 *
 * No collective can hang: each is started non-blocking and polled against a deadline
 * (CPOSE_DIST_TIMEOUT seconds, default 300). A rank that dies or stops answering makes the others
 * fail with a message naming the operation, and cpose_dist_finalize() then aborts the whole job
 * (MPI_Abort), so mpirun returns instead of waiting. */
#ifndef CPOSE_DIST_H
#define CPOSE_DIST_H

#include <stddef.h>
#include "core/base/status.h"

/* Joins the MPI job when this process was launched by mpirun (Open MPI, PMIx or PMI environment
 * variables are set); otherwise stays a single rank. Safe to call more than once. Call before any
 * thread is started. */
CPOSE_API int cpose_dist_init(void);
/* Ends the run. rc is the process's exit code: when it is not 0 and the job has more than one rank,
 * the job is aborted (the other ranks may be waiting in a collective for this one). Returns rc. */
CPOSE_API int cpose_dist_finalize(int rc);
/* Marks this process's failure as one every rank reached together, from the result of a collective
 * (the dataset check of training): cpose_dist_finalize then first waits at a barrier (up to the
 * timeout) so that every rank has printed its own message before the job ends, instead of aborting at
 * once and cutting off a slower rank's message. Call only where every rank fails at the same step. */
CPOSE_API void cpose_dist_fail_together(void);

CPOSE_API int cpose_dist_rank(void);  /* 0 when not distributed */
CPOSE_API int cpose_dist_size(void);  /* 1 when not distributed */
CPOSE_API int cpose_dist_built(void); /* 1 when this binary was built with MPI */
static inline int cpose_dist_is_leader(void) { return cpose_dist_rank() == 0; }

/* Every collective: `what` names the step for the timeout message ("val: gather predictions"). */
CPOSE_API int cpose_dist_barrier(const char *what);
/* In-place element-wise sum over ranks. */
CPOSE_API int cpose_dist_sum_f32(float *x, size_t n, const char *what);
CPOSE_API int cpose_dist_sum_f64(double *x, size_t n, const char *what);
CPOSE_API int cpose_dist_sum_i64(long long *x, size_t n, const char *what);
/* Starts an in-place sum of x[0..n) and returns at once; *handle names it for cpose_dist_wait. x must
 * not be touched until the wait returns. At most CPOSE_DIST_MAX_PENDING sums are outstanding. */
#define CPOSE_DIST_MAX_PENDING 256
CPOSE_API int cpose_dist_sum_f32_start(float *x, size_t n, int *handle);
CPOSE_API int cpose_dist_wait(int handle, const char *what);
/* Lets MPI progress the started sum `handle` without waiting (MPI moves data only inside its calls):
 * 1 when it has completed (cpose_dist_wait then returns at once), 0 not yet, or an error status. */
CPOSE_API int cpose_dist_poll(int handle);
/* Root's buf[0..bytes) to every rank. */
CPOSE_API int cpose_dist_bcast(void *buf, size_t bytes, int root, const char *what);
/* Rank 0 receives every rank's bytes, concatenated in rank order, in *all (malloc'd, *all_bytes long;
 * counts[r] per rank when counts is not NULL — an array of cpose_dist_size() entries the caller gives).
 * Other ranks get *all = NULL. */
CPOSE_API int cpose_dist_gather(const void *buf, size_t bytes, void **all, size_t *all_bytes, size_t *counts,
                                const char *what);
/* Ends the whole job now with a message (MPI_Abort); exits the process when not distributed. */
CPOSE_API void cpose_dist_abort(const char *why, int code) __attribute__((noreturn));

#endif
