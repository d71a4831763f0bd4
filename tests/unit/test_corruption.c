/*
 * test_corruption.c - a damaged archive is refused, and never yields wrong bytes.
 *
 * docs/FORMAT.md §2 promises that every byte of an archive is covered by a checksum or hash and
 * that a flipped byte anywhere is found: at open (header, section table, sections) or by
 * hexz_reader_verify and by any read that touches it (index pages, manifest pages, blocks). This
 * file holds the library to that, region by region: the structures are located with the private
 * decoders of src/format/format.h and the reader API, one byte is flipped in each, and then
 * either open fails with HEXZ_ECORRUPT (HEXZ_EUNSUPPORTED is accepted for version and feature
 * bytes), or open succeeds, verify fails with HEXZ_ECORRUPT, reads of the damaged range fail,
 * and every read that does succeed returns the original bytes. Every byte of two tiny archives
 * (a 3-block stream and a small tree) is then flipped one at a time, proving that no byte goes
 * unchecked. Truncated archives, archives with trailing bytes, files that are not archives and
 * a directory are refused with the documented messages, each naming the file.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include "archive_fixtures.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "format/format.h"

/* ---- the fixture: a tree with a big fixed-4 KiB file (two index pages) -------------------------- */

#define BIG_BLOCKS 1100
#define BS 4096

static char *g_dir, *g_src, *g_archive, *g_work;
static uint8_t *g_stream; /* the archive's main stream, as packed */
static size_t g_stream_len;
static uint8_t *g_bytes; /* the archive file */
static size_t g_size;

/* Where things are, from the format decoders. */
typedef struct {
    hx_header header;
    hx_section sections[16];
    uint32_t section_count;
    hx_page_ref pages[8];
    uint32_t page_count;
    uint64_t mpage_offset[8];
    uint32_t mpage_length[8];
    uint32_t mpage_count;
} layout;

static layout g_layout;

static void parse_layout(const uint8_t *b, size_t size, layout *l)
{
    memset(l, 0, sizeof *l);
    AF_OK(hx_header_decode(&l->header, b, "fixture"));
    assert_int_equal(l->header.file_length, size);
    l->section_count = l->header.section_count;
    assert_true(l->section_count <= 16);
    for (uint32_t i = 0; i < l->section_count; i++) {
        hx_section *s = &l->sections[i];
        AF_OK(hx_section_decode(
            s, b + l->header.section_table_offset + (size_t)i * HX_SECTION_ENTRY_LEN, "fixture"));
        if (s->type == HX_SECTION_PAGE_DIR) {
            assert_int_equal(s->aux, 0);
            l->page_count = (uint32_t)(s->length / HX_PAGE_DIR_ENTRY_LEN);
            assert_true(l->page_count <= 8);
            for (uint32_t p = 0; p < l->page_count; p++)
                hx_page_ref_decode(&l->pages[p], b + s->offset + (size_t)p * HX_PAGE_DIR_ENTRY_LEN);
        }
        if (s->type == HX_SECTION_MANIFEST_DIR) {
            const uint8_t *m = b + s->offset;
            l->mpage_count = hx_get32(m + 8);
            assert_true(l->mpage_count <= 8);
            size_t pos = 12;
            for (uint32_t p = 0; p < l->mpage_count; p++) {
                l->mpage_offset[p] = hx_get64(m + pos);
                l->mpage_length[p] = hx_get32(m + pos + 8);
                pos += 8 + 4 + 4 + 8 + 32;
                pos += 2 + hx_get16(m + pos);
            }
            assert_int_equal(pos, s->length);
        }
    }
}

