/*
 * pack_tree.c - hexz_pack_path(): a regular file or block device becomes the "main" stream; a
 * directory becomes a file tree, walked depth first with each directory's entries in byte
 * order (the manifest order of docs/FORMAT.md §10), through *at() calls relative to the parent
 * directory so that nothing is followed out of the tree.
 *
 * Nothing here may block where a cancel cannot reach it: inputs are opened with O_NONBLOCK (a
 * fifo without a writer would hold open(2) for ever) and every read waits in poll() with a
 * short timeout, asking the progress callback between waits whether to stop. An entry that
 * vanishes (or turns into another kind of file) between listing and packing is skipped with a
 * warning, as a file that changes while read is packed with one.
 *
 * Part of ops/ (level 4, above pack/ and read/). Uses the public writer calls and pack/writer.h
 * (hx_writer_poll_cancel and the accessors), never the writer's fields; the OS directly for the
 * input tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/versioned.h"
#include "pack/writer.h"

#define READ_CHUNK (1u << 20)
#define POLL_MS 100 /* how often a wait for input asks whether to stop */

typedef struct {
    hexz_writer *w;
    const hexz_pack_options *po;
    uint8_t *buf;
    dev_t skip_dev; /* the archive being written, if it lies inside the tree */
    ino_t skip_ino;
} pack_ctx;

static void warn(pack_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(pack_ctx *c, const char *fmt, ...)
{
    if (!c->po->warn) return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->po->warn(msg, c->po->warn_user);
}

/* Opens an input without blocking in open(2), then makes it blocking again (reads wait in
 * wait_readable() instead; some file systems answer EAGAIN to O_NONBLOCK reads). -1 and errno
 * on failure. */
static int open_input(int dirfd, const char *path, int flags)
{
    int fd = openat(dirfd, path, flags | O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

/* Waits until fd has bytes or its end to give, asking the progress callback every POLL_MS
 * whether to stop: a quiet pipe or terminal, a device like /proc/kmsg or a fifo without a
 * writer then never holds packing past a cancel. Regular files are always ready. */
static int wait_readable(pack_ctx *c, int fd, const char *name)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, POLL_MS);
        if (n > 0) return 0; /* readable, at its end, or an error that read() will tell */
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return hx_error_errno(HEXZ_EIO, errno, "%s: poll failed", name);
        int rc = hx_writer_poll_cancel(c->w);
        if (rc) return rc;
    }
}

/* Reads fd to its end from `pos` on (a pipe, a device, or the data parts of a file). */
static int copy_stream(pack_ctx *c, int fd, const char *name, uint64_t limit)
{
    uint64_t done = 0;
    while (done < limit) {
        size_t want = limit - done < READ_CHUNK ? (size_t)(limit - done) : READ_CHUNK;
        int rc = wait_readable(c, fd, name);
        if (rc) return rc;
        ssize_t n = read(fd, c->buf, want);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue; /* EAGAIN: a shared
                        non-blocking stdin */
        if (n < 0) return hx_error_errno(HEXZ_EIO, errno, "%s: read failed", name);
        if (n == 0) return 0;
        rc = hexz_writer_write(c->w, c->buf, (size_t)n);
        if (rc) return rc;
        done += (uint64_t)n;
    }
    return 0;
}

/* A regular file: its data extents are read, its holes (SEEK_HOLE) become zeros that are never
 * read. Falls back to plain reading where the file system cannot tell. */
static int copy_sparse(pack_ctx *c, int fd, const char *name, uint64_t size)
{
    uint64_t pos = 0;
    while (pos < size) {
        off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO) data = (off_t)size; /* only a hole is left */
        if (data < 0) {
            if (lseek(fd, (off_t)pos, SEEK_SET) < 0)
                return hx_error_errno(HEXZ_EIO, errno, "%s", name);
            return copy_stream(c, fd, name, UINT64_MAX);
        }
        if ((uint64_t)data > size) data = (off_t)size;
        int rc = hexz_writer_write_zeros(c->w, (uint64_t)data - pos);
        if (rc || (uint64_t)data == size) return rc;
        off_t hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0 || (uint64_t)hole > size) hole = (off_t)size;
        if (lseek(fd, data, SEEK_SET) < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", name);
        rc = copy_stream(c, fd, name, (uint64_t)(hole - data));
        if (rc) return rc;
        pos = (uint64_t)hole;
    }
    /* Bytes appended while we read are taken too: the archive holds what was read. */
    return copy_stream(c, fd, name, UINT64_MAX);
}

static int copy_fd(pack_ctx *c, int fd, const char *name)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        return copy_sparse(c, fd, name, (uint64_t)st.st_size);
    return copy_stream(c, fd, name, UINT64_MAX);
}

