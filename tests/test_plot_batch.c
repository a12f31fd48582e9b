/* tests/test_plot_batch.c — batch grids (train_batchN.jpg, val_batchN_labels/pred.jpg): tile placement
 * column by column with RGB → BGR, white tile borders, box edges in the class colour at the right
 * pixels and width, keypoints in the pose palette (as Ultralytics draws it on an RGB image), hidden
 * keypoints and low-confidence predictions left out, shrinking to 1920 px, the written JPEG, bad input. */
/* cpose-layer: reports */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/status.h"
#include "core/nn/image.h"
#include "reports/plot.h"
#include "tests/testlib.h"

static const uint8_t *px(const struct cpose_image *im, int x, int y) { return im->data + ((size_t)y * im->w + x) * 3; }

#define CHECK_PX(im, x, y, b, g, r)                                                                         \
    do {                                                                                                    \
        const uint8_t *p_ = px(im, x, y);                                                                   \
        CHECK_MSG(p_[0] == (b) && p_[1] == (g) && p_[2] == (r), "pixel (%d, %d) = (%d, %d, %d), want (%d, %d, %d)", \
                  x, y, p_[0], p_[1], p_[2], b, g, r);                                                      \
    } while (0)

/* Within tol of (b, g, r) on every channel (anti-aliased lines). */
static int near_px(const struct cpose_image *im, int x, int y, int b, int g, int r, int tol)
{
    const uint8_t *p = px(im, x, y);
    return abs(p[0] - b) <= tol && abs(p[1] - g) <= tol && abs(p[2] - r) <= tol;
}

/* 4 images of 64 × 64 (grey; image 2 pure red), labels on images 0 and 3. */
static void test_labels_grid(const char *dir)
{
    enum { N = 4, S = 64, K = 17 };
    float *img = malloc(sizeof(float) * N * 3 * S * S);
    for (int i = 0; i < N * 3 * S * S; i++) img[i] = 0.5f;
    for (int c = 0; c < 3; c++)
        for (int k = 0; k < S * S; k++) img[(2 * 3 + c) * S * S + k] = c == 0 ? 1.0f : 0.0f;
    float batch_idx[2] = {0, 3}, cls[2] = {0, 1};
    float boxes[8] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.25f, 0.75f};
    float kpts[2 * K * 3] = {0};
    float *k0 = kpts;
    /* nose (green in both orders), left elbow (RGB 255,128,0), right shoulder hidden, left hip and
     * left knee joined by a limb (RGB 51,153,255) */
    k0[0] = 0.3f, k0[1] = 0.8f, k0[2] = 2;
    k0[7 * 3] = 0.8f, k0[7 * 3 + 1] = 0.8f, k0[7 * 3 + 2] = 1;
    k0[6 * 3] = 0.8f, k0[6 * 3 + 1] = 0.3f, k0[6 * 3 + 2] = 0;
    k0[11 * 3] = 0.6f, k0[11 * 3 + 1] = 0.35f, k0[11 * 3 + 2] = 2;
    k0[13 * 3] = 0.6f, k0[13 * 3 + 1] = 0.65f, k0[13 * 3 + 2] = 2;
    struct cpose_train_batch tb = {0};
    tb.n = N, tb.H = S, tb.W = S, tb.K = K, tb.img = img, tb.n_targets = 2;
    tb.batch_idx = batch_idx, tb.cls = cls, tb.bboxes = boxes, tb.keypoints = kpts;
    struct cpose_plot_batch pb;
    cpose_plot_batch_from_train(&tb, &pb);
    CHECK(pb.n == N && pb.img == img && pb.kpts == kpts && pb.kdim == 3 && pb.normalized == 1 && !pb.conf);
    const char *paths[N] = {"/data/a/im0.jpg", "im1.jpg", "x/im2.jpg", "im3.jpg"};
    pb.paths = paths;
    char *names[2] = {"person", "dog"};
    struct cpose_image g;
    CHECK(cpose_plot_batch_render(&pb, names, 2, &g) == CPOSE_OK);
    CHECK(g.w == 128 && g.h == 128); /* ceil(sqrt(4)) = 2 tiles a side, no shrinking */
    /* image 2 is the second column's first tile (Ultralytics fills columns first), red as BGR */
    CHECK_PX(&g, 64 + 30, 30, 0, 0, 255);
    CHECK_PX(&g, 30, 64 + 30, 127, 127, 127); /* image 1 below image 0: 0.5 · 255 truncated */
    /* 2 px white borders on both sides of the tile edge x = 64 */
    CHECK_PX(&g, 63, 40, 255, 255, 255);
    CHECK_PX(&g, 64, 40, 255, 255, 255);
    CHECK_PX(&g, 65, 40, 255, 255, 255);
    CHECK_PX(&g, 66, 40, 0, 0, 255);
    /* image 0's box (16, 16)–(48, 48), 2 px wide inside, class 0 = #FF3838 */
    CHECK_PX(&g, 16, 32, 56, 56, 255);
    CHECK_PX(&g, 17, 32, 56, 56, 255);
    CHECK_PX(&g, 18, 32, 127, 127, 127);
    CHECK_PX(&g, 15, 32, 127, 127, 127);
    CHECK_PX(&g, 47, 32, 56, 56, 255);
    CHECK_PX(&g, 32, 48, 56, 56, 255);
    /* image 3 (second column, second row): box x 88..104, y 72..120, class 1 = #FF9D97 */
    CHECK_PX(&g, 88, 100, 0x97, 0x9D, 0xFF);
    CHECK_PX(&g, 104, 100, 0x97, 0x9D, 0xFF);
    CHECK_PX(&g, 96, 119, 0x97, 0x9D, 0xFF);
    /* keypoints: centres in the palette colour, BGR of the RGB triple */
    CHECK_PX(&g, 19, 51, 0, 255, 0);
    CHECK_PX(&g, 51, 51, 0, 128, 255);
    CHECK_PX(&g, 51, 19, 127, 127, 127); /* visibility 0: not drawn */
    CHECK_MSG(near_px(&g, 38, 31, 255, 153, 51, 60), "limb pixel (%d, %d, %d)", px(&g, 38, 31)[0], px(&g, 38, 31)[1],
              px(&g, 38, 31)[2]);
    CHECK_PX(&g, 38, 22, 255, 153, 51); /* the hip's own circle */
    /* the written file decodes to the same size */
    char *path = cpose_path_join(dir, "train_batch0.jpg");
    CHECK(cpose_plot_batch_write(&pb, names, 2, path) == CPOSE_OK);
    struct cpose_image back;
    CHECK(cpose_image_read(path, &back) == CPOSE_OK);
    CHECK(back.w == 128 && back.h == 128);
    CHECK(near_px(&back, 64 + 30, 30, 0, 0, 255, 40));
    cpose_image_free(&back);
    cpose_free(path);
    cpose_image_free(&g);
    free(img);
}

