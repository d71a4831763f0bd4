/*
 * test_dedup.c - identical content is stored once, and content-defined chunking finds it again
 * after an edit shifts it.
 *
 * Deduplication is what makes hexz archives of snapshots small, and its failure modes are quiet
 * (a bigger archive, never wrong bytes), so these tests measure it: a block repeated 50 times
 * is stored once (and 50 times with dedup off); two identical files of a tree share every stored
 * block; and 5 bytes inserted into the middle of 16 MiB change only a few CDC chunks, where
 * fixed-size chunking re-stores everything after the insertion. Every archive is also read back
 * and verified, since shared blocks must still give each entry its own bytes.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include "archive_fixtures.h"

#include <sys/stat.h>
#include <unistd.h>

#define BLOCK (64u << 10)
#define REPEATS 50

typedef struct {
    hexz_progress last;
    int calls;
} progress_log;

static int log_progress(const hexz_progress *p, void *user)
{
    progress_log *l = user;
    assert_int_equal(p->version, HEXZ_PROGRESS_VERSION);
    l->last = *p;
    l->calls++;
    return 0;
}

/* The stored offsets of every block of a stream, in order. */
static uint64_t *stored_offsets(hexz_reader *r, unsigned stream, uint64_t *count)
{
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    AF_OK(hexz_reader_stream_info(r, stream, &si));
    uint64_t *v = af_calloc(si.block_count, sizeof *v);
    for (uint64_t i = 0; i < si.block_count; i++) {
        hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
        AF_OK(hexz_reader_block_at(r, stream, i, &b));
        v[i] = b.stored_offset;
    }
    *count = si.block_count;
    return v;
}

/* One random 64 KiB block repeated 50 times, fixed 64 KiB chunking: stored once. */
static void test_repeated_block(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("dedup-rep");
    uint8_t *data = af_malloc((size_t)BLOCK * REPEATS);
    tu_rng_fill(&rng, data, BLOCK);
    for (int i = 1; i < REPEATS; i++) memcpy(data + (size_t)i * BLOCK, data, BLOCK);
    const size_t len = (size_t)BLOCK * REPEATS;
    char *in = tu_strf("%s/in", dir), *a = tu_strf("%s/d.hxz", dir), *b = tu_strf("%s/n.hxz", dir);

    /* Dedup on (the default), through hexz_pack_path, watching the progress figures. */
    progress_log plog = {0};
    hexz_write_options o = af_fixed(BLOCK, HEXZ_CODEC_LZ4, 0);
    o.progress = log_progress;
    o.progress_user = &plog;
    assert_int_equal(o.dedup, 1);
    af_pack_via_file(in, a, data, len, &o);
    assert_true(plog.calls >= 1);
    assert_int_equal(plog.last.blocks, REPEATS);
    assert_int_equal(plog.last.dedup_hits, REPEATS - 1);
    assert_int_equal(plog.last.bytes_in, len);
    hexz_reader *r = af_open(a);
    hexz_inspect_info info = af_inspect(r);
    printf("[ info     ] dedup on: archive %llu bytes, %llu unique, %llu dedup\n",
           (unsigned long long)info.file_size, (unsigned long long)info.unique_blocks,
           (unsigned long long)info.dedup_blocks);
    assert_int_equal(info.blocks, REPEATS);
    assert_int_equal(info.unique_blocks, 1);
    assert_int_equal(info.dedup_blocks, REPEATS - 1);
    assert_int_equal(info.dedup_bytes, (uint64_t)(REPEATS - 1) * BLOCK);
    assert_int_equal(info.unique_logical_bytes, BLOCK);
    assert_int_equal(info.stored_bytes, BLOCK); /* random bytes are stored raw */
    assert_true(info.file_size < 2 * BLOCK + 8192);
    assert_int_equal(info.histogram[16], REPEATS); /* 64 KiB = 2^16 */
    uint64_t n;
    uint64_t *offs = stored_offsets(r, 0, &n);
    assert_int_equal(n, REPEATS);
    for (uint64_t i = 1; i < n; i++) assert_int_equal(offs[i], offs[0]);
    free(offs);
    af_assert_stream(r, 0, data, len, 10007, "deduplicated stream");
    af_verify_ok(r);
    hexz_reader_free(r);

    /* Dedup off: all 50 copies are stored, at 50 different offsets. */
    o.dedup = 0;
    o.progress = NULL;
    af_pack_buffer(b, data, len, &o, 0);
    r = af_open(b);
    info = af_inspect(r);
    printf("[ info     ] dedup off: archive %llu bytes, %llu unique, %llu dedup\n",
           (unsigned long long)info.file_size, (unsigned long long)info.unique_blocks,
           (unsigned long long)info.dedup_blocks);
    assert_int_equal(info.unique_blocks, REPEATS);
    assert_int_equal(info.dedup_blocks, 0);
    assert_int_equal(info.stored_bytes, (uint64_t)len);
    assert_true(info.file_size > len);
    offs = stored_offsets(r, 0, &n);
    for (uint64_t i = 1; i < n; i++) assert_true(offs[i] > offs[i - 1]);
    free(offs);
    af_assert_stream(r, 0, data, len, 0, "stream without dedup");
    af_verify_ok(r);
    hexz_reader_free(r);

    /* Compressible repeated blocks dedup the same way, and with CDC as well. */
    for (size_t i = 0; i < BLOCK; i++) data[i] = (uint8_t)("abcdefgh"[i % 8] + (i >> 12));
    for (int i = 1; i < REPEATS; i++) memcpy(data + (size_t)i * BLOCK, data, BLOCK);
    o = af_fixed(BLOCK, HEXZ_CODEC_ZSTD, 0);
    af_pack_buffer(a, data, len, &o, 0);
    r = af_open(a);
    info = af_inspect(r);
    assert_int_equal(info.unique_blocks, 1);
    assert_int_equal(info.zstd_blocks, 1);
    assert_int_equal(info.dedup_blocks, REPEATS - 1);
    af_assert_stream(r, 0, data, len, 0, "compressed, deduplicated stream");
    af_verify_ok(r);
    hexz_reader_free(r);

    free(in);
    free(a);
    free(b);
    free(data);
    tu_rmtree(dir);
    free(dir);
}

