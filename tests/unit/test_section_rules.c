/*
 * test_section_rules.c - the section-table rules that make the root hash cover everything but
 * signatures (docs/FORMAT.md §4, §5; issue 10 item 12).
 *
 * Only a SIGNATURE section may carry OUTSIDE_ROOT. The tests craft archives the way an attacker
 * would (raw bytes, hashes and header checksum recomputed) and check that: a signature entry
 * whose type changed is refused, a section of unknown type appended outside the root is refused
 * by open, by plain `hexz verify` and by `hexz verify -p` (which must not print "good
 * signature"); every bit of a signed archive's section table flipped, and every byte of its
 * signature sections, makes plain `hexz verify` fail with one line; every bit of the whole file
 * flipped makes open or verify fail; unknown sections inside the root are still accepted; and
 * archives written by hexz 1.4 (tests/fixtures/format-1.4) still open, verify and carry good
 * signatures.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bytes.h"
#include "format/format.h"
#include "hash/hash.h"
#include "hexz.h"
#include "testutil.h"

#define FIXTURES HEXZ_SOURCE_DIR "/tests/fixtures/format-1.4"
#define EXPECT(code, err, ...) tu_hexz_expect(code, err, __VA_ARGS__, (const char *)NULL)

typedef struct {
    char *dir;
    char *signed_hxz; /* a small archive of one file, signed twice by key k */
    char *key_name;   /* k: k.key, k.pub */
    char *pub;
    uint8_t pk[HEXZ_PUBLIC_KEY_LEN], sk[HEXZ_SECRET_KEY_LEN];
} fixture;

/* An archive image in memory, edited the way an attacker would edit the file. */
typedef struct {
    uint8_t *p;
    size_t len;
} image;

static uint64_t table_off(const image *m)
{
    return hx_get64(m->p + 48);
}
static uint32_t table_count(const image *m)
{
    return hx_get32(m->p + 56);
}
static uint8_t *entry(const image *m, uint32_t i)
{
    return m->p + table_off(m) + (size_t)i * HX_SECTION_ENTRY_LEN;
}

static image load(const char *path)
{
    image m;
    m.p = tu_read_file(path, &m.len);
    return m;
}

static void save(const image *m, const char *path)
{
    tu_write_file(path, m->p, m->len);
}

/* Index of the first table entry of `type`. */
static uint32_t find_entry(const image *m, uint32_t type)
{
    for (uint32_t i = 0; i < table_count(m); i++)
        if (hx_get32(entry(m, i)) == type) return i;
    fail_msg("no section of type %u", type);
    return 0;
}

/* Recomputes the header checksum (anyone can), and the root hash when `root` is set (which
 * makes a different archive: its signatures no longer verify). */
static void reseal(image *m, int root)
{
    if (root) hx_root_hash(m->p, entry(m, 0), table_count(m), m->p + 64);
    hx_put64(m->p + HX_HEADER_CHECKSUM_OFF, hx_checksum64(m->p, HX_HEADER_CHECKSUM_OFF));
}

/* Inserts a section holding data[0..len) just before the table and appends its entry, then
 * fixes the header's table offset, count, length and checksum (not the root hash). */
static void append_section(image *m, uint32_t type, uint32_t flags, const void *data, size_t len)
{
    uint64_t sto = table_off(m);
    uint32_t n = table_count(m);
    size_t table_len = (size_t)n * HX_SECTION_ENTRY_LEN;
    size_t new_len = m->len + len + HX_SECTION_ENTRY_LEN;
    uint8_t *p = malloc(new_len);
    assert_non_null(p);
    memcpy(p, m->p, sto);
    memcpy(p + sto, data, len);
    memcpy(p + sto + len, m->p + sto, table_len);
    hx_section s = {.type = type, .flags = flags, .offset = sto, .length = len};
    hx_hash(data, len, s.hash);
    hx_section_encode(&s, p + sto + len + table_len);
    hx_put64(p + 48, sto + len);
    hx_put32(p + 56, n + 1);
    hx_put64(p + 96, new_len);
    free(m->p);
    m->p = p;
    m->len = new_len;
    reseal(m, 0);
}

