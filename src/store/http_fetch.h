/*
 * http_fetch.h - the transport under the remote backends: exact byte ranges of one URL over
 * libcurl, with retries, timeouts and a check that the object has not changed since open.
 *
 * An hx_http is opened once per archive (store_http.c, store_s3.c): the open probes the size and
 * the validator (ETag, else Last-Modified) with a `Range: bytes=0-0` GET and refuses servers
 * that ignore ranges. hx_http_get() is then safe from many threads at once: each call borrows an
 * easy handle from a small per-object pool (kept for keep-alive), never a global one. Windows,
 * caching and coalescing live a layer above, in http_cache.c.
 *
 * libcurl's process-wide curl_global_init() runs exactly once, under pthread_once(), the first
 * time any remote archive is opened: the one piece of process-wide state in libhexz. It is never
 * undone (curl_global_cleanup() is not called), as the library cannot know when the process is
 * done with libcurl.
 */
#ifndef HX_HTTP_FETCH_H
#define HX_HTTP_FETCH_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Adds the headers that authenticate one request (S3: Host, x-amz-*, Authorization) to
 * *headers. Called for every attempt, so each carries a fresh time. Returns 0 or a HEXZ_E* code
 * with hx_error() set. */
typedef int (*hx_http_sign_fn)(void *user, const char *method, struct curl_slist **headers);

typedef struct {
    const char *url;      /* what is requested */
    const char *name;     /* names the archive in messages: the location the user gave */
    int follow_redirects; /* plain HTTP: yes; signed S3 requests: no */
    hx_http_sign_fn sign; /* NULL: unauthenticated */
    void *sign_user;      /* owned by the hx_http from open on (even if open fails) */
    void (*sign_free)(void *user);
    const hx_remote_settings *settings; /* HEXZ_HTTP_ATTEMPTS, HEXZ_HTTP_TIMEOUT; used by open */
} hx_http_target;

typedef struct hx_http hx_http;

/* Opens `t`: reads the tuning settings (HEXZ_HTTP_ATTEMPTS, HEXZ_HTTP_TIMEOUT), probes the
 * object and learns its size and validator. */
int hx_http_open(hx_http **out, const hx_http_target *t);
void hx_http_free(hx_http *h);

/* Reads exactly `len` bytes at `off` into `buf`, retrying transient failures. Fails with a
 * one-line message naming the URL and the HTTP status or curl error. Thread-safe. */
int hx_http_get(hx_http *h, uint64_t off, size_t len, uint8_t *buf);

uint64_t hx_http_size(const hx_http *h);
const char *hx_http_name(const hx_http *h);
const char *hx_http_url(const hx_http *h);
/* The ETag (or Last-Modified) seen at open, "" if the server sent neither. */
const char *hx_http_validator(const hx_http *h);

/* Reads the setting `name` (hx_remote_setting()) as a byte count or number (a K, M or G suffix
 * multiplies by 1024, 1024^2, 1024^3): `def` if unset or empty, HEXZ_EINVAL with a message if it
 * is not a number within [min, max]. */
int hx_setting_u64(const hx_remote_settings *settings, const char *name, uint64_t def, uint64_t min,
                   uint64_t max, uint64_t *out);

#endif
