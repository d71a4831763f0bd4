/*
 * test_pack_options.c - hexz_pack()'s extras: standard input of unknown length, extra named
 * streams, warnings for special files, sparse input read with SEEK_HOLE, and
 * hexz_writer_write_zeros() giving byte for byte the archive that writing the zeros gives.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hexz.h"
#include "testutil.h"

static const uint8_t fixed_id[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

/* Random data with long zero runs at odd places. */
static uint8_t *sparse_content(size_t len, uint64_t seed)
{
    uint8_t *d = malloc(len);
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    tu_rng_fill(&rng, d, len);
    memset(d + 100000, 0, 3000000);
    memset(d + 3500001, 0, 1234567);
    memset(d + len - 777777, 0, 777777);
    return d;
}

static hexz_write_options opts_for(hexz_chunking mode)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = mode;
    o.block_size = 16384;
    o.archive_id = fixed_id;
    return o;
}

/* Writes d, but its zero runs (of at least `min_run` bytes) through write_zeros. */
static void pack_with_zeros(const char *path, const uint8_t *d, size_t len,
                            const hexz_write_options *o)
{
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, o), 0);
    size_t pos = 0;
    while (pos < len) {
        size_t run = 0;
        while (pos + run < len && d[pos + run] == 0) run++;
        if (run >= 4096) {
            assert_int_equal(hexz_writer_write_zeros(w, run), 0);
            pos += run;
            continue;
        }
        size_t n = run ? run : 1;
        while (pos + n < len && (d[pos + n] != 0 || n < 4096)) n++;
        assert_int_equal(hexz_writer_write(w, d + pos, n), 0);
        pos += n;
    }
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
}

static void pack_plain(const char *path, const uint8_t *d, size_t len, const hexz_write_options *o)
{
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, o), 0);
    assert_int_equal(hexz_writer_write(w, d, len), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
}

static void assert_same_files(const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(x, y, la);
    free(x);
    free(y);
}

static void test_write_zeros_is_exact(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("zeros");
    size_t len = 8u << 20;
    uint8_t *d = sparse_content(len, tu_test_seed());
    hexz_chunking modes[2] = {HEXZ_CHUNK_FIXED, HEXZ_CHUNK_CDC};
    for (int m = 0; m < 2; m++) {
        for (unsigned threads = 1; threads <= 2; threads++) {
            hexz_write_options o = opts_for(modes[m]);
            o.threads = threads;
            char *a = tu_strf("%s/a%d%u.hxz", dir, m, threads),
                 *b = tu_strf("%s/b%d%u.hxz", dir, m, threads);
            pack_plain(a, d, len, &o);
            pack_with_zeros(b, d, len, &o);
            assert_same_files(a, b);
            free(a);
            free(b);
        }
    }
    free(d);
    tu_rmtree(dir);
    free(dir);
}

/* A sparse file (holes made by seeking) packs to the same archive as its content written. */
static void test_sparse_file_input(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("sparsein");
    size_t len = 8u << 20;
    uint8_t *d = sparse_content(len, 5);
    char *in = tu_strf("%s/in.img", dir), *a = tu_strf("%s/a.hxz", dir),
         *b = tu_strf("%s/b.hxz", dir);
    int fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    for (size_t pos = 0; pos < len; pos += 4096) {
        size_t n = len - pos < 4096 ? len - pos : 4096;
        int zero = 1;
        for (size_t i = 0; i < n && zero; i++) zero = d[pos + i] == 0;
        if (!zero) assert_int_equal(pwrite(fd, d + pos, n, (off_t)pos), (ssize_t)n);
    }
    assert_int_equal(ftruncate(fd, (off_t)len), 0);
    close(fd);
    for (int m = 0; m < 2; m++) {
        hexz_write_options o = opts_for(m ? HEXZ_CHUNK_CDC : HEXZ_CHUNK_FIXED);
        assert_int_equal(hexz_pack(in, a, &o, NULL), 0);
        pack_plain(b, d, len, &o);
        assert_same_files(a, b);
    }
    free(d);
    free(in);
    free(a);
    free(b);
    tu_rmtree(dir);
    free(dir);
}

