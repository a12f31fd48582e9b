/* datasets/synth.c — the synthetic people generator: a 2-D skeleton model (limb lengths as
 * fractions of body height, joint angles drawn from plausible ranges, front/back/side views),
 * figures drawn as filled limbs, torso and head over noisy, blurred, shape-strewn backgrounds, with
 * occlusion (later figures and foreground objects) decided analytically from the drawn shapes. */
#define _GNU_SOURCE
#include "datasets/synth.h"

#include <math.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/image.h"
#include "core/base/log.h"

/* COCO keypoint order */
enum { NOSE, LEYE, REYE, LEAR, REAR, LSHO, RSHO, LELB, RELB, LWRI, RWRI, LHIP, RHIP, LKNE, RKNE, LANK, RANK };

/* --- PRNG: splitmix64 (per image, seeded from seed, split and index) ------------------------ */

struct rng {
    uint64_t s;
};
static uint64_t rng_u64(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static double rng_uni(struct rng *r, double lo, double hi)
{
    return lo + (hi - lo) * (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}
static int rng_int(struct rng *r, int lo, int hi) /* inclusive */
{
    return lo + (int)(rng_u64(r) % (uint64_t)(hi - lo + 1));
}
static double rng_normal(struct rng *r, double sd)
{
    double u = rng_uni(r, 1e-12, 1.0), v = rng_uni(r, 0.0, 1.0);
    return sd * sqrt(-2.0 * log(u)) * cos(2 * M_PI * v);
}

/* --- figure geometry ----------------------------------------------------------------------- */

struct seg {
    double x0, y0, x1, y1, r; /* capsule: segment with radius r */
    uint8_t col[3];
};

struct figure {
    double kp[17][2];
    struct seg segs[16];
    int n_segs;
    double torso[8]; /* LS, RS, RH, LH polygon */
    double head[3];  /* cx, cy, radius */
    int face_v[5];   /* visibility of face points before occlusion by others (2 or 1) */
    uint8_t shirt[3], pants[3], skin[3];
    double depth;
};

static void dir_from(double a, double lean, double *dx, double *dy)
{
    /* angle a from "down", positive toward image right, then rotated by the torso lean */
    double x = sin(a), y = cos(a);
    *dx = x * cos(lean) - y * sin(lean);
    *dy = x * sin(lean) + y * cos(lean);
}

static void add_seg(struct figure *f, const double *a, const double *b, double r, const uint8_t col[3])
{
    struct seg *s = &f->segs[f->n_segs++];
    s->x0 = a[0];
    s->y0 = a[1];
    s->x1 = b[0];
    s->y1 = b[1];
    s->r = r;
    memcpy(s->col, col, 3);
}

static const uint8_t skin_tones[][3] = {{172, 199, 238}, {140, 180, 224}, {100, 145, 198}, {70, 110, 160},
                                        {50, 80, 120},   {160, 190, 230}};

/* Builds a figure of height H (pixels) with its pelvis at (px, py). */
static void make_figure(struct rng *r, double H, double px, double py, struct figure *f)
{
    memset(f, 0, sizeof *f);
    int view = rng_int(r, 0, 99); /* 0-59 front, 60-74 back, 75-99 side */
    int facing = rng_int(r, 0, 1) ? 1 : -1; /* side views: +1 faces image right */
    double wf = view < 75 ? rng_uni(r, 0.85, 1.05) : rng_uni(r, 0.25, 0.45);
    double side = view < 60 ? 1.0 : view < 75 ? -1.0 : (double)facing; /* sign of the person's left in image x */
    double lean = rng_normal(r, 0.10);
    if (rng_int(r, 0, 9) == 0) lean += rng_uni(r, -0.6, 0.6); /* bending */
    double T = 0.30 * H, sw = 0.115 * H * wf, hw = 0.085 * H * wf, neck = 0.05 * H, hr = 0.062 * H;
    double UA = 0.16 * H, FA = 0.14 * H, TH = 0.235 * H, SH = 0.235 * H;
    double upx = sin(lean), upy = -cos(lean);   /* torso axis, pointing up */
    double rx = cos(lean), ry = sin(lean);      /* image-right across the torso */
    double P[2] = {px, py};
    double N[2] = {px + T * upx, py + T * upy};
    double *k;
    k = f->kp[LSHO]; k[0] = N[0] + side * sw * rx; k[1] = N[1] + side * sw * ry;
    k = f->kp[RSHO]; k[0] = N[0] - side * sw * rx; k[1] = N[1] - side * sw * ry;
    k = f->kp[LHIP]; k[0] = P[0] + side * hw * rx; k[1] = P[1] + side * hw * ry;
    k = f->kp[RHIP]; k[0] = P[0] - side * hw * rx; k[1] = P[1] - side * hw * ry;

    memcpy(f->skin, skin_tones[rng_int(r, 0, 5)], 3);
    for (int c = 0; c < 3; c++) {
        f->shirt[c] = (uint8_t)rng_int(r, 20, 235);
        f->pants[c] = (uint8_t)rng_int(r, 10, 160);
    }
    int pose = rng_int(r, 0, 9); /* 0-5 standing/walking, 6-7 arms up/out, 8 running, 9 sitting/crouching */
    for (int s = 0; s < 2; s++) {
        int sh = s ? RSHO : LSHO, el = s ? RELB : LELB, wr = s ? RWRI : LWRI;
        double out = s ? -side : side; /* outward direction of this arm in image x */
        double a = pose == 6 || pose == 7 ? rng_uni(r, 1.2, 2.9) : rng_uni(r, -0.35, 0.9);
        if (pose == 8) a = rng_uni(r, -0.9, 0.9);
        double bend = rng_uni(r, 0.0, pose == 8 ? 2.2 : 1.6) * (rng_int(r, 0, 3) ? 1 : -1);
        double dx, dy;
        dir_from(out * a, lean, &dx, &dy);
        f->kp[el][0] = f->kp[sh][0] + UA * dx;
        f->kp[el][1] = f->kp[sh][1] + UA * dy;
        dir_from(out * (a + bend), lean, &dx, &dy);
        f->kp[wr][0] = f->kp[el][0] + FA * dx;
        f->kp[wr][1] = f->kp[el][1] + FA * dy;

        int hp = s ? RHIP : LHIP, kn = s ? RKNE : LKNE, an = s ? RANK : LANK;
        double t = rng_uni(r, -0.1, 0.35), kb = rng_uni(r, 0.0, 0.35);
        if (view >= 75 || pose == 8) { /* walking / running seen from the side: legs swing */
            t = (s ? 1 : -1) * rng_uni(r, 0.1, pose == 8 ? 0.9 : 0.45);
            kb = rng_uni(r, 0.0, pose == 8 ? 1.6 : 0.6);
            dir_from(facing * t, 0, &dx, &dy);
        } else {
            dir_from(out * t, 0, &dx, &dy);
        }
        if (pose == 9) { /* crouch: thighs forward/outward, shins back down */
            t = rng_uni(r, 0.9, 1.5);
            kb = rng_uni(r, 1.2, 2.0);
            dir_from((view >= 75 ? facing : out) * t, 0, &dx, &dy);
        }
        f->kp[kn][0] = f->kp[hp][0] + TH * dx;
        f->kp[kn][1] = f->kp[hp][1] + TH * dy;
        double sa = atan2(dx, dy) - (view >= 75 ? facing : out) * kb * (view >= 75 || pose == 9 ? 1 : 0.3);
        f->kp[an][0] = f->kp[kn][0] + SH * sin(sa);
        f->kp[an][1] = f->kp[kn][1] + SH * cos(sa);
    }
    /* head */
    double tilt = lean + rng_normal(r, 0.15);
    double hux = sin(tilt), huy = -cos(tilt), hrx = cos(tilt), hry = sin(tilt);
    double C[2] = {N[0] + (neck + hr) * hux, N[1] + (neck + hr) * huy};
    f->head[0] = C[0];
    f->head[1] = C[1];
    f->head[2] = hr;
    for (int i = 0; i < 5; i++) f->face_v[i] = 2;
    if (view < 75) {
        double s2 = side;
        f->kp[NOSE][0] = C[0] - 0.15 * hr * hux; f->kp[NOSE][1] = C[1] - 0.15 * hr * huy;
        f->kp[LEYE][0] = C[0] + s2 * 0.35 * hr * hrx + 0.2 * hr * hux; f->kp[LEYE][1] = C[1] + s2 * 0.35 * hr * hry + 0.2 * hr * huy;
        f->kp[REYE][0] = C[0] - s2 * 0.35 * hr * hrx + 0.2 * hr * hux; f->kp[REYE][1] = C[1] - s2 * 0.35 * hr * hry + 0.2 * hr * huy;
        f->kp[LEAR][0] = C[0] + s2 * 0.95 * hr * hrx; f->kp[LEAR][1] = C[1] + s2 * 0.95 * hr * hry;
        f->kp[REAR][0] = C[0] - s2 * 0.95 * hr * hrx; f->kp[REAR][1] = C[1] - s2 * 0.95 * hr * hry;
        if (view >= 60) f->face_v[NOSE] = f->face_v[LEYE] = f->face_v[REYE] = 1; /* back view: face hidden */
    } else {
        double fc = facing;
        int near_eye = fc * side > 0 ? LEYE : REYE, far_eye = near_eye == LEYE ? REYE : LEYE;
        int near_ear = near_eye == LEYE ? LEAR : REAR, far_ear = near_ear == LEAR ? REAR : LEAR;
        f->kp[NOSE][0] = C[0] + fc * 1.0 * hr * hrx - 0.1 * hr * hux; f->kp[NOSE][1] = C[1] + fc * 1.0 * hr * hry - 0.1 * hr * huy;
        f->kp[near_eye][0] = C[0] + fc * 0.6 * hr * hrx + 0.2 * hr * hux; f->kp[near_eye][1] = C[1] + fc * 0.6 * hr * hry + 0.2 * hr * huy;
        f->kp[far_eye][0] = C[0] + fc * 0.8 * hr * hrx + 0.2 * hr * hux; f->kp[far_eye][1] = C[1] + fc * 0.8 * hr * hry + 0.2 * hr * huy;
        f->kp[near_ear][0] = C[0] - fc * 0.1 * hr * hrx; f->kp[near_ear][1] = C[1] - fc * 0.1 * hr * hry;
        f->kp[far_ear][0] = C[0] - fc * 0.2 * hr * hrx; f->kp[far_ear][1] = C[1] - fc * 0.2 * hr * hry;
        f->face_v[far_eye] = f->face_v[far_ear] = 1;
    }
    /* drawn shapes: legs, neck, arms (far side first), torso and head are drawn separately */
    double limb_w[4] = {0.030 * H, 0.026 * H, 0.048 * H, 0.038 * H};
    int order[2] = {side > 0 ? 1 : 0, side > 0 ? 0 : 1};
    if (view < 75) order[0] = 0, order[1] = 1;
    for (int oi = 0; oi < 2; oi++) {
        int s = order[oi];
        add_seg(f, f->kp[s ? RHIP : LHIP], f->kp[s ? RKNE : LKNE], limb_w[2], f->pants);
        add_seg(f, f->kp[s ? RKNE : LKNE], f->kp[s ? RANK : LANK], limb_w[3], f->pants);
    }
    double neck_top[2] = {N[0] + neck * hux, N[1] + neck * huy};
    add_seg(f, N, neck_top, 0.03 * H, f->skin);
    for (int oi = 0; oi < 2; oi++) {
        int s = order[oi];
        add_seg(f, f->kp[s ? RSHO : LSHO], f->kp[s ? RELB : LELB], limb_w[0], f->shirt);
        add_seg(f, f->kp[s ? RELB : LELB], f->kp[s ? RWRI : LWRI], limb_w[1], f->skin);
    }
    double pad = 0.02 * H;
    f->torso[0] = f->kp[LSHO][0] + side * pad * rx; f->torso[1] = f->kp[LSHO][1] + side * pad * ry - pad * 0.5;
    f->torso[2] = f->kp[RSHO][0] - side * pad * rx; f->torso[3] = f->kp[RSHO][1] - side * pad * ry - pad * 0.5;
    f->torso[4] = f->kp[RHIP][0] - side * pad * rx; f->torso[5] = f->kp[RHIP][1] - side * pad * ry + pad;
    f->torso[6] = f->kp[LHIP][0] + side * pad * rx; f->torso[7] = f->kp[LHIP][1] + side * pad * ry + pad;
}

static double seg_dist2(const struct seg *s, double x, double y)
{
    double vx = s->x1 - s->x0, vy = s->y1 - s->y0, wx = x - s->x0, wy = y - s->y0;
    double l2 = vx * vx + vy * vy, t = l2 > 0 ? (wx * vx + wy * vy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double dx = x - (s->x0 + t * vx), dy = y - (s->y0 + t * vy);
    return dx * dx + dy * dy;
}

static int in_quad(const double *q, double x, double y)
{
    int pos = 0, neg = 0;
    for (int i = 0; i < 4; i++) {
        double ax = q[2 * i], ay = q[2 * i + 1], bx = q[(2 * i + 2) % 8], by = q[(2 * i + 3) % 8];
        double c = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
        pos |= c > 0;
        neg |= c < 0;
    }
    return !(pos && neg);
}

static int figure_covers(const struct figure *f, double x, double y)
{
    double dx = x - f->head[0], dy = y - f->head[1];
    if (dx * dx + dy * dy <= f->head[2] * f->head[2]) return 1;
    if (in_quad(f->torso, x, y)) return 1;
    for (int i = 0; i < f->n_segs; i++)
        if (seg_dist2(&f->segs[i], x, y) <= f->segs[i].r * f->segs[i].r) return 1;
    return 0;
}

struct occluder {
    double x0, y0, x1, y1;
    uint8_t col[3];
};

static void draw_figure(struct cpose_image *img, const struct figure *f)
{
    int nseg_legs = 4, neck = 4;
    for (int i = 0; i < nseg_legs; i++) {
        const struct seg *s = &f->segs[i];
        cpose_draw_line(img, (int)lround(s->x0), (int)lround(s->y0), (int)lround(s->x1), (int)lround(s->y1), s->col,
                        (int)fmax(1, lround(2 * s->r)));
    }
    int q[8];
    for (int i = 0; i < 8; i++) q[i] = (int)lround(f->torso[i]);
    cpose_draw_polygon(img, q, 4, f->shirt);
    for (int i = neck; i < f->n_segs; i++) {
        const struct seg *s = &f->segs[i];
        cpose_draw_line(img, (int)lround(s->x0), (int)lround(s->y0), (int)lround(s->x1), (int)lround(s->y1), s->col,
                        (int)fmax(1, lround(2 * s->r)));
    }
    cpose_draw_circle(img, (int)lround(f->head[0]), (int)lround(f->head[1]), (int)fmax(1, lround(f->head[2])), f->skin, -1);
    /* hair on the top/back half of the head */
    uint8_t hair[3] = {(uint8_t)(f->pants[0] / 3), (uint8_t)(f->pants[1] / 3 + 10), (uint8_t)(f->pants[2] / 4 + 20)};
    cpose_draw_circle(img, (int)lround(f->head[0]), (int)lround(f->head[1] - f->head[2] * 0.55),
                      (int)fmax(1, lround(f->head[2] * 0.55)), hair, -1);
}

static void draw_background(struct rng *r, struct cpose_image *img)
{
    int W = img->w, H = img->h;
    uint8_t base[3], base2[3];
    for (int c = 0; c < 3; c++) {
        base[c] = (uint8_t)rng_int(r, 30, 225);
        base2[c] = (uint8_t)rng_int(r, 30, 225);
    }
    double horizon = rng_uni(r, 0.3, 0.75) * H;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = img->data + ((size_t)y * W + x) * 3;
            const uint8_t *b = y < horizon ? base : base2;
            for (int c = 0; c < 3; c++) {
                int v = b[c] + (int)((rng_u64(r) & 63) - 32) + (int)(20.0 * y / H);
                p[c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    int n_shapes = rng_int(r, 3, 10);
    for (int i = 0; i < n_shapes; i++) {
        uint8_t col[3] = {(uint8_t)rng_int(r, 0, 255), (uint8_t)rng_int(r, 0, 255), (uint8_t)rng_int(r, 0, 255)};
        int x = rng_int(r, 0, W - 1), y = rng_int(r, 0, H - 1), s = rng_int(r, W / 20 + 1, W / 4 + 2);
        switch (rng_int(r, 0, 2)) {
        case 0: cpose_draw_rect(img, x, y, x + s, y + rng_int(r, s / 3, 2 * s), col, -1); break;
        case 1: cpose_draw_circle(img, x, y, s / 2 + 1, col, -1); break;
        default: cpose_draw_line(img, x, y, rng_int(r, 0, W - 1), rng_int(r, 0, H - 1), col, rng_int(r, 1, 4)); break;
        }
    }
    cpose_image_blur(img, rng_int(r, 1, 3) * 2 + 1);
}

int cpose_synth_render(uint64_t seed, int split, int index, int imgsz, struct cpose_image *img,
                       struct cpose_synth_person *persons, int max_persons, int *n_persons)
{
    struct rng r = {seed * 0x100000001B3ULL ^ ((uint64_t)split << 40) ^ (uint64_t)index * 0x9E3779B97F4A7C15ULL};
    rng_u64(&r);
    if (imgsz < 32) return cpose_err(CPOSE_EINVAL, "synth: imgsz=%d is too small (at least 32)", imgsz);
    int W = imgsz, H = imgsz;
    double aspect = rng_uni(&r, 0.6, 1.0);
    if (rng_int(&r, 0, 2) == 0) { /* square */
    } else if (rng_int(&r, 0, 1)) {
        H = (int)lround(imgsz * aspect) & ~1;
    } else {
        W = (int)lround(imgsz * aspect) & ~1;
    }
    int rc = cpose_image_new(img, W, H, 3, 0);
    if (rc) return rc;
    draw_background(&r, img);

    enum { MAXF = 6 };
    struct figure figs[MAXF];
    int nf = rng_int(&r, 1, 4);
    if (nf > max_persons) nf = max_persons;
    if (nf > MAXF) nf = MAXF;
    for (int i = 0; i < nf; i++) {
        double h = rng_uni(&r, 0.30, 0.95) * H;
        double px = rng_uni(&r, 0.05, 0.95) * W;
        double py = rng_uni(&r, 0.35, 0.85) * H + 0.12 * h;
        make_figure(&r, h, px, py, &figs[i]);
        figs[i].depth = py;
    }
    /* draw far (higher in the frame) figures first */
    for (int i = 1; i < nf; i++)
        for (int j = i; j > 0 && figs[j].depth < figs[j - 1].depth; j--) {
            struct figure t = figs[j];
            figs[j] = figs[j - 1];
            figs[j - 1] = t;
        }
    for (int i = 0; i < nf; i++) draw_figure(img, &figs[i]);
    struct occluder occ[2];
    int n_occ = rng_int(&r, 0, 3) == 0 ? rng_int(&r, 1, 2) : 0;
    for (int i = 0; i < n_occ; i++) {
        double w = rng_uni(&r, 0.05, 0.2) * W, h = rng_uni(&r, 0.1, 0.5) * H;
        occ[i].x0 = rng_uni(&r, 0, W - w);
        occ[i].y0 = rng_uni(&r, 0.3 * H, H - h);
        occ[i].x1 = occ[i].x0 + w;
        occ[i].y1 = occ[i].y0 + h;
        for (int c = 0; c < 3; c++) occ[i].col[c] = (uint8_t)rng_int(&r, 0, 255);
        cpose_draw_rect(img, (int)lround(occ[i].x0), (int)lround(occ[i].y0), (int)lround(occ[i].x1),
                        (int)lround(occ[i].y1), occ[i].col, -1);
    }

    /* keypoints, visibility, boxes and visible areas */
    for (int i = 0; i < nf; i++) {
        struct cpose_synth_person *p = &persons[i];
        const struct figure *f = &figs[i];
        memset(p, 0, sizeof *p);
        double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
        for (int s = 0; s < f->n_segs; s++) {
            const struct seg *g = &f->segs[s];
            x0 = fmin(x0, fmin(g->x0, g->x1) - g->r);
            x1 = fmax(x1, fmax(g->x0, g->x1) + g->r);
            y0 = fmin(y0, fmin(g->y0, g->y1) - g->r);
            y1 = fmax(y1, fmax(g->y0, g->y1) + g->r);
        }
        x0 = fmin(x0, f->head[0] - f->head[2]);
        x1 = fmax(x1, f->head[0] + f->head[2]);
        y0 = fmin(y0, f->head[1] - f->head[2]);
        y1 = fmax(y1, f->head[1] + f->head[2]);
        for (int k = 0; k < 4; k++) {
            x0 = fmin(x0, f->torso[2 * k]);
            x1 = fmax(x1, f->torso[2 * k]);
            y0 = fmin(y0, f->torso[2 * k + 1]);
            y1 = fmax(y1, f->torso[2 * k + 1]);
        }
        x0 = fmax(0, x0);
        y0 = fmax(0, y0);
        x1 = fmin(W, x1);
        y1 = fmin(H, y1);
        p->bbox[0] = x0;
        p->bbox[1] = y0;
        p->bbox[2] = fmax(0, x1 - x0);
        p->bbox[3] = fmax(0, y1 - y0);
        for (int k = 0; k < 17; k++) {
            double x = f->kp[k][0], y = f->kp[k][1];
            if (x < 0 || y < 0 || x >= W || y >= H) continue; /* outside the frame: 0, 0, 0 */
            int v = k < 5 ? f->face_v[k] : 2;
            for (int j = i + 1; j < nf && v == 2; j++)
                if (figure_covers(&figs[j], x, y)) v = 1;
            for (int j = 0; j < n_occ && v == 2; j++)
                if (x >= occ[j].x0 && x <= occ[j].x1 && y >= occ[j].y0 && y <= occ[j].y1) v = 1;
            p->kpt[k][0] = x;
            p->kpt[k][1] = y;
            p->kpt[k][2] = v;
            p->num_keypoints++;
        }
        /* visible area on a 2-pixel grid */
        long cnt = 0;
        for (double y = floor(y0) + 1; y < y1; y += 2)
            for (double x = floor(x0) + 1; x < x1; x += 2) {
                if (!figure_covers(f, x, y)) continue;
                int hidden = 0;
                for (int j = i + 1; j < nf && !hidden; j++) hidden = figure_covers(&figs[j], x, y);
                for (int j = 0; j < n_occ && !hidden; j++)
                    hidden = x >= occ[j].x0 && x <= occ[j].x1 && y >= occ[j].y0 && y <= occ[j].y1;
                cnt += !hidden;
            }
        p->area = 4.0 * (double)cnt;
    }
    *n_persons = nf;
    return CPOSE_OK;
}
