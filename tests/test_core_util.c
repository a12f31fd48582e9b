/* tests/test_core_util.c — status messages, counted allocation, argument table parsing, atomic
 * writes, sha256, the image API (core/nn/image.h: read, write, letterbox pads, decode errors) and the
 * saturating float-to-integer conversions (core/base/num_convert.h). */
/* cpose-layer: nn */
#include "core/base/alloc.h"
#include "core/base/args.h"
#include "core/base/fsutil.h"
#include "core/base/num_convert.h"
#include "core/nn/image.h"
#include "tests/testlib.h"

#include <stdint.h>

static void test_args(void)
{
    struct cpose_args a;
    cpose_args_init(&a);
    char *argv[] = {"imgsz=320", "conf=0.5", "save_txt=True", "classes=[0, 2]"};
    CHECK(cpose_args_parse(&a, 4, argv, NULL, 0, NULL) == CPOSE_OK);
    CHECK(cpose_args_int(&a, "imgsz", 0) == 320);
    CHECK_NEAR(cpose_args_float(&a, "conf", 0.25), 0.5, 0);
    CHECK(cpose_args_bool(&a, "save_txt") == 1);
    CHECK(cpose_args_bool(&a, "save_conf") == 0);
    CHECK(cpose_args_int(&a, "max_det", 0) == 300);          /* Ultralytics default */
    CHECK_NEAR(cpose_args_float(&a, "iou", 0), 0.7, 1e-12);
    CHECK(cpose_args_is_none(&a, "line_width"));
    int64_t cls[4];
    CHECK(cpose_args_int_list(&a, "classes", cls, 4) == 2 && cls[0] == 0 && cls[1] == 2);

    char *bad_key[] = {"imgszz=320"};
    CHECK(cpose_args_parse(&a, 1, bad_key, NULL, 0, NULL) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "did you mean 'imgsz'");
    char *bad_val[] = {"epochs=ten"};
    CHECK(cpose_args_parse(&a, 1, bad_val, NULL, 0, NULL) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "epochs takes an integer");
    char *bad_bool[] = {"save=maybe"};
    CHECK(cpose_args_parse(&a, 1, bad_bool, NULL, 0, NULL) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "True or False");
    char *none[] = {"conf=None"};
    CHECK(cpose_args_parse(&a, 1, none, NULL, 0, NULL) == CPOSE_OK);
    CHECK_NEAR(cpose_args_float(&a, "conf", 0.25), 0.25, 0);
    cpose_args_free(&a);
}

static void test_alloc(void)
{
    size_t before = cpose_alloc_used();
    char *p = cpose_malloc(1000);
    CHECK(cpose_alloc_used() == before + 1000);
    p = cpose_realloc(p, 3000);
    CHECK(cpose_alloc_used() == before + 3000);
    cpose_free(p);
    CHECK(cpose_alloc_used() == before);
    cpose_free(NULL);
    struct cpose_vec v = CPOSE_VEC_INIT(int);
    for (int i = 0; i < 100; i++) cpose_vec_push(&v, &i);
    CHECK(v.len == 100 && CPOSE_VEC_AT(&v, int, 99) == 99);
    cpose_vec_free(&v);
    /* blocks large enough for the huge-page advice: counted the same, contents kept across growth */
    size_t big = (size_t)6 << 20;
    unsigned char *q = cpose_malloc(big);
    for (size_t i = 0; i < big; i += 4096) q[i] = (unsigned char)(i >> 12);
    q = cpose_realloc(q, 8 * big);
    CHECK(cpose_alloc_used() == before + 8 * big);
    int kept = 1;
    for (size_t i = 0; i < big; i += 4096) kept &= q[i] == (unsigned char)(i >> 12);
    CHECK(kept);
    q[8 * big - 1] = 7;
    CHECK(q[8 * big - 1] == 7);
    cpose_free(q);
    CHECK(cpose_alloc_used() == before);
    /* scratch arrays on huge pages: zeroed, 2 MiB-aligned from 256 KiB on, whole, counted, given back */
    static const size_t sizes[] = {1, 1000, (256 << 10) - 1, 256 << 10, (3 << 20) + 5};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        unsigned char *h = cpose_alloc_huge(n);
        int zero = 1;
        for (size_t i = 0; i < n; i++) zero &= h[i] == 0;
        CHECK_MSG(zero, "cpose_alloc_huge(%zu) is not zeroed", n);
        if (n >= (256 << 10)) {
            CHECK_MSG(((uintptr_t)h & ((2 << 20) - 1)) == 0, "cpose_alloc_huge(%zu) at %p: not 2 MiB-aligned", n, (void *)h);
            CHECK(cpose_alloc_used() == before + ((n + (2 << 20) - 1) & ~(size_t)((2 << 20) - 1)));
        } else {
            CHECK(cpose_alloc_used() == before + n);
        }
        memset(h, 0xab, n);
        CHECK(h[0] == 0xab && h[n - 1] == 0xab);
        cpose_free_huge(h, n);
        CHECK_MSG(cpose_alloc_used() == before, "cpose_free_huge(%zu) left %zu bytes counted", n,
                  cpose_alloc_used() - before);
    }
    cpose_free_huge(NULL, 1 << 20);
}

