/* core/train/trainer_run.c — cpose_train_run: the run folder, the models (YAML or weights, pretrained
 * transfer, freeze), the loader, optimizer, schedule and EMA as Ultralytics' _setup_train builds them,
 * validation of the EMA weights, the per-epoch files (results.csv, weights/last.h5, best.h5,
 * epochN.h5) and the result. */
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
#include "datasets/pretrained.h"
#include "core/train/val_loss.h"
#include "eval/val.h"
#include "reports/plot.h"
#include "reports/val_reports.h"

static void args_copy(struct cpose_args *dst, const struct cpose_args *src)
{
    cpose_args_init(dst);
    for (int i = 0; i < CPOSE_ARG_COUNT; i++) dst->value[i] = cpose_strdup(src->value[i]);
}

/* ---- models ---- */

/* Copies every tensor of src into dst whose name and shape match; returns how many were copied. */
static int transfer(struct cpose_model *dst, const struct cpose_model *src)
{
    int n = 0;
    for (int i = 0; i < cpose_model_num_tensors(dst); i++) {
        const char *name;
        int nd;
        const int64_t *dims;
        float *d;
        cpose_model_tensor(dst, i, &name, &nd, &dims, &d);
        for (int j = 0; j < cpose_model_num_tensors(src); j++) {
            const char *sn;
            int snd;
            const int64_t *sd;
            float *s;
            cpose_model_tensor(src, j, &sn, &snd, &sd, &s);
            if (strcmp(sn, name) != 0) continue;
            int same = snd == nd;
            int64_t numel = 1;
            for (int k = 0; same && k < nd; k++) same = sd[k] == dims[k], numel *= dims[k];
            if (same) {
                memcpy(d, s, (size_t)numel * sizeof(float));
                n++;
            }
            break;
        }
    }
    cpose_trainer_model_changed(dst);
    return n;
}

/* The trained model and its inference twin: from cfg->model (a copy through a temporary file) or from
 * model= (YAML seeded with seed=, or weights); then pretrained=W.h5 transferred by name and shape. */
static int load_models(struct cpose_trainer *t, const struct cpose_trainer_cfg *cfg)
{
    int rc;
    const struct cpose_args *a = &t->args;
    uint64_t seed = (uint64_t)cpose_args_int(a, "seed", 0);
    const char *ccfg = cpose_args_is_none(a, "cfg") ? NULL : cpose_args_str(a, "cfg");
    if (cfg->model && !t->resume_path) {
        char *tmp = cpose_path_join(t->wdir, ".start.h5");
        if ((rc = cpose_model_save(cfg->model, tmp)) == CPOSE_OK) {
            rc = cpose_model_load(tmp, NULL, &t->m);
            if (rc == CPOSE_OK) rc = cpose_model_load(tmp, NULL, &t->em);
        }
        unlink(tmp);
        cpose_free(tmp);
        if (rc) return rc;
    } else {
        if (cpose_args_is_none(a, "model"))
            return cpose_err(CPOSE_EINVAL, "model= is required (a YAML like yolov8n-pose.yaml or weights .h5)");
        const char *model = cpose_args_str(a, "model");
        if ((rc = cpose_model_load_resolved(model, ccfg, seed, &t->m)) != CPOSE_OK) return rc;
        if ((rc = cpose_model_load_resolved(model, ccfg, seed, &t->em)) != CPOSE_OK) return rc;
    }
    const char *pre = cpose_args_str(a, "pretrained");
    if (cpose_parse_bool(pre) < 0 && *pre && !t->resume_path) {
        struct cpose_model *src = NULL;
        if ((rc = cpose_model_load_resolved(pre, ccfg, 0, &src)) != CPOSE_OK) return cpose_err_context(rc, "pretrained=%s", pre);
        int n = transfer(t->m, src);
        cpose_info("Transferred %d/%d items from pretrained weights %s", n, cpose_model_num_tensors(t->m), pre);
        cpose_model_free(src);
    }
    return CPOSE_OK;
}

/* ---- setup ---- */

