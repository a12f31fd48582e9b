/* core/nn/image_cv.cpp — libcpose_cv.so, the OpenCV module behind core/nn/image.h: decode, encode to
 * memory, resize, pad, BGR↔HSV, warps, drawing and blur over imgcodecs/imgproc, offered as the
 * cpose_cv_ops table of core/nn/image_cv_abi.h. core/nn/image.c dlopens it on the first call that needs
 * OpenCV, so nothing else pays for loading OpenCV. It links only OpenCV and uses nothing of the
 * executable: pixels are allocated with the host's allocator, errors come back as a status plus a
 * message, and no C++ exception leaves an entry point. */
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "core/nn/image_cv_abi.h"
}

static const struct cpose_cv_host *g_host;
static std::string g_version;

static int fail(char *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, CPOSE_CV_ERR_SIZE, fmt, ap);
    va_end(ap);
    return rc;
}

/* Ends each entry point's try block: an exception becomes rc with "<message>: <what>". */
#define CV_CATCH(rc, ...)                                                         \
    catch (const std::exception &e) { return fail(err, rc, __VA_ARGS__, e.what()); } \
    catch (...) { return fail(err, rc, __VA_ARGS__, "unknown C++ exception"); }

/* Copies a Mat into a new image whose pixels come from the host's allocator. */
static void from_mat(const cv::Mat &m, struct cpose_image *out)
{
    cv::Mat c = m.isContinuous() ? m : m.clone();
    size_t n = (size_t)c.cols * c.rows * c.channels();
    out->w = c.cols;
    out->h = c.rows;
    out->c = c.channels();
    out->data = (uint8_t *)g_host->alloc(n ? n : 1);
    if (n) memcpy(out->data, c.data, n);
}

static cv::Mat as_mat(const struct cpose_image *img)
{
    return cv::Mat(img->h, img->w, CV_8UC(img->c), (void *)img->data);
}

static cv::Scalar col(const uint8_t bgr[3]) { return cv::Scalar(bgr[0], bgr[1], bgr[2]); }

static std::vector<std::vector<cv::Point>> contour(const int *xy, int n_points)
{
    std::vector<cv::Point> pts;
    for (int i = 0; i < n_points; i++) pts.emplace_back(xy[2 * i], xy[2 * i + 1]);
    return {pts};
}

static int cv_decode(const void *buf, size_t len, struct cpose_image *out, char *err)
{
    if (len > (size_t)INT_MAX)
        return fail(err, CPOSE_EINVAL, "image data of %zu bytes is over OpenCV's 2 GiB limit", len);
    try {
        cv::Mat raw(1, (int)len, CV_8UC1, (void *)buf);
        cv::Mat m = cv::imdecode(raw, cv::IMREAD_COLOR);
        if (m.empty()) return fail(err, CPOSE_EINVAL, "not a decodable image (corrupt or unsupported format)");
        from_mat(m, out);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "image decode failed: %s")
}

static int cv_encode(const struct cpose_image *img, const char *ext, int jpeg_quality, uint8_t **buf, size_t *len,
                     char *err)
{
    try {
        std::vector<int> params;
        if (jpeg_quality > 0) params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
        std::vector<uchar> enc;
        if (!cv::imencode(ext, as_mat(img), enc, params)) return fail(err, CPOSE_EIO, "%s", "");
        *len = enc.size();
        *buf = (uint8_t *)g_host->alloc(enc.size() ? enc.size() : 1);
        if (!enc.empty()) memcpy(*buf, enc.data(), enc.size());
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EIO, "%s")
}

static int cv_resize(const struct cpose_image *src, int w, int h, enum cpose_interp interp, struct cpose_image *dst,
                     char *err)
{
    try {
        cv::Mat out;
        cv::resize(as_mat(src), out, cv::Size(w, h), 0, 0, (int)interp);
        from_mat(out, dst);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "resize to %dx%d failed: %s", w, h)
}

static int cv_pad(const struct cpose_image *src, int top, int bottom, int left, int right, uint8_t value,
                  struct cpose_image *dst, char *err)
{
    try {
        cv::Mat out;
        cv::copyMakeBorder(as_mat(src), out, top, bottom, left, right, cv::BORDER_CONSTANT,
                           cv::Scalar(value, value, value));
        from_mat(out, dst);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "pad failed: %s")
}

static int cv_convert_hsv(struct cpose_image *img, int to_hsv, char *err)
{
    try {
        cv::Mat m = as_mat(img);
        cv::cvtColor(m, m, to_hsv ? cv::COLOR_BGR2HSV : cv::COLOR_HSV2BGR);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "%s conversion failed: %s", to_hsv ? "BGR to HSV" : "HSV to BGR")
}

