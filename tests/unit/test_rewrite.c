/*
 * test_rewrite.c - the rewriting calls (hexz_sign, hexz_change_password, a writer replacing an
 * existing archive, hexz_flatten) update the file a path names, atomically (issue 10, item 7
 * and the "Rewrites" part; the directory-fsync part of item 19; item 11).
 *
 *  - through a symlink: the target is replaced in its own directory, the link stays a link;
 *  - the old file's mode is kept (and, as root, its owner, after a chown to another uid);
 *  - a file with several hard links, a dangling link, a FIFO are refused, bytes untouched;
 *  - after the rename succeeded, a failing fsync of the directory is not a failure
 *    (fault-injection hook in hx_outfile, set through the writer's private header);
 *  - a 257th signature is refused before anything is written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hexz.h"
#include "pack/outfile.h"
#include "pack/writer_impl.h"
#include "testutil.h"

#define PW "pw"

typedef struct {
    char *dir, *real_dir, *archive, *link;
    uint8_t sk[HEXZ_SECRET_KEY_LEN], pk[HEXZ_PUBLIC_KEY_LEN];
} fixture;

static void pack_small(const char *path, const char *password, int overwrite, const char *text)
{
    hexz_write_options o = HEXZ_WRITE_OPTIONS_INIT;
    o.password = password;
    o.kdf = HEXZ_KDF_MINIMAL;
    o.overwrite = overwrite;
    o.threads = 1;
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, &o), 0);
    assert_int_equal(hexz_writer_write(w, text, strlen(text)), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
}

/* dir/real/a.hxz (plain), and dir/link.hxz -> real/a.hxz. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("rewrite");
    f->real_dir = tu_path(f->dir, "real");
    assert_int_equal(mkdir(f->real_dir, 0755), 0);
    f->archive = tu_path(f->real_dir, "a.hxz");
    f->link = tu_path(f->dir, "link.hxz");
    pack_small(f->archive, NULL, 0, "hello, rewritten world\n");
    assert_int_equal(symlink("real/a.hxz", f->link), 0);
    assert_int_equal(hexz_keygen(f->pk, f->sk), 0);
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
    free(f);
    return 0;
}

static void assert_link_kept(const fixture *f)
{
    struct stat st;
    assert_int_equal(lstat(f->link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char target[64] = "";
    assert_int_equal(readlink(f->link, target, sizeof target - 1), (ssize_t)strlen("real/a.hxz"));
    assert_string_equal(target, "real/a.hxz");
}

static unsigned signatures_of(const char *path)
{
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, path), 0);
    unsigned n = hexz_reader_signature_count(r);
    hexz_reader_free(r);
    return n;
}

/* Item 7: sign through a symlink signs the real archive; the link stays. */
static void test_sign_through_symlink(void **state)
{
    fixture *f = *state;
    assert_int_equal(hexz_sign(f->link, f->sk, "via link"), 0);
    assert_link_kept(f);
    assert_int_equal(signatures_of(f->archive), 1);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, f->archive), 0);
    assert_int_equal(hexz_reader_verify_signature(r, f->pk, NULL), 0);
    hexz_reader_free(r);
    /* Nothing else appeared in either directory (no temporary file left, no file at the link's
     * place). */
    char *stray = tu_path(f->real_dir, ".a.hxz.hexz-tmp");
    assert_int_not_equal(access(stray, F_OK), 0);
    free(stray);
}

/* Item 7: passwd through a symlink changes the real archive's password. */
static void test_passwd_through_symlink(void **state)
{
    fixture *f = *state;
    pack_small(f->archive, PW, 1, "secret\n");
    assert_int_equal(hexz_change_password(f->link, PW, "new", HEXZ_KDF_MINIMAL), 0);
    assert_link_kept(f);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, f->archive, PW), HEXZ_EPASSWORD);
    assert_int_equal(hexz_reader_open_password(&r, f->archive, "new"), 0);
    char buf[16] = "";
    size_t got;
    assert_int_equal(hexz_reader_read_at(r, 0, buf, sizeof buf - 1, 0, &got), 0);
    assert_string_equal(buf, "secret\n");
    hexz_reader_free(r);
}

/* A writer replacing an archive (pack --force, flatten --force) through a symlink. */
static void test_writer_and_flatten_through_symlink(void **state)
{
    fixture *f = *state;
    pack_small(f->link, NULL, 1, "second version\n");
    assert_link_kept(f);
    char *src = tu_path(f->dir, "src.hxz");
    pack_small(src, NULL, 0, "third version\n");
    assert_int_equal(hexz_flatten(src, NULL, f->link, NULL), 0);
    assert_link_kept(f);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, f->archive), 0);
    char buf[32] = "";
    size_t got;
    assert_int_equal(hexz_reader_read_at(r, 0, buf, sizeof buf - 1, 0, &got), 0);
    assert_string_equal(buf, "third version\n");
    hexz_reader_free(r);
    free(src);
}

