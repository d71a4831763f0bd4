/*
 * outfile.h - an output file that appears atomically: written to a temporary file beside the
 * destination through a write buffer, then fsynced and renamed into place.
 *
 * Until hx_outfile_commit() succeeds nothing exists under the destination name (or the old file
 * stays as it was); hx_outfile_discard() removes the temporary file. Where the file system
 * allows it the temporary file has no name at all (O_TMPFILE) until the commit links it in, so
 * even a process killed with SIGKILL leaves nothing behind. Used by the archive writer and by
 * extraction of a single stream.
 */
#ifndef HX_OUTFILE_H
#define HX_OUTFILE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *dest;      /* the final name */
    char *tmp_path;  /* the temporary file beside it (a name template while `anonymous`) */
    int anonymous;   /* the file has no name yet (O_TMPFILE): commit links it in */
    int fd;
    int overwrite;   /* replace an existing destination */
    uint8_t *buf;    /* write buffer */
    size_t buf_len;
    uint64_t pos;    /* offset of the next byte written */
} hx_outfile;

#define HX_OUTFILE_BUF (1u << 20)

/* Creates the temporary file. With overwrite == 0 an existing `dest` is HEXZ_EEXIST. */
int hx_outfile_open(hx_outfile *f, const char *dest, int overwrite);
/* Appends bytes at f->pos. */
int hx_outfile_write(hx_outfile *f, const void *data, size_t len);
/* Moves f->pos forward by `len` bytes without writing them (they read as zeros: a hole). */
int hx_outfile_skip(hx_outfile *f, uint64_t len);
/* Appends `len` bytes copied from `fd` at `offset` (copy_file_range, so the kernel may share
 * or clone the data instead of moving it through memory). */
int hx_outfile_copy_from(hx_outfile *f, int fd, uint64_t offset, uint64_t len, const char *src_name);
/* Writes at an absolute offset already passed (e.g. the header at 0), after flushing. */
int hx_outfile_pwrite(hx_outfile *f, const void *data, size_t len, uint64_t offset);
/* Flushes, sets the length to f->pos, fsyncs, renames over `dest` and fsyncs the directory. */
int hx_outfile_commit(hx_outfile *f);
/* Removes the temporary file (if still there) and frees everything. Safe after commit. */
void hx_outfile_discard(hx_outfile *f);

#endif
