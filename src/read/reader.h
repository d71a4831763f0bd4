/*
 * reader.h - the internal API of read/ for the layer above it (src/ops/): opening with the
 * internal options, index pages and blocks through the reader's caches, manifest pages, extent
 * iteration, and small accessors for what ops reads of an open reader.
 *
 * ops/ includes this header, never read/reader_impl.h: the struct hexz_reader stays private to
 * read/. Everything returned by an accessor is borrowed and valid until hexz_reader_free(); it
 * is immutable after open, so any thread may call these at once. The counts that hexz.h
 * already gives (hexz_reader_stream_count, hexz_reader_file_count, hexz_reader_has_file_tree,
 * hexz_reader_is_encrypted) are not repeated here.
 */
#ifndef HX_READER_H
#define HX_READER_H

#include <stdint.h>

#include "codec/codec.h"
#include "format/format.h"
#include "hexz.h"
#include "read/cache.h"
#include "read/reader_io.h" /* hx_pread_exact, hx_reader_unseal */

/* A decoded, verified index page (the data of a page cache item). */
typedef struct {
    uint32_t count;
    hx_block_entry entries[];
} hx_index_page;

/* A decoded, verified manifest page: entries point into `bytes`. */
typedef struct {
    uint32_t count;
    uint8_t *bytes;
    size_t length; /* of bytes: the page's plaintext */
    hx_manifest_entry entries[];
} hx_manifest_page;

/* reader_open.c */
/* How to open: the password, where else to look for bases, the remote settings, and how deep
 * in a chain of bases this archive is (with the ids of the archives above it, to refuse
 * cycles). With structure_only set, an archive stops after the header, the section table
 * (checked against the root hash) and the signatures, if it is encrypted and no password was
 * given, and its base is not opened: enough to sign it or check a signature. */
typedef struct {
    const char *password;
    const char *base_dir;
    int structure_only;
    uint64_t max_kdf_memory, max_kdf_ops; /* 0: the defaults (hx_key_record_check_cost) */
    const hexz_remote_options *remote;    /* remote backends' settings (NULL: defaults) */
    int depth;
    const uint8_t (*above)[HX_ARCHIVE_ID_LEN]; /* ids of the `depth` archives above this one */
    const char
        *top; /* the path the caller opened (NULL at depth 0): errors about the chain name it */
} hx_open_ctx;

int hx_reader_open_ex(hexz_reader **out, const char *path, const hx_open_ctx *ctx);

/* A caller's hexz_open_options (NULL: defaults) as this library reads them (common/versioned.h:
 * versions 1..HEXZ_OPEN_OPTIONS_VERSION), into *ctx; the remote settings they point at are
 * taken into *remote, which must live as long as ctx. Errors name `name`. */
int hx_open_options_take(hx_open_ctx *ctx, hexz_remote_options *remote,
                         const hexz_open_options *opts, const char *name);

/* reader_chain.c */
/* Follows base references from `e` to the stored block that holds its bytes: *owner is the
 * archive (r or a base) whose stored bytes *out describes. A hole or stored entry resolves to
 * itself in r. */
int hx_resolve_entry(hexz_reader *r, const hx_block_entry *e, hexz_reader **owner,
                     hx_block_entry *out, unsigned *levels);

/* reader_pages.c */
/* Reads and checks page `page` of `stream` without the cache; *out is malloc'd. */
int hx_load_index_page(hexz_reader *r, uint32_t stream, uint32_t page, hx_index_page **out);
/* The page through the cache; release with hx_reader_release_page(r, item). */
int hx_get_index_page(hexz_reader *r, uint32_t stream, uint32_t page, hx_cache_item **out);
/* The block through the cache; its bytes are hx_block_bytes(item), it->size long. Release with
 * hx_reader_release_block(r, item). */
int hx_get_block(hexz_reader *r, const hx_block_entry *e, hx_cache_item **out);
static inline const uint8_t *hx_block_bytes(const hx_cache_item *it)
{
    return (const uint8_t *)it->data + HX_HASH_LEN;
}

/* reader_manifest.c */
int hx_load_manifest_page(hexz_reader *r, uint32_t page, hx_manifest_page **out);
void hx_manifest_page_free(hx_manifest_page *p);

/* read_at.c */
/* Calls fn for each extent of [off, off+len) of `stream`: `data` is the bytes, or NULL for a hole
 * (zeros). Stops at the first non-zero return and returns it. */
typedef int (*hx_extent_fn)(const uint8_t *data, uint64_t len, void *user);
int hx_for_each_extent(hexz_reader *r, unsigned stream, uint64_t off, uint64_t len, hx_extent_fn fn,
                       void *user);

/* reader_access.c: accessors (r must be open; stream and page indexes must be in range) */
const char *hx_reader_path(const hexz_reader *r);
/* The local file's descriptor (owned by the reader), or -1 for a remote archive. */
int hx_reader_fd(const hexz_reader *r);
uint64_t hx_reader_file_size(const hexz_reader *r);
const hx_header *hx_reader_header(const hexz_reader *r);
const hx_params *hx_reader_params(const hexz_reader *r);
/* The section table: hx_reader_header(r)->section_count entries. */
const hx_section *hx_reader_sections(const hexz_reader *r);
/* The archive's zstd dictionary, or NULL. */
const hx_codec_dict *hx_reader_dict(const hexz_reader *r);
const hx_stream_desc *hx_reader_stream_desc(const hexz_reader *r, uint32_t stream);
/* The page directory of `stream`: hx_reader_stream_desc(r, stream)->page_count entries. */
const hx_page_ref *hx_reader_stream_pages(const hexz_reader *r, uint32_t stream);
/* Index of the page of `stream` holding logical offset `off` (< the stream's size). */
uint32_t hx_reader_find_page(const hexz_reader *r, uint32_t stream, uint64_t off);
uint32_t hx_reader_manifest_page_count(const hexz_reader *r);
/* The stored length of manifest page `page`. */
uint32_t hx_reader_manifest_page_length(const hexz_reader *r, uint32_t page);
/* Release an item from hx_get_index_page / hx_get_block of the same reader. */
void hx_reader_release_page(hexz_reader *r, hx_cache_item *it);
void hx_reader_release_block(hexz_reader *r, hx_cache_item *it);

#endif
