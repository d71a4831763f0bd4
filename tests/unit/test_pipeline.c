/*
 * test_pipeline.c - the parallel packing pipeline: the archive's bytes must not depend on the
 * number of threads; a failure in any stage (a write error, a cancel from the progress
 * callback) must stop everything promptly and leave neither the archive nor a temporary file;
 * and memory must stay bounded by the blocks in flight, not the input size.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hexz.h"
#include "testutil.h"

static const uint8_t fixed_id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* A mixed input: text, zeros, random bytes and repeats of earlier regions. */
static uint8_t *mixed_data(size_t len, uint64_t seed)
{
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    size_t pos = 0;
    while (pos < len) {
        size_t n = 1 + tu_rng_below(&rng, 300000);
        if (n > len - pos) n = len - pos;
        switch (tu_rng_below(&rng, 4)) {
        case 0: memset(buf + pos, 0, n); break;
        case 1: tu_rng_fill(&rng, buf + pos, n); break;
        case 2:
            for (size_t i = 0; i < n; i++) buf[pos + i] = "hexz packs text, too.\n"[i % 22];
            break;
        default:
            if (pos > n) memcpy(buf + pos, buf + tu_rng_below(&rng, pos - n), n);
            else memset(buf + pos, 'x', n);
        }
        pos += n;
    }
    return buf;
}

static void pack_buffer(const char *path, const uint8_t *data, size_t len, hexz_write_options *o)
{
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, o), 0);
    /* Odd-sized writes, so chunk cuts fall inside and across them. */
    for (size_t pos = 0; pos < len;) {
        size_t n = len - pos < 777777 ? len - pos : 777777;
        assert_int_equal(hexz_writer_write(w, data + pos, n), 0);
        pos += n;
    }
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
}

static void same_bytes_for_any_thread_count(hexz_chunking chunking, hexz_codec codec)
{
    char *dir = tu_mkdtemp("pipeline");
    size_t len = 24u << 20;
    uint8_t *data = mixed_data(len, tu_test_seed());
    unsigned threads[] = {1, 2, 7};
    uint8_t *first = NULL;
    size_t first_len = 0;
    for (size_t i = 0; i < 3; i++) {
        hexz_write_options o;
        hexz_write_options_init(&o);
        o.chunking = chunking;
        o.block_size = 32768;
        o.codec = codec;
        o.threads = threads[i];
        o.archive_id = fixed_id;
        char *path = tu_strf("%s/t%u.hxz", dir, threads[i]);
        pack_buffer(path, data, len, &o);
        size_t n;
        uint8_t *bytes = tu_read_file(path, &n);
        if (!first) {
            first = bytes;
            first_len = n;
        } else {
            assert_int_equal(n, first_len);
            assert_memory_equal(bytes, first, n);
            free(bytes);
        }
        hexz_reader *r;
        assert_int_equal(hexz_reader_open(&r, path), 0);
        assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
        uint8_t *back = malloc(len);
        size_t got;
        assert_int_equal(hexz_reader_read_at(r, 0, back, len, 0, &got), 0);
        assert_int_equal(got, len);
        assert_memory_equal(back, data, len);
        free(back);
        hexz_reader_free(r);
        free(path);
    }
    free(first);
    free(data);
    tu_rmtree(dir);
    free(dir);
}

static void test_identical_cdc_lz4(void **state)
{
    (void)state;
    same_bytes_for_any_thread_count(HEXZ_CHUNK_CDC, HEXZ_CODEC_LZ4);
}

static void test_identical_fixed_zstd(void **state)
{
    (void)state;
    same_bytes_for_any_thread_count(HEXZ_CHUNK_FIXED, HEXZ_CODEC_ZSTD);
}

/* No file of the directory is the archive or a leftover temporary file. */
static void assert_dir_empty_but(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (keep && strcmp(de->d_name, keep) == 0) continue;
        fail_msg("unexpected file left behind: %s", de->d_name);
    }
    closedir(d);
}

static int cancel_after_8mib(const hexz_progress *p, void *user)
{
    (void)user;
    return p->bytes_in >= (8u << 20);
}

