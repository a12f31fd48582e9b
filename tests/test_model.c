/* tests/test_model.c — the model builder and weights: state_dict keys and shapes vs the fixture
 * list, parameter counts / GFLOPs / layers vs REFERENCE.md for every scale (p5 and p6), fresh
 * initialisation, checkpoint save/load, and refusal of unknown, missing and mis-shaped weights. */
/* cpose-layer: nn */
#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/h5io.h"
#include "core/nn/model.h"
#include "tests/testlib.h"

#include <math.h>
#include <string.h>

/* REFERENCE.md: parameters and GFLOPs (4 decimals) per scale; fused params and GFLOPs (1 decimal). */
static void check_counts(void)
{
    static const struct { const char *yaml; int imgsz; int64_t params; double gflops; int64_t fparams; double fgflops; } ref[] = {
        {"yolov8n-pose.yaml", 640, 3295470, 9.2960, 3289964, 9.1802},
        {"yolov8s-pose.yaml", 640, 11626046, 30.4068, 11615724, 30.2},
        {"yolov8m-pose.yaml", 640, 26464462, 81.4130, 26447596, 81.0},
        {"yolov8l-pose.yaml", 640, 44489196, 169.1529, 44465580, 168.6},
        {"yolov8x-pose.yaml", 640, 69491724, 263.9618, 69462204, 263.2},
        {"yolov8n-pose-p6.yaml", 1280, 5182152, 37.1448, 0, 0},
        {"yolov8s-pose-p6.yaml", 1280, 18563608, 121.298, 0, 0},
        {"yolov8m-pose-p6.yaml", 1280, 45724712, 342.461, 0, 0},
        {"yolov8l-pose-p6.yaml", 1280, 63496736, 685.3243, 0, 0},
        {"yolov8x-pose-p6.yaml", 1280, 99182640, 1069.4435, 0, 0},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        struct cpose_model *m = NULL;
        struct cpose_model_summary s;
        CHECK_MSG(cpose_model_load(ref[i].yaml, NULL, &m) == CPOSE_OK, "%s: %s", ref[i].yaml, cpose_errmsg());
        if (!m) continue;
        CHECK(cpose_model_summary(m, 0, ref[i].imgsz, &s) == CPOSE_OK);
        CHECK_MSG(s.params == ref[i].params, "%s params %lld", ref[i].yaml, (long long)s.params);
        CHECK_MSG(s.gradients == ref[i].params - 16, "%s gradients %lld", ref[i].yaml, (long long)s.gradients);
        CHECK_MSG(cpose_model_get_info(m)->n_params == ref[i].params, "%s info n_params", ref[i].yaml);
        double tol = ref[i].gflops >= 1000 || ref[i].gflops < 100 ? 5e-5 : 5e-4;
        if (ref[i].gflops == 121.298 || ref[i].gflops == 342.461) tol = 5e-4;
        CHECK_NEAR(s.gflops, ref[i].gflops, tol);
        if (ref[i].fparams) {
            CHECK(cpose_model_summary(m, 1, ref[i].imgsz, &s) == CPOSE_OK);
            CHECK_MSG(s.params == ref[i].fparams, "%s fused params %lld", ref[i].yaml, (long long)s.params);
            CHECK_NEAR(s.gflops, ref[i].fgflops, ref[i].fgflops == 9.1802 ? 5e-5 : 0.05);
        }
        cpose_model_free(m);
    }
}

