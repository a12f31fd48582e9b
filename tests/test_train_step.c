/* tests/test_train_step.c — the loss batch reader's errors (a missing dataset, shapes that do not
 * match the model, NaN in the input, out-of-range targets), a batch without objects and with
 * unlabeled keypoints, and a few plain SGD steps on a fixed generated batch lowering the loss. */
/* cpose-layer: train */
#include "core/base/alloc.h"
#include "core/nn/h5io.h"
#include "core/nn/model.h"
#include "core/train/train_step.h"
#include "tests/testlib.h"

#include <math.h>
#include <string.h>

static uint64_t rng = 99;
static double urand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (rng >> 11) * (1.0 / 9007199254740992.0);
}

/* A generated batch: B images of S×S (smooth random blobs), n objects with 17 keypoints (every third
 * one unlabeled, v = 0). */
struct gen {
    int64_t B, S;
    int n;
    float *img, bi[8], cls[8], box[8 * 4], kpt[8 * 17 * 3];
};

static void gen_batch(struct gen *g, int64_t B, int64_t S, int n)
{
    g->B = B, g->S = S, g->n = n;
    g->img = malloc(B * 3 * S * S * sizeof(float));
    for (int64_t i = 0; i < B * 3 * S * S; i++) g->img[i] = 0.3f + 0.1f * (float)urand();
    for (int o = 0; o < n; o++) {
        g->bi[o] = (float)(o % B), g->cls[o] = 0;
        float cx = 0.3f + 0.4f * (float)urand(), cy = 0.3f + 0.4f * (float)urand(), w = 0.2f + 0.2f * (float)urand(),
              h = 0.3f + 0.2f * (float)urand();
        g->box[o * 4] = cx, g->box[o * 4 + 1] = cy, g->box[o * 4 + 2] = w, g->box[o * 4 + 3] = h;
        for (int k = 0; k < 17; k++) {
            float *kp = &g->kpt[(o * 17 + k) * 3];
            kp[0] = cx + w * (float)(urand() - 0.5), kp[1] = cy + h * (float)(urand() - 0.5), kp[2] = k % 3 ? 2.0f : 0.0f;
            if (!kp[2]) kp[0] = kp[1] = 0;
        }
        /* a bright box where the object is, in every channel of its image */
        for (int64_t c = 0; c < 3; c++)
            for (int64_t y = (int64_t)((cy - h / 2) * S); y < (int64_t)((cy + h / 2) * S); y++)
                for (int64_t x = (int64_t)((cx - w / 2) * S); x < (int64_t)((cx + w / 2) * S); x++)
                    g->img[((int64_t)g->bi[o] * 3 + c) * S * S + y * S + x] = 0.9f;
    }
}

/* Writes the batch with optional damage: skip names a dataset left out; kpt_n the keypoints per
 * object written (17 normally). */
static void write_batch(const char *path, const struct gen *g, const char *skip, int kpt_n, int64_t img_h)
{
    struct cpose_h5 *f = NULL;
    CHECK(cpose_h5_create(path, &f) == CPOSE_OK);
    int64_t di[4] = {g->B, 3, img_h, g->S}, dn[1] = {g->n}, db[2] = {g->n, 4}, dk[3] = {g->n, kpt_n, 3};
    if (!skip || strcmp(skip, "img")) CHECK(cpose_h5_write_f32(f, "img", g->img, 4, di) == CPOSE_OK);
    if (!skip || strcmp(skip, "batch_idx")) CHECK(cpose_h5_write_f32(f, "batch_idx", g->bi, 1, dn) == CPOSE_OK);
    if (!skip || strcmp(skip, "cls")) CHECK(cpose_h5_write_f32(f, "cls", g->cls, 1, dn) == CPOSE_OK);
    if (!skip || strcmp(skip, "bboxes")) CHECK(cpose_h5_write_f32(f, "bboxes", g->box, 2, db) == CPOSE_OK);
    if (!skip || strcmp(skip, "keypoints")) CHECK(cpose_h5_write_f32(f, "keypoints", g->kpt, 3, dk) == CPOSE_OK);
    CHECK(cpose_h5_commit(f) == CPOSE_OK);
}

