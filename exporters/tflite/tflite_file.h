/* exporters/tflite/tflite_file.h — one complete .tflite as Ultralytics leaves it (the flatbuffer of
 * the NHWC graph with the metadata zip appended) and the metadata.yaml beside it; shared by the
 * tflite and edgetpu plugins. */
#ifndef CPOSE_EXPORTERS_TFLITE_FILE_H
#define CPOSE_EXPORTERS_TFLITE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/cpose_plugin.h"

enum tflite_mode { TFLITE_FLOAT32 = 0, TFLITE_FLOAT16 = 1, TFLITE_INT8 = 2 };

/* What tflite_make produced (free with tflite_made_free). */
struct tflite_made {
    uint8_t *bytes;        /* flatbuffer + zip with metadata.json */
    size_t len;
    char *yaml;            /* metadata.yaml text */
    int n_ops, n_values;   /* of the NHWC graph */
    int n_calib;           /* int8: calibration images used */
    int tfg_kinds;         /* int8: bit k set when the graph has an op of kind k (enum tfg_op_kind) */
};

/* Builds the file for the export's view: coordinates normalised by the image size, as Ultralytics
 * ≥ 8.3 writes TFLite and Edge TPU files. TFLITE_INT8 runs host->calibrate (the plugin declares
 * `data` and `fraction`) and writes full-integer quantisation (tflite_write.h). Returns 0 or a
 * status after host->error. */
int tflite_make(const struct cpose_host *h, struct cpose_export *x, int mode, struct tflite_made *out);
void tflite_made_free(const struct cpose_host *h, struct tflite_made *m);

/* Writes made->bytes to <folder>/<stem>_<tag>.tflite and made->yaml to <folder>/metadata.yaml (the
 * folder is created), where stem is the folder's name without "_saved_model". *file (host->alloc'ed)
 * gets the .tflite path. Atomic writes; returns 0 or a status after host->error. */
int tflite_write_folder(const struct cpose_host *h, struct cpose_export *x, const char *folder, const char *tag,
                        const struct tflite_made *made, char **file);

#endif
