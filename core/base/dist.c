/* core/base/dist.c — the distributed run on MPI (see dist.h): joining the job, the collectives cpose
 * uses, each polled against a deadline so that a dead rank ends the job instead of hanging it. Built
 * as single-rank no-ops when CPOSE_HAVE_MPI is not defined. */
#include "core/base/dist.h"
#include "core/base/log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include <pthread.h>
#include <unistd.h>

#ifdef CPOSE_HAVE_MPI
#include <mpi.h>
#endif

static int dist_rank = 0, dist_size = 1, dist_joined = 0, dist_failed_together = 0;

void cpose_dist_fail_together(void) { dist_failed_together = 1; }

int cpose_dist_rank(void) { return dist_rank; }
int cpose_dist_size(void) { return dist_size; }

#ifndef CPOSE_HAVE_MPI

int cpose_dist_built(void) { return 0; }
int cpose_dist_init(void) { return CPOSE_OK; }
int cpose_dist_finalize(int rc) { return rc; }
int cpose_dist_barrier(const char *what) { return CPOSE_OK; }
int cpose_dist_sum_f32(float *x, size_t n, const char *what) { return CPOSE_OK; }
int cpose_dist_sum_f64(double *x, size_t n, const char *what) { return CPOSE_OK; }
int cpose_dist_sum_i64(long long *x, size_t n, const char *what) { return CPOSE_OK; }
int cpose_dist_sum_f32_start(float *x, size_t n, int *handle) { *handle = 0; return CPOSE_OK; }
int cpose_dist_wait(int handle, const char *what) { return CPOSE_OK; }
int cpose_dist_poll(int handle) { return 1; }
int cpose_dist_bcast(void *buf, size_t bytes, int root, const char *what) { return CPOSE_OK; }

int cpose_dist_gather(const void *buf, size_t bytes, void **all, size_t *all_bytes, size_t *counts, const char *what)
{
    *all = malloc(bytes ? bytes : 1);
    if (!*all) return cpose_err(CPOSE_ENOMEM, "%s: out of memory gathering %zu bytes", what, bytes);
    if (bytes) memcpy(*all, buf, bytes);
    *all_bytes = bytes;
    if (counts) counts[0] = bytes;
    return CPOSE_OK;
}

void cpose_dist_abort(const char *why, int code)
{
    fprintf(stderr, "cpose: %s\n", why);
    exit(code ? code : 1);
}

#else /* CPOSE_HAVE_MPI */

int cpose_dist_built(void) { return 1; }

/* Launched by mpirun? (Open MPI sets OMPI_COMM_WORLD_SIZE; PMIx and PMI launchers their own ranks.) */
static int launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

static double timeout_seconds(void);

/* MPI_Init blocks until every rank has joined and cannot be polled: a watchdog thread ends this
 * process with a message when joining takes longer than the timeout (mpirun then ends the job). */
static volatile int init_done;
static void *init_watchdog(void *arg)
{
    double limit = *(double *)arg, start = cpose_now();
    while (!init_done) {
        if (cpose_now() - start > limit) {
            fprintf(stderr, "cpose: joining the MPI job took more than %.0f s (CPOSE_DIST_TIMEOUT): a rank died or "
                            "stopped answering before the start; ending this rank\n", limit);
            fflush(stderr);
            _exit(1);
        }
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int cpose_dist_init(void)
{
    if (dist_joined || !launched_by_mpirun()) return CPOSE_OK;
    int provided = 0;
    static double limit;
    limit = timeout_seconds();
    pthread_t dog;
    int have_dog = pthread_create(&dog, NULL, init_watchdog, &limit) == 0;
    int init_rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    init_done = 1;
    if (have_dog) pthread_join(dog, NULL);
    if (init_rc != MPI_SUCCESS)
        return cpose_err(CPOSE_EIO, "MPI_Init_thread failed: cannot join the mpirun job");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN); /* errors come back as codes, not aborts */
    MPI_Comm_rank(MPI_COMM_WORLD, &dist_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &dist_size);
    dist_joined = 1;
    return CPOSE_OK;
}

int cpose_dist_finalize(int rc)
{
    if (!dist_joined) return rc;
    if (rc != 0 && dist_size > 1 && dist_failed_together &&
        cpose_dist_barrier("every rank's message about the failure they share") == CPOSE_OK) {
        MPI_Finalize(); /* each rank has said why; mpirun reports the non-zero exits */
        dist_joined = 0;
        return rc;
    }
    if (rc != 0 && dist_size > 1) {
        fprintf(stderr, "cpose: rank %d of %d failed (exit %d): ending the whole job\n", dist_rank, dist_size, rc);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, rc);
    }
    MPI_Finalize();
    dist_joined = 0;
    return rc;
}

