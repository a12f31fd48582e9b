/* eval/val.c — the val loop: loader batches → eval forward → NMS → predictions and labels scaled to
 * the original image with ratio_pad (PoseValidator._prepare_batch/_prepare_pred) → metrics and
 * predictions.json; then the table, the speed line, COCOeval and the reports. */
#include "eval/val.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "datasets/dataset.h"
#include "datasets/loader.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/base/memlimit.h"
#include "core/nn/model.h"
#include "core/predict/nms.h"
#include "core/predict/predict.h"
#include "eval/val_impl.h"
#include "eval/val_shard.h"
#include "core/base/dist.h"

/* Limits for val arguments (Ultralytics uses batch 1 to a few hundred, imgsz up to 1280-ish). */
#define VAL_MAX_BATCH 65536
#define VAL_MAX_IMGSZ 16384

/* Everything one run holds; freed in one place. */
struct val_ctx {
    struct cpose_model *m;
    const struct cpose_model_info *mi;
    int nc, nkpt, kdim, single_cls;
    int64_t C;                      /* model output rows: 4 + nc + nkpt·kdim */
    struct cpose_nms_opts nms;
    struct cpose_valmetrics *vm;
    struct cpose_pred_json *json;
    const int *class_map;
    /* per-image scratch, grown as needed */
    float *pb, *pc, *pk, *gb, *gk;
    int *pcl, *gcl;
    size_t cap_p, cap_g;
    struct cpose_val_plot_batch *plot; /* the kept batch (0..2) while it runs (plots=True), else NULL */
    int cur_image;                     /* index in the batch of the image val_image works on */
    int64_t image_index;               /* its place in the dataset's batch order */
    float *kr;                         /* predicted keypoints as predictions.json writes them */
    size_t cap_kr;
    struct cpose_val_stream *shard;    /* sharded run: image results go here, for rank 0 to replay */
};

void cpose_val_add_file(struct cpose_val_summary *s, const char *path)
{
    if (s->n_files < CPOSE_VAL_MAX_FILES) s->files[s->n_files++] = cpose_strdup(path);
}

void cpose_val_summary_free(struct cpose_val_summary *s)
{
    if (!s) return;
    cpose_val_results_free(&s->metrics);
    cpose_free(s->anno_json);
    cpose_free(s->pred_path);
    cpose_free(s->report_dir);
    cpose_cocoeval_free(&s->coco_kpt_eval);
    cpose_cocoeval_free(&s->coco_bbox_eval);
    for (int i = 0; i < s->n_names; i++) cpose_free(s->names[i]);
    cpose_free(s->names);
    cpose_free(s->save_dir);
    for (int i = 0; i < CPOSE_VAL_PLOT_BATCHES; i++) cpose_val_plot_batch_free(s->plot_batch[i]);
    for (int i = 0; i < s->n_files; i++) cpose_free(s->files[i]);
    memset(s, 0, sizeof *s);
}

static void grow(struct val_ctx *c, size_t np, size_t ng)
{
    size_t K = (size_t)c->nkpt * 3;
    if (np + 1 > c->cap_p) {
        c->cap_p = np + 64;
        c->pb = cpose_realloc(c->pb, c->cap_p * 4 * sizeof(float));
        c->pc = cpose_realloc(c->pc, c->cap_p * sizeof(float));
        c->pk = cpose_realloc(c->pk, c->cap_p * (K + 1) * sizeof(float));
        c->pcl = cpose_realloc(c->pcl, c->cap_p * sizeof(int));
    }
    if (ng + 1 > c->cap_g) {
        c->cap_g = ng + 64;
        c->gb = cpose_realloc(c->gb, c->cap_g * 4 * sizeof(float));
        c->gk = cpose_realloc(c->gk, c->cap_g * (K + 1) * sizeof(float));
        c->gcl = cpose_realloc(c->gcl, c->cap_g * sizeof(int));
    }
}

