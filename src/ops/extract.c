/*
 * extract.c - hexz_extract_opts(): a file tree into a directory, or the "main" stream into a
 * file.
 *
 * (Single streams: extract_stream.c.) Trees go in three passes. First every entry is read in
 * manifest order and checked against the tree rules verify uses (tree_rules.h) and, without force,
 * against the destination: any path to create that exists already (as anything but a directory
 * where the archive has one) stops extraction before anything is written. Then the entries are
 * written: directories made (mode 0700 while being filled), regular files written under no name and
 * linked or renamed into place when complete (extract_path.c), so no existing file, hard link or
 * FIFO is ever opened. Last come symbolic links (so none exists while files are written) and then
 * directory modes and times, deepest first, each directory reopened by walking from the destination
 * with O_NOFOLLOW, so that a directory swapped for a link meanwhile is not followed. Every path is
 * walked from a descriptor of the destination one component at a time, never as a string.
 *
 * Part of ops/ (level 4, above pack/ and read/). Uses the public reader calls, read/reader.h
 * (hx_for_each_extent, accessors), read/tree_rules.h, common/ (umask) and the helpers of
 * extract_impl.h; never the reader's fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/umask.h"
#include "common/versioned.h"
#include "ops/extract_impl.h"
#include "read/reader.h"
#include "read/tree_rules.h"

#define REPORT_BYTES (4u << 20)

typedef struct {
    hexz_reader *r;
    const char *dest;
    hexz_extract_options o;
    int root;          /* the destination directory, or -1 while it does not exist */
    int parent;        /* the open parent of the current entry; -1: none (or, checking, missing) */
    int parent_valid;  /* parent / parent_path describe the current parent */
    char *parent_path; /* its path relative to the root, "" for the root */
    mode_t clear;      /* mode bits not restored */
    unsigned main_stream;
    int have_main;
    uint64_t *deferred; /* indices of symlinks and directories, for the final passes */
    size_t deferred_count, deferred_cap;
    hexz_progress progress;
    uint64_t next_report;
} extract_ctx;

void hexz_extract_options_init(hexz_extract_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->version = HEXZ_EXTRACT_OPTIONS_VERSION;
}

static int canceled(extract_ctx *x)
{
    x->progress.version = HEXZ_PROGRESS_VERSION;
    if (!x->o.progress || !x->o.progress(&x->progress, x->o.user)) return 0;
    return hx_error(HEXZ_ECANCELED, "%s: extract canceled", x->dest);
}

static void forget_parent(extract_ctx *x)
{
    if (x->parent >= 0) close(x->parent);
    x->parent = -1;
    x->parent_valid = 0;
}

static int exists_error(extract_ctx *x, const char *path, size_t len)
{
    return hx_error(HEXZ_EEXIST, "%s/%.*s: already exists (use --force to overwrite)", x->dest,
                    (int)len, path);
}

/* Makes x->parent the directory holding `path` and returns the final component in *name.
 * Checking (create == 0), a parent that does not exist leaves x->parent at -1 and succeeds:
 * nothing below it can be in the way. */
static int enter_parent(extract_ctx *x, const char *path, int create, const char **name)
{
    const char *slash = strrchr(path, '/');
    size_t plen = slash ? (size_t)(slash - path) : 0;
    *name = slash ? slash + 1 : path;
    if (x->parent_valid && strlen(x->parent_path) == plen &&
        strncmp(x->parent_path, path, plen) == 0)
        return 0;
    forget_parent(x);
    size_t bad = 0;
    int fd = hx_xp_open_dir(x->root, path, plen, create, x->o.force, &bad);
    if (fd < 0 && !create && errno == ENOENT) fd = -1;
    else if (fd < 0 && !create && (errno == ENOTDIR || errno == ELOOP))
        return exists_error(x, path, bad);
    else if (fd < 0) return hx_error_errno(HEXZ_EIO, errno, "%s/%.*s", x->dest, (int)bad, path);
    x->parent = fd;
    x->parent_valid = 1;
    memcpy(x->parent_path, path, plen);
    x->parent_path[plen] = '\0';
    return 0;
}

