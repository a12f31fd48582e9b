/* tests/test_ops_head.c — the pose_head decode (vector and portable paths, every layout) against a
 * straightforward double-precision reference written here, on random logits including extreme
 * ones, with grids whose pixel counts are and are not multiples of 8. */
/* cpose-layer: nn */
#include "core/nn/graph.h"
#include "tests/testlib.h"
#include "tests/tl_tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)((*s >> 11) & ((1ull << 53) - 1)) / (double)(1ull << 53);
}

/* Logits: mostly in [−4, 4], some far out (saturated sigmoids, one dominant DFL bin). */
static float logit(uint64_t *s)
{
    double u = urand(s), v = urand(s) * 2 - 1;
    if (u < 0.04) return (float)(v * 120);
    if (u < 0.15) return (float)(v * 25);
    return (float)(v * 4);
}

static double sig(double x) { return 1 / (1 + exp(-x)); }

/* The reference decode of one level (NCHW inputs) into out [NO, A] rows at anchor offset a0. */
static void ref_level(const float *box, const float *kpt, int H, int W, int R, int nc, int nk, int kdim, double s,
                      double *out, int64_t A, int64_t a0)
{
    int HW = H * W;
    for (int q = 0; q < HW; q++) {
        double ax = q % W + 0.5, ay = q / W + 0.5, d[4];
        for (int side = 0; side < 4; side++) {
            double m = -INFINITY, se = 0, sx = 0;
            for (int r = 0; r < R; r++) m = fmax(m, box[(side * R + r) * HW + q]);
            for (int r = 0; r < R; r++) {
                double e = exp(box[(side * R + r) * HW + q] - m);
                se += e, sx += e * r;
            }
            d[side] = sx / se;
        }
        double *o = out + a0 + q;
        o[0] = (ax + (d[2] - d[0]) / 2) * s;
        o[A] = (ay + (d[3] - d[1]) / 2) * s;
        o[2 * A] = (d[0] + d[2]) * s;
        o[3 * A] = (d[1] + d[3]) * s;
        for (int c = 0; c < nc; c++) o[(4 + c) * A] = sig(box[(4 * R + c) * HW + q]);
        for (int k = 0; k < nk; k++) {
            double *ok = o + (4 + nc + k * kdim) * A;
            ok[0] = (kpt[(k * kdim) * HW + q] * 2 + (ax - 0.5)) * s;
            ok[A] = (kpt[(k * kdim + 1) * HW + q] * 2 + (ay - 0.5)) * s;
            if (kdim == 3) ok[2 * A] = sig(kpt[(k * kdim + 2) * HW + q]);
        }
    }
}