static void test_files(void)
{
    const char *dir = tl_tmpdir("util");
    char *sub = cpose_path_join(dir, "a/b/c");
    CHECK(cpose_mkdirs(sub) == CPOSE_OK && cpose_path_is_dir(sub));
    char *f = cpose_path_join(sub, "x.txt");
    CHECK(cpose_write_file_atomic(f, "abc", 3) == CPOSE_OK);
    char hex[65];
    CHECK(cpose_sha256_file(f, hex) == CPOSE_OK);
    /* sha256("abc") from FIPS 180-2 appendix B.1 */
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    char *stem = cpose_path_stem("/a/b/000000000036.jpg");
    CHECK(strcmp(stem, "000000000036") == 0);
    CHECK(strcmp(cpose_path_ext("x/y.tar.gz"), ".gz") == 0);
    char *r1 = cpose_increment_run_dir(dir, "predict", 0), *r2 = cpose_increment_run_dir(dir, "predict", 0);
    CHECK(r1 && r2 && strcmp(cpose_path_basename(r2), "predict2") == 0);
    char *missing = cpose_path_join(dir, "nope.txt");
    char *buf;
    CHECK(cpose_read_file(missing, &buf, NULL) == CPOSE_EIO);
    CHECK_CONTAINS(cpose_errmsg(), "nope.txt");
    cpose_remove_tree(dir);
    CHECK(!cpose_path_is_dir(dir));
    cpose_free(sub); cpose_free(f); cpose_free(stem); cpose_free(r1); cpose_free(r2); cpose_free(missing);
}

/* Odd padding on both axes: 61×41 into 128×96 without scaleup keeps the size (r = 1), so the
 * horizontal pad is 67 (dw = 33.5) and the vertical one 55 (dh = 27.5). Ultralytics' LetterBox
 * splits them with left = round(dw − 0.1), right = round(dw + 0.1) (and top/bottom likewise):
 * 33 left / 34 right, 27 top / 28 bottom — the smaller half on the left and the top. The pixels
 * say where the image landed, independent of what info reports. */
static void test_letterbox_odd_pads(void)
{
    struct cpose_image src, lb;
    struct cpose_letterbox info;
    CHECK(cpose_image_new(&src, 61, 41, 3, 200) == CPOSE_OK);
    CHECK(cpose_image_letterbox(&src, 128, 96, 0, 32, 0, &lb, &info) == CPOSE_OK);
    CHECK(lb.w == 128 && lb.h == 96);
    CHECK_NEAR(info.ratio, 1.0, 0);
    CHECK_NEAR(info.pad_w, 33.5, 1e-12);
    CHECK_NEAR(info.pad_h, 27.5, 1e-12);
    CHECK_MSG(info.left == 33 && info.top == 27, "left %d top %d, expected 33 and 27", info.left, info.top);
#define LB_PX(x, y) lb.data[((size_t)(y) * lb.w + (x)) * 3]
    const int y_mid = 27 + 20, x_mid = 33 + 30;
    CHECK(LB_PX(32, y_mid) == 114 && LB_PX(33, y_mid) == 200);           /* 33 pad columns on the left */
    CHECK(LB_PX(33 + 60, y_mid) == 200 && LB_PX(33 + 61, y_mid) == 114); /* 34 on the right */
    CHECK(LB_PX(x_mid, 26) == 114 && LB_PX(x_mid, 27) == 200);           /* 27 pad rows on top */
    CHECK(LB_PX(x_mid, 27 + 40) == 200 && LB_PX(x_mid, 27 + 41) == 114); /* 28 at the bottom */
#undef LB_PX
    cpose_image_free(&src);
    cpose_image_free(&lb);
}

