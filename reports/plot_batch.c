/* reports/plot_batch.c — image grids of a batch with boxes, labels and skeletons (Ultralytics'
 * plot_images): train_batchN.jpg, val_batchN_labels.jpg, val_batchN_pred.jpg. */
#include "reports/plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/predict/annotate.h"
#include "reports/plot_impl.h"

#define MAX_TILES 16
#define MAX_SIZE 1920      /* the grid's longest side before Ultralytics shrinks the tiles */
#define PRED_CONF 0.25     /* predictions at or below this confidence are not drawn */
#define KPT_CONF 0.5       /* keypoints (and limbs touching them) below this are not drawn */

void cpose_plot_batch_from_train(const struct cpose_train_batch *b, struct cpose_plot_batch *out)
{
    memset(out, 0, sizeof *out);
    out->n = b->n;
    out->H = b->H;
    out->W = b->W;
    out->img = b->img;
    out->n_targets = b->n_targets;
    out->batch_idx = b->batch_idx;
    out->cls = b->cls;
    out->bboxes = b->bboxes;
    out->K = b->K;
    out->kdim = 3;
    out->kpts = b->keypoints;
    out->normalized = 1;
}

static int check_batch(const struct cpose_plot_batch *b)
{
    if (b->n < 1) return cpose_err(CPOSE_EINVAL, "plot batch: n=%d images (need at least 1)", b->n);
    if (b->H < 1 || b->W < 1 || (int64_t)b->H * b->W > (int64_t)1 << 26)
        return cpose_err(CPOSE_EINVAL, "plot batch: bad image size %d x %d", b->W, b->H);
    if (!b->img == !b->img_bgr) return cpose_err(CPOSE_EINVAL, "plot batch: set exactly one of img and img_bgr");
    if (b->n_targets < 0 || (b->n_targets && (!b->batch_idx || !b->cls || !b->bboxes)))
        return cpose_err(CPOSE_EINVAL, "plot batch: %d targets without batch_idx, cls and bboxes", b->n_targets);
    if (b->K < 0 || (b->K && b->n_targets && (!b->kpts || (b->kdim != 2 && b->kdim != 3))))
        return cpose_err(CPOSE_EINVAL, "plot batch: keypoints need kpts and kdim 2 or 3 (kdim=%d)", b->kdim);
    return CPOSE_OK;
}

/* Tile i of the batch into the grid at (x, y), 8-bit BGR (floats are truncated after ×255, as
 * numpy's assignment into the uint8 mosaic does). */
static void put_tile(struct cpose_image *g, const struct cpose_plot_batch *b, int i, int x, int y)
{
    size_t plane = (size_t)b->H * b->W;
    for (int r = 0; r < b->H; r++) {
        uint8_t *d = g->data + ((size_t)(y + r) * g->w + x) * 3;
        if (b->img_bgr) {
            memcpy(d, b->img_bgr + ((size_t)i * plane + (size_t)r * b->W) * 3, (size_t)b->W * 3);
            continue;
        }
        const float *src = b->img + (size_t)i * 3 * plane + (size_t)r * b->W;
        for (int c = 0; c < b->W; c++)
            for (int ch = 0; ch < 3; ch++) {
                float v = src[(size_t)(2 - ch) * plane + c] * 255.0f; /* BGR from RGB planes */
                d[3 * c + ch] = (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : (int)v);
            }
    }
}

/* A box outline lw pixels wide inside [x1, x2] × [y1, y2] (PIL's rectangle with width), with a
 * filled label above it (inside when there is no room), white text. */
static void box_label(struct cpose_image *g, int x1, int y1, int x2, int y2, const char *label, const uint8_t c[3],
                      int lw, double font, int tt)
{
    cpose_fill_rect(g, x1, y1, x2, y1 + lw - 1, c);
    cpose_fill_rect(g, x1, y2 - lw + 1, x2, y2, c);
    cpose_fill_rect(g, x1, y1, x1 + lw - 1, y2, c);
    cpose_fill_rect(g, x2 - lw + 1, y1, x2, y2, c);
    if (!label || !*label) return;
    int tw, th, base;
    cpose_text_size(label, font, tt, &tw, &th, &base);
    int h = th + base;
    int outside = y1 - h >= 0;
    int ty = outside ? y1 - h : y1;
    cpose_fill_rect(g, x1, ty, x1 + tw + 1, ty + h, c);
    cpose_draw_text(g, label, x1, ty + th, font, cpose_plot_white, tt);
}

