/*
 * change_password.c - hexz_change_password(): re-wrapping an encrypted archive's data key under
 * a new password without touching any sealed block, page or section.
 *
 * The new archive is the old one up to its first signature (or its section table), with the
 * ENCRYPTION record replaced in place (it keeps its length), then a section table without the
 * signatures (they signed the old root hash, which covered the old record) and a new header.
 * Written beside the archive and renamed into place, like every output.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "pack/outfile.h"
#include "read/reader_impl.h"

static const hx_section *find_record(const hexz_reader *r)
{
    for (uint32_t i = 0; i < r->header.section_count; i++)
        if (r->sections[i].type == HX_SECTION_ENCRYPTION) return &r->sections[i];
    return NULL;
}

/* Where the kept part of the file ends: the first signature, or the section table. */
static int kept_end(const hexz_reader *r, uint64_t *out)
{
    uint64_t cut = r->header.section_table_offset;
    for (uint32_t i = 0; i < r->header.section_count; i++)
        if (r->sections[i].type == HX_SECTION_SIGNATURE && r->sections[i].offset < cut) cut = r->sections[i].offset;
    for (uint32_t i = 0; i < r->header.section_count; i++) {
        const hx_section *s = &r->sections[i];
        if (s->type != HX_SECTION_SIGNATURE && s->offset + s->length > cut)
            return hx_error(HEXZ_EUNSUPPORTED, "%s: a section follows a signature; cannot rewrite", r->path);
    }
    *out = cut;
    return 0;
}

static int rewrap(hexz_reader *r, const hx_section *sec, const char *old_pw, const char *new_pw,
                  hexz_kdf_strength kdf, uint8_t out[HX_KEY_RECORD_LEN])
{
    uint8_t *buf = malloc(HX_KEY_RECORD_LEN);
    if (!buf) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    hx_key_record rec;
    uint8_t data_key[HX_KEY_LEN];
    int rc = sec->length == HX_KEY_RECORD_LEN ? hx_pread_exact(r, buf, HX_KEY_RECORD_LEN, sec->offset)
                                               : hx_error(HEXZ_ECORRUPT, "%s: bad key record", r->path);
    if (!rc) rc = hx_key_record_decode(&rec, buf, HX_KEY_RECORD_LEN, r->path);
    if (!rc) rc = hx_key_record_unwrap(&rec, old_pw, r->header.archive_id, data_key, r->path);
    if (!rc) rc = hx_key_record_wrap(&rec, data_key, new_pw, kdf, r->header.archive_id);
    if (!rc) hx_key_record_encode(&rec, out);
    hx_wipe(data_key, sizeof data_key);
    free(buf);
    return rc;
}

static int write_rewrapped(hexz_reader *r, hx_outfile *out, const hx_section *sec,
                           const uint8_t record[HX_KEY_RECORD_LEN], uint64_t cut)
{
    int rc = hx_outfile_copy_from(out, r->fd, 0, cut, r->path);
    if (!rc) rc = hx_outfile_pwrite(out, record, HX_KEY_RECORD_LEN, sec->offset);
    uint8_t *table = malloc((size_t)r->header.section_count * HX_SECTION_ENTRY_LEN);
    if (!rc && !table) rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    uint32_t count = 0;
    for (uint32_t i = 0; i < r->header.section_count && !rc; i++) {
        hx_section s = r->sections[i];
        if (s.type == HX_SECTION_SIGNATURE) continue;
        if (s.type == HX_SECTION_ENCRYPTION) hx_hash(record, HX_KEY_RECORD_LEN, s.hash);
        hx_section_encode(&s, table + (size_t)count++ * HX_SECTION_ENTRY_LEN);
    }
    if (!rc) {
        hx_header h = r->header;
        h.section_table_offset = out->pos;
        h.section_count = count;
        h.file_length = out->pos + (uint64_t)count * HX_SECTION_ENTRY_LEN;
        uint8_t hbuf[HX_HEADER_LEN];
        hx_header_encode(&h, hbuf);
        hx_root_hash(hbuf, table, count, h.root_hash);
        hx_header_encode(&h, hbuf);
        rc = hx_outfile_write(out, table, (size_t)count * HX_SECTION_ENTRY_LEN);
        if (!rc) rc = hx_outfile_pwrite(out, hbuf, sizeof hbuf, 0);
    }
    free(table);
    return rc;
}

int hexz_change_password(const char *archive, const char *old_password, const char *new_password,
                         hexz_kdf_strength kdf)
{
    if (!archive || !old_password || !new_password)
        return hx_error(HEXZ_EINVAL, "hexz_change_password: NULL argument");
    if (!*new_password) return hx_error(HEXZ_EINVAL, "%s: the new password is empty", archive);
    hexz_reader *r;
    int rc = hexz_reader_open_password(&r, archive, old_password);
    if (rc) return rc;
    const hx_section *sec = find_record(r);
    uint8_t record[HX_KEY_RECORD_LEN];
    uint64_t cut = 0;
    hx_outfile out;
    memset(&out, 0, sizeof out);
    out.fd = -1;
    if (!r->encrypted || !sec) rc = hx_error(HEXZ_EINVAL, "%s: archive is not encrypted", archive);
    if (!rc) rc = kept_end(r, &cut);
    if (!rc) rc = rewrap(r, sec, old_password, new_password, kdf, record);
    if (!rc && r->fd < 0) rc = hx_error(HEXZ_EINVAL, "%s: only a local archive can be rewritten", archive);
    if (!rc) rc = hx_outfile_open(&out, archive, 1);
    struct stat st;
    if (!rc && fstat(r->fd, &st) == 0) fchmod(out.fd, st.st_mode & 07777);
    if (!rc) rc = write_rewrapped(r, &out, sec, record, cut);
    if (!rc) rc = hx_outfile_commit(&out);
    hx_outfile_discard(&out);
    hexz_reader_free(r);
    return rc;
}
