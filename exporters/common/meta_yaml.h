/* exporters/common/meta_yaml.h — metadata.yaml as Ultralytics writes it beside the folder formats
 * (OpenVINO, ncnn, Paddle, TF.js, SavedModel): one `key: value` line per metadata key, in
 * Ultralytics' order, each value a YAML flow value from host->meta_text. */
#ifndef CPOSE_EXPORTERS_META_YAML_H
#define CPOSE_EXPORTERS_META_YAML_H

#include "plugins/cpose_plugin.h"

/* Writes <dir>/metadata.yaml atomically. Returns 0 or a status with the error recorded. */
int cpose_write_metadata_yaml(const struct cpose_host *h, struct cpose_export *x, const char *dir);

#endif
