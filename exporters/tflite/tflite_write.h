/* exporters/tflite/tflite_write.h — the NHWC TF graph (exporters/tf/tf_nhwc.h) as a TFLite
 * FlatBuffers model (schema version 3, identifier "TFL3"), and the metadata zip Ultralytics appends
 * to a .tflite. Field numbers, builtin codes and option tables follow TFLite's schema (FORMATS.md §9). */
#ifndef CPOSE_EXPORTERS_TFLITE_WRITE_H
#define CPOSE_EXPORTERS_TFLITE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "exporters/tf/tf_nhwc.h"

/* Serialises g: one subgraph "main" (input "images" NHWC float32, output "output0" float32),
 * buffers[0] the empty sentinel, constants 16-byte aligned, both op-code fields written. half = 1
 * stores every float constant as FLOAT16 behind a DEQUANTIZE to float32 (what the TFLite converter's
 * float16 quantisation writes). *out is g->h->alloc'ed. Returns 0 or a status after g->h->error. */
int tflite_serialize(const struct tfg_graph *g, int half, const char *description, uint8_t **out, size_t *len);

/* Affine int8 parameters of a tensor: real = scale · (q − zero_point). */
struct tflite_qparams {
    float scale;
    int32_t zero_point;
};

/* The int8 parameters covering [lo, hi] widened to contain 0 (so real 0 is exact): scale =
 * (hi − lo)/255, zero point −128 − lo/scale rounded into [−128, 127]. */
struct tflite_qparams tflite_qparams_of(float lo, float hi);

/* Full-integer serialisation of g: act[i] (per value; read for activations only) gives every
 * activation's int8 parameters. The file's input "images" stays float32 and goes through QUANTIZE
 * (→ act[g->input]); the output "output0" is float32 after a DEQUANTIZE of the int8 result. Conv
 * filters are int8 per output channel (symmetric, zero point 0, quantized_dimension 0), conv biases
 * int32 with scale act[conv input].scale × filter scale and zero point 0, other constants int8 per
 * tensor from their own min/max. Op versions are those of the int8 kernels (CONV_2D 3, RESHAPE 1,
 * the rest 2). Returns 0 or a status after g->h->error. */
int tflite_serialize_int8(const struct tfg_graph *g, const struct tflite_qparams *act, const char *description,
                          uint8_t **out, size_t *len);

/* A stored (uncompressed) zip holding one file, to append after a flatbuffer that is `base` bytes
 * long (offsets are absolute in the combined file, as Python's zipfile writes in append mode).
 * *out is h->alloc'ed. */
void tflite_zip_one(const struct cpose_host *h, size_t base, const char *name, const void *data, size_t n,
                    uint8_t **out, size_t *len);

#endif
