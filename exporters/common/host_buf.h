/* exporters/common/host_buf.h — a growing, always NUL-terminated byte buffer in the host's memory
 * (cpose_host alloc/realloc/free), for exporters that build text or binary files before writing them. */
#ifndef CPOSE_EXPORTERS_HOST_BUF_H
#define CPOSE_EXPORTERS_HOST_BUF_H

#include <stddef.h>

#include "plugins/cpose_plugin.h"

struct host_buf {
    const struct cpose_host *h;
    char *p;     /* the bytes (NULL until the first append), p[len] == 0 */
    size_t len, cap;
};

/* Appends n bytes, growing the buffer through the host's realloc. */
void host_buf_add(struct host_buf *b, const void *data, size_t n);
/* Appends printf-formatted text (any length). */
void host_buf_printf(struct host_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
