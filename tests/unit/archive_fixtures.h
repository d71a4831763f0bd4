/*
 * archive_fixtures.h - header-only helpers shared by the library-level archive tests
 * (test_roundtrip, test_read_at, test_dedup, test_tree, test_corruption): building write
 * options, packing buffers through the writer API or through hexz_pack_path, opening readers,
 * and reading a stream or a whole file back for byte-for-byte comparison.
 *
 * Every function is `static inline` so that a test that uses only some of them compiles cleanly
 * under -Wunused-function -Werror; the CMake glob only builds tests/unit/test_*.c, so this file
 * cannot have a .c partner.
 */
#ifndef HEXZ_ARCHIVE_FIXTURES_H
#define HEXZ_ARCHIVE_FIXTURES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexz.h"
#include "testutil.h"

/* Fails the test with the library's last error message when `expr` is not HEXZ_OK. */
#define AF_OK(expr)                                                                                \
    do {                                                                                           \
        int af_rc_ = (expr);                                                                       \
        if (af_rc_ != 0)                                                                           \
            fail_msg("%s failed: %d (%s): %s", #expr, af_rc_, hexz_strerror(af_rc_),               \
                     hexz_last_error());                                                           \
    } while (0)

static inline void *af_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

static inline void *af_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    assert_non_null(p);
    return p;
}

/* Options for fixed chunking of `block_size` bytes. */
static inline hexz_write_options af_fixed(uint32_t block_size, hexz_codec codec, int level)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = block_size;
    o.codec = codec;
    o.level = level;
    return o;
}

/* Options for FastCDC chunking. */
static inline hexz_write_options af_cdc(uint32_t min, uint32_t avg, uint32_t max, hexz_codec codec,
                                        int level)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_CDC;
    o.min_size = min;
    o.avg_size = avg;
    o.max_size = max;
    o.codec = codec;
    o.level = level;
    return o;
}

/* Writes data[0..len) through the writer API in pieces of `piece` bytes (0: one call). */
static inline void af_pack_buffer(const char *archive, const void *data, size_t len,
                                  const hexz_write_options *opts, size_t piece)
{
    hexz_writer *w = NULL;
    AF_OK(hexz_writer_create(&w, archive, opts));
    const uint8_t *p = data;
    if (piece == 0) piece = len ? len : 1;
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        AF_OK(hexz_writer_write(w, p + off, n));
    }
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
}

/* Packs data[0..len) with `opts`, as a thin archive against `base` when it is not NULL (its
 * chunking copied with hexz_base_chunking first, so that chunks line up). */
static inline void af_pack_on_base(const char *archive, const char *base, const void *data,
                                   size_t len, const hexz_write_options *opts)
{
    hexz_write_options o = *opts;
    if (base) {
        AF_OK(hexz_base_chunking(base, &o));
        o.base = base;
    }
    af_pack_buffer(archive, data, len, &o, 0);
}

/* Writes data to `input` and packs that file with hexz_pack_path. */
static inline void af_pack_via_file(const char *input, const char *archive, const void *data,
                                    size_t len, const hexz_write_options *opts)
{
    tu_write_file(input, data, len);
    AF_OK(hexz_pack_path(input, archive, opts));
}

static inline hexz_reader *af_open(const char *archive)
{
    hexz_reader *r = NULL;
    AF_OK(hexz_reader_open(&r, archive));
    assert_non_null(r);
    return r;
}

static inline unsigned af_main_stream(hexz_reader *r)
{
    unsigned s = 0;
    AF_OK(hexz_reader_find_stream(r, "main", &s));
    return s;
}

static inline uint64_t af_stream_size(hexz_reader *r, unsigned stream)
{
    hexz_stream_info info = HEXZ_STREAM_INFO_INIT;
    AF_OK(hexz_reader_stream_info(r, stream, &info));
    return info.size;
}