static void test_cancel_leaves_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("cancel");
    size_t len = 32u << 20;
    uint8_t *data = mixed_data(len, 99);
    char *in = tu_strf("%s/in.bin", dir), *out = tu_strf("%s/out/a.hxz", dir),
         *outdir = tu_strf("%s/out", dir);
    tu_write_file(in, data, len);
    assert_int_equal(mkdir(outdir, 0755), 0);
    for (unsigned threads = 1; threads <= 3; threads++) {
        hexz_write_options o;
        hexz_write_options_init(&o);
        o.threads = threads;
        o.progress = cancel_after_8mib;
        assert_int_equal(hexz_pack_path(in, out, &o), HEXZ_ECANCELED);
        assert_non_null(strstr(hexz_last_error(), "canceled"));
        assert_dir_empty_but(outdir, NULL);
    }
    free(data);
    free(in);
    free(out);
    free(outdir);
    tu_rmtree(dir);
    free(dir);
}

/* A write error (the file-size limit stands in for a full disk) in a child process. */
static void test_write_error_leaves_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("enospc");
    size_t len = 16u << 20;
    uint8_t *data = mixed_data(len, 7);
    char *in = tu_strf("%s/in.bin", dir), *outdir = tu_strf("%s/out", dir);
    char *out = tu_strf("%s/a.hxz", outdir);
    tu_write_file(in, data, len);
    assert_int_equal(mkdir(outdir, 0755), 0);
    for (unsigned threads = 1; threads <= 2; threads++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit lim = {1u << 20, 1u << 20};
            setrlimit(RLIMIT_FSIZE, &lim);
            hexz_write_options o;
            hexz_write_options_init(&o);
            o.threads = threads;
            o.codec = HEXZ_CODEC_NONE;
            int rc = hexz_pack_path(in, out, &o);
            _exit(rc == HEXZ_EIO && strstr(hexz_last_error(), "write failed") ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_dir_empty_but(outdir, NULL);
    }
    free(data);
    free(in);
    free(out);
    free(outdir);
    tu_rmtree(dir);
    free(dir);
}

/* An input that fails to read partway (/proc/self/mem fails at its first page, which is not
 * mapped) stops every stage and leaves nothing, with the input named in the message. */
static void test_read_error_leaves_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("readerr");
    char *out = tu_strf("%s/a.hxz", dir);
    for (unsigned threads = 1; threads <= 2; threads++) {
        hexz_write_options o;
        hexz_write_options_init(&o);
        o.threads = threads;
        assert_int_equal(hexz_pack_path("/proc/self/mem", out, &o), HEXZ_EIO);
        assert_non_null(strstr(hexz_last_error(), "/proc/self/mem: read failed"));
        assert_dir_empty_but(dir, NULL);
    }
    free(out);
    tu_rmtree(dir);
    free(dir);
}

/* Packing a large sparse input (16 GiB, with a MiB of random data in every GiB): peak memory
 * stays far below the input size. ASan's quarantine keeps freed memory (up to 256 MiB) resident,
 * so the bound is looser there; either way it is a small fraction of the input. */
static void test_memory_bounded(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("bounded");
    char *in = tu_strf("%s/sparse.img", dir), *out = tu_strf("%s/a.hxz", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 16LL << 30), 0);
    uint8_t *chunk = malloc(1u << 20);
    tu_rng rng;
    tu_rng_seed(&rng, 12);
    for (int g = 0; g < 16; g++) {
        tu_rng_fill(&rng, chunk, 1u << 20);
        assert_int_equal(fseeko(f, ((off_t)g << 30) + 12345, SEEK_SET), 0);
        assert_int_equal(fwrite(chunk, 1, 1u << 20, f), 1u << 20);
    }
    free(chunk);
    fclose(f);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hexz_write_options o;
        hexz_write_options_init(&o);
        o.threads = 2;
        _exit(hexz_pack_path(in, out, &o) == 0 ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_CHILDREN, &ru), 0);
    printf("[ info     ] peak RSS packing 16 GiB (sparse): %ld KiB, archive %lld bytes\n",
           ru.ru_maxrss, tu_file_size(out));
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) /* TSan's shadow memory too */
    assert_true(ru.ru_maxrss < 512 * 1024);
#else
    assert_true(ru.ru_maxrss < 128 * 1024);
#endif
    assert_true(tu_file_size(out) < (20 << 20));
    free(in);
    free(out);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_cdc_lz4),
        cmocka_unit_test(test_identical_fixed_zstd),
        cmocka_unit_test(test_cancel_leaves_nothing),
        cmocka_unit_test(test_write_error_leaves_nothing),
        cmocka_unit_test(test_read_error_leaves_nothing),
        cmocka_unit_test(test_memory_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
