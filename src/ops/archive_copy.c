/*
 * archive_copy.c - copying an open archive's content into a new writer block by block
 * (archive_copy.h), for hexz_flatten() and the re-encryption of hexz_change_password().
 *
 * Each stream is walked page by page through the reader's page cache; every entry is resolved
 * through the chain of bases to the block that holds its bytes, read through the block cache
 * and appended whole with hx_writer_put_chunk (holes stay holes). The file tree is copied entry
 * by entry with hx_writer_add_entry. Uses read/reader.h and pack/writer.h, never their structs.
 */
#include <stdlib.h>
#include <string.h>

#include "chunk/chunk.h"
#include "common/error.h"
#include "ops/archive_copy.h"
#include "pack/writer.h"
#include "read/reader.h"

void hx_copy_chunking(const hexz_reader *r, hexz_write_options *o)
{
    if (hx_reader_params(r)->chunking == HX_CHUNK_FIXED) {
        o->chunking = HEXZ_CHUNK_FIXED;
        o->block_size = hx_reader_params(r)->block_size;
    } else {
        o->chunking = HEXZ_CHUNK_CDC;
        o->min_size = hx_reader_params(r)->min_size;
        o->avg_size = hx_reader_params(r)->avg_size;
        o->max_size = hx_reader_params(r)->max_size;
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
    hx_reader_release_block(owner, it);
    return rc;
}

static int copy_stream(hexz_reader *r, hexz_writer *w, uint32_t s)
{
    uint32_t index;
    int rc = hx_writer_stream(w, hx_reader_stream_desc(r, s)->name, &index);
    for (uint32_t p = 0; !rc && p < hx_reader_stream_desc(r, s)->page_count; p++) {
        hx_cache_item *it;
        rc = hx_get_index_page(r, s, p, &it);
        if (rc) break;
        const hx_index_page *page = it->data;
        for (uint32_t i = 0; !rc && i < page->count; i++)
            rc = copy_block(r, w, index, &page->entries[i]);
        hx_reader_release_page(r, it);
    }
    return rc;
}

static int copy_manifest(hexz_reader *r, hexz_writer *w)
{
    hexz_file_info *f = malloc(sizeof *f);
    if (!f) return hx_error(HEXZ_ENOMEM, "out of memory");
    int rc = 0;
    for (uint64_t i = 0; !rc && i < hexz_reader_file_count(r); i++) {
        rc = hexz_reader_file_at(r, i, f);
        hx_manifest_entry e = {.type = (uint8_t)f->type,
                               .mode = f->mode,
                               .mtime_sec = f->mtime_sec,
                               .mtime_nsec = f->mtime_nsec,
                               .path = f->path,
                               .target = f->type == HEXZ_FILE_SYMLINK ? f->target : NULL};
        if (f->type == HEXZ_FILE_REGULAR) {
            e.offset = f->offset;
            e.size = f->size;
        }
        if (!rc) rc = hx_writer_add_entry(w, &e);
    }
    if (!rc && hexz_reader_has_file_tree(r)) hx_writer_set_tree(w);
    free(f);
    return rc;
}

int hx_copy_content(hexz_reader *r, hexz_writer *w)
{
    int rc = 0;
    for (uint32_t s = 0; !rc && s < hexz_reader_stream_count(r); s++) rc = copy_stream(r, w, s);
    if (!rc) rc = copy_manifest(r, w);
    return rc;
}
