/*
 * reader_manifest.c - the file manifest of directory archives: loading a manifest page (checked
 * against its hash and the ordering rules of docs/FORMAT.md §10), and finding entries by index
 * or by path with a binary search over the directory and then within one page.
 *
 * Calls reader_io.c (reads, unsealing) and nothing else in read/ but the caches.
 */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/error.h"
#include "read/reader_impl.h"

void hx_manifest_page_free(hx_manifest_page *p)
{
    if (!p) return;
    free(p->bytes);
    free(p);
}

static uint64_t main_stream_size(const hexz_reader *r)
{
    for (uint32_t i = 0; i < r->stream_count; i++)
        if (strcmp(r->streams[i].desc.name, "main") == 0) return r->streams[i].desc.size;
    return 0;
}

static int entry_in_order(hexz_reader *r, uint32_t page, const hx_manifest_entry *prev,
                          const hx_manifest_entry *e)
{
    const hx_mpage_ref *m = &r->mpages[page];
    if (!prev && hx_path_compare(e->path, e->path_length, m->first_path, m->first_path_length) != 0)
        return hx_error(HEXZ_ECORRUPT,
                        "%s: manifest page %u does not start where its directory says", r->path,
                        page);
    if (prev && hx_path_compare(prev->path, prev->path_length, e->path, e->path_length) >= 0)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest page %u is out of order", r->path, page);
    if (page + 1 < r->mpage_count) {
        const hx_mpage_ref *next = &r->mpages[page + 1];
        if (hx_path_compare(e->path, e->path_length, next->first_path, next->first_path_length) >=
            0)
            return hx_error(HEXZ_ECORRUPT, "%s: manifest page %u overlaps the next", r->path, page);
    }
    uint64_t end;
    if (e->type == HX_FILE_REGULAR &&
        (hx_add64(e->offset, e->size, &end) || end > main_stream_size(r)))
        return hx_error(HEXZ_ECORRUPT, "%s: file %.*s lies outside the data stream", r->path,
                        (int)e->path_length, e->path);
    return 0;
}

static int decode_manifest_page(hexz_reader *r, uint32_t page, hx_manifest_page *p)
{
    const hx_mpage_ref *m = &r->mpages[page];
    /* The length first: an encrypted page's plaintext is 40 bytes shorter than what the
     * directory records, so a sealed page of 40..55 bytes holds less than a header. */
    size_t pos = HX_MANIFEST_PAGE_HEADER_LEN;
    if (p->length < pos)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest page %u is too short", r->path, page);
    uint32_t count;
    uint64_t first;
    int rc = hx_manifest_page_header_decode(&count, &first, p->bytes, r->path);
    if (rc) return rc;
    if (count != m->entry_count || first != m->first_index)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest page %u header disagrees with the directory",
                        r->path, page);
    for (uint32_t i = 0; i < count; i++) {
        size_t used;
        rc = hx_manifest_entry_decode(&p->entries[i], p->bytes + pos, p->length - pos, &used,
                                      r->path);
        if (!rc) rc = entry_in_order(r, page, i ? &p->entries[i - 1] : NULL, &p->entries[i]);
        if (rc) return rc;
        pos += used;
    }
    if (pos != p->length)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest page %u has trailing bytes", r->path, page);
    p->count = count;
    return 0;
}

