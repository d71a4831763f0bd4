/*
 * archive_copy.h - copying an open archive's content into a writer block by block: what
 * hexz_flatten() (resolving a thin archive's bases) and hexz_change_password() (re-encrypting
 * under a new data key) share.
 *
 * The copy keeps block boundaries exactly (each block is put whole, not re-chunked), so stream
 * layouts, file offsets, holes and the file tree stay as they were.
 *
 * Part of ops/ (level 4). Included by ops/ files only; implemented in archive_copy.c.
 */
#ifndef HX_ARCHIVE_COPY_H
#define HX_ARCHIVE_COPY_H

#include "hexz.h"

/* Sets the chunking fields of *o to those of the archive `r` reads (also hexz_base_chunking). */
void hx_copy_chunking(const hexz_reader *r, hexz_write_options *o);

/* Appends every stream of `r` (in order, block by block, holes as holes) and its file tree to
 * `w`, which must be new. Returns 0 or a HEXZ_E* code (last error set). */
int hx_copy_content(hexz_reader *r, hexz_writer *w);

#endif
