/*
 * reader_impl.h - the inside of hexz_reader, shared by the files that implement it:
 *   reader_open.c     open: header, section table, root hash, sections, directories
 *   reader_chain.c    thin archives: opening the bases, following base references
 *   reader_pages.c    loading and checking index pages and blocks, through the caches
 *   reader_io.c       exact reads of the archive, unsealing metadata (reader_io.h)
 *   read_at.c         hexz_reader_read_at, block_at and extent iteration, read-ahead
 *   reader_manifest.c file entries: by index and by path
 *   signatures.c      listing and checking signatures
 *   verify.c          the whole-archive check
 *   reader_access.c   the accessors of reader.h
 *   prefetch.c        read-ahead threads (prefetch.h); cache.c the caches (cache.h)
 *
 * Which file calls which: a DAG, each row calling only files on rows below it. Opening a base
 * is the one recursion: reader_chain.c opens it with the functions reader_open.c hands it
 * (hx_open_base(r, ctx, hx_reader_try_open, hx_reader_open_backend)), never by calling
 * reader_open.c itself.
 *
 *   verify.c          -> reader_chain, reader_manifest, reader_pages, reader_io, tree_rules,
 *                        block_set
 *   read_at.c         -> reader_chain, reader_pages, prefetch (it is the prefetcher's loader)
 *   reader_open.c     -> reader_chain, prefetch (only to free it), reader_io
 *   reader_chain.c    -> reader_pages
 *   reader_manifest.c -> reader_io
 *   reader_pages.c    -> reader_io
 *   prefetch.c        -> common/thread_pool only: it loads through the callback it was given
 *   reader_io.c, reader_access.c, signatures.c, tree_rules.c, block_set.c, cache.c
 *                     -> nothing in read/
 * (All that cache call cache.c; below read/, any file may call common/, hash/, codec/,
 * crypto/, format/ and store/.)
 *
 * What the layer above (src/ops/) may use is declared in reader.h, which this header includes.
 *
 * After open, everything here except the caches and the codec pool is immutable, so any number
 * of threads may read at once; the caches and the pool have their own locks.
 */
#ifndef HX_READER_IMPL_H
#define HX_READER_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "codec/codec.h"
#include "crypto/aead.h"
#include "crypto/sign.h"
#include "format/format.h"
#include "hexz_backend.h"
#include "read/cache.h"
#include "read/reader.h"    /* the internal API ops/ uses */
#include "read/reader_io.h" /* hx_pread_exact, hx_reader_unseal */

typedef struct {
    hx_stream_desc desc;
    hx_page_ref *pages; /* page directory, in logical order */
    uint64_t read_end;  /* where the last read_at ended (atomic): a read starting there is
                           taken as sequential and read ahead */
} hx_rstream;

typedef struct {
    uint64_t page_offset;
    uint32_t page_length, entry_count;
    uint64_t first_index;
    uint8_t hash[HX_HASH_LEN];
    char *first_path;
    uint16_t first_path_length;
} hx_mpage_ref;

/* Decompression contexts, one per concurrent reader thread, reused. */
typedef struct {
    pthread_mutex_t lock;
    hx_codec_ctx **free_ctx;
    size_t count, cap;
} hx_codec_pool;

struct hexz_reader {
    char *path;
    hexz_backend backend; /* where the bytes come from; ctx owned, closed on free */
    int fd;               /* the local file's descriptor (owned by the backend), or -1 */
    int custom;           /* the backend is the caller's: bases come from its open_sibling */
    uint64_t file_size;
    hx_header header;
    hx_params params;
    hx_section *sections;
    hx_rstream *streams;
    uint32_t stream_count;
    hx_mpage_ref *mpages;
    uint32_t mpage_count;
    uint64_t file_count;
    int has_tree; /* a MANIFEST_DIR exists (possibly with no entries: an empty tree) */
    int thin;     /* has a base (BASES section) */
    hx_base_ref base_ref;
    hexz_reader *base; /* the opened base, owned */
    int depth;         /* 0 for the archive the caller opened, 1 for its base, ... */
    hx_signature *signatures;
    uint32_t signature_count;
    uint64_t data_end; /* stored bytes and pages lie in [HX_HEADER_LEN, data_end) */
    int encrypted;
    uint32_t overhead;     /* bytes sealing adds to a block, page or section: 0 or 40 */
    hx_keys keys;          /* wiped on free */
    hx_cache pages;        /* key: stream << 32 | page index */
    hx_cache blocks;       /* key: stored_offset */
    hx_cache mpages_cache; /* key: manifest page index */
    hx_codec_pool codecs;
    hx_codec_dict *dict;            /* the archive's zstd dictionary, or NULL */
    pthread_mutex_t prefetch_lock;  /* guards creating `prefetch` */
    struct hx_prefetcher *prefetch; /* created on the first long read; NULL until then */
    unsigned threads;               /* prefetch threads for long reads (1 = none) */
};

/* reader_open.c (hx_open_ctx and hx_reader_open_ex: reader.h) */
/* The same, telling apart "nothing at `path`" (*missing set) from any other failure, such as a
 * base further down the chain that is missing. */
int hx_reader_try_open(hexz_reader **out, const char *path, const hx_open_ctx *ctx, int *missing);
/* Opens through a caller's backend (checked and copied by its version; closed on failure),
 * `name` naming it in messages. */
int hx_reader_open_backend(hexz_reader **out, const hexz_backend *backend, const char *name,
                           const hx_open_ctx *ctx);

/* reader_chain.c */
/* How reader_chain.c opens a base: hx_reader_try_open by path, hx_reader_open_backend through
 * a sibling backend, passed in by reader_open.c so that the chain file never calls back into
 * the open file. */
typedef int (*hx_open_fn)(hexz_reader **out, const char *path, const hx_open_ctx *ctx,
                          int *missing);
typedef int (*hx_open_backend_fn)(hexz_reader **out, const hexz_backend *backend, const char *name,
                                  const hx_open_ctx *ctx);
/* Opens the base of a thin archive (looked up next to it, through the backend's open_sibling
 * for a reader on a caller's backend, then in ctx->base_dir), checking its id and root hash
 * against the BASES record, the depth limit and cycles. */
int hx_open_base(hexz_reader *r, const hx_open_ctx *ctx, hx_open_fn open,
                 hx_open_backend_fn open_backend);
/* hx_resolve_entry: reader.h */

/* reader_pages.c */
/* Reads, checks and decodes a stored block into `dst` (logical_length bytes). */
int hx_load_block(hexz_reader *r, const hx_block_entry *e, uint8_t *dst);
/* Index of the page of `stream` holding logical offset `off` (< stream size). */
uint32_t hx_find_page_by_offset(const hx_rstream *s, uint64_t off);
/* Index of the entry of `page` holding logical offset `off`. */
uint32_t hx_find_entry_by_offset(const hx_index_page *page, uint64_t off);

/* hx_for_each_extent (reader.h), reading ahead on the prefetch threads when `ahead` is set (long
 * reads always do). */
int hx_for_each_extent_ahead(hexz_reader *r, unsigned stream, uint64_t off, uint64_t len,
                             hx_extent_fn fn, void *user, int ahead);

#endif
