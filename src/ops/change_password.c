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
 * the old file's owner and mode (outfile.h, HX_OUT_UPDATE); keep_key through archive_rewrite.h,
 * shared with sign_archive.c. Uses read/reader.h, pack/writer.h and crypto/ (key records).
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/versioned.h"
#include "crypto/aead.h"
#include "ops/archive_copy.h"
#include "ops/archive_rewrite.h"
#include "pack/writer.h"
#include "read/reader.h"

static const hx_section *find_record(const hexz_reader *r)
{
    const hx_section *sec = hx_reader_sections(r);
    for (uint32_t i = 0; i < hx_reader_header(r)->section_count; i++)
        if (sec[i].type == HX_SECTION_ENCRYPTION) return &sec[i];
    return NULL;
}

/* Where the kept part of the file ends: the first signature, or the section table. */
static int kept_end(const hexz_reader *r, uint64_t *out)
{
    const hx_section *sec = hx_reader_sections(r);
    uint32_t count = hx_reader_header(r)->section_count;
    uint64_t cut = hx_reader_header(r)->section_table_offset;
    for (uint32_t i = 0; i < count; i++)
        if (sec[i].type == HX_SECTION_SIGNATURE && sec[i].offset < cut) cut = sec[i].offset;
    for (uint32_t i = 0; i < count; i++) {
        const hx_section *s = &sec[i];
        if (s->type != HX_SECTION_SIGNATURE && s->offset + s->length > cut)
            return hx_error(HEXZ_EUNSUPPORTED, "%s: a section follows a signature; cannot rewrite",
                            hx_reader_path(r));
    }
    *out = cut;
    return 0;
}

static int rewrap(hexz_reader *r, const hx_section *sec, const char *old_pw, const char *new_pw,
                  hexz_kdf_strength kdf, uint8_t out[HX_KEY_RECORD_LEN])
{
    uint8_t *buf = malloc(HX_KEY_RECORD_LEN);
    if (!buf) return hx_error(HEXZ_ENOMEM, "%s: out of memory", hx_reader_path(r));
    hx_key_record rec;
    uint8_t data_key[HX_KEY_LEN];
    int rc = sec->length == HX_KEY_RECORD_LEN
                 ? hx_pread_exact(r, buf, HX_KEY_RECORD_LEN, sec->offset)
                 : hx_error(HEXZ_ECORRUPT, "%s: bad key record", hx_reader_path(r));
    if (!rc) rc = hx_key_record_decode(&rec, buf, HX_KEY_RECORD_LEN, hx_reader_path(r));
    const uint8_t *id = hx_reader_header(r)->archive_id;
    if (!rc) rc = hx_key_record_unwrap(&rec, old_pw, id, data_key, hx_reader_path(r));
    if (!rc) rc = hx_key_record_wrap(&rec, data_key, new_pw, kdf, id);
    if (!rc) hx_key_record_encode(&rec, out);
    hx_wipe(data_key, sizeof data_key);
    free(buf);
    return rc;
}

typedef struct {
    const hx_section *record_section;  /* the ENCRYPTION section */
    uint8_t record[HX_KEY_RECORD_LEN]; /* its new contents, the same length */
    uint64_t cut;                      /* kept_end() */
} rewrapped;

/* The old archive up to `cut`, the record replaced in place, the table without signatures. */
static int write_rewrapped(hexz_reader *r, hx_outfile *out, void *user)
{
    const rewrapped *k = user;
    int rc = hx_outfile_copy_from(out, hx_reader_fd(r), 0, k->cut, hx_reader_path(r));
    if (!rc) rc = hx_outfile_pwrite(out, k->record, HX_KEY_RECORD_LEN, k->record_section->offset);
    uint32_t all = hx_reader_header(r)->section_count, count = 0;
    hx_section *sections = malloc((size_t)all * sizeof *sections);
    if (!rc && !sections) rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", hx_reader_path(r));
    for (uint32_t i = 0; i < all && !rc; i++) {
        hx_section s = hx_reader_sections(r)[i];
        if (s.type == HX_SECTION_SIGNATURE) continue;
        if (s.type == HX_SECTION_ENCRYPTION) hx_hash(k->record, HX_KEY_RECORD_LEN, s.hash);
        sections[count++] = s;
    }
    if (!rc) rc = hx_rewrite_tail(r, out, sections, count, 1);
    free(sections);
    return rc;
}

static int keep_key(hexz_reader *r, const char *archive, const char *old_pw, const char *new_pw,
                    hexz_kdf_strength kdf)
{
    rewrapped k = {.record_section = find_record(r)};
    int rc = kept_end(r, &k.cut);
    if (!rc) rc = rewrap(r, k.record_section, old_pw, new_pw, kdf, k.record);
    if (!rc) rc = hx_rewrite_archive(r, archive, write_rewrapped, &k);
    return rc;
}

/* A new archive under a fresh data key, with everything the old one's readers could see kept. */
static int reencrypt(hexz_reader *r, const char *archive, const char *new_pw,
                     const hexz_passwd_options *o)
{
    hexz_write_options wo;
    hexz_write_options_init(&wo);
    hx_copy_chunking(r, &wo);
    wo.codec = (hexz_codec)hx_reader_params(r)->codec;
    wo.level = hx_reader_params(r)->level;
    wo.password = new_pw;
    wo.kdf = o->kdf;
    wo.archive_id = hx_reader_header(r)->archive_id;
    wo.threads = o->threads;
    wo.progress = o->progress;
    wo.progress_user = o->progress_user;
    wo.overwrite = 1;
    if (hx_reader_dict(r))
        hx_codec_dict_bytes(hx_reader_dict(r), &wo.dictionary, &wo.dictionary_size);
    hexz_writer *w = NULL;
    int rc = hexz_writer_create(&w, archive, &wo);
    if (!rc) rc = hx_writer_check_source(w, hx_reader_fd(r));
    if (!rc) {
        uint64_t total = 0;
        for (uint32_t s = 0; s < hexz_reader_stream_count(r); s++)
            total += hx_reader_stream_desc(r, s)->size;
        hx_writer_set_bytes_total(w, total);
        rc = hx_copy_content(r, w);
    }
    if (!rc) rc = hexz_writer_finish(w);
    hexz_writer_free(w);
    return rc;
}

int hexz_change_password_opts(const char *archive, const char *old_password,
                              const char *new_password, const hexz_passwd_options *opts)
{
    if (!archive || !old_password || !new_password)
        return hx_error(HEXZ_EINVAL, "hexz_change_password: NULL argument");
    static const size_t ends[] = {sizeof(hexz_passwd_options)}; /* common/versioned.h */
    hexz_passwd_options o = HEXZ_PASSWD_OPTIONS_INIT;
    int rc = hx_options_take(&o, opts, ends, HEXZ_PASSWD_OPTIONS_VERSION, archive,
                             "password options");
    if (rc) return rc;
    if (!*new_password) return hx_error(HEXZ_EINVAL, "%s: the new password is empty", archive);
    if (hx_rewrite_check_local(archive)) return HEXZ_EINVAL;
    hexz_reader *r;
    hx_open_ctx ctx = {
        .password = old_password, .max_kdf_memory = o.max_kdf_memory, .max_kdf_ops = o.max_kdf_ops};
    rc = hx_reader_open_ex(&r, archive, &ctx);
    if (rc) return rc;
    if (!hexz_reader_is_encrypted(r) || !find_record(r))
        rc = hx_error(HEXZ_EINVAL, "%s: archive is not encrypted", archive);
    if (!rc)
        rc = o.keep_key ? keep_key(r, archive, old_password, new_password, o.kdf)
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