static int setup(struct cpose_trainer *t, const struct cpose_trainer_cfg *cfg)
{
    int rc;
    const struct cpose_args *a = &t->args;
    if ((rc = load_models(t, cfg)) != CPOSE_OK) return rc;
    const struct cpose_model_info *info = cpose_model_get_info(t->m);
    t->batch = (int)cpose_args_int(a, "batch", 16);
    int imgsz = (int)cpose_args_int(a, "imgsz", 640), gs = info->max_stride > 32 ? info->max_stride : 32;
    t->imgsz = (imgsz + gs - 1) / gs * gs;
    if (t->imgsz != imgsz)
        cpose_warn("imgsz=%d must be a multiple of max stride %d, updating to %d", imgsz, gs, t->imgsz);
    t->workers = (int)cpose_args_int(a, "workers", 8);
    t->epochs = (int)cpose_args_int(a, "epochs", 100);
    t->do_val = cpose_args_bool(a, "val");
    t->save = cpose_args_bool(a, "save");
    t->plots = cpose_args_bool(a, "plots");
    t->save_period = (int)cpose_args_int(a, "save_period", -1);
    t->patience = (int)cpose_args_int(a, "patience", 100);
    if (!cpose_args_is_none(a, "time")) {
        t->time_limit = cpose_args_float(a, "time", 0) * 3600.0;
        t->epochs = 1; /* re-planned after the first epoch, as Ultralytics does */
    }
    t->tty = isatty(STDOUT_FILENO);

    /* the loader */
    struct cpose_train_opts o;
    cpose_train_opts_defaults(&o);
    o.data = cpose_args_str(a, "data");
    o.imgsz = t->imgsz;
    o.batch = t->batch;
    o.workers = t->workers;
    o.seed = (uint64_t)cpose_args_int(a, "seed", 0);
    o.epochs = t->epochs;
    o.close_mosaic = (int)cpose_args_int(a, "close_mosaic", 10);
    o.fraction = cpose_args_float(a, "fraction", 1.0);
    o.single_cls = cpose_args_bool(a, "single_cls");
    o.shuffle = !t->hooks.no_shuffle;
    o.shard_rank = cpose_dist_rank(); /* under mpirun: this rank's share of every global batch */
    o.shard_size = cpose_dist_size();
    struct { const char *key; double *v; } hyp[] = {
        {"hsv_h", &o.hyp.hsv_h}, {"hsv_s", &o.hyp.hsv_s}, {"hsv_v", &o.hyp.hsv_v}, {"degrees", &o.hyp.degrees},
        {"translate", &o.hyp.translate}, {"scale", &o.hyp.scale}, {"shear", &o.hyp.shear},
        {"perspective", &o.hyp.perspective}, {"flipud", &o.hyp.flipud}, {"fliplr", &o.hyp.fliplr},
        {"mosaic", &o.hyp.mosaic}};
    for (size_t i = 0; i < sizeof hyp / sizeof *hyp; i++) *hyp[i].v = cpose_args_float(a, hyp[i].key, *hyp[i].v);
    if ((rc = cpose_aug_hyp_check(&o.hyp)) != CPOSE_OK) return rc;
    if (cpose_args_is_none(a, "data"))
        return cpose_err(CPOSE_EINVAL, "no dataset given: pass data=<dataset YAML> (e.g. data=coco8-pose.yaml)");
    if ((rc = cpose_train_loader_open(&o, &t->L)) != CPOSE_OK) return rc;
    int nc = 0, K = 0;
    cpose_train_loader_names(t->L, &nc);
    cpose_train_loader_flip_idx(t->L, &K);
    int eff_nc = o.single_cls ? 1 : nc;
    if (eff_nc != info->nc)
        return cpose_err(CPOSE_EINVAL, "%s has %d class%s but the model has nc=%d: use a model YAML with nc: %d%s", o.data,
                         nc, nc == 1 ? "" : "es", info->nc, eff_nc, info->nc == 1 ? " or single_cls=True" : "");
    if (K && K != info->nkpt)
        return cpose_err(CPOSE_EINVAL, "%s has kpt_shape [%d, ...] but the model has %d keypoints: use a model YAML with "
                         "kpt_shape: [%d, 3]", o.data, K, info->nkpt, K);
    t->nb = cpose_train_loader_n_batches(t->L);
    t->close_mosaic = o.hyp.mosaic > 0 ? o.close_mosaic : 0;
    t->close_mosaic_epoch = t->close_mosaic > 0 ? t->epochs - t->close_mosaic : -1;

    /* executor, parameter table, freeze */
    if ((rc = cpose_train_exec_new(t->m, &t->ex)) != CPOSE_OK) return rc;
    if ((rc = cpose_train_exec_data_parallel(t->ex)) != CPOSE_OK) return rc; /* under mpirun */
    if ((rc = cpose_train_exec_table(t->ex, t->m, &t->tab, &t->nt, &t->ntrain)) != CPOSE_OK) return rc;
    t->opt_tab = cpose_malloc((t->ntrain ? t->ntrain : 1) * sizeof *t->opt_tab);
    memcpy(t->opt_tab, t->tab, t->ntrain * sizeof *t->opt_tab);
    int fl[256], nfl = cpose_trainer_freeze_list(a, fl, 256);
    if (nfl < 0) return CPOSE_EINVAL;
    for (size_t i = 0; i < t->ntrain; i++)
        if (cpose_trainer_is_frozen(t->opt_tab[i].name, fl, nfl)) {
            if (nfl && !strstr(t->opt_tab[i].name, ".dfl")) cpose_info("Freezing layer '%s'", t->opt_tab[i].name);
            t->opt_tab[i].grad = NULL;
        }

    /* optimizer (Ultralytics' build_optimizer), schedule, loss gains */
    int nbs = (int)cpose_args_int(a, "nbs", 64);
    double wd = cpose_optim_scaled_decay(cpose_args_float(a, "weight_decay", 5e-4), t->batch, nbs);
    double warmup_bias_lr = cpose_args_float(a, "warmup_bias_lr", 0.1);
    long iterations = cpose_optim_iterations((long)cpose_train_loader_size(t->L), t->batch, nbs, t->epochs);
    struct cpose_optim_choice ch;
    if ((rc = cpose_optim_choose(cpose_args_str(a, "optimizer"), info->nc, iterations, cpose_args_float(a, "lr0", 0.01),
                                 cpose_args_float(a, "momentum", 0.937), &warmup_bias_lr, &ch)) != CPOSE_OK)
        return cpose_err_context(rc, "optimizer=");
    if (strcmp(cpose_args_str(a, "optimizer"), "auto") == 0)
        cpose_info("optimizer: 'optimizer=auto' found, determining best 'optimizer', 'lr0' and 'momentum' "
                   "automatically...");
    if ((rc = cpose_optim_create(ch.kind, ch.lr, ch.momentum, wd, t->opt_tab, t->ntrain, &t->opt)) != CPOSE_OK) return rc;
    cpose_info("optimizer: %s(lr=%g, momentum=%g) with parameter groups (no decay: biases and norm weights; "
               "weight_decay=%g)", cpose_optim_name(ch.kind), ch.lr, ch.momentum, wd);
    cpose_sched_cfg_default(&t->sc, t->epochs, t->batch, t->nb);
    t->sc.lrf = cpose_args_float(a, "lrf", 0.01);
    t->sc.cos_lr = cpose_args_bool(a, "cos_lr");
    t->sc.warmup_epochs = cpose_args_float(a, "warmup_epochs", 3.0);
    t->sc.warmup_momentum = cpose_args_float(a, "warmup_momentum", 0.8);
    t->sc.warmup_bias_lr = warmup_bias_lr;
    t->sc.momentum = cpose_args_float(a, "momentum", 0.937);
    t->sc.nbs = nbs;
    cpose_pose_loss_cfg_default(&t->lc, info->nc, info->nkpt, info->kdim);
    t->lc.gain_box = (float)cpose_args_float(a, "box", 7.5);
    t->lc.gain_cls = (float)cpose_args_float(a, "cls", 0.5);
    t->lc.gain_dfl = (float)cpose_args_float(a, "dfl", 1.5);
    t->lc.gain_pose = (float)cpose_args_float(a, "pose", 12.0);
    t->lc.gain_kobj = (float)cpose_args_float(a, "kobj", 1.0);
    if ((rc = cpose_ema_create(t->tab, t->nt, 0.9999, 2000, 0, &t->ema)) != CPOSE_OK) return rc;
    t->last_opt_step = -1;
    t->stop_best_fitness = 0;
    return CPOSE_OK;
}

