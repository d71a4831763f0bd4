/*
 * test_roundtrip.c - what goes into an archive comes back out, byte for byte.
 *
 * Every case packs the same bytes twice, through the writer API (hexz_writer_create / write /
 * finish) and through hexz_pack_path on a file, then reads each archive back with
 * hexz_reader_read_at and with hexz_extract, runs hexz_reader_verify, and checks the block
 * structure that the options promise (fixed block lengths, CDC chunk bounds, index pages of 1024
 * entries, codecs). The inputs sit on the edges where off-by-one mistakes live: empty, one byte,
 * block size +-1 for fixed and CDC chunking, 1023/1024/1025 blocks around an index page,
 * all-zero input, and a 4 GiB sparse file whose holes must stay holes both in the archive and
 * in the extracted file. Writes delivered in odd-sized pieces (1, 7, 1 MiB + 3 bytes) must give
 * the same blocks as one big write, since chunking must not depend on the caller's buffering.
 * Failed, canceled and misused packing must leave no archive and no temporary file behind.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include "archive_fixtures.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------------- */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Asserts that two archives hold the same blocks (offsets, lengths, kinds and content hashes). */
static void assert_same_blocks(hexz_reader *a, hexz_reader *b, const char *what)
{
    unsigned sa = af_main_stream(a), sb = af_main_stream(b);
    hexz_stream_info ia = HEXZ_STREAM_INFO_INIT, ib = HEXZ_STREAM_INFO_INIT;
    AF_OK(hexz_reader_stream_info(a, sa, &ia));
    AF_OK(hexz_reader_stream_info(b, sb, &ib));
    assert_int_equal(ia.size, ib.size);
    if (ia.block_count != ib.block_count)
        fail_msg("%s: %llu blocks vs %llu", what, (unsigned long long)ia.block_count,
                 (unsigned long long)ib.block_count);
    for (uint64_t i = 0; i < ia.block_count; i++) {
        hexz_block_info x = HEXZ_BLOCK_INFO_INIT, y = HEXZ_BLOCK_INFO_INIT;
        AF_OK(hexz_reader_block_at(a, sa, i, &x));
        AF_OK(hexz_reader_block_at(b, sb, i, &y));
        if (x.logical_offset != y.logical_offset || x.logical_length != y.logical_length ||
            x.is_hole != y.is_hole || memcmp(x.content_hash, y.content_hash, 32) != 0)
            fail_msg("%s: block %llu differs", what, (unsigned long long)i);
    }
}

/* Checks the block list of a stream against the rules of the chunking options: blocks tile the
 * stream; every block is stored and non-empty; fixed blocks are block_size long except the last
 * (when no holes merge them); CDC chunks are min+1..max except the last. Only for inputs without
 * zero runs (random data), where every block is stored. */
static void assert_chunk_shape(hexz_reader *r, const hexz_write_options *o, size_t len)
{
    unsigned s = af_main_stream(r);
    hexz_stream_info info = HEXZ_STREAM_INFO_INIT;
    AF_OK(hexz_reader_stream_info(r, s, &info));
    uint64_t pos = 0;
    for (uint64_t i = 0; i < info.block_count; i++) {
        hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
        AF_OK(hexz_reader_block_at(r, s, i, &b));
        assert_int_equal(b.logical_offset, pos);
        assert_false(b.is_hole);
        assert_true(b.logical_length > 0);
        assert_true(b.stored_offset >= 128);
        int last = i + 1 == info.block_count;
        if (o->chunking == HEXZ_CHUNK_FIXED) {
            if (!last) assert_int_equal(b.logical_length, o->block_size);
            else assert_true(b.logical_length <= o->block_size);
        } else {
            assert_true(b.logical_length <= o->max_size);
            if (o->min_size == o->max_size && !last)
                assert_int_equal(b.logical_length, o->max_size);
            else if (!last && b.logical_length <= o->min_size)
                fail_msg("CDC block %llu is %u bytes, not above min_size %u", (unsigned long long)i,
                         b.logical_length, o->min_size);
        }
        pos += b.logical_length;
    }
    assert_int_equal(pos, len);
    if (o->chunking == HEXZ_CHUNK_FIXED)
        assert_int_equal(info.block_count, (len + o->block_size - 1) / o->block_size);
    hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
    assert_int_equal(hexz_reader_block_at(r, s, info.block_count, &b), HEXZ_ERANGE);
}

/* Reads one archive back every way and checks it: read_at in one piece and in odd steps,
 * verify, inspect figures, extract to a file. */
