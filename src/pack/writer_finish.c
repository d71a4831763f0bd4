/*
 * writer_finish.c - everything written after the last block: the manifest pages (file trees),
 * then the sections (PARAMS, STREAMS, one PAGE_DIR per stream, MANIFEST_DIR), the section table,
 * and finally the header with the root hash (docs/FORMAT.md §3-§10).
 */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/error.h"
#include "pack/writer_impl.h"

/* A growable byte buffer for building a section before it is hashed and written. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} bytes_buf;

static uint8_t *bb_reserve(bytes_buf *b, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) return NULL;
        b->p = p;
        b->cap = cap;
    }
    uint8_t *at = b->p + b->len;
    b->len += n;
    return at;
}

/* The writer's sections, collected for the table. */
typedef struct {
    hx_section *items;
    uint32_t count, cap;
} section_list;

/* Writes a section. When encrypting, every section but PARAMS and ENCRYPTION is sealed
 * (docs/FORMAT.md §12); its hash is over the stored bytes. */
static int write_section(hexz_writer *w, section_list *l, uint32_t type, uint32_t aux,
                         const uint8_t *data, size_t len)
{
    uint8_t *sealed = NULL;
    if (w->encrypted && type != HX_SECTION_PARAMS && type != HX_SECTION_ENCRYPTION) {
        sealed = malloc(len + HX_AEAD_OVERHEAD);
        if (!sealed) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
        data = hx_writer_seal_meta(w, data, len, sealed, "hexz-section-v1", type, aux, &len);
    }
    if (l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        hx_section *p = realloc(l->items, cap * sizeof *p);
        if (!p) {
            free(sealed);
            return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
        }
        l->items = p;
        l->cap = cap;
    }
    hx_section *s = &l->items[l->count++];
    s->type = type;
    s->flags = HX_SECTION_CRITICAL;
    s->offset = w->out.pos;
    s->length = len;
    s->aux = aux;
    hx_hash(data, len, s->hash);
    int rc = hx_outfile_write(&w->out, data, len);
    free(sealed);
    return rc;
}

static int compare_files(const void *a, const void *b)
{
    const hx_manifest_entry *x = a, *y = b;
    return hx_path_compare(x->path, strlen(x->path), y->path, strlen(y->path));
}

/* Writes one manifest page of files[first, first+count) and appends its directory record. */
static int write_manifest_page(hexz_writer *w, bytes_buf *dir, size_t first, size_t count,
                               bytes_buf *page, uint32_t page_no)
{
    page->len = 0;
    uint8_t *h = bb_reserve(page, HX_MANIFEST_PAGE_HEADER_LEN);
    if (!h) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    hx_manifest_page_header_encode((uint32_t)count, first, h);
    for (size_t i = first; i < first + count; i++) {
        const hx_manifest_entry *e = &w->files[i];
        uint8_t *at = bb_reserve(page, hx_manifest_entry_len(e));
        if (!at) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
        hx_manifest_entry_encode(e, at);
    }
    const char *first_path = w->files[first].path;
    size_t plen = strlen(first_path);
    uint8_t *r = bb_reserve(dir, 8 + 4 + 4 + 8 + HX_HASH_LEN + 2 + plen);
    if (!r) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    size_t plain_len = page->len, len;
    uint8_t *sealed = w->encrypted ? malloc(plain_len + HX_AEAD_OVERHEAD) : NULL;
    if (w->encrypted && !sealed) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    const uint8_t *stored = hx_writer_seal_meta(w, page->p, plain_len, sealed, "hexz-manifest-v1",
                                                page_no, 0, &len);
    hx_put64(r, w->out.pos);
    hx_put32(r + 8, (uint32_t)len);
    hx_put32(r + 12, (uint32_t)count);
    hx_put64(r + 16, first);
    hx_hash(stored, len, r + 24);
    hx_put16(r + 24 + HX_HASH_LEN, (uint16_t)plen);
    memcpy(r + 26 + HX_HASH_LEN, first_path, plen);
    int rc = hx_outfile_write(&w->out, stored, len);
    free(sealed);
    return rc;
}

static int write_manifest(hexz_writer *w, section_list *l)
{
    if (w->file_count > 1) qsort(w->files, w->file_count, sizeof *w->files, compare_files);
    for (size_t i = 1; i < w->file_count; i++)
        if (strcmp(w->files[i - 1].path, w->files[i].path) == 0)
            return hx_error(HEXZ_EINVAL, "%s: the file tree names %s twice", w->out.dest,
                            w->files[i].path);
    bytes_buf dir = {0}, page = {0};
    uint8_t *head = bb_reserve(&dir, 12);
    int rc = head ? 0 : hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    uint32_t pages = 0;
    size_t first = 0;
    while (rc == 0 && first < w->file_count) {
        size_t count = 0, bytes = HX_MANIFEST_PAGE_HEADER_LEN;
        while (first + count < w->file_count && count < HX_MANIFEST_PAGE_ENTRIES_LIMIT) {
            size_t n = hx_manifest_entry_len(&w->files[first + count]);
            if (count > 0 && bytes + n > HX_MANIFEST_PAGE_TARGET) break;
            bytes += n;
            count++;
        }
        rc = write_manifest_page(w, &dir, first, count, &page, pages);
        first += count;
        pages++;
    }
    if (rc == 0) {
        hx_put64(dir.p, w->file_count);
        hx_put32(dir.p + 8, pages);
        rc = write_section(w, l, HX_SECTION_MANIFEST_DIR, 0, dir.p, dir.len);
    }
    free(dir.p);
    free(page.p);
    return rc;
}

