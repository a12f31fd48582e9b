/* core/train/trainer_model.c — the one model internal the trainer needs: telling an inference model
 * that its tensors were overwritten in place (EMA copies, pretrained transfer), kept apart because
 * core/nn/model_impl.h's parameter struct shares its name with core/train/param_table.h's. */
#include "core/nn/model_impl.h"

void cpose_trainer_model_changed(struct cpose_model *m);

void cpose_trainer_model_changed(struct cpose_model *m) { cpose_model_invalidate(m); }
