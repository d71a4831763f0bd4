/*
 * test_cli_crypto.c - end-to-end tests of the hexz command line's signing and encryption:
 * keygen (file modes, no overwrite, --force), sign and verify -p (good, wrong key, tampered
 * archive, two signatures), pack --encrypt with a password file and with $HEXZ_PASSWORD, every
 * read verb on an encrypted archive (with, without and with a wrong password), passwd, and that
 * no file name is left readable in an encrypted archive. Most runs have stdin from /dev/null,
 * which is not a terminal, so nothing prompts; the prompt itself (no echo, retry on a wrong
 * password, asking twice for pack) is tested on a pseudo-terminal.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hexz.h"
#include "testutil.h"

#define PASSWORD "correct horse battery staple"
#define PASSWORD2 "another password, 2nd"
#define COMMENT "release 1.0 \xc3\xa9t\xc3\xa9"
#define SECRET_NAME "confidential-budget-2031.txt"
#define SECRET_DIR "project-nightingale"

typedef struct {
    char *dir;
    char *data; /* ~1.5 MiB: random bytes, a repeat, zeros */
    uint8_t *data_buf;
    size_t data_len;
    char *data_hxz; /* plain */
    char *tree;     /* files whose names must not show in an encrypted archive */
    char *enc_hxz;  /* the tree, encrypted with PASSWORD */
    char *pw_file;  /* PASSWORD and a newline */
    char *pw2_file; /* PASSWORD2, CRLF */
    char *bad_file; /* a wrong password */
    char *k1, *k2;  /* key names: k1.key, k1.pub, ... */
    char k1_id[17], k2_id[17];
} fixture;

static fixture fx;

/* ---- helpers -------------------------------------------------------------------------------- */

#define EXPECT(code, err, ...) tu_hexz_expect(code, err, __VA_ARGS__, (const char *)NULL)

static void assert_same_file(const char *a, const char *b)
{
    size_t n;
    uint8_t *want = tu_read_file(a, &n);
    tu_assert_file_content(b, want, n);
    free(want);
}

/* 'hexz cat ARGS...' into a file (binary), compared with want[0..len). */
static void expect_cat(const void *want, size_t len, const char *a1, const char *a2, const char *a3,
                       const char *a4)
{
    char *file = tu_path(fx.dir, "cat.out");
    char *cmd = tu_strf("exec \"$0\" cat \"$@\" > '%s'", file);
    const char *argv[] = {"/bin/sh", "-c", cmd, HEXZ_CLI_PATH, a1, a2, a3, a4, NULL};
    char *err = NULL;
    assert_int_equal(tu_run(NULL, &err, argv), 0);
    assert_string_equal(err, "");
    tu_assert_file_content(file, want, len);
    free(err);
    free(cmd);
    free(file);
}

/* Makes key pair `name` and returns its id from keygen's output. */
static void make_key(const char *name, char id[17])
{
    char *out = EXPECT(0, "", "keygen", "-o", name);
    assert_int_equal(sscanf(out, "key id: %16[0-9a-f]\n", id), 1);
    assert_int_equal(strlen(id), 16);
    free(out);
}

static char *key_path(const char *name, const char *ext)
{
    return tu_strf("%s.%s", name, ext);
}

/* A copy of `from` under a new name in the scratch directory. */
static char *copy_of(const char *from, const char *name)
{
    char *to = tu_path(fx.dir, name);
    tu_copy_file(from, to);
    return to;
}

static void write_text(const char *path, const char *text)
{
    tu_write_file(path, text, strlen(text));
}

/* ---- setup ---------------------------------------------------------------------------------- */

static void generate_data(void)
{
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    const size_t rnd = 600 << 10, zeros = 300 << 10;
    fx.data_len = 2 * rnd + zeros;
    fx.data_buf = calloc(1, fx.data_len);
    assert_non_null(fx.data_buf);
    tu_rng_fill(&rng, fx.data_buf, rnd);
    memcpy(fx.data_buf + rnd, fx.data_buf, rnd);
    tu_write_file(fx.data, fx.data_buf, fx.data_len);
}

static void generate_tree(void)
{
    assert_int_equal(mkdir(fx.tree, 0755), 0);
    char *sub = tu_path(fx.tree, SECRET_DIR);
    assert_int_equal(mkdir(sub, 0755), 0);
    char *f = tu_path(sub, SECRET_NAME);
    write_text(f, "the numbers\n");
    char *g = tu_path(fx.tree, "image.bin");
    tu_write_file(g, fx.data_buf, fx.data_len);
    free(sub);
    free(f);
    free(g);
}

