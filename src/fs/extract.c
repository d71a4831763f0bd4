/*
 * extract.c - hexz_extract(): a file tree into a directory, or the "main" stream into a file.
 *
 * Trees: entries come in manifest order, so every directory is made before its contents.
 * Each entry's parent is opened one component at a time with O_NOFOLLOW relative to the
 * destination, so no path can leave it (manifest paths have no "..", and a symbolic link in the
 * way is refused, not followed). Symbolic links are created last, after every file is written,
 * and directory modes and times are set last in reverse order, so that a read-only directory
 * can still be filled and its time is not disturbed by its children. Holes stay holes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "pack/outfile.h"
#include "read/reader_impl.h"

typedef struct {
    hexz_reader *r;
    const char *dest;
    int root;          /* the destination directory */
    int parent;        /* the open parent of the current entry (or root) */
    char *parent_path; /* its relative path, "" for the root */
    uint64_t *deferred; /* indices of symlinks and directories, for the final passes */
    size_t deferred_count, deferred_cap;
    hexz_progress progress;
    hexz_progress_fn fn;
    void *user;
} extract_ctx;

/* Opens the directory `rel` (relative to the root) one component at a time without following
 * links. Returns an fd or -1 with the error set. */
static int open_dir_nofollow(extract_ctx *x, const char *rel, size_t len)
{
    int fd = dup(x->root);
    size_t pos = 0;
    while (fd >= 0 && pos < len) {
        size_t end = pos;
        while (end < len && rel[end] != '/') end++;
        char name[HX_PATH_MAX + 1];
        memcpy(name, rel + pos, end - pos);
        name[end - pos] = '\0';
        int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        /* A parent with no entry of its own (the writer API allows that) is made here; its
         * mode and time are left at the defaults. */
        if (next < 0 && errno == ENOENT && mkdirat(fd, name, 0755) == 0)
            next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) hx_error_errno(HEXZ_EIO, errno, "%s/%.*s", x->dest, (int)end, rel);
        close(fd);
        fd = next;
        pos = end + 1;
    }
    return fd;
}

/* Makes x->parent the directory holding `path`; returns the final component. */
static const char *enter_parent(extract_ctx *x, const char *path, int *rc)
{
    const char *slash = strrchr(path, '/');
    size_t plen = slash ? (size_t)(slash - path) : 0;
    *rc = 0;
    if (strlen(x->parent_path) == plen && strncmp(x->parent_path, path, plen) == 0)
        return slash ? slash + 1 : path;
    int fd = open_dir_nofollow(x, path, plen);
    if (fd < 0) {
        *rc = HEXZ_EIO;
        return NULL;
    }
    if (x->parent != x->root) close(x->parent);
    x->parent = fd;
    memcpy(x->parent_path, path, plen);
    x->parent_path[plen] = '\0';
    return slash ? slash + 1 : path;
}

typedef struct {
    extract_ctx *x;
    int fd;
    uint64_t pos;
    const char *path;
} file_sink;

static int write_extent(const uint8_t *data, uint64_t len, void *user)
{
    file_sink *s = user;
    s->x->progress.bytes_in += len;
    while (data && len > 0) {
        ssize_t n = pwrite(s->fd, data, len, (off_t)s->pos);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return hx_error_errno(HEXZ_EIO, errno, "%s/%s: write failed", s->x->dest, s->path);
        data += n;
        len -= (uint64_t)n;
        s->pos += (uint64_t)n;
        s->x->progress.bytes_out += (uint64_t)n;
    }
    s->pos += len; /* a hole: skipped, so the file stays sparse */
    return 0;
}

/* Access and modification time both become the recorded mtime. */
static void times_of(const hexz_file_info *f, struct timespec ts[2])
{
    ts[0].tv_sec = ts[1].tv_sec = f->mtime_sec;
    ts[0].tv_nsec = ts[1].tv_nsec = f->mtime_nsec;
}

