/* tests/test_trainer_time.c — time= (hours) re-plans the epoch count after each epoch as Ultralytics does,
 * epochs = ceil(time·3600 / mean epoch time), and close_mosaic follows the re-planned count. The clock
 * time= reads is simulated (the trainer's test hook): each batch takes 10 s, one batch per epoch, so
 * time=0.01 (36 s) plans ceil(36 / 10) = 4 epochs after the first; with close_mosaic=2 the batches of
 * epochs 3 and 4 come without mosaic and those of epochs 1 and 2 with it (derived by hand from
 * Ultralytics' rule: closed from epoch index epochs − close_mosaic). The run stops by time after the
 * 4th epoch, and the time limit, not the 100 epochs= default, ends it. */
/* cpose-layer: train */
#include <stdio.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/train/trainer_impl.h"
#include "datasets/synth.h"
#include "tests/testlib.h"

#define MAX_EPOCHS 16

struct sim {
    int batches;                 /* batches started so far: the simulated clock is 10 s per batch */
    int mosaic[MAX_EPOCHS];      /* b->mosaic of each epoch's first batch, −1 when not seen */
    int epochs_seen;
};

static int on_batch(void *user, int epoch, int index, const struct cpose_train_batch *b)
{
    struct sim *s = user;
    s->batches++;
    if (epoch >= 0 && epoch < MAX_EPOCHS && index == 0) s->mosaic[epoch] = b->mosaic;
    if (epoch + 1 > s->epochs_seen) s->epochs_seen = epoch + 1;
    return CPOSE_OK;
}

static double sim_now(void *user) { return 10.0 * ((struct sim *)user)->batches; }

int main(void)
{
    const char *tmp = tl_tmpdir("trainer-time");
    char *root = cpose_path_join(tmp, "synth"), *runs = cpose_path_join(tmp, "runs");
    struct cpose_synth_opts so = {root, 4, 2, 64, 4, 0};
    CHECK(cpose_synth_generate(&so) == CPOSE_OK);
    char *yaml = cpose_path_join(root, "synth-pose.yaml");
    struct cpose_args a;
    cpose_args_init(&a);
    const char *kv[][2] = {{"model", "yolov8n-pose.yaml"}, {"data", yaml}, {"time", "0.01"}, {"batch", "4"},
                           {"imgsz", "64"}, {"workers", "1"}, {"seed", "2"}, {"close_mosaic", "2"},
                           {"plots", "False"}, {"val", "False"}, {"project", runs}, {"name", "t"}};
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
        CHECK_MSG(cpose_args_set(&a, kv[i][0], kv[i][1]) == CPOSE_OK, "%s: %s", kv[i][0], cpose_errmsg());
    struct sim s;
    memset(&s, 0, sizeof s);
    for (int e = 0; e < MAX_EPOCHS; e++) s.mosaic[e] = -1;
    struct cpose_trainer_hooks h = {.user = &s, .on_batch = on_batch, .now = sim_now};
    struct cpose_trainer_cfg cfg = {.args = &a};
    struct cpose_train_result r;
    int rc = cpose_train_run_hooked(&cfg, NULL, &h, &r);
    CHECK_MSG(rc == CPOSE_OK, "%s", cpose_errmsg());
    if (rc == CPOSE_OK) {
        CHECK_MSG(s.epochs_seen == 4 && r.epochs_done == 4, "epochs: %d trained, %d done (want 4)", s.epochs_seen,
                  r.epochs_done);
        CHECK_MSG(r.final.epochs == 4, "planned epochs %d", r.final.epochs);
        CHECK_MSG(r.stopped == 2, "stopped %d (want 2, the time limit)", r.stopped);
        CHECK_MSG(s.mosaic[0] == 1 && s.mosaic[1] == 1 && s.mosaic[2] == 0 && s.mosaic[3] == 0,
                  "mosaic per epoch %d %d %d %d (want 1 1 0 0)", s.mosaic[0], s.mosaic[1], s.mosaic[2], s.mosaic[3]);
    }
    cpose_train_result_free(&r);
    cpose_args_free(&a);
    cpose_free(root), cpose_free(runs), cpose_free(yaml);
    return tl_finish();
}
