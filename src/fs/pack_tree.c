/*
 * pack_tree.c - hexz_pack_path(): a regular file or block device becomes the "main" stream; a
 * directory becomes a file tree, walked depth first with each directory's entries in byte
 * order (the manifest order of docs/FORMAT.md §10), through *at() calls relative to the parent
 * directory so that nothing is followed out of the tree.
 */
#include <dirent.h>
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
    uint8_t *buf;
    dev_t skip_dev; /* the archive being written, if it lies inside the tree */
    ino_t skip_ino;
} pack_ctx;

static int copy_fd(pack_ctx *c, int fd, const char *name)
{
    for (;;) {
        ssize_t n = read(fd, c->buf, READ_CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return hx_error_errno(HEXZ_EIO, errno, "%s: read failed", name);
        if (n == 0) return 0;
        int rc = hexz_writer_write(c->w, c->buf, (size_t)n);
        if (rc) return rc;
    }
}

static int pack_regular(pack_ctx *c, int dirfd, const char *name, const char *rel, const struct stat *st)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", rel);
    int rc = hexz_writer_begin_file(c->w, rel, st->st_mode & 07777, st->st_mtim.tv_sec,
                                    (uint32_t)st->st_mtim.tv_nsec);
    if (!rc) rc = copy_fd(c, fd, rel);
    if (!rc) rc = hexz_writer_end_file(c->w);
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
    if (!S_ISDIR(st.st_mode)) return 0; /* fifos, sockets, devices: not file content */
    int rc = hexz_writer_add_dir(c->w, rel, st.st_mode & 07777, st.st_mtim.tv_sec,
                                 (uint32_t)st.st_mtim.tv_nsec);
    if (rc) return rc;
    int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", rel);
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

int hexz_pack_path(const char *input, const char *output, const hexz_write_options *opts)
{
    if (!input || !output) return hx_error(HEXZ_EINVAL, "hexz_pack_path: NULL argument");
    struct stat st;
    if (stat(input, &st) != 0)
        return hx_error_errno(errno == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, errno, "%s", input);
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return hx_error(HEXZ_EINVAL, "%s: not a file, block device or directory", input);
    pack_ctx c = {0};
    int rc = hexz_writer_create(&c.w, output, opts);
    if (rc) return rc;
    struct stat tmp;
    if (fstat(c.w->out.fd, &tmp) == 0) {
        c.skip_dev = tmp.st_dev;
        c.skip_ino = tmp.st_ino;
    }
    c.w->progress.bytes_total = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    c.buf = malloc(READ_CHUNK);
    rc = c.buf ? pack_input(&c, input, &st) : hx_error(HEXZ_ENOMEM, "out of memory");
    if (!rc) rc = hexz_writer_finish(c.w);
    free(c.buf);
    hexz_writer_free(c.w);
    return rc;
}