/* Adds one image's result to the metrics and to predictions.json (in the dataset's order: directly,
 * or replayed by rank 0 from all ranks' records). */
static int val_apply(void *ctx, const struct cpose_val_record *r)
{
    struct val_ctx *c = ctx;
    struct cpose_val_image vi = {r->n, (float *)r->pb, (float *)r->pc, (int *)r->pcl, (float *)r->pk,
                                 r->ng, (float *)r->gb, (int *)r->gcl, (float *)r->gk};
    int rc = cpose_valmetrics_add(c->vm, &vi);
    if (rc != CPOSE_OK) return cpose_err_context(rc, "%s", r->path);
    if (c->json && r->n) {
        /* predictions.json rows: boxes and keypoints as scaled (unrounded), classes through the map */
        struct cpose_pred_result pr;
        memset(&pr, 0, sizeof pr);
        pr.path = (char *)r->path;
        pr.orig_w = r->ori_w;
        pr.orig_h = r->ori_h;
        pr.n = r->n;
        pr.nkpt = r->K;
        pr.kdim = r->kdim;
        pr.boxes = (float *)r->pb;
        pr.scores = (float *)r->pc;
        int *cls = cpose_malloc((size_t)r->n * sizeof *cls);
        for (int i = 0; i < r->n; i++) cls[i] = c->class_map ? c->class_map[r->pcl[i]] : r->pcl[i];
        pr.classes = cls;
        pr.kpts = (float *)r->kraw;
        cpose_pred_json_add(c->json, &pr);
        cpose_free(cls);
    }
    return CPOSE_OK;
}

/* One image: NMS on its slice of the batch output, predictions and labels to original pixels, metrics,
 * JSON rows. pred is [C, A] for this image; the batch image is b->W × b->H. */
static int val_image(struct val_ctx *c, const float *pred, int64_t A, const struct cpose_batch *b,
                     const struct cpose_batch_item *it, int64_t *n_pred)
{
    float *rows = NULL;
    int64_t n = 0;
    int rc = cpose_nms(pred, c->C, A, &c->nms, &rows, &n);
    if (rc) return cpose_err_context(rc, "%s", it->im_file);
    *n_pred = n;
    const int64_t RW = 6 + (int64_t)c->nkpt * c->kdim;
    int ng = it->n_labels, K = c->nkpt;
    grow(c, (size_t)n, (size_t)ng);
    /* Ultralytics' ratio_pad: gain = resized_h / ori_h, pad = the letterbox's integer (left, top) */
    double gain = it->ratio_h;
    double px = it->pad_left, py = it->pad_top;
    if (n) {
        if (c->single_cls)
            for (int64_t i = 0; i < n; i++) rows[i * RW + 5] = 0;
        if (c->plot) cpose_val_plot_keep_preds(c->plot, c->cur_image, rows, n, c->nkpt, c->kdim);
        cpose_scale_boxes_rp(gain, px, py, it->ori_w, it->ori_h, rows, n, RW);
        for (int64_t i = 0; i < n; i++) {
            float *r = rows + i * RW;
            if (K) cpose_scale_coords_rp(gain, px, py, it->ori_w, it->ori_h, r + 6, K, c->kdim);
            memcpy(c->pb + 4 * i, r, 4 * sizeof(float));
            c->pc[i] = r[4];
            c->pcl[i] = (int)r[5];
            for (int k = 0; k < K; k++) {
                c->pk[(i * K + k) * 3] = r[6 + k * c->kdim];
                c->pk[(i * K + k) * 3 + 1] = r[6 + k * c->kdim + 1];
                c->pk[(i * K + k) * 3 + 2] = c->kdim > 2 ? r[6 + k * c->kdim + 2] : 1.0f;
            }
        }
    }
    /* labels: normalised xywh in the batch frame → xyxy pixels (float32, as torch) → original image */
    float W = (float)b->W, H = (float)b->H;
    for (int j = 0; j < ng; j++) {
        const float *bb = it->bboxes + 4 * j;
        float dw = bb[2] / 2.0f, dh = bb[3] / 2.0f;
        c->gb[4 * j] = (bb[0] - dw) * W;
        c->gb[4 * j + 1] = (bb[1] - dh) * H;
        c->gb[4 * j + 2] = (bb[0] + dw) * W;
        c->gb[4 * j + 3] = (bb[1] + dh) * H;
        c->gcl[j] = c->single_cls ? 0 : (int)it->cls[j];
        for (int k = 0; k < K; k++) {
            const float *s = it->kpts + ((size_t)j * K + k) * 3;
            float *d = c->gk + ((size_t)j * K + k) * 3;
            d[0] = s[0] * W;
            d[1] = s[1] * H;
            d[2] = s[2];
        }
    }
    if (ng) {
        cpose_scale_boxes_rp(gain, px, py, it->ori_w, it->ori_h, c->gb, ng, 4);
        if (K) cpose_scale_coords_rp(gain, px, py, it->ori_w, it->ori_h, c->gk, (int64_t)ng * K, 3);
    }
    size_t nkr = (size_t)n * K * c->kdim + 1;
    if (nkr > c->cap_kr) {
        c->cap_kr = nkr + 256;
        c->kr = cpose_realloc(c->kr, c->cap_kr * sizeof *c->kr);
    }
    for (int64_t i = 0; i < n; i++)
        memcpy(c->kr + i * K * c->kdim, rows + i * RW + 6, (size_t)K * c->kdim * sizeof *c->kr);
    struct cpose_val_record rec = {c->image_index, it->im_file, it->ori_w, it->ori_h, (int)n, ng, K, c->kdim,
                                   c->pb, c->pc, c->pcl, K ? c->pk : NULL, c->kr, c->gb, c->gcl, K ? c->gk : NULL};
    rc = c->shard ? cpose_val_stream_put(c->shard, &rec) : val_apply(c, &rec);
    cpose_free(rows);
    return rc;
}

