/*
 * verify.c - the whole-archive check behind hexz_reader_verify() and `hexz verify`.
 *
 * Open already checked the header, the root hash and every section. This walks the rest: every
 * index page and manifest page against its hash and structural rules (and the tree against
 * the rules extraction relies on, tree_rules.h), every distinct stored block against its
 * checksum, exact length and content hash (once, however many entries share it, checking that
 * those entries agree), and finally that the header, blocks, pages, sections
 * and section table tile the file exactly, so that no byte of the file goes unchecked.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "read/block_set.h"
#include "read/reader_impl.h"
#include "read/tree_rules.h"

typedef struct {
    uint64_t offset, length;
} range;

typedef struct {
    hexz_reader *r;
    hx_block_set seen;
    range *ranges;
    size_t range_count, range_cap;
    uint8_t *block_buf;
    hexz_progress progress;
    hexz_progress_fn fn;
    void *user;
    uint64_t next_report;
} verify_state;

static int add_range(verify_state *v, uint64_t offset, uint64_t length)
{
    if (length == 0) return 0;
    if (v->range_count == v->range_cap) {
        size_t cap = v->range_cap ? v->range_cap * 2 : 1024;
        range *p = realloc(v->ranges, cap * sizeof *p);
        if (!p) return hx_error(HEXZ_ENOMEM, "%s: out of memory", v->r->path);
        v->ranges = p;
        v->range_cap = cap;
    }
    v->ranges[v->range_count++] = (range){offset, length};
    return 0;
}

static int report(verify_state *v)
{
    if (!v->fn || v->progress.bytes_in < v->next_report) return 0;
    v->next_report = v->progress.bytes_in + (16u << 20);
    v->progress.version = HEXZ_PROGRESS_VERSION;
    if (v->fn(&v->progress, v->user))
        return hx_error(HEXZ_ECANCELED, "%s: verify canceled", v->r->path);
    return 0;
}

static int check_shared(verify_state *v, const hx_block_entry *seen, const hx_block_entry *e)
{
    if (seen->stored_length != e->stored_length || seen->codec != e->codec ||
        seen->stored_checksum != e->stored_checksum || seen->logical_length != e->logical_length ||
        memcmp(seen->content_hash, e->content_hash, HX_HASH_LEN) != 0)
        return hx_error(HEXZ_ECORRUPT, "%s: entries sharing the block at offset %llu disagree",
                        v->r->path, (unsigned long long)e->stored_offset);
    v->progress.dedup_hits++;
    return 0;
}

static int verify_entry(verify_state *v, const hx_block_entry *e)
{
    v->progress.blocks++;
    v->progress.bytes_in += e->logical_length;
    if (e->kind == HX_BLOCK_HOLE) return 0;
    if (e->kind == HX_BLOCK_BASE) {
        /* The reference must land on a base block with the same length and hash; that block's
         * bytes are checked when the base itself is verified, below. */
        hexz_reader *owner;
        hx_block_entry target;
        return hx_resolve_entry(v->r, e, &owner, &target, NULL);
    }
    const hx_block_entry *seen = hx_block_set_find(&v->seen, e->stored_offset);
    if (seen) return check_shared(v, seen, e);
    /* Distinct stored blocks cannot overlap, so together they fit in the data region; more
     * would mean overlapping ranges, and decoding them all would let a small hostile file make
     * verify work without bound. (The tiling check below names the exact overlap.) */
    if (v->progress.bytes_out + e->stored_length > v->r->data_end)
        return hx_error(HEXZ_ECORRUPT,
                        "%s: stored blocks overlap (they add up to more than the file)",
                        v->r->path);
    int rc = hx_load_block(v->r, e, v->block_buf);
    if (!rc) rc = hx_block_set_add(&v->seen, e);
    if (!rc) rc = add_range(v, e->stored_offset, e->stored_length);
    v->progress.bytes_out += e->stored_length;
    return rc ? rc : report(v);
}

