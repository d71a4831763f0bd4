/*
 * flatten.c - hexz_flatten(): a self-contained copy of an archive, its chain of bases resolved.
 *
 * The copy keeps the source's block boundaries exactly (each block is appended whole, not
 * re-chunked), so stream layouts, file offsets and holes stay as they were, and the new
 * archive deduplicates and compresses its blocks like any other. The manifest is copied entry
 * by entry. The copying itself (archive_copy.h) is shared with re-encryption in
 * change_password.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "ops/archive_copy.h"
#include "pack/writer_impl.h"
#include "read/reader_impl.h"

void hx_copy_chunking(const hexz_reader *r, hexz_write_options *o)
{
    if (r->params.chunking == HX_CHUNK_FIXED) {
        o->chunking = HEXZ_CHUNK_FIXED;
        o->block_size = r->params.block_size;
    } else {
        o->chunking = HEXZ_CHUNK_CDC;
        o->min_size = r->params.min_size;
        o->avg_size = r->params.avg_size;
        o->max_size = r->params.max_size;
    }
}

static int copy_block(hexz_reader *r, hexz_writer *w, uint32_t stream, const hx_block_entry *e)
{
    if (e->kind == HX_BLOCK_HOLE) return hx_writer_put_chunk(w, stream, NULL, e->logical_length);
    hexz_reader *owner;
    hx_block_entry target;
    hx_cache_item *it;
    int rc = hx_resolve_entry(r, e, &owner, &target, NULL);
    if (!rc) rc = hx_get_block(owner, &target, &it);
    if (rc) return rc;
    rc = hx_writer_put_chunk(w, stream, hx_block_bytes(it), it->size);
    hx_cache_release(&owner->blocks, it);
    return rc;
}

static int copy_stream(hexz_reader *r, hexz_writer *w, uint32_t s)
{
    uint32_t index;
    int rc = hx_writer_stream(w, r->streams[s].desc.name, &index);
    for (uint32_t p = 0; !rc && p < r->streams[s].desc.page_count; p++) {
        hx_cache_item *it;
        rc = hx_get_index_page(r, s, p, &it);
        if (rc) break;
        const hx_index_page *page = it->data;
        for (uint32_t i = 0; !rc && i < page->count; i++) rc = copy_block(r, w, index, &page->entries[i]);
        hx_cache_release(&r->pages, it);
    }
    return rc;
}

static int copy_manifest(hexz_reader *r, hexz_writer *w)
{
    hexz_file_info *f = malloc(sizeof *f);
    if (!f) return hx_error(HEXZ_ENOMEM, "out of memory");
    int rc = 0;
    for (uint64_t i = 0; !rc && i < r->file_count; i++) {
        rc = hexz_reader_file_at(r, i, f);
        hx_wfile e = {.type = (uint8_t)f->type, .mode = f->mode, .mtime_sec = f->mtime_sec,
                      .mtime_nsec = f->mtime_nsec, .path = f->path,
                      .target = f->type == HEXZ_FILE_SYMLINK ? f->target : NULL};
        if (f->type == HEXZ_FILE_REGULAR) {
            e.offset = f->offset;
            e.size = f->size;
        }
        if (!rc) rc = hx_writer_add_entry(w, &e);
    }
    if (!rc && r->has_tree) w->tree = 1;
    free(f);
    return rc;
}

int hx_copy_content(hexz_reader *r, hexz_writer *w)
{
    int rc = 0;
    for (uint32_t s = 0; !rc && s < r->stream_count; s++) rc = copy_stream(r, w, s);
    if (!rc) rc = copy_manifest(r, w);
    return rc;
}

int hexz_flatten(const char *src, const hexz_open_options *open_opts, const char *dest,
                 const hexz_write_options *write_opts)
{
    if (!src || !dest) return hx_error(HEXZ_EINVAL, "hexz_flatten: NULL argument");
    hexz_reader *r;
    int rc = hexz_reader_open_opts(&r, src, open_opts);
    if (rc) return rc;
    hexz_write_options o;
    if (write_opts) o = *write_opts; else hexz_write_options_init(&o);
    hx_copy_chunking(r, &o);
    o.base = NULL;
    hexz_writer *w = NULL;
    rc = hexz_writer_create(&w, dest, &o);
    if (!rc) rc = hx_copy_content(r, w);
    if (!rc) rc = hexz_writer_finish(w);
    hexz_writer_free(w);
    hexz_reader_free(r);
    return rc;
}