/* ---- validation ---- */

/* The EMA's values into the inference model (every float state_dict entry by name). */
static void ema_to_model(struct cpose_trainer *t, struct cpose_model *dst)
{
    for (int i = 0; i < cpose_model_num_tensors(dst); i++) {
        const char *name;
        int nd;
        const int64_t *dims;
        float *d;
        cpose_model_tensor(dst, i, &name, &nd, &dims, &d);
        for (size_t j = 0; j < t->nt; j++)
            if (strcmp(t->tab[j].name, name) == 0) {
                memcpy(d, t->ema->value[j], t->tab[j].n * sizeof(float));
                break;
            }
    }
    cpose_trainer_model_changed(dst);
}

static int val_args(const struct cpose_trainer *t, struct cpose_args *va)
{
    const struct cpose_args *a = &t->args;
    cpose_args_init(va);
    char num[32];
    char *project = cpose_path_dirname(t->save_dir);
    int rc = cpose_args_set(va, "data", cpose_args_str(a, "data"));
    snprintf(num, sizeof num, "%d", t->imgsz);
    if (!rc) rc = cpose_args_set(va, "imgsz", num);
    snprintf(num, sizeof num, "%d", t->batch * 2);
    if (!rc) rc = cpose_args_set(va, "batch", num);
    if (!rc) rc = cpose_args_set(va, "split", "val");
    if (!rc) rc = cpose_args_set(va, "single_cls", cpose_args_bool(a, "single_cls") ? "True" : "False");
    if (!rc) rc = cpose_args_set(va, "iou", cpose_args_str(a, "iou"));
    if (!rc) rc = cpose_args_set(va, "max_det", cpose_args_str(a, "max_det"));
    if (!rc) rc = cpose_args_set(va, "project", project);
    if (!rc) rc = cpose_args_set(va, "name", cpose_path_basename(t->save_dir));
    if (!rc) rc = cpose_args_set(va, "exist_ok", "True");
    if (!rc) rc = cpose_args_set(va, "verbose", "False");
    if (!rc) rc = cpose_args_set(va, "plots", t->val_plots ? "True" : "False");
    cpose_free(project);
    return rc;
}

