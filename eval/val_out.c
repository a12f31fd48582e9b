/* eval/val_out.c — what a val run writes and reads around the loop: the dataset's COCO GT and class
 * map, COCOeval of predictions.json, the metrics JSON/Markdown, and the `cpose val` mode. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cli.h"
#include "datasets/dataset.h"
#include "eval/cocoeval.h"
#include "fsutil.h"
#include "log.h"
#include "model.h"
#include "reports/eval_report.h"
#include "val_impl.h"

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

void cpose_val_data_free(struct cpose_val_data *d)
{
    if (!d) return;
    cpose_free(d->root);
    cpose_free(d->anno_json);
    cpose_coco_free(&d->gt);
    cpose_free(d->class_map);
    memset(d, 0, sizeof *d);
}

/* The conventional COCO GT locations under the dataset root, first that exists (caller frees) or NULL. */
static char *find_anno(const char *root, const char *split)
{
    char *c[2];
    c[0] = cpose_asprintf("%s/annotations/person_keypoints_%s2017.json", root, split);
    c[1] = cpose_asprintf("%s/annotations/person_keypoints_%s.json", root, split);
    char *hit = NULL;
    for (int i = 0; i < 2; i++) {
        if (!hit && cpose_path_is_file(c[i])) hit = c[i];
        else cpose_free(c[i]);
    }
    return hit;
}

int cpose_val_data_open(const char *data, const char *split, const char *anno, int want_anno, int nc,
                        struct cpose_val_data *out)
{
    memset(out, 0, sizeof *out);
    struct cpose_dataset ds;
    int rc = cpose_dataset_load(data, &ds);
    if (rc) return rc;
    int s = cpose_split_from_name(split);
    out->root = cpose_strdup(ds.path);
    /* Ultralytics' is_coco: the split is one path containing "coco" and ending in /val2017.txt */
    out->is_coco = s >= 0 && ds.n_splits[s] == 1 && strstr(ds.splits[s][0], "coco") &&
                   ends_with(ds.splits[s][0], "/val2017.txt");
    cpose_dataset_free(&ds);
    out->nc = nc;
    if (anno) {
        if (!cpose_path_is_file(anno)) {
            rc = cpose_err(CPOSE_EIO, "anno_json=%s does not exist (pass the COCO keypoints JSON of the %s split)", anno,
                           split);
            goto fail;
        }
        out->anno_json = cpose_strdup(anno);
    } else if (want_anno) {
        out->anno_json = find_anno(out->root, split);
    }
    if (out->anno_json) {
        if ((rc = cpose_coco_load(out->anno_json, &out->gt)) != CPOSE_OK) goto fail;
        if (out->gt.is_results) {
            rc = cpose_err(CPOSE_EINVAL, "%s: a results list, not COCO ground truth (expected images/annotations)",
                           out->anno_json);
            goto fail;
        }
    }
    out->class_map = cpose_malloc(((size_t)nc + 1) * sizeof(int));
    if (out->is_coco) {
        for (int i = 0; i < nc; i++) out->class_map[i] = i < 80 ? cpose_coco80_to_91[i] : i;
    } else if (out->anno_json && out->gt.n_categories == (size_t)nc) {
        /* a non-COCO dataset with its own GT file: class i is its i-th category by id */
        int64_t *ids = cpose_malloc((size_t)nc * sizeof *ids);
        for (int i = 0; i < nc; i++) ids[i] = out->gt.categories[i].id;
        qsort(ids, (size_t)nc, sizeof *ids, cmp_i64);
        for (int i = 0; i < nc; i++) out->class_map[i] = (int)ids[i];
        cpose_free(ids);
    } else {
        for (int i = 0; i < nc; i++) out->class_map[i] = i;
    }
    return CPOSE_OK;
fail:
    cpose_val_data_free(out);
    return rc;
}

