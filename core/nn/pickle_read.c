/* core/nn/pickle_read.c — the pickle reader of core/nn/pickle_read.h: an opcode table (name + whether
 * torch.save's pickler emits it), a value stack with marks, the memo, and node construction. Nothing
 * is ever looked up or called: globals stay names. */
#include "core/nn/pickle_read.h"

#include <string.h>

#include "core/base/alloc.h"

/* Every opcode of pickle protocols 0–5 by byte, so that a refused one is named. allowed = emitted by
 * Python's pickler for the objects torch.save writes (protocols 2–5, no out-of-band buffers). */
struct opinfo {
    const char *name;
    int allowed;
};

static struct opinfo op_info(uint8_t op)
{
    switch (op) {
    case '(': return (struct opinfo){"MARK", 1};
    case '.': return (struct opinfo){"STOP", 1};
    case '0': return (struct opinfo){"POP", 1};
    case '1': return (struct opinfo){"POP_MARK", 1};
    case '2': return (struct opinfo){"DUP", 0};
    case 'F': return (struct opinfo){"FLOAT", 0};
    case 'I': return (struct opinfo){"INT", 0};
    case 'J': return (struct opinfo){"BININT", 1};
    case 'K': return (struct opinfo){"BININT1", 1};
    case 'L': return (struct opinfo){"LONG", 0};
    case 'M': return (struct opinfo){"BININT2", 1};
    case 'N': return (struct opinfo){"NONE", 1};
    case 'P': return (struct opinfo){"PERSID", 0};
    case 'Q': return (struct opinfo){"BINPERSID", 1};
    case 'R': return (struct opinfo){"REDUCE", 1};
    case 'S': return (struct opinfo){"STRING", 0};
    case 'T': return (struct opinfo){"BINSTRING", 0};
    case 'U': return (struct opinfo){"SHORT_BINSTRING", 0};
    case 'V': return (struct opinfo){"UNICODE", 0};
    case 'X': return (struct opinfo){"BINUNICODE", 1};
    case 'a': return (struct opinfo){"APPEND", 1};
    case 'b': return (struct opinfo){"BUILD", 1};
    case 'c': return (struct opinfo){"GLOBAL", 1};
    case 'd': return (struct opinfo){"DICT", 0};
    case '}': return (struct opinfo){"EMPTY_DICT", 1};
    case 'e': return (struct opinfo){"APPENDS", 1};
    case 'g': return (struct opinfo){"GET", 0};
    case 'h': return (struct opinfo){"BINGET", 1};
    case 'i': return (struct opinfo){"INST", 0};
    case 'j': return (struct opinfo){"LONG_BINGET", 1};
    case 'l': return (struct opinfo){"LIST", 0};
    case ']': return (struct opinfo){"EMPTY_LIST", 1};
    case 'o': return (struct opinfo){"OBJ", 0};
    case 'p': return (struct opinfo){"PUT", 0};
    case 'q': return (struct opinfo){"BINPUT", 1};
    case 'r': return (struct opinfo){"LONG_BINPUT", 1};
    case 's': return (struct opinfo){"SETITEM", 1};
    case 't': return (struct opinfo){"TUPLE", 1};
    case ')': return (struct opinfo){"EMPTY_TUPLE", 1};
    case 'u': return (struct opinfo){"SETITEMS", 1};
    case 'G': return (struct opinfo){"BINFLOAT", 1};
    case 'B': return (struct opinfo){"BINBYTES", 1};
    case 'C': return (struct opinfo){"SHORT_BINBYTES", 1};
    case 0x80: return (struct opinfo){"PROTO", 1};
    case 0x81: return (struct opinfo){"NEWOBJ", 1};
    case 0x82: return (struct opinfo){"EXT1", 0};
    case 0x83: return (struct opinfo){"EXT2", 0};
    case 0x84: return (struct opinfo){"EXT4", 0};
    case 0x85: return (struct opinfo){"TUPLE1", 1};
    case 0x86: return (struct opinfo){"TUPLE2", 1};
    case 0x87: return (struct opinfo){"TUPLE3", 1};
    case 0x88: return (struct opinfo){"NEWTRUE", 1};
    case 0x89: return (struct opinfo){"NEWFALSE", 1};
    case 0x8a: return (struct opinfo){"LONG1", 1};
    case 0x8b: return (struct opinfo){"LONG4", 0};
    case 0x8c: return (struct opinfo){"SHORT_BINUNICODE", 1};
    case 0x8d: return (struct opinfo){"BINUNICODE8", 1};
    case 0x8e: return (struct opinfo){"BINBYTES8", 1};
    case 0x8f: return (struct opinfo){"EMPTY_SET", 1};
    case 0x90: return (struct opinfo){"ADDITEMS", 1};
    case 0x91: return (struct opinfo){"FROZENSET", 1};
    case 0x92: return (struct opinfo){"NEWOBJ_EX", 0};
    case 0x93: return (struct opinfo){"STACK_GLOBAL", 1};
    case 0x94: return (struct opinfo){"MEMOIZE", 1};
    case 0x95: return (struct opinfo){"FRAME", 1};
    case 0x96: return (struct opinfo){"BYTEARRAY8", 0};
    case 0x97: return (struct opinfo){"NEXT_BUFFER", 0};
    case 0x98: return (struct opinfo){"READONLY_BUFFER", 0};
    default: return (struct opinfo){NULL, 0};
    }
}

