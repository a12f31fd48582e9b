/* datasets/download.c — resumable, retrying, verified downloads over libcurl, and the dataset
 * YAML `download:` handling (fetch, extract, delete the archive). */
#define _GNU_SOURCE
#include "datasets/download.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/alloc.h"
#include "datasets/dataset.h"
#include "datasets/extract.h"
#include "core/base/fsutil.h"
#include "core/base/log.h"
#include "datasets/synth.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

struct dl_state {
    FILE *fp;
    struct cpose_progress prog;
    int64_t base;     /* bytes already in .part when the attempt started */
    int quiet, began;
    const char *name;
};

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct dl_state *s = ud;
    return fwrite(ptr, size, nmemb, s->fp);
}

static int xfer_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    struct dl_state *s = ud;
    if (s->quiet || dltotal <= 0) return 0;
    if (!s->began) {
        cpose_progress_begin(&s->prog, s->name, s->base + (int64_t)dltotal, "B");
        s->began = 1;
    }
    cpose_progress_update(&s->prog, s->base + (int64_t)dlnow);
    return 0;
}

static int64_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (int64_t)st.st_size : -1;
}

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static char *url_file_name(const char *url)
{
    const char *end = url + strcspn(url, "?#");
    const char *start = end;
    while (start > url && start[-1] != '/') start--;
    if (start == end) return cpose_strdup("download");
    return cpose_strndup(start, (size_t)(end - start));
}

/* Checks a complete file against the expected size and sha256; on mismatch fills msg. */
static int verify(const char *path, const struct cpose_download_opts *o, char *msg, size_t msg_len)
{
    if (o->size >= 0) {
        int64_t got = file_size(path);
        if (got != o->size) {
            snprintf(msg, msg_len, "size mismatch: expected %lld bytes, got %lld", (long long)o->size, (long long)got);
            return 0;
        }
    }
    if (o->sha256 && *o->sha256) {
        char hex[65];
        if (cpose_sha256_file(path, hex) != CPOSE_OK) {
            snprintf(msg, msg_len, "cannot hash: %s", cpose_errmsg());
            return 0;
        }
        if (strcasecmp(hex, o->sha256) != 0) {
            snprintf(msg, msg_len, "sha256 mismatch: expected %s, got %s", o->sha256, hex);
            return 0;
        }
    }
    return 1;
}

static int transient(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return 1;
    default: return 0;
    }
}

int cpose_download(const struct cpose_download_opts *o, char **out_path)
{
    if (out_path) *out_path = NULL;
    if (!o->url || !*o->url) return cpose_err(CPOSE_EINVAL, "download: url= is required");
    pthread_once(&curl_once, curl_init_once);
    const char *dir = o->dir && *o->dir ? o->dir : ".";
    int rc = cpose_mkdirs(dir);
    if (rc) return rc;
    char *name = o->file && *o->file ? cpose_strdup(o->file) : url_file_name(o->url);
    char *path = cpose_path_join(dir, name);
    char *part = cpose_asprintf("%s.part", path);
    int retries = o->retries >= 0 ? o->retries : 3;
    double timeout = o->timeout > 0 ? o->timeout : 30, backoff = o->backoff > 0 ? o->backoff : 1.0;
    char msg[512];
    CURL *c = NULL;

    if (cpose_path_is_file(path)) {
        if (verify(path, o, msg, sizeof msg)) {
            cpose_info("download: %s already present", path);
            goto done;
        }
        cpose_warn("download: existing %s fails its check (%s): downloading again", path, msg);
        unlink(path);
    }
    c = curl_easy_init();
    if (!c) {
        rc = cpose_err(CPOSE_EIO, "download: cannot initialise libcurl");
        goto done;
    }
    int attempt = 0;
    for (;;) {
        int64_t have = file_size(part);
        if (have < 0) have = 0;
        struct dl_state st = {0};
        st.fp = fopen(part, "ab");
        st.base = have;
        st.quiet = o->quiet;
        st.name = name;
        if (!st.fp) {
            rc = cpose_err(CPOSE_EIO, "download: cannot write '%s': %s", part, strerror(errno));
            goto done;
        }
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, o->url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout * 1000));
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)(timeout < 1 ? 1 : timeout));
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xfer_cb);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &st);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "cpose/" CPOSE_VERSION);
        if (have > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)have);
        CURLcode cc = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        int close_err = fclose(st.fp) != 0;
        if (st.began) cpose_progress_end(&st.prog);
        if (cc == CURLE_OK && close_err) {
            rc = cpose_err(CPOSE_EIO, "download: write error on '%s'", part);
            goto done;
        }
        if (cc == CURLE_OK) break;
        if (cc == CURLE_RANGE_ERROR || (cc == CURLE_HTTP_RETURNED_ERROR && code == 416)) {
            /* the server cannot resume this .part: start over (not counted as a retry) */
            if (have > 0 && o->size >= 0 && have == o->size) break;
            cpose_warn("download: %s: cannot resume at byte %lld (%s), starting over", o->url, (long long)have,
                       cc == CURLE_RANGE_ERROR ? "no range support" : "HTTP 416");
            unlink(part);
            if (have == 0) {
                rc = cpose_err(CPOSE_EIO, "download: %s: %s", o->url, curl_easy_strerror(cc));
                goto done;
            }
            continue;
        }
        int retry = transient(cc) ||
                    (cc == CURLE_HTTP_RETURNED_ERROR && (code >= 500 || code == 408 || code == 429));
        char why[256];
        if (cc == CURLE_HTTP_RETURNED_ERROR) snprintf(why, sizeof why, "HTTP %ld", code);
        else snprintf(why, sizeof why, "%s", curl_easy_strerror(cc));
        if (!retry) {
            unlink(part);
            rc = cpose_err(CPOSE_EIO, "download: %s failed: %s (nothing saved)", o->url, why);
            goto done;
        }
        if (attempt >= retries) {
            rc = cpose_err(CPOSE_EIO, "download: %s failed after %d attempts: %s (partial data kept in %s for a later resume)",
                           o->url, attempt + 1, why, part);
            goto done;
        }
        double wait = backoff * (double)(1 << (attempt < 16 ? attempt : 16));
        cpose_warn("download: %s: %s; retry %d/%d in %.1f s", o->url, why, attempt + 1, retries, wait);
        sleep_s(wait);
        attempt++;
    }
    if (!verify(part, o, msg, sizeof msg)) {
        unlink(part);
        rc = cpose_err(CPOSE_EIO, "download: %s: %s (file not kept)", o->url, msg);
        goto done;
    }
    if (rename(part, path) != 0) {
        rc = cpose_err(CPOSE_EIO, "download: cannot rename '%s' to '%s': %s", part, path, strerror(errno));
        goto done;
    }
    cpose_info("download: %s → %s (%lld bytes)", o->url, path, (long long)file_size(path));
