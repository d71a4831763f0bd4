/*
 * pack_tree.c - hexz_pack_path(): a regular file or block device becomes the "main" stream; a
 * directory becomes a file tree, walked depth first with each directory's entries in byte
 * order (the manifest order of docs/FORMAT.md §10), through *at() calls relative to the parent
 * directory so that nothing is followed out of the tree.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "pack/writer_impl.h"

#define READ_CHUNK (1u << 20)

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

/* Reads fd to its end from `pos` on (a pipe, a device, or the data parts of a file). */
static int copy_stream(pack_ctx *c, int fd, const char *name, uint64_t limit)
{
    uint64_t done = 0;
    while (done < limit) {
        size_t want = limit - done < READ_CHUNK ? (size_t)(limit - done) : READ_CHUNK;
        ssize_t n = read(fd, c->buf, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return hx_error_errno(HEXZ_EIO, errno, "%s: read failed", name);
        if (n == 0) return 0;
        int rc = hexz_writer_write(c->w, c->buf, (size_t)n);
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
            if (lseek(fd, (off_t)pos, SEEK_SET) < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", name);
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
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) return copy_sparse(c, fd, name, (uint64_t)st.st_size);
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

static int pack_regular(pack_ctx *c, int dirfd, const char *name, const char *rel, const struct stat *st)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return unreadable(c, rel, errno);
    int rc = hexz_writer_begin_file(c->w, rel, st->st_mode & 07777, st->st_mtim.tv_sec,
                                    (uint32_t)st->st_mtim.tv_nsec);
    if (!rc) rc = copy_fd(c, fd, rel);
    if (!rc) rc = hexz_writer_end_file(c->w);
    if (!rc) check_unchanged(c, fd, rel, st);
    close(fd);
    return rc;
}

static int pack_symlink(pack_ctx *c, int dirfd, const char *name, const char *rel, const struct stat *st)
{
    char target[HX_PATH_MAX + 2];
    ssize_t n = readlinkat(dirfd, name, target, sizeof target);
    if (n < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", rel);
    if ((size_t)n > HX_PATH_MAX) return hx_error(HEXZ_EINVAL, "%s: symbolic link target too long", rel);
    target[n] = '\0';
    return hexz_writer_add_symlink(c->w, rel, target, st->st_mtim.tv_sec, (uint32_t)st->st_mtim.tv_nsec);
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
            if (!p) { rc = hx_error(HEXZ_ENOMEM, "%s: out of memory", rel); break; }
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
        return hx_error_errno(HEXZ_EIO, errno, "%s", rel);
    if (st.st_dev == c->skip_dev && st.st_ino == c->skip_ino) return 0;
    if (S_ISREG(st.st_mode)) return pack_regular(c, dirfd, name, rel, &st);
    if (S_ISLNK(st.st_mode)) return pack_symlink(c, dirfd, name, rel, &st);
    if (!S_ISDIR(st.st_mode)) {
        warn(c, "%s: skipped: %s", rel, S_ISFIFO(st.st_mode) ? "a fifo" : S_ISSOCK(st.st_mode) ? "a socket" : "a device file");
        return 0;
    }
    int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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
        if (!rc && strlen(child) > HX_PATH_MAX) rc = hx_error(HEXZ_EINVAL, "%s: path too long", child);
        if (!rc) rc = pack_entry(c, fd, names[i], child);
        free(child);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int pack_input(pack_ctx *c, const char *input, const struct stat *st)
{
    if (strcmp(input, "-") == 0) {
        int rc = hexz_writer_begin_stream(c->w, "main");
        return rc ? rc : copy_stream(c, STDIN_FILENO, "standard input", UINT64_MAX);
    }
    int fd = open(input, O_RDONLY | O_CLOEXEC | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0));
    if (fd < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", input);
    int rc;
    if (S_ISDIR(st->st_mode)) {
        c->w->tree = 1;
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
        return hx_error(HEXZ_EINVAL, "%s: an extra stream needs a name other than main", src->path ? src->path : "(null)");
    int fd = open(src->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return hx_error_errno(errno == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, errno, "%s", src->path);
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
    static const hexz_pack_options defaults = HEXZ_PACK_OPTIONS_INIT;
    if (!input || !output) return hx_error(HEXZ_EINVAL, "hexz_pack: NULL argument");
    if (pack_opts && pack_opts->version != HEXZ_PACK_OPTIONS_VERSION)
        return hx_error(HEXZ_EINVAL, "%s: pack options version %u is not %u", output, pack_opts->version,
                        HEXZ_PACK_OPTIONS_VERSION);
    struct stat st;
    int rc = check_input(input, &st);
    if (rc) return rc;
    pack_ctx c = {.po = pack_opts ? pack_opts : &defaults};
    rc = hexz_writer_create(&c.w, output, opts);
    if (rc) return rc;
    struct stat tmp;
    if (fstat(c.w->out.fd, &tmp) == 0) {
        c.skip_dev = tmp.st_dev;
        c.skip_ino = tmp.st_ino;
    }
    c.w->progress.bytes_total = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    c.buf = malloc(READ_CHUNK);
    rc = c.buf ? pack_input(&c, input, &st) : hx_error(HEXZ_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < c.po->extra_stream_count; i++) rc = pack_extra(&c, &c.po->extra_streams[i]);
    if (!rc) rc = hexz_writer_finish(c.w);
    free(c.buf);
    hexz_writer_free(c.w);
    return rc;
}

int hexz_pack_path(const char *input, const char *output, const hexz_write_options *opts)
{
    return hexz_pack(input, output, opts, NULL);
}
