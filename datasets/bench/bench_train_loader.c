/* datasets/bench/bench_train_loader.c — training loader throughput: generates the synthetic dataset
 * (as `cpose synth n_train=64 n_val=16 imgsz=320`) once, then times the augmented loader (mosaic,
 * perspective, HSV, flips) at imgsz 320, batch 8 for workers 0, 1 and 2 and prints images/second.
 * Each figure is the best of 3 epochs after one warm-up epoch (the caller's step is empty, so this
 * is the loader alone).
 * usage: bench_train_loader [work_dir=/tmp/cpose-bench-train-loader] [imgsz=320] [batch=8] [epochs=3]
 *        [workers=0,1,2] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "datasets/synth.h"
#include "datasets/train_loader.h"

static const char *arg(int argc, char **argv, const char *key, const char *def)
{
    size_t n = strlen(key);
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], key, n) && argv[i][n] == '=') return argv[i] + n + 1;
    return def;
}

int main(int argc, char **argv)
{
    const char *work = arg(argc, argv, "work_dir", "/tmp/cpose-bench-train-loader");
    int imgsz = atoi(arg(argc, argv, "imgsz", "320")), batch = atoi(arg(argc, argv, "batch", "8"));
    int epochs = atoi(arg(argc, argv, "epochs", "3"));
    char *yaml = cpose_path_join(work, "synth-pose.yaml");
    struct stat st;
    if (stat(yaml, &st) != 0) {
        struct cpose_synth_opts so = {work, 64, 16, 320, 0, 1};
        if (cpose_synth_generate(&so) != CPOSE_OK) {
            fprintf(stderr, "bench_train_loader: %s\n", cpose_errmsg());
            return 1;
        }
    }
    printf("train loader, synthetic 64 images, imgsz %d, batch %d, mosaic on (best of %d epochs)\n", imgsz, batch,
           epochs);
    const char *list = arg(argc, argv, "workers", "0,1,2");
    for (const char *w = list; *w; w += strcspn(w, ",") + (w[strcspn(w, ",")] == ',')) {
        int workers = atoi(w);
        struct cpose_train_opts o;
        cpose_train_opts_defaults(&o);
        o.data = yaml;
        o.imgsz = imgsz;
        o.batch = batch;
        o.workers = workers;
        o.epochs = epochs + 1;
        o.close_mosaic = 0;
        struct cpose_train_loader *L;
        if (cpose_train_loader_open(&o, &L) != CPOSE_OK) {
            fprintf(stderr, "bench_train_loader: %s\n", cpose_errmsg());
            return 1;
        }
        double best = 0;
        for (int e = 0; e <= epochs; e++) {
            double t0 = cpose_now();
            cpose_train_loader_start_epoch(L, e);
            struct cpose_train_batch b;
            long n = 0;
            while (cpose_train_loader_next(L, &b) == CPOSE_OK && b.n > 0) n += b.n;
            double ips = n / (cpose_now() - t0);
            if (e > 0 && ips > best) best = ips;
        }
        printf("workers=%d  %.1f img/s\n", workers, best);
        cpose_train_loader_free(L);
    }
    cpose_free(yaml);
    return 0;
}
