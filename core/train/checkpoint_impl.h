/* core/train/checkpoint_impl.h — internals shared by the checkpoint files (checkpoint.c writes and
 * restores, checkpoint_check.c validates). Not a public header. */
#ifndef CPOSE_TRAIN_CHECKPOINT_IMPL_H
#define CPOSE_TRAIN_CHECKPOINT_IMPL_H

#include <stddef.h>

#include "core/train/checkpoint.h"

struct cpose_h5;

/* "/<group>/<name>" into buf (group may hold a slash: "optimizer/s1"). */
void cpose_ckpt_key(char *buf, size_t cap, const char *group, const char *name);
/* cpose_ckpt_read_state on an open file (version checked; weights-only files refused). */
int cpose_ckpt_read_state_h5(struct cpose_h5 *f, struct cpose_ckpt_state *st);

#endif
