/* core/nn/image.c — core/nn/image.h: the pure C parts (allocation, file reading and atomic writing, the
 * letterbox arithmetic, CHW conversion, rectangle fills) and the loader of the OpenCV module
 * libcpose_cv.so (core/nn/image_cv.cpp, table in core/nn/image_cv_abi.h), which everything else is
 * forwarded to. The module is dlopened once, on the first call that needs OpenCV, so commands that never
 * touch pixels (eval, convert, version, ...) do not pay ≈0.15 s mapping OpenCV's dependencies.
 *
 * Where the module is looked for: $CPOSE_CV_MODULE alone when set (an explicit choice that fails is
 * reported, not replaced by another copy); otherwise the build tree's lib/cpose, then lib/cpose beside
 * the running executable's bin/ (a moved install), then the configured install prefix's — the plugin
 * loader's order. When it cannot be loaded, status-returning calls fail with CPOSE_ENOTSUP and a message
 * naming every path tried, dlerror()'s reason and the fix; drawing calls log that message once and
 * leave the image unchanged. */
#include "core/nn/image.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/nn/image_cv_abi.h"

/* Compile definitions (CMakeLists.txt); without them only $CPOSE_CV_MODULE and the executable's prefix
 * are searched. */
#ifndef CPOSE_CV_BUILD_PATH
#define CPOSE_CV_BUILD_PATH ""
#endif
#ifndef CPOSE_CV_INSTALL_PATH
#define CPOSE_CV_INSTALL_PATH ""
#endif

static const struct cpose_cv_host g_host = {CPOSE_CV_ABI, sizeof(struct cpose_cv_host), cpose_malloc, cpose_free};
static pthread_once_t g_load_once = PTHREAD_ONCE_INIT;
static pthread_once_t g_log_once = PTHREAD_ONCE_INIT;
static const struct cpose_cv_ops *g_ops;  /* set once by cv_load; NULL when the module is missing */
static char g_path[4096];                 /* the file loaded */
static char g_load_msg[8192];             /* why it was not, when g_ops is NULL */

static void appendf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t size, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
}

/* Tries one file; on failure appends "path (reason)" to tried and returns NULL. */
static const struct cpose_cv_ops *try_module(const char *path, char *tried, size_t size)
{
    const char *sep = *tried ? "; " : "";
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        size_t n = strlen(path);
        if (why && strncmp(why, path, n) == 0 && why[n] == ':') why += n + 1 + (why[n + 1] == ' ');
        appendf(tried, size, "%s%s (%s)", sep, path, why ? why : "dlopen failed");
        return NULL;
    }
    cpose_cv_entry_fn entry;
    *(void **)&entry = dlsym(h, CPOSE_CV_ENTRY_NAME);
    if (!entry) {
        appendf(tried, size, "%s%s (no entry symbol %s(): not a cpose OpenCV module)", sep, path, CPOSE_CV_ENTRY_NAME);
        dlclose(h);
        return NULL;
    }
    char err[CPOSE_CV_ERR_SIZE] = "";
    const struct cpose_cv_ops *ops = entry(&g_host, err);
    if (!ops || ops->abi_version != CPOSE_CV_ABI || ops->struct_size < sizeof(struct cpose_cv_ops)) {
        if (ops)
            snprintf(err, sizeof err, "module ABI %u (%u bytes), cpose needs ABI %u (%zu bytes): a stale build",
                     ops->abi_version, ops->struct_size, (unsigned)CPOSE_CV_ABI, sizeof(struct cpose_cv_ops));
        appendf(tried, size, "%s%s (%s)", sep, path, err);
        dlclose(h);  /* nothing of it is referenced: the entry point keeps no state the host sees */
        return NULL;
    }
    return ops;
}

/* The installed module next to the running executable (<prefix>/bin/cpose → <prefix>/lib/cpose), so an
 * installed tree still works after it is moved; "" when /proc/self/exe is unreadable. */
static void exe_relative(char *out, size_t size)
{
    char exe[4096];
    *out = 0;
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return;
    exe[len] = 0;
    char *bin = cpose_path_dirname(exe), *prefix = cpose_path_dirname(bin);
    snprintf(out, size, "%s/lib/cpose/%s", prefix, CPOSE_CV_MODULE_FILE);
    cpose_free(prefix);
    cpose_free(bin);
}

