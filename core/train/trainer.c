/* core/train/trainer.c — the training loop of Ultralytics 8.1's BaseTrainer for pose: setup (models,
 * loader, optimizer choice and groups, schedule, EMA), the epoch loop (warmup, accumulation, clip 10,
 * optimizer step, EMA update), validation of the EMA weights, early stop, time limit, results.csv and
 * weights; the final validation of best.h5. The run folder and checkpoints are trainer_run.c's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/base/dist.h"
#include "core/train/trainer_impl.h"
#include "reports/plot.h"

double cpose_train_fitness(const double v[CPOSE_RESULTS_NCOLS])
{
    /* columns 5..8 box P, R, mAP50, mAP50-95; 9..12 pose */
    return 0.1 * v[7] + 0.9 * v[8] + 0.1 * v[11] + 0.9 * v[12];
}

/* Resident set size now, in GiB (the GPU_mem column of Ultralytics becomes RAM on the CPU). */
static double rss_gib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
        fclose(f);
    }
    return (double)rss * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0 * 1024.0);
}

static void print_header(void)
{
    if (cpose_dist_rank() != 0) return; /* rank 0 prints the run */
    printf("\n%11s%11s%11s%11s%11s%11s%11s%11s%11s\n", "Epoch", "RAM", "box_loss", "pose_loss", "kobj_loss", "cls_loss",
           "dfl_loss", "Instances", "Size");
}

static void print_line(const struct cpose_trainer *t, int epoch, const double *tloss, int inst, int size, int i, int nb,
                       double secs, int final)
{
    if (cpose_dist_rank() != 0) return;
    char ep[32], mem[32];
    snprintf(ep, sizeof ep, "%d/%d", epoch + 1, t->epochs);
    snprintf(mem, sizeof mem, "%.3gG", rss_gib());
    printf("%s%11s%11s%11.4g%11.4g%11.4g%11.4g%11.4g%11d%11d  %3d%% %d/%d %.1fs%s", t->tty ? "\r" : "", ep, mem, tloss[0],
           tloss[1], tloss[2], tloss[3], tloss[4], inst, size, nb ? (i * 100 / nb) : 100, i, nb, secs,
           final || !t->tty ? "\n" : "");
    fflush(stdout);
}

/* The loader's batch as the loss takes it; keypoints are cut to kdim 2 when the model has no
 * visibility. */
static void to_loss_batch(struct cpose_trainer *t, const struct cpose_train_batch *b, struct cpose_loss_batch *lb)
{
    const struct cpose_model_info *info = cpose_model_get_info(t->m);
    *lb = (struct cpose_loss_batch){.B = b->n, .H = b->H, .W = b->W, .img = b->img, .n = b->n_targets,
                                    .batch_idx = b->batch_idx, .cls = b->cls, .bboxes = b->bboxes,
                                    .keypoints = b->keypoints};
    if (info->kdim == 2 && b->n_targets > 0) {
        size_t need = (size_t)b->n_targets * b->K * 2;
        if (need > t->kpt2_cap) {
            cpose_free(t->kpt2);
            t->kpt2 = cpose_malloc(need * sizeof(float));
            t->kpt2_cap = need;
        }
        for (size_t j = 0; j < (size_t)b->n_targets * b->K; j++)
            t->kpt2[j * 2] = b->keypoints[j * 3], t->kpt2[j * 2 + 1] = b->keypoints[j * 3 + 1];
        lb->keypoints = t->kpt2;
    }
}

/* Ultralytics' optimizer_step: clip the gradient norm at 10, step, zero the gradients, update the EMA. */
static int optimizer_step(struct cpose_trainer *t)
{
    cpose_clip_grad_norm(t->opt_tab, t->ntrain, 10.0);
    cpose_optim_step(t->opt);
    cpose_optim_zero_grad(t->opt_tab, t->ntrain);
    t->grads_pending = 0;
    cpose_train_exec_weights_changed(t->ex);
    return cpose_ema_update(t->ema, t->tab, t->nt);
}

