/* tests/test_train_exec.c — the train-mode executor: its forward against Ultralytics' train-mode raw
 * head outputs (parity_loss_seed0.h5 with yolov8n-pose-seed0.h5: BN batch statistics), and its
 * backward through the whole yolov8n graph against central differences of L = Σ r·outputs on a
 * small generated batch (parameters of every kind, in the kernels' layout), plus the parameter
 * table (names, groups) and accumulation. */
/* cpose-layer: train */
#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/nn/model.h"
#include "core/train/train_exec.h"
#include "tests/testlib.h"

#include <math.h>
#include <string.h>

static uint64_t rng = 777;
static double urand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (rng >> 11) * (1.0 / 9007199254740992.0);
}

/* L = Σ r·(all raw outputs) in double. */
static double loss_of(struct cpose_train_exec *ex, const float *img, int B, int H, int W, const double *r, int nl,
                      int F, int K)
{
    CHECK(cpose_train_exec_forward(ex, img, B, H, W) == CPOSE_OK);
    double L = 0;
    int64_t o = 0;
    for (int l = 0; l < nl; l++) {
        int h, w;
        cpose_train_exec_level_dims(ex, l, &h, &w);
        const float *f = cpose_train_exec_feat(ex, l);
        for (int64_t i = 0; i < (int64_t)B * F * h * w; i++) L += r[o++] * f[i];
    }
    const float *k = cpose_train_exec_kpt(ex);
    for (int64_t i = 0; i < B * K * cpose_train_exec_anchors(ex); i++) L += r[o++] * k[i];
    return L;
}

static void test_backward_numeric(void)
{
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 3, &m) == CPOSE_OK);
    if (!m) return;
    struct cpose_train_exec *ex = NULL;
    CHECK(cpose_train_exec_new(m, &ex) == CPOSE_OK);
    const struct cpose_model_info *info = cpose_model_get_info(m);
    int B = 2, H = 64, W = 96, nl = info->n_levels, F = 64 + info->nc, K = info->nkpt * info->kdim;
    float *img = malloc((size_t)B * 3 * H * W * sizeof(float));
    for (int i = 0; i < B * 3 * H * W; i++) img[i] = (float)urand();
    int64_t A = cpose_model_num_anchors(m, H, W), nout = (int64_t)B * (F + K) * A;
    double *r = malloc(nout * sizeof(double));
    for (int64_t i = 0; i < nout; i++) r[i] = 2 * urand() - 1;
    int np;
    struct cpose_train_param *tab = cpose_train_exec_params(ex, &np);
    /* analytic: forward, gradients = r, backward */
    loss_of(ex, img, B, H, W, r, nl, F, K);
    int64_t o = 0;
    for (int l = 0; l < nl; l++) {
        int h, w;
        cpose_train_exec_level_dims(ex, l, &h, &w);
        float *g = cpose_train_exec_grad_feat(ex, l);
        for (int64_t i = 0; i < (int64_t)B * F * h * w; i++) g[i] = (float)r[o++];
    }
    float *gk = cpose_train_exec_grad_kpt(ex);
    for (int64_t i = 0; i < B * K * A; i++) gk[i] = (float)r[o++];
    CHECK(cpose_train_exec_backward(ex, 0) == CPOSE_OK);
    double norm1 = cpose_train_exec_grad_norm(ex);
    CHECK(norm1 > 0 && isfinite(norm1));
    /* numeric, on chosen parameters from SPPF on: SPPF's input conv, the neck, each head branch. Before
     * SPPF the difference quotient itself is not converged (it moves by 30–100 % between h = 1e-2
     * and 1e-3: the max pools' kinks and this tiny batch's BN statistics); the backbone's gradients
     * are checked through the fixture's global gradient norm (tests/cli/loss.sh). */
    const char *names[] = {"model.9.cv1.conv.weight", "model.9.cv2.bn.weight", "model.12.cv1.bn.weight",
                           "model.15.m.0.cv1.conv.weight", "model.21.m.0.cv2.conv.weight", "model.22.cv2.0.2.bias",
                           "model.22.cv3.1.1.conv.weight", "model.22.cv4.2.2.weight", "model.22.cv4.0.0.bn.bias"};
    int checked = 0;
    for (size_t s = 0; s < sizeof names / sizeof *names; s++) {
        struct cpose_train_param *p = NULL;
        for (int j = 0; j < np; j++)
            if (!strcmp(tab[j].name, names[s])) p = &tab[j];
        CHECK_MSG(p != NULL, "parameter %s missing from the table", names[s]);
        if (!p) continue;
        for (int t = 0; t < 3; t++) {
            size_t i = (size_t)(urand() * p->n);
            float x0 = p->data[i], ana = p->grad[i];
            double h = 1e-2;
            p->data[i] = (float)(x0 + h);
            cpose_train_exec_weights_changed(ex);
            double lp = loss_of(ex, img, B, H, W, r, nl, F, K);
            p->data[i] = (float)(x0 - h);
            cpose_train_exec_weights_changed(ex);
            double lm = loss_of(ex, img, B, H, W, r, nl, F, K);
            p->data[i] = x0;
            cpose_train_exec_weights_changed(ex);
            double num = (lp - lm) / (2 * h);
            double tol = 2e-2;
            CHECK_MSG(fabs(num - ana) <= tol * (fabs(num) + 1e-2 * norm1 / sqrt(np)), "%s[%zu]: analytic %.6g, numeric %.6g",
                      names[s], i, ana, num);
            checked++;
        }
    }
    printf("backward vs central differences: %d parameter values checked, gradient norm %.4f\n", checked, norm1);
    /* groups: biases 0, conv weights 1, BN weights 2 */
    for (int j = 0; j < np; j++) {
        const char *leaf = strrchr(tab[j].name, '.');
        int want = !strcmp(leaf, ".bias") ? 0 : strstr(tab[j].name, ".bn.") ? 2 : 1;
        CHECK_MSG(tab[j].group == want, "%s in group %d", tab[j].name, tab[j].group);
    }
    /* accumulation: a second backward with accumulate=1 doubles the gradients */
    loss_of(ex, img, B, H, W, r, nl, F, K);
    CHECK(cpose_train_exec_backward(ex, 1) == CPOSE_OK);
    CHECK_NEAR(cpose_train_exec_grad_norm(ex), 2 * norm1, 1e-4 * norm1);
    cpose_train_exec_zero_grad(ex);
    CHECK(cpose_train_exec_grad_norm(ex) == 0);
    CHECK(cpose_train_exec_forward(ex, img, B, 60, W) == CPOSE_ESHAPE);
    free(img), free(r);
    cpose_train_exec_free(ex);
    cpose_model_free(m);
}