void cpose_dist_abort(const char *why, int code)
{
    fprintf(stderr, "cpose: rank %d of %d: %s\n", dist_rank, dist_size, why);
    fflush(stderr);
    if (dist_joined && dist_size > 1) MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
    exit(code ? code : 1);
}

static double timeout_seconds(void)
{
    const char *s = getenv("CPOSE_DIST_TIMEOUT");
    double t = s ? atof(s) : 300.0;
    return t > 0 ? t : 300.0;
}

static int mpi_failed(int rc, const char *what)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    return cpose_err(CPOSE_EIO, "%s: MPI error on rank %d of %d: %s", what, dist_rank, dist_size, text);
}

/* Polls one request until it completes or the deadline passes. Spins briefly, then sleeps 100 µs
 * between polls, so a rank waiting for a slow one does not take a core from it. */
static int wait_request(MPI_Request *req, const char *what)
{
    double start = cpose_now(), limit = timeout_seconds();
    for (long polls = 0;; polls++) {
        int done = 0;
        int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) return mpi_failed(rc, what);
        if (done) return CPOSE_OK;
        if (cpose_now() - start > limit)
            return cpose_err(CPOSE_EIO,
                             "%s: rank %d of %d waited %.0f s for the other ranks (CPOSE_DIST_TIMEOUT): a rank "
                             "died or stopped answering",
                             what, dist_rank, dist_size, limit);
        if (polls < 2000) {
            sched_yield();
        } else {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
    }
}

int cpose_dist_barrier(const char *what)
{
    if (dist_size <= 1) return CPOSE_OK;
    MPI_Request r;
    int rc = MPI_Ibarrier(MPI_COMM_WORLD, &r);
    return rc != MPI_SUCCESS ? mpi_failed(rc, what) : wait_request(&r, what);
}

/* Sums in chunks of at most INT_MAX/2 elements (MPI counts are int). */
static int sum_typed(void *x, size_t n, MPI_Datatype type, size_t elem, const char *what)
{
    if (dist_size <= 1 || n == 0) return CPOSE_OK;
    const size_t chunk = (size_t)1 << 30;
    for (size_t at = 0; at < n; at += chunk) {
        size_t m = n - at < chunk ? n - at : chunk;
        MPI_Request r;
        int rc = MPI_Iallreduce(MPI_IN_PLACE, (char *)x + at * elem, (int)m, type, MPI_SUM, MPI_COMM_WORLD, &r);
        if (rc != MPI_SUCCESS) return mpi_failed(rc, what);
        if ((rc = wait_request(&r, what)) != CPOSE_OK) return rc;
    }
    return CPOSE_OK;
}

int cpose_dist_sum_f32(float *x, size_t n, const char *what) { return sum_typed(x, n, MPI_FLOAT, 4, what); }
int cpose_dist_sum_f64(double *x, size_t n, const char *what) { return sum_typed(x, n, MPI_DOUBLE, 8, what); }
int cpose_dist_sum_i64(long long *x, size_t n, const char *what) { return sum_typed(x, n, MPI_LONG_LONG, 8, what); }

static MPI_Request pending[CPOSE_DIST_MAX_PENDING];
static int pending_used[CPOSE_DIST_MAX_PENDING], pending_done[CPOSE_DIST_MAX_PENDING];

