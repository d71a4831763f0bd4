/*
 * test_read_at.c - random access through hexz_reader_read_at, against the source bytes.
 *
 * read_at is the library's central promise: any (offset, length) of a stream, in O(log n),
 * verified, with pread semantics (a short count only at the end of the stream, 0 at or past
 * it). A ~24 MiB file of mixed content (text, zero runs that become holes, random bytes,
 * repeats that dedup) is packed with CDC chunking (the default parameters and small ones that
 * give several index pages) and with fixed 4 KiB blocks (six index pages), and thousands of
 * random ranges are read back: empty ones, ones inside a block, ones that start or end exactly
 * on block and page boundaries, ones that cross many blocks and pages, ones that run past the
 * end, and ones that start at or after the end. The same is then done by several threads at
 * once on one reader (whose caches and codec pool are shared), with one thread also running
 * hexz_reader_verify, to check that concurrent reads never see another thread's bytes or errors;
 * and once more on a stream larger than the block cache, so that blocks are evicted under them.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include "archive_fixtures.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define FILE_LEN ((24u << 20) + 4321)
#define READS 5000
#define CANARY 0xA5

typedef struct {
    const char *name;
    hexz_write_options opts;
} config;

static uint8_t *g_data; /* the source bytes */
static char *g_dir;     /* scratch directory holding the archives */
static config g_configs[3];
static char *g_archives[3];

/* Block boundaries of an archive's main stream, to aim reads at them. */
typedef struct {
    uint64_t *starts; /* logical_offset of every block */
    uint64_t count;
} boundaries;

static boundaries get_boundaries(hexz_reader *r)
{
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    AF_OK(hexz_reader_stream_info(r, 0, &si));
    boundaries b = {af_calloc(si.block_count, sizeof(uint64_t)), si.block_count};
    for (uint64_t i = 0; i < si.block_count; i++) {
        hexz_block_info bi = HEXZ_BLOCK_INFO_INIT;
        AF_OK(hexz_reader_block_at(r, 0, i, &bi));
        b.starts[i] = bi.logical_offset;
    }
    return b;
}

/* A random (offset, length) pair with the shapes listed in the file comment. */
static void pick_range(tu_rng *rng, const boundaries *b, uint64_t size, uint64_t *off, size_t *len)
{
    uint64_t kind = tu_rng_below(rng, 100);
    /* The offset. */
    if (kind < 40) {
        *off = tu_rng_below(rng, size);
    } else if (kind < 70 && b->count > 0) {
        /* On or next to a block boundary. */
        uint64_t s = b->starts[tu_rng_below(rng, b->count)];
        int64_t delta = (int64_t)tu_rng_below(rng, 5) - 2;
        *off = (delta < 0 && s < (uint64_t)-delta) ? 0 : s + (uint64_t)delta;
    } else if (kind < 85) {
        /* Near the end: inside the last 64 KiB or up to 64 KiB past it. */
        *off = size - (size < 65536 ? size : 65536) + tu_rng_below(rng, 131072);
    } else if (kind < 90) {
        *off = size + tu_rng_below(rng, 3); /* at or just after the end */
    } else {
        *off = tu_rng_below(rng, size);
    }
    /* The length. */
    uint64_t lk = tu_rng_below(rng, 100);
    if (lk < 6) *len = 0;
    else if (lk < 40) *len = 1 + (size_t)tu_rng_below(rng, 256);
    else if (lk < 75) *len = 1 + (size_t)tu_rng_below(rng, 70000);
    else if (lk < 97) *len = 1 + (size_t)tu_rng_below(rng, 600000);
    else *len = 1 + (size_t)tu_rng_below(rng, 5u << 20); /* crosses many blocks and pages */
    /* Sometimes end exactly on a block boundary. */
    if (kind >= 90 && b->count > 1) {
        uint64_t e = b->starts[tu_rng_below(rng, b->count)];
        if (e > *off && e - *off <= (5u << 20)) *len = (size_t)(e - *off);
    }
}