static int group_setup(void **state)
{
    (void)state;
    /* The tests set these themselves, around the runs that need them. */
    unsetenv("HEXZ_PASSWORD");
    unsetenv("HEXZ_NEW_PASSWORD");
    fx.dir = tu_mkdtemp("cli-crypto");
    fx.data = tu_path(fx.dir, "data.bin");
    fx.data_hxz = tu_path(fx.dir, "data.hxz");
    fx.tree = tu_path(fx.dir, "tree");
    fx.enc_hxz = tu_path(fx.dir, "enc.hxz");
    fx.pw_file = tu_path(fx.dir, "pw.txt");
    fx.pw2_file = tu_path(fx.dir, "pw2.txt");
    fx.bad_file = tu_path(fx.dir, "bad.txt");
    fx.k1 = tu_path(fx.dir, "k1");
    fx.k2 = tu_path(fx.dir, "k2");
    generate_data();
    generate_tree();
    write_text(fx.pw_file, PASSWORD "\nthe second line is not part of it\n");
    write_text(fx.pw2_file, PASSWORD2 "\r\n");
    write_text(fx.bad_file, "not the password\n");
    free(EXPECT(0, "", "pack", fx.data, "-o", fx.data_hxz, "-q"));
    free(EXPECT(0, "", "pack", fx.tree, "-o", fx.enc_hxz, "-q", "--encrypt", "--kdf", "interactive",
                "--password-file", fx.pw_file));
    make_key(fx.k1, fx.k1_id);
    make_key(fx.k2, fx.k2_id);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tu_rmtree(fx.dir);
    char **strings[] = {&fx.dir,     &fx.data,     &fx.data_hxz, &fx.tree, &fx.enc_hxz,
                        &fx.pw_file, &fx.pw2_file, &fx.bad_file, &fx.k1,   &fx.k2};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) free(*strings[i]);
    free(fx.data_buf);
    return 0;
}

/* ---- keygen --------------------------------------------------------------------------------- */

static void assert_mode(const char *path, mode_t mode)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, mode);
}

static void test_keygen(void **state)
{
    (void)state;
    char *name = tu_path(fx.dir, "kg");
    char *sec = key_path(name, "key"), *pub = key_path(name, "pub");
    char id[17];
    char *out = EXPECT(0, "", "keygen", "-o", name);
    assert_int_equal(sscanf(out, "key id: %16[0-9a-f]\n", id), 1);
    char *want = tu_strf("key id: %s\nsecret key: %s\npublic key: %s\n", id, sec, pub);
    assert_string_equal(out, want);
    assert_mode(sec, 0600);
    assert_mode(pub, 0644);
    size_t n;
    uint8_t *text = tu_read_file(pub, &n);
    char *head = tu_strf("hexz-ed25519-public-key %s\n", id);
    assert_true(n > strlen(head) && memcmp(text, head, strlen(head)) == 0);
    free(text);
    free(head);
    free(want);
    free(out);

    /* No overwrite: the library's message, nothing changed. */
    uint8_t *before = tu_read_file(sec, &n);
    want = tu_strf("hexz keygen: %s: already exists (use --force to overwrite)\n", sec);
    free(EXPECT(1, want, "keygen", "-o", name));
    tu_assert_file_content(sec, before, n);
    free(before);
    free(want);
    assert_int_equal(unlink(sec), 0);
    want = tu_strf("hexz keygen: %s: already exists (use --force to overwrite)\n", pub);
    free(EXPECT(1, want, "keygen", "-o", name));
    free(want);

    /* --force replaces both, with a new key. */
    char id2[17];
    out = EXPECT(0, "", "keygen", "--force", "-o", name);
    assert_int_equal(sscanf(out, "key id: %16[0-9a-f]\n", id2), 1);
    assert_string_not_equal(id, id2);
    assert_mode(sec, 0600);
    free(out);
    free(name);
    free(sec);
    free(pub);
}

static void test_keygen_usage(void **state)
{
    (void)state;
    free(EXPECT(2,
                "hexz keygen: missing -o NAME\n"
                "usage: hexz keygen -o NAME [--force] (see 'hexz keygen --help')\n",
                "keygen"));
    char *out = EXPECT(0, "", "keygen", "--help");
    assert_true(strncmp(out, "usage: hexz keygen -o NAME [--force]\n", 37) == 0);
    free(out);
    char *missing = tu_path(fx.dir, "no/such/dir/k");
    char *want = tu_strf("hexz keygen: %s.key: No such file or directory\n", missing);
    free(EXPECT(1, want, "keygen", "-o", missing));
    free(want);
    free(missing);
}

/* ---- sign and verify -p --------------------------------------------------------------------- */