static void cv_load(void)
{
    char tried[6144] = "", beside_exe[4200];
    exe_relative(beside_exe, sizeof beside_exe);
    const char *candidates[3] = {CPOSE_CV_BUILD_PATH, beside_exe, CPOSE_CV_INSTALL_PATH};
    const char *env = getenv("CPOSE_CV_MODULE");
    if (env && *env) {
        if ((g_ops = try_module(env, tried, sizeof tried)) != NULL) {
            snprintf(g_path, sizeof g_path, "%s", env);
            return;
        }
        snprintf(g_load_msg, sizeof g_load_msg,
                 "the OpenCV image module could not be loaded from CPOSE_CV_MODULE: tried %s. Point CPOSE_CV_MODULE at "
                 "a built %s, or unset it to search %s%s%s",
                 tried, CPOSE_CV_MODULE_FILE, candidates[0], *candidates[0] ? ", " : "", candidates[2]);
        return;
    }
    for (int i = 0; i < 3; i++) {
        int seen = !*candidates[i];
        for (int j = 0; j < i && !seen; j++) seen = strcmp(candidates[i], candidates[j]) == 0;
        if (seen) continue;
        if ((g_ops = try_module(candidates[i], tried, sizeof tried)) != NULL) {
            snprintf(g_path, sizeof g_path, "%s", candidates[i]);
            return;
        }
    }
    snprintf(g_load_msg, sizeof g_load_msg,
             "the OpenCV image module could not be loaded: tried %s. Rebuild cpose (bash scripts/build.sh builds "
             "lib/cpose/%s in the build tree; cmake --install puts it in <prefix>/lib/cpose), or set CPOSE_CV_MODULE "
             "to the path of a built %s",
             *tried ? tried : "no path", CPOSE_CV_MODULE_FILE, CPOSE_CV_MODULE_FILE);
}

static const struct cpose_cv_ops *cv_ops(void)
{
    pthread_once(&g_load_once, cv_load);
    return g_ops;
}

/* The status every image call returns when the module is missing. */
static int cv_missing(void) { return cpose_err(CPOSE_ENOTSUP, "%s", g_load_msg); }

static void log_missing(void)
{
    cpose_log(CPOSE_LOG_ERROR, "%s (drawing, text and colour conversion are skipped)", g_load_msg);
}

/* For calls without a status (drawing, in-place colour conversion): the ops, or NULL after logging
 * the load failure once per process. */
static const struct cpose_cv_ops *cv_ops_or_log(void)
{
    const struct cpose_cv_ops *ops = cv_ops();
    if (!ops) pthread_once(&g_log_once, log_missing);
    return ops;
}

/* A module op's failure in a call without a status: a warning, the image left as it is. */
static void warn_failed(int rc, const char *err)
{
    if (rc) cpose_warn("%s", err);
}

int cpose_image_backend(const char **version, const char **module_path)
{
    const struct cpose_cv_ops *ops = cv_ops();
    if (version) *version = ops ? ops->version : NULL;
    if (module_path) *module_path = ops ? g_path : NULL;
    return ops ? CPOSE_OK : cv_missing();
}

int cpose_image_new(struct cpose_image *img, int w, int h, int c, uint8_t fill)
{
    if (w <= 0 || h <= 0 || (c != 1 && c != 3)) return cpose_err(CPOSE_EINVAL, "invalid image size %dx%dx%d", w, h, c);
    img->w = w, img->h = h, img->c = c;
    img->data = cpose_malloc((size_t)w * h * c);
    memset(img->data, fill, (size_t)w * h * c);
    return CPOSE_OK;
}

void cpose_image_free(struct cpose_image *img)
{
    if (!img) return;
    cpose_free(img->data);
    img->data = NULL;
    img->w = img->h = img->c = 0;
}

int cpose_image_decode(const void *buf, size_t len, struct cpose_image *out)
{
    memset(out, 0, sizeof *out);
    if (!len) return cpose_err(CPOSE_EINVAL, "empty image data");
    const struct cpose_cv_ops *ops = cv_ops();
    if (!ops) return cv_missing();
    char err[CPOSE_CV_ERR_SIZE] = "";
    int rc = ops->decode(buf, len, out, err);
    return rc ? cpose_err(rc, "%s", err) : CPOSE_OK;
}