/* One epoch of batches; fills tloss (running mean of the loss items) and *instances. */
static int train_epoch(struct cpose_trainer *t, int epoch, double tloss[5], long *instances)
{
    int rc, nb = t->nb;
    long nw = cpose_sched_warmup_iters(&t->sc);
    (void)nw;
    if ((rc = cpose_train_loader_start_epoch(t->L, epoch)) != CPOSE_OK) return rc;
    if (t->close_mosaic_epoch == epoch) cpose_info("Closing dataloader mosaic");
    /* Ultralytics zeroes the gradients at the start of every epoch: a partial accumulation is dropped */
    cpose_optim_zero_grad(t->opt_tab, t->ntrain);
    cpose_train_exec_zero_grad(t->ex);
    t->grads_pending = 0;
    print_header();
    double t0 = cpose_now();
    int inst = 0, size = t->imgsz;
    for (int i = 0; i < nb; i++) {
        long ni = (long)i + (long)nb * epoch;
        int accumulate = cpose_sched_accumulate(&t->sc, ni);
        cpose_sched_apply(&t->sc, t->opt, epoch, ni);
        struct cpose_train_batch b;
        if ((rc = cpose_train_loader_next(t->L, &b)) != CPOSE_OK) return rc;
        if (b.n == 0) break;
        if (t->hooks.on_batch && (rc = t->hooks.on_batch(t->hooks.user, epoch, i, &b)) != CPOSE_OK) return rc;
        if (t->plots && epoch == 0 && i < 3 && t->save_dir && cpose_dist_rank() == 0) { /* the augmented batches, as Ultralytics shows them */
            struct cpose_plot_batch pb;
            cpose_plot_batch_from_train(&b, &pb);
            char name[32];
            snprintf(name, sizeof name, "train_batch%d.jpg", i);
            char *path = cpose_path_join(t->save_dir, name);
            rc = cpose_plot_batch_write(&pb, NULL, 0, path);
            cpose_free(path);
            if (rc != CPOSE_OK) return rc;
        }
        struct cpose_loss_batch lb;
        to_loss_batch(t, &b, &lb);
        float items[5], total = 0;
        if ((rc = cpose_train_loss_step(t->ex, cpose_model_get_info(t->m), &t->lc, &lb, t->grads_pending > 0, items,
                                        &total)) != CPOSE_OK)
            return cpose_err_context(rc, "epoch %d batch %d", epoch + 1, i);
        t->grads_pending++;
        for (int k = 0; k < 5; k++) {
            if (!isfinite(items[k]))
                return cpose_err(CPOSE_EINVAL,
                                 "epoch %d batch %d: the loss is not finite (%g): lower lr0= or check the labels", epoch + 1,
                                 i, (double)items[k]);
            tloss[k] = (tloss[k] * i + items[k]) / (i + 1);
        }
        inst = b.n_targets;
        *instances += b.n_targets;
        size = b.W;
        if (ni - t->last_opt_step >= accumulate) {
            if ((rc = optimizer_step(t)) != CPOSE_OK) return rc;
            t->last_opt_step = ni;
            if (t->time_limit > 0 && cpose_trainer_dist_flag(cpose_trainer_clock(t) - t->time_start > t->time_limit)) { /* rank 0 decides for all */
                t->stop = 2;
                print_line(t, epoch, tloss, inst, size, i + 1, nb, cpose_now() - t0, 1);
                return CPOSE_OK;
            }
        }
        if (t->tty) print_line(t, epoch, tloss, inst, size, i + 1, nb, cpose_now() - t0, 0);
    }
    print_line(t, epoch, tloss, inst, size, nb, nb, cpose_now() - t0, 1);
    t->train_seconds += cpose_now() - t0;
    t->train_images += (long)cpose_train_loader_size(t->L);
    return CPOSE_OK;
}

/* Ultralytics' EarlyStopping: best epoch on fitness ≥ best, stop after `patience` epochs without. */
static int early_stop(struct cpose_trainer *t, int epoch1, int validated, double fitness)
{
    if (!validated) return 0;
    if (fitness >= t->stop_best_fitness) {
        t->stop_best_epoch = epoch1;
        t->stop_best_fitness = fitness;
    }
    if (t->patience <= 0) return 0;
    if (epoch1 - t->stop_best_epoch >= t->patience) {
        cpose_info("Stopping training early as no improvement observed in last %d epochs. Best results observed at "
                   "epoch %d, best model saved as best.h5.",
                   t->patience, t->stop_best_epoch);
        return 1;
    }
    return 0;
}

