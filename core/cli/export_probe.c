/* core/cli/export_probe.c — reading an export back (cpose_model_load on its path) and comparing its
 * forward with the source model's; file and folder sizes. */
#include "core/cli/export_probe.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/model.h"

double cpose_path_size_mb(const char *path)
{
    double b = cpose_path_tree_bytes(path);
    return b < 0 ? -1 : b / 1e6;
}

int cpose_export_probe(struct cpose_model *src, const char *path, int64_t H, int64_t W, struct cpose_export_probe *p)
{
    memset(p, 0, sizeof *p);
    struct cpose_model *m = NULL;
    float *x = NULL, *a = NULL, *b = NULL;
    if (!cpose_model_has_reader(path)) {
        snprintf(p->msg, sizeof p->msg, "no reader in cpose");
        return p->status = CPOSE_ENOTSUP;
    }
    /* a kind cpose reads: any refusal (CPOSE_ENOTSUP included, e.g. an op its importer does not
     * take) is a failure of the read-back, reported as such, not "no reader" */
    int rc = cpose_model_load(path, NULL, &m);
    if (rc != CPOSE_OK) {
        snprintf(p->msg, sizeof p->msg, "%s", cpose_errmsg());
        cpose_err_clear();
        return p->status = rc == CPOSE_ENOTSUP ? CPOSE_EINVAL : rc;
    }
    if (src) {
        const struct cpose_model_info *si = cpose_model_get_info(src), *mi = cpose_model_get_info(m);
        int64_t A = cpose_model_num_anchors(src, H, W);
        if (mi->n_outputs != si->n_outputs || cpose_model_num_anchors(m, H, W) != A) {
            rc = cpose_err(CPOSE_ESHAPE, "read back with %d outputs × %lld anchors, the source has %d × %lld",
                           mi->n_outputs, (long long)cpose_model_num_anchors(m, H, W), si->n_outputs, (long long)A);
        } else {
            size_t n = (size_t)3 * H * W, no = (size_t)si->n_outputs * A;
            x = cpose_malloc(n * sizeof *x), a = cpose_malloc(no * sizeof *a), b = cpose_malloc(no * sizeof *b);
            for (size_t i = 0; i < n; i++) x[i] = (float)((i * 2654435761u) % 1000) / 999.0f; /* a fixed texture */
            rc = cpose_model_predict(src, x, 1, H, W, a);
            if (rc == CPOSE_OK) rc = cpose_model_predict(m, x, 1, H, W, b);
            for (size_t i = 0; rc == CPOSE_OK && i < no; i++) {
                double d = fabs((double)a[i] - b[i]);
                if (!(d <= p->max_delta)) p->max_delta = isnan(d) ? INFINITY : d;
            }
        }
        if (rc != CPOSE_OK) snprintf(p->msg, sizeof p->msg, "forward: %s", cpose_errmsg()), cpose_err_clear();
    }
    cpose_free(x), cpose_free(a), cpose_free(b);
    cpose_model_free(m);
    return p->status = rc;
}
