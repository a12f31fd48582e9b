/* tests/test_pose_loss.c — the v8 pose loss: parity with Ultralytics on the stored fixture batch
 * (items and total within 1e-4 relative of REFERENCE.md), generated cases whose items are computed
 * here from the closed-form formulas, and the input errors. */
/* cpose-layer: train */
#include <math.h>

#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/train/pose_loss.h"
#include "tests/testlib.h"

/* ---- fixture parity ---- */

static void test_fixture(void)
{
    const char *path = tl_fixture("ultralytics/parity_loss_seed0.h5");
    struct cpose_h5 *f;
    CHECK(cpose_h5_open(path, &f) == CPOSE_OK);
    float *lv[3], *kpt, *bi, *cls, *bb, *kp;
    int nd;
    int64_t d[CPOSE_H5_MAX_DIMS];
    int H[3], W[3];
    char name[64];
    for (int l = 0; l < 3; l++) {
        snprintf(name, sizeof name, "train_level%d_raw", l);
        CHECK(cpose_h5_read_f32(f, name, &lv[l], &nd, d) == CPOSE_OK);
        H[l] = (int)d[2];
        W[l] = (int)d[3];
    }
    CHECK(cpose_h5_read_f32(f, "train_kpt_raw", &kpt, &nd, d) == CPOSE_OK);
    CHECK(cpose_h5_read_f32(f, "batch_idx", &bi, &nd, d) == CPOSE_OK);
    int n = (int)d[0];
    CHECK(cpose_h5_read_f32(f, "cls", &cls, &nd, d) == CPOSE_OK);
    CHECK(cpose_h5_read_f32(f, "bboxes", &bb, &nd, d) == CPOSE_OK);
    CHECK(cpose_h5_read_f32(f, "keypoints", &kp, &nd, d) == CPOSE_OK);
    cpose_h5_close(f);

    struct cpose_pose_loss_cfg cfg;
    cpose_pose_loss_cfg_default(&cfg, 1, 17, 3);
    struct cpose_pose_targets t = {n, bi, cls, bb, kp};
    const float strides[3] = {8, 16, 32};
    float items[5], total;
    const float *feats[3] = {lv[0], lv[1], lv[2]};
    CHECK(cpose_pose_loss(&cfg, 8, 3, feats, H, W, strides, kpt, &t, items, &total, NULL, NULL) == CPOSE_OK);
    const double ref[5] = {3.8599308, 10.8120279, 0.7056984, 3.8678243, 4.2356339}, ref_total = 187.84892;
    const char *nm[5] = {"box", "pose", "kobj", "cls", "dfl"};
    for (int k = 0; k < 5; k++) {
        double rel = fabs(items[k] - ref[k]) / ref[k];
        printf("fixture %-4s %.7f  reference %.7f  rel %.2e\n", nm[k], items[k], ref[k], rel);
        CHECK_MSG(rel < 1e-4, "%s item %.7f vs %.7f", nm[k], items[k], ref[k]);
    }
    printf("fixture total %.5f  reference %.5f  rel %.2e\n", total, ref_total, fabs(total - ref_total) / ref_total);
    CHECK(fabs(total - ref_total) / ref_total < 1e-4);

    /* the gradient call gives the same items, and a finite, non-zero gradient */
    size_t C = 65, A = 0;
    float *gf[3];
    for (int l = 0; l < 3; l++) {
        gf[l] = cpose_malloc(sizeof(float) * 8 * C * H[l] * W[l]);
        A += (size_t)H[l] * W[l];
    }
    float *gk = cpose_malloc(sizeof(float) * 8 * 51 * A);
    float items2[5], total2;
    CHECK(cpose_pose_loss(&cfg, 8, 3, feats, H, W, strides, kpt, &t, items2, &total2, gf, gk) == CPOSE_OK);
    CHECK(memcmp(items, items2, sizeof items) == 0 && total == total2);
    double g2 = 0;
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < 8 * C * H[l] * W[l]; i++) g2 += (double)gf[l][i] * gf[l][i];
    for (size_t i = 0; i < 8 * 51 * A; i++) g2 += (double)gk[i] * gk[i];
    CHECK(isfinite(g2) && g2 > 0);

    /* a reused workspace gives the same results, also for a smaller batch after a larger one (the
     * first 4 images: batch-major layouts make them a prefix; their targets are the first 9 rows) */
    struct cpose_pose_loss_ws *ws = cpose_pose_loss_ws_new();
    float items3[5], total3, items4[5], total4;
    CHECK(cpose_pose_loss_ws_run(ws, &cfg, 8, 3, feats, H, W, strides, kpt, &t, items3, &total3, gf, gk) == CPOSE_OK);
    CHECK(memcmp(items, items3, sizeof items) == 0 && total == total3);
    struct cpose_pose_targets t4 = {9, bi, cls, bb, kp};
    CHECK(bi[8] == 3 && bi[9] == 4);
    CHECK(cpose_pose_loss_ws_run(ws, &cfg, 4, 3, feats, H, W, strides, kpt, &t4, items3, &total3, NULL, NULL) == CPOSE_OK);
    CHECK(cpose_pose_loss(&cfg, 4, 3, feats, H, W, strides, kpt, &t4, items4, &total4, NULL, NULL) == CPOSE_OK);
    CHECK(memcmp(items3, items4, sizeof items3) == 0 && total3 == total4);
    CHECK(total4 != total);
    cpose_pose_loss_ws_free(ws);
    for (int l = 0; l < 3; l++) {
        cpose_free(gf[l]);
        cpose_free(lv[l]);
    }
    cpose_free(gk);
    cpose_free(kpt);
    cpose_free(bi);
    cpose_free(cls);
    cpose_free(bb);
    cpose_free(kp);
}

