/*
 * reader_chain.c - thin archives on the read side: opening the chain of bases, and following a
 * base reference to the stored bytes it names (docs/FORMAT.md §13).
 *
 * A base is found by the path recorded in the thin archive, relative to the thin archive's own
 * location (a directory or a URL), then in the caller's base directory. For an archive read
 * through a caller's backend (hexz_backend.h) the recorded path goes to the backend's
 * open_sibling instead, never to the file system or the network; the base directory comes
 * after it as before, and a base opened through open_sibling finds its own base the same way. It
 * must carry the archive id and root hash the thin archive recorded: a base that was replaced or
 * modified is refused, never read. A local base must be a regular file, which is checked before it
 * is opened. Chains are followed to HX_BASE_DEPTH_MAX levels; an archive that is its own ancestor
 * is refused. A reference whose target is missing or disagrees is an error, never
 * zeros.
 *
 * Calls reader_pages.c (a base's index pages) and nothing else in read/: a base is opened with
 * the openers hx_open_base() is given (reader_open.c's hx_reader_try_open and
 * hx_reader_open_backend).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/versioned.h"
#include "read/reader_impl.h"
#include "store/store.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* dir-of(archive) + "/" + rel, or rel itself when it is absolute. malloc'd. */
static char *beside(const char *archive, const char *rel)
{
    const char *slash = strrchr(archive, '/');
    size_t dlen = rel[0] == '/' || !slash ? 0 : (size_t)(slash - archive) + 1;
    char *p = malloc(dlen + strlen(rel) + 1);
    if (!p) return NULL;
    memcpy(p, archive, dlen);
    strcpy(p + dlen, rel);
    return p;
}

static char *in_dir(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (p) snprintf(p, len, "%s/%s", dir, name);
    return p;
}

static int check_identity(hexz_reader *r, hexz_reader *b)
{
    char want[2 * HX_ARCHIVE_ID_LEN + 1];
    hex(r->base_ref.archive_id, HX_ARCHIVE_ID_LEN, want);
    if (memcmp(b->header.archive_id, r->base_ref.archive_id, HX_ARCHIVE_ID_LEN) != 0)
        return hx_error(HEXZ_ECORRUPT, "%s: base %s is a different archive (id is not %s)", r->path,
                        b->path, want);
    if (memcmp(b->header.root_hash, r->base_ref.root_hash, HX_HASH_LEN) != 0)
        return hx_error(HEXZ_ECORRUPT,
                        "%s: base %s (id %s) has changed since the thin archive was made "
                        "(root hash differs)",
                        r->path, b->path, want);
    return 0;
}

/* A local base must be a regular file, checked before it is opened: the path comes from the
 * archive's bytes, and opening a FIFO or a device it names could block or have effects of its
 * own. (The file backend checks again on the descriptor it opens, so a swap in between is
 * refused too.) Returns 0 to go on, 1 if nothing is there, or an error. */
static int check_base_kind(const hexz_reader *r, const char *place)
{
    if (hx_store_is_url(place)) return 0;
    struct stat st;
    if (stat(place, &st) != 0) return errno == ENOENT || errno == ENOTDIR ? 1 : 0;
    const char *kind = hx_store_file_kind(st.st_mode);
    if (!kind) return 0;
    return hx_error(HEXZ_EINVAL, "%s: base archive %s is %s, not a regular file", r->path, place,
                    kind);
}

/* Opens the first of the candidate places that exists. *missing stays set only if none does;
 * any other failure (a damaged base, a FIFO or a directory where the base should be, or a base
 * of the base missing) is final. */
static int open_first(hexz_reader **out, const hexz_reader *r, char *const *places, int n,
                      const hx_open_ctx *child, hx_open_fn open, int *missing)
{
    int rc = HEXZ_ENOTFOUND;
    *missing = 1;
    for (int i = 0; i < n && *missing; i++) {
        if (!places[i]) continue;
        rc = check_base_kind(r, places[i]);
        if (rc == 1) continue;
        if (rc < 0) {
            *missing = 0;
            return rc;
        }
        rc = open(out, places[i], child, missing);
    }
    return rc == 1 ? HEXZ_ENOTFOUND : rc;
}