/* 16 images of 640 × 640 shrink to 480 px tiles (1920 / 4 / 640 = 0.75); predictions in pixels. */
static void test_pred_grid_scaled(const char *dir)
{
    enum { N = 16, S = 640 };
    uint8_t *bgr = malloc((size_t)N * S * S * 3);
    memset(bgr, 100, (size_t)N * S * S * 3);
    float batch_idx[3] = {5, 5, 1}, cls[3] = {0, 0, 2}, conf[3] = {0.9f, 0.2f, 0.6f};
    float boxes[12] = {320, 320, 200, 200, 100, 100, 40, 40, 320, 320, 100, 100};
    struct cpose_plot_batch pb = {0};
    pb.n = N, pb.H = S, pb.W = S, pb.img_bgr = bgr, pb.n_targets = 3;
    pb.batch_idx = batch_idx, pb.cls = cls, pb.bboxes = boxes, pb.conf = conf;
    struct cpose_image g;
    CHECK(cpose_plot_batch_render(&pb, NULL, 0, &g) == CPOSE_OK);
    CHECK(g.w == 1920 && g.h == 1920);
    /* tile 5: column 1, row 1, origin (480, 480); box x1 = 220 · 0.75 = 165; line width round(38 / 10) = 4 */
    for (int d = 0; d < 4; d++) CHECK_PX(&g, 480 + 165 + d, 480 + 240, 56, 56, 255);
    CHECK_PX(&g, 480 + 165 + 4, 480 + 240, 100, 100, 100);
    CHECK_PX(&g, 480 + 165 - 1, 480 + 240, 100, 100, 100);
    /* conf 0.2 ≤ 0.25: not drawn (its left edge would be x = 80 · 0.75 = 60) */
    CHECK_PX(&g, 480 + 60, 480 + 75, 100, 100, 100);
    /* tile 1 (column 0, row 1) has class 2 (#FF701F) at x1 = 270 · 0.75 = 202 */
    CHECK_PX(&g, 202, 480 + 240, 0x1F, 0x70, 0xFF);
    cpose_image_free(&g);
    char *path = cpose_path_join(dir, "val_batch0_pred.jpg");
    CHECK(cpose_plot_batch_write(&pb, NULL, 0, path) == CPOSE_OK);
    int w = 0, h = 0;
    CHECK(cpose_image_size(path, &w, &h) == CPOSE_OK && w == 1920 && h == 1920);
    cpose_free(path);
    free(bgr);
}

static void test_bad_input(const char *dir)
{
    float img[3 * 8 * 8] = {0};
    struct cpose_plot_batch pb = {0};
    struct cpose_image g;
    pb.n = 0, pb.H = 8, pb.W = 8, pb.img = img;
    CHECK(cpose_plot_batch_render(&pb, NULL, 0, &g) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "n=0");
    pb.n = 1, pb.img = NULL;
    CHECK(cpose_plot_batch_render(&pb, NULL, 0, &g) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "img");
    float bi = 0, cl = 0, bb[4] = {0.5f, 0.5f, 0.2f, 0.2f}, kp[4] = {0};
    pb.img = img, pb.n_targets = 1, pb.batch_idx = &bi, pb.cls = &cl, pb.bboxes = bb, pb.K = 1, pb.kdim = 4, pb.kpts = kp;
    CHECK(cpose_plot_batch_render(&pb, NULL, 0, &g) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "kdim");
    char *path = cpose_path_join(dir, "bad.jpg");
    CHECK(cpose_plot_batch_write(&pb, NULL, 0, path) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "bad.jpg");
    CHECK(!cpose_path_is_file(path));
    cpose_free(path);
}

int main(void)
{
    const char *keep = getenv("CPOSE_TEST_KEEP_PLOTS");
    const char *dir = keep && *keep ? keep : tl_tmpdir("plot-batch");
    test_labels_grid(dir);
    test_pred_grid_scaled(dir);
    test_bad_input(dir);
    return tl_finish();
}
