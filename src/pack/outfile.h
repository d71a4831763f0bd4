/*
 * outfile.h - an output file that appears atomically: written to a temporary file beside the
 * destination through a write buffer, then fsynced and renamed into place.
 *
 * Until hx_outfile_commit() succeeds nothing exists under the destination name (or the old file
 * stays as it was); hx_outfile_discard() removes the temporary file. Where the file system
 * allows it the temporary file has no name at all (O_TMPFILE) until the commit links it in, so
 * even a process killed with SIGKILL leaves nothing behind. Used by the archive writer and by
 * extraction of a single stream.
 *
 * Three ways to treat an existing destination (the `mode` of hx_outfile_open):
 *  - HX_OUT_CREATE: refuse it (HEXZ_EEXIST), whatever it is, even a dangling symlink.
 *  - HX_OUT_REPLACE: replace the name itself, whatever it was (a symlink or hard link is
 *    replaced, never written through): for extraction.
 *  - HX_OUT_UPDATE: update the file the path names, as the rewriting verbs (sign, passwd,
 *    flatten --force, pack --force) must: a symlink is followed to its target, which is
 *    replaced in its own directory (the link stays a link); the new file gets the old one's
 *    owner and mode; a file with other hard links is refused (they would keep the old
 *    version), and so is one that is replaced by someone else before the commit.
 *
 * The commit point is the rename: once it succeeds the new file is in place, so a failing
 * fsync of the directory afterwards is not a failure (the file is there; only its durability
 * across a power loss is in doubt) and is recorded in `dir_sync_failed`.
 */
#ifndef HX_OUTFILE_H
#define HX_OUTFILE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *dest;     /* the final name */
    char *tmp_path; /* the temporary file beside it (a name template while `anonymous`) */
    int anonymous;  /* the file has no name yet (O_TMPFILE): commit links it in */
    int fd;
    int mode;                  /* HX_OUT_CREATE, HX_OUT_REPLACE or HX_OUT_UPDATE */
    int replacing;             /* HX_OUT_UPDATE over an existing file: `old` describes it */
    uint64_t old_dev, old_ino; /* the file being replaced: refused at commit if it changed */
    int dir_sync_failed;       /* the commit succeeded but fsync of the directory did not */
    /* Test hook (unit tests set it through this private header; NULL in normal use): called
     * instead of fsync(2) on the destination's directory. */
    int (*fsync_dir)(int fd);
    uint8_t *buf; /* write buffer */
    size_t buf_len;
    uint64_t pos; /* offset of the next byte written */
} hx_outfile;

#define HX_OUTFILE_BUF (1u << 20)

enum { HX_OUT_CREATE = 0, HX_OUT_REPLACE = 1, HX_OUT_UPDATE = 2 };

/* Creates the temporary file (beside `dest`, or beside a symlink's target with HX_OUT_UPDATE).
 * `mode` says what an existing `dest` means (above). */
int hx_outfile_open(hx_outfile *f, const char *dest, int mode);
/* HX_OUT_UPDATE of a file read through `fd` (an archive rewritten beside itself): checks that
 * `fd` is the very file that will be replaced, so that the new version is made from the old
 * one. HEXZ_EIO naming the file if not. */
int hx_outfile_check_source(const hx_outfile *f, int fd);
/* Appends bytes at f->pos. */
int hx_outfile_write(hx_outfile *f, const void *data, size_t len);
/* Moves f->pos forward by `len` bytes without writing them (they read as zeros: a hole). */
int hx_outfile_skip(hx_outfile *f, uint64_t len);
/* Appends `len` bytes copied from `fd` at `offset` (copy_file_range, so the kernel may share
 * or clone the data instead of moving it through memory). */
int hx_outfile_copy_from(hx_outfile *f, int fd, uint64_t offset, uint64_t len,
                         const char *src_name);
/* Writes at an absolute offset already passed (e.g. the header at 0), after flushing. */
int hx_outfile_pwrite(hx_outfile *f, const void *data, size_t len, uint64_t offset);
/* Flushes, sets the length to f->pos, fsyncs, renames over `dest` and fsyncs the directory.
 * Success once the rename succeeded (see dir_sync_failed). */
int hx_outfile_commit(hx_outfile *f);
/* Removes the temporary file (if still there) and frees everything. Safe after commit. */
void hx_outfile_discard(hx_outfile *f);

#endif
