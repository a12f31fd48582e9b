/* core/train/checkpoint.h — training checkpoints (last.h5 / best.h5) for exact resume: one HDF5 file
 * that is at the same time a valid cpose weights file (its /model/<key> datasets are the EMA's values,
 * as Ultralytics' checkpoints keep `ema` for inference, so `cpose val/predict/export model=last.h5`
 * work unchanged) and the full training state:
 *   /model/<key>          the EMA's values (the raw ones when saved without an EMA)
 *   /raw/<key>            the raw (non-EMA) values of every row of the parameter table (1-D)
 *   /optimizer/s1/<key>, /optimizer/s2/<key>   per trainable parameter (s2 not for SGD)
 *   /optimizer/steps (int64), /optimizer/mu_product (float32), one value per trainable parameter
 *   /grad/<key>           (optional) gradients accumulated but not yet applied (accumulate > 1)
 *   root attributes       the weights attributes (format, version, names, kpt_shape, yaml, imgsz, ...,
 *                         core/nn/model.h cpose_model_write_h5), train_args (YAML text), dataset_hash,
 *                         run_counters = [epoch, iteration, last_opt_step, best_epoch, seed],
 *                         run_values = [best_fitness, train_seconds], epoch and best_fitness again
 *                         on their own (for readers that only show them), rng (int64 words), has_grads,
 *                         ema_updates, ema_decay_tau, optim_kind (name), optim_lr / optim_initial_lr /
 *                         optim_momentum / optim_weight_decay (one per group), optim_hyper = [beta2,
 *                         eps, rms_alpha, momentum_decay], optim_params (trainable row count).
 * The loader draws every sample from a stream seeded by (seed, epoch, image index) and the sampler
 * from (seed, epoch) (datasets/train_loader.h), so seed + epoch is its whole RNG state.
 * Values are float32 and round-trip bit-exactly. Files are written to a temporary name and renamed
 * (h5io), so a crash never leaves a half checkpoint.
 *
 * Versions (attribute `version`): none = a flat state_dict; 1 = weights written before this layout;
 * 2 = the current weights layout (train_args), with a training state when run_counters is present.
 * All load as weights. A version above CPOSE_WEIGHTS_VERSION_MAX is refused, naming file and version. */
#ifndef CPOSE_TRAIN_CHECKPOINT_H
#define CPOSE_TRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/status.h"
#include "core/nn/model.h"
#include "core/train/ema.h"
#include "core/train/optim.h"
#include "core/train/param_table.h"

#define CPOSE_CKPT_VERSION CPOSE_WEIGHTS_VERSION /* core/nn/model.h */

/* Everything of a run that is not a tensor. Strings are owned (cpose_malloc'ed) after a read;
 * for a save the caller's strings are only read. */
struct cpose_ckpt_state {
    int format_version;      /* set by read/load: the file's version (1 = weights only, no training state) */
    int epoch;               /* the last completed epoch (0-based), -1 before the first */
    long iteration;          /* batches processed since the start of the run (Ultralytics' ni) */
    long last_opt_step;      /* ni of the last optimizer step (accumulation across epochs) */
    double best_fitness;     /* best 0.1·mAP50 + 0.9·mAP50-95 (box + pose) so far; NAN when none */
    int best_epoch;          /* epoch of best_fitness (early stopping), -1 when none */
    uint64_t seed;           /* the run's seed: with epoch, the loader's whole RNG state */
    double train_seconds;    /* training time spent so far (for time=) */
    char *train_args_yaml;   /* the run's arguments as YAML text (Ultralytics' train_args), or NULL */
    char *dataset_hash;      /* cpose_ckpt_dataset_hash() of the training split, or NULL */
    uint64_t *rng;           /* extra generator state words the trainer keeps (may be NULL) */
    size_t n_rng;
    int has_grads;           /* save: write the trainable rows' .grad; read: the file holds them */
};

/* An empty state: epoch -1, best_fitness NAN, best_epoch -1, everything else 0/NULL. */
CPOSE_API void cpose_ckpt_state_init(struct cpose_ckpt_state *st);
/* Frees the owned strings and rng words and re-inits st. NULL-safe. */
CPOSE_API void cpose_ckpt_state_free(struct cpose_ckpt_state *st);

/* Writes a checkpoint of a run to `path` (temporary name, then rename).
 *   m            the model being trained (its YAML, names, kpt_shape, flip_idx, stride, counters);
 *   tab, n       the parameter table (core/train/train_table.h), rows borrowed from m's tensors;
 *   n_trainable  the first rows the optimizer owns;
 *   o            the optimizer over tab[0..n_trainable) (may be NULL: no optimizer state written);
 *   e            the EMA over tab[0..n) (may be NULL: /model gets the raw values);
 *   st           the run's state (st->has_grads: also write tab[i].grad of the trainable rows).
 * /model gets e's values (else the raw ones) for every state_dict entry of m; keys are matched by name.
 * Errors name the path; nothing is left at path on error (a previous file there stays untouched). */
CPOSE_API int cpose_ckpt_save(const char *path, const struct cpose_model *m, const struct cpose_param *tab, size_t n,
                              size_t n_trainable, const struct cpose_optim *o, const struct cpose_ema *e,
                              const struct cpose_ckpt_state *st);

/* Reads only the state of a checkpoint (for resume=True: the arguments before anything is built).
 * A weights file without training state is CPOSE_EINVAL ("... holds weights only, no training
 * state: start a new run with model=<path>"); a version newer than CPOSE_CKPT_VERSION is refused.
 * st is initialised first; the caller frees it with cpose_ckpt_state_free. */
CPOSE_API int cpose_ckpt_read_state(const char *path, struct cpose_ckpt_state *st);

/* Restores a run: tab[i].data from /raw, e's values and update count from /model and /ema, o's group
 * settings and per-parameter state, tab[i].grad when the file holds gradients (else the trainable
 * gradients are zeroed), and st. tab, o, e must be built over the same model as at save time
 * (o and e may be NULL to skip them). Refuses, with the reason, anything cpose_ckpt_check refuses;
 * on error nothing the caller passed is left half-restored for the parameter values (they are
 * read into scratch first). */
CPOSE_API int cpose_ckpt_load(const char *path, struct cpose_param *tab, size_t n, size_t n_trainable,
                              struct cpose_optim *o, struct cpose_ema *e, struct cpose_ckpt_state *st);

/* Is `path` a checkpoint this run can resume from? Checks, and says why not (CPOSE_EINVAL, message
 * naming the file): unreadable or damaged file; not a checkpoint or weights only; a newer format
 * version; another model (a table row missing from the file, an extra one, or a shape/size that
 * differs: names the first few); an optimizer of another kind than `optim_kind` (pass -1 to skip);
 * a dataset whose hash differs from `dataset_hash` (NULL skips). The trainer calls it before it
 * writes anything into the run folder, so a failed resume never overwrites last.h5. */
CPOSE_API int cpose_ckpt_check(const char *path, const struct cpose_param *tab, size_t n, size_t n_trainable,
                               int optim_kind, const char *dataset_hash);

/* Ultralytics' get_hash: SHA-256 (hex) of the decimal total size in bytes of the files that exist,
 * followed by the concatenation of the paths, in the order given (Ultralytics passes the label files
 * then the image files). out gets 64 hex digits and a NUL. */
CPOSE_API void cpose_ckpt_dataset_hash(const char *const *paths, size_t n, char out[65]);

#endif
