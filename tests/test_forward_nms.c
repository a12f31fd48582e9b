/* tests/test_forward_nms.c — `cpose forward nms_rows=val|predict` writes the NMS rows of the parity
 * fixture: same count and order as Ultralytics' rows, coordinates within 1e-2 px, scores within
 * 1e-4 (issue 2, item 5). Runs the built cpose binary ($CPOSE_BIN). */
/* cpose-layer: nn */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/h5io.h"
#include "tests/testlib.h"

static void compare(const char *out_path, const char *name)
{
    struct cpose_h5 *ref = NULL, *got = NULL;
    float *r = NULL, *g = NULL;
    int nr, ng;
    int64_t dr[CPOSE_H5_MAX_DIMS], dg[CPOSE_H5_MAX_DIMS];
    CHECK(cpose_h5_open(tl_fixture("ultralytics/parity_seed0_bncal.h5"), &ref) == CPOSE_OK);
    CHECK(cpose_h5_open(out_path, &got) == CPOSE_OK);
    if (!ref || !got) goto done;
    CHECK(cpose_h5_read_f32(ref, name, &r, &nr, dr) == CPOSE_OK);
    CHECK_MSG(cpose_h5_read_f32(got, name, &g, &ng, dg) == CPOSE_OK, "%s: %s", name, cpose_errmsg());
    if (!r || !g) goto done;
    CHECK_MSG(dr[0] == dg[0] && dr[1] == dg[1], "%s: %lld×%lld rows, fixture %lld×%lld", name, (long long)dg[0],
              (long long)dg[1], (long long)dr[0], (long long)dr[1]);
    if (dr[0] != dg[0] || dr[1] != dg[1]) goto done;
    double worst_xy = 0, worst_score = 0;
    for (int64_t i = 0; i < dr[0]; i++)
        for (int64_t j = 0; j < dr[1]; j++) {
            double d = fabs(r[i * dr[1] + j] - g[i * dr[1] + j]);
            int is_score = j == 4 || j == 5 || (j >= 6 && (j - 6) % 3 == 2);
            if (is_score) worst_score = d > worst_score ? d : worst_score;
            else worst_xy = d > worst_xy ? d : worst_xy;
        }
    printf("%s: %lld rows, worst |Δ| %.3g px, %.3g score\n", name, (long long)dr[0], worst_xy, worst_score);
    CHECK(worst_xy <= 1e-2);
    CHECK(worst_score <= 1e-4);
done:
    cpose_free(r), cpose_free(g);
    cpose_h5_close(ref), cpose_h5_close(got);
}

int main(void)
{
    const char *bin = getenv("CPOSE_BIN");
    if (!bin) { printf("SKIP: CPOSE_BIN not set (run through ctest)\n"); return 77; }
    const char *weights = tl_fixture("ultralytics/yolov8n-pose-seed0-bncal.h5");
    const char *input = tl_fixture("ultralytics/parity_seed0_bncal.h5");
    const char *dir = tl_tmpdir("fwdnms");
    const char *modes[2] = {"val", "predict"};
    const char *names[2] = {"nms_val_conf0.001_iou0.7", "nms_predict_conf0.25_iou0.7"};
    for (int k = 0; k < 2; k++) {
        char *out = cpose_asprintf("%s/%s.h5", dir, modes[k]);
        char *cmd = cpose_asprintf("'%s' forward model='%s' input='%s' output='%s' nms_rows=%s threads=2 verbose=False", bin,
                                   weights, input, out, modes[k]);
        CHECK_MSG(system(cmd) == 0, "%s", cmd);
        compare(out, names[k]);
        cpose_free(out), cpose_free(cmd);
    }
    cpose_remove_tree(dir);
    return tl_finish();
}
