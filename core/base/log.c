/* core/base/log.c — leveled logging and the terminal/plain progress bar. */
#include "core/base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum cpose_log_level current_level = CPOSE_LOG_INFO;

void cpose_log_set_level(enum cpose_log_level level) { current_level = level; }
enum cpose_log_level cpose_log_get_level(void) { return current_level; }

void cpose_log(enum cpose_log_level level, const char *fmt, ...)
{
    if (level > current_level) return;
    FILE *out = level <= CPOSE_LOG_WARN ? stderr : stdout;
    if (level == CPOSE_LOG_ERROR) fputs("ERROR: ", out);
    else if (level == CPOSE_LOG_WARN) fputs("WARNING: ", out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    size_t n = strlen(fmt);
    if (n == 0 || fmt[n - 1] != '\n') fputc('\n', out);
    fflush(out);
}

double cpose_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fmt_clock(char *buf, size_t n, double s)
{
    if (s < 0 || s > 1e7) s = 0;
    int t = (int)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%02d:%02d", t / 60, t % 60);
}

static void draw(struct cpose_progress *p, int final)
{
    double el = cpose_now() - p->t_start;
    double rate = el > 0 ? p->done / el : 0;
    char e[16], r[16];
    fmt_clock(e, sizeof e, el);
    fmt_clock(r, sizeof r, rate > 0 && p->total > 0 ? (p->total - p->done) / rate : 0);
    if (p->total > 0) {
        int pct = (int)(100.0 * p->done / p->total);
        char bar[11];
        int fill = pct / 10;
        for (int i = 0; i < 10; i++) bar[i] = i < fill ? '#' : ' ';
        bar[10] = 0;
        fprintf(stderr, "%s%s %3d%%|%s| %lld/%lld [%s<%s, %.1f%s/s]%s", p->tty ? "\r" : "", p->desc, pct, bar,
                (long long)p->done, (long long)p->total, e, r, rate, p->unit, (p->tty && !final) ? "" : "\n");
    } else {
        fprintf(stderr, "%s%s %lld%s [%s, %.1f%s/s]%s", p->tty ? "\r" : "", p->desc, (long long)p->done, p->unit,
                e, rate, p->unit, (p->tty && !final) ? "" : "\n");
    }
    fflush(stderr);
}

void cpose_progress_begin(struct cpose_progress *p, const char *desc, int64_t total, const char *unit)
{
    memset(p, 0, sizeof *p);
    p->desc = desc;
    p->total = total;
    p->unit = unit ? unit : "it";
    p->tty = isatty(2);
    p->t_start = p->t_last_draw = cpose_now();
    p->last_decile = -1;
}

void cpose_progress_update(struct cpose_progress *p, int64_t done)
{
    p->done = done;
    if (current_level < CPOSE_LOG_INFO) return;
    if (p->tty) {
        double now = cpose_now();
        if (now - p->t_last_draw < 0.1) return;
        p->t_last_draw = now;
        draw(p, 0);
    } else if (p->total > 0) {
        int decile = (int)(10 * done / p->total);
        if (decile != p->last_decile && decile < 10) {
            p->last_decile = decile;
            draw(p, 0);
        }
    }
}

void cpose_progress_end(struct cpose_progress *p)
{
    if (current_level >= CPOSE_LOG_INFO) draw(p, 1);
}
