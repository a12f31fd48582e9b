/* core/base/fetch.h — small http(s) downloads with libcurl (predict sources given as URLs). */
#ifndef CPOSE_FETCH_H
#define CPOSE_FETCH_H

#include "core/base/status.h"

/* 1 when s starts with http:// or https:// (case-insensitive). */
CPOSE_API int cpose_is_url(const char *s);

/* Downloads url to path (written to a temporary name, renamed when complete). Follows redirects;
 * an HTTP status >= 400, a connection failure or timeout_s seconds without progress is CPOSE_EIO
 * with the URL and curl's reason; no file is left at path on failure. */
CPOSE_API int cpose_fetch_url(const char *url, const char *path, double timeout_s);

/* The file name a URL points at: the last path component without query or fragment,
 * percent-decoded ("https://h/a/b%20c.jpg?x=1" → "b c.jpg"); "download" when empty. Caller frees. */
CPOSE_API char *cpose_url_filename(const char *url);

#endif