static void make_signed_archive(fixture *f)
{
    uint8_t data[1000];
    tu_rng rng;
    tu_rng_seed(&rng, 12);
    tu_rng_fill(&rng, data, sizeof data);
    memset(data + 400, 0, 300); /* a hole too */
    hexz_write_options o;
    hexz_write_options_init(&o);
    o.chunking = HEXZ_CHUNK_FIXED;
    o.block_size = 256;
    o.codec = HEXZ_CODEC_NONE;
    o.threads = 1;
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, f->signed_hxz, &o), 0);
    assert_int_equal(hexz_writer_write(w, data, sizeof data), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
    assert_int_equal(hexz_keygen(f->pk, f->sk), 0);
    char *sec = tu_strf("%s.key", f->key_name);
    assert_int_equal(hexz_key_write(sec, f->pub, f->pk, f->sk, 0), 0);
    free(sec);
    assert_int_equal(hexz_sign(f->signed_hxz, f->sk, "first"), 0);
    assert_int_equal(hexz_sign(f->signed_hxz, f->sk, "second"), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("sections");
    f->signed_hxz = tu_path(f->dir, "signed.hxz");
    f->key_name = tu_path(f->dir, "k");
    f->pub = tu_strf("%s.pub", f->key_name);
    make_signed_archive(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    free(f->signed_hxz);
    free(f->key_name);
    free(f->pub);
    free(f);
    return 0;
}

/* Opens `path` (NULL password, or signatures only) and expects `code` with message `msg`. */
static void expect_open_fails(const char *path, int signatures_only, int code, const char *msg)
{
    hexz_open_options o = HEXZ_OPEN_OPTIONS_INIT;
    o.signatures_only = signatures_only;
    hexz_reader *r = NULL;
    int rc = hexz_reader_open_opts(&r, path, &o);
    if (rc == 0) hexz_reader_free(r);
    assert_int_equal(rc, code);
    if (msg) assert_string_equal(hexz_last_error(), msg);
}

/* Plain `hexz verify` must fail with exactly one line on stderr, naming the archive, and print
 * nothing on stdout. */
static void expect_verify_fails_one_line(const char *path)
{
    char *out = NULL, *err = NULL;
    int rc = tu_hexz(&out, &err, "verify", path, (const char *)NULL);
    char *prefix = tu_strf("hexz verify: %s: ", path);
    if (rc != 1 || strncmp(err, prefix, strlen(prefix)) != 0 || strchr(err, '\n') == NULL ||
        strchr(err, '\n')[1] != '\0' || out[0] != '\0')
        fail_msg("verify exit %d, stdout \"%s\", stderr \"%s\"", rc, out, err);
    free(prefix);
    free(out);
    free(err);
}

/* ---- the attacks of item 12 ------------------------------------------------------------------ */

/* A section of unknown type marked OUTSIDE_ROOT, holding arbitrary bytes, appended to a signed
 * archive: before 1.5 the root hash skipped it and `verify -p` still said "good signature". */
static void test_appended_outside_root_section_refused(void **state)
{
    fixture *f = *state;
    image m = load(f->signed_hxz);
    const char junk[] = "anything at all, appended by someone without the key";
    append_section(&m, 99, HX_SECTION_OUTSIDE_ROOT, junk, sizeof junk);
    char *bad = tu_path(f->dir, "appended.hxz");
    save(&m, bad);
    char *msg = tu_strf("%s: section of type 99 stands outside the root hash (only signatures may)",
                        bad);
    expect_open_fails(bad, 0, HEXZ_ECORRUPT, msg);
    expect_open_fails(bad, 1, HEXZ_ECORRUPT, msg);
    char *line = tu_strf("hexz verify: %s\n", msg);
    free(EXPECT(1, line, "verify", bad));
    char *out = EXPECT(1, line, "verify", bad, "-p", f->pub);
    assert_null(strstr(out, "good signature"));
    free(out);
    /* Critical as well, or a known type: refused just the same. */
    free(m.p);
    m = load(f->signed_hxz);
    append_section(&m, 99, HX_SECTION_OUTSIDE_ROOT | HX_SECTION_CRITICAL, junk, sizeof junk);
    save(&m, bad);
    expect_open_fails(bad, 0, HEXZ_ECORRUPT, msg);
    free(m.p);
    m = load(f->signed_hxz);
    append_section(&m, HX_SECTION_DICTIONARY, HX_SECTION_OUTSIDE_ROOT, junk, sizeof junk);
    save(&m, bad);
    free(msg);
    msg = tu_strf("%s: section of type 8 stands outside the root hash (only signatures may)", bad);
    expect_open_fails(bad, 0, HEXZ_ECORRUPT, msg);
    free(line);
    free(msg);
    free(bad);
    free(m.p);
}

/* A SIGNATURE entry whose type was changed (any bit of its 4 bytes, or any other value) must
 * not quietly become an ignored unknown section: before 1.5 verify said OK without it. */
static void test_signature_type_changed_refused(void **state)
{
    fixture *f = *state;
    image m = load(f->signed_hxz);
    uint32_t sig = find_entry(&m, HX_SECTION_SIGNATURE);
    char *bad = tu_path(f->dir, "retyped.hxz");
    static const uint32_t others[] = {0, 1, 2, 3, 4, 6, 7, 8, 9, 13, 133, 0x80000005u, 0xffffffffu};
    for (size_t k = 0; k < 32 + sizeof others / sizeof others[0]; k++) {
        uint32_t type = k < 32 ? HX_SECTION_SIGNATURE ^ (1u << k) : others[k - 32];
        image c = {malloc(m.len), m.len};
        assert_non_null(c.p);
        memcpy(c.p, m.p, m.len);
        hx_put32(entry(&c, sig), type);
        save(&c, bad);
        char *msg = tu_strf(
            "%s: section of type %u stands outside the root hash (only signatures may)", bad, type);
        expect_open_fails(bad, 0, HEXZ_ECORRUPT, msg);
        expect_open_fails(bad, 1, HEXZ_ECORRUPT, msg);
        free(msg);
        free(c.p);
    }
    hx_put32(entry(&m, sig), 133);
    save(&m, bad);
    char *line = tu_strf("hexz verify: %s: section of type 133 stands outside the root hash (only "
                         "signatures may)\n",
                         bad);
    free(EXPECT(1, line, "verify", bad));
    char *out = EXPECT(1, line, "verify", bad, "-p", f->pub);
    assert_null(strstr(out, "good signature"));
    free(out);
    free(line);
    free(bad);
    free(m.p);
}

/* A signature inside the root hash could never verify (it would sign a hash over itself), and
 * CRITICAL on a signature would make older readers refuse an archive someone signed: a
 * SIGNATURE entry carries exactly OUTSIDE_ROOT, even with the root hash recomputed. */
static void test_signature_flags_exact(void **state)
{
    fixture *f = *state;
    static const uint32_t flags[] = {0, HX_SECTION_CRITICAL,
                                     HX_SECTION_CRITICAL | HX_SECTION_OUTSIDE_ROOT};
    char *bad = tu_path(f->dir, "flags.hxz");
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        image m = load(f->signed_hxz);
        hx_put32(entry(&m, find_entry(&m, HX_SECTION_SIGNATURE)) + 4, flags[k]);
        reseal(&m, 1);
        save(&m, bad);
        char *msg = tu_strf("%s: section 5 has the wrong flags", bad);
        expect_open_fails(bad, 0, HEXZ_ECORRUPT, msg);
        free(msg);
        free(m.p);
    }
    free(bad);
}

/* What the tightened rule still allows: a later minor version's sections inside the root
 * (skipped when not critical, refused as unsupported when critical). */
static void test_unknown_rooted_sections_still_read(void **state)
{
    fixture *f = *state;
    image m = load(f->signed_hxz);
    const char extra[] = "a section from a later minor version";
    append_section(&m, 99, 0, extra, sizeof extra);
    reseal(&m, 1);
    char *ok = tu_path(f->dir, "later.hxz");
    save(&m, ok);
    hexz_reader *r = NULL;
    assert_int_equal(hexz_reader_open(&r, ok), 0);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    assert_int_equal(hexz_reader_signature_count(r), 2);
    /* A new root hash is a new archive: the old signatures do not carry over. */
    assert_int_equal(hexz_reader_verify_signature(r, f->pk, NULL), HEXZ_EBADSIG);
    hexz_reader_free(r);
    free(m.p);
    m = load(f->signed_hxz);
    append_section(&m, 99, HX_SECTION_CRITICAL, extra, sizeof extra);
    reseal(&m, 1);
    save(&m, ok);
    char *msg = tu_strf("%s: archive needs section type 99, unknown to this hexz", ok);
    expect_open_fails(ok, 0, HEXZ_EUNSUPPORTED, msg);
    free(msg);
    free(ok);
    free(m.p);
}

/* ---- every bit and byte ---------------------------------------------------------------------- */

/* Flips every bit of the section table of a signed archive, one at a time, in place: plain
 * `hexz verify` fails on each with exit 1 and one line. */
static void test_every_table_bit_fails_cli_verify(void **state)
{
    fixture *f = *state;
    image m = load(f->signed_hxz);
    char *work = tu_path(f->dir, "bits.hxz");
    save(&m, work);
    int fd = open(work, O_WRONLY);
    assert_true(fd >= 0);
    uint64_t sto = table_off(&m);
    for (uint64_t off = sto; off < m.len; off++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t b = (uint8_t)(m.p[off] ^ (1u << bit));
            assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
            expect_verify_fails_one_line(work);
        }
        assert_int_equal(pwrite(fd, &m.p[off], 1, (off_t)off), 1);
    }
    close(fd);
    free(EXPECT(0, "", "verify", work)); /* restored: intact again */
    free(work);
    free(m.p);
}