/* Reads and checks the NMS arguments (conf None → 0.001; errors name the key). */
static int read_nms(const struct cpose_args *a, int nc, int single_cls, struct cpose_nms_opts *o)
{
    cpose_nms_opts_val(o, nc);
    o->conf = cpose_args_float(a, "conf", 0.001);
    o->iou = cpose_args_float(a, "iou", 0.7);
    o->max_det = (int)cpose_args_int(a, "max_det", 300);
    o->agnostic = single_cls;
    o->nc = nc;
    if (!(o->conf >= 0 && o->conf <= 1)) return cpose_err(CPOSE_EINVAL, "conf=%g must be within [0, 1]", o->conf);
    if (!(o->iou >= 0 && o->iou <= 1)) return cpose_err(CPOSE_EINVAL, "iou=%g must be within [0, 1]", o->iou);
    if (o->max_det < 1) return cpose_err(CPOSE_EINVAL, "max_det=%d must be at least 1", o->max_det);
    return CPOSE_OK;
}

/* Prints the table as `yolo val` does: header, "all", per-class rows (verbose, nc > 1). */
static void print_table(const struct cpose_val_results *r, char *const *names, int n_names, int verbose)
{
    char line[512], idbuf[32];
    cpose_val_header(line, sizeof line);
    cpose_info("%s", line);
    cpose_val_row(r, -1, NULL, line, sizeof line);
    cpose_info("%s", line);
    if (r->n_instances == 0)
        cpose_warn("no labels found in pose set, can not compute metrics without labels");
    if (verbose && r->nc > 1)
        for (int i = 0; i < r->box.n_ap_class; i++) {
            int cl = r->box.ap_class[i];
            snprintf(idbuf, sizeof idbuf, "%d", cl);
            cpose_val_row(r, i, names && cl < n_names ? names[cl] : idbuf, line, sizeof line);
            cpose_info("%s", line);
        }
}

