/*
 * archive_rewrite.c - the shared part of rewriting an archive beside itself (archive_rewrite.h):
 * the outfile session around the rewrite, and the new section table and header that end it.
 * Used by sign_archive.c and change_password.c (keep_key). Uses read/reader.h (the old
 * archive), pack/outfile.h (the copy) and format/ (encoding).
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "ops/archive_rewrite.h"
#include "read/reader.h"
#include "store/store.h"

static int not_local(const char *archive)
{
    return hx_error(HEXZ_EINVAL, "%s: only a local archive can be rewritten", archive);
}

int hx_rewrite_check_local(const char *archive)
{
    return hx_store_is_url(archive) ? not_local(archive) : 0;
}

int hx_rewrite_archive(hexz_reader *r, const char *archive, hx_rewrite_fn fn, void *user)
{
    if (hx_reader_fd(r) < 0) return not_local(archive);
    hx_outfile out;
    memset(&out, 0, sizeof out);
    out.fd = -1;
    int rc = hx_outfile_open(&out, archive, HX_OUT_UPDATE);
    if (!rc) rc = hx_outfile_check_source(&out, hx_reader_fd(r));
    if (!rc) rc = fn(r, &out, user);
    if (!rc) rc = hx_outfile_commit(&out);
    hx_outfile_discard(&out);
    return rc;
}

int hx_rewrite_tail(hexz_reader *r, hx_outfile *out, const hx_section *sections, uint32_t count,
                    int rehash)
{
    uint8_t *table = malloc((size_t)count * HX_SECTION_ENTRY_LEN);
    if (!table) return hx_error(HEXZ_ENOMEM, "%s: out of memory", hx_reader_path(r));
    for (uint32_t i = 0; i < count; i++)
        hx_section_encode(&sections[i], table + (size_t)i * HX_SECTION_ENTRY_LEN);
    hx_header h = *hx_reader_header(r);
    h.section_table_offset = out->pos;
    h.section_count = count;
    h.file_length = out->pos + (uint64_t)count * HX_SECTION_ENTRY_LEN;
    uint8_t hbuf[HX_HEADER_LEN];
    hx_header_encode(&h, hbuf);
    if (rehash) {
        hx_root_hash(hbuf, table, count, h.root_hash);
        hx_header_encode(&h, hbuf);
    }
    int rc = hx_outfile_write(out, table, (size_t)count * HX_SECTION_ENTRY_LEN);
    if (!rc) rc = hx_outfile_pwrite(out, hbuf, sizeof hbuf, 0);
    free(table);
    return rc;
}
