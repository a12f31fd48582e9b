/* core/base/memlimit.c — memory estimates checked against /proc/meminfo before large allocations. */
#include "core/base/memlimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t cpose_mem_available(void)
{
    const char *env = getenv("CPOSE_MEM_LIMIT");
    if (env && *env) {
        char *end;
        unsigned long long v = strtoull(env, &end, 10);
        if (*end == 0 && v > 0) return v;
    }
    uint64_t kb = 0;
    FILE *fp = fopen("/proc/meminfo", "r");
    if (fp) {
        char line[256];
        while (fgets(line, sizeof line, fp))
            if (sscanf(line, "MemAvailable: %llu kB", (unsigned long long *)&kb) == 1) break;
        fclose(fp);
    }
    if (kb) return kb * 1024;
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
}

int cpose_mem_check(uint64_t bytes, const char *what, const char *hint)
{
    uint64_t avail = cpose_mem_available();
    if (bytes <= avail) return CPOSE_OK;
    return cpose_err(CPOSE_ENOMEM, "%s needs about %.3g GB of memory; this machine has %.3g GB available%s%s", what,
                     bytes / 1e9, avail / 1e9, hint && *hint ? ": " : "", hint ? hint : "");
}

int cpose_mul_checked(int n, const int64_t *factors, uint64_t *out)
{
    uint64_t p = 1;
    for (int i = 0; i < n; i++) {
        if (factors[i] < 0 || __builtin_mul_overflow(p, (uint64_t)factors[i], &p)) return -1;
    }
    *out = p;
    return 0;
}
