/* core/train/trainer_impl.h — internals shared by the trainer's files (core/train/trainer*.c): argument
 * checks and args.yaml, the run folder and resume lookup. Not a public header. */
#ifndef CPOSE_TRAINER_IMPL_H
#define CPOSE_TRAINER_IMPL_H

#include <stdio.h>

#include "core/base/args.h"
#include "core/nn/model.h"
#include "core/train/ema.h"
#include "core/train/optim.h"
#include "core/train/pose_loss.h"
#include "core/train/schedule.h"
#include "core/train/train_step.h"
#include "core/train/train_table.h"
#include "core/train/trainer.h"
#include "datasets/train_loader.h"

/* Test hooks (tests only; all NULL in normal runs). */
struct cpose_trainer_hooks {
    void *user;
    /* before each batch's step; a non-OK return aborts the run with it */
    int (*on_batch)(void *user, int epoch, int index, const struct cpose_train_batch *b);
    /* at the start of a phase of epoch `epoch` (0-based): "val" before validating, "save" before writing
     * weights/last.h5 */
    void (*on_phase)(void *user, const char *phase, int epoch);
    /* the clock time= reads, in seconds (a simulated one in tests); NULL: cpose_now */
    double (*now)(void *user);
    int no_shuffle;                  /* 1: batches in the dataset's order (the data-parallel equivalence test) */
};

/* The state of one run. */
struct cpose_trainer {
    struct cpose_args args;          /* the effective arguments (owned copy; restored from the checkpoint on resume) */
    struct cpose_model *m;           /* the model trained (the executor works on its tensors) */
    struct cpose_model *em;          /* the inference model the EMA values are copied into for validation */
    struct cpose_train_exec *ex;
    struct cpose_param *tab;         /* every float state_dict entry: trainable first (ntrain), then the rest (nt) */
    size_t nt, ntrain;
    struct cpose_param *opt_tab;     /* tab's first ntrain rows with frozen layers' gradients NULL */
    struct cpose_optim *opt;
    struct cpose_ema *ema;
    struct cpose_train_loader *L;
    struct cpose_sched_cfg sc;
    struct cpose_pose_loss_cfg lc;
    float *kpt2;                     /* keypoints cut to (x, y) for kdim-2 models */
    size_t kpt2_cap;
    char *save_dir, *wdir, *last, *best, *csv;
    char *train_args;                /* args.yaml text, stored in every weights file */
    int imgsz, batch, workers, nb, epochs, start_epoch, epochs_done;
    int close_mosaic_epoch;          /* the epoch mosaic closes at (−1 never) */
    int do_val, save, save_period, patience, tty, plots;
    int val_plots;              /* the next validation writes val's plots and reports (the final one, plots=True) */
    long last_opt_step;              /* global iteration of the last optimizer step (−1 before the first) */
    int grads_pending;               /* backward passes accumulated since the last zeroing */
    double best_fitness;
    int best_epoch, has_best;
    double stop_best_fitness;        /* EarlyStopping's own record */
    int stop_best_epoch;
    int stop;                        /* 0 running, 1 patience, 2 time, 3 callback */
    double time_limit;               /* seconds (time=), 0 none */
    double time_start;               /* the time= clock (cpose_trainer_clock) when the epoch loop started */
    int close_mosaic;                /* close_mosaic= (0 when mosaic is off), for re-planning close_mosaic_epoch */
    double t_start;
    double train_seconds;            /* this session: seconds in the batch loops (loader waits included) */
    long train_images;               /* and the images they trained on */
    double seconds_before;           /* training seconds of earlier sessions (resume) */
    char *resume_path;               /* the checkpoint resumed from, or NULL */
    int resume_epoch;                /* its last completed epoch (0-based) */
    struct cpose_train_epoch last_row;
    struct cpose_trainer_hooks hooks;
};

/* Under mpirun (core/train/trainer_dist.c; no-ops in one process): rank 0's run folder to every rank;
 * rank 0's weights to every rank; rank 0's value of a flag; rank 0's end-of-epoch decisions (the row,
 * best, early stop, time= re-plan, stop) to every rank; the all-reduce figures, printed by rank 0. */
int cpose_trainer_dist_share_dir(char **save_dir);
int cpose_trainer_dist_share_weights(struct cpose_trainer *t);
int cpose_trainer_dist_flag(int mine);
/* The epoch's running mean of the loss items, averaged over the ranks (every rank ran the same number
 * of batches of the same size, so this is the mean over every image of the epoch, as one process
 * computes it); results.csv's train losses are these. */
int cpose_trainer_dist_mean_loss(double tloss[5]);
/* Under mpirun: every rank's training-set hash (cpose_trainer_dataset_hash) against rank 0's, so a
 * per-node copy of the dataset that differs (files added, removed, resized, another path) stops the
 * job before training, on every rank, naming the ranks and hosts that differ. */
