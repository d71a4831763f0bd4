/*
 * flatten.c - hexz_flatten(): a self-contained copy of an archive, its chain of bases resolved.
 *
 * The copy keeps the source's block boundaries exactly (each block is appended whole, not
 * re-chunked), so stream layouts, file offsets and holes stay as they were, and the new
 * archive deduplicates and compresses its blocks like any other. The manifest is copied entry
 * by entry. The copying itself (ops/archive_copy.c) is shared with re-encryption in
 * change_password.c. Uses the public reader and writer calls and archive_copy.h only.
 */
#include <stddef.h>

#include "common/error.h"
#include "ops/archive_copy.h"
#include "pack/writer.h"

int hexz_flatten(const char *src, const hexz_open_options *open_opts, const char *dest,
                 const hexz_write_options *write_opts)
{
    if (!src || !dest) return hx_error(HEXZ_EINVAL, "hexz_flatten: NULL argument");
    hexz_write_options o;
    int rc = hx_write_options_take(&o, write_opts, dest);
    if (rc) return rc;
    hexz_reader *r;
    rc = hexz_reader_open_opts(&r, src, open_opts);
    if (rc) return rc;
    hx_copy_chunking(r, &o);
    o.base = NULL;
    hexz_writer *w = NULL;
    rc = hexz_writer_create(&w, dest, &o);
    if (!rc) rc = hx_copy_content(r, w);
    if (!rc) rc = hexz_writer_finish(w);
    hexz_writer_free(w);
    hexz_reader_free(r);
    return rc;
}
