/* core/base/log.h — console output: leveled log lines and a progress bar that degrades to plain lines
 * when stderr is not a terminal (CI logs stay readable). */
#ifndef CPOSE_LOG_H
#define CPOSE_LOG_H

#include <stdint.h>
#include "core/base/status.h"

enum cpose_log_level { CPOSE_LOG_ERROR = 0, CPOSE_LOG_WARN = 1, CPOSE_LOG_INFO = 2, CPOSE_LOG_DEBUG = 3 };

CPOSE_API void cpose_log_set_level(enum cpose_log_level level);
CPOSE_API enum cpose_log_level cpose_log_get_level(void);
/* Info goes to stdout; warnings and errors to stderr with a "WARNING ⚠️"/"ERROR" prefix. */
CPOSE_API void cpose_log(enum cpose_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define cpose_info(...) cpose_log(CPOSE_LOG_INFO, __VA_ARGS__)
#define cpose_warn(...) cpose_log(CPOSE_LOG_WARN, __VA_ARGS__)
#define cpose_debug(...) cpose_log(CPOSE_LOG_DEBUG, __VA_ARGS__)

/* A progress bar: `desc  42%|████      | 42/100 [00:03<00:04, 12.1it/s]` on a terminal (redrawn
 * in place), or a plain line every 10 % elsewhere. total 0 means unknown. */
struct cpose_progress {
    const char *desc;
    int64_t total, done;
    double t_start, t_last_draw;
    int tty, last_decile;
    const char *unit;
};
CPOSE_API void cpose_progress_begin(struct cpose_progress *p, const char *desc, int64_t total, const char *unit);
CPOSE_API void cpose_progress_update(struct cpose_progress *p, int64_t done);
CPOSE_API void cpose_progress_end(struct cpose_progress *p);

/* Monotonic clock in seconds. */
CPOSE_API double cpose_now(void);

#endif