static void check_archive(const char *archive, const char *extract_to, const uint8_t *data,
                          size_t len, const hexz_write_options *o)
{
    hexz_reader *r = af_open(archive);
    assert_int_equal(hexz_reader_stream_count(r), 1);
    assert_int_equal(hexz_reader_file_count(r), 0);
    unsigned s = af_main_stream(r);
    assert_int_equal(s, 0);
    af_assert_stream(r, s, data, len, 0, archive);
    af_assert_stream(r, s, data, len, 4093, archive);
    af_verify_ok(r);
    hexz_inspect_info info = af_inspect(r);
    assert_int_equal(info.format_major, HEXZ_FORMAT_MAJOR);
    assert_int_equal(info.logical_bytes, len);
    assert_int_equal(info.file_size, (uint64_t)tu_file_size(archive));
    assert_int_equal(info.chunking, o->chunking);
    assert_int_equal(info.codec, o->codec);
    assert_int_equal(info.level, o->level);
    if (o->chunking == HEXZ_CHUNK_FIXED) {
        assert_int_equal(info.block_size, o->block_size);
        assert_int_equal(info.max_size, o->block_size);
    } else {
        assert_int_equal(info.min_size, o->min_size);
        assert_int_equal(info.avg_size, o->avg_size);
        assert_int_equal(info.max_size, o->max_size);
    }
    assert_int_equal(info.unique_blocks, info.raw_blocks + info.lz4_blocks + info.zstd_blocks);
    assert_int_equal(info.blocks, info.hole_blocks + info.unique_blocks + info.dedup_blocks);
    assert_int_equal(info.logical_bytes,
                     info.hole_bytes + info.unique_logical_bytes + info.dedup_bytes);
    if (o->codec == HEXZ_CODEC_NONE) {
        assert_int_equal(info.raw_blocks, info.unique_blocks);
        assert_int_equal(info.stored_bytes, info.unique_logical_bytes);
    }
    AF_OK(hexz_extract(r, extract_to, NULL, NULL));
    af_assert_file(extract_to, data, len);
    assert_int_equal(unlink(extract_to), 0);
    hexz_reader_free(r);
}

/* The full round trip of one input under one set of options: writer API and pack_path. Leaves
 * the writer-API archive at dir/w.hxz for callers that inspect it further. */
static void roundtrip(const char *dir, const uint8_t *data, size_t len, const hexz_write_options *o,
                      int random_data)
{
    char *aw = tu_strf("%s/w.hxz", dir), *ap = tu_strf("%s/p.hxz", dir);
    char *in = tu_strf("%s/input", dir), *out = tu_strf("%s/out", dir);
    af_pack_buffer(aw, data, len, o, 0);
    af_pack_via_file(in, ap, data, len, o);
    check_archive(aw, out, data, len, o);
    check_archive(ap, out, data, len, o);
    hexz_reader *rw = af_open(aw), *rp = af_open(ap);
    assert_same_blocks(rw, rp, "writer API vs hexz_pack_path");
    if (random_data) {
        assert_chunk_shape(rw, o, len);
        assert_chunk_shape(rp, o, len);
    }
    hexz_reader_free(rw);
    hexz_reader_free(rp);
    unlink(in);
    free(aw);
    free(ap);
    free(in);
    free(out);
}

static uint8_t *random_bytes(tu_rng *rng, size_t len)
{
    uint8_t *p = af_malloc(len);
    tu_rng_fill(rng, p, len);
    return p;
}

/* Text-like, highly repetitive content. */
static uint8_t *repetitive_bytes(size_t len)
{
    static const char line[] = "2026-01-01T00:00:00Z host hexz[42]: INFO block cache hit\n";
    uint8_t *p = af_malloc(len);
    for (size_t i = 0; i < len; i++) p[i] = (uint8_t)line[i % (sizeof line - 1)];
    return p;
}

/* ---- tests ------------------------------------------------------------------------------------ */

/* Empty input, written without any write call, and an empty file. */
static void test_empty(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("rt-empty");
    hexz_write_options o = af_fixed(4096, HEXZ_CODEC_LZ4, 0);
    roundtrip(dir, (const uint8_t *)"", 0, &o, 1);
    o = af_cdc(16384, 65536, 262144, HEXZ_CODEC_ZSTD, 0);
    roundtrip(dir, (const uint8_t *)"", 0, &o, 1);
    /* An archive with no write call at all. */
    char *a = tu_strf("%s/nowrite.hxz", dir);
    hexz_writer *w = NULL;
    AF_OK(hexz_writer_create(&w, a, NULL));
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
    hexz_reader *r = af_open(a);
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    AF_OK(hexz_reader_stream_info(r, 0, &si));
    assert_string_equal(si.name, "main");
    assert_int_equal(si.size, 0);
    assert_int_equal(si.block_count, 0);
    size_t got = 7;
    uint8_t b;
    AF_OK(hexz_reader_read_at(r, 0, &b, 1, 0, &got));
    assert_int_equal(got, 0);
    AF_OK(hexz_reader_read_at(r, 0, NULL, 0, 0, &got));
    assert_int_equal(got, 0);
    af_verify_ok(r);
    hexz_reader_free(r);
    free(a);
    tu_rmtree(dir);
    free(dir);
}

