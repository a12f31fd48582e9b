/* tests/test_onnx_parity.c — ONNX import against the fixtures: Ultralytics' own ONNX export of the
 * bncal weights, imported and run on cpose's engine, reproduces Ultralytics' `pred` of the parity
 * fixture within the forward tolerances of test_parity.c; the export of the plain seed-0 weights
 * gives the same output as the HDF5 weights run by cpose; the metadata gives names, kpt_shape,
 * stride and imgsz; the head runs as the fused pose_head op and the convs carry SiLU. */
/* cpose-layer: nn */
#include "core/nn/h5io.h"
#include "core/nn/model.h"
#include "core/nn/model_impl.h"
#include "tests/testlib.h"
#include "tests/tl_pred.h"

#include <math.h>
#include <string.h>

int main(void)
{
    const char *onnx_bncal = tl_fixture("ultralytics/yolov8n-pose-seed0-bncal.onnx");
    const char *onnx_seed0 = tl_fixture("ultralytics/yolov8n-pose-seed0.onnx");
    const char *h5_seed0 = tl_fixture("ultralytics/yolov8n-pose-seed0.h5");
    const char *ppath = tl_fixture("ultralytics/parity_seed0_bncal.h5");
    struct cpose_model *m = NULL, *ref = NULL;
    struct cpose_h5 *f = NULL;
    float *input = NULL, *pred = NULL;
    CHECK(cpose_h5_open(ppath, &f) == CPOSE_OK);
    CHECK(f && cpose_h5_read_f32(f, "input", &input, NULL, NULL) == CPOSE_OK);
    CHECK(f && cpose_h5_read_f32(f, "pred", &pred, NULL, NULL) == CPOSE_OK);
    cpose_h5_close(f);
    int rc = cpose_model_load(onnx_bncal, NULL, &m);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    if (!m || !input || !pred) return tl_finish();

    /* metadata, as AutoBackend reads it */
    const struct cpose_model_info *mi = cpose_model_get_info(m);
    CHECK(mi->nc == 1 && mi->n_names == 1 && !strcmp(mi->names[0], "person"));
    CHECK(mi->nkpt == 17 && mi->kdim == 3 && mi->n_outputs == 56);
    CHECK(mi->n_levels == 3 && mi->strides[0] == 8 && mi->strides[1] == 16 && mi->strides[2] == 32);
    CHECK(mi->max_stride == 32 && mi->imgsz == 640);
    CHECK(mi->flip_idx[1] == 2 && mi->flip_idx[16] == 15);

    int64_t A = cpose_model_num_anchors(m, 640, 640);
    CHECK(A == 8400);
    float *got = malloc(sizeof(float) * 56 * A), *got2 = malloc(sizeof(float) * 56 * A);
    CHECK(cpose_model_predict(m, input, 1, 640, 640, got) == CPOSE_OK);
    tl_check_pred("imported bncal.onnx vs Ultralytics pred", got, pred, A);
    CHECK(cpose_model_predict_unfused(m, input, 1, 640, 640, got2) == CPOSE_OK);
    tl_check_pred("imported bncal.onnx unfused vs Ultralytics pred", got2, pred, A);

    /* the engine's fusions apply: the head is pose_head, every conv but the head outputs has SiLU */
    int n_conv = 0, n_silu_conv = 0, n_head = 0, n_silu_left = 0;
    for (int i = 0; i < cpose_graph_size(m->fused); i++) {
        const struct cpose_node *nd = cpose_graph_node(m->fused, i);
        if (nd->op == CPOSE_OP_conv2d) {
            n_conv++;
            n_silu_conv += ((const struct cpose_conv2d_params *)nd->params)->act == CPOSE_ACT_SILU;
        }
        n_head += nd->op == CPOSE_OP_pose_head;
        n_silu_left += nd->op == CPOSE_OP_silu || nd->op == CPOSE_OP_sigmoid || nd->op == CPOSE_OP_mul;
    }
    printf("fused graph: %d nodes, %d convs (%d with SiLU), %d pose_head\n", cpose_graph_size(m->fused), n_conv,
           n_silu_conv, n_head);
    CHECK(n_conv == 72 && n_silu_conv == 63 && n_head == 1 && n_silu_left == 0);

    /* a rectangular size runs too (pose_head does not depend on the export's 640x640) */
    CHECK(cpose_model_predict(m, input, 1, 320, 640, got2) == CPOSE_OK);

    /* seed-0 export vs the same weights from HDF5, both on cpose */
    cpose_model_free(m);
    m = NULL;
    rc = cpose_model_load(onnx_seed0, NULL, &m);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    CHECK(cpose_model_load(h5_seed0, NULL, &ref) == CPOSE_OK);
    if (m && ref) {
        CHECK(cpose_model_predict(m, input, 1, 640, 640, got) == CPOSE_OK);
        CHECK(cpose_model_predict(ref, input, 1, 640, 640, got2) == CPOSE_OK);
        tl_check_pred("imported seed0.onnx vs seed0.h5 on cpose", got, got2, A);
    }
    free(got), free(got2);
    cpose_free(input), cpose_free(pred);
    cpose_model_free(m), cpose_model_free(ref);
    return tl_finish();
}
