/* tests/test_val_overlap.c — val with decode + letterbox of the next batch overlapping the forward
 * (the loader's prefetch thread, workers=), with batch-N concat/slice views, and with the batch's
 * forward run image by image (val's default) gives exactly what the in-turn, whole-batch path with
 * copies gives. Generated part: the loader's batches are the same bytes with
 * and without the prefetcher (odd batch, short last batch, reset mid-run, a shard). Fixture part:
 * a model that detects (fixtures/ultralytics/synth-trained) validated four ways at an odd batch —
 * views off, workers=0, whole-batch forwards (the path before these changes); views on, workers=0;
 * views on, workers=2; and the default (views, workers=2, one image per forward) — every metric
 * equal and predictions.json byte-identical. */
/* cpose-layer: eval */
#include "tests/testlib.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/model.h"
#include "datasets/loader.h"
#include "datasets/synth.h"
#include "eval/val.h"

/* One batch, copied out of the loader (its storage is reused by the next call). */
struct snap {
    int n, H, W, index, total_labels;
    float *images;
    double meta; /* a checksum of the items' numbers */
};

static void take(const struct cpose_batch *b, struct snap *s)
{
    s->n = b->n, s->H = b->H, s->W = b->W, s->index = b->index, s->total_labels = 0, s->meta = 0;
    size_t sz = (size_t)b->n * 3 * b->H * b->W;
    s->images = malloc(sz * sizeof(float) + 1);
    memcpy(s->images, b->images, sz * sizeof(float));
    for (int i = 0; i < b->n; i++) {
        const struct cpose_batch_item *it = &b->items[i];
        s->total_labels += it->n_labels;
        s->meta += it->ori_h + 3.0 * it->ori_w + it->ratio_h + it->lb_ratio + it->pad_w * 7 + it->pad_top * 11;
        for (int j = 0; j < it->n_labels; j++) s->meta += it->cls[j] + it->bboxes[4 * j] * 13 + it->kpts[j * b->K * 3 + 1];
    }
}

static void same(const struct snap *a, const struct snap *b, const char *what)
{
    CHECK_MSG(a->n == b->n && a->H == b->H && a->W == b->W && a->index == b->index, "%s: batch %d shape differs", what,
              a->index);
    if (a->n != b->n || a->H != b->H || a->W != b->W) return;
    CHECK_MSG(memcmp(a->images, b->images, (size_t)a->n * 3 * a->H * a->W * sizeof(float)) == 0,
              "%s: batch %d images differ", what, a->index);
    CHECK_MSG(a->total_labels == b->total_labels && a->meta == b->meta, "%s: batch %d items differ", what, a->index);
}

/* Reads every batch of the split (after `reset_after` batches, a reset and a full second pass). */
static int read_all(const char *yaml, int workers, int rank, int size, int reset_after, struct snap *out, int cap)
{
    struct cpose_loader *L = NULL;
    int n = 0;
    CHECK(cpose_loader_open(yaml, "val", 160, 3, 32, 1, 0.5, &L) == CPOSE_OK);
    if (!L) return 0;
    CHECK(cpose_loader_set_workers(L, workers) == CPOSE_OK);
    if (size > 1) CHECK(cpose_loader_shard(L, rank, size) == CPOSE_OK);
    struct cpose_batch b;
    for (int pass = 0; pass < (reset_after ? 2 : 1); pass++) {
        for (int k = 0; cpose_loader_next(L, &b) == CPOSE_OK && b.n > 0 && n < cap; k++) {
            take(&b, &out[n++]);
            if (pass == 0 && reset_after && k + 1 == reset_after) break;
        }
        cpose_loader_reset(L);
    }
    cpose_loader_free(L);
    return n;
}

static void test_loader(const char *tmp)
{
    char *root = cpose_path_join(tmp, "synth");
    struct cpose_synth_opts so = {root, 1, 8, 160, 3, 0};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    char *yaml = cpose_path_join(root, "synth-pose.yaml");
    struct { int rank, size, reset_after; const char *what; } cases[] = {
        {0, 1, 0, "whole split"}, {0, 1, 1, "reset after one batch"}, {1, 2, 0, "shard 1 of 2"}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        struct snap a[16], b[16];
        int na = read_all(yaml, 0, cases[c].rank, cases[c].size, cases[c].reset_after, a, 16);
        int nb = read_all(yaml, 2, cases[c].rank, cases[c].size, cases[c].reset_after, b, 16);
        /* 8 images at batch 3: batches of 3, 3, 2 */
        int want = cases[c].size == 2 ? 1 : cases[c].reset_after ? 4 : 3;
        CHECK_MSG(na == want && nb == want, "%s: %d and %d batches, want %d", cases[c].what, na, nb, want);
        for (int i = 0; i < na && i < nb; i++) same(&a[i], &b[i], cases[c].what);
        for (int i = 0; i < na; i++) free(a[i].images);
        for (int i = 0; i < nb; i++) free(b[i].images);
    }
    struct cpose_loader *L = NULL;
    CHECK(cpose_loader_open(yaml, "val", 160, 3, 32, 1, 0.5, &L) == CPOSE_OK);
    CHECK(L && cpose_loader_set_workers(L, -1) == CPOSE_EINVAL);
    cpose_loader_free(L);
    cpose_free(yaml), cpose_free(root);
}