/* The blocks covering [offset, offset + size) of stream 0, as stored offsets. */
static uint64_t *file_blocks(hexz_reader *r, const hexz_file_info *f, uint64_t *count)
{
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    AF_OK(hexz_reader_stream_info(r, 0, &si));
    uint64_t *v = af_calloc(si.block_count, sizeof *v);
    uint64_t n = 0;
    for (uint64_t i = 0; i < si.block_count; i++) {
        hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
        AF_OK(hexz_reader_block_at(r, 0, i, &b));
        if (b.logical_offset >= f->offset && b.logical_offset < f->offset + f->size) {
            /* Files start on a block boundary (docs/FORMAT.md §10) */
            if (n == 0) assert_int_equal(b.logical_offset, f->offset);
            v[n++] = b.stored_offset;
        }
    }
    *count = n;
    return v;
}

/* Packs a tree with two identical 1 MiB files (and a third copy deeper down), with and without
 * dedup; returns the stored bytes. */
static uint64_t pack_twins(const char *tree, const char *archive, int dedup, const uint8_t *data,
                           size_t len)
{
    hexz_write_options o = af_cdc(16384, 65536, 262144, HEXZ_CODEC_LZ4, 0);
    o.dedup = dedup;
    AF_OK(hexz_pack_path(tree, archive, &o));
    hexz_reader *r = af_open(archive);
    assert_int_equal(hexz_reader_file_count(r), 5);
    hexz_file_info fa, fb, fc;
    AF_OK(hexz_reader_file_lookup(r, "one.bin", &fa));
    AF_OK(hexz_reader_file_lookup(r, "two.bin", &fb));
    AF_OK(hexz_reader_file_lookup(r, "sub/three.bin", &fc));
    assert_int_equal(fa.size, len);
    assert_int_equal(fb.size, len);
    assert_int_equal(fc.size, len);
    assert_true(fa.offset != fb.offset && fb.offset != fc.offset);
    uint64_t na, nb, nc;
    uint64_t *ba = file_blocks(r, &fa, &na), *bb = file_blocks(r, &fb, &nb),
             *bc = file_blocks(r, &fc, &nc);
    assert_true(na > 1);
    assert_int_equal(na, nb);
    assert_int_equal(na, nc);
    for (uint64_t i = 0; i < na; i++) {
        if (dedup) {
            assert_int_equal(ba[i], bb[i]);
            assert_int_equal(ba[i], bc[i]);
        } else {
            assert_true(ba[i] != bb[i] && bb[i] != bc[i]);
        }
    }
    free(ba);
    free(bb);
    free(bc);
    /* Each file reads back as its bytes. */
    uint8_t *buf = af_malloc(len);
    const hexz_file_info *fs[] = {&fa, &fb, &fc};
    for (int k = 0; k < 3; k++) {
        size_t got;
        AF_OK(hexz_reader_read_at(r, 0, buf, len, fs[k]->offset, &got));
        assert_int_equal(got, len);
        af_assert_same(buf, data, len, fs[k]->path);
    }
    free(buf);
    af_verify_ok(r);
    hexz_inspect_info info = af_inspect(r);
    assert_int_equal(info.files, 4);
    assert_int_equal(info.dirs, 1);
    hexz_reader_free(r);
    return info.stored_bytes;
}

