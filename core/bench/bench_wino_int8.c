/* core/bench/bench_wino_int8.c — the int8 3×3 stride-1 convs of YOLOv8n-pose at 640 (batch 1, NHWC,
 * SiLU, float32 output) on oneDNN's direct int8 kernel (CPOSE_WINO_INT8=0) and on cpose's int16
 * Winograd (CPOSE_WINO_INT8=1), alternating per run so drift hits both alike: per shape the minimum
 * and median of `runs` runs, and the totals over the model's convs (each shape times its count).
 * `bench_wino_int8 [runs=60] [threads=2]`. The minimum is the figure to compare on a shared machine. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bench/bench_conv_ab.h"

struct shape { int cin, cout, hw, count; };

/* YOLOv8n-pose's 3×3 stride-1 convs at 640: channels, plane side, how many */
static const struct shape shapes[] = {
    {16, 16, 160, 2}, {32, 32, 80, 6}, {64, 64, 80, 4}, {64, 51, 80, 1}, {51, 51, 80, 1}, {64, 64, 40, 10},
    {128, 64, 40, 2}, {128, 51, 40, 1}, {51, 51, 40, 1}, {128, 128, 20, 4}, {256, 64, 20, 2}, {256, 51, 20, 1},
    {64, 64, 20, 2}, {51, 51, 20, 1},
};

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 60, threads = argc > 2 ? atoi(argv[2]) : 2;
    if (runs < 3) runs = 3;
    omp_set_num_threads(threads);
    double tot[2][2] = {{0}}, *t[2] = {malloc(sizeof(double) * runs), malloc(sizeof(double) * runs)};
    uint64_t s = 1;
    printf("shape (×count)            direct min/median      winograd min/median   (ms, %d runs, %d threads)\n", runs, threads);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const struct shape *sh = &shapes[i];
        struct cpose_conv2d_params p = {.cin = sh->cin, .cout = sh->cout, .k = 3, .stride = 1, .pad = 1, .act = CPOSE_ACT_SILU,
                                        .prec = CPOSE_PREC_INT8, .in_lo = -2, .in_hi = 2};
        const char *impl[2];
        double mn[2], md[2];
        if (bench_conv_shape("bench_wino_int8", "CPOSE_WINO_INT8", p, sh->hw, -2.0f, 24.0f, &s, runs, t, mn, md, impl)) return 1;
        for (int k = 0; k < 2; k++) tot[k][0] += mn[k] * sh->count, tot[k][1] += md[k] * sh->count;
        printf("%3d→%-3d %3dx%-3d (×%2d)   %7.3f / %7.3f      %7.3f / %7.3f   %.2f×  [%s | %s]\n", sh->cin, sh->cout, sh->hw,
               sh->hw, sh->count, mn[0], md[0], mn[1], md[1], mn[1] / mn[0], impl[0], impl[1]);
    }
    printf("model total (38 convs)    %7.2f / %7.2f      %7.2f / %7.2f   %.2f× (min), %.2f× (median)\n", tot[0][0], tot[0][1],
           tot[1][0], tot[1][1], tot[1][0] / tot[0][0], tot[1][1] / tot[0][1]);
    free(t[0]), free(t[1]);
    return 0;
}
