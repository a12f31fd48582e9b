/* core/base/alloc.h — counted allocation with a settable out-of-memory handler, and peak-RSS reading.
 *
 * cpose_malloc/calloc/realloc never return NULL: on failure they call the OOM handler, which by
 * default prints the request size and aborts. Byte counts feed the reports' memory figures. Blocks
 * of 4 MB and more are advised to use transparent huge pages (fewer first-touch page faults), and
 * cpose_alloc_huge gives arrays filled once whole 2 MiB-aligned huge pages from 256 KiB on. */
#ifndef CPOSE_ALLOC_H
#define CPOSE_ALLOC_H

#include <stddef.h>
#include "core/base/status.h"

CPOSE_API void *cpose_malloc(size_t n);
CPOSE_API void *cpose_calloc(size_t count, size_t size);
CPOSE_API void *cpose_realloc(void *p, size_t n);
CPOSE_API void cpose_free(void *p);               /* NULL-safe */
CPOSE_API char *cpose_strdup(const char *s);      /* NULL in, NULL out */
CPOSE_API char *cpose_strndup(const char *s, size_t n);
/* A zeroed block of n bytes for an array that is filled once: from 256 KiB on, on 2 MiB-aligned pages
 * advised to be transparent huge pages, so that its first touch faults once per 2 MiB instead of once
 * per 4 KiB (10-25 us each on virtual machines; a whole 2 MiB page 0.1-2 ms); below that,
 * an ordinary cpose_calloc block. Never NULL (the OOM handler runs); give it back with
 * cpose_free_huge and the same n. */
CPOSE_API void *cpose_alloc_huge(size_t n);
CPOSE_API void cpose_free_huge(void *p, size_t n); /* NULL-safe */
/* printf into a fresh cpose_malloc'ed string (caller frees). */
CPOSE_API char *cpose_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Installs the out-of-memory handler (NULL restores the default, which aborts). */
CPOSE_API void cpose_set_oom_handler(void (*handler)(size_t bytes));
/* Bytes currently allocated through cpose_malloc and the peak so far. */
CPOSE_API size_t cpose_alloc_used(void);
CPOSE_API size_t cpose_alloc_peak(void);
/* Peak resident set size of the process in bytes (from getrusage). */
CPOSE_API size_t cpose_peak_rss_bytes(void);

/* A growable array of fixed-size elements (used across the project instead of ad-hoc realloc). */
struct cpose_vec {
    void *data;
    size_t len, cap, elem;
};
#define CPOSE_VEC_INIT(type) {NULL, 0, 0, sizeof(type)}
/* Appends one element copied from *item (or zeroed when item is NULL); returns its address. */
CPOSE_API void *cpose_vec_push(struct cpose_vec *v, const void *item);
CPOSE_API void cpose_vec_reserve(struct cpose_vec *v, size_t cap);
CPOSE_API void cpose_vec_free(struct cpose_vec *v);
#define CPOSE_VEC_AT(v, type, i) (((type *)(v)->data)[i])

#endif