/* Every byte of every signature section (flipped whole): plain `hexz verify` fails. */
static void test_every_signature_byte_fails_cli_verify(void **state)
{
    fixture *f = *state;
    image m = load(f->signed_hxz);
    char *work = tu_path(f->dir, "sigbytes.hxz");
    save(&m, work);
    int fd = open(work, O_WRONLY);
    assert_true(fd >= 0);
    int sigs = 0;
    for (uint32_t i = 0; i < table_count(&m); i++) {
        hx_section s;
        assert_int_equal(hx_section_decode(&s, entry(&m, i), "t"), 0);
        if (s.type != HX_SECTION_SIGNATURE) continue;
        sigs++;
        for (uint64_t off = s.offset; off < s.offset + s.length; off++) {
            uint8_t b = (uint8_t)~m.p[off];
            assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
            expect_verify_fails_one_line(work);
            assert_int_equal(pwrite(fd, &m.p[off], 1, (off_t)off), 1);
        }
    }
    assert_int_equal(sigs, 2);
    close(fd);
    free(work);
    free(m.p);
}

/* Every bit of the whole signed archive, one at a time: open or hexz_reader_verify refuses. */
static void test_every_file_bit_fails_library_verify(void **state)
{
    fixture *f = *state;
    image m = load(f->signed_hxz);
    char *work = tu_path(f->dir, "allbits.hxz");
    save(&m, work);
    int fd = open(work, O_WRONLY);
    assert_true(fd >= 0);
    for (uint64_t off = 0; off < m.len; off++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t b = (uint8_t)(m.p[off] ^ (1u << bit));
            assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
            hexz_reader *r = NULL;
            int rc = hexz_reader_open(&r, work);
            if (rc == 0) {
                rc = hexz_reader_verify(r, NULL, NULL);
                hexz_reader_free(r);
            }
            if (rc == 0)
                fail_msg("bit %d of byte %llu flipped, and verify says OK", bit,
                         (unsigned long long)off);
        }
        assert_int_equal(pwrite(fd, &m.p[off], 1, (off_t)off), 1);
    }
    close(fd);
    free(work);
    free(m.p);
}

