/* core/nn/image.h — images through a small C API over OpenCV (imgcodecs/imgproc; OpenCV 4 has no C
 * API of its own). core/nn/image.c implements it: the pure C parts there, the rest in the OpenCV module
 * libcpose_cv.so (core/nn/image_cv.cpp), which image.c loads on the first call that needs it, so a
 * process that never touches pixels never maps OpenCV. If the module cannot be loaded, the calls that
 * return a status fail with CPOSE_ENOTSUP and a message naming the paths tried and the fix; the drawing
 * calls (no status) log that once and leave the image as it is. Pixels are 8-bit, interleaved BGR
 * (c = 3) or gray (c = 1), row-major, stride w·c. */
#ifndef CPOSE_IMAGE_H
#define CPOSE_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "core/base/status.h"

struct cpose_image {
    int w, h, c;
    uint8_t *data; /* owned, w*h*c bytes; release with cpose_image_free */
};

enum cpose_interp { CPOSE_INTER_NEAREST = 0, CPOSE_INTER_LINEAR = 1, CPOSE_INTER_AREA = 3 };

/* Loads the OpenCV module if not yet loaded and reports the OpenCV version it runs on and the module's
 * file (either pointer may be NULL; the strings live as long as the process). CPOSE_ENOTSUP with the
 * loader's message (and both set to NULL) when the module is missing. */
CPOSE_API int cpose_image_backend(const char **version, const char **module_path);

/* Allocates a w×h×c image filled with `fill`. */
CPOSE_API int cpose_image_new(struct cpose_image *img, int w, int h, int c, uint8_t fill);
CPOSE_API void cpose_image_free(struct cpose_image *img); /* NULL-safe, idempotent */
/* Decodes a file (any format OpenCV reads) to BGR. A missing, unreadable, empty or corrupt file
 * is CPOSE_EIO / CPOSE_EINVAL with the file name and the reason. */
CPOSE_API int cpose_image_read(const char *path, struct cpose_image *out);
CPOSE_API int cpose_image_decode(const void *buf, size_t len, struct cpose_image *out);
/* Reads only the header: width and height without decoding the pixels when the codec allows. */
CPOSE_API int cpose_image_size(const char *path, int *w, int *h);
/* Encodes by the path's extension (.jpg/.png/.bmp ...), written atomically (temporary + rename).
 * jpeg_quality 0 means OpenCV's default (95). */
CPOSE_API int cpose_image_write(const char *path, const struct cpose_image *img, int jpeg_quality);

/* Resizes src into a new image dst (w×h) with the given interpolation. */
CPOSE_API int cpose_image_resize(const struct cpose_image *src, int w, int h, enum cpose_interp interp,
                                 struct cpose_image *dst);
/* Pads with a constant colour (copyMakeBorder BORDER_CONSTANT) into a new image dst. */
CPOSE_API int cpose_image_pad(const struct cpose_image *src, int top, int bottom, int left, int right,
                              uint8_t value, struct cpose_image *dst);
/* Converts BGR↔HSV (OpenCV's 8-bit convention: H in 0..179) in place. */
CPOSE_API void cpose_image_bgr_to_hsv(struct cpose_image *img);
CPOSE_API void cpose_image_hsv_to_bgr(struct cpose_image *img);
/* Affine/perspective warp (3×3 row-major matrix M, dst = M·src), border filled with `border`. */
CPOSE_API int cpose_image_warp(const struct cpose_image *src, const double M[9], int perspective, int out_w,
                               int out_h, uint8_t border, struct cpose_image *dst);

/* Ultralytics' LetterBox: scale to fit new_w×new_h keeping aspect (r = min(new/h, new/w), not
 * above 1 unless scaleup), resize with INTER_LINEAR when the size changes, then pad with 114 to
 * the target — or, with auto_pad, only to the next multiple of stride. Pads are split with
 * round(d ∓ 0.1) as Ultralytics does. Reports the ratio and the left/top pads (pixels). */
struct cpose_letterbox {
    double ratio;   /* resize ratio applied to the original */
    double pad_w, pad_h; /* dw, dh: half the padding (before rounding), as Ultralytics reports */
    int left, top;  /* actual pixel offsets */
};
CPOSE_API int cpose_image_letterbox(const struct cpose_image *src, int new_w, int new_h, int auto_pad, int stride,
                                    int scaleup, struct cpose_image *dst, struct cpose_letterbox *info);

/* Writes a BGR image as float32 CHW RGB in [0,1] into out (3·h·w floats). */
CPOSE_API void cpose_image_to_chw_rgb(const struct cpose_image *img, float *out);

/* Drawing (anti-aliased). Colours are BGR. */
CPOSE_API void cpose_draw_line(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness);
CPOSE_API void cpose_draw_rect(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness);
/* thickness -1 fills. */
CPOSE_API void cpose_draw_circle(struct cpose_image *img, int cx, int cy, int radius, const uint8_t bgr[3], int thickness);
/* Hershey simplex text with its baseline at (x, y). */
CPOSE_API void cpose_draw_text(struct cpose_image *img, const char *text, int x, int y, double font_scale,
                               const uint8_t bgr[3], int thickness);
/* Size of text as cpose_draw_text would draw it. */
CPOSE_API void cpose_text_size(const char *text, double font_scale, int thickness, int *w, int *h, int *baseline);
/* Fills a convex or simple polygon. */
CPOSE_API void cpose_draw_polygon(struct cpose_image *img, const int *xy, int n_points, const uint8_t bgr[3]);
/* An open (closed = 0) or closed polyline through n_points points (xy: x0, y0, x1, y1, ...). */
CPOSE_API void cpose_draw_polyline(struct cpose_image *img, const int *xy, int n_points, int closed, const uint8_t bgr[3],
                                   int thickness);
/* Sets every pixel of the rectangle [x1, x2] × [y1, y2] (inclusive, clipped to the image) to bgr,
 * without anti-aliasing: exact pixels for frames, backgrounds and borders. */
CPOSE_API void cpose_fill_rect(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3]);
/* Gaussian blur with an odd kernel size (used by the synthetic generator for texture). */
CPOSE_API void cpose_image_blur(struct cpose_image *img, int ksize);

#endif
