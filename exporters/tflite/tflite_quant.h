/* exporters/tflite/tflite_quant.h — int8 parameters for every activation of the NHWC TF graph from
 * the host's calibration ranges (host->calibrate: min/max per view value). */
#ifndef CPOSE_EXPORTERS_TFLITE_QUANT_H
#define CPOSE_EXPORTERS_TFLITE_QUANT_H

#include "exporters/tf/tf_nhwc.h"
#include "exporters/tflite/tflite_write.h"

/* Fills act[i] (g->n_values entries) for every activation value of g:
 *   - a value that carries a view node's name takes that node's range (tflite_qparams_of);
 *   - LOGISTIC and SOFTMAX outputs are fixed at scale 1/256, zero point −128 (TFLite's int8 kernels
 *     require it);
 *   - RESHAPE, TRANSPOSE, SLICE, PAD, MAX_POOL_2D and RESIZE_NEAREST_NEIGHBOR outputs repeat their
 *     input's parameters (they move bytes; TFLite requires equal parameters);
 *   - any other value (the coordinate normalisation at the output) gets the interval arithmetic of
 *     its op over its inputs' ranges.
 * Returns 0, or a status after g->h->error naming the op without an int8 form (DIV). */
int tflite_int8_params(const struct tfg_graph *g, const struct cpose_view *v, const struct cpose_value_range *ranges,
                       struct tflite_qparams *act);

#endif
