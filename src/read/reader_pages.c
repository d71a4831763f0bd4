/*
 * reader_pages.c - loading index pages and blocks, checking each against the hash that names
 * it before anything is returned, and keeping them in the reader's caches.
 *
 * A page is checked against its BLAKE3 in the page directory, then decoded, then checked for
 * the rules of docs/FORMAT.md §9 (continuity of logical offsets, stored ranges inside the data
 * region). A block's stored bytes are checked against their XXH3, decoded to exactly the
 * recorded length, and the result checked against its BLAKE3 content hash.
 *
 * Calls reader_io.c (reads, unsealing) and nothing else in read/ but the caches.
 */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/error.h"
#include "read/reader_impl.h"

static int page_entries_check(hexz_reader *r, const hx_rstream *s, uint32_t page, hx_index_page *p)
{
    uint64_t expect = s->pages[page].first_logical;
    uint64_t end = page + 1 < s->desc.page_count ? s->pages[page + 1].first_logical : s->desc.size;
    for (uint32_t i = 0; i < p->count; i++) {
        const hx_block_entry *e = &p->entries[i];
        if (e->logical_offset != expect)
            return hx_error(HEXZ_ECORRUPT,
                            "%s: index page %u of stream %s is not contiguous at entry %u", r->path,
                            page, s->desc.name, i);
        expect += e->logical_length;
        if (e->kind == HX_BLOCK_STORED &&
            !hx_range_within(e->stored_offset, e->stored_length, HX_HEADER_LEN, r->data_end))
            return hx_error(HEXZ_ECORRUPT,
                            "%s: block %u of index page %u points outside the data region", r->path,
                            i, page);
        if (e->kind == HX_BLOCK_STORED && e->codec == HX_CODEC_ZSTD_DICT && !r->dict)
            return hx_error(HEXZ_ECORRUPT, "%s: a block needs a dictionary the archive lacks",
                            r->path);
        if (e->kind == HX_BLOCK_BASE && !r->thin)
            return hx_error(HEXZ_ECORRUPT, "%s: base reference in an archive without a base",
                            r->path);
    }
    if (expect != end)
        return hx_error(HEXZ_ECORRUPT,
                        "%s: index page %u of stream %s does not end where the next begins",
                        r->path, page, s->desc.name);
    return 0;
}

static int decode_page(hexz_reader *r, uint32_t stream, uint32_t page, const uint8_t *buf,
                       hx_index_page *p)
{
    const hx_page_ref *ref = &r->streams[stream].pages[page];
    hx_page_header h;
    int rc = hx_page_header_decode(&h, buf, r->path);
    if (rc) return rc;
    if (h.stream != stream || h.entry_count != ref->entry_count ||
        h.first_logical != ref->first_logical || h.first_block != ref->first_block)
        return hx_error(HEXZ_ECORRUPT, "%s: index page %u header disagrees with the directory",
                        r->path, page);
    p->count = h.entry_count;
    for (uint32_t i = 0; i < p->count; i++) {
        rc = hx_block_entry_decode(&p->entries[i],
                                   buf + HX_PAGE_HEADER_LEN + (size_t)i * HX_BLOCK_ENTRY_LEN,
                                   r->params.max_size, r->overhead, r->path);
        if (rc) return rc;
    }
    return page_entries_check(r, &r->streams[stream], page, p);
}