/* Keys, order and shapes of the n model vs yolov8n-pose-seed0-keys.txt (Ultralytics' state_dict). */
static void check_keys(void)
{
    const char *path = tl_fixture("ultralytics/yolov8n-pose-seed0-keys.txt");
    char *text = NULL;
    struct cpose_model *m = NULL;
    CHECK(cpose_read_file(path, &text, NULL) == CPOSE_OK);
    CHECK(cpose_model_load("yolov8n-pose.yaml", NULL, &m) == CPOSE_OK);
    if (!text || !m) return;
    int i = 0, bad = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), i++) {
        char key[256], shape[128];
        if (sscanf(line, "%255s\t%127[^\t]", key, shape) != 2) continue;
        const char *name;
        int nd;
        const int64_t *dims;
        if (i >= cpose_model_num_tensors(m)) { bad++; continue; }
        cpose_model_tensor(m, i, &name, &nd, &dims, NULL);
        char mine[128] = "[";
        for (int d = 0; d < nd; d++)
            snprintf(mine + strlen(mine), sizeof mine - strlen(mine), "%s%lld", d ? ", " : "", (long long)dims[d]);
        strcat(mine, "]");
        if (strcmp(name, key) || strcmp(mine, shape)) {
            if (bad++ < 5) fprintf(stderr, "key %d: fixture %s %s, model %s %s\n", i, key, shape, name, mine);
        }
    }
    CHECK_MSG(i == 397, "fixture has %d keys", i);
    CHECK_MSG(cpose_model_num_tensors(m) == 397, "model has %d tensors", cpose_model_num_tensors(m));
    CHECK_MSG(bad == 0, "%d keys differ", bad);
    cpose_free(text);
    cpose_model_free(m);
}

static float *tensor_data(struct cpose_model *m, const char *key, int64_t *numel)
{
    for (int i = 0; i < cpose_model_num_tensors(m); i++) {
        const char *name;
        int nd;
        const int64_t *dims;
        float *data;
        cpose_model_tensor(m, i, &name, &nd, &dims, &data);
        if (strcmp(name, key)) continue;
        int64_t n = 1;
        for (int d = 0; d < nd; d++) n *= dims[d];
        if (numel) *numel = n;
        return data;
    }
    return NULL;
}

static void check_fresh_init(void)
{
    struct cpose_model *m = NULL;
    /* no scale letter → the first scale (n), as Ultralytics warns */
    CHECK(cpose_model_load("yolov8-pose.yaml", NULL, &m) == CPOSE_OK);
    if (!m) return;
    const struct cpose_model_info *info = cpose_model_get_info(m);
    CHECK(info->scale == 'n' && info->n_params == 3295470);
    CHECK(info->nc == 1 && info->nkpt == 17 && info->kdim == 3 && info->n_outputs == 56 && info->n_levels == 3);
    CHECK(info->strides[0] == 8 && info->strides[1] == 16 && info->strides[2] == 32 && info->max_stride == 32);
    CHECK(info->n_names == 1 && !strcmp(info->names[0], "person"));
    CHECK(info->flip_idx[1] == 2 && info->flip_idx[16] == 15);
    CHECK(cpose_model_num_anchors(m, 640, 640) == 8400);
    CHECK(cpose_model_num_anchors(m, 384, 640) == 48 * 80 + 24 * 40 + 12 * 20);
    int64_t n;
    float *v = tensor_data(m, "model.0.bn.running_var", &n);
    CHECK(v && n == 16 && fabsf(v[0] - 0.97f) < 1e-7f);
    v = tensor_data(m, "model.0.bn.weight", NULL);
    CHECK(v && v[3] == 1.0f);
    v = tensor_data(m, "model.22.cv2.1.2.bias", &n);
    CHECK(v && n == 64 && v[0] == 1.0f && v[63] == 1.0f);
    v = tensor_data(m, "model.22.cv3.0.2.bias", &n);
    CHECK(v && n == 1);
    if (v) CHECK_NEAR(v[0], log(5.0 / 6400.0), 1e-6);  /* stride 8: (640/8)² = 6400 */
    v = tensor_data(m, "model.22.dfl.conv.weight", &n);
    CHECK(v && n == 16 && v[15] == 15.0f);
    /* conv weights: U(−1/√fan_in, 1/√fan_in), fan_in = 3·3·3 for model.0 */
    v = tensor_data(m, "model.0.conv.weight", &n);
    float mx = 0;
    for (int64_t i = 0; v && i < n; i++) mx = fmaxf(mx, fabsf(v[i]));
    CHECK(v && mx <= 1.0f / sqrtf(27.0f) && mx > 0.5f / sqrtf(27.0f));
    cpose_model_free(m);
    /* the same seed gives the same weights; another seed others */
    struct cpose_model *a = NULL, *b = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 7, &a) == CPOSE_OK);
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 8, &b) == CPOSE_OK);
    if (a && b) CHECK(tensor_data(a, "model.5.conv.weight", NULL)[0] != tensor_data(b, "model.5.conv.weight", NULL)[0]);
    cpose_model_free(a), cpose_model_free(b);
}