static void test_batch_errors(const struct cpose_model_info *info, const char *dir)
{
    struct gen g;
    gen_batch(&g, 2, 64, 3);
    struct cpose_loss_batch b;
    char path[512];
    snprintf(path, sizeof path, "%s/ok.h5", dir);
    write_batch(path, &g, NULL, 17, 64);
    CHECK(cpose_loss_batch_read(path, info, &b) == CPOSE_OK);
    CHECK(b.B == 2 && b.H == 64 && b.W == 64 && b.n == 3);
    cpose_loss_batch_free(&b);

    snprintf(path, sizeof path, "%s/nokpt.h5", dir);
    write_batch(path, &g, "keypoints", 17, 64);
    CHECK(cpose_loss_batch_read(path, info, &b) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "no dataset 'keypoints'");
    CHECK_CONTAINS(cpose_errmsg(), "nokpt.h5");
    CHECK(b.img == NULL);

    snprintf(path, sizeof path, "%s/kpt5.h5", dir);
    write_batch(path, &g, NULL, 5, 64);
    CHECK(cpose_loss_batch_read(path, info, &b) == CPOSE_ESHAPE);
    CHECK_CONTAINS(cpose_errmsg(), "keypoints is [3, 5, 3]");
    CHECK_CONTAINS(cpose_errmsg(), "kpt_shape [17, 3]");

    snprintf(path, sizeof path, "%s/h48.h5", dir);
    struct gen g48 = g;
    g48.img = calloc(2 * 3 * 48 * 64, sizeof(float));
    write_batch(path, &g48, NULL, 17, 48);
    free(g48.img);
    CHECK(cpose_loss_batch_read(path, info, &b) == CPOSE_ESHAPE);
    CHECK_CONTAINS(cpose_errmsg(), "img is [2, 3, 48, 64]");
    CHECK_CONTAINS(cpose_errmsg(), "multiples of 32");

    snprintf(path, sizeof path, "%s/nan.h5", dir);
    float keep = g.img[100];
    g.img[100] = NAN;
    write_batch(path, &g, NULL, 17, 64);
    g.img[100] = keep;
    CHECK(cpose_loss_batch_read(path, info, &b) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "'img' holds a non-finite value");
    CHECK_CONTAINS(cpose_errmsg(), "index 100");

    snprintf(path, sizeof path, "%s/bidx.h5", dir);
    g.bi[2] = 5;
    write_batch(path, &g, NULL, 17, 64);
    CHECK(cpose_loss_batch_read(path, info, &b) == CPOSE_EINVAL);
    CHECK_CONTAINS(cpose_errmsg(), "object 2 has batch_idx 5");

    snprintf(path, sizeof path, "%s/absent.h5", dir);
    CHECK(cpose_loss_batch_read(path, info, &b) != CPOSE_OK);
    CHECK_CONTAINS(cpose_errmsg(), "absent.h5");
    free(g.img);
}

/* Runs steps SGD updates θ −= lr·g; *first and *last: the losses of the first and last forward;
 * *tail (optional): the mean loss of the last five. Returns the first gradient norm. */
static double sgd_run(struct cpose_model *m, const struct gen *g, int steps, float lr, float *first, float *last, float *tail)
{
    const struct cpose_model_info *info = cpose_model_get_info(m);
    struct cpose_train_exec *ex = NULL;
    CHECK(cpose_train_exec_new(m, &ex) == CPOSE_OK);
    struct cpose_loss_batch b = {.B = g->B, .H = g->S, .W = g->S, .img = g->img, .n = g->n, .batch_idx = (float *)g->bi,
                                 .cls = (float *)g->cls, .bboxes = (float *)g->box, .keypoints = (float *)g->kpt};
    int np;
    struct cpose_train_param *tab = cpose_train_exec_params(ex, &np);
    double gn = 0, tsum = 0;
    for (int s = 0; s < steps; s++) {
        float items[5], total;
        CHECK(cpose_train_loss_step(ex, info, NULL, &b, 0, items, &total) == CPOSE_OK);
        CHECK_MSG(isfinite(total), "step %d: total %g", s, total);
        if (s == 0) *first = total, gn = cpose_train_exec_grad_norm(ex);
        *last = total;
        if (s >= steps - 5) tsum += total;
        printf("  step %d: total %.5f (box %.4f pose %.4f kobj %.4f cls %.4f dfl %.4f), grad norm %.3f\n", s, total,
               items[0], items[1], items[2], items[3], items[4], cpose_train_exec_grad_norm(ex));
        for (int j = 0; j < np; j++)
            for (size_t i = 0; i < tab[j].n; i++) tab[j].data[i] -= lr * tab[j].grad[i];
        cpose_train_exec_weights_changed(ex);
    }
    if (tail) *tail = (float)(tsum / (steps < 5 ? steps : 5));
    cpose_train_exec_free(ex);
    return gn;
}

int main(void)
{
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load_seeded("yolov8n-pose.yaml", NULL, 1, &m) == CPOSE_OK);
    if (!m) return tl_finish();
    const char *dir = tl_tmpdir("trainstep");
    test_batch_errors(cpose_model_get_info(m), dir);

    /* a fixed batch: one small SGD step lowers the loss by what the gradient predicts (lr·|g|²); twenty
     * steps end lower than they started (a fresh model's assigner reassigns anchors as it moves, so
     * single steps at a larger rate can go up) */
    struct gen g;
    gen_batch(&g, 2, 64, 4);
    float first, last, after;
    printf("SGD on a fixed batch of 2 (64×64, 4 objects):\n");
    double gn = sgd_run(m, &g, 2, 1e-6f, &first, &after, NULL);
    double predicted = 1e-6 * gn * gn;
    CHECK_MSG(first - after > 0.5 * predicted && first - after < 1.5 * predicted,
              "one step of lr 1e-6: loss %.6f → %.6f, predicted decrease %.6f", first, after, predicted);
    float tail;
    sgd_run(m, &g, 20, 1e-5f, &first, &last, &tail);
    CHECK_MSG(tail < first && last < first, "loss %g → %g (mean of the last 5 steps %g) after 19 SGD steps", first, last, tail);

    /* no objects at all; and objects whose keypoints are all unlabeled */
    float f0, l0;
    struct gen e = g;
    e.n = 0;
    printf("no objects:\n");
    gn = sgd_run(m, &e, 1, 0, &f0, &l0, NULL);
    CHECK(isfinite(f0) && f0 > 0 && isfinite(gn) && gn > 0);
    struct gen u = g;
    for (int i = 0; i < u.n * 17 * 3; i++) u.kpt[i] = 0;
    printf("unlabeled keypoints:\n");
    gn = sgd_run(m, &u, 1, 0, &f0, &l0, NULL);
    CHECK(isfinite(f0) && isfinite(gn));
    free(g.img);
    cpose_model_free(m);
    return tl_finish();
}
