/* tests/test_ops_pool.c — maxpool2d (the separable stride-1 path and the general one) against a
 * naive window max written here, on random data in every layout, odd sizes and channel tails. */
/* cpose-layer: nn */
#include "core/nn/graph.h"
#include "tests/testlib.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 33) & 0xffffff) / 16777215.0f * 2 - 1;
}

int main(void)
{
    enum { N = 2, C = 13, H = 7, W = 9 };
    static const int cfg[][3] = {{5, 1, 2}, {3, 1, 1}, {1, 1, 0}, {3, 2, 1}, {2, 2, 0}};
    static const int layouts[] = {CPOSE_LAYOUT_PLAIN, CPOSE_LAYOUT_NHWC, CPOSE_LAYOUT_BLK8, CPOSE_LAYOUT_BLK16};
    uint64_t seed = 17;
    float *x = malloc(sizeof(float) * N * C * H * W);
    for (int i = 0; i < N * C * H * W; i++) x[i] = frand(&seed);
    for (size_t ci = 0; ci < sizeof cfg / sizeof cfg[0]; ci++) {
        struct cpose_maxpool2d_params p = {cfg[ci][0], cfg[ci][1], cfg[ci][2]};
        int Ho = (H + 2 * p.pad - p.k) / p.stride + 1, Wo = (W + 2 * p.pad - p.k) / p.stride + 1;
        float *want = malloc(sizeof(float) * N * C * Ho * Wo);
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                for (int i = 0; i < Ho; i++)
                    for (int j = 0; j < Wo; j++) {
                        float m = -FLT_MAX;
                        for (int a = 0; a < p.k; a++)
                            for (int b = 0; b < p.k; b++) {
                                int h = i * p.stride - p.pad + a, w = j * p.stride - p.pad + b;
                                if (h >= 0 && h < H && w >= 0 && w < W) m = fmaxf(m, x[((n * C + c) * H + h) * W + w]);
                            }
                        want[((n * C + c) * Ho + i) * Wo + j] = m;
                    }
        for (int li = 0; li < 4; li++) {
            struct cpose_tensor t = {0}, o = {0};
            cpose_tensor_set4(&t, N, C, H, W, layouts[li]);
            t.data = calloc(cpose_tensor_size(&t), sizeof(float));
            for (int n = 0; n < N; n++)
                for (int c = 0; c < C; c++)
                    for (int h = 0; h < H; h++)
                        for (int w = 0; w < W; w++) t.data[cpose_tensor_off(&t, n, c, h, w)] = x[((n * C + c) * H + h) * W + w];
            const struct cpose_tensor *in[1] = {&t};
            CHECK(cpose_op_maxpool2d.shape(in, 1, &p, &o) == CPOSE_OK);
            CHECK(o.dims[2] == Ho && o.dims[3] == Wo);
            o.data = malloc(sizeof(float) * cpose_tensor_size(&o));
            CHECK(cpose_op_maxpool2d.forward(NULL, in, 1, &o, &p) == CPOSE_OK);
            int64_t bad = 0;
            for (int n = 0; n < N; n++)
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < Ho; i++)
                        for (int j = 0; j < Wo; j++)
                            bad += o.data[cpose_tensor_off(&o, n, c, i, j)] != want[((n * C + c) * Ho + i) * Wo + j];
            CHECK_MSG(bad == 0, "maxpool k%d s%d p%d in %s: %lld wrong values", p.k, p.stride, p.pad,
                      cpose_layout_name(layouts[li]), (long long)bad);
            free(t.data), free(o.data);
        }
        free(want);
    }
    free(x);
    return tl_finish();
}
