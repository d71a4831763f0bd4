/*
 * test_rekey.c - changing the password of an encrypted archive, and the key record's cost.
 *
 * Revocation (issue 10, item 8): after a default hexz_change_password_opts() the old key
 * record, copied back from a backup of the archive with every unkeyed hash recomputed, no
 * longer opens it with the old password; with keep_key it still does (documented). The
 * re-encrypted archive keeps its content byte for byte, its streams, file tree and archive id.
 *
 * KDF cost (item 9): a key record raised to the format's maximum Argon2id cost (1 GiB, 16
 * passes) is refused before any derivation with HEXZ_EUNSUPPORTED and a message naming the
 * cost and the limit; the limits of hexz_open_options lower or raise that ceiling.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/aead.h"
#include "format/format.h"
#include "hash/hash.h"
#include "hexz.h"
#include "testutil.h"

#define OLD_PW "old password"
#define NEW_PW "new password"
#define DATA_LEN (300 * 1024)

typedef struct {
    char *dir, *archive;
    uint8_t *data; /* the content of file "a" (and of stream "extra") */
} fixture;

/* An encrypted tree archive (interactive cost): file a, empty file e, dir d, symlink d/l, and a
 * second stream "extra". Packed with the writer so that the tree and streams are exact. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("rekey");
    f->archive = tu_path(f->dir, "a.hxz");
    f->data = malloc(DATA_LEN);
    tu_rng rng;
    tu_rng_seed(&rng, 7);
    tu_rng_fill(&rng, f->data, DATA_LEN / 2);
    memset(f->data + DATA_LEN / 2, 0, DATA_LEN / 4);           /* a hole */
    memcpy(f->data + 3 * DATA_LEN / 4, f->data, DATA_LEN / 4); /* dedup */
    hexz_write_options o = HEXZ_WRITE_OPTIONS_INIT;
    o.password = OLD_PW;
    o.codec = HEXZ_CODEC_ZSTD;
    o.level = 5;
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = 16384;
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, f->archive, &o), 0);
    assert_int_equal(hexz_writer_add_dir(w, "d", 0755, 1000, 0), 0);
    assert_int_equal(hexz_writer_add_symlink(w, "d/l", "../a", 1001, 5), 0);
    assert_int_equal(hexz_writer_begin_file(w, "a", 0640, 1002, 7), 0);
    assert_int_equal(hexz_writer_write(w, f->data, DATA_LEN), 0);
    assert_int_equal(hexz_writer_end_file(w), 0);
    assert_int_equal(hexz_writer_begin_file(w, "e", 0600, 1003, 0), 0);
    assert_int_equal(hexz_writer_end_file(w), 0);
    assert_int_equal(hexz_writer_begin_stream(w, "extra"), 0);
    assert_int_equal(hexz_writer_write(w, f->data, 1000), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    free(f->archive);
    free(f->data);
    free(f);
    return 0;
}

/* The ENCRYPTION record of the archive image `img`: its offset, through the section table. */
static uint64_t record_offset(const uint8_t *img, size_t len)
{
    hx_header h;
    assert_true(len >= HX_HEADER_LEN);
    assert_int_equal(hx_header_decode(&h, img, "img"), 0);
    for (uint32_t i = 0; i < h.section_count; i++) {
        hx_section s;
        assert_int_equal(
            hx_section_decode(&s, img + h.section_table_offset + (uint64_t)i * HX_SECTION_ENTRY_LEN,
                              "img"),
            0);
        if (s.type == HX_SECTION_ENCRYPTION) {
            assert_int_equal(s.length, HX_KEY_RECORD_LEN);
            return s.offset;
        }
    }
    fail_msg("no ENCRYPTION section");
    return 0;
}

/* Writes `record` over the key record of the archive at `path` and recomputes what covers it
 * without a key: the section hash, the root hash and the header checksum. So only the keyed
 * checks can tell. */
static void put_record(const char *path, const uint8_t record[HX_KEY_RECORD_LEN])
{
    size_t len;
    uint8_t *img = tu_read_file(path, &len);
    uint64_t off = record_offset(img, len);
    memcpy(img + off, record, HX_KEY_RECORD_LEN);
    hx_header h;
    assert_int_equal(hx_header_decode(&h, img, path), 0);
    uint8_t *table = img + h.section_table_offset;
    for (uint32_t i = 0; i < h.section_count; i++) {
        hx_section s;
        assert_int_equal(hx_section_decode(&s, table + (size_t)i * HX_SECTION_ENTRY_LEN, path), 0);
        if (s.type != HX_SECTION_ENCRYPTION) continue;
        hx_hash(record, HX_KEY_RECORD_LEN, s.hash);
        hx_section_encode(&s, table + (size_t)i * HX_SECTION_ENTRY_LEN);
    }
    hx_header_encode(&h, img);
    hx_root_hash(img, table, h.section_count, h.root_hash);
    hx_header_encode(&h, img);
    tu_write_file(path, img, len);
    free(img);
}

