/*
 * signature.c - the signature record of a SIGNATURE section and the message it signs
 * (FORMAT.md §11). Only the bytes: signing and checking them is crypto/sign.h's.
 *
 * A signature signs the archive's root hash together with its id, format version, the key id,
 * the time of signing and the trusted comment. Because the root hash commits to every section,
 * page and block, the signature covers every byte of the archive except the signature records
 * themselves.
 */
#include "format/format.h"

#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/error.h"

int hx_signature_encode(const hx_signature *s, uint8_t **out, size_t *len)
{
    *len = HX_SIG_FIXED_LEN + s->comment_length;
    uint8_t *p = calloc(1, *len);
    if (!p) return hx_error(HEXZ_ENOMEM, "out of memory");
    memcpy(p, HX_SIG_MAGIC, 4);
    hx_put16(p + 4, 1);
    hx_put16(p + 6, s->comment_length);
    memcpy(p + 8, s->key_id, HEXZ_KEY_ID_LEN);
    hx_put64(p + 16, (uint64_t)s->signed_at);
    memcpy(p + 24, s->signature, 64);
    memcpy(p + HX_SIG_FIXED_LEN, s->comment, s->comment_length);
    *out = p;
    return 0;
}

int hx_signature_decode(hx_signature *s, const uint8_t *in, size_t len, const char *name)
{
    memset(s, 0, sizeof *s);
    if (len < HX_SIG_FIXED_LEN || memcmp(in, HX_SIG_MAGIC, 4) != 0 || hx_get16(in + 4) != 1)
        return hx_error(HEXZ_ECORRUPT, "%s: bad signature record", name);
    s->comment_length = hx_get16(in + 6);
    if (s->comment_length > HX_SIG_COMMENT_MAX ||
        len != HX_SIG_FIXED_LEN + (size_t)s->comment_length)
        return hx_error(HEXZ_ECORRUPT, "%s: bad signature record length", name);
    memcpy(s->key_id, in + 8, HEXZ_KEY_ID_LEN);
    s->signed_at = (int64_t)hx_get64(in + 16);
    memcpy(s->signature, in + 24, 64);
    memcpy(s->comment, in + HX_SIG_FIXED_LEN, s->comment_length);
    s->comment[s->comment_length] = '\0';
    if (memchr(s->comment, '\0', s->comment_length))
        return hx_error(HEXZ_ECORRUPT, "%s: signature comment contains NUL", name);
    return 0;
}

size_t hx_signature_message(const hx_signature *s, const hx_header *h, uint8_t *out)
{
    uint8_t *p = out;
    memcpy(p, HX_SIG_DOMAIN, 17);
    p += 17;
    memcpy(p, h->archive_id, HX_ARCHIVE_ID_LEN);
    p += HX_ARCHIVE_ID_LEN;
    hx_put16(p, h->major);
    hx_put16(p + 2, h->minor);
    p += 4;
    memcpy(p, h->root_hash, HX_HASH_LEN);
    p += HX_HASH_LEN;
    memcpy(p, s->key_id, HEXZ_KEY_ID_LEN);
    p += HEXZ_KEY_ID_LEN;
    hx_put64(p, (uint64_t)s->signed_at);
    p += 8;
    hx_put16(p, s->comment_length);
    p += 2;
    memcpy(p, s->comment, s->comment_length);
    p += s->comment_length;
    return (size_t)(p - out);
}