/* ---- a generated case whose items follow from the formulas ----
 * One 32×32 image, one level of 4×4 anchors at stride 8, one object with box (2, 2)–(22, 22) px: exactly
 * the 9 anchors at 4, 12, 20 px are inside it, fewer than topk = 10, and each has a positive CIoU, so all
 * 9 are foreground. Every anchor predicts the same DFL logits and class logit, and the same raw
 * keypoints; the expected items are computed below from the formulas alone. */

static double ref_ciou(const double p[4], const double g[4])
{
    const double eps = 1e-7;
    double w1 = p[2] - p[0], h1 = p[3] - p[1] + eps, w2 = g[2] - g[0], h2 = g[3] - g[1] + eps;
    double iw = fmin(p[2], g[2]) - fmax(p[0], g[0]), ih = fmin(p[3], g[3]) - fmax(p[1], g[1]);
    double inter = fmax(iw, 0) * fmax(ih, 0), uni = w1 * h1 + w2 * h2 - inter + eps, iou = inter / uni;
    double cw = fmax(p[2], g[2]) - fmin(p[0], g[0]), ch = fmax(p[3], g[3]) - fmin(p[1], g[1]);
    double c2 = cw * cw + ch * ch + eps;
    double dx = (g[0] + g[2]) - (p[0] + p[2]), dy = (g[1] + g[3]) - (p[1] + p[3]);
    double rho2 = (dx * dx + dy * dy) / 4;
    double v = 4 / (M_PI * M_PI) * pow(atan(w2 / h2) - atan(w1 / h1), 2);
    double alpha = v / (v - iou + 1 + eps);
    return iou - (rho2 / c2 + v * alpha);
}

static double softplus(double x) { return log1p(exp(x)); }

