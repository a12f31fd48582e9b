/* core/nn/pickle_read.h — a pickle reader (protocols 2 to 5) that builds a tree of values and never
 * runs anything: GLOBAL/STACK_GLOBAL give "global(module, name)" nodes, REDUCE and NEWOBJ give
 * "call" nodes (callable + argument tuple) that BUILD, SETITEM(S) and APPEND(S) decorate in place,
 * BINPERSID gives "persid" nodes (torch's storages). Only the opcodes torch.save's pickler emits are
 * accepted; any other (INST, OBJ, EXT*, the text-protocol opcodes, buffers, ...) is refused with its
 * name and byte offset.
 *
 * All nodes belong to one document (struct cpose_pkl_doc), freed at once; nodes may be shared (the
 * memo), so the tree is really a graph, and walkers must bound their depth. */
#ifndef CPOSE_PICKLE_READ_H
#define CPOSE_PICKLE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/status.h"

enum cpose_pkl_kind {
    CPOSE_PKL_NONE,
    CPOSE_PKL_BOOL,   /* i: 0/1 */
    CPOSE_PKL_INT,    /* i (LONG1 values beyond int64 are refused) */
    CPOSE_PKL_FLOAT,  /* f */
    CPOSE_PKL_STR,    /* s, len (UTF-8 as stored; NUL-terminated for convenience) */
    CPOSE_PKL_BYTES,  /* s, len */
    CPOSE_PKL_TUPLE,  /* items[n] */
    CPOSE_PKL_LIST,   /* items[n] */
    CPOSE_PKL_SET,    /* items[n] (EMPTY_SET/ADDITEMS/FROZENSET) */
    CPOSE_PKL_DICT,   /* items[2n]: key, value, key, value ... in insertion order */
    CPOSE_PKL_GLOBAL, /* module, name */
    CPOSE_PKL_CALL,   /* func(args...): REDUCE/NEWOBJ. state from BUILD (or NULL); items: what SETITEM(S)
                       * (pairs, dict_items=1) or APPEND(S) (dict_items=0) added to the object */
    CPOSE_PKL_PERSID, /* args: the persistent id (torch: ("storage", StorageType, key, location, numel)) */
};

struct cpose_pkl {
    enum cpose_pkl_kind kind;
    int64_t i;
    double f;
    char *s;
    size_t len;
    char *module, *name;          /* GLOBAL */
    struct cpose_pkl *func, *args, *state; /* CALL (args also PERSID) */
    struct cpose_pkl **items;
    size_t n, cap;
    int dict_items;               /* CALL: items are key/value pairs */
};

struct cpose_pkl_doc {
    struct cpose_pkl *root;
    /* internal: every node and string, released by cpose_pkl_free */
    void **blocks;
    size_t n_blocks, cap_blocks;
};

/* Parses data[0..len) as one pickle. src names it in messages ("best.pt:best/data.pkl"). On
 * success *out is an owned document (cpose_pkl_free). Errors (CPOSE_EINVAL) name src, the byte
 * offset and the opcode: a refused opcode ("opcode INST (0x69) at byte 120 is not one torch.save
 * writes"), a truncated argument, stack underflow, an unknown memo index, STOP missing. */
CPOSE_API int cpose_pkl_parse(const char *src, const uint8_t *data, size_t len, struct cpose_pkl_doc **out);
CPOSE_API void cpose_pkl_free(struct cpose_pkl_doc *d); /* NULL-safe */

/* Helpers for walkers. All borrow; NULL-safe in their first argument. */
/* 1 when v is a GLOBAL (or a CALL/PERSID whose func is) naming module.name exactly. */
CPOSE_API int cpose_pkl_is_global(const struct cpose_pkl *v, const char *module, const char *name);
/* The value of key (a string) in a DICT, or in the SETITEMS of a CALL (an OrderedDict); NULL when
 * absent or v is not a mapping. */
CPOSE_API const struct cpose_pkl *cpose_pkl_get(const struct cpose_pkl *v, const char *key);
/* Number of key/value pairs of a DICT or of a CALL's SETITEMS (0 otherwise); pair i's key/value. */
CPOSE_API size_t cpose_pkl_map_len(const struct cpose_pkl *v);
CPOSE_API const struct cpose_pkl *cpose_pkl_map_key(const struct cpose_pkl *v, size_t i);
CPOSE_API const struct cpose_pkl *cpose_pkl_map_val(const struct cpose_pkl *v, size_t i);
/* An object's attribute dict: for a CALL, its BUILD state when that is a DICT (or the first element
 * of a (dict, slots) state tuple); NULL otherwise. */
CPOSE_API const struct cpose_pkl *cpose_pkl_attrs(const struct cpose_pkl *v);
/* Integer value of an INT or BOOL into *x; 0 when v is neither. */
CPOSE_API int cpose_pkl_int(const struct cpose_pkl *v, int64_t *x);
/* A short description of v for messages ("str 'abc'", "global torch.Size", "call of ...", ...). */
CPOSE_API const char *cpose_pkl_kind_name(const struct cpose_pkl *v);

#endif
