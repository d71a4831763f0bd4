/*
 * inspect.c - the figures of hexz_reader_inspect(): sizes, block kinds, dedup, codecs and the
 * chunk-size histogram. Reads every index page (verified) and the manifest pages, never blocks.
 *
 * Part of ops/ (level 4, above pack/ and read/). Uses read/reader.h (index and manifest pages,
 * hx_resolve_entry, accessors) and read/block_set.h; never the reader's fields.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/versioned.h"
#include "read/block_set.h"
#include "read/reader.h"

/* A base reference: counted by the level of the chain that stores its bytes. */
static void count_base_ref(hexz_reader *r, hexz_inspect_info *o, const hx_block_entry *e, int *rc)
{
    hexz_reader *owner;
    hx_block_entry target;
    unsigned levels = 0;
    *rc = hx_resolve_entry(r, e, &owner, &target, &levels);
    if (*rc) return;
    o->base_blocks++;
    o->base_bytes += e->logical_length;
    if (levels <= HEXZ_CHAIN_MAX) o->level_bytes[levels] += e->logical_length;
}

static void count_entry(hexz_reader *r, hexz_inspect_info *o, hx_block_set *seen,
                        const hx_block_entry *e, int *rc)
{
    const char *path = hx_reader_path(r);
    o->blocks++;
    if (e->kind == HX_BLOCK_HOLE) {
        o->hole_blocks++;
        o->hole_bytes += e->logical_length;
        return;
    }
    int bucket = 31 - __builtin_clz(e->logical_length);
    o->histogram[bucket]++;
    if (e->kind == HX_BLOCK_BASE) {
        count_base_ref(r, o, e, rc);
        return;
    }
    o->level_bytes[0] += e->logical_length;
    if (hx_block_set_find(seen, e->stored_offset)) {
        o->dedup_blocks++;
        o->dedup_bytes += e->logical_length;
        return;
    }
    if (hx_block_set_add(seen, e)) {
        *rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", path);
        return;
    }
    o->unique_blocks++;
    o->unique_logical_bytes += e->logical_length;
    o->stored_bytes += e->stored_length;
    if (e->codec == HX_CODEC_NONE) o->raw_blocks++;
    else if (e->codec == HX_CODEC_LZ4) o->lz4_blocks++;
    else o->zstd_blocks++;
}

static int inspect_streams(hexz_reader *r, hexz_inspect_info *o)
{
    hx_block_set seen;
    hx_block_set_init(&seen);
    int rc = 0;
    for (uint32_t s = 0; s < hexz_reader_stream_count(r) && !rc; s++) {
        const hx_stream_desc *st = hx_reader_stream_desc(r, s);
        const hx_page_ref *pages = hx_reader_stream_pages(r, s);
        o->logical_bytes += st->size;
        for (uint32_t p = 0; p < st->page_count && !rc; p++) {
            hx_index_page *page;
            rc = hx_load_index_page(r, s, p, &page);
            if (rc) break;
            o->index_bytes += pages[p].page_length;
            for (uint32_t i = 0; i < page->count && !rc; i++)
                count_entry(r, o, &seen, &page->entries[i], &rc);
            free(page);
        }
    }
    hx_block_set_free(&seen);
    return rc;
}

static int inspect_manifest(hexz_reader *r, hexz_inspect_info *o)
{
    for (uint32_t p = 0; p < hx_reader_manifest_page_count(r); p++) {
        hx_manifest_page *page;
        int rc = hx_load_manifest_page(r, p, &page);
        if (rc) return rc;
        o->manifest_bytes += hx_reader_manifest_page_length(r, p);
        for (uint32_t i = 0; i < page->count; i++) {
            uint8_t t = page->entries[i].type;
            if (t == HX_FILE_REGULAR) o->files++;
            else if (t == HX_FILE_DIR) o->dirs++;
            else o->symlinks++;
        }
        hx_manifest_page_free(page);
    }
    return 0;
}

static void section_sizes(const hexz_reader *r, hexz_inspect_info *o)
{
    const hx_section *sec = hx_reader_sections(r);
    for (uint32_t i = 0; i < hx_reader_header(r)->section_count; i++) {
        if (sec[i].type == HX_SECTION_PAGE_DIR) o->index_bytes += sec[i].length;
        if (sec[i].type == HX_SECTION_MANIFEST_DIR) o->manifest_bytes += sec[i].length;
    }
}

int hexz_reader_inspect(hexz_reader *r, hexz_inspect_info *out)
{
    static const size_t ends[] = {sizeof(hexz_inspect_info)}; /* common/versioned.h */
    if (!r || !out) return hx_error(HEXZ_EINVAL, "hexz_reader_inspect: NULL argument");
    int rc = hx_info_check(out, hx_reader_path(r), "inspect info");
    if (rc) return rc;
    hexz_inspect_info o;
    memset(&o, 0, sizeof o);
    const hx_header *h = hx_reader_header(r);
    const hx_params *pm = hx_reader_params(r);
    o.format_major = h->major;
    o.format_minor = h->minor;
    memcpy(o.archive_id, h->archive_id, sizeof o.archive_id);
    memcpy(o.root_hash, h->root_hash, sizeof o.root_hash);
    o.file_size = hx_reader_file_size(r);
    o.chunking = pm->chunking == 1 ? HEXZ_CHUNK_FIXED : HEXZ_CHUNK_CDC;
    o.block_size = pm->block_size;
    o.min_size = pm->min_size;
    o.avg_size = pm->avg_size;
    o.max_size = pm->max_size;
    o.codec = (hexz_codec)pm->codec;
    o.level = pm->level;
    o.stream_count = hexz_reader_stream_count(r);
    o.chain_length = hexz_reader_chain_length(r);
    rc = inspect_streams(r, &o);
    if (!rc) rc = inspect_manifest(r, &o);
    if (rc) return rc;
    section_sizes(r, &o);
    return hx_info_give(out, &o, ends, HEXZ_INSPECT_INFO_VERSION, hx_reader_path(r),
                        "inspect info");
}
