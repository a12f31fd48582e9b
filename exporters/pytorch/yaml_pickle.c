/* exporters/pytorch/yaml_pickle.c — YAML text to a pickled Python value (see yaml_pickle.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "exporters/pytorch/yaml_pickle.h"

static int load(const char *text, yaml_document_t *doc, char *err, size_t err_len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return snprintf(err, err_len, "out of memory"), -1;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    int ok = yaml_parser_load(&p, doc);
    if (!ok)
        snprintf(err, err_len, "%s at line %zu", p.problem ? p.problem : "not YAML", p.problem_mark.line + 1);
    yaml_parser_delete(&p);
    return ok ? 0 : -1;
}

/* A plain scalar typed as PyYAML's resolver types it. */
static void scalar(struct pklw *w, const char *s, size_t n)
{
    char buf[64];
    if (n == 0 || (n == 1 && s[0] == '~') ||
        (n == 4 && (!strncmp(s, "null", 4) || !strncmp(s, "Null", 4) || !strncmp(s, "NULL", 4)))) {
        pklw_none(w);
        return;
    }
    if (n < sizeof buf) {
        memcpy(buf, s, n), buf[n] = 0;
        if (!strcmp(buf, "true") || !strcmp(buf, "True") || !strcmp(buf, "TRUE")) return pklw_bool(w, 1);
        if (!strcmp(buf, "false") || !strcmp(buf, "False") || !strcmp(buf, "FALSE")) return pklw_bool(w, 0);
        char *end;
        const char *digits = buf + (buf[0] == '-' || buf[0] == '+');
        if (isdigit((unsigned char)*digits)) {
            long long v = strtoll(buf, &end, 10);
            if (*end == 0) return pklw_int(w, v);
        }
        if (!strcmp(digits, ".inf") || !strcmp(digits, ".Inf") || !strcmp(digits, ".INF"))
            return pklw_float(w, buf[0] == '-' ? -1.0 / 0.0 : 1.0 / 0.0);
        if (!strcmp(buf, ".nan") || !strcmp(buf, ".NaN") || !strcmp(buf, ".NAN")) return pklw_float(w, 0.0 / 0.0);
        if (isdigit((unsigned char)*digits) || (*digits == '.' && isdigit((unsigned char)digits[1]))) {
            double d = strtod(buf, &end);
            if (*end == 0 && strpbrk(buf, ".eE")) return pklw_float(w, d);
        }
    }
    pklw_strn(w, s, n);
}

static void node(struct pklw *w, yaml_document_t *doc, yaml_node_t *nd, int depth)
{
    if (!nd || depth > 64) {
        pklw_none(w);
        return;
    }
    if (nd->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)nd->data.scalar.value;
        if (nd->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) scalar(w, s, nd->data.scalar.length);
        else pklw_strn(w, s, nd->data.scalar.length);
    } else if (nd->type == YAML_SEQUENCE_NODE) {
        pklw_empty_list(w);
        if (nd->data.sequence.items.top == nd->data.sequence.items.start) return;
        pklw_mark(w);
        for (yaml_node_item_t *it = nd->data.sequence.items.start; it < nd->data.sequence.items.top; it++)
            node(w, doc, yaml_document_get_node(doc, *it), depth + 1);
        pklw_appends(w);
    } else if (nd->type == YAML_MAPPING_NODE) {
        pklw_empty_dict(w);
        if (nd->data.mapping.pairs.top == nd->data.mapping.pairs.start) return;
        pklw_mark(w);
        for (yaml_node_pair_t *pr = nd->data.mapping.pairs.start; pr < nd->data.mapping.pairs.top; pr++) {
            node(w, doc, yaml_document_get_node(doc, pr->key), depth + 1);
            node(w, doc, yaml_document_get_node(doc, pr->value), depth + 1);
        }
        pklw_setitems(w);
    } else {
        pklw_none(w);
    }
}

int yaml_pickle(struct pklw *w, const char *text, char *err, size_t err_len)
{
    yaml_document_t doc;
    if (load(text, &doc, err, err_len)) return -1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root) node(w, &doc, root, 0);
    else pklw_empty_dict(w);
    yaml_document_delete(&doc);
    return 0;
}

int yaml_has_key(const char *text, const char *key)
{
    yaml_document_t doc;
    char err[8];
    if (!text || load(text, &doc, err, sizeof err)) return 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int found = 0;
    if (root && root->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top && !found; pr++) {
            yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
            found = k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key);
        }
    yaml_document_delete(&doc);
    return found;
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
            return yaml_document_get_node(doc, pr->value);
    }
    return NULL;
}

static yaml_node_t *seq_at(yaml_document_t *doc, yaml_node_t *seq, int i)
{
    if (!seq || seq->type != YAML_SEQUENCE_NODE) return NULL;
    if (i < 0 || seq->data.sequence.items.start + i >= seq->data.sequence.items.top) return NULL;
    return yaml_document_get_node(doc, seq->data.sequence.items.start[i]);
}

static const char *scalar_text(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int yaml_layers(const char *text, struct yaml_layer **out, void *(*realloc_fn)(void *, size_t), char *err,
                size_t err_len)
{
    yaml_document_t doc;
    *out = NULL;
    if (load(text, &doc, err, err_len)) return -1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int n = 0, cap = 0, rc = 0;
    const char *parts[2] = {"backbone", "head"};
    for (int p = 0; p < 2 && !rc; p++) {
        yaml_node_t *rows = map_get(&doc, root, parts[p]);
        if (!rows || rows->type != YAML_SEQUENCE_NODE) {
            snprintf(err, err_len, "the model YAML has no '%s' list", parts[p]);
            rc = -1;
            break;
        }
        for (int i = 0; seq_at(&doc, rows, i) && !rc; i++) {
            yaml_node_t *row = seq_at(&doc, rows, i), *from = seq_at(&doc, row, 0);
            const char *mod = scalar_text(seq_at(&doc, row, 2));
            if (!from || !mod) {
                snprintf(err, err_len, "model YAML %s row %d is not [from, repeats, module, args]", parts[p], i);
                rc = -1;
                break;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                *out = realloc_fn(*out, (size_t)cap * sizeof **out);
            }
            struct yaml_layer *l = &(*out)[n++];
            memset(l, 0, sizeof *l);
            snprintf(l->module, sizeof l->module, "%s", mod);
            if (from->type == YAML_SCALAR_NODE) {
                l->n_from = 1, l->from[0] = atoi(scalar_text(from));
            } else {
                for (int k = 0; k < 8 && seq_at(&doc, from, k); k++) l->from[l->n_from++] = atoi(scalar_text(seq_at(&doc, from, k)) ? scalar_text(seq_at(&doc, from, k)) : "0");
            }
            const char *a1 = scalar_text(seq_at(&doc, seq_at(&doc, row, 3), 1));
            snprintf(l->arg1, sizeof l->arg1, "%s", a1 ? a1 : "");
        }
    }
    yaml_document_delete(&doc);
    return rc ? -1 : n;
}
