/* core/predict/predict_run.c — the predict loop: source → image → letterbox → forward → NMS → scale back
 * → annotated image / YOLO txt / predictions.json, with Ultralytics' console lines. */
#include "core/predict/predict.h"

#include <string.h>

#include "core/base/alloc.h"
#include "core/predict/annotate.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"

void cpose_predict_summary_free(struct cpose_predict_summary *s)
{
    if (!s) return;
    cpose_free(s->save_dir);
    memset(s, 0, sizeof *s);
}

int cpose_predict_image(const struct cpose_predict_backend *b, const struct cpose_image *img, int imgsz,
                        const struct cpose_nms_opts *opts, struct cpose_pred_result *r)
{
    double t0 = cpose_now();
    float *chw = NULL, *pred = NULL, *rows = NULL;
    int in_w = 0, in_h = 0;
    int64_t n = 0;
    int rc = cpose_predict_preprocess(img, imgsz, b->stride, &chw, &in_w, &in_h);
    if (rc) goto fail;
    double t1 = cpose_now();
    int64_t A = b->num_anchors(b->ctx, in_h, in_w);
    int64_t C = 4 + (int64_t)b->nc + (int64_t)b->nkpt * b->kdim;
    if (A <= 0) {
        rc = cpose_err(CPOSE_EINVAL, "model reports %lld anchors for a %dx%d input", (long long)A, in_h, in_w);
        goto fail;
    }
    pred = cpose_malloc((size_t)C * A * sizeof *pred);
    if ((rc = b->forward(b->ctx, chw, 1, in_h, in_w, pred)) != CPOSE_OK) goto fail;
    double t2 = cpose_now();
    struct cpose_nms_opts o = *opts;
    o.nc = b->nc;
    if ((rc = cpose_nms(pred, C, A, &o, &rows, &n)) != CPOSE_OK) goto fail;
    r->orig_w = img->w;
    r->orig_h = img->h;
    r->in_w = in_w;
    r->in_h = in_h;
    cpose_pred_result_from_rows(r, rows, n, b->nkpt, b->kdim);
    cpose_pred_result_hide_low_conf_kpts(r); /* as Ultralytics' Results: `0 0 conf` below 0.5 */
    double t3 = cpose_now();
    r->ms_pre = (t1 - t0) * 1e3;
    r->ms_inf = (t2 - t1) * 1e3;
    r->ms_post = (t3 - t2) * 1e3;
fail:
    cpose_free(chw);
    cpose_free(pred);
    cpose_free(rows);
    return rc;
}

/* Reads the NMS and drawing options from the arguments; errors name the key. */
static int read_opts(const struct cpose_predict_backend *b, const struct cpose_args *a, struct cpose_nms_opts *nms,
                     struct cpose_annotate_opts *ann)
{
    cpose_nms_opts_predict(nms, b->nc);
    nms->conf = cpose_args_float(a, "conf", 0.25);
    nms->iou = cpose_args_float(a, "iou", 0.7);
    nms->max_det = (int)cpose_args_int(a, "max_det", 300);
    nms->agnostic = cpose_args_bool(a, "agnostic_nms");
    if (!(nms->conf >= 0 && nms->conf <= 1)) return cpose_err(CPOSE_EINVAL, "conf=%g must be within [0, 1]", nms->conf);
    if (!(nms->iou >= 0 && nms->iou <= 1)) return cpose_err(CPOSE_EINVAL, "iou=%g must be within [0, 1]", nms->iou);
    if (nms->max_det < 1) return cpose_err(CPOSE_EINVAL, "max_det=%d must be at least 1", nms->max_det);
    if (!cpose_args_is_none(a, "classes")) {
        nms->n_classes = cpose_args_int_list(a, "classes", nms->classes, CPOSE_NMS_MAX_CLASSES_FILTER);
        for (int i = 0; i < nms->n_classes; i++)
            if (nms->classes[i] < 0 || nms->classes[i] >= b->nc)
                return cpose_err(CPOSE_EINVAL, "classes=%s: class %lld does not exist (the model has %d class%s)",
                                 cpose_args_str(a, "classes"), (long long)nms->classes[i], b->nc, b->nc == 1 ? "" : "es");
    }
    cpose_annotate_opts_default(ann);
    ann->show_boxes = cpose_args_bool(a, "show_boxes");
    ann->show_labels = cpose_args_bool(a, "show_labels");
    ann->show_conf = cpose_args_bool(a, "show_conf");
    ann->line_width = (int)cpose_args_int(a, "line_width", 0);
    return CPOSE_OK;
}

