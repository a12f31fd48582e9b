/* core/nn/model_train_args.c — the training arguments a model's weights carry (Ultralytics'
 * `train_args`, kept as YAML text): getter, setter, and the imgsz they give the model's info, which
 * val/predict/export use when imgsz= is not given. */
#include <string.h>
#include <yaml.h>

#include "core/base/alloc.h"
#include "core/base/yaml_doc.h"
#include "core/nn/model_impl.h"

/* Parses text as a YAML document; 1 with *doc loaded (caller deletes it) when its root is a mapping. */
static int load_mapping(const char *text, yaml_document_t *doc)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return 0;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    int ok = yaml_parser_load(&parser, doc);
    yaml_parser_delete(&parser);
    if (!ok) return 0;
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        yaml_document_delete(doc);
        return 0;
    }
    return 1;
}

int cpose_train_args_imgsz(const char *yaml_text)
{
    yaml_document_t doc;
    if (!yaml_text || !*yaml_text || !load_mapping(yaml_text, &doc)) return 0;
    yaml_node_t *v = cpose_yaml_map_get(&doc, yaml_document_get_root_node(&doc), "imgsz");
    int64_t best = 0, x;
    if (v && v->type == YAML_SEQUENCE_NODE) { /* [h, w]: the longer side, as a square letterbox target */
        for (int i = 0; i < cpose_yaml_seq_len(v); i++)
            if (cpose_yaml_int(cpose_yaml_seq_at(&doc, v, i), &x) && x > best) best = x;
    } else if (cpose_yaml_int(v, &x)) {
        best = x;
    }
    yaml_document_delete(&doc);
    return best >= 1 && best <= 65536 ? (int)best : 0;
}

const char *cpose_model_train_args(const struct cpose_model *m)
{
    return m ? m->train_args_yaml : NULL;
}

int cpose_model_set_train_args(struct cpose_model *m, const char *yaml_text)
{
    if (yaml_text && *yaml_text) {
        yaml_document_t doc;
        if (!load_mapping(yaml_text, &doc))
            return cpose_err(CPOSE_EINVAL, "training arguments are not a YAML mapping (key: value lines): \"%.60s\"",
                             yaml_text);
        yaml_document_delete(&doc);
    }
    cpose_free(m->train_args_yaml);
    m->train_args_yaml = yaml_text && *yaml_text ? cpose_strdup(yaml_text) : NULL;
    m->info.imgsz = cpose_train_args_imgsz(m->train_args_yaml);
    return CPOSE_OK;
}
