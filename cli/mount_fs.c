/*
 * mount_fs.c - the FUSE operations of 'hexz mount' (see mount_fs.h): a read-only view of an
 * open archive.
 *
 * A directory archive shows its file tree. Paths are found with hexz_reader_file_lookup().
 * Directories are listed straight from the manifest, with no index of our own: the manifest is
 * sorted with '/' below every other byte (docs/FORMAT.md §10), so all descendants of "d" follow
 * one another, starting at the first entry not before "d/", and the subtree of a child "d/x"
 * ends before the first entry not before "d/x\x01". hexz_reader_file_seek() finds each of those
 * places in O(log n), so listing a directory costs O(children * log n) manifest probes (served
 * from the library's manifest page cache) and no memory that grows with the tree.
 * A parent directory that has no entry of its own (only descendants) appears as a 0755
 * directory with the archive's mtime, as does the root.
 *
 * An archive without files shows one read-only regular file per stream, named after it.
 *
 * Reads go through hexz_reader_read_at() (thread-safe, pread semantics), optionally through a
 * direct-mapped cache of decoded 128 KiB extents, one mutex per slot.
 */
#include "mount_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli_util.h"

#define EXTENT_SHIFT 17 /* cache extents of 128 KiB: the largest read FUSE usually sends */
#define EXTENT_SIZE ((size_t)1 << EXTENT_SHIFT)
#define NO_STREAM UINT_MAX
#define FS_BLOCK 4096u      /* st_blksize and f_bsize */
#define ATTR_TIMEOUT 3600.0 /* seconds; the archive never changes under the mount */

/* One slot of the cache: extent `extent` of `stream` (len valid bytes), or empty when stream is
 * NO_STREAM. `data` (EXTENT_SIZE bytes) is allocated on first use and then kept. */
typedef struct {
    pthread_mutex_t lock;
    unsigned stream;
    uint64_t extent;
    size_t len;
    uint8_t *data;
} cache_slot;

struct mount_fs {
    hexz_reader *r;
    const char *archive; /* for messages */
    uint64_t file_count; /* 0: show the streams instead of a tree */
    unsigned stream_count;
    unsigned main_stream;   /* NO_STREAM if there is none */
    uint64_t logical_bytes; /* sum of the stream sizes, for statfs */
    struct timespec mtime;  /* of the archive file: the root's and the stream files' mtime */
    uid_t uid;              /* owner of every node: whoever mounted */
    gid_t gid;
    atomic_flag reported; /* set once the first library failure has been logged */
    size_t slot_count;    /* 0: no cache */
    cache_slot *slots;
};

/* What open() resolves for read(): `size` bytes of `stream` from `base`. */
typedef struct {
    unsigned stream;
    uint64_t base, size;
} open_file;

static mount_fs *current_fs(void)
{
    return fuse_get_context()->private_data;
}

/* The archive path of a FUSE path: "/a/b" -> "a/b", "/" -> "". */
static const char *rel_path(const char *path)
{
    while (*path == '/') path++;
    return path;
}

/* Turns a library failure into a negative errno. Anything but a missing entry or a lack of
 * memory is an I/O error (corruption above all); the first one is logged with the library's
 * message, which the failing call left for this thread. */
static int fs_errno(mount_fs *fs, int rc)
{
    if (rc == HEXZ_ENOTFOUND) return -ENOENT;
    if (rc == HEXZ_ENOMEM) return -ENOMEM;
    if (!atomic_flag_test_and_set(&fs->reported)) {
        const char *msg = hexz_last_error();
        if (msg && *msg) cli_error("mount", "%s (later errors are only returned as EIO)", msg);
        else
            cli_error("mount", "%s: %s (later errors are only returned as EIO)", fs->archive,
                      hexz_strerror(rc));
    }
    return -EIO;
}

/* *out = the index of the first manifest entry not before `key` in manifest order, or
 * file_count (hexz_reader_file_seek()). Returns 0 or a negative errno. */
