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

/* A stored (uncompressed) zip holding one file, to append after a flatbuffer that is `base` bytes
 * long (offsets are absolute in the combined file, as Python's zipfile writes in append mode).
 * *out is h->alloc'ed. */
void tflite_zip_one(const struct cpose_host *h, size_t base, const char *name, const void *data, size_t n,
                    uint8_t **out, size_t *len);

#endif
