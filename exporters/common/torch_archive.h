/* exporters/common/torch_archive.h — what the .pt and TorchScript writers share: tensors pickled as
 * torch.save pickles them (torch._utils._rebuild_tensor_v2 on a persistent storage id
 * ("storage", torch.<Type>Storage, "<key>", "cpu", numel), Parameters through _rebuild_parameter),
 * their storages collected as data/<key>, and the archive written as a stored zip whose members all
 * sit under one folder named after the file (<stem>/data.pkl, <stem>/data/0, ..., <stem>/version),
 * 64-byte aligned, through the host's atomic file functions.
 *
 *     struct torch_archive a;
 *     ta_init(&a, h, x);
 *     pklw_proto(&a.pk); ... ta_tensor(&a, w, 4, dims, TA_F16, 0); ... pklw_stop(&a.pk);
 *     ta_member(&a, "version", "3\n", 2);
 *     rc = ta_write(&a, out_path);   // data.pkl first, then data/<key>, then the other members
 *     ta_free(&a);
 */
#ifndef CPOSE_EXPORTERS_TORCH_ARCHIVE_H
#define CPOSE_EXPORTERS_TORCH_ARCHIVE_H

#include "exporters/common/pickle_write.h"
#include "plugins/cpose_plugin.h"

enum ta_dtype { TA_F32, TA_F16, TA_I64 };

struct ta_blob { char *name; void *data; size_t n; };

struct torch_archive {
    const struct cpose_host *h;
    struct cpose_export *x;
    struct pklw pk;             /* data.pkl, written by the caller (and ta_tensor) */
    struct ta_blob *storages;   /* data/<index> */
    int n_storages, cap_storages;
    struct ta_blob *members;    /* other members, by name under the folder */
    int n_members, cap_members;
};

void ta_init(struct torch_archive *a, const struct cpose_host *h, struct cpose_export *x);
void ta_free(struct torch_archive *a);
/* Pickles a tensor (contiguous, row-major) from float32 values stored as dtype (TA_I64 rounds each
 * value to an integer) into a new storage. ndim 0 is a scalar tensor. */
void ta_tensor(struct torch_archive *a, const float *data, int ndim, const int64_t *dims, int dtype,
               int requires_grad);
/* The same wrapped as torch.nn.Parameter (torch._utils._rebuild_parameter). */
void ta_parameter(struct torch_archive *a, const float *data, int ndim, const int64_t *dims, int dtype,
                  int requires_grad);
/* An empty OrderedDict (collections.OrderedDict()). */
void ta_ordered_dict(struct torch_archive *a);
/* Adds a member (copied) written after data.pkl and the storages: "version", "constants.pkl", ... */
void ta_member(struct torch_archive *a, const char *name, const void *data, size_t n);
/* Writes the archive to out_path atomically; returns 0 or a negative status with the error recorded. */
int ta_write(struct torch_archive *a, const char *out_path);

#endif
