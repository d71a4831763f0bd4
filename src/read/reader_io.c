/*
 * reader_io.c - the reader's two lowest helpers, used by every file that reads an archive's
 * bytes (open, pages, manifest, verify, the ops above): reading an exact range of the archive
 * through its backend, and opening sealed metadata of an encrypted archive. Calls no other
 * file of read/: everything else may call it.
 */
#include <stdlib.h>

#include "common/bytes.h"
#include "common/error.h"
#include "read/reader_impl.h"

int hx_pread_exact(hexz_reader *r, void *buf, size_t len, uint64_t off)
{
    if (!hx_range_within(off, len, 0, r->file_size))
        return hx_error(HEXZ_ECORRUPT, "%s: read past the end of the archive", r->path);
    return r->backend.read_at(r->backend.ctx, buf, len, off);
}

int hx_reader_unseal(hexz_reader *r, const uint8_t *in, size_t len, const char *domain, uint32_t a,
                     uint32_t b, uint8_t **out, const char *what)
{
    *out = NULL;
    if (!r->encrypted) return 0;
    if (len < HX_AEAD_OVERHEAD)
        return hx_error(HEXZ_ECORRUPT, "%s: %s too short to be sealed", r->path, what);
    uint8_t ad[HX_AD_MAX];
    size_t ad_len = hx_ad(ad, domain, r->header.archive_id, a, b, NULL);
    uint8_t *plain = malloc(len - HX_AEAD_OVERHEAD + 1);
    if (!plain) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    if (hx_open(plain, in, len, ad, ad_len, r->keys.meta) != 0) {
        free(plain);
        return hx_error(HEXZ_ECORRUPT, "%s: %s does not decrypt (damaged or moved)", r->path, what);
    }
    *out = plain;
    return 0;
}
