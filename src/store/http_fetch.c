/*
 * http_fetch.c - ranged GETs over libcurl (see http_fetch.h).
 *
 * How the parts fit: hx_http_get() runs attempt() up to `attempts` times with exponential
 * backoff. attempt() borrows an easy handle from the per-object pool (handle_take/handle_give),
 * sets it up for one `Range: bytes=a-b` GET (setup_request), performs it while on_header() and
 * on_body() collect the status, validators, Content-Range and body, and classify() turns the
 * outcome into OK, RETRY (connection trouble, timeouts, 408/429/5xx, short bodies) or FAIL
 * (404, 403, a server that ignores ranges, an object that changed since open). The open is the
 * same GET for byte 0 (probe mode), which also records the size and the validator.
 */
#include "store/http_fetch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/error.h"

#define HX_HTTP_IDLE_MAX 16 /* easy handles kept for keep-alive */
#define HX_HTTP_VALIDATOR_MAX 256
#define HX_HTTP_MSG_MAX 600
#define HX_HTTP_BODY_KEEP 512  /* bytes of an error response kept for its S3 error code */
#define HX_HTTP_BACKOFF_MS 100 /* first retry delay; doubles each time */
#define HX_HTTP_LOW_SPEED 1024 /* bytes/s below which a transfer counts as stalled */

struct hx_http {
    char *url, *name, *label; /* label: how messages name it ("name" or "name (url)") */
    int follow_redirects;
    hx_http_sign_fn sign;
    void *sign_user;
    void (*sign_free)(void *user);
    unsigned attempts;
    long timeout_s;
    uint64_t size;
    char validator[HX_HTTP_VALIDATOR_MAX];
    int validator_is_etag;
    pthread_mutex_t lock; /* guards idle[] */
    CURL *idle[HX_HTTP_IDLE_MAX];
    unsigned idle_count;
};

/* One transfer's collected response. */
typedef struct {
    uint8_t *buf;
    size_t want, got;
    int overflow;
    long status;
    char body[HX_HTTP_BODY_KEEP];
    size_t body_len;
    char etag[HX_HTTP_VALIDATOR_MAX], last_modified[HX_HTTP_VALIDATOR_MAX], content_range[128];
} hx_xfer;

typedef enum { HX_OK, HX_RETRY, HX_FAIL } hx_outcome;

/* ---- libcurl's process-wide init: the one documented piece of global state ---------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT; /* written once, under curl_once */

static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- response callbacks --------------------------------------------------------------------- */

static void copy_trimmed(char *dst, size_t cap, const char *src, size_t len)
{
    while (len && (*src == ' ' || *src == '\t')) src++, len--;
    while (len && (src[len - 1] == '\r' || src[len - 1] == '\n' || src[len - 1] == ' ')) len--;
    if (len >= cap) len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    hx_xfer *x = user;
    size_t len = size * n;
    if (len > 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (redirects, 100-continue) */
        const char *sp = memchr(p, ' ', len);
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->etag[0] = x->last_modified[0] = x->content_range[0] = '\0';
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon) return len;
    size_t name_len = (size_t)(colon - p), rest = len - name_len - 1;
    if (name_len == 4 && strncasecmp(p, "etag", 4) == 0)
        copy_trimmed(x->etag, sizeof x->etag, colon + 1, rest);
    else if (name_len == 13 && strncasecmp(p, "last-modified", 13) == 0)
        copy_trimmed(x->last_modified, sizeof x->last_modified, colon + 1, rest);
    else if (name_len == 13 && strncasecmp(p, "content-range", 13) == 0)
        copy_trimmed(x->content_range, sizeof x->content_range, colon + 1, rest);
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    hx_xfer *x = user;
    size_t len = size * n;
    if (x->status / 100 != 2) { /* keep the start of an error document */
        size_t keep = len < sizeof x->body - 1 - x->body_len ? len
                                                             : sizeof x->body - 1 - x->body_len;
        memcpy(x->body + x->body_len, p, keep);
        x->body_len += keep;
        x->body[x->body_len] = '\0';
        return len;
    }
    size_t room = x->want - x->got, take = len < room ? len : room;
    memcpy(x->buf + x->got, p, take);
    x->got += take;
    if (take < len) { /* more than asked for: abort the transfer (CURLE_WRITE_ERROR) */
        x->overflow = 1;
        return 0;
    }
    return len;
}

