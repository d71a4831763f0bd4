/*
 * store_s3.c - the s3://BUCKET/KEY backend: works out the HTTPS URL of the object and signs each
 * request with AWS Signature Version 4 (sigv4.c), then reuses the HTTP machinery unchanged
 * (http_fetch.c for ranges, retries and change detection; http_cache.c for windows and caches).
 *
 * Addressing: with HEXZ_S3_ENDPOINT or AWS_ENDPOINT_URL set (e.g. http://127.0.0.1:9000) the
 * request goes path-style to ENDPOINT/BUCKET/KEY; otherwise to AWS, virtual-host style
 * (https://BUCKET.s3.REGION.amazonaws.com/KEY) when the bucket name allows it, else path-style
 * (https://s3.REGION.amazonaws.com/BUCKET/KEY). Credentials come from AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; without them requests go unsigned (public
 * objects). The region is AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "store/http_cache.h"
#include "store/http_fetch.h"
#include "store/sigv4.h"
#include "store/store.h"

typedef struct {
    char *access_key, *secret_key, *token; /* token may be NULL */
    char *region;
    char *host;          /* the Host header, exactly as signed */
    char *canonical_uri; /* the encoded path, exactly as requested */
} s3_signer;

/* Where one object lives. */
typedef struct {
    char *url, *host, *canonical_uri;
} s3_location;

static void signer_free(void *user)
{
    s3_signer *s = user;
    if (!s) return;
    free(s->access_key);
    if (s->secret_key) {
        memset(s->secret_key, 0, strlen(s->secret_key));
        free(s->secret_key);
    }
    free(s->token);
    free(s->region);
    free(s->host);
    free(s->canonical_uri);
    free(s);
}

static int add_header(struct curl_slist **headers, const char *name, const char *value)
{
    char *line;
    if (asprintf(&line, "%s: %s", name, value) < 0) return -1;
    struct curl_slist *l = curl_slist_append(*headers, line);
    free(line);
    if (!l) return -1;
    *headers = l;
    return 0;
}

static int s3_sign(void *user, const char *method, struct curl_slist **headers)
{
    s3_signer *s = user;
    char amz_date[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
    const hx_sigv4_header hs[4] = {{"host", s->host},
                                   {"x-amz-content-sha256", HX_SIGV4_EMPTY_SHA256},
                                   {"x-amz-date", amz_date},
                                   {"x-amz-security-token", s->token}};
    hx_sigv4_input in = {method,
                         s->canonical_uri,
                         "",
                         hs,
                         s->token ? 4 : 3,
                         HX_SIGV4_EMPTY_SHA256,
                         amz_date,
                         s->region,
                         "s3",
                         s->access_key,
                         s->secret_key};
    hx_sigv4_output o;
    int rc = hx_sigv4_sign(&in, &o);
    if (rc) return rc;
    int bad = 0;
    for (size_t i = 0; i < in.header_count; i++)
        bad |= add_header(headers, i == 0 ? "Host" : hs[i].name, hs[i].value);
    bad |= add_header(headers, "Authorization", o.authorization);
    hx_sigv4_output_free(&o);
    return bad ? hx_error(HEXZ_ENOMEM, "sigv4: out of memory") : 0;
}

/* S3's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ becomes %XX; '/' too unless `keep_slash`.
 */
static char *uri_encode(const char *s, int keep_slash)
{
    char *out = malloc(strlen(s) * 3 + 1), *p = out;
    if (!out) return NULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keep_slash);
        if (plain) *p++ = (char)c;
        else p += sprintf(p, "%%%02X", c);
    }
    *p = '\0';
    return out;
}

static int dns_bucket(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-') return 0;
    for (; *b; b++)
        if (!((*b >= 'a' && *b <= 'z') || (*b >= '0' && *b <= '9') || *b == '-')) return 0;
    return 1;
}

/* Path-style through an endpoint URL such as http://127.0.0.1:9000 (a path prefix is kept). */
static int locate_endpoint(s3_location *loc, const char *endpoint, const char *bucket,
                           const char *key)
{
    const char *auth = strstr(endpoint, "://");
    if (!auth || (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0) ||
        !auth[3] || auth[3] == '/')
        return hx_error(HEXZ_EINVAL, "S3 endpoint %s: expected http[s]://HOST[:PORT]", endpoint);
    auth += 3;
    size_t auth_len = strcspn(auth, "/");
    const char *at = memchr(auth, '@', auth_len);
    const char *host = at ? at + 1 : auth;
    size_t prefix_len = strlen(auth + auth_len);
    while (prefix_len && auth[auth_len + prefix_len - 1] == '/') prefix_len--;
    if (asprintf(&loc->host, "%.*s", (int)(auth + auth_len - host), host) < 0) loc->host = NULL;
    if (asprintf(&loc->canonical_uri, "%.*s/%s/%s", (int)prefix_len, auth + auth_len, bucket, key) <
        0)
        loc->canonical_uri = NULL;
    if (loc->canonical_uri && asprintf(&loc->url, "%.*s%s", (int)(auth - endpoint + auth_len),
                                       endpoint, loc->canonical_uri) < 0)
        loc->url = NULL;
    return 0;
}

