/*
 * bases.c - the BASES section of a thin archive (FORMAT.md §13): which archive its base
 * references point into, named by path and identified by archive id and root hash.
 */
#include "format/format.h"

#include <string.h>

#include "common/bytes.h"
#include "common/error.h"

size_t hx_bases_encode(const hx_base_ref *b, uint8_t *out, size_t cap)
{
    size_t plen = strlen(b->path), len = 4 + HX_ARCHIVE_ID_LEN + HX_HASH_LEN + 2 + plen;
    if (len > cap) return 0;
    hx_put32(out, 1);
    memcpy(out + 4, b->archive_id, HX_ARCHIVE_ID_LEN);
    memcpy(out + 4 + HX_ARCHIVE_ID_LEN, b->root_hash, HX_HASH_LEN);
    hx_put16(out + 52, (uint16_t)plen);
    memcpy(out + 54, b->path, plen);
    return len;
}

int hx_bases_decode(hx_base_ref *b, const uint8_t *in, size_t len, const char *name)
{
    if (len < 54 || hx_get32(in) != 1)
        return hx_error(HEXZ_ECORRUPT, "%s: bad bases section (one base expected)", name);
    memcpy(b->archive_id, in + 4, HX_ARCHIVE_ID_LEN);
    memcpy(b->root_hash, in + 4 + HX_ARCHIVE_ID_LEN, HX_HASH_LEN);
    size_t plen = hx_get16(in + 52);
    if (plen == 0 || plen > HX_PATH_MAX || len != 54 + plen || memchr(in + 54, '\0', plen))
        return hx_error(HEXZ_ECORRUPT, "%s: bad base path in bases section", name);
    memcpy(b->path, in + 54, plen);
    b->path[plen] = '\0';
    return 0;
}
