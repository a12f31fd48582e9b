/* core/base/cpu_load.c — how many threads an inference forward should use on a busy machine.
 *
 * Why: the engine runs ≈ 100 OpenMP parallel regions per forward, each ending at a barrier. With
 * another CPU-bound process on a 2-core machine, the scheduler parks one of cpose's two threads for
 * a time slice (several ms) and every region waits for it: threads=2 measured a median 169 ms at
 * 640 batch 1 against 64 ms with threads=1. The remedy here: before each forward, count the other
 * runnable tasks (a snapshot of the kernel's run queue, /proc/loadavg's "running" field, minus this
 * process's own running threads) and give the forward only the CPUs they leave free. The snapshot
 * of a CPU-bound neighbour is reliable (it is always runnable); short-lived tasks are filtered by
 * taking the smallest of the last three samples. The results do not depend on the thread count
 * (core/nn/exec.c; tests/test_exec_adapt.c checks it). */
#define _GNU_SOURCE
#include "core/base/cpu_load.h"

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The state letter of one thread of this process (from /proc/self/task/<tid>/stat), or 0. */
static char task_state(const char *tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", tid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');  /* the command name may hold spaces and parentheses */
    return p && p[1] == ' ' ? p[2] : 0;
}

int cpose_cpu_others_running(void)
{
    const char *sim = getenv("CPOSE_SIMULATE_LOAD");
    if (sim && *sim) return atoi(sim) < 0 ? 0 : atoi(sim);
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return -1;
    double l1, l5, l15;
    int running = 0, total = 0;
    int ok = fscanf(f, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &running, &total) == 5;
    fclose(f);
    if (!ok) return -1;
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int mine = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (de->d_name[0] != '.' && task_state(de->d_name) == 'R') mine++;
    closedir(d);
    if (mine < 1) mine = 1;  /* the caller itself is running */
    return running > mine ? running - mine : 0;
}

int cpose_cpu_usable(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

int cpose_thread_adapt_next(struct cpose_thread_adapt *a, int requested)
{
    const char *off = getenv("CPOSE_ADAPT_THREADS");
    if (requested < 2 || (off && !strcmp(off, "0"))) return requested;
    int others = cpose_cpu_others_running();
    if (others < 0) return requested;
    int cap = (int)(sizeof a->samples / sizeof a->samples[0]);
    a->samples[a->n++ % cap] = others;
    int k = a->n < cap ? a->n : cap, least = others;
    for (int i = 0; i < k; i++)
        if (a->samples[i] < least) least = a->samples[i];
    int free_cpus = cpose_cpu_usable() - least;
    return free_cpus < 1 ? 1 : free_cpus > requested ? requested : free_cpus;
}
