/*
 * test_cli_rewrite.c - the rewriting verbs of the hexz command line (sign, passwd, pack --force,
 * flatten --force) update the archive a path names (issue 10, items 7, 10, 11 and the
 * "Rewrites" part), and passwords and KDF limits as the CLI takes them (items 9 and 10):
 *
 *  - through a symlink: the target is updated, the link stays a link, passwd's new password
 *    opens the real archive and the old one no longer does;
 *  - a hard-linked archive is refused with one line naming it, exit 1, bytes unchanged;
 *  - owner (as root, after a chown to another uid) and mode are kept;
 *  - a NUL in a password file (a UTF-16 file) is refused with a clear error, never truncated;
 *  - --max-kdf-memory / --max-kdf-ops and $HEXZ_MAX_KDF_MEMORY bound the key derivation;
 *  - the 257th signature is refused, the archive byte-identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hexz.h"
#include "testutil.h"

#define EXPECT(code, err, ...) tu_hexz_expect(code, err, __VA_ARGS__, (const char *)NULL)

typedef struct {
    char *dir, *real_dir, *archive, *link, *pw, *pw_new, *key, *pub, *input;
} fixture;

static char *write_text(const char *dir, const char *name, const char *text, size_t len)
{
    char *p = tu_path(dir, name);
    tu_write_file(p, text, len);
    return p;
}

/* dir/real/a.hxz encrypted with "old" (interactive cost), dir/link.hxz -> real/a.hxz, password
 * files, a key pair. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("cli-rewrite");
    f->real_dir = tu_path(f->dir, "real");
    assert_int_equal(mkdir(f->real_dir, 0755), 0);
    f->archive = tu_path(f->real_dir, "a.hxz");
    f->link = tu_path(f->dir, "link.hxz");
    f->pw = write_text(f->dir, "pw.txt", "old\n", 4);
    f->pw_new = write_text(f->dir, "pw-new.txt", "new\r\n", 5);
    f->input = write_text(f->dir, "input.txt", "the content\n", 12);
    free(EXPECT(0, "", "pack", f->input, "-o", f->archive, "-q", "--encrypt", "--password-file",
                f->pw));
    assert_int_equal(symlink("real/a.hxz", f->link), 0);
    char *keyname = tu_path(f->dir, "k");
    free(EXPECT(0, "", "keygen", "-o", keyname));
    f->key = tu_strf("%s.key", keyname);
    f->pub = tu_strf("%s.pub", keyname);
    free(keyname);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    free(f->real_dir);
    free(f->archive);
    free(f->link);
    free(f->pw);
    free(f->pw_new);
    free(f->key);
    free(f->pub);
    free(f->input);
    free(f);
    return 0;
}

static void assert_link_kept(const fixture *f)
{
    struct stat st;
    assert_int_equal(lstat(f->link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(f->link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
}

/* Item 7: before, passwd replaced the link by a new regular file and the real archive kept the
 * old password although passwd said "password changed". */
static void test_passwd_through_symlink(void **state)
{
    fixture *f = *state;
    char *want = tu_strf("%s: password changed\n", f->link);
    char *out = EXPECT(0, "", "passwd", f->link, "--password-file", f->pw, "--new-password-file",
                       f->pw_new);
    assert_string_equal(out, want);
    free(out);
    assert_link_kept(f);
    free(EXPECT(0, "", "cat", f->archive, "--password-file", f->pw_new));
    char *err = tu_strf("hexz cat: %s: wrong password\n", f->archive);
    free(EXPECT(1, err, "cat", f->archive, "--password-file", f->pw));
    free(err);
    /* --keep-key, back to the old password, through the link too. */
    out = EXPECT(0, "", "passwd", f->link, "--keep-key", "--password-file", f->pw_new,
                 "--new-password-file", f->pw);
    assert_string_equal(out, want);
    free(out);
    assert_link_kept(f);
    out = EXPECT(0, "", "cat", f->archive, "--password-file", f->pw);
    assert_string_equal(out, "the content\n");
    free(out);
    free(want);
}

