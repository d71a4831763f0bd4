/*
 * test_dict.c - zstd dictionaries: trained on a tree of many small, alike files, stored in the
 * archive and used for every block. The archive must shrink markedly against plain zstd, read
 * back exactly (with and without threads, encrypted too), and refuse nonsense options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hexz.h"
#include "testutil.h"

/* Many small JSON records sharing their keys and much of their values. */
static void make_tree(const char *dir, unsigned files, uint64_t seed)
{
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    static const char *cities[] = {"Lisbon", "Oslo", "Nairobi", "Lima", "Osaka", "Quito", "Perth"};
    char *buf = malloc(8192);
    for (unsigned i = 0; i < files; i++) {
        if (i % 500 == 0) {
            char *sub = tu_strf("%s/d%u", dir, i / 500);
            assert_int_equal(mkdir(sub, 0755), 0);
            free(sub);
        }
        size_t n = 0;
        unsigned recs = 2 + (unsigned)tu_rng_below(&rng, 10);
        n += (size_t)snprintf(buf + n, 8192 - n, "{\"version\": 3, \"records\": [\n");
        for (unsigned r = 0; r < recs; r++)
            n += (size_t)snprintf(
                buf + n, 8192 - n,
                "  {\"id\": %llu, \"customer\": \"customer-%04llu\", \"city\": \"%s\", "
                "\"status\": \"%s\", \"amount\": %llu.%02llu, \"currency\": \"EUR\"},\n",
                (unsigned long long)tu_rng_below(&rng, 1000000),
                (unsigned long long)tu_rng_below(&rng, 10000), cities[tu_rng_below(&rng, 7)],
                tu_rng_below(&rng, 3) ? "shipped" : "pending",
                (unsigned long long)tu_rng_below(&rng, 5000),
                (unsigned long long)tu_rng_below(&rng, 100));
        n += (size_t)snprintf(buf + n, 8192 - n, "]}\n");
        char *path = tu_strf("%s/d%u/rec-%05u.json", dir, i / 500, i);
        tu_write_file(path, buf, n);
        free(path);
    }
    free(buf);
}

static long long pack_tree(const char *src, const char *out, const void *dict, size_t dict_len,
                           unsigned threads, const char *password)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.codec = HEXZ_CODEC_ZSTD;
    o.threads = threads;
    o.dictionary = dict;
    o.dictionary_size = dict_len;
    o.password = password;
    o.kdf = HEXZ_KDF_MINIMAL;
    assert_int_equal(hexz_pack_path(src, out, &o), 0);
    return tu_file_size(out);
}

static uint64_t stored_bytes(const char *archive)
{
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, archive), 0);
    hexz_inspect_info info = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_inspect(r, &info), 0);
    hexz_reader_free(r);
    return info.stored_bytes;
}

static void assert_tree_reads_back(const char *archive, const char *src, const char *password)
{
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, archive, password), 0);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    hexz_file_info *f = malloc(sizeof *f);
    unsigned main_stream;
    assert_int_equal(hexz_reader_find_stream(r, "main", &main_stream), 0);
    for (uint64_t i = 0; i < hexz_reader_file_count(r); i++) {
        assert_int_equal(hexz_reader_file_at(r, i, f), 0);
        if (f->type != HEXZ_FILE_REGULAR) continue;
        char *path = tu_strf("%s/%s", src, f->path);
        size_t n;
        uint8_t *want = tu_read_file(path, &n);
        uint8_t *got = malloc(n + 1);
        size_t k;
        assert_int_equal(hexz_reader_read_at(r, main_stream, got, f->size, f->offset, &k), 0);
        assert_int_equal(k, n);
        assert_memory_equal(got, want, n);
        free(got);
        free(want);
        free(path);
    }
    free(f);
    hexz_reader_free(r);
}

static void test_dictionary_helps_small_files(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dict");
    char *src = tu_strf("%s/src", dir);
    assert_int_equal(mkdir(src, 0755), 0);
    make_tree(src, 3000, tu_test_seed());
    void *dict;
    size_t dict_len;
    assert_int_equal(hexz_train_dictionary(src, 0, &dict, &dict_len), 0);
    assert_true(dict_len > 1024 && dict_len <= 110 * 1024);
    char *plain = tu_strf("%s/plain.hxz", dir), *with = tu_strf("%s/dict.hxz", dir);
    char *enc = tu_strf("%s/enc.hxz", dir);
    long long a = pack_tree(src, plain, NULL, 0, 1, NULL);
    long long b = pack_tree(src, with, dict, dict_len, 2, NULL);
    uint64_t sa = stored_bytes(plain), sb = stored_bytes(with);
    printf("[ info     ] 3000 small files: zstd %lld bytes (blocks %llu), zstd + %zu-byte "
           "dictionary %lld bytes "
           "(blocks %llu, %.0f%%)\n",
           a, (unsigned long long)sa, dict_len, b, (unsigned long long)sb, 100.0 * sb / sa);
    /* The blocks shrink by more than half; the whole archive (index, manifest and the
     * dictionary itself included) still comes out clearly smaller. */
    assert_true(sb < sa / 2);
    assert_true(b < a * 8 / 10);
    assert_tree_reads_back(with, src, NULL);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, with), 0);
    hexz_inspect_info info = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_inspect(r, &info), 0);
    assert_true(info.zstd_blocks > 0); /* dictionary blocks count as zstd */
    hexz_reader_free(r);
    pack_tree(src, enc, dict, dict_len, 2, "pw");
    assert_tree_reads_back(enc, src, "pw");
    hexz_free(dict);
    free(plain);
    free(with);
    free(enc);
    free(src);
    tu_rmtree(dir);
    free(dir);
}

static void test_dictionary_options_checked(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dictopt");
    char *out = tu_strf("%s/a.hxz", dir), *empty = tu_strf("%s/empty", dir);
    uint8_t junk[2048] = {1, 2, 3};
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.dictionary = junk;
    o.dictionary_size = sizeof junk;
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, out, &o), HEXZ_EINVAL); /* lz4 */
    assert_non_null(strstr(hexz_last_error(), "needs zstd"));
    tu_write_file(empty, "", 0);
    void *dict;
    size_t len;
    assert_int_equal(hexz_train_dictionary(empty, 0, &dict, &len), HEXZ_EINVAL);
    assert_non_null(strstr(hexz_last_error(), "too little"));
    free(out);
    free(empty);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dictionary_helps_small_files),
        cmocka_unit_test(test_dictionary_options_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