static int lower_bound(mount_fs *fs, const char *key, uint64_t *out)
{
    int rc = hexz_reader_file_seek(fs->r, key, out);
    return rc < 0 ? fs_errno(fs, rc) : 0;
}

/* ---- attributes ----------------------------------------------------------------------------- */

static void fill_stat(const mount_fs *fs, struct stat *st, mode_t mode, uint64_t size,
                      struct timespec mtime)
{
    memset(st, 0, sizeof *st);
    st->st_mode = mode;
    st->st_nlink = S_ISDIR(mode) ? 2 : 1;
    st->st_uid = fs->uid;
    st->st_gid = fs->gid;
    st->st_size = (off_t)size;
    st->st_blksize = FS_BLOCK;
    st->st_blocks = (blkcnt_t)((size + 511) / 512);
    st->st_atim = st->st_mtim = st->st_ctim = mtime;
}

static void stat_entry(const mount_fs *fs, const hexz_file_info *fi, struct stat *st)
{
    mode_t type = fi->type == HEXZ_FILE_DIR       ? S_IFDIR
                  : fi->type == HEXZ_FILE_SYMLINK ? S_IFLNK
                                                  : S_IFREG;
    struct timespec mtime = {(time_t)fi->mtime_sec, (long)fi->mtime_nsec};
    fill_stat(fs, st, type | (fi->mode & 07777), fi->size, mtime);
}

static void stat_implied_dir(const mount_fs *fs, struct stat *st)
{
    fill_stat(fs, st, S_IFDIR | 0755, 0, fs->mtime);
}

/* Resolves `rel` ("" for the root) in a directory archive: fills *st and returns 0, or returns
 * a negative errno. For a path with an entry of its own, *fi holds that entry afterwards. */
static int tree_stat(mount_fs *fs, const char *rel, hexz_file_info *fi, struct stat *st)
{
    if (*rel == '\0') {
        stat_implied_dir(fs, st);
        return 0;
    }
    size_t len = strlen(rel);
    if (len >= HEXZ_PATH_MAX) return -ENAMETOOLONG;
    int rc = hexz_reader_file_lookup(fs->r, rel, fi);
    if (rc == 0) {
        stat_entry(fs, fi, st);
        return 0;
    }
    if (rc != HEXZ_ENOTFOUND) return fs_errno(fs, rc);
    /* No entry: an implied directory if anything lies under "rel/". */
    char key[HEXZ_PATH_MAX + 1];
    memcpy(key, rel, len);
    key[len] = '/';
    key[len + 1] = '\0';
    uint64_t idx;
    rc = lower_bound(fs, key, &idx);
    if (rc < 0) return rc;
    if (idx >= fs->file_count) return -ENOENT;
    rc = hexz_reader_file_at(fs->r, idx, fi);
    if (rc < 0) return fs_errno(fs, rc);
    if (strncmp(fi->path, key, len + 1) != 0) return -ENOENT;
    stat_implied_dir(fs, st);
    return 0;
}

/* Resolves `rel` in an archive without files: the root, or a stream (*stream gets its index). */
static int stream_stat(mount_fs *fs, const char *rel, unsigned *stream, struct stat *st)
{
    if (*rel == '\0') {
        stat_implied_dir(fs, st);
        return 0;
    }
    if (strchr(rel, '/')) return -ENOENT;
    int rc = hexz_reader_find_stream(fs->r, rel, stream);
    if (rc < 0) return fs_errno(fs, rc);
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    rc = hexz_reader_stream_info(fs->r, *stream, &si);
    if (rc < 0) return fs_errno(fs, rc);
    fill_stat(fs, st, S_IFREG | 0444, si.size, fs->mtime);
    return 0;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *ffi)
{
    (void)ffi;
    mount_fs *fs = current_fs();
    const char *rel = rel_path(path);
    if (!fs->file_count) {
        unsigned stream;
        return stream_stat(fs, rel, &stream, st);
    }
    hexz_file_info fi;
    return tree_stat(fs, rel, &fi, st);
}