/* Checks the line of 'verify -p' for key `id` in `out`, with `comment` (NULL: none). */
static void assert_good_line(const char *out, const char *archive, const char *id,
                             const char *comment)
{
    char *prefix = tu_strf("%s: good signature by key %s, signed ", archive, id);
    const char *line = strstr(out, prefix);
    if (!line) fprintf(stderr, "missing '%s' in:\n%s\n", prefix, out);
    assert_non_null(line);
    int y, mo, d, h, mi, s;
    char z;
    assert_int_equal(
        sscanf(line + strlen(prefix), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z),
        7);
    assert_int_equal(z, 'Z');
    assert_true(y >= 2024);
    const char *end = strchr(line, '\n');
    assert_non_null(end);
    if (comment) {
        char *tail = tu_strf(", trusted comment: %s\n", comment);
        assert_true(strncmp(end + 1 - strlen(tail), tail, strlen(tail)) == 0);
        free(tail);
    } else {
        assert_int_equal(end[-1], 'Z');
    }
    free(prefix);
}

static void test_sign_and_verify(void **state)
{
    (void)state;
    char *hxz = copy_of(fx.data_hxz, "signed.hxz");
    char *sec = key_path(fx.k1, "key"), *pub = key_path(fx.k1, "pub");
    char *out = EXPECT(0, "", "sign", hxz, "-k", sec, "--trusted-comment", COMMENT);
    char *want = tu_strf("%s: signed by key %s\n", hxz, fx.k1_id);
    assert_string_equal(out, want);
    free(out);
    free(want);

    out = EXPECT(0, "", "verify", hxz, "-p", pub);
    assert_good_line(out, hxz, fx.k1_id, COMMENT);
    char *ok = tu_strf("%s: OK (", hxz);
    tu_assert_contains(out, ok);
    free(out);

    /* Without -p: listed, not checked. */
    out = EXPECT(0, "", "verify", hxz);
    tu_assert_contains(out, ok);
    want = tu_strf("%s: signature by key %s, unverified (use -p PUBLIC.pub to check it)\n", hxz,
                   fx.k1_id);
    tu_assert_contains(out, want);
    free(want);
    free(out);
    out = EXPECT(0, "", "inspect", hxz);
    tu_assert_contains(out, "\nsignatures        1 (unverified)\n");
    want = tu_strf("\n  key %s, signed 20", fx.k1_id);
    tu_assert_contains(out, want);
    free(want);
    free(out);
    free(ok);
    free(hxz);
    free(sec);
    free(pub);
}

static void test_verify_other_key(void **state)
{
    (void)state;
    char *hxz = copy_of(fx.data_hxz, "other.hxz");
    char *sec = key_path(fx.k1, "key"), *pub2 = key_path(fx.k2, "pub");
    free(EXPECT(0, "", "sign", hxz, "-k", sec, "--no-verify"));
    char *want = tu_strf("hexz verify: %s: not signed by key %s (1 signature present)\n", hxz,
                         fx.k2_id);
    char *out = EXPECT(1, want, "verify", hxz, "-p", pub2);
    assert_string_equal(out, "");
    free(out);
    free(want);

    /* An unsigned archive fails -p the same way. */
    want = tu_strf("hexz verify: %s: not signed by key %s (0 signatures present)\n", fx.data_hxz,
                   fx.k2_id);
    free(EXPECT(1, want, "verify", fx.data_hxz, "-p", pub2));
    free(want);
    free(hxz);
    free(sec);
    free(pub2);
}

/* The stored offset and length of the first block that is not a hole. */
static void first_stored_block(const char *archive, uint64_t *offset, uint32_t *length)
{
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, archive), 0);
    hexz_block_info bi = HEXZ_BLOCK_INFO_INIT;
    for (uint64_t i = 0;; i++) {
        assert_int_equal(hexz_reader_block_at(r, 0, i, &bi), 0);
        if (!bi.is_hole) break;
    }
    *offset = bi.stored_offset;
    *length = bi.stored_length;
    hexz_reader_free(r);
}

static void test_verify_tampered(void **state)
{
    (void)state;
    char *hxz = copy_of(fx.data_hxz, "tampered.hxz");
    char *sec = key_path(fx.k1, "key"), *pub = key_path(fx.k1, "pub");
    free(EXPECT(0, "", "sign", hxz, "-k", sec));
    free(EXPECT(0, "", "verify", hxz, "-p", pub));
    uint64_t off;
    uint32_t len;
    first_stored_block(hxz, &off, &len);
    tu_flip_byte(hxz, off + len / 2);
    char *out = NULL, *err = NULL;
    int rc = tu_hexz(&out, &err, "verify", hxz, "-p", pub, NULL);
    assert_int_equal(rc, 1);
    assert_string_equal(out, "");
    char *prefix = tu_strf("hexz verify: %s", hxz);
    assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
    assert_string_equal(strchr(err, '\n'), "\n"); /* one line */
    free(out);
    free(err);
    free(prefix);

    /* Signing a damaged archive is refused: it is checked first. */
    rc = tu_hexz(&out, &err, "sign", hxz, "-k", sec, NULL);
    assert_int_equal(rc, 1);
    assert_string_equal(out, "");
    prefix = tu_strf("hexz sign: %s", hxz);
    assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
    free(out);
    free(err);
    free(prefix);
    free(hxz);
    free(sec);
    free(pub);
}