struct parser {
    const char *src;
    const uint8_t *p, *end, *start;
    struct cpose_pkl_doc *doc;
    struct cpose_pkl **stack;
    size_t sn, scap;
    size_t *marks;
    size_t mn, mcap;
    struct cpose_pkl **memo;
    size_t memo_cap;
    size_t memo_count; /* distinct entries stored (MEMOIZE's next index) */
    size_t op_at;     /* offset of the current opcode */
    const char *op;   /* its name */
};

static struct cpose_pkl *node_new(struct parser *ps, enum cpose_pkl_kind kind)
{
    struct cpose_pkl_doc *d = ps->doc;
    if (d->n_blocks == d->cap_blocks) {
        d->cap_blocks = d->cap_blocks ? 2 * d->cap_blocks : 256;
        d->blocks = cpose_realloc(d->blocks, d->cap_blocks * sizeof *d->blocks);
    }
    struct cpose_pkl *v = cpose_calloc(1, sizeof *v);
    v->kind = kind;
    d->blocks[d->n_blocks++] = v;
    return v;
}

static void items_push(struct cpose_pkl *v, struct cpose_pkl *item)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 4;
        v->items = cpose_realloc(v->items, v->cap * sizeof *v->items);
    }
    v->items[v->n++] = item;
}

static int fail(struct parser *ps, const char *what)
{
    return cpose_err(CPOSE_EINVAL, "%s: pickle opcode %s at byte %zu: %s", ps->src, ps->op, ps->op_at, what);
}

static int push(struct parser *ps, struct cpose_pkl *v)
{
    if (ps->sn == ps->scap) {
        if (ps->scap >= ((size_t)1 << 24)) return fail(ps, "the value stack grows past 16M entries");
        ps->scap = ps->scap ? 2 * ps->scap : 64;
        ps->stack = cpose_realloc(ps->stack, ps->scap * sizeof *ps->stack);
    }
    ps->stack[ps->sn++] = v;
    return CPOSE_OK;
}

/* The base of the topmost mark: values above it belong to the current MARK-based opcode. */
static int stack_base(struct parser *ps) { return ps->mn ? (int)ps->marks[ps->mn - 1] : 0; }

static struct cpose_pkl *pop(struct parser *ps)
{
    if (ps->sn == 0 || (ps->mn && ps->sn <= ps->marks[ps->mn - 1])) return NULL;
    return ps->stack[--ps->sn];
}

static int need(struct parser *ps, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n) return fail(ps, "its argument runs past the end of the data (truncated pickle)");
    return CPOSE_OK;
}