static int verify_streams(verify_state *v)
{
    hexz_reader *r = v->r;
    for (uint32_t s = 0; s < r->stream_count; s++) {
        for (uint32_t p = 0; p < r->streams[s].desc.page_count; p++) {
            const hx_page_ref *ref = &r->streams[s].pages[p];
            hx_index_page *page;
            int rc = hx_load_index_page(r, s, p, &page);
            if (rc) return rc;
            rc = add_range(v, ref->page_offset, ref->page_length);
            for (uint32_t i = 0; i < page->count && !rc; i++)
                rc = verify_entry(v, &page->entries[i]);
            free(page);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Every manifest page, and across them the tree rules extraction relies on, so that an archive
 * that verifies also extracts. */
static int verify_manifest(verify_state *v)
{
    hexz_reader *r = v->r;
    hx_tree_check *t = r->mpage_count ? malloc(sizeof *t) : NULL;
    if (r->mpage_count && !t) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    if (t) hx_tree_check_init(t);
    int rc = 0;
    for (uint32_t p = 0; p < r->mpage_count && !rc; p++) {
        hx_manifest_page *page;
        rc = hx_load_manifest_page(r, p, &page);
        if (rc) break;
        for (uint32_t i = 0; i < page->count && !rc; i++)
            rc = hx_tree_check_next(t, page->entries[i].path, page->entries[i].path_length,
                                    page->entries[i].type, r->path);
        hx_manifest_page_free(page);
        if (!rc) rc = add_range(v, r->mpages[p].page_offset, r->mpages[p].page_length);
    }
    free(t);
    return rc;
}

static int compare_ranges(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Open checked the sections it uses; this checks every section's hash, including those of
 * types this reader does not know and skipped. */
static int verify_sections(verify_state *v)
{
    hexz_reader *r = v->r;
    for (uint32_t i = 0; i < r->header.section_count; i++) {
        const hx_section *s = &r->sections[i];
        hx_hasher h;
        hx_hasher_init(&h);
        uint8_t buf[65536], hash[HX_HASH_LEN];
        for (uint64_t done = 0; done < s->length;) {
            size_t n = s->length - done < sizeof buf ? (size_t)(s->length - done) : sizeof buf;
            int rc = hx_pread_exact(r, buf, n, s->offset + done);
            if (rc) return rc;
            hx_hasher_update(&h, buf, n);
            done += n;
        }
        hx_hasher_final(&h, hash);
        if (memcmp(hash, s->hash, HX_HASH_LEN) != 0)
            return hx_error(HEXZ_ECORRUPT, "%s: section %u (type %u) hash mismatch", r->path, i,
                            s->type);
    }
    return 0;
}

/* Every byte of the file must belong to exactly one checked structure. */
static int verify_tiling(verify_state *v)
{
    hexz_reader *r = v->r;
    int rc = add_range(v, 0, HX_HEADER_LEN);
    for (uint32_t i = 0; i < r->header.section_count && !rc; i++)
        rc = add_range(v, r->sections[i].offset, r->sections[i].length);
    if (!rc)
        rc = add_range(v, r->header.section_table_offset,
                       (uint64_t)r->header.section_count * HX_SECTION_ENTRY_LEN);
    if (rc) return rc;
    qsort(v->ranges, v->range_count, sizeof *v->ranges, compare_ranges);
    uint64_t pos = 0;
    for (size_t i = 0; i < v->range_count; i++) {
        if (v->ranges[i].offset != pos)
            return hx_error(HEXZ_ECORRUPT, "%s: bytes %llu..%llu belong to no structure (%s)",
                            r->path, (unsigned long long)pos,
                            (unsigned long long)v->ranges[i].offset,
                            v->ranges[i].offset > pos ? "a gap" : "an overlap");
        pos += v->ranges[i].length;
    }
    if (pos != r->file_size)
        return hx_error(HEXZ_ECORRUPT, "%s: the structures end at %llu but the file at %llu",
                        r->path, (unsigned long long)pos, (unsigned long long)r->file_size);
    return 0;
}

int hexz_reader_verify(hexz_reader *r, hexz_progress_fn progress, void *user)
{
    if (!r) return hx_error(HEXZ_EINVAL, "hexz_reader_verify: NULL reader");
    verify_state v = {.r = r, .fn = progress, .user = user};
    for (uint32_t s = 0; s < r->stream_count; s++)
        v.progress.bytes_total += r->streams[s].desc.size;
    hx_block_set_init(&v.seen);
    v.block_buf = malloc(r->params.max_size);
    int rc = v.block_buf ? 0 : hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    if (!rc) rc = verify_streams(&v);
    if (!rc) rc = verify_manifest(&v);
    if (!rc) rc = verify_sections(&v);
    if (!rc) rc = verify_tiling(&v);
    /* Checking a thin archive checks the chain it stands on. */
    if (!rc && r->base) rc = hexz_reader_verify(r->base, NULL, NULL);
    v.progress.version = HEXZ_PROGRESS_VERSION;
    if (!rc && progress) progress(&v.progress, user);
    hx_block_set_free(&v.seen);
    free(v.ranges);
    free(v.block_buf);
    return rc;
}
