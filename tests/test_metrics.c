/* tests/test_metrics.c — Ultralytics val metrics on hand-computed cases: compute_ap with its
 * 101-point trapezoid, match_predictions' tie rules, a one-image box/pose case (AP, P, R at the
 * F1-optimal confidence), multi-class maps, and the printed `yolo val` table format. */
/* cpose-layer: eval */
#include "core/base/alloc.h"
#include "datasets/coco_json.h"
#include "eval/metrics.h"
#include "core/nn/image.h"
#include "tests/testlib.h"

static void test_compute_ap(void)
{
    /* recall .5 → 1 with precision 1 → .5: 0.5 + 0.49·(1 + 0.51)/2 + 0.01·0.51/2 (interp hits the
     * duplicate sentinel at recall 1, precision 0) */
    const double r[2] = {0.5, 1.0}, p[2] = {1.0, 0.5};
    CHECK_NEAR(cpose_compute_ap(r, p, 2, NULL, NULL), 0.5 + 0.49 * 1.51 / 2 + 0.01 * 0.51 / 2, 1e-12);
    const double r1[1] = {1.0}, p1[1] = {1.0};
    CHECK_NEAR(cpose_compute_ap(r1, p1, 1, NULL, NULL), 1.0 - 0.01 / 2, 1e-12); /* last segment 1 → 0 */
    const double xp[3] = {0, 1, 1}, fp[3] = {0, 10, 20};
    CHECK_NEAR(cpose_np_interp(0.25, xp, fp, 3, -1, -2), 2.5, 1e-15);
    CHECK_NEAR(cpose_np_interp(1.0, xp, fp, 3, -1, -2), 20, 0);
    CHECK_NEAR(cpose_np_interp(-1, xp, fp, 3, -1, -2), -1, 0);
    CHECK_NEAR(cpose_np_interp(2, xp, fp, 3, -1, -2), -2, 0);
}

static void test_match(void)
{
    /* gt × pred: p0 best on g0 (.92) and .6 on g1; p1 .8 on g0; p2 .7 on g1 */
    const float iou[2 * 3] = {0.92f, 0.8f, 0.0f, 0.6f, 0.0f, 0.7f};
    const int pc[3] = {0, 0, 0}, gc[2] = {0, 0};
    const float thr[4] = {0.5f, 0.75f, 0.85f, 0.95f};
    uint8_t c[3 * 4];
    cpose_match_predictions(pc, 3, gc, 2, iou, thr, 4, c);
    CHECK(c[0 * 4 + 0] && !c[1 * 4 + 0] && c[2 * 4 + 0]); /* .5: p0→g0, p2→g1, p1 loses g0 */
    CHECK(c[0 * 4 + 1] && !c[1 * 4 + 1] && !c[2 * 4 + 1]);
    CHECK(c[0 * 4 + 2] && !c[1 * 4 + 2] && !c[2 * 4 + 2]);
    CHECK(!c[0 * 4 + 3] && !c[1 * 4 + 3] && !c[2 * 4 + 3]);
    /* class mismatch blocks a match */
    const int gc2[2] = {1, 0};
    cpose_match_predictions(pc, 3, gc2, 2, iou, thr, 4, c);
    CHECK(c[0 * 4 + 0] && !c[1 * 4 + 0] && !c[2 * 4 + 0]); /* p0 now takes g1 (.6), p2 loses it */
}

static void set_kpts(float *k, float x0, float y0, float v)
{
    for (int j = 0; j < 17; j++) {
        k[3 * j] = x0 + 5.0f * (j % 5);
        k[3 * j + 1] = y0 + 7.0f * (j / 5);
        k[3 * j + 2] = v;
    }
}