/* Saves one result's outputs into the run folder. */
static int save_outputs(const struct cpose_predict_backend *b, const char *dir, const struct cpose_pred_result *r,
                        const struct cpose_image *img, int save_img, int save_txt, int save_conf, int save_crop,
                        const struct cpose_annotate_opts *ann)
{
    int rc = CPOSE_OK;
    if (save_crop && (rc = cpose_pred_save_crops(dir, r, img, b->names, b->n_names)) != CPOSE_OK) return rc;
    if (save_img) {
        struct cpose_image out = {0};
        if ((rc = cpose_image_new(&out, img->w, img->h, img->c, 0)) != CPOSE_OK) return rc;
        memcpy(out.data, img->data, (size_t)img->w * img->h * img->c);
        cpose_annotate_result(&out, r, b->names, b->n_names, ann);
        char *p = cpose_path_join(dir, cpose_path_basename(r->path));
        rc = cpose_image_write(p, &out, 0);
        cpose_free(p);
        cpose_image_free(&out);
        if (rc) return rc;
    }
    if (save_txt) {
        char *stem = cpose_path_stem(r->path), *name = cpose_asprintf("labels/%s.txt", stem);
        char *p = cpose_path_join(dir, name);
        rc = cpose_pred_write_txt(p, r, save_conf);
        cpose_free(p);
        cpose_free(name);
        cpose_free(stem);
    }
    return rc;
}

