/* tests/fuzz/fuzz_util.h — helpers shared by the libFuzzer targets: a per-process scratch file for
 * parsers that read from a path, and quiet logging. Header-only. */
#ifndef CPOSE_FUZZ_UTIL_H
#define CPOSE_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/base/log.h"

/* Writes data to /tmp/cpose-fuzz-<pid>-<tag><suffix> and returns that path (static buffer). */
static const char *fuzz_file(const char *tag, const char *suffix, const uint8_t *data, size_t size)
{
    static char path[256];
    const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/cpose-fuzz-%d-%s%s", dir, (int)getpid(), tag, suffix);
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (size && fwrite(data, 1, size, fp) != size) abort();
    fclose(fp);
    return path;
}

static void fuzz_quiet(void)
{
    static int done;
    /* a libhdf5 hang in the HDF5 probe's child becomes cpose's error after 5 s, inside libFuzzer's
     * 25 s timeout (core/nn/h5io_guard.c) */
    if (!done) cpose_log_set_level(CPOSE_LOG_ERROR), setenv("CPOSE_H5_PROBE_SECONDS", "5", 0), done = 1;
}

#endif
