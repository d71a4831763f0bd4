/*
 * outfile.c - see outfile.h.
 */
#include "pack/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/tmpname.h"
#include "common/umask.h"
#include "hexz.h"

static char *dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy) return NULL;
    char *d = strdup(dirname(copy));
    free(copy);
    return d;
}

static char *temp_name_for(const char *dest)
{
    char *copy = strdup(dest);
    char *dir = dir_of(dest);
    char *name = NULL;
    if (copy && dir && asprintf(&name, "%s/.%s.hexz-tmp.XXXXXX", dir, basename(copy)) < 0)
        name = NULL;
    free(copy);
    free(dir);
    return name;
}

/* A symlink planted in a sticky world-writable directory (/tmp) by another user must not be
 * followed: otherwise `pack --force -o /tmp/x.hxz` run by root would replace whatever file the
 * link points at. The rule is the kernel's fs.protected_symlinks (which our realpath + rename
 * does not go through): follow only a link owned by us or by the directory's owner. */
static int check_link_owner(const char *dest, const struct stat *link)
{
    char *dir = dir_of(dest);
    struct stat st;
    int rc = 0;
    if (!dir) return hx_error(HEXZ_ENOMEM, "%s: out of memory", dest);
    if (stat(dir, &st) == 0 && (st.st_mode & S_ISVTX) && (st.st_mode & S_IWOTH) &&
        link->st_uid != geteuid() && link->st_uid != st.st_uid)
        rc = hx_error(
            HEXZ_EINVAL,
            "%s: is a symbolic link of another user in a sticky world-writable directory; not "
            "following it",
            dest);
    free(dir);
    return rc;
}

/* HX_OUT_UPDATE: the file `dest` names. A symlink is followed (realpath) so that its target is
 * replaced in its own directory; *target gets the path to replace (malloc'd), and f->replacing
 * and the old identity are set when a file is there. Only a regular file with a single link
 * can be updated: anything else would lose something (a device or FIFO would be replaced by a
 * file; the other names of a hard link would keep the old version). */
static int resolve_update(hx_outfile *f, const char *dest, char **target, struct stat *old)
{
    struct stat lst;
    if (lstat(dest, &lst) != 0) {
        if (errno != ENOENT) return hx_error_errno(HEXZ_EIO, errno, "%s: cannot examine it", dest);
        *target = strdup(dest); /* nothing there: a new file */
        return *target ? 0 : hx_error(HEXZ_ENOMEM, "%s: out of memory", dest);
    }
    if (S_ISLNK(lst.st_mode)) {
        int rc = check_link_owner(dest, &lst);
        if (rc) return rc;
        *target = realpath(dest, NULL);
        if (!*target && errno == ENOENT)
            return hx_error(HEXZ_EINVAL,
                            "%s: is a symbolic link to a missing file; not writing through it",
                            dest);
        if (!*target)
            return hx_error_errno(HEXZ_EIO, errno, "%s: cannot follow the symbolic link", dest);
    } else {
        *target = strdup(dest);
        if (!*target) return hx_error(HEXZ_ENOMEM, "%s: out of memory", dest);
    }
    int rc = 0;
    if (lstat(*target, old) != 0)
        rc = hx_error_errno(HEXZ_EIO, errno, "%s: cannot examine it", *target);
    else if (S_ISDIR(old->st_mode)) rc = hx_error(HEXZ_EINVAL, "%s: is a directory", *target);
    else if (!S_ISREG(old->st_mode))
        rc = hx_error(HEXZ_EINVAL, "%s: is not a regular file; not replacing it", *target);
    else if (old->st_nlink > 1)
        rc = hx_error(
            HEXZ_EINVAL,
            "%s: has %ju hard links; replacing it would leave the other names with the old "
            "version (remove them, or write to a new name)",
            *target, (uintmax_t)old->st_nlink);
    if (rc) {
        free(*target);
        *target = NULL;
        return rc;
    }
    f->replacing = 1;
    f->old_dev = (uint64_t)old->st_dev;
    f->old_ino = (uint64_t)old->st_ino;
    return 0;
}

/* The new version of a file being updated gets the old one's owner and mode. The owner first:
 * chown clears the setuid and setgid bits, which the mode then sets again. A different owner
 * that cannot be kept (not root, the file is another user's) is refused: the file would
 * silently change hands. */
