/* exporters/common/pickle_write.h — a pickle protocol-2 emitter (opcodes as Python's pickletools
 * documents them), for the data.pkl of .pt checkpoints and TorchScript archives: PROTO, STOP,
 * None/bools, ints (BININT1/BININT2/BININT/LONG1), floats (BINFLOAT, 8-byte big-endian),
 * strings (BINUNICODE, UTF-8), MARK with TUPLE/LIST/DICT building (EMPTY_*, TUPLE1-3, APPENDS,
 * SETITEMS), GLOBAL (memoized: a second use of the same global is a BINGET), REDUCE, BUILD,
 * NEWOBJ, BINPERSID, and the memo (BINPUT/LONG_BINPUT, BINGET/LONG_BINGET) to share objects.
 *
 * The emitter writes opcodes in the order of the calls, so the caller keeps the pickle machine's
 * stack balanced (pklw_take checks only that nothing failed):
 *
 *     struct pklw w;
 *     pklw_init(&w, realloc, free);
 *     pklw_proto(&w);
 *     pklw_empty_dict(&w); pklw_mark(&w);
 *     pklw_str(&w, "epoch"); pklw_int(&w, -1);
 *     pklw_setitems(&w);
 *     pklw_stop(&w);
 *     uint8_t *bytes = pklw_take(&w, &n);
 *
 * Errors (out of memory, too many distinct globals) set w->failed and w->error; later calls do
 * nothing and pklw_take returns NULL. */
#ifndef CPOSE_EXPORTERS_PICKLE_WRITE_H
#define CPOSE_EXPORTERS_PICKLE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#define PKLW_MAX_GLOBALS 128

struct pklw {
    uint8_t *p;
    size_t len, cap;
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
    uint32_t next_memo;                      /* the next memo index pklw_memoize gives */
    int n_globals;
    char *global_name[PKLW_MAX_GLOBALS];     /* "module\nname" of each GLOBAL already written */
    uint32_t global_memo[PKLW_MAX_GLOBALS];
    int failed;
    const char *error;
};

void pklw_init(struct pklw *w, void *(*realloc_fn)(void *, size_t), void (*free_fn)(void *));
void pklw_free(struct pklw *w);
/* The bytes (*n of them, caller frees with free_fn); w is left empty. NULL after an error. */
uint8_t *pklw_take(struct pklw *w, size_t *n);

void pklw_proto(struct pklw *w);              /* PROTO 2 */
void pklw_stop(struct pklw *w);
void pklw_none(struct pklw *w);
void pklw_bool(struct pklw *w, int v);
void pklw_int(struct pklw *w, int64_t v);      /* the shortest of BININT1/BININT2/BININT/LONG1 */
void pklw_float(struct pklw *w, double v);     /* BINFLOAT */
void pklw_str(struct pklw *w, const char *s);  /* BINUNICODE of a UTF-8 string */
void pklw_strn(struct pklw *w, const char *s, size_t n);

void pklw_mark(struct pklw *w);
void pklw_empty_tuple(struct pklw *w);
void pklw_empty_list(struct pklw *w);
void pklw_empty_dict(struct pklw *w);
void pklw_tuple(struct pklw *w);               /* TUPLE: the items since the MARK */
void pklw_tupleN(struct pklw *w, int n);       /* TUPLE1..3 of the top n items (n = 1..3) */
void pklw_appends(struct pklw *w);             /* APPENDS: the items since the MARK onto the list below */
void pklw_setitems(struct pklw *w);            /* SETITEMS: key/value pairs since the MARK into the dict */
void pklw_setitem(struct pklw *w);             /* SETITEM: one key/value pair */

/* GLOBAL "module\nname\n", memoized on first use; later uses of the same pair are a BINGET. */
void pklw_global(struct pklw *w, const char *module, const char *name);
void pklw_reduce(struct pklw *w);              /* callable(*args) */
void pklw_build(struct pklw *w);               /* obj.__setstate__(state) or __dict__ update */
void pklw_newobj(struct pklw *w);              /* cls.__new__(cls, *args) */
void pklw_binpersid(struct pklw *w);           /* persistent_load(top) */

/* Stores the top of the stack in the memo (BINPUT, LONG_BINPUT past 255); returns its index. */
uint32_t pklw_memoize(struct pklw *w);
/* Pushes a memoized object again (BINGET / LONG_BINGET). */
void pklw_get(struct pklw *w, uint32_t index);

#endif