static void get_record(const char *path, uint8_t record[HX_KEY_RECORD_LEN])
{
    size_t len;
    uint8_t *img = tu_read_file(path, &len);
    memcpy(record, img + record_offset(img, len), HX_KEY_RECORD_LEN);
    free(img);
}

static void read_all(hexz_reader *r, unsigned stream, uint8_t *buf, size_t len)
{
    size_t got = 0;
    assert_int_equal(hexz_reader_read_at(r, stream, buf, len, 0, &got), 0);
    assert_int_equal(got, len);
}

/* Everything a reader of the original sees, compared with the rewritten archive. */
static void assert_same_content(const fixture *f, hexz_reader *r)
{
    assert_int_equal(hexz_reader_stream_count(r), 2);
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    assert_int_equal(hexz_reader_stream_info(r, 0, &si), 0);
    assert_string_equal(si.name, "main");
    assert_int_equal(si.size, DATA_LEN);
    uint8_t *buf = malloc(DATA_LEN);
    read_all(r, 0, buf, DATA_LEN);
    assert_memory_equal(buf, f->data, DATA_LEN);
    assert_int_equal(hexz_reader_stream_info(r, 1, &si), 0);
    assert_string_equal(si.name, "extra");
    assert_int_equal(si.size, 1000);
    read_all(r, 1, buf, 1000);
    assert_memory_equal(buf, f->data, 1000);
    free(buf);
    assert_int_equal(hexz_reader_file_count(r), 4);
    hexz_file_info *fi = malloc(sizeof *fi);
    assert_int_equal(hexz_reader_file_lookup(r, "a", fi), 0);
    assert_int_equal(fi->mode, 0640);
    assert_int_equal(fi->mtime_sec, 1002);
    assert_int_equal(fi->mtime_nsec, 7);
    assert_int_equal(fi->size, DATA_LEN);
    assert_int_equal(hexz_reader_file_lookup(r, "d/l", fi), 0);
    assert_int_equal(fi->type, HEXZ_FILE_SYMLINK);
    assert_string_equal(fi->target, "../a");
    assert_int_equal(hexz_reader_file_lookup(r, "e", fi), 0);
    assert_int_equal(fi->size, 0);
    free(fi);
    hexz_block_info b = HEXZ_BLOCK_INFO_INIT;
    assert_int_equal(hexz_reader_block_at(r, 0, 0, &b), 0);
    assert_int_equal(b.logical_length, 16384);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
}

/* Default: re-encrypted under a new data key; the content stays, the old record is useless. */
static void test_default_revokes_old_password(void **state)
{
    fixture *f = *state;
    char *backup = tu_path(f->dir, "backup.hxz");
    tu_copy_file(f->archive, backup);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, f->archive, OLD_PW), 0);
    hexz_inspect_info before = HEXZ_INSPECT_INFO_INIT, after = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_inspect(r, &before), 0);
    hexz_reader_free(r);

    assert_int_equal(hexz_change_password(f->archive, OLD_PW, NEW_PW, HEXZ_KDF_MINIMAL), 0);
    assert_int_equal(hexz_reader_open_password(&r, f->archive, OLD_PW), HEXZ_EPASSWORD);
    assert_int_equal(hexz_reader_open_password(&r, f->archive, NEW_PW), 0);
    assert_same_content(f, r);
    assert_int_equal(hexz_reader_inspect(r, &after), 0);
    assert_memory_equal(after.archive_id, before.archive_id, 16);
    assert_int_equal(after.level, 5);
    assert_int_equal(after.codec, HEXZ_CODEC_ZSTD);
    assert_int_equal(after.blocks, before.blocks);
    assert_int_equal(after.hole_blocks, before.hole_blocks);
    assert_int_equal(after.dedup_blocks, before.dedup_blocks);
    assert_int_equal(after.unique_blocks, before.unique_blocks);
    assert_int_equal(after.stored_bytes, before.stored_bytes);
    hexz_reader_free(r);

    /* The attack: the old record back in place, every unkeyed hash recomputed. */
    uint8_t old_record[HX_KEY_RECORD_LEN];
    get_record(backup, old_record);
    put_record(f->archive, old_record);
    int rc = hexz_reader_open_password(&r, f->archive, OLD_PW);
    if (rc == 0) {
        /* Open may get past the key record; nothing sealed under the new key can be read. */
        rc = hexz_reader_verify(r, NULL, NULL);
        hexz_reader_free(r);
    }
    assert_int_equal(rc, HEXZ_ECORRUPT);
    free(backup);
}