double cpose_trainer_clock(const struct cpose_trainer *t)
{
    return t->hooks.now ? t->hooks.now(t->hooks.user) : cpose_now();
}

void cpose_trainer_replan(struct cpose_trainer *t, int epoch)
{
    double mean = (cpose_trainer_clock(t) - t->time_start) / (epoch + 1 - t->start_epoch);
    double planned = mean > 0 ? ceil(t->time_limit / mean) : 1e6;
    int epochs = planned < 1 ? 1 : planned > 1e6 ? 1000000 : (int)planned;
    t->epochs = t->sc.epochs = epochs;
    cpose_train_loader_set_epochs(t->L, epochs); /* epochs ≥ 1: cannot fail */
    t->close_mosaic_epoch = t->close_mosaic > 0 ? epochs - t->close_mosaic : -1;
    if (epoch + 1 >= t->epochs) t->stop = 2;
}

int cpose_trainer_loop(struct cpose_trainer *t, const struct cpose_train_callbacks *cb)
{
    int rc = CPOSE_OK;
    t->time_start = cpose_trainer_clock(t);
    cpose_info("Image sizes %d train, %d val\nUsing %d dataloader workers\nLogging results to %s\nStarting training for "
               "%d epochs...",
               t->imgsz, t->imgsz, t->workers, t->save_dir, t->epochs);
    for (int epoch = t->start_epoch; epoch < t->epochs; epoch++) {
        double te = cpose_now();
        struct cpose_train_epoch e = {.epoch = epoch + 1, .epochs = t->epochs};
        double tloss[5] = {0};
        if ((rc = train_epoch(t, epoch, tloss, &e.instances)) != CPOSE_OK) return rc;
        if ((rc = cpose_trainer_dist_mean_loss(tloss)) != CPOSE_OK) return rc; /* under mpirun: all ranks' images */
        for (int k = 0; k < 5; k++) e.values[k] = tloss[k];
        for (int g = 0; g < CPOSE_OPTIM_NGROUPS; g++) e.values[18 + g] = t->opt->group[g].lr;
        int final_epoch = epoch + 1 >= t->epochs || t->stop;
        int leader = cpose_dist_rank() == 0; /* under mpirun rank 0 validates and writes; the others take its results */
        if (leader && (t->do_val || final_epoch)) {
            if (t->hooks.on_phase) t->hooks.on_phase(t->hooks.user, "val", epoch);
            t->val_plots = t->plots && final_epoch;
            if ((rc = cpose_trainer_validate(t, e.values)) != CPOSE_OK) return rc;
            e.validated = 1;
            e.fitness = cpose_train_fitness(e.values);
            if (!t->has_best || t->best_fitness < e.fitness) {
                t->best_fitness = e.fitness;
                t->best_epoch = epoch + 1;
                t->has_best = 1;
            }
            e.is_best = t->best_fitness == e.fitness;
        } else
            e.is_best = !t->has_best; /* Ultralytics: None == None, best follows last until a validation */
        if (early_stop(t, epoch + 1, e.validated, e.fitness)) t->stop = t->stop ? t->stop : 1;
        if (t->time_limit > 0 && cpose_trainer_clock(t) - t->time_start > t->time_limit) t->stop = t->stop ? t->stop : 2;
        t->epochs_done = epoch + 1;
        e.seconds = cpose_now() - te;
        if (leader && (rc = cpose_trainer_epoch_end(t, &e, t->save || final_epoch || t->stop)) != CPOSE_OK) return rc;
        t->last_row = e;
        if (t->time_limit > 0 && !t->stop) cpose_trainer_replan(t, epoch);
        if (cb && cb->on_epoch_end && !cb->on_epoch_end(cb->user, &e)) {
            cpose_info("Training stopped by the on_epoch_end callback after epoch %d", epoch + 1);
            t->stop = 3;
        }
        if ((rc = cpose_trainer_dist_sync_epoch(t, &e)) != CPOSE_OK) return rc;
        if (t->stop) break;
    }
    return rc;
}
