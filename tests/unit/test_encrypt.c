/*
 * test_encrypt.c - password encryption of archives: round trips (with and without threads),
 * missing and wrong passwords, dedup that still works under encryption, no plaintext name or
 * content in the archive's bytes, tampering anywhere detected, and password changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexz.h"
#include "testutil.h"

#define PASSWORD "correct horse battery staple"

static void fill_random(uint8_t *buf, size_t len, uint64_t seed)
{
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    tu_rng_fill(&rng, buf, len);
}

static hexz_write_options enc_options(unsigned threads, hexz_kdf_strength kdf)
{
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.password = PASSWORD;
    o.kdf = kdf;
    o.threads = threads;
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = 16384;
    return o;
}

static void write_archive(const char *path, const uint8_t *data, size_t len,
                          const hexz_write_options *o)
{
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, o), 0);
    assert_int_equal(hexz_writer_write(w, data, len), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
}

static void assert_reads_back(const char *path, const char *password, const uint8_t *data,
                              size_t len)
{
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, path, password), 0);
    assert_true(hexz_reader_is_encrypted(r));
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    uint8_t *back = malloc(len + 1);
    size_t got;
    assert_int_equal(hexz_reader_read_at(r, 0, back, len, 0, &got), 0);
    assert_int_equal(got, len);
    assert_memory_equal(back, data, len);
    free(back);
    hexz_reader_free(r);
}

static void test_round_trip_and_passwords(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("enc");
    size_t len = 3u << 20;
    uint8_t *data = malloc(len);
    fill_random(data, len, tu_test_seed());
    memset(data + 100000, 0, 500000);
    for (unsigned threads = 1; threads <= 2; threads++) {
        char *path = tu_strf("%s/t%u.hxz", dir, threads);
        hexz_write_options o = enc_options(threads, HEXZ_KDF_INTERACTIVE);
        write_archive(path, data, len, &o);
        assert_reads_back(path, PASSWORD, data, len);
        hexz_reader *r;
        assert_int_equal(hexz_reader_open(&r, path), HEXZ_EPASSWORD);
        assert_non_null(strstr(hexz_last_error(), "a password is needed"));
        assert_int_equal(hexz_reader_open_password(&r, path, "wrong"), HEXZ_EPASSWORD);
        assert_non_null(strstr(hexz_last_error(), "wrong password"));
        assert_non_null(strstr(hexz_last_error(), path));
        free(path);
    }
    free(data);
    tu_rmtree(dir);
    free(dir);
}

static void test_dedup_under_encryption(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("encdedup");
    char *path = tu_strf("%s/a.hxz", dir);
    size_t block = 16384, n = 40;
    uint8_t *data = malloc(block * n);
    fill_random(data, block, 5);
    for (size_t i = 1; i < n; i++) memcpy(data + i * block, data, block);
    hexz_write_options o = enc_options(2, HEXZ_KDF_MINIMAL);
    write_archive(path, data, block * n, &o);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, path, PASSWORD), 0);
    hexz_inspect_info info = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_inspect(r, &info), 0);
    assert_int_equal(info.unique_blocks, 1);
    assert_int_equal(info.dedup_blocks, n - 1);
    assert_true(tu_file_size(path) < (long long)(2 * block + 8192));
    hexz_reader_free(r);
    assert_reads_back(path, PASSWORD, data, block * n);
    free(data);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static int contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0) return 1;
    return 0;
}

static void test_no_plaintext_in_archive(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("encplain");
    char *path = tu_strf("%s/a.hxz", dir);
    hexz_write_options o = enc_options(1, HEXZ_KDF_MINIMAL);
    o.codec = HEXZ_CODEC_NONE; /* so that only encryption can hide the content */
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, &o), 0);
    assert_int_equal(hexz_writer_add_dir(w, "Quarterly-Secrets-Dir", 0755, 1, 0), 0);
    assert_int_equal(
        hexz_writer_begin_file(w, "Quarterly-Secrets-Dir/merger-plan-ACME.txt", 0644, 2, 0), 0);
    const char *text = "The merger with ACME closes on Friday. ";
    for (int i = 0; i < 1000; i++) assert_int_equal(hexz_writer_write(w, text, strlen(text)), 0);
    assert_int_equal(hexz_writer_end_file(w), 0);
    assert_int_equal(hexz_writer_add_symlink(w, "link-to-plan",
                                             "Quarterly-Secrets-Dir/merger-plan-ACME.txt", 3, 0),
                     0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
    size_t n;
    uint8_t *bytes = tu_read_file(path, &n);
    assert_false(contains(bytes, n, "Quarterly"));
    assert_false(contains(bytes, n, "merger"));
    assert_false(contains(bytes, n, "ACME"));
    assert_false(contains(bytes, n, "link-to-plan"));
    assert_false(contains(bytes, n, "main")); /* even the stream name is sealed */
    free(bytes);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, path, PASSWORD), 0);
    hexz_file_info *f = malloc(sizeof *f);
    assert_int_equal(hexz_reader_file_lookup(r, "Quarterly-Secrets-Dir/merger-plan-ACME.txt", f),
                     0);
    assert_int_equal(f->size, 1000 * strlen(text));
    free(f);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    hexz_reader_free(r);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static int open_and_verify(const char *path)
{
    hexz_reader *r;
    int rc = hexz_reader_open_password(&r, path, PASSWORD);
    if (rc) return rc;
    rc = hexz_reader_verify(r, NULL, NULL);
    hexz_reader_free(r);
    return rc;
}