/* A new archive must not be created through a dangling link (where would it go?), nor over
 * a FIFO (it would be replaced by a regular file). */
static void test_dangling_link_and_fifo_refused(void **state)
{
    fixture *f = *state;
    char *dangling = tu_path(f->dir, "dangling.hxz");
    assert_int_equal(symlink("nowhere/x.hxz", dangling), 0);
    hexz_writer *w;
    hexz_write_options o = HEXZ_WRITE_OPTIONS_INIT;
    assert_int_equal(hexz_writer_create(&w, dangling, &o), HEXZ_EINVAL);
    char *want = tu_strf("%s: is a symbolic link to a missing file; not writing through it",
                         dangling);
    assert_string_equal(hexz_last_error(), want);
    free(want);
    char *fifo = tu_path(f->dir, "fifo.hxz");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(hexz_writer_create(&w, fifo, &o), HEXZ_EINVAL);
    want = tu_strf("%s: is not a regular file; not replacing it", fifo);
    assert_string_equal(hexz_last_error(), want);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    free(want);
    free(fifo);
    free(dangling);
}

/* As root: a link another user planted in a sticky world-writable directory (like /tmp) is not
 * followed (the kernel's protected_symlinks rule), so it cannot aim a rewrite at any file. */
static void test_foreign_link_in_sticky_dir_refused(void **state)
{
    fixture *f = *state;
    if (geteuid() != 0) {
        print_message("not root: cannot make a link owned by another user; skipped\n");
        return;
    }
    char *sticky = tu_path(f->dir, "tmp");
    assert_int_equal(mkdir(sticky, 0777), 0);
    assert_int_equal(chmod(sticky, 01777), 0);
    char *planted = tu_path(sticky, "out.hxz");
    assert_int_equal(symlink(f->archive, planted), 0);
    assert_int_equal(lchown(planted, 1234, 1234), 0);
    size_t len;
    uint8_t *before = tu_read_file(f->archive, &len);
    hexz_writer *w;
    hexz_write_options o = HEXZ_WRITE_OPTIONS_INIT;
    assert_int_equal(hexz_writer_create(&w, planted, &o), HEXZ_EINVAL);
    char *want = tu_strf(
        "%s: is a symbolic link of another user in a sticky world-writable directory; not "
        "following it",
        planted);
    assert_string_equal(hexz_last_error(), want);
    assert_int_equal(hexz_sign(planted, f->sk, NULL), HEXZ_EINVAL);
    tu_assert_file_content(f->archive, before, len);
    /* Our own link there is followed. */
    assert_int_equal(lchown(planted, 0, 0), 0);
    assert_int_equal(hexz_sign(planted, f->sk, NULL), 0);
    assert_int_equal(signatures_of(f->archive), 1);
    free(want);
    free(before);
    free(planted);
    free(sticky);
}

/* Several hard links: every rewriting call refuses, the bytes stay. */
static void test_hard_link_refused(void **state)
{
    fixture *f = *state;
    char *other = tu_path(f->dir, "other-name.hxz");
    assert_int_equal(link(f->archive, other), 0);
    size_t len0, len1;
    uint8_t *before = tu_read_file(f->archive, &len0);
    char *want = tu_strf(
        "%s: has 2 hard links; replacing it would leave the other names with the old "
        "version (remove them, or write to a new name)",
        f->archive);
    assert_int_equal(hexz_sign(f->archive, f->sk, NULL), HEXZ_EINVAL);
    assert_string_equal(hexz_last_error(), want);
    assert_int_equal(hexz_sign(f->link, f->sk, NULL), HEXZ_EINVAL);
    hexz_writer *w;
    hexz_write_options o = HEXZ_WRITE_OPTIONS_INIT;
    assert_int_equal(hexz_writer_create(&w, other, &o), HEXZ_EINVAL);
    uint8_t *after = tu_read_file(f->archive, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    free(after);
    free(before);
    /* An encrypted one: passwd refuses too, the old password still works. */
    assert_int_equal(unlink(other), 0);
    pack_small(f->archive, PW, 1, "secret\n");
    assert_int_equal(link(f->archive, other), 0);
    assert_int_equal(hexz_change_password(f->archive, PW, "new", HEXZ_KDF_MINIMAL), HEXZ_EINVAL);
    hexz_passwd_options po = HEXZ_PASSWD_OPTIONS_INIT;
    po.keep_key = 1;
    assert_int_equal(hexz_change_password_opts(f->archive, PW, "new", &po), HEXZ_EINVAL);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open_password(&r, other, PW), 0);
    hexz_reader_free(r);
    free(want);
    free(other);
}

static void assert_mode_owner(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, mode);
    assert_int_equal(st.st_uid, uid);
    assert_int_equal(st.st_gid, gid);
}

