/* tests/test_pose_loss_grad.c — d(total)/d(raw head outputs) of the v8 pose loss against central
 * differences, on small generated batches: an image without objects, keypoints with visibility 0,
 * kdim 2 and 3, nc 1 and 2, COCO-17 and other keypoint counts.
 *
 * The assigner is piecewise constant and its target scores are detached in Ultralytics, as is the
 * alpha of CIoU (torch.no_grad), so the differences are taken with those frozen: the assignment, the
 * target scores and each foreground anchor's alpha are recorded at the unperturbed point and replayed
 * (CPOSE_ASSIGN_REPLAY) for every perturbed evaluation. The loss is then a smooth function
 * of the inputs (up to the kinks of CIoU's min/max, which random inputs do not sit on), evaluated in
 * double precision; each input is moved by ±h with the exact float step used in the quotient. */
/* cpose-layer: train */
#include <math.h>
#include <stdint.h>

#include "core/base/alloc.h"
#include "core/train/loss_impl.h"
#include "core/train/pose_loss.h"
#include "tests/testlib.h"

static uint64_t rng_state;
static double urand(void) /* uniform [0, 1) */
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}
static double nrand(void) { return sqrt(-2 * log(urand() + 1e-300)) * cos(2 * M_PI * urand()); }

struct gcase {
    const char *name;
    int B, nc, nkpt, kdim, nl;
    int H[3], W[3];
    float strides[3];
    int n;           /* objects */
    int img[8];      /* image of each object */
    float box[8][4]; /* cx cy w h normalized */
    int cls[8];
    float vis0_frac; /* share of keypoints with visibility 0 */
};

/* Runs one case: builds inputs, compares the analytic gradient with central differences on every
 * input element. Returns the number of elements checked. */
