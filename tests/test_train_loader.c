/* tests/test_train_loader.c — the training loader on a synthetic dataset generated here: batches
 * byte-identical for workers 0, 1 and 2 over two epochs, a new shuffle each epoch, targets in the
 * loss layout and inside the image, flip_idx kept from the YAML, close_mosaic (also after the epoch
 * count changes on the live loader, as time= re-plans it), fraction and
 * single_cls, and clear errors for a missing dataset and a dataset without labels. */
/* cpose-layer: datasets */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "datasets/synth.h"
#include "datasets/train_loader.h"
#include "tests/testlib.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001b3ull;
    return h;
}

/* Hashes every batch of epochs 0 and 1 into h[0], h[1]; checks the layout on the way. */
static int run(const char *yaml, int workers, uint64_t h[2], int *targets_ok)
{
    struct cpose_train_opts o;
    cpose_train_opts_defaults(&o);
    o.data = yaml;
    o.imgsz = 128;
    o.batch = 4;
    o.workers = workers;
    o.seed = 3;
    o.epochs = 2;
    o.close_mosaic = 0;
    o.hyp.degrees = 10; /* exercise every step */
    o.hyp.shear = 2;
    o.hyp.flipud = 0.2;
    struct cpose_train_loader *L = NULL;
    int rc = cpose_train_loader_open(&o, &L);
    if (rc) {
        printf("open: %s\n", cpose_errmsg());
        return rc;
    }
    for (int e = 0; e < 2; e++) {
        h[e] = 0xcbf29ce484222325ull;
        cpose_train_loader_start_epoch(L, e);
        struct cpose_train_batch b;
        int nb = 0;
        while ((rc = cpose_train_loader_next(L, &b)) == CPOSE_OK && b.n > 0) {
            nb++;
            h[e] = fnv(h[e], b.img, (size_t)b.n * 3 * b.H * b.W * sizeof(float));
            h[e] = fnv(h[e], &b.n_targets, sizeof b.n_targets);
            h[e] = fnv(h[e], b.batch_idx, (size_t)b.n_targets * sizeof(float));
            h[e] = fnv(h[e], b.cls, (size_t)b.n_targets * sizeof(float));
            h[e] = fnv(h[e], b.bboxes, (size_t)b.n_targets * 4 * sizeof(float));
            h[e] = fnv(h[e], b.keypoints, (size_t)b.n_targets * b.K * 3 * sizeof(float));
            h[e] = fnv(h[e], b.indices, (size_t)b.n * sizeof *b.indices);
            for (int t = 0; t < b.n_targets; t++) {
                const float *bx = b.bboxes + 4 * t;
                *targets_ok &= b.batch_idx[t] >= 0 && b.batch_idx[t] < b.n && b.cls[t] == 0;
                *targets_ok &= bx[0] - bx[2] / 2 >= -1e-6f && bx[0] + bx[2] / 2 <= 1 + 1e-6f && bx[2] > 0;
                *targets_ok &= bx[1] - bx[3] / 2 >= -1e-6f && bx[1] + bx[3] / 2 <= 1 + 1e-6f && bx[3] > 0;
                for (int k = 0; k < b.K; k++) {
                    const float *p = b.keypoints + ((size_t)t * b.K + k) * 3;
                    if (p[2] > 0) *targets_ok &= p[0] >= 0 && p[0] <= 1 && p[1] >= 0 && p[1] <= 1;
                }
            }
            for (size_t i = 0; i < (size_t)b.n * 3 * b.H * b.W; i += 97) *targets_ok &= b.img[i] >= 0 && b.img[i] <= 1;
        }
        if (rc) break;
        if (nb != 4) {
            printf("epoch %d: %d batches\n", e, nb);
            rc = CPOSE_EINVAL;
        }
    }
    cpose_train_loader_free(L);
    return rc;
}

