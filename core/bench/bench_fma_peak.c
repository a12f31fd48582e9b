/* core/bench/bench_fma_peak.c — measures the machine's arithmetic ceilings (GFLOP/s, or GOP/s for int8)
 * with independent chains of vector multiply-adds on every OpenMP thread, so `cpose benchmark`'s
 * GFLOP/s can be read as a fraction of what this CPU can do. Each kernel is chosen at run time and
 * measured only where the CPU has its instructions:
 *   fp32 FMA, 8 lanes (AVX2+FMA)            2 FLOP per lane per instruction
 *   fp32 FMA, 16 lanes (AVX-512F)           2 FLOP per lane
 *   bf16 dot product (AVX512_BF16 vdpbf16ps) 32 bf16 products summed into 16 fp32 lanes: 64 FLOP
 *   int8 dot product (AVX512_VNNI vpdpbusd)  64 u8·s8 products summed into 16 int32 lanes: 128 OP
 *   int8 multiply-add without VNNI (AVX2; AVX-512BW): the three instructions oneDNN's int8 kernels use
 *     there, vpmaddubsw (u8·s8 pairs into s16) + vpmaddwd by ones (s16 pairs into s32) + vpaddd:
 *     32 products per 8 int32 lanes, 64 OP per triple on ymm (128 on zmm)
 * Each line gives the sum of every thread's own best run (the ceiling to read achieved GFLOP/s
 * against, robust to other processes) and the best run of all threads at once.
 * The fp32 chains are core/base/cpu_fma.c's (the kernels' run-time choice of vector width uses them too).
 * Usage: bench_fma_peak [threads] (default: all). Prints one line per kernel;
 * scripts/bench_fma_fraction.sh puts the forward benchmark next to it. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/cpu_fma.h"
#include "core/base/log.h"

#define CHAINS512 CPOSE_FMA_CHAINS16

__attribute__((target("avx512f,avx512bf16"))) static float run_bf16(long iters)
{
    __m512 acc[CHAINS512];
    __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3380); /* 1.0, ~6e-8 */
    for (int i = 0; i < CHAINS512; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < CHAINS512; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    float sum = 0;
    for (int i = 0; i < CHAINS512; i++) sum += _mm512_reduce_add_ps(acc[i]);
    return sum;
}

__attribute__((target("avx512f,avx512vnni"))) static float run_vnni(long iters)
{
    __m512i acc[CHAINS512];
    __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(1);
    for (int i = 0; i < CHAINS512; i++) acc[i] = _mm512_set1_epi32(i);
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < CHAINS512; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
    long long sum = 0;
    for (int i = 0; i < CHAINS512; i++) sum += _mm512_reduce_add_epi32(acc[i]);
    return (float)sum;
}

/* The non-VNNI int8 triple, written in assembly: with intrinsics the compiler hoists the loop-invariant
 * multiplies out of the loop. 8 accumulators (the adds' latency is 1 cycle; the multiplies' throughput
 * bounds the loop), 4 rotating temporaries. */
#define INT8_TRIPLE(REG, T, C)                                                                                 \
    "vpmaddubsw %[b], %[a], %%" REG T "\n\tvpmaddwd %[one], %%" REG T ", %%" REG T "\n\tvpaddd %%" REG T       \
    ", %[" C "], %[" C "]\n\t"
#define INT8_LOOP_BODY(REG)                                                                                    \
    INT8_TRIPLE(REG, "12", "c0") INT8_TRIPLE(REG, "13", "c1") INT8_TRIPLE(REG, "14", "c2")                     \
    INT8_TRIPLE(REG, "15", "c3") INT8_TRIPLE(REG, "12", "c4") INT8_TRIPLE(REG, "13", "c5")                     \
    INT8_TRIPLE(REG, "14", "c6") INT8_TRIPLE(REG, "15", "c7")
enum { INT8_CHAINS = 8 };

/* run_int8_NAME(iters): iters loops of INT8_LOOP_BODY on VEC registers (REG "ymm" or "zmm", asm constraint
 * CONS, intrinsics prefix MM); returns one lane of the accumulators' sum, so the work is kept. */