static const hx_section *section_of(const layout *l, uint32_t type)
{
    for (uint32_t i = 0; i < l->section_count; i++)
        if (l->sections[i].type == type) return &l->sections[i];
    fail_msg("no section of type %u", type);
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    g_dir = tu_mkdtemp("corrupt");
    g_src = tu_strf("%s/src", g_dir);
    g_archive = tu_strf("%s/fixture.hxz", g_dir);
    g_work = tu_strf("%s/damaged.hxz", g_dir);
    assert_int_equal(mkdir(g_src, 0755), 0);
    /* big.bin: 1100 random blocks, then 3 blocks repeating block 0 (dedup), then text. */
    size_t big = (BIG_BLOCKS + 3) * BS + 5000;
    uint8_t *d = af_malloc(big);
    tu_rng_fill(&rng, d, BIG_BLOCKS * BS);
    for (int i = 0; i < 3; i++) memcpy(d + (BIG_BLOCKS + i) * BS, d, BS);
    for (size_t i = 0; i < 5000; i++)
        d[(BIG_BLOCKS + 3) * BS + i] = (uint8_t)("compressible text "[i % 18]);
    char *p = tu_strf("%s/big.bin", g_src);
    tu_write_file(p, d, big);
    free(p);
    free(d);
    p = tu_strf("%s/sub", g_src);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
    p = tu_strf("%s/sub/notes.txt", g_src);
    tu_write_file(p, "notes notes notes notes notes notes notes notes\n", 48);
    free(p);
    p = tu_strf("%s/sub/link", g_src);
    assert_int_equal(symlink("../big.bin", p), 0);
    free(p);

    hexz_write_options o = af_fixed(BS, HEXZ_CODEC_LZ4, 0);
    AF_OK(hexz_pack_path(g_src, g_archive, &o));
    g_bytes = tu_read_file(g_archive, &g_size);
    parse_layout(g_bytes, g_size, &g_layout);
    assert_true(g_layout.page_count >= 2);
    assert_true(g_layout.mpage_count >= 1);

    hexz_reader *r = af_open(g_archive);
    af_verify_ok(r);
    g_stream_len = (size_t)af_stream_size(r, 0);
    g_stream = af_malloc(g_stream_len);
    size_t got;
    AF_OK(hexz_reader_read_at(r, 0, g_stream, g_stream_len, 0, &got));
    assert_int_equal(got, g_stream_len);
    hexz_reader_free(r);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(g_dir);
    free(g_dir);
    free(g_src);
    free(g_archive);
    free(g_work);
    free(g_bytes);
    free(g_stream);
    return 0;
}

/* ---- checking one damaged copy ---------------------------------------------------------------- */

/* The message of the last error names the archive. */
static void assert_names_path(const char *path, const char *what)
{
    if (!strstr(hexz_last_error(), path))
        fail_msg("%s: error message does not name %s: \"%s\"", what, path, hexz_last_error());
}

/* Reads the whole main stream in pieces; every successful piece must be the original bytes.
 * Returns how many pieces failed. */
static unsigned read_everything(hexz_reader *r, const char *path, const char *what)
{
    const size_t piece = 64 * 1024 + 7;
    uint8_t *buf = af_malloc(piece);
    unsigned failed = 0;
    for (size_t off = 0; off < g_stream_len; off += piece) {
        size_t n = g_stream_len - off < piece ? g_stream_len - off : piece, got = 0;
        int rc = hexz_reader_read_at(r, 0, buf, n, off, &got);
        if (rc) {
            if (rc != HEXZ_ECORRUPT) fail_msg("%s: read_at failed with %d, not ECORRUPT", what, rc);
            assert_names_path(path, what);
            failed++;
            continue;
        }
        assert_int_equal(got, n);
        af_assert_same(buf, g_stream + off, n, what);
    }
    free(buf);
    return failed;
}

typedef enum {
    EXPECT_OPEN_FAILS,  /* header, section table, sections */
    EXPECT_VERIFY_FAILS /* pages and blocks: found on use */
} expectation;

/* Writes the fixture with byte `off` flipped to g_work and checks the outcome. If the damage is
 * found only on use, [bad_off, bad_off + bad_len) of the stream must fail to read (bad_len 0:
 * no particular range). Returns the reader (or NULL if open failed) for further checks. */
/* g_work is kept as a copy of the fixture with at most one byte flipped, which the next
 * check_flip() flips back, instead of rewriting 4 MiB for every case. */
static int g_work_pristine_but_for = -2; /* -2: not a copy; -1: an exact copy; else the flip */