static void test_two_signatures(void **state)
{
    (void)state;
    char *hxz = copy_of(fx.data_hxz, "two.hxz");
    char *sec1 = key_path(fx.k1, "key"), *pub1 = key_path(fx.k1, "pub");
    char *sec2 = key_path(fx.k2, "key"), *pub2 = key_path(fx.k2, "pub");
    free(EXPECT(0, "", "sign", hxz, "-k", sec1, "--trusted-comment", "first"));
    free(EXPECT(0, "", "sign", hxz, "--secret-key", sec2, "--no-verify"));
    char *out = EXPECT(0, "", "verify", "-p", pub1, hxz, "--public-key", pub2);
    assert_good_line(out, hxz, fx.k1_id, "first");
    assert_good_line(out, hxz, fx.k2_id, NULL);
    free(out);
    out = EXPECT(0, "", "verify", hxz, "-p", pub2);
    assert_good_line(out, hxz, fx.k2_id, NULL);
    assert_null(strstr(out, fx.k1_id));
    free(out);
    out = EXPECT(0, "", "inspect", "--json", hxz);
    char *want = tu_strf("\"key_id\": \"%s\"", fx.k1_id);
    tu_assert_contains(out, want);
    free(want);
    want = tu_strf("\"key_id\": \"%s\"", fx.k2_id);
    tu_assert_contains(out, want);
    tu_assert_contains(out, "\"comment\": \"first\"");
    free(want);
    free(out);
    free(hxz);
    free(sec1);
    free(pub1);
    free(sec2);
    free(pub2);
}

static void test_sign_usage_and_failures(void **state)
{
    (void)state;
    const char *syn = "hexz sign ARCHIVE -k SECRET.key [--trusted-comment TEXT] [--no-verify]";
    char *want = tu_strf("hexz sign: missing -k SECRET.key\nusage: %s (see 'hexz sign --help')\n",
                         syn);
    free(EXPECT(2, want, "sign", fx.data_hxz));
    free(want);
    char long_comment[HEXZ_COMMENT_MAX + 2];
    memset(long_comment, 'c', sizeof long_comment - 1);
    long_comment[sizeof long_comment - 1] = '\0';
    char *sec = key_path(fx.k1, "key"), *pub = key_path(fx.k1, "pub");
    want = tu_strf("hexz sign: --trusted-comment: longer than 1024 bytes\n"
                   "usage: %s (see 'hexz sign --help')\n",
                   syn);
    free(EXPECT(2, want, "sign", fx.data_hxz, "-k", sec, "--trusted-comment", long_comment));
    free(want);
    /* A public key is not a secret key; nothing is written. */
    long long size = tu_file_size(fx.data_hxz);
    char *out = NULL, *err = NULL;
    assert_int_equal(tu_hexz(&out, &err, "sign", fx.data_hxz, "-k", pub, NULL), 1);
    want = tu_strf("hexz sign: %s: ", pub);
    assert_true(strncmp(err, want, strlen(want)) == 0);
    assert_int_equal(tu_file_size(fx.data_hxz), size);
    free(want);
    free(out);
    free(err);
    want = tu_strf("hexz verify: %s: ", sec);
    assert_int_equal(tu_hexz(&out, &err, "verify", fx.data_hxz, "-p", sec, NULL), 1);
    assert_true(strncmp(err, want, strlen(want)) == 0);
    free(want);
    free(out);
    free(err);
    free(sec);
    free(pub);
}

/* ---- encryption ----------------------------------------------------------------------------- */

static void check_tree_listing(const char *out)
{
    assert_string_equal(out, "image.bin\n" SECRET_DIR "\n" SECRET_DIR "/" SECRET_NAME "\n");
}