/* One byte, non-zero and zero (a one-byte hole). */
static void test_one_byte(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("rt-one");
    const hexz_codec codecs[] = {HEXZ_CODEC_NONE, HEXZ_CODEC_LZ4, HEXZ_CODEC_ZSTD};
    for (size_t c = 0; c < 3; c++) {
        hexz_write_options o = af_fixed(4096, codecs[c], 0);
        roundtrip(dir, (const uint8_t *)"x", 1, &o, 1);
        o = af_cdc(16384, 65536, 262144, codecs[c], 0);
        roundtrip(dir, (const uint8_t *)"x", 1, &o, 1);
        roundtrip(dir, (const uint8_t *)"\0", 1, &o, 0);
    }
    tu_rmtree(dir);
    free(dir);
}

/* Sizes at block_size - 1, block_size, block_size + 1 (and twice that) for fixed 4096 blocks. */
static void test_fixed_block_boundaries(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("rt-fixed");
    const size_t sizes[] = {4095, 4096, 4097, 8191, 8192, 8193, 12288};
    uint8_t *data = random_bytes(&rng, 12288);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        hexz_write_options o = af_fixed(4096, HEXZ_CODEC_LZ4, 0);
        roundtrip(dir, data, sizes[i], &o, 1);
        char *a = tu_strf("%s/w.hxz", dir);
        hexz_reader *r = af_open(a);
        hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
        AF_OK(hexz_reader_stream_info(r, 0, &si));
        assert_int_equal(si.block_count, (sizes[i] + 4095) / 4096);
        hexz_reader_free(r);
        free(a);
    }
    /* The smallest allowed block size, and one that is not a power of two. */
    hexz_write_options o = af_fixed(64, HEXZ_CODEC_NONE, 0);
    roundtrip(dir, data, 64 * 3 + 1, &o, 1);
    o = af_fixed(1000, HEXZ_CODEC_ZSTD, 0);
    roundtrip(dir, data, 12288, &o, 1);
    free(data);
    tu_rmtree(dir);
    free(dir);
}

/* Sizes around CDC's min_size and max_size, with the default and with small parameters. */
static void test_cdc_boundaries(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("rt-cdc");
    uint8_t *data = random_bytes(&rng, 262144 * 2 + 2);
    const uint32_t params[][3] = {{16384, 65536, 262144}, {256, 1024, 4096}, {64, 64, 64}};
    for (size_t p = 0; p < sizeof params / sizeof params[0]; p++) {
        uint32_t mn = params[p][0], mx = params[p][2];
        const size_t sizes[] = {mn - 1, mn, mn + 1, mx - 1, mx, mx + 1, 2 * (size_t)mx + 1};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            hexz_write_options o = af_cdc(mn, params[p][1], mx, HEXZ_CODEC_LZ4, 0);
            roundtrip(dir, data, sizes[i], &o, 1);
        }
    }
    free(data);
    tu_rmtree(dir);
    free(dir);
}