int cpose_trainer_validate(struct cpose_trainer *t, double values[CPOSE_RESULTS_NCOLS])
{
    struct cpose_args va;
    struct cpose_val_summary s;
    memset(&s, 0, sizeof s);
    ema_to_model(t, t->em);
    /* the val losses: the training loss of every val batch's raw outputs, as Ultralytics' validator adds */
    struct cpose_val_loss vl;
    cpose_val_loss_init(&vl, &t->lc, cpose_model_get_info(t->em));
    struct cpose_val_hooks hooks = {.user = &vl, .on_batch = cpose_val_loss_on_batch};
    int rc = val_args(t, &va);
    if (rc == CPOSE_OK) rc = cpose_val_run_hooked(t->em, &va, &hooks, &s);
    if (rc == CPOSE_OK && t->val_plots) rc = cpose_val_write_reports(&s); /* curves, val_batch0..2_*.jpg, reports */
    if (rc == CPOSE_OK) {
        const struct cpose_det_metric *b = &s.metrics.box, *p = &s.metrics.pose;
        double m[8] = {b->mp, b->mr, b->map50, b->map, p->mp, p->mr, p->map50, p->map};
        for (int k = 0; k < 8; k++) values[5 + k] = m[k];
        cpose_val_loss_mean(&vl, values + 13);
    }
    cpose_val_loss_free(&vl);
    cpose_val_summary_free(&s);
    cpose_args_free(&va);
    return rc ? cpose_err_context(rc, "validation") : CPOSE_OK;
}

/* ---- weights and per-epoch files ---- */

/* A checkpoint: the EMA weights (what Ultralytics keeps for inference) and the training state. */
static int save_weights(struct cpose_trainer *t, const char *path) { return cpose_trainer_save_ckpt(t, path); }

