/* core/base/cpu_fma.c — float32 FMA throughput by vector width (cpu_fma.h): the chain kernels,
 * compiled for their instruction sets with target attributes and called only where cpuid reports
 * them, and the once-per-process comparison of 16 lanes against 8. */
#include "core/base/cpu_fma.h"
#include "core/base/log.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) float cpose_fma_chains8(long iters)
{
    __m256 acc[CPOSE_FMA_CHAINS8];
    __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CPOSE_FMA_CHAINS8; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < CPOSE_FMA_CHAINS8; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    float out[8], sum = 0;
    for (int i = 0; i < CPOSE_FMA_CHAINS8; i++) {
        _mm256_storeu_ps(out, acc[i]);
        sum += out[0];
    }
    return sum;
}

__attribute__((target("avx512f"))) float cpose_fma_chains16(long iters)
{
    __m512 acc[CPOSE_FMA_CHAINS16];
    __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < CPOSE_FMA_CHAINS16; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < CPOSE_FMA_CHAINS16; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    float sum = 0;
    for (int i = 0; i < CPOSE_FMA_CHAINS16; i++) sum += _mm512_reduce_add_ps(acc[i]);
    return sum;
}

static int have_both(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512f");
}
#else
float cpose_fma_chains8(long iters) { (void)iters; return 0; }
float cpose_fma_chains16(long iters) { (void)iters; return 0; }
static int have_both(void) { return 0; }
#endif

static double g_ratio = -1;  /* 16-lane over 8-lane FLOP/s, once measured (0: not measurable here) */

/* FLOP/s of the best of `reps` runs of each width, interleaved so that a preempted stretch costs
 * both alike; the first run of each warms the units up (and on some CPUs the 512-bit clock). */
static double measure_ratio(void)
{
    const long it8 = 20000, it16 = 10000; /* ≈ 0.05–0.2 ms each at 2–4 GHz */
    double best8 = 1e30, best16 = 1e30;
    volatile float sink = 0;
    sink += cpose_fma_chains8(it8 / 4);
    sink += cpose_fma_chains16(it16 / 4);
    for (int rep = 0; rep < 5; rep++) {
        double t = cpose_now();
        sink += cpose_fma_chains8(it8);
        double t8 = cpose_now() - t;
        t = cpose_now();
        sink += cpose_fma_chains16(it16);
        double t16 = cpose_now() - t;
        if (t8 < best8) best8 = t8;
        if (t16 < best16) best16 = t16;
    }
    (void)sink;
    double flop8 = 2.0 * 8 * CPOSE_FMA_CHAINS8 * (double)it8, flop16 = 2.0 * 16 * CPOSE_FMA_CHAINS16 * (double)it16;
    return best8 > 0 && best16 > 0 ? (flop16 / best16) / (flop8 / best8) : 0;
}

int cpose_avx512_fma_is_wide(void)
{
    const char *env = getenv("CPOSE_AVX512_FMA");
    if (env && !strcmp(env, "wide")) return 1;
    if (env && !strcmp(env, "narrow")) return 0;
    return cpose_avx512_fma_ratio() >= 1.3;
}

double cpose_avx512_fma_ratio(void)
{
    double ratio;
    __atomic_load(&g_ratio, &ratio, __ATOMIC_ACQUIRE);
    if (ratio < 0) {
        ratio = have_both() ? measure_ratio() : 0;
        __atomic_store(&g_ratio, &ratio, __ATOMIC_RELEASE);
    }
    return ratio;
}