/* ---- the handle pool ------------------------------------------------------------------------ */

static CURL *handle_take(hx_http *h)
{
    CURL *c = NULL;
    pthread_mutex_lock(&h->lock);
    if (h->idle_count) c = h->idle[--h->idle_count];
    pthread_mutex_unlock(&h->lock);
    return c ? c : curl_easy_init();
}

static void handle_give(hx_http *h, CURL *c)
{
    pthread_mutex_lock(&h->lock);
    if (h->idle_count < HX_HTTP_IDLE_MAX) {
        h->idle[h->idle_count++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&h->lock);
    if (c) curl_easy_cleanup(c);
}

/* ---- one attempt ---------------------------------------------------------------------------- */

static int setup_request(hx_http *h, CURL *c, hx_xfer *x, char *errbuf, uint64_t off, size_t len,
                         struct curl_slist **headers)
{
    char range[80];
    snprintf(range, sizeof range, "Range: bytes=%llu-%llu", (unsigned long long)off,
             (unsigned long long)(off + len - 1));
    struct curl_slist *l = curl_slist_append(NULL, range);
    if (!l) return hx_error(HEXZ_ENOMEM, "%s: out of memory", h->label);
    *headers = l;
    if (h->sign) {
        int rc = h->sign(h->sign_user, "GET", headers);
        if (rc) return rc;
    }
    curl_easy_reset(c); /* keeps the live connection for keep-alive */
    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, (long)h->follow_redirects);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)HX_HTTP_LOW_SPEED);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->timeout_s);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "hexz/" HEXZ_VERSION_STRING);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    return 0;
}

/* Failures worth another try: the network, the server's health, timeouts. */
static int curl_transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_AGAIN:
    case CURLE_WEIRD_SERVER_REPLY: return 1;
    default: return 0;
    }
}

/* " SignatureDoesNotMatch" from an S3 error document, or "". */
static void s3_code(const hx_xfer *x, char *out, size_t cap)
{
    out[0] = '\0';
    const char *a = strstr(x->body, "<Code>");
    const char *b = a ? strstr(a, "</Code>") : NULL;
    if (!a || !b || b - a - 6 > 64) return;
    snprintf(out, cap, " %.*s", (int)(b - a - 6), a + 6);
}

/* Parses "bytes A-B/T", or "bytes *\/T" (then A = B = UINT64_MAX). */
static int parse_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *total)
{
    if (strncasecmp(s, "bytes ", 6) != 0) return -1;
    s += 6;
    char *end;
    if (*s == '*') {
        *a = *b = UINT64_MAX;
        end = (char *)s + 1;
    } else {
        *a = strtoull(s, &end, 10);
        if (*end != '-') return -1;
        *b = strtoull(end + 1, &end, 10);
    }
    if (*end != '/') return -1;
    *total = strtoull(end + 1, &end, 10);
    return *end == '\0' ? 0 : -1;
}

static int validator_changed(const hx_http *h, const hx_xfer *x, char *msg)
{
    const char *now = h->validator_is_etag ? x->etag : x->last_modified;
    if (!h->validator[0] || !now[0] || strcmp(now, h->validator) == 0) return 0;
    snprintf(msg, HX_HTTP_MSG_MAX, "archive changed on the server (%s was %s, now %s)",
             h->validator_is_etag ? "ETag" : "Last-Modified", h->validator, now);
    return 1;
}

static void remember_validator(hx_http *h, const hx_xfer *x)
{
    h->validator_is_etag = x->etag[0] != '\0';
    snprintf(h->validator, sizeof h->validator, "%s", x->etag[0] ? x->etag : x->last_modified);
}

