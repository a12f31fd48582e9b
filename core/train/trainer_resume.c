/* core/train/trainer_resume.c — checkpoints of a run (core/train/checkpoint.h) and resume: which file
 * resume= names, the arguments restored from it, the checks before anything is written, the restore
 * of model, EMA, optimizer and counters, and results.csv cut back to the checkpoint's epoch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/train/checkpoint.h"
#include "core/train/trainer_impl.h"
#include "datasets/dataset.h"

void cpose_trainer_dataset_hash(const struct cpose_train_loader *L, char out[65])
{
    size_t n = cpose_train_loader_size(L);
    char **paths = cpose_malloc((2 * n + 1) * sizeof *paths);
    for (size_t i = 0; i < n; i++) {
        paths[i] = cpose_img2label_path(cpose_train_loader_file(L, i));
        paths[n + i] = (char *)cpose_train_loader_file(L, i);
    }
    cpose_ckpt_dataset_hash((const char *const *)paths, 2 * n, out);
    for (size_t i = 0; i < n; i++) cpose_free(paths[i]);
    cpose_free(paths);
}

int cpose_trainer_save_ckpt(struct cpose_trainer *t, const char *path)
{
    struct cpose_ckpt_state st;
    cpose_ckpt_state_init(&st);
    char hash[65];
    cpose_trainer_dataset_hash(t->L, hash);
    st.epoch = t->epochs_done - 1;
    st.iteration = (long)t->epochs_done * t->nb;
    st.last_opt_step = t->last_opt_step;
    st.best_fitness = t->has_best ? t->best_fitness : NAN;
    st.best_epoch = t->has_best ? t->best_epoch : -1;
    st.seed = (uint64_t)cpose_args_int(&t->args, "seed", 0);
    st.train_seconds = t->seconds_before + (cpose_now() - t->t_start);
    st.train_args_yaml = NULL; /* the model carries them (cpose_model_set_train_args in the run's setup) */
    st.dataset_hash = hash;
    /* gradients are zeroed at every epoch start, so a checkpoint at an epoch end needs none */
    st.has_grads = 0;
    int rc = cpose_ckpt_save(path, t->m, t->tab, t->nt, t->ntrain, t->opt, t->ema, &st);
    st.dataset_hash = NULL;
    cpose_ckpt_state_free(&st);
    return rc;
}

/* Keys a resumed run may take from the command line: they change neither the numbers nor the files. */
static const char *const resume_overrides[] = {"workers", "threads", "device", "verbose"};

int cpose_trainer_resume_args(struct cpose_trainer *t)
{
    const char *res = cpose_args_str(&t->args, "resume");
    int b = cpose_parse_bool(res);
    if (b == 0 || !*res) return CPOSE_OK;
    char *path = b == 1 ? cpose_trainer_find_last(&t->args) : cpose_strdup(res);
    if (!path) return CPOSE_EINVAL;
    if (!cpose_path_is_file(path)) {
        int rc = cpose_err(CPOSE_EINVAL, "resume=%s: no such file (pass resume=True for the newest run, or the path of "
                                         "a run's weights/last.h5)", path);
        cpose_free(path);
        return rc;
    }
    struct cpose_ckpt_state st;
    int rc = cpose_ckpt_read_state(path, &st);
    if (rc == CPOSE_OK && !st.train_args_yaml)
        rc = cpose_err(CPOSE_EINVAL, "%s holds no training arguments: start a new run with model=%s", path, path);
    struct cpose_args na;
    cpose_args_init(&na);
    if (rc == CPOSE_OK) rc = cpose_trainer_args_from_yaml(st.train_args_yaml, path, &na);
    if (rc == CPOSE_OK) {
        for (size_t i = 0; i < sizeof resume_overrides / sizeof *resume_overrides; i++)
            if (cpose_args_given(&t->args, resume_overrides[i]))
                rc = rc ? rc : cpose_args_set(&na, resume_overrides[i], cpose_args_str(&t->args, resume_overrides[i]));
        if (!rc) rc = cpose_args_set(&na, "resume", path);
    }
    if (rc == CPOSE_OK) {
        cpose_args_free(&t->args);
        t->args = na;
        t->resume_path = path;
        t->resume_epoch = st.epoch;
        t->train_args = st.train_args_yaml; /* kept as the run wrote them: resumed files match uninterrupted ones */
        st.train_args_yaml = NULL;
        char *wdir = cpose_path_dirname(path);
        t->save_dir = cpose_path_dirname(wdir);
        cpose_free(wdir);
    } else {
        cpose_args_free(&na);
        cpose_free(path);
    }
    cpose_ckpt_state_free(&st);
    return rc ? cpose_err_context(rc, "resume") : CPOSE_OK;
}

/* Keeps the header and the rows of epochs ≤ n of results.csv (a row written after the checkpoint by a
 * run that was then killed is dropped, so the resumed run writes it again once). */
static int csv_cut(const char *path, int n)
{
    if (!cpose_path_is_file(path)) return CPOSE_OK;
    char *text = NULL;
    size_t len = 0;
    int rc = cpose_read_file(path, &text, &len);
    if (rc) return rc;
    size_t keep = 0;
    int line = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n') {
            size_t start = keep;
            if (line > 0 && atoi(text + start) > n) break;
            keep = i + 1;
            line++;
        }
    if (keep != len) rc = cpose_write_file_atomic(path, text, keep);
    cpose_free(text);
    return rc;
}

int cpose_trainer_resume_restore(struct cpose_trainer *t)
{
    char hash[65];
    cpose_trainer_dataset_hash(t->L, hash);
    int rc = cpose_ckpt_check(t->resume_path, t->tab, t->nt, t->ntrain, (int)t->opt->kind, hash);
    if (rc) return rc;
    /* the state_dict entries outside the parameter table (BN num_batches_tracked counters) from /model */
    if ((rc = cpose_model_load_weights(t->m, t->resume_path)) != CPOSE_OK) return rc;
    struct cpose_ckpt_state st;
    cpose_ckpt_state_init(&st);
    if ((rc = cpose_ckpt_load(t->resume_path, t->tab, t->nt, t->ntrain, t->opt, t->ema, &st)) != CPOSE_OK) return rc;
    cpose_train_exec_weights_changed(t->ex);
    t->start_epoch = st.epoch + 1;
    t->epochs_done = t->start_epoch;
    t->last_opt_step = st.last_opt_step;
    t->has_best = !isnan(st.best_fitness);
    t->best_fitness = t->has_best ? st.best_fitness : 0;
    t->best_epoch = t->has_best ? st.best_epoch : 0;
    t->stop_best_fitness = t->best_fitness;
    t->stop_best_epoch = t->best_epoch;
    t->seconds_before = st.train_seconds;
    cpose_ckpt_state_free(&st);
    if (t->time_limit > 0) { /* time=: one more epoch, then re-planned from this session's epoch time */
        t->epochs = t->sc.epochs = t->start_epoch + 1;
        cpose_train_loader_set_epochs(t->L, t->epochs);
        t->close_mosaic_epoch = t->close_mosaic > 0 ? t->epochs - t->close_mosaic : -1;
    }
    if (t->start_epoch >= t->epochs)
        return cpose_err(CPOSE_EINVAL, "%s: training to %d epochs is finished, nothing to resume; start a new run with "
                         "model=%s", t->resume_path, t->epochs, t->resume_path);
    if ((rc = csv_cut(t->csv, t->start_epoch)) != CPOSE_OK) return rc;
    cpose_info("Resuming training %s from epoch %d to %d total epochs", t->resume_path, t->start_epoch + 1, t->epochs);
    return CPOSE_OK;
}
