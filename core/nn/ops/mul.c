/* core/nn/ops/mul.c — elementwise mul of two tensors of the same shape and layout (y = a * b). */
#include "core/nn/ops/eltwise_impl.h"

CPOSE_BINARY_OP(mul, a * b, g * b, g * a, CPOSE_BWD_ALL_IN);
