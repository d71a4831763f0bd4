/*
 * fuzz_exercise.c - the reading side of the archive fuzz targets (fuzz_open_read, and
 * fuzz_encrypted with its password): fz_exercise_archive() opens an archive image held in a
 * memfd (thin archives find their base, fz_make_base()'s archive, in another memfd beside it),
 * then runs verify, inspect, stream and block queries, read_at of a few ranges, file_at /
 * file_lookup, and hexz_extract into a scratch directory that is removed afterwards.
 *
 * Oracles (beyond "never crash, never leak, never touch memory it does not own"):
 *  - every failure is one of the documented error codes;
 *  - an archive that verifies reads without error: every read_at, block_at, file_at and lookup
 *    succeeds, read bytes hash to the block's content hash (zeros for holes; keyed BLAKE3 for an
 *    encrypted archive), the same range read whole or in two pieces gives the same bytes,
 *    lookup(file_at(i).path) finds entry i, and inspect agrees with the stream table;
 *  - extraction never creates anything beside its destination; extracting a single stream is
 *    atomic (the destination exists only on success, holding exactly the stream's size), and
 *    succeeds for an archive that verifies.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "format/format.h"
#include "fuzz_util.h"
#include "hash/hash.h"
#include "hexz.h"

/* Extraction is skipped when it would write more than this (a tiny archive can legitimately
 * describe gigabytes through dedup); holes do not count, they stay sparse. */
#define EXTRACT_DATA_LIMIT (64u << 20)
#define READ_LEN_LIMIT (1u << 20)

/* A documented HEXZ_E* code: HEXZ_EINVAL (-1) down to HEXZ_EPASSWORD (-11; an encrypted archive
 * opened without its password), but never HEXZ_ECANCELED, since no callback here cancels. */
static int known_error(int rc)
{
    return rc <= HEXZ_EINVAL && rc >= -11 && rc != HEXZ_ECANCELED;
}

typedef struct {
    hexz_reader *r;
    int verified;            /* hexz_reader_verify returned 0 */
    const uint8_t *hash_key; /* the content-hash key of an encrypted archive, or NULL */
} session;

/* Reads [off, off+len) of `stream` (len <= READ_LEN_LIMIT) and checks it against a read in two
 * pieces. Returns the bytes read (malloc'd) or NULL on a (permitted) failure. */
static uint8_t *read_range(session *s, unsigned stream, uint64_t size, uint64_t off, size_t len,
                           size_t *got)
{
    uint8_t *buf = malloc(len ? len : 1);
    FZ_ASSERT(buf != NULL);
    int rc = hexz_reader_read_at(s->r, stream, buf, len, off, got);
    if (rc != 0) {
        FZ_ASSERT(rc == HEXZ_ECORRUPT || rc == HEXZ_ENOMEM);
        FZ_ASSERT(!s->verified);
        free(buf);
        return NULL;
    }
    size_t expect = off >= size ? 0 : (size - off < len ? (size_t)(size - off) : len);
    FZ_ASSERT(*got == expect);
    if (*got >= 2) {
        size_t half = *got / 2, g1 = 0, g2 = 0;
        uint8_t *again = malloc(*got);
        FZ_ASSERT(again != NULL);
        int r1 = hexz_reader_read_at(s->r, stream, again, half, off, &g1);
        int r2 = hexz_reader_read_at(s->r, stream, again + half, *got - half, off + half, &g2);
        if (r1 == 0 && r2 == 0) {
            FZ_ASSERT(g1 == half && g2 == *got - half);
            FZ_ASSERT(memcmp(again, buf, *got) == 0);
        } else {
            FZ_ASSERT(!s->verified);
        }
        free(again);
    }
    return buf;
}

