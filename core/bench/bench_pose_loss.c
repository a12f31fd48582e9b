/* core/bench/bench_pose_loss.c — times one v8 pose loss + gradient evaluation on the fixture batch
 * (parity_loss_seed0.h5: batch 8 at 320, 18 objects) and on the same batch tiled to 640 (the raw
 * outputs repeated 2×2 per level, the targets unchanged), with a reused workspace as a training loop
 * would, and prints the wall-clock median, min and max and the median CPU time.
 * Usage: bench_pose_loss [fixture.h5] [runs]   (threads: OMP_NUM_THREADS) */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/train/pose_loss.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void run(const char *label, int B, const float *const *f, const int *H, const int *W, const float *kpt,
                const struct cpose_pose_targets *t, int runs)
{
    struct cpose_pose_loss_cfg cfg;
    cpose_pose_loss_cfg_default(&cfg, 1, 17, 3);
    const float st[3] = {8, 16, 32};
    size_t A = 0;
    float *gf[3];
    for (int l = 0; l < 3; l++) {
        gf[l] = cpose_malloc(sizeof(float) * B * 65 * H[l] * W[l]);
        A += (size_t)H[l] * W[l];
    }
    float *gk = cpose_malloc(sizeof(float) * B * 51 * A), items[5], total;
    struct cpose_pose_loss_ws *ws = cpose_pose_loss_ws_new();
    double *ms = malloc(sizeof(double) * runs), *cpu = malloc(sizeof(double) * runs);
    for (int r = -2; r < runs; r++) {
        double t0 = now(), c0 = cpu_now();
        if (cpose_pose_loss_ws_run(ws, &cfg, B, 3, f, H, W, st, kpt, t, items, &total, gf, gk) != CPOSE_OK) {
            fprintf(stderr, "%s\n", cpose_errmsg());
            exit(1);
        }
        if (r >= 0) {
            ms[r] = (now() - t0) * 1e3;
            cpu[r] = (cpu_now() - c0) * 1e3;
        }
    }
    qsort(ms, runs, sizeof *ms, cmp);
    qsort(cpu, runs, sizeof *cpu, cmp);
    printf("%s (A=%zu, %d threads): loss+gradient median %.2f ms (min %.2f, max %.2f), CPU time median %.2f ms, "
           "total %.5f\n", label, A, omp_get_max_threads(), ms[runs / 2], ms[0], ms[runs - 1], cpu[runs / 2], total);
    for (int l = 0; l < 3; l++) cpose_free(gf[l]);
    cpose_free(gk);
    free(ms);
    free(cpu);
    cpose_pose_loss_ws_free(ws);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "../shared/fixtures/ultralytics/parity_loss_seed0.h5";
    int runs = argc > 2 ? atoi(argv[2]) : 30;
    struct cpose_h5 *h;
    if (cpose_h5_open(path, &h) != CPOSE_OK) {
        fprintf(stderr, "%s\n", cpose_errmsg());
        return 1;
    }
    float *lv[3], *kpt, *bi, *cls, *bb, *kp;
    int nd, H[3], W[3];
    int64_t d[CPOSE_H5_MAX_DIMS];
    char name[64];
    for (int l = 0; l < 3; l++) {
        snprintf(name, sizeof name, "train_level%d_raw", l);
        cpose_h5_read_f32(h, name, &lv[l], &nd, d);
        H[l] = (int)d[2];
        W[l] = (int)d[3];
    }
    cpose_h5_read_f32(h, "train_kpt_raw", &kpt, &nd, d);
    cpose_h5_read_f32(h, "batch_idx", &bi, &nd, d);
    int n = (int)d[0];
    cpose_h5_read_f32(h, "cls", &cls, &nd, d);
    cpose_h5_read_f32(h, "bboxes", &bb, &nd, d);
    cpose_h5_read_f32(h, "keypoints", &kp, &nd, d);
    cpose_h5_close(h);
    struct cpose_pose_targets t = {n, bi, cls, bb, kp};
    const int B = 8;
    run("fixture batch 8 @320", B, (const float *const *)lv, H, W, kpt, &t, runs);

    /* the same outputs tiled 2×2 → 640 */
    int H2[3], W2[3];
    float *lv2[3];
    size_t A = 0, A2 = 0, off[3], off2[3];
    for (int l = 0; l < 3; l++) {
        H2[l] = 2 * H[l];
        W2[l] = 2 * W[l];
        off[l] = A;
        off2[l] = A2;
        A += (size_t)H[l] * W[l];
        A2 += (size_t)H2[l] * W2[l];
        lv2[l] = cpose_malloc(sizeof(float) * B * 65 * H2[l] * W2[l]);
        for (int b = 0; b < B * 65; b++)
            for (int y = 0; y < H2[l]; y++)
                for (int x = 0; x < W2[l]; x++)
                    lv2[l][((size_t)b * H2[l] + y) * W2[l] + x] = lv[l][((size_t)b * H[l] + y % H[l]) * W[l] + x % W[l]];
    }
    float *kpt2 = cpose_malloc(sizeof(float) * B * 51 * A2);
    for (int c = 0; c < B * 51; c++)
        for (int l = 0; l < 3; l++)
            for (int y = 0; y < H2[l]; y++)
                for (int x = 0; x < W2[l]; x++)
                    kpt2[(size_t)c * A2 + off2[l] + (size_t)y * W2[l] + x] =
                        kpt[(size_t)c * A + off[l] + (size_t)(y % H[l]) * W[l] + x % W[l]];
    run("tiled batch 8 @640", B, (const float *const *)lv2, H2, W2, kpt2, &t, runs);
    return 0;
}
