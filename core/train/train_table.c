/* core/train/train_table.c — the optimizer/EMA table from the train executor's parameters and the
 * model's state_dict (kept apart from train_exec.c, whose model internals name another struct
 * cpose_param). */
#include "core/train/train_table.h"

#include "core/base/alloc.h"

#include <string.h>

int cpose_train_exec_table(struct cpose_train_exec *ex, const struct cpose_model *m, struct cpose_param **out, size_t *n,
                           size_t *n_trainable)
{
    int nt, nm = cpose_model_num_tensors(m);
    struct cpose_train_param *tp = cpose_train_exec_params(ex, &nt);
    struct cpose_param *t = cpose_calloc(nm + nt + 1, sizeof *t);
    size_t k = 0;
    for (int i = 0; i < nt; i++)
        t[k++] = (struct cpose_param){.name = tp[i].name, .data = tp[i].data, .grad = tp[i].grad, .n = tp[i].n,
                                      .group = (enum cpose_param_group)tp[i].group};
    *n_trainable = k;
    for (int i = 0; i < nm; i++) {
        const char *name;
        int ndim;
        const int64_t *dims;
        float *data;
        cpose_model_tensor(m, i, &name, &ndim, &dims, &data);
        size_t len = strlen(name), cnt = 1;
        if (len >= 19 && !strcmp(name + len - 19, "num_batches_tracked")) continue;
        int trainable = 0;
        for (int j = 0; j < nt && !trainable; j++) trainable = tp[j].data == data;
        if (trainable) continue;
        for (int d = 0; d < ndim; d++) cnt *= (size_t)dims[d];
        enum cpose_param_group g = cpose_param_group_of(name);
        t[k++] = (struct cpose_param){.name = name, .data = data, .grad = NULL, .n = cnt,
                                      .group = g == CPOSE_PGROUP_BUFFER ? g : CPOSE_PGROUP_WEIGHT};
    }
    *out = t;
    *n = k;
    return CPOSE_OK;
}