static void check_block(session *s, unsigned stream, uint64_t size, uint64_t index)
{
    hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
    int rc = hexz_reader_block_at(s->r, stream, index, &b);
    if (rc != 0) {
        FZ_ASSERT(rc == HEXZ_ECORRUPT || rc == HEXZ_ENOMEM);
        FZ_ASSERT(!s->verified);
        return;
    }
    FZ_ASSERT(b.logical_length >= 1);
    FZ_ASSERT(b.logical_offset < size && b.logical_length <= size - b.logical_offset);
    if (b.logical_length > READ_LEN_LIMIT) return;
    size_t got;
    uint8_t *buf = read_range(s, stream, size, b.logical_offset, b.logical_length, &got);
    if (!buf) return;
    FZ_ASSERT(got == b.logical_length);
    if (b.is_hole) {
        for (size_t i = 0; i < got; i++) FZ_ASSERT(buf[i] == 0);
    } else {
        uint8_t h[HX_HASH_LEN];
        if (s->hash_key) hx_hash_keyed(s->hash_key, buf, got, h);
        else hx_hash(buf, got, h);
        FZ_ASSERT(memcmp(h, b.content_hash, HX_HASH_LEN) == 0);
    }
    free(buf);
}

static void check_stream(session *s, unsigned i)
{
    hexz_stream_info info = HEXZ_STREAM_INFO_INIT;
    FZ_ASSERT(hexz_reader_stream_info(s->r, i, &info) == 0);
    size_t nl = strnlen(info.name, sizeof info.name);
    FZ_ASSERT(nl >= 1 && nl < sizeof info.name);
    unsigned found;
    FZ_ASSERT(hexz_reader_find_stream(s->r, info.name, &found) == 0 && found == i);
    const uint64_t size = info.size;
    const uint64_t offs[] = {0, size / 2, size ? size - 1 : 0, size, size + 1, UINT64_MAX - 3};
    const size_t lens[] = {4096, 70001, 1, 16, 5, 100};
    for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
        size_t got;
        free(read_range(s, i, size, offs[k], lens[k], &got));
    }
    if (info.block_count > 0) {
        check_block(s, i, size, 0);
        check_block(s, i, size, info.block_count / 2);
        check_block(s, i, size, info.block_count - 1);
    }
    hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
    FZ_ASSERT(hexz_reader_block_at(s->r, i, info.block_count, &b) == HEXZ_ERANGE);
}

static void check_file(session *s, uint64_t index, uint64_t main_size)
{
    hexz_file_info *f = malloc(sizeof *f), *g = malloc(sizeof *g);
    FZ_ASSERT(f && g);
    int rc = hexz_reader_file_at(s->r, index, f);
    if (rc != 0) {
        FZ_ASSERT(rc == HEXZ_ECORRUPT || rc == HEXZ_ENOMEM);
        FZ_ASSERT(!s->verified);
    } else {
        FZ_ASSERT(f->type >= HEXZ_FILE_REGULAR && f->type <= HEXZ_FILE_SYMLINK);
        FZ_ASSERT(f->path[0] != '\0' && f->path[0] != '/' && f->mode <= 07777);
        FZ_ASSERT((f->type == HEXZ_FILE_SYMLINK) == (f->target[0] != '\0'));
        if (f->type == HEXZ_FILE_REGULAR)
            FZ_ASSERT(f->offset <= main_size && f->size <= main_size - f->offset);
        rc = hexz_reader_file_lookup(s->r, f->path, g);
        /* Lookup reads the page the directory points to; it must find what file_at found. */
        FZ_ASSERT(rc == 0 || (rc == HEXZ_ECORRUPT && !s->verified));
        if (rc == 0)
            FZ_ASSERT(g->type == f->type && g->offset == f->offset && g->size == f->size &&
                      g->mode == f->mode && strcmp(g->path, f->path) == 0 &&
                      strcmp(g->target, f->target) == 0);
    }
    free(f);
    free(g);
}

/* Sums the content sizes of the file entries; UINT64_MAX when too many to count or unreadable. */
static uint64_t tree_data_bytes(session *s, uint64_t count)
{
    if (count > 4096) return UINT64_MAX;
    hexz_file_info *f = malloc(sizeof *f);
    FZ_ASSERT(f != NULL);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < count && sum != UINT64_MAX; i++) {
        if (hexz_reader_file_at(s->r, i, f) != 0) sum = UINT64_MAX;
        else if (f->type == HEXZ_FILE_REGULAR)
            sum = f->size > UINT64_MAX - 1 - sum ? UINT64_MAX : sum + f->size;
    }
    free(f);
    return sum;
}

