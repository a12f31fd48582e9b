/* datasets/pretrained.c — pretrained weight names: the URL table, the weights folder, and the
 * local → weights folder → download resolution (datasets/pretrained.h). */
#include "datasets/pretrained.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "core/nn/model.h"
#include "core/nn/pt_zip.h"
#include "datasets/download.h"

#define RELEASE "https://github.com/ultralytics/assets/releases/download/v8.1.0/"

/* The one table of URLs: Ultralytics' v8.1.0 release assets for YOLOv8 pose. */
static const struct cpose_pretrained table[] = {
    {"yolov8n-pose.pt", RELEASE "yolov8n-pose.pt"},       {"yolov8s-pose.pt", RELEASE "yolov8s-pose.pt"},
    {"yolov8m-pose.pt", RELEASE "yolov8m-pose.pt"},       {"yolov8l-pose.pt", RELEASE "yolov8l-pose.pt"},
    {"yolov8x-pose.pt", RELEASE "yolov8x-pose.pt"},       {"yolov8n-pose-p6.pt", RELEASE "yolov8n-pose-p6.pt"},
    {"yolov8s-pose-p6.pt", RELEASE "yolov8s-pose-p6.pt"}, {"yolov8m-pose-p6.pt", RELEASE "yolov8m-pose-p6.pt"},
    {"yolov8l-pose-p6.pt", RELEASE "yolov8l-pose-p6.pt"}, {"yolov8x-pose-p6.pt", RELEASE "yolov8x-pose-p6.pt"},
};

const struct cpose_pretrained *cpose_pretrained_table(int *n)
{
    *n = (int)(sizeof table / sizeof *table);
    return table;
}

const struct cpose_pretrained *cpose_pretrained_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof table / sizeof *table; i++)
        if (!strcmp(table[i].name, name)) return &table[i];
    return NULL;
}

char *cpose_weights_dir(void)
{
    const char *env = getenv("CPOSE_WEIGHTS_DIR");
    if (env && *env) return cpose_strdup(env);
    const char *home = getenv("HOME");
    return cpose_asprintf("%s/.cache/cpose/weights", home && *home ? home : ".");
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

int cpose_pretrained_resolve(const char *model, char **path)
{
    *path = NULL;
    const struct cpose_pretrained *e = model && !strchr(model, '/') ? cpose_pretrained_find(model) : NULL;
    if (!e || exists(model)) {
        *path = cpose_strdup(model);
        return CPOSE_OK;
    }
    char *dir = cpose_weights_dir(), *cached = cpose_path_join(dir, e->name);
    if (cpose_path_is_file(cached)) {
        cpose_free(dir);
        *path = cached;
        return CPOSE_OK;
    }
    const char *base = getenv("CPOSE_WEIGHTS_URL");
    char *url = base && *base ? cpose_asprintf("%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", e->name)
                              : cpose_strdup(e->url);
    cpose_info("%s is not in the working folder or %s: downloading %s", e->name, dir, url);
    struct cpose_download_opts o = {.url = url, .dir = dir, .file = e->name, .size = -1, .retries = 3,
                                    .timeout = 30, .backoff = 1};
    int rc = cpose_mkdirs(dir);
    if (!rc) rc = cpose_download(&o, path);
    if (!rc) { /* an error page saved as the file would block every later run: keep only a ZIP */
        struct cpose_pt_zip *z = NULL;
        if ((rc = cpose_pt_zip_open(*path, &z)) != CPOSE_OK) {
            cpose_err_context(rc, "the download from %s is not a torch.save checkpoint; removed it", url);
            unlink(*path);
            cpose_free(*path), *path = NULL;
        }
        cpose_pt_zip_close(z);
    }
    if (rc) cpose_err_context(rc, "model=%s: the pretrained weights could not be fetched (put the file in %s, or set "
                                  "CPOSE_WEIGHTS_DIR to a folder that holds it)",
                              model, dir);
    cpose_free(url), cpose_free(dir), cpose_free(cached);
    return rc;
}

int cpose_model_load_resolved(const char *model, const char *cfg, uint64_t seed, struct cpose_model **out)
{
    char *path = NULL;
    *out = NULL;
    int rc = cpose_pretrained_resolve(model, &path);
    if (!rc) rc = cpose_model_load_seeded(path, cfg, seed, out);
    cpose_free(path);
    return rc;
}
