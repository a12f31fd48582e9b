/* core/base/cpu_load.h — load-adaptive thread count for inference forwards (see core/base/cpu_load.c). */
#ifndef CPOSE_CPU_LOAD_H
#define CPOSE_CPU_LOAD_H

#include "core/base/status.h"

/* The runnable tasks on the machine that are not threads of this process, at this instant: the
 * running count of /proc/loadavg minus this process's threads in state R (/proc/self/task).
 * Env CPOSE_SIMULATE_LOAD=N returns N instead (tests, demonstrations). -1 when unknown. */
CPOSE_API int cpose_cpu_others_running(void);
/* The CPUs this process may run on (sched_getaffinity), at least 1. */
CPOSE_API int cpose_cpu_usable(void);

/* The state of one adaptive caller (an executor): the last few samples of cpose_cpu_others_running. */
struct cpose_thread_adapt {
    int samples[3];
    int n;  /* samples taken so far */
};

/* The thread count for the next forward, given the requested one: requested when adaptation is
 * off (env CPOSE_ADAPT_THREADS=0), requested < 2, or the load is unknown; otherwise
 * clamp(usable CPUs − others, 1, requested), where others is the smallest of the last three
 * samples (load must persist over three forwards before threads are dropped; one quiet sample
 * restores them). Cost: two small /proc reads (≈ 30 µs). */
CPOSE_API int cpose_thread_adapt_next(struct cpose_thread_adapt *a, int requested);

#endif
