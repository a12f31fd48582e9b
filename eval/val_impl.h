/* eval/val_impl.h — internals shared by the val loop (eval/val.c), its outputs (eval/val_out.c), the plot
 * capture (eval/val_plot.c) and the per-batch hook (eval/val_hook.c). */
#ifndef CPOSE_VAL_IMPL_H
#define CPOSE_VAL_IMPL_H

#include "datasets/coco_json.h"
#include "datasets/loader.h"
#include "eval/val.h"

/* The dataset facts val needs beyond the loader: the root, whether it is COCO (Ultralytics' is_coco:
 * the split is a ".../val2017.txt" file under a path containing "coco"), and the COCO GT JSON. */
struct cpose_val_data {
    char *root;          /* dataset root (absolute) */
    int is_coco;
    char *anno_json;     /* COCO keypoints GT for COCOeval, or NULL */
    struct cpose_coco gt; /* loaded when anno_json is set */
    int *class_map;      /* nc entries: class id → category_id in predictions.json */
    int nc;
};

/* Resolves root, is_coco, anno_json (anno= argument, or the conventional locations, only when
 * want_anno) and the class map (COCO 80→91 when is_coco; the GT file's sorted category ids when it
 * has exactly nc categories; else identity). An anno_json that was named but is missing or
 * unreadable is an error; a conventional one that is absent is not. */
int cpose_val_data_open(const char *data, const char *split, const char *anno, int want_anno, int nc,
                        struct cpose_val_data *out);
void cpose_val_data_free(struct cpose_val_data *d);

/* COCOeval (bbox then keypoints, as Ultralytics) of pred_path against d->gt; prints pycocotools'
 * summaries; fills s->coco_* and hands the two evaluations to the summary (coco_*_eval). */
int cpose_val_coco_eval(const struct cpose_val_data *d, const char *pred_path, struct cpose_val_summary *s);

/* Plot capture (eval/val_plot.c). Keeps batch b's first 16 images and their labels in a new
 * *out (replacing nothing: call once per kept batch). */
void cpose_val_plot_keep_batch(const struct cpose_batch *b, struct cpose_val_plot_batch **out);
/* Adds image i's NMS rows (n × (6 + nkpt·kdim): x1 y1 x2 y2 conf cls kpts, batch pixels) when i is
 * one of the kept images. */
void cpose_val_plot_keep_preds(struct cpose_val_plot_batch *p, int i, const float *rows, int64_t n, int nkpt, int kdim);
void cpose_val_plot_batch_free(struct cpose_val_plot_batch *p); /* NULL-safe */

/* The per-batch hook (eval/val_hook.c): after the forward of batch b on m, gathers m's raw head
 * outputs and b's labels (classes 0 when single_cls) into a struct cpose_val_raw_batch and calls
 * hooks->on_batch with it. CPOSE_OK at once when there is no hook; else the hook's status. */
int cpose_val_hook_batch(const struct cpose_val_hooks *hooks, struct cpose_model *m, const struct cpose_batch *b,
                         int single_cls);

#endif