/* Two people, three predictions (.9 on person 0, .8 on nothing, .7 on person 1, its keypoints 100 px off). */
static void test_one_image(void)
{
    struct cpose_valmetrics *vm = cpose_valmetrics_new(1, 17, NULL);
    float gt_box[8] = {0, 0, 100, 100, 200, 200, 300, 300};
    int gt_cls[2] = {0, 0};
    float gk[2 * 51], pk[3 * 51];
    set_kpts(gk, 10, 10, 2);
    set_kpts(gk + 51, 210, 210, 2);
    float pb[12] = {0, 0, 100, 100, 500, 500, 520, 520, 200, 200, 300, 300};
    float conf[3] = {0.9f, 0.8f, 0.7f};
    int pcls[3] = {0, 0, 0};
    set_kpts(pk, 10, 10, 0.9f);
    set_kpts(pk + 51, 505, 505, 0.9f);
    set_kpts(pk + 102, 310, 310, 0.9f);
    struct cpose_val_image im = {3, pb, conf, pcls, pk, 2, gt_box, gt_cls, gk};
    CHECK(cpose_valmetrics_add(vm, &im) == CPOSE_OK);
    struct cpose_val_image empty = {0};
    CHECK(cpose_valmetrics_add(vm, &empty) == CPOSE_OK); /* an image with nothing: seen, no stats */
    struct cpose_val_results r;
    CHECK(cpose_valmetrics_finalize(vm, &r) == CPOSE_OK);
    CHECK(r.seen == 2 && r.n_instances == 2);
    /* box: tp [1,0,1], recall [.5,.5,1], precision [1,.5,2/3] →
     * 0.49 + 0.01·(1 + 2/3)/2 + 0.49·2/3 + 0.01·(2/3)/2 at every threshold */
    double ap_box = 0.49 + 0.01 * (1 + 2.0 / 3) / 2 + 0.49 * 2.0 / 3 + 0.01 * (2.0 / 3) / 2;
    CHECK_NEAR(r.box.map50, ap_box, 1e-12);
    CHECK_NEAR(r.box.map, ap_box, 1e-12);
    CHECK_NEAR(r.box.map75, ap_box, 1e-12);
    /* pose: tp [1,0,0], precision [1,.5,1/3] → 0.49 + 0.01·(1 + 1/3)/2 + (1/3)·0.5/2 */
    double ap_pose = 0.49 + 0.01 * (1 + 1.0 / 3) / 2 + (1.0 / 3) * 0.5 / 2;
    CHECK_NEAR(r.pose.map, ap_pose, 1e-12);
    /* F1-optimal confidence (worked out separately in plain Python): box at conf 0 → P 2/3, R 1;
     * pose at px[849] → P interpolated between conf .9 and .8, R .5 */
    CHECK_NEAR(r.box.mp, 2.0 / 3, 1e-12);
    CHECK_NEAR(r.box.mr, 1.0, 1e-12);
    CHECK_NEAR(r.pose.mp, 0.7492492787830931, 1e-9);
    CHECK_NEAR(r.pose.mr, 0.5, 1e-12);
    CHECK(r.box.n_ap_class == 1 && r.box.maps[0] == r.box.map);
    cpose_val_results_free(&r);
    cpose_valmetrics_free(vm);
}

/* Two classes: class 1 never predicted → AP 0; maps per class; the per-class rows are printed. */
static void test_classes(void)
{
    struct cpose_valmetrics *vm = cpose_valmetrics_new(3, 17, NULL);
    float gt_box[8] = {0, 0, 100, 100, 200, 200, 300, 300};
    int gt_cls[2] = {0, 1};
    float pb[4] = {0, 0, 100, 100}, conf[1] = {0.5f};
    int pcls[1] = {0};
    struct cpose_val_image im = {1, pb, conf, pcls, NULL, 2, gt_box, gt_cls, NULL};
    CHECK(cpose_valmetrics_add(vm, &im) == CPOSE_OK);
    int bad_cls[1] = {7};
    struct cpose_val_image bad = {1, pb, conf, bad_cls, NULL, 0, NULL, NULL, NULL};
    CHECK(cpose_valmetrics_add(vm, &bad) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "class 7");
    struct cpose_val_results r;
    CHECK(cpose_valmetrics_finalize(vm, &r) == CPOSE_OK);
    CHECK(r.box.n_ap_class == 2);
    CHECK_NEAR(r.box.ap[0], 1.0 - 0.01 / 2, 1e-12);
    CHECK_NEAR(r.box.ap[1], 0, 0);
    CHECK_NEAR(r.box.map, (1.0 - 0.01 / 2) / 2, 1e-12);
    CHECK_NEAR(r.box.maps[2], r.box.map, 0); /* absent class gets the mean */
    CHECK_NEAR(r.pose.map, r.box.map, 1e-12); /* no keypoints: pose falls back to boxes */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    const char *names[3] = {"person", "dog", "cat"};
    cpose_val_print(&r, names, f);
    fclose(f);
    CHECK_CONTAINS(buf, "\n                person          2          1");
    CHECK_CONTAINS(buf, "\n                   dog          2          1          0          0          0          0");
    free(buf);
    cpose_val_results_free(&r);
    cpose_valmetrics_free(vm);
}

/* The table line from fixtures/ultralytics/val-coco8-pose/README.md, rebuilt from its numbers. */
static void test_format(void)
{
    char line[256];
    cpose_val_header(line, sizeof line);
    CHECK(strcmp(line, "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)     "
                       "Pose(P          R      mAP50  mAP50-95)") == 0);
    struct cpose_val_results r;
    memset(&r, 0, sizeof r);
    r.seen = 4;
    r.n_instances = 14;
    r.box.mp = 0.00955;
    r.box.mr = 0.4285714;
    r.box.map50 = 0.005990;
    r.box.map = 0.003340;
    cpose_val_row(&r, -1, NULL, line, sizeof line);
    CHECK_MSG(strcmp(line, "                   all          4         14    0.00955      0.429    0.00599    0.00334"
                           "          0          0          0          0") == 0, "'%s'", line);
}

/* Ultralytics' own `yolo pose val` on coco8-pose (fixtures/ultralytics/val-coco8-pose): its
 * predictions.json against the 4 val label files reproduces the table line it printed. */