static void work_copy_with_flip(uint64_t off)
{
    if (g_work_pristine_but_for == -2) {
        tu_write_file(g_work, g_bytes, g_size);
    } else if (g_work_pristine_but_for >= 0) {
        tu_flip_byte(g_work, (uint64_t)g_work_pristine_but_for);
    }
    tu_flip_byte(g_work, off);
    g_work_pristine_but_for = (int)off;
}

/* For tests that write g_work themselves. */
static void work_dirty(void)
{
    g_work_pristine_but_for = -2;
}

static hexz_reader *check_flip(uint64_t off, expectation want, uint64_t bad_off, uint64_t bad_len,
                               const char *what)
{
    work_copy_with_flip(off);
    char label[160];
    snprintf(label, sizeof label, "%s (byte %llu)", what, (unsigned long long)off);
    hexz_reader *r = NULL;
    int rc = hexz_reader_open(&r, g_work);
    if (rc) {
        if (rc != HEXZ_ECORRUPT && rc != HEXZ_EUNSUPPORTED)
            fail_msg("%s: open failed with %d (%s), not ECORRUPT", label, rc, hexz_strerror(rc));
        assert_null(r);
        assert_names_path(g_work, label);
        if (want == EXPECT_VERIFY_FAILS)
            fail_msg("%s: expected open to succeed (lazy check), it failed: %s", label,
                     hexz_last_error());
        return NULL;
    }
    if (want == EXPECT_OPEN_FAILS) fail_msg("%s: open succeeded on a damaged archive", label);
    rc = hexz_reader_verify(r, NULL, NULL);
    if (rc != HEXZ_ECORRUPT) fail_msg("%s: verify returned %d, not HEXZ_ECORRUPT", label, rc);
    assert_names_path(g_work, label);
    if (bad_len) {
        uint8_t *buf = af_malloc(bad_len);
        size_t got = 12345;
        for (int again = 0; again < 2; again++) { /* not cached as good after a failure */
            rc = hexz_reader_read_at(r, 0, buf, bad_len, bad_off, &got);
            if (rc != HEXZ_ECORRUPT)
                fail_msg("%s: reading the damaged range [%llu, +%llu) gave %d", label,
                         (unsigned long long)bad_off, (unsigned long long)bad_len, rc);
            assert_int_equal(got, 12345);
        }
        free(buf);
    }
    read_everything(r, g_work, label);
    return r;
}

/* ---- region by region ------------------------------------------------------------------------- */

static void test_header(void **state)
{
    (void)state;
    const struct {
        uint64_t off;
        const char *what;
    } spots[] = {{0, "magic"},
                 {3, "magic"},
                 {7, "magic"},
                 {8, "major version"},
                 {9, "major version"},
                 {10, "minor version"},
                 {12, "header length"},
                 {16, "required features"},
                 {23, "required features"},
                 {24, "optional features"},
                 {32, "archive id"},
                 {47, "archive id"},
                 {48, "section table offset"},
                 {55, "section table offset"},
                 {56, "section count"},
                 {60, "reserved"},
                 {64, "root hash"},
                 {95, "root hash"},
                 {96, "file length"},
                 {103, "file length"},
                 {104, "reserved"},
                 {119, "reserved"},
                 {120, "checksum"},
                 {127, "checksum"}};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        check_flip(spots[i].off, EXPECT_OPEN_FAILS, 0, 0, spots[i].what);
        /* Only version and feature bytes may say "unsupported"; everything else is corrupt. */
        hexz_reader *r = NULL;
        int rc = hexz_reader_open(&r, g_work);
        if (rc == HEXZ_EUNSUPPORTED && !(spots[i].off >= 8 && spots[i].off < 12) &&
            !(spots[i].off >= 16 && spots[i].off < 24))
            fail_msg("header byte %llu (%s): HEXZ_EUNSUPPORTED instead of HEXZ_ECORRUPT",
                     (unsigned long long)spots[i].off, spots[i].what);
        if (spots[i].off < 8) {
            assert_int_equal(rc, HEXZ_ECORRUPT);
            assert_non_null(strstr(hexz_last_error(), "not a hexz archive"));
        }
    }
}