static void check_extract(session *s, const hexz_inspect_info *ii, int have_ii, int has_main,
                          uint64_t main_size)
{
    uint64_t files = hexz_reader_file_count(s->r);
    uint64_t data = files ? tree_data_bytes(s, files)
                          : (have_ii ? ii->logical_bytes - ii->hole_bytes : UINT64_MAX);
    if (data > EXTRACT_DATA_LIMIT) return;
    char *box = fz_mkdtemp("extract");
    char *dest = malloc(strlen(box) + 8);
    FZ_ASSERT(dest != NULL);
    sprintf(dest, "%s/out", box);
    int rc = hexz_extract(s->r, dest, NULL, NULL);
    FZ_ASSERT(rc == 0 || known_error(rc));
    char *names[4] = {0};
    size_t n = fz_list_dir(box, names, 4);
    /* Nothing but the destination may appear in the directory that holds it. */
    FZ_ASSERT(n == 0 || (n == 1 && strcmp(names[0], "out") == 0));
    struct stat st;
    if (files == 0) {
        if (rc == 0) {
            FZ_ASSERT(n == 1 && stat(dest, &st) == 0 && S_ISREG(st.st_mode));
            FZ_ASSERT((uint64_t)st.st_size == main_size);
        } else {
            FZ_ASSERT(n == 0); /* atomic: no partial file, no temporary left behind */
            FZ_ASSERT(!(s->verified && has_main));
        }
    } else if (rc == 0) {
        FZ_ASSERT(n == 1 && lstat(dest, &st) == 0 && S_ISDIR(st.st_mode));
    }
    for (size_t i = 0; i < n && i < 4; i++) free(names[i]);
    fz_rmtree(box);
    free(dest);
    free(box);
}

/* Puts fz_make_base()'s archive at descriptor FZ_BASE_FD (once per process; see fuzz_util.h). */
static void ensure_base(void)
{
    if (fcntl(FZ_BASE_FD, F_GETFD) >= 0) return;
    char *dir = fz_mkdtemp("base");
    char *p = malloc(strlen(dir) + 16);
    FZ_ASSERT(p != NULL);
    sprintf(p, "%s/base.hxz", dir);
    FZ_ASSERT(fz_make_base(p) == 0);
    FILE *f = fopen(p, "rb");
    FZ_ASSERT(f != NULL);
    static uint8_t img[1 << 16];
    size_t n = fread(img, 1, sizeof img, f);
    FZ_ASSERT(n > 0 && n < sizeof img && feof(f));
    fclose(f);
    fz_rmtree(dir);
    free(p);
    free(dir);
    char path[64];
    int fd = fz_memfd(img, n, path);
    FZ_ASSERT(fd >= 0 && dup2(fd, FZ_BASE_FD) == FZ_BASE_FD);
    close(fd);
}

/* A base path that could lead outside the scratch directories (absolute, "..", a URL): the reader
 * would open whatever it names (see docs/RELIABILITY.md, known issues), so such inputs are
 * skipped rather than let the fuzzer open arbitrary files or reach the network. */
static int unsafe_base_path(const uint8_t *img, size_t size)
{
    if (size < HX_HEADER_LEN) return 0;
    uint64_t sto = hx_get64(img + 48);
    uint32_t count = hx_get32(img + 56);
    if (count > HX_SECTION_MAX_COUNT ||
        !hx_range_within(sto, (uint64_t)count * HX_SECTION_ENTRY_LEN, 0, size))
        return 0;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = img + sto + (size_t)i * HX_SECTION_ENTRY_LEN;
        uint64_t off = hx_get64(e + 8), len = hx_get64(e + 16);
        if (hx_get32(e) != HX_SECTION_BASES) continue;
        if (!hx_range_within(off, len, 0, size) || len < 54) return 1;
        const char *p = (const char *)img + off + 54;
        size_t n = (size_t)len - 54;
        if (n == 0 || p[0] == '/' || memmem(p, n, "..", 2) || memmem(p, n, ":", 1)) return 1;
    }
    return 0;
}

