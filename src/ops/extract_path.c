/*
 * extract_path.c - descriptor-walking and replace-by-rename helpers for extraction (see
 * extract_impl.h). Nothing here resolves a path string through the destination: every lookup
 * is one component relative to a directory descriptor, with O_NOFOLLOW or AT_SYMLINK_NOFOLLOW,
 * and nothing that already exists is opened for writing.
 *
 * Part of ops/ (level 4, above pack/ and read/). Uses common/tmpname.h, format/ (path rules) and
 * the OS (*at() calls) only.
 */
#include "common/tmpname.h"
#include "ops/extract_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/format.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)

/* Opens `name` in `fd` as a directory, making or replacing it as asked. */
static int open_component(int fd, const char *name, int create, int force)
{
    int next = openat(fd, name, DIR_FLAGS);
    if (next >= 0 || !create) return next;
    if (errno == ENOENT) {
        /* A parent with no entry of its own (the writer API allows that): its mode and time
         * are left at the defaults. */
        if (mkdirat(fd, name, 0755) != 0 && errno != EEXIST) return -1;
        return openat(fd, name, DIR_FLAGS);
    }
    if ((errno == ELOOP || errno == ENOTDIR) && force) {
        struct stat st;
        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return -1;
        if (S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
        if (unlinkat(fd, name, 0) != 0 || mkdirat(fd, name, 0755) != 0) return -1;
        return openat(fd, name, DIR_FLAGS);
    }
    return -1;
}

int hx_xp_open_dir(int root, const char *rel, size_t len, int create, int force, size_t *failed_len)
{
    int fd = dup(root);
    size_t pos = 0;
    if (fd < 0) *failed_len = 0;
    while (fd >= 0 && pos < len) {
        size_t end = pos;
        while (end < len && rel[end] != '/') end++;
        char name[HX_PATH_MAX + 1];
        memcpy(name, rel + pos, end - pos);
        name[end - pos] = '\0';
        int next = open_component(fd, name, create, force);
        int err = errno;
        close(fd);
        errno = err;
        if (next < 0) *failed_len = end;
        fd = next;
        pos = end + 1;
    }
    return fd;
}

/* A hidden name not yet used in the directory is found by trying: the template gets six random
 * characters. */
/* A fresh hidden temporary name in out (32 bytes). */
static void random_name(char out[32])
{
    snprintf(out, 32, ".hexz-tmp.XXXXXX");
    hx_tmpname_randomize(out);
}

/* rename(tmp, name) in dirfd; an empty directory at `name` is removed first (a non-empty one
 * stays, and the rename fails). */
static int replace(int dirfd, const char *tmp, const char *name)
{
    if (renameat(dirfd, tmp, dirfd, name) == 0) return 0;
    if (errno != EISDIR && errno != ENOTEMPTY && errno != EEXIST) return -1;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0) return -1;
    return renameat(dirfd, tmp, dirfd, name);
}

/* Moves tmp to name only if name is free. */
static int place_new(int dirfd, const char *tmp, const char *name)
{
    if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    /* A file system without RENAME_NOREPLACE: link() never replaces either. */
    if (linkat(dirfd, tmp, dirfd, name, 0) != 0) return -1;
    unlinkat(dirfd, tmp, 0);
    return 0;
}

int hx_xp_file_open(hx_xp_file *f, int dirfd)
{
    memset(f, 0, sizeof *f);
    f->dirfd = dirfd;
    f->fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (f->fd >= 0) {
        f->anonymous = 1;
        return 0;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        random_name(f->tmp);
        f->fd = openat(dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (f->fd >= 0) {
            f->named = 1;
            return 0;
        }
        if (errno != EEXIST) break;
    }
    return -1;
}

/* Gives the unnamed file a hidden temporary name, so that it can then be renamed over the old
 * entry. */
static int link_anonymous_tmp(hx_xp_file *f)
{
    snprintf(f->tmp, sizeof f->tmp, ".hexz-tmp.XXXXXX");
    if (hx_tmpname_link_random(f->fd, f->dirfd, f->tmp) != 0) return -1;
    f->named = 1;
    return 0;
}

int hx_xp_file_commit(hx_xp_file *f, const char *name, int force)
{
    int rc;
    if (f->anonymous && !force) {
        /* link() never replaces: a name taken since the caller looked is EEXIST. */
        rc = hx_tmpname_link(f->fd, f->dirfd, name);
    } else {
        rc = f->anonymous ? link_anonymous_tmp(f) : 0;
        if (rc == 0)
            rc = force ? replace(f->dirfd, f->tmp, name) : place_new(f->dirfd, f->tmp, name);
    }
    if (rc != 0) return -1;
    f->anonymous = f->named = 0;
    rc = close(f->fd);
    f->fd = -1;
    return rc;
}

void hx_xp_file_discard(hx_xp_file *f)
{
    int err = errno;
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->named) unlinkat(f->dirfd, f->tmp, 0);
    f->named = 0;
    errno = err;
}

int hx_xp_symlink(int dirfd, const char *name, const char *target, const struct timespec ts[2],
                  int force)
{
    if (!force) {
        if (symlinkat(target, dirfd, name) != 0) return -1;
        return utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
    }
    char tmp[32];
    for (int attempt = 0;; attempt++) {
        random_name(tmp);
        if (symlinkat(target, dirfd, tmp) == 0) break;
        if (errno != EEXIST || attempt == 99) return -1;
    }
    if (utimensat(dirfd, tmp, ts, AT_SYMLINK_NOFOLLOW) != 0 || replace(dirfd, tmp, name) != 0) {
        int err = errno;
        unlinkat(dirfd, tmp, 0);
        errno = err;
        return -1;
    }
    return 0;
}