/* A 206 (or, in probe mode, a 416 for an empty object). */
static hx_outcome check_partial(hx_http *h, const hx_xfer *x, uint64_t off, size_t len, int probe,
                                char *msg, int *code)
{
    uint64_t a, b, total;
    *code = HEXZ_EIO;
    if (parse_content_range(x->content_range, &a, &b, &total) != 0) {
        snprintf(msg, HX_HTTP_MSG_MAX, "HTTP %ld with a bad Content-Range \"%s\"", x->status,
                 x->content_range);
        return HX_FAIL;
    }
    if (probe) { /* only the size and validator matter (some servers send more than byte 0) */
        h->size = total;
        remember_validator(h, x);
        if (x->status == 416 || x->got == len || (a == 0 && x->overflow)) return HX_OK;
    } else if (total != h->size) {
        snprintf(msg, HX_HTTP_MSG_MAX, "archive changed on the server (size was %llu, now %llu)",
                 (unsigned long long)h->size, (unsigned long long)total);
        return HX_FAIL;
    } else if (validator_changed(h, x, msg)) {
        return HX_FAIL;
    } else if (a != off || b != off + len - 1) {
        snprintf(msg, HX_HTTP_MSG_MAX, "server sent bytes %llu-%llu for a request of %llu-%llu",
                 (unsigned long long)a, (unsigned long long)b, (unsigned long long)off,
                 (unsigned long long)(off + len - 1));
        return HX_FAIL;
    } else if (x->got == len && !x->overflow) {
        return HX_OK;
    }
    snprintf(msg, HX_HTTP_MSG_MAX, "short response body (%zu of %zu bytes)", x->got, len);
    return HX_RETRY;
}

static hx_outcome classify_status(hx_http *h, const hx_xfer *x, uint64_t off, size_t len, int probe,
                                  char *msg, int *code)
{
    char s3[80];
    s3_code(x, s3, sizeof s3);
    long st = x->status;
    *code = HEXZ_EIO;
    if (st == 206 || (st == 416 && probe)) return check_partial(h, x, off, len, probe, msg, code);
    if (st == 200) {
        *code = HEXZ_EUNSUPPORTED;
        snprintf(msg, HX_HTTP_MSG_MAX,
                 "server does not support range requests (HTTP 200 with the "
                 "whole object to a Range request)");
        return HX_FAIL;
    }
    if (st == 404 || st == 410) {
        *code = HEXZ_ENOTFOUND;
        snprintf(msg, HX_HTTP_MSG_MAX, "not found (HTTP %ld%s)", st, s3);
        return HX_FAIL;
    }
    if (st == 401 || st == 403) {
        snprintf(msg, HX_HTTP_MSG_MAX, "access denied (HTTP %ld%s)", st, s3);
        return HX_FAIL;
    }
    snprintf(msg, HX_HTTP_MSG_MAX, "HTTP %ld%s", st, s3);
    return st == 408 || st == 429 || st >= 500 ? HX_RETRY : HX_FAIL;
}

static hx_outcome attempt(hx_http *h, uint64_t off, size_t len, uint8_t *buf, int probe, char *msg,
                          int *code)
{
    CURL *c = handle_take(h);
    if (!c) {
        *code = HEXZ_ENOMEM;
        snprintf(msg, HX_HTTP_MSG_MAX, "out of memory");
        return HX_FAIL;
    }
    hx_xfer *x = calloc(1, sizeof *x);
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    int rc = x ? setup_request(h, c, x, errbuf, off, len, &headers) : HEXZ_ENOMEM;
    hx_outcome out = HX_FAIL;
    if (rc) {
        *code = rc;
        snprintf(msg, HX_HTTP_MSG_MAX, "%s", x ? hexz_last_error() : "out of memory");
    } else {
        x->buf = buf;
        x->want = len;
        CURLcode cr = curl_easy_perform(c);
        *code = HEXZ_EIO;
        if (cr != CURLE_OK && !(cr == CURLE_WRITE_ERROR && x->overflow)) {
            snprintf(msg, HX_HTTP_MSG_MAX, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cr));
            out = curl_transient(cr) ? HX_RETRY : HX_FAIL;
        } else {
            out = classify_status(h, x, off, len, probe, msg, code);
        }
    }
    curl_slist_free_all(headers);
    free(x);
    handle_give(h, c);
    return out;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

/* Newlines never reach a message: it must stay one line. */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r') *s = ' ';
}