static int set_times_at(int dirfd, const char *name, const hexz_file_info *f)
{
    struct timespec ts[2];
    times_of(f, ts);
    return utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int set_times_fd(int fd, const hexz_file_info *f)
{
    struct timespec ts[2];
    times_of(f, ts);
    return futimens(fd, ts);
}

static int extract_file(extract_ctx *x, const char *name, const hexz_file_info *f)
{
    int fd = openat(x->parent, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
    unsigned main_stream;
    int rc = hexz_reader_find_stream(x->r, "main", &main_stream);
    file_sink sink = {x, fd, 0, f->path};
    if (!rc) rc = hx_for_each_extent(x->r, main_stream, f->offset, f->size, write_extent, &sink);
    if (!rc && ftruncate(fd, (off_t)f->size) != 0)
        rc = hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
    if (!rc && (fchmod(fd, f->mode) != 0 || set_times_fd(fd, f) != 0))
        rc = hx_error_errno(HEXZ_EIO, errno, "%s/%s: cannot set mode or time", x->dest, f->path);
    if (close(fd) != 0 && !rc) rc = hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
    return rc;
}

static int defer(extract_ctx *x, uint64_t index)
{
    if (x->deferred_count == x->deferred_cap) {
        size_t cap = x->deferred_cap ? x->deferred_cap * 2 : 64;
        uint64_t *p = realloc(x->deferred, cap * sizeof *p);
        if (!p) return hx_error(HEXZ_ENOMEM, "out of memory");
        x->deferred = p;
        x->deferred_cap = cap;
    }
    x->deferred[x->deferred_count++] = index;
    return 0;
}

static int make_dir(extract_ctx *x, const char *name, const hexz_file_info *f)
{
    if (mkdirat(x->parent, name, 0700) == 0) return 0;
    struct stat st;
    if (errno == EEXIST && fstatat(x->parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        return 0;
    return hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
}

static int extract_entry(extract_ctx *x, uint64_t index, hexz_file_info *f)
{
    int rc = hexz_reader_file_at(x->r, index, f);
    if (rc) return rc;
    const char *name = enter_parent(x, f->path, &rc);
    if (rc) return rc;
    if (f->type == HEXZ_FILE_DIR) {
        rc = make_dir(x, name, f);
        return rc ? rc : defer(x, index);
    }
    if (f->type == HEXZ_FILE_SYMLINK) return defer(x, index);
    return extract_file(x, name, f);
}

/* Symlinks in manifest order, then directory modes and times deepest first. */
static int finish_deferred(extract_ctx *x, hexz_file_info *f)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < x->deferred_count; k++) {
            size_t i = pass == 0 ? k : x->deferred_count - 1 - k;
            int rc = hexz_reader_file_at(x->r, x->deferred[i], f);
            if (rc) return rc;
            if ((f->type == HEXZ_FILE_SYMLINK) != (pass == 0)) continue;
            const char *name = enter_parent(x, f->path, &rc);
            if (rc) return rc;
            if (pass == 0 && symlinkat(f->target, x->parent, name) != 0)
                return hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
            if (pass == 1 && fchmodat(x->parent, name, f->mode, 0) != 0)
                return hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
            if (set_times_at(x->parent, name, f) != 0)
                return hx_error_errno(HEXZ_EIO, errno, "%s/%s: cannot set time", x->dest, f->path);
        }
    }
    return 0;
}

static int extract_tree(hexz_reader *r, const char *dest, hexz_progress_fn fn, void *user)
{
    if (mkdir(dest, 0755) != 0 && errno != EEXIST) return hx_error_errno(HEXZ_EIO, errno, "%s", dest);
    extract_ctx x = {.r = r, .dest = dest, .fn = fn, .user = user};
    x.root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (x.root < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", dest);
    x.parent = x.root;
    x.parent_path = calloc(1, HX_PATH_MAX + 1);
    hexz_file_info *f = malloc(sizeof *f);
    int rc = x.parent_path && f ? 0 : hx_error(HEXZ_ENOMEM, "out of memory");
    unsigned main_stream;
    if (hexz_reader_find_stream(r, "main", &main_stream) == 0)
        x.progress.bytes_total = r->streams[main_stream].desc.size;
    hx_error_clear();
    for (uint64_t i = 0; i < r->file_count && !rc; i++) {
        rc = extract_entry(&x, i, f);
        if (!rc && fn && fn(&x.progress, user)) rc = hx_error(HEXZ_ECANCELED, "%s: extract canceled", dest);
    }
    if (!rc) rc = finish_deferred(&x, f);
    if (x.parent != x.root) close(x.parent);
    close(x.root);
    free(x.parent_path);
    free(x.deferred);
    free(f);
    return rc;
}

typedef struct {
    hx_outfile *out;
    hexz_progress progress;
    hexz_progress_fn fn;
    void *user;
    uint64_t next_report;
} stream_sink;

static int stream_extent(const uint8_t *data, uint64_t len, void *user)
{
    stream_sink *s = user;
    int rc = data ? hx_outfile_write(s->out, data, len) : hx_outfile_skip(s->out, len);
    s->progress.bytes_in += len;
    s->progress.bytes_out += data ? len : 0;
    if (rc || !s->fn || s->progress.bytes_in < s->next_report) return rc;
    s->next_report = s->progress.bytes_in + (4u << 20);
    return s->fn(&s->progress, s->user) ? hx_error(HEXZ_ECANCELED, "%s: extract canceled", s->out->dest) : 0;
}

/* The "main" stream into one file, written beside it and renamed into place: a failed or
 * canceled extract leaves no partial file. */
static int extract_stream(hexz_reader *r, const char *dest, hexz_progress_fn fn, void *user)
{
    unsigned stream;
    int rc = hexz_reader_find_stream(r, "main", &stream);
    if (rc) return rc;
    hx_outfile out;
    rc = hx_outfile_open(&out, dest, 1);
    if (rc) return rc;
    stream_sink sink = {.out = &out, .fn = fn, .user = user};
    sink.progress.bytes_total = r->streams[stream].desc.size;
    rc = hx_for_each_extent(r, stream, 0, r->streams[stream].desc.size, stream_extent, &sink);
    if (!rc) rc = hx_outfile_commit(&out);
    hx_outfile_discard(&out);
    return rc;
}

int hexz_extract(hexz_reader *r, const char *dest, hexz_progress_fn progress, void *user)
{
    if (!r || !dest) return hx_error(HEXZ_EINVAL, "hexz_extract: NULL argument");
    if (r->has_tree) return extract_tree(r, dest, progress, user);
    return extract_stream(r, dest, progress, user);
}
