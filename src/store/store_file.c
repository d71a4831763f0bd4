/*
 * store_file.c - the local-file backend: pread() on one descriptor, safe from many threads.
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

int hx_store_file_open(hexz_backend *out, const char *path, int *fd_out)
{
    file_ctx *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", path);
    }
    /* O_NONBLOCK: a path naming a fifo must not hang the open; it is refused just below. */
    f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f->fd < 0) {
        int e = errno;
        free(f->path);
        free(f);
        return hx_error_errno(e == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, e, "%s", path);
    }
    struct stat st;
    int rc = 0;
    if (fstat(f->fd, &st) != 0) rc = hx_error_errno(HEXZ_EIO, errno, "%s", path);
    else if (S_ISDIR(st.st_mode)) rc = hx_error(HEXZ_EINVAL, "%s: is a directory, not an archive", path);
    else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) rc = hx_error(HEXZ_EINVAL, "%s: not a regular file", path);
    if (rc) {
        file_close(f);
        return rc;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(f->fd, 0, SEEK_END);
        size = end > 0 ? (uint64_t)end : 0;
    }
    *out = (hexz_backend){HEXZ_BACKEND_VERSION, f, size, file_read_at, file_close};
    if (fd_out) *fd_out = f->fd;
    return 0;
}
