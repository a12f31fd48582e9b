/* datasets/augment_geom.c — the geometric augmentations (RandomPerspective's matrix and warp,
 * Mosaic's 4-tile canvas, LetterBox for the non-mosaic path) and cpose_augment_sample, which chains
 * them with HSV and the flips in Ultralytics' v8_transforms order. */
#include "datasets/augment.h"

#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/nn/image.h"

static void matmul3(const double A[9], const double B[9], double out[9])
{
    double r[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r[3 * i + j] = A[3 * i] * B[j] + A[3 * i + 1] * B[3 + j] + A[3 * i + 2] * B[6 + j];
    memcpy(out, r, sizeof r);
}

void cpose_aug_perspective_matrix(const struct cpose_aug_hyp *hp, int w, int h, int border_x, int border_y,
                                  struct cpose_rng *rng, double M[9], double *scale_out)
{
    int out_w = w + 2 * border_x, out_h = h + 2 * border_y;
    double C[9] = {1, 0, -w / 2.0, 0, 1, -h / 2.0, 0, 0, 1};
    double P[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    P[6] = cpose_rng_uniform(rng, -hp->perspective, hp->perspective);
    P[7] = cpose_rng_uniform(rng, -hp->perspective, hp->perspective);
    double a = cpose_rng_uniform(rng, -hp->degrees, hp->degrees) * M_PI / 180.0;
    double s = cpose_rng_uniform(rng, 1 - hp->scale, 1 + hp->scale);
    /* OpenCV's getRotationMatrix2D about (0,0): [[α, β], [−β, α]], α = s·cos a, β = s·sin a */
    double R[9] = {s * cos(a), s * sin(a), 0, -s * sin(a), s * cos(a), 0, 0, 0, 1};
    double S[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    S[1] = tan(cpose_rng_uniform(rng, -hp->shear, hp->shear) * M_PI / 180.0);
    S[3] = tan(cpose_rng_uniform(rng, -hp->shear, hp->shear) * M_PI / 180.0);
    double T[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    T[2] = cpose_rng_uniform(rng, 0.5 - hp->translate, 0.5 + hp->translate) * out_w;
    T[5] = cpose_rng_uniform(rng, 0.5 - hp->translate, 0.5 + hp->translate) * out_h;
    double m[9];
    matmul3(T, S, m);
    matmul3(m, R, m);
    matmul3(m, P, m);
    matmul3(m, C, M);
    *scale_out = s;
}

static void map_point(const double M[9], int perspective, double x, double y, double *ox, double *oy)
{
    double u = M[0] * x + M[1] * y + M[2], v = M[3] * x + M[4] * y + M[5];
    if (perspective) {
        double z = M[6] * x + M[7] * y + M[8];
        u /= z;
        v /= z;
    }
    *ox = u;
    *oy = v;
}

int cpose_aug_warp(const struct cpose_image *src, struct cpose_aug_labels *l, const double M[9], double scale,
                   int perspective, int out_w, int out_h, struct cpose_image *dst)
{
    static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    int identity = out_w == src->w && out_h == src->h && !memcmp(M, I, sizeof I);
    int rc;
    if (identity) {
        if ((rc = cpose_image_new(dst, src->w, src->h, src->c, 0)) != CPOSE_OK) return rc;
        memcpy(dst->data, src->data, (size_t)src->w * src->h * src->c);
    } else if ((rc = cpose_image_warp(src, M, perspective, out_w, out_h, 114, dst)) != CPOSE_OK) {
        return rc;
    }
    if (l->n == 0) return CPOSE_OK;
    float *before = cpose_malloc((size_t)l->n * 4 * sizeof *before);
    memcpy(before, l->boxes, (size_t)l->n * 4 * sizeof *before);
    int K = l->K;
    for (int i = 0; i < l->n; i++) {
        float *b = l->boxes + 4 * i;
        double cx[4] = {b[0], b[2], b[0], b[2]}, cy[4] = {b[1], b[3], b[3], b[1]};
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (int c = 0; c < 4; c++) {
            double x, y;
            map_point(M, perspective, cx[c], cy[c], &x, &y);
            x0 = fmin(x0, x);
            y0 = fmin(y0, y);
            x1 = fmax(x1, x);
            y1 = fmax(y1, y);
        }
        b[0] = (float)x0;
        b[1] = (float)y0;
        b[2] = (float)x1;
        b[3] = (float)y1;
        for (int k = 0; k < K; k++) {
            float *p = l->kpts + ((size_t)i * K + k) * 3;
            double x, y;
            map_point(M, perspective, p[0], p[1], &x, &y);
            p[0] = (float)x;
            p[1] = (float)y;
        }
    }
    cpose_aug_labels_clip(l, out_w, out_h); /* outside keypoints → v 0 */
    unsigned char *keep = cpose_malloc((size_t)l->n);
    for (int i = 0; i < l->n; i++) {
        float b1[4];
        for (int c = 0; c < 4; c++) b1[c] = (float)(before[4 * i + c] * scale);
        keep[i] = (unsigned char)cpose_box_candidate(b1, l->boxes + 4 * i, 2, 100, 0.1);
    }
    cpose_aug_labels_filter(l, keep);
    cpose_free(keep);
    cpose_free(before);
    return CPOSE_OK;
}

/* Copies the rectangle [x1b,x2b)×[y1b,y2b) of src to (x1a, y1a) of dst (same channels). */
static void blit(const struct cpose_image *src, int x1b, int y1b, int x2b, int y2b, struct cpose_image *dst, int x1a,
                 int y1a)
{
    int c = src->c;
    size_t row = (size_t)(x2b - x1b) * c;
    for (int y = y1b; y < y2b; y++)
        memcpy(dst->data + ((size_t)(y1a + y - y1b) * dst->w + x1a) * c, src->data + ((size_t)y * src->w + x1b) * c, row);
}

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

int cpose_aug_mosaic4(const struct cpose_image *const im[4], const struct cpose_aug_labels *const lab[4], int s,
                      int xc, int yc, struct cpose_image *dst, struct cpose_aug_labels *out)
{
    int rc = cpose_image_new(dst, 2 * s, 2 * s, 3, 114);
    if (rc) return rc;
    out->n = 0;
    cpose_aug_labels_reserve(out, 0, lab[0]->K);
    for (int i = 0; i < 4; i++) {
        int w = im[i]->w, h = im[i]->h;
        int x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;
        switch (i) {
        case 0: /* top left */
            x1a = imax(xc - w, 0), y1a = imax(yc - h, 0), x2a = xc, y2a = yc;
            x1b = w - (x2a - x1a), y1b = h - (y2a - y1a), x2b = w, y2b = h;
            break;
        case 1: /* top right */
            x1a = xc, y1a = imax(yc - h, 0), x2a = imin(xc + w, 2 * s), y2a = yc;
            x1b = 0, y1b = h - (y2a - y1a), x2b = imin(w, x2a - x1a), y2b = h;
            break;
        case 2: /* bottom left */
            x1a = imax(xc - w, 0), y1a = yc, x2a = xc, y2a = imin(2 * s, yc + h);
            x1b = w - (x2a - x1a), y1b = 0, x2b = w, y2b = imin(y2a - y1a, h);
            break;
        default: /* bottom right */
            x1a = xc, y1a = yc, x2a = imin(xc + w, 2 * s), y2a = imin(2 * s, yc + h);
            x1b = 0, y1b = 0, x2b = imin(w, x2a - x1a), y2b = imin(y2a - y1a, h);
            break;
        }
        if (x2b > x1b && y2b > y1b) blit(im[i], x1b, y1b, x2b, y2b, dst, x1a, y1a);
        if (lab[i]->K != out->K && lab[i]->n) {
            cpose_image_free(dst);
            return cpose_err(CPOSE_EINVAL, "mosaic: tiles have %d and %d keypoints", out->K, lab[i]->K);
        }
        cpose_aug_labels_append(out, lab[i], (float)(x1a - x1b), (float)(y1a - y1b));
    }
    cpose_aug_labels_clip(out, 2 * s, 2 * s);
    unsigned char *keep = cpose_malloc((size_t)out->n + 1);
    for (int i = 0; i < out->n; i++) {
        const float *b = out->boxes + 4 * i;
        keep[i] = b[2] > b[0] && b[3] > b[1];
    }
    cpose_aug_labels_filter(out, keep);
    cpose_free(keep);
    return CPOSE_OK;
}

/* LetterBox(new_shape=(s, s)) of Ultralytics' non-mosaic path: auto off, scaleup on, centred; labels
 * scaled by the ratio and shifted by the (unrounded) half paddings. */
static int letterbox(const struct cpose_image *src, struct cpose_aug_labels *l, int s, struct cpose_image *dst)
{
    struct cpose_letterbox info;
    int rc = cpose_image_letterbox(src, s, s, 0, 32, 1, dst, &info);
    if (rc) return rc;
    float r = (float)info.ratio, dx = (float)info.pad_w, dy = (float)info.pad_h;
    for (int i = 0; i < l->n; i++) {
        float *b = l->boxes + 4 * i;
        for (int c = 0; c < 4; c++) b[c] = b[c] * r + (c % 2 ? dy : dx);
        for (int k = 0; k < l->K; k++) {
            float *p = l->kpts + ((size_t)i * l->K + k) * 3;
            p[0] = p[0] * r + dx;
            p[1] = p[1] * r + dy;
        }
    }
    return CPOSE_OK;
}

int cpose_augment_sample(const struct cpose_aug_source *src, size_t index, int imgsz, const struct cpose_aug_hyp *hyp,
                         int use_mosaic, struct cpose_rng *rng, struct cpose_image *dst, struct cpose_aug_labels *out)
{
    struct cpose_image im[4] = {{0}}, canvas = {0};
    struct cpose_aug_labels lab[4] = {{0}};
    int rc = CPOSE_OK, border = 0;
    memset(dst, 0, sizeof *dst);
    out->n = 0;
    /* Mosaic(p = hyp.mosaic): applied when U(0,1) ≤ p; its centre and 3 partners drawn first. */
    int mosaic = use_mosaic && hyp->mosaic > 0 && cpose_rng_uniform(rng, 0, 1) <= hyp->mosaic;
    if (mosaic) {
        int xc = (int)cpose_rng_uniform(rng, imgsz / 2.0, 1.5 * imgsz);
        int yc = (int)cpose_rng_uniform(rng, imgsz / 2.0, 1.5 * imgsz);
        size_t idx[4] = {index, 0, 0, 0};
        for (int i = 1; i < 4; i++) idx[i] = (size_t)cpose_rng_below(rng, src->n);
        for (int i = 0; i < 4 && rc == CPOSE_OK; i++) rc = src->load(src->ctx, idx[i], &im[i], &lab[i]);
        if (rc == CPOSE_OK) {
            const struct cpose_image *ims[4] = {&im[0], &im[1], &im[2], &im[3]};
            const struct cpose_aug_labels *labs[4] = {&lab[0], &lab[1], &lab[2], &lab[3]};
            rc = cpose_aug_mosaic4(ims, labs, imgsz, xc, yc, &canvas, out);
        }
        border = -imgsz / 2;
    } else {
        rc = src->load(src->ctx, index, &im[0], &lab[0]);
        if (rc == CPOSE_OK) rc = letterbox(&im[0], &lab[0], imgsz, &canvas);
        if (rc == CPOSE_OK) cpose_aug_labels_append(out, &lab[0], 0, 0);
    }
    for (int i = 0; i < 4; i++) {
        cpose_image_free(&im[i]);
        cpose_aug_labels_free(&lab[i]);
    }
    if (rc) goto done;
    double M[9], scale;
    cpose_aug_perspective_matrix(hyp, canvas.w, canvas.h, border, border, rng, M, &scale);
    rc = cpose_aug_warp(&canvas, out, M, scale, hyp->perspective != 0, canvas.w + 2 * border, canvas.h + 2 * border,
                        dst);
    if (rc) goto done;
    cpose_aug_hsv(dst, hyp->hsv_h, hyp->hsv_s, hyp->hsv_v, rng);
    if (cpose_rng_uniform(rng, 0, 1) < hyp->flipud) cpose_aug_flipud(dst, out);
    if (cpose_rng_uniform(rng, 0, 1) < hyp->fliplr) cpose_aug_fliplr(dst, out, src->flip_idx);
done:
    cpose_image_free(&canvas);
    if (rc) {
        cpose_image_free(dst);
        out->n = 0;
    }
    return rc;
}
