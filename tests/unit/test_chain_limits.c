/*
 * test_chain_limits.c - thin archives at the edges of the chain rules (docs/FORMAT.md §13), through
 * the library and the CLI:
 *
 * - the depth limit at pack time: a base whose chain already has 16 levels is refused before
 *   anything is written (the archive would have 17 and could never be opened), by the writer and
 *   by `hexz pack --base`, with the exact message and no output file;
 * - the depth limit at open time: an archive whose chain is too deep (made by patching its BASES
 *   record, as an older hexz could write it) is refused with an error naming the archive that
 *   was opened and the level where the limit was hit, not the deep base;
 * - the kind of file a base path names: a FIFO, a directory or a device planted where the base
 *   should be is refused from stat(2), without being opened (inotify sees no open) and without
 *   blocking (alarm() fails the test instead of hanging), for a thin archive's recorded base and
 *   for `pack --base`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/format.h"
#include "hash/hash.h"
#include "hexz.h"

#define BLOCK 4096u
#define CHAIN 16 /* the deepest chain of bases a reader follows */

/* Block i of every version: the same bytes in all of them, so each level adds one new block. */
static void block_data(uint32_t i, uint8_t *out)
{
    tu_rng rng;
    tu_rng_seed(&rng, 0x5eed0000u + i);
    tu_rng_fill(&rng, out, BLOCK);
}

/* Packs blocks 0..blocks-1 into `path` (thin against `base` if set); returns the writer's result
 * (the message is in hexz_last_error()). */
static int pack_blocks(const char *path, const char *base, uint32_t blocks)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = BLOCK;
    o.codec = HEXZ_CODEC_NONE;
    o.threads = 1;
    o.base = base;
    hexz_writer *w;
    int rc = hexz_writer_create(&w, path, &o);
    if (rc) return rc;
    uint8_t data[BLOCK];
    for (uint32_t i = 0; i < blocks && !rc; i++) {
        block_data(i, data);
        rc = hexz_writer_write(w, data, BLOCK);
    }
    if (!rc) rc = hexz_writer_finish(w);
    hexz_writer_free(w);
    return rc;
}

static char *version_path(const char *dir, int i)
{
    return tu_strf("%s/v%02d.hxz", dir, i);
}

/* v00 (self-contained) <- v01 <- ... <- v16: v16 has 16 bases, the most a reader follows. */
static void make_chain(const char *dir)
{
    for (int i = 0; i <= CHAIN; i++) {
        char *p = version_path(dir, i), *base = i ? version_path(dir, i - 1) : NULL;
        int rc = pack_blocks(p, base, (uint32_t)i + 1);
        if (rc) fail_msg("pack %s: %s", p, hexz_last_error());
        free(p);
        free(base);
    }
    char *top = version_path(dir, CHAIN);
    hexz_reader *r;
    if (hexz_reader_open(&r, top)) fail_msg("open %s: %s", top, hexz_last_error());
    assert_int_equal(hexz_reader_chain_length(r), CHAIN);
    hexz_reader_free(r);
    free(top);
}

