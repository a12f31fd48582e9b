/* exporters/common/torch_archive.c — tensors and storages as torch.save writes them, and the zip
 * around them (FORMATS.md §1, §2). See torch_archive.h. */
#include <math.h>
#include <string.h>

#include "exporters/common/fp16.h"
#include "exporters/common/torch_archive.h"
#include "exporters/common/zip_write.h"

void ta_init(struct torch_archive *a, const struct cpose_host *h, struct cpose_export *x)
{
    memset(a, 0, sizeof *a);
    a->h = h, a->x = x;
    pklw_init(&a->pk, h->realloc, h->free);
}

static void free_blobs(const struct cpose_host *h, struct ta_blob *b, int n)
{
    for (int i = 0; i < n; i++) h->free(b[i].name), h->free(b[i].data);
    h->free(b);
}

void ta_free(struct torch_archive *a)
{
    pklw_free(&a->pk);
    free_blobs(a->h, a->storages, a->n_storages);
    free_blobs(a->h, a->members, a->n_members);
    a->storages = a->members = NULL, a->n_storages = a->n_members = 0;
}

static struct ta_blob *add_blob(const struct cpose_host *h, struct ta_blob **v, int *n, int *cap)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = h->realloc(*v, (size_t)*cap * sizeof **v);
    }
    struct ta_blob *b = &(*v)[(*n)++];
    memset(b, 0, sizeof *b);
    return b;
}

static char *dup(const struct cpose_host *h, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = h->alloc(n);
    memcpy(p, s, n);
    return p;
}

void ta_ordered_dict(struct torch_archive *a)
{
    pklw_global(&a->pk, "collections", "OrderedDict");
    pklw_empty_tuple(&a->pk);
    pklw_reduce(&a->pk);
}

void ta_tensor(struct torch_archive *a, const float *data, int ndim, const int64_t *dims, int dtype,
               int requires_grad)
{
    const struct cpose_host *h = a->h;
    struct pklw *w = &a->pk;
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++) numel *= dims[i];
    static const char *const type_name[] = {"FloatStorage", "HalfStorage", "LongStorage"};
    static const size_t elem[] = {4, 2, 8};
    struct ta_blob *s = add_blob(h, &a->storages, &a->n_storages, &a->cap_storages);
    char key[24];
    snprintf(key, sizeof key, "%d", a->n_storages - 1);
    s->name = dup(h, key);
    s->n = (size_t)numel * elem[dtype];
    s->data = h->alloc(s->n ? s->n : 1);
    if (dtype == TA_F32) {
        memcpy(s->data, data, s->n);
    } else if (dtype == TA_F16) {
        cpose_fp16_convert(data, s->data, (size_t)numel);
    } else {
        int64_t *d = s->data;
        for (int64_t i = 0; i < numel; i++) d[i] = (int64_t)llround(data[i]);
    }

    pklw_global(w, "torch._utils", "_rebuild_tensor_v2");
    pklw_mark(w);  /* arguments */
    pklw_mark(w);  /* the persistent id */
    pklw_str(w, "storage");
    pklw_global(w, "torch", type_name[dtype]);
    pklw_str(w, key);
    pklw_str(w, "cpu");
    pklw_int(w, numel);
    pklw_tuple(w);
    pklw_binpersid(w);
    pklw_int(w, 0);
    pklw_mark(w);
    for (int i = 0; i < ndim; i++) pklw_int(w, dims[i]);
    pklw_tuple(w);
    pklw_mark(w);
    for (int i = 0; i < ndim; i++) {
        int64_t stride = 1;
        for (int j = i + 1; j < ndim; j++) stride *= dims[j];
        pklw_int(w, stride);
    }
    pklw_tuple(w);
    pklw_bool(w, requires_grad);
    ta_ordered_dict(a);  /* backward hooks */
    pklw_tuple(w);
    pklw_reduce(w);
}

void ta_parameter(struct torch_archive *a, const float *data, int ndim, const int64_t *dims, int dtype,
                  int requires_grad)
{
    pklw_global(&a->pk, "torch._utils", "_rebuild_parameter");
    ta_tensor(a, data, ndim, dims, dtype, requires_grad);
    pklw_bool(&a->pk, requires_grad);
    ta_ordered_dict(a);
    pklw_tupleN(&a->pk, 3);
    pklw_reduce(&a->pk);
}

void ta_member(struct torch_archive *a, const char *name, const void *data, size_t n)
{
    struct ta_blob *b = add_blob(a->h, &a->members, &a->n_members, &a->cap_members);
    b->name = dup(a->h, name);
    b->data = a->h->alloc(n ? n : 1);
    memcpy(b->data, data, n);
    b->n = n;
}

struct host_sink { const struct cpose_host *h; struct cpose_host_file *f; };

static int sink(void *ctx, const void *data, size_t n)
{
    struct host_sink *s = ctx;
    return s->h->file_write(s->f, data, n);
}

int ta_write(struct torch_archive *a, const char *out_path)
{
    const struct cpose_host *h = a->h;
    size_t pkl_len = 0;
    uint8_t *pkl = pklw_take(&a->pk, &pkl_len);
    if (!pkl) return h->error(a->x, CPOSE_PLUGIN_EINVAL, "pickling the archive failed: %s", a->pk.error);
    /* the folder inside the archive: the file's name without its extension */
    const char *base = strrchr(out_path, '/') ? strrchr(out_path, '/') + 1 : out_path;
    size_t stem = strcspn(base, ".");
    if (!stem) stem = strlen(base);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%.*s", (int)(stem < 200 ? stem : 200), base);

    struct host_sink s = {h, h->file_open(a->x, out_path)};
    if (!s.f) {
        h->free(pkl);
        return CPOSE_PLUGIN_EIO;
    }
    struct zip_writer z;
    zip_init(&z, sink, &s, h->realloc, h->free);
    char name[512];
    snprintf(name, sizeof name, "%s/data.pkl", prefix);
    zip_add(&z, name, pkl, pkl_len);
    h->free(pkl);
    for (int i = 0; i < a->n_storages; i++) {
        snprintf(name, sizeof name, "%s/data/%s", prefix, a->storages[i].name);
        zip_add(&z, name, a->storages[i].data, a->storages[i].n);
        if (a->n_storages > 8 && i % 16 == 0) h->progress(a->x, 0.5 + 0.5 * i / a->n_storages, "writing tensors");
    }
    for (int i = 0; i < a->n_members; i++) {
        snprintf(name, sizeof name, "%s/%s", prefix, a->members[i].name);
        zip_add(&z, name, a->members[i].data, a->members[i].n);
    }
    int rc = zip_finish(&z);
    const char *why = z.error;
    zip_free(&z);
    if (rc) {
        h->file_abort(s.f);
        return h->error(a->x, CPOSE_PLUGIN_EIO, "%s: writing the archive failed: %s", out_path, why ? why : "?");
    }
    return h->file_commit(s.f);
}
