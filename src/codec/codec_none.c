/*
 * codec_none.c - the `none` codec: blocks stored as their logical bytes (used when compression
 * would not make a block smaller).
 */
#include "codec/codec_impl.h"

#include <string.h>

#include "common/error.h"

int hx_codec_none_compress(const void *src, size_t n, void *dst, size_t cap, size_t *out_len)
{
    if (cap < n) return hx_error(HEXZ_EINVAL, "raw block of %zu bytes does not fit in %zu", n, cap);
    if (n) memcpy(dst, src, n);
    *out_len = n;
    return 0;
}

int hx_codec_none_decompress(const void *src, size_t n, void *dst, size_t expected)
{
    /* A raw block's stored length is its logical length; any other length is damage. */
    if (n != expected)
        return hx_error(HEXZ_ECORRUPT, "raw block is %zu bytes, expected %zu", n, expected);
    if (n) memcpy(dst, src, n);
    return 0;
}