/* 1023, 1024 and 1025 fixed 4 KiB blocks of random data: one index page holds 1024 entries. */
static void test_index_page_boundary(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("rt-pages");
    const size_t bs = 4096;
    uint8_t *data = random_bytes(&rng, 2049 * bs + 1);
    const struct {
        size_t len;
        uint64_t blocks, pages;
    } cases[] = {
        {1023 * bs, 1023, 1},     {1024 * bs, 1024, 1},     {1025 * bs, 1025, 2},
        {1024 * bs + 1, 1025, 2}, {1024 * bs - 1, 1024, 1}, {2048 * bs, 2048, 2},
        {2049 * bs + 1, 2050, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hexz_write_options o = af_fixed((uint32_t)bs, HEXZ_CODEC_NONE, 0);
        roundtrip(dir, data, cases[i].len, &o, 1);
        char *a = tu_strf("%s/w.hxz", dir);
        hexz_reader *r = af_open(a);
        hexz_inspect_info info = af_inspect(r);
        assert_int_equal(info.blocks, cases[i].blocks);
        assert_int_equal(af_index_pages(&info), cases[i].pages);
        /* Reads that straddle the page boundary, and block_at on both sides of it. */
        if (cases[i].len > 1024 * bs) {
            uint8_t buf[2 * 4096];
            size_t got;
            AF_OK(hexz_reader_read_at(r, 0, buf, sizeof buf, 1024 * bs - 4096, &got));
            assert_int_equal(got, cases[i].len - (1024 * bs - 4096) < sizeof buf
                                      ? cases[i].len - (1024 * bs - 4096)
                                      : sizeof buf);
            af_assert_same(buf, data + 1024 * bs - 4096, got, "page-straddling read");
            hexz_block_info b1 = HEXZ_BLOCK_INFO_INIT, b2 = HEXZ_BLOCK_INFO_INIT;
            AF_OK(hexz_reader_block_at(r, 0, 1023, &b1));
            AF_OK(hexz_reader_block_at(r, 0, 1024, &b2));
            assert_int_equal(b1.logical_offset, 1023 * bs);
            assert_int_equal(b2.logical_offset, 1024 * bs);
            assert_true(b2.stored_offset > b1.stored_offset);
        }
        hexz_reader_free(r);
        free(a);
    }
    free(data);
    tu_rmtree(dir);
    free(dir);
}

/* All three codecs (and zstd at a high level) on random and on repetitive data. */
static void test_codecs(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("rt-codec");
    const size_t len = (1u << 20) + 123;
    uint8_t *rnd = random_bytes(&rng, len), *rep = repetitive_bytes(len);
    const struct {
        hexz_codec codec;
        int level;
    } codecs[] = {{HEXZ_CODEC_NONE, 0},
                  {HEXZ_CODEC_LZ4, 0},
                  {HEXZ_CODEC_ZSTD, 0},
                  {HEXZ_CODEC_ZSTD, 19},
                  {HEXZ_CODEC_ZSTD, -5}};
    for (size_t c = 0; c < sizeof codecs / sizeof codecs[0]; c++) {
        for (int chunking = 0; chunking < 2; chunking++) {
            hexz_write_options o = chunking ? af_cdc(16384, 65536, 262144, codecs[c].codec,
                                                     codecs[c].level)
                                            : af_fixed(65536, codecs[c].codec, codecs[c].level);
            /* Random data never shrinks: every block is stored raw whatever the codec. */
            roundtrip(dir, rnd, len, &o, 1);
            char *a = tu_strf("%s/w.hxz", dir);
            hexz_reader *r = af_open(a);
            hexz_inspect_info info = af_inspect(r);
            assert_int_equal(info.raw_blocks, info.unique_blocks);
            assert_true(info.stored_bytes == info.unique_logical_bytes);
            assert_true(info.file_size > len);
            hexz_reader_free(r);
            /* Repetitive data shrinks a lot with a real codec. */
            roundtrip(dir, rep, len, &o, 0);
            r = af_open(a);
            info = af_inspect(r);
            if (codecs[c].codec == HEXZ_CODEC_NONE) {
                assert_int_equal(info.raw_blocks, info.unique_blocks);
            } else {
                uint64_t compressed = codecs[c].codec == HEXZ_CODEC_LZ4 ? info.lz4_blocks
                                                                        : info.zstd_blocks;
                assert_true(compressed >= 1);
                assert_true(info.stored_bytes < len / 8);
                assert_true(info.file_size < len / 4);
                /* block_at reports the codec of each stored block. */
                hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
                AF_OK(hexz_reader_block_at(r, 0, 0, &b));
                assert_int_equal(b.codec, codecs[c].codec);
                assert_true(b.stored_length < b.logical_length);
            }
            hexz_reader_free(r);
            free(a);
        }
    }
    free(rnd);
    free(rep);
    tu_rmtree(dir);
    free(dir);
}

/* All-zero input is stored as holes only; zeros inside data become holes between blocks. */
static void test_zeros_and_holes(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("rt-zero");
    const size_t len = 3u << 20;
    uint8_t *zeros = af_calloc(len, 1);
    hexz_write_options o = af_fixed(4096, HEXZ_CODEC_LZ4, 0);
    roundtrip(dir, zeros, len, &o, 0);
    char *a = tu_strf("%s/w.hxz", dir);
    hexz_reader *r = af_open(a);
    hexz_inspect_info info = af_inspect(r);
    assert_int_equal(info.hole_bytes, len);
    assert_int_equal(info.stored_bytes, 0);
    assert_int_equal(info.unique_blocks, 0);
    assert_int_equal(info.hole_blocks, 1); /* adjacent holes merge */
    assert_true(info.file_size < 4096);
    hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
    AF_OK(hexz_reader_block_at(r, 0, 0, &b));
    assert_true(b.is_hole);
    assert_int_equal(b.stored_offset, 0);
    assert_int_equal(b.stored_length, 0);
    assert_int_equal(b.logical_length, len);
    hexz_reader_free(r);

    /* random | zeros | random | zeros: holes between stored blocks, and a trailing hole. */
    uint8_t *mix = af_calloc(len, 1);
    tu_rng_fill(&rng, mix, 1u << 20);
    tu_rng_fill(&rng, mix + (2u << 20), 4096 * 10 + 17);
    roundtrip(dir, mix, len, &o, 0);
    r = af_open(a);
    info = af_inspect(r);
    assert_true(info.hole_bytes >= len - (1u << 20) - 4096 * 12);
    assert_int_equal(info.hole_blocks, 2);
    hexz_reader_free(r);
    o = af_cdc(16384, 65536, 262144, HEXZ_CODEC_ZSTD, 0);
    roundtrip(dir, mix, len, &o, 0);
    free(a);
    free(mix);
    free(zeros);
    tu_rmtree(dir);
    free(dir);
}

/* Writes delivered in pieces of 1, 7, 4095 and 1 MiB + 3 bytes give the same blocks as one
 * write, for fixed and CDC chunking. */
static void test_odd_pieces(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("rt-pieces");
    const size_t len = (3u << 20) + 12345;
    uint8_t *data = af_malloc(len);
    af_fill_mixed(&rng, data, len);
    const size_t pieces[] = {1, 7, 4095, (1u << 20) + 3};
    const hexz_write_options opts[] = {af_fixed(4096, HEXZ_CODEC_LZ4, 0),
                                       af_cdc(16384, 65536, 262144, HEXZ_CODEC_LZ4, 0),
                                       af_cdc(512, 2048, 8192, HEXZ_CODEC_NONE, 0)};
    char *whole = tu_strf("%s/whole.hxz", dir), *part = tu_strf("%s/part.hxz", dir);
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        af_pack_buffer(whole, data, len, &opts[k], 0);
        hexz_reader *rw = af_open(whole);
        af_assert_stream(rw, 0, data, len, 0, "one write");
        for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
            af_pack_buffer(part, data, len, &opts[k], pieces[p]);
            hexz_reader *rp = af_open(part);
            char what[64];
            snprintf(what, sizeof what, "options %zu, pieces of %zu bytes", k, pieces[p]);
            assert_same_blocks(rw, rp, what);
            af_assert_stream(rp, 0, data, len, 0, what);
            af_verify_ok(rp);
            /* Same content and options: the archives differ only in the random archive id. */
            hexz_inspect_info iw = af_inspect(rw), ip = af_inspect(rp);
            assert_int_equal(iw.file_size, ip.file_size);
            assert_int_equal(iw.stored_bytes, ip.stored_bytes);
            assert_memory_not_equal(iw.archive_id, ip.archive_id, 16);
            hexz_reader_free(rp);
        }
        hexz_reader_free(rw);
    }
    free(whole);
    free(part);
    free(data);
    tu_rmtree(dir);
    free(dir);
}