static int check_imgsz(int *imgsz, int stride)
{
    if (*imgsz < 1) return cpose_err(CPOSE_EINVAL, "imgsz=%d must be positive", *imgsz);
    if (*imgsz % stride) {
        int fixed = (*imgsz + stride - 1) / stride * stride;
        cpose_warn("imgsz=%d must be a multiple of max stride %d, updating to %d", *imgsz, stride, fixed);
        *imgsz = fixed;
    }
    return CPOSE_OK;
}

/* Rank 0 of a sharded run: every rank's image results, replayed in the dataset's order. Other ranks send
 * theirs and are done. */
static int gather_results(struct val_ctx *c, const struct cpose_val_stream *mine)
{
    void *all = NULL;
    size_t all_len = 0;
    int rc = cpose_dist_gather(mine->bytes, mine->len, &all, &all_len, NULL, "val: gather the ranks' results");
    if (rc == CPOSE_OK && cpose_dist_rank() == 0) rc = cpose_val_stream_replay(all, all_len, val_apply, c);
    free(all);
    return rc;
}

/* The forward of a loader batch in pieces of `chunk` images into pred (per image per_image floats).
 * A piece of one image keeps its activations in cache: on a 2-core AMD EPYC the batch-16 forward
 * at 640 took 30 % longer per image than 16 forwards of one (README, "Val throughput"); the
 * values are the same (each image's ops do not depend on the others, tests/test_val_overlap.c). */
static int val_forward(struct cpose_model *m, const struct cpose_batch *b, int chunk, int64_t per_image, float *pred)
{
    size_t img = (size_t)3 * b->H * b->W;
    for (int i = 0; i < b->n; i += chunk) {
        int k = b->n - i < chunk ? b->n - i : chunk;
        int rc = cpose_model_predict(m, b->images + i * img, k, b->H, b->W, pred + i * per_image);
        if (rc != CPOSE_OK) return rc;
    }
    return CPOSE_OK;
}

/* The val run; sharded: this rank takes every size-th batch (cpose_loader_shard) and rank 0 computes
 * the metrics from all ranks' results. */