/* Asserts that two buffers are equal, naming the first differing offset on failure. */
static inline void af_assert_same(const uint8_t *got, const uint8_t *want, size_t len,
                                  const char *what)
{
    if (len == 0 || memcmp(got, want, len) == 0) return;
    size_t i = 0;
    while (got[i] == want[i]) i++;
    fail_msg("%s: bytes differ at offset %zu of %zu (got 0x%02x, want 0x%02x)", what, i, len,
             got[i], want[i]);
}

/* Reads all of stream `stream` with hexz_reader_read_at in reads of `step` bytes and compares it
 * with want[0..len); also checks the stream's size and that a read at the end returns 0. */
static inline void af_assert_stream(hexz_reader *r, unsigned stream, const uint8_t *want,
                                    size_t len, size_t step, const char *what)
{
    assert_int_equal(af_stream_size(r, stream), len);
    uint8_t *buf = af_malloc(len);
    if (step == 0) step = len ? len : 1;
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step, got = (size_t)-1;
        AF_OK(hexz_reader_read_at(r, stream, buf + off, n, off, &got));
        assert_int_equal(got, n);
    }
    af_assert_same(buf, want, len, what);
    uint8_t extra[16];
    size_t got = 99;
    AF_OK(hexz_reader_read_at(r, stream, extra, sizeof extra, len, &got));
    assert_int_equal(got, 0);
    free(buf);
}

/* Asserts that the file at `path` holds exactly want[0..len). */
static inline void af_assert_file(const char *path, const uint8_t *want, size_t len)
{
    size_t n = 0;
    uint8_t *got = tu_read_file(path, &n);
    assert_int_equal(n, len);
    af_assert_same(got, want, len, path);
    free(got);
}

static inline void af_verify_ok(hexz_reader *r)
{
    AF_OK(hexz_reader_verify(r, NULL, NULL));
}

static inline hexz_inspect_info af_inspect(hexz_reader *r)
{
    hexz_inspect_info info = HEXZ_INSPECT_INFO_INIT;
    AF_OK(hexz_reader_inspect(r, &info));
    return info;
}

/* The number of index pages of an archive with one stream of `blocks` entries, from inspect's
 * index_bytes = pages * (32 + 64) + blocks * 72 (page headers, page directory entries, entries;
 * docs/FORMAT.md §8-§9). */
static inline uint64_t af_index_pages(const hexz_inspect_info *info)
{
    uint64_t entries = info->blocks * 72u;
    assert_true(info->index_bytes >= entries);
    assert_int_equal((info->index_bytes - entries) % 96u, 0);
    return (info->index_bytes - entries) / 96u;
}

/* Fills buf with content that mixes text, zeros, random bytes and repeats, in segments of
 * random length, so that chunking, holes, dedup and compression all get exercised. */
static inline void af_fill_mixed(tu_rng *rng, uint8_t *buf, size_t len)
{
    static const char text[] =
        "hexz: seekable, deduplicated, compressed snapshot archives. The quick brown fox jumps "
        "over the lazy dog; pack it, read it back, and check every byte.\n";
    size_t pos = 0;
    while (pos < len) {
        size_t seg = 1 + (size_t)tu_rng_below(rng, 300000);
        if (seg > len - pos) seg = len - pos;
        switch (tu_rng_below(rng, 4)) {
        case 0: /* text */
            for (size_t i = 0; i < seg; i++)
                buf[pos + i] = (uint8_t)text[(pos + i) % (sizeof text - 1)];
            break;
        case 1: /* zeros */ memset(buf + pos, 0, seg); break;
        case 2: /* random */ tu_rng_fill(rng, buf + pos, seg); break;
        default: /* a repeat of earlier content, if there is any */
            if (pos > 0) {
                size_t src = (size_t)tu_rng_below(rng, pos);
                for (size_t i = 0; i < seg; i++) buf[pos + i] = buf[src + i];
            } else {
                tu_rng_fill(rng, buf + pos, seg);
            }
            break;
        }
        pos += seg;
    }
}

#endif
