/*
 * sign_archive.c - hexz_sign(): adding a signature section to an existing archive.
 *
 * The signed archive is a copy of the old one up to its section table, then the new signature
 * section, then the old table plus one entry, then a header with the new table's place and the
 * new length. Signature sections stand outside the root hash, so the root hash, and every
 * signature already there, stays valid. The copy is written beside the archive and renamed
 * over it, so a crash leaves either the old archive or the new one (archive_rewrite.h, shared
 * with change_password.c). Uses read/reader.h and crypto/ (the signature), never a struct field.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "crypto/sign.h"
#include "ops/archive_rewrite.h"
#include "read/reader.h"

static int make_signature(hexz_reader *r, const uint8_t *sk, const char *comment, uint8_t **bytes,
                          size_t *len)
{
    hx_signature s;
    memset(&s, 0, sizeof s);
    size_t clen = comment ? strlen(comment) : 0;
    if (clen > HX_SIG_COMMENT_MAX)
        return hx_error(HEXZ_EINVAL, "%s: trusted comment longer than %d bytes", hx_reader_path(r),
                        HX_SIG_COMMENT_MAX);
    memcpy(s.comment, comment ? comment : "", clen);
    s.comment_length = (uint16_t)clen;
    s.signed_at = (int64_t)time(NULL);
    uint8_t pk[HEXZ_PUBLIC_KEY_LEN], msg[HX_SIG_MSG_MAX];
    hexz_key_public(sk, pk);
    hexz_key_id(pk, s.key_id);
    int rc = hx_ed25519_sign(s.signature, msg, hx_signature_message(&s, hx_reader_header(r), msg),
                             sk);
    return rc ? rc : hx_signature_encode(&s, bytes, len);
}

/* Readers refuse an archive with more than HX_SIGNATURE_MAX_COUNT signatures (or sections), so
 * one more must be refused here, before anything is written. */
static int room_for_signature(const hexz_reader *r)
{
    const hx_section *sec = hx_reader_sections(r);
    uint32_t count = hx_reader_header(r)->section_count, n = 0;
    for (uint32_t i = 0; i < count; i++) n += sec[i].type == HX_SECTION_SIGNATURE;
    if (n >= HX_SIGNATURE_MAX_COUNT)
        return hx_error(HEXZ_EINVAL, "%s: already carries the maximum of %d signatures; not signed",
                        hx_reader_path(r), HX_SIGNATURE_MAX_COUNT);
    if (count >= HX_SECTION_MAX_COUNT)
        return hx_error(HEXZ_EINVAL, "%s: no room for another section; not signed",
                        hx_reader_path(r));
    return 0;
}

typedef struct {
    const uint8_t *sig;
    size_t len;
} signature_bytes;

/* The old archive up to its section table, the signature section, the old table plus one. */
static int write_signed(hexz_reader *r, hx_outfile *out, void *user)
{
    const signature_bytes *sig = user;
    const hx_header *h = hx_reader_header(r);
    int rc = hx_outfile_copy_from(out, hx_reader_fd(r), 0, h->section_table_offset,
                                  hx_reader_path(r));
    hx_section s = {.type = HX_SECTION_SIGNATURE,
                    .flags = HX_SECTION_OUTSIDE_ROOT,
                    .offset = out->pos,
                    .length = sig->len};
    hx_hash(sig->sig, sig->len, s.hash);
    if (!rc) rc = hx_outfile_write(out, sig->sig, sig->len);
    uint32_t count = h->section_count + 1;
    hx_section *sections = malloc((size_t)count * sizeof *sections);
    if (!rc && !sections) rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", hx_reader_path(r));
    if (!rc) {
        memcpy(sections, hx_reader_sections(r), (size_t)h->section_count * sizeof *sections);
        sections[count - 1] = s;
        rc = hx_rewrite_tail(r, out, sections, count, 0);
    }
    free(sections);
    return rc;
}

int hexz_sign(const char *archive, const uint8_t secret_key[HEXZ_SECRET_KEY_LEN],
              const char *trusted_comment)
{
    if (!archive || !secret_key) return hx_error(HEXZ_EINVAL, "hexz_sign: NULL argument");
    int rc = hx_rewrite_check_local(archive);
    if (rc) return rc;
    hexz_reader *r;
    hx_open_ctx ctx = {.structure_only = 1};
    rc = hx_reader_open_ex(&r, archive, &ctx);
    if (rc) return rc;
    signature_bytes sig = {NULL, 0};
    uint8_t *bytes = NULL;
    rc = room_for_signature(r);
    if (!rc) rc = make_signature(r, secret_key, trusted_comment, &bytes, &sig.len);
    sig.sig = bytes;
    if (!rc) rc = hx_rewrite_archive(r, archive, write_signed, &sig);
    free(bytes);
    hexz_reader_free(r);
    return rc;
}