static void det_same(const struct cpose_det_metric *a, const struct cpose_det_metric *b, const char *what)
{
    CHECK_MSG(a->mp == b->mp && a->mr == b->mr && a->map50 == b->map50 && a->map75 == b->map75 && a->map == b->map,
              "%s: P %.17g/%.17g R %.17g/%.17g mAP50 %.17g/%.17g mAP %.17g/%.17g", what, a->mp, b->mp, a->mr, b->mr,
              a->map50, b->map50, a->map, b->map);
}

/* Validates with views on/off, workers= and images per forward (NULL: val's default); returns predictions.json's text (caller frees). */
static char *val(const char *weights, int views, const char *workers, const char *chunk, const char *yaml,
                 const char *project, struct cpose_val_summary *s)
{
    if (!views) setenv("CPOSE_VIEWS", "0", 1);
    if (chunk) setenv("CPOSE_VAL_CHUNK", chunk, 1);
    struct cpose_model *m = NULL;
    CHECK(cpose_model_load(weights, NULL, &m) == CPOSE_OK);
    struct cpose_args a;
    cpose_args_init(&a);
    CHECK(cpose_args_set(&a, "data", yaml) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "imgsz", "256") == CPOSE_OK);
    CHECK(cpose_args_set(&a, "batch", "5") == CPOSE_OK); /* 12 images: 5, 5, 2 */
    CHECK(cpose_args_set(&a, "workers", workers) == CPOSE_OK);
    CHECK(cpose_args_set(&a, "save_json", "True") == CPOSE_OK);
    CHECK(cpose_args_set(&a, "plots", "False") == CPOSE_OK);
    CHECK(cpose_args_set(&a, "project", project) == CPOSE_OK);
    memset(s, 0, sizeof *s);
    int rc = m ? cpose_val_run(m, &a, s) : CPOSE_EINVAL;
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    unsetenv("CPOSE_VIEWS"), unsetenv("CPOSE_VAL_CHUNK");
    char *text = NULL;
    size_t len = 0;
    if (rc == CPOSE_OK) CHECK(s->pred_path && cpose_read_file(s->pred_path, &text, &len) == CPOSE_OK);
    cpose_args_free(&a);
    cpose_model_free(m);
    return text;
}

static void test_val(const char *tmp)
{
    const char *weights = tl_fixture("ultralytics/synth-trained/synth-seed1-best.h5");
    char *root = cpose_path_join(tmp, "synth256"), *project = cpose_path_join(tmp, "runs");
    struct cpose_synth_opts so = {root, 1, 12, 256, 0, 0};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    char *yaml = cpose_path_join(root, "synth-pose.yaml");
    struct cpose_val_summary ref, s;
    char *want = val(weights, 0, "0", "5", yaml, project, &ref);
    CHECK_MSG(ref.n_predictions > 0 && ref.metrics.pose.map50 > 0, "the model detects nothing (%lld predictions)",
              (long long)ref.n_predictions);
    const struct { int views; const char *workers, *chunk, *what; } runs[] = {
        {1, "0", "5", "views"}, {1, "2", "5", "views + overlap"}, {1, "2", NULL, "views + overlap + image by image"}};
    for (int r = 0; r < 3; r++) {
        char *got = val(weights, runs[r].views, runs[r].workers, runs[r].chunk, yaml, project, &s);
        CHECK_MSG(s.n_images == ref.n_images && s.n_predictions == ref.n_predictions, "%s: %lld predictions, want %lld",
                  runs[r].what, (long long)s.n_predictions, (long long)ref.n_predictions);
        det_same(&s.metrics.box, &ref.metrics.box, runs[r].what);
        det_same(&s.metrics.pose, &ref.metrics.pose, runs[r].what);
        CHECK_MSG(got && want && strcmp(got, want) == 0, "%s: predictions.json differs", runs[r].what);
        cpose_free(got);
        cpose_val_summary_free(&s);
    }
    cpose_free(want);
    cpose_val_summary_free(&ref);
    cpose_free(yaml), cpose_free(root), cpose_free(project);
}

int main(int argc, char **argv)
{
    tl_parts(argc, argv);
    const char *tmp = tl_tmpdir("val-overlap");
    TL_GENERATED(test_loader(tmp));
    TL_FIXTURES(test_val(tmp));
    return tl_finish();
}
