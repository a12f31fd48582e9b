/* core/nn/image_cv.cpp — the C shim over OpenCV's imgcodecs/imgproc behind core/nn/image.h. No C++
 * exception crosses into C: each entry point catches and turns it into a cpose status. */
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>
#include <unistd.h>
#include <sys/stat.h>

extern "C" {
#include "core/nn/image.h"
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
}

static int from_mat(const cv::Mat &m, struct cpose_image *out)
{
    cv::Mat c = m.isContinuous() ? m : m.clone();
    out->w = c.cols;
    out->h = c.rows;
    out->c = c.channels();
    size_t n = (size_t)c.cols * c.rows * c.channels();
    out->data = (uint8_t *)cpose_malloc(n ? n : 1);
    memcpy(out->data, c.data, n);
    return CPOSE_OK;
}

static cv::Mat as_mat(const struct cpose_image *img)
{
    return cv::Mat(img->h, img->w, CV_8UC(img->c), (void *)img->data);
}

extern "C" int cpose_image_new(struct cpose_image *img, int w, int h, int c, uint8_t fill)
{
    if (w <= 0 || h <= 0 || (c != 1 && c != 3))
        return cpose_err(CPOSE_EINVAL, "invalid image size %dx%dx%d", w, h, c);
    img->w = w, img->h = h, img->c = c;
    img->data = (uint8_t *)cpose_malloc((size_t)w * h * c);
    memset(img->data, fill, (size_t)w * h * c);
    return CPOSE_OK;
}

extern "C" void cpose_image_free(struct cpose_image *img)
{
    if (!img) return;
    cpose_free(img->data);
    img->data = NULL;
    img->w = img->h = img->c = 0;
}

extern "C" int cpose_image_decode(const void *buf, size_t len, struct cpose_image *out)
{
    memset(out, 0, sizeof *out);
    if (!len) return cpose_err(CPOSE_EINVAL, "empty image data");
    try {
        cv::Mat raw(1, (int)len, CV_8UC1, (void *)buf);
        cv::Mat m = cv::imdecode(raw, cv::IMREAD_COLOR);
        if (m.empty()) return cpose_err(CPOSE_EINVAL, "not a decodable image (corrupt or unsupported format)");
        return from_mat(m, out);
    } catch (const std::exception &e) {
        return cpose_err(CPOSE_EINVAL, "image decode failed: %s", e.what());
    }
}

extern "C" int cpose_image_read(const char *path, struct cpose_image *out)
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
        std::string reason = cpose_errmsg(); /* copy: cpose_err formats into the same buffer */
        return cpose_err(rc, "cannot read image '%s': %s", path, reason.c_str());
    }
    return CPOSE_OK;
}

extern "C" int cpose_image_size(const char *path, int *w, int *h)
{
    struct cpose_image img;
    int rc = cpose_image_read(path, &img);
    if (rc) return rc;
    *w = img.w;
    *h = img.h;
    cpose_image_free(&img);
    return CPOSE_OK;
}

extern "C" int cpose_image_write(const char *path, const struct cpose_image *img, int jpeg_quality)
{
    try {
        std::vector<int> params;
        if (jpeg_quality > 0) params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
        std::vector<uchar> buf;
        const char *ext = cpose_path_ext(path);
        if (!*ext) return cpose_err(CPOSE_EINVAL, "cannot write image '%s': the name has no extension", path);
        if (!cv::imencode(ext, as_mat(img), buf, params))
            return cpose_err(CPOSE_EIO, "cannot encode image '%s'", path);
        return cpose_write_file_atomic(path, buf.data(), buf.size());
    } catch (const std::exception &e) {
        return cpose_err(CPOSE_EIO, "cannot write image '%s': %s", path, e.what());
    }
}

extern "C" int cpose_image_resize(const struct cpose_image *src, int w, int h, enum cpose_interp interp,
                                  struct cpose_image *dst)
{
    try {
        cv::Mat out;
        cv::resize(as_mat(src), out, cv::Size(w, h), 0, 0, (int)interp);
        return from_mat(out, dst);
    } catch (const std::exception &e) {
        return cpose_err(CPOSE_EINVAL, "resize to %dx%d failed: %s", w, h, e.what());
    }
}

extern "C" int cpose_image_pad(const struct cpose_image *src, int top, int bottom, int left, int right,
                               uint8_t value, struct cpose_image *dst)
{
    try {
        cv::Mat out;
        cv::copyMakeBorder(as_mat(src), out, top, bottom, left, right, cv::BORDER_CONSTANT,
                           cv::Scalar(value, value, value));
        return from_mat(out, dst);
    } catch (const std::exception &e) {
        return cpose_err(CPOSE_EINVAL, "pad failed: %s", e.what());
    }
}

extern "C" void cpose_image_bgr_to_hsv(struct cpose_image *img)
{
    cv::Mat m = as_mat(img);
    cv::cvtColor(m, m, cv::COLOR_BGR2HSV);
}

extern "C" void cpose_image_hsv_to_bgr(struct cpose_image *img)
{
    cv::Mat m = as_mat(img);
    cv::cvtColor(m, m, cv::COLOR_HSV2BGR);
}