static void test_coco8_fixture(void)
{
    struct cpose_coco pred;
    CHECK(cpose_coco_load(tl_fixture("ultralytics/val-coco8-pose/predictions.json"), &pred) == CPOSE_OK);
    const int ids[4] = {136, 110, 151, 113}; /* the order Ultralytics ran them (rect batches by aspect ratio) = file order */
    struct cpose_valmetrics *vm = cpose_valmetrics_new(1, 17, NULL);
    for (int im = 0; im < 4; im++) {
        char rel[128];
        snprintf(rel, sizeof rel, "coco8-pose/images/val/%012d.jpg", ids[im]);
        int W = 0, H = 0;
        CHECK(cpose_image_size(tl_fixture(rel), &W, &H) == CPOSE_OK);
        snprintf(rel, sizeof rel, "coco8-pose/labels/val/%012d.txt", ids[im]);
        FILE *f = fopen(tl_fixture(rel), "r");
        CHECK(f != NULL);
        if (!f) continue;
        float gb[16 * 4], gk[16 * 51];
        int gc[16], ng = 0;
        double v[56];
        while (ng < 16) {
            int n = 0;
            for (; n < 56; n++)
                if (fscanf(f, "%lf", &v[n]) != 1) break;
            if (n < 56) break;
            gc[ng] = (int)v[0];
            gb[4 * ng] = (float)((v[1] - v[3] / 2) * W);
            gb[4 * ng + 1] = (float)((v[2] - v[4] / 2) * H);
            gb[4 * ng + 2] = (float)((v[1] + v[3] / 2) * W);
            gb[4 * ng + 3] = (float)((v[2] + v[4] / 2) * H);
            for (int k = 0; k < 17; k++) {
                gk[51 * ng + 3 * k] = (float)(v[5 + 3 * k] * W);
                gk[51 * ng + 3 * k + 1] = (float)(v[6 + 3 * k] * H);
                gk[51 * ng + 3 * k + 2] = (float)v[7 + 3 * k];
            }
            ng++;
        }
        fclose(f);
        int np = 0;
        for (size_t i = 0; i < pred.n_anns; i++) np += pred.anns[i].image_id == ids[im];
        float *pb = cpose_malloc((size_t)(np + 1) * 4 * sizeof(float)), *pc = cpose_malloc((size_t)(np + 1) * sizeof(float)),
              *pk = cpose_malloc((size_t)(np + 1) * 51 * sizeof(float));
        int *pcl = cpose_calloc((size_t)np + 1, sizeof(int)), j = 0;
        for (size_t i = 0; i < pred.n_anns; i++) {
            const struct cpose_coco_ann *a = &pred.anns[i];
            if (a->image_id != ids[im]) continue;
            pb[4 * j] = (float)a->bbox[0];
            pb[4 * j + 1] = (float)a->bbox[1];
            pb[4 * j + 2] = (float)(a->bbox[0] + a->bbox[2]);
            pb[4 * j + 3] = (float)(a->bbox[1] + a->bbox[3]);
            pc[j] = (float)a->score;
            pcl[j] = (int)a->category_id;
            const double *k = cpose_coco_kpts(&pred, a);
            for (int q = 0; q < 51; q++) pk[51 * j + q] = (float)k[q];
            j++;
        }
        struct cpose_val_image vi = {np, pb, pc, pcl, pk, ng, gb, gc, gk};
        CHECK(cpose_valmetrics_add(vm, &vi) == CPOSE_OK);
        cpose_free(pb);
        cpose_free(pc);
        cpose_free(pk);
        cpose_free(pcl);
    }
    struct cpose_val_results r;
    CHECK(cpose_valmetrics_finalize(vm, &r) == CPOSE_OK);
    /* The JSON holds rounded numbers (scores to 5 decimals, boxes to 3), so the values Ultralytics
     * printed from its unrounded tensors are reproduced closely, not to the last digit: recall and
     * the all-zero pose columns exactly, box P / mAP50 / mAP50-95 within 5 %. */
    char line[256];
    cpose_val_row(&r, -1, NULL, line, sizeof line);
    printf("coco8-pose: %s\n", line);
    CHECK(strncmp(line, "                   all          4         14", 44) == 0);
    CHECK(strstr(line, "      0.429") != NULL);
    CHECK(strstr(line, "          0          0          0          0") != NULL);
    CHECK_NEAR(r.box.mp, 0.00955, 0.05 * 0.00955);
    CHECK_NEAR(r.box.map50, 0.00599, 0.05 * 0.00599);
    CHECK_NEAR(r.box.map, 0.00334, 0.05 * 0.00334);
    cpose_val_results_free(&r);
    cpose_valmetrics_free(vm);
    cpose_coco_free(&pred);
}

int main(void)
{
    test_compute_ap();
    test_match();
    test_one_image();
    test_classes();
    test_format();
    test_coco8_fixture();
    return tl_finish();
}