/* Several named streams in one archive, written interleaved. */
static void test_streams(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("rt-streams");
    char *a = tu_strf("%s/s.hxz", dir);
    const size_t n = 300000;
    uint8_t *x = random_bytes(&rng, 2 * n), *y = repetitive_bytes(n);
    hexz_write_options o = af_fixed(4096, HEXZ_CODEC_ZSTD, 3);
    hexz_writer *w = NULL;
    AF_OK(hexz_writer_create(&w, a, &o));
    AF_OK(hexz_writer_begin_stream(w, "disk0"));
    AF_OK(hexz_writer_write(w, x, n));
    AF_OK(hexz_writer_begin_stream(w, "log"));
    AF_OK(hexz_writer_write(w, y, n));
    AF_OK(hexz_writer_begin_stream(w, "disk0"));
    AF_OK(hexz_writer_write(w, x + n, n));
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
    hexz_reader *r = af_open(a);
    assert_int_equal(hexz_reader_stream_count(r), 2);
    unsigned s0, s1, sm;
    AF_OK(hexz_reader_find_stream(r, "disk0", &s0));
    AF_OK(hexz_reader_find_stream(r, "log", &s1));
    assert_int_equal(hexz_reader_find_stream(r, "main", &sm), HEXZ_ENOTFOUND);
    af_assert_stream(r, s0, x, 2 * n, 0, "disk0");
    af_assert_stream(r, s1, y, n, 0, "log");
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    assert_int_equal(hexz_reader_stream_info(r, 2, &si), HEXZ_ERANGE);
    size_t got;
    uint8_t b;
    assert_int_equal(hexz_reader_read_at(r, 2, &b, 1, 0, &got), HEXZ_ERANGE);
    af_verify_ok(r);
    hexz_reader_free(r);
    free(a);
    free(x);
    free(y);
    tu_rmtree(dir);
    free(dir);
}

/* ---- what does not make an archive ------------------------------------------------------------- */

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

static int cancel_at_once(const hexz_progress *p, void *user)
{
    (void)p;
    (void)user;
    return 1;
}

/* Failed packing leaves nothing behind: no archive under the name, no temporary file, and an
 * existing destination untouched when overwriting is off. */