done:
    if (c) curl_easy_cleanup(c);
    if (rc == CPOSE_OK && out_path) *out_path = cpose_strdup(path);
    cpose_free(name);
    cpose_free(path);
    cpose_free(part);
    return rc;
}

/* "synth: train=64 val=16 imgsz=320 seed=0" — the generator instead of a URL (cpose's extension). */
static int synth_download(const struct cpose_dataset *d, const char *spec)
{
    struct cpose_synth_opts o = {d->path, 64, 16, 320, 0, 1};
    char *s = cpose_strdup(spec + 6), *save = NULL;
    int rc = CPOSE_OK;
    for (char *tok = strtok_r(s, " \t,", &save); tok && rc == CPOSE_OK; tok = strtok_r(NULL, " \t,", &save)) {
        char *eq = strchr(tok, '=');
        char *end = NULL;
        long long v = eq ? strtoll(eq + 1, &end, 10) : 0;
        if (!eq || end == eq + 1 || *end || v < 0) {
            rc = cpose_err(CPOSE_EINVAL, "%s: download: '%s': expected synth: train=N val=N imgsz=N seed=N", d->yaml_path, spec);
            break;
        }
        *eq = 0;
        if (strcmp(tok, "train") == 0) o.n_train = (int)v;
        else if (strcmp(tok, "val") == 0) o.n_val = (int)v;
        else if (strcmp(tok, "imgsz") == 0) o.imgsz = (int)v;
        else if (strcmp(tok, "seed") == 0) o.seed = (uint64_t)v;
        else rc = cpose_err(CPOSE_EINVAL, "%s: download: unknown synth key '%s' (train, val, imgsz, seed)", d->yaml_path, tok);
    }
    cpose_free(s);
    if (rc == CPOSE_OK) rc = cpose_synth_generate(&o);
    return rc;
}

int cpose_dataset_download(const struct cpose_dataset *d)
{
    for (int i = 0; i < d->n_download; i++) {
        if (strncmp(d->download[i], "synth:", 6) == 0) {
            int rc = synth_download(d, d->download[i]);
            if (rc) return rc;
            continue;
        }
        struct cpose_download_opts o = {.url = d->download[i], .dir = d->download_dir[i], .size = -1, .retries = 3,
                                        .timeout = 30, .backoff = 1};
        char *path = NULL;
        int rc = cpose_download(&o, &path);
        if (rc) return rc;
        if (cpose_is_archive_name(path)) {
            long n = 0;
            rc = cpose_extract(path, d->download_dir[i], &n);
            if (rc == CPOSE_OK) {
                cpose_info("download: extracted %ld entries into %s", n, d->download_dir[i]);
                unlink(path);
            }
        }
        cpose_free(path);
        if (rc) return rc;
    }
    return CPOSE_OK;
}

int cpose_dataset_ensure(const struct cpose_dataset *d, int autodownload)
{
    const char *missing = NULL;
    for (int i = 0; i < d->n_splits[CPOSE_SPLIT_VAL] && !missing; i++)
        if (access(d->splits[CPOSE_SPLIT_VAL][i], F_OK) != 0) missing = d->splits[CPOSE_SPLIT_VAL][i];
    if (!missing) return CPOSE_OK;
    if (!d->n_download || !autodownload)
        return cpose_err(CPOSE_EIO, "dataset '%s' images not found, missing path '%s'%s", d->yaml_path, missing,
                         d->n_download ? "" : " (the YAML has no download: key)");
    cpose_warn("dataset '%s' images not found, missing path '%s': downloading", d->yaml_path, missing);
    int rc = cpose_dataset_download(d);
    if (rc) return rc;
    for (int i = 0; i < d->n_splits[CPOSE_SPLIT_VAL]; i++)
        if (access(d->splits[CPOSE_SPLIT_VAL][i], F_OK) != 0)
            return cpose_err(CPOSE_EIO, "dataset '%s': download finished but '%s' is still missing", d->yaml_path,
                             d->splits[CPOSE_SPLIT_VAL][i]);
    return CPOSE_OK;
}