/* One read, checked: the count, the bytes, and that nothing past the count was written. */
static void checked_read(hexz_reader *r, uint8_t *buf, size_t cap, uint64_t off, size_t len,
                         uint64_t size, const char *what)
{
    assert_true(len + 16 <= cap);
    memset(buf, CANARY, len + 16);
    size_t got = (size_t)-1;
    int rc = hexz_reader_read_at(r, 0, buf, len, off, &got);
    if (rc != 0)
        fail_msg("%s: read_at(%llu, %zu) failed: %s", what, (unsigned long long)off, len,
                 hexz_last_error());
    size_t expect = off >= size ? 0 : (size - off < len ? (size_t)(size - off) : len);
    if (got != expect)
        fail_msg("%s: read_at(%llu, %zu) returned %zu bytes, expected %zu", what,
                 (unsigned long long)off, len, got, expect);
    if (expect && memcmp(buf, g_data + off, expect) != 0) {
        size_t i = 0;
        while (buf[i] == g_data[off + i]) i++;
        fail_msg("%s: read_at(%llu, %zu) wrong byte at +%zu", what, (unsigned long long)off, len,
                 i);
    }
    for (size_t i = got; i < len + 16; i++)
        if (buf[i] != CANARY)
            fail_msg("%s: read_at(%llu, %zu) wrote past its count at +%zu", what,
                     (unsigned long long)off, len, i);
}

static int setup(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    g_data = af_malloc(FILE_LEN);
    af_fill_mixed(&rng, g_data, FILE_LEN);
    g_dir = tu_mkdtemp("read-at");
    g_configs[0] = (config){"CDC default", af_cdc(16384, 65536, 262144, HEXZ_CODEC_LZ4, 0)};
    g_configs[1] = (config){"CDC small", af_cdc(1024, 4096, 16384, HEXZ_CODEC_ZSTD, 0)};
    g_configs[2] = (config){"fixed 4 KiB", af_fixed(4096, HEXZ_CODEC_LZ4, 0)};
    char *input = tu_strf("%s/input", g_dir);
    tu_write_file(input, g_data, FILE_LEN);
    for (int i = 0; i < 3; i++) {
        g_archives[i] = tu_strf("%s/a%d.hxz", g_dir, i);
        AF_OK(hexz_pack_path(input, g_archives[i], &g_configs[i].opts));
    }
    free(input);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) free(g_archives[i]);
    tu_rmtree(g_dir);
    free(g_dir);
    free(g_data);
    return 0;
}

/* The archives have the shape the test relies on: holes, dedup, and several index pages. */
static void test_archive_shapes(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        hexz_reader *r = af_open(g_archives[i]);
        hexz_inspect_info info = af_inspect(r);
        printf("[ info     ] %s: %llu blocks, %llu index pages, %llu holes, %llu dedup\n",
               g_configs[i].name, (unsigned long long)info.blocks,
               (unsigned long long)af_index_pages(&info), (unsigned long long)info.hole_blocks,
               (unsigned long long)info.dedup_blocks);
        assert_int_equal(info.logical_bytes, FILE_LEN);
        assert_true(info.hole_blocks > 0);
        /* Repeats are short next to 64 KiB-average chunks; only the small chunks surely dedup. */
        if (i > 0) assert_true(info.dedup_blocks > 0);
        if (i > 0) assert_true(af_index_pages(&info) >= 2);
        af_assert_stream(r, 0, g_data, FILE_LEN, 0, g_configs[i].name);
        hexz_reader_free(r);
    }
}

/* READS random ranges on each archive, one thread. */
static void test_random_reads(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    size_t cap = (5u << 20) + 64;
    uint8_t *buf = af_malloc(cap);
    for (int i = 0; i < 3; i++) {
        hexz_reader *r = af_open(g_archives[i]);
        boundaries b = get_boundaries(r);
        unsigned zero_len = 0, past_end = 0, short_reads = 0, multi_block = 0;
        for (int k = 0; k < READS; k++) {
            uint64_t off;
            size_t len;
            pick_range(&rng, &b, FILE_LEN, &off, &len);
            checked_read(r, buf, cap, off, len, FILE_LEN, g_configs[i].name);
            zero_len += len == 0;
            past_end += off >= FILE_LEN;
            short_reads += off < FILE_LEN && len > FILE_LEN - off;
            multi_block += len > 70000;
        }
        printf("[ info     ] %s: %d reads (%u empty, %u at/after the end, %u short, %u long)\n",
               g_configs[i].name, READS, zero_len, past_end, short_reads, multi_block);
        /* Each shape was actually exercised. */
        assert_true(zero_len > 50 && past_end > 50 && short_reads > 50 && multi_block > 50);
        free(b.starts);
        hexz_reader_free(r);
    }
    free(buf);
}