static void test_pack_failures(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("rt-fail");
    char *in = tu_strf("%s/input", dir), *a = tu_strf("%s/out.hxz", dir);
    const size_t len = 9u << 20;
    uint8_t *data = random_bytes(&rng, len);
    tu_write_file(in, data, len);

    char *missing = tu_strf("%s/no-such-input", dir);
    assert_int_equal(hexz_pack_path(missing, a, NULL), HEXZ_ENOTFOUND);
    assert_non_null(strstr(hexz_last_error(), missing));
    free(missing);
    assert_int_not_equal(hexz_pack_path(in, dir, NULL), 0); /* the output is a directory */
    assert_int_equal(dir_entries(dir), 1);

    /* Bad options. */
    hexz_write_options bad[6];
    for (int i = 0; i < 6; i++) hexz_write_options_init(&bad[i]);
    bad[0].version = 0;
    bad[1].chunking = HEXZ_CHUNK_FIXED;
    bad[1].block_size = 10;
    bad[2].avg_size = 65535; /* CDC average not a power of two */
    bad[3].codec = (hexz_codec)99;
    bad[4].codec = HEXZ_CODEC_ZSTD;
    bad[4].level = 1000;
    bad[5].min_size = 1u << 20; /* min above avg */
    for (int i = 0; i < 6; i++) {
        int rc = hexz_pack_path(in, a, &bad[i]);
        if (rc != HEXZ_EINVAL) fail_msg("bad options %d: %d, not HEXZ_EINVAL", i, rc);
        hexz_writer *w = NULL;
        assert_int_equal(hexz_writer_create(&w, a, &bad[i]), HEXZ_EINVAL);
        assert_null(w);
    }
    assert_int_equal(dir_entries(dir), 1);

    /* Canceled by the progress callback. */
    hexz_write_options o = af_fixed(65536, HEXZ_CODEC_LZ4, 0);
    o.progress = cancel_at_once;
    assert_int_equal(hexz_pack_path(in, a, &o), HEXZ_ECANCELED);
    assert_int_equal(dir_entries(dir), 1);

    /* No overwriting when asked not to: the old archive stays as it was. */
    o = af_fixed(65536, HEXZ_CODEC_LZ4, 0);
    AF_OK(hexz_pack_path(in, a, &o));
    size_t old_len;
    uint8_t *old = tu_read_file(a, &old_len);
    o.overwrite = 0;
    tu_write_file(in, data, 1000);
    assert_int_equal(hexz_pack_path(in, a, &o), HEXZ_EEXIST);
    hexz_writer *w = NULL;
    if (hexz_writer_create(&w, a, &o) == 0) {
        /* Creating may succeed (the check can happen at the rename); finishing must not. */
        AF_OK(hexz_writer_write(w, data, 1000));
        assert_int_equal(hexz_writer_finish(w), HEXZ_EEXIST);
        hexz_writer_free(w);
    }
    af_assert_file(a, old, old_len);
    assert_int_equal(dir_entries(dir), 2);
    free(old);

    /* Writer misuse. */
    char *b = tu_strf("%s/b.hxz", dir);
    AF_OK(hexz_writer_create(&w, b, NULL));
    assert_int_equal(hexz_writer_begin_file(w, "../escape", 0644, 0, 0), HEXZ_EINVAL);
    hexz_writer_free(w); /* a failed call makes the writer unusable; free discards it */
    AF_OK(hexz_writer_create(&w, b, NULL));
    assert_int_equal(hexz_writer_begin_file(w, "/abs", 0644, 0, 0), HEXZ_EINVAL);
    hexz_writer_free(w);
    AF_OK(hexz_writer_create(&w, b, NULL));
    assert_int_equal(hexz_writer_add_dir(w, "a/./b", 0755, 0, 0), HEXZ_EINVAL);
    hexz_writer_free(w);
    AF_OK(hexz_writer_create(&w, b, NULL));
    assert_int_equal(hexz_writer_begin_file(w, "m", 010000, 0, 0), HEXZ_EINVAL); /* mode > 07777 */
    hexz_writer_free(w);
    AF_OK(hexz_writer_create(&w, b, NULL));
    assert_int_equal(hexz_writer_add_dir(w, "d", 0755, 0, 1000000000u), HEXZ_EINVAL); /* nsec */
    hexz_writer_free(w);
    AF_OK(hexz_writer_create(&w, b, NULL));
    AF_OK(hexz_writer_add_dir(w, "same", 0755, 0, 0));
    AF_OK(hexz_writer_add_dir(w, "same", 0755, 0, 0));
    assert_int_equal(hexz_writer_finish(w), HEXZ_EINVAL); /* the tree names a path twice */
    hexz_writer_free(w);
    AF_OK(hexz_writer_create(&w, b, NULL));
    AF_OK(hexz_writer_begin_file(w, "open", 0644, 0, 0));
    assert_int_equal(hexz_writer_finish(w), HEXZ_EINVAL); /* a file is still open */
    hexz_writer_free(w);
    AF_OK(hexz_writer_create(&w, b, NULL));
    AF_OK(hexz_writer_write(w, data, 100));
    hexz_writer_free(w); /* never finished */
    assert_int_equal(dir_entries(dir), 2);
    AF_OK(hexz_writer_create(&w, b, NULL));
    AF_OK(hexz_writer_write(w, data, 100));
    AF_OK(hexz_writer_finish(w));
    assert_int_equal(hexz_writer_write(w, data, 100), HEXZ_EINVAL);
    assert_int_equal(hexz_writer_finish(w), HEXZ_EINVAL);
    hexz_writer_free(w);
    hexz_writer_free(NULL);
    hexz_reader_free(NULL);
    hexz_reader *r = af_open(b);
    af_assert_stream(r, 0, data, 100, 0, "finished before the misuse");
    hexz_reader_free(r);
    assert_int_equal(dir_entries(dir), 3);

    free(b);
    free(data);
    free(in);
    free(a);
    tu_rmtree(dir);
    free(dir);
}

