/* core/nn/pt_impl.h — internals shared by the .pt import files: a tensor as the pickle describes it
 * (storage member, dtype, offset, size, stride), its conversion to float32, the state_dict walk of a
 * pickled module tree, and pickle values written as YAML text. Not a public header. */
#ifndef CPOSE_PT_IMPL_H
#define CPOSE_PT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/nn/pickle_read.h"
#include "core/nn/pt_zip.h"

#define CPOSE_PT_MAX_DIMS 8

enum cpose_pt_dtype { CPOSE_PT_F16, CPOSE_PT_BF16, CPOSE_PT_F32, CPOSE_PT_F64, CPOSE_PT_I64, CPOSE_PT_I32,
                      CPOSE_PT_U8, CPOSE_PT_BOOL };

/* One tensor of the checkpoint, not yet read: torch._utils._rebuild_tensor_v2(storage, offset, size,
 * stride, ...) with the storage's persistent id ("storage", torch.<Type>Storage, key, location, numel). */
struct cpose_pt_tensor {
    char key[512];          /* state_dict name ("model.0.conv.weight") */
    char storage[64];       /* zip member data/<storage> */
    enum cpose_pt_dtype dtype;
    int64_t storage_numel;  /* elements in the storage, from the persistent id */
    int64_t offset;         /* storage_offset, elements */
    int ndim;
    int64_t size[CPOSE_PT_MAX_DIMS], stride[CPOSE_PT_MAX_DIMS];
};

/* Decodes a tensor value (a _rebuild_tensor_v2 call, or _rebuild_parameter around one) into *t
 * (key left as is). what names the value in messages. CPOSE_EINVAL for anything else. */
int cpose_pt_tensor_decode(const char *file, const char *what, const struct cpose_pkl *v, struct cpose_pt_tensor *t);
/* Number of elements of t (product of size; 1 for a scalar). */
int64_t cpose_pt_tensor_numel(const struct cpose_pt_tensor *t);
/* Reads t's elements (in row-major order of size, honouring offset and stride) from the archive as
 * float32 into dst[numel]. A missing storage member, a storage smaller than the view or a size that
 * disagrees with the persistent id's numel is CPOSE_EINVAL naming the key. */
int cpose_pt_tensor_read(struct cpose_pt_zip *z, const struct cpose_pt_tensor *t, float *dst);

/* The state_dict of a pickled nn.Module tree: every _parameters / _buffers entry (None and
 * non-persistent buffers left out) of module and its _modules, named prefix.child.name in torch's
 * order. Appends to *out (a growing array, *n entries); CPOSE_EINVAL names the module path when a
 * node is not a pickled module or a tensor cannot be decoded. *visits counts modules walked (start
 * at 0): a pickle that shares one module many times (a DAG that would take forever to expand) is
 * refused past 100,000 modules, or past 32 levels of nesting. */
int cpose_pt_state_dict(const char *file, const struct cpose_pkl *module, const char *prefix,
                        struct cpose_pt_tensor **out, size_t *n, size_t *cap, int depth, long *visits);

/* Writes a pickle mapping (dict / OrderedDict) as a YAML block mapping: "key: value" lines, values in
 * flow style (lists/tuples as [..], dicts as {..}), strings plain when YAML reads them back as the
 * same string and double-quoted otherwise, None as null. Values that are not plain data (tensors,
 * objects) are left out and counted in *skipped (may be NULL). Returns an owned string, or NULL when
 * v is not a mapping. */
char *cpose_pt_yaml_from_map(const struct cpose_pkl *v, int *skipped);

#endif
