/*
 * writer.h - the internal API of pack/ for the layer above it (src/ops/): creating a writer in
 * two steps so that ops can attach a base between them, appending whole blocks and file-tree
 * entries as they are (copying an archive), the thin-archive calls, and small accessors.
 *
 * ops/ includes this header, never pack/writer_impl.h: struct hexz_writer stays private to
 * pack/. Like the public writer calls, these belong to the one thread driving the writer.
 */
#ifndef HX_WRITER_H
#define HX_WRITER_H

#include <stdint.h>

#include "format/format.h"
#include "hexz.h"

/* writer.c */
/* A caller's write options as this library reads them: `dst` gets the defaults, then the
 * fields src's version defines (src NULL: the defaults only). Refuses version 0 and versions
 * newer than HEXZ_WRITE_OPTIONS_VERSION, naming `name`. */
int hx_write_options_take(hexz_write_options *dst, const hexz_write_options *src, const char *name);
/* The first half of hexz_writer_create(): checks the options, sets up chunking, the codec, the
 * dictionary, the output file, the archive id and encryption. opts->base is ignored (ops opens
 * the base and records it with hx_writer_set_base). On failure the writer is freed and *out
 * untouched. */
int hx_writer_create(hexz_writer **out, const char *path, const hexz_write_options *opts);
/* The second half: starts the pipeline threads and reserves the header's place. On failure the
 * caller frees the writer. */
int hx_writer_start(hexz_writer *w);

/* For copying an archive block by block (ops/archive_copy.c) */
/* Appends one whole block to `stream` (created beforehand), bypassing the chunker; `data` NULL
 * appends `len` zero bytes as a hole. */
int hx_writer_put_chunk(hexz_writer *w, uint32_t stream, const uint8_t *data, size_t len);
/* Adds a file-tree entry as it is (its offset and size already refer to stream "main"); path
 * and target are NUL-terminated and copied (their lengths are taken from them). */
int hx_writer_add_entry(hexz_writer *w, const hx_manifest_entry *f);
/* Makes `name` a stream (creating it) and the current one. */
int hx_writer_stream(hexz_writer *w, const char *name, uint32_t *index);

/* For readers of input that may wait (ops/pack_tree.c) */
/* Calls the progress callback now, whatever the bytes since the last call, so that a caller
 * waiting for input (a quiet pipe) can be canceled; HEXZ_ECANCELED (the writer then fails) if it
 * asks to stop, else 0. */
int hx_writer_poll_cancel(hexz_writer *w);

/* writer_base.c: the writer's side of a thin archive (ops/writer_open.c opens the base) */
/* Makes content of the base a reference to it: a block with content hash `hash` is readable
 * through the base in `stream` at [logical_offset, +length). A hash already known is skipped. */
int hx_writer_add_base_block(hexz_writer *w, const uint8_t hash[HX_HASH_LEN], uint32_t stream,
                             uint64_t logical_offset, uint32_t length);
/* Records the base (id, root hash, relative path) and makes the archive thin. */
void hx_writer_set_base(hexz_writer *w, const hx_base_ref *ref);

/* writer_access.c: accessors */
/* The archive's final path (for messages). */
const char *hx_writer_path(const hexz_writer *w);
/* The descriptor of the file being written (to recognise it among the inputs). */
int hx_writer_out_fd(const hexz_writer *w);
/* Writes a manifest even if no entry is added (a directory, or a copied empty tree). */
void hx_writer_set_tree(hexz_writer *w);
/* The input size reported to the progress callback (0: unknown). */
void hx_writer_set_bytes_total(hexz_writer *w, uint64_t total);
/* hx_outfile_check_source on the writer's output: `fd` (an archive rewritten beside itself)
 * must be the very file the output replaces; HEXZ_EIO naming it if not. */
int hx_writer_check_source(hexz_writer *w, int fd);

#endif