static int fs_readlink(const char *path, char *buf, size_t size)
{
    mount_fs *fs = current_fs();
    if (!fs->file_count) return -EINVAL;
    hexz_file_info fi;
    struct stat st;
    int rc = tree_stat(fs, rel_path(path), &fi, &st);
    if (rc < 0) return rc;
    if (!S_ISLNK(st.st_mode)) return -EINVAL;
    if (size == 0) return -EINVAL;
    snprintf(buf, size, "%s", fi.target); /* FUSE wants it NUL-terminated, truncated if need be */
    return 0;
}

/* ---- reading -------------------------------------------------------------------------------- */

static int fs_open(const char *path, struct fuse_file_info *ffi)
{
    if ((ffi->flags & O_ACCMODE) != O_RDONLY || (ffi->flags & O_TRUNC)) return -EROFS;
    mount_fs *fs = current_fs();
    const char *rel = rel_path(path);
    open_file of = {NO_STREAM, 0, 0};
    struct stat st;
    hexz_file_info fi;
    int rc = fs->file_count ? tree_stat(fs, rel, &fi, &st) : stream_stat(fs, rel, &of.stream, &st);
    if (rc < 0) return rc;
    if (S_ISDIR(st.st_mode)) return -EISDIR;
    if (!S_ISREG(st.st_mode)) return -EINVAL;
    if (fs->file_count) {
        of.stream = fs->main_stream;
        of.base = fi.offset;
    }
    of.size = (uint64_t)st.st_size;
    if (of.size > 0 && of.stream == NO_STREAM) return -EIO; /* content but no "main" stream */
    open_file *h = malloc(sizeof *h);
    if (!h) return -ENOMEM;
    *h = of;
    ffi->fh = (uint64_t)(uintptr_t)h;
    ffi->keep_cache = 1; /* the content never changes: the kernel may keep its pages */
    return 0;
}

static int fs_release(const char *path, struct fuse_file_info *ffi)
{
    (void)path;
    free((open_file *)(uintptr_t)ffi->fh);
    return 0;
}

static size_t slot_of(const mount_fs *fs, unsigned stream, uint64_t extent)
{
    /* Consecutive extents of a stream take consecutive slots, so a range of up to slot_count
     * extents is cached without conflicts. */
    return (size_t)((extent + (uint64_t)stream * 0x9E3779B97F4A7C15u) % fs->slot_count);
}

/* Reads at most `len` bytes at `pos` of `stream`, from the one extent that holds `pos`, through
 * the cache; *got gets the count (0 at the end of the stream). Returns 0 or a HEXZ_E* code. */
