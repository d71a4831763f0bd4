/*
 * extract_stream.c - extracting a single-stream archive: the "main" stream into a file that
 * appears atomically (hx_outfile: written beside it, renamed into place), or sequentially into
 * an open descriptor such as standard output.
 *
 * Part of ops/ (level 4, above pack/ and read/). Uses read/reader.h (hx_for_each_extent,
 * accessors) and pack/outfile.h (the atomic output file).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "ops/extract_impl.h"
#include "pack/outfile.h"
#include "read/reader.h"

#define REPORT_BYTES (4u << 20)

typedef struct {
    hx_outfile *out; /* or NULL: write to fd */
    int fd;
    const char *name; /* the destination, in messages */
    const hexz_extract_options *o;
    hexz_progress progress;
    uint64_t next_report;
} stream_sink;

static int fd_write(stream_sink *s, const uint8_t *data, uint64_t len)
{
    static const uint8_t zeros[65536];
    while (len > 0) {
        size_t want = len > (1u << 20) ? (1u << 20) : (size_t)len;
        if (!data && want > sizeof zeros) want = sizeof zeros;
        ssize_t n = write(s->fd, data ? data : zeros, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return hx_error_errno(HEXZ_EIO, errno, "%s: write failed", s->name);
        if (data) data += n;
        len -= (uint64_t)n;
    }
    return 0;
}

static int stream_extent(const uint8_t *data, uint64_t len, void *user)
{
    stream_sink *s = user;
    int rc = !s->out ? fd_write(s, data, len)
             : data  ? hx_outfile_write(s->out, data, len)
                     : hx_outfile_skip(s->out, len);
    s->progress.bytes_in += len;
    s->progress.bytes_out += data || !s->out ? len : 0;
    if (rc || !s->o->progress || s->progress.bytes_in < s->next_report) return rc;
    s->next_report = s->progress.bytes_in + REPORT_BYTES;
    s->progress.version = HEXZ_PROGRESS_VERSION;
    return s->o->progress(&s->progress, s->o->user)
               ? hx_error(HEXZ_ECANCELED, "%s: extract canceled", s->name)
               : 0;
}

/* The "main" stream into one file, written beside it and renamed into place: a failed or
 * canceled extract leaves no partial file, and the old file (which may be the archive being
 * read) is intact until the rename. */
int hx_extract_stream(hexz_reader *r, const char *dest, const hexz_extract_options *o)
{
    unsigned stream;
    int rc = hexz_reader_find_stream(r, "main", &stream);
    if (rc) return rc;
    struct stat st;
    if (!o->force && lstat(dest, &st) == 0)
        return hx_error(HEXZ_EEXIST, "%s: already exists (use --force to overwrite)", dest);
    hx_outfile out;
    rc = hx_outfile_open(&out, dest, o->force);
    if (rc) return rc;
    stream_sink sink = {.out = &out, .name = dest, .o = o};
    sink.progress.bytes_total = hx_reader_stream_desc(r, stream)->size;
    rc = hx_for_each_extent(r, stream, 0, hx_reader_stream_desc(r, stream)->size, stream_extent,
                            &sink);
    if (!rc) rc = hx_outfile_commit(&out);
    hx_outfile_discard(&out);
    return rc;
}

int hexz_extract_to_fd(hexz_reader *r, int fd, const hexz_extract_options *opts)
{
    if (!r || fd < 0) return hx_error(HEXZ_EINVAL, "hexz_extract_to_fd: bad argument");
    hexz_extract_options taken;
    int rc = hx_extract_options_take(&taken, opts, "hexz_extract_to_fd");
    if (rc) return rc;
    const hexz_extract_options *o = &taken;
    if (hexz_reader_has_file_tree(r))
        return hx_error(HEXZ_EINVAL, "%s: cannot write a tree to a descriptor", hx_reader_path(r));
    unsigned stream;
    rc = hexz_reader_find_stream(r, "main", &stream);
    if (rc) return rc;
    stream_sink sink = {.fd = fd, .name = "standard output", .o = o};
    sink.progress.bytes_total = hx_reader_stream_desc(r, stream)->size;
    return hx_for_each_extent(r, stream, 0, hx_reader_stream_desc(r, stream)->size, stream_extent,
                              &sink);
}
