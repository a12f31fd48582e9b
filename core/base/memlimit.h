/* core/base/memlimit.h — checks a memory estimate against the machine before a large allocation, so that
 * an input asking for too much (a huge batch, image or tensor) is an error naming the need and the
 * machine's memory instead of an abort inside the allocator. */
#ifndef CPOSE_MEMLIMIT_H
#define CPOSE_MEMLIMIT_H

#include <stdint.h>
#include "core/base/status.h"

/* Bytes this machine can still give: MemAvailable from /proc/meminfo (else physical pages), or the
 * value of CPOSE_MEM_LIMIT (bytes, for tests) when set. */
CPOSE_API uint64_t cpose_mem_available(void);
/* CPOSE_OK when `bytes` fits cpose_mem_available(); else CPOSE_ENOMEM with a message
 * "<what> needs about X GB; this machine has Y GB available" plus `hint` when given. */
CPOSE_API int cpose_mem_check(uint64_t bytes, const char *what, const char *hint);
/* a * b * ... with overflow reported: returns 0 and sets *out, or -1 on overflow (any factor < 0
 * counts as an overflow). */
CPOSE_API int cpose_mul_checked(int n, const int64_t *factors, uint64_t *out);

#endif
