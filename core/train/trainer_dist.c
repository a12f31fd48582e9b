/* core/train/trainer_dist.c — the trainer under mpirun (data-parallel, core/base/dist.h): rank 0 names
 * the run folder and its weights start every rank; rank 0 alone validates and writes, and its decisions
 * at the end of each epoch (metrics, best, early stop, time= re-plan, the callback's stop) are
 * broadcast so every rank leaves the loop at the same epoch. Nothing here acts in one process. */
#include <string.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/dist.h"
#include "core/base/log.h"
#include "core/train/grad_sync.h"
#include "core/train/trainer_impl.h"

/* Rank 0 waits for nothing while validating; the others wait at the epoch's end for as long as rank 0's
 * validation and checkpoint take: bounded by CPOSE_DIST_TIMEOUT like every collective, so large
 * validation sets need a larger value (the README says so). */

int cpose_trainer_dist_share_dir(char **save_dir)
{
    if (cpose_dist_size() <= 1) return CPOSE_OK;
    char buf[4096];
    memset(buf, 0, sizeof buf);
    if (cpose_dist_rank() == 0) {
        if (!*save_dir) return cpose_err(CPOSE_EIO, "train: rank 0 has no run folder to share");
        if (strlen(*save_dir) >= sizeof buf) return cpose_err(CPOSE_EINVAL, "train: run folder path too long for MPI");
        strcpy(buf, *save_dir);
    }
    int rc = cpose_dist_bcast(buf, sizeof buf, 0, "train: share the run folder");
    if (rc != CPOSE_OK) return rc;
    if (cpose_dist_rank() != 0) {
        cpose_free(*save_dir);
        *save_dir = cpose_strdup(buf);
    }
    return CPOSE_OK;
}

int cpose_trainer_dist_share_weights(struct cpose_trainer *t)
{
    if (cpose_dist_size() <= 1) return CPOSE_OK;
    for (size_t i = 0; i < t->nt; i++) {
        int rc = cpose_dist_bcast(t->tab[i].data, t->tab[i].n * sizeof(float), 0, "train: rank 0's weights to every rank");
        if (rc != CPOSE_OK) return rc;
    }
    cpose_train_exec_weights_changed(t->ex);
    return CPOSE_OK;
}

int cpose_trainer_dist_flag(int mine)
{
    if (cpose_dist_size() <= 1) return mine;
    int v = mine;
    if (cpose_dist_bcast(&v, sizeof v, 0, "train: rank 0's time limit decision") != CPOSE_OK)
        cpose_dist_abort(cpose_errmsg(), 1);
    return v;
}

int cpose_trainer_dist_check_data(const struct cpose_trainer *t)
{
    if (cpose_dist_size() <= 1) return CPOSE_OK;
    char mine[65], ref[65];
    cpose_trainer_dataset_hash(t->L, mine);
    memcpy(ref, mine, sizeof ref);
    int rc = cpose_dist_bcast(ref, sizeof ref, 0, "train: rank 0's dataset hash");
    if (rc != CPOSE_OK) return rc;
    long long differ = strcmp(ref, mine) != 0;
    int mine_differs = (int)differ;
    if ((rc = cpose_dist_sum_i64(&differ, 1, "train: compare the dataset on every rank")) != CPOSE_OK) return rc;
    if (!differ) return CPOSE_OK;
    cpose_dist_fail_together(); /* every rank stops here: let each print its message before the job ends */
    if (mine_differs) {
        char host[256] = "?";
        gethostname(host, sizeof host - 1);
        return cpose_err(CPOSE_EINVAL, "data=%s: rank %d (host %s) sees another training set than rank 0 (file-list hash "
                         "%.12s…, rank 0 %.12s…): every node needs the same files at the same paths (a shared file "
                         "system, or an identical copy)", cpose_args_str(&t->args, "data"), cpose_dist_rank(), host,
                         mine, ref);
    }
    return cpose_err(CPOSE_EINVAL, "data=%s: %lld rank%s see%s another training set than rank 0 (their messages name "
                     "the hosts): every node needs the same files at the same paths", cpose_args_str(&t->args, "data"),
                     differ, differ == 1 ? "" : "s", differ == 1 ? "s" : "");
}

int cpose_trainer_dist_mean_loss(double tloss[5])
{
    int n = cpose_dist_size();
    if (n <= 1) return CPOSE_OK;
    int rc = cpose_dist_sum_f64(tloss, 5, "train: the epoch's mean loss over the ranks");
    for (int k = 0; k < 5; k++) tloss[k] /= n;
    return rc;
}

/* What rank 0 decided at the end of an epoch. */
struct epoch_decision {
    struct cpose_train_epoch e;
    double best_fitness, stop_best_fitness;
    int best_epoch, has_best, stop_best_epoch, stop, epochs, epochs_done, close_mosaic_epoch;
};

int cpose_trainer_dist_sync_epoch(struct cpose_trainer *t, struct cpose_train_epoch *e)
{
    if (cpose_dist_size() <= 1) return CPOSE_OK;
    struct epoch_decision d;
    memset(&d, 0, sizeof d);
    d.e = *e;
    d.best_fitness = t->best_fitness, d.stop_best_fitness = t->stop_best_fitness;
    d.best_epoch = t->best_epoch, d.has_best = t->has_best, d.stop_best_epoch = t->stop_best_epoch;
    d.stop = t->stop, d.epochs = t->epochs, d.epochs_done = t->epochs_done, d.close_mosaic_epoch = t->close_mosaic_epoch;
    int rc = cpose_dist_bcast(&d, sizeof d, 0, "train: rank 0's validation and checkpoint of the epoch");
    if (rc != CPOSE_OK) return rc;
    if (cpose_dist_rank() == 0) return CPOSE_OK;
    *e = d.e;
    t->last_row = d.e;
    t->best_fitness = d.best_fitness, t->stop_best_fitness = d.stop_best_fitness;
    t->best_epoch = d.best_epoch, t->has_best = d.has_best, t->stop_best_epoch = d.stop_best_epoch;
    t->stop = d.stop, t->epochs_done = d.epochs_done;
    if (d.epochs != t->epochs) { /* rank 0 re-planned for time= */
        t->epochs = t->sc.epochs = d.epochs;
        cpose_train_loader_set_epochs(t->L, d.epochs);
    }
    t->close_mosaic_epoch = d.close_mosaic_epoch;
    return CPOSE_OK;
}

void cpose_trainer_dist_report(const struct cpose_trainer *t)
{
    if (cpose_dist_size() <= 1 || cpose_dist_rank() != 0) return;
    struct cpose_grad_sync_stats st;
    cpose_train_exec_sync_stats(t->ex, &st);
    if (!st.steps) return;
    cpose_info("Data-parallel over %d ranks: %.1f MB all-reduced per step in %d buckets; per step (rank 0) %.1f ms in "
               "the all-reduce: %.1f ms in MPI calls during the backward, %.1f ms waiting after it",
               cpose_dist_size(), st.floats_per_step * 4.0 / 1e6, st.buckets, (st.call_ms + st.wait_ms) / st.steps,
               st.call_ms / st.steps, st.wait_ms / st.steps);
}