static int locate_aws(s3_location *loc, const char *region, const char *bucket, const char *ebucket,
                      const char *key)
{
    int vhost = dns_bucket(bucket);
    int n1 = vhost ? asprintf(&loc->host, "%s.s3.%s.amazonaws.com", bucket, region)
                   : asprintf(&loc->host, "s3.%s.amazonaws.com", region);
    int n2 = vhost ? asprintf(&loc->canonical_uri, "/%s", key)
                   : asprintf(&loc->canonical_uri, "/%s/%s", ebucket, key);
    if (n1 < 0) loc->host = NULL;
    if (n2 < 0) loc->canonical_uri = NULL;
    if (loc->host && loc->canonical_uri &&
        asprintf(&loc->url, "https://%s%s", loc->host, loc->canonical_uri) < 0)
        loc->url = NULL;
    return 0;
}

/* Splits s3://BUCKET/KEY and finds the object's URL. */
static int locate(s3_location *loc, const char *url, const char *region,
                  const hx_remote_settings *settings)
{
    const char *b = url + 5, *slash = strchr(b, '/');
    if (!slash || slash == b || !slash[1])
        return hx_error(HEXZ_EINVAL, "%s: expected s3://BUCKET/KEY", url);
    char *bucket = strndup(b, (size_t)(slash - b));
    char *ebucket = bucket ? uri_encode(bucket, 0) : NULL, *ekey = uri_encode(slash + 1, 1);
    const char *endpoint = hx_remote_setting(settings, "HEXZ_S3_ENDPOINT");
    if (!endpoint) endpoint = hx_remote_setting(settings, "AWS_ENDPOINT_URL");
    int rc = 0;
    if (ebucket && ekey)
        rc = endpoint ? locate_endpoint(loc, endpoint, ebucket, ekey)
                      : locate_aws(loc, region, bucket, ebucket, ekey);
    if (!rc && (!loc->url || !loc->host || !loc->canonical_uri))
        rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", url);
    free(bucket);
    free(ebucket);
    free(ekey);
    return rc;
}

/* A signer from the settings: *out = NULL when no credentials are set (unsigned requests). */
static int make_signer(s3_signer **out, const char *url, const char *region, s3_location *loc,
                       const hx_remote_settings *settings)
{
    const char *id = hx_remote_setting(settings, "AWS_ACCESS_KEY_ID");
    const char *secret = hx_remote_setting(settings, "AWS_SECRET_ACCESS_KEY");
    const char *token = hx_remote_setting(settings, "AWS_SESSION_TOKEN");
    *out = NULL;
    if (!id && !secret) return 0;
    if (!id || !secret)
        return hx_error(HEXZ_EINVAL, "%s: %s is set but %s is not", url,
                        id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                        id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    s3_signer *s = calloc(1, sizeof *s);
    if (!s) return hx_error(HEXZ_ENOMEM, "%s: out of memory", url);
    s->access_key = strdup(id);
    s->secret_key = strdup(secret);
    s->token = token ? strdup(token) : NULL;
    s->region = strdup(region);
    s->host = loc->host;
    s->canonical_uri = loc->canonical_uri;
    loc->host = loc->canonical_uri = NULL; /* now the signer's */
    if (!s->access_key || !s->secret_key || (token && !s->token) || !s->region) {
        signer_free(s);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", url);
    }
    *out = s;
    return 0;
}

int hx_store_s3_open(hexz_backend *out, const char *url, const hx_remote_settings *settings)
{
    const char *region = hx_remote_setting(settings, "AWS_REGION");
    if (!region) region = hx_remote_setting(settings, "AWS_DEFAULT_REGION");
    if (!region) region = "us-east-1";
    s3_location loc = {NULL, NULL, NULL};
    s3_signer *signer = NULL;
    int rc = locate(&loc, url, region, settings);
    if (!rc) rc = make_signer(&signer, url, region, &loc, settings);
    hx_http *h = NULL;
    if (!rc) {
        hx_http_target t = {loc.url, url,         0,       signer ? s3_sign : NULL,
                            signer,  signer_free, settings};
        rc = hx_http_open(&h, &t); /* owns the signer from here on */
    }
    free(loc.url);
    free(loc.host);
    free(loc.canonical_uri);
    if (rc) return rc;
    return hx_http_cache_backend(out, h, settings);
}
