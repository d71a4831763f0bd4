/*
 * test_sign.c - Ed25519 keys and archive signatures: key files (modes, no silent overwrite,
 * damage detected), signing and checking, several signatures, trusted comments, and that a
 * flip of any single byte anywhere in a signed archive makes "verify with a public key" fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hexz.h"
#include "testutil.h"

typedef struct {
    char *dir;
    char *archive;
    uint8_t pk[HEXZ_PUBLIC_KEY_LEN], sk[HEXZ_SECRET_KEY_LEN];
} fixture;

static void make_archive(const char *path, size_t len, uint32_t block)
{
    uint8_t *data = malloc(len);
    assert_non_null(data);
    tu_rng rng;
    tu_rng_seed(&rng, 42);
    tu_rng_fill(&rng, data, len);
    memset(data + len / 3, 0, len / 6); /* a hole too */
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = block;
    o.threads = 1;
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, &o), 0);
    assert_int_equal(hexz_writer_write(w, data, len), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
    free(data);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("sign");
    f->archive = tu_strf("%s/a.hxz", f->dir);
    make_archive(f->archive, 300000, 4096);
    assert_int_equal(hexz_keygen(f->pk, f->sk), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    free(f->archive);
    free(f);
    return 0;
}

/* 0 if the archive opens, verifies, and carries a valid signature by pk. */
static int verify_with_key(const char *path, const uint8_t *pk)
{
    hexz_reader *r;
    int rc = hexz_reader_open(&r, path);
    if (rc) return rc;
    rc = hexz_reader_verify(r, NULL, NULL);
    if (!rc) rc = hexz_reader_verify_signature(r, pk, NULL);
    hexz_reader_free(r);
    return rc;
}

static void test_key_files(void **state)
{
    fixture *f = *state;
    char *sec = tu_strf("%s/k.key", f->dir), *pub = tu_strf("%s/k.pub", f->dir);
    assert_int_equal(hexz_key_write(sec, pub, f->pk, f->sk, 0), 0);
    struct stat st;
    assert_int_equal(stat(sec, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(hexz_key_write(sec, pub, f->pk, f->sk, 0), HEXZ_EEXIST);
    assert_non_null(strstr(hexz_last_error(), "already exists"));
    assert_int_equal(hexz_key_write(sec, pub, f->pk, f->sk, 1), 0);

    uint8_t sk2[HEXZ_SECRET_KEY_LEN], pk2[HEXZ_PUBLIC_KEY_LEN];
    assert_int_equal(hexz_secret_key_load(sec, sk2), 0);
    assert_memory_equal(sk2, f->sk, sizeof sk2);
    assert_int_equal(hexz_public_key_load(pub, pk2), 0);
    assert_memory_equal(pk2, f->pk, sizeof pk2);
    /* The wrong kind of key file, and a damaged one, are refused. */
    assert_int_equal(hexz_secret_key_load(pub, sk2), HEXZ_EINVAL);
    assert_non_null(strstr(hexz_last_error(), "not a hexz secret key file"));
    size_t n;
    uint8_t *text = tu_read_file(pub, &n);
    char *b64 = strchr((char *)text, '\n') + 1;
    b64[3] = b64[3] == 'A' ? 'B' : 'A';
    tu_write_file(pub, text, n);
    assert_int_equal(hexz_public_key_load(pub, pk2), HEXZ_EINVAL);
    assert_non_null(strstr(hexz_last_error(), "damaged public key"));
    free(text);
    free(sec);
    free(pub);
}

static void test_sign_and_verify(void **state)
{
    fixture *f = *state;
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, f->archive), 0);
    assert_int_equal(hexz_reader_signature_count(r), 0);
    assert_int_equal(hexz_reader_verify_signature(r, f->pk, NULL), HEXZ_EBADSIG);
    assert_non_null(strstr(hexz_last_error(), "not signed by key"));
    hexz_reader_free(r);

    assert_int_equal(hexz_sign(f->archive, f->sk, "release 1.2 built by CI"), 0);
    hexz_signature_info info = HEXZ_SIGNATURE_INFO_INIT;
    assert_int_equal(hexz_reader_open(&r, f->archive), 0);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    assert_int_equal(hexz_reader_signature_count(r), 1);
    assert_int_equal(hexz_reader_verify_signature(r, f->pk, &info), 0);
    assert_string_equal(info.comment, "release 1.2 built by CI");
    uint8_t id[HEXZ_KEY_ID_LEN];
    hexz_key_id(f->pk, id);
    assert_memory_equal(info.key_id, id, sizeof id);

    uint8_t other_pk[HEXZ_PUBLIC_KEY_LEN], other_sk[HEXZ_SECRET_KEY_LEN];
    assert_int_equal(hexz_keygen(other_pk, other_sk), 0);
    assert_int_equal(hexz_reader_verify_signature(r, other_pk, NULL), HEXZ_EBADSIG);
    hexz_reader_free(r);

    /* A second signature keeps the first valid. */
    assert_int_equal(hexz_sign(f->archive, other_sk, NULL), 0);
    assert_int_equal(verify_with_key(f->archive, f->pk), 0);
    assert_int_equal(verify_with_key(f->archive, other_pk), 0);
    assert_int_equal(hexz_reader_open(&r, f->archive), 0);
    assert_int_equal(hexz_reader_signature_count(r), 2);
    hexz_reader_free(r);
}

static void test_truncated_signed_archive(void **state)
{
    fixture *f = *state;
    assert_int_equal(hexz_sign(f->archive, f->sk, "x"), 0);
    long long size = tu_file_size(f->archive);
    char *copy = tu_strf("%s/t.hxz", f->dir);
    size_t n;
    uint8_t *bytes = tu_read_file(f->archive, &n);
    for (long long cut = size - 1; cut > 0; cut -= 1 + cut / 3) {
        tu_write_file(copy, bytes, (size_t)cut);
        assert_int_not_equal(verify_with_key(copy, f->pk), 0);
    }
    free(bytes);
    free(copy);
}

/* Every byte of a small signed archive, flipped alone, makes verification with the key fail. */
static void test_every_byte_flip_detected(void **state)
{
    fixture *f = *state;
    char *small = tu_strf("%s/small.hxz", f->dir), *copy = tu_strf("%s/flip.hxz", f->dir);
    make_archive(small, 9000, 4096);
    assert_int_equal(hexz_sign(small, f->sk, "flip test"), 0);
    assert_int_equal(verify_with_key(small, f->pk), 0);
    size_t n;
    uint8_t *bytes = tu_read_file(small, &n);
    printf("[ info     ] flipping each of %zu bytes\n", n);
    for (size_t i = 0; i < n; i++) {
        bytes[i] ^= 0x01;
        tu_write_file(copy, bytes, n);
        bytes[i] ^= 0x01;
        if (verify_with_key(copy, f->pk) == 0) {
            free(bytes);
            fail_msg("flip of byte %zu went undetected", i);
        }
    }
    free(bytes);
    free(small);
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_signed_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_byte_flip_detected, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
