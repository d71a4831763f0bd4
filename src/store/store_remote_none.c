/*
 * store_remote_none.c - the remote backends of a build without libcurl (-DHEXZ_WITH_CURL=OFF):
 * http://, https:// and s3:// locations are recognised and refused with HEXZ_EUNSUPPORTED.
 * CMakeLists.txt compiles this file instead of store_http.c, store_s3.c, http_fetch.c and
 * http_cache.c.
 */
#include "common/error.h"
#include "store/store.h"

static int not_built(const char *url)
{
    return hx_error(HEXZ_EUNSUPPORTED,
                    "%s: not built with libcurl (http://, https:// and s3:// "
                    "archives need it)",
                    url);
}

int hx_store_http_open(hexz_backend *out, const char *url, const hx_remote_settings *settings)
{
    (void)out;
    (void)settings;
    return not_built(url);
}

int hx_store_s3_open(hexz_backend *out, const char *url, const hx_remote_settings *settings)
{
    (void)out;
    (void)settings;
    return not_built(url);
}