/* Asks the backend of r (a caller's) for the object its base path names, and opens it. *missing
 * is set, with HEXZ_ENOTFOUND, if the backend has no such object or no open_sibling at all;
 * any other failure is final. The base is named in messages by its path beside r's name. */
static int open_sibling(hexz_reader **out, const hexz_reader *r, const hx_open_ctx *child,
                        hx_open_backend_fn open_backend, int *missing)
{
    *missing = 1;
    if (!r->backend.open_sibling) return HEXZ_ENOTFOUND;
    hexz_backend b;
    memset(&b, 0, sizeof b);
    int rc = r->backend.open_sibling(r->backend.ctx, r->base_ref.path, &b);
    if (rc == HEXZ_ENOTFOUND) return rc;
    *missing = 0;
    if (rc > 0) /* not a HEXZ_E* code: still a failure, never taken for success */
        return hx_error(HEXZ_EIO, "%s: open_sibling of its backend returned %d for base %s",
                        r->path, rc, r->base_ref.path);
    if (rc) return rc;
    char *name = beside(r->path, r->base_ref.path);
    if (!name) {
        if (b.version >= 1 && b.close) b.close(b.ctx);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    }
    rc = open_backend(out, &b, name, child);
    free(name);
    return rc;
}

int hx_open_base(hexz_reader *r, const hx_open_ctx *ctx, hx_open_fn open,
                 hx_open_backend_fn open_backend)
{
    if (!r->thin) return 0;
    char id[2 * HX_ARCHIVE_ID_LEN + 1];
    hex(r->base_ref.archive_id, HX_ARCHIVE_ID_LEN, id);
    /* Named after the archive the caller opened, not the deep base where the limit is hit: that
     * is the file the user asked for, and the one to flatten. */
    const char *top = ctx->top ? ctx->top : r->path;
    if (ctx->depth + 1 > HX_BASE_DEPTH_MAX)
        return hx_error(
            HEXZ_ECORRUPT,
            "%s: the chain of bases is more than %d levels deep (the base at level %d, %s, "
            "has a base of its own)",
            top, HX_BASE_DEPTH_MAX, ctx->depth, r->path);
    uint8_t(*above)[HX_ARCHIVE_ID_LEN] = malloc(((size_t)ctx->depth + 1) * HX_ARCHIVE_ID_LEN);
    if (!above) return hx_error(HEXZ_ENOMEM, "%s: out of memory", r->path);
    if (ctx->depth) memcpy(above, ctx->above, (size_t)ctx->depth * HX_ARCHIVE_ID_LEN);
    memcpy(above[ctx->depth], r->header.archive_id, HX_ARCHIVE_ID_LEN);
    int rc = 0;
    for (int i = 0; i <= ctx->depth && !rc; i++)
        if (memcmp(above[i], r->base_ref.archive_id, HX_ARCHIVE_ID_LEN) == 0)
            rc = hx_error(HEXZ_ECORRUPT, "%s: its chain of bases loops back to archive %s", r->path,
                          id);
    hx_open_ctx child = {.base_dir = ctx->base_dir,
                         .remote = ctx->remote,
                         .depth = ctx->depth + 1,
                         .above = (const uint8_t(*)[HX_ARCHIVE_ID_LEN])above,
                         .top = top};
    const char *slash = strrchr(r->base_ref.path, '/');
    /* A caller's backend is asked for the base instead: its name is only a label. */
    char *places[3] = {r->custom ? NULL : beside(r->path, r->base_ref.path), NULL, NULL};
    /* The recorded path is relative to where the thin archive is: a local archive never makes
     * a network request because of what its bytes say, and a remote one stays remote. */
    if (places[0] && hx_store_is_url(places[0]) != hx_store_is_url(r->path)) {
        free(places[0]);
        places[0] = NULL;
    }
    if (ctx->base_dir) {
        places[1] = in_dir(ctx->base_dir, r->base_ref.path);
        if (slash) places[2] = in_dir(ctx->base_dir, slash + 1);
    }
    int missing = 0;
    if (!rc && r->custom) rc = open_sibling(&r->base, r, &child, open_backend, &missing);
    if ((!rc && !r->base) || (rc && missing))
        rc = open_first(&r->base, r, places, 3, &child, open, &missing);
    /* Without open_sibling the base could not be looked for beside the archive at all. */
    const char *no_sibling = r->custom && !r->backend.open_sibling
                                 ? " (its backend has no open_sibling)"
                                 : "";
    if (rc && missing)
        rc = hx_error(HEXZ_ENOTFOUND, "%s: base archive %s (id %s) not found%s%s%s%s", r->path,
                      r->base_ref.path, id, no_sibling, ctx->base_dir ? " (nor in " : "",
                      ctx->base_dir ? ctx->base_dir : "", ctx->base_dir ? ")" : "");
    for (int i = 0; i < 3; i++) free(places[i]);
    free(above);
    if (!rc) rc = check_identity(r, r->base);
    return rc;
}