/* Writes a flat state_dict of m to path, with edits: skip `drop`, add `extra`, reshape `reshape`. */
static void write_flat(struct cpose_model *m, const char *path, const char *drop, const char *extra, const char *reshape)
{
    struct cpose_h5 *f = NULL;
    CHECK(cpose_h5_create(path, &f) == CPOSE_OK);
    if (!f) return;
    for (int i = 0; i < cpose_model_num_tensors(m); i++) {
        const char *name;
        int nd;
        const int64_t *dims;
        float *data;
        cpose_model_tensor(m, i, &name, &nd, &dims, &data);
        if (drop && !strcmp(name, drop)) continue;
        if (reshape && !strcmp(name, reshape)) {
            int64_t d2[4] = {dims[0] / 2};
            CHECK(cpose_h5_write_f32(f, name, data, 1, d2) == CPOSE_OK);
            continue;
        }
        CHECK(cpose_h5_write_f32(f, name, data, nd, dims) == CPOSE_OK);
    }
    if (extra) {
        float z[3] = {0};
        int64_t d[1] = {3};
        CHECK(cpose_h5_write_f32(f, extra, z, 1, d) == CPOSE_OK);
    }
    CHECK(cpose_h5_commit(f) == CPOSE_OK);
}

static void check_weights_io(void)
{
    const char *dir = tl_tmpdir("model");
    char p_ok[512], p_ck[512], p_miss[512], p_unk[512], p_shape[512];
    snprintf(p_ok, sizeof p_ok, "%s/flat_s.h5", dir);
    snprintf(p_ck, sizeof p_ck, "%s/ckpt.h5", dir);
    snprintf(p_miss, sizeof p_miss, "%s/missing.h5", dir);
    snprintf(p_unk, sizeof p_unk, "%s/unknown.h5", dir);
    snprintf(p_shape, sizeof p_shape, "%s/shape.h5", dir);
    struct cpose_model *s = NULL, *t = NULL;
    CHECK(cpose_model_load_seeded("yolov8s-pose.yaml", NULL, 3, &s) == CPOSE_OK);
    if (!s) return;
    /* flat file without YAML: the scale is inferred (32 out-channels → s) */
    write_flat(s, p_ok, NULL, NULL, NULL);
    CHECK_MSG(cpose_model_load(p_ok, NULL, &t) == CPOSE_OK, "%s", cpose_errmsg());
    if (t) {
        CHECK(cpose_model_get_info(t)->scale == 's' && cpose_model_get_info(t)->n_params == 11626046);
        CHECK(tensor_data(t, "model.9.cv2.conv.weight", NULL)[5] == tensor_data(s, "model.9.cv2.conv.weight", NULL)[5]);
    }
    cpose_model_free(t), t = NULL;
    /* checkpoint round trip: same tensors, same predictions */
    CHECK_MSG(cpose_model_save(s, p_ck) == CPOSE_OK, "%s", cpose_errmsg());
    CHECK_MSG(cpose_model_load(p_ck, NULL, &t) == CPOSE_OK, "%s", cpose_errmsg());
    if (t) {
        int same = cpose_model_num_tensors(t) == cpose_model_num_tensors(s);
        for (int i = 0; same && i < cpose_model_num_tensors(s); i++) {
            const char *na, *nb;
            int nd;
            const int64_t *dims;
            float *da, *db;
            cpose_model_tensor(s, i, &na, &nd, &dims, &da);
            cpose_model_tensor(t, i, &nb, NULL, NULL, &db);
            int64_t n = 1;
            for (int d = 0; d < nd; d++) n *= dims[d];
            same = !strcmp(na, nb) && !memcmp(da, db, n * sizeof(float));
        }
        CHECK_MSG(same, "checkpoint round trip changed tensors");
        CHECK(cpose_model_get_info(t)->scale == 's');
        float in[3 * 64 * 64], pa[56 * 84], pb[56 * 84];
        for (int i = 0; i < 3 * 64 * 64; i++) in[i] = (float)((i * 37) % 101) / 100.0f;
        CHECK(cpose_model_predict(s, in, 1, 64, 64, pa) == CPOSE_OK);
        CHECK(cpose_model_predict(t, in, 1, 64, 64, pb) == CPOSE_OK);
        CHECK(!memcmp(pa, pb, sizeof pa));
        /* a wrong input size is refused with the sizes */
        CHECK(cpose_model_predict(t, in, 1, 48, 64, pb) == CPOSE_ESHAPE);
        CHECK_CONTAINS(cpose_errmsg(), "multiples of 32");
    }
    cpose_model_free(t), t = NULL;
    /* errors name the keys and shapes */
    write_flat(s, p_miss, "model.12.m.0.cv2.bn.running_mean", NULL, NULL);
    CHECK(cpose_model_load(p_miss, "yolov8s-pose.yaml", &t) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "missing keys (model.12.m.0.cv2.bn.running_mean)");
    write_flat(s, p_unk, NULL, "model.23.extra.weight", NULL);
    CHECK(cpose_model_load(p_unk, NULL, &t) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "unknown keys (model.23.extra.weight)");
    write_flat(s, p_shape, NULL, NULL, "model.4.cv1.bn.bias");
    CHECK(cpose_model_load(p_shape, NULL, &t) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "model.4.cv1.bn.bias: file [64], model [128]");
    /* the wrong scale for a file is a shape error too */
    CHECK(cpose_model_load(p_ok, "yolov8n-pose.yaml", &t) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "model.0.conv.weight: file [32, 3, 3, 3], model [16, 3, 3, 3]");
    /* num_batches_tracked may be absent */
    write_flat(s, p_miss, "model.0.bn.num_batches_tracked", NULL, NULL);
    CHECK_MSG(cpose_model_load(p_miss, NULL, &t) == CPOSE_OK, "%s", cpose_errmsg());
    cpose_model_free(t), t = NULL;
    CHECK(cpose_model_load("/nonexistent/w.h5", NULL, &t) == CPOSE_EIO);
    CHECK_CONTAINS(cpose_errmsg(), "/nonexistent/w.h5");
    CHECK(cpose_model_load("yolov9q-nothing.yaml", NULL, &t) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "not found");
    CHECK(t == NULL);
    cpose_model_free(s);
    cpose_remove_tree(dir);
}