/* Every single-byte flip of a small encrypted archive is caught at open or by verify. */
static void test_tamper_anywhere(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("enctamper");
    char *path = tu_strf("%s/a.hxz", dir), *copy = tu_strf("%s/b.hxz", dir);
    uint8_t data[9000];
    fill_random(data, sizeof data, 11);
    hexz_write_options o = enc_options(1, HEXZ_KDF_MINIMAL);
    o.block_size = 4096;
    write_archive(path, data, sizeof data, &o);
    size_t n;
    uint8_t *bytes = tu_read_file(path, &n);
    printf("[ info     ] flipping each of %zu bytes\n", n);
    for (size_t i = 0; i < n; i++) {
        bytes[i] ^= 0x80;
        tu_write_file(copy, bytes, n);
        bytes[i] ^= 0x80;
        int rc = open_and_verify(copy);
        if (rc == 0) {
            free(bytes);
            fail_msg("flip of byte %zu went undetected", i);
        }
        assert_true(rc == HEXZ_ECORRUPT || rc == HEXZ_EPASSWORD || rc == HEXZ_EUNSUPPORTED);
    }
    free(bytes);
    free(path);
    free(copy);
    tu_rmtree(dir);
    free(dir);
}

static void test_change_password(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("encpw");
    char *path = tu_strf("%s/a.hxz", dir);
    size_t len = 200000;
    uint8_t *data = malloc(len);
    fill_random(data, len, 3);
    hexz_write_options o = enc_options(1, HEXZ_KDF_MINIMAL);
    write_archive(path, data, len, &o);
    uint8_t pk[HEXZ_PUBLIC_KEY_LEN], sk[HEXZ_SECRET_KEY_LEN];
    assert_int_equal(hexz_keygen(pk, sk), 0);
    assert_int_equal(hexz_sign(path, sk, "before the change"), 0);

    assert_int_equal(hexz_change_password(path, "not it", "new secret", HEXZ_KDF_MINIMAL),
                     HEXZ_EPASSWORD);
    assert_int_equal(hexz_change_password(path, PASSWORD, "new secret", HEXZ_KDF_MINIMAL), 0);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, path, PASSWORD), HEXZ_EPASSWORD);
    assert_reads_back(path, "new secret", data, len);
    assert_int_equal(hexz_reader_open_password(&r, path, "new secret"), 0);
    assert_int_equal(hexz_reader_signature_count(r), 0); /* it signed the old key record */
    hexz_reader_free(r);
    free(data);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_passwords),
        cmocka_unit_test(test_dedup_under_encryption),
        cmocka_unit_test(test_no_plaintext_in_archive),
        cmocka_unit_test(test_tamper_anywhere),
        cmocka_unit_test(test_change_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
