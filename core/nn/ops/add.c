/* core/nn/ops/add.c — elementwise add of two tensors of the same shape and layout (y = a + b). */
#include "core/nn/ops/eltwise_impl.h"

CPOSE_BINARY_OP(add, a + b, g, g, 0);