/* ---- the 4 GiB sparse file ---------------------------------------------------------------------- */

#define SPARSE_SIZE (4ull << 30)

typedef struct {
    uint64_t offset;
    size_t len;
    uint8_t *data;
} region;

/* The expected bytes [off, off + len) of the sparse file: zeros with the regions laid over. */
static void sparse_expect(const region *rg, size_t n, uint64_t off, uint8_t *out, size_t len)
{
    memset(out, 0, len);
    for (size_t i = 0; i < n; i++) {
        uint64_t a = rg[i].offset > off ? rg[i].offset : off;
        uint64_t b = rg[i].offset + rg[i].len < off + len ? rg[i].offset + rg[i].len : off + len;
        if (a < b) memcpy(out + (a - off), rg[i].data + (a - rg[i].offset), (size_t)(b - a));
    }
}

static void sparse_check_range(hexz_reader *r, int fd, const region *rg, size_t n, uint64_t off,
                               size_t len)
{
    uint8_t *want = af_malloc(len), *got = af_malloc(len);
    size_t expect = off >= SPARSE_SIZE
                        ? 0
                        : (SPARSE_SIZE - off < len ? (size_t)(SPARSE_SIZE - off) : len);
    sparse_expect(rg, n, off, want, expect);
    char what[96];
    snprintf(what, sizeof what, "sparse range [%llu, +%zu)", (unsigned long long)off, len);
    if (r) {
        size_t count = (size_t)-1;
        memset(got, 0xAA, len);
        AF_OK(hexz_reader_read_at(r, 0, got, len, off, &count));
        assert_int_equal(count, expect);
        af_assert_same(got, want, expect, what);
    }
    if (fd >= 0) {
        ssize_t k = pread(fd, got, len, (off_t)off);
        assert_int_equal(k, (ssize_t)expect);
        af_assert_same(got, want, expect, what);
    }
    free(want);
    free(got);
}

static void test_sparse_4gib(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("rt-sparse");
    /* The input goes to tmpfs when there is one: reading 4 GiB of holes there costs no page
     * cache, where a disk file system fills 4 GiB of cache with zero pages. */
    char *indir = NULL;
    if (access("/dev/shm", W_OK) == 0) {
        indir = af_malloc(64);
        snprintf(indir, 64, "/dev/shm/hexz-test-sparse-XXXXXX");
        if (!mkdtemp(indir)) {
            free(indir);
            indir = NULL;
        }
    }
    char *in = tu_strf("%s/sparse.img", indir ? indir : dir), *a = tu_strf("%s/sparse.hxz", dir);
    char *out = tu_strf("%s/extracted.img", dir);
    /* Data at the start, at an unaligned offset, across the 2 GiB (2^31) line, and past 3 GiB;
     * the file ends in a hole. */
    region rg[] = {
        {0, 1u << 20, NULL},
        {(1ull << 30) + 12345, (2u << 20) + 7, NULL},
        {(2ull << 30) - 3, 1u << 20, NULL},
        {(3ull << 30) + 1, 512u << 10, NULL},
    };
    const size_t nrg = sizeof rg / sizeof rg[0];
    uint64_t data_bytes = 0;
    int fd = open(in, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)SPARSE_SIZE), 0);
    for (size_t i = 0; i < nrg; i++) {
        rg[i].data = random_bytes(&rng, rg[i].len);
        assert_int_equal(pwrite(fd, rg[i].data, rg[i].len, (off_t)rg[i].offset),
                         (ssize_t)rg[i].len);
        data_bytes += rg[i].len;
    }
    close(fd);

    /* CDC, the default; under AddressSanitizer fixed 64 KiB blocks, because the instrumented
     * gear hash over 4 GiB takes over a minute there (chunking is covered by the other tests). */
