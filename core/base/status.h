/* core/base/status.h — status codes, error recording (message + source location) and assertions.
 *
 * Every fallible cpose function returns enum cpose_status. On failure it records a message with
 * cpose_err(), which the caller reads back with cpose_errmsg(). Messages are thread-local, so
 * worker threads do not overwrite each other. Library code never calls exit(). */
#ifndef CPOSE_STATUS_H
#define CPOSE_STATUS_H

#include <stdio.h>
#include <stdlib.h>

#ifndef CPOSE_API
#define CPOSE_API __attribute__((visibility("default")))
#endif

enum cpose_status {
    CPOSE_OK = 0,
    CPOSE_EINVAL = -1,   /* bad argument or malformed input (file, key, value) */
    CPOSE_EIO = -2,      /* a file or network operation failed */
    CPOSE_ESHAPE = -3,   /* tensor shapes do not agree */
    CPOSE_ENOMEM = -4,   /* allocation failed */
    CPOSE_EABI = -5,     /* plugin ABI mismatch */
    CPOSE_ENOTSUP = -6,  /* the feature is not available in this build */
};

/* Records a printf-style message for rc with the caller's location; returns rc so that
 * `return cpose_err(CPOSE_EINVAL, "...")` reads naturally. */
#define cpose_err(rc, ...) cpose_err_at((rc), __FILE__, __LINE__, __func__, __VA_ARGS__)
CPOSE_API int cpose_err_at(int rc, const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The last message recorded on this thread ("" if none). Valid until the next cpose_err. */
CPOSE_API const char *cpose_errmsg(void);
/* Where the last message was recorded ("file:line (func)"). */
CPOSE_API const char *cpose_errloc(void);
/* Prefixes the recorded message with more context: "ctx: old message". Returns rc. */
CPOSE_API int cpose_err_context(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
CPOSE_API void cpose_err_clear(void);
CPOSE_API const char *cpose_status_name(int rc);

/* Bugs (not bad input) abort with the location. */
#define CPOSE_ASSERT(cond)                                                                    \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "cpose: assertion failed: %s at %s:%d (%s)\n", #cond, __FILE__,   \
                    __LINE__, __func__);                                                      \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

#endif
