/*
 * versioned.c - copying versioned public structs across the ABI boundary (versioned.h).
 */
#include "common/versioned.h"

#include <string.h>

#include "common/error.h"
#include "hexz.h"

static unsigned version_of(const void *s)
{
    unsigned v;
    memcpy(&v, s, sizeof v);
    return v;
}

int hx_options_take(void *dst, const void *src, const size_t *ends, unsigned current,
                    const char *name, const char *what)
{
    if (!src) return 0;
    unsigned v = version_of(src);
    if (v == 0)
        return hx_error(HEXZ_EINVAL, "%s: %s version 0 (initialise them with their _INIT macro)",
                        name, what);
    if (v > current)
        return hx_error(HEXZ_EUNSUPPORTED,
                        "%s: %s version %u is newer than this library's (%u); libhexz %s is "
                        "older than the header the program was built with",
                        name, what, v, current, HEXZ_VERSION_STRING);
    memcpy(dst, src, ends[v - 1]);
    memcpy(dst, &current, sizeof current);
    return 0;
}

int hx_info_check(const void *dst, const char *name, const char *what)
{
    if (version_of(dst) == 0)
        return hx_error(HEXZ_EINVAL, "%s: %s version 0 (set it with its _INIT macro)", name, what);
    return 0;
}

int hx_info_give(void *dst, const void *full, const size_t *ends, unsigned current,
                 const char *name, const char *what)
{
    int rc = hx_info_check(dst, name, what);
    if (rc) return rc;
    unsigned v = version_of(dst);
    if (v > current) v = current;
    memcpy(dst, full, ends[v - 1]);
    memcpy(dst, &v, sizeof v);
    return 0;
}
