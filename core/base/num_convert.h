/* core/base/num_convert.h — float-to-integer conversions defined for every input. A plain C cast of a
 * float outside the target type's range (or of NaN) is undefined behaviour; model importers read
 * floats from files they do not trust (fuzz_coreml_import found a weight float of 1.4e34 cast to
 * int64_t), so they convert through these. */
#ifndef CPOSE_BASE_NUM_CONVERT_H
#define CPOSE_BASE_NUM_CONVERT_H

#include <stdint.h>

/* f truncated toward zero; saturated to INT64_MIN / INT64_MAX outside int64's range; 0 for NaN. */
static inline int64_t cpose_float_to_i64(float f)
{
    if (!(f == f)) return 0;
    if (f >= 9.2233720368547758e18f) return INT64_MAX; /* 2^63, exact in float */
    if (f <= -9.2233720368547758e18f) return INT64_MIN;
    return (int64_t)f;
}

/* f truncated toward zero; saturated to INT32_MIN / INT32_MAX outside int32's range; 0 for NaN. */
static inline int32_t cpose_float_to_i32(float f)
{
    if (!(f == f)) return 0;
    if (f >= 2147483648.0f) return INT32_MAX;
    if (f <= -2147483648.0f) return INT32_MIN;
    return (int32_t)f;
}

#endif