int cpose_trainer_dist_check_data(const struct cpose_trainer *t);
int cpose_trainer_dist_sync_epoch(struct cpose_trainer *t, struct cpose_train_epoch *e);
void cpose_trainer_dist_report(const struct cpose_trainer *t);

/* Drops the inference caches of m after its tensors were overwritten in place (trainer_model.c). */
void cpose_trainer_model_changed(struct cpose_model *m);
/* The clock time= is measured with: hooks.now when set, else cpose_now (trainer.c). */
double cpose_trainer_clock(const struct cpose_trainer *t);
/* time=: after epoch `epoch` (0-based) of this session, re-plans the epoch count as Ultralytics does,
 * epochs = ceil(time / mean epoch time of this session) (at least 1), and moves everything that
 * depends on it: the LR schedule, the loader's close_mosaic epoch and t->close_mosaic_epoch; sets
 * t->stop = 2 when `epoch` is now the last (trainer.c). */
void cpose_trainer_replan(struct cpose_trainer *t, int epoch);
/* The epoch loop from t->start_epoch (trainer.c). */
int cpose_trainer_loop(struct cpose_trainer *t, const struct cpose_train_callbacks *cb);
/* Copies the EMA into t->em and validates it on the val split; fills values[5..12] (metrics of B and P)
 * and 13..17 (the val losses, core/train/val_loss.h) (trainer_run.c). */
int cpose_trainer_validate(struct cpose_trainer *t, double values[CPOSE_RESULTS_NCOLS]);
/* The end of an epoch: results.csv row, then (save) last.h5, best.h5 when e->is_best and the
 * save_period copy (trainer_run.c). */
int cpose_trainer_epoch_end(struct cpose_trainer *t, const struct cpose_train_epoch *e, int save);
/* resume=True|path: reads the checkpoint's state, replaces t->args by its train_args (workers, threads,
 * device, verbose may be overridden) and sets t->resume_path and t->save_dir (the checkpoint's run
 * folder). Nothing when resume is False (trainer_resume.c). */
int cpose_trainer_resume_args(struct cpose_trainer *t);
/* After setup: checks the checkpoint against the built model, optimizer and dataset, restores it, sets
 * the start epoch and counters, and cuts results.csv back to the checkpoint's epoch. */
int cpose_trainer_resume_restore(struct cpose_trainer *t);
/* Ultralytics' get_hash over the label files then the image files of the training split in use: the
 * SHA-256 hex of their total size and their paths (stored in checkpoints as dataset_hash). */
void cpose_trainer_dataset_hash(const struct cpose_train_loader *L, char out[65]);
/* Writes a full checkpoint of the run (weights = the EMA's, plus the training state) to path. */
int cpose_trainer_save_ckpt(struct cpose_trainer *t, const char *path);
/* cpose_train_run with test hooks (NULL: none). */
int cpose_train_run_hooked(const struct cpose_trainer_cfg *cfg, const struct cpose_train_callbacks *cb,
                           const struct cpose_trainer_hooks *hooks, struct cpose_train_result *out);

/* Refuses, by name, train arguments that do not apply to pose training or that cpose does not implement
 * with the value given (rect=True, mixup>0, copy_paste>0, multi_scale=True, device=0, ...), and checks
 * ranges (epochs ≥ 1 unless time= is given, batch ≥ 1, imgsz ≥ 32, nbs ≥ 1, patience ≥ 0, ...). Warns
 * for accepted keys that change nothing on CPU (amp, cache). CPOSE_EINVAL naming the key. */
int cpose_trainer_check_args(const struct cpose_args *a);

/* The arguments as Ultralytics' args.yaml / train_args: one "key: value" line per Ultralytics key
 * (args.def's order, cpose's own keys after them only when given), None as null, booleans as
 * true/false. Caller frees. Cannot fail. */
char *cpose_trainer_args_yaml(const struct cpose_args *a);
/* Sets every key found in args.yaml text (as written above) into a; unknown keys are skipped (an
 * older or newer cpose wrote them). CPOSE_EINVAL naming the line on a value that does not parse. */
int cpose_trainer_args_from_yaml(const char *text, const char *what, struct cpose_args *a);

/* resume=True: the newest weights/last.h5 under the runs folder (settings' runs_dir, or project= when
 * given), or NULL with an error saying none was found. Caller frees. */
char *cpose_trainer_find_last(const struct cpose_args *a);

/* freeze=: fills layer indices (count N → 0..N−1; a list → those) into out (at most max); returns the
 * count, or −1 with an error naming the value. */
int cpose_trainer_freeze_list(const struct cpose_args *a, int *out, int max);

/* Does state_dict key `name` belong to a frozen layer ("model.<i>." for i in the list, or ".dfl")? */
int cpose_trainer_is_frozen(const char *name, const int *layers, int n_layers);

#endif
