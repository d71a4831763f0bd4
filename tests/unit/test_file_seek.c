/*
 * test_file_seek.c - hexz_reader_file_seek(): the lower bound of a path in manifest order, on a
 * manifest of many pages, checked against a linear scan; and the block cache size setting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexz.h"
#include "testutil.h"

/* Manifest order: bytes, with '/' below every other byte. */
static int manifest_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca == cb) {
            if (!ca) return 0;
            continue;
        }
        if (!ca || !cb) return ca ? 1 : -1;
        if (ca == '/') ca = 0;
        if (cb == '/') cb = 0;
        return ca < cb ? -1 : 1;
    }
}

static void test_seek_matches_scan(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("seek");
    char *path = tu_strf("%s/a.hxz", dir);
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, NULL), 0);
    char name[64];
    for (int d = 0; d < 30; d++) {
        snprintf(name, sizeof name, "d%02d", d);
        assert_int_equal(hexz_writer_add_dir(w, name, 0755, 0, 0), 0);
        for (int f = 0; f < 200; f++) {
            snprintf(name, sizeof name, "d%02d/file-%03d.txt", d, f);
            assert_int_equal(hexz_writer_begin_file(w, name, 0644, 0, 0), 0);
            assert_int_equal(hexz_writer_write(w, name, strlen(name)), 0);
            assert_int_equal(hexz_writer_end_file(w), 0);
        }
    }
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);

    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, path), 0);
    uint64_t n = hexz_reader_file_count(r);
    assert_int_equal(n, 30 * 201);
    char **paths = calloc(n, sizeof *paths);
    hexz_file_info *info = malloc(sizeof *info);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(hexz_reader_file_at(r, i, info), 0);
        paths[i] = strdup(info->path);
    }
    const char *probes[] = {"",
                            "a",
                            "d00",
                            "d00/",
                            "d00/file-000.txt",
                            "d00/file-0000",
                            "d05",
                            "d05.x",
                            "d05/zzz",
                            "d17/file-150.txt",
                            "d29/file-199.txt",
                            "e",
                            "d29/~"};
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        uint64_t want = 0;
        while (want < n && manifest_cmp(paths[want], probes[k]) < 0) want++;
        uint64_t got = 99999;
        assert_int_equal(hexz_reader_file_seek(r, probes[k], &got), 0);
        if (got != want)
            fail_msg("seek(%s) = %llu, want %llu", probes[k], (unsigned long long)got,
                     (unsigned long long)want);
    }
    /* The cache size setting changes nothing visible but memory: reads stay right. */
    hexz_reader_set_cache_size(r, 0);
    assert_int_equal(hexz_reader_file_lookup(r, "d17/file-150.txt", info), 0);
    char buf[64];
    size_t got;
    assert_int_equal(hexz_reader_read_at(r, 0, buf, info->size, info->offset, &got), 0);
    assert_memory_equal(buf, "d17/file-150.txt", got);
    for (uint64_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
    free(info);
    hexz_reader_free(r);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_seek_matches_scan)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