static int val_run(struct cpose_model *m, const struct cpose_args *a, const struct cpose_val_hooks *hooks, int sharded,
                   struct cpose_val_summary *out)
{
    struct cpose_val_stream shard_results = {0};
    struct val_ctx c;
    struct cpose_val_data d;
    struct cpose_loader *L = NULL;
    struct cpose_batch b;
    float *pred = NULL;
    size_t pred_cap = 0;
    char *pred_path = NULL;
    memset(&c, 0, sizeof c);
    memset(&d, 0, sizeof d);
    memset(out, 0, sizeof *out);
    int rc = CPOSE_OK;
    const char *data = cpose_args_str(a, "data"), *split = cpose_args_str(a, "split");
    if (cpose_args_is_none(a, "data"))
        return cpose_err(CPOSE_EINVAL, "no dataset given: pass data=<dataset YAML> (e.g. data=coco8-pose.yaml)");
    if (cpose_split_from_name(split) < 0)
        return cpose_err(CPOSE_EINVAL, "split=%s: use val, test or train", split);
    c.m = m;
    c.mi = cpose_model_get_info(m);
    c.single_cls = cpose_args_bool(a, "single_cls");
    c.nc = c.mi->nc;
    c.nkpt = c.mi->nkpt;
    c.kdim = c.mi->kdim;
    c.C = c.mi->n_outputs;
    int verbose = cpose_args_bool(a, "verbose"), save_json = cpose_args_bool(a, "save_json");
    out->plots = cpose_args_bool(a, "plots");
    static const char *const unsupported[] = {"augment", "save_hybrid", "save_txt", "dnn"};
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
        if (cpose_args_bool(a, unsupported[i]))
            cpose_warn("%s=True is not supported by cpose val and is ignored", unsupported[i]);
    int stride = c.mi->max_stride > 32 ? c.mi->max_stride : 32;
    int64_t batch64 = cpose_args_int(a, "batch", 16);
    int64_t imgsz64 = !cpose_args_given(a, "imgsz") && c.mi->imgsz > 0 ? c.mi->imgsz : cpose_args_int(a, "imgsz", 640);
    if (batch64 < 1 || batch64 > VAL_MAX_BATCH)
        return cpose_err(CPOSE_EINVAL, "batch=%lld must be 1 to %d", (long long)batch64, VAL_MAX_BATCH);
    if (imgsz64 < 1 || imgsz64 > VAL_MAX_IMGSZ)
        return cpose_err(CPOSE_EINVAL, "imgsz=%lld must be 1 to %d", (long long)imgsz64, VAL_MAX_IMGSZ);
    int imgsz = (int)imgsz64, batch = (int)batch64;
    if ((rc = check_imgsz(&imgsz, stride)) != CPOSE_OK) return rc;
    out->imgsz = imgsz;
    if (!cpose_args_given(a, "imgsz") && c.mi->imgsz > 0)
        cpose_info("val: imgsz=%d, the model's own (its training arguments); pass imgsz= to change it", imgsz);
    {
        /* the batch tensor twice (the loader prefetches one) plus the head output, before allocating */
        uint64_t px = (uint64_t)imgsz * (uint64_t)imgsz, need = (uint64_t)batch * (px * 3 * 4 * 2 + px / 64 * c.C * 4 * 2);
        char what[96];
        snprintf(what, sizeof what, "val with batch=%d imgsz=%d", batch, imgsz);
        if ((rc = cpose_mem_check(need, what, "pass a smaller batch=")) != CPOSE_OK) return rc;
    }
    if ((rc = read_nms(a, c.nc, c.single_cls, &c.nms)) != CPOSE_OK) return rc;

    if ((rc = cpose_loader_open(data, split, imgsz, batch, stride, 1, 0.5, &L)) != CPOSE_OK) goto fail;
    {
        /* decode + letterbox of the next batch overlap this one's forward (workers=0: in turn); on
         * at most half the compute threads, so the forward keeps the rest (decoding is a few ms per
         * image against tens for the forward, one thread keeps ahead) */
        int64_t w = cpose_args_int(a, "workers", 8), cap = omp_get_max_threads() / 2 > 1 ? omp_get_max_threads() / 2 : 1;
        if (w < 0 || w > 64) {
            rc = cpose_err(CPOSE_EINVAL, "workers=%lld must be 0 to 64", (long long)w);
            goto fail;
        }
        if ((rc = cpose_loader_set_workers(L, (int)(w < cap ? w : cap))) != CPOSE_OK) goto fail;
    }
    int follower = sharded && cpose_dist_rank() != 0; /* a rank other than 0: evaluates, writes nothing */
    if (sharded) {
        if ((rc = cpose_loader_shard(L, cpose_dist_rank(), cpose_dist_size())) != CPOSE_OK) goto fail;
        c.shard = &shard_results;
        if (!follower)
            cpose_info("val: sharded over %d ranks (every rank takes whole batches; rank 0 gathers)", cpose_dist_size());
    }
    out->follower = follower;
    int data_nc = 0;
    char *const *names = cpose_loader_names(L, &data_nc);
    if (!c.single_cls && data_nc != c.nc) {
        rc = cpose_err(CPOSE_EINVAL, "%s has %d class%s but the model has %d: pass a matching data= or single_cls=True",
                       data, data_nc, data_nc == 1 ? "" : "es", c.nc);
        goto fail;
    }
    int eval_nc = c.single_cls ? 1 : c.nc;
    const char *anno = cpose_args_is_none(a, "anno_json") ? NULL : cpose_args_str(a, "anno_json");
    if ((rc = cpose_val_data_open(data, split, anno, save_json, eval_nc, &d)) != CPOSE_OK) goto fail;
    c.class_map = d.class_map;

