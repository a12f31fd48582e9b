/* exporters/common/fp16.h — float32 → IEEE 754 half conversion (round to nearest even), shared by
 * the exporters that store fp16 weights (ONNX half=True, OpenVINO, CoreML, TFLite, ncnn). */
#ifndef CPOSE_EXPORTERS_FP16_H
#define CPOSE_EXPORTERS_FP16_H

#include <stddef.h>
#include <stdint.h>

/* One value: overflow → ±inf, NaN stays NaN, tiny values become subnormals or ±0. */
uint16_t cpose_fp16_from_f32(float f);
/* The exact float value of a half (for tests and readers). */
float cpose_fp16_to_f32(uint16_t h);
/* n values, src to dst (little-endian uint16 on this host). */
void cpose_fp16_convert(const float *src, uint16_t *dst, size_t n);

#endif
