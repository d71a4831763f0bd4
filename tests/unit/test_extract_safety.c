/*
 * test_extract_safety.c - extraction against a hostile destination and a hostile archive
 * (issue 10, items 1-5, 19 and 20), through the library: a directory swapped for a symbolic
 * link while extracting (its mode must not land outside), a hard link and a FIFO planted where
 * a file goes, existing files without and with force, setuid/setgid/sticky and the umask by
 * default and with same_permissions (as root and, in a child that drops to nobody, as a plain
 * user), a file that fails or is canceled half-way never appearing under its name, verify
 * refusing what extract refuses, and a sealed manifest page too short for its header.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive_fixtures.h"
#include "crypto/aead.h"
#include "hash/hash.h"
#include "read/reader_impl.h"

/* Every test that could block on a FIFO or a hang arms this first: a regression ends in
 * SIGALRM, a failure, never a hung test. */
#define TEST_ALARM 60

static char *mkdir_in(const char *dir, const char *name, mode_t mode)
{
    char *p = tu_path(dir, name);
    assert_int_equal(mkdir(p, mode), 0);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) fail_msg("%s: %s", path, strerror(errno));
    return st.st_mode;
}

static mode_t process_umask(void)
{
    mode_t m = umask(022);
    umask(m);
    return m;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Entries of a tree archive, added through the writer API. */
typedef struct {
    const char *path;
    int type; /* HEXZ_FILE_* */
    uint32_t mode;
    const char *content; /* files: the bytes; symlinks: the target */
} spec;

static void write_tree(const char *archive, const spec *s, size_t n)
{
    hexz_writer *w = NULL;
    hexz_write_options o = af_fixed(4096, HEXZ_CODEC_NONE, 0);
    o.threads = 1;
    AF_OK(hexz_writer_create(&w, archive, &o));
    for (size_t i = 0; i < n; i++) {
        if (s[i].type == HEXZ_FILE_DIR)
            AF_OK(hexz_writer_add_dir(w, s[i].path, s[i].mode, 1000, 0));
        if (s[i].type == HEXZ_FILE_SYMLINK)
            AF_OK(hexz_writer_add_symlink(w, s[i].path, s[i].content, 1000, 0));
        if (s[i].type != HEXZ_FILE_REGULAR) continue;
        AF_OK(hexz_writer_begin_file(w, s[i].path, s[i].mode, 1000, 0));
        AF_OK(hexz_writer_write(w, s[i].content, strlen(s[i].content)));
        AF_OK(hexz_writer_end_file(w));
    }
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
}

static int extract_with(const char *archive, const char *dest, int force, int same,
                        hexz_progress_fn fn, void *user)
{
    hexz_reader *r = af_open(archive);
    hexz_extract_options o;
    hexz_extract_options_init(&o);
    o.force = force;
    o.same_permissions = same;
    o.progress = fn;
    o.user = user;
    int rc = hexz_extract_opts(r, dest, &o);
    hexz_reader_free(r);
    return rc;
}

static size_t count_entries(const char *dir)
{
    char *cmd = tu_strf("find '%s' -mindepth 1 | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = 0;
    assert_int_equal(fscanf(p, "%zu", &n), 1);
    pclose(p);
    free(cmd);
    return n;
}

/* ---- item 1: a directory swapped for a symlink before its mode is set ---------------------- */

typedef struct {
    const char *dest_d, *outside;
    int swapped;
} swap_hook;

/* Called after each entry: once dest/d exists as the directory the archive made, it is moved
 * away and a link to `outside` put in its place, as a user who can write in the destination
 * could do. */
static int swap_dir(const hexz_progress *p, void *user)
{
    (void)p;
    swap_hook *h = user;
    struct stat st;
    if (h->swapped || lstat(h->dest_d, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
    char *moved = tu_strf("%s.moved", h->dest_d);
    assert_int_equal(rename(h->dest_d, moved), 0);
    assert_int_equal(symlink(h->outside, h->dest_d), 0);
    free(moved);
    h->swapped = 1;
    return 0;
}

static void test_dir_mode_not_set_through_swapped_link(void **state)
{
    (void)state;
    alarm(TEST_ALARM);
    char *dir = tu_mkdtemp("xs-swap");
    char *outside = mkdir_in(dir, "outside", 0700);
    char *a = tu_path(dir, "a.hxz"), *dest = tu_path(dir, "dest");
    const spec s[] = {{"d", HEXZ_FILE_DIR, 0777, NULL}, {"e", HEXZ_FILE_REGULAR, 0644, "e\n"}};
    write_tree(a, s, 2);
    for (int same = 0; same < 2; same++) {
        char *dd = tu_path(dest, "d");
        swap_hook h = {dd, outside, 0};
        int rc = extract_with(a, dest, 0, same, swap_dir, &h);
        assert_true(h.swapped);
        /* The directory's mode and time are set through a descriptor opened without following
         * links: the directory outside keeps its mode, and the link is refused. */
        assert_int_equal(mode_of(outside) & 07777, 0700);
        assert_int_equal(rc, HEXZ_EIO);
        char *want = tu_strf(
            "%s/d: no longer a directory (replaced while extracting); mode and time not set", dest);
        assert_string_equal(hexz_last_error(), want);
        free(want);
        tu_rmtree(dest);
        free(dd);
    }
    free(outside);
    free(a);
    free(dest);
    tu_rmtree(dir);
    free(dir);
    alarm(0);
}

/* ---- items 2, 3, 5: what is already in the destination ---------------------------------- */

static void test_planted_hard_link(void **state)
{
    (void)state;
    alarm(TEST_ALARM);
    char *dir = tu_mkdtemp("xs-hardlink");
    char *outside = mkdir_in(dir, "outside", 0755), *dest = mkdir_in(dir, "dest", 0755);
    char *victim = tu_path(outside, "victim"), *f = tu_path(dest, "f"), *a = tu_path(dir, "a.hxz");
    tu_write_file(victim, "original", 8);
    assert_int_equal(link(victim, f), 0);
    const spec s[] = {{"f", HEXZ_FILE_REGULAR, 0644, "pwned"}};
    write_tree(a, s, 1);
    /* Without force: refused, nothing written through the link. */
    assert_int_equal(extract_with(a, dest, 0, 0, NULL, NULL), HEXZ_EEXIST);
    char *want = tu_strf("%s/f: already exists (use --force to overwrite)", dest);
    assert_string_equal(hexz_last_error(), want);
    tu_assert_file_content(victim, "original", 8);
    /* With force: the name is replaced by rename; the file outside is byte for byte intact. */
    AF_OK(extract_with(a, dest, 1, 0, NULL, NULL));
    tu_assert_file_content(victim, "original", 8);
    tu_assert_file_content(f, "pwned", 5);
    struct stat st;
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_nlink, 1);
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_nlink, 1);
    free(want);
    free(victim);
    free(f);
    free(a);
    free(outside);
    free(dest);
    tu_rmtree(dir);
    free(dir);
    alarm(0);
}

static void test_existing_file_refused_before_writing(void **state)
{
    (void)state;
    alarm(TEST_ALARM);
    char *dir = tu_mkdtemp("xs-exists");
    char *dest = mkdir_in(dir, "dest", 0755), *a = tu_path(dir, "a.hxz");
    char *precious = tu_path(dest, "precious.txt"), *first = tu_path(dest, "a.txt");
    tu_write_file(precious, "mine\n", 5);
    const spec s[] = {{"a.txt", HEXZ_FILE_REGULAR, 0644, "first\n"},
                      {"precious.txt", HEXZ_FILE_REGULAR, 0644, "theirs\n"},
                      {"sub", HEXZ_FILE_DIR, 0755, NULL}};
    write_tree(a, s, 3);
    assert_int_equal(extract_with(a, dest, 0, 0, NULL, NULL), HEXZ_EEXIST);
    char *want = tu_strf("%s/precious.txt: already exists (use --force to overwrite)", dest);
    assert_string_equal(hexz_last_error(), want);
    /* Nothing at all was written: not even the entry before the conflict. */
    assert_false(exists(first));
    assert_int_equal(count_entries(dest), 1);
    tu_assert_file_content(precious, "mine\n", 5);
    /* An existing directory where the archive has one is merged, not a conflict; a file where
     * it has a directory is. */
    tu_rmtree(dest);
    free(mkdir_in(dir, "dest", 0755));
    char *sub = mkdir_in(dest, "sub", 0700);
    AF_OK(extract_with(a, dest, 0, 0, NULL, NULL));
    tu_assert_file_content(precious, "theirs\n", 7);
    assert_int_equal(mode_of(sub) & 07777, 0755);
    tu_rmtree(dest);
    free(mkdir_in(dir, "dest", 0755));
    tu_write_file(sub, "x", 1);
    assert_int_equal(extract_with(a, dest, 0, 0, NULL, NULL), HEXZ_EEXIST);
    free(want);
    want = tu_strf("%s/sub: already exists (use --force to overwrite)", dest);
    assert_string_equal(hexz_last_error(), want);
    AF_OK(extract_with(a, dest, 1, 0, NULL, NULL));
    assert_true(S_ISDIR(mode_of(sub)));
    free(want);
    free(sub);
    free(first);
    free(precious);
    free(a);
    free(dest);
    tu_rmtree(dir);
    free(dir);
    alarm(0);
}

static void test_planted_fifo(void **state)
{
    (void)state;
    alarm(TEST_ALARM); /* opening the FIFO for writing would block for ever */
    char *dir = tu_mkdtemp("xs-fifo");
    char *dest = mkdir_in(dir, "dest", 0755), *a = tu_path(dir, "a.hxz"), *f = tu_path(dest, "f");
    assert_int_equal(mkfifo(f, 0644), 0);
    const spec s[] = {{"f", HEXZ_FILE_REGULAR, 0644, "data\n"}};
    write_tree(a, s, 1);
    assert_int_equal(extract_with(a, dest, 0, 0, NULL, NULL), HEXZ_EEXIST);
    assert_true(S_ISFIFO(mode_of(f)));
    AF_OK(extract_with(a, dest, 1, 0, NULL, NULL));
    assert_true(S_ISREG(mode_of(f)));
    tu_assert_file_content(f, "data\n", 5);

    /* A single stream onto a FIFO: the same. */
    char *sa = tu_path(dir, "s.hxz"), *out = tu_path(dir, "out");
    hexz_write_options o = af_fixed(4096, HEXZ_CODEC_NONE, 0);
    af_pack_buffer(sa, "stream\n", 7, &o, 0);
    assert_int_equal(mkfifo(out, 0644), 0);
    assert_int_equal(extract_with(sa, out, 0, 0, NULL, NULL), HEXZ_EEXIST);
    assert_true(S_ISFIFO(mode_of(out)));
    AF_OK(extract_with(sa, out, 1, 0, NULL, NULL));
    tu_assert_file_content(out, "stream\n", 7);
    free(sa);
    free(out);
    free(f);
    free(a);
    free(dest);
    tu_rmtree(dir);
    free(dir);
    alarm(0);
}

/* With force, everything in the way is replaced, never followed or written through: a file of
 * another user (the new one is the caller's), a file where the archive has a symlink, a
 * symlink to an outside directory where it has a directory or an implicit parent, an empty
 * directory where it has a file. A non-empty directory is not removed. */
static void test_force_replaces_every_kind(void **state)
{
    (void)state;
    alarm(TEST_ALARM);
    char *dir = tu_mkdtemp("xs-force");
    char *outside = mkdir_in(dir, "outside", 0700), *dest = mkdir_in(dir, "dest", 0755);
    char *a = tu_path(dir, "a.hxz");
    const spec s[] = {{"d", HEXZ_FILE_DIR, 0755, NULL},      {"d/x", HEXZ_FILE_REGULAR, 0644, "dx"},
                      {"e", HEXZ_FILE_REGULAR, 0644, "e"},   {"f", HEXZ_FILE_REGULAR, 0644, "f"},
                      {"l", HEXZ_FILE_SYMLINK, 0, "target"}, {"p/q", HEXZ_FILE_REGULAR, 0644, "q"}};
    write_tree(a, s, 6);
    char *d = tu_path(dest, "d"), *e = tu_path(dest, "e"), *f = tu_path(dest, "f");
    char *l = tu_path(dest, "l"), *p = tu_path(dest, "p");
    assert_int_equal(symlink(outside, d), 0);
    assert_int_equal(mkdir(e, 0755), 0);
    tu_write_file(f, "someone else's", 14);
    if (getuid() == 0) assert_int_equal(chown(f, 65534, 65534), 0);
    tu_write_file(l, "a file", 6);
    assert_int_equal(symlink(outside, p), 0);
    /* Without force the first conflict in manifest order is named; an implicit parent too. */
    assert_int_equal(extract_with(a, dest, 0, 0, NULL, NULL), HEXZ_EEXIST);
    char *want = tu_strf("%s/d: already exists (use --force to overwrite)", dest);
    assert_string_equal(hexz_last_error(), want);
    free(want);
    AF_OK(extract_with(a, dest, 1, 0, NULL, NULL));
    struct stat st;
    assert_int_equal(lstat(d, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    char *dx = tu_path(d, "x"), *pq = tu_path(p, "q");
    tu_assert_file_content(dx, "dx", 2);
    tu_assert_file_content(e, "e", 1);
    tu_assert_file_content(f, "f", 1);
    assert_int_equal(lstat(f, &st), 0);
    assert_int_equal(st.st_uid, getuid());
    char target[16] = {0};
    assert_int_equal(readlink(l, target, sizeof target - 1), 6);
    assert_string_equal(target, "target");
    tu_assert_file_content(pq, "q", 1);
    assert_int_equal(count_entries(outside), 0);
    assert_int_equal(mode_of(outside) & 07777, 0700);
    /* Only an implicit parent in the way, without force: it is named as the conflict. */
    char *dest2 = mkdir_in(dir, "dest2", 0755), *p2 = tu_path(dest2, "p");
    assert_int_equal(symlink(outside, p2), 0);
    assert_int_equal(extract_with(a, dest2, 0, 0, NULL, NULL), HEXZ_EEXIST);
    want = tu_strf("%s/p: already exists (use --force to overwrite)", dest2);
    assert_string_equal(hexz_last_error(), want);
    assert_int_equal(count_entries(dest2), 1);
    free(want);
    free(p2);
    free(dest2);
    /* A non-empty directory where a file goes stays, and the error names it. */
    tu_rmtree(e);
    assert_int_equal(mkdir(e, 0755), 0);
    char *ek = tu_path(e, "keep");
    tu_write_file(ek, "k", 1);
    assert_int_equal(extract_with(a, dest, 1, 0, NULL, NULL), HEXZ_EIO);
    want = tu_strf("%s/e: Directory not empty", dest);
    assert_string_equal(hexz_last_error(), want);
    tu_assert_file_content(ek, "k", 1);
    free(want);
    free(ek);
    free(dx);
    free(pq);
    free(d);
    free(e);
    free(f);
    free(l);
    free(p);
    free(a);
    free(outside);
    free(dest);
    tu_rmtree(dir);
    free(dir);
    alarm(0);
}

/* A stream archive extracted onto itself: refused without force; with force the archive is
 * read to the end from the old file and only then replaced. */
static void test_stream_onto_itself(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("xs-self");
    char *a = tu_path(dir, "a.hxz");
    size_t len = 300000;
    uint8_t *data = af_malloc(len);
    tu_rng rng;
    tu_rng_seed(&rng, 10);
    tu_rng_fill(&rng, data, len);
    hexz_write_options o = af_fixed(4096, HEXZ_CODEC_NONE, 0);
    af_pack_buffer(a, data, len, &o, 0);
    size_t alen;
    uint8_t *before = tu_read_file(a, &alen);
    assert_int_equal(extract_with(a, a, 0, 0, NULL, NULL), HEXZ_EEXIST);
    tu_assert_file_content(a, before, alen);
    AF_OK(extract_with(a, a, 1, 0, NULL, NULL));
    tu_assert_file_content(a, data, len);
    free(before);
    free(data);
    free(a);
    tu_rmtree(dir);
    free(dir);
}

/* ---- item 4: permissions ------------------------------------------------------------------ */

static const spec mode_spec[] = {
    {"open", HEXZ_FILE_DIR, 0777, NULL},     {"open/w", HEXZ_FILE_REGULAR, 0666, "w"},
    {"sgid", HEXZ_FILE_REGULAR, 02755, "g"}, {"sticky", HEXZ_FILE_DIR, 01777, NULL},
    {"suid", HEXZ_FILE_REGULAR, 04755, "s"},
};
#define MODE_SPECS (sizeof mode_spec / sizeof mode_spec[0])

/* Extracts the mode archive into dest twice (default, then same_permissions) and compares
 * each mode with what is expected for a process with `mask` as umask, root or not. Returns the
 * number of mismatches (printed), so that it can run in a child. */
static int check_modes(const char *archive, const char *dir, int root)
{
    int bad = 0;
    for (int same = 0; same < 2; same++) {
        char *dest = tu_strf("%s/modes-%d-%d", dir, root, same);
        int rc = extract_with(archive, dest, 0, same, NULL, NULL);
        if (rc) {
            fprintf(stderr, "extract (same_permissions %d, root %d): %s\n", same, root,
                    hexz_last_error());
            bad++;
        }
        for (size_t i = 0; i < MODE_SPECS && !rc; i++) {
            char *p = tu_path(dest, mode_spec[i].path);
            mode_t want = mode_spec[i].mode;
            if (!same) want &= 0777 & (root ? 0777 : ~022);
            mode_t got = mode_of(p) & 07777;
            if (got != want) {
                fprintf(stderr, "%s (same_permissions %d, root %d): mode %04o, expected %04o\n",
                        mode_spec[i].path, same, root, (unsigned)got, (unsigned)want);
                bad++;
            }
            free(p);
        }
        free(dest);
    }
    return bad;
}

static void test_special_bits_and_umask(void **state)
{
    (void)state;
    alarm(TEST_ALARM);
    char *dir = tu_mkdtemp("xs-modes");
    char *a = tu_path(dir, "a.hxz");
    write_tree(a, mode_spec, MODE_SPECS);
    mode_t old = umask(022);
    if (getuid() == 0) {
        assert_int_equal(check_modes(a, dir, 1), 0);
        /* And as a plain user: a child that drops to nobody, in a directory it may write. */
        assert_int_equal(chmod(dir, 0777), 0);
        assert_int_equal(chmod(a, 0644), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0) _exit(100);
            _exit(check_modes(a, dir, 0) ? 1 : 0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    } else {
        /* Not root: the root half cannot run here; CI runs as root and checks both. */
        printf("[ info     ] not root: checking modes as a plain user only\n");
        assert_int_equal(check_modes(a, dir, 0), 0);
    }
    umask(old);
    free(a);
    tu_rmtree(dir);
    free(dir);
    alarm(0);
}

/* ---- a file that cannot be completed never appears ---------------------------------------- */

#define BIG (9u << 20)

static void make_big_tree(const char *archive, uint8_t **big_out)
{
    uint8_t *big = af_malloc(BIG);
    tu_rng rng;
    tu_rng_seed(&rng, 7);
    tu_rng_fill(&rng, big, BIG);
    hexz_writer *w = NULL;
    hexz_write_options o = af_fixed(65536, HEXZ_CODEC_NONE, 0);
    o.threads = 1;
    AF_OK(hexz_writer_create(&w, archive, &o));
    AF_OK(hexz_writer_begin_file(w, "a", 0644, 0, 0));
    AF_OK(hexz_writer_write(w, "small\n", 6));
    AF_OK(hexz_writer_end_file(w));
    AF_OK(hexz_writer_begin_file(w, "big", 0644, 0, 0));
    AF_OK(hexz_writer_write(w, big, BIG));
    AF_OK(hexz_writer_end_file(w));
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
    *big_out = big;
}

static int cancel_inside_big(const hexz_progress *p, void *user)
{
    assert_int_equal(p->version, HEXZ_PROGRESS_VERSION);
    (void)user;
    return p->bytes_in > 6; /* past "a": inside "big" */
}

static void test_incomplete_file_never_appears(void **state)
{
    (void)state;
    alarm(TEST_ALARM);
    char *dir = tu_mkdtemp("xs-incomplete");
    char *a = tu_path(dir, "a.hxz"), *dest = tu_path(dir, "dest");
    uint8_t *big;
    make_big_tree(a, &big);
    /* Canceled half-way through "big": "a" is there, "big" is not, and no temporary either. */
    assert_int_equal(extract_with(a, dest, 0, 0, cancel_inside_big, NULL), HEXZ_ECANCELED);
    char *pa = tu_path(dest, "a"), *pbig = tu_path(dest, "big");
    tu_assert_file_content(pa, "small\n", 6);
    assert_false(exists(pbig));
    assert_int_equal(count_entries(dest), 1);
    tu_rmtree(dest);

    /* A damaged block in the middle of "big" (stored raw, so found by its bytes): the error
     * names the block and the file, and "big" never appears. */
    size_t alen;
    uint8_t *img = tu_read_file(a, &alen);
    const uint8_t *hit = memmem(img, alen, big + BIG / 2, 64);
    assert_non_null(hit);
    uint64_t off = (uint64_t)(hit - img);
    free(img);
    tu_flip_byte(a, off);
    assert_int_equal(extract_with(a, dest, 0, 0, NULL, NULL), HEXZ_ECORRUPT);
    tu_assert_contains(hexz_last_error(), "(extracting big)");
    tu_assert_contains(hexz_last_error(), "block at offset");
    assert_false(exists(pbig));
    assert_int_equal(count_entries(dest), 1);
    free(pa);
    free(pbig);
    free(big);
    free(a);
    free(dest);
    tu_rmtree(dir);
    free(dir);
    alarm(0);
}

/* ---- item 20: verify refuses what extract refuses ---------------------------------------- */

static void expect_both_refuse(const char *dir, const spec *s, size_t n, const char *reason)
{
    char *a = tu_path(dir, "bad.hxz"), *dest = tu_path(dir, "bad-dest");
    write_tree(a, s, n);
    hexz_reader *r = af_open(a);
    char *want = tu_strf("%s: %s", a, reason);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), HEXZ_ECORRUPT);
    assert_string_equal(hexz_last_error(), want);
    assert_int_equal(hexz_extract(r, dest, NULL, NULL), HEXZ_ECORRUPT);
    assert_string_equal(hexz_last_error(), want);
    assert_false(exists(dest)); /* refused before anything was made */
    hexz_reader_free(r);
    free(want);
    free(a);
    free(dest);
}

static void test_verify_checks_what_extract_checks(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("xs-verify");
    const spec below_link[] = {{"l", HEXZ_FILE_SYMLINK, 0, "/tmp"},
                               {"l/x", HEXZ_FILE_REGULAR, 0644, "x"}};
    expect_both_refuse(dir, below_link, 2, "manifest entry l/x lies below the symbolic link l");
    const spec below_file[] = {{"f", HEXZ_FILE_REGULAR, 0644, "f"},
                               {"f/g/h", HEXZ_FILE_REGULAR, 0644, "h"}};
    expect_both_refuse(dir, below_file, 2, "manifest entry f/g/h lies below the regular file f");
    char name256[300], reason[400];
    memset(name256, 'n', 256);
    memcpy(name256 + 256, "/x", 3);
    snprintf(reason, sizeof reason, "manifest entry %s has a name longer than 255 bytes", name256);
    const spec long_name[] = {{"d", HEXZ_FILE_DIR, 0755, NULL},
                              {name256, HEXZ_FILE_REGULAR, 0644, "x"}};
    expect_both_refuse(dir, long_name, 2, reason);

    /* The limits themselves pass both: a 255-byte name, siblings after a link's would-be
     * children ("l-x" sorts after "l" but is not below it), parents without entries. */
    char name255[300];
    memset(name255, 'n', 255);
    name255[255] = '\0';
    const spec fine[] = {{"l", HEXZ_FILE_SYMLINK, 0, "t"},
                         {"l-x", HEXZ_FILE_REGULAR, 0644, "1"},
                         {"l.d/y", HEXZ_FILE_REGULAR, 0644, "2"},
                         {name255, HEXZ_FILE_REGULAR, 0644, "3"},
                         {"p/q/r", HEXZ_FILE_REGULAR, 0644, "4"}};
    char *a = tu_path(dir, "fine.hxz"), *dest = tu_path(dir, "fine-dest");
    write_tree(a, fine, 5);
    hexz_reader *r = af_open(a);
    AF_OK(hexz_reader_verify(r, NULL, NULL));
    AF_OK(hexz_extract(r, dest, NULL, NULL));
    hexz_reader_free(r);
    char *p = tu_path(dest, name255);
    tu_assert_file_content(p, "3", 1);
    free(p);
    free(a);
    free(dest);
    tu_rmtree(dir);
    free(dir);
}

/* ---- item 19: a sealed manifest page shorter than a header -------------------------------- */

static void test_sealed_manifest_page_too_short(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("xs-short-page");
    char *a = tu_path(dir, "enc.hxz");
    hexz_writer *w = NULL;
    hexz_write_options o = af_fixed(4096, HEXZ_CODEC_NONE, 0);
    o.password = "pw";
    o.kdf = HEXZ_KDF_MINIMAL;
    AF_OK(hexz_writer_create(&w, a, &o));
    AF_OK(hexz_writer_begin_file(w, "f", 0644, 0, 0));
    AF_OK(hexz_writer_write(w, "content", 7));
    AF_OK(hexz_writer_end_file(w));
    AF_OK(hexz_writer_finish(w));
    hexz_writer_free(w);
    /* Plaintexts of 0..15 bytes sealed with the archive's own key (so that they decrypt) and
     * put where the first manifest page lies, with the reader's directory record pointing at
     * exactly them: 40..55 bytes. The header must not be decoded from them. */
    for (size_t plain_len = 0; plain_len < HX_MANIFEST_PAGE_HEADER_LEN; plain_len++) {
        hexz_reader *r = NULL;
        AF_OK(hexz_reader_open_password(&r, a, "pw"));
        assert_true(r->encrypted && r->mpage_count == 1);
        hx_mpage_ref *m = &r->mpages[0];
        assert_true(m->page_length >= HX_AEAD_OVERHEAD + HX_MANIFEST_PAGE_HEADER_LEN);
        uint8_t plain[HX_MANIFEST_PAGE_HEADER_LEN] = "HXMP\1\0\0\0", sealed[64], ad[HX_AD_MAX];
        size_t ad_len = hx_ad(ad, "hexz-manifest-v1", r->header.archive_id, 0, 0, NULL);
        hx_seal(sealed, plain, plain_len, ad, ad_len, NULL, r->keys.meta);
        size_t sealed_len = plain_len + HX_AEAD_OVERHEAD;
        int fd = open(a, O_WRONLY);
        assert_true(fd >= 0);
        uint8_t *orig = af_malloc(sealed_len);
        assert_int_equal(pread(r->fd, orig, sealed_len, (off_t)m->page_offset),
                         (ssize_t)sealed_len);
        assert_int_equal(pwrite(fd, sealed, sealed_len, (off_t)m->page_offset),
                         (ssize_t)sealed_len);
        m->page_length = (uint32_t)sealed_len;
        hx_hash(sealed, sealed_len, m->hash);
        hexz_file_info f;
        assert_int_equal(hexz_reader_file_at(r, 0, &f), HEXZ_ECORRUPT);
        char *want = tu_strf("%s: manifest page 0 is too short", a);
        assert_string_equal(hexz_last_error(), want);
        free(want);
        /* The archive's bytes back, for the next length. */
        assert_int_equal(pwrite(fd, orig, sealed_len, (off_t)m->page_offset), (ssize_t)sealed_len);
        close(fd);
        free(orig);
        hexz_reader_free(r);
    }
    free(a);
    tu_rmtree(dir);
    free(dir);
}

/* The options struct: NULL means the defaults, an unknown version is refused; a tree cannot
 * go to a descriptor; a stream to a descriptor is its bytes, holes as zeros. */
static void test_options_and_fd(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("xs-api");
    char *t = tu_path(dir, "t.hxz"), *sa = tu_path(dir, "s.hxz"), *dest = tu_path(dir, "dest");
    const spec s[] = {{"f", HEXZ_FILE_REGULAR, 04755, "f"}};
    write_tree(t, s, 1);
    hexz_reader *r = af_open(t);
    AF_OK(hexz_extract_opts(r, dest, NULL));
    char *f = tu_path(dest, "f");
    assert_int_equal(mode_of(f) & 07777, 0755 & (getuid() == 0 ? 0777 : ~process_umask()));
    hexz_extract_options o;
    hexz_extract_options_init(&o);
    o.version = 99;
    assert_int_equal(hexz_extract_opts(r, dest, &o), HEXZ_EUNSUPPORTED);
    assert_string_equal(hexz_last_error(),
                        "hexz_extract: extract options version 99 is newer than this library's "
                        "(1); libhexz " HEXZ_VERSION_STRING
                        " is older than the header the program was built with");
    assert_int_equal(hexz_extract_to_fd(r, 1, NULL), HEXZ_EINVAL);
    char *want = tu_strf("%s: cannot write a tree to a descriptor", t);
    assert_string_equal(hexz_last_error(), want);
    hexz_reader_free(r);

    uint8_t data[20000] = {0};
    memcpy(data + 15000, "tail", 4);
    hexz_write_options wo = af_fixed(4096, HEXZ_CODEC_LZ4, 1);
    af_pack_buffer(sa, data, sizeof data, &wo, 0);
    r = af_open(sa);
    char *out = tu_path(dir, "out");
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    AF_OK(hexz_extract_to_fd(r, fd, NULL));
    close(fd);
    tu_assert_file_content(out, data, sizeof data);
    hexz_reader_free(r);
    free(out);
    free(want);
    free(f);
    free(t);
    free(sa);
    free(dest);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_mode_not_set_through_swapped_link),
        cmocka_unit_test(test_planted_hard_link),
        cmocka_unit_test(test_existing_file_refused_before_writing),
        cmocka_unit_test(test_force_replaces_every_kind),
        cmocka_unit_test(test_stream_onto_itself),
        cmocka_unit_test(test_special_bits_and_umask),
        cmocka_unit_test(test_incomplete_file_never_appears),
        cmocka_unit_test(test_verify_checks_what_extract_checks),
        cmocka_unit_test(test_sealed_manifest_page_too_short),
        cmocka_unit_test(test_options_and_fd),
        cmocka_unit_test(test_planted_fifo),
    };
    /* The FIFO test last: a regression there ends the process (SIGALRM) after the others ran. */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