/* ---- old archives ---------------------------------------------------------------------------- */

static void expect_fixture_content(hexz_reader *r)
{
    static const struct {
        const char *path, *content;
    } files[] = {{"a.txt", "hello, hexz 1.4\n"}, {"sub/b.txt", "second file\n"}};
    assert_int_equal(hexz_reader_file_count(r), 4);
    for (size_t i = 0; i < 2; i++) {
        hexz_file_info fi;
        assert_int_equal(hexz_reader_file_lookup(r, files[i].path, &fi), 0);
        char buf[64];
        size_t got = 0;
        assert_int_equal(fi.size, strlen(files[i].content));
        assert_int_equal(hexz_reader_read_at(r, 0, buf, fi.size, fi.offset, &got), 0);
        assert_int_equal(got, fi.size);
        assert_memory_equal(buf, files[i].content, fi.size);
    }
    hexz_file_info link;
    assert_int_equal(hexz_reader_file_lookup(r, "link", &link), 0);
    assert_string_equal(link.target, "a.txt");
}

static void expect_format(hexz_reader *r, unsigned minor)
{
    hexz_inspect_info in = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_inspect(r, &in), 0);
    assert_int_equal(in.format_major, 1);
    assert_int_equal(in.format_minor, minor);
}

/* Archives written by hexz 1.4 (before the tightened rule) open, verify, read and keep their
 * signatures: hexz only ever wrote signatures outside the root. */