#ifdef __SANITIZE_ADDRESS__
    hexz_write_options o = af_fixed(65536, HEXZ_CODEC_LZ4, 0);
#else
    hexz_write_options o = af_cdc(16384, 65536, 262144, HEXZ_CODEC_LZ4, 0);
#endif
    double t0 = now_sec();
    AF_OK(hexz_pack_path(in, a, &o));
    double t1 = now_sec();
    printf("[ info     ] packed a 4 GiB sparse file (in %s) in %.2f s; archive %lld bytes\n",
           indir ? indir : dir, t1 - t0, tu_file_size(a));
    /* The source is no longer needed; free the page cache it used. */
    assert_int_equal(unlink(in), 0);
    assert_true(tu_file_size(a) < (64ll << 20));

    hexz_reader *r = af_open(a);
    assert_int_equal(af_stream_size(r, 0), SPARSE_SIZE);
    hexz_inspect_info info = af_inspect(r);
    uint64_t zero_bytes = SPARSE_SIZE - data_bytes;
    printf("[ info     ] hole bytes %llu of %llu zero bytes, %llu hole blocks\n",
           (unsigned long long)info.hole_bytes, (unsigned long long)zero_bytes,
           (unsigned long long)info.hole_blocks);
    assert_int_equal(info.logical_bytes, SPARSE_SIZE);
    assert_true(info.hole_bytes <= zero_bytes);
    /* Only the chunks that touch a data region may hold zeros: at most two per region. */
    assert_true(info.hole_bytes >= zero_bytes - nrg * 2 * (uint64_t)o.max_size);
    assert_true(info.hole_blocks >= 4); /* a hole entry covers at most 2^30 bytes */
    assert_true(info.stored_bytes <= data_bytes + nrg * 2 * (uint64_t)o.max_size);
    for (uint64_t i = 0; i < info.blocks; i++) {
        hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
        AF_OK(hexz_reader_block_at(r, 0, i, &b));
        if (b.is_hole) assert_true(b.logical_length <= (1u << 30));
    }

    /* Data regions with their edges, hole interiors, the 2^30 lines, the end of the file. */
    for (size_t i = 0; i < nrg; i++) {
        uint64_t from = rg[i].offset >= 4096 ? rg[i].offset - 4096 : 0;
        sparse_check_range(r, -1, rg, nrg, from, rg[i].len + 8192);
        sparse_check_range(r, -1, rg, nrg, rg[i].offset + rg[i].len - 1, 2);
        sparse_check_range(r, -1, rg, nrg, rg[i].offset + rg[i].len, 1u << 20);
    }
    const uint64_t spots[] = {(1ull << 29),
                              (1ull << 30) - 100,
                              (1ull << 30),
                              (3ull << 30) - 5,
                              (2ull << 30) + (1u << 20),
                              (4ull << 30) - (1u << 20),
                              SPARSE_SIZE - 1,
                              SPARSE_SIZE,
                              SPARSE_SIZE + 4096};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++)
        sparse_check_range(r, -1, rg, nrg, spots[i], 1u << 20);
    /* One read spanning a hole into data and out again. */
    sparse_check_range(r, -1, rg, nrg, (2ull << 30) - (3u << 20), 6u << 20);
    af_verify_ok(r);

    /* Extracted, the file keeps its holes. */
    t0 = now_sec();
    AF_OK(hexz_extract(r, out, NULL, NULL));
    printf("[ info     ] extracted in %.2f s\n", now_sec() - t0);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal((uint64_t)st.st_size, SPARSE_SIZE);
    printf("[ info     ] extracted file: size %lld, allocated %lld bytes\n", (long long)st.st_size,
           (long long)st.st_blocks * 512);
    assert_true((uint64_t)st.st_blocks * 512 < (64ull << 20));
    fd = open(out, O_RDONLY);
    assert_true(fd >= 0);
    for (size_t i = 0; i < nrg; i++) {
        uint64_t from = rg[i].offset >= 4096 ? rg[i].offset - 4096 : 0;
        sparse_check_range(NULL, fd, rg, nrg, from, rg[i].len + 8192);
    }
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++)
        sparse_check_range(NULL, fd, rg, nrg, spots[i], 1u << 20);
    close(fd);
    hexz_reader_free(r);
    for (size_t i = 0; i < nrg; i++) free(rg[i].data);
    free(in);
    free(a);
    free(out);
    tu_rmtree(indir);
    free(indir);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_one_byte),
        cmocka_unit_test(test_fixed_block_boundaries),
        cmocka_unit_test(test_cdc_boundaries),
        cmocka_unit_test(test_index_page_boundary),
        cmocka_unit_test(test_codecs),
        cmocka_unit_test(test_zeros_and_holes),
        cmocka_unit_test(test_odd_pieces),
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_pack_failures),
        cmocka_unit_test(test_sparse_4gib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