static void test_identical_files(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("dedup-tree");
    char *tree = tu_strf("%s/tree", dir);
    assert_int_equal(mkdir(tree, 0755), 0);
    const size_t len = 1u << 20;
    uint8_t *data = af_malloc(len);
    tu_rng_fill(&rng, data, len);
    char *p = tu_strf("%s/one.bin", tree);
    tu_write_file(p, data, len);
    free(p);
    p = tu_strf("%s/two.bin", tree);
    tu_write_file(p, data, len);
    free(p);
    p = tu_strf("%s/sub", tree);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
    p = tu_strf("%s/sub/three.bin", tree);
    tu_write_file(p, data, len);
    free(p);
    /* A small unrelated file between them in the walk, so the copies are not adjacent. */
    p = tu_strf("%s/other.txt", tree);
    tu_write_file(p, "something else\n", 15);
    free(p);

    char *a = tu_strf("%s/d.hxz", dir), *b = tu_strf("%s/n.hxz", dir);
    uint64_t with = pack_twins(tree, a, 1, data, len);
    uint64_t without = pack_twins(tree, b, 0, data, len);
    printf("[ info     ] three identical 1 MiB files: stored %llu bytes with dedup, %llu without\n",
           (unsigned long long)with, (unsigned long long)without);
    assert_true(with >= len);
    assert_true(with < len + 4096);
    assert_true(without >= 3 * len);
    assert_true(tu_file_size(a) < (long long)len + 65536);

    /* The same through the writer API: two files written in different piece sizes. */
    hexz_writer *w = NULL;
    hexz_write_options o = af_cdc(16384, 65536, 262144, HEXZ_CODEC_NONE, 0);
    AF_OK(hexz_writer_create(&w, a, &o));
    AF_OK(hexz_writer_begin_file(w, "x", 0644, 1, 0));
    AF_OK(hexz_writer_write(w, data, len));
    AF_OK(hexz_writer_end_file(w));
    AF_OK(hexz_writer_begin_file(w, "y", 0644, 2, 0));
    for (size_t off = 0; off < len; off += 1000)
        AF_OK(hexz_writer_write(w, data + off, len - off < 1000 ? len - off : 1000));
    AF_OK(hexz_writer_end_file(w));
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
    hexz_reader *r = af_open(a);
    hexz_inspect_info info = af_inspect(r);
    assert_int_equal(info.unique_logical_bytes, len);
    assert_int_equal(info.dedup_bytes, len);
    af_verify_ok(r);
    hexz_reader_free(r);

    free(a);
    free(b);
    free(tree);
    free(data);
    tu_rmtree(dir);
    free(dir);
}

/* How many blocks of `b` hold content that no block of `a` holds. */
static uint64_t new_blocks(hexz_reader *a, hexz_reader *b, uint64_t *total)
{
    hexz_stream_info sa = HEXZ_STREAM_INFO_INIT, sb = HEXZ_STREAM_INFO_INIT;
    AF_OK(hexz_reader_stream_info(a, 0, &sa));
    AF_OK(hexz_reader_stream_info(b, 0, &sb));
    uint8_t(*ha)[32] = af_calloc(sa.block_count, 32);
    for (uint64_t i = 0; i < sa.block_count; i++) {
        hexz_block_info x = HEXZ_BLOCK_INFO_INIT;
        AF_OK(hexz_reader_block_at(a, 0, i, &x));
        memcpy(ha[i], x.content_hash, 32);
    }
    uint64_t fresh = 0;
    for (uint64_t j = 0; j < sb.block_count; j++) {
        hexz_block_info y = HEXZ_BLOCK_INFO_INIT;
        AF_OK(hexz_reader_block_at(b, 0, j, &y));
        int found = 0;
        for (uint64_t i = 0; i < sa.block_count && !found; i++)
            found = !memcmp(ha[i], y.content_hash, 32);
        fresh += !found;
    }
    free(ha);
    *total = sb.block_count;
    return fresh;
}

typedef enum { EDIT_INSERT, EDIT_DELETE, EDIT_OVERWRITE } edit_kind;

