/* core/predict/predict_post.c — predict pre-processing (letterbox → CHW RGB) and post-processing (mapping
 * NMS rows back to the original image as Ultralytics' scale_boxes/scale_coords do), results. */
#include "core/predict/predict.h"

#include <math.h>
#include <string.h>

#include "core/base/alloc.h"

int cpose_predict_preprocess(const struct cpose_image *img, int imgsz, int stride, float **chw, int *in_w, int *in_h)
{
    *chw = NULL;
    if (imgsz <= 0) return cpose_err(CPOSE_EINVAL, "imgsz=%d must be positive", imgsz);
    if (img->c != 3) return cpose_err(CPOSE_EINVAL, "predict needs a 3-channel BGR image, got %d channels", img->c);
    if (stride <= 0) stride = 32;
    struct cpose_image lb = {0};
    struct cpose_letterbox info;
    int rc = cpose_image_letterbox(img, imgsz, imgsz, 1, stride, 1, &lb, &info);
    if (rc) return rc;
    *chw = cpose_malloc((size_t)3 * lb.w * lb.h * sizeof(float));
    cpose_image_to_chw_rgb(&lb, *chw);
    *in_w = lb.w;
    *in_h = lb.h;
    cpose_image_free(&lb);
    return CPOSE_OK;
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

static double letterbox_gain(int in_w, int in_h, int orig_w, int orig_h)
{
    double gh = (double)in_h / orig_h, gw = (double)in_w / orig_w;
    return gh < gw ? gh : gw;
}

void cpose_scale_boxes(int in_w, int in_h, int orig_w, int orig_h, float *rows, int64_t n, int64_t row_stride)
{
    double gain = letterbox_gain(in_w, in_h, orig_w, orig_h);
    /* Python's round() is half-to-even: nearbyint in the default rounding mode. */
    double pad_x = nearbyint((in_w - orig_w * gain) / 2.0 - 0.1);
    double pad_y = nearbyint((in_h - orig_h * gain) / 2.0 - 0.1);
    cpose_scale_boxes_rp(gain, pad_x, pad_y, orig_w, orig_h, rows, n, row_stride);
}

void cpose_scale_boxes_rp(double gain, double pad_x_d, double pad_y_d, int orig_w, int orig_h, float *rows, int64_t n,
                          int64_t row_stride)
{
    float g = (float)gain, pad_x = (float)pad_x_d, pad_y = (float)pad_y_d;
    for (int64_t i = 0; i < n; i++) {
        float *b = rows + i * row_stride;
        b[0] = clampf((b[0] - pad_x) / g, 0.0f, (float)orig_w);
        b[1] = clampf((b[1] - pad_y) / g, 0.0f, (float)orig_h);
        b[2] = clampf((b[2] - pad_x) / g, 0.0f, (float)orig_w);
        b[3] = clampf((b[3] - pad_y) / g, 0.0f, (float)orig_h);
    }
}

void cpose_scale_coords(int in_w, int in_h, int orig_w, int orig_h, float *pts, int64_t n_points, int kdim)
{
    double gain = letterbox_gain(in_w, in_h, orig_w, orig_h);
    cpose_scale_coords_rp(gain, (in_w - orig_w * gain) / 2.0, (in_h - orig_h * gain) / 2.0, orig_w, orig_h, pts,
                          n_points, kdim);
}

void cpose_scale_coords_rp(double gain, double pad_x_d, double pad_y_d, int orig_w, int orig_h, float *pts,
                           int64_t n_points, int kdim)
{
    float g = (float)gain, pad_x = (float)pad_x_d, pad_y = (float)pad_y_d;
    for (int64_t i = 0; i < n_points; i++) {
        float *p = pts + i * kdim;
        p[0] = clampf((p[0] - pad_x) / g, 0.0f, (float)orig_w);
        p[1] = clampf((p[1] - pad_y) / g, 0.0f, (float)orig_h);
    }
}

static void result_free_arrays(struct cpose_pred_result *r)
{
    cpose_free(r->boxes);
    cpose_free(r->scores);
    cpose_free(r->classes);
    cpose_free(r->kpts);
    r->boxes = r->scores = r->kpts = NULL;
    r->classes = NULL;
    r->n = 0;
}

void cpose_pred_result_from_rows(struct cpose_pred_result *r, const float *rows, int64_t n, int nkpt, int kdim)
{
    result_free_arrays(r);
    int64_t rw = 6 + (int64_t)nkpt * kdim;
    r->n = n;
    r->nkpt = nkpt;
    r->kdim = kdim;
    r->boxes = cpose_malloc((size_t)(n ? n : 1) * 4 * sizeof(float));
    r->scores = cpose_malloc((size_t)(n ? n : 1) * sizeof(float));
    r->classes = cpose_malloc((size_t)(n ? n : 1) * sizeof(int));
    r->kpts = nkpt ? cpose_malloc((size_t)(n ? n : 1) * nkpt * kdim * sizeof(float)) : NULL;
    for (int64_t i = 0; i < n; i++) {
        const float *src = rows + i * rw;
        memcpy(r->boxes + 4 * i, src, 4 * sizeof(float));
        r->scores[i] = src[4];
        r->classes[i] = (int)src[5];
        if (nkpt) memcpy(r->kpts + i * nkpt * kdim, src + 6, (size_t)nkpt * kdim * sizeof(float));
    }
    cpose_scale_boxes(r->in_w, r->in_h, r->orig_w, r->orig_h, r->boxes, n, 4);
    /* Ultralytics' predictor rounds the scaled boxes to whole pixels (half-to-even like torch). */
    for (int64_t i = 0; i < 4 * n; i++) r->boxes[i] = nearbyintf(r->boxes[i]);
    if (nkpt) cpose_scale_coords(r->in_w, r->in_h, r->orig_w, r->orig_h, r->kpts, n * nkpt, kdim);
}

void cpose_pred_result_free(struct cpose_pred_result *r)
{
    if (!r) return;
    result_free_arrays(r);
    cpose_free(r->path);
    memset(r, 0, sizeof *r);
}

void cpose_pred_result_summary(const struct cpose_pred_result *r, char *const *names, int n_names, char *buf,
                               size_t cap)
{
    if (!cap) return;
    buf[0] = 0;
    if (r->n == 0) {
        snprintf(buf, cap, "(no detections), ");
        return;
    }
    size_t len = 0;
    int prev = -1;
    for (;;) {
        /* next class id above prev, ascending, as torch.unique returns them */
        int next = -1;
        for (int64_t i = 0; i < r->n; i++)
            if (r->classes[i] > prev && (next < 0 || r->classes[i] < next)) next = r->classes[i];
        if (next < 0) break;
        int64_t cnt = 0;
        for (int64_t i = 0; i < r->n; i++) cnt += r->classes[i] == next;
        char fallback[24];
        const char *name = names && next < n_names ? names[next] : (snprintf(fallback, sizeof fallback, "%d", next), fallback);
        int w = snprintf(buf + len, cap - len, "%lld %s%s, ", (long long)cnt, name, cnt > 1 ? "s" : "");
        if (w < 0 || (size_t)w >= cap - len) break;
        len += (size_t)w;
        prev = next;
    }
}
