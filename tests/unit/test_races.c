/*
 * test_races.c - the data races ThreadSanitizer found (issue 10, item 19), each exercised with
 * the threads that raced, so that the TSan build (`make tsan-check`, .ci/run) fails if one comes
 * back; in other builds the same tests check what the racing code computes.
 *  - the writer's progress snapshot (report_progress in src/pack/writer.c) copied the progress
 *    struct while the pipeline's committer thread updated bytes_out, blocks and the dedup
 *    counters: progress callbacks during a threaded pack, checked to be monotonic and to end at
 *    the final figures;
 *  - the reader's `threads` field was read without its lock (hx_reader_prefetcher) while
 *    hexz_reader_set_threads() (documented thread-safe) wrote it: one thread sets the thread
 *    count while others make long reads, a bounded number of times.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hexz.h"

#define PACK_MIB 24

typedef struct {
    hexz_progress last;
    unsigned calls;
    int backwards; /* a counter went down between two calls */
} progress_log;

static int on_progress(const hexz_progress *p, void *user)
{
    progress_log *log = user;
    if (log->calls > 0 && (p->bytes_in < log->last.bytes_in || p->bytes_out < log->last.bytes_out ||
                           p->blocks < log->last.blocks || p->dedup_hits < log->last.dedup_hits ||
                           p->dedup_bytes < log->last.dedup_bytes))
        log->backwards = 1;
    log->last = *p;
    log->calls++;
    return 0;
}

/* PACK_MIB MiB: random 64 KiB pieces, every fourth repeated (dedup), lz4, two workers. */
static char *pack_threaded(const char *dir, progress_log *log)
{
    char *out = tu_path(dir, "a.hxz");
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = 64 << 10;
    o.codec = HEXZ_CODEC_LZ4;
    o.threads = 2;
    o.progress = on_progress;
    o.progress_user = log;
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, out, &o), 0);
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() + 19);
    uint8_t *piece = malloc(64 << 10), *repeat = malloc(64 << 10);
    assert_true(piece && repeat);
    tu_rng_fill(&rng, repeat, 64 << 10);
    for (int i = 0; i < PACK_MIB * 16; i++) {
        if (i % 4 == 3) {
            assert_int_equal(hexz_writer_write(w, repeat, 64 << 10), 0);
        } else {
            tu_rng_fill(&rng, piece, 64 << 10);
            assert_int_equal(hexz_writer_write(w, piece, 64 << 10), 0);
        }
    }
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
    free(piece);
    free(repeat);
    return out;
}

static void test_progress_during_threaded_pack(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("races");
    progress_log log = {0};
    char *out = pack_threaded(dir, &log);
    /* One call per 4 MiB consumed, and a last one with the archive complete. */
    assert_true(log.calls >= PACK_MIB / 4);
    assert_false(log.backwards);
    const uint64_t total = (uint64_t)PACK_MIB << 20;
    assert_int_equal(log.last.bytes_in, total);
    assert_int_equal(log.last.bytes_out, (uint64_t)tu_file_size(out));
    assert_int_equal(log.last.blocks, PACK_MIB * 16);
    /* Pieces 3, 7, 11, ... repeat piece 3: all but the first are dedup hits. */
    assert_int_equal(log.last.dedup_hits, PACK_MIB * 4 - 1);
    assert_int_equal(log.last.dedup_bytes, (uint64_t)(PACK_MIB * 4 - 1) << 16);
    free(out);
    tu_rmtree(dir);
    free(dir);
}

typedef struct {
    hexz_reader *r;
    uint64_t size;
    int errors;
} long_reader;

static void *long_reads(void *arg)
{
    long_reader *lr = arg;
    size_t len = 4u << 20;
    uint8_t *buf = malloc(len);
    if (!buf) {
        lr->errors++;
        return NULL;
    }
    for (int i = 0; i < 8; i++) {
        uint64_t off = (uint64_t)i * (1u << 20) % (lr->size - len);
        size_t got = 0;
        if (hexz_reader_read_at(lr->r, 0, buf, len, off, &got) != 0 || got != len) lr->errors++;
    }
    free(buf);
    return NULL;
}

static void *set_threads_loop(void *arg)
{
    hexz_reader *r = arg;
    for (unsigned i = 0; i < 2000; i++) hexz_reader_set_threads(r, 1 + i % 4);
    return NULL;
}

static void test_set_threads_during_long_reads(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("races");
    progress_log log = {0};
    char *out = pack_threaded(dir, &log);
    for (int round = 0; round < 3; round++) {
        hexz_reader *r;
        assert_int_equal(hexz_reader_open(&r, out), 0);
        hexz_reader_set_threads(r, 2);
        const uint64_t size = (uint64_t)PACK_MIB << 20;
        long_reader lr[2] = {{.r = r, .size = size}, {.r = r, .size = size}};
        pthread_t th[3];
        assert_int_equal(pthread_create(&th[0], NULL, set_threads_loop, r), 0);
        for (int t = 0; t < 2; t++)
            assert_int_equal(pthread_create(&th[1 + t], NULL, long_reads, &lr[t]), 0);
        for (int t = 0; t < 3; t++) assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(lr[0].errors + lr[1].errors, 0);
        hexz_reader_free(r);
    }
    free(out);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_during_threaded_pack),
        cmocka_unit_test(test_set_threads_during_long_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