int cpose_trainer_epoch_end(struct cpose_trainer *t, const struct cpose_train_epoch *e, int save)
{
    int rc;
    if ((rc = cpose_results_csv_append(t->csv, e->epoch, e->values)) != CPOSE_OK) return rc;
    if (t->plots) {
        char *png = cpose_path_join(t->save_dir, "results.png");
        rc = cpose_plot_results(t->csv, png);
        cpose_free(png);
        if (rc != CPOSE_OK) return rc;
    }
    if (!save) return CPOSE_OK;
    /* best.h5 and epochN.h5 before last.h5: a kill between them leaves last.h5 at the previous epoch, so
     * the resumed run redoes this epoch and writes them again (never a newer last.h5 with a stale best.h5) */
    if (e->is_best && (rc = save_weights(t, t->best)) != CPOSE_OK) return rc;
    if (t->save_period > 0 && e->epoch - 1 > 0 && (e->epoch - 1) % t->save_period == 0) {
        char name[48];
        snprintf(name, sizeof name, "epoch%d.h5", e->epoch - 1);
        char *p = cpose_path_join(t->wdir, name);
        rc = save_weights(t, p);
        cpose_free(p);
        if (rc) return rc;
    }
    if (t->hooks.on_phase) t->hooks.on_phase(t->hooks.user, "save", e->epoch - 1);
    rc = save_weights(t, t->last);
    return rc;
}

/* ---- the run ---- */

static void trainer_free(struct cpose_trainer *t)
{
    cpose_ema_free(t->ema);
    cpose_optim_free(t->opt);
    cpose_free(t->opt_tab);
    cpose_free(t->tab);
    cpose_train_exec_free(t->ex);
    cpose_train_loader_free(t->L);
    cpose_model_free(t->m);
    cpose_model_free(t->em);
    cpose_free(t->kpt2);
    cpose_free(t->save_dir), cpose_free(t->wdir), cpose_free(t->last), cpose_free(t->best), cpose_free(t->csv);
    cpose_free(t->train_args);
    cpose_free(t->resume_path);
    cpose_args_free(&t->args);
}

/* The final evaluation Ultralytics runs on best.pt. */
static int final_eval(struct cpose_trainer *t, struct cpose_train_result *out)
{
    if (!cpose_path_is_file(t->best)) return CPOSE_OK;
    int rc = cpose_model_load_weights(t->em, t->best);
    if (rc) return rc;
    cpose_info("\nValidating %s...", t->best);
    struct cpose_args va;
    if ((rc = val_args(t, &va)) == CPOSE_OK) rc = cpose_val_run_local(t->em, &va, &out->final_val);
    cpose_args_free(&va);
    if (rc == CPOSE_OK) out->final_validated = 1;
    return rc;
}