/* Applies a 5-byte edit at the middle of data[0..len) into a new buffer. */
static uint8_t *edited(const uint8_t *data, size_t len, edit_kind k, size_t *out_len)
{
    const size_t mid = len / 2 + 12345;
    uint8_t *e = af_malloc(len + 5);
    memcpy(e, data, mid);
    if (k == EDIT_INSERT) {
        memcpy(e + mid, "HEXZ!", 5);
        memcpy(e + mid + 5, data + mid, len - mid);
        *out_len = len + 5;
    } else if (k == EDIT_DELETE) {
        memcpy(e + mid, data + mid + 5, len - mid - 5);
        *out_len = len - 5;
    } else {
        memcpy(e + mid, data + mid, len - mid);
        for (int i = 0; i < 5; i++) e[mid + (size_t)i] ^= 0x5A;
        *out_len = len;
    }
    return e;
}

/* 16 MiB of random data and the same with a 5-byte edit in the middle. */
static void test_cdc_shift(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    char *dir = tu_mkdtemp("dedup-cdc");
    const size_t len = 16u << 20;
    uint8_t *data = af_malloc(len);
    tu_rng_fill(&rng, data, len);
    char *a = tu_strf("%s/a.hxz", dir), *b = tu_strf("%s/b.hxz", dir), *in = tu_strf("%s/in", dir);
    const char *kinds[] = {"insert", "delete", "overwrite"};
    for (int k = 0; k < 3; k++) {
        size_t elen;
        uint8_t *e = edited(data, len, (edit_kind)k, &elen);
        /* CDC: only the chunks around the edit change. */
        hexz_write_options o = af_cdc(16384, 65536, 262144, HEXZ_CODEC_NONE, 0);
        af_pack_via_file(in, a, data, len, &o);
        af_pack_via_file(in, b, e, elen, &o);
        hexz_reader *ra = af_open(a), *rb = af_open(b);
        af_assert_stream(rb, 0, e, elen, 0, "edited");
        uint64_t total, cdc_new = new_blocks(ra, rb, &total);
        printf("[ info     ] %s 5 bytes, CDC: %llu of %llu blocks new\n", kinds[k],
               (unsigned long long)cdc_new, (unsigned long long)total);
        assert_true(cdc_new >= 1);
        assert_true(cdc_new <= 4);
        hexz_reader_free(ra);
        hexz_reader_free(rb);

        /* Fixed 64 KiB blocks: an insertion or deletion changes every block after it. */
        o = af_fixed(65536, HEXZ_CODEC_NONE, 0);
        af_pack_via_file(in, a, data, len, &o);
        af_pack_via_file(in, b, e, elen, &o);
        ra = af_open(a);
        rb = af_open(b);
        uint64_t fixed_new = new_blocks(ra, rb, &total);
        printf("[ info     ] %s 5 bytes, fixed: %llu of %llu blocks new\n", kinds[k],
               (unsigned long long)fixed_new, (unsigned long long)total);
        if (k == EDIT_OVERWRITE) {
            assert_true(fixed_new >= 1 && fixed_new <= 2);
        } else {
            assert_true(fixed_new >= total * 2 / 5);
            assert_true(fixed_new <= total * 3 / 5 + 1);
        }
        hexz_reader_free(ra);
        hexz_reader_free(rb);
        free(e);
    }

    /* Both versions as two streams of one archive: the second costs only the changed chunks. */
    size_t elen;
    uint8_t *e = edited(data, len, EDIT_INSERT, &elen);
    hexz_write_options o = af_cdc(16384, 65536, 262144, HEXZ_CODEC_NONE, 0);
    hexz_writer *w = NULL;
    AF_OK(hexz_writer_create(&w, a, &o));
    AF_OK(hexz_writer_begin_stream(w, "v1"));
    AF_OK(hexz_writer_write(w, data, len));
    AF_OK(hexz_writer_begin_stream(w, "v2"));
    AF_OK(hexz_writer_write(w, e, elen));
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
    hexz_reader *r = af_open(a);
    hexz_inspect_info info = af_inspect(r);
    printf("[ info     ] v1 + v2 in one archive: %llu logical bytes, %llu stored\n",
           (unsigned long long)info.logical_bytes, (unsigned long long)info.stored_bytes);
    assert_int_equal(info.logical_bytes, len + elen);
    assert_true(info.stored_bytes <= len + 4 * (uint64_t)o.max_size);
    af_assert_stream(r, 0, data, len, 0, "v1");
    af_assert_stream(r, 1, e, elen, 0, "v2");
    af_verify_ok(r);
    hexz_reader_free(r);
    free(e);

    free(a);
    free(b);
    free(in);
    free(data);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeated_block),
        cmocka_unit_test(test_identical_files),
        cmocka_unit_test(test_cdc_shift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