static void test_section_table(void **state)
{
    (void)state;
    const layout *l = &g_layout;
    const unsigned fields[] = {0, 3, 4, 8, 15, 16, 24, 28, 32, 63};
    for (uint32_t i = 0; i < l->section_count; i++) {
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            char what[64];
            snprintf(what, sizeof what, "section table entry %u (type %u) +%u", i,
                     l->sections[i].type, fields[f]);
            check_flip(l->header.section_table_offset + (uint64_t)i * HX_SECTION_ENTRY_LEN +
                           fields[f],
                       EXPECT_OPEN_FAILS, 0, 0, what);
        }
    }
}

static void test_sections(void **state)
{
    (void)state;
    const layout *l = &g_layout;
    const uint32_t types[] = {HX_SECTION_PARAMS, HX_SECTION_STREAMS, HX_SECTION_PAGE_DIR,
                              HX_SECTION_MANIFEST_DIR};
    const char *names[] = {"PARAMS", "STREAMS", "PAGE_DIR", "MANIFEST_DIR"};
    for (size_t t = 0; t < 4; t++) {
        const hx_section *s = section_of(l, types[t]);
        assert_true(s->length > 0);
        const uint64_t spots[] = {s->offset, s->offset + s->length / 2, s->offset + s->length - 1};
        for (size_t k = 0; k < 3; k++) check_flip(spots[k], EXPECT_OPEN_FAILS, 0, 0, names[t]);
    }
}

static void test_index_pages(void **state)
{
    (void)state;
    const layout *l = &g_layout;
    for (uint32_t p = 0; p < l->page_count; p++) {
        const hx_page_ref *ref = &l->pages[p];
        uint64_t first = ref->first_logical;
        uint64_t end = p + 1 < l->page_count ? l->pages[p + 1].first_logical : g_stream_len;
        /* The magic, the header, an entry's stored_offset, its content hash, the last byte. */
        const uint64_t rel[] = {0,
                                9,
                                16,
                                HX_PAGE_HEADER_LEN + 8,
                                HX_PAGE_HEADER_LEN + 72 * 5 + 40,
                                ref->page_length - 1};
        for (size_t k = 0; k < sizeof rel / sizeof rel[0]; k++) {
            char what[64];
            snprintf(what, sizeof what, "index page %u +%llu", p, (unsigned long long)rel[k]);
            hexz_reader *r = check_flip(ref->page_offset + rel[k], EXPECT_VERIFY_FAILS, first,
                                        end - first, what);
            /* block_at needs the page too; the other page still works. */
            hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
            assert_int_equal(hexz_reader_block_at(r, 0, ref->first_block, &b), HEXZ_ECORRUPT);
            uint32_t other = p == 0 ? 1 : 0;
            AF_OK(hexz_reader_block_at(r, 0, l->pages[other].first_block, &b));
            uint64_t ofirst = l->pages[other].first_logical;
            uint8_t buf[100];
            size_t got;
            AF_OK(hexz_reader_read_at(r, 0, buf, sizeof buf, ofirst, &got));
            af_assert_same(buf, g_stream + ofirst, got, "read from the intact page");
            hexz_reader_free(r);
        }
    }
}