static int write_params(hexz_writer *w, section_list *l)
{
    const hexz_write_options *o = &w->opts;
    hx_params p = {.codec = (uint8_t)o->codec, .level = o->level, .page_entries = w->page_entries};
    if (o->chunking == HEXZ_CHUNK_FIXED) {
        p.chunking = HX_CHUNK_FIXED;
        p.block_size = p.max_size = o->block_size;
    } else {
        p.chunking = HX_CHUNK_CDC;
        p.min_size = o->min_size;
        p.avg_size = o->avg_size;
        p.max_size = o->max_size;
    }
    uint8_t buf[HX_PARAMS_LEN];
    hx_params_encode(&p, buf);
    return write_section(w, l, HX_SECTION_PARAMS, 0, buf, sizeof buf);
}

static int write_streams(hexz_writer *w, section_list *l)
{
    hx_stream_desc *d = calloc(w->stream_count, sizeof *d);
    if (!d) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    for (uint32_t i = 0; i < w->stream_count; i++) {
        strcpy(d[i].name, w->streams[i]->name);
        d[i].size = w->streams[i]->size;
        d[i].block_count = w->streams[i]->block_count;
        d[i].page_count = w->streams[i]->page_count;
    }
    size_t len = hx_streams_encoded_len(d, w->stream_count);
    uint8_t *buf = malloc(len);
    int rc = buf ? 0 : hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    if (!rc) {
        hx_streams_encode(d, w->stream_count, buf);
        rc = write_section(w, l, HX_SECTION_STREAMS, 0, buf, len);
    }
    free(buf);
    free(d);
    return rc;
}

static int write_page_dirs(hexz_writer *w, section_list *l)
{
    int rc = 0;
    for (uint32_t i = 0; i < w->stream_count && !rc; i++) {
        hx_wstream *s = w->streams[i];
        size_t len = (size_t)s->page_count * HX_PAGE_DIR_ENTRY_LEN;
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
        for (uint32_t p = 0; p < s->page_count; p++)
            hx_page_ref_encode(&s->pages[p], buf + (size_t)p * HX_PAGE_DIR_ENTRY_LEN);
        rc = write_section(w, l, HX_SECTION_PAGE_DIR, i, buf, len);
        free(buf);
    }
    return rc;
}

static int write_table_and_header(hexz_writer *w, const section_list *l)
{
    size_t len = (size_t)l->count * HX_SECTION_ENTRY_LEN;
    uint8_t *table = malloc(len);
    if (!table) return hx_error(HEXZ_ENOMEM, "%s: out of memory", w->out.dest);
    for (uint32_t i = 0; i < l->count; i++)
        hx_section_encode(&l->items[i], table + (size_t)i * HX_SECTION_ENTRY_LEN);
    hx_header h = {.major = HX_FORMAT_MAJOR,
                   .minor = HX_FORMAT_MINOR,
                   .header_length = HX_HEADER_LEN,
                   .section_table_offset = w->out.pos,
                   .section_count = l->count,
                   .required_features = (w->encrypted ? HX_FEATURE_ENCRYPTED : 0) |
                                        (w->thin ? HX_FEATURE_THIN : 0)};
    memcpy(h.archive_id, w->archive_id, HX_ARCHIVE_ID_LEN);
    h.file_length = w->out.pos + len;
    uint8_t hbuf[HX_HEADER_LEN];
    hx_header_encode(&h, hbuf); /* the root hash covers bytes [8, 48), set above */
    hx_root_hash(hbuf, table, l->count, h.root_hash);
    hx_header_encode(&h, hbuf);
    int rc = hx_outfile_write(&w->out, table, len);
    if (!rc) rc = hx_outfile_pwrite(&w->out, hbuf, sizeof hbuf, 0);
    free(table);
    return rc;
}

int hx_writer_write_metadata(hexz_writer *w)
{
    section_list l = {0};
    int rc = 0;
    if (w->tree) rc = write_manifest(w, &l);
    if (!rc) rc = write_params(w, &l);
    if (!rc && w->encrypted)
        rc = write_section(w, &l, HX_SECTION_ENCRYPTION, 0, w->key_record, sizeof w->key_record);
    if (!rc && w->dict) {
        const void *bytes;
        size_t len;
        hx_codec_dict_bytes(w->dict, &bytes, &len);
        rc = write_section(w, &l, HX_SECTION_DICTIONARY, 0, bytes, len);
    }
    if (!rc && w->thin) {
        uint8_t buf[4 + HX_ARCHIVE_ID_LEN + HX_HASH_LEN + 2 + HX_PATH_MAX];
        size_t len = hx_bases_encode(&w->base_ref, buf, sizeof buf);
        rc = write_section(w, &l, HX_SECTION_BASES, 0, buf, len);
    }
    if (!rc) rc = write_streams(w, &l);
    if (!rc) rc = write_page_dirs(w, &l);
    if (!rc) rc = write_table_and_header(w, &l);
    free(l.items);
    return rc;
}