int cpose_dist_poll(int handle)
{
    if (handle < 0) return 1;
    if (handle >= CPOSE_DIST_MAX_PENDING || !pending_used[handle])
        return cpose_err(CPOSE_EINVAL, "no started sum %d to poll", handle);
    if (pending_done[handle]) return 1;
    int done = 0, rc = MPI_Test(&pending[handle], &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return mpi_failed(rc, "gradient sum");
    pending_done[handle] = done;
    return done;
}

int cpose_dist_sum_f32_start(float *x, size_t n, int *handle)
{
    *handle = -1;
    if (dist_size <= 1 || n == 0) return CPOSE_OK;
    if (n > (size_t)INT32_MAX) return cpose_err(CPOSE_EINVAL, "a started sum of %zu floats is too large for MPI", n);
    for (int h = 0; h < CPOSE_DIST_MAX_PENDING; h++) {
        if (pending_used[h]) continue;
        int rc = MPI_Iallreduce(MPI_IN_PLACE, x, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &pending[h]);
        if (rc != MPI_SUCCESS) return mpi_failed(rc, "gradient sum");
        pending_used[h] = 1;
        pending_done[h] = 0;
        *handle = h;
        return CPOSE_OK;
    }
    return cpose_err(CPOSE_EINVAL, "more than %d sums outstanding: wait for some first", CPOSE_DIST_MAX_PENDING);
}

int cpose_dist_wait(int handle, const char *what)
{
    if (handle < 0) return CPOSE_OK;
    if (handle >= CPOSE_DIST_MAX_PENDING || !pending_used[handle])
        return cpose_err(CPOSE_EINVAL, "%s: no started sum %d to wait for", what, handle);
    pending_used[handle] = 0;
    if (pending_done[handle]) return CPOSE_OK;
    return wait_request(&pending[handle], what);
}

int cpose_dist_bcast(void *buf, size_t bytes, int root, const char *what)
{
    if (dist_size <= 1 || bytes == 0) return CPOSE_OK;
    if (bytes > (size_t)INT32_MAX) return cpose_err(CPOSE_EINVAL, "%s: %zu bytes is too large to broadcast", what, bytes);
    MPI_Request r;
    int rc = MPI_Ibcast(buf, (int)bytes, MPI_BYTE, root, MPI_COMM_WORLD, &r);
    return rc != MPI_SUCCESS ? mpi_failed(rc, what) : wait_request(&r, what);
}

int cpose_dist_gather(const void *buf, size_t bytes, void **all, size_t *all_bytes, size_t *counts, const char *what)
{
    *all = NULL;
    *all_bytes = 0;
    if (dist_size <= 1) {
        *all = malloc(bytes ? bytes : 1);
        if (!*all) return cpose_err(CPOSE_ENOMEM, "%s: out of memory gathering %zu bytes", what, bytes);
        if (bytes) memcpy(*all, buf, bytes);
        *all_bytes = bytes;
        if (counts) counts[0] = bytes;
        return CPOSE_OK;
    }
    if (bytes > (size_t)INT32_MAX) return cpose_err(CPOSE_EINVAL, "%s: %zu bytes from one rank is too large", what, bytes);
    long long mine = (long long)bytes, *sizes = NULL;
    int *recv_counts = NULL, *displs = NULL, rc = CPOSE_OK;
    if (dist_rank == 0) {
        sizes = calloc(dist_size, sizeof *sizes);
        recv_counts = calloc(dist_size, sizeof *recv_counts);
        displs = calloc(dist_size, sizeof *displs);
        if (!sizes || !recv_counts || !displs) {
            rc = cpose_err(CPOSE_ENOMEM, "%s: out of memory", what);
            goto out;
        }
    }
    MPI_Request r;
    int mrc = MPI_Igather(&mine, 1, MPI_LONG_LONG, sizes, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD, &r);
    if (mrc != MPI_SUCCESS) { rc = mpi_failed(mrc, what); goto out; }
    if ((rc = wait_request(&r, what)) != CPOSE_OK) goto out;
    if (dist_rank == 0) {
        size_t total = 0;
        for (int k = 0; k < dist_size; k++) {
            if (total + (size_t)sizes[k] > (size_t)INT32_MAX) {
                rc = cpose_err(CPOSE_EINVAL, "%s: more than 2 GiB gathered on rank 0", what);
                goto out; /* the other ranks then time out in their gather and the job ends */
            }
            recv_counts[k] = (int)sizes[k];
            displs[k] = (int)total;
            if (counts) counts[k] = (size_t)sizes[k];
            total += (size_t)sizes[k];
        }
        *all = malloc(total ? total : 1);
        if (!*all) { rc = cpose_err(CPOSE_ENOMEM, "%s: out of memory for %zu gathered bytes", what, total); goto out; }
        *all_bytes = total;
    }
    mrc = MPI_Igatherv(buf, (int)bytes, MPI_BYTE, *all, recv_counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD, &r);
    if (mrc != MPI_SUCCESS) { rc = mpi_failed(mrc, what); goto out; }
    rc = wait_request(&r, what);
out:
    if (rc != CPOSE_OK && *all) { free(*all); *all = NULL; *all_bytes = 0; }
    free(sizes);
    free(recv_counts);
    free(displs);
    return rc;
}

#endif /* CPOSE_HAVE_MPI */
