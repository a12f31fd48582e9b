/* exporters/common/host_buf.c — the growing byte buffer of host_buf.h. */
#include "exporters/common/host_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void host_buf_add(struct host_buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2 + 4096;
        b->p = b->h->realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
}

void host_buf_printf(struct host_buf *b, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        host_buf_add(b, small, (size_t)n);
        return;
    }
    char *big = b->h->alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    host_buf_add(b, big, (size_t)n);
    b->h->free(big);
}
