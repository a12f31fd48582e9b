/* core/base/fetch.c — http(s) downloads with libcurl to an atomically written file. */
#include "core/base/fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "core/base/alloc.h"
#include "core/base/fsutil.h"

int cpose_is_url(const char *s)
{
    return s && (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

char *cpose_url_filename(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t end = strcspn(p, "?#");
    const char *slash = NULL;
    for (size_t i = 0; i < end; i++)
        if (p[i] == '/') slash = p + i;
    if (!slash) return cpose_strdup("download");
    const char *name = slash + 1;
    size_t len = (size_t)(p + end - name);
    char *out = cpose_malloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '%' && i + 2 < len && hexval(name[i + 1]) >= 0 && hexval(name[i + 2]) >= 0) {
            out[k++] = (char)(hexval(name[i + 1]) * 16 + hexval(name[i + 2]));
            i += 2;
        } else out[k++] = name[i];
    }
    out[k] = 0;
    /* A decoded name must still be a plain file name. */
    if (k == 0 || strchr(out, '/') || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
        cpose_free(out);
        return cpose_strdup("download");
    }
    return out;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    return fwrite(data, size, nmemb, (FILE *)ud);
}

int cpose_fetch_url(const char *url, const char *path, double timeout_s)
{
    pthread_once(&curl_once, curl_init_once);
    struct cpose_atomic_file af = {0};
    int rc = cpose_atomic_open(&af, path);
    if (rc) return rc;
    CURL *h = curl_easy_init();
    if (!h) {
        cpose_atomic_abort(&af);
        return cpose_err(CPOSE_EIO, "%s: could not start libcurl", url);
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    long stall = timeout_s > 0 ? (long)(timeout_s + 0.999) : 30;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, stall);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cpose/" CPOSE_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, af.fp);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK) {
        cpose_atomic_abort(&af);
        return cpose_err(CPOSE_EIO, "download of %s failed: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
    }
    if (ferror(af.fp)) {
        cpose_atomic_abort(&af);
        return cpose_err(CPOSE_EIO, "download of %s: writing %s failed", url, path);
    }
    return cpose_atomic_commit(&af);
}