/* Colour of keypoint i and limb l: Ultralytics' pose palette, which plot_images applies to an RGB image
 * (so the triples are reversed for BGR), or the class palette for other keypoint layouts. */
static void kpt_color(int is_pose, int i, uint8_t c[3])
{
    if (!is_pose) {
        cpose_class_color(i, c);
        return;
    }
    const uint8_t *p = cpose_pose_palette[cpose_kpt_color_idx[i]];
    c[0] = p[2], c[1] = p[1], c[2] = p[0];
}

/* One instance's keypoints, already in grid pixels (kp: K × kdim); (tx, ty) is the tile origin. A point
 * at the tile's own 0 in x or y is "missing" (unlabelled keypoints are stored as 0, 0). */
static void draw_kpts(struct cpose_image *g, const float *kp, int K, int kdim, int tx, int ty)
{
    int is_pose = K == 17;
    for (int i = 0; i < K; i++) {
        const float *p = kp + (size_t)i * kdim;
        if ((kdim == 3 && p[2] < KPT_CONF) || (int)p[0] == tx || (int)p[1] == ty) continue;
        uint8_t c[3];
        kpt_color(is_pose, i, c);
        cpose_draw_circle(g, (int)p[0], (int)p[1], 5, c, -1);
    }
    if (!is_pose) return;
    for (int l = 0; l < 19; l++) {
        const float *a = kp + (size_t)(cpose_coco_skeleton[l][0] - 1) * kdim;
        const float *b = kp + (size_t)(cpose_coco_skeleton[l][1] - 1) * kdim;
        if (kdim == 3 && (a[2] < KPT_CONF || b[2] < KPT_CONF)) continue;
        if ((int)a[0] <= tx || (int)a[1] <= ty || (int)b[0] <= tx || (int)b[1] <= ty) continue;
        const uint8_t *p = cpose_pose_palette[cpose_limb_color_idx[l]];
        const uint8_t c[3] = {p[2], p[1], p[0]};
        cpose_draw_line(g, (int)a[0], (int)a[1], (int)b[0], (int)b[1], c, 2);
    }
}