int hx_load_index_page(hexz_reader *r, uint32_t stream, uint32_t page, hx_index_page **out)
{
    const hx_page_ref *ref = &r->streams[stream].pages[page];
    uint8_t *buf = malloc(ref->page_length);
    hx_index_page *p = malloc(sizeof *p + (size_t)ref->entry_count * sizeof p->entries[0]);
    int rc = buf && p ? 0 : hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    if (!rc) rc = hx_pread_exact(r, buf, ref->page_length, ref->page_offset);
    if (!rc) {
        uint8_t hash[HX_HASH_LEN];
        hx_hash(buf, ref->page_length, hash);
        if (memcmp(hash, ref->page_hash, HX_HASH_LEN) != 0)
            rc = hx_error(HEXZ_ECORRUPT,
                          "%s: index page %u of stream %s is damaged (hash mismatch)", r->path,
                          page, r->streams[stream].desc.name);
    }
    uint8_t *plain = NULL;
    if (!rc)
        rc = hx_reader_unseal(r, buf, ref->page_length, "hexz-index-v1", stream, page, &plain,
                              "index page");
    if (!rc) rc = decode_page(r, stream, page, plain ? plain : buf, p);
    free(plain);
    free(buf);
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int hx_get_index_page(hexz_reader *r, uint32_t stream, uint32_t page, hx_cache_item **out)
{
    uint64_t key = (uint64_t)stream << 32 | page;
    hx_cache_item *it = hx_cache_get(&r->pages, key);
    if (!it) {
        hx_index_page *p;
        int rc = hx_load_index_page(r, stream, page, &p);
        if (rc) return rc;
        it = hx_cache_put(&r->pages, key, p, sizeof *p + (size_t)p->count * sizeof p->entries[0]);
        if (!it) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    }
    *out = it;
    return 0;
}

static int codec_take(hexz_reader *r, hx_codec_ctx **out)
{
    pthread_mutex_lock(&r->codecs.lock);
    hx_codec_ctx *c = r->codecs.count ? r->codecs.free_ctx[--r->codecs.count] : NULL;
    pthread_mutex_unlock(&r->codecs.lock);
    if (c) {
        *out = c;
        return 0;
    }
    int rc = hx_codec_ctx_create(out, HX_CODEC_NONE, 0);
    if (rc) return hx_error(rc, "%s: %s", r->path, hexz_last_error());
    if (r->dict) hx_codec_ctx_set_dict(*out, r->dict);
    return 0;
}

static void codec_give_back(hexz_reader *r, hx_codec_ctx *c)
{
    pthread_mutex_lock(&r->codecs.lock);
    if (r->codecs.count == r->codecs.cap) {
        size_t cap = r->codecs.cap ? r->codecs.cap * 2 : 4;
        hx_codec_ctx **p = realloc(r->codecs.free_ctx, cap * sizeof *p);
        if (p) {
            r->codecs.free_ctx = p;
            r->codecs.cap = cap;
        }
    }
    if (r->codecs.count < r->codecs.cap) {
        r->codecs.free_ctx[r->codecs.count++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&r->codecs.lock);
    hx_codec_ctx_free(c);
}

static int decode_block(hexz_reader *r, const hx_block_entry *e, const uint8_t *stored,
                        uint8_t *dst)
{
    if (e->codec == HX_CODEC_NONE) {
        if (stored != dst) memcpy(dst, stored, e->logical_length);
        return 0;
    }
    hx_codec_ctx *c;
    int rc = codec_take(r, &c);
    if (rc) return rc;
    rc = hx_codec_decompress(c, e->codec, stored, e->stored_length - r->overhead, dst,
                             e->logical_length);
    codec_give_back(r, c);
    if (rc)
        return hx_error(HEXZ_ECORRUPT, "%s: block at offset %llu does not decode: %s", r->path,
                        (unsigned long long)e->stored_offset, hexz_last_error());
    return 0;
}

/* Opens a sealed block into a malloc'd buffer (*plain), bound to its content hash and codec. */
static int unseal_block(hexz_reader *r, const hx_block_entry *e, const uint8_t *stored,
                        uint8_t **plain)
{
    uint8_t ad[HX_AD_MAX];
    size_t ad_len = hx_ad(ad, "hexz-block-v1", r->header.archive_id, e->codec, e->logical_length,
                          e->content_hash);
    *plain = malloc(e->stored_length - HX_AEAD_OVERHEAD + 1);
    if (!*plain) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    if (hx_open(*plain, stored, e->stored_length, ad, ad_len, r->keys.block) != 0)
        return hx_error(HEXZ_ECORRUPT,
                        "%s: block at offset %llu does not decrypt (damaged or moved)", r->path,
                        (unsigned long long)e->stored_offset);
    return 0;
}

int hx_load_block(hexz_reader *r, const hx_block_entry *e, uint8_t *dst)
{
    int direct = e->codec == HX_CODEC_NONE && !r->encrypted; /* raw bytes land in dst */
    uint8_t *stored = direct ? dst : malloc(e->stored_length);
    uint8_t *plain = NULL;
    if (!stored) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    int rc = hx_pread_exact(r, stored, e->stored_length, e->stored_offset);
    if (!rc && hx_checksum64(stored, e->stored_length) != e->stored_checksum)
        rc = hx_error(HEXZ_ECORRUPT, "%s: block at offset %llu is damaged (checksum mismatch)",
                      r->path, (unsigned long long)e->stored_offset);
    if (!rc && r->encrypted) rc = unseal_block(r, e, stored, &plain);
    if (!rc) rc = decode_block(r, e, plain ? plain : stored, dst);
    if (stored != dst) free(stored);
    free(plain);
    if (rc) return rc;
    uint8_t hash[HX_HASH_LEN];
    if (r->encrypted) hx_hash_keyed(r->keys.hash, dst, e->logical_length, hash);
    else hx_hash(dst, e->logical_length, hash);
    if (memcmp(hash, e->content_hash, HX_HASH_LEN) != 0)
        return hx_error(HEXZ_ECORRUPT,
                        "%s: block at offset %llu has the wrong content (hash mismatch)", r->path,
                        (unsigned long long)e->stored_offset);
    return 0;
}

int hx_get_block(hexz_reader *r, const hx_block_entry *e, hx_cache_item **out)
{
    /* Cached blocks carry their content hash in front of their bytes, so that an entry naming the
     * same stored offset with another length or hash is caught rather than served. */
    hx_cache_item *it = hx_cache_get(&r->blocks, e->stored_offset);
    if (it &&
        (it->size != e->logical_length || memcmp(it->data, e->content_hash, HX_HASH_LEN) != 0)) {
        hx_cache_release(&r->blocks, it);
        return hx_error(HEXZ_ECORRUPT, "%s: entries sharing the block at offset %llu disagree",
                        r->path, (unsigned long long)e->stored_offset);
    }
    if (!it) {
        uint8_t *data = malloc(HX_HASH_LEN + (size_t)e->logical_length);
        if (!data) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
        memcpy(data, e->content_hash, HX_HASH_LEN);
        int rc = hx_load_block(r, e, data + HX_HASH_LEN);
        if (rc) {
            free(data);
            return rc;
        }
        it = hx_cache_put(&r->blocks, e->stored_offset, data, e->logical_length);
        if (!it) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
        if (memcmp(it->data, e->content_hash, HX_HASH_LEN) != 0) {
            hx_cache_release(&r->blocks, it);
            return hx_error(HEXZ_ECORRUPT, "%s: entries sharing the block at offset %llu disagree",
                            r->path, (unsigned long long)e->stored_offset);
        }
    }
    *out = it;
    return 0;
}

uint32_t hx_find_page_by_offset(const hx_rstream *s, uint64_t off)
{
    uint32_t lo = 0, hi = s->desc.page_count; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->pages[mid].first_logical <= off) lo = mid;
        else hi = mid;
    }
    return lo;
}

uint32_t hx_find_entry_by_offset(const hx_index_page *page, uint64_t off)
{
    uint32_t lo = 0, hi = page->count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (page->entries[mid].logical_offset <= off) lo = mid;
        else hi = mid;
    }
    return lo;
}