static void test_encrypted_read_verbs(void **state)
{
    (void)state;
    const char *pf = "--password-file";
    char *out = EXPECT(0, "", "ls", fx.enc_hxz, pf, fx.pw_file);
    check_tree_listing(out);
    free(out);
    expect_cat("the numbers\n", 12, fx.enc_hxz, SECRET_DIR "/" SECRET_NAME, pf, fx.pw_file);
    expect_cat(fx.data_buf, fx.data_len, fx.enc_hxz, "image.bin", pf, fx.pw_file);
    char *dest = tu_path(fx.dir, "enc.out");
    free(EXPECT(0, "", "extract", fx.enc_hxz, "-o", dest, pf, fx.pw_file));
    char *src = tu_path(fx.tree, "image.bin"), *got = tu_path(dest, "image.bin");
    assert_same_file(src, got);
    free(src);
    free(got);
    src = tu_path(fx.tree, SECRET_DIR "/" SECRET_NAME);
    got = tu_path(dest, SECRET_DIR "/" SECRET_NAME);
    assert_same_file(src, got);
    out = EXPECT(0, "", "inspect", fx.enc_hxz, pf, fx.pw_file);
    tu_assert_contains(out, "\nencrypted         yes\n");
    tu_assert_contains(out, "\nfiles             2\n");
    free(out);
    out = EXPECT(0, "", "inspect", "--json", fx.data_hxz);
    tu_assert_contains(out, "\"encrypted\": false");
    free(out);
    out = EXPECT(0, "", "verify", fx.enc_hxz, pf, fx.pw_file);
    char *want = tu_strf("%s: OK (", fx.enc_hxz);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    free(want);
    free(out);
    free(src);
    free(got);
    tu_rmtree(dest);
    free(dest);
}

static void test_encrypt_with_env(void **state)
{
    (void)state;
    char *hxz = tu_path(fx.dir, "env.hxz"), *back = tu_path(fx.dir, "env.out");
    assert_int_equal(setenv("HEXZ_PASSWORD", PASSWORD2, 1), 0);
    free(EXPECT(0, "", "pack", fx.data, "-o", hxz, "--encrypt", "-q", "--kdf=interactive"));
    expect_cat(fx.data_buf, fx.data_len, hxz, NULL, NULL, NULL);
    expect_cat(fx.data_buf + 1000, 5000, hxz, "--offset=1000", "--length=5000", NULL);
    free(EXPECT(0, "", "extract", hxz, "-o", back));
    tu_assert_file_content(back, fx.data_buf, fx.data_len);
    char *out = EXPECT(0, "", "ls", hxz);
    char *want = tu_strf("main %zu\n", fx.data_len);
    assert_string_equal(out, want);
    free(want);
    free(out);
    free(EXPECT(0, "", "verify", hxz));
    /* --password-file wins over the environment. */
    char *err = tu_strf("hexz ls: %s: wrong password\n", hxz);
    free(EXPECT(1, err, "ls", hxz, "--password-file", fx.pw_file));
    free(err);
    assert_int_equal(unsetenv("HEXZ_PASSWORD"), 0);
    /* The same password from a file with a CRLF line end. */
    out = EXPECT(0, "", "ls", hxz, "--password-file", fx.pw2_file);
    free(out);
    free(hxz);
    free(back);
}

static void test_no_password(void **state)
{
    (void)state;
    const char *verbs[] = {"ls", "inspect", "verify", "cat"};
    for (int i = 0; i < 4; i++) {
        char *want = tu_strf("hexz %s: %s: archive is encrypted; a password is needed "
                             "(use --password-file FILE or set HEXZ_PASSWORD)\n",
                             verbs[i], fx.enc_hxz);
        char *out = EXPECT(1, want, verbs[i], fx.enc_hxz);
        assert_string_equal(out, "");
        free(out);
        free(want);
    }
    char *dest = tu_path(fx.dir, "nopw.out");
    char *want = tu_strf("hexz extract: %s: archive is encrypted; a password is needed "
                         "(use --password-file FILE or set HEXZ_PASSWORD)\n",
                         fx.enc_hxz);
    free(EXPECT(1, want, "extract", fx.enc_hxz, "-o", dest));
    assert_int_equal(tu_file_size(dest), -1);
    free(want);
    char *hxz = tu_path(fx.dir, "nopw.hxz");
    free(EXPECT(1,
                "hexz pack: --encrypt needs a password: use --password-file FILE or set "
                "HEXZ_PASSWORD\n",
                "pack", fx.data, "-o", hxz, "--encrypt"));
    assert_int_equal(tu_file_size(hxz), -1);
    free(hxz);
    free(dest);
}