static void test_format_1_4_archives_still_read(void **state)
{
    (void)state;
    uint8_t pk[HEXZ_PUBLIC_KEY_LEN];
    assert_int_equal(hexz_public_key_load(FIXTURES "/key.pub", pk), 0);

    hexz_reader *r = NULL;
    assert_int_equal(hexz_reader_open(&r, FIXTURES "/signed-1.4.hxz"), 0);
    expect_format(r, 4);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    assert_int_equal(hexz_reader_signature_count(r), 2);
    hexz_signature_info si = HEXZ_SIGNATURE_INFO_INIT;
    assert_int_equal(hexz_reader_verify_signature(r, pk, &si), 0);
    assert_string_equal(si.comment, "made by hexz 1.4");
    expect_fixture_content(r);
    hexz_reader_free(r);

    hexz_open_options o = HEXZ_OPEN_OPTIONS_INIT;
    o.password = "fixture-password";
    assert_int_equal(hexz_reader_open_opts(&r, FIXTURES "/enc-signed-1.4.hxz", &o), 0);
    expect_format(r, 4);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    assert_int_equal(hexz_reader_verify_signature(r, pk, &si), 0);
    assert_string_equal(si.comment, "encrypted 1.4");
    expect_fixture_content(r);
    hexz_reader_free(r);

    o.password = NULL;
    o.signatures_only = 1;
    assert_int_equal(hexz_reader_open_opts(&r, FIXTURES "/enc-signed-1.4.hxz", &o), 0);
    assert_int_equal(hexz_reader_verify_signature(r, pk, NULL), 0);
    hexz_reader_free(r);

    char *out = EXPECT(0, "", "verify", FIXTURES "/signed-1.4.hxz", "-p", FIXTURES "/key.pub");
    tu_assert_contains(out, FIXTURES "/signed-1.4.hxz: good signature by key ");
    tu_assert_contains(out, FIXTURES "/signed-1.4.hxz: OK (2 blocks, 28 bytes verified)\n");
    free(out);
}

/* New archives say 1.5; signing one keeps it 1.5 and valid. */
static void test_new_archives_are_1_5(void **state)
{
    fixture *f = *state;
    hexz_reader *r = NULL;
    assert_int_equal(hexz_reader_open(&r, f->signed_hxz), 0);
    expect_format(r, 5);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    assert_int_equal(hexz_reader_verify_signature(r, f->pk, NULL), 0);
    hexz_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appended_outside_root_section_refused),
        cmocka_unit_test(test_signature_type_changed_refused),
        cmocka_unit_test(test_signature_flags_exact),
        cmocka_unit_test(test_unknown_rooted_sections_still_read),
        cmocka_unit_test(test_every_table_bit_fails_cli_verify),
        cmocka_unit_test(test_every_signature_byte_fails_cli_verify),
        cmocka_unit_test(test_every_file_bit_fails_library_verify),
        cmocka_unit_test(test_format_1_4_archives_still_read),
        cmocka_unit_test(test_new_archives_are_1_5),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
