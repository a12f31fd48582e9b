/* core/nn/pt_yaml.c — pickle values as YAML text: the model dict of a .pt checkpoint (`yaml`) becomes
 * the model YAML the builder reads, and its `train_args` dict the training-arguments text a model
 * carries (core/nn/model_train_args.c). See core/nn/pt_impl.h. */
#include "core/nn/pt_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base/alloc.h"

struct sbuf {
    char *s;
    size_t n, cap;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        while (b->n + n + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 256;
        b->s = cpose_realloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void puts_(struct sbuf *b, const char *s) { put(b, s, strlen(s)); }

/* A string YAML reads back as the same string when written plain: identifier-like text that is not
 * a YAML 1.1 bool/null/number spelling. "None" stays plain: Ultralytics' model YAMLs write it so. */
static int plain_ok(const char *s, size_t n)
{
    static const char *const reserved[] = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", NULL};
    if (n == 0 || strlen(s) != n) return 0;
    if (!isalpha((unsigned char)s[0]) && s[0] != '_' && s[0] != '/') return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-/", s[i])) return 0;
    for (int i = 0; reserved[i]; i++)
        if (!strcasecmp(s, reserved[i])) return 0;
    return 1;
}

static void put_string(struct sbuf *b, const char *s, size_t n)
{
    if (plain_ok(s, n)) {
        put(b, s, n);
        return;
    }
    puts_(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') esc[0] = '\\', esc[1] = (char)c, esc[2] = 0;
        else if (c < 0x20 || c == 0x7f) snprintf(esc, sizeof esc, "\\x%02x", c);
        else esc[0] = (char)c, esc[1] = 0;
        puts_(b, esc);
    }
    puts_(b, "\"");
}

/* Writes v in flow style; 0 when v (or something inside it) is not plain data. */
static int put_value(struct sbuf *b, const struct cpose_pkl *v, int depth)
{
    char num[64];
    /* shared sub-lists can make a small pickle expand without bound: stop at 4 MB of text */
    if (depth > 16 || b->n > ((size_t)4 << 20)) return 0;
    switch (v->kind) {
    case CPOSE_PKL_NONE: puts_(b, "null"); return 1;
    case CPOSE_PKL_BOOL: puts_(b, v->i ? "true" : "false"); return 1;
    case CPOSE_PKL_INT: snprintf(num, sizeof num, "%lld", (long long)v->i), puts_(b, num); return 1;
    case CPOSE_PKL_FLOAT:
        if (isnan(v->f)) puts_(b, ".nan");
        else if (isinf(v->f)) puts_(b, v->f > 0 ? ".inf" : "-.inf");
        else {
            /* the shortest of %.15g..%.17g that reads back exactly */
            for (int prec = 15; prec <= 17; prec++) {
                snprintf(num, sizeof num, "%.*g", prec, v->f);
                if (strtod(num, NULL) == v->f) break;
            }
            /* a float must read back as one: 1 → 1.0 */
            if (!strpbrk(num, ".eE")) strcat(num, ".0");
            puts_(b, num);
        }
        return 1;
    case CPOSE_PKL_STR: put_string(b, v->s, v->len); return 1;
    case CPOSE_PKL_TUPLE:
    case CPOSE_PKL_LIST:
        puts_(b, "[");
        for (size_t i = 0; i < v->n; i++) {
            if (i) puts_(b, ", ");
            if (!put_value(b, v->items[i], depth + 1)) return 0;
        }
        puts_(b, "]");
        return 1;
    case CPOSE_PKL_DICT:
        puts_(b, "{");
        for (size_t i = 0; i < cpose_pkl_map_len(v); i++) {
            if (i) puts_(b, ", ");
            if (!put_value(b, cpose_pkl_map_key(v, i), depth + 1)) return 0;
            puts_(b, ": ");
            if (!put_value(b, cpose_pkl_map_val(v, i), depth + 1)) return 0;
        }
        puts_(b, "}");
        return 1;
    default:
        return 0;
    }
}

char *cpose_pt_yaml_from_map(const struct cpose_pkl *v, int *skipped)
{
    if (skipped) *skipped = 0;
    if (!v || !(v->kind == CPOSE_PKL_DICT || (v->kind == CPOSE_PKL_CALL && v->dict_items))) return NULL;
    struct sbuf out = {0}, line = {0};
    puts_(&out, "");
    for (size_t i = 0; i < cpose_pkl_map_len(v); i++) {
        line.n = 0;
        if (line.s) line.s[0] = 0;
        const struct cpose_pkl *k = cpose_pkl_map_key(v, i);
        if ((k->kind != CPOSE_PKL_STR && k->kind != CPOSE_PKL_INT) || !put_value(&line, k, 0) ||
            (puts_(&line, ": "), !put_value(&line, cpose_pkl_map_val(v, i), 0))) {
            if (skipped) (*skipped)++;
            continue;
        }
        puts_(&line, "\n");
        put(&out, line.s, line.n);
    }
    cpose_free(line.s);
    return out.s;
}