int cpose_predict_run(const struct cpose_predict_backend *b, const struct cpose_args *a, cpose_predict_cb cb,
                      void *ud, struct cpose_predict_summary *summary)
{
    struct cpose_predict_summary local = {0}, *sum = summary ? summary : &local;
    memset(sum, 0, sizeof *sum);
    struct cpose_sources src = {0};
    struct cpose_pred_json *json = NULL;
    struct cpose_pred_result r = {0};
    struct cpose_nms_opts nms;
    struct cpose_annotate_opts ann;
    int rc, last_w = 0, last_h = 0;
    int imgsz = !cpose_args_given(a, "imgsz") && b->imgsz > 0 ? b->imgsz : (int)cpose_args_int(a, "imgsz", 640);
    int verbose = cpose_args_bool(a, "verbose");
    int save_img = cpose_args_bool(a, "save"), save_txt = cpose_args_bool(a, "save_txt");
    int save_conf = cpose_args_bool(a, "save_conf"), save_crop = cpose_args_bool(a, "save_crop");
    int save_json = cpose_args_bool(a, "save_json") || save_img || save_txt || save_crop;

    if ((rc = read_opts(b, a, &nms, &ann)) != CPOSE_OK) goto fail;
    static const char *const unsupported[] = {"show", "save_frames", "augment", "visualize"};
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
        if (cpose_args_bool(a, unsupported[i]))
            cpose_warn("%s=True is not supported by cpose predict and is ignored", unsupported[i]);
    int stride = b->stride > 0 ? b->stride : 32;
    if (imgsz < stride || imgsz % stride) {
        int fixed = imgsz < stride ? stride : (imgsz + stride - 1) / stride * stride;
        if (imgsz < 1) {
            rc = cpose_err(CPOSE_EINVAL, "imgsz=%d must be positive", imgsz);
            goto fail;
        }
        cpose_warn("imgsz=%d must be a multiple of max stride %d, updating to %d", imgsz, stride, fixed);
        imgsz = fixed;
    }
    if ((rc = cpose_sources_open(cpose_args_str(a, "source"), &src)) != CPOSE_OK) goto fail;
    if (save_json) {
        sum->save_dir = cpose_args_run_dir(a, "predict");
        if (!sum->save_dir) {
            rc = cpose_err_context(CPOSE_EIO, "predict run folder");
            goto fail;
        }
        if (save_txt) {
            char *l = cpose_path_join(sum->save_dir, "labels");
            rc = cpose_mkdirs(l);
            cpose_free(l);
            if (rc) goto fail;
        }
        json = cpose_pred_json_new();
    }

    for (size_t i = 0; i < src.n; i++) {
        const char *path = src.paths[i];
        struct cpose_image img = {0};
        if ((rc = cpose_image_read(path, &img)) != CPOSE_OK) {
            cpose_warn("image %zu/%zu %s: skipped, %s", i + 1, src.n, path, cpose_errmsg());
            sum->n_failed++;
            rc = CPOSE_OK;
            continue;
        }
        cpose_free(r.path);
        r.path = cpose_strdup(path);
        rc = cpose_predict_image(b, &img, imgsz, &nms, &r);
        if (rc == CPOSE_OK && sum->save_dir) rc = save_outputs(b, sum->save_dir, &r, &img, save_img, save_txt, save_conf, save_crop, &ann);
        if (rc == CPOSE_OK && json) cpose_pred_json_add(json, &r);
        if (rc == CPOSE_OK && cb) rc = cb(ud, &r, &img);
        cpose_image_free(&img);
        if (rc) {
            cpose_err_context(rc, "%s", path);
            goto fail;
        }
        sum->n_images++;
        sum->n_detections += r.n;
        sum->ms_pre += r.ms_pre;
        sum->ms_inf += r.ms_inf;
        sum->ms_post += r.ms_post;
        last_w = r.in_w, last_h = r.in_h;
        if (verbose) {
            char what[512];
            cpose_pred_result_summary(&r, b->names, b->n_names, what, sizeof what);
            cpose_info("image %zu/%zu %s: %dx%d %s%.1fms", i + 1, src.n, path, r.in_h, r.in_w, what, r.ms_inf);
        }
    }
    if (sum->n_images == 0) {
        rc = cpose_err(CPOSE_EIO, "none of the %zu images of source '%s' could be read", src.n,
                       cpose_args_str(a, "source"));
        goto fail;
    }
    if (json) {
        char *p = cpose_path_join(sum->save_dir, "predictions.json");
        rc = cpose_pred_json_write(json, p);
        cpose_free(p);
        if (rc) goto fail;
    }
    if (verbose) {
        double k = 1.0 / (double)sum->n_images;
        cpose_info("Speed: %.1fms preprocess, %.1fms inference, %.1fms postprocess per image at shape (1, 3, %d, %d)",
                   sum->ms_pre * k, sum->ms_inf * k, sum->ms_post * k, last_h, last_w);
        if (sum->n_failed) cpose_info("%lld image%s could not be read and %s skipped", (long long)sum->n_failed,
                                      sum->n_failed > 1 ? "s" : "", sum->n_failed > 1 ? "were" : "was");
        if (sum->save_dir) {
            cpose_info("Results saved to %s", sum->save_dir);
            if (save_txt) {
                int64_t nl = 0;
                for (size_t i = 0; i < src.n; i++) {
                    char *stem = cpose_path_stem(src.paths[i]), *name = cpose_asprintf("%s/labels/%s.txt", sum->save_dir, stem);
                    nl += cpose_path_is_file(name);
                    cpose_free(stem);
                    cpose_free(name);
                }
                cpose_info("%lld label%s saved to %s/labels", (long long)nl, nl > 1 ? "s" : "", sum->save_dir);
            }
        }
    }
fail:
    /* a run that failed before writing anything leaves no empty run folder (the next run would be
     * numbered after it) */
    if (rc != CPOSE_OK && cpose_remove_dir_if_no_files(sum->save_dir)) {
        cpose_free(sum->save_dir);
        sum->save_dir = NULL;
    }
    cpose_pred_result_free(&r);
    cpose_pred_json_free(json);
    cpose_sources_free(&src);
    if (sum == &local) cpose_predict_summary_free(&local);
    return rc;
}
