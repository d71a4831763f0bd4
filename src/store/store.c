/*
 * store.c - choosing a backend for a location by its scheme, and looking up the settings the
 * remote backends read (hx_remote_settings: the caller's, never the environment).
 */
#include "store/store.h"

#include <string.h>

#include "common/error.h"

int hx_store_is_url(const char *location)
{
    const char *colon = strstr(location, "://");
    if (!colon || colon == location) return 0;
    for (const char *p = location; p < colon; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+')) return 0;
    return 1;
}

const char *hx_remote_setting(const hx_remote_settings *s, const char *name)
{
    const char *v = s && s->setting ? s->setting(s->user, name) : NULL;
    return v && *v ? v : NULL;
}

int hx_store_open_with(hexz_backend *out, const char *location, int *fd_out,
                       const hx_remote_settings *settings)
{
    if (fd_out) *fd_out = -1;
    if (!hx_store_is_url(location)) return hx_store_file_open(out, location, fd_out);
    if (strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0)
        return hx_store_http_open(out, location, settings);
    if (strncmp(location, "s3://", 5) == 0) return hx_store_s3_open(out, location, settings);
    return hx_error(HEXZ_EUNSUPPORTED,
                    "%s: unknown URL scheme (use a path, http://, https:// or s3://)", location);
}