static int run_case(const struct gcase *g, uint64_t seed)
{
    rng_state = seed;
    struct cpose_pose_loss_cfg cfg;
    cpose_pose_loss_cfg_default(&cfg, g->nc, g->nkpt, g->kdim);
    const int C = 4 * cfg.reg_max + g->nc, K = g->nkpt, kd = g->kdim, B = g->B;
    int A = 0;
    float *feat[3], *gfeat[3];
    size_t nf[3];
    for (int l = 0; l < g->nl; l++) {
        nf[l] = (size_t)B * C * g->H[l] * g->W[l];
        feat[l] = cpose_malloc(sizeof(float) * nf[l]);
        gfeat[l] = cpose_malloc(sizeof(float) * nf[l]);
        for (size_t i = 0; i < nf[l]; i++) feat[l][i] = (float)(1.5 * nrand());
        A += g->H[l] * g->W[l];
    }
    size_t nk = (size_t)B * K * kd * A;
    float *kpt = cpose_malloc(sizeof(float) * nk), *gkpt = cpose_malloc(sizeof(float) * nk);

    /* targets; keypoints scattered inside each box, some unlabelled */
    float bi[8], cl[8], bb[32], *kp = cpose_malloc(sizeof(float) * 8 * K * kd);
    float imw = g->W[0] * g->strides[0], imh = g->H[0] * g->strides[0];
    for (int i = 0; i < g->n; i++) {
        bi[i] = (float)g->img[i];
        cl[i] = (float)g->cls[i];
        memcpy(bb + 4 * i, g->box[i], sizeof g->box[i]);
        for (int k = 0; k < K; k++) {
            float *p = kp + ((size_t)i * K + k) * kd;
            p[0] = g->box[i][0] + (float)((urand() - 0.5) * g->box[i][2]);
            p[1] = g->box[i][1] + (float)((urand() - 0.5) * g->box[i][3]);
            if (kd == 3) p[2] = urand() < g->vis0_frac ? 0.0f : (urand() < 0.5 ? 1.0f : 2.0f);
        }
    }
    /* raw keypoints: predictions near the keypoints of the object whose box holds the anchor (so the
     * OKS terms have non-vanishing slopes), plain noise elsewhere */
    for (int b = 0; b < B; b++) {
        int a = 0;
        for (int l = 0; l < g->nl; l++)
            for (int y = 0; y < g->H[l]; y++)
                for (int x = 0; x < g->W[l]; x++, a++) {
                    float ax = x + 0.5f, ay = y + 0.5f, st = g->strides[l];
                    int obj = -1;
                    for (int i = 0; i < g->n && obj < 0; i++)
                        if (g->img[i] == b && fabsf(ax * st / imw - g->box[i][0]) < g->box[i][2] / 2 &&
                            fabsf(ay * st / imh - g->box[i][1]) < g->box[i][3] / 2)
                            obj = i;
                    for (int k = 0; k < K; k++) {
                        float *r = kpt + ((size_t)b * K * kd + (size_t)k * kd) * A + a;
                        if (obj >= 0) {
                            const float *p = kp + ((size_t)obj * K + k) * kd;
                            r[0] = (float)((p[0] * imw / st - ax + 0.5) / 2 + 0.15 * nrand());
                            r[A] = (float)((p[1] * imh / st - ay + 0.5) / 2 + 0.15 * nrand());
                        } else {
                            r[0] = (float)nrand();
                            r[A] = (float)nrand();
                        }
                        if (kd == 3) r[2 * (size_t)A] = (float)(2 * nrand());
                    }
                }
    }
    struct cpose_pose_targets t = {g->n, bi, cl, bb, kp};
    const float *fc[3] = {feat[0], feat[1], feat[2]};

    size_t BA = (size_t)B * A;
    struct cpose_pose_loss_ws *ws = cpose_pose_loss_ws_new(); /* reused by every evaluation below */
    struct cpose_pose_assignment fz = {CPOSE_ASSIGN_RECORD, cpose_malloc(sizeof(int) * BA), cpose_malloc(BA),
                                       cpose_malloc(sizeof(float) * BA), cpose_malloc(sizeof(double) * BA)};
    double items[5], total;
    int rc = cpose_pose_loss_eval(&cfg, B, g->nl, fc, g->H, g->W, g->strides, kpt, &t, items, &total, gfeat, gkpt, &fz, ws);
    CHECK_MSG(rc == CPOSE_OK, "%s: %s", g->name, cpose_errmsg());
    int nfg = 0;
    for (size_t i = 0; i < BA; i++) nfg += fz.fg[i];
    CHECK_MSG(nfg > 0, "%s: no foreground anchor, the case tests nothing", g->name);
    /* every item is live when there is foreground (kobj only with visibility) */
    for (int k = 0; k < 5; k++)
        if (!(k == 2 && kd == 2)) CHECK_MSG(items[k] > 0, "%s: item %d is %g", g->name, k, items[k]);
    fz.mode = CPOSE_ASSIGN_REPLAY;

    int checked = 0, bad = 0;
    double worst = 0;
    const double h = 1e-4;
    for (int part = 0; part <= g->nl; part++) {
        float *x = part < g->nl ? feat[part] : kpt;
        const float *ga = part < g->nl ? gfeat[part] : gkpt;
        size_t n = part < g->nl ? nf[part] : nk;
        for (size_t i = 0; i < n; i++) {
            float x0 = x[i], xp = (float)(x0 + h), xm = (float)(x0 - h);
            double tp, tm;
            x[i] = xp;
            cpose_pose_loss_eval(&cfg, B, g->nl, fc, g->H, g->W, g->strides, kpt, &t, NULL, &tp, NULL, NULL, &fz, ws);
            x[i] = xm;
            cpose_pose_loss_eval(&cfg, B, g->nl, fc, g->H, g->W, g->strides, kpt, &t, NULL, &tm, NULL, NULL, &fz, ws);
            x[i] = x0;
            double num = (tp - tm) / ((double)xp - (double)xm);
            double err = fabs(num - ga[i]) / (1e-3 + fabs(num));
            if (err > worst) worst = err;
            if (err > 5e-5) {
                if (getenv("GDEBUG") && bad < 3) {
                    double ip[5], im[5];
                    x[i] = xp;
                    cpose_pose_loss_eval(&cfg, B, g->nl, fc, g->H, g->W, g->strides, kpt, &t, ip, NULL, NULL, NULL, &fz, ws);
                    x[i] = xm;
                    cpose_pose_loss_eval(&cfg, B, g->nl, fc, g->H, g->W, g->strides, kpt, &t, im, NULL, NULL, NULL, &fz, ws);
                    x[i] = x0;
                    for (int k = 0; k < 5; k++) fprintf(stderr, "  item %d: d/dx %.9g\n", k, B * (ip[k] - im[k]) / ((double)xp - xm));
                }
                if (bad++ < 5)
                    fprintf(stderr, "%s: part %d element %zu analytic %.9g numeric %.9g\n", g->name, part, i, ga[i],
                            num);
            }
            checked++;
        }
    }
    printf("%-28s %d inputs, %d foreground anchors, worst relative error %.2e\n", g->name, checked, nfg, worst);
    CHECK_MSG(bad == 0, "%s: %d gradient entries off", g->name, bad);

    /* the replayed assignment gives back the unfrozen value at the base point */
    double total2;
    cpose_pose_loss_eval(&cfg, B, g->nl, fc, g->H, g->W, g->strides, kpt, &t, NULL, &total2, NULL, NULL, &fz, ws);
    CHECK_NEAR(total2, total, 1e-9 * fabs(total));

    for (int l = 0; l < g->nl; l++) {
        cpose_free(feat[l]);
        cpose_free(gfeat[l]);
    }
    cpose_free(kpt);
    cpose_free(gkpt);
    cpose_free(kp);
    cpose_free(fz.target_gt);
    cpose_free(fz.fg);
    cpose_free(fz.score);
    cpose_free(fz.ciou_alpha);
    cpose_pose_loss_ws_free(ws);
    return checked;
}