typedef struct {
    int fd;
    const uint8_t *data;
    size_t len;
} feeder;

static void *feed(void *arg)
{
    feeder *f = arg;
    for (size_t pos = 0; pos < f->len;) {
        ssize_t n = write(f->fd, f->data + pos, f->len - pos < 65536 ? f->len - pos : 65536);
        if (n <= 0) break;
        pos += (size_t)n;
    }
    close(f->fd);
    return NULL;
}

static void collect(const char *msg, void *user)
{
    char *buf = user;
    strncat(buf, msg, 4000 - strlen(buf));
    strncat(buf, "\n", 4000 - strlen(buf));
}

static void test_stdin_and_extra_streams(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("stdin");
    size_t len = 5u << 20, mlen = 1u << 20;
    uint8_t *d = sparse_content(len, 8), *mem = malloc(mlen);
    tu_rng rng;
    tu_rng_seed(&rng, 3);
    tu_rng_fill(&rng, mem, mlen);
    char *memfile = tu_strf("%s/vm.mem", dir), *out = tu_strf("%s/a.hxz", dir);
    tu_write_file(memfile, mem, mlen);
    int p[2];
    assert_int_equal(pipe(p), 0);
    int saved = dup(STDIN_FILENO);
    assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
    close(p[0]);
    feeder f = {p[1], d, len};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
    hexz_stream_source extra = {"memory", memfile};
    hexz_pack_options po = HEXZ_PACK_OPTIONS_INIT;
    po.extra_streams = &extra;
    po.extra_stream_count = 1;
    int rc = hexz_pack("-", out, NULL, &po);
    pthread_join(t, NULL);
    dup2(saved, STDIN_FILENO);
    close(saved);
    assert_int_equal(rc, 0);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, out), 0);
    unsigned main_s, mem_s;
    assert_int_equal(hexz_reader_find_stream(r, "main", &main_s), 0);
    assert_int_equal(hexz_reader_find_stream(r, "memory", &mem_s), 0);
    uint8_t *back = malloc(len);
    size_t got;
    assert_int_equal(hexz_reader_read_at(r, main_s, back, len, 0, &got), 0);
    assert_int_equal(got, len);
    assert_memory_equal(back, d, len);
    assert_int_equal(hexz_reader_read_at(r, mem_s, back, mlen, 0, &got), 0);
    assert_int_equal(got, mlen);
    assert_memory_equal(back, mem, mlen);
    hexz_reader_free(r);
    free(back);
    free(d);
    free(mem);
    free(memfile);
    free(out);
    tu_rmtree(dir);
    free(dir);
}

static void test_special_files_warned(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("special");
    char *src = tu_strf("%s/src", dir), *fifo = tu_strf("%s/src/pipe", dir),
         *file = tu_strf("%s/src/f", dir);
    char *out = tu_strf("%s/a.hxz", dir);
    assert_int_equal(mkdir(src, 0755), 0);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    tu_write_file(file, "x", 1);
    char warnings[4096] = "";
    hexz_pack_options po = HEXZ_PACK_OPTIONS_INIT;
    po.warn = collect;
    po.warn_user = warnings;
    assert_int_equal(hexz_pack(src, out, NULL, &po), 0);
    assert_string_equal(warnings, "pipe: skipped: a fifo\n");
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, out), 0);
    assert_int_equal(hexz_reader_file_count(r), 1);
    hexz_reader_free(r);
    free(src);
    free(fifo);
    free(file);
    free(out);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_zeros_is_exact),
        cmocka_unit_test(test_sparse_file_input),
        cmocka_unit_test(test_stdin_and_extra_streams),
        cmocka_unit_test(test_special_files_warned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
