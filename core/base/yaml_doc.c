/* core/base/yaml_doc.c — helpers over a loaded libyaml document (core/base/yaml_doc.h). */
#include "core/base/yaml_doc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

yaml_node_t *cpose_yaml_map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

int cpose_yaml_seq_len(const yaml_node_t *n)
{
    return n && n->type == YAML_SEQUENCE_NODE ? (int)(n->data.sequence.items.top - n->data.sequence.items.start) : -1;
}

yaml_node_t *cpose_yaml_seq_at(yaml_document_t *doc, const yaml_node_t *n, int i)
{
    return yaml_document_get_node(doc, n->data.sequence.items.start[i]);
}

const char *cpose_yaml_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int cpose_yaml_line(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

int cpose_yaml_int(const yaml_node_t *n, int64_t *v)
{
    const char *s = cpose_yaml_scalar(n);
    char *end;
    if (!s || !*s) return 0;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*end || errno) return 0;
    *v = (int64_t)x;
    return 1;
}

int cpose_yaml_number(const yaml_node_t *n, double *v)
{
    const char *s = cpose_yaml_scalar(n);
    char *end;
    if (!s || !*s) return 0;
    *v = strtod(s, &end);
    return *end == 0;
}
