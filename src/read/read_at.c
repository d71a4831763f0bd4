/*
 * read_at.c - random access: the block that holds an offset is found by binary search in the
 * page directory and then in one index page (O(log n)); its verified bytes come from the block
 * cache or are loaded and checked. hx_for_each_extent() is the one loop every reading path
 * shares (read_at, extract, cat): it hands out holes as holes so callers can keep them sparse.
 *
 * Long and sequential reads hint the next blocks to the prefetcher, created here on first use
 * with this file's loader (resolve the entry, then the block cache). Calls reader_chain.c,
 * reader_pages.c and prefetch.c.
 */
#include <string.h>

#include "common/error.h"
#include "common/versioned.h"
#include "read/prefetch.h"
#include "read/reader_impl.h"

/* The prefetcher's loader: resolves a base reference, then loads the block into its owner's
 * cache. Errors are dropped: the walker meets the same one and reports it. */
static void prefetch_load(void *user, const hx_block_entry *e)
{
    hexz_reader *owner;
    hx_block_entry target;
    hx_cache_item *it;
    if (hx_resolve_entry(user, e, &owner, &target, NULL) != 0) return;
    if (hx_get_block(owner, &target, &it) != 0) return;
    hx_cache_release(&owner->blocks, it);
}

/* The reader's prefetcher, created on first use; NULL when reading with one thread. */
static hx_prefetcher *reader_prefetcher(hexz_reader *r)
{
    /* `threads` is read under the lock too: hexz_reader_set_threads() and a failed create
     * write it while other threads may be reading (ThreadSanitizer found the unlocked read). */
    pthread_mutex_lock(&r->prefetch_lock);
    if (r->threads > 1 && !r->prefetch &&
        hx_prefetcher_create(&r->prefetch, r->threads, prefetch_load, r) != 0)
        r->threads = 1;
    hx_prefetcher *p = r->prefetch;
    pthread_mutex_unlock(&r->prefetch_lock);
    return p;
}

/* Hints the blocks after entry i that the walk will reach before `end`. */
static void hint_ahead(hx_prefetcher *pf, const hx_index_page *page, uint32_t i, uint32_t *hinted,
                       uint64_t end)
{
    uint32_t last = i + hx_prefetcher_window(pf);
    if (*hinted < i + 1) *hinted = i + 1;
    for (; *hinted <= last && *hinted < page->count; (*hinted)++) {
        if (page->entries[*hinted].logical_offset >= end) break;
        hx_prefetcher_hint(pf, &page->entries[*hinted]);
    }
}

/* Visits the entries of one page from the entry holding `off`, up to `end`. */
static int walk_page(hexz_reader *r, const hx_index_page *page, uint64_t *off, uint64_t end,
                     hx_extent_fn fn, void *user, hx_prefetcher *pf)
{
    uint32_t hinted = 0;
    for (uint32_t i = hx_find_entry_by_offset(page, *off); i < page->count && *off < end; i++) {
        const hx_block_entry *e = &page->entries[i];
        if (pf) hint_ahead(pf, page, i, &hinted, end);
        uint64_t skip = *off - e->logical_offset;
        uint64_t n = e->logical_length - skip;
        if (n > end - *off) n = end - *off;
        int rc;
        if (e->kind == HX_BLOCK_HOLE) {
            rc = fn(NULL, n, user);
        } else {
            /* A base reference is served from the base archive that stores the bytes. */
            hexz_reader *owner;
            hx_block_entry target;
            hx_cache_item *it;
            rc = hx_resolve_entry(r, e, &owner, &target, NULL);
            if (!rc) rc = hx_get_block(owner, &target, &it);
            if (rc) return rc;
            rc = fn(hx_block_bytes(it) + skip, n, user);
            hx_cache_release(&owner->blocks, it);
        }
        if (rc) return rc;
        *off += n;
    }
    return 0;
}

int hx_for_each_extent(hexz_reader *r, unsigned stream, uint64_t off, uint64_t len, hx_extent_fn fn,
                       void *user)
{
    return hx_for_each_extent_ahead(r, stream, off, len, fn, user, 0);
}