/* Pass 1: the tree rules, and without force whether anything is in the way. */
static int check_entry(extract_ctx *x, hx_tree_check *t, const hexz_file_info *f)
{
    int rc = hx_tree_check_next(t, f->path, strlen(f->path), f->type, hx_reader_path(x->r));
    if (rc || x->root < 0 || x->o.force) return rc;
    const char *name;
    rc = enter_parent(x, f->path, 0, &name);
    if (rc || x->parent < 0) return rc;
    struct stat st;
    if (fstatat(x->parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
    if (f->type == HEXZ_FILE_DIR && S_ISDIR(st.st_mode)) return 0; /* merged */
    return exists_error(x, f->path, strlen(f->path));
}

static int check_all(extract_ctx *x, hexz_file_info *f)
{
    hx_tree_check *t = malloc(sizeof *t);
    if (!t) return hx_error(HEXZ_ENOMEM, "out of memory");
    hx_tree_check_init(t);
    int rc = 0;
    for (uint64_t i = 0; i < hexz_reader_file_count(x->r) && !rc; i++) {
        rc = hexz_reader_file_at(x->r, i, f);
        if (!rc) rc = check_entry(x, t, f);
        /* A long check stays interruptible. */
        if (!rc && (i & 1023) == 1023) rc = canceled(x);
    }
    free(t);
    forget_parent(x);
    return rc;
}

typedef struct {
    extract_ctx *x;
    int fd;
    uint64_t pos;
    const char *path;
    int failed; /* the sink failed (the message names the destination already) */
} file_sink;

static int write_extent(const uint8_t *data, uint64_t len, void *user)
{
    file_sink *s = user;
    s->x->progress.bytes_in += len;
    while (data && len > 0) {
        ssize_t n = pwrite(s->fd, data, len, (off_t)s->pos);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            s->failed = 1;
            return hx_error_errno(HEXZ_EIO, errno, "%s/%s: write failed", s->x->dest, s->path);
        }
        data += n;
        len -= (uint64_t)n;
        s->pos += (uint64_t)n;
        s->x->progress.bytes_out += (uint64_t)n;
    }
    s->pos += len; /* a hole: skipped, so the file stays sparse */
    if (s->x->progress.bytes_in < s->x->next_report) return 0;
    s->x->next_report = s->x->progress.bytes_in + REPORT_BYTES;
    int rc = canceled(s->x);
    s->failed = rc != 0;
    return rc;
}

/* Access and modification time both become the recorded mtime. */
static void times_of(const hexz_file_info *f, struct timespec ts[2])
{
    ts[0].tv_sec = ts[1].tv_sec = f->mtime_sec;
    ts[0].tv_nsec = ts[1].tv_nsec = f->mtime_nsec;
}

static int extract_file(extract_ctx *x, const char *name, const hexz_file_info *f)
{
    hx_xp_file out;
    if (hx_xp_file_open(&out, x->parent) != 0)
        return hx_error_errno(HEXZ_EIO, errno, "%s/%s: cannot create", x->dest, f->path);
    file_sink sink = {x, out.fd, 0, f->path, 0};
    int rc = 0;
    if (f->size > 0 && !x->have_main) /* open refuses that; never index a missing stream */
        rc = hx_error(HEXZ_ECORRUPT, "%s: file %s has content but there is no stream main",
                      hx_reader_path(x->r), f->path);
    else if (f->size > 0)
        rc = hx_for_each_extent(x->r, x->main_stream, f->offset, f->size, write_extent, &sink);
    /* A block that fails to read is named by the reader; add the file it belongs to. */
    if (rc && !sink.failed) rc = hx_error(rc, "%s (extracting %s)", hexz_last_error(), f->path);
    struct timespec ts[2];
    times_of(f, ts);
    if (!rc && ftruncate(out.fd, (off_t)f->size) != 0)
        rc = hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
    /* The mode after the bytes: writing clears setuid and setgid. */
    if (!rc && (fchmod(out.fd, f->mode & ~x->clear) != 0 || futimens(out.fd, ts) != 0))
        rc = hx_error_errno(HEXZ_EIO, errno, "%s/%s: cannot set mode or time", x->dest, f->path);
    if (!rc && hx_xp_file_commit(&out, name, x->o.force) != 0)
        rc = errno == EEXIST ? exists_error(x, f->path, strlen(f->path))
                             : hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
    hx_xp_file_discard(&out);
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

/* A directory, 0700 until its mode is set last; an existing directory is merged, and with force
 * a non-directory in its place is removed. */
static int make_dir(extract_ctx *x, const char *name, const hexz_file_info *f)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (mkdirat(x->parent, name, 0700) == 0) return 0;
        struct stat st;
        if (errno != EEXIST || fstatat(x->parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) break;
        if (S_ISDIR(st.st_mode)) return 0;
        if (!x->o.force) return exists_error(x, f->path, strlen(f->path));
        if (unlinkat(x->parent, name, 0) != 0) break;
    }
    return hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
}

static int extract_entry(extract_ctx *x, uint64_t index, hexz_file_info *f)
{
    int rc = hexz_reader_file_at(x->r, index, f);
    const char *name;
    if (!rc) rc = enter_parent(x, f->path, 1, &name);
    if (rc) return rc;
    if (f->type == HEXZ_FILE_DIR) {
        rc = make_dir(x, name, f);
        return rc ? rc : defer(x, index);
    }
    if (f->type == HEXZ_FILE_SYMLINK) return defer(x, index);
    return extract_file(x, name, f);
}

static int make_symlink(extract_ctx *x, const hexz_file_info *f)
{
    const char *name;
    int rc = enter_parent(x, f->path, 1, &name);
    if (rc) return rc;
    struct timespec ts[2];
    times_of(f, ts);
    if (hx_xp_symlink(x->parent, name, f->target, ts, x->o.force) == 0) return 0;
    if (errno == EEXIST) return exists_error(x, f->path, strlen(f->path));
    return hx_error_errno(HEXZ_EIO, errno, "%s/%s", x->dest, f->path);
}

/* The directory itself is reopened from the root without following links, and its mode and
 * times are set through that descriptor: a link put in its place is never followed. */
static int finish_dir(extract_ctx *x, const hexz_file_info *f)
{
    size_t bad = 0;
    int fd = hx_xp_open_dir(x->root, f->path, strlen(f->path), 0, 0, &bad);
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
        return hx_error(HEXZ_EIO,
                        "%s/%s: no longer a directory (replaced while extracting); mode and "
                        "time not set",
                        x->dest, f->path);
    if (fd < 0)
        return hx_error_errno(HEXZ_EIO, errno, "%s/%s: cannot reopen to set its mode and time",
                              x->dest, f->path);
    struct timespec ts[2];
    times_of(f, ts);
    int rc = 0;
    if (fchmod(fd, f->mode & ~x->clear) != 0 || futimens(fd, ts) != 0)
        rc = hx_error_errno(HEXZ_EIO, errno, "%s/%s: cannot set mode or time", x->dest, f->path);
    close(fd);
    return rc;
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
            rc = pass == 0 ? make_symlink(x, f) : finish_dir(x, f);
            if (rc) return rc;
        }
    }
    return 0;
}