static void test_sign_pack_flatten_through_symlink(void **state)
{
    fixture *f = *state;
    free(EXPECT(0, "", "pack", f->input, "-o", f->link, "-q", "--force"));
    assert_link_kept(f);
    free(EXPECT(0, "", "sign", f->link, "-k", f->key));
    assert_link_kept(f);
    char *out = EXPECT(0, NULL, "verify", f->archive, "-p", f->pub);
    tu_assert_contains(out, "good signature by key");
    free(out);
    char *src = tu_path(f->dir, "src.hxz");
    free(EXPECT(0, "", "pack", f->input, "-o", src, "-q"));
    free(EXPECT(0, NULL, "flatten", src, "-o", f->link, "--force"));
    assert_link_kept(f);
    out = EXPECT(0, "", "cat", f->archive);
    assert_string_equal(out, "the content\n");
    free(out);
    free(src);
}

static void test_hard_link_refused(void **state)
{
    fixture *f = *state;
    char *other = tu_path(f->dir, "other.hxz");
    assert_int_equal(link(f->archive, other), 0);
    size_t len;
    uint8_t *before = tu_read_file(f->archive, &len);
    char *msg = tu_strf(
        "%s: has 2 hard links; replacing it would leave the other names with the old "
        "version (remove them, or write to a new name)\n",
        f->archive);
    char *err = tu_strf("hexz passwd: %s", msg);
    free(EXPECT(1, err, "passwd", f->archive, "--password-file", f->pw, "--new-password-file",
                f->pw_new));
    free(err);
    err = tu_strf("hexz sign: %s", msg);
    free(EXPECT(1, err, "sign", f->link, "-k", f->key, "--password-file", f->pw));
    free(err);
    err = tu_strf(
        "hexz pack: %s: has 2 hard links; replacing it would leave the other names with the old "
        "version (remove them, or write to a new name)\n",
        other);
    free(EXPECT(1, err, "pack", f->input, "-o", other, "-q", "--force"));
    free(err);
    tu_assert_file_content(f->archive, before, len);
    free(before);
    free(msg);
    free(other);
}

static void assert_owner_mode(const char *path, uid_t uid, mode_t mode)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_uid, uid);
    assert_int_equal(st.st_mode & 07777, mode);
}

static void test_owner_and_mode_kept(void **state)
{
    fixture *f = *state;
    uid_t uid = geteuid() == 0 ? 2345 : geteuid();
    if (geteuid() == 0) assert_int_equal(chown(f->archive, uid, 2345), 0);
    assert_int_equal(chmod(f->archive, 0640), 0);
    free(EXPECT(0, NULL, "passwd", f->link, "--password-file", f->pw, "--new-password-file",
                f->pw_new));
    assert_owner_mode(f->archive, uid, 0640);
    assert_int_equal(chmod(f->archive, 0604), 0);
    free(EXPECT(0, NULL, "sign", f->archive, "-k", f->key, "--password-file", f->pw_new));
    assert_owner_mode(f->archive, uid, 0604);
    free(EXPECT(0, "", "pack", f->input, "-o", f->link, "-q", "--force"));
    assert_owner_mode(f->archive, uid, 0604);
}

/* Item 10: "correct" in UTF-16LE is "c\0o\0r\0..." - before, the password silently became "c". */
static void test_nul_in_password_file(void **state)
{
    fixture *f = *state;
    static const char utf16[] = "\xff\xfe"
                                "c\0o\0r\0r\0e\0c\0t\0\n\0";
    char *pw16 = write_text(f->dir, "pw16.txt", utf16, sizeof utf16 - 1);
    char *err = tu_strf("hexz cat: %s: the password contains a NUL byte (is the file UTF-16?)\n",
                        pw16);
    free(EXPECT(1, err, "cat", f->archive, "--password-file", pw16));
    free(err);
    size_t len;
    uint8_t *before = tu_read_file(f->archive, &len);
    err = tu_strf("hexz passwd: %s: the password contains a NUL byte (is the file UTF-16?)\n",
                  pw16);
    free(EXPECT(1, err, "passwd", f->archive, "--password-file", f->pw, "--new-password-file",
                pw16));
    free(err);
    tu_assert_file_content(f->archive, before, len);
    char *out_hxz = tu_path(f->dir, "new.hxz");
    err = tu_strf("hexz pack: %s: the password contains a NUL byte (is the file UTF-16?)\n", pw16);
    free(EXPECT(1, err, "pack", f->input, "-o", out_hxz, "--encrypt", "--password-file", pw16));
    assert_int_not_equal(access(out_hxz, F_OK), 0);
    free(err);
    /* A NUL after the first line does not matter: only the first line is the password. */
    char *pw_tail = write_text(f->dir, "pw-tail.txt", "old\n\0\0", 6);
    free(EXPECT(0, "", "cat", f->archive, "--password-file", pw_tail));
    free(pw_tail);
    free(out_hxz);
    free(before);
    free(pw16);
}