/* A file whose size or modification time moved while it was read may be torn. */
static void check_unchanged(pack_ctx *c, int fd, const char *rel, const struct stat *before)
{
    struct stat after;
    if (fstat(fd, &after) != 0) return;
    if (after.st_size != before->st_size || after.st_mtim.tv_sec != before->st_mtim.tv_sec ||
        after.st_mtim.tv_nsec != before->st_mtim.tv_nsec)
        warn(c, "%s: changed while it was being packed (the archive holds what was read)", rel);
}

/* An entry that cannot be opened: an error, or with skip_unreadable a warning. */
static int unreadable(pack_ctx *c, const char *rel, int err)
{
    if (!c->po->skip_unreadable) return hx_error_errno(HEXZ_EIO, err, "%s", rel);
    warn(c, "%s: skipped: %s", rel, strerror(err));
    return 0;
}

/* An entry its directory listed that is gone when its turn comes (ENOENT), or is no longer the
 * kind of file it was (a file become a symlink or fifo, a directory become a file): skipped
 * with a warning whatever skip_unreadable says, as a file that changes is packed with one. */
static int vanished(pack_ctx *c, const char *rel, int err)
{
    if (err == ENOENT) warn(c, "%s: skipped: vanished while packing", rel);
    else warn(c, "%s: skipped: replaced by another kind of file while packing", rel);
    return 0;
}

static int pack_regular(pack_ctx *c, int dirfd, const char *name, const char *rel)
{
    int fd = open_input(dirfd, name, O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT || errno == ELOOP ? vanished(c, rel, errno)
                                                 : unreadable(c, rel, errno);
    /* What was opened is what counts: the entry may have changed since it was listed. */
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return hx_error_errno(HEXZ_EIO, err, "%s", rel);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return vanished(c, rel, EINVAL);
    }
    int rc = hexz_writer_begin_file(c->w, rel, st.st_mode & 07777, st.st_mtim.tv_sec,
                                    (uint32_t)st.st_mtim.tv_nsec);
    if (!rc) rc = copy_fd(c, fd, rel);
    if (!rc) rc = hexz_writer_end_file(c->w);
    if (!rc) check_unchanged(c, fd, rel, &st);
    close(fd);
    return rc;
}