static void test_manifest_page(void **state)
{
    (void)state;
    const layout *l = &g_layout;
    char *dest = tu_strf("%s/extract-out", g_dir);
    for (uint32_t p = 0; p < l->mpage_count; p++) {
        const uint64_t rel[] = {
            0, 4, 8, 16, 16 + 40, l->mpage_length[p] / 2, l->mpage_length[p] - 1};
        for (size_t k = 0; k < sizeof rel / sizeof rel[0]; k++) {
            char what[64];
            snprintf(what, sizeof what, "manifest page %u +%llu", p, (unsigned long long)rel[k]);
            hexz_reader *r = check_flip(l->mpage_offset[p] + rel[k], EXPECT_VERIFY_FAILS, 0, 0,
                                        what);
            /* The file count comes from the directory; the entries need the page. */
            assert_int_equal(hexz_reader_file_count(r), 4);
            hexz_file_info f;
            assert_int_equal(hexz_reader_file_at(r, 0, &f), HEXZ_ECORRUPT);
            assert_names_path(g_work, what);
            assert_int_equal(hexz_reader_file_lookup(r, "big.bin", &f), HEXZ_ECORRUPT);
            hexz_inspect_info info = HEXZ_INSPECT_INFO_INIT;
            assert_int_equal(hexz_reader_inspect(r, &info), HEXZ_ECORRUPT);
            assert_int_equal(hexz_extract(r, dest, NULL, NULL), HEXZ_ECORRUPT);
            tu_rmtree(dest);
            hexz_reader_free(r);
        }
    }
    free(dest);
}

static void test_blocks(void **state)
{
    (void)state;
    hexz_reader *r = af_open(g_archive);
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    AF_OK(hexz_reader_stream_info(r, 0, &si));
    /* First, middle, last of big.bin; block BIG_BLOCKS + 1 shares block 0's stored bytes; the
     * compressed text block; the very last block of the stream (notes.txt). */
    const uint64_t which[] = {0, BIG_BLOCKS / 2, BIG_BLOCKS - 1, BIG_BLOCKS + 3,
                              si.block_count - 1};
    hexz_block_info infos[5];
    for (size_t k = 0; k < 5; k++) {
        infos[k] = (hexz_block_info)HEXZ_BLOCK_INFO_INIT;
        AF_OK(hexz_reader_block_at(r, 0, which[k], &infos[k]));
    }
    hexz_block_info dup = HEXZ_BLOCK_INFO_INIT;
    AF_OK(hexz_reader_block_at(r, 0, BIG_BLOCKS + 1, &dup));
    assert_int_equal(dup.stored_offset, infos[0].stored_offset);
    assert_int_equal(infos[3].codec, HEXZ_CODEC_LZ4);
    hexz_reader_free(r);

    char *dest = tu_strf("%s/extract-out", g_dir);
    for (size_t k = 0; k < 5; k++) {
        const hexz_block_info *b = &infos[k];
        assert_false(b->is_hole);
        const uint64_t spots[] = {b->stored_offset, b->stored_offset + b->stored_length / 2,
                                  b->stored_offset + b->stored_length - 1};
        for (size_t s = 0; s < 3; s++) {
            char what[64];
            snprintf(what, sizeof what, "block %llu", (unsigned long long)which[k]);
            r = check_flip(spots[s], EXPECT_VERIFY_FAILS, b->logical_offset, b->logical_length,
                           what);
            /* One byte of the block is enough to fail. */
            uint8_t one;
            size_t got;
            assert_int_equal(
                hexz_reader_read_at(r, 0, &one, 1, b->logical_offset + b->logical_length - 1, &got),
                HEXZ_ECORRUPT);
            if (k == 0) {
                /* The entry that shares the damaged bytes fails too. */
                assert_int_equal(hexz_reader_read_at(r, 0, &one, 1, dup.logical_offset, &got),
                                 HEXZ_ECORRUPT);
            }
            /* A neighbouring intact block still reads correctly. */
            uint64_t nb = b->logical_offset >= BS ? b->logical_offset - BS
                                                  : b->logical_offset + BS * 2;
            uint8_t buf[BS];
            AF_OK(hexz_reader_read_at(r, 0, buf, 100, nb, &got));
            af_assert_same(buf, g_stream + nb, got, "neighbouring block");
            assert_int_equal(hexz_extract(r, dest, NULL, NULL), HEXZ_ECORRUPT);
            tu_rmtree(dest);
            hexz_reader_free(r);
        }
    }
    free(dest);
}

/* ---- every byte of tiny archives -------------------------------------------------------------- */

typedef struct {
    unsigned open_failed, verify_failed, unsupported;
} flip_stats;