int cpose_train_run_hooked(const struct cpose_trainer_cfg *cfg, const struct cpose_train_callbacks *cb,
                           const struct cpose_trainer_hooks *hooks, struct cpose_train_result *out)
{
    memset(out, 0, sizeof *out);
    if (!cfg || !cfg->args) return cpose_err(CPOSE_EINVAL, "cpose_train_run: no arguments");
    struct cpose_trainer t;
    memset(&t, 0, sizeof t);
    if (hooks) t.hooks = *hooks;
    args_copy(&t.args, cfg->args);
    int rc;
    double t0 = cpose_now();
    if ((rc = cpose_trainer_resume_args(&t)) != CPOSE_OK) goto done;
    if ((rc = cpose_trainer_check_args(&t.args)) != CPOSE_OK) goto done;
    if (cpose_args_is_none(&t.args, "data")) {
        rc = cpose_err(CPOSE_EINVAL, "no dataset given: pass data=<dataset YAML> (e.g. data=coco8-pose.yaml)");
        goto done;
    }
    if (!cfg->model && cpose_args_is_none(&t.args, "model")) {
        rc = cpose_err(CPOSE_EINVAL, "model= is required (a YAML like yolov8n-pose.yaml or weights .h5)");
        goto done;
    }
    if (!t.save_dir && cpose_dist_rank() == 0) t.save_dir = cpose_args_run_dir(&t.args, "train");
    if ((rc = cpose_trainer_dist_share_dir(&t.save_dir)) != CPOSE_OK) goto done; /* rank 0 names it (mpirun) */
    if (!t.save_dir) {
        rc = cpose_err_context(CPOSE_EIO, "train run folder");
        goto done;
    }
    t.wdir = cpose_path_join(t.save_dir, "weights");
    t.last = cpose_path_join(t.wdir, "last.h5");
    t.best = cpose_path_join(t.wdir, "best.h5");
    t.csv = cpose_path_join(t.save_dir, "results.csv");
    if ((rc = cpose_mkdirs(t.wdir)) != CPOSE_OK) goto done;
    if ((rc = setup(&t, cfg)) != CPOSE_OK) goto done;
    if ((rc = cpose_trainer_dist_check_data(&t)) != CPOSE_OK) goto done; /* mpirun: the same files on every node */
    if (!t.train_args) t.train_args = cpose_trainer_args_yaml(&t.args);
    /* every weights file of the run carries its arguments (and so its imgsz) */
    if ((rc = cpose_model_set_train_args(t.m, t.train_args)) != CPOSE_OK) goto done;
    if (t.resume_path && (rc = cpose_trainer_resume_restore(&t)) != CPOSE_OK) goto done;
    if ((rc = cpose_trainer_dist_share_weights(&t)) != CPOSE_OK) goto done; /* every rank starts from rank 0's */
    if (!t.resume_path && cpose_dist_rank() == 0) {
        char *p = cpose_path_join(t.save_dir, "args.yaml");
        rc = cpose_write_file_atomic(p, t.train_args, strlen(t.train_args));
        cpose_free(p);
        if (rc) goto done;
    }
    t.t_start = cpose_now();
    if ((rc = cpose_trainer_loop(&t, cb)) != CPOSE_OK) goto done;
    cpose_info("\n%d epochs completed in %.3f hours (%.1f epochs/hour; training %.1f img/s, loader included, "
               "validation excluded).", t.epochs_done - t.start_epoch, (cpose_now() - t.t_start) / 3600,
               (t.epochs_done - t.start_epoch) / ((cpose_now() - t.t_start) / 3600),
               t.train_seconds > 0 ? t.train_images / t.train_seconds : 0.0);
    cpose_trainer_dist_report(&t);
    if (cpose_dist_rank() == 0 && (rc = final_eval(&t, out)) != CPOSE_OK) goto done;
    cpose_info("Results saved to %s", t.save_dir);
done:
    if (rc == CPOSE_OK) {
        out->save_dir = cpose_strdup(t.save_dir);
        out->last = cpose_path_is_file(t.last) ? cpose_strdup(t.last) : NULL;
        out->best = cpose_path_is_file(t.best) ? cpose_strdup(t.best) : NULL;
        out->epochs_done = t.epochs_done;
        out->stopped = t.stop == 3 ? 3 : t.stop;
        out->best_fitness = t.best_fitness;
        out->best_epoch = t.best_epoch;
        out->final = t.last_row;
        out->seconds = cpose_now() - t0;
    } else {
        cpose_val_summary_free(&out->final_val);
        memset(out, 0, sizeof *out);
        if (t.save_dir && !t.resume_path && t.epochs_done == 0 && t.start_epoch == 0 && cpose_dist_rank() == 0) {
            /* nothing trained: leave no run folder behind except what a user wants to read */
            char *p = cpose_path_join(t.save_dir, "args.yaml");
            unlink(p);
            cpose_free(p);
            rmdir(t.wdir);
            cpose_remove_dir_if_no_files(t.save_dir);
        }
    }
    trainer_free(&t);
    return rc;
}

int cpose_train_run(const struct cpose_trainer_cfg *cfg, const struct cpose_train_callbacks *cb,
                    struct cpose_train_result *out)
{
    return cpose_train_run_hooked(cfg, cb, NULL, out);
}

void cpose_train_result_free(struct cpose_train_result *r)
{
    if (!r) return;
    cpose_free(r->save_dir), cpose_free(r->last), cpose_free(r->best);
    cpose_val_summary_free(&r->final_val);
    memset(r, 0, sizeof *r);
}