/* keep_key: fast, and (as documented) the old record restored still opens it. */
static void test_keep_key_does_not_revoke(void **state)
{
    fixture *f = *state;
    char *backup = tu_path(f->dir, "backup.hxz");
    tu_copy_file(f->archive, backup);
    hexz_passwd_options o = HEXZ_PASSWD_OPTIONS_INIT;
    o.keep_key = 1;
    o.kdf = HEXZ_KDF_MINIMAL;
    assert_int_equal(hexz_change_password_opts(f->archive, OLD_PW, NEW_PW, &o), 0);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, f->archive, OLD_PW), HEXZ_EPASSWORD);
    assert_int_equal(hexz_reader_open_password(&r, f->archive, NEW_PW), 0);
    assert_same_content(f, r);
    hexz_reader_free(r);
    uint8_t old_record[HX_KEY_RECORD_LEN];
    get_record(backup, old_record);
    put_record(f->archive, old_record);
    assert_int_equal(hexz_reader_open_password(&r, f->archive, OLD_PW), 0);
    assert_same_content(f, r);
    hexz_reader_free(r);
    free(backup);
}

static void test_bad_passwd_options(void **state)
{
    fixture *f = *state;
    hexz_passwd_options o = HEXZ_PASSWD_OPTIONS_INIT;
    o.version = 99;
    assert_int_equal(hexz_change_password_opts(f->archive, OLD_PW, NEW_PW, &o), HEXZ_EUNSUPPORTED);
    tu_assert_contains(hexz_last_error(),
                       "password options version 99 is newer than this library's (1)");
    o.version = 0;
    assert_int_equal(hexz_change_password_opts(f->archive, OLD_PW, NEW_PW, &o), HEXZ_EINVAL);
    assert_int_equal(hexz_change_password_opts(f->archive, OLD_PW, "", NULL), HEXZ_EINVAL);
    assert_int_equal(hexz_change_password_opts(f->archive, "wrong", NEW_PW, NULL), HEXZ_EPASSWORD);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, f->archive, OLD_PW), 0);
    hexz_reader_free(r);
}

/* The record raised to the format's maximum cost: refused before deriving, by default. */
static void test_raised_cost_refused(void **state)
{
    fixture *f = *state;
    uint8_t rec[HX_KEY_RECORD_LEN];
    get_record(f->archive, rec);
    hx_key_record k;
    assert_int_equal(hx_key_record_decode(&k, rec, sizeof rec, "rec"), 0);
    k.opslimit = 16;
    k.memlimit = 1ull << 30;
    hx_key_record_encode(&k, rec);
    put_record(f->archive, rec);
    hexz_reader *r;
    char *want = tu_strf(
        "%s: key derivation cost 1024 MiB x 16 passes exceeds the limit of 256 MiB x 3 passes",
        f->archive);
    assert_int_equal(hexz_reader_open_password(&r, f->archive, OLD_PW), HEXZ_EUNSUPPORTED);
    assert_string_equal(hexz_last_error(), want);
    /* Without a password too: no prompt should be offered for a record that would be refused. */
    assert_int_equal(hexz_reader_open(&r, f->archive), HEXZ_EUNSUPPORTED);
    assert_string_equal(hexz_last_error(), want);
    assert_int_equal(hexz_change_password(f->archive, OLD_PW, NEW_PW, HEXZ_KDF_MINIMAL),
                     HEXZ_EUNSUPPORTED);
    free(want);
    /* Only the memory raised to 512 MiB: still over the default. */
    k.opslimit = 2;
    k.memlimit = 512ull << 20;
    hx_key_record_encode(&k, rec);
    put_record(f->archive, rec);
    assert_int_equal(hexz_reader_open_password(&r, f->archive, OLD_PW), HEXZ_EUNSUPPORTED);
}

/* The limits are the caller's: lowered below the archive's cost (interactive: 64 MiB, 2 passes)
 * they refuse it; a version-1 options struct (no limits) still opens with the defaults. */