int cpose_val_coco_eval(const struct cpose_val_data *d, const char *pred_path, const char *dir1, const char *dir2,
                        struct cpose_val_summary *s)
{
    struct cpose_coco dt;
    struct cpose_cocoeval ek, eb;
    memset(&dt, 0, sizeof dt);
    memset(&ek, 0, sizeof ek);
    memset(&eb, 0, sizeof eb);
    cpose_info("\nEvaluating pycocotools mAP using %s and %s...", pred_path, d->anno_json);
    double t0 = cpose_now();
    int rc = cpose_coco_load(pred_path, &dt);
    if (rc) goto fail;
    /* Ultralytics evaluates bbox first, then keypoints */
    for (int t = 0; t < 2; t++) {
        enum cpose_iou_type type = t == 0 ? CPOSE_IOU_BBOX : CPOSE_IOU_KEYPOINTS;
        struct cpose_cocoeval *e = t == 0 ? &eb : &ek;
        struct cpose_cocoeval_params p;
        cpose_cocoeval_default_params(&p, type);
        if ((rc = cpose_cocoeval_run(&d->gt, &dt, &p, e)) != CPOSE_OK) {
            cpose_err_context(rc, "COCOeval of %s against %s", pred_path, d->anno_json);
            goto fail;
        }
        cpose_info("Evaluate annotation type *%s*", t == 0 ? "bbox" : "keypoints");
        cpose_cocoeval_print_summary(e, stdout);
        fflush(stdout);
    }
    memcpy(s->coco_bbox, eb.stats, sizeof s->coco_bbox);
    memcpy(s->coco_kpt, ek.stats, sizeof s->coco_kpt);
    s->coco_ran = 1;
    struct cpose_eval_report rep = {d->anno_json, pred_path, &ek, &eb, cpose_now() - t0};
    const char *dirs[2] = {dir1, dir2};
    for (int i = 0; i < 2; i++) {
        if (!dirs[i]) continue;
        if ((rc = cpose_eval_report_write_dir(&rep, dirs[i])) != CPOSE_OK) goto fail;
        const char *names[3] = {"metrics.json", "report.md", "report.html"};
        for (int k = 0; k < 3; k++) {
            char *p = cpose_path_join(dirs[i], names[k]);
            cpose_val_add_file(s, p);
            cpose_free(p);
        }
    }
fail:
    cpose_cocoeval_free(&ek);
    cpose_cocoeval_free(&eb);
    cpose_coco_free(&dt);
    return rc;
}

static cJSON *metric_json(const struct cpose_det_metric *m, int nc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "p", m->mp);
    cJSON_AddNumberToObject(o, "r", m->mr);
    cJSON_AddNumberToObject(o, "map50", m->map50);
    cJSON_AddNumberToObject(o, "map75", m->map75);
    cJSON_AddNumberToObject(o, "map", m->map);
    cJSON *maps = cJSON_AddArrayToObject(o, "maps");
    for (int i = 0; i < nc && m->maps; i++) cJSON_AddItemToArray(maps, cJSON_CreateNumber(m->maps[i]));
    return o;
}

static void md_row(FILE *f, const char *name, int64_t images, int64_t inst, const double *v)
{
    fprintf(f, "| %s | %lld | %lld |", name, (long long)images, (long long)inst);
    for (int i = 0; i < 8; i++) fprintf(f, " %.3g |", v[i]);
    fputc('\n', f);
}

