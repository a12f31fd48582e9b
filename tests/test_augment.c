/* tests/test_augment.c — augmentation invariants with hand-computed expectations: fliplr mirrors x
 * and swaps keypoints by flip_idx, mosaic labels stay inside the canvas (tile offsets worked out by
 * hand), keypoints leaving the image become invisible, a zero rotation with scale 1 and no
 * translation is the identity (matrix, labels, pixels), zero HSV gains leave pixels untouched,
 * box_candidates drops degenerate boxes, and the random stream is reproducible. */
/* cpose-layer: datasets */
#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/image.h"
#include "datasets/augment.h"
#include "tests/testlib.h"

/* A w×h image with a per-pixel pattern (so flips and warps are visible). */
static void pattern(struct cpose_image *im, int w, int h)
{
    cpose_image_new(im, w, h, 3, 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) im->data[((size_t)y * w + x) * 3 + c] = (uint8_t)(x * 7 + y * 3 + c * 50);
}

/* One instance with K = 3 keypoints. */
static void one_instance(struct cpose_aug_labels *l, const float box[4], const float kp[9])
{
    l->n = 0;
    cpose_aug_labels_reserve(l, 1, 3);
    l->cls[0] = 0;
    memcpy(l->boxes, box, 4 * sizeof(float));
    memcpy(l->kpts, kp, 9 * sizeof(float));
    l->n = 1;
}

static void test_fliplr(void)
{
    struct cpose_image im;
    pattern(&im, 10, 4);
    uint8_t left = im.data[0], right = im.data[9 * 3];
    struct cpose_aug_labels l = {0};
    /* keypoint 0 = "left eye" at x 1, keypoint 1 = "right eye" at x 3, keypoint 2 = nose at x 2 */
    one_instance(&l, (float[]){1, 0, 4, 2}, (float[]){1, 1, 2, 3, 1, 1, 2, 2, 2});
    const int flip_idx[3] = {1, 0, 2};
    cpose_aug_fliplr(&im, &l, flip_idx);
    CHECK(im.data[0] == right && im.data[9 * 3] == left);
    CHECK(l.boxes[0] == 6 && l.boxes[2] == 9 && l.boxes[1] == 0 && l.boxes[3] == 2);
    /* mirrored: 1→9, 3→7, 2→8; then slot 0 takes old keypoint 1 (x 7, v 1), slot 1 old 0 (x 9, v 2) */
    CHECK(l.kpts[0] == 7 && l.kpts[1] == 1 && l.kpts[2] == 1);
    CHECK(l.kpts[3] == 9 && l.kpts[4] == 1 && l.kpts[5] == 2);
    CHECK(l.kpts[6] == 8 && l.kpts[8] == 2);
    cpose_aug_flipud(&im, &l);
    CHECK(l.boxes[1] == 2 && l.boxes[3] == 4 && l.kpts[1] == 3);
    cpose_aug_labels_free(&l);
    cpose_image_free(&im);
}

static void test_mosaic(void)
{
    const int s = 64;
    struct cpose_image im[4];
    struct cpose_aug_labels lab[4] = {{0}};
    for (int i = 0; i < 4; i++) {
        pattern(&im[i], s, i == 1 ? 48 : s);
        /* a box over the whole tile, keypoints near two corners and one in the middle */
        float H = (float)im[i].h;
        one_instance(&lab[i], (float[]){0, 0, 64, H}, (float[]){1, 1, 2, 63, H - 1, 2, 32, H / 2, 1});
    }
    const struct cpose_image *ims[4] = {&im[0], &im[1], &im[2], &im[3]};
    const struct cpose_aug_labels *labs[4] = {&lab[0], &lab[1], &lab[2], &lab[3]};
    struct cpose_image canvas;
    struct cpose_aug_labels out = {0};
    /* centre (40, 50): tile 0 placed at canvas [0,40)×[0,50) from its [24,64)×[14,64): shift (−24, −14) */
    CHECK(cpose_aug_mosaic4(ims, labs, s, 40, 50, &canvas, &out) == CPOSE_OK);
    CHECK(canvas.w == 128 && canvas.h == 128);
    CHECK_MSG(out.n == 4, "%d instances", out.n);
    if (out.n == 4) {
        CHECK(out.boxes[0] == 0 && out.boxes[1] == 0 && out.boxes[2] == 40 && out.boxes[3] == 50);
        CHECK(out.kpts[2] == 0 && out.kpts[0] == 0 && out.kpts[1] == 0); /* (1,1) → (−23,−13): outside */
        CHECK(out.kpts[3] == 39 && out.kpts[4] == 49 && out.kpts[5] == 2);
        /* tile 1 (64×48) at x 40.., y max(50−48, 0) = 2: shift (40, 2) */
        CHECK(out.boxes[4] == 40 && out.boxes[5] == 2 && out.boxes[6] == 104 && out.boxes[7] == 50);
        /* tile 3 at (40, 50), its keypoint (63, 63) → (103, 113) inside */
        CHECK(out.kpts[27 + 3] == 103 && out.kpts[27 + 4] == 113 && out.kpts[27 + 5] == 2);
        /* the pixel of tile 0 at (24, 14) lands at canvas (0, 0) */
        CHECK(memcmp(canvas.data, im[0].data + (14 * 64 + 24) * 3, 3) == 0);
        int inside = 1;
        for (int i = 0; i < out.n; i++) {
            for (int c = 0; c < 4; c++) inside &= out.boxes[4 * i + c] >= 0 && out.boxes[4 * i + c] <= 128;
            for (int k = 0; k < 3; k++) {
                const float *p = out.kpts + (i * 3 + k) * 3;
                inside &= p[0] >= 0 && p[0] <= 128 && p[1] >= 0 && p[1] <= 128;
            }
        }
        CHECK(inside);
    }
    /* a centre that pushes tile 3 mostly off the canvas: its box is cut at 128 */
    cpose_image_free(&canvas);
    CHECK(cpose_aug_mosaic4(ims, labs, s, 96, 96, &canvas, &out) == CPOSE_OK);
    CHECK(out.n == 4 && out.boxes[12 + 2] == 128 && out.boxes[12 + 3] == 128 && out.kpts[27 + 5] == 0);
    cpose_image_free(&canvas);
    for (int i = 0; i < 4; i++) {
        cpose_image_free(&im[i]);
        cpose_aug_labels_free(&lab[i]);
    }
    cpose_aug_labels_free(&out);
}