static void test_wrong_password(void **state)
{
    (void)state;
    const char *verbs[] = {"ls", "inspect", "verify", "cat"};
    for (int i = 0; i < 4; i++) {
        char *want = tu_strf("hexz %s: %s: wrong password\n", verbs[i], fx.enc_hxz);
        char *out = EXPECT(1, want, verbs[i], fx.enc_hxz, "--password-file", fx.bad_file);
        assert_string_equal(out, "");
        free(out);
        free(want);
    }
    char *dest = tu_path(fx.dir, "badpw.out");
    char *want = tu_strf("hexz extract: %s: wrong password\n", fx.enc_hxz);
    assert_int_equal(setenv("HEXZ_PASSWORD", "nope", 1), 0);
    free(EXPECT(1, want, "extract", fx.enc_hxz, "-o", dest));
    assert_int_equal(unsetenv("HEXZ_PASSWORD"), 0);
    free(want);
    free(dest);
}

static void test_password_files(void **state)
{
    (void)state;
    char *empty = tu_path(fx.dir, "empty-pw.txt"), *missing = tu_path(fx.dir, "no-such-pw");
    write_text(empty, "\nsecond line\n");
    char *want = tu_strf("hexz ls: %s: the first line is empty (no password)\n", empty);
    free(EXPECT(1, want, "ls", fx.enc_hxz, "--password-file", empty));
    free(want);
    want = tu_strf("hexz ls: %s: No such file or directory\n", missing);
    free(EXPECT(1, want, "ls", fx.enc_hxz, "--password-file", missing));
    free(want);
    char *hxz = tu_path(fx.dir, "never.hxz");
    want = tu_strf("hexz pack: %s: No such file or directory\n", missing);
    free(EXPECT(1, want, "pack", fx.data, "-o", hxz, "--encrypt", "--password-file", missing));
    assert_int_equal(tu_file_size(hxz), -1);
    free(want);
    const char *syn = "hexz pack INPUT -o OUTPUT [OPTIONS]";
    want = tu_strf("hexz pack: --kdf applies only with --encrypt\n"
                   "usage: %s (see 'hexz pack --help')\n",
                   syn);
    free(EXPECT(2, want, "pack", fx.data, "-o", hxz, "--kdf", "moderate"));
    free(want);
    want = tu_strf("hexz pack: --password-file applies only with --encrypt\n"
                   "usage: %s (see 'hexz pack --help')\n",
                   syn);
    free(EXPECT(2, want, "pack", fx.data, "-o", hxz, "--password-file", fx.pw_file));
    free(want);
    want = tu_strf("hexz pack: --kdf: invalid value 'fast' (expected interactive or moderate)\n"
                   "usage: %s (see 'hexz pack --help')\n",
                   syn);
    free(EXPECT(2, want, "pack", fx.data, "-o", hxz, "--encrypt", "--kdf", "fast"));
    free(want);
    /* An unencrypted archive opens whatever the password. */
    free(EXPECT(0, "", "ls", fx.data_hxz, "--password-file", fx.bad_file));
    free(hxz);
    free(empty);
    free(missing);
}

static void test_sign_encrypted(void **state)
{
    (void)state;
    char *hxz = copy_of(fx.enc_hxz, "enc-signed.hxz");
    char *sec = key_path(fx.k1, "key"), *pub = key_path(fx.k1, "pub");
    /* Checking it first needs the password; signing itself does not. */
    char *want = tu_strf("hexz sign: %s: archive is encrypted; a password is needed "
                         "(use --password-file FILE or set HEXZ_PASSWORD)\n",
                         hxz);
    free(EXPECT(1, want, "sign", hxz, "-k", sec));
    free(want);
    free(EXPECT(0, "", "sign", hxz, "-k", sec, "--password-file", fx.pw_file));
    char *out = EXPECT(0, "", "verify", hxz, "-p", pub, "--password-file", fx.pw_file);
    assert_good_line(out, hxz, fx.k1_id, NULL);
    free(out);
    char *other = copy_of(fx.enc_hxz, "enc-signed2.hxz");
    free(EXPECT(0, "", "sign", other, "-k", sec, "--no-verify"));
    assert_int_equal(setenv("HEXZ_PASSWORD", PASSWORD, 1), 0);
    out = EXPECT(0, "", "verify", other, "-p", pub);
    assert_int_equal(unsetenv("HEXZ_PASSWORD"), 0);
    assert_good_line(out, other, fx.k1_id, NULL);
    free(out);
    free(other);
    free(hxz);
    free(sec);
    free(pub);
}