/* Number of entries in `dir` (besides . and ..): nothing may be left behind. */
static int count_entries(const char *dir)
{
    char *cmd = tu_strf("ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    free(cmd);
    return n;
}

static void test_pack_refuses_a_17th_level(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("chainlim");
    make_chain(dir);
    char *top = version_path(dir, CHAIN), *out = tu_strf("%s/v17.hxz", dir);
    int before = count_entries(dir);

    /* The library: refused at create, before any byte is written. */
    int rc = pack_blocks(out, top, CHAIN + 2);
    assert_int_equal(rc, HEXZ_EINVAL);
    char *want = tu_strf(
        "%s: the base chain would be 17 levels deep; the limit is 16 (flatten %s first)", top, top);
    assert_string_equal(hexz_last_error(), want);
    assert_int_equal(tu_file_size(out), -1);
    assert_int_equal(count_entries(dir), before);
    free(want);

    /* The CLI: the same, as one line, exit 1, no output file; --force does not change it. */
    char *input = tu_strf("%s/input.bin", dir);
    uint8_t data[BLOCK];
    block_data(99, data);
    tu_write_file(input, data, sizeof data);
    want = tu_strf("hexz pack: %s: the base chain would be 17 levels deep; the limit is 16 "
                   "(flatten %s first)\n",
                   top, top);
    free(tu_hexz_expect(1, want, "pack", input, "-o", out, "--base", top, NULL));
    free(tu_hexz_expect(1, want, "pack", input, "-o", out, "--base", top, "--force", NULL));
    assert_int_equal(tu_file_size(out), -1);
    assert_int_equal(count_entries(dir), before + 1);

    /* One level less is fine: on v15 the new archive has 16 levels and opens. */
    char *v15 = version_path(dir, CHAIN - 1);
    free(tu_hexz_expect(0, "", "pack", input, "-o", out, "--base", v15, "-q", NULL));
    free(tu_hexz_expect(0, "", "verify", out, NULL));
    tu_rmtree(dir);
    free(dir);
    free(top);
    free(out);
    free(want);
    free(input);
    free(v15);
}

/* Rewrites the BASES record of `path` in place to name `base` (id and root hash from it) by
 * `rel`, which must be as long as the recorded path, then recomputes the section hash, the root
 * hash and the header checksum: an archive as an older writer could have made it. */
static void repoint_base(const char *path, const char *base, const char *rel)
{
    hexz_reader *b;
    if (hexz_reader_open(&b, base)) fail_msg("open %s: %s", base, hexz_last_error());
    hexz_inspect_info bi = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_inspect(b, &bi), 0);
    hexz_reader_free(b);

    size_t len;
    uint8_t *img = tu_read_file(path, &len);
    hx_header h;
    assert_int_equal(hx_header_decode(&h, img, path), 0);
    uint8_t *table = img + h.section_table_offset;
    int found = 0;
    for (uint32_t i = 0; i < h.section_count; i++) {
        hx_section s;
        uint8_t *entry = table + (size_t)i * HX_SECTION_ENTRY_LEN;
        assert_int_equal(hx_section_decode(&s, entry, path), 0);
        if (s.type != HX_SECTION_BASES) continue;
        hx_base_ref ref;
        memset(&ref, 0, sizeof ref);
        memcpy(ref.archive_id, bi.archive_id, HX_ARCHIVE_ID_LEN);
        memcpy(ref.root_hash, bi.root_hash, HX_HASH_LEN);
        snprintf(ref.path, sizeof ref.path, "%s", rel);
        uint8_t sec[4 + HX_ARCHIVE_ID_LEN + HX_HASH_LEN + 2 + 256];
        size_t n = hx_bases_encode(&ref, sec, sizeof sec);
        assert_int_equal(n, s.length);
        memcpy(img + s.offset, sec, n);
        hx_hash(sec, n, s.hash);
        hx_section_encode(&s, entry);
        found = 1;
    }
    assert_true(found);
    uint8_t hb[HX_HEADER_LEN];
    hx_header_encode(&h, hb);
    hx_root_hash(hb, table, h.section_count, h.root_hash);
    hx_header_encode(&h, img);
    tu_write_file(path, img, len);
    free(img);
}

static void test_open_names_the_archive_whose_chain_is_too_deep(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("chainlim");
    make_chain(dir);
    /* v17 made on v15 (16 levels), then pointed at v16: 17 levels, as hexz before the pack-time
     * check could write it. */
    char *v15 = version_path(dir, CHAIN - 1), *v16 = version_path(dir, CHAIN);
    char *v17 = tu_strf("%s/v17.hxz", dir), *v01 = version_path(dir, 1);
    assert_int_equal(pack_blocks(v17, v15, CHAIN + 2), 0);
    repoint_base(v17, v16, "v16.hxz");

    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, v17), HEXZ_ECORRUPT);
    char *want = tu_strf(
        "%s: the chain of bases is more than 16 levels deep (the base at level 16, %s, "
        "has a base of its own)",
        v17, v01);
    assert_string_equal(hexz_last_error(), want);
    char *line = tu_strf("hexz cat: %s\n", want);
    free(tu_hexz_expect(1, line, "cat", v17, NULL));
    free(line);
    line = tu_strf("hexz verify: %s\n", want);
    free(tu_hexz_expect(1, line, "verify", v17, NULL));
    /* And as a base: the archive that cannot be opened is the one named. */
    char *input = tu_strf("%s/input.bin", dir), *out = tu_strf("%s/v18.hxz", dir);
    uint8_t data[BLOCK];
    block_data(7, data);
    tu_write_file(input, data, sizeof data);
    free(line);
    line = tu_strf("hexz pack: %s\n", want);
    free(tu_hexz_expect(1, line, "pack", input, "-o", out, "--base", v17, NULL));
    assert_int_equal(tu_file_size(out), -1);
    tu_rmtree(dir);
    free(dir);
    free(v15);
    free(v16);
    free(v17);
    free(v01);
    free(want);
    free(line);
    free(input);
    free(out);
}

