/*
 * archive_rewrite.h - rewriting an archive beside itself: what hexz_sign() (one more signature
 * section) and hexz_change_password(keep_key) (a re-wrapped key record, the signatures dropped)
 * share.
 *
 * Both copy the old archive up to some point, change or add a section there, and end the copy
 * with a new section table and a header that points at it. The copy is written beside the
 * archive and renamed over it (pack/outfile.h, HX_OUT_UPDATE: the old file's owner and mode are
 * kept), so a crash leaves either the old archive or the new one.
 */
#ifndef HX_ARCHIVE_REWRITE_H
#define HX_ARCHIVE_REWRITE_H

#include <stdint.h>

#include "format/format.h"
#include "hexz.h"
#include "pack/outfile.h"

/* Writes the copy's body to `out` (open, empty): copy bytes of `r` with hx_outfile_copy_from,
 * write or patch sections, then end with hx_rewrite_tail. */
typedef int (*hx_rewrite_fn)(hexz_reader *r, hx_outfile *out, void *user);

/* HEXZ_EINVAL if `archive` is a URL ("only a local archive can be rewritten"), else 0: checked
 * before opening, so a rewrite of a remote archive makes no request (the rewriting calls take no
 * remote settings). */
int hx_rewrite_check_local(const char *archive);

/* Rewrites `archive` (opened as `r`, a local file) through fn: checks that r is local, opens the
 * copy beside it, checks that r is the file being replaced, runs fn, and commits. 0 or a HEXZ_E*
 * code (last error set); on failure the archive is untouched. */
int hx_rewrite_archive(hexz_reader *r, const char *archive, hx_rewrite_fn fn, void *user);

/* Ends a rewrite: appends the section table `sections[0..count)` at out->pos and writes r's
 * header at offset 0 with the table's offset, the count and the file length set. With rehash the
 * header's root hash is recomputed over the new header and table (the sections inside the root
 * changed); without it the root hash stays (only sections outside the root were added). */
int hx_rewrite_tail(hexz_reader *r, hx_outfile *out, const hx_section *sections, uint32_t count,
                    int rehash);

#endif
