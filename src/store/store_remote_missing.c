/*
 * store_remote_missing.c - placeholders for the HTTP and S3 backends until store_http.c and
 * store_s3.c exist: opening a URL says plainly that this build cannot.
 */
#include "common/error.h"
#include "store/store.h"

int hx_store_http_open(hexz_backend *out, const char *url)
{
    (void)out;
    return hx_error(HEXZ_EUNSUPPORTED, "%s: reading over HTTP is not available in this build", url);
}

int hx_store_s3_open(hexz_backend *out, const char *url)
{
    (void)out;
    return hx_error(HEXZ_EUNSUPPORTED, "%s: reading from S3 is not available in this build", url);
}