#define INT8_RUNNER(NAME, TARGET, VEC, MM, REG, CONS)                                                         \
    __attribute__((target(TARGET))) static float run_int8_##NAME(long iters)                                  \
    {                                                                                                          \
        VEC c[INT8_CHAINS], a = _##MM##_set1_epi8(1), b = a, one = _##MM##_set1_epi16(1);                   \
        for (int i = 0; i < INT8_CHAINS; i++) c[i] = _##MM##_set1_epi32(i);                                   \
        for (long k = 0; k < iters; k++)                                                                       \
            __asm__ volatile(INT8_LOOP_BODY(REG)                                                               \
                             : [c0] "+" CONS(c[0]), [c1] "+" CONS(c[1]), [c2] "+" CONS(c[2]), [c3] "+" CONS(c[3]), \
                               [c4] "+" CONS(c[4]), [c5] "+" CONS(c[5]), [c6] "+" CONS(c[6]), [c7] "+" CONS(c[7]) \
                             : [a] CONS(a), [b] CONS(b), [one] CONS(one)                                        \
                             : "xmm12", "xmm13", "xmm14", "xmm15");                                            \
        for (int i = 1; i < INT8_CHAINS; i++) c[0] = _##MM##_add_epi32(c[0], c[i]);                           \
        int lanes[sizeof(VEC) / sizeof(int)];                                                                  \
        memcpy(lanes, &c[0], sizeof lanes);                                                                    \
        return (float)lanes[0];                                                                                \
    }
INT8_RUNNER(avx2, "avx2", __m256i, mm256, "ymm", "x")
INT8_RUNNER(avx512bw, "avx512f,avx512bw", __m512i, mm512, "zmm", "v")

/* Two readings of one kernel, in ops/s:
 *  - per_thread: each thread times its own runs and keeps its best; the sum over threads is the
 *    ceiling when every thread has a core to itself. On a shared machine a thread that the scheduler
 *    parks for a while only loses that run, so this is the figure to divide achieved GFLOP/s by.
 *  - together: best wall time of all threads running at once (what a barrier-synchronised program
 *    sees; below per_thread when other processes take CPU time).
 * ops_per_iter counts one thread's work per loop iteration. */
struct reading {
    double per_thread, together;
};

enum { REPS = 9 };

static struct reading measure(float (*fn)(long), long iters, double ops_per_iter)
{
    struct reading r = {0, 0};
    double sum = 0;
    float sink = 0;
    for (int rep = 0; rep < REPS; rep++) {
        double t = cpose_now();
#pragma omp parallel reduction(+ : sink)
        sink += fn(iters);
        double s = cpose_now() - t, ops = ops_per_iter * (double)iters * omp_get_max_threads();
        if (ops / s > r.together) r.together = ops / s;
    }
#pragma omp parallel reduction(+ : sum, sink)
    {
        double best = 1e30;
        for (int rep = 0; rep < REPS; rep++) {
            double t = cpose_now();
            sink += fn(iters);
            double s = cpose_now() - t;
            if (s < best) best = s;
        }
        sum += ops_per_iter * (double)iters / best;
    }
    if (sink == 12345.0f) printf(" ");
    r.per_thread = sum / 1e9;
    r.together /= 1e9;
    return r;
}

static void print(const char *what, const char *unit, struct reading r, int nt)
{
    printf("%s peak: %.1f %s with %d threads (sum of each thread's best of %d; all threads at once: %.1f)\n", what,
           r.per_thread, unit, nt, REPS, r.together);
}

int main(int argc, char **argv)
{
    if (argc > 1) omp_set_num_threads(atoi(argv[1]));
    __builtin_cpu_init();
    const long iters = 20000000;
    int nt = omp_get_max_threads();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        print("fp32 FMA (AVX2)", "GFLOP/s", measure(cpose_fma_chains8, iters, 2.0 * 8 * CPOSE_FMA_CHAINS8), nt);
    else
        printf("fp32 FMA (AVX2): not available on this CPU\n");
    if (__builtin_cpu_supports("avx512f"))
        print("fp32 FMA (AVX-512)", "GFLOP/s", measure(cpose_fma_chains16, iters / 2, 2.0 * 16 * CPOSE_FMA_CHAINS16), nt);
    else
        printf("fp32 FMA (AVX-512): not available on this CPU\n");
    if (__builtin_cpu_supports("avx512bf16"))
        print("bf16 dot product (AVX512_BF16)", "GFLOP/s", measure(run_bf16, iters / 2, 64.0 * CHAINS512), nt);
    else
        printf("bf16 dot product (AVX512_BF16): not available on this CPU\n");
    if (__builtin_cpu_supports("avx512vnni"))
        print("int8 dot product (AVX512_VNNI)", "GOP/s", measure(run_vnni, iters / 2, 128.0 * CHAINS512), nt);
    else
        printf("int8 dot product (AVX512_VNNI): not available on this CPU\n");
    /* what int8 convolutions run on where VNNI is absent (oneDNN's AVX-512 and AVX2 int8 kernels) */
    if (__builtin_cpu_supports("avx512bw"))
        print("int8 multiply-add without VNNI (AVX-512BW)", "GOP/s",
              measure(run_int8_avx512bw, iters / 2, 128.0 * INT8_CHAINS), nt);
    if (__builtin_cpu_supports("avx2"))
        print("int8 multiply-add without VNNI (AVX2)", "GOP/s", measure(run_int8_avx2, iters / 2, 64.0 * INT8_CHAINS),
              nt);
    return 0;
}