static void test_outside_invisible(void)
{
    struct cpose_image im, out;
    pattern(&im, 64, 64);
    struct cpose_aug_labels l = {0};
    one_instance(&l, (float[]){5, 5, 60, 60}, (float[]){10, 10, 2, 50, 10, 2, 62, 40, 1});
    const double M[9] = {1, 0, -30, 0, 1, 0, 0, 0, 1}; /* move 30 px left */
    CHECK(cpose_aug_warp(&im, &l, M, 1.0, 0, 64, 64, &out) == CPOSE_OK);
    CHECK(l.n == 1);
    if (l.n == 1) {
        CHECK(l.boxes[0] == 0 && l.boxes[2] == 30 && l.boxes[1] == 5 && l.boxes[3] == 60);
        CHECK(l.kpts[2] == 0 && l.kpts[0] == 0);           /* (10,10) → (−20,10): invisible, clipped */
        CHECK(l.kpts[3] == 20 && l.kpts[5] == 2);          /* (50,10) → (20,10) */
        CHECK(l.kpts[6] == 32 && l.kpts[8] == 1);          /* (62,40) → (32,40) */
    }
    /* the pixel at (40, 3) came from (70, 3)... out of the image: 114; (0, 3) came from (30, 3) */
    CHECK(out.data[(3 * 64 + 40) * 3] == 114);
    CHECK(memcmp(out.data + 3 * 64 * 3, im.data + (3 * 64 + 30) * 3, 3) == 0);
    cpose_image_free(&out);
    /* moved 58 px: the box keeps only 2 px of width → dropped by box_candidates */
    one_instance(&l, (float[]){5, 5, 60, 60}, (float[]){10, 10, 2, 50, 10, 2, 62, 40, 1});
    const double M2[9] = {1, 0, -58, 0, 1, 0, 0, 0, 1};
    CHECK(cpose_aug_warp(&im, &l, M2, 1.0, 0, 64, 64, &out) == CPOSE_OK && l.n == 0);
    cpose_image_free(&out);
    cpose_aug_labels_free(&l);
    cpose_image_free(&im);
}

static void test_identity(void)
{
    struct cpose_aug_hyp h;
    cpose_aug_hyp_defaults(&h);
    h.degrees = 0, h.scale = 0, h.translate = 0, h.shear = 0, h.perspective = 0;
    struct cpose_rng rng;
    cpose_rng_seed(&rng, 1, 2, 3);
    double M[9], s;
    cpose_aug_perspective_matrix(&h, 64, 48, 0, 0, &rng, M, &s);
    const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    double err = 0;
    for (int i = 0; i < 9; i++) err = fmax(err, fabs(M[i] - I[i]));
    CHECK_MSG(err < 1e-12 && s == 1, "max |M − I| %g, scale %g", err, s);
    struct cpose_image im, out, out2;
    pattern(&im, 64, 48);
    struct cpose_aug_labels l = {0};
    const float box[4] = {3, 4, 50, 40}, kp[9] = {10, 11, 2, 20, 21, 1, 0, 0, 0};
    one_instance(&l, box, kp);
    CHECK(cpose_aug_warp(&im, &l, M, s, 0, 64, 48, &out) == CPOSE_OK);
    CHECK(l.n == 1 && !memcmp(l.boxes, box, sizeof box) && !memcmp(l.kpts, kp, sizeof kp));
    CHECK(out.w == 64 && out.h == 48 && !memcmp(out.data, im.data, 64 * 48 * 3));
    /* through OpenCV's warpAffine (not the shortcut): equal within rounding */
    double M1[9] = {1, 0, 1e-9, 0, 1, 0, 0, 0, 1};
    CHECK(cpose_aug_warp(&im, &l, M1, 1.0, 0, 64, 48, &out2) == CPOSE_OK);
    int maxd = 0;
    for (int i = 0; i < 64 * 48 * 3; i++) maxd = abs((int)out2.data[i] - im.data[i]) > maxd ? abs((int)out2.data[i] - im.data[i]) : maxd;
    CHECK_MSG(maxd <= 1, "max pixel difference %d", maxd);
    CHECK(fabsf(l.boxes[0] - 3) < 1e-6f && fabsf(l.kpts[3] - 20) < 1e-6f);
    cpose_image_free(&out);
    cpose_image_free(&out2);
    cpose_image_free(&im);
    cpose_aug_labels_free(&l);
}

