/* core/nn/ops/sub.c — elementwise sub of two tensors of the same shape and layout (y = a - b). */
#include "core/nn/ops/eltwise_impl.h"

CPOSE_BINARY_OP(sub, a - b, g, -g, 0);
