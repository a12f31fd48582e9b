/* tests/test_parity.c — the eval forward against Ultralytics' outputs on the parity fixture
 * (parity_seed0_bncal.h5 with yolov8n-pose-seed0-bncal.h5): pred, pred_fused, raw head outputs. */
/* cpose-layer: nn */
#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/nn/kernels.h"
#include "core/nn/model.h"
#include "core/nn/model_impl.h"
#include "tests/testlib.h"
#include "tests/tl_pred.h"

#include <math.h>
#include <string.h>

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (e > m || isnan(e)) m = isnan(e) ? INFINITY : e;
    }
    return m;
}

int main(void)
{
    const char *wpath = tl_fixture("ultralytics/yolov8n-pose-seed0-bncal.h5");
    const char *ppath = tl_fixture("ultralytics/parity_seed0_bncal.h5");
    struct cpose_model *m = NULL;
    struct cpose_h5 *f = NULL;
    float *input = NULL, *pred = NULL, *pred_fused = NULL, *kraw = NULL, *got = NULL;
    int nd;
    int64_t d[CPOSE_H5_MAX_DIMS];
    CHECK(cpose_model_load(wpath, NULL, &m) == CPOSE_OK);
    CHECK(cpose_h5_open(ppath, &f) == CPOSE_OK);
    if (!m || !f) return tl_finish();
    CHECK(cpose_h5_read_f32(f, "input", &input, &nd, d) == CPOSE_OK);
    CHECK(cpose_h5_read_f32(f, "pred", &pred, NULL, NULL) == CPOSE_OK);
    CHECK(cpose_h5_read_f32(f, "pred_fused", &pred_fused, NULL, NULL) == CPOSE_OK);
    CHECK(cpose_h5_read_f32(f, "kpt_raw", &kraw, NULL, NULL) == CPOSE_OK);
    int64_t A = cpose_model_num_anchors(m, 640, 640);
    CHECK(A == 8400);
    got = malloc(sizeof(float) * 65 * 80 * 80 > sizeof(float) * 56 * A ? sizeof(float) * 65 * 80 * 80 : sizeof(float) * 56 * A);

    /* unfused reference path */
    CHECK(cpose_model_predict_unfused(m, input, 1, 640, 640, got) == CPOSE_OK);
    tl_check_pred("unfused vs pred", got, pred, A);
    /* fused (default) path */
    CHECK(cpose_model_predict(m, input, 1, 640, 640, got) == CPOSE_OK);
    tl_check_pred("fused vs pred", got, pred, A);
    tl_check_pred("fused vs pred_fused", got, pred_fused, A);
    /* every conv runs an optimised oneDNN kernel (a "ref" one is the 100× slow trap) */
    {
        int nref = 0, nconv = 0;
        for (int i = 0; i < cpose_graph_size(m->fused); i++) {
            struct cpose_node *nd = cpose_graph_node(m->fused, i);
            if (nd->op != CPOSE_OP_conv2d) continue;
            const char *impl = cpose_conv_kernel_impl(((struct cpose_conv2d_params *)nd->params)->kern);
            nconv++;
            if (!*impl || !strncmp(impl, "ref", 3)) nref++, fprintf(stderr, "conv %s runs '%s'\n", nd->name, impl);
        }
        CHECK(nconv == 72);
        CHECK_MSG(nref == 0, "%d of %d convs on a reference kernel", nref, nconv);
    }
    /* raw head outputs of the fused run */
    for (int l = 0; l < 3; l++) {
        char name[32];
        float *ref = NULL;
        int64_t rd[CPOSE_H5_MAX_DIMS];
        snprintf(name, sizeof name, "level%d_raw", l);
        CHECK(cpose_h5_read_f32(f, name, &ref, &nd, rd) == CPOSE_OK);
        CHECK(cpose_model_level_raw(m, l, got) == CPOSE_OK);
        size_t n = (size_t)rd[0] * rd[1] * rd[2] * rd[3];
        double e = max_abs_diff(got, ref, n);
        printf("%s: max |diff| %.3g\n", name, e);
        CHECK_MSG(e <= 1e-3, "%s %.3g", name, e);
        cpose_free(ref);
    }
    CHECK(cpose_model_kpt_raw(m, got) == CPOSE_OK);
    double e = max_abs_diff(got, kraw, (size_t)51 * A);
    printf("kpt_raw: max |diff| %.3g\n", e);
    CHECK_MSG(e <= 1e-3, "kpt_raw %.3g", e);

    /* batch 2 of rectangular 384×640 crops = each crop alone; then 640² again (kernels re-made) */
    {
        int64_t H = 384, W = 640, A2 = cpose_model_num_anchors(m, H, W), img = 3 * H * W;
        float *b2 = malloc(sizeof(float) * 2 * img), *p2 = malloc(sizeof(float) * 2 * 56 * A2), *p1 = malloc(sizeof(float) * 56 * A2);
        for (int c = 0; c < 3; c++) {
            memcpy(b2 + c * H * W, input + c * 640 * 640, sizeof(float) * H * W);                    /* rows 0..383 */
            memcpy(b2 + img + c * H * W, input + c * 640 * 640 + 256 * 640, sizeof(float) * H * W); /* rows 256..639 */
        }
        CHECK(A2 == 48 * 80 + 24 * 40 + 12 * 20);
        CHECK(cpose_model_predict(m, b2, 2, H, W, p2) == CPOSE_OK);
        for (int k = 0; k < 2; k++) {
            CHECK(cpose_model_predict(m, b2 + k * img, 1, H, W, p1) == CPOSE_OK);
            double e = max_abs_diff(p1, p2 + k * 56 * A2, (size_t)56 * A2);
            CHECK_MSG(e <= 1e-3, "batch image %d vs alone: %.3g", k, e);
        }
        CHECK(cpose_model_predict(m, input, 1, 640, 640, got) == CPOSE_OK);
        tl_check_pred("fused again after other shapes", got, pred, A);
        free(b2), free(p2), free(p1);
    }
    cpose_free(input), cpose_free(pred), cpose_free(pred_fused), cpose_free(kraw), free(got);
    cpose_h5_close(f);
    cpose_model_free(m);
    return tl_finish();
}
