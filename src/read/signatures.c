/*
 * signatures.c - the reader's view of an archive's signatures: listing them and checking one
 * against a public key. Parsing happens at open (reader_open.c); the cryptography is in
 * src/crypto/sign.c.
 */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/versioned.h"
#include "read/reader_impl.h"

unsigned hexz_reader_signature_count(const hexz_reader *r)
{
    return r ? r->signature_count : 0;
}

static int to_public(const hexz_reader *r, const hx_signature *s, hexz_signature_info *out)
{
    static const size_t ends[] = {sizeof(hexz_signature_info)}; /* common/versioned.h */
    hexz_signature_info full;
    memset(&full, 0, sizeof full);
    memcpy(full.key_id, s->key_id, HEXZ_KEY_ID_LEN);
    full.signed_at = s->signed_at;
    memcpy(full.comment, s->comment, s->comment_length);
    return hx_info_give(out, &full, ends, HEXZ_SIGNATURE_INFO_VERSION, r->path, "signature info");
}

int hexz_reader_signature_at(const hexz_reader *r, unsigned index, hexz_signature_info *out)
{
    if (!r || !out) return hx_error(HEXZ_EINVAL, "hexz_reader_signature_at: NULL argument");
    if (index >= r->signature_count)
        return hx_error(HEXZ_ERANGE, "%s: no signature %u (the archive has %u)", r->path, index,
                        r->signature_count);
    return to_public(r, &r->signatures[index], out);
}

int hexz_reader_verify_signature(hexz_reader *r, const uint8_t public_key[HEXZ_PUBLIC_KEY_LEN],
                                 hexz_signature_info *out)
{
    if (!r || !public_key)
        return hx_error(HEXZ_EINVAL, "hexz_reader_verify_signature: NULL argument");
    if (out && hx_info_check(out, r->path, "signature info")) return HEXZ_EINVAL;
    uint8_t id[HEXZ_KEY_ID_LEN];
    hexz_key_id(public_key, id);
    int found = 0;
    for (uint32_t i = 0; i < r->signature_count; i++) {
        const hx_signature *s = &r->signatures[i];
        if (memcmp(s->key_id, id, HEXZ_KEY_ID_LEN) != 0) continue;
        found = 1;
        uint8_t msg[HX_SIG_MSG_MAX];
        size_t n = hx_signature_message(s, &r->header, msg);
        int rc = hx_ed25519_verify(s->signature, msg, n, public_key);
        if (rc == 0) {
            return out ? to_public(r, s, out) : 0;
        }
        if (rc != HEXZ_EBADSIG) return rc;
    }
    char idhex[2 * HEXZ_KEY_ID_LEN + 1];
    for (int i = 0; i < HEXZ_KEY_ID_LEN; i++) snprintf(idhex + 2 * i, 3, "%02x", id[i]);
    if (!found)
        return hx_error(HEXZ_EBADSIG, "%s: not signed by key %s (%u signature%s present)", r->path,
                        idhex, r->signature_count, r->signature_count == 1 ? "" : "s");
    return hx_error(HEXZ_EBADSIG, "%s: signature by key %s does not verify", r->path, idhex);
}