    out->save_dir = follower ? cpose_strdup("") : cpose_args_run_dir(a, "val");
    if (!out->save_dir) {
        rc = cpose_err_context(CPOSE_EIO, "val run folder");
        goto fail;
    }
    if (save_json && !follower) c.json = cpose_pred_json_new();
    double sig1[256];
    const double *sigmas = NULL;
    if (c.nkpt == 17 && c.kdim != 3) { /* Ultralytics uses OKS_SIGMA only for kpt_shape [17, 3] */
        for (int k = 0; k < 17; k++) sig1[k] = 1.0 / 17;
        sigmas = sig1;
    }
    c.vm = cpose_valmetrics_new(eval_nc, c.nkpt, sigmas);

    /* images per forward: all of the batch when a hook reads the raw head outputs, else one (see val_forward) */
    int chunk = hooks && hooks->on_batch ? batch : 1;
    if (getenv("CPOSE_VAL_CHUNK") && atoi(getenv("CPOSE_VAL_CHUNK")) > 0) chunk = atoi(getenv("CPOSE_VAL_CHUNK"));
    struct cpose_progress prog;
    cpose_progress_begin(&prog, "val", cpose_loader_n_batches(L), "batch");
    double t_pre = 0, t_inf = 0, t_post = 0, t_loss = 0;
    int last_h = 0, last_w = 0;
    for (;;) {
        double t0 = cpose_now();
        if ((rc = cpose_loader_next(L, &b)) != CPOSE_OK) goto fail_prog;
        if (b.n == 0) break;
        if (b.K != c.nkpt) {
            rc = b.K == 0 ? cpose_err(CPOSE_EINVAL, "%s has no kpt_shape: a pose dataset needs kpt_shape: [%d, %d]", data,
                                      c.nkpt, c.kdim)
                          : cpose_err(CPOSE_EINVAL, "%s has kpt_shape [%d, ...] but the model has %d keypoints", data,
                                      b.K, c.nkpt);
            goto fail_prog;
        }
        c.plot = NULL;
        if (out->plots && b.index < CPOSE_VAL_PLOT_BATCHES) {
            cpose_val_plot_keep_batch(&b, &out->plot_batch[b.index]);
            c.plot = out->plot_batch[b.index];
        }
        double t1 = cpose_now();
        int64_t A = cpose_model_num_anchors(m, b.H, b.W);
        size_t need = (size_t)b.n * c.C * A;
        if (need > pred_cap) {
            cpose_free(pred);
            pred = cpose_malloc(need * sizeof *pred);
            pred_cap = need;
        }
        if ((rc = val_forward(m, &b, chunk, c.C * A, pred)) != CPOSE_OK) goto fail_prog;
        double t2 = cpose_now();
        if ((rc = cpose_val_hook_batch(hooks, m, &b, c.single_cls)) != CPOSE_OK) goto fail_prog;
        double th = cpose_now(); /* the hook's time is Ultralytics' "loss" column */
        t_loss += th - t2;
        for (int i = 0; i < b.n; i++) {
            int64_t np = 0;
            if (b.items[i].unreadable) continue; /* warned by the loader */
            c.cur_image = i;
            c.image_index = (int64_t)b.index * batch + i;
            if ((rc = val_image(&c, pred + (size_t)i * c.C * A, A, &b, &b.items[i], &np)) != CPOSE_OK) goto fail_prog;
            out->n_predictions += np;
        }
        double t3 = cpose_now();
        t_pre += t1 - t0, t_inf += t2 - t1, t_post += t3 - th;
        out->n_images += b.n;
        last_h = b.H, last_w = b.W;
        cpose_progress_update(&prog, b.index + 1);
    }
    cpose_progress_end(&prog);
    (void)last_h, (void)last_w;
    if (sharded) {
        double sums[5] = {(double)out->n_images, (double)out->n_predictions, t_pre, t_inf, t_post};
        if ((rc = gather_results(&c, &shard_results)) != CPOSE_OK) goto fail;
        if ((rc = cpose_dist_sum_f64(sums, 5, "val: sum the ranks' counts")) != CPOSE_OK) goto fail;
        out->n_images = (int64_t)sums[0], out->n_predictions = (int64_t)sums[1];
        /* time per image of the job: each rank's time over its own images, averaged over ranks */
        t_pre = sums[2] / cpose_dist_size(), t_inf = sums[3] / cpose_dist_size(), t_post = sums[4] / cpose_dist_size();
        if (follower) goto fail; /* done: rank 0 reports */
    }

