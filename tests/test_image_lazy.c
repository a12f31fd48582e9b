/* tests/test_image_lazy.c — OpenCV is loaded only on the first image call: a fresh process that has
 * only made, filled and converted images (pure C) maps no libopencv; the first encode/decode maps it
 * and the round trip is exact. A child process started before that with CPOSE_CV_MODULE pointing
 * nowhere gets CPOSE_ENOTSUP with a message naming the path and the fix from every status call, and
 * drawing leaves the image unchanged without crashing. */
/* cpose-layer: nn */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "tests/testlib.h"

/* 1 when a libopencv file is mapped into this process. */
static int opencv_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, "libopencv") != NULL;
    fclose(f);
    return found;
}

/* The image operations done in C (no module): make, fill, convert to CHW, a write refused by name. */
static void pure_c_ops(struct cpose_image *img)
{
    const uint8_t blue[3] = {255, 0, 0};
    CHECK(cpose_image_new(img, 8, 6, 3, 10) == CPOSE_OK);
    cpose_fill_rect(img, 6, 5, 2, 1, blue);  /* corners in either order, inclusive */
    CHECK(img->data[(1 * 8 + 2) * 3] == 255 && img->data[(5 * 8 + 6) * 3] == 255);
    CHECK(img->data[(0 * 8 + 2) * 3] == 10 && img->data[(5 * 8 + 7) * 3] == 10);
    float chw[3 * 8 * 6];
    cpose_image_to_chw_rgb(img, chw);
    CHECK_NEAR(chw[2 * 48 + 1 * 8 + 2], 1.0, 1e-7);  /* B is the third plane */
    CHECK(cpose_image_write("noext", img, 0) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "has no extension");
}

/* In a child forked before any image call: the module path points nowhere. Exits with the result. */
static void missing_module_child(const char *dir)
{
    setenv("CPOSE_CV_MODULE", "/nonexistent/x.so", 1);
    struct cpose_image img, out;
    pure_c_ops(&img);
    char *file = cpose_path_join(dir, "some.png");
    CHECK(cpose_write_file_atomic(file, "\x89PNG not really", 15) == CPOSE_OK);
    CHECK(cpose_image_read(file, &out) == CPOSE_ENOTSUP);
    CHECK_CONTAINS(cpose_errmsg(), "cannot read image");
    CHECK_CONTAINS(cpose_errmsg(), "/nonexistent/x.so");
    CHECK_CONTAINS(cpose_errmsg(), "CPOSE_CV_MODULE");
    CHECK(out.data == NULL);
    CHECK(cpose_image_write(file, &img, 0) == CPOSE_ENOTSUP);
    CHECK_CONTAINS(cpose_errmsg(), "/nonexistent/x.so");
    struct cpose_letterbox info;
    CHECK(cpose_image_letterbox(&img, 16, 16, 0, 32, 1, &out, &info) == CPOSE_ENOTSUP);
    const char *version = "x", *path = "x";
    CHECK(cpose_image_backend(&version, &path) == CPOSE_ENOTSUP && !version && !path);
    /* no status to return: drawing does nothing (the error is logged once) */
    uint8_t *before = cpose_malloc(8 * 6 * 3);
    memcpy(before, img.data, 8 * 6 * 3);
    const uint8_t red[3] = {0, 0, 255};
    const int xy[6] = {0, 0, 7, 0, 7, 5};
    cpose_draw_line(&img, 0, 0, 7, 5, red, 1);
    cpose_draw_rect(&img, 1, 1, 5, 4, red, -1);
    cpose_draw_circle(&img, 4, 3, 2, red, 1);
    cpose_draw_text(&img, "a", 0, 5, 0.3, red, 1);
    cpose_draw_polygon(&img, xy, 3, red);
    cpose_draw_polyline(&img, xy, 3, 1, red, 1);
    cpose_image_bgr_to_hsv(&img);
    cpose_image_blur(&img, 3);
    int w = -1, h = -1, base = -1;
    cpose_text_size("abc", 1.0, 1, &w, &h, &base);
    CHECK(w == 0 && h == 0 && base == 0);
    CHECK(memcmp(before, img.data, 8 * 6 * 3) == 0);
    CHECK(opencv_mapped() == 0);
    cpose_free(before);
    cpose_free(file);
    cpose_image_free(&img);
    printf("child without the module: ");
    int rc = tl_finish();
    fflush(stdout);
    fflush(stderr);
    _exit(rc);  /* not exit(): the parent's atexit would remove the temporary folder */
}

int main(void)
{
    const char *dir = tl_tmpdir("imglazy");
    CHECK(opencv_mapped() == 0);  /* nothing linked pulls OpenCV in */

    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) missing_module_child(dir);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child without a module failed (status %d)", status);

    struct cpose_image img, back;
    pure_c_ops(&img);
    CHECK_MSG(opencv_mapped() == 0, "OpenCV mapped before any call that needs it");
    char *png = cpose_path_join(dir, "a.png");
    CHECK(cpose_image_write(png, &img, 0) == CPOSE_OK);
    CHECK_MSG(opencv_mapped() == 1, "OpenCV not mapped after encoding a PNG");
    char *data = NULL;
    size_t len = 0;
    CHECK(cpose_read_file(png, &data, &len) == CPOSE_OK);
    CHECK(cpose_image_decode(data, len, &back) == CPOSE_OK);
    CHECK(opencv_mapped() == 1);
    CHECK(back.w == 8 && back.h == 6 && back.c == 3 && memcmp(back.data, img.data, 8 * 6 * 3) == 0);
    const char *version = NULL, *path = NULL;
    CHECK(cpose_image_backend(&version, &path) == CPOSE_OK && version && path);
    CHECK_CONTAINS(path, "libcpose_cv.so");
    CHECK_MSG(version && version[0] >= '3' && version[0] <= '9', "OpenCV version '%s'", version ? version : "(null)");
    /* a corrupt file still gets today's message */
    struct cpose_image bad;
    CHECK(cpose_image_decode("garbage", 7, &bad) == CPOSE_EINVAL && bad.data == NULL);
    CHECK_CONTAINS(cpose_errmsg(), "not a decodable image");
    cpose_free(data);
    cpose_free(png);
    cpose_image_free(&img);
    cpose_image_free(&back);
    return tl_finish();
}