static void test_forward_fixture(void)
{
    const char *wpath = tl_fixture("ultralytics/yolov8n-pose-seed0.h5");
    const char *bpath = tl_fixture("ultralytics/parity_loss_seed0.h5");
    struct cpose_model *m = NULL;
    struct cpose_h5 *f = NULL;
    struct cpose_train_exec *ex = NULL;
    float *img = NULL;
    int nd;
    int64_t d[CPOSE_H5_MAX_DIMS];
    CHECK(cpose_model_load(wpath, NULL, &m) == CPOSE_OK);
    CHECK(cpose_h5_open(bpath, &f) == CPOSE_OK);
    CHECK(m && f && cpose_h5_read_f32(f, "img", &img, &nd, d) == CPOSE_OK);
    if (!img) goto done;
    CHECK(cpose_train_exec_new(m, &ex) == CPOSE_OK);
    CHECK(cpose_train_exec_forward(ex, img, d[0], d[2], d[3]) == CPOSE_OK);
    printf("train arena %.1f MiB\n", cpose_train_exec_arena_bytes(ex) / 1048576.0);
    for (int l = 0; l <= 3; l++) {
        char name[32];
        float *ref = NULL;
        int64_t rd[CPOSE_H5_MAX_DIMS];
        if (l < 3) snprintf(name, sizeof name, "train_level%d_raw", l);
        else snprintf(name, sizeof name, "train_kpt_raw");
        CHECK(cpose_h5_read_f32(f, name, &ref, &nd, rd) == CPOSE_OK);
        if (!ref) continue;
        const float *got = l < 3 ? cpose_train_exec_feat(ex, l) : cpose_train_exec_kpt(ex);
        int64_t n = 1;
        for (int i = 0; i < nd; i++) n *= rd[i];
        double md = 0, mref = 0;
        for (int64_t i = 0; i < n; i++) {
            md = fmax(md, fabs(got[i] - ref[i]));
            mref = fmax(mref, fabs(ref[i]));
        }
        printf("%s: max |diff| %.3g (max |ref| %.3g)\n", name, md, mref);
        CHECK_MSG(md <= 1e-4 * fmax(1, mref), "%s max |diff| %.3g", name, md);
        cpose_free(ref);
    }
done:
    cpose_free(img);
    cpose_train_exec_free(ex);
    cpose_h5_close(f);
    cpose_model_free(m);
}

int main(void)
{
    test_backward_numeric();
    test_forward_fixture();
    return tl_finish();
}
