/* exporters/pytorch/yaml_pickle.h — a YAML document (libyaml) pickled as the Python value PyYAML's
 * safe loader gives (what Ultralytics stores for a model's `yaml` and a checkpoint's `train_args`):
 * mappings → dict, sequences → list, plain scalars → None (null, ~, empty), bool (true/false in
 * any case), int, float (with a dot, an exponent, .inf or .nan), else str; quoted scalars → str. */
#ifndef CPOSE_EXPORTERS_YAML_PICKLE_H
#define CPOSE_EXPORTERS_YAML_PICKLE_H

#include <stddef.h>

#include "exporters/common/pickle_write.h"

/* Pushes the document's root value onto w's stack. Returns 0, or -1 with a message in err (what
 * and the line) when the text is not YAML. An empty document pushes an empty dict. */
int yaml_pickle(struct pklw *w, const char *text, char *err, size_t err_len);
/* 1 when the text's root is a mapping holding key. */
int yaml_has_key(const char *text, const char *key);

/* One row [from, repeats, module, args] of a model YAML's backbone + head. */
struct yaml_layer {
    int n_from;
    int from[8];
    char module[48];     /* "Conv", "C2f", "nn.Upsample", "Pose", ... */
    char arg1[32];       /* args[1] as text ("True", "5", "2"), "" when absent */
};
/* The rows of backbone then head, into *out (malloc'ed by realloc_fn); returns the count, or -1
 * with a message in err. */
int yaml_layers(const char *text, struct yaml_layer **out, void *(*realloc_fn)(void *, size_t), char *err,
                size_t err_len);

#endif
