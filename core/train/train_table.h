/* core/train/train_table.h — the optimizer/EMA parameter table (param_table.h) of a model being
 * trained by the train executor. */
#ifndef CPOSE_TRAIN_TABLE_H
#define CPOSE_TRAIN_TABLE_H

#include "core/train/param_table.h"
#include "core/train/train_exec.h"

/* Every floating-point state_dict entry of m (num_batches_tracked counters left out) as rows of a
 * cpose_param table: first the *n_trainable parameters that have a gradient (in the executor's
 * table order, gradients pointing into ex), then the rest (the frozen DFL weight, grad NULL, group
 * WEIGHT; batchnorm running statistics, group BUFFER). The optimizer takes the first *n_trainable
 * rows, the EMA all *n. *out is cpose_malloc'ed (caller frees); it borrows names and data. */
CPOSE_API int cpose_train_exec_table(struct cpose_train_exec *ex, const struct cpose_model *m, struct cpose_param **out,
                                     size_t *n, size_t *n_trainable);

#endif