void fz_exercise_archive(const uint8_t *img, size_t size, const char *password,
                         const uint8_t hash_key[32])
{
    if (unsafe_base_path(img, size)) return;
    char path[64];
    int fd = fz_memfd(img, size, path);
    if (fd < 0) return;
    session s = {.hash_key = hash_key};
    ensure_base();
    hexz_open_options oo = HEXZ_OPEN_OPTIONS_INIT;
    oo.base_dir = "/proc/self/fd";
    oo.password = password;
    int rc = hexz_reader_open_opts(&s.r, path, &oo);
    if (rc != 0) {
        if (getenv("HEXZ_FUZZ_VERBOSE")) fprintf(stderr, "open %d: %s\n", rc, hexz_last_error());
        FZ_ASSERT(known_error(rc));
        close(fd);
        return;
    }
    unsigned n = hexz_reader_stream_count(s.r);
    FZ_ASSERT(n >= 1 && n <= 1024);
    rc = hexz_reader_verify(s.r, NULL, NULL);
    FZ_ASSERT(rc == 0 || rc == HEXZ_ECORRUPT || rc == HEXZ_ENOMEM);
    s.verified = rc == 0;
    if (getenv("HEXZ_FUZZ_VERBOSE"))
        fprintf(stderr, "open ok, %u streams, %llu files, %u bases, verify %d %s\n", n,
                (unsigned long long)hexz_reader_file_count(s.r), hexz_reader_chain_length(s.r), rc,
                rc ? hexz_last_error() : "");
    hexz_inspect_info ii = HEXZ_INSPECT_INFO_INIT;
    int irc = hexz_reader_inspect(s.r, &ii);
    FZ_ASSERT(irc == 0 || irc == HEXZ_ECORRUPT || irc == HEXZ_ENOMEM);
    if (s.verified) FZ_ASSERT(irc == 0);
    uint64_t total = 0, blocks = 0, main_size = 0;
    int has_main = 0;
    for (unsigned i = 0; i < n; i++) {
        hexz_stream_info info = HEXZ_STREAM_INFO_INIT;
        FZ_ASSERT(hexz_reader_stream_info(s.r, i, &info) == 0);
        total += info.size;
        blocks += info.block_count;
        if (strcmp(info.name, "main") == 0) {
            has_main = 1;
            main_size = info.size;
        }
        if (i < 4) check_stream(&s, i);
    }
    hexz_stream_info none = HEXZ_STREAM_INFO_INIT;
    FZ_ASSERT(hexz_reader_stream_info(s.r, n, &none) == HEXZ_ERANGE);
    if (irc == 0) {
        FZ_ASSERT(ii.stream_count == n && ii.logical_bytes == total && ii.blocks == blocks);
        FZ_ASSERT(ii.hole_blocks + ii.unique_blocks + ii.dedup_blocks + ii.base_blocks ==
                  ii.blocks);
        FZ_ASSERT(ii.chain_length == hexz_reader_chain_length(s.r));
        FZ_ASSERT(ii.raw_blocks + ii.lz4_blocks + ii.zstd_blocks == ii.unique_blocks);
        FZ_ASSERT(ii.file_size == size);
        FZ_ASSERT(ii.files + ii.dirs + ii.symlinks == hexz_reader_file_count(s.r));
    }
    uint64_t files = hexz_reader_file_count(s.r);
    for (uint64_t i = 0; i < files && i < 6; i++) check_file(&s, i, main_size);
    if (files > 6) check_file(&s, files - 1, main_size);
    hexz_file_info *f = malloc(sizeof *f);
    FZ_ASSERT(f != NULL);
    FZ_ASSERT(hexz_reader_file_at(s.r, files, f) == HEXZ_ERANGE);
    static const char *const absent[] = {"", "/", "zzzz/none", "\x01", "a/../b"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        rc = hexz_reader_file_lookup(s.r, absent[i], f);
        FZ_ASSERT(rc == HEXZ_ENOTFOUND || rc == HEXZ_ECORRUPT || rc == 0);
    }
    free(f);
    check_extract(&s, &ii, irc == 0, has_main, main_size);
    hexz_reader_free(s.r);
    close(fd);
}
