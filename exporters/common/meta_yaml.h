/* exporters/common/meta_yaml.h — Ultralytics' metadata dict as text: metadata.yaml beside the folder
 * formats (OpenVINO, ncnn, Paddle, TF.js, SavedModel), one `key: value` line per metadata key in
 * Ultralytics' order, each value a YAML flow value from host->meta_text; or the same keys as one JSON
 * object (the metadata.json Ultralytics zips onto a .tflite, TF.js userDefinedMetadata). */
#ifndef CPOSE_EXPORTERS_META_YAML_H
#define CPOSE_EXPORTERS_META_YAML_H

#include "plugins/cpose_plugin.h"

/* Writes <dir>/metadata.yaml atomically. Returns 0 or a status with the error recorded. */
int cpose_write_metadata_yaml(const struct cpose_host *h, struct cpose_export *x, const char *dir);

/* The metadata as text: style CPOSE_META_YAML gives the metadata.yaml lines, CPOSE_META_JSON one
 * JSON object {"key": value, ...}. Returns a h->alloc'ed string (caller frees with h->free), or NULL
 * with the error recorded. */
char *cpose_metadata_text(const struct cpose_host *h, struct cpose_export *x, int style);

#endif