/* Watches `path` for opens; returns the inotify descriptor. */
static int watch_opens(const char *path)
{
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    assert_true(fd >= 0);
    if (inotify_add_watch(fd, path, IN_OPEN) < 0)
        fail_msg("inotify_add_watch %s: %s", path, strerror(errno));
    return fd;
}

/* How many open events arrived since watch_opens(). */
static int opens_seen(int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int n = 0;
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got <= 0) break;
        for (char *p = buf; p < buf + got;
             p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
            n++;
    }
    close(fd);
    return n;
}

typedef enum { PLANT_FIFO, PLANT_DIR, PLANT_DEVICE } plant_kind;

static const char *const plant_words[] = {"a FIFO", "a directory", "a character device"};

/* Puts a FIFO, a directory or (through a symlink) /dev/null at `path`. */
static void plant(const char *path, plant_kind k)
{
    if (k == PLANT_FIFO) assert_int_equal(mkfifo(path, 0600), 0);
    if (k == PLANT_DIR) assert_int_equal(mkdir(path, 0700), 0);
    if (k == PLANT_DEVICE) assert_int_equal(symlink("/dev/null", path), 0);
}

static void unplant(const char *path, plant_kind k)
{
    assert_int_equal(k == PLANT_DIR ? rmdir(path) : unlink(path), 0);
}

static void test_base_that_is_not_a_regular_file(void **state)
{
    (void)state;
    alarm(60); /* a base open that blocks fails the test instead of hanging it */
    char *dir = tu_mkdtemp("chainlim");
    char *base = tu_strf("%s/base.hxz", dir), *thin = tu_strf("%s/thin.hxz", dir);
    char *saved = tu_strf("%s/saved.hxz", dir), *input = tu_strf("%s/input.bin", dir);
    char *out = tu_strf("%s/out.hxz", dir);
    assert_int_equal(pack_blocks(base, NULL, 3), 0);
    assert_int_equal(pack_blocks(thin, base, 5), 0);
    assert_int_equal(rename(base, saved), 0);
    uint8_t data[BLOCK];
    block_data(3, data);
    tu_write_file(input, data, sizeof data);

    for (plant_kind k = PLANT_FIFO; k <= PLANT_DEVICE; k++) {
        plant(base, k);
        int watch = k == PLANT_DEVICE ? -1 : watch_opens(base);
        /* The thin archive's recorded base. */
        hexz_reader *r;
        assert_int_equal(hexz_reader_open(&r, thin), HEXZ_EINVAL);
        char *want = tu_strf("%s: base archive %s is %s, not a regular file", thin, base,
                             plant_words[k]);
        assert_string_equal(hexz_last_error(), want);
        char *line = tu_strf("hexz ls: %s\n", want);
        free(tu_hexz_expect(1, line, "ls", thin, NULL));
        free(line);
        free(want);
        /* pack --base naming it. */
        want = tu_strf("hexz pack: %s: base archive is %s, not a regular file\n", base,
                       plant_words[k]);
        free(tu_hexz_expect(1, want, "pack", input, "-o", out, "--base", base, NULL));
        free(want);
        assert_int_equal(tu_file_size(out), -1);
        /* Opened as an archive itself. */
        want = k == PLANT_DIR
                   ? tu_strf("hexz ls: %s: is a directory, not an archive\n", base)
                   : tu_strf("hexz ls: %s: is %s, not a regular file\n", base, plant_words[k]);
        free(tu_hexz_expect(1, want, "ls", base, NULL));
        free(want);
        if (watch >= 0) assert_int_equal(opens_seen(watch), 0);
        unplant(base, k);
    }
    /* The real base back: everything works again. */
    assert_int_equal(rename(saved, base), 0);
    free(tu_hexz_expect(0, NULL, "verify", thin, NULL));
    alarm(0);
    tu_rmtree(dir);
    free(dir);
    free(base);
    free(thin);
    free(saved);
    free(input);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_refuses_a_17th_level),
        cmocka_unit_test(test_open_names_the_archive_whose_chain_is_too_deep),
        cmocka_unit_test(test_base_that_is_not_a_regular_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
