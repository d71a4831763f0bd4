/*
 * change_password.c - hexz_change_password_opts(): a new password for an encrypted archive.
 *
 * Re-wrapping the data key alone cannot revoke the old password: the old key record (from a
 * backup, or a copy of the archive) still unwraps the same data key, and no binding keyed by
 * that key helps, since whoever knows the old password can unwrap the old record and recompute
 * any MAC. So by default the archive is re-encrypted: its content is copied block by block
 * (archive_copy.h) into a new archive with the same archive id, chunking, codec, level and
 * dictionary, sealed under a fresh random data key wrapped by the new password.
 *
 * With keep_key (fast, the old password not revoked) the new archive is the old one up to its
 * first signature (or its section table), with the ENCRYPTION record replaced in place (it
 * keeps its length), then a section table without the signatures (they signed the old root
 * hash, which covered the old record) and a new header.
 *
 * Both are written beside the archive (beside a symlink's target) and renamed into place, with
 * the old file's owner and mode (outfile.h, HX_OUT_UPDATE).
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "ops/archive_copy.h"
#include "pack/outfile.h"
#include "pack/writer_impl.h"
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

static int keep_key(hexz_reader *r, const char *archive, const char *old_pw, const char *new_pw,
                    hexz_kdf_strength kdf)
{
    const hx_section *sec = find_record(r);
    uint8_t record[HX_KEY_RECORD_LEN];
    uint64_t cut = 0;
    hx_outfile out;
    memset(&out, 0, sizeof out);
    out.fd = -1;
    int rc = kept_end(r, &cut);
    if (!rc) rc = rewrap(r, sec, old_pw, new_pw, kdf, record);
    if (!rc) rc = hx_outfile_open(&out, archive, HX_OUT_UPDATE);
    if (!rc) rc = hx_outfile_check_source(&out, r->fd);
    if (!rc) rc = write_rewrapped(r, &out, sec, record, cut);
    if (!rc) rc = hx_outfile_commit(&out);
    hx_outfile_discard(&out);
    return rc;
}

/* A new archive under a fresh data key, with everything the old one's readers could see kept. */
static int reencrypt(hexz_reader *r, const char *archive, const char *new_pw, const hexz_passwd_options *o)
{
    hexz_write_options wo;
    hexz_write_options_init(&wo);
    hx_copy_chunking(r, &wo);
    wo.codec = (hexz_codec)r->params.codec;
    wo.level = r->params.level;
    wo.password = new_pw;
    wo.kdf = o->kdf;
    wo.archive_id = r->header.archive_id;
    wo.threads = o->threads;
    wo.progress = o->progress;
    wo.progress_user = o->progress_user;
    wo.overwrite = 1;
    if (r->dict) hx_codec_dict_bytes(r->dict, &wo.dictionary, &wo.dictionary_size);
    hexz_writer *w = NULL;
    int rc = hexz_writer_create(&w, archive, &wo);
    if (!rc) rc = hx_outfile_check_source(&w->out, r->fd);
    if (!rc) {
        for (uint32_t s = 0; s < r->stream_count; s++) w->progress.bytes_total += r->streams[s].desc.size;
        rc = hx_copy_content(r, w);
    }
    if (!rc) rc = hexz_writer_finish(w);
    hexz_writer_free(w);
    return rc;
}

int hexz_change_password_opts(const char *archive, const char *old_password, const char *new_password,
                              const hexz_passwd_options *opts)
{
    if (!archive || !old_password || !new_password)
        return hx_error(HEXZ_EINVAL, "hexz_change_password: NULL argument");
    if (opts && opts->version != HEXZ_PASSWD_OPTIONS_VERSION)
        return hx_error(HEXZ_EINVAL, "%s: password options version %u is not %u", archive, opts->version,
                        HEXZ_PASSWD_OPTIONS_VERSION);
    hexz_passwd_options o = HEXZ_PASSWD_OPTIONS_INIT;
    if (opts) o = *opts;
    if (!*new_password) return hx_error(HEXZ_EINVAL, "%s: the new password is empty", archive);
    hexz_reader *r;
    hx_open_ctx ctx = {.password = old_password, .max_kdf_memory = o.max_kdf_memory, .max_kdf_ops = o.max_kdf_ops};
    int rc = hx_reader_open_ex(&r, archive, &ctx);
    if (rc) return rc;
    if (!r->encrypted || !find_record(r)) rc = hx_error(HEXZ_EINVAL, "%s: archive is not encrypted", archive);
    if (!rc && r->fd < 0) rc = hx_error(HEXZ_EINVAL, "%s: only a local archive can be rewritten", archive);
    if (!rc) rc = o.keep_key ? keep_key(r, archive, old_password, new_password, o.kdf)
                             : reencrypt(r, archive, new_password, &o);
    hexz_reader_free(r);
    return rc;
}

int hexz_change_password(const char *archive, const char *old_password, const char *new_password,
                         hexz_kdf_strength kdf)
{
    hexz_passwd_options o = HEXZ_PASSWD_OPTIONS_INIT;
    o.kdf = kdf;
    return hexz_change_password_opts(archive, old_password, new_password, &o);
}
