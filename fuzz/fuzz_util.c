/*
 * fuzz_util.c - see fuzz_util.h. Test-only code shared by the fuzz targets; it may include the
 * library's private headers (src/) to re-hash mutated archives.
 */
#include "fuzz_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/codec.h"
#include "common/bytes.h"
#include "format/format.h"
#include "hash/hash.h"
#include "hexz.h"

void fz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

uint8_t fz_u8(fz_bytes *b)
{
    if (b->left == 0) return 0;
    b->left--;
    return *b->p++;
}

uint16_t fz_u16(fz_bytes *b)
{
    uint16_t lo = fz_u8(b);
    return (uint16_t)(lo | (uint16_t)fz_u8(b) << 8);
}

uint32_t fz_u32(fz_bytes *b)
{
    uint32_t lo = fz_u16(b);
    return lo | (uint32_t)fz_u16(b) << 16;
}

uint64_t fz_u64(fz_bytes *b)
{
    uint64_t lo = fz_u32(b);
    return lo | (uint64_t)fz_u32(b) << 32;
}

static const char *scratch_base(void)
{
    if (access("/dev/shm", W_OK | X_OK) == 0) return "/dev/shm";
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

char *fz_mkdtemp(const char *tag)
{
    char *p = NULL;
    if (asprintf(&p, "%s/hexz-fuzz-%s-XXXXXX", scratch_base(), tag) < 0) abort();
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        abort();
    }
    return p;
}

/* Removes everything inside the open directory `dfd`, then closes it. */
static void rm_contents(int dfd)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            fchmodat(dirfd(d), de->d_name, 0700, 0);
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) rm_contents(sub);
            unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
        } else {
            unlinkat(dirfd(d), de->d_name, 0);
        }
    }
    closedir(d);
}

void fz_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) rm_contents(fd);
        rmdir(path);
    } else {
        unlink(path);
    }
    FZ_ASSERT(lstat(path, &st) != 0 && errno == ENOENT);
}

size_t fz_list_dir(const char *dir, char **names, size_t max)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (names && n < max) names[n] = strdup(de->d_name);
        n++;
    }
    closedir(d);
    return n;
}

int fz_memfd(const uint8_t *data, size_t size, char path_out[64])
{
    int fd = memfd_create("hexz-fuzz", MFD_CLOEXEC);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    snprintf(path_out, 64, "/proc/self/fd/%d", fd);
    return fd;
}

int fz_make_base(const char *path)
{
    static const uint8_t id[16] = "hexz-fuzz-base!";
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = 256;
    o.codec = HEXZ_CODEC_LZ4;
    o.threads = 1;
    o.archive_id = id;
    hexz_writer *w;
    int rc = hexz_writer_create(&w, path, &o);
    if (rc) return rc;
    uint8_t block[256];
    for (int i = 0; i < 16 && !rc; i++) {
        for (int j = 0; j < 256; j++)
            block[j] = (uint8_t)(i < 8 ? (i * 31 + j / 3) : (i * 7 ^ j * 13));
        rc = hexz_writer_write(w, block, sizeof block);
    }
    if (!rc) rc = hexz_writer_finish(w);
    hexz_writer_free(w);
    return rc;
}

/* ---- re-hashing a mutated archive ------------------------------------------------------------- */

/* Blocks bigger than this keep their content hash: decoding them would slow fuzzing down. */
#define FIXUP_BLOCK_CAP (1u << 20)

static int in_image(uint64_t off, uint64_t len, size_t size)
{
    return hx_range_within(off, len, 0, size);
}

static void fix_block(uint8_t *img, size_t size, uint8_t *e, hx_codec_ctx *codec, uint8_t *scratch)
{
    if (e[24] != HX_BLOCK_STORED) return;
    uint64_t off = hx_get64(e + 8);
    uint32_t llen = hx_get32(e + 16), slen = hx_get32(e + 20);
    if (!in_image(off, slen, size)) return;
    hx_put64(e + 32, hx_checksum64(img + off, slen));
    if (llen == 0 || llen > FIXUP_BLOCK_CAP || !hx_codec_valid(e[25]) || !codec) return;
    if (hx_codec_decompress(codec, e[25], img + off, slen, scratch, llen) == 0)
        hx_hash(scratch, llen, e + 40);
}