static void test_limits_from_options(void **state)
{
    fixture *f = *state;
    hexz_open_options oo = HEXZ_OPEN_OPTIONS_INIT;
    oo.password = OLD_PW;
    oo.max_kdf_memory = 32ull << 20;
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_opts(&r, f->archive, &oo), HEXZ_EUNSUPPORTED);
    char *want = tu_strf(
        "%s: key derivation cost 64 MiB x 2 passes exceeds the limit of 32 MiB x 3 passes",
        f->archive);
    assert_string_equal(hexz_last_error(), want);
    free(want);
    oo.max_kdf_memory = 0;
    oo.max_kdf_ops = 1;
    assert_int_equal(hexz_reader_open_opts(&r, f->archive, &oo), HEXZ_EUNSUPPORTED);
    oo.max_kdf_ops = 2;
    oo.max_kdf_memory = 64ull << 20;
    assert_int_equal(hexz_reader_open_opts(&r, f->archive, &oo), 0);
    hexz_reader_free(r);
    oo.version = 1;
    oo.max_kdf_memory = 1; /* ignored: not part of version 1 */
    assert_int_equal(hexz_reader_open_opts(&r, f->archive, &oo), 0);
    hexz_reader_free(r);
    hexz_passwd_options po = HEXZ_PASSWD_OPTIONS_INIT;
    po.max_kdf_memory = 32ull << 20;
    assert_int_equal(hexz_change_password_opts(f->archive, OLD_PW, NEW_PW, &po), HEXZ_EUNSUPPORTED);
    assert_int_equal(hexz_reader_open_password(&r, f->archive, OLD_PW), 0);
    hexz_reader_free(r);
}

/* A zstd dictionary stays: the re-encrypted blocks compress exactly as before (same stored
 * bytes), which they would not without it. */
static void test_dictionary_kept(void **state)
{
    fixture *f = *state;
    char dict[4096], text[8192];
    for (size_t i = 0; i < sizeof dict; i++)
        dict[i] = "the quick brown fox jumps over a lazy dog; "[i % 43];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "a lazy dog; the quick brown fox jumps over "[(i * 7) % 43];
    char *path = tu_path(f->dir, "dict.hxz");
    hexz_write_options o = HEXZ_WRITE_OPTIONS_INIT;
    o.codec = HEXZ_CODEC_ZSTD;
    o.dictionary = dict;
    o.dictionary_size = sizeof dict;
    o.password = OLD_PW;
    o.kdf = HEXZ_KDF_MINIMAL;
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = 4096;
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, &o), 0);
    assert_int_equal(hexz_writer_write(w, text, sizeof text), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
    hexz_reader *r;
    hexz_inspect_info before = HEXZ_INSPECT_INFO_INIT, after = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_open_password(&r, path, OLD_PW), 0);
    assert_int_equal(hexz_reader_inspect(r, &before), 0);
    hexz_reader_free(r);
    assert_int_equal(hexz_change_password(path, OLD_PW, NEW_PW, HEXZ_KDF_MINIMAL), 0);
    assert_int_equal(hexz_reader_open_password(&r, path, NEW_PW), 0);
    assert_int_equal(hexz_reader_inspect(r, &after), 0);
    assert_int_equal(after.stored_bytes, before.stored_bytes);
    assert_int_equal(after.file_size, before.file_size);
    char back[sizeof text];
    size_t got;
    assert_int_equal(hexz_reader_read_at(r, 0, back, sizeof back, 0, &got), 0);
    assert_int_equal(got, sizeof text);
    assert_memory_equal(back, text, sizeof text);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    hexz_reader_free(r);
    free(path);
}

/* Cancelling the re-encryption leaves the archive as it was. */
static int cancel_now(const hexz_progress *p, void *user)
{
    (void)p;
    (*(int *)user)++;
    return 1;
}

static void test_cancel_leaves_archive(void **state)
{
    fixture *f = *state;
    size_t len0, len1;
    uint8_t *before = tu_read_file(f->archive, &len0);
    hexz_passwd_options o = HEXZ_PASSWD_OPTIONS_INIT;
    int calls = 0;
    o.progress = cancel_now;
    o.progress_user = &calls;
    o.kdf = HEXZ_KDF_MINIMAL;
    assert_int_equal(hexz_change_password_opts(f->archive, OLD_PW, NEW_PW, &o), HEXZ_ECANCELED);
    assert_true(calls >= 1);
    uint8_t *after = tu_read_file(f->archive, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    free(before);
    free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_revokes_old_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_key_does_not_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_passwd_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raised_cost_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_from_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dictionary_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_leaves_archive, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
