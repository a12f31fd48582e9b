/* tests/test_loader.c — validation batches on coco8-pose: Ultralytics' load_image size rule and
 * rectangular batch shapes (hand-computed), letterbox metadata, pixels and labels in the batch frame. */
/* cpose-layer: datasets */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "datasets/loader.h"
#include "tests/testlib.h"

int main(void)
{
    int w, h;
    cpose_load_image_size(481, 640, 640, &w, &h);
    CHECK(w == 481 && h == 640);
    cpose_load_image_size(481, 640, 320, &w, &h); /* r 0.5: ceil(240.5) */
    CHECK(w == 241 && h == 320);
    cpose_load_image_size(381, 500, 320, &w, &h); /* r 0.64: ceil(243.84) */
    CHECK(w == 244 && h == 320);
    cpose_load_image_size(500, 374, 640, &w, &h); /* r 1.28: ceil(478.72) */
    CHECK(w == 640 && h == 479);

    const char *tmp = tl_tmpdir("loader");
    char *yaml = tl_coco8_yaml(tmp);
    setenv("CPOSE_DATASETS_DIR", tmp, 1);
    struct cpose_loader *L = NULL;
    /* val sizes (w×h): 110 640×480, 113 416×640, 136 500×374, 151 480×640 → sorted by h/w:
     * 136 (0.748), 110 (0.75) | 151 (1.333), 113 (1.538); shapes ceil(s·640/32 + 0.5)·32 */
    CHECK(cpose_loader_open(yaml, "val", 640, 2, 32, 1, 0.5, &L) == CPOSE_OK);
    CHECK(L && cpose_loader_size(L) == 4 && cpose_loader_n_batches(L) == 2);
    struct cpose_batch b;
    CHECK(cpose_loader_next(L, &b) == CPOSE_OK);
    CHECK_MSG(b.n == 2 && b.H == 512 && b.W == 672 && b.K == 17, "batch 0: %d × %dx%d", b.n, b.H, b.W);
    if (b.n == 2 && b.H == 512 && b.W == 672) {
        const struct cpose_batch_item *it = &b.items[0];
        CHECK(strstr(it->im_file, "000000000136.jpg") != NULL);
        CHECK(it->ori_w == 500 && it->ori_h == 374 && it->resized_w == 640 && it->resized_h == 479);
        CHECK(it->lb_ratio == 1.0 && it->pad_w == 16.0 && it->pad_h == 16.5 && it->pad_left == 16 && it->pad_top == 16);
        CHECK(it->n_labels == 2);
        /* first row of 000000000136.txt: "0 0.055220 0.651230 0.107080 0.689037 0.076000 0.483957 2.000000 ..." */
        if (it->n_labels == 2) {
            CHECK_NEAR(it->bboxes[0], (0.055220 * 640 + 16) / 672, 1e-6);
            CHECK_NEAR(it->bboxes[1], (0.651230 * 479 + 16.5) / 512, 1e-6);
            CHECK_NEAR(it->bboxes[2], 0.107080 * 640 / 672, 1e-6);
            CHECK_NEAR(it->bboxes[3], 0.689037 * 479 / 512, 1e-6);
            CHECK_NEAR(it->kpts[0], (0.076000 * 640 + 16) / 672, 1e-6);
            CHECK_NEAR(it->kpts[1], (0.483957 * 479 + 16.5) / 512, 1e-6);
            CHECK(it->kpts[2] == 2.0f);
        }
        /* 110 is 640×480: no resize, offsets 16/16; pixels equal the decoded original, pads are 114 */
        it = &b.items[1];
        CHECK(strstr(it->im_file, "000000000110.jpg") != NULL && it->pad_left == 16 && it->pad_top == 16);
        struct cpose_image im;
        CHECK(cpose_image_read(it->im_file, &im) == CPOSE_OK);
        const float *img1 = b.images + (size_t)3 * b.H * b.W;
        int bad = 0;
        for (int y = 0; y < im.h; y += 37)
            for (int x = 0; x < im.w; x += 29)
                for (int c = 0; c < 3; c++) {
                    float got = img1[(size_t)c * b.H * b.W + (size_t)(y + 16) * b.W + (x + 16)];
                    bad += fabsf(got - im.data[((size_t)y * im.w + x) * 3 + (2 - c)] / 255.0f) > 1e-6f;
                }
        CHECK_MSG(bad == 0, "%d pixels differ", bad);
        CHECK_NEAR(img1[0], 114 / 255.0, 1e-6);
        CHECK_NEAR(img1[(size_t)2 * b.H * b.W + (size_t)(b.H - 1) * b.W + b.W - 1], 114 / 255.0, 1e-6);
        cpose_image_free(&im);
    }
    CHECK(cpose_loader_next(L, &b) == CPOSE_OK);
    CHECK_MSG(b.n == 2 && b.H == 672 && b.W == 512, "batch 1: %d × %dx%d", b.n, b.H, b.W);
    if (b.n == 2) CHECK(strstr(b.items[0].im_file, "000000000151.jpg") && strstr(b.items[1].im_file, "000000000113.jpg"));
    CHECK(cpose_loader_next(L, &b) == CPOSE_OK && b.n == 0);
    cpose_loader_reset(L);
    CHECK(cpose_loader_next(L, &b) == CPOSE_OK && b.n == 2 && b.index == 0);
    cpose_loader_free(L);

    /* square batches, batch of 3 over 4 images, imgsz 320 */
    CHECK(cpose_loader_open(yaml, "train", 320, 3, 32, 0, 0.5, &L) == CPOSE_OK);
    int total = 0, labels = 0;
    while (cpose_loader_next(L, &b) == CPOSE_OK && b.n > 0) {
        CHECK(b.H == 320 && b.W == 320);
        total += b.n;
        for (int i = 0; i < b.n; i++) labels += b.items[i].n_labels;
    }
    CHECK(total == 4 && labels == 7); /* train label files hold 1 + 2 + 3 + 1 rows */
    cpose_loader_free(L);

    /* plain files (prediction), rect */
    char *files[2] = {cpose_asprintf("%s/images/val/000000000110.jpg", tl_fixture("coco8-pose")),
                      cpose_asprintf("%s/images/val/000000000113.jpg", tl_fixture("coco8-pose"))};
    CHECK(cpose_loader_open_files(files, 2, 640, 1, 32, 1, 0.5, &L) == CPOSE_OK);
    CHECK(cpose_loader_next(L, &b) == CPOSE_OK && b.n == 1 && b.H == 512 && b.W == 672 && b.items[0].n_labels == 0);
    CHECK(cpose_loader_next(L, &b) == CPOSE_OK && b.n == 1 && b.H == 672 && b.W == 448); /* 416/640 = 0.65 → ceil(13.5) */
    cpose_loader_free(L);
    cpose_free(files[0]);
    cpose_free(files[1]);

    CHECK(cpose_loader_open(yaml, "valid", 640, 2, 32, 1, 0.5, &L) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "split=valid");
    CHECK(cpose_loader_open(yaml, "test", 640, 2, 32, 1, 0.5, &L) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "no 'test' split");
    free(yaml);
    return tl_finish();
}