/* Item 9: the KDF ceiling from the options and from the environment. */
static void test_kdf_limits(void **state)
{
    fixture *f = *state;
    char *err = tu_strf(
        "hexz ls: %s: key derivation cost 64 MiB x 2 passes exceeds the limit of 32 MiB x 3 "
        "passes (use --max-kdf-memory SIZE / --max-kdf-ops N to allow it)\n",
        f->archive);
    free(EXPECT(1, err, "ls", f->archive, "--password-file", f->pw, "--max-kdf-memory", "32M"));
    assert_int_equal(setenv("HEXZ_MAX_KDF_MEMORY", "32M", 1), 0);
    free(EXPECT(1, err, "ls", f->archive, "--password-file", f->pw));
    /* The option wins over the environment. */
    free(EXPECT(0, "", "ls", f->archive, "--password-file", f->pw, "--max-kdf-memory", "64M"));
    assert_int_equal(setenv("HEXZ_MAX_KDF_MEMORY", "lots", 1), 0);
    free(EXPECT(1,
                "hexz ls: HEXZ_MAX_KDF_MEMORY: invalid value 'lots' (expected a size like 512M)\n",
                "ls", f->archive, "--password-file", f->pw));
    assert_int_equal(unsetenv("HEXZ_MAX_KDF_MEMORY"), 0);
    free(err);
    err = tu_strf(
        "hexz passwd: %s: key derivation cost 64 MiB x 2 passes exceeds the limit of 256 MiB x 1 "
        "passes (use --max-kdf-memory SIZE / --max-kdf-ops N to allow it)\n",
        f->archive);
    free(EXPECT(1, err, "passwd", f->archive, "--max-kdf-ops", "1", "--password-file", f->pw,
                "--new-password-file", f->pw_new));
    free(err);
    free(EXPECT(2, NULL, "cat", f->archive, "--max-kdf-ops", "0"));
    free(EXPECT(0, "", "cat", f->archive, "--password-file", f->pw, "--max-kdf-ops", "2"));
}

/* Item 11: before, the 257th sign succeeded and the archive no longer opened. */
static void test_257th_signature_refused(void **state)
{
    fixture *f = *state;
    uint8_t sk[HEXZ_SECRET_KEY_LEN];
    assert_int_equal(hexz_secret_key_load(f->key, sk), 0);
    for (int i = 0; i < 256; i++) assert_int_equal(hexz_sign(f->archive, sk, NULL), 0);
    size_t len;
    uint8_t *before = tu_read_file(f->archive, &len);
    char *err = tu_strf(
        "hexz sign: %s: already carries the maximum of 256 signatures; not signed\n", f->link);
    free(EXPECT(1, err, "sign", f->link, "-k", f->key, "--no-verify"));
    tu_assert_file_content(f->archive, before, len);
    char *out = EXPECT(0, NULL, "verify", f->archive, "-p", f->pub, "--password-file", f->pw);
    tu_assert_contains(out, "good signature by key");
    free(out);
    free(err);
    free(before);
}

static void test_help_texts(void **state)
{
    (void)state;
    char *out = EXPECT(0, "", "passwd", "--help");
    tu_assert_contains(out, "--keep-key");
    tu_assert_contains(out, "does NOT revoke the old password");
    tu_assert_contains(out, "--max-kdf-memory SIZE");
    free(out);
    out = EXPECT(0, "", "cat", "--help");
    tu_assert_contains(out, "--max-kdf-memory SIZE, --max-kdf-ops N");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_passwd_through_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_pack_flatten_through_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hard_link_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_and_mode_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_in_password_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kdf_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_257th_signature_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_texts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