static uint64_t rdle(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* A length-prefixed string or bytes argument (prefix of lenbytes bytes). */
static int read_blob(struct parser *ps, int lenbytes, enum cpose_pkl_kind kind)
{
    int rc;
    if ((rc = need(ps, (size_t)lenbytes)) != CPOSE_OK) return rc;
    uint64_t n = rdle(ps->p, lenbytes);
    ps->p += lenbytes;
    if (n > (uint64_t)(ps->end - ps->p)) return fail(ps, "its string length runs past the end of the data");
    struct cpose_pkl *v = node_new(ps, kind);
    v->s = cpose_strndup((const char *)ps->p, (size_t)n);
    v->len = (size_t)n;
    ps->p += n;
    return push(ps, v);
}

static int memo_put(struct parser *ps, uint64_t idx)
{
    if (!ps->sn) return fail(ps, "nothing on the stack to memoize");
    if (idx > (uint64_t)(ps->end - ps->start) + 16) return fail(ps, "memo index beyond any real pickle's size");
    if (idx >= ps->memo_cap) {
        size_t nc = ps->memo_cap ? ps->memo_cap : 256;
        while (nc <= idx) nc *= 2;
        ps->memo = cpose_realloc(ps->memo, nc * sizeof *ps->memo);
        memset(ps->memo + ps->memo_cap, 0, (nc - ps->memo_cap) * sizeof *ps->memo);
        ps->memo_cap = nc;
    }
    if (!ps->memo[idx]) ps->memo_count++;
    ps->memo[idx] = ps->stack[ps->sn - 1];
    return CPOSE_OK;
}

static int memo_get(struct parser *ps, uint64_t idx)
{
    if (idx >= ps->memo_cap || !ps->memo[idx]) {
        char msg[96];
        snprintf(msg, sizeof msg, "memo entry %llu was never stored", (unsigned long long)idx);
        return fail(ps, msg);
    }
    return push(ps, ps->memo[idx]);
}

/* Pops the values above the topmost mark (and the mark) into a new node of kind. */
static struct cpose_pkl *pop_mark_into(struct parser *ps, enum cpose_pkl_kind kind)
{
    if (!ps->mn) return NULL;
    size_t base = ps->marks[--ps->mn];
    struct cpose_pkl *v = node_new(ps, kind);
    for (size_t i = base; i < ps->sn; i++) items_push(v, ps->stack[i]);
    ps->sn = base;
    return v;
}

static int make_tuple(struct parser *ps, int n)
{
    struct cpose_pkl *v = node_new(ps, CPOSE_PKL_TUPLE), *t[3];
    for (int i = n - 1; i >= 0; i--)
        if (!(t[i] = pop(ps))) return fail(ps, "fewer values on the stack than the tuple needs");
    for (int i = 0; i < n; i++) items_push(v, t[i]);
    return push(ps, v);
}

/* SETITEM(S)/APPEND(S)/ADDITEMS: adds the marked values (or the last 1–2) to the object below them. */
static int add_items(struct parser *ps, struct cpose_pkl *target, struct cpose_pkl **vals, size_t n, int pairs)
{
    if (!target) return fail(ps, "no object below the items to add them to");
    if (pairs) {
        if (n % 2) return fail(ps, "an odd number of values (keys without values)");
        if (target->kind == CPOSE_PKL_CALL) {
            if (target->n && !target->dict_items) return fail(ps, "object receives both list and dict items");
            target->dict_items = 1;
        } else if (target->kind != CPOSE_PKL_DICT) {
            return fail(ps, "items set on a value that is not a dict or an object");
        }
    } else if (target->kind == CPOSE_PKL_CALL) {
        if (target->dict_items) return fail(ps, "object receives both dict and list items");
    } else if (target->kind != CPOSE_PKL_LIST && target->kind != CPOSE_PKL_SET) {
        return fail(ps, "items appended to a value that is not a list, set or object");
    }
    for (size_t i = 0; i < n; i++) items_push(target, vals[i]);
    return CPOSE_OK;
}

static int marked_items(struct parser *ps, int pairs)
{
    if (!ps->mn) return fail(ps, "no MARK before it");
    size_t base = ps->marks[--ps->mn];
    if (base == 0) return fail(ps, "no object below the MARK to add the items to");
    int rc = add_items(ps, ps->stack[base - 1], ps->stack + base, ps->sn - base, pairs);
    ps->sn = base;
    return rc;
}

static int do_global(struct parser *ps, const char *module, size_t ml, const char *name, size_t nl)
{
    struct cpose_pkl *v = node_new(ps, CPOSE_PKL_GLOBAL);
    v->module = cpose_strndup(module, ml);
    v->name = cpose_strndup(name, nl);
    return push(ps, v);
}

/* One opcode; *stop set by STOP. */
static int step(struct parser *ps, int *stop)
{
    int rc;
    uint8_t op = *ps->p;
    struct opinfo oi = op_info(op);
    ps->op_at = (size_t)(ps->p - ps->start);
    ps->op = oi.name ? oi.name : "?";
    if (!oi.name)
        return cpose_err(CPOSE_EINVAL, "%s: byte 0x%02x at offset %zu is not a pickle opcode (damaged or not a pickle)",
                         ps->src, op, ps->op_at);
    if (!oi.allowed)
        return cpose_err(CPOSE_EINVAL, "%s: pickle opcode %s (0x%02x) at byte %zu is not one torch.save writes; the file "
                                       "is refused (cpose never runs pickled code: only plain values, tensors and "
                                       "module trees are read)",
                         ps->src, oi.name, op, ps->op_at);
    ps->p++;
    struct cpose_pkl *a, *b, *v;
    switch (op) {
    case 0x80: /* PROTO */
        if ((rc = need(ps, 1))) return rc;
        if (*ps->p < 2 || *ps->p > 5) return fail(ps, "protocol outside 2..5");
        ps->p++;
        return CPOSE_OK;
    case 0x95: /* FRAME: framing is only a read-ahead hint */
        if ((rc = need(ps, 8))) return rc;
        ps->p += 8;
        return CPOSE_OK;
    case '.':
        *stop = 1;
        return CPOSE_OK;
    case '(':
        if (ps->mn == ps->mcap) {
            if (ps->mcap >= ((size_t)1 << 20)) return fail(ps, "more than 1M open marks");
            ps->mcap = ps->mcap ? 2 * ps->mcap : 32;
            ps->marks = cpose_realloc(ps->marks, ps->mcap * sizeof *ps->marks);
        }
        ps->marks[ps->mn++] = ps->sn;
        return CPOSE_OK;
    case '0':
        if (!pop(ps)) return fail(ps, "empty stack");
        return CPOSE_OK;
    case '1':
        if (!ps->mn) return fail(ps, "no MARK");
        ps->sn = ps->marks[--ps->mn];
        return CPOSE_OK;
    case 'N': return push(ps, node_new(ps, CPOSE_PKL_NONE));
    case 0x88:
    case 0x89:
        v = node_new(ps, CPOSE_PKL_BOOL);
        v->i = op == 0x88;
        return push(ps, v);
    case 'J':
    case 'K':
    case 'M': {
        int n = op == 'J' ? 4 : op == 'K' ? 1 : 2;
        if ((rc = need(ps, (size_t)n))) return rc;
        v = node_new(ps, CPOSE_PKL_INT);
        uint64_t u = rdle(ps->p, n);
        v->i = op == 'J' ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
        ps->p += n;
        return push(ps, v);
    }
    case 0x8a: { /* LONG1: n bytes, two's complement little-endian */
        if ((rc = need(ps, 1))) return rc;
        int n = *ps->p++;
        if ((rc = need(ps, (size_t)n))) return rc;
        if (n > 8) return fail(ps, "an integer wider than 64 bits");
        uint64_t u = n ? rdle(ps->p, n) : 0;
        if (n && n < 8 && (ps->p[n - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * n);
        ps->p += n;
        v = node_new(ps, CPOSE_PKL_INT);
        v->i = (int64_t)u;
        return push(ps, v);
    }
    case 'G': {
        if ((rc = need(ps, 8))) return rc;
        uint64_t u = 0;
        for (int i = 0; i < 8; i++) u = u << 8 | ps->p[i];
        ps->p += 8;
        v = node_new(ps, CPOSE_PKL_FLOAT);
        memcpy(&v->f, &u, 8);
        return push(ps, v);
    }
    case 'X': return read_blob(ps, 4, CPOSE_PKL_STR);
    case 0x8c: return read_blob(ps, 1, CPOSE_PKL_STR);
    case 0x8d: return read_blob(ps, 8, CPOSE_PKL_STR);
    case 'B': return read_blob(ps, 4, CPOSE_PKL_BYTES);
    case 'C': return read_blob(ps, 1, CPOSE_PKL_BYTES);
    case 0x8e: return read_blob(ps, 8, CPOSE_PKL_BYTES);
    case ')': return push(ps, node_new(ps, CPOSE_PKL_TUPLE));
    case ']': return push(ps, node_new(ps, CPOSE_PKL_LIST));
    case '}': return push(ps, node_new(ps, CPOSE_PKL_DICT));
    case 0x8f: return push(ps, node_new(ps, CPOSE_PKL_SET));
    case 0x85: return make_tuple(ps, 1);
    case 0x86: return make_tuple(ps, 2);
    case 0x87: return make_tuple(ps, 3);
    case 't':
        if (!(v = pop_mark_into(ps, CPOSE_PKL_TUPLE))) return fail(ps, "no MARK before it");
        return push(ps, v);
    case 0x91:
        if (!(v = pop_mark_into(ps, CPOSE_PKL_SET))) return fail(ps, "no MARK before it");
        return push(ps, v);
    case 'a':
        if (!(a = pop(ps))) return fail(ps, "empty stack");
        return add_items(ps, ps->sn > (size_t)stack_base(ps) ? ps->stack[ps->sn - 1] : NULL, &a, 1, 0);
    case 's': {
        struct cpose_pkl *kv[2];
        if (!(kv[1] = pop(ps)) || !(kv[0] = pop(ps))) return fail(ps, "fewer than key and value on the stack");
        return add_items(ps, ps->sn > (size_t)stack_base(ps) ? ps->stack[ps->sn - 1] : NULL, kv, 2, 1);
    }
    case 'e':
    case 0x90: return marked_items(ps, 0);
    case 'u': return marked_items(ps, 1);
    case 'c': { /* GLOBAL "module\nname\n" */
        const uint8_t *nl1 = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
        const uint8_t *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(ps->end - nl1 - 1)) : NULL;
        if (!nl2) return fail(ps, "its module/name lines are cut short");
        rc = do_global(ps, (const char *)ps->p, (size_t)(nl1 - ps->p), (const char *)nl1 + 1, (size_t)(nl2 - nl1 - 1));
        ps->p = nl2 + 1;
        return rc;
    }
    case 0x93: /* STACK_GLOBAL */
        if (!(b = pop(ps)) || !(a = pop(ps))) return fail(ps, "needs module and name on the stack");
        if (a->kind != CPOSE_PKL_STR || b->kind != CPOSE_PKL_STR) return fail(ps, "module and name must be strings");
        return do_global(ps, a->s, a->len, b->s, b->len);
    case 'R':   /* REDUCE: callable, args tuple */
    case 0x81:  /* NEWOBJ: class, args tuple */
        if (!(b = pop(ps)) || !(a = pop(ps))) return fail(ps, "needs a callable and its argument tuple on the stack");
        if (b->kind != CPOSE_PKL_TUPLE) return fail(ps, "its arguments are not a tuple");
        v = node_new(ps, CPOSE_PKL_CALL);
        v->func = a, v->args = b;
        return push(ps, v);
    case 'b': /* BUILD: state onto the object below it */
        if (!(b = pop(ps))) return fail(ps, "empty stack");
        if (ps->sn <= (size_t)stack_base(ps)) return fail(ps, "no object to build");
        a = ps->stack[ps->sn - 1];
        if (a->kind != CPOSE_PKL_CALL) return fail(ps, "the object to build is not a constructed object");
        a->state = b;
        return CPOSE_OK;
    case 'Q':
        if (!(a = pop(ps))) return fail(ps, "empty stack");
        v = node_new(ps, CPOSE_PKL_PERSID);
        v->args = a;
        return push(ps, v);
    case 'q':
        if ((rc = need(ps, 1))) return rc;
        return memo_put(ps, *ps->p++);
    case 'r':
        if ((rc = need(ps, 4))) return rc;
        ps->p += 4;
        return memo_put(ps, rdle(ps->p - 4, 4));
    case 0x94: return memo_put(ps, ps->memo_count);
    case 'h':
        if ((rc = need(ps, 1))) return rc;
        return memo_get(ps, *ps->p++);
    case 'j':
        if ((rc = need(ps, 4))) return rc;
        ps->p += 4;
        return memo_get(ps, rdle(ps->p - 4, 4));
    }
    return fail(ps, "not handled");
}

int cpose_pkl_parse(const char *src, const uint8_t *data, size_t len, struct cpose_pkl_doc **out)
{
    *out = NULL;
    struct parser ps = {0};
    ps.src = src ? src : "pickle";
    ps.p = ps.start = data, ps.end = data + len;
    ps.doc = cpose_calloc(1, sizeof *ps.doc);
    int rc = CPOSE_OK, stop = 0;
    while (!rc && !stop) {
        if (ps.p >= ps.end) {
            rc = cpose_err(CPOSE_EINVAL, "%s: the pickle ends at byte %zu without a STOP opcode (truncated)", ps.src, len);
            break;
        }
        rc = step(&ps, &stop);
    }
    if (!rc) {
        if (ps.sn != 1 || ps.mn)
            rc = cpose_err(CPOSE_EINVAL, "%s: the pickle stops with %zu values and %zu marks on the stack (expected one "
                                         "value): it is damaged",
                           ps.src, ps.sn, ps.mn);
        else ps.doc->root = ps.stack[0];
    }
    cpose_free(ps.stack), cpose_free(ps.marks), cpose_free(ps.memo);
    if (rc) {
        cpose_pkl_free(ps.doc);
        return rc;
    }
    *out = ps.doc;
    return CPOSE_OK;
}

void cpose_pkl_free(struct cpose_pkl_doc *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n_blocks; i++) {
        struct cpose_pkl *v = d->blocks[i];
        cpose_free(v->s), cpose_free(v->module), cpose_free(v->name), cpose_free(v->items);
        cpose_free(v);
    }
    cpose_free(d->blocks);
    cpose_free(d);
}

int cpose_pkl_is_global(const struct cpose_pkl *v, const char *module, const char *name)
{
    if (v && (v->kind == CPOSE_PKL_CALL)) v = v->func;
    return v && v->kind == CPOSE_PKL_GLOBAL && !strcmp(v->module, module) && !strcmp(v->name, name);
}

static int is_map(const struct cpose_pkl *v)
{
    return v && (v->kind == CPOSE_PKL_DICT || (v->kind == CPOSE_PKL_CALL && v->dict_items));
}

size_t cpose_pkl_map_len(const struct cpose_pkl *v) { return is_map(v) ? v->n / 2 : 0; }
const struct cpose_pkl *cpose_pkl_map_key(const struct cpose_pkl *v, size_t i)
{
    return i < cpose_pkl_map_len(v) ? v->items[2 * i] : NULL;
}
const struct cpose_pkl *cpose_pkl_map_val(const struct cpose_pkl *v, size_t i)
{
    return i < cpose_pkl_map_len(v) ? v->items[2 * i + 1] : NULL;
}

const struct cpose_pkl *cpose_pkl_get(const struct cpose_pkl *v, const char *key)
{
    /* the last assignment wins, as in a Python dict */
    for (size_t i = cpose_pkl_map_len(v); i-- > 0;) {
        const struct cpose_pkl *k = v->items[2 * i];
        if (k->kind == CPOSE_PKL_STR && !strcmp(k->s, key)) return v->items[2 * i + 1];
    }
    return NULL;
}

const struct cpose_pkl *cpose_pkl_attrs(const struct cpose_pkl *v)
{
    if (!v || v->kind != CPOSE_PKL_CALL || !v->state) return NULL;
    const struct cpose_pkl *s = v->state;
    if (s->kind == CPOSE_PKL_TUPLE && s->n == 2) s = s->items[0];
    return s->kind == CPOSE_PKL_DICT ? s : NULL;
}

int cpose_pkl_int(const struct cpose_pkl *v, int64_t *x)
{
    if (!v || (v->kind != CPOSE_PKL_INT && v->kind != CPOSE_PKL_BOOL)) return 0;
    *x = v->i;
    return 1;
}

const char *cpose_pkl_kind_name(const struct cpose_pkl *v)
{
    static const char *const names[] = {"None", "bool", "int", "float", "str", "bytes", "tuple", "list", "set",
                                        "dict", "global", "object", "persistent id"};
    if (!v) return "nothing";
    return (unsigned)v->kind < sizeof names / sizeof *names ? names[v->kind] : "?";
}