int cpose_plot_batch_render(const struct cpose_plot_batch *b, char *const *names, int n_names, struct cpose_image *out)
{
    memset(out, 0, sizeof *out);
    int rc = check_batch(b);
    if (rc != CPOSE_OK) return rc;
    int bs = b->n < MAX_TILES ? b->n : MAX_TILES;
    int ns = (int)ceil(sqrt((double)bs));
    struct cpose_image g;
    if ((rc = cpose_image_new(&g, ns * b->W, ns * b->H, 3, 255)) != CPOSE_OK) return rc;
    for (int i = 0; i < bs; i++) put_tile(&g, b, i, b->W * (i / ns), b->H * (i % ns));
    int h = b->H, w = b->W;
    double scale = (double)MAX_SIZE / ns / (h > w ? h : w);
    if (scale < 1) {
        h = (int)ceil(scale * h);
        w = (int)ceil(scale * w);
        struct cpose_image r;
        rc = cpose_image_resize(&g, ns * w, ns * h, CPOSE_INTER_LINEAR, &r);
        cpose_image_free(&g);
        if (rc != CPOSE_OK) return rc;
        g = r;
    }
    int fs = (int)((h + w) * ns * 0.01);
    int lw = (int)nearbyint(fs / 10.0);
    if (lw < 1) {
        lw = (int)nearbyint((g.w + g.h) / 2.0 * 0.003);
        if (lw < 2) lw = 2;
    }
    double font = fs / 30.0 < 0.35 ? 0.35 : fs / 30.0;
    int tt = fs >= 45 ? 2 : 1;
    static const uint8_t caption[3] = {220, 220, 220};
    int kd = b->kdim ? b->kdim : 3;
    float *kp = b->K ? cpose_malloc((size_t)b->K * kd * sizeof *kp) : NULL;
    for (int i = 0; i < bs; i++) {
        int x = w * (i / ns), y = h * (i % ns);
        cpose_fill_rect(&g, x, y, x + w, y + 1, cpose_plot_white);
        cpose_fill_rect(&g, x, y + h - 1, x + w, y + h, cpose_plot_white);
        cpose_fill_rect(&g, x, y, x + 1, y + h, cpose_plot_white);
        cpose_fill_rect(&g, x + w - 1, y, x + w, y + h, cpose_plot_white);
        if (b->paths && b->paths[i]) {
            char name[41];
            snprintf(name, sizeof name, "%s", cpose_path_basename(b->paths[i]));
            int tw, th, base;
            cpose_text_size(name, font, tt, &tw, &th, &base);
            cpose_draw_text(&g, name, x + 5, y + 5 + th, font, caption, tt);
        }
        /* pixels per unit of the targets: the tile size when normalised, else the shrink factor */
        double sx = b->normalized ? w : scale < 1 ? scale : 1, sy = b->normalized ? h : scale < 1 ? scale : 1;
        for (int j = 0; j < b->n_targets; j++) {
            if ((int)b->batch_idx[j] != i) continue;
            if (b->conf && !(b->conf[j] > PRED_CONF)) continue;
            const float *bb = b->bboxes + 4 * (size_t)j;
            int cls = (int)b->cls[j];
            uint8_t c[3];
            cpose_class_color(cls, c);
            char label[96], idbuf[16];
            const char *nm = names && cls >= 0 && cls < n_names ? names[cls]
                                                                : (snprintf(idbuf, sizeof idbuf, "%d", cls), idbuf);
            if (b->conf) snprintf(label, sizeof label, "%s %.1f", nm, (double)b->conf[j]);
            else snprintf(label, sizeof label, "%s", nm);
            box_label(&g, (int)((bb[0] - bb[2] / 2) * sx + x), (int)((bb[1] - bb[3] / 2) * sy + y),
                      (int)((bb[0] + bb[2] / 2) * sx + x), (int)((bb[1] + bb[3] / 2) * sy + y), label, c, lw, font, tt);
        }
        for (int j = 0; b->K && j < b->n_targets; j++) {
            if ((int)b->batch_idx[j] != i) continue;
            if (b->conf && !(b->conf[j] > PRED_CONF)) continue;
            const float *src = b->kpts + (size_t)j * b->K * kd;
            for (int k = 0; k < b->K; k++) {
                kp[k * kd] = (float)(src[k * kd] * sx + x);
                kp[k * kd + 1] = (float)(src[k * kd + 1] * sy + y);
                if (kd == 3) kp[k * kd + 2] = src[k * kd + 2];
            }
            draw_kpts(&g, kp, b->K, kd, x, y);
        }
    }
    cpose_free(kp);
    *out = g;
    return CPOSE_OK;
}

int cpose_plot_batch_write(const struct cpose_plot_batch *b, char *const *names, int n_names, const char *path)
{
    struct cpose_image g;
    int rc = cpose_plot_batch_render(b, names, n_names, &g);
    if (rc != CPOSE_OK) return cpose_err_context(rc, "plotting %s", path);
    rc = cpose_plot_write(path, &g);
    cpose_image_free(&g);
    return rc;
}

int cpose_plot_val_batch(const struct cpose_val_plot_batch *vb, char *const *names, int n_names, const char *dir,
                         int index)
{
    struct cpose_plot_batch pb;
    memset(&pb, 0, sizeof pb);
    pb.n = vb->n, pb.H = vb->H, pb.W = vb->W, pb.img_bgr = vb->bgr;
    pb.paths = (const char *const *)vb->paths;
    pb.K = vb->K, pb.kdim = 3;
    pb.n_targets = vb->n_labels;
    pb.batch_idx = vb->lbl_idx, pb.cls = vb->lbl_cls, pb.bboxes = vb->lbl_box, pb.kpts = vb->lbl_kpts;
    pb.normalized = 1;
    char name[64];
    snprintf(name, sizeof name, "val_batch%d_labels.jpg", index);
    char *path = cpose_path_join(dir, name);
    int rc = cpose_plot_batch_write(&pb, names, n_names, path);
    cpose_free(path);
    if (rc != CPOSE_OK) return rc;
    pb.n_targets = vb->n_preds;
    pb.batch_idx = vb->pred_idx, pb.cls = vb->pred_cls, pb.bboxes = vb->pred_box, pb.kpts = vb->pred_kpts;
    pb.conf = vb->pred_conf;
    pb.normalized = 0;
    snprintf(name, sizeof name, "val_batch%d_pred.jpg", index);
    path = cpose_path_join(dir, name);
    rc = cpose_plot_batch_write(&pb, names, n_names, path);
    cpose_free(path);
    return rc;
}
