/* core/base/status.c — thread-local error message store behind cpose_err(). */
#include "core/base/status.h"

#include <stdarg.h>
#include <string.h>

static _Thread_local char err_msg[4096];
static _Thread_local char err_loc[512];

int cpose_err_at(int rc, const char *file, int line, const char *func, const char *fmt, ...)
{
    /* Format into a scratch buffer first: an argument may be cpose_errmsg() itself. */
    char tmp[sizeof err_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(err_msg, tmp, sizeof err_msg);
    const char *base = strrchr(file, '/');
    snprintf(err_loc, sizeof err_loc, "%s:%d (%s)", base ? base + 1 : file, line, func);
    return rc;
}

int cpose_err_context(int rc, const char *fmt, ...)
{
    char prefix[1024], old[sizeof err_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err_msg, sizeof old);
    snprintf(err_msg, sizeof err_msg, "%s: %s", prefix, old);
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