int cpose_image_read(const char *path, struct cpose_image *out)
{
    memset(out, 0, sizeof *out);
    char *data = NULL;
    size_t len = 0;
    int rc = cpose_read_file(path, &data, &len);
    if (rc) return rc;
    if (len == 0) {
        cpose_free(data);
        return cpose_err(CPOSE_EINVAL, "image '%s' is empty (0 bytes)", path);
    }
    rc = cpose_image_decode(data, len, out);
    cpose_free(data);
    if (rc) {
        char *reason = cpose_strdup(cpose_errmsg()); /* copy: cpose_err formats into the same buffer */
        rc = cpose_err(rc, "cannot read image '%s': %s", path, reason);
        cpose_free(reason);
    }
    return rc;
}

int cpose_image_size(const char *path, int *w, int *h)
{
    struct cpose_image img;
    int rc = cpose_image_read(path, &img);
    if (rc) return rc;
    *w = img.w;
    *h = img.h;
    cpose_image_free(&img);
    return CPOSE_OK;
}

int cpose_image_write(const char *path, const struct cpose_image *img, int jpeg_quality)
{
    const char *ext = cpose_path_ext(path);
    if (!*ext) return cpose_err(CPOSE_EINVAL, "cannot write image '%s': the name has no extension", path);
    const struct cpose_cv_ops *ops = cv_ops();
    if (!ops) return cpose_err(CPOSE_ENOTSUP, "cannot write image '%s': %s", path, g_load_msg);
    char err[CPOSE_CV_ERR_SIZE] = "";
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = ops->encode(img, ext, jpeg_quality, &buf, &len, err);
    if (rc) return *err ? cpose_err(rc, "cannot write image '%s': %s", path, err)
                        : cpose_err(rc, "cannot encode image '%s'", path);
    rc = cpose_write_file_atomic(path, buf, len);
    cpose_free(buf);
    return rc;
}

int cpose_image_resize(const struct cpose_image *src, int w, int h, enum cpose_interp interp, struct cpose_image *dst)
{
    const struct cpose_cv_ops *ops = cv_ops();
    if (!ops) return cv_missing();
    char err[CPOSE_CV_ERR_SIZE] = "";
    int rc = ops->resize(src, w, h, interp, dst, err);
    return rc ? cpose_err(rc, "%s", err) : CPOSE_OK;
}

int cpose_image_pad(const struct cpose_image *src, int top, int bottom, int left, int right, uint8_t value,
                    struct cpose_image *dst)
{
    const struct cpose_cv_ops *ops = cv_ops();
    if (!ops) return cv_missing();
    char err[CPOSE_CV_ERR_SIZE] = "";
    int rc = ops->pad(src, top, bottom, left, right, value, dst, err);
    return rc ? cpose_err(rc, "%s", err) : CPOSE_OK;
}

void cpose_image_bgr_to_hsv(struct cpose_image *img)
{
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    if (ops) warn_failed(ops->convert_hsv(img, 1, err), err);
}

void cpose_image_hsv_to_bgr(struct cpose_image *img)
{
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    if (ops) warn_failed(ops->convert_hsv(img, 0, err), err);
}

int cpose_image_warp(const struct cpose_image *src, const double M[9], int perspective, int out_w, int out_h,
                     uint8_t border, struct cpose_image *dst)
{
    const struct cpose_cv_ops *ops = cv_ops();
    if (!ops) return cv_missing();
    char err[CPOSE_CV_ERR_SIZE] = "";
    int rc = ops->warp(src, M, perspective, out_w, out_h, border, dst, err);
    return rc ? cpose_err(rc, "%s", err) : CPOSE_OK;
}

