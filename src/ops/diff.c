/*
 * diff.c - hexz_diff(): what two archives share, by block content.
 *
 * Blocks are compared by content hash, so shared content is found wherever it sits (moved,
 * renamed, in another stream) and a base reference counts like the block it names. Three
 * figures are reported for the whole archives, for each stream name, and for each file path:
 * bytes (and distinct blocks) in both, only in A, only in B. Each side's content is counted
 * once per distinct block, which is what dedup would store.
 *
 * Part of ops/ (level 4, above pack/ and read/). Uses the public reader calls, read/reader.h
 * (index pages through the cache, accessors) and the dedup table (pack/dedup_table.h); never the
 * reader's fields.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/versioned.h"
#include "pack/dedup_table.h"
#include "read/reader.h"

typedef int (*entry_fn)(const hx_block_entry *e, void *user);

/* Calls fn for each data entry (not holes) of `stream` covering [off, off + len). */
static int for_each_entry(hexz_reader *r, uint32_t stream, uint64_t off, uint64_t len, entry_fn fn,
                          void *user)
{
    const hx_stream_desc *s = hx_reader_stream_desc(r, stream);
    const hx_page_ref *pages = hx_reader_stream_pages(r, stream);
    uint64_t end = off + len > s->size ? s->size : off + len;
    if (off >= end) return 0;
    for (uint32_t p = hx_reader_find_page(r, stream, off); p < s->page_count; p++) {
        if (pages[p].first_logical >= end) break;
        hx_cache_item *it;
        int rc = hx_get_index_page(r, stream, p, &it);
        if (rc) return rc;
        const hx_index_page *page = it->data;
        for (uint32_t i = 0; !rc && i < page->count; i++) {
            const hx_block_entry *e = &page->entries[i];
            if (e->logical_offset + e->logical_length <= off || e->logical_offset >= end) continue;
            if (e->kind != HX_BLOCK_HOLE) rc = fn(e, user);
        }
        hx_reader_release_page(r, it);
        if (rc) return rc;
    }
    return 0;
}

static int add_hash(const hx_block_entry *e, void *user)
{
    hx_dedup_table *t = user;
    if (hx_dedup_find(t, e->content_hash)) return 0;
    hx_dedup_slot slot = {.stored_length = e->logical_length};
    memcpy(slot.hash, e->content_hash, HX_HASH_LEN);
    return hx_dedup_insert(t, &slot);
}

/* a's distinct blocks against b's: shared, only in a. */
static void compare_sets(const hx_dedup_table *a, const hx_dedup_table *b, hexz_diff_counts *c,
                         int a_is_first)
{
    size_t pos = 0;
    for (const hx_dedup_slot *s; (s = hx_dedup_next(a, &pos)) != NULL;) {
        if (hx_dedup_find(b, s->hash)) {
            if (a_is_first) {
                c->shared_blocks++;
                c->shared_bytes += s->stored_length;
            }
        } else if (a_is_first) {
            c->only_a_blocks++;
            c->only_a_bytes += s->stored_length;
        } else {
            c->only_b_blocks++;
            c->only_b_bytes += s->stored_length;
        }
    }
}

/* Builds both sides' sets from their ranges (stream -1 = absent) and counts. */
static int diff_ranges(hexz_reader *ra, int sa, uint64_t oa, uint64_t la, hexz_reader *rb, int sb,
                       uint64_t ob, uint64_t lb, hexz_diff_counts *c)
{
    hx_dedup_table ta, tb;
    hx_dedup_init(&ta);
    hx_dedup_init(&tb);
    int rc = sa >= 0 ? for_each_entry(ra, (uint32_t)sa, oa, la, add_hash, &ta) : 0;
    if (!rc && sb >= 0) rc = for_each_entry(rb, (uint32_t)sb, ob, lb, add_hash, &tb);
    memset(c, 0, sizeof *c);
    if (!rc) {
        compare_sets(&ta, &tb, c, 1);
        compare_sets(&tb, &ta, c, 0);
    }
    hx_dedup_free(&ta);
    hx_dedup_free(&tb);
    return rc;
}

static int find(hexz_reader *r, const char *name)
{
    unsigned i;
    return hexz_reader_find_stream(r, name, &i) == 0 ? (int)i : -1;
}

