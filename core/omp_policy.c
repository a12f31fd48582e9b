/* core/omp_policy.c — makes OpenMP worker threads sleep rather than spin between parallel regions
 * (OMP_WAIT_POLICY=passive) by re-executing the process once with the variable set.
 *
 * Why: libgomp reads OMP_WAIT_POLICY only when it loads, and by default an idle worker spins
 * while its partner is descheduled. On a busy 2-core machine (load 10) the n model's ≈100
 * parallel regions per forward then cost a scheduler quantum each: measured 1.5 s per 320²
 * forward spinning vs 45 ms passive (640²: 1.1–1.4 s vs 0.33–0.42 s). An idle machine loses a
 * few percent at most. A user who sets OMP_WAIT_POLICY or GOMP_SPINCOUNT keeps their choice. */
#include "omp_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cpose_omp_prefer_passive(const char *mode)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || getenv("CPOSE_NO_REEXEC")) return;
    /* the original command line, NUL-separated */
    FILE *f = fopen("/proc/self/cmdline", "rb");
    if (!f) return;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    if (n == 0 || n >= sizeof buf - 1) return;
    buf[n] = 0;
    char *argv[1024];
    int argc = 0;
    for (size_t i = 0; i < n && argc < 1023; i += strlen(buf + i) + 1) argv[argc++] = buf + i;
    argv[argc] = NULL;
    /* only when this process is `cpose [pose] MODE ...` (not a host that called a mode function) */
    int k = argc > 1 && !strcmp(argv[1], "pose") ? 2 : 1;
    const char *word = k < argc ? argv[k] : "";
    if (!strncmp(word, "mode=", 5)) word += 5;
    if (strcmp(word, mode)) return;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    setenv("CPOSE_NO_REEXEC", "1", 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the spinning default */
    unsetenv("OMP_WAIT_POLICY");
}
