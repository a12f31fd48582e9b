/* core/base/status.c — thread-local error message store behind cpose_err(). */
#include "core/base/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char err_msg[4096];
static _Thread_local char err_loc[512];

/* Stores text (len bytes) as the message; a text longer than the store keeps its beginning and its
 * end (where the reason usually is, after the context prefixes) and says how much was cut. */
static void store(const char *text, size_t len)
{
    if (len < sizeof err_msg) {
        memmove(err_msg, text, len + 1);
        return;
    }
    char mid[64];
    size_t head = 1024, cut, tail;
    snprintf(mid, sizeof mid, " […%zu bytes cut…] ", len);
    tail = sizeof err_msg - 1 - head - strlen(mid);
    cut = len - head - tail;
    snprintf(mid, sizeof mid, " […%zu bytes cut…] ", cut);
    tail = sizeof err_msg - 1 - head - strlen(mid);
    char *out = malloc(sizeof err_msg);
    if (!out) {
        memmove(err_msg, text, sizeof err_msg - 1);
        err_msg[sizeof err_msg - 1] = 0;
        return;
    }
    memcpy(out, text, head);
    memcpy(out + head, mid, strlen(mid));
    memcpy(out + head + strlen(mid), text + len - tail, tail);
    out[head + strlen(mid) + tail] = 0;
    memcpy(err_msg, out, sizeof err_msg);
    free(out);
}

int cpose_err_at(int rc, const char *file, int line, const char *func, const char *fmt, ...)
{
    /* Format into a scratch buffer first: an argument may be cpose_errmsg() itself. */
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *tmp = need >= 0 ? malloc((size_t)need + 1) : NULL;
    if (tmp) {
        vsnprintf(tmp, (size_t)need + 1, fmt, ap2);
        store(tmp, (size_t)need);
        free(tmp);
    } else {
        char small[256];
        vsnprintf(small, sizeof small, fmt, ap2);
        store(small, strlen(small));
    }
    va_end(ap2);
    const char *base = strrchr(file, '/');
    snprintf(err_loc, sizeof err_loc, "%s:%d (%s)", base ? base + 1 : file, line, func);
    return rc;
}

int cpose_err_context(int rc, const char *fmt, ...)
{
    char prefix[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t pl = strlen(prefix), ol = strlen(err_msg);
    char *joined = malloc(pl + 2 + ol + 1);
    if (!joined) return rc;
    memcpy(joined, prefix, pl);
    memcpy(joined + pl, ": ", 2);
    memcpy(joined + pl + 2, err_msg, ol + 1);
    store(joined, pl + 2 + ol);
    free(joined);
    return rc;
}

const char *cpose_errmsg(void) { return err_msg; }
const char *cpose_errloc(void) { return err_loc; }
void cpose_err_clear(void) { err_msg[0] = 0; err_loc[0] = 0; }

const char *cpose_status_name(int rc)
{
    switch (rc) {
    case CPOSE_OK: return "ok";
    case CPOSE_EINVAL: return "invalid input";
    case CPOSE_EIO: return "i/o error";
    case CPOSE_ESHAPE: return "shape mismatch";
    case CPOSE_ENOMEM: return "out of memory";
    case CPOSE_EABI: return "ABI mismatch";
    case CPOSE_ENOTSUP: return "not available in this build";
    default: return "unknown status";
    }
}
