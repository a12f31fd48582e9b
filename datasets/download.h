/* datasets/download.h — HTTP(S) downloads with libcurl: resume from <file>.part with Range,
 * retries with exponential backoff, low-speed timeouts, size/sha256 checks, a progress bar; and
 * the dataset YAML `download:` key (URLs fetched and archives extracted). */
#ifndef CPOSE_DOWNLOAD_H
#define CPOSE_DOWNLOAD_H

#include <stdint.h>
#include "core/base/status.h"

struct cpose_download_opts {
    const char *url;
    const char *dir;          /* destination folder (created) */
    const char *file;         /* file name in dir; NULL: the URL's last path component */
    const char *sha256;       /* expected lowercase hex, or NULL */
    int64_t size;             /* expected bytes, or -1 */
    int retries;              /* extra attempts after the first (default 3) */
    double timeout;           /* seconds: connect timeout, and the window in which fewer than 1 byte/s
                               * arrives before the attempt is abandoned (default 30) */
    double backoff;           /* first retry delay in seconds, doubled each retry (default 1) */
    int quiet;                /* no progress bar */
};

/* Downloads opts->url to dir/file. Data goes to dir/file.part, which a later call resumes with an
 * HTTP Range request (a server that ignores Range restarts it). Connection errors, cut transfers,
 * low-speed timeouts and 5xx answers are retried after backoff·2^k seconds; 4xx fail at once
 * (CPOSE_EIO naming the URL and status, no file kept). When complete, size and sha256 are checked
 * (a mismatch removes the file; the message has both values) and .part is renamed to the final
 * name. An existing final file that passes the given checks is kept without downloading.
 * *out_path (may be NULL) receives the final path (caller frees). */
CPOSE_API int cpose_download(const struct cpose_download_opts *opts, char **out_path);

struct cpose_dataset;
/* Runs a dataset's `download:` entries: each URL into its folder, archives extracted there and
 * deleted afterwards (as Ultralytics does). An entry "synth: train=N val=N imgsz=N seed=N" runs the
 * synthetic generator into the dataset root instead (cpose's embedded dataset). */
CPOSE_API int cpose_dataset_download(const struct cpose_dataset *d);
/* Ultralytics' check: when a val path is missing, download if the YAML says how (autodownload),
 * else CPOSE_EIO naming the missing path. */
CPOSE_API int cpose_dataset_ensure(const struct cpose_dataset *d, int autodownload);

#endif
