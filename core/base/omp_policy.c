/* core/base/omp_policy.c — bounds how long idle OpenMP workers spin before sleeping
 * (GOMP_SPINCOUNT=100000) by re-executing the process once with the variable set.
 *
 * Why: libgomp reads its wait policy only when it loads. Its default spins ~300k iterations, which
 * on a busy 2-core machine turns every one of the ≈100 parallel regions of a forward into a wait
 * for a descheduled partner; passive (no spin) pays a futex wake-up per region when idle. Measured
 * here (yolov8n-pose 640, 2 threads, `cpose benchmark`, median ms; idle / with two busy loops):
 * default-active 90 / 682, passive 120 / 162, GOMP_SPINCOUNT=100000 91 / 203, 10000 97 / 194.
 * A user who sets OMP_WAIT_POLICY or GOMP_SPINCOUNT keeps their choice. */
#include "core/base/omp_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cpose_omp_bound_spinning(const char *mode)
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
    setenv("GOMP_SPINCOUNT", "100000", 1);
    setenv("CPOSE_NO_REEXEC", "1", 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the default policy */
    unsetenv("GOMP_SPINCOUNT");
}