/* The exact edges, on every archive: every block boundary of a few pages, the first and last
 * byte, and the whole stream in one read. */
static void test_edges(void **state)
{
    (void)state;
    uint8_t *buf = af_malloc(FILE_LEN + 64);
    for (int i = 0; i < 3; i++) {
        hexz_reader *r = af_open(g_archives[i]);
        boundaries b = get_boundaries(r);
        for (uint64_t k = 0; k < b.count; k++) {
            uint64_t s = b.starts[k];
            if (s >= 1) checked_read(r, buf, 64 + 16, s - 1, 2, FILE_LEN, "boundary");
            checked_read(r, buf, 64 + 16, s, 1, FILE_LEN, "block start");
        }
        checked_read(r, buf, 64, 0, 1, FILE_LEN, "first byte");
        checked_read(r, buf, 64, FILE_LEN - 1, 1, FILE_LEN, "last byte");
        checked_read(r, buf, 64, FILE_LEN - 1, 40, FILE_LEN, "last byte, long");
        checked_read(r, buf, 64, FILE_LEN, 40, FILE_LEN, "at the end");
        checked_read(r, buf, 64, FILE_LEN, 0, FILE_LEN, "empty at the end");
        checked_read(r, buf, 64, UINT64_MAX - 5, 40, FILE_LEN, "far past the end");
        checked_read(r, buf, 64, UINT64_MAX, 1, FILE_LEN, "at UINT64_MAX");
        checked_read(r, buf, FILE_LEN + 64, 0, FILE_LEN + 10, FILE_LEN, "whole stream");
        /* Bad arguments are refused, not crashed on. */
        size_t got = 77;
        assert_int_equal(hexz_reader_read_at(r, 0, NULL, 10, 0, &got), HEXZ_EINVAL);
        assert_int_equal(hexz_reader_read_at(r, 0, buf, 10, 0, NULL), HEXZ_EINVAL);
        assert_int_equal(hexz_reader_read_at(NULL, 0, buf, 10, 0, &got), HEXZ_EINVAL);
        assert_int_equal(hexz_reader_read_at(r, 1, buf, 10, 0, &got), HEXZ_ERANGE);
        assert_int_equal(got, 77); /* out-parameters are written only on success */
        AF_OK(hexz_reader_read_at(r, 0, NULL, 0, 5, &got));
        assert_int_equal(got, 0);
        free(b.starts);
        hexz_reader_free(r);
    }
    free(buf);
}

/* ---- concurrency ---------------------------------------------------------------------------- */

#define THREADS 4
#define THREAD_READS 1500

typedef struct {
    hexz_reader *r;
    const boundaries *b;
    uint64_t seed;
    int index;
    int do_verify;
    int failures;    /* wrong bytes or counts */
    int errors;      /* calls that failed */
    int error_leaks; /* another thread's error message seen */
    char first_problem[256];
} thread_arg;

static void note(thread_arg *a, const char *msg)
{
    if (!a->first_problem[0]) snprintf(a->first_problem, sizeof a->first_problem, "%s", msg);
}

/* cmocka's assertions are not thread-safe, so threads count problems and the main thread
 * asserts. */
static void *reader_thread(void *p)
{
    thread_arg *a = p;
    tu_rng rng;
    tu_rng_seed(&rng, a->seed);
    size_t cap = (5u << 20) + 64;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        a->errors++;
        return NULL;
    }
    if (a->do_verify && hexz_reader_verify(a->r, NULL, NULL) != 0) {
        a->errors++;
        note(a, hexz_last_error());
    }
    for (int k = 0; k < THREAD_READS; k++) {
        uint64_t off;
        size_t len;
        pick_range(&rng, a->b, FILE_LEN, &off, &len);
        size_t got = 0;
        int rc = hexz_reader_read_at(a->r, 0, buf, len, off, &got);
        if (rc) {
            a->errors++;
            note(a, hexz_last_error());
            continue;
        }
        size_t expect = off >= FILE_LEN ? 0
                                        : (FILE_LEN - off < len ? (size_t)(FILE_LEN - off) : len);
        if (got != expect || (expect && memcmp(buf, g_data + off, expect) != 0)) {
            a->failures++;
            note(a, "wrong bytes or count");
        }
        /* The last error is per thread: a failure here names this thread's own stream name. */
        if (k % 100 == 0) {
            char name[32];
            snprintf(name, sizeof name, "no-such-stream-%d-%d", a->index, k);
            unsigned s;
            if (hexz_reader_find_stream(a->r, name, &s) != HEXZ_ENOTFOUND) a->errors++;
            if (!strstr(hexz_last_error(), name)) {
                a->error_leaks++;
                note(a, "hexz_last_error() does not name this thread's lookup");
            }
        }
    }
    free(buf);
    return NULL;
}