int main(void)
{
    /* two levels, 32×32 image: 4×4 at stride 8 and 2×2 at stride 16 (20 anchors ≥ topk 10) */
    const struct gcase cases[] = {
        {"coco17 kdim3 nc1, empty img", 2, 1, 17, 3, 2, {4, 2}, {4, 2}, {8, 16}, 2, {0, 0},
         {{0.40f, 0.45f, 0.55f, 0.60f}, {0.70f, 0.65f, 0.35f, 0.50f}}, {0, 0}, 0.3f},
        {"5 kpts kdim2 nc2", 2, 2, 5, 2, 2, {4, 2}, {4, 2}, {8, 16}, 3, {0, 1, 1},
         {{0.50f, 0.50f, 0.60f, 0.70f}, {0.30f, 0.35f, 0.40f, 0.45f}, {0.72f, 0.70f, 0.45f, 0.50f}}, {1, 0, 1}, 0},
        {"17 kpts kdim2 nc1 (1/K sigmas)", 1, 1, 17, 2, 2, {4, 2}, {4, 2}, {8, 16}, 1, {0},
         {{0.52f, 0.48f, 0.70f, 0.65f}}, {0}, 0},
        {"4 kpts kdim3 nc2, 3 levels", 2, 2, 4, 3, 3, {4, 2, 1}, {6, 3, 1}, {8, 16, 32}, 3, {1, 1, 0},
         {{0.30f, 0.50f, 0.40f, 0.80f}, {0.65f, 0.45f, 0.50f, 0.70f}, {0.50f, 0.50f, 0.90f, 0.90f}}, {0, 1, 1}, 0.5f},
    };
    int total = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) total += run_case(&cases[i], 1234 + i);
    CHECK(total > 5000);
    printf("%d passed, %d failed\n", tl_passed, tl_failed);
    return tl_failed != 0;
}
