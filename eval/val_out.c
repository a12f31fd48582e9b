/* eval/val_out.c — what a val run reads and computes around the loop: the dataset's COCO GT and class
 * map, COCOeval of predictions.json, and the summary as JSON. (Report files: reports/val_reports.c.) */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/alloc.h"
#include "datasets/dataset.h"
#include "eval/cocoeval.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/nn/model.h"
#include "eval/val_impl.h"

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

const int cpose_coco80_to_91[80] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                    22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
                                    46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
                                    67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};

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

int cpose_val_coco_eval(const struct cpose_val_data *d, const char *pred_path, struct cpose_val_summary *s)
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
    s->coco_seconds = cpose_now() - t0;
    s->coco_kpt_eval = ek, s->coco_bbox_eval = eb; /* the summary owns them now */
    memset(&ek, 0, sizeof ek);
    memset(&eb, 0, sizeof eb);
fail:
    cpose_cocoeval_free(&ek);
    cpose_cocoeval_free(&eb);
    cpose_coco_free(&dt);
    return rc;
}

static cJSON *metric_tree(const struct cpose_det_metric *m, int nc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "map", m->map);
    cJSON_AddNumberToObject(o, "map50", m->map50);
    cJSON_AddNumberToObject(o, "map75", m->map75);
    cJSON_AddItemToObject(o, "maps", m->maps ? cJSON_CreateDoubleArray(m->maps, nc) : cJSON_CreateArray());
    cJSON_AddNumberToObject(o, "mp", m->mp);
    cJSON_AddNumberToObject(o, "mr", m->mr);
    return o;
}

cJSON *cpose_val_summary_json(const struct cpose_val_summary *s)
{
    const struct cpose_val_results *r = &s->metrics;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "box", metric_tree(&r->box, r->nc));
    cJSON_AddItemToObject(o, "pose", metric_tree(&r->pose, r->nc));
    cJSON_AddNumberToObject(o, "fitness", cpose_val_fitness(r));
    cJSON_AddNumberToObject(o, "images", (double)s->n_images);
    cJSON_AddNumberToObject(o, "instances", (double)r->n_instances);
    cJSON_AddNumberToObject(o, "predictions", (double)s->n_predictions);
    cJSON_AddNumberToObject(o, "imgsz", s->imgsz);
    cJSON *sp = cJSON_AddObjectToObject(o, "speed");
    cJSON_AddNumberToObject(sp, "preprocess", s->ms_pre);
    cJSON_AddNumberToObject(sp, "inference", s->ms_inf);
    cJSON_AddNumberToObject(sp, "postprocess", s->ms_post);
    if (s->coco_ran) {
        cJSON *c = cJSON_AddObjectToObject(o, "coco");
        cJSON_AddItemToObject(c, "keypoints", cJSON_CreateDoubleArray(s->coco_kpt, 10));
        cJSON_AddItemToObject(c, "bbox", cJSON_CreateDoubleArray(s->coco_bbox, 12));
        cJSON_AddStringToObject(c, "anno_json", s->anno_json ? s->anno_json : "");
    }
    if (s->save_dir) cJSON_AddStringToObject(o, "save_dir", s->save_dir);
    cJSON *f = cJSON_AddArrayToObject(o, "files");
    for (int i = 0; i < s->n_files; i++) cJSON_AddItemToArray(f, cJSON_CreateString(s->files[i]));
    return o;
}