static void test_passwd(void **state)
{
    (void)state;
    char *hxz = copy_of(fx.enc_hxz, "passwd.hxz");
    char *sec = key_path(fx.k1, "key");
    free(EXPECT(0, "", "sign", hxz, "-k", sec, "--password-file", fx.pw_file));
    char *warn = tu_strf("hexz passwd: warning: %s: 1 signature dropped (signatures cover the "
                         "key record, which changed); sign the archive again\n",
                         hxz);
    char *out = EXPECT(0, warn, "passwd", hxz, "--password-file", fx.pw_file, "--new-password-file",
                       fx.pw2_file, "--kdf", "interactive");
    char *want = tu_strf("%s: password changed\n", hxz);
    assert_string_equal(out, want);
    free(out);
    char *err = tu_strf("hexz ls: %s: wrong password\n", hxz);
    free(EXPECT(1, err, "ls", hxz, "--password-file", fx.pw_file));
    out = EXPECT(0, "", "ls", hxz, "--password-file", fx.pw2_file);
    check_tree_listing(out);
    free(out);
    out = EXPECT(0, "", "inspect", hxz, "--password-file", fx.pw2_file);
    tu_assert_contains(out, "\nsignatures        0\n");
    free(out);

    /* Back again through the environment; no signatures now, so no warning. */
    assert_int_equal(setenv("HEXZ_PASSWORD", PASSWORD2, 1), 0);
    assert_int_equal(setenv("HEXZ_NEW_PASSWORD", PASSWORD, 1), 0);
    out = EXPECT(0, "", "passwd", hxz);
    assert_string_equal(out, want);
    free(out);
    assert_int_equal(unsetenv("HEXZ_PASSWORD"), 0);
    assert_int_equal(unsetenv("HEXZ_NEW_PASSWORD"), 0);
    out = EXPECT(0, "", "ls", hxz, "--password-file", fx.pw_file);
    check_tree_listing(out);
    free(out);
    free(err);
    free(want);
    free(warn);
    free(hxz);
    free(sec);
}

static void test_passwd_failures(void **state)
{
    (void)state;
    char *want = tu_strf("hexz passwd: %s: archive is not encrypted\n", fx.data_hxz);
    free(EXPECT(1, want, "passwd", fx.data_hxz, "--new-password-file", fx.pw2_file));
    free(want);
    want = tu_strf("hexz passwd: %s: wrong password\n", fx.enc_hxz);
    free(EXPECT(1, want, "passwd", fx.enc_hxz, "--password-file", fx.bad_file,
                "--new-password-file", fx.pw2_file));
    free(want);
    long long size = tu_file_size(fx.enc_hxz);
    free(EXPECT(1,
                "hexz passwd: no new password: use --new-password-file FILE or set "
                "HEXZ_NEW_PASSWORD\n",
                "passwd", fx.enc_hxz, "--password-file", fx.pw_file));
    assert_int_equal(tu_file_size(fx.enc_hxz), size);
    free(EXPECT(0, "", "ls", fx.enc_hxz, "--password-file", fx.pw_file));
}

static void test_no_names_in_encrypted_bytes(void **state)
{
    (void)state;
    size_t n;
    uint8_t *bytes = tu_read_file(fx.enc_hxz, &n);
    const char *names[] = {SECRET_NAME, SECRET_DIR, "image.bin", "the numbers"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (memmem(bytes, n, names[i], strlen(names[i])))
            fprintf(stderr, "'%s' found in the encrypted archive\n", names[i]);
        assert_null(memmem(bytes, n, names[i], strlen(names[i])));
    }
    free(bytes);
    /* The check can see names: an unencrypted archive of the same tree shows them. */
    char *plain = tu_path(fx.dir, "plain-tree.hxz");
    free(EXPECT(0, "", "pack", fx.tree, "-o", plain, "-q"));
    bytes = tu_read_file(plain, &n);
    assert_non_null(memmem(bytes, n, SECRET_NAME, strlen(SECRET_NAME)));
    free(bytes);
    free(plain);
}

/* ---- prompts on a pseudo-terminal ---------------------------------------------------------- */

#define TTY_TIMEOUT_MS 30000

typedef struct {
    int fd; /* the master side */
    char *text;
    size_t len, cap;
} tty_log;

/* Appends what the terminal shows to t->text; returns 0, or -1 at its end or after the timeout. */
static int tty_read_some(tty_log *t)
{
    struct pollfd pfd = {t->fd, POLLIN, 0};
    if (poll(&pfd, 1, TTY_TIMEOUT_MS) <= 0) return -1;
    if (t->len + 4096 + 1 > t->cap) {
        t->cap = (t->cap + 4096) * 2;
        t->text = realloc(t->text, t->cap);
        assert_non_null(t->text);
    }
    ssize_t n = read(t->fd, t->text + t->len, 4096);
    if (n <= 0) return -1; /* EIO once the program has closed the terminal */
    t->len += (size_t)n;
    t->text[t->len] = '\0';
    return 0;
}

static size_t count_prompts(const tty_log *t)
{
    size_t n = 0;
    for (const char *p = t->text; p && (p = strstr(p, "assword for ")) != NULL; p++) n++;
    return n;
}

