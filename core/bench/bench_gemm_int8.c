/* core/bench/bench_gemm_int8.c — the int8 1×1 and 3×3 stride-2 convs of YOLOv8n-pose at 640 (batch 1,
 * NHWC, SiLU, float32 output, a source with negative values as after a SiLU: s8) on oneDNN's int8 kernels
 * (CPOSE_GEMM_INT8=0; with SiLU, finished by cpose's epilogue unless CPOSE_OWN_EPILOGUE=0) and on cpose's u8·s8 GEMM (CPOSE_GEMM_INT8=1), alternating per run so drift hits
 * both alike: per shape the minimum and median of `runs` runs, and the totals over the model's convs
 * (each shape times its count). `bench_gemm_int8 [runs=60] [threads=2] [silu|none]` (the activation:
 * oneDNN's SiLU costs it as much as the products on the wide planes). The minimum is the figure to
 * compare on a shared machine. Each run converts the float32 source too, as a conv whose producer does
 * not hand off does. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bench/bench_conv_ab.h"

struct shape { int cin, cout, hw, k, stride, count; }; /* hw: the source's side */

/* YOLOv8n-pose's 1×1 and 3×3 stride-2 convs at 640: channels, source side, kernel, stride, how many */
static const struct shape shapes[] = {
    {32, 32, 160, 1, 1, 1},  {48, 32, 160, 1, 1, 1},  {64, 64, 80, 1, 1, 3},   {128, 64, 80, 1, 1, 1},  {192, 64, 80, 1, 1, 1},
    {96, 64, 80, 1, 1, 1},   {51, 51, 80, 1, 1, 1},   {64, 1, 80, 1, 1, 1},    {128, 128, 40, 1, 1, 1}, {256, 128, 40, 1, 1, 1},
    {384, 128, 40, 1, 1, 1}, {192, 128, 40, 1, 1, 3}, {64, 64, 40, 1, 1, 1},   {51, 51, 40, 1, 1, 1},   {256, 256, 20, 1, 1, 1},
    {384, 256, 20, 1, 1, 3}, {256, 128, 20, 1, 1, 1}, {512, 256, 20, 1, 1, 1}, {64, 64, 20, 1, 1, 1},   {51, 51, 20, 1, 1, 1},
    {16, 32, 320, 3, 2, 1},  {32, 64, 160, 3, 2, 1},  {64, 128, 80, 3, 2, 1},  {128, 256, 40, 3, 2, 1}, {64, 64, 80, 3, 2, 1},
    {128, 128, 40, 3, 2, 1},
};

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 60, threads = argc > 2 ? atoi(argv[2]) : 2;
    int act = argc > 3 && !strcmp(argv[3], "none") ? CPOSE_ACT_NONE : CPOSE_ACT_SILU;
    if (runs < 3) runs = 3;
    omp_set_num_threads(threads);
    double tot[2][2] = {{0}}, *t[2] = {malloc(sizeof(double) * runs), malloc(sizeof(double) * runs)};
    uint64_t s = 1;
    printf("shape (×count)                oneDNN min/median      cpose gemm min/median   (ms, %d runs, %d threads)\n", runs, threads);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const struct shape *sh = &shapes[i];
        struct cpose_conv2d_params p = {.cin = sh->cin, .cout = sh->cout, .k = sh->k, .stride = sh->stride, .pad = sh->k / 2,
                                        .act = act, .prec = CPOSE_PREC_INT8, .in_lo = -0.3f, .in_hi = 3.7f};
        const char *impl[2];
        double mn[2], md[2];
        if (bench_conv_shape("bench_gemm_int8", "CPOSE_GEMM_INT8", p, sh->hw, -0.3f, (float)(sh->k * sh->k), &s, runs, t, mn, md,
                             impl))
            return 1;
        for (int k = 0; k < 2; k++) tot[k][0] += mn[k] * sh->count, tot[k][1] += md[k] * sh->count;
        printf("%3d→%-3d %dx%d s%d %3dx%-3d (×%d)   %7.3f / %7.3f      %7.3f / %7.3f   %.2f×  [%s | %s]\n", sh->cin, sh->cout,
               sh->k, sh->k, sh->stride, sh->hw, sh->hw, sh->count, mn[0], md[0], mn[1], md[1], mn[1] / mn[0], impl[0], impl[1]);
    }
    printf("model total (39 convs)        %7.2f / %7.2f      %7.2f / %7.2f   %.2f× (min), %.2f× (median)\n", tot[0][0], tot[0][1],
           tot[1][0], tot[1][1], tot[1][0] / tot[0][0], tot[1][1] / tot[0][1]);
    free(t[0]), free(t[1]);
    return 0;
}
