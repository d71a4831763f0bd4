/*
 * reader_access.c - the accessors of reader.h: what the layer above (src/ops/) reads of an open
 * hexz_reader, so that it never touches the struct's fields. Each is one line over the fields
 * set at open (read/reader_impl.h); none allocates, fails or takes a lock.
 */
#include "read/reader_impl.h"

const char *hx_reader_path(const hexz_reader *r)
{
    return r->path;
}

int hx_reader_fd(const hexz_reader *r)
{
    return r->fd;
}

uint64_t hx_reader_file_size(const hexz_reader *r)
{
    return r->file_size;
}

const hx_header *hx_reader_header(const hexz_reader *r)
{
    return &r->header;
}

const hx_params *hx_reader_params(const hexz_reader *r)
{
    return &r->params;
}

const hx_section *hx_reader_sections(const hexz_reader *r)
{
    return r->sections;
}

const hx_codec_dict *hx_reader_dict(const hexz_reader *r)
{
    return r->dict;
}

const hx_stream_desc *hx_reader_stream_desc(const hexz_reader *r, uint32_t stream)
{
    return &r->streams[stream].desc;
}

const hx_page_ref *hx_reader_stream_pages(const hexz_reader *r, uint32_t stream)
{
    return r->streams[stream].pages;
}

uint32_t hx_reader_find_page(const hexz_reader *r, uint32_t stream, uint64_t off)
{
    return hx_find_page_by_offset(&r->streams[stream], off);
}

uint32_t hx_reader_manifest_page_count(const hexz_reader *r)
{
    return r->mpage_count;
}

uint32_t hx_reader_manifest_page_length(const hexz_reader *r, uint32_t page)
{
    return r->mpages[page].page_length;
}

void hx_reader_release_page(hexz_reader *r, hx_cache_item *it)
{
    hx_cache_release(&r->pages, it);
}

void hx_reader_release_block(hexz_reader *r, hx_cache_item *it)
{
    hx_cache_release(&r->blocks, it);
}