static int keep_owner_and_mode(hx_outfile *f, const struct stat *old)
{
    struct stat now;
    if (fstat(f->fd, &now) != 0)
        return hx_error_errno(HEXZ_EIO, errno, "%s: cannot examine the new file", f->dest);
    if ((now.st_uid != old->st_uid || now.st_gid != old->st_gid) &&
        fchown(f->fd, old->st_uid, old->st_gid) != 0)
        return hx_error_errno(
            HEXZ_EIO, errno,
            "%s: belongs to uid %u gid %u; cannot give the new version the same owner "
            "(run as its owner or as root)",
            f->dest, (unsigned)old->st_uid, (unsigned)old->st_gid);
    if (fchmod(f->fd, old->st_mode & 07777) != 0)
        return hx_error_errno(HEXZ_EIO, errno, "%s: cannot set the mode of the new file", f->dest);
    return 0;
}

/* Creates the temporary file beside f->dest: unnamed (O_TMPFILE) where the file system allows. */
static int create_temp(hx_outfile *f, mode_t mode)
{
    char *dir = dir_of(f->dest);
    f->fd = dir ? open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode) : -1;
    free(dir);
    if (f->fd >= 0) {
        f->anonymous = 1;
        fchmod(f->fd, mode);
        return 0;
    }
    /* File systems without O_TMPFILE: a named temporary file. */
    f->fd = mkostemp(f->tmp_path, O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        free(f->tmp_path);
        f->tmp_path = NULL;
        return hx_error_errno(HEXZ_EIO, e, "%s: cannot create a temporary file beside it", f->dest);
    }
    /* mkostemp makes the file 0600; an archive gets the mode any new file of the user gets. */
    fchmod(f->fd, mode);
    return 0;
}

int hx_outfile_open(hx_outfile *f, const char *dest, int mode)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->mode = mode;
    struct stat st, old;
    if (mode == HX_OUT_CREATE && lstat(dest, &st) == 0)
        return hx_error(HEXZ_EEXIST, "%s: already exists", dest);
    if (mode != HX_OUT_UPDATE && stat(dest, &st) == 0 && S_ISDIR(st.st_mode))
        return hx_error(HEXZ_EINVAL, "%s: is a directory", dest);
    int rc = 0;
    if (mode == HX_OUT_UPDATE) {
        rc = resolve_update(f, dest, &f->dest, &old);
        if (rc) return rc;
    } else {
        f->dest = strdup(dest);
    }
    f->tmp_path = f->dest ? temp_name_for(f->dest) : NULL;
    f->buf = malloc(HX_OUTFILE_BUF);
    if (!f->dest || !f->tmp_path || !f->buf) {
        hx_outfile_discard(f);
        return hx_error(HEXZ_ENOMEM, "%s: out of memory", dest);
    }
    rc = create_temp(f, 0666 & ~hx_process_umask());
    if (!rc && f->replacing) rc = keep_owner_and_mode(f, &old);
    if (rc) hx_outfile_discard(f);
    return rc;
}

int hx_outfile_check_source(const hx_outfile *f, int fd)
{
    struct stat st;
    if (f->replacing && fstat(fd, &st) == 0 && (uint64_t)st.st_dev == f->old_dev &&
        (uint64_t)st.st_ino == f->old_ino)
        return 0;
    return hx_error(
        HEXZ_EIO, "%s: the file to replace is not the one that was read (it was moved or replaced)",
        f->dest ? f->dest : "archive");
}

