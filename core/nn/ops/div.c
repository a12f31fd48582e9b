/* core/nn/ops/div.c — elementwise div of two tensors of the same shape and layout (y = a / b). */
#include "core/nn/ops/eltwise_impl.h"

CPOSE_BINARY_OP(div, a / b, g / b, -g * a / (b * b), CPOSE_BWD_ALL_IN);