/* Entries of a directory, not counting "." and "..". */
static unsigned dir_entries(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* Flips every byte of `archive` (xor `mask`) in turn; every copy must fail open or verify. For
 * stream archives, extraction must fail too and leave no output file. */
static flip_stats flip_every_byte(const char *archive, const char *work, uint8_t mask, int stream,
                                  const char *dest)
{
    size_t size;
    uint8_t *orig = tu_read_file(archive, &size);
    flip_stats st = {0};
    /* One copy, changed in place (rewriting a file from scratch thousands of times makes ext4
     * flush it every time). */
    tu_write_file(work, orig, size);
    int fd = open(work, O_RDWR);
    assert_true(fd >= 0);
    for (size_t off = 0; off < size; off++) {
        if (off > 0) assert_int_equal(pwrite(fd, &orig[off - 1], 1, (off_t)off - 1), 1);
        uint8_t b = orig[off] ^ mask;
        assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
        hexz_reader *r = NULL;
        int rc = hexz_reader_open(&r, work);
        if (rc) {
            if (rc != HEXZ_ECORRUPT && rc != HEXZ_EUNSUPPORTED)
                fail_msg("byte %zu ^ 0x%02x: open returned %d", off, mask, rc);
            if (!strstr(hexz_last_error(), work))
                fail_msg("byte %zu: message does not name the file: %s", off, hexz_last_error());
            st.open_failed++;
            st.unsupported += rc == HEXZ_EUNSUPPORTED;
            continue;
        }
        rc = hexz_reader_verify(r, NULL, NULL);
        if (rc != HEXZ_ECORRUPT)
            fail_msg("byte %zu of %zu ^ 0x%02x: verify returned %d on a damaged archive", off, size,
                     mask, rc);
        if (!strstr(hexz_last_error(), work))
            fail_msg("byte %zu: message does not name the file: %s", off, hexz_last_error());
        st.verify_failed++;
        if (stream) {
            assert_int_not_equal(hexz_extract(r, dest, NULL, NULL), 0);
            if (tu_file_size(dest) >= 0) fail_msg("byte %zu: extraction left a file behind", off);
            /* ...nor a temporary file: only the archive and the damaged copy are there. */
            char *parent = tu_strf("%.*s", (int)(strrchr(dest, '/') - dest), dest);
            if (dir_entries(parent) != 2)
                fail_msg("byte %zu: extraction left a temporary file", off);
            free(parent);
            read_everything(r, work, "tiny archive");
        }
        hexz_reader_free(r);
    }
    close(fd);
    free(orig);
    return st;
}

static void test_every_byte_stream(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 3);
    char *dir = tu_mkdtemp("corrupt-tiny");
    char *a = tu_strf("%s/tiny.hxz", dir), *w = tu_strf("%s/work.hxz", dir);
    char *dest = tu_strf("%s/out", dir);
    /* Three 256-byte blocks: random (stored raw), text (lz4), and a short random tail. */
    uint8_t data[256 * 2 + 100];
    tu_rng_fill(&rng, data, sizeof data);
    for (size_t i = 0; i < 256; i++) data[256 + i] = (uint8_t)("tiny "[i % 5]);
    hexz_write_options o = af_fixed(256, HEXZ_CODEC_LZ4, 0);
    af_pack_buffer(a, data, sizeof data, &o, 0);
    hexz_reader *r = af_open(a);
    af_verify_ok(r);
    hexz_inspect_info info = af_inspect(r);
    assert_int_equal(info.blocks, 3);
    assert_int_equal(info.lz4_blocks, 1);
    hexz_reader_free(r);
    /* read_everything compares with g_stream: point it at this archive's bytes meanwhile. */
    uint8_t *saved = g_stream;
    size_t saved_len = g_stream_len;
    g_stream = data;
    g_stream_len = sizeof data;
    flip_stats s1 = flip_every_byte(a, w, 0xFF, 1, dest);
    flip_stats s2 = flip_every_byte(a, w, 0x01, 1, dest);
    g_stream = saved;
    g_stream_len = saved_len;
    long long size = tu_file_size(a);
    printf("[ info     ] %lld-byte archive, every byte ^0xFF: %u refused at open (%u unsupported), "
           "%u by verify\n",
           size, s1.open_failed, s1.unsupported, s1.verify_failed);
    printf("[ info     ] every byte ^0x01: %u refused at open, %u by verify\n", s2.open_failed,
           s2.verify_failed);
    assert_int_equal(s1.open_failed + s1.verify_failed, size);
    assert_int_equal(s2.open_failed + s2.verify_failed, size);
    assert_true(s1.verify_failed >= 256 + 100); /* the raw blocks at least are checked lazily */
    free(a);
    free(w);
    free(dest);
    tu_rmtree(dir);
    free(dir);
}