static int cv_warp(const struct cpose_image *src, const double M[9], int perspective, int out_w, int out_h,
                   uint8_t border, struct cpose_image *dst, char *err)
{
    try {
        cv::Mat out;
        cv::Scalar b(border, border, border);
        if (perspective) {
            cv::Mat m(3, 3, CV_64F, (void *)M);
            cv::warpPerspective(as_mat(src), out, m, cv::Size(out_w, out_h), cv::INTER_LINEAR, cv::BORDER_CONSTANT, b);
        } else {
            cv::Mat m(2, 3, CV_64F, (void *)M);
            cv::warpAffine(as_mat(src), out, m, cv::Size(out_w, out_h), cv::INTER_LINEAR, cv::BORDER_CONSTANT, b);
        }
        from_mat(out, dst);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "warp failed: %s")
}

static int cv_line(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness,
                   char *err)
{
    try {
        cv::Mat m = as_mat(img);
        cv::line(m, cv::Point(x1, y1), cv::Point(x2, y2), col(bgr), thickness, cv::LINE_AA);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "drawing a line failed: %s")
}

static int cv_rect(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness,
                   char *err)
{
    try {
        cv::Mat m = as_mat(img);
        cv::rectangle(m, cv::Point(x1, y1), cv::Point(x2, y2), col(bgr), thickness, cv::LINE_AA);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "drawing a rectangle failed: %s")
}

static int cv_circle(struct cpose_image *img, int cx, int cy, int radius, const uint8_t bgr[3], int thickness,
                     char *err)
{
    try {
        cv::Mat m = as_mat(img);
        cv::circle(m, cv::Point(cx, cy), radius, col(bgr), thickness, cv::LINE_AA);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "drawing a circle failed: %s")
}

static int cv_text(struct cpose_image *img, const char *text, int x, int y, double font_scale, const uint8_t bgr[3],
                   int thickness, char *err)
{
    try {
        cv::Mat m = as_mat(img);
        cv::putText(m, text, cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, font_scale, col(bgr), thickness, cv::LINE_AA);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "drawing text failed: %s")
}

static int cv_text_size(const char *text, double font_scale, int thickness, int *w, int *h, int *baseline, char *err)
{
    try {
        int base = 0;
        cv::Size s = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font_scale, thickness, &base);
        *w = s.width;
        *h = s.height;
        *baseline = base;
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "measuring text failed: %s")
}

static int cv_polygon(struct cpose_image *img, const int *xy, int n_points, const uint8_t bgr[3], char *err)
{
    try {
        cv::Mat m = as_mat(img);
        cv::fillPoly(m, contour(xy, n_points), col(bgr), cv::LINE_AA);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "filling a polygon failed: %s")
}

static int cv_polyline(struct cpose_image *img, const int *xy, int n_points, int closed, const uint8_t bgr[3],
                       int thickness, char *err)
{
    if (n_points < 2) return CPOSE_OK;
    try {
        cv::Mat m = as_mat(img);
        cv::polylines(m, contour(xy, n_points), closed != 0, col(bgr), thickness, cv::LINE_AA);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "drawing a polyline failed: %s")
}

static int cv_blur(struct cpose_image *img, int ksize, char *err)
{
    try {
        cv::Mat m = as_mat(img);
        cv::GaussianBlur(m, m, cv::Size(ksize | 1, ksize | 1), 0);
        return CPOSE_OK;
    }
    CV_CATCH(CPOSE_EINVAL, "blur failed: %s")
}

static struct cpose_cv_ops g_ops = {
    CPOSE_CV_ABI, sizeof(struct cpose_cv_ops), NULL,
    cv_decode, cv_encode, cv_resize, cv_pad, cv_convert_hsv, cv_warp,
    cv_line, cv_rect, cv_circle, cv_text, cv_text_size, cv_polygon, cv_polyline, cv_blur,
};

extern "C" __attribute__((visibility("default"))) const struct cpose_cv_ops *
cpose_cv_entry(const struct cpose_cv_host *host, char *err)
{
    if (!host || host->abi_version != CPOSE_CV_ABI || host->struct_size < sizeof(struct cpose_cv_host)) {
        fail(err, CPOSE_EABI, "host table ABI %u (%u bytes), this module needs ABI %u (%zu bytes)",
             host ? host->abi_version : 0u, host ? host->struct_size : 0u, (unsigned)CPOSE_CV_ABI,
             sizeof(struct cpose_cv_host));
        return NULL;
    }
    try {
        g_version = cv::getVersionString();
    } catch (...) {
        g_version = CV_VERSION;
    }
    g_host = host;
    g_ops.version = g_version.c_str();
    return &g_ops;
}
