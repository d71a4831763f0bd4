/*
 * writer_base.c - the writing side of thin archives: loading the base chain's blocks into the
 * dedup table (so that content the base holds becomes a reference instead of stored bytes),
 * recording the base by relative path, archive id and root hash, and copying its chunking
 * settings (docs/FORMAT.md §13). A base must be a regular file, and one whose chain already has
 * the most levels a reader follows is refused before anything is written.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "pack/writer_impl.h"
#include "read/reader_impl.h"
#include "store/store.h"

/* Every block of the base (its own or its bases' through references) becomes a BASE slot:
 * readable through the base at (stream, logical offset). */
static int load_base_blocks(hexz_writer *w, hexz_reader *b)
{
    for (uint32_t s = 0; s < b->stream_count; s++) {
        for (uint32_t p = 0; p < b->streams[s].desc.page_count; p++) {
            hx_index_page *page;
            int rc = hx_load_index_page(b, s, p, &page);
            if (rc) return rc;
            for (uint32_t i = 0; !rc && i < page->count; i++) {
                const hx_block_entry *e = &page->entries[i];
                if (e->kind == HX_BLOCK_HOLE || hx_dedup_find(&w->dedup, e->content_hash)) continue;
                hx_dedup_slot slot = {.stored_offset = e->logical_offset, .stored_length = e->logical_length,
                                      .base_stream = (uint16_t)s, .used = HX_DEDUP_BASE};
                memcpy(slot.hash, e->content_hash, HX_HASH_LEN);
                rc = hx_dedup_insert(&w->dedup, &slot);
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

static int record_base(hexz_writer *w, hexz_reader *b, const char *base_path)
{
    memcpy(w->base_ref.archive_id, b->header.archive_id, HX_ARCHIVE_ID_LEN);
    memcpy(w->base_ref.root_hash, b->header.root_hash, HX_HASH_LEN);
    char *dir = abs_dir_of(w->out.dest), *target = realpath(base_path, NULL);
    int rc = 0;
    if (!dir || !target) rc = hx_error(HEXZ_EIO, "%s: cannot resolve the path of base %s", w->out.dest, base_path);
    else if (relative_path(dir, target, w->base_ref.path, sizeof w->base_ref.path) != 0)
        rc = hx_error(HEXZ_EINVAL, "%s: path of base %s too long", w->out.dest, base_path);
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
    if (kind) return hx_error(HEXZ_EINVAL, "%s: base archive is %s, not a regular file", base_path, kind);
    return 0;
}

int hx_writer_setup_base(hexz_writer *w, const char *base_path)
{
    if (w->opts.password)
        return hx_error(HEXZ_EUNSUPPORTED, "%s: thin archives cannot be encrypted yet", w->out.dest);
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
        rc = hx_error(HEXZ_EINVAL, "%s: the base chain would be %u levels deep; the limit is %d (flatten %s first)",
                      base_path, levels, HX_BASE_DEPTH_MAX, base_path);
    if (!rc && b->encrypted) rc = hx_error(HEXZ_EUNSUPPORTED, "%s: an encrypted archive cannot be a base", base_path);
    if (!rc) rc = record_base(w, b, base_path);
    if (!rc) rc = load_base_blocks(w, b);
    hexz_reader_free(b);
    if (!rc) w->thin = 1;
    return rc;
}

int hexz_base_chunking(const char *base, hexz_write_options *opts)
{
    if (!base || !opts) return hx_error(HEXZ_EINVAL, "hexz_base_chunking: NULL argument");
    int rc = check_base_path(base);
    if (rc) return rc;
    hexz_reader *b;
    hx_open_ctx ctx = {.structure_only = 1};
    rc = hx_reader_open_ex(&b, base, &ctx);
    if (rc) return rc;
    if (b->params.chunking == HX_CHUNK_FIXED) {
        opts->chunking = HEXZ_CHUNK_FIXED;
        opts->block_size = b->params.block_size;
    } else {
        opts->chunking = HEXZ_CHUNK_CDC;
        opts->min_size = b->params.min_size;
        opts->avg_size = b->params.avg_size;
        opts->max_size = b->params.max_size;
    }
    hexz_reader_free(b);
    return 0;
}