static void test_closed_form(int kdim)
{
    const int R = 16, C = 4 * R + 1, A = 16, K = 2;
    float *feat = cpose_calloc((size_t)C * A, sizeof(float)), *kpt = cpose_calloc((size_t)K * kdim * A, sizeof(float));
    const double zcls = 0.3, rx = 0.1, ry = -0.2, rv = 0.4;
    for (int a = 0; a < A; a++) {
        for (int s = 0; s < 4; s++) {
            feat[(s * R + 2) * A + a] = 2.0f; /* bins: 2 → logit 2, 3 → logit 1, others 0 */
            feat[(s * R + 3) * A + a] = 1.0f;
        }
        feat[(4 * R) * A + a] = (float)zcls;
        for (int k = 0; k < K; k++) {
            kpt[(k * kdim) * A + a] = (float)rx;
            kpt[(k * kdim + 1) * A + a] = (float)ry;
            if (kdim == 3) kpt[(k * kdim + 2) * A + a] = (float)rv;
        }
    }
    float bi[1] = {0}, cl[1] = {0}, bb[4] = {12.0f / 32, 12.0f / 32, 20.0f / 32, 20.0f / 32};
    float kp[6] = {10.0f / 32, 10.0f / 32, 2, 16.0f / 32, 14.0f / 32, 0};
    if (kdim == 2) { kp[2] = 16.0f / 32; kp[3] = 14.0f / 32; }
    struct cpose_pose_targets t = {1, bi, cl, bb, kp};
    struct cpose_pose_loss_cfg cfg;
    cpose_pose_loss_cfg_default(&cfg, 1, K, kdim);
    const float *fp[1] = {feat};
    int H[1] = {4}, W[1] = {4};
    float st[1] = {8}, items[5], total;
    CHECK(cpose_pose_loss(&cfg, 1, 1, fp, H, W, st, kpt, &t, items, &total, NULL, NULL) == CPOSE_OK);

    /* decoded distance: softmax of (0, 0, 2, 1, 0, …) → expectation */
    double den = 14 + exp(2.0) + exp(1.0), e = (2 * exp(2.0) + 3 * exp(1.0) + (120 - 5)) / den;
    double lse = log(den); /* log Σ exp(logits) */
    const double g[4] = {2 / 8.0, 2 / 8.0, 22 / 8.0, 22 / 8.0}; /* target box in grid cells */
    double ciou[9], metric[9], score = 1 / (1 + exp(-zcls)), max_ov = 0, max_m = 0;
    int idx[9], n = 0;
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) {
            double ax = x + 0.5, ay = y + 0.5;
            if (!(ax * 8 > 2 && ax * 8 < 22 && ay * 8 > 2 && ay * 8 < 22)) continue;
            double p[4] = {ax - e, ay - e, ax + e, ay + e};
            ciou[n] = ref_ciou(p, g);
            metric[n] = sqrt(score) * pow(ciou[n], 6);
            max_ov = fmax(max_ov, ciou[n]);
            max_m = fmax(max_m, metric[n]);
            idx[n++] = y * 4 + x;
        }
    CHECK(n == 9);
    double tsum = 0, box = 0, dfl = 0, cls = 0, pose = 0, kobj = 0;
    double w[9];
    for (int i = 0; i < n; i++) {
        CHECK(ciou[i] > 0); /* the premise: every inside anchor has a positive metric */
        w[i] = metric[i] * max_ov / (max_m + 1e-9);
        tsum += w[i];
    }
    double S = fmax(tsum, 1.0);
    for (int a = 0; a < A; a++) cls += softplus(zcls); /* BCE(z, t) = softplus(z) − z·t */
    for (int i = 0; i < n; i++) {
        cls -= zcls * w[i];
        box += (1 - ciou[i]) * w[i];
        double ax = idx[i] % 4 + 0.5, ay = idx[i] / 4 + 0.5;
        double tgt[4] = {ax - g[0], ay - g[1], g[2] - ax, g[3] - ay}, side = 0;
        for (int s = 0; s < 4; s++) {
            double d = fmin(fmax(tgt[s], 0), 14.99);
            int tl = (int)d;
            double wl = tl + 1 - d, wr = 1 - wl;
            double z_tl = tl == 2 ? 2 : tl == 3 ? 1 : 0, z_tr = tl + 1 == 2 ? 2 : tl + 1 == 3 ? 1 : 0;
            side += (lse - z_tl) * wl + (lse - z_tr) * wr;
        }
        dfl += side / 4 * w[i];
        /* keypoints in grid cells; sigma = 1/K (not COCO-17); area of the target box in cells² */
        double area = (g[2] - g[0]) * (g[3] - g[1]);
        double gx[2] = {10 / 8.0, 16 / 8.0}, gy[2] = {10 / 8.0, 14 / 8.0}, m[2] = {1, kdim == 3 ? 0 : 1};
        double labelled = m[0] + m[1], factor = K / (labelled + 1e-9);
        for (int k = 0; k < K; k++) {
            double px = 2 * rx + ax - 0.5, py = 2 * ry + ay - 0.5;
            double d2 = pow(px - gx[k], 2) + pow(py - gy[k], 2);
            double ek = d2 / (pow(2 * 0.5, 2) * (area + 1e-9) * 2);
            pose += factor * (1 - exp(-ek)) * m[k];
            kobj += softplus(rv) - rv * m[k];
        }
    }
    double ref[5] = {7.5 * box / S, 12 * pose / (n * K), kdim == 3 ? kobj / (n * K) : 0, 0.5 * cls / S, 1.5 * dfl / S};
    double sum = 0;
    for (int k = 0; k < 5; k++) {
        CHECK_MSG(fabs(items[k] - ref[k]) <= 1e-5 * fabs(ref[k]) + 1e-7, "kdim %d item %d: %.8g, formula %.8g", kdim, k,
                  items[k], ref[k]);
        sum += ref[k];
    }
    CHECK_NEAR(total, sum, 1e-5 * sum);
    cpose_free(feat);
    cpose_free(kpt);
}