static int pack_symlink(pack_ctx *c, int dirfd, const char *name, const char *rel,
                        const struct stat *st)
{
    char target[HX_PATH_MAX + 2];
    ssize_t n = readlinkat(dirfd, name, target, sizeof target);
    if (n < 0 && (errno == ENOENT || errno == EINVAL)) return vanished(c, rel, errno);
    if (n < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", rel);
    if ((size_t)n > HX_PATH_MAX)
        return hx_error(HEXZ_EINVAL, "%s: symbolic link target too long", rel);
    target[n] = '\0';
    return hexz_writer_add_symlink(c->w, rel, target, st->st_mtim.tv_sec,
                                   (uint32_t)st->st_mtim.tv_nsec);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in an open directory, sorted; *out is a malloc'd array of malloc'd strings. */
static int list_dir(int fd, const char *rel, char ***out, size_t *count)
{
    int dupfd = dup(fd);
    DIR *d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
    if (!d) {
        if (dupfd >= 0) close(dupfd);
        return hx_error_errno(HEXZ_EIO, errno, "%s", rel);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while (!rc && (errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) {
                rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", rel);
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(de->d_name))) rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", rel);
        else n++;
    }
    if (!rc && errno) rc = hx_error_errno(HEXZ_EIO, errno, "%s: cannot list directory", rel);
    closedir(d);
    if (rc) {
        for (size_t i = 0; i < n; i++) free(names[i]);
        free(names);
        return rc;
    }
    if (n) qsort(names, n, sizeof *names, compare_names);
    *out = names;
    *count = n;
    return 0;
}

static int pack_dir(pack_ctx *c, int fd, const char *rel);

static int pack_entry(pack_ctx *c, int dirfd, const char *name, const char *rel)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? vanished(c, rel, errno)
                               : hx_error_errno(HEXZ_EIO, errno, "%s", rel);
    if (st.st_dev == c->skip_dev && st.st_ino == c->skip_ino) return 0;
    if (S_ISREG(st.st_mode)) return pack_regular(c, dirfd, name, rel);
    if (S_ISLNK(st.st_mode)) return pack_symlink(c, dirfd, name, rel, &st);
    if (!S_ISDIR(st.st_mode)) {
        warn(c, "%s: skipped: %s", rel,
             S_ISFIFO(st.st_mode)   ? "a fifo"
             : S_ISSOCK(st.st_mode) ? "a socket"
                                    : "a device file");
        return 0;
    }
    int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
        return vanished(c, rel, errno);
    if (sub < 0) return unreadable(c, rel, errno);
    int rc = hexz_writer_add_dir(c->w, rel, st.st_mode & 07777, st.st_mtim.tv_sec,
                                 (uint32_t)st.st_mtim.tv_nsec);
    if (rc) {
        close(sub);
        return rc;
    }
    rc = pack_dir(c, sub, rel);
    close(sub);
    return rc;
}

static int pack_dir(pack_ctx *c, int fd, const char *rel)
{
    char **names = NULL;
    size_t n = 0;
    int rc = list_dir(fd, rel, &names, &n);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        char *child = NULL;
        if (!rc) {
            size_t len = (rel ? strlen(rel) + 1 : 0) + strlen(names[i]) + 1;
            child = malloc(len);
            if (!child) rc = hx_error(HEXZ_ENOMEM, "out of memory");
            else if (rel) snprintf(child, len, "%s/%s", rel, names[i]);
            else snprintf(child, len, "%s", names[i]);
        }
        if (!rc && strlen(child) > HX_PATH_MAX)
            rc = hx_error(HEXZ_EINVAL, "%s: path too long", child);
        if (!rc) rc = pack_entry(c, fd, names[i], child);
        free(child);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int pack_input(pack_ctx *c, const char *input, const struct stat *listed)
{
    if (strcmp(input, "-") == 0) {
        int rc = hexz_writer_begin_stream(c->w, "main");
        return rc ? rc : copy_stream(c, STDIN_FILENO, "standard input", UINT64_MAX);
    }
    int fd = open_input(AT_FDCWD, input, S_ISDIR(listed->st_mode) ? O_DIRECTORY : 0);
    if (fd < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", input);
    /* The input may have been replaced since check_input(): its type is checked again on what
     * was opened (never blocking: a fifo put there opened at once, and is refused here). */
    struct stat now;
    int rc = fstat(fd, &now) != 0 ? hx_error_errno(HEXZ_EIO, errno, "%s", input) : 0;
    if (!rc && !S_ISDIR(now.st_mode) && !S_ISREG(now.st_mode) && !S_ISBLK(now.st_mode))
        rc = hx_error(HEXZ_EINVAL, "%s: not a file, block device or directory", input);
    if (rc) {
        close(fd);
        return rc;
    }
    const struct stat *st = &now;
    if (S_ISDIR(st->st_mode)) {
        hx_writer_set_tree(c->w);
        rc = pack_dir(c, fd, NULL);
    } else {
        rc = hexz_writer_begin_stream(c->w, "main");
        if (!rc) rc = copy_fd(c, fd, input);
    }
    close(fd);
    return rc;
}

static int pack_extra(pack_ctx *c, const hexz_stream_source *src)
{
    if (!src->name || !src->path || strcmp(src->name, "main") == 0)
        return hx_error(HEXZ_EINVAL, "%s: an extra stream needs a name other than main",
                        src->path ? src->path : "(null)");
    int fd = open_input(AT_FDCWD, src->path, 0);
    if (fd < 0)
        return hx_error_errno(errno == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, errno, "%s", src->path);
    int rc = hexz_writer_begin_stream(c->w, src->name);
    if (!rc) rc = copy_fd(c, fd, src->path);
    close(fd);
    return rc;
}

static int check_input(const char *input, struct stat *st)
{
    if (strcmp(input, "-") == 0) {
        memset(st, 0, sizeof *st);
        return 0;
    }
    if (stat(input, st) != 0)
        return hx_error_errno(errno == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, errno, "%s", input);
    if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode))
        return hx_error(HEXZ_EINVAL, "%s: not a file, block device or directory", input);
    return 0;
}

int hexz_pack(const char *input, const char *output, const hexz_write_options *opts,
              const hexz_pack_options *pack_opts)
{
    static const size_t ends[] = {sizeof(hexz_pack_options)}; /* common/versioned.h */
    if (!input || !output) return hx_error(HEXZ_EINVAL, "hexz_pack: NULL argument");
    hexz_pack_options po = HEXZ_PACK_OPTIONS_INIT;
    int rc = hx_options_take(&po, pack_opts, ends, HEXZ_PACK_OPTIONS_VERSION, output,
                             "pack options");
    if (rc) return rc;
    struct stat st;
    rc = check_input(input, &st);
    if (rc) return rc;
    pack_ctx c = {.po = &po};
    rc = hexz_writer_create(&c.w, output, opts);
    if (rc) return rc;
    struct stat tmp;
    if (fstat(hx_writer_out_fd(c.w), &tmp) == 0) {
        c.skip_dev = tmp.st_dev;
        c.skip_ino = tmp.st_ino;
    }
    hx_writer_set_bytes_total(c.w, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0);
    c.buf = malloc(READ_CHUNK);
    rc = c.buf ? pack_input(&c, input, &st) : hx_error(HEXZ_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < c.po->extra_stream_count; i++)
        rc = pack_extra(&c, &c.po->extra_streams[i]);
    /* A cancel asked for since the last report stops here, before the archive is committed. */
    if (!rc) rc = hx_writer_poll_cancel(c.w);
    if (!rc) rc = hexz_writer_finish(c.w);
    free(c.buf);
    hexz_writer_free(c.w);
    return rc;
}

int hexz_pack_path(const char *input, const char *output, const hexz_write_options *opts)
{
    return hexz_pack(input, output, opts, NULL);
}
