/* core/base/yaml_doc.h — the one set of helpers over a loaded libyaml document, shared by the model
 * builder (core/nn/model_build.c) and the dataset reader (datasets/dataset.c): mapping lookup,
 * sequence access, scalars, source lines, and strict number parsing. */
#ifndef CPOSE_YAML_DOC_H
#define CPOSE_YAML_DOC_H

#include <stdint.h>
#include <yaml.h>

#include "core/base/status.h"

/* The value of key in a mapping node, or NULL (map NULL or not a mapping, key absent). */
CPOSE_API yaml_node_t *cpose_yaml_map_get(yaml_document_t *doc, yaml_node_t *map, const char *key);
/* Number of items of a sequence node; -1 when n is NULL or not a sequence. */
CPOSE_API int cpose_yaml_seq_len(const yaml_node_t *n);
/* Item i of a sequence node (0 <= i < cpose_yaml_seq_len(n)). */
CPOSE_API yaml_node_t *cpose_yaml_seq_at(yaml_document_t *doc, const yaml_node_t *n, int i);
/* The text of a scalar node, or NULL when n is NULL or not a scalar. */
CPOSE_API const char *cpose_yaml_scalar(const yaml_node_t *n);
/* The 1-based source line of n (0 for NULL), for messages. */
CPOSE_API int cpose_yaml_line(const yaml_node_t *n);
/* Parses a scalar that is a whole base-10 integer in range into *v; returns 1, else 0 (*v unspecified). */
CPOSE_API int cpose_yaml_int(const yaml_node_t *n, int64_t *v);
/* Parses a scalar that is a whole number (strtod syntax) into *v; returns 1, else 0. */
CPOSE_API int cpose_yaml_number(const yaml_node_t *n, double *v);

#endif
