/* core/nn/image_cv_abi.h — the table between core/nn/image.c and the OpenCV module libcpose_cv.so
 * (core/nn/image_cv.cpp), which image.c dlopens on the first image call so that a process which never
 * decodes, resizes or draws never maps OpenCV and its ~120 dependencies.
 *
 * The module links only OpenCV and the C++ runtime, never the executable: image.c hands it a
 * cpose_cv_host (the allocator for pixel and encode buffers, so that callers release them with
 * cpose_free/cpose_image_free as always) and gets back a cpose_cv_ops table from the one exported
 * symbol, cpose_cv_entry. Both sides check abi_version (equal) and struct_size (at least their own
 * sizeof). Rules for changing it: add members at the end and bump CPOSE_CV_ABI when a member's
 * meaning or signature changes.
 *
 * Every op returns CPOSE_OK or a cpose_status; on failure it writes a message (without the file
 * name, which only the caller knows) into err, a buffer of CPOSE_CV_ERR_SIZE bytes, NUL-terminated.
 * No C++ exception crosses the table. Images are core/nn/image.h's: 8-bit, interleaved, stride w·c. */
#ifndef CPOSE_IMAGE_CV_ABI_H
#define CPOSE_IMAGE_CV_ABI_H

#include <stddef.h>
#include <stdint.h>
#include "core/nn/image.h"

#define CPOSE_CV_ABI 1
#define CPOSE_CV_ENTRY_NAME "cpose_cv_entry"
#define CPOSE_CV_ERR_SIZE 512
/* The module's file name; the folder is the build tree's or the install prefix's lib/cpose. */
#define CPOSE_CV_MODULE_FILE "libcpose_cv.so"

/* What the host gives the module. alloc never returns NULL (cpose_malloc aborts on OOM). */
struct cpose_cv_host {
    uint32_t abi_version; /* CPOSE_CV_ABI */
    uint32_t struct_size; /* sizeof(struct cpose_cv_host) */
    void *(*alloc)(size_t n);
    void (*free)(void *p);
};

/* What the module gives back. Output images (out, dst) are new: their pixels come from host->alloc. */
struct cpose_cv_ops {
    uint32_t abi_version; /* CPOSE_CV_ABI */
    uint32_t struct_size; /* sizeof(struct cpose_cv_ops) */
    const char *version;  /* the OpenCV library's own version string, read at run time */

    /* Decodes an encoded image (any format imgcodecs reads) to 3-channel BGR. */
    int (*decode)(const void *buf, size_t len, struct cpose_image *out, char *err);
    /* Encodes by extension (".png", ".jpg", ...); jpeg_quality 0 keeps OpenCV's default. *buf comes
     * from host->alloc. An encoder that declines (imencode false) returns CPOSE_EIO with err "". */
    int (*encode)(const struct cpose_image *img, const char *ext, int jpeg_quality, uint8_t **buf, size_t *len,
                  char *err);
    int (*resize)(const struct cpose_image *src, int w, int h, enum cpose_interp interp, struct cpose_image *dst,
                  char *err);
    int (*pad)(const struct cpose_image *src, int top, int bottom, int left, int right, uint8_t value,
               struct cpose_image *dst, char *err);
    /* In place; to_hsv 1: BGR→HSV, 0: HSV→BGR. */
    int (*convert_hsv)(struct cpose_image *img, int to_hsv, char *err);
    int (*warp)(const struct cpose_image *src, const double M[9], int perspective, int out_w, int out_h, uint8_t border,
                struct cpose_image *dst, char *err);

    /* Drawing, in place, anti-aliased; the arguments are those of core/nn/image.h's cpose_draw_*. */
    int (*line)(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness,
                char *err);
    int (*rect)(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness,
                char *err);
    int (*circle)(struct cpose_image *img, int cx, int cy, int radius, const uint8_t bgr[3], int thickness, char *err);
    int (*text)(struct cpose_image *img, const char *text, int x, int y, double font_scale, const uint8_t bgr[3],
                int thickness, char *err);
    int (*text_size)(const char *text, double font_scale, int thickness, int *w, int *h, int *baseline, char *err);
    int (*polygon)(struct cpose_image *img, const int *xy, int n_points, const uint8_t bgr[3], char *err);
    int (*polyline)(struct cpose_image *img, const int *xy, int n_points, int closed, const uint8_t bgr[3],
                    int thickness, char *err);
    int (*blur)(struct cpose_image *img, int ksize, char *err);
};

/* The module's one exported symbol. Returns NULL (and a message in err) when host is unusable, e.g.
 * an older host's smaller struct. The table is static: valid for the life of the process. */
typedef const struct cpose_cv_ops *(*cpose_cv_entry_fn)(const struct cpose_cv_host *host, char *err);

#endif