int hx_load_manifest_page(hexz_reader *r, uint32_t page, hx_manifest_page **out)
{
    const hx_mpage_ref *m = &r->mpages[page];
    if (m->page_length < HX_MANIFEST_PAGE_HEADER_LEN)
        return hx_error(HEXZ_ECORRUPT, "%s: manifest page %u is too short", r->path, page);
    hx_manifest_page *p = calloc(1, sizeof *p + (size_t)m->entry_count * sizeof p->entries[0]);
    if (p) p->length = m->page_length;
    if (!p || !(p->bytes = malloc(m->page_length))) {
        free(p);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    }
    int rc = hx_pread_exact(r, p->bytes, m->page_length, m->page_offset);
    if (!rc) {
        uint8_t hash[HX_HASH_LEN];
        hx_hash(p->bytes, m->page_length, hash);
        if (memcmp(hash, m->hash, HX_HASH_LEN) != 0)
            rc = hx_error(HEXZ_ECORRUPT, "%s: manifest page %u is damaged (hash mismatch)", r->path,
                          page);
    }
    uint8_t *plain = NULL;
    if (!rc)
        rc = hx_reader_unseal(r, p->bytes, m->page_length, "hexz-manifest-v1", page, 0, &plain,
                              "manifest page");
    if (plain) {
        free(p->bytes);
        p->bytes = plain;
        p->length = m->page_length - r->overhead;
    }
    if (!rc) rc = decode_manifest_page(r, page, p);
    if (rc) {
        hx_manifest_page_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* Cache items hold a flat copy so that the cache's free() releases everything: the page struct
 * and its bytes live in one allocation, with entry pointers rebased into it. */
static void *flatten(const hx_manifest_page *p, uint32_t length, size_t *size)
{
    size_t head = sizeof *p + (size_t)p->count * sizeof p->entries[0];
    *size = head + length;
    uint8_t *flat = malloc(*size);
    if (!flat) return NULL;
    memcpy(flat, p, head);
    memcpy(flat + head, p->bytes, length);
    hx_manifest_page *q = (hx_manifest_page *)flat;
    q->bytes = flat + head;
    for (uint32_t i = 0; i < q->count; i++) {
        q->entries[i].path = (const char *)q->bytes + (p->entries[i].path - (const char *)p->bytes);
        if (q->entries[i].target)
            q->entries[i].target = (const char *)q->bytes +
                                   (p->entries[i].target - (const char *)p->bytes);
    }
    return flat;
}

static int get_manifest_page(hexz_reader *r, uint32_t page, hx_cache_item **out)
{
    hx_cache_item *it = hx_cache_get(&r->mpages_cache, page);
    if (!it) {
        hx_manifest_page *p;
        int rc = hx_load_manifest_page(r, page, &p);
        if (rc) return rc;
        size_t size;
        void *flat = flatten(p, (uint32_t)p->length, &size);
        hx_manifest_page_free(p);
        if (!flat) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
        it = hx_cache_put(&r->mpages_cache, page, flat, size);
        if (!it) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    }
    *out = it;
    return 0;
}

static void to_public(const hx_manifest_entry *e, hexz_file_info *out)
{
    out->type = (hexz_file_type)e->type;
    out->mode = e->mode;
    out->mtime_sec = e->mtime_sec;
    out->mtime_nsec = e->mtime_nsec;
    out->offset = e->offset;
    out->size = e->type == HX_FILE_SYMLINK ? e->target_length : e->size;
    memcpy(out->path, e->path, e->path_length);
    out->path[e->path_length] = '\0';
    if (e->target_length) memcpy(out->target, e->target, e->target_length);
    out->target[e->target_length] = '\0';
}

int hexz_reader_file_at(hexz_reader *r, uint64_t index, hexz_file_info *out)
{
    if (!r || !out) return hx_error(HEXZ_EINVAL, "hexz_reader_file_at: NULL argument");
    if (index >= r->file_count)
        return hx_error(HEXZ_ERANGE, "%s: no file entry %llu (the archive has %llu)", r->path,
                        (unsigned long long)index, (unsigned long long)r->file_count);
    uint32_t lo = 0, hi = r->mpage_count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r->mpages[mid].first_index <= index) lo = mid;
        else hi = mid;
    }
    hx_cache_item *it;
    int rc = get_manifest_page(r, lo, &it);
    if (rc) return rc;
    const hx_manifest_page *p = it->data;
    to_public(&p->entries[index - r->mpages[lo].first_index], out);
    hx_cache_release(&r->mpages_cache, it);
    return 0;
}

int hexz_reader_file_seek(hexz_reader *r, const char *path, uint64_t *out_index)
{
    if (!r || !path || !out_index)
        return hx_error(HEXZ_EINVAL, "hexz_reader_file_seek: NULL argument");
    size_t len = strlen(path);
    /* The last page whose first path is <= path holds the answer, or it is the next page's
     * first entry. */
    uint32_t lo = 0, hi = r->mpage_count;
    if (r->mpage_count == 0 ||
        hx_path_compare(path, len, r->mpages[0].first_path, r->mpages[0].first_path_length) <= 0) {
        *out_index = 0;
        return 0;
    }
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (hx_path_compare(r->mpages[mid].first_path, r->mpages[mid].first_path_length, path,
                            len) <= 0)
            lo = mid;
        else hi = mid;
    }
    hx_cache_item *it;
    int rc = get_manifest_page(r, lo, &it);
    if (rc) return rc;
    const hx_manifest_page *p = it->data;
    uint32_t a = 0, b = p->count;
    while (a < b) {
        uint32_t mid = a + (b - a) / 2;
        if (hx_path_compare(p->entries[mid].path, p->entries[mid].path_length, path, len) < 0)
            a = mid + 1;
        else b = mid;
    }
    *out_index = r->mpages[lo].first_index + a;
    hx_cache_release(&r->mpages_cache, it);
    return 0;
}

int hexz_reader_file_lookup(hexz_reader *r, const char *path, hexz_file_info *out)
{
    if (!r || !path || !out) return hx_error(HEXZ_EINVAL, "hexz_reader_file_lookup: NULL argument");
    /* The entry, if present, is the first one not before `path`. */
    uint64_t index;
    int rc = hexz_reader_file_seek(r, path, &index);
    if (rc) return rc;
    if (index < r->file_count) {
        hexz_file_info *f = malloc(sizeof *f); /* *out is written only when found */
        if (!f) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
        rc = hexz_reader_file_at(r, index, f);
        int found = rc == 0 && strcmp(f->path, path) == 0;
        if (found) *out = *f;
        free(f);
        if (rc) return rc;
        if (found) return 0;
    }
    return hx_error(HEXZ_ENOTFOUND, "%s: %s: not in the archive", r->path, path);
}
