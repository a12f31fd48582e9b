/* core/bench/bench_checkpoint.c — times a training checkpoint (core/train/checkpoint.h) of a model
 * with an AdamW optimizer (two state tensors per parameter) and its EMA: the save (write to a
 * temporary name, seal, rename), the resume check, and the full load; prints the file size and the
 * median, min and max wall-clock times.
 * Usage: bench_checkpoint [model.yaml=yolov8n-pose.yaml] [runs=5] [dir=/tmp] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/status.h"
#include "core/train/checkpoint.h"
#include "core/train/train_table.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *t, int runs)
{
    qsort(t, runs, sizeof *t, cmp);
    printf("%-6s median %8.1f ms  min %8.1f  max %8.1f  (%d runs)\n", what, t[runs / 2] * 1e3, t[0] * 1e3,
           t[runs - 1] * 1e3, runs);
}

int main(int argc, char **argv)
{
    const char *yaml = argc > 1 ? argv[1] : "yolov8n-pose.yaml", *dir = argc > 3 ? argv[3] : "/tmp";
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1) runs = 1;
    struct cpose_model *m = NULL;
    struct cpose_train_exec *ex = NULL;
    struct cpose_param *tab = NULL;
    struct cpose_optim *o = NULL;
    struct cpose_ema *e = NULL;
    size_t n, nt;
    int rc = cpose_model_load_seeded(yaml, NULL, 0, &m);
    if (!rc) rc = cpose_train_exec_new(m, &ex);
    if (!rc) rc = cpose_train_exec_table(ex, m, &tab, &n, &nt);
    if (!rc) rc = cpose_optim_create(CPOSE_OPTIM_ADAMW, 0.002, 0.9, 5e-4, tab, nt, &o);
    if (!rc) rc = cpose_ema_create(tab, n, 0.9999, 2000, 0, &e);
    if (rc) {
        fprintf(stderr, "bench_checkpoint: %s\n", cpose_errmsg());
        return 1;
    }
    struct cpose_ckpt_state st;
    cpose_ckpt_state_init(&st);
    st.epoch = 0, st.train_args_yaml = "imgsz: 640\n", st.dataset_hash = "0";
    char *path = cpose_asprintf("%s/bench_checkpoint.%d.h5", dir, (int)getpid());
    double *ts = cpose_malloc(sizeof(double) * runs), *tc = cpose_malloc(sizeof(double) * runs),
           *tl = cpose_malloc(sizeof(double) * runs);
    for (int r = 0; r < runs && !rc; r++) {
        double t0 = now();
        rc = cpose_ckpt_save(path, m, tab, n, nt, o, e, &st);
        double t1 = now();
        if (!rc) rc = cpose_ckpt_check(path, tab, n, nt, CPOSE_OPTIM_ADAMW, "0");
        double t2 = now();
        struct cpose_ckpt_state got;
        if (!rc) rc = cpose_ckpt_load(path, tab, n, nt, o, e, &got);
        double t3 = now();
        if (!rc) cpose_ckpt_state_free(&got);
        ts[r] = t1 - t0, tc[r] = t2 - t1, tl[r] = t3 - t2;
    }
    if (rc) {
        fprintf(stderr, "bench_checkpoint: %s\n", cpose_errmsg());
    } else {
        struct stat sb;
        stat(path, &sb);
        printf("%s: %zu tensors (%zu trainable), AdamW + EMA, file %.1f MB\n", yaml, n, nt, sb.st_size / 1e6);
        report("save", ts, runs);
        report("check", tc, runs);
        report("load", tl, runs);
    }
    unlink(path);
    cpose_free(path), cpose_free(ts), cpose_free(tc), cpose_free(tl);
    cpose_ema_free(e);
    cpose_optim_free(o);
    cpose_free(tab);
    cpose_train_exec_free(ex);
    cpose_model_free(m);
    return rc ? 1 : 0;
}