static void fix_page_dir(uint8_t *img, size_t size, uint8_t *sec, uint64_t len, hx_codec_ctx *codec,
                         uint8_t *scratch)
{
    for (uint64_t pos = 0; pos + HX_PAGE_DIR_ENTRY_LEN <= len; pos += HX_PAGE_DIR_ENTRY_LEN) {
        uint8_t *ref = sec + pos;
        uint64_t poff = hx_get64(ref + 16);
        uint32_t plen = hx_get32(ref + 24);
        if (!in_image(poff, plen, size) || plen < HX_PAGE_HEADER_LEN) continue;
        uint8_t *page = img + poff;
        uint64_t n = (plen - HX_PAGE_HEADER_LEN) / HX_BLOCK_ENTRY_LEN;
        for (uint64_t i = 0; i < n; i++)
            fix_block(img, size, page + HX_PAGE_HEADER_LEN + i * HX_BLOCK_ENTRY_LEN, codec,
                      scratch);
        hx_hash(page, plen, ref + 32);
    }
}

static void fix_manifest_dir(uint8_t *img, size_t size, uint8_t *sec, uint64_t len)
{
    const uint64_t fixed = 8 + 4 + 4 + 8 + HX_HASH_LEN + 2;
    for (uint64_t pos = 12; pos + fixed <= len;) {
        uint8_t *rec = sec + pos;
        uint64_t poff = hx_get64(rec);
        uint32_t plen = hx_get32(rec + 8);
        if (in_image(poff, plen, size)) hx_hash(img + poff, plen, rec + 24);
        pos += fixed + hx_get16(rec + 24 + HX_HASH_LEN);
    }
}

int fz_fixup_archive(uint8_t *img, size_t size)
{
    if (size < HX_HEADER_LEN || memcmp(img, HX_MAGIC, HX_MAGIC_LEN) != 0) return 0;
    uint64_t sto = hx_get64(img + 48);
    uint32_t count = hx_get32(img + 56);
    if (count >= 1 && count <= HX_SECTION_MAX_COUNT &&
        in_image(sto, (uint64_t)count * HX_SECTION_ENTRY_LEN, size) && sto >= HX_HEADER_LEN) {
        uint8_t *table = img + sto;
        hx_codec_ctx *codec = NULL;
        uint8_t *scratch = malloc(FIXUP_BLOCK_CAP);
        if (scratch && hx_codec_ctx_create(&codec, HX_CODEC_NONE, 0) != 0) codec = NULL;
        /* Deepest first: blocks and pages, then the sections that name them, then the table. */
        for (uint32_t i = 0; i < count; i++) {
            uint8_t *e = table + (size_t)i * HX_SECTION_ENTRY_LEN;
            uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
            if (!in_image(off, len, size)) continue;
            if (hx_get32(e) == HX_SECTION_PAGE_DIR)
                fix_page_dir(img, size, img + off, len, codec, scratch);
            if (hx_get32(e) == HX_SECTION_MANIFEST_DIR) fix_manifest_dir(img, size, img + off, len);
        }
        for (uint32_t i = 0; i < count; i++) {
            uint8_t *e = table + (size_t)i * HX_SECTION_ENTRY_LEN;
            uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
            if (in_image(off, len, size)) hx_hash(img + off, len, e + 32);
        }
        hx_root_hash(img, table, count, img + 64);
        hx_codec_ctx_free(codec);
        free(scratch);
    }
    hx_put64(img + HX_HEADER_CHECKSUM_OFF, hx_checksum64(img, HX_HEADER_CHECKSUM_OFF));
    return 1;
}
