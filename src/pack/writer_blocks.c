/*
 * writer_blocks.c - turning one chunk into an index entry: a run of zeros becomes (part of) a
 * hole, content already stored becomes a reference to it, anything else is compressed (or kept
 * raw when compression does not help), checksummed and written. Entries collect in the current
 * stream's open index page, which is written out when full.
 */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/error.h"
#include "pack/writer_impl.h"

static int grow_pages(hexz_writer *w, hx_wstream *s)
{
    if (s->page_count < s->page_cap) return 0;
    uint32_t cap = s->page_cap ? s->page_cap * 2 : 16;
    hx_page_ref *p = realloc(s->pages, (size_t)cap * sizeof *p);
    if (!p) return hx_error(HEXZ_ENOMEM, "%s: out of memory for the page directory", w->out.dest);
    s->pages = p;
    s->page_cap = cap;
    return 0;
}

int hx_writer_flush_page(hexz_writer *w, hx_wstream *s)
{
    if (s->page_entries == 0) return 0;
    int rc = grow_pages(w, s);
    if (rc) return rc;
    hx_page_header ph = {s->index, s->page_entries, s->page_first_logical, s->page_first_block};
    hx_page_header_encode(&ph, s->page_buf);
    size_t len = HX_PAGE_HEADER_LEN + (size_t)s->page_entries * HX_BLOCK_ENTRY_LEN;
    hx_page_ref *ref = &s->pages[s->page_count];
    ref->first_logical = s->page_first_logical;
    ref->first_block = s->page_first_block;
    ref->page_offset = w->out.pos;
    ref->entry_count = s->page_entries;
    const uint8_t *stored = hx_writer_seal_meta(w, s->page_buf, len, w->seal_buf, "hexz-index-v1",
                                                s->index, s->page_count, &len);
    ref->page_length = (uint32_t)len;
    hx_hash(stored, len, ref->page_hash);
    rc = hx_outfile_write(&w->out, stored, len);
    if (rc) return rc;
    __atomic_store_n(&w->progress.bytes_out, w->out.pos, __ATOMIC_RELAXED);
    s->page_count++;
    s->page_entries = 0;
    return 0;
}

const uint8_t *hx_writer_seal_meta(hexz_writer *w, const uint8_t *plain, size_t len,
                                   uint8_t *sealed, const char *domain, uint32_t a, uint32_t b,
                                   size_t *out_len)
{
    *out_len = len;
    if (!w->encrypted) return plain;
    uint8_t ad[HX_AD_MAX];
    size_t ad_len = hx_ad(ad, domain, w->archive_id, a, b, NULL);
    hx_seal(sealed, plain, len, ad, ad_len, NULL, w->keys.meta);
    *out_len = len + HX_AEAD_OVERHEAD;
    return sealed;
}

static int add_entry(hexz_writer *w, hx_wstream *s, const hx_block_entry *e)
{
    if (s->page_entries == 0) {
        s->page_first_logical = e->logical_offset;
        s->page_first_block = s->block_count;
    }
    uint8_t *slot = s->page_buf + HX_PAGE_HEADER_LEN + (size_t)s->page_entries * HX_BLOCK_ENTRY_LEN;
    hx_block_entry_encode(e, slot);
    s->page_entries++;
    s->block_count++;
    __atomic_fetch_add(&w->progress.blocks, 1, __ATOMIC_RELAXED);
    if (s->page_entries == w->page_entries) return hx_writer_flush_page(w, s);
    return 0;
}

int hx_writer_flush_hole(hexz_writer *w, hx_wstream *s)
{
    if (s->hole_length == 0) return 0;
    hx_block_entry e;
    memset(&e, 0, sizeof e);
    e.kind = HX_BLOCK_HOLE;
    e.logical_offset = s->hole_offset;
    e.logical_length = s->hole_length;
    s->hole_length = 0;
    return add_entry(w, s, &e);
}

static int add_zeros(hexz_writer *w, hx_wstream *s, size_t len)
{
    if (s->hole_length && (uint64_t)s->hole_length + len > HX_HOLE_MAX) {
        int rc = hx_writer_flush_hole(w, s);
        if (rc) return rc;
    }
    if (s->hole_length == 0) s->hole_offset = s->size;
    s->hole_length += (uint32_t)len;
    s->size += len;
    return 0;
}

static int store_new(hexz_writer *w, hx_block_entry *e, const uint8_t *data, size_t len,
                     hx_prepared *p)
{
    if (!p->compressed) {
        int rc = hx_block_prepare_store(w->codec, (int)w->opts.codec, data, len, w->cbuf,
                                        w->cbuf_cap, w->ebuf, &w->crypto, p);
        if (rc) return hx_error(rc, "%s: %s", w->out.dest, hexz_last_error());
    }
    e->codec = p->codec;
    e->stored_offset = w->out.pos;
    e->stored_length = (uint32_t)p->stored_length;
    e->stored_checksum = p->stored_checksum;
    int rc = hx_outfile_write(&w->out, p->stored, p->stored_length);
    __atomic_store_n(&w->progress.bytes_out, w->out.pos, __ATOMIC_RELAXED);
    if (rc || !w->opts.dedup) return rc;
    hx_dedup_slot slot = {.stored_offset = e->stored_offset,
                          .stored_checksum = e->stored_checksum,
                          .stored_length = e->stored_length,
                          .codec = e->codec};
    memcpy(slot.hash, e->content_hash, HX_HASH_LEN);
    return hx_dedup_insert(&w->dedup, &slot);
}

int hx_writer_commit_chunk(hexz_writer *w, uint32_t stream, const uint8_t *data, size_t len,
                           hx_prepared *p)
{
    hx_wstream *s = w->streams[stream];
    if (p->is_zero) return add_zeros(w, s, len);
    int rc = hx_writer_flush_hole(w, s);
    if (rc) return rc;

    hx_block_entry e;
    memset(&e, 0, sizeof e);
    e.kind = HX_BLOCK_STORED;
    e.logical_offset = s->size;
    e.logical_length = (uint32_t)len;
    memcpy(e.content_hash, p->content_hash, HX_HASH_LEN);
    const hx_dedup_slot *dup = w->opts.dedup || w->thin ? hx_dedup_find(&w->dedup, e.content_hash)
                                                        : NULL;
    if (dup && dup->used == HX_DEDUP_BASE && dup->stored_length == len) {
        e.kind = HX_BLOCK_BASE;
        e.stored_offset = dup->stored_offset;
        e.stored_length = dup->base_stream;
        __atomic_fetch_add(&w->progress.base_bytes, len, __ATOMIC_RELAXED);
    } else if (dup && dup->used == HX_DEDUP_STORED && w->opts.dedup) {
        e.stored_offset = dup->stored_offset;
        e.stored_length = dup->stored_length;
        e.stored_checksum = dup->stored_checksum;
        e.codec = dup->codec;
        __atomic_fetch_add(&w->progress.dedup_hits, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&w->progress.dedup_bytes, len, __ATOMIC_RELAXED);
    } else {
        rc = store_new(w, &e, data, len, p);
        if (rc) return rc;
    }
    s->size += len;
    return add_entry(w, s, &e);
}