/* One step down: the entry of base `b` that a reference `e` names, checked to agree with it. */
static int follow(hexz_reader *r, hexz_reader *b, const hx_block_entry *e, hx_block_entry *out)
{
    uint32_t stream = e->stored_length;
    uint64_t off = e->stored_offset;
    if (stream >= b->stream_count || off >= b->streams[stream].desc.size)
        return hx_error(HEXZ_ECORRUPT, "%s: base reference points outside base %s", r->path,
                        b->path);
    hx_cache_item *it;
    int rc = hx_get_index_page(b, stream, hx_find_page_by_offset(&b->streams[stream], off), &it);
    if (rc) return rc;
    const hx_index_page *page = it->data;
    *out = page->entries[hx_find_entry_by_offset(page, off)];
    hx_cache_release(&b->pages, it);
    if (out->logical_offset != off || out->logical_length != e->logical_length ||
        memcmp(out->content_hash, e->content_hash, HX_HASH_LEN) != 0 || out->kind == HX_BLOCK_HOLE)
        return hx_error(HEXZ_ECORRUPT,
                        "%s: base reference to offset %llu of %s does not match the base's block",
                        r->path, (unsigned long long)off, b->path);
    return 0;
}

int hx_resolve_entry(hexz_reader *r, const hx_block_entry *e, hexz_reader **owner,
                     hx_block_entry *out, unsigned *levels)
{
    hexz_reader *cur = r;
    *out = *e;
    unsigned n = 0;
    while (out->kind == HX_BLOCK_BASE) {
        if (!cur->base)
            return hx_error(HEXZ_ECORRUPT, "%s: base reference in an archive without a base",
                            cur->path);
        hx_block_entry next;
        int rc = follow(cur, cur->base, out, &next);
        if (rc) return rc;
        *out = next;
        cur = cur->base;
        n++;
    }
    *owner = cur;
    if (levels) *levels = n;
    return 0;
}

unsigned hexz_reader_chain_length(const hexz_reader *r)
{
    unsigned n = 0;
    for (const hexz_reader *b = r ? r->base : NULL; b; b = b->base) n++;
    return n;
}

int hexz_reader_base_info(const hexz_reader *r, unsigned level, hexz_base_info *out)
{
    if (!r || !out) return hx_error(HEXZ_EINVAL, "hexz_reader_base_info: NULL argument");
    const hexz_reader *b = r->base;
    for (unsigned i = 1; b && i < level; i++) b = b->base;
    if (level == 0 || !b)
        return hx_error(HEXZ_ERANGE, "%s: no base at level %u (the chain has %u)", r->path, level,
                        hexz_reader_chain_length(r));
    static const size_t ends[] = {sizeof(hexz_base_info)}; /* common/versioned.h */
    hexz_base_info full;
    memset(&full, 0, sizeof full);
    full.path = b->path;
    memcpy(full.archive_id, b->header.archive_id, sizeof full.archive_id);
    memcpy(full.root_hash, b->header.root_hash, sizeof full.root_hash);
    full.file_size = b->file_size;
    return hx_info_give(out, &full, ends, HEXZ_BASE_INFO_VERSION, r->path, "base info");
}