static void test_hsv(void)
{
    struct cpose_image im, ref;
    pattern(&im, 16, 16);
    pattern(&ref, 16, 16);
    struct cpose_rng a, b;
    cpose_rng_seed(&a, 5, 0, 0);
    cpose_rng_seed(&b, 5, 0, 0);
    cpose_aug_hsv(&im, 0, 0, 0, &a);
    CHECK(!memcmp(im.data, ref.data, 16 * 16 * 3));
    CHECK(cpose_rng_next(&a) == cpose_rng_next(&b)); /* nothing drawn */
    /* v gain: r_v = 0.5 halves the value channel: a pure grey 200 becomes grey 100 */
    struct cpose_image g;
    cpose_image_new(&g, 4, 4, 3, 200);
    cpose_aug_hsv_apply(&g, (const double[]){1, 1, 0.5});
    CHECK_MSG(g.data[0] == 100 && g.data[1] == 100 && g.data[2] == 100, "%d %d %d", g.data[0], g.data[1], g.data[2]);
    cpose_aug_hsv(&im, 0.015, 0.7, 0.4, &a);
    CHECK(memcmp(im.data, ref.data, 16 * 16 * 3) != 0);
    cpose_image_free(&g);
    cpose_image_free(&im);
    cpose_image_free(&ref);
}

static void test_box_candidates(void)
{
    const float b1[4] = {0, 0, 10, 10};
    CHECK(cpose_box_candidate(b1, (float[]){0, 0, 10, 10}, 2, 100, 0.1) == 1);
    CHECK(cpose_box_candidate(b1, (float[]){0, 0, 2, 10}, 2, 100, 0.1) == 0);   /* width not > 2 */
    CHECK(cpose_box_candidate(b1, (float[]){0, 0, 10, 0.5f}, 2, 100, 0.1) == 0);
    CHECK(cpose_box_candidate(b1, (float[]){0, 0, 3, 3}, 2, 100, 0.1) == 0);    /* area 0.09 */
    CHECK(cpose_box_candidate(b1, (float[]){0, 0, 4, 4}, 2, 100, 0.1) == 1);    /* area 0.16 */
    const float wide[4] = {0, 0, 1000, 10};
    CHECK(cpose_box_candidate(wide, (float[]){0, 0, 1000, 9.9f}, 2, 100, 0.1) == 0); /* ratio 101 */
    CHECK(cpose_box_candidate(wide, (float[]){0, 0, 500, 10}, 2, 100, 0.1) == 1);    /* ratio 50 */
}

static void test_rng(void)
{
    struct cpose_rng a, b, c;
    cpose_rng_seed(&a, 0, 1, 2);
    cpose_rng_seed(&b, 0, 1, 2);
    cpose_rng_seed(&c, 0, 2, 1);
    int same = 1, diff = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = cpose_rng_next(&a), y = cpose_rng_next(&b), z = cpose_rng_next(&c);
        same &= x == y;
        diff += x != z;
    }
    CHECK(same && diff == 100);
    int lo = 0, in = 1;
    for (int i = 0; i < 1000; i++) {
        double u = cpose_rng_uniform(&a, -2, 3);
        in &= u >= -2 && u < 3;
        lo += u < 0.5;
        in &= cpose_rng_below(&a, 7) < 7;
    }
    CHECK(in && lo > 400 && lo < 600);
    struct cpose_aug_hyp h;
    cpose_aug_hyp_defaults(&h);
    CHECK(h.hsv_h == 0.015 && h.hsv_s == 0.7 && h.hsv_v == 0.4 && h.translate == 0.1 && h.scale == 0.5 &&
          h.fliplr == 0.5 && h.mosaic == 1.0 && h.degrees == 0 && h.flipud == 0);
    CHECK(cpose_aug_hyp_check(&h) == CPOSE_OK);
    h.fliplr = 1.5;
    CHECK(cpose_aug_hyp_check(&h) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "fliplr=1.5");
}

int main(void)
{
    test_fliplr();
    test_mosaic();
    test_outside_invisible();
    test_identity();
    test_hsv();
    test_box_candidates();
    test_rng();
    return tl_finish();
}