int main(void)
{
    const char *tmp = tl_tmpdir("train_loader");
    char *root = cpose_path_join(tmp, "synth");
    struct cpose_synth_opts so = {root, 16, 4, 128, 1, 1};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    char *yaml = cpose_path_join(root, "synth-pose.yaml");

    /* determinism across workers */
    uint64_t h[3][2] = {{0}};
    int ok = 1;
    for (int w = 0; w < 3; w++) CHECK_MSG(run(yaml, w, h[w], &ok) == CPOSE_OK, "workers=%d", w);
    CHECK_MSG(h[0][0] == h[1][0] && h[0][0] == h[2][0], "epoch 0 differs across workers");
    CHECK_MSG(h[0][1] == h[1][1] && h[0][1] == h[2][1], "epoch 1 differs across workers");
    CHECK(h[0][0] != h[0][1]); /* a new shuffle and new augmentation each epoch */
    CHECK(ok);

    /* flip_idx kept, close_mosaic, fraction, single_cls, the first epoch's order */
    struct cpose_train_opts o;
    cpose_train_opts_defaults(&o);
    CHECK(o.imgsz == 640 && o.batch == 16 && o.close_mosaic == 10 && o.fraction == 1.0 && o.workers == 8);
    o.data = yaml;
    o.imgsz = 128;
    o.batch = 3;
    o.workers = 1;
    o.epochs = 3;
    o.close_mosaic = 1;
    o.fraction = 0.5;
    o.single_cls = 1;
    struct cpose_train_loader *L = NULL;
    CHECK(cpose_train_loader_open(&o, &L) == CPOSE_OK);
    if (L) {
        int K = 0;
        const int *fi = cpose_train_loader_flip_idx(L, &K);
        CHECK(K == 17 && fi && fi[0] == 0 && fi[1] == 2 && fi[2] == 1 && fi[15] == 16 && fi[16] == 15);
        CHECK(cpose_train_loader_size(L) == 8 && cpose_train_loader_n_batches(L) == 3);
        int mos[3];
        for (int e = 0; e < 3; e++) {
            struct cpose_train_batch b;
            cpose_train_loader_start_epoch(L, e);
            CHECK(cpose_train_loader_next(L, &b) == CPOSE_OK && b.n == 3);
            mos[e] = b.mosaic;
            /* leave the epoch early: the next start_epoch discards the rest */
        }
        CHECK(mos[0] == 1 && mos[1] == 1 && mos[2] == 0);
        struct cpose_train_batch b;
        int n = 0, last = 0;
        while (cpose_train_loader_next(L, &b) == CPOSE_OK && b.n > 0) n += b.n, last = b.n;
        CHECK_MSG(n == 5 && last == 2, "rest of epoch 2: %d images, last batch %d", n, last);
        /* a re-planned epoch count (time=) moves close_mosaic on the live loader: 6 epochs close at 5 */
        CHECK(cpose_train_loader_set_epochs(L, 6) == CPOSE_OK && cpose_train_loader_epochs(L) == 6);
        int mos6[6];
        for (int e = 2; e < 6; e++) {
            cpose_train_loader_start_epoch(L, e);
            CHECK(cpose_train_loader_next(L, &b) == CPOSE_OK && b.n == 3);
            mos6[e] = b.mosaic;
        }
        CHECK_MSG(mos6[2] == 1 && mos6[3] == 1 && mos6[4] == 1 && mos6[5] == 0, "epochs=6: mosaic %d %d %d %d", mos6[2],
                  mos6[3], mos6[4], mos6[5]);
        CHECK(cpose_train_loader_set_epochs(L, 2) == CPOSE_OK); /* shrunk to 2: epoch 1 is the last, closed */
        cpose_train_loader_start_epoch(L, 1);
        CHECK(cpose_train_loader_next(L, &b) == CPOSE_OK && b.mosaic == 0);
        CHECK(cpose_train_loader_set_epochs(L, 0) == CPOSE_EINVAL && cpose_train_loader_epochs(L) == 2);
        cpose_train_loader_free(L);
    }
    CHECK(cpose_train_mosaic_on(0, 5, 10, 1.0) == 1);  /* close_mosaic > epochs: never closed (Ultralytics) */
    CHECK(cpose_train_mosaic_on(4, 5, 0, 1.0) == 1);
    CHECK(cpose_train_mosaic_on(0, 5, 0, 0.0) == 0);

    /* augment=False: LetterBox only, every label row arrives (counted from the label files) */
    {
        struct cpose_train_opts a;
        cpose_train_opts_defaults(&a);
        a.data = yaml;
        a.imgsz = 128;
        a.batch = 16;
        a.workers = 0;
        a.augment = 0;
        int rows = 0, files = 0;
        for (int i = 0; i < 64; i++) {
            char *lp = cpose_asprintf("%s/labels/train/%012d.txt", root, i);
            FILE *f = fopen(lp, "r");
            for (int ch; f && (ch = fgetc(f)) != EOF;) rows += ch == '\n';
            if (f) fclose(f), files++;
            cpose_free(lp);
        }
        struct cpose_train_loader *A = NULL;
        CHECK(cpose_train_loader_open(&a, &A) == CPOSE_OK);
        if (A) {
            struct cpose_train_batch b;
            cpose_train_loader_start_epoch(A, 0);
            CHECK(cpose_train_loader_next(A, &b) == CPOSE_OK);
            CHECK_MSG(files == 16 && rows > 16 && b.n == 16 && b.n_targets == rows, "%d rows in the files, %d targets", rows,
                      b.n_targets);
            cpose_train_loader_free(A);
        }
    }

    /* errors */
    o.data = "/nonexistent/cpose-missing.yaml";
    o.fraction = 1;
    CHECK(cpose_train_loader_open(&o, &L) != CPOSE_OK && L == NULL);
    CHECK_CONTAINS(cpose_errmsg(), "cpose-missing.yaml");
    o.data = yaml;
    o.fraction = 0;
    CHECK(cpose_train_loader_open(&o, &L) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "fraction=0");
    o.fraction = 1;
    char *labels = cpose_path_join(root, "labels");
    char *cmd = cpose_asprintf("rm -rf '%s'", labels);
    CHECK(system(cmd) == 0);
    CHECK(cpose_train_loader_open(&o, &L) == CPOSE_EINVAL && L == NULL);
    CHECK_CONTAINS(cpose_errmsg(), "no labels found");
    CHECK_CONTAINS(cpose_errmsg(), "labels/train/");
    cpose_free(cmd);
    cpose_free(labels);
    cpose_free(yaml);
    cpose_free(root);
    return tl_finish();
}
