/* core/base/omp_policy.h — the OpenMP wait policy cpose runs with (see core/base/omp_policy.c). */
#ifndef CPOSE_OMP_POLICY_H
#define CPOSE_OMP_POLICY_H

#include "core/base/status.h"

/* When neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set and this process's command line is
 * `cpose [pose] <mode> ...`, re-executes it once with GOMP_SPINCOUNT=100000 (bounded spinning;
 * CPOSE_NO_REEXEC=1 disables the re-exec). cpose_cli_main calls it for the modes that run the
 * network, before any output. Returns only when no re-exec happened. */
CPOSE_API void cpose_omp_bound_spinning(const char *mode);

#endif
