/* core/base/cpu_fma.h — this CPU's float32 multiply-add throughput by vector width, measured with
 * independent FMA chains on 8 lanes (AVX2+FMA) and 16 lanes (AVX-512F). bench_fma_peak reads the
 * machine's ceilings with them; the convolution kernels ask whether 16 lanes multiply faster than 8
 * here. They do not on CPUs that run a 512-bit FMA as two 256-bit halves (AMD Zen 4, whose
 * AVX-512 peak equals its AVX2 peak) or that have one 512-bit FMA unit. There, float32 inference
 * runs its 3×3 convs as Winograd on nChw8c instead of oneDNN's direct kernel on nChw16c
 * (cpose_kernel_inference_layout). */
#ifndef CPOSE_CPU_FMA_H
#define CPOSE_CPU_FMA_H

#include "core/base/status.h"

enum { CPOSE_FMA_CHAINS8 = 12, CPOSE_FMA_CHAINS16 = 16 }; /* independent accumulators per width */

/* iters iterations of CPOSE_FMA_CHAINS8 independent 8-lane FMAs (2·8·CPOSE_FMA_CHAINS8 FLOP per
 * iteration). Returns a sum of the results, so the work is not optimised away. Call only where the CPU
 * has AVX2 and FMA. */
CPOSE_API float cpose_fma_chains8(long iters);
/* The same on 16 lanes (2·16·CPOSE_FMA_CHAINS16 FLOP per iteration); only where the CPU has AVX-512F. */
CPOSE_API float cpose_fma_chains16(long iters);

/* Whether 16-lane FMAs give at least 1.3× the FLOP/s of 8-lane ones on this CPU. It is measured
 * once per process, on the calling thread: the best of 5 interleaved runs of each width, ≈ 0.2 ms
 * each, so about 2 ms in all. The result is 0 without AVX-512F or AVX2. Env CPOSE_AVX512_FMA=wide|narrow
 * decides instead (tests, benchmarks). */
CPOSE_API int cpose_avx512_fma_is_wide(void);
/* The measured ratio (16-lane FLOP/s over 8-lane), measured on the first call of this or
 * cpose_avx512_fma_is_wide; 0 without AVX-512F or AVX2. */
CPOSE_API double cpose_avx512_fma_ratio(void);

#endif
