/* exporters/common/pickle_write.c — pickle protocol-2 opcodes (values from Python's pickletools
 * documentation). See pickle_write.h. */
#include <string.h>

#include "exporters/common/pickle_write.h"

static int fail(struct pklw *w, const char *what)
{
    if (!w->failed) w->failed = 1, w->error = what;
    return -1;
}

static void put(struct pklw *w, const void *data, size_t n)
{
    if (w->failed) return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n) cap *= 2;
        uint8_t *p = w->realloc_fn(w->p, cap);
        if (!p) {
            fail(w, "out of memory");
            return;
        }
        w->p = p, w->cap = cap;
    }
    memcpy(w->p + w->len, data, n);
    w->len += n;
}

static void op(struct pklw *w, uint8_t code) { put(w, &code, 1); }

static void op_u32(struct pklw *w, uint8_t code, uint32_t v)
{
    uint8_t b[5] = {code, (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, b, 5);
}

void pklw_init(struct pklw *w, void *(*realloc_fn)(void *, size_t), void (*free_fn)(void *))
{
    memset(w, 0, sizeof *w);
    w->realloc_fn = realloc_fn, w->free_fn = free_fn;
}

void pklw_free(struct pklw *w)
{
    w->free_fn(w->p);
    for (int i = 0; i < w->n_globals; i++) w->free_fn(w->global_name[i]);
    w->p = NULL, w->len = w->cap = 0, w->n_globals = 0;
}

uint8_t *pklw_take(struct pklw *w, size_t *n)
{
    uint8_t *p = w->failed ? NULL : w->p;
    *n = p ? w->len : 0;
    if (!p) w->free_fn(w->p);
    w->p = NULL;
    pklw_free(w);
    return p;
}

void pklw_proto(struct pklw *w) { put(w, (const uint8_t[]){0x80, 2}, 2); }
void pklw_stop(struct pklw *w) { op(w, '.'); }
void pklw_none(struct pklw *w) { op(w, 'N'); }
void pklw_bool(struct pklw *w, int v) { op(w, v ? 0x88 : 0x89); }

void pklw_int(struct pklw *w, int64_t v)
{
    if (v >= 0 && v <= 0xff) {
        put(w, (const uint8_t[]){'K', (uint8_t)v}, 2);
    } else if (v >= 0 && v <= 0xffff) {
        put(w, (const uint8_t[]){'M', (uint8_t)v, (uint8_t)(v >> 8)}, 3);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        op_u32(w, 'J', (uint32_t)(int32_t)v);
    } else { /* LONG1: little-endian two's complement, 8 bytes always suffice */
        uint8_t b[10] = {0x8a, 8};
        for (int i = 0; i < 8; i++) b[2 + i] = (uint8_t)((uint64_t)v >> (8 * i));
        put(w, b, 10);
    }
}

void pklw_float(struct pklw *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    uint8_t b[9] = {'G'};
    for (int i = 0; i < 8; i++) b[1 + i] = (uint8_t)(u >> (56 - 8 * i)); /* big-endian */
    put(w, b, 9);
}

void pklw_strn(struct pklw *w, const char *s, size_t n)
{
    if (n > 0xffffffffu) {
        fail(w, "string longer than 4 GiB");
        return;
    }
    op_u32(w, 'X', (uint32_t)n);
    put(w, s, n);
}
void pklw_str(struct pklw *w, const char *s) { pklw_strn(w, s, strlen(s)); }

void pklw_mark(struct pklw *w) { op(w, '('); }
void pklw_empty_tuple(struct pklw *w) { op(w, ')'); }
void pklw_empty_list(struct pklw *w) { op(w, ']'); }
void pklw_empty_dict(struct pklw *w) { op(w, '}'); }
void pklw_tuple(struct pklw *w) { op(w, 't'); }
void pklw_tupleN(struct pklw *w, int n)
{
    if (n < 1 || n > 3) {
        fail(w, "pklw_tupleN takes 1 to 3 items");
        return;
    }
    op(w, (uint8_t)(0x84 + n)); /* TUPLE1 0x85, TUPLE2 0x86, TUPLE3 0x87 */
}
void pklw_appends(struct pklw *w) { op(w, 'e'); }
void pklw_setitems(struct pklw *w) { op(w, 'u'); }
void pklw_setitem(struct pklw *w) { op(w, 's'); }
void pklw_reduce(struct pklw *w) { op(w, 'R'); }
void pklw_build(struct pklw *w) { op(w, 'b'); }
void pklw_newobj(struct pklw *w) { op(w, 0x81); }
void pklw_binpersid(struct pklw *w) { op(w, 'Q'); }

uint32_t pklw_memoize(struct pklw *w)
{
    uint32_t i = w->next_memo++;
    if (i <= 0xff) put(w, (const uint8_t[]){'q', (uint8_t)i}, 2);
    else op_u32(w, 'r', i);
    return i;
}

void pklw_get(struct pklw *w, uint32_t i)
{
    if (i <= 0xff) put(w, (const uint8_t[]){'h', (uint8_t)i}, 2);
    else op_u32(w, 'j', i);
}

void pklw_global(struct pklw *w, const char *module, const char *name)
{
    if (w->failed) return;
    size_t a = strlen(module), b = strlen(name);
    for (int i = 0; i < w->n_globals; i++) {
        const char *g = w->global_name[i];
        if (strncmp(g, module, a) == 0 && g[a] == '\n' && strcmp(g + a + 1, name) == 0) {
            pklw_get(w, w->global_memo[i]);
            return;
        }
    }
    if (w->n_globals == PKLW_MAX_GLOBALS) {
        fail(w, "more distinct globals than PKLW_MAX_GLOBALS");
        return;
    }
    char *g = w->realloc_fn(NULL, a + b + 2);
    if (!g) {
        fail(w, "out of memory");
        return;
    }
    memcpy(g, module, a), g[a] = '\n', memcpy(g + a + 1, name, b + 1);
    op(w, 'c');
    put(w, module, a), op(w, '\n'), put(w, name, b), op(w, '\n');
    w->global_name[w->n_globals] = g;
    w->global_memo[w->n_globals++] = pklw_memoize(w);
}
