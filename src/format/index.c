/*
 * index.c - page directory entries, index page headers and block entries (FORMAT.md §8-§9).
 */
#include "format/format.h"

#include <string.h>

#include "common/bytes.h"
#include "common/codec_ids.h"
#include "common/error.h"

void hx_page_ref_encode(const hx_page_ref *p, uint8_t out[HX_PAGE_DIR_ENTRY_LEN])
{
    hx_put64(out, p->first_logical);
    hx_put64(out + 8, p->first_block);
    hx_put64(out + 16, p->page_offset);
    hx_put32(out + 24, p->page_length);
    hx_put32(out + 28, p->entry_count);
    memcpy(out + 32, p->page_hash, HX_HASH_LEN);
}

void hx_page_ref_decode(hx_page_ref *p, const uint8_t in[HX_PAGE_DIR_ENTRY_LEN])
{
    p->first_logical = hx_get64(in);
    p->first_block = hx_get64(in + 8);
    p->page_offset = hx_get64(in + 16);
    p->page_length = hx_get32(in + 24);
    p->entry_count = hx_get32(in + 28);
    memcpy(p->page_hash, in + 32, HX_HASH_LEN);
}

void hx_page_header_encode(const hx_page_header *h, uint8_t out[HX_PAGE_HEADER_LEN])
{
    memcpy(out, HX_PAGE_MAGIC, 4);
    hx_put32(out + 4, h->stream);
    hx_put32(out + 8, h->entry_count);
    hx_put32(out + 12, 0);
    hx_put64(out + 16, h->first_logical);
    hx_put64(out + 24, h->first_block);
}

int hx_page_header_decode(hx_page_header *h, const uint8_t in[HX_PAGE_HEADER_LEN], const char *name)
{
    if (memcmp(in, HX_PAGE_MAGIC, 4) != 0 || hx_get32(in + 12) != 0)
        return hx_error(HEXZ_ECORRUPT, "%s: bad index page header", name);
    h->stream = hx_get32(in + 4);
    h->entry_count = hx_get32(in + 8);
    h->first_logical = hx_get64(in + 16);
    h->first_block = hx_get64(in + 24);
    return 0;
}

void hx_block_entry_encode(const hx_block_entry *e, uint8_t out[HX_BLOCK_ENTRY_LEN])
{
    hx_put64(out, e->logical_offset);
    hx_put64(out + 8, e->stored_offset);
    hx_put32(out + 16, e->logical_length);
    hx_put32(out + 20, e->stored_length);
    out[24] = e->kind;
    out[25] = e->codec;
    hx_put16(out + 26, 0);
    hx_put32(out + 28, 0);
    hx_put64(out + 32, e->stored_checksum);
    memcpy(out + 40, e->content_hash, HX_HASH_LEN);
}

uint64_t hx_stored_length_limit(uint32_t max_size, uint32_t overhead)
{
    return (uint64_t)max_size + max_size / 16 + 1024 + overhead;
}

static int hole_check(const hx_block_entry *e, const char *name)
{
    static const uint8_t zero[HX_HASH_LEN];
    if (e->logical_length == 0 || e->logical_length > HX_HOLE_MAX)
        return hx_error(HEXZ_ECORRUPT, "%s: hole of %u bytes out of range", name,
                        e->logical_length);
    if (e->stored_offset || e->stored_length || e->codec || e->stored_checksum ||
        memcmp(e->content_hash, zero, HX_HASH_LEN) != 0)
        return hx_error(HEXZ_ECORRUPT, "%s: hole entry has stored fields set", name);
    return 0;
}

static int stored_check(const hx_block_entry *e, uint32_t max_size, uint32_t overhead,
                        const char *name)
{
    if (e->logical_length == 0 || e->logical_length > max_size)
        return hx_error(HEXZ_ECORRUPT, "%s: block of %u bytes exceeds the archive's maximum %u",
                        name, e->logical_length, max_size);
    if (!hx_codec_id_known(e->codec))
        return hx_error(HEXZ_ECORRUPT, "%s: block has unknown codec %u", name, e->codec);
    if (e->stored_length <= overhead ||
        e->stored_length > hx_stored_length_limit(max_size, overhead))
        return hx_error(HEXZ_ECORRUPT, "%s: stored length %u out of range", name, e->stored_length);
    if (e->codec == HX_CODEC_NONE && e->stored_length != (uint64_t)e->logical_length + overhead)
        return hx_error(HEXZ_ECORRUPT, "%s: raw block length mismatch", name);
    return 0;
}

/* A reference into the base: stored_offset is the logical offset in the base stream whose index
 * is stored_length; the base's block there must have this length and content hash. */
static int base_check(const hx_block_entry *e, const char *name)
{
    if (e->logical_length == 0 || e->logical_length > HX_BLOCK_MAX_LIMIT || e->codec != 0 ||
        e->stored_checksum != 0 || e->stored_length >= HX_STREAM_MAX_COUNT)
        return hx_error(HEXZ_ECORRUPT, "%s: bad base reference", name);
    return 0;
}

int hx_block_entry_decode(hx_block_entry *e, const uint8_t in[HX_BLOCK_ENTRY_LEN],
                          uint32_t max_size, uint32_t overhead, const char *name)
{
    e->logical_offset = hx_get64(in);
    e->stored_offset = hx_get64(in + 8);
    e->logical_length = hx_get32(in + 16);
    e->stored_length = hx_get32(in + 20);
    e->kind = in[24];
    e->codec = in[25];
    e->stored_checksum = hx_get64(in + 32);
    memcpy(e->content_hash, in + 40, HX_HASH_LEN);
    if (hx_get16(in + 26) != 0 || hx_get32(in + 28) != 0)
        return hx_error(HEXZ_ECORRUPT, "%s: block entry has reserved bytes set", name);
    if (e->kind == HX_BLOCK_HOLE) return hole_check(e, name);
    if (e->kind == HX_BLOCK_STORED) return stored_check(e, max_size, overhead, name);
    if (e->kind == HX_BLOCK_BASE) return base_check(e, name);
    return hx_error(HEXZ_ECORRUPT, "%s: unknown block kind %u", name, e->kind);
}
