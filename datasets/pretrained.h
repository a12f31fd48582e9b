/* datasets/pretrained.h — Ultralytics' pretrained pose weights by name: model=yolov8n-pose.pt (n, s,
 * m, l, x, and the -p6 variants) resolves as Ultralytics resolves it — a file of that name in the
 * working folder first, then the weights folder, then a download from the Ultralytics release
 * (datasets/download.h: resume, retries, atomic rename) into the weights folder.
 *
 * The weights folder is $CPOSE_WEIGHTS_DIR, else ~/.cache/cpose/weights. $CPOSE_WEIGHTS_URL replaces
 * the release folder of every URL (a mirror, or a local server in tests): the file name is appended. */
#ifndef CPOSE_PRETRAINED_H
#define CPOSE_PRETRAINED_H

#include <stdint.h>

#include "core/base/status.h"

struct cpose_model;

struct cpose_pretrained {
    const char *name; /* "yolov8n-pose.pt" */
    const char *url;  /* where Ultralytics publishes it */
};

/* The table entry for a bare file name, or NULL when name is not a pretrained name. */
CPOSE_API const struct cpose_pretrained *cpose_pretrained_find(const char *name);
/* The table itself, *n entries. */
CPOSE_API const struct cpose_pretrained *cpose_pretrained_table(int *n);
/* The weights folder (owned string): $CPOSE_WEIGHTS_DIR, else ~/.cache/cpose/weights. */
CPOSE_API char *cpose_weights_dir(void);

/* model as a file to load: an existing path stays as it is; a pretrained name that is not a file
 * here is looked up in the weights folder and downloaded there when absent. Anything else is
 * returned unchanged (the loader reports it). *path is owned. A failed download is CPOSE_EIO with
 * the URL and the reason; a downloaded file that is not a ZIP (an error page) is removed again and
 * refused naming the URL. */
CPOSE_API int cpose_pretrained_resolve(const char *model, char **path);

/* cpose_model_load_seeded after cpose_pretrained_resolve: what every model= and pretrained= use. */
CPOSE_API int cpose_model_load_resolved(const char *model, const char *cfg, uint64_t seed, struct cpose_model **out);

#endif
