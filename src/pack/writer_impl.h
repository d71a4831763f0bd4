/*
 * writer_impl.h - the inside of hexz_writer, shared by the files that implement it:
 *   writer.c          the public calls: streams, file entries, staging input into chunks
 *   writer_blocks.c   one chunk -> a hole, a dedup reference or a newly stored block; index pages
 *   writer_finish.c   manifest pages, sections, section table, header, atomic commit
 *   writer_base.c     the writer's side of a thin archive: base blocks, the base record
 *   writer_access.c   the accessors of writer.h
 * What the layer above (src/ops/) may use is declared in writer.h, which this header includes;
 * nothing outside pack/ (but tests) includes this one.
 *
 * Everything here is owned by the single thread driving the writer.
 */
#ifndef HX_WRITER_IMPL_H
#define HX_WRITER_IMPL_H

#include <stdint.h>

#include "chunk/chunk.h"
#include "codec/codec.h"
#include "format/format.h"
#include "hexz.h"
#include "pack/block_prep.h"
#include "pack/dedup_table.h"
#include "pack/outfile.h"
#include "pack/writer.h"

/* A stream being written. `queued_size` belongs to the thread calling the writer API (it
 * counts bytes cut into chunks); everything else to the thread that commits chunks (the writer
 * thread of the pipeline, or the caller when there is none). */
typedef struct {
    char name[HX_STREAM_NAME_MAX + 1];
    uint32_t index;
    uint64_t queued_size; /* logical bytes cut into chunks so far */
    uint64_t size;        /* logical bytes committed so far */
    uint64_t block_count; /* entries in finished pages plus the open page */
    hx_page_ref *pages;   /* finished pages */
    uint32_t page_count, page_cap;
    uint8_t *page_buf;     /* the open page: header + entries, encoded */
    uint32_t page_entries; /* entries in the open page */
    uint64_t page_first_logical, page_first_block;
    uint64_t hole_offset; /* a pending run of zeros not yet emitted as an entry */
    uint32_t hole_length;
} hx_wstream;

struct hexz_writer {
    hexz_write_options opts;
    hx_outfile out;
    hx_chunker chunker;
    hx_codec_ctx *codec;
    hx_dedup_table dedup;
    uint8_t archive_id[HX_ARCHIVE_ID_LEN];
    uint32_t page_entries;

    hx_wstream *streams[HX_STREAM_MAX_COUNT]; /* never moved once created: threads hold them */
    uint32_t stream_count;
    int current; /* index of the current stream, -1 before the first */

    uint8_t *zeros;    /* max_size zero bytes, for hexz_writer_write_zeros (lazily) */
    size_t zero_chunk; /* the chunk length the chunker gives inside a long zero run */
    uint8_t *stage;    /* input waiting to be cut into chunks */
    size_t stage_start, stage_len, stage_cap;
    uint8_t *cbuf; /* compression output */
    size_t cbuf_cap;
    uint8_t *ebuf; /* encryption output (cbuf_cap + HX_AEAD_OVERHEAD) */

    int encrypted;
    hx_keys keys; /* derived from the random data key; wiped on free */
    uint8_t key_record[HX_KEY_RECORD_LEN];
    hx_block_crypto crypto; /* points at keys and archive_id, or keys NULL */
    uint8_t *seal_buf;      /* a sealed index page (committer thread only) */

    hx_codec_dict *dict; /* zstd dictionary used for every block, or NULL */

    int thin;             /* blocks the base holds become references to it */
    hx_base_ref base_ref; /* the base's id, root hash and path relative to the archive */

    hx_manifest_entry *files; /* the file tree waiting for the manifest: path and target are
                                 NUL-terminated copies the writer owns (free on free) */
    size_t file_count, file_cap;
    int in_file; /* between begin_file and end_file */
    int tree;    /* write a manifest, even an empty one (set by any file entry, and
                    by hexz_pack_path for a directory) */

    struct hx_pipeline *pipeline; /* NULL when packing without threads */

    hexz_progress progress; /* blocks, dedup_hits, bytes_out: atomics, set by the committer */
    uint64_t next_progress;
    int failed; /* a call failed: only free() is allowed */
    int finished;
};

/* writer_blocks.c */
/* Dedups, writes and indexes one prepared chunk of `stream`, in input order. If the chunk was
 * only hashed (p->compressed == 0) it is compressed here when it turns out to be new. */
int hx_writer_commit_chunk(hexz_writer *w, uint32_t stream, const uint8_t *data, size_t len,
                           hx_prepared *p);
int hx_writer_flush_hole(hexz_writer *w, hx_wstream *s);
int hx_writer_flush_page(hexz_writer *w, hx_wstream *s);
/* Seals metadata (an index or manifest page, a section) when encrypting: returns `plain` as it
 * is, or `sealed` (len + HX_AEAD_OVERHEAD bytes) holding it encrypted with associated data
 * (domain, archive id, a, b). *out_len gets the stored length. */
const uint8_t *hx_writer_seal_meta(hexz_writer *w, const uint8_t *plain, size_t len,
                                   uint8_t *sealed, const char *domain, uint32_t a, uint32_t b,
                                   size_t *out_len);

/* writer_finish.c */
int hx_writer_write_metadata(hexz_writer *w);

#endif
