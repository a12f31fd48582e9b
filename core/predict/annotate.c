/* core/predict/annotate.c — Ultralytics-style pose rendering (boxes, labels, keypoints, skeleton). */
#include "core/predict/annotate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const int cpose_coco_skeleton[19][2] = {
    {16, 14}, {14, 12}, {17, 15}, {15, 13}, {12, 13}, {6, 12}, {7, 13}, {6, 7}, {6, 8}, {7, 9},
    {8, 10}, {9, 11}, {2, 3}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7},
};

const uint8_t cpose_pose_palette[20][3] = {
    {255, 128, 0}, {255, 153, 51}, {255, 178, 102}, {230, 230, 0}, {255, 153, 255},
    {153, 204, 255}, {255, 102, 255}, {255, 51, 255}, {102, 178, 255}, {51, 153, 255},
    {255, 153, 153}, {255, 102, 102}, {255, 51, 51}, {153, 255, 153}, {102, 255, 102},
    {51, 255, 51}, {0, 255, 0}, {0, 0, 255}, {255, 0, 0}, {255, 255, 255},
};

const int cpose_kpt_color_idx[17] = {16, 16, 16, 16, 16, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9};
const int cpose_limb_color_idx[19] = {9, 9, 9, 9, 7, 7, 7, 0, 0, 0, 0, 0, 16, 16, 16, 16, 16, 16, 16};

/* Ultralytics' Colors palette (RGB hex). */
static const uint32_t class_hex[20] = {
    0xFF3838, 0xFF9D97, 0xFF701F, 0xFFB21D, 0xCFD231, 0x48F90A, 0x92CC17, 0x3DDB86, 0x1A9334, 0x00D4BB,
    0x2C99A8, 0x00C2FF, 0x344593, 0x6473FF, 0x0018EC, 0x8438FF, 0x520085, 0xCB38FF, 0xFF95C8, 0xFF37C7,
};

void cpose_class_color(int cls, uint8_t bgr[3])
{
    uint32_t h = class_hex[((cls % 20) + 20) % 20];
    bgr[0] = h & 0xFF;
    bgr[1] = (h >> 8) & 0xFF;
    bgr[2] = (h >> 16) & 0xFF;
}

void cpose_annotate_opts_default(struct cpose_annotate_opts *o)
{
    memset(o, 0, sizeof *o);
    o->show_boxes = o->show_labels = o->show_conf = 1;
    o->kpt_radius = 5;
    o->kpt_conf = 0.5;
}

int cpose_annotate_line_width(int w, int h)
{
    int lw = (int)nearbyint((h + w + 3) / 2.0 * 0.003);
    return lw > 2 ? lw : 2;
}

static void box_label(struct cpose_image *img, const float *b, const char *label, const uint8_t color[3], int lw)
{
    static const uint8_t white[3] = {255, 255, 255};
    int x1 = (int)b[0], y1 = (int)b[1], x2 = (int)b[2], y2 = (int)b[3];
    cpose_draw_rect(img, x1, y1, x2, y2, color, lw);
    if (!label || !*label) return;
    int tf = lw - 1 > 1 ? lw - 1 : 1;
    int tw = 0, th = 0;
    cpose_text_size(label, lw / 3.0, tf, &tw, &th, NULL);
    int outside = y1 - th >= 3;
    cpose_draw_rect(img, x1, y1, x1 + tw, outside ? y1 - th - 3 : y1 + th + 3, color, -1);
    cpose_draw_text(img, label, x1, outside ? y1 - 2 : y1 + th + 2, lw / 3.0, white, tf);
}

/* A point is drawn unless it lies on a multiple of the image size (Ultralytics' "x % w != 0"). */
static int on_edge(float v, int size) { return fmodf(v, (float)size) == 0.0f; }

static void draw_kpts(struct cpose_image *img, const float *k, int nkpt, int kdim, const struct cpose_annotate_opts *o)
{
    int is_pose = nkpt == 17 && (kdim == 2 || kdim == 3);
    for (int i = 0; i < nkpt; i++) {
        const float *p = k + i * kdim;
        uint8_t c[3];
        if (is_pose) memcpy(c, cpose_pose_palette[cpose_kpt_color_idx[i]], 3);
        else cpose_class_color(i, c);
        if (on_edge(p[0], img->w) || on_edge(p[1], img->h)) continue;
        if (kdim == 3 && p[2] < o->kpt_conf) continue;
        cpose_draw_circle(img, (int)p[0], (int)p[1], o->kpt_radius, c, -1);
    }
    if (!is_pose) return;
    for (int l = 0; l < 19; l++) {
        const float *p1 = k + (cpose_coco_skeleton[l][0] - 1) * kdim, *p2 = k + (cpose_coco_skeleton[l][1] - 1) * kdim;
        if (kdim == 3 && (p1[2] < o->kpt_conf || p2[2] < o->kpt_conf)) continue;
        int x1 = (int)p1[0], y1 = (int)p1[1], x2 = (int)p2[0], y2 = (int)p2[1];
        if (x1 % img->w == 0 || y1 % img->h == 0 || x1 < 0 || y1 < 0) continue;
        if (x2 % img->w == 0 || y2 % img->h == 0 || x2 < 0 || y2 < 0) continue;
        cpose_draw_line(img, x1, y1, x2, y2, cpose_pose_palette[cpose_limb_color_idx[l]], 2);
    }
}

void cpose_annotate_result(struct cpose_image *img, const struct cpose_pred_result *r, char *const *names, int n_names,
                           const struct cpose_annotate_opts *o)
{
    struct cpose_annotate_opts def;
    if (!o) {
        cpose_annotate_opts_default(&def);
        o = &def;
    }
    int lw = o->line_width > 0 ? o->line_width : cpose_annotate_line_width(img->w, img->h);
    if (o->show_boxes)
        for (int64_t i = r->n - 1; i >= 0; i--) {
            uint8_t color[3];
            cpose_class_color(r->classes[i], color);
            char label[160] = "", idbuf[24];
            if (o->show_labels) {
                const char *name = names && r->classes[i] < n_names && r->classes[i] >= 0
                                       ? names[r->classes[i]]
                                       : (snprintf(idbuf, sizeof idbuf, "%d", r->classes[i]), idbuf);
                if (o->show_conf) snprintf(label, sizeof label, "%s %.2f", name, (double)r->scores[i]);
                else snprintf(label, sizeof label, "%s", name);
            }
            box_label(img, r->boxes + 4 * i, label, color, lw);
        }
    if (r->kpts)
        for (int64_t i = r->n - 1; i >= 0; i--)
            draw_kpts(img, r->kpts + (size_t)i * r->nkpt * r->kdim, r->nkpt, r->kdim, o);
}
