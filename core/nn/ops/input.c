/* core/nn/ops/input.c — the graph's input node: the executor fills it; it has no forward of its own. */
#include "core/nn/graph.h"

const struct cpose_op_def cpose_op_input = {.name = "input", .n_inputs = 0};