/* The four-level p6 head runs: strides 8..64, A = Σ (128/s)², finite outputs, boxes near anchors. */
static void check_p6_forward(void)
{
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load("yolov8n-pose-p6.yaml", NULL, &m) == CPOSE_OK);
    if (!m) return;
    const struct cpose_model_info *info = cpose_model_get_info(m);
    CHECK(info->n_levels == 4 && info->strides[3] == 64 && info->max_stride == 64);
    int64_t A = cpose_model_num_anchors(m, 128, 128);
    CHECK(A == 16 * 16 + 8 * 8 + 4 * 4 + 2 * 2);
    float *in = calloc(3 * 128 * 128, sizeof(float)), *pred = malloc(sizeof(float) * 56 * A);
    for (int i = 0; i < 3 * 128 * 128; i++) in[i] = (float)(i % 255) / 255.0f;
    CHECK(cpose_model_predict(m, in, 1, 128, 128, pred) == CPOSE_OK);
    int finite = 1;
    for (int64_t i = 0; i < 56 * A; i++) finite &= isfinite(pred[i]);
    CHECK(finite);
    /* the last anchor is the P6 cell (1,1) at stride 64: its box centre lies within ±16 bins·64 px */
    CHECK(fabsf(pred[A - 1] - 96.0f) <= 16 * 64);
    CHECK(cpose_model_predict(m, in, 1, 96, 128, pred) == CPOSE_ESHAPE);
    free(in), free(pred);
    cpose_model_free(m);
}

int main(void)
{
    check_p6_forward();
    check_counts();
    check_fresh_init();
    check_weights_io();
    check_keys();
    return tl_finish();
}