static pid_t spawn_on_tty(const char *const argv[], int *master)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(*master >= 0);
    assert_int_equal(grantpt(*master), 0);
    assert_int_equal(unlockpt(*master), 0);
    char *slave = strdup(ptsname(*master));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setsid();
        int fd = open(slave, O_RDWR); /* becomes the controlling terminal */
        if (fd < 0) _exit(126);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        close(*master);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    free(slave);
    return pid;
}

/* Runs the CLI with `args` on a pseudo-terminal (stdin, stdout and stderr), typing answers[i]
 * after the (i+1)-th password prompt; *transcript gets everything the terminal showed. */
static int run_on_tty(const char *const args[], const char *const answers[], char **transcript)
{
    const char *argv[16] = {HEXZ_CLI_PATH};
    for (int i = 0; args[i]; i++) argv[i + 1] = args[i];
    tty_log t = {-1, NULL, 0, 0};
    pid_t pid = spawn_on_tty(argv, &t.fd);
    for (size_t i = 0; answers[i]; i++) {
        while (count_prompts(&t) < i + 1) assert_int_equal(tty_read_some(&t), 0);
        char *line = tu_strf("%s\n", answers[i]);
        assert_int_equal(write(t.fd, line, strlen(line)), (ssize_t)strlen(line));
        free(line);
    }
    while (tty_read_some(&t) == 0) {}
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
    close(t.fd);
    *transcript = t.text ? t.text : strdup("");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_prompt_on_terminal(void **state)
{
    (void)state;
    char *text = NULL;
    const char *ls[] = {"ls", fx.enc_hxz, NULL};
    const char *answers[] = {"typo", PASSWORD, NULL};
    assert_int_equal(run_on_tty(ls, answers, &text), 0);
    char *want = tu_strf("Password for %s: \r\nhexz ls: %s: wrong password\r\n"
                         "Password for %s: \r\nimage.bin\r\n",
                         fx.enc_hxz, fx.enc_hxz, fx.enc_hxz);
    assert_true(strncmp(text, want, strlen(want)) == 0);
    assert_null(strstr(text, "typo")); /* no echo */
    assert_null(strstr(text, PASSWORD));
    free(want);
    free(text);

    /* pack --encrypt asks twice; answers that differ write nothing. */
    char *hxz = tu_path(fx.dir, "prompted.hxz");
    const char *pack[] = {"pack", fx.data, "-o", hxz, "--encrypt", "-q", NULL};
    const char *differ[] = {"first", "second", NULL};
    assert_int_equal(run_on_tty(pack, differ, &text), 1);
    assert_non_null(strstr(text, "Repeat password for "));
    assert_non_null(strstr(text, "hexz pack: the passwords do not match\r\n"));
    assert_int_equal(tu_file_size(hxz), -1);
    free(text);
    const char *same[] = {PASSWORD2, PASSWORD2, NULL};
    assert_int_equal(run_on_tty(pack, same, &text), 0);
    free(text);
    expect_cat(fx.data_buf, fx.data_len, hxz, "--password-file", fx.pw2_file, NULL);
    free(hxz);
}

static void test_help_mentions(void **state)
{
    (void)state;
    static const char *const verbs[] = {"cat", "ls", "inspect", "verify", "extract", "sign"};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        char *out = EXPECT(0, "", verbs[i], "--help");
        tu_assert_contains(out, "--password-file FILE");
        free(out);
    }
    char *out = EXPECT(0, "", "pack", "--help");
    tu_assert_contains(out, "--encrypt");
    tu_assert_contains(out, "--kdf STRENGTH");
    free(out);
    out = EXPECT(0, "", "help", "passwd");
    tu_assert_contains(out, "--new-password-file FILE");
    free(out);
    out = EXPECT(0, "", "help");
    tu_assert_contains(out, "\n  keygen    ");
    tu_assert_contains(out, "\n  sign      ");
    tu_assert_contains(out, "\n  passwd    ");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen),
        cmocka_unit_test(test_keygen_usage),
        cmocka_unit_test(test_sign_and_verify),
        cmocka_unit_test(test_verify_other_key),
        cmocka_unit_test(test_verify_tampered),
        cmocka_unit_test(test_two_signatures),
        cmocka_unit_test(test_sign_usage_and_failures),
        cmocka_unit_test(test_encrypted_read_verbs),
        cmocka_unit_test(test_encrypt_with_env),
        cmocka_unit_test(test_no_password),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_password_files),
        cmocka_unit_test(test_sign_encrypted),
        cmocka_unit_test(test_passwd),
        cmocka_unit_test(test_passwd_failures),
        cmocka_unit_test(test_no_names_in_encrypted_bytes),
        cmocka_unit_test(test_prompt_on_terminal),
        cmocka_unit_test(test_help_mentions),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
