/*
 * store_file.c - the local-file backend: pread() on one descriptor, safe from many threads. A
 * path is checked with stat(2) before it is opened, so FIFOs, devices and directories are refused
 * without being opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "store/store.h"

typedef struct {
    int fd;
    char *path;
} file_ctx;

static int file_read_at(void *ctx, void *buf, size_t len, uint64_t off)
{
    file_ctx *f = ctx;
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(f->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return hx_error_errno(HEXZ_EIO, errno, "%s: read failed", f->path);
        if (n == 0) return hx_error(HEXZ_ECORRUPT, "%s: unexpected end of file", f->path);
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static void file_close(void *ctx)
{
    file_ctx *f = ctx;
    if (!f) return;
    close(f->fd);
    free(f->path);
    free(f);
}

const char *hx_store_file_kind(unsigned mode)
{
    if (S_ISREG(mode)) return NULL;
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

/* What a path may name: a regular file or a block device (an archive written to a disk). Refused
 * from stat(2) alone, before any open: opening a FIFO waits for a writer, and opening a device
 * can have effects of its own (a tape rewinds, a terminal becomes the controlling one). */
static int check_kind(const char *path, const struct stat *st)
{
    if (S_ISREG(st->st_mode) || S_ISBLK(st->st_mode)) return 0;
    if (S_ISDIR(st->st_mode))
        return hx_error(HEXZ_EINVAL, "%s: is a directory, not an archive", path);
    return hx_error(HEXZ_EINVAL, "%s: is %s, not a regular file", path,
                    hx_store_file_kind(st->st_mode));
}

int hx_store_file_open(hexz_backend *out, const char *path, int *fd_out)
{
    struct stat before, st;
    if (stat(path, &before) != 0)
        return hx_error_errno(errno == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, errno, "%s", path);
    int rc = check_kind(path, &before);
    if (rc) return rc;
    file_ctx *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", path);
    }
    /* O_NONBLOCK and O_NOCTTY: should the path be swapped for a FIFO or a terminal between the
     * stat above and this open, the open still returns at once, and the check below refuses it. */
    f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (f->fd < 0) {
        int e = errno;
        free(f->path);
        free(f);
        return hx_error_errno(e == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, e, "%s", path);
    }
    if (fstat(f->fd, &st) != 0) rc = hx_error_errno(HEXZ_EIO, errno, "%s", path);
    else if (st.st_dev != before.st_dev || st.st_ino != before.st_ino)
        rc = hx_error(HEXZ_EIO, "%s: replaced while being opened", path);
    else rc = check_kind(path, &st);
    if (rc) {
        file_close(f);
        return rc;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(f->fd, 0, SEEK_END);
        size = end > 0 ? (uint64_t)end : 0;
    }
    *out = (hexz_backend){HEXZ_BACKEND_VERSION, f, size, file_read_at, file_close, NULL};
    if (fd_out) *fd_out = f->fd;
    return 0;
}
