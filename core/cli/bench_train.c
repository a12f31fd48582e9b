/* core/cli/bench_train.c — `cpose benchmark backward=True`: times full training steps (train-mode
 * forward, v8 pose loss, backward, gradient clip at 10, SGD with Nesterov momentum over
 * Ultralytics' three groups, EMA update) on a generated batch, and prints the median with img/s
 * and the peak RSS. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/base/alloc.h"
#include "core/base/log.h"
#include "core/cli/cli.h"
#include "core/train/ema.h"
#include "core/train/optim.h"
#include "core/train/train_step.h"
#include "core/train/train_table.h"

static int cmp_ms(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int cpose_cli_benchmark_train(const struct cpose_args *a, struct cpose_model *m)
{
    int rc = CPOSE_OK;
    const struct cpose_model_info *info = cpose_model_get_info(m);
    int64_t S = cpose_args_int(a, "imgsz", 640), B = cpose_args_given(a, "batch") ? cpose_args_int(a, "batch", 8) : 8;
    int runs = cpose_args_given(a, "runs") ? (int)cpose_args_int(a, "runs", 10) : 10;
    int warm = cpose_args_given(a, "warmup") ? (int)cpose_args_int(a, "warmup", 2) : 2;
    if (S % info->max_stride || S <= 0 || B < 1 || runs < 1 || warm < 0)
        return cpose_err(CPOSE_EINVAL, "imgsz=%lld must be a multiple of %d; batch, runs ≥ 1; warmup ≥ 0", (long long)S,
                         info->max_stride);
    /* the batch: noise images, two people per image with 17 keypoints */
    struct cpose_loss_batch b = {.B = B, .H = S, .W = S, .n = (int)(2 * B)};
    b.img = cpose_malloc((size_t)B * 3 * S * S * sizeof(float));
    b.batch_idx = cpose_malloc(b.n * sizeof(float)), b.cls = cpose_calloc(b.n, sizeof(float));
    b.bboxes = cpose_malloc(b.n * 4 * sizeof(float));
    b.keypoints = cpose_malloc((size_t)b.n * info->nkpt * info->kdim * sizeof(float));
    uint64_t s = 12345;
    for (size_t i = 0; i < (size_t)B * 3 * S * S; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        b.img[i] = (float)((s >> 40) & 0xffff) / 65535.0f;
    }
    for (int o = 0; o < b.n; o++) {
        float cx = o % 2 ? 0.3f : 0.65f, cy = 0.5f, w = 0.25f, h = 0.6f;
        b.batch_idx[o] = (float)(o / 2);
        b.bboxes[o * 4] = cx, b.bboxes[o * 4 + 1] = cy, b.bboxes[o * 4 + 2] = w, b.bboxes[o * 4 + 3] = h;
        for (int k = 0; k < info->nkpt; k++) {
            float *kp = &b.keypoints[((size_t)o * info->nkpt + k) * info->kdim];
            kp[0] = cx + w * ((k % 5) / 4.0f - 0.5f), kp[1] = cy + h * ((float)k / info->nkpt - 0.5f);
            if (info->kdim == 3) kp[2] = 2;
        }
    }
    struct cpose_train_exec *ex = NULL;
    struct cpose_param *tab = NULL;
    struct cpose_optim *opt = NULL;
    struct cpose_ema *ema = NULL;
    size_t nt, ntrain;
    double *t = cpose_malloc((runs + warm) * sizeof(double)), load = 0;
    int nbs = 64;
    if ((rc = cpose_train_exec_new(m, &ex)) != CPOSE_OK) goto done;
    if ((rc = cpose_train_exec_table(ex, m, &tab, &nt, &ntrain)) != CPOSE_OK) goto done;
    if ((rc = cpose_optim_create(CPOSE_OPTIM_SGD, 0.01, 0.937, cpose_optim_scaled_decay(5e-4, (int)B, nbs), tab, ntrain,
                                 &opt)) != CPOSE_OK)
        goto done;
    if ((rc = cpose_ema_create(tab, nt, 0.9999, 2000, 0, &ema)) != CPOSE_OK) goto done;
    float items[5], total = 0;
    for (int i = 0; i < warm + runs; i++) {
        double t0 = cpose_now();
        if ((rc = cpose_train_loss_step(ex, info, NULL, &b, 0, items, &total)) != CPOSE_OK) goto done;
        cpose_clip_grad_norm(tab, ntrain, 10.0);
        cpose_optim_step(opt);
        cpose_train_exec_weights_changed(ex);
        if ((rc = cpose_ema_update(ema, tab, nt)) != CPOSE_OK) goto done;
        t[i] = (cpose_now() - t0) * 1e3;
    }
    double *r = t + warm;
    qsort(r, runs, sizeof *r, cmp_ms);
    double med = runs % 2 ? r[runs / 2] : 0.5 * (r[runs / 2 - 1] + r[runs / 2]);
    printf("train step imgsz=%lld batch=%lld threads=%d runs=%d (forward, loss, backward, clip, SGD, EMA; last loss %.4g)\n",
           (long long)S, (long long)B, omp_get_max_threads(), runs, total);
    printf("train step median %.0f ms (min %.0f, max %.0f), %.1f img/s, peak RSS %.0f MiB (activation arena %.0f MiB)\n",
           med, r[0], r[runs - 1], B / (med / 1e3), cpose_peak_rss_bytes() / 1048576.0,
           cpose_train_exec_arena_bytes(ex) / 1048576.0);
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1) load = 0;
        fclose(lf);
    }
    if (load > omp_get_num_procs() + 0.5)
        cpose_warn("the machine is busy (load average %.1f on %d cores): timings are unreliable", load, omp_get_num_procs());
done:
    cpose_ema_free(ema);
    cpose_optim_free(opt);
    cpose_free(tab);
    cpose_train_exec_free(ex);
    cpose_free(t);
    cpose_loss_batch_free(&b);
    return rc;
}