static void test_every_byte_tree(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("corrupt-tinytree");
    char *a = tu_strf("%s/tree.hxz", dir), *w = tu_strf("%s/work.hxz", dir);
    hexz_writer *wr = NULL;
    hexz_write_options o = af_fixed(128, HEXZ_CODEC_ZSTD, 0);
    AF_OK(hexz_writer_create(&wr, a, &o));
    AF_OK(hexz_writer_add_dir(wr, "d", 0755, 1700000000, 1));
    AF_OK(hexz_writer_begin_file(wr, "d/f.txt", 0644, 1700000001, 2));
    AF_OK(hexz_writer_write(wr, "hello hexz, hello hexz, hello hexz, hello hexz\n", 47));
    AF_OK(hexz_writer_end_file(wr));
    AF_OK(hexz_writer_add_symlink(wr, "l", "d/f.txt", 1700000002, 3));
    AF_OK(hexz_writer_begin_file(wr, "e", 0600, 1700000003, 4));
    AF_OK(hexz_writer_end_file(wr));
    AF_OK(hexz_writer_finish(wr));
    hexz_writer_free(wr);
    hexz_reader *r = af_open(a);
    af_verify_ok(r);
    assert_int_equal(hexz_reader_file_count(r), 4);
    hexz_reader_free(r);
    flip_stats s = flip_every_byte(a, w, 0xFF, 0, NULL);
    long long size = tu_file_size(a);
    printf(
        "[ info     ] %lld-byte tree archive, every byte ^0xFF: %u refused at open, %u by verify\n",
        size, s.open_failed, s.verify_failed);
    assert_int_equal(s.open_failed + s.verify_failed, size);
    free(a);
    free(w);
    tu_rmtree(dir);
    free(dir);
}

/* ---- truncation, trailing bytes, non-archives ------------------------------------------------ */

static void expect_refused(const char *path, int code, const char *needle, const char *what)
{
    hexz_reader *r = (hexz_reader *)(uintptr_t)1;
    int rc = hexz_reader_open(&r, path);
    if (rc != code)
        fail_msg("%s: open returned %d (%s), expected %d; message: %s", what, rc, hexz_strerror(rc),
                 code, hexz_last_error());
    assert_true(r == (hexz_reader *)(uintptr_t)1); /* not written on failure */
    if (needle && !strstr(hexz_last_error(), needle))
        fail_msg("%s: message \"%s\" does not say \"%s\"", what, hexz_last_error(), needle);
    assert_names_path(path, what);
}

static void test_truncation(void **state)
{
    (void)state;
    work_dirty();
    const size_t lens[] = {0,
                           1,
                           7,
                           127,
                           128,
                           129,
                           g_size / 2,
                           g_size - 1,
                           g_size - 64,
                           g_size - 65,
                           (size_t)g_layout.header.section_table_offset};
    const size_t n = sizeof lens / sizeof lens[0];
    for (size_t i = 0; i < n; i++) {
        tu_write_file(g_work, g_bytes, lens[i]);
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu bytes", lens[i]);
        expect_refused(g_work, HEXZ_ECORRUPT, lens[i] < 128 ? "not a hexz archive" : "truncated",
                       what);
    }
    /* Every 997th length, written by shortening one copy step by step from the end. */
    tu_write_file(g_work, g_bytes, g_size);
    unsigned count = 0;
    for (size_t len = (g_size - 1) / 997 * 997;; len -= 997) {
        assert_int_equal(truncate(g_work, (off_t)len), 0);
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu bytes", len);
        expect_refused(g_work, HEXZ_ECORRUPT, len < 128 ? "not a hexz archive" : "truncated", what);
        count++;
        if (len < 997) break;
    }
    printf("[ info     ] %u + %zu truncated lengths refused\n", count, n);
}