static int fetch(hx_http *h, uint64_t off, size_t len, uint8_t *buf, int probe)
{
    char msg[HX_HTTP_MSG_MAX] = "";
    int code = HEXZ_EIO;
    for (unsigned i = 0; i < h->attempts; i++) {
        if (i) sleep_ms(HX_HTTP_BACKOFF_MS << (i - 1));
        hx_outcome o = attempt(h, off, len, buf, probe, msg, &code);
        one_line(msg);
        if (o == HX_OK) return 0;
        if (o == HX_FAIL) return hx_error(code, "%s: %s", h->label, msg);
    }
    return hx_error(HEXZ_EIO, "%s: %s (gave up after %u attempts)", h->label, msg, h->attempts);
}

int hx_http_get(hx_http *h, uint64_t off, size_t len, uint8_t *buf)
{
    if (len == 0) return 0;
    if (off > h->size || len > h->size - off)
        return hx_error(HEXZ_ECORRUPT, "%s: read past the end of the object", h->label);
    return fetch(h, off, len, buf, 0);
}

/* ---- configuration ------------------------------------------------------------------------- */

int hx_setting_u64(const hx_remote_settings *settings, const char *name, uint64_t def, uint64_t min,
                   uint64_t max, uint64_t *out)
{
    const char *s = hx_remote_setting(settings, name);
    if (!s) {
        *out = def;
        return 0;
    }
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10;
    else if (*end == 'M' || *end == 'm') shift = 20;
    else if (*end == 'G' || *end == 'g') shift = 30;
    if (shift) end++;
    if (end == s || *end != '\0' || *s == '-' || (shift && v > (UINT64_MAX >> shift)) ||
        (v << shift) < min || (v << shift) > max)
        return hx_error(HEXZ_EINVAL, "%s=%s: expected a number from %llu to %llu", name, s,
                        (unsigned long long)min, (unsigned long long)max);
    *out = (uint64_t)v << shift;
    return 0;
}

/* ---- open and close ------------------------------------------------------------------------- */

static int init_fields(hx_http *h, const hx_http_target *t)
{
    uint64_t attempts, timeout;
    int rc = hx_setting_u64(t->settings, "HEXZ_HTTP_ATTEMPTS", 4, 1, 16, &attempts);
    if (!rc) rc = hx_setting_u64(t->settings, "HEXZ_HTTP_TIMEOUT", 15, 1, 3600, &timeout);
    if (rc) return rc;
    h->attempts = (unsigned)attempts;
    h->timeout_s = (long)timeout;
    h->follow_redirects = t->follow_redirects;
    h->url = strdup(t->url);
    h->name = strdup(t->name);
    if (h->url && h->name) {
        if (strcmp(t->url, t->name) == 0) h->label = strdup(t->name);
        else if (asprintf(&h->label, "%s (%s)", t->name, t->url) < 0) h->label = NULL;
    }
    if (!h->url || !h->name || !h->label)
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", t->name);
    return 0;
}

int hx_http_open(hx_http **out, const hx_http_target *t)
{
    hx_http *h = calloc(1, sizeof *h);
    if (!h) {
        if (t->sign_free) t->sign_free(t->sign_user);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", t->name);
    }
    h->sign = t->sign;
    h->sign_user = t->sign_user;
    h->sign_free = t->sign_free;
    pthread_mutex_init(&h->lock, NULL);
    pthread_once(&curl_once, curl_init_once);
    int rc = curl_init_result == CURLE_OK
                 ? 0
                 : hx_error(HEXZ_EIO, "%s: libcurl failed to initialise: %s", t->name,
                            curl_easy_strerror(curl_init_result));
    if (!rc) rc = init_fields(h, t);
    uint8_t first;
    if (!rc) rc = fetch(h, 0, 1, &first, 1);
    if (rc) {
        hx_http_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

void hx_http_free(hx_http *h)
{
    if (!h) return;
    for (unsigned i = 0; i < h->idle_count; i++) curl_easy_cleanup(h->idle[i]);
    pthread_mutex_destroy(&h->lock);
    if (h->sign_free) h->sign_free(h->sign_user);
    free(h->url);
    free(h->name);
    free(h->label);
    free(h);
}

uint64_t hx_http_size(const hx_http *h)
{
    return h->size;
}
const char *hx_http_name(const hx_http *h)
{
    return h->name;
}
const char *hx_http_url(const hx_http *h)
{
    return h->url;
}
const char *hx_http_validator(const hx_http *h)
{
    return h->validator;
}