/* No objects anywhere: only the class term remains, Σ softplus(z) / 1, and its gradient is σ(z)·gain·B. */
static void test_no_objects(void)
{
    const int C = 65, A = 16, B = 2;
    float *feat = cpose_malloc(sizeof(float) * B * C * A), *kpt = cpose_malloc(sizeof(float) * B * 51 * A);
    for (int i = 0; i < B * C * A; i++) feat[i] = (float)sin(i * 0.37) * 3;
    for (int i = 0; i < B * 51 * A; i++) kpt[i] = (float)cos(i * 0.11);
    float *gf = cpose_malloc(sizeof(float) * B * C * A), *gk = cpose_malloc(sizeof(float) * B * 51 * A);
    struct cpose_pose_targets t = {0, NULL, NULL, NULL, NULL};
    struct cpose_pose_loss_cfg cfg;
    cpose_pose_loss_cfg_default(&cfg, 1, 17, 3);
    const float *fp[1] = {feat};
    float *gp[1] = {gf};
    int H[1] = {4}, W[1] = {4};
    float st[1] = {8}, items[5], total;
    CHECK(cpose_pose_loss(&cfg, B, 1, fp, H, W, st, kpt, &t, items, &total, gp, gk) == CPOSE_OK);
    double cls = 0, gmax = 0, kmax = 0;
    for (int b = 0; b < B; b++)
        for (int a = 0; a < A; a++) {
            double z = feat[(b * C + 64) * A + a];
            cls += softplus(z);
            CHECK_NEAR(gf[(b * C + 64) * A + a], B * 0.5 / (1 + exp(-z)), 1e-6);
        }
    for (int b = 0; b < B; b++)
        for (int c = 0; c < 64; c++)
            for (int a = 0; a < A; a++) gmax = fmax(gmax, fabs(gf[(b * C + c) * A + a]));
    for (int i = 0; i < B * 51 * A; i++) kmax = fmax(kmax, fabs(gk[i]));
    CHECK(items[0] == 0 && items[1] == 0 && items[2] == 0 && items[4] == 0);
    CHECK_NEAR(items[3], 0.5 * cls, 1e-5 * cls);
    CHECK_NEAR(total, B * 0.5 * cls, 1e-5 * B * cls);
    CHECK(gmax == 0 && kmax == 0);
    cpose_free(feat);
    cpose_free(kpt);
    cpose_free(gf);
    cpose_free(gk);
}

/* Bad input is refused with a message naming the offending value; nothing is written. */
static void test_errors(void)
{
    const int C = 65, A = 16;
    float *feat = cpose_calloc((size_t)C * A, sizeof(float)), *kpt = cpose_calloc((size_t)51 * A, sizeof(float));
    float bi[1] = {0}, cl[1] = {0}, bb[4] = {0.5f, 0.5f, 0.2f, 0.2f}, kp[51] = {0};
    struct cpose_pose_targets t = {1, bi, cl, bb, kp};
    struct cpose_pose_loss_cfg cfg;
    cpose_pose_loss_cfg_default(&cfg, 1, 17, 3);
    const float *fp[1] = {feat};
    int H[1] = {4}, W[1] = {4};
    float st[1] = {8}, items[5] = {-1, -1, -1, -1, -1}, total = -1;

    bi[0] = 1;
    CHECK(cpose_pose_loss(&cfg, 1, 1, fp, H, W, st, kpt, &t, items, &total, NULL, NULL) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "batch_idx 1");
    bi[0] = 0;
    cl[0] = 3;
    CHECK(cpose_pose_loss(&cfg, 1, 1, fp, H, W, st, kpt, &t, items, &total, NULL, NULL) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "class 3");
    cl[0] = 0;
    feat[5 * A + 7] = NAN;
    CHECK(cpose_pose_loss(&cfg, 1, 1, fp, H, W, st, kpt, &t, items, &total, NULL, NULL) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "non-finite");
    feat[5 * A + 7] = 0;
    kp[4] = INFINITY;
    CHECK(cpose_pose_loss(&cfg, 1, 1, fp, H, W, st, kpt, &t, items, &total, NULL, NULL) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "keypoints");
    kp[4] = 0;
    int H2[1] = {2}, W2[1] = {2}; /* 4 anchors < topk 10 */
    CHECK(cpose_pose_loss(&cfg, 1, 1, fp, H2, W2, st, kpt, &t, items, &total, NULL, NULL) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "topk");
    cfg.kdim = 4;
    CHECK(cpose_pose_loss(&cfg, 1, 1, fp, H, W, st, kpt, &t, items, &total, NULL, NULL) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "kpt_shape");
    CHECK(items[0] == -1 && total == -1); /* nothing written on failure */
    cfg.kdim = 3;
    CHECK(cpose_pose_loss(&cfg, 1, 1, fp, H, W, st, kpt, &t, items, &total, NULL, NULL) == CPOSE_OK);
    cpose_free(feat);
    cpose_free(kpt);
}

int main(void)
{
    test_closed_form(3);
    test_closed_form(2);
    test_no_objects();
    test_errors();
    if (tl_fixtures()) test_fixture();
    else printf("SKIP fixture parity: ../shared/fixtures not found (the generated cases ran)\n");
    printf("%d passed, %d failed\n", tl_passed, tl_failed);
    return tl_failed != 0;
}