static void test_image(void)
{
    const char *dir = tl_tmpdir("img");
    struct cpose_image img, back, lb;
    CHECK(cpose_image_new(&img, 64, 32, 3, 0) == CPOSE_OK);
    uint8_t red[3] = {0, 0, 255};
    cpose_draw_rect(&img, 8, 8, 20, 20, red, -1);
    char *png = cpose_path_join(dir, "a.png");
    CHECK(cpose_image_write(png, &img, 0) == CPOSE_OK);
    CHECK(cpose_image_read(png, &back) == CPOSE_OK);
    CHECK(back.w == 64 && back.h == 32 && back.data[(14 * 64 + 14) * 3 + 2] == 255);
    /* letterbox 64×32 into 128×128: r = 2, unpadded 128×64, pads 32 top and bottom */
    struct cpose_letterbox info;
    CHECK(cpose_image_letterbox(&back, 128, 128, 0, 32, 1, &lb, &info) == CPOSE_OK);
    CHECK(lb.w == 128 && lb.h == 128 && info.top == 32 && info.left == 0);
    CHECK_NEAR(info.ratio, 2.0, 1e-12);
    CHECK(lb.data[0] == 114);
    test_letterbox_odd_pads();
    char *bad = cpose_path_join(dir, "bad.jpg");
    cpose_write_file_atomic(bad, "not an image", 12);
    struct cpose_image x;
    CHECK(cpose_image_read(bad, &x) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "bad.jpg");
    CHECK_CONTAINS(cpose_errmsg(), "not a decodable image");
    /* a message may quote the previous one */
    cpose_err(CPOSE_EINVAL, "inner reason");
    cpose_err(CPOSE_EINVAL, "outer: %s", cpose_errmsg());
    CHECK(strcmp(cpose_errmsg(), "outer: inner reason") == 0);
    cpose_image_free(&img); cpose_image_free(&back); cpose_image_free(&lb);
    cpose_free(png); cpose_free(bad);
    cpose_remove_tree(dir);
}

/* Float-to-integer conversions of untrusted values: truncation inside the range, saturation outside
 * it, 0 for NaN (a plain cast of 1e34 gives INT64_MIN on x86, and is undefined). */
static void test_num_convert(void)
{
    CHECK(cpose_float_to_i64(2.9f) == 2 && cpose_float_to_i64(-2.9f) == -2 && cpose_float_to_i64(0.0f) == 0);
    CHECK(cpose_float_to_i64(1.36086e34f) == INT64_MAX && cpose_float_to_i64(-1e34f) == INT64_MIN);
    CHECK(cpose_float_to_i64(9.2233720368547758e18f) == INT64_MAX);
    CHECK(cpose_float_to_i64(4.0e18f) == (int64_t)4.0e18f);
    CHECK(cpose_float_to_i64(__builtin_nanf("")) == 0 && cpose_float_to_i64(__builtin_inff()) == INT64_MAX);
    CHECK(cpose_float_to_i32(2.0f) == 2 && cpose_float_to_i32(3e9f) == INT32_MAX && cpose_float_to_i32(-3e9f) == INT32_MIN);
    CHECK(cpose_float_to_i32(2147483520.0f) == 2147483520 && cpose_float_to_i32(-__builtin_inff()) == INT32_MIN);
    CHECK(cpose_float_to_i32(__builtin_nanf("")) == 0);
}

int main(void)
{
    test_num_convert();
    test_args();
    test_alloc();
    test_files();
    test_image();
    return tl_finish();
}
