/* core/train/checkpoint_check.c — can this run resume from that checkpoint? (damaged file, weights
 * only, newer version, another model, another optimizer, a changed dataset), each refusal saying why;
 * and Ultralytics' dataset hash (get_hash) the check compares. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"
#include "core/nn/h5io.h"
#include "core/train/checkpoint.h"
#include "core/train/checkpoint_impl.h"

/* Appends one item to a bounded "a, b, c (+N more)" list. */
static void list_add(char *buf, size_t cap, int *count, const char *item)
{
    if (++*count > 4) return;
    size_t len = strlen(buf);
    if (len + strlen(item) + 3 < cap) snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", item);
}

static void list_more(char *buf, size_t cap, int count)
{
    size_t len = strlen(buf);
    if (count > 4 && len + 24 < cap) snprintf(buf + len, cap - len, " (+%d more)", count - 4);
}

/* Compares the table with the file's /raw rows: every row present with the same element count, and
 * no row the table lacks. */
static int check_rows(struct cpose_h5 *f, const struct cpose_param *tab, size_t n)
{
    const char *file = cpose_h5_path(f);
    char **names = NULL;
    size_t nn = 0;
    int rc = cpose_h5_list(f, "/raw", &names, &nn);
    if (rc) return cpose_err_context(rc, "%s: no raw weights (/raw) — not a cpose training checkpoint", file);
    char missing[400] = "", extra[400] = "", size[600] = "";
    int n_missing = 0, n_extra = 0, n_size = 0;
    char *seen = cpose_calloc(nn ? nn : 1, 1);
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < nn && strcmp(names[j], tab[i].name)) j++;
        if (j == nn) {
            list_add(missing, sizeof missing, &n_missing, tab[i].name);
            continue;
        }
        seen[j] = 1;
        char key[600];
        int nd;
        int64_t d[CPOSE_H5_MAX_DIMS], cnt = 1;
        cpose_ckpt_key(key, sizeof key, "raw", tab[i].name);
        if ((rc = cpose_h5_shape(f, key, &nd, d)) != CPOSE_OK) goto done;
        for (int k = 0; k < nd; k++) cnt *= d[k];
        if (cnt != (int64_t)tab[i].n) {
            char item[200];
            snprintf(item, sizeof item, "%.120s: %lld values in the file, %zu in this model", tab[i].name,
                     (long long)cnt, tab[i].n);
            list_add(size, sizeof size, &n_size, item);
        }
    }
    for (size_t j = 0; j < nn; j++)
        if (!seen[j]) list_add(extra, sizeof extra, &n_extra, names[j]);
    if (n_missing || n_extra || n_size) {
        list_more(missing, sizeof missing, n_missing);
        list_more(extra, sizeof extra, n_extra);
        list_more(size, sizeof size, n_size);
        rc = cpose_err(CPOSE_EINVAL,
                       "%s is a checkpoint of another model (%s%s%s%s%s%s%s%s%s): resume needs the model it was "
                       "trained with (its model= and data=), or start a new run",
                       file, n_size ? "different sizes: " : "", size, n_size && (n_missing || n_extra) ? "; " : "",
                       n_missing ? "tensors this model has and the file lacks: " : "", missing,
                       n_missing && n_extra ? "; " : "", n_extra ? "tensors only in the file: " : "", extra, "");
    }
done:
    cpose_free(seen);
    cpose_h5_free_strings(names, nn);
    return rc;
}

static int check_optimizer(struct cpose_h5 *f, size_t n_trainable, int optim_kind)
{
    const char *file = cpose_h5_path(f);
    if (cpose_h5_attr_exists(f, "/", "optim_kind") <= 0)
        return cpose_err(CPOSE_EINVAL, "%s holds no optimizer state, so the run cannot continue exactly: start a new "
                                       "run with pretrained=%s", file, file);
    char *kind = NULL;
    int64_t np = -1;
    size_t k = 0;
    int rc = cpose_h5_attr_read_str(f, "/", "optim_kind", &kind);
    if (!rc) rc = cpose_h5_attr_read_i64(f, "/", "optim_params", &np, 1, &k);
    if (!rc && strcmp(kind, cpose_optim_name((enum cpose_optim_kind)optim_kind)))
        rc = cpose_err(CPOSE_EINVAL, "%s was trained with optimizer %.40s, this run builds %s: resume with the "
                                     "checkpoint's own arguments (resume=True takes them from the file)",
                       file, kind, cpose_optim_name((enum cpose_optim_kind)optim_kind));
    else if (!rc && np != (int64_t)n_trainable)
        rc = cpose_err(CPOSE_EINVAL, "%s: its optimizer holds %lld parameters, this run trains %zu (another freeze= "
                                     "or another model): resume with the checkpoint's own arguments",
                       file, (long long)np, n_trainable);
    cpose_free(kind);
    return rc;
}

int cpose_ckpt_check(const char *path, const struct cpose_param *tab, size_t n, size_t n_trainable, int optim_kind,
                     const char *dataset_hash)
{
    struct cpose_h5 *f = NULL;
    struct cpose_ckpt_state st;
    cpose_ckpt_state_init(&st);
    int rc = cpose_h5_open(path, &f);
    if (!rc) rc = cpose_ckpt_read_state_h5(f, &st);
    if (!rc) rc = check_rows(f, tab, n);
    if (!rc && optim_kind >= 0) rc = check_optimizer(f, n_trainable, optim_kind);
    if (!rc && dataset_hash) {
        if (!st.dataset_hash)
            rc = cpose_err(CPOSE_EINVAL, "%s records no dataset hash, so a changed dataset could not be noticed: "
                                         "start a new run", path);
        else if (strcmp(st.dataset_hash, dataset_hash))
            rc = cpose_err(CPOSE_EINVAL,
                           "%s was trained on another version of the dataset (file list hash %.12s…, now %.12s…: "
                           "images or labels were added, removed or changed): resume needs the same files, or start a "
                           "new run with pretrained=%s",
                           path, st.dataset_hash, dataset_hash, path);
    }
    cpose_ckpt_state_free(&st);
    cpose_h5_close(f);
    return rc ? cpose_err_context(rc, "cannot resume from %s", path) : CPOSE_OK;
}

void cpose_ckpt_dataset_hash(const char *const *paths, size_t n, char out[65])
{
    unsigned long long total = 0;
    size_t len = 32;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) == 0) total += (unsigned long long)sb.st_size;
        len += strlen(paths[i]);
    }
    char *buf = cpose_malloc(len + 1);
    size_t at = (size_t)snprintf(buf, 32, "%llu", total);
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(paths[i]);
        memcpy(buf + at, paths[i], k);
        at += k;
    }
    cpose_sha256_buf(buf, at, out);
    cpose_free(buf);
}
