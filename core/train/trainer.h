/* core/train/trainer.h — `cpose train` as a C call: Ultralytics 8.1's training loop (warmup,
 * gradient accumulation, clip 10, optimizer, EMA, per-epoch scheduler, close_mosaic, validation of
 * the EMA weights, early stop, the run folder with args.yaml, results.csv, weights/last.h5 and
 * best.h5, resume). The CLI (core/cli/mode_train.c) and Lua's model:train{} both call it.
 *
 *   struct cpose_trainer_cfg cfg = {.args = &args};      // data=, model=, epochs=, ... as parsed
 *   struct cpose_train_callbacks cb = {.user = L, .on_epoch_end = my_cb};
 *   struct cpose_train_result r;
 *   if (cpose_train_run(&cfg, &cb, &r) != CPOSE_OK) puts(cpose_errmsg());
 *   else printf("%s best fitness %g\n", r.best, r.best_fitness);
 *   cpose_train_result_free(&r);
 */
#ifndef CPOSE_TRAINER_H
#define CPOSE_TRAINER_H

#include "core/base/args.h"
#include "core/base/status.h"
#include "eval/val.h"
#include "reports/results_csv.h"

struct cpose_model;

/* What to train. */
struct cpose_trainer_cfg {
    /* Every train argument of core/base/args.def, as given (model=, data=, epochs=, batch=, imgsz=,
     * resume=, pretrained=, ...). Borrowed. Keys that do not apply to pose training, or that cpose
     * does not implement with a non-default value (rect, mixup, copy_paste, multi_scale, ...), are
     * refused by name. */
    const struct cpose_args *args;
    /* Optional: an already loaded model (Lua's model object) to start from instead of loading
     * args' model=. Borrowed and never modified: the trainer trains its own copy. NULL: model= is
     * loaded as `cpose_cli_load_model` would (YAML → new model, .h5 → its weights). */
    struct cpose_model *model;
    /* Optional label of the run for messages (NULL → "train"). */
    const char *label;
};

/* One finished epoch, as its results.csv row has it. */
struct cpose_train_epoch {
    int epoch;                          /* 1-based, as printed and as in results.csv */
    int epochs;                         /* the planned total (can shrink with time=) */
    /* the row, in cpose_results_csv_keys' order: train/box_loss..train/dfl_loss (mean over the
     * epoch), metrics/precision(B)..metrics/mAP50-95(P), val/box_loss..val/dfl_loss, lr/pg0..pg2 */
    double values[CPOSE_RESULTS_NCOLS];
    int validated;                      /* 0 when val=False (metrics are then 0) */
    double fitness;                     /* 0.1·mAP50 + 0.9·mAP50-95, summed over B and P */
    int is_best;                        /* this epoch's fitness is the best so far (best.h5 written) */
    double seconds;                     /* wall time of the epoch, validation included */
    long instances;                     /* instances seen in the epoch */
};

/* Callbacks; any may be NULL. */
struct cpose_train_callbacks {
    void *user;
    /* After each epoch (results.csv row and last.h5 written). Return 0 to stop the run there (the
     * final validation still runs), non-zero to go on. */
    int (*on_epoch_end)(void *user, const struct cpose_train_epoch *e);
};

/* What a run produced. Owned by the result (cpose_train_result_free). */
struct cpose_train_result {
    char *save_dir;                     /* runs/pose/train<N> (or project/name) */
    char *last, *best;                  /* weights/last.h5, weights/best.h5 (best NULL if never written) */
    int epochs_done;                    /* epochs completed (resume included) */
    int stopped;                        /* 0 finished, 1 early stop (patience), 2 time limit, 3 callback */
    double best_fitness;
    int best_epoch;                     /* 1-based, 0 when none */
    struct cpose_train_epoch final;     /* the last epoch's row */
    int final_validated;                /* 1 when final_val holds the final validation of best.h5 */
    struct cpose_val_summary final_val; /* Ultralytics' final_eval: best.h5 validated once more */
    double seconds;                     /* wall time of the whole run */
};

/* Runs the training cfg describes; prints Ultralytics' progress lines on stdout. The run folder is
 * created (project/name/exist_ok) or, with resume=True|path/last.h5, the checkpoint's own folder is
 * reused and training continues at the epoch and iteration after the checkpoint, bit-identically to
 * an uninterrupted run with the same seed and threads. Errors (CPOSE_EINVAL/CPOSE_EIO/...) name the
 * key or file: negative epochs, a missing dataset or one without labels, an inapplicable key, a
 * resume checkpoint of another model or dataset or a corrupt one (last.h5 is then left as it was).
 * *out is filled on CPOSE_OK and zeroed (safe to free) otherwise. */
CPOSE_API int cpose_train_run(const struct cpose_trainer_cfg *cfg, const struct cpose_train_callbacks *cb,
                              struct cpose_train_result *out);
CPOSE_API void cpose_train_result_free(struct cpose_train_result *r); /* NULL-safe, idempotent */

/* Ultralytics' fitness of a result row: 0.1·mAP50 + 0.9·mAP50-95 of B plus the same of P. */
CPOSE_API double cpose_train_fitness(const double values[CPOSE_RESULTS_NCOLS]);

#endif