extern "C" int cpose_image_warp(const struct cpose_image *src, const double M[9], int perspective, int out_w,
                                int out_h, uint8_t border, struct cpose_image *dst)
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
        return from_mat(out, dst);
    } catch (const std::exception &e) {
        return cpose_err(CPOSE_EINVAL, "warp failed: %s", e.what());
    }
}

extern "C" int cpose_image_letterbox(const struct cpose_image *src, int new_w, int new_h, int auto_pad, int stride,
                                     int scaleup, struct cpose_image *dst, struct cpose_letterbox *info)
{
    double r = std::min((double)new_h / src->h, (double)new_w / src->w);
    if (!scaleup) r = std::min(r, 1.0);
    int unpad_w = (int)std::lround(src->w * r), unpad_h = (int)std::lround(src->h * r);
    double dw = new_w - unpad_w, dh = new_h - unpad_h;
    if (auto_pad) {
        dw = std::fmod(dw, (double)stride);
        dh = std::fmod(dh, (double)stride);
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
    int top = (int)std::lround(dh - 0.1), bottom = (int)std::lround(dh + 0.1);
    int left = (int)std::lround(dw - 0.1), right = (int)std::lround(dw + 0.1);
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

extern "C" void cpose_image_to_chw_rgb(const struct cpose_image *img, float *out)
{
    size_t plane = (size_t)img->w * img->h;
    const uint8_t *p = img->data;
    for (size_t i = 0; i < plane; i++) {
        out[i] = p[3 * i + 2] / 255.0f;
        out[plane + i] = p[3 * i + 1] / 255.0f;
        out[2 * plane + i] = p[3 * i] / 255.0f;
    }
}

static cv::Scalar col(const uint8_t bgr[3]) { return cv::Scalar(bgr[0], bgr[1], bgr[2]); }

extern "C" void cpose_draw_line(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness)
{
    cv::Mat m = as_mat(img);
    cv::line(m, cv::Point(x1, y1), cv::Point(x2, y2), col(bgr), thickness, cv::LINE_AA);
}

extern "C" void cpose_draw_rect(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3], int thickness)
{
    cv::Mat m = as_mat(img);
    cv::rectangle(m, cv::Point(x1, y1), cv::Point(x2, y2), col(bgr), thickness, cv::LINE_AA);
}

extern "C" void cpose_draw_circle(struct cpose_image *img, int cx, int cy, int radius, const uint8_t bgr[3], int thickness)
{
    cv::Mat m = as_mat(img);
    cv::circle(m, cv::Point(cx, cy), radius, col(bgr), thickness, cv::LINE_AA);
}

extern "C" void cpose_draw_text(struct cpose_image *img, const char *text, int x, int y, double font_scale,
                                const uint8_t bgr[3], int thickness)
{
    cv::Mat m = as_mat(img);
    cv::putText(m, text, cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, font_scale, col(bgr), thickness, cv::LINE_AA);
}

extern "C" void cpose_text_size(const char *text, double font_scale, int thickness, int *w, int *h, int *baseline)
{
    int base = 0;
    cv::Size s = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font_scale, thickness, &base);
    *w = s.width;
    *h = s.height;
    if (baseline) *baseline = base;
}

extern "C" void cpose_draw_polygon(struct cpose_image *img, const int *xy, int n_points, const uint8_t bgr[3])
{
    cv::Mat m = as_mat(img);
    std::vector<cv::Point> pts;
    for (int i = 0; i < n_points; i++) pts.emplace_back(xy[2 * i], xy[2 * i + 1]);
    cv::fillPoly(m, std::vector<std::vector<cv::Point>>{pts}, col(bgr), cv::LINE_AA);
}

extern "C" void cpose_draw_polyline(struct cpose_image *img, const int *xy, int n_points, int closed,
                                    const uint8_t bgr[3], int thickness)
{
    if (n_points < 2) return;
    cv::Mat m = as_mat(img);
    std::vector<cv::Point> pts;
    for (int i = 0; i < n_points; i++) pts.emplace_back(xy[2 * i], xy[2 * i + 1]);
    cv::polylines(m, std::vector<std::vector<cv::Point>>{pts}, closed != 0, col(bgr), thickness, cv::LINE_AA);
}

extern "C" void cpose_fill_rect(struct cpose_image *img, int x1, int y1, int x2, int y2, const uint8_t bgr[3])
{
    if (x1 > x2) std::swap(x1, x2);
    if (y1 > y2) std::swap(y1, y2);
    x1 = std::max(x1, 0), y1 = std::max(y1, 0);
    x2 = std::min(x2, img->w - 1), y2 = std::min(y2, img->h - 1);
    if (x1 > x2 || y1 > y2) return;
    cv::Mat m = as_mat(img);
    m(cv::Rect(x1, y1, x2 - x1 + 1, y2 - y1 + 1)).setTo(col(bgr));
}

extern "C" void cpose_image_blur(struct cpose_image *img, int ksize)
{
    cv::Mat m = as_mat(img);
    cv::GaussianBlur(m, m, cv::Size(ksize | 1, ksize | 1), 0);
}
