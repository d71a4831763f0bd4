/*
 * store_http.c - the http:// and https:// backend: an unauthenticated hx_http (http_fetch.c,
 * which probes the size and refuses servers without range support) wrapped in the windowed,
 * cached backend of http_cache.c. Redirects are followed (at most 5, http and https only).
 */
#include <string.h>

#include "common/error.h"
#include "store/http_cache.h"
#include "store/http_fetch.h"
#include "store/store.h"

int hx_store_http_open(hexz_backend *out, const char *url, const hx_remote_settings *settings)
{
    const char *host = strstr(url, "://");
    if (!host || host[3] == '\0' || host[3] == '/')
        return hx_error(HEXZ_EINVAL, "%s: not a valid URL (expected http[s]://HOST/PATH)", url);
    hx_http_target t = {url, url, 1, NULL, NULL, NULL, settings};
    hx_http *h;
    int rc = hx_http_open(&h, &t);
    if (rc) return rc;
    return hx_http_cache_backend(out, h, settings);
}