static void test_concurrent_reads(void **state)
{
    (void)state;
    uint64_t seed = tu_test_seed();
    for (int i = 0; i < 3; i++) {
        /* A fresh reader: the threads fill its caches concurrently. */
        hexz_reader *r = af_open(g_archives[i]);
        hexz_reader *probe = af_open(g_archives[i]);
        boundaries b = get_boundaries(probe);
        hexz_reader_free(probe);
        pthread_t th[THREADS];
        thread_arg args[THREADS];
        for (int t = 0; t < THREADS; t++) {
            args[t] = (thread_arg){.r = r,
                                   .b = &b,
                                   .seed = seed * 31 + (uint64_t)t * 7919 + (uint64_t)i,
                                   .index = t,
                                   .do_verify = t == 0};
            assert_int_equal(pthread_create(&th[t], NULL, reader_thread, &args[t]), 0);
        }
        for (int t = 0; t < THREADS; t++) assert_int_equal(pthread_join(th[t], NULL), 0);
        for (int t = 0; t < THREADS; t++) {
            if (args[t].failures || args[t].errors || args[t].error_leaks)
                fail_msg("%s, thread %d: %d wrong reads, %d errors, %d error leaks; first: %s",
                         g_configs[i].name, t, args[t].failures, args[t].errors,
                         args[t].error_leaks, args[t].first_problem);
        }
        free(b.starts);
        hexz_reader_free(r);
    }
}

/* Threads reading a stream larger than the reader's block cache, so that blocks are evicted
 * while other threads hold or want them: fixed 1 MiB blocks of 96 MiB of random data. */
typedef struct {
    hexz_reader *r;
    const uint8_t *data;
    size_t size;
    uint64_t seed;
    int failures, errors;
} evict_arg;

static void *evict_thread(void *p)
{
    evict_arg *a = p;
    tu_rng rng;
    tu_rng_seed(&rng, a->seed);
    size_t cap = 3u << 20;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        a->errors++;
        return NULL;
    }
    for (int k = 0; k < 250; k++) {
        uint64_t off = tu_rng_below(&rng, a->size);
        size_t len = 1 + (size_t)tu_rng_below(&rng, cap);
        size_t got = 0;
        if (hexz_reader_read_at(a->r, 0, buf, len, off, &got) != 0) {
            a->errors++;
            continue;
        }
        size_t expect = a->size - off < len ? (size_t)(a->size - off) : len;
        if (got != expect || memcmp(buf, a->data + off, expect) != 0) a->failures++;
    }
    free(buf);
    return NULL;
}

static void test_concurrent_eviction(void **state)
{
    (void)state;
    uint64_t seed = tu_test_seed();
    tu_rng rng;
    tu_rng_seed(&rng, seed ^ 0xE71C7);
    const size_t size = 96u << 20;
    uint8_t *data = af_malloc(size);
    tu_rng_fill(&rng, data, size);
    char *a = tu_strf("%s/big.hxz", g_dir);
    hexz_write_options o = af_fixed(1u << 20, HEXZ_CODEC_NONE, 0);
    af_pack_buffer(a, data, size, &o, 0);
    hexz_reader *r = af_open(a);
    pthread_t th[THREADS];
    evict_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (evict_arg){
            .r = r, .data = data, .size = size, .seed = seed + 1000u * (uint64_t)t};
        assert_int_equal(pthread_create(&th[t], NULL, evict_thread, &args[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) assert_int_equal(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < THREADS; t++)
        if (args[t].failures || args[t].errors)
            fail_msg("thread %d: %d wrong reads, %d errors", t, args[t].failures, args[t].errors);
    hexz_reader_free(r);
    unlink(a);
    free(a);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_archive_shapes),
        cmocka_unit_test(test_random_reads),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_concurrent_reads),
        cmocka_unit_test(test_concurrent_eviction),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