/* The new version keeps the old one's mode, and its owner when we can set it (as root: an
 * archive chowned to another uid stays that uid's after sign, passwd and a writer). */
static void test_mode_and_owner_kept(void **state)
{
    fixture *f = *state;
    pack_small(f->archive, PW, 1, "secret\n");
    int root = geteuid() == 0;
    uid_t uid = root ? 1234 : geteuid();
    gid_t gid = root ? 4321 : getegid();
    if (root) assert_int_equal(chown(f->archive, uid, gid), 0);
    assert_int_equal(chmod(f->archive, 0604), 0);
    assert_int_equal(hexz_sign(f->link, f->sk, NULL), 0);
    assert_mode_owner(f->archive, 0604, uid, gid);
    assert_int_equal(chmod(f->archive, 0640), 0);
    assert_int_equal(hexz_change_password(f->archive, PW, "new", HEXZ_KDF_MINIMAL), 0);
    assert_mode_owner(f->archive, 0640, uid, gid);
    hexz_passwd_options po = HEXZ_PASSWD_OPTIONS_INIT;
    po.keep_key = 1;
    assert_int_equal(chmod(f->archive, 0600), 0);
    assert_int_equal(hexz_change_password_opts(f->link, "new", PW, &po), 0);
    assert_mode_owner(f->archive, 0600, uid, gid);
    assert_int_equal(chmod(f->archive, 0644), 0);
    pack_small(f->link, NULL, 1, "plain again\n");
    assert_mode_owner(f->archive, 0644, uid, gid);
    if (!root) print_message("not root: owner kept only trivially (no chown to another uid)\n");
}

/* The fault-injection hook: fsync of the directory fails after the rename. */
static int failing_fsync(int fd)
{
    (void)fd;
    errno = EIO;
    return -1;
}

/* Item 19: the rename is the commit. A failing directory fsync after it does not turn a
 * finished archive into a reported failure (before: hexz_writer_finish returned HEXZ_EIO
 * although the archive was in place). */
static void test_dir_fsync_failure_after_rename(void **state)
{
    fixture *f = *state;
    char *path = tu_path(f->dir, "new.hxz");
    hexz_write_options o = HEXZ_WRITE_OPTIONS_INIT;
    o.overwrite = 0;
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, &o), 0);
    w->out.fsync_dir = failing_fsync;
    assert_int_equal(hexz_writer_write(w, "abc", 3), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    assert_int_equal(w->out.dir_sync_failed, 1);
    hexz_writer_free(w);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, path), 0);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    hexz_reader_free(r);
    /* The outfile alone, as extraction and the rewriting verbs use it. */
    hx_outfile out;
    char *plain = tu_path(f->dir, "plain.bin");
    assert_int_equal(hx_outfile_open(&out, plain, HX_OUT_CREATE), 0);
    out.fsync_dir = failing_fsync;
    assert_int_equal(hx_outfile_write(&out, "xyz", 3), 0);
    assert_int_equal(hx_outfile_commit(&out), 0);
    assert_int_equal(out.dir_sync_failed, 1);
    hx_outfile_discard(&out);
    tu_assert_file_content(plain, "xyz", 3);
    free(plain);
    free(path);
}

/* A file replaced between open and commit is not overwritten (its replacement is kept). */
static void test_replaced_meanwhile_refused(void **state)
{
    fixture *f = *state;
    hx_outfile out;
    assert_int_equal(hx_outfile_open(&out, f->link, HX_OUT_UPDATE), 0);
    assert_int_equal(hx_outfile_write(&out, "new", 3), 0);
    char *other = tu_path(f->real_dir, "b");
    tu_write_file(other, "theirs", 6);
    assert_int_equal(rename(other, f->archive), 0);
    assert_int_equal(hx_outfile_commit(&out), HEXZ_EIO);
    hx_outfile_discard(&out);
    tu_assert_file_content(f->archive, "theirs", 6);
    free(other);
}

/* Item 11: 256 signatures is the most a reader accepts; the 257th is refused, bytes unchanged. */
static void test_257th_signature_refused(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 256; i++) assert_int_equal(hexz_sign(f->archive, f->sk, NULL), 0);
    assert_int_equal(signatures_of(f->archive), 256);
    size_t len0, len1;
    uint8_t *before = tu_read_file(f->archive, &len0);
    assert_int_equal(hexz_sign(f->link, f->sk, "one too many"), HEXZ_EINVAL);
    char *want = tu_strf("%s: already carries the maximum of 256 signatures; not signed", f->link);
    assert_string_equal(hexz_last_error(), want);
    uint8_t *after = tu_read_file(f->archive, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    assert_int_equal(signatures_of(f->archive), 256);
    free(want);
    free(before);
    free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sign_through_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passwd_through_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_and_flatten_through_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dangling_link_and_fifo_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_link_in_sticky_dir_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hard_link_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode_and_owner_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_fsync_failure_after_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaced_meanwhile_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_257th_signature_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
