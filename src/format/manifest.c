/*
 * manifest.c - manifest entries, manifest page headers, and the path order and syntax rules of
 * the file manifest (FORMAT.md §10).
 */
#include "format/format.h"

#include <string.h>

#include "common/bytes.h"
#include "common/error.h"

size_t hx_manifest_entry_len(const hx_manifest_entry *e)
{
    return HX_MANIFEST_ENTRY_FIXED_LEN + e->path_length + e->target_length;
}

void hx_manifest_entry_encode(const hx_manifest_entry *e, uint8_t *out)
{
    out[0] = e->type;
    out[1] = 0;
    hx_put16(out + 2, e->path_length);
    hx_put32(out + 4, e->mode);
    hx_put64(out + 8, (uint64_t)e->mtime_sec);
    hx_put32(out + 16, e->mtime_nsec);
    hx_put32(out + 20, e->target_length);
    hx_put64(out + 24, e->offset);
    hx_put64(out + 32, e->size);
    memcpy(out + 40, e->path, e->path_length);
    if (e->target_length) memcpy(out + 40 + e->path_length, e->target, e->target_length);
}

static int entry_fields_check(const hx_manifest_entry *e, const char *name)
{
    if (e->type < HX_FILE_REGULAR || e->type > HX_FILE_SYMLINK)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest entry has unknown type %u", name, e->type);
    if (e->mode > 07777 || e->mtime_nsec > 999999999u)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest entry has bad mode or time", name);
    if (e->type == HX_FILE_SYMLINK) {
        if (e->target_length == 0 || e->target_length > HX_PATH_MAX || e->offset || e->size)
            return hx_error(HEXZ_ECORRUPT, "%s: bad symbolic link entry", name);
    } else if (e->target_length != 0 || (e->type == HX_FILE_DIR && (e->offset || e->size))) {
        return hx_error(HEXZ_ECORRUPT, "%s: manifest entry has fields its type forbids", name);
    }
    return 0;
}

int hx_manifest_entry_decode(hx_manifest_entry *e, const uint8_t *in, size_t avail,
                             size_t *consumed, const char *name)
{
    if (avail < HX_MANIFEST_ENTRY_FIXED_LEN)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest entry truncated", name);
    e->type = in[0];
    e->path_length = hx_get16(in + 2);
    e->mode = hx_get32(in + 4);
    e->mtime_sec = (int64_t)hx_get64(in + 8);
    e->mtime_nsec = hx_get32(in + 16);
    e->target_length = hx_get32(in + 20);
    e->offset = hx_get64(in + 24);
    e->size = hx_get64(in + 32);
    if (in[1] != 0)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest entry has reserved bits set", name);
    int rc = entry_fields_check(e, name);
    if (rc) return rc;
    size_t len = hx_manifest_entry_len(e);
    if (len > avail) return hx_error(HEXZ_ECORRUPT, "%s: manifest entry truncated", name);
    e->path = (const char *)in + HX_MANIFEST_ENTRY_FIXED_LEN;
    e->target = e->target_length ? e->path + e->path_length : NULL;
    if (!hx_path_valid(e->path, e->path_length))
        return hx_error(HEXZ_ECORRUPT, "%s: manifest holds an unsafe path", name);
    if (e->target_length && memchr(e->target, '\0', e->target_length))
        return hx_error(HEXZ_ECORRUPT, "%s: symbolic link target contains NUL", name);
    *consumed = len;
    return 0;
}

void hx_manifest_page_header_encode(uint32_t entry_count, uint64_t first_index,
                                    uint8_t out[HX_MANIFEST_PAGE_HEADER_LEN])
{
    memcpy(out, HX_MANIFEST_PAGE_MAGIC, 4);
    hx_put32(out + 4, entry_count);
    hx_put64(out + 8, first_index);
}

int hx_manifest_page_header_decode(uint32_t *entry_count, uint64_t *first_index,
                                   const uint8_t in[HX_MANIFEST_PAGE_HEADER_LEN], const char *name)
{
    if (memcmp(in, HX_MANIFEST_PAGE_MAGIC, 4) != 0)
        return hx_error(HEXZ_ECORRUPT, "%s: bad manifest page header", name);
    *entry_count = hx_get32(in + 4);
    *first_index = hx_get64(in + 8);
    return 0;
}

int hx_path_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++) {
        unsigned ca = (unsigned char)a[i], cb = (unsigned char)b[i];
        if (ca == cb) continue;
        if (ca == '/') ca = 0;
        if (cb == '/') cb = 0;
        return ca < cb ? -1 : 1;
    }
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

int hx_path_valid(const char *p, size_t len)
{
    if (len == 0 || len > HX_PATH_MAX || p[0] == '/') return 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] == '\0') return 0;
        if (i < len && p[i] != '/') continue;
        size_t clen = i - start;
        if (clen == 0) return 0;
        if (clen == 1 && p[start] == '.') return 0;
        if (clen == 2 && p[start] == '.' && p[start + 1] == '.') return 0;
        start = i + 1;
    }
    return 1;
}
