/*
 * sign_archive.c - hexz_sign(): adding a signature section to an existing archive.
 *
 * The signed archive is a copy of the old one up to its section table, then the new signature
 * section, then the old table plus one entry, then a header with the new table's place and the
 * new length. Signature sections stand outside the root hash, so the root hash, and every
 * signature already there, stays valid. The copy is written beside the archive and renamed
 * over it, so a crash leaves either the old archive or the new one.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "crypto/sign.h"
#include "pack/outfile.h"
#include "read/reader_impl.h"

static int make_signature(hexz_reader *r, const uint8_t *sk, const char *comment, uint8_t **bytes,
                          size_t *len)
{
    hx_signature s;
    memset(&s, 0, sizeof s);
    size_t clen = comment ? strlen(comment) : 0;
    if (clen > HX_SIG_COMMENT_MAX)
        return hx_error(HEXZ_EINVAL, "%s: trusted comment longer than %d bytes", r->path, HX_SIG_COMMENT_MAX);
    memcpy(s.comment, comment ? comment : "", clen);
    s.comment_length = (uint16_t)clen;
    s.signed_at = (int64_t)time(NULL);
    int rc = hx_signature_sign(&s, &r->header, sk);
    return rc ? rc : hx_signature_encode(&s, bytes, len);
}

/* Readers refuse an archive with more than HX_SIGNATURE_MAX_COUNT signatures (or sections), so
 * one more must be refused here, before anything is written. */
static int room_for_signature(const hexz_reader *r)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->header.section_count; i++) n += r->sections[i].type == HX_SECTION_SIGNATURE;
    if (n >= HX_SIGNATURE_MAX_COUNT)
        return hx_error(HEXZ_EINVAL, "%s: already carries the maximum of %d signatures; not signed", r->path,
                        HX_SIGNATURE_MAX_COUNT);
    if (r->header.section_count >= HX_SECTION_MAX_COUNT)
        return hx_error(HEXZ_EINVAL, "%s: no room for another section; not signed", r->path);
    return 0;
}

static int write_signed(hexz_reader *r, hx_outfile *out, const uint8_t *sig, size_t sig_len)
{
    int rc = hx_outfile_copy_from(out, r->fd, 0, r->header.section_table_offset, r->path);
    hx_section s = {.type = HX_SECTION_SIGNATURE, .flags = HX_SECTION_OUTSIDE_ROOT,
                    .offset = out->pos, .length = sig_len};
    hx_hash(sig, sig_len, s.hash);
    if (!rc) rc = hx_outfile_write(out, sig, sig_len);
    uint32_t count = r->header.section_count + 1;
    uint8_t *table = malloc((size_t)count * HX_SECTION_ENTRY_LEN);
    if (!rc && !table) rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    if (!rc) {
        for (uint32_t i = 0; i + 1 < count; i++)
            hx_section_encode(&r->sections[i], table + (size_t)i * HX_SECTION_ENTRY_LEN);
        hx_section_encode(&s, table + (size_t)(count - 1) * HX_SECTION_ENTRY_LEN);
        hx_header h = r->header;
        h.section_table_offset = out->pos;
        h.section_count = count;
        h.file_length = out->pos + (uint64_t)count * HX_SECTION_ENTRY_LEN;
        uint8_t hbuf[HX_HEADER_LEN];
        hx_header_encode(&h, hbuf);
        rc = hx_outfile_write(out, table, (size_t)count * HX_SECTION_ENTRY_LEN);
        if (!rc) rc = hx_outfile_pwrite(out, hbuf, sizeof hbuf, 0);
    }
    free(table);
    return rc;
}

int hexz_sign(const char *archive, const uint8_t secret_key[HEXZ_SECRET_KEY_LEN],
              const char *trusted_comment)
{
    if (!archive || !secret_key) return hx_error(HEXZ_EINVAL, "hexz_sign: NULL argument");
    hexz_reader *r;
    hx_open_ctx ctx = {.structure_only = 1};
    int rc = hx_reader_open_ex(&r, archive, &ctx);
    if (rc) return rc;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    hx_outfile out;
    memset(&out, 0, sizeof out);
    out.fd = -1;
    rc = room_for_signature(r);
    if (!rc) rc = make_signature(r, secret_key, trusted_comment, &sig, &sig_len);
    if (!rc && r->fd < 0) rc = hx_error(HEXZ_EINVAL, "%s: only a local archive can be rewritten", archive);
    if (!rc) rc = hx_outfile_open(&out, archive, HX_OUT_UPDATE);
    if (!rc) rc = hx_outfile_check_source(&out, r->fd);
    if (!rc) rc = write_signed(r, &out, sig, sig_len);
    if (!rc) rc = hx_outfile_commit(&out);
    hx_outfile_discard(&out);
    free(sig);
    hexz_reader_free(r);
    return rc;
}