    if ((rc = cpose_valmetrics_finalize(c.vm, &out->metrics)) != CPOSE_OK) goto fail;
    print_table(&out->metrics, names, data_nc, verbose);
    double k = out->n_images ? 1e3 / (double)out->n_images : 0;
    out->ms_pre = t_pre * k, out->ms_inf = t_inf * k, out->ms_post = t_post * k;
    cpose_info("Speed: %.1fms preprocess, %.1fms inference, %.1fms loss, %.1fms postprocess per image", out->ms_pre,
               out->ms_inf, t_loss * k, out->ms_post);
    if (c.json && out->n_predictions == 0)
        cpose_warn("no detections at conf=%g: predictions.json not written (as Ultralytics)", c.nms.conf);
    if (c.json && out->n_predictions > 0) {
        pred_path = cpose_path_join(out->save_dir, "predictions.json");
        cpose_info("Saving %s...", pred_path);
        if ((rc = cpose_pred_json_write(c.json, pred_path)) != CPOSE_OK) goto fail;
        cpose_val_add_file(out, pred_path);
    }
    if (!cpose_args_is_none(a, "report")) out->report_dir = cpose_strdup(cpose_args_str(a, "report"));
    if (names && data_nc > 0) {
        out->names = cpose_calloc((size_t)data_nc, sizeof *out->names);
        for (int i = 0; i < data_nc; i++) out->names[i] = cpose_strdup(names[i]);
        out->n_names = data_nc;
    }
    if (c.json && d.anno_json && out->n_predictions > 0) {
        out->anno_json = cpose_strdup(d.anno_json);
        out->pred_path = cpose_strdup(pred_path);
        if ((rc = cpose_val_coco_eval(&d, pred_path, out)) != CPOSE_OK) goto fail;
    }
    goto fail;
fail_prog:
    cpose_progress_end(&prog);
fail:
    if (rc && out->save_dir && *out->save_dir) cpose_remove_dir_if_no_files(out->save_dir); /* no empty run folder left */
    if (rc) cpose_val_summary_free(out);
    cpose_free(pred_path);
    cpose_free(pred);
    cpose_free(c.pb), cpose_free(c.pc), cpose_free(c.pk), cpose_free(c.pcl);
    cpose_free(c.gb), cpose_free(c.gk), cpose_free(c.gcl), cpose_free(c.kr);
    cpose_val_stream_free(&shard_results);
    cpose_valmetrics_free(c.vm);
    cpose_pred_json_free(c.json);
    cpose_val_data_free(&d);
    cpose_loader_free(L);
    return rc;
}

int cpose_val_run(struct cpose_model *m, const struct cpose_args *a, struct cpose_val_summary *out)
{
    return val_run(m, a, NULL, cpose_dist_size() > 1, out);
}

int cpose_val_run_local(struct cpose_model *m, const struct cpose_args *a, struct cpose_val_summary *out)
{
    return val_run(m, a, NULL, 0, out);
}

int cpose_val_run_hooked(struct cpose_model *m, const struct cpose_args *a, const struct cpose_val_hooks *hooks,
                         struct cpose_val_summary *out)
{
    return val_run(m, a, hooks, 0, out);
}