static int open_root(extract_ctx *x)
{
    x->root = open(x->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
    if (x->root >= 0 || errno == ENOENT) return 0;
    if (errno == ENOTDIR)
        return hx_error(HEXZ_EEXIST, "%s: already exists and is not a directory", x->dest);
    return hx_error_errno(HEXZ_EIO, errno, "%s", x->dest);
}

static int extract_tree(extract_ctx *x)
{
    hexz_file_info *f = malloc(sizeof *f);
    x->parent_path = calloc(1, HX_PATH_MAX + 1);
    int rc = x->parent_path && f ? 0 : hx_error(HEXZ_ENOMEM, "out of memory");
    x->have_main = hexz_reader_find_stream(x->r, "main", &x->main_stream) == 0;
    if (x->have_main) x->progress.bytes_total = hx_reader_stream_desc(x->r, x->main_stream)->size;
    hx_error_clear();
    if (!rc) rc = open_root(x);
    if (!rc) rc = check_all(x, f);
    if (!rc && x->root < 0) {
        if (mkdir(x->dest, 0755) != 0 && errno != EEXIST)
            rc = hx_error_errno(HEXZ_EIO, errno, "%s", x->dest);
        if (!rc) rc = open_root(x);
        if (!rc && x->root < 0) rc = hx_error_errno(HEXZ_EIO, errno, "%s", x->dest);
    }
    for (uint64_t i = 0; i < hexz_reader_file_count(x->r) && !rc; i++) {
        rc = extract_entry(x, i, f);
        if (!rc) rc = canceled(x);
    }
    if (!rc) rc = finish_deferred(x, f);
    forget_parent(x);
    if (x->root >= 0) close(x->root);
    free(x->parent_path);
    free(x->deferred);
    free(f);
    return rc;
}

/* Where each version of hexz_extract_options ends (common/versioned.h). */
static const size_t extract_options_ends[] = {sizeof(hexz_extract_options)};

int hx_extract_options_take(hexz_extract_options *dst, const hexz_extract_options *src,
                            const char *name)
{
    hexz_extract_options_init(dst);
    return hx_options_take(dst, src, extract_options_ends, HEXZ_EXTRACT_OPTIONS_VERSION, name,
                           "extract options");
}

int hexz_extract_opts(hexz_reader *r, const char *dest, const hexz_extract_options *opts)
{
    if (!r || !dest) return hx_error(HEXZ_EINVAL, "hexz_extract: NULL argument");
    hexz_extract_options taken;
    int rc = hx_extract_options_take(&taken, opts, "hexz_extract");
    if (rc) return rc;
    const hexz_extract_options *o = &taken;
    if (!hexz_reader_has_file_tree(r)) return hx_extract_stream(r, dest, o);
    /* Messages name DEST/path: without the trailing slashes of "restored/". */
    char *shown = strdup(dest);
    if (!shown) return hx_error(HEXZ_ENOMEM, "out of memory");
    for (size_t n = strlen(shown); n > 1 && shown[n - 1] == '/'; n--) shown[n - 1] = '\0';
    extract_ctx x = {.r = r, .dest = shown, .o = *o, .root = -1, .parent = -1};
    /* Like bsdtar: without same_permissions no setuid, setgid or sticky bit, and the umask
     * unless root. */
    if (!o->same_permissions) x.clear = 07000 | (geteuid() == 0 ? 0 : hx_process_umask());
    rc = extract_tree(&x);
    free(shown);
    return rc;
}

int hexz_extract(hexz_reader *r, const char *dest, hexz_progress_fn progress, void *user)
{
    hexz_extract_options o;
    hexz_extract_options_init(&o);
    o.progress = progress;
    o.user = user;
    return hexz_extract_opts(r, dest, &o);
}