int cpose_image_letterbox(const struct cpose_image *src, int new_w, int new_h, int auto_pad, int stride, int scaleup,
                          struct cpose_image *dst, struct cpose_letterbox *info)
{
    double rh = (double)new_h / src->h, rw = (double)new_w / src->w;
    double r = rw < rh ? rw : rh;
    if (!scaleup && 1.0 < r) r = 1.0;
    int unpad_w = (int)lround(src->w * r), unpad_h = (int)lround(src->h * r);
    double dw = new_w - unpad_w, dh = new_h - unpad_h;
    if (auto_pad) {
        dw = fmod(dw, (double)stride);
        dh = fmod(dh, (double)stride);
    }
    dw /= 2;
    dh /= 2;
    struct cpose_image resized = {0, 0, 0, NULL};
    const struct cpose_image *from = src;
    if (unpad_w != src->w || unpad_h != src->h) {
        int rc = cpose_image_resize(src, unpad_w, unpad_h, CPOSE_INTER_LINEAR, &resized);
        if (rc) return rc;
        from = &resized;
    }
    /* Python's round() is half-to-even; these values are never exact halves after ∓0.1. */
    int top = (int)lround(dh - 0.1), bottom = (int)lround(dh + 0.1);
    int left = (int)lround(dw - 0.1), right = (int)lround(dw + 0.1);
    int rc = cpose_image_pad(from, top, bottom, left, right, 114, dst);
    cpose_image_free(&resized);
    if (rc) return rc;
    if (info) {
        info->ratio = r;
        info->pad_w = dw;
        info->pad_h = dh;
        info->left = left;
        info->top = top;
    }
    return CPOSE_OK;
}

void cpose_image_to_chw_rgb(const struct cpose_image *img, float *out)
{
    size_t plane = (size_t)img->w * img->h;
    const uint8_t *p = img->data;
    for (size_t i = 0; i < plane; i++) {
        out[i] = p[3 * i + 2] / 255.0f;
        out[plane + i] = p[3 * i + 1] / 255.0f;
        out[2 * plane + i] = p[3 * i] / 255.0f;
    }
}

void cpose_draw_line(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness)
{
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    if (ops) warn_failed(ops->line(img, x1, y1, x2, y2, bgr, thickness, err), err);
}

void cpose_draw_rect(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness)
{
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    if (ops) warn_failed(ops->rect(img, x1, y1, x2, y2, bgr, thickness, err), err);
}

void cpose_draw_circle(struct cpose_image *img, int cx, int cy, int radius, const uint8_t bgr[3], int thickness)
{
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    if (ops) warn_failed(ops->circle(img, cx, cy, radius, bgr, thickness, err), err);
}

void cpose_draw_text(struct cpose_image *img, const char *text, int x, int y, double font_scale, const uint8_t bgr[3],
                     int thickness)
{
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    if (ops) warn_failed(ops->text(img, text, x, y, font_scale, bgr, thickness, err), err);
}

void cpose_text_size(const char *text, double font_scale, int thickness, int *w, int *h, int *baseline)
{
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    int base = 0, rc = CPOSE_ENOTSUP;
    *w = *h = 0;
    if (ops && (rc = ops->text_size(text, font_scale, thickness, w, h, &base, err)) != CPOSE_OK) {
        warn_failed(rc, err);
        *w = *h = base = 0;
    }
    if (baseline) *baseline = base;
}

void cpose_draw_polygon(struct cpose_image *img, const int *xy, int n_points, const uint8_t bgr[3])
{
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    if (ops) warn_failed(ops->polygon(img, xy, n_points, bgr, err), err);
}

void cpose_draw_polyline(struct cpose_image *img, const int *xy, int n_points, int closed, const uint8_t bgr[3],
                         int thickness)
{
    if (n_points < 2) return;
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    if (ops) warn_failed(ops->polyline(img, xy, n_points, closed, bgr, thickness, err), err);
}

void cpose_fill_rect(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3])
{
    if (x1 > x2) { int t = x1; x1 = x2; x2 = t; }
    if (y1 > y2) { int t = y1; y1 = y2; y2 = t; }
    if (x1 < 0) x1 = 0;
    if (y1 < 0) y1 = 0;
    if (x2 > img->w - 1) x2 = img->w - 1;
    if (y2 > img->h - 1) y2 = img->h - 1;
    if (x1 > x2 || y1 > y2) return;
    int c = img->c;
    for (int y = y1; y <= y2; y++) {
        uint8_t *p = img->data + ((size_t)y * img->w + x1) * c;
        for (int x = x1; x <= x2; x++, p += c)
            for (int k = 0; k < c; k++) p[k] = bgr[k];
    }
}

void cpose_image_blur(struct cpose_image *img, int ksize)
{
    const struct cpose_cv_ops *ops = cv_ops_or_log();
    char err[CPOSE_CV_ERR_SIZE] = "";
    if (ops) warn_failed(ops->blur(img, ksize, err), err);
}