static void test_trailing_bytes(void **state)
{
    (void)state;
    work_dirty();
    uint8_t *longer = af_malloc(g_size + 4096);
    memcpy(longer, g_bytes, g_size);
    memset(longer + g_size, 0, 4096);
    tu_write_file(g_work, longer, g_size + 1);
    expect_refused(g_work, HEXZ_ECORRUPT, "trailing", "one byte appended");
    tu_write_file(g_work, longer, g_size + 4096);
    expect_refused(g_work, HEXZ_ECORRUPT, "trailing", "4 KiB appended");
    /* Two archives concatenated. */
    free(longer);
    longer = af_malloc(2 * g_size);
    memcpy(longer, g_bytes, g_size);
    memcpy(longer + g_size, g_bytes, g_size);
    tu_write_file(g_work, longer, 2 * g_size);
    expect_refused(g_work, HEXZ_ECORRUPT, "trailing", "two archives concatenated");
    free(longer);
}

static void test_not_archives(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *p = tu_strf("%s/not-an-archive", g_dir);
    char text[4096];
    for (size_t i = 0; i < sizeof text; i++) text[i] = "Just some text, not an archive.\n"[i % 32];
    tu_write_file(p, text, sizeof text);
    expect_refused(p, HEXZ_ECORRUPT, "not a hexz archive", "text file");
    uint8_t rnd[4096];
    tu_rng_fill(&rng, rnd, sizeof rnd);
    rnd[0] = 0; /* not by chance the magic */
    tu_write_file(p, rnd, sizeof rnd);
    expect_refused(p, HEXZ_ECORRUPT, "not a hexz archive", "random bytes");
    tu_write_file(p, "", 0);
    expect_refused(p, HEXZ_ECORRUPT, "not a hexz archive", "empty file");
    memset(rnd, 0, sizeof rnd);
    tu_write_file(p, rnd, 128);
    expect_refused(p, HEXZ_ECORRUPT, "not a hexz archive", "128 zero bytes");
    /* The right magic and nothing else right. */
    memcpy(rnd, HX_MAGIC, HX_MAGIC_LEN);
    tu_write_file(p, rnd, sizeof rnd);
    expect_refused(p, HEXZ_ECORRUPT, NULL, "magic then zeros");
    /* The magic mangled by a text-mode transfer (CRLF -> LF). */
    uint8_t mangled[4096];
    memcpy(mangled, g_bytes, 4);
    memcpy(mangled + 4, g_bytes + 5, sizeof mangled - 4);
    tu_write_file(p, mangled, sizeof mangled);
    expect_refused(p, HEXZ_ECORRUPT, "not a hexz archive", "CRLF mangled");

    /* A directory: an error, no crash. */
    hexz_reader *r = NULL;
    int rc = hexz_reader_open(&r, g_dir);
    printf("[ info     ] opening a directory: %d (%s): %s\n", rc, hexz_strerror(rc),
           hexz_last_error());
    assert_true(rc < 0);
    assert_null(r);
    assert_names_path(g_dir, "directory");
    /* A path that does not exist. */
    char *missing = tu_strf("%s/no-such-file.hxz", g_dir);
    rc = hexz_reader_open(&r, missing);
    assert_int_equal(rc, HEXZ_ENOTFOUND);
    assert_names_path(missing, "missing file");
    assert_int_equal(hexz_reader_open(&r, NULL), HEXZ_EINVAL);
    assert_int_equal(hexz_reader_open(NULL, g_archive), HEXZ_EINVAL);
    free(missing);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_section_table),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_index_pages),
        cmocka_unit_test(test_manifest_page),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_every_byte_stream),
        cmocka_unit_test(test_every_byte_tree),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_not_archives),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