static int diff_streams(hexz_reader *a, hexz_reader *b, hexz_diff_fn fn, void *user)
{
    for (int side = 0; side < 2; side++) {
        hexz_reader *x = side ? b : a, *y = side ? a : b;
        for (uint32_t s = 0; s < hexz_reader_stream_count(x); s++) {
            const char *name = hx_reader_stream_desc(x, s)->name;
            int other = find(y, name);
            if (side && other >= 0) continue; /* already reported from A's side */
            int sa = side ? other : (int)s, sb = side ? (int)s : other;
            hexz_diff_counts c;
            int rc = diff_ranges(a, sa, 0, UINT64_MAX, b, sb, 0, UINT64_MAX, &c);
            if (rc) return rc;
            c.version = HEXZ_DIFF_COUNTS_VERSION;
            fn("stream", name, &c, user);
        }
    }
    return 0;
}

/* Files: those of A (with B's file of the same path if any), then those only in B. */
static int diff_files(hexz_reader *a, hexz_reader *b, hexz_diff_fn fn, void *user)
{
    hexz_file_info *fa = malloc(sizeof *fa), *fb = malloc(sizeof *fb);
    int rc = fa && fb ? 0 : hx_error(HEXZ_ENOMEM, "out of memory");
    int ma = find(a, "main"), mb = find(b, "main");
    for (int side = 0; side < 2 && !rc; side++) {
        hexz_reader *x = side ? b : a, *y = side ? a : b;
        for (uint64_t i = 0; i < hexz_reader_file_count(x) && !rc; i++) {
            rc = hexz_reader_file_at(x, i, fa);
            if (rc || fa->type != HEXZ_FILE_REGULAR) continue;
            int in_other = hexz_reader_file_lookup(y, fa->path, fb) == 0 &&
                           fb->type == HEXZ_FILE_REGULAR;
            if (side && in_other) continue;
            hexz_diff_counts c;
            if (side) rc = diff_ranges(a, -1, 0, 0, b, mb, fa->offset, fa->size, &c);
            else
                rc = diff_ranges(a, ma, fa->offset, fa->size, b, in_other ? mb : -1, fb->offset,
                                 fb->size, &c);
            c.version = HEXZ_DIFF_COUNTS_VERSION;
            if (!rc) fn("file", fa->path, &c, user);
        }
    }
    if (!rc) hx_error_clear(); /* the lookups that found nothing left messages behind */
    free(fa);
    free(fb);
    return rc;
}

int hexz_diff(hexz_reader *a, hexz_reader *b, hexz_diff_counts *total, hexz_diff_fn fn, void *user)
{
    if (!a || !b || !total) return hx_error(HEXZ_EINVAL, "hexz_diff: NULL argument");
    if (hexz_reader_is_encrypted(a) || hexz_reader_is_encrypted(b))
        return hx_error(HEXZ_EUNSUPPORTED,
                        "%s: encrypted archives hide their content hashes; diff needs plain ones",
                        hexz_reader_is_encrypted(a) ? hx_reader_path(a) : hx_reader_path(b));
    static const size_t ends[] = {sizeof(hexz_diff_counts)}; /* common/versioned.h */
    if (hx_info_check(total, hx_reader_path(a), "diff counts")) return HEXZ_EINVAL;
    hexz_diff_counts full;
    hx_dedup_table ta, tb;
    hx_dedup_init(&ta);
    hx_dedup_init(&tb);
    int rc = 0;
    for (uint32_t s = 0; s < hexz_reader_stream_count(a) && !rc; s++)
        rc = for_each_entry(a, s, 0, UINT64_MAX, add_hash, &ta);
    for (uint32_t s = 0; s < hexz_reader_stream_count(b) && !rc; s++)
        rc = for_each_entry(b, s, 0, UINT64_MAX, add_hash, &tb);
    memset(&full, 0, sizeof full);
    if (!rc) {
        compare_sets(&ta, &tb, &full, 1);
        compare_sets(&tb, &ta, &full, 0);
        rc = hx_info_give(total, &full, ends, HEXZ_DIFF_COUNTS_VERSION, hx_reader_path(a),
                          "diff counts");
    }
    hx_dedup_free(&ta);
    hx_dedup_free(&tb);
    if (!rc && fn) rc = diff_streams(a, b, fn, user);
    if (!rc && fn) rc = diff_files(a, b, fn, user);
    return rc;
}