static void run_case(int N, int nl, const int (*hw)[2], int nc, int nk, int kdim, uint64_t seed)
{
    enum { R = 16 };
    int CB = 4 * R + nc, CK = nk * kdim, NO = 4 + nc + CK;
    int64_t A = 0;
    for (int l = 0; l < nl; l++) A += hw[l][0] * hw[l][1];
    float *box[4], *kpt[4];
    double *want = malloc(sizeof(double) * N * NO * A);
    for (int l = 0; l < nl; l++) {
        int HW = hw[l][0] * hw[l][1];
        box[l] = malloc(sizeof(float) * N * CB * HW), kpt[l] = malloc(sizeof(float) * N * CK * HW);
        for (int i = 0; i < N * CB * HW; i++) box[l][i] = logit(&seed);
        for (int i = 0; i < N * CK * HW; i++) kpt[l][i] = logit(&seed);
    }
    for (int n = 0; n < N; n++) {
        int64_t a0 = 0;
        for (int l = 0; l < nl; l++) {
            int HW = hw[l][0] * hw[l][1];
            ref_level(box[l] + (size_t)n * CB * HW, kpt[l] + (size_t)n * CK * HW, hw[l][0], hw[l][1], R, nc, nk, kdim,
                      8 << l, want + (size_t)n * NO * A, A, a0);
            a0 += HW;
        }
    }
    static const int layouts[] = {CPOSE_LAYOUT_PLAIN, CPOSE_LAYOUT_NHWC, CPOSE_LAYOUT_BLK8, CPOSE_LAYOUT_BLK16};
    float *got = malloc(sizeof(float) * N * NO * A);
    for (int li = 0; li < 4; li++)
        for (int portable = 0; portable < 2; portable++) {
            struct cpose_tensor t[8], out = {.data = got};
            const struct cpose_tensor *in[8];
            for (int l = 0; l < nl; l++) {
                t[l] = tl_tensor_from_nchw(box[l], N, CB, hw[l][0], hw[l][1], layouts[li]);
                t[nl + l] = tl_tensor_from_nchw(kpt[l], N, CK, hw[l][0], hw[l][1], layouts[li]);
                in[l] = &t[l], in[nl + l] = &t[nl + l];
            }
            struct cpose_pose_head_params p = {.nl = nl, .nc = nc, .nk = nk, .kdim = kdim, .reg_max = R,
                                               .strides = {8, 16, 32, 64}, .portable = portable};
            for (int64_t i = 0; i < N * NO * A; i++) got[i] = NAN;
            CHECK(cpose_op_pose_head.shape(in, 2 * nl, &p, &out) == CPOSE_OK);
            CHECK(out.dims[0] == N && out.dims[1] == NO && out.dims[2] == A);
            out.data = got;
            CHECK(cpose_op_pose_head.forward(NULL, in, 2 * nl, &out, &p) == CPOSE_OK);
            double ebox = 0, eprob = 0, ekpt = 0;
            int64_t nan = 0;
            for (int n = 0; n < N; n++)
                for (int r = 0; r < NO; r++)
                    for (int64_t a = 0; a < A; a++) {
                        size_t i = ((size_t)n * NO + r) * A + a;
                        nan += isnan(got[i]);
                        int is_prob = (r >= 4 && r < 4 + nc) || (r >= 4 + nc && kdim == 3 && (r - 4 - nc) % 3 == 2);
                        double e = fabs(got[i] - want[i]);
                        if (is_prob) eprob = fmax(eprob, e);
                        else if (r < 4) ebox = fmax(ebox, e);
                        else ekpt = fmax(ekpt, e);
                    }
            const char *ln = cpose_layout_name(layouts[li]);
            CHECK_MSG(nan == 0, "%s%s: %lld outputs not written", ln, portable ? " portable" : "", (long long)nan);
            /* the parity tolerances: 1e-2 px on coordinates, 1e-4 on probabilities; a float decode
             * is far inside them */
            CHECK_MSG(ebox < 2e-3, "%s%s nc %d nk %d: box max |diff| %g px", ln, portable ? " portable" : "", nc, nk, ebox);
            CHECK_MSG(ekpt < 2e-3, "%s%s nc %d nk %d: keypoint max |diff| %g px", ln, portable ? " portable" : "", nc, nk,
                      ekpt);
            CHECK_MSG(eprob < 1e-6, "%s%s nc %d nk %d: probability max |diff| %g", ln, portable ? " portable" : "", nc, nk,
                      eprob);
            for (int l = 0; l < 2 * nl; l++) free(t[l].data);
        }
    for (int l = 0; l < nl; l++) free(box[l]), free(kpt[l]);
    free(want), free(got);
}

int main(void)
{
    /* 640-like level ratios, small: 8×8 (whole groups), 4×4 (two groups), 2×2 (a tail only) */
    static const int even[3][2] = {{8, 8}, {4, 4}, {2, 2}};
    /* pixel counts 35, 12, 3: every level has a tail of fewer than 8 anchors */
    static const int odd[3][2] = {{5, 7}, {3, 4}, {1, 3}};
    run_case(1, 3, even, 1, 17, 3, 1);
    run_case(2, 3, odd, 1, 17, 3, 2);
    run_case(2, 3, odd, 9, 5, 2, 3);   /* more classes than one tile; 2-D keypoints */
    static const int four[4][2] = {{9, 9}, {5, 5}, {3, 3}, {2, 2}};  /* P6: four levels */
    run_case(1, 4, four, 3, 17, 3, 4);
    return tl_finish();
}