static int write_all(hx_outfile *f, const uint8_t *p, size_t len, uint64_t offset)
{
    while (len > 0) {
        ssize_t n = pwrite(f->fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR) continue;
            return hx_error_errno(HEXZ_EIO, errno, "%s: write failed", f->dest);
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

static int flush(hx_outfile *f)
{
    if (f->buf_len == 0) return 0;
    int rc = write_all(f, f->buf, f->buf_len, f->pos - f->buf_len);
    f->buf_len = 0;
    return rc;
}

int hx_outfile_write(hx_outfile *f, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len >= HX_OUTFILE_BUF) {
        int rc = flush(f);
        if (rc) return rc;
        rc = write_all(f, p, len, f->pos);
        if (rc == 0) f->pos += len;
        return rc;
    }
    if (f->buf_len + len > HX_OUTFILE_BUF) {
        int rc = flush(f);
        if (rc) return rc;
    }
    memcpy(f->buf + f->buf_len, p, len);
    f->buf_len += len;
    f->pos += len;
    return 0;
}

int hx_outfile_skip(hx_outfile *f, uint64_t len)
{
    int rc = flush(f);
    if (rc == 0) f->pos += len;
    return rc;
}

int hx_outfile_copy_from(hx_outfile *f, int fd, uint64_t offset, uint64_t len, const char *src_name)
{
    int rc = flush(f);
    if (rc) return rc;
    loff_t in = (loff_t)offset, out = (loff_t)f->pos;
    while (len > 0) {
        ssize_t n = copy_file_range(fd, &in, f->fd, &out, len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return hx_error_errno(HEXZ_EIO, errno, "%s: cannot copy from %s", f->dest, src_name);
        if (n == 0) return hx_error(HEXZ_EIO, "%s: %s ended early", f->dest, src_name);
        len -= (uint64_t)n;
    }
    f->pos = (uint64_t)out;
    return 0;
}

int hx_outfile_pwrite(hx_outfile *f, const void *data, size_t len, uint64_t offset)
{
    int rc = flush(f);
    if (rc) return rc;
    return write_all(f, data, len, offset);
}

/* After the rename: the new file is in place whatever this says, so a failure is only
 * recorded (f->dir_sync_failed), never reported as the commit failing. */
static void fsync_dir_of(hx_outfile *f)
{
    char *dir = dir_of(f->dest);
    int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd < 0 || (f->fsync_dir ? f->fsync_dir(fd) : fsync(fd)) != 0) f->dir_sync_failed = 1;
    if (fd >= 0) close(fd);
    free(dir);
}

/* HX_OUT_UPDATE: the file about to be replaced must still be the one examined at open (someone
 * may have replaced it, or linked it elsewhere, meanwhile). */
static int still_the_same(const hx_outfile *f)
{
    if (!f->replacing) return 0;
    struct stat st;
    if (lstat(f->dest, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_dev == f->old_dev &&
        (uint64_t)st.st_ino == f->old_ino && st.st_nlink == 1)
        return 0;
    return hx_error(HEXZ_EIO,
                    "%s: was changed by someone else while it was being rewritten; left as it is",
                    f->dest);
}

static int rename_into_place(hx_outfile *f)
{
    int r = f->mode != HX_OUT_CREATE
                ? rename(f->tmp_path, f->dest)
                : renameat2(AT_FDCWD, f->tmp_path, AT_FDCWD, f->dest, RENAME_NOREPLACE);
    if (r == 0) return 0;
    if (errno == EEXIST) return hx_error(HEXZ_EEXIST, "%s: already exists", f->dest);
    return hx_error_errno(HEXZ_EIO, errno, "%s: cannot rename the finished file into place",
                          f->dest);
}

/* Gives the anonymous file a temporary name beside the destination, so that it can be renamed
 * into place. f->tmp_path ends in the random part mkostemp's template has. */
static int link_anonymous(hx_outfile *f)
{
    if (hx_tmpname_link_random(f->fd, AT_FDCWD, f->tmp_path) == 0) {
        f->anonymous = 0;
        return 0;
    }
    return hx_error_errno(HEXZ_EIO, errno, "%s: cannot link the finished file into its directory",
                          f->dest);
}

int hx_outfile_commit(hx_outfile *f)
{
    int rc = flush(f);
    if (rc) return rc;
    if (ftruncate(f->fd, (off_t)f->pos) != 0)
        return hx_error_errno(HEXZ_EIO, errno, "%s: cannot set the file length", f->dest);
    if (fsync(f->fd) != 0) return hx_error_errno(HEXZ_EIO, errno, "%s: fsync failed", f->dest);
    if ((rc = still_the_same(f)) != 0) return rc;
    if (f->anonymous && (rc = link_anonymous(f)) != 0) return rc;
    rc = rename_into_place(f);
    if (rc) {
        unlink(f->tmp_path);
        return rc;
    }
    free(f->tmp_path);
    f->tmp_path = NULL;
    fsync_dir_of(f);
    return 0;
}

void hx_outfile_discard(hx_outfile *f)
{
    if (f->fd >= 0) close(f->fd);
    if (f->tmp_path && !f->anonymous) unlink(f->tmp_path);
    free(f->tmp_path);
    free(f->dest);
    free(f->buf);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}
