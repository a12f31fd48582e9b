/* tests/tl_model.h — model helpers for tests that build a model from YAML (no fixtures): spreading its
 * BatchNorm parameters so that the fresh model's outputs vary per pixel (a fresh model's collapse to
 * its biases, which tests nothing). Header-only; include after core/nn/model_impl.h. */
#ifndef CPOSE_TL_MODEL_H
#define CPOSE_TL_MODEL_H

#include <stdint.h>
#include <string.h>

/* Sets every `.bn.weight` to 0.5..1.5 and `.bn.bias` to -0.5..0.5 from a fixed generator. */
static __attribute__((unused)) void tl_spread_bn(struct cpose_model *m)
{
    uint64_t s = 7;
    for (size_t i = 0; i < m->params.len; i++) {
        struct cpose_param *p = &CPOSE_VEC_AT(&m->params, struct cpose_param, i);
        int is_w = strstr(p->name, ".bn.weight") != NULL, is_b = strstr(p->name, ".bn.bias") != NULL;
        if (!is_w && !is_b) continue;
        for (int64_t k = 0; k < p->numel; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            float u = (float)((s >> 40) & 0xffff) / 65535.0f;
            p->data[k] = is_w ? 0.5f + u : u - 0.5f;
        }
    }
    cpose_model_invalidate(m);
}

#endif
