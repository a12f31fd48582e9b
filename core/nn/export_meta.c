/* core/nn/export_meta.c — metadata.yaml → Python-literal metadata (contract in export_meta.h). */
#include "core/nn/export_meta.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "core/base/yaml_doc.h"

static void put(struct cpose_export_meta *m, const char *key, char *take_value)
{
    m->key[m->n] = cpose_strdup(key);
    m->value[m->n++] = take_value;
}

/* A Python str literal of s (single quotes, backslash escapes). */
static char *py_str(const char *s)
{
    size_t n = strlen(s);
    char *o = cpose_malloc(2 * n + 3), *p = o;
    *p++ = '\'';
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\') *p++ = '\\';
        *p++ = *s;
    }
    *p++ = '\'';
    *p = 0;
    return o;
}

static int bad(const char *path, const yaml_node_t *n, const char *key, const char *want)
{
    return cpose_err(CPOSE_EINVAL, "%s:%d: metadata key '%s' must be %s (as Ultralytics writes metadata.yaml)", path,
                     cpose_yaml_line(n), key, want);
}

int cpose_export_meta_read(const char *path, struct cpose_export_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    if (access(path, F_OK) != 0) return CPOSE_OK;
    FILE *f = fopen(path, "rb");
    if (!f) return cpose_err(CPOSE_EIO, "%s: cannot open", path);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int ok = yaml_parser_load(&parser, &doc);
    int rc = CPOSE_OK;
    if (!ok) {
        rc = cpose_err(CPOSE_EINVAL, "%s:%zu: not valid YAML (%s)", path, parser.problem_mark.line + 1,
                       parser.problem ? parser.problem : "parse error");
        yaml_parser_delete(&parser);
        fclose(f);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type != YAML_MAPPING_NODE) rc = bad(path, root, "(document)", "a mapping of keys");
    static const char *const scalars[] = {"description", "stride", "task", "batch"};
    for (int k = 0; k < 4 && rc == CPOSE_OK && root; k++) {
        yaml_node_t *n = cpose_yaml_map_get(&doc, root, scalars[k]);
        if (!n) continue;
        const char *s = cpose_yaml_scalar(n);
        int64_t iv;
        if (!s) rc = bad(path, n, scalars[k], "a scalar");
        else if (k % 2 == 1 && !cpose_yaml_int(n, &iv)) rc = bad(path, n, scalars[k], "an integer");
        else put(meta, scalars[k], cpose_strdup(s));
    }
    static const char *const pairs[] = {"imgsz", "kpt_shape"};
    for (int k = 0; k < 2 && rc == CPOSE_OK && root; k++) {
        yaml_node_t *n = cpose_yaml_map_get(&doc, root, pairs[k]);
        if (!n) continue;
        int64_t a, b;
        if (cpose_yaml_seq_len(n) != 2 || !cpose_yaml_int(cpose_yaml_seq_at(&doc, n, 0), &a) ||
            !cpose_yaml_int(cpose_yaml_seq_at(&doc, n, 1), &b))
            rc = bad(path, n, pairs[k], "a list of two integers");
        else put(meta, pairs[k], cpose_asprintf("[%lld, %lld]", (long long)a, (long long)b));
    }
    yaml_node_t *names = root && rc == CPOSE_OK ? cpose_yaml_map_get(&doc, root, "names") : NULL;
    if (names) {
        if (names->type != YAML_MAPPING_NODE) {
            rc = bad(path, names, "names", "a mapping of class ids to names");
        } else {
            size_t cap = 64, len = 0;
            char *text = cpose_malloc(cap);
            len += (size_t)snprintf(text, cap, "{");
            int i = 0;
            for (yaml_node_pair_t *p = names->data.mapping.pairs.start; p < names->data.mapping.pairs.top; p++, i++) {
                yaml_node_t *kn = yaml_document_get_node(&doc, p->key), *vn = yaml_document_get_node(&doc, p->value);
                int64_t id;
                if (!cpose_yaml_int(kn, &id) || !cpose_yaml_scalar(vn)) {
                    rc = bad(path, kn, "names", "a mapping of integer class ids to names");
                    break;
                }
                char *q = py_str(cpose_yaml_scalar(vn));
                char *item = cpose_asprintf("%s%lld: %s", i ? ", " : "", (long long)id, q);
                cpose_free(q);
                size_t il = strlen(item);
                if (len + il + 2 > cap) cap = (len + il + 2) * 2, text = cpose_realloc(text, cap);
                memcpy(text + len, item, il + 1);
                len += il;
                cpose_free(item);
            }
            memcpy(text + len, "}", 2);
            if (rc == CPOSE_OK) put(meta, "names", text);
            else cpose_free(text);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    if (rc) cpose_export_meta_clear(meta);
    return rc;
}

void cpose_export_meta_clear(struct cpose_export_meta *meta)
{
    for (int k = 0; k < meta->n; k++) cpose_free(meta->key[k]), cpose_free(meta->value[k]);
    memset(meta, 0, sizeof *meta);
}
