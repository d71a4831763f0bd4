/*
 * dict_train.c - hexz_train_dictionary(): a zstd dictionary trained on slices of the input.
 *
 * zstd's trainer wants about a hundred times the dictionary's size in samples, each a typical
 * unit of compression. Here a sample is a 16 KiB slice: from a file, slices spread evenly over
 * it; from a tree, slices from its regular files in walk order (each file contributes up to four,
 * so one large file cannot crowd out the many small ones dictionaries are for). All-zero slices
 * are skipped: they become holes and never reach the compressor.
 *
 * Part of ops/ (level 4, above pack/ and read/). Uses codec/ (the zstd trainer) and the OS to read
 * the input; no reader, no writer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/codec.h"
#include "common/bytes.h"
#include "common/error.h"
#include "hexz.h"

#define SLICE (16u << 10)
#define DEFAULT_DICT (110u << 10)
#define SAMPLES_PER_DICT_BYTE 100
#define SLICES_PER_FILE 4

typedef struct {
    uint8_t *buf;
    size_t len, cap;
    size_t *sizes;
    unsigned count, cap_count;
} samples;

static int add_slice(samples *s, int fd, uint64_t off, size_t len)
{
    if (s->len + len > s->cap || s->count == s->cap_count) return 1; /* full: stop */
    ssize_t n = pread(fd, s->buf + s->len, len, (off_t)off);
    if (n <= 0 || hx_is_zero(s->buf + s->len, (size_t)n)) return 0;
    s->sizes[s->count++] = (size_t)n;
    s->len += (size_t)n;
    return 0;
}

/* Up to `slices` slices spread evenly over the file. Returns non-zero when the buffer is full. */
static int sample_file(samples *s, int fd, uint64_t size, unsigned slices)
{
    if (size == 0) return 0;
    uint64_t total = size / SLICE + (size % SLICE != 0);
    uint64_t step = total > slices ? total / slices : 1;
    for (uint64_t i = 0; i < total && slices > 0; i += step, slices--) {
        uint64_t off = i * SLICE;
        size_t len = size - off < SLICE ? (size_t)(size - off) : SLICE;
        if (add_slice(s, fd, off, len)) return 1;
    }
    return 0;
}

/* Walks a directory (without following links) sampling its regular files. Returns non-zero
 * once the buffer is full. Unreadable entries just give no samples. */
static int sample_dir(samples *s, int dirfd, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return 0;
    }
    int full = 0;
    struct dirent *de;
    while (!full && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode) && depth < 64) {
            int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) full = sample_dir(s, sub, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            int fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            if (fd < 0) continue;
            full = sample_file(s, fd, (uint64_t)st.st_size, SLICES_PER_FILE);
            close(fd);
        }
    }
    closedir(d); /* closes dirfd */
    return full;
}

static int gather(samples *s, const char *input)
{
    struct stat st;
    if (stat(input, &st) != 0)
        return hx_error_errno(errno == ENOENT ? HEXZ_ENOTFOUND : HEXZ_EIO, errno, "%s", input);
    if (S_ISDIR(st.st_mode)) {
        int dirfd = open(input, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", input);
        sample_dir(s, dirfd, 0);
        return 0;
    }
    int fd = open(input, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return hx_error_errno(HEXZ_EIO, errno, "%s", input);
    uint64_t size = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        size = end > 0 ? (uint64_t)end : 0;
    }
    sample_file(s, fd, size, s->cap_count);
    close(fd);
    return 0;
}

int hexz_train_dictionary(const char *input, size_t max_size, void **out, size_t *out_len)
{
    if (!input || !out || !out_len)
        return hx_error(HEXZ_EINVAL, "hexz_train_dictionary: NULL argument");
    if (max_size == 0) max_size = DEFAULT_DICT;
    if (max_size < 1024 || max_size > (1u << 20))
        return hx_error(HEXZ_EINVAL, "%s: dictionary size %zu is outside 1 KiB..1 MiB", input,
                        max_size);
    samples s = {0};
    s.cap = max_size * SAMPLES_PER_DICT_BYTE;
    s.cap_count = (unsigned)(s.cap / 512);
    s.buf = malloc(s.cap);
    s.sizes = malloc(s.cap_count * sizeof *s.sizes);
    void *dict = malloc(max_size);
    int rc = s.buf && s.sizes && dict ? 0 : hx_error(HEXZ_ENOMEM, "%s: out of memory", input);
    if (!rc) rc = gather(&s, input);
    if (!rc && s.count < 8)
        rc = hx_error(HEXZ_EINVAL, "%s: too little non-zero data to train a dictionary on", input);
    if (!rc) {
        rc = hx_codec_dict_train(dict, max_size, s.buf, s.sizes, s.count, out_len);
        if (rc) rc = hx_error(rc, "%s: %s", input, hexz_last_error());
    }
    free(s.buf);
    free(s.sizes);
    if (rc) {
        free(dict);
        return rc;
    }
    *out = dict;
    return 0;
}