/* val.md: the metric table as Markdown, plus the speed and the COCOeval summaries when run. */
static int write_md(const struct cpose_val_summary *s, char *const *names, int nc, const char *path)
{
    const struct cpose_val_results *r = &s->metrics;
    struct cpose_atomic_file af;
    int rc = cpose_atomic_open(&af, path);
    if (rc) return rc;
    FILE *f = af.fp;
    fprintf(f, "# cpose val\n\n| Class | Images | Instances | Box(P | R | mAP50 | mAP50-95) | Pose(P | R | mAP50 | "
               "mAP50-95) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    double all[8] = {r->box.mp, r->box.mr, r->box.map50, r->box.map, r->pose.mp, r->pose.mr, r->pose.map50, r->pose.map};
    int64_t ni = 0;
    for (int i = 0; i < r->nc; i++) ni += r->nt_per_class[i];
    md_row(f, "all", r->seen, ni, all);
    for (int i = 0; r->nc > 1 && i < r->box.n_ap_class; i++) {
        int c = r->box.ap_class[i];
        double v[8] = {r->box.p[i], r->box.r[i], r->box.ap50[i], r->box.ap[i],
                       r->pose.p[i], r->pose.r[i], r->pose.ap50[i], r->pose.ap[i]};
        char id[32];
        snprintf(id, sizeof id, "%d", c);
        md_row(f, names && c < nc ? names[c] : id, r->seen, r->nt_per_class[c], v);
    }
    fprintf(f, "\nSpeed: %.1f ms preprocess, %.1f ms inference, %.1f ms postprocess per image.\n", s->ms_pre, s->ms_inf,
            s->ms_post);
    if (s->coco_ran) fprintf(f, "\nCOCOeval (%s): keypoints AP %.4f, AP50 %.4f; bbox AP %.4f, AP50 %.4f.\n",
                             s->anno_json, s->coco_kpt[0], s->coco_kpt[1], s->coco_bbox[0], s->coco_bbox[1]);
    if (ferror(f)) {
        cpose_atomic_abort(&af);
        return cpose_err(CPOSE_EIO, "cannot write %s", path);
    }
    return cpose_atomic_commit(&af);
}

int cpose_val_write_metrics(const struct cpose_val_summary *s, char *const *names, int nc, const char *dir, int plots,
                            struct cpose_val_summary *files_to)
{
    const struct cpose_val_results *r = &s->metrics;
    int rc = cpose_mkdirs(dir);
    if (rc) return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "images", (double)r->seen);
    cJSON_AddNumberToObject(o, "instances", (double)r->n_instances);
    cJSON_AddNumberToObject(o, "predictions", (double)s->n_predictions);
    cJSON_AddItemToObject(o, "box", metric_json(&r->box, r->nc));
    cJSON_AddItemToObject(o, "pose", metric_json(&r->pose, r->nc));
    cJSON *pc = cJSON_AddArrayToObject(o, "per_class");
    for (int i = 0; i < r->box.n_ap_class; i++) {
        int c = r->box.ap_class[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "class", c);
        if (names && c < nc) cJSON_AddStringToObject(e, "name", names[c]);
        cJSON_AddNumberToObject(e, "instances", (double)r->nt_per_class[c]);
        const struct cpose_det_metric *ms[2] = {&r->box, &r->pose};
        for (int t = 0; t < 2; t++) {
            cJSON *x = cJSON_AddObjectToObject(e, t ? "pose" : "box");
            cJSON_AddNumberToObject(x, "p", ms[t]->p[i]);
            cJSON_AddNumberToObject(x, "r", ms[t]->r[i]);
            cJSON_AddNumberToObject(x, "map50", ms[t]->ap50[i]);
            cJSON_AddNumberToObject(x, "map", ms[t]->ap[i]);
        }
        cJSON_AddItemToArray(pc, e);
    }
    cJSON *sp = cJSON_AddObjectToObject(o, "speed_ms");
    cJSON_AddNumberToObject(sp, "preprocess", s->ms_pre);
    cJSON_AddNumberToObject(sp, "inference", s->ms_inf);
    cJSON_AddNumberToObject(sp, "postprocess", s->ms_post);
    if (s->coco_ran) {
        cJSON *co = cJSON_AddObjectToObject(o, "cocoeval");
        cJSON_AddStringToObject(co, "anno_json", s->anno_json);
        cJSON_AddItemToObject(co, "keypoints", cJSON_CreateDoubleArray(s->coco_kpt, 10));
        cJSON_AddItemToObject(co, "bbox", cJSON_CreateDoubleArray(s->coco_bbox, 12));
    }
    char *txt = cJSON_Print(o);
    cJSON_Delete(o);
    char *pj = cpose_path_join(dir, "val.json"), *pm = cpose_path_join(dir, "val.md");
    rc = cpose_write_file_atomic(pj, txt, strlen(txt));
    free(txt);
    if (rc == CPOSE_OK) rc = write_md(s, names, nc, pm);
    char *ph = plots ? cpose_path_join(dir, "val.html") : NULL;
    if (rc == CPOSE_OK && ph) rc = cpose_val_write_html(s, names, nc, ph);
    if (rc == CPOSE_OK) {
        cpose_val_add_file(files_to, pj);
        cpose_val_add_file(files_to, pm);
        if (ph) cpose_val_add_file(files_to, ph);
    }
    cpose_free(pj);
    cpose_free(pm);
    cpose_free(ph);
    return rc;
}

int cpose_mode_val(int argc, char **argv)
{
    struct cpose_args a;
    if (cpose_cli_parse("val", argc, argv, &a)) return 1;
    struct cpose_model *m = NULL;
    struct cpose_val_summary s;
    memset(&s, 0, sizeof s);
    int rc;
    cpose_cli_apply_threads(&a);
    if (cpose_args_is_none(&a, "model")) {
        rc = cpose_err(CPOSE_EINVAL, "no model given: pass model=<weights .h5 or model YAML>");
        goto fail;
    }
    if (cpose_args_is_none(&a, "data")) {
        rc = cpose_err(CPOSE_EINVAL, "no dataset given: pass data=<dataset YAML> (e.g. data=coco8-pose.yaml)");
        goto fail;
    }
    const char *cfg = cpose_args_is_none(&a, "cfg") ? NULL : cpose_args_str(&a, "cfg");
    if ((rc = cpose_model_load(cpose_args_str(&a, "model"), cfg, &m)) != CPOSE_OK) goto fail;
    rc = cpose_val_run(m, &a, &s);
fail:
    if (rc) cpose_cli_fail("val");
    cpose_val_summary_free(&s);
    cpose_model_free(m);
    cpose_args_free(&a);
    return rc ? 1 : 0;
}