static int cached_read(mount_fs *fs, unsigned stream, char *buf, size_t len, uint64_t pos,
                       size_t *got)
{
    uint64_t extent = pos >> EXTENT_SHIFT;
    size_t within = (size_t)(pos & (EXTENT_SIZE - 1));
    cache_slot *s = &fs->slots[slot_of(fs, stream, extent)];
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    if (s->stream != stream || s->extent != extent) {
        /* A miss: decode the extent into the slot while holding its lock, so that concurrent
         * readers of the same extent wait for it rather than decode it again. */
        s->stream = NO_STREAM;
        if (!s->data && !(s->data = malloc(EXTENT_SIZE))) rc = HEXZ_ENOMEM;
        if (rc == 0)
            rc = hexz_reader_read_at(fs->r, stream, s->data, EXTENT_SIZE, extent << EXTENT_SHIFT,
                                     &s->len);
        if (rc == 0) {
            s->stream = stream;
            s->extent = extent;
        }
    }
    if (rc == 0) {
        size_t avail = s->len > within ? s->len - within : 0;
        size_t n = len < avail ? len : avail;
        memcpy(buf, s->data + within, n);
        *got = n;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Fills buf[0..len) from `stream` at `pos`; returns the count (short only where the stream
 * ends) or a negative errno. */
static int read_range(mount_fs *fs, unsigned stream, char *buf, size_t len, uint64_t pos)
{
    size_t done = 0;
    while (done < len) {
        size_t got = 0;
        int rc = fs->slot_count
                     ? cached_read(fs, stream, buf + done, len - done, pos + done, &got)
                     : hexz_reader_read_at(fs->r, stream, buf + done, len - done, pos + done, &got);
        if (rc < 0) return fs_errno(fs, rc);
        if (got == 0) break;
        done += got;
    }
    return (int)done;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *ffi)
{
    (void)path;
    const open_file *h = (const open_file *)(uintptr_t)ffi->fh;
    if (off < 0) return -EINVAL;
    if ((uint64_t)off >= h->size) return 0;
    uint64_t left = h->size - (uint64_t)off;
    if (size > INT_MAX) size = INT_MAX;
    if (size > left) size = (size_t)left;
    return read_range(current_fs(), h->stream, buf, size, h->base + (uint64_t)off);
}

/* ---- directories ---------------------------------------------------------------------------- */

/* Directory offsets: 1 after ".", 2 after "..", and 3 + i to resume at item i (a manifest
 * index, or a stream index). */
enum { DIR_OFF_ITEMS = 3 };

static int stream_readdir(mount_fs *fs, void *buf, fuse_fill_dir_t filler, off_t off)
{
    unsigned first = off > DIR_OFF_ITEMS ? (unsigned)(off - DIR_OFF_ITEMS) : 0;
    for (unsigned i = first; i < fs->stream_count; i++) {
        hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
        int rc = hexz_reader_stream_info(fs->r, i, &si);
        if (rc < 0) return fs_errno(fs, rc);
        /* A name that is no valid file name cannot be shown. */
        if (strchr(si.name, '/') || strcmp(si.name, ".") == 0 || strcmp(si.name, "..") == 0)
            continue;
        struct stat st;
        fill_stat(fs, &st, S_IFREG | 0444, si.size, fs->mtime);
        if (filler(buf, si.name, &st, (off_t)i + 1 + DIR_OFF_ITEMS, 0)) break;
    }
    return 0;
}

/* Lists the children of directory `rel` from manifest index `off` - DIR_OFF_ITEMS (or from its
 * first descendant). Each child comes from its own entry or, for an implied directory, from its
 * first descendant; the child's subtree is then skipped. */
static int tree_readdir(mount_fs *fs, const char *rel, void *buf, fuse_fill_dir_t filler, off_t off)
{
    char prefix[HEXZ_PATH_MAX + 1], skip[HEXZ_PATH_MAX + 1];
    size_t plen = strlen(rel);
    if (plen >= HEXZ_PATH_MAX) return -ENAMETOOLONG;
    memcpy(prefix, rel, plen);
    if (plen) prefix[plen++] = '/';
    prefix[plen] = '\0';
    hexz_file_info fi;
    uint64_t idx = 0;
    int rc = 0;
    if (off > DIR_OFF_ITEMS) idx = (uint64_t)off - DIR_OFF_ITEMS;
    else if (plen) rc = lower_bound(fs, prefix, &idx);
    while (rc == 0 && idx < fs->file_count) {
        rc = hexz_reader_file_at(fs->r, idx, &fi);
        if (rc < 0) return fs_errno(fs, rc);
        if (strncmp(fi.path, prefix, plen) != 0) break; /* past the directory's subtree */
        char *name = fi.path + plen, *slash = strchr(name, '/');
        struct stat st;
        uint64_t next = idx + 1;
        if (slash) {
            *slash = '\0';
            stat_implied_dir(fs, &st);
        } else {
            stat_entry(fs, &fi, &st);
        }
        if (S_ISDIR(st.st_mode)) {
            /* The subtree of fi.path (now cut at the child) ends before fi.path + "\x01". */
            size_t end = strlen(fi.path);
            memcpy(skip, fi.path, end);
            skip[end] = '\x01';
            skip[end + 1] = '\0';
            char child[HEXZ_PATH_MAX];
            snprintf(child, sizeof child, "%s", name);
            rc = lower_bound(fs, skip, &next);
            if (rc < 0) return rc;
            if (next <= idx) next = idx + 1; /* always progress, whatever the manifest says */
            if (filler(buf, child, &st, (off_t)(next + DIR_OFF_ITEMS), 0)) break;
        } else if (filler(buf, name, &st, (off_t)(next + DIR_OFF_ITEMS), 0)) {
            break;
        }
        idx = next;
    }
    return rc;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *ffi, enum fuse_readdir_flags flags)
{
    (void)ffi;
    (void)flags;
    mount_fs *fs = current_fs();
    if (off < 1 && filler(buf, ".", NULL, 1, 0)) return 0;
    if (off < 2 && filler(buf, "..", NULL, 2, 0)) return 0;
    if (!fs->file_count) return stream_readdir(fs, buf, filler, off);
    return tree_readdir(fs, rel_path(path), buf, filler, off);
}

/* ---- the file system ------------------------------------------------------------------------ */

static int fs_statfs(const char *path, struct statvfs *sv)
{
    (void)path;
    mount_fs *fs = current_fs();
    memset(sv, 0, sizeof *sv);
    sv->f_bsize = sv->f_frsize = FS_BLOCK;
    sv->f_blocks = (fsblkcnt_t)((fs->logical_bytes + FS_BLOCK - 1) / FS_BLOCK);
    sv->f_files = (fsfilcnt_t)(fs->file_count ? fs->file_count : fs->stream_count);
    sv->f_namemax = 255;
    sv->f_flag = ST_RDONLY;
    return 0;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    (void)conn;
    /* The archive is immutable: the kernel may keep names, attributes and pages. */
    cfg->kernel_cache = 1;
    cfg->entry_timeout = cfg->attr_timeout = cfg->negative_timeout = ATTR_TIMEOUT;
    return fuse_get_context()->private_data;
}

static const struct fuse_operations operations = {
    .getattr = fs_getattr,
    .readlink = fs_readlink,
    .open = fs_open,
    .read = fs_read,
    .statfs = fs_statfs,
    .release = fs_release,
    .readdir = fs_readdir,
    .init = fs_init,
};

const struct fuse_operations *mount_fs_operations(void)
{
    return &operations;
}

int mount_fs_create(mount_fs **out, hexz_reader *r, const char *archive, uint64_t cache_bytes)
{
    mount_fs *fs = calloc(1, sizeof *fs);
    if (!fs) {
        cli_error("mount", "out of memory");
        return CLI_FAIL;
    }
    fs->r = r;
    fs->archive = archive;
    fs->file_count = hexz_reader_file_count(r);
    fs->stream_count = hexz_reader_stream_count(r);
    for (unsigned i = 0; i < fs->stream_count; i++) {
        hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
        int rc = hexz_reader_stream_info(r, i, &si);
        if (rc < 0) {
            free(fs);
            return cli_lib_error("mount", rc, archive);
        }
        fs->logical_bytes += si.size;
    }
    if (hexz_reader_find_stream(r, "main", &fs->main_stream) < 0) fs->main_stream = NO_STREAM;
    struct stat st;
    if (stat(archive, &st) == 0) fs->mtime = st.st_mtim;
    fs->uid = getuid();
    fs->gid = getgid();
    atomic_flag_clear(&fs->reported);
    if (cache_bytes > 0) {
        uint64_t slots = cache_bytes >> EXTENT_SHIFT;
        fs->slot_count = slots ? (size_t)slots : 1;
        fs->slots = calloc(fs->slot_count, sizeof *fs->slots);
        if (!fs->slots) {
            free(fs);
            cli_error("mount", "out of memory for a cache of %llu slots",
                      (unsigned long long)slots);
            return CLI_FAIL;
        }
        for (size_t i = 0; i < fs->slot_count; i++) {
            pthread_mutex_init(&fs->slots[i].lock, NULL);
            fs->slots[i].stream = NO_STREAM;
        }
    }
    *out = fs;
    return CLI_OK;
}

void mount_fs_free(mount_fs *fs)
{
    if (!fs) return;
    for (size_t i = 0; i < fs->slot_count; i++) {
        pthread_mutex_destroy(&fs->slots[i].lock);
        free(fs->slots[i].data);
    }
    free(fs->slots);
    free(fs);
}
