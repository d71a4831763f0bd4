/*
 * writer_open.c - hexz_writer_create() and hexz_base_chunking(): opening a writer, and a thin
 * one on a base archive (docs/FORMAT.md §13).
 *
 * The writer itself is made by pack/ (hx_writer_create, then hx_writer_start); between the two,
 * a base is opened here with the reader, checked (a regular file, not encrypted, a chain short
 * enough that readers will follow one more level), recorded by relative path, archive id and
 * root hash, and every one of its blocks is handed to the writer's dedup table
 * (hx_writer_add_base_block), so that content the base holds becomes a reference to it. This is
 * the one place where a writer and a reader meet at creation, which is why it lives in ops/:
 * pack/ never includes read/. Uses pack/writer.h, read/reader.h and store/ (the file kinds).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/versioned.h"
#include "ops/archive_copy.h"
#include "pack/writer.h"
#include "read/reader.h"
#include "store/store.h"

/* Every block of the base (its own or its bases' through references) becomes a BASE slot:
 * readable through the base at (stream, logical offset). */
static int load_base_blocks(hexz_writer *w, hexz_reader *b)
{
    for (uint32_t s = 0; s < hexz_reader_stream_count(b); s++) {
        for (uint32_t p = 0; p < hx_reader_stream_desc(b, s)->page_count; p++) {
            hx_index_page *page;
            int rc = hx_load_index_page(b, s, p, &page);
            if (rc) return rc;
            for (uint32_t i = 0; !rc && i < page->count; i++) {
                const hx_block_entry *e = &page->entries[i];
                if (e->kind == HX_BLOCK_HOLE) continue;
                rc = hx_writer_add_base_block(w, e->content_hash, s, e->logical_offset,
                                              e->logical_length);
            }
            free(page);
            if (rc) return rc;
        }
    }
    return 0;
}

/* The directory part of `path` made absolute (the file itself need not exist). malloc'd. */
static char *abs_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy) return NULL;
    char *slash = strrchr(copy, '/');
    const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
    char *abs = realpath(dir, NULL);
    free(copy);
    return abs;
}

/* The path of `target` relative to directory `from` (both absolute, normalised). */
static int relative_path(const char *from, const char *target, char *out, size_t cap)
{
    size_t common = 0, i = 0;
    while (from[i] && from[i] == target[i]) {
        if (from[i] == '/') common = i;
        i++;
    }
    if (!from[i] && (target[i] == '/' || !target[i])) common = i;
    if (strcmp(from, "/") == 0) common = 0;
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = from + common; *p; p++)
        if (*p == '/' && (len += 3) < cap) strcat(out, "../");
    const char *rest = target + common + (target[common] == '/' ? 1 : 0);
    if (len + strlen(rest) + 1 > cap) return -1;
    strcat(out, rest);
    return 0;
}

/* The BASES record of base `b` (opened from base_path) for the archive the writer makes. */
static int base_record(const hexz_writer *w, const hexz_reader *b, const char *base_path,
                       hx_base_ref *ref)
{
    const char *dest = hx_writer_path(w);
    memcpy(ref->archive_id, hx_reader_header(b)->archive_id, HX_ARCHIVE_ID_LEN);
    memcpy(ref->root_hash, hx_reader_header(b)->root_hash, HX_HASH_LEN);
    char *dir = abs_dir_of(dest), *target = realpath(base_path, NULL);
    int rc = 0;
    if (!dir || !target)
        rc = hx_error(HEXZ_EIO, "%s: cannot resolve the path of base %s", dest, base_path);
    else if (relative_path(dir, target, ref->path, sizeof ref->path) != 0)
        rc = hx_error(HEXZ_EINVAL, "%s: path of base %s too long", dest, base_path);
    free(dir);
    free(target);
    return rc;
}

/* A base must be a regular file, as readers require (§13), checked before it is opened: a FIFO
 * would block the open and a device open can have effects. (The file backend checks the opened
 * descriptor again.) */
static int check_base_path(const char *base_path)
{
    if (hx_store_is_url(base_path)) return 0;
    struct stat st;
    if (stat(base_path, &st) != 0)
        return hx_error_errno(errno == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, errno, "%s", base_path);
    const char *kind = hx_store_file_kind(st.st_mode);
    if (kind)
        return hx_error(HEXZ_EINVAL, "%s: base archive is %s, not a regular file", base_path, kind);
    return 0;
}

static int setup_base(hexz_writer *w, const char *base_path)
{
    int rc = check_base_path(base_path);
    if (rc) return rc;
    hexz_reader *b;
    hx_open_ctx ctx = {0};
    rc = hx_reader_open_ex(&b, base_path, &ctx);
    if (rc) return rc;
    /* The new archive adds one level to its base's chain; one that readers would refuse to
     * follow is refused here, before anything is written, rather than packed and unreadable. */
    unsigned levels = hexz_reader_chain_length(b) + 1;
    if (levels > HX_BASE_DEPTH_MAX)
        rc = hx_error(
            HEXZ_EINVAL,
            "%s: the base chain would be %u levels deep; the limit is %d (flatten %s first)",
            base_path, levels, HX_BASE_DEPTH_MAX, base_path);
    if (!rc && hexz_reader_is_encrypted(b))
        rc = hx_error(HEXZ_EUNSUPPORTED, "%s: an encrypted archive cannot be a base", base_path);
    hx_base_ref ref;
    memset(&ref, 0, sizeof ref);
    if (!rc) rc = base_record(w, b, base_path, &ref);
    if (!rc) rc = load_base_blocks(w, b);
    hexz_reader_free(b);
    if (!rc) hx_writer_set_base(w, &ref);
    return rc;
}

int hexz_writer_create(hexz_writer **out, const char *path, const hexz_write_options *opts)
{
    if (!out || !path) return hx_error(HEXZ_EINVAL, "hexz_writer_create: NULL argument");
    hexz_write_options o;
    int rc = hx_write_options_take(&o, opts, path);
    if (rc) return rc;
    hexz_writer *w;
    rc = hx_writer_create(&w, path, &o);
    if (rc) return rc;
    if (o.base) rc = setup_base(w, o.base);
    if (!rc) rc = hx_writer_start(w);
    if (rc) {
        hexz_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int hexz_base_chunking(const char *base, hexz_write_options *opts)
{
    if (!base || !opts) return hx_error(HEXZ_EINVAL, "hexz_base_chunking: NULL argument");
    int rc = check_base_path(base);
    if (!rc) rc = hx_info_check(opts, base, "write options");
    if (rc) return rc;
    hexz_reader *b;
    hx_open_ctx ctx = {.structure_only = 1};
    rc = hx_reader_open_ex(&b, base, &ctx);
    if (rc) return rc;
    hx_copy_chunking(b, opts);
    hexz_reader_free(b);
    return 0;
}