int hx_for_each_extent_ahead(hexz_reader *r, unsigned stream, uint64_t off, uint64_t len,
                             hx_extent_fn fn, void *user, int ahead)
{
    const hx_rstream *s = &r->streams[stream];
    uint64_t end = off + len;
    if (off >= s->desc.size || len == 0) return 0;
    if (end > s->desc.size || end < off) end = s->desc.size;
    uint32_t page = hx_find_page_by_offset(s, off);
    /* Long reads decompress ahead on the prefetch threads. */
    hx_prefetcher *pf = ahead || end - off > 4ull * r->params.max_size ? reader_prefetcher(r)
                                                                       : NULL;
    while (off < end) {
        if (page >= s->desc.page_count)
            return hx_error(HEXZ_ECORRUPT, "%s: index of stream %s ends early", r->path,
                            s->desc.name);
        hx_cache_item *it;
        int rc = hx_get_index_page(r, stream, page, &it);
        if (rc) return rc;
        rc = walk_page(r, it->data, &off, end, fn, user, pf);
        hx_cache_release(&r->pages, it);
        if (rc) return rc;
        page++;
    }
    return 0;
}

typedef struct {
    uint8_t *dst;
} copy_state;

static int copy_extent(const uint8_t *data, uint64_t len, void *user)
{
    copy_state *c = user;
    if (data) memcpy(c->dst, data, len);
    else memset(c->dst, 0, len);
    c->dst += len;
    return 0;
}

int hexz_reader_read_at(hexz_reader *r, unsigned stream, void *buf, size_t len, uint64_t offset,
                        size_t *out_read)
{
    if (!r || (!buf && len) || !out_read)
        return hx_error(HEXZ_EINVAL, "hexz_reader_read_at: NULL argument");
    if (stream >= r->stream_count)
        return hx_error(HEXZ_ERANGE, "%s: no stream %u (the archive has %u)", r->path, stream,
                        r->stream_count);
    uint64_t size = r->streams[stream].desc.size;
    size_t n = offset >= size ? 0 : (size - offset < len ? (size_t)(size - offset) : len);
    copy_state c = {buf};
    /* Many small reads in a row (a mount, a program streaming a file) get read-ahead too. */
    uint64_t prev = __atomic_exchange_n(&r->streams[stream].read_end, offset + n, __ATOMIC_RELAXED);
    int sequential = offset != 0 && prev == offset;
    int rc = hx_for_each_extent_ahead(r, stream, offset, n, copy_extent, &c, sequential);
    if (rc) return rc;
    *out_read = n;
    return 0;
}

static void to_public(const hx_block_entry *e, hexz_block_info *out)
{
    memset(out, 0, sizeof *out);
    out->logical_offset = e->logical_offset;
    out->logical_length = e->logical_length;
    out->stored_offset = e->stored_offset;
    out->stored_length = e->stored_length;
    out->is_hole = e->kind == HX_BLOCK_HOLE;
    out->is_base_ref = e->kind == HX_BLOCK_BASE;
    out->codec = e->kind == HX_BLOCK_STORED ? (hexz_codec)e->codec : HEXZ_CODEC_NONE;
    memcpy(out->content_hash, e->content_hash, HX_HASH_LEN);
}

int hexz_reader_block_at(hexz_reader *r, unsigned stream, uint64_t index, hexz_block_info *out)
{
    static const size_t ends[] = {sizeof(hexz_block_info)}; /* common/versioned.h */
    if (!r || !out) return hx_error(HEXZ_EINVAL, "hexz_reader_block_at: NULL argument");
    if (hx_info_check(out, r->path, "block info")) return HEXZ_EINVAL;
    if (stream >= r->stream_count)
        return hx_error(HEXZ_ERANGE, "%s: no stream %u (the archive has %u)", r->path, stream,
                        r->stream_count);
    const hx_rstream *s = &r->streams[stream];
    if (index >= s->desc.block_count)
        return hx_error(HEXZ_ERANGE, "%s: stream %s has no block %llu", r->path, s->desc.name,
                        (unsigned long long)index);
    uint32_t lo = 0, hi = s->desc.page_count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->pages[mid].first_block <= index) lo = mid;
        else hi = mid;
    }
    hx_cache_item *it;
    int rc = hx_get_index_page(r, stream, lo, &it);
    if (rc) return rc;
    const hx_index_page *page = it->data;
    hexz_block_info full;
    to_public(&page->entries[index - s->pages[lo].first_block], &full);
    hx_cache_release(&r->pages, it);
    hx_info_give(out, &full, ends, HEXZ_BLOCK_INFO_VERSION, r->path, "block info");
    return 0;
}
