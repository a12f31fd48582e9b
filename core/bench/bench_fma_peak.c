/* core/bench/bench_fma_peak.c — measures the machine's fp32 FMA ceiling (GFLOP/s) with
 * independent 8-wide FMA chains on every OpenMP thread, so `cpose benchmark`'s GFLOP/s can be
 * read as a fraction of what this CPU can do. Usage: bench_fma_peak [threads] (default: all). */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/base/log.h"

#define CHAINS 12 /* enough independent accumulators to cover FMA latency × throughput */

__attribute__((target("avx2,fma"))) static float run_chains(long iters)
{
    __m256 acc[CHAINS];
    __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    float out[8], sum = 0;
    for (int i = 0; i < CHAINS; i++) {
        _mm256_storeu_ps(out, acc[i]);
        sum += out[0];
    }
    return sum;
}

int main(int argc, char **argv)
{
    if (argc > 1) omp_set_num_threads(atoi(argv[1]));
    const long iters = 20000000;
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        float sink = 0;
        double t = cpose_now();
#pragma omp parallel reduction(+ : sink)
        sink += run_chains(iters);
        double s = cpose_now() - t;
        double flops = 2.0 * 8 * CHAINS * (double)iters * omp_get_max_threads();
        if (flops / s > best) best = flops / s;
        if (sink == 12345.0f) printf(" ");
    }
    printf("fp32 FMA (AVX2) peak: %.1f GFLOP/s with %d threads (best of 5)\n", best / 1e9, omp_get_max_threads());
    return 0;
}
