/*
 * test_mount.c - end-to-end tests of 'hexz mount' (FUSE): a packed directory tree mounted in
 * the foreground is compared with its source (content through cmp, sizes, modes, mtimes,
 * symlink targets, directory listings, random pread()s), as are a single-file archive (one file
 * per stream), an archive whose parent directories are only implied and the background
 * (daemon) mode; writes must fail with EROFS, damage must surface as EIO with one logged line,
 * and an archive that does not open must fail with exit status 1 and one line on stderr.
 *
 * Every wait is bounded, and each test's teardown unmounts, kills and reaps whatever it left
 * running. Without /dev/fuse or fusermount3 the tests are skipped.
 */
#define HEXZ_STATIC_LINKING_ONLY /* hexz_reader_block_at */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hexz.h"
#include "testutil.h"

#define MTIME 1609556645 /* 2021-01-02T03:04:05Z */
#define MANY_FILES 1500  /* enough for several readdir calls */
#define MOUNT_TIMEOUT_MS 15000
#define EXIT_TIMEOUT_MS 15000
#define WATCHDOG_SECONDS 120 /* a hung mount kills the test (and, by PDEATHSIG, the server) */

typedef struct {
    char *fusermount; /* NULL: FUSE unusable, tests skip */
    char skip_why[256];
    char *dir;
    char *tree, *tree_hxz;     /* a generated directory tree and its archive */
    char *single, *single_hxz; /* a generated file and its archive */
    char *mnt;                 /* the mount point */
    char *log;                 /* stdout and stderr of the foreground server */
    pid_t pid;                 /* the foreground server, or 0 */
} fixture;

static fixture fx;

/* ---- helpers -------------------------------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* fusermount3 on $PATH (or in /usr/bin, /bin), malloc'd, or NULL. */
static char *find_fusermount(void)
{
    const char *path = getenv("PATH");
    char *dirs = tu_strf("%s:/usr/bin:/bin", path ? path : "");
    char *found = NULL;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char *candidate = tu_path(d, "fusermount3");
        if (access(candidate, X_OK) == 0) found = candidate;
        else free(candidate);
    }
    free(dirs);
    return found;
}

/* Is `dir` a mount point other than its parent's file system? */
static int is_mounted(const char *dir)
{
    char *parent = tu_strf("%s/..", dir);
    struct stat a, b;
    int mounted = stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
    free(parent);
    return mounted;
}

static int run_fusermount(const char *flags)
{
    const char *argv[] = {fx.fusermount, flags, fx.mnt, NULL};
    char *err = NULL;
    int rc = tu_run(NULL, &err, argv);
    free(err);
    return rc;
}

/* Waits up to `ms` for `pid` to exit; returns its tu_run-style status, or -1 on time-out. */
static int wait_exit(pid_t pid, int ms)
{
    long long end = now_ms() + ms;
    for (;;) {
        int status;
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (got < 0 && errno != EINTR) return -1;
        if (now_ms() > end) return -1;
        sleep_ms(20);
    }
}

/* Whatever happened: unmount (lazily if need be), stop and reap the server. */
static void force_cleanup(void)
{
    if (fx.fusermount && is_mounted(fx.mnt) && run_fusermount("-u") != 0) run_fusermount("-uz");
    if (fx.pid > 0) {
        if (wait_exit(fx.pid, 3000) < 0) {
            kill(fx.pid, SIGTERM);
            if (wait_exit(fx.pid, 3000) < 0) {
                kill(fx.pid, SIGKILL);
                waitpid(fx.pid, NULL, 0);
            }
        }
        fx.pid = 0;
    }
    if (fx.fusermount && is_mounted(fx.mnt)) run_fusermount("-uz");
}

static char *read_log(void)
{
    size_t len;
    uint8_t *bytes = tu_read_file(fx.log, &len);
    char *text = malloc(len + 1);
    assert_non_null(text);
    memcpy(text, bytes, len);
    text[len] = '\0';
    free(bytes);
    return text;
}

/* The foreground server wrote nothing (no errors, no sanitizer reports). */
static void assert_log_empty(void)
{
    char *log = read_log();
    assert_string_equal(log, "");
    free(log);
}

/* Starts 'hexz mount -f ARCHIVE MNT [extra]' with output to fx.log and waits (bounded) until
 * `probe` (a name in the mount) appears. */
static void mount_fg(const char *archive, const char *extra1, const char *extra2, const char *probe)
{
    assert_false(is_mounted(fx.mnt));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test */
        int log = open(fx.log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (log < 0 || in < 0) _exit(126);
        dup2(in, 0);
        dup2(log, 1);
        dup2(log, 2);
        const char *argv[] = {HEXZ_CLI_PATH, "mount", "-f", archive, fx.mnt, extra1, extra2, NULL};
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    fx.pid = pid;
    char *probe_path = tu_path(fx.mnt, probe);
    long long end = now_ms() + MOUNT_TIMEOUT_MS;
    struct stat st;
    for (;;) {
        if (is_mounted(fx.mnt) && lstat(probe_path, &st) == 0) break;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fx.pid = 0;
            char *log = read_log();
            fail_msg("hexz mount exited early (status %d): %s", status, log);
        }
        if (now_ms() > end)
            fail_msg("%s did not appear within %d ms", probe_path, MOUNT_TIMEOUT_MS);
        sleep_ms(20);
    }
    free(probe_path);
}

/* Unmounts with fusermount3 -u and checks that the server exits 0. */
static void unmount_fg(void)
{
    assert_int_equal(run_fusermount("-u"), 0);
    int status = wait_exit(fx.pid, EXIT_TIMEOUT_MS);
    if (status < 0)
        fail_msg("hexz mount did not exit within %d ms of the unmount", EXIT_TIMEOUT_MS);
    fx.pid = 0;
    assert_int_equal(status, 0);
    assert_false(is_mounted(fx.mnt));
}

static void set_mtime(const char *path, long sec, long nsec)
{
    struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* A file under fx.tree with the given content and mode; its mtime varies with `n`. */
static void make_file(const char *rel, const void *data, size_t len, mode_t mode, int n)
{
    char *p = tu_path(fx.tree, rel);
    tu_write_file(p, data, len);
    assert_int_equal(chmod(p, mode), 0);
    set_mtime(p, MTIME + n, 1000L * n);
    free(p);
}

static void make_dir(const char *rel)
{
    char *p = tu_path(fx.tree, rel);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
}

static void make_link(const char *rel, const char *target, int n)
{
    char *p = tu_path(fx.tree, rel);
    assert_int_equal(symlink(target, p), 0);
    set_mtime(p, MTIME + n, 0);
    free(p);
}

static void finish_dir(const char *rel, mode_t mode, int n)
{
    char *p = tu_path(fx.tree, rel);
    assert_int_equal(chmod(p, mode), 0);
    set_mtime(p, MTIME + n, 500000000);
    free(p);
}

/* A file of `size` bytes that is all holes except a few random runs. */
static void make_sparse(const char *rel, tu_rng *rng, off_t size)
{
    char *p = tu_path(fx.tree, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    const off_t at[] = {0, 3 << 20, (5 << 20) + 777, size - 1000};
    for (int i = 0; i < 4; i++) {
        uint8_t buf[1000];
        tu_rng_fill(rng, buf, sizeof buf);
        assert_int_equal(pwrite(fd, buf, sizeof buf, at[i]), (ssize_t)sizeof buf);
    }
    assert_int_equal(close(fd), 0);
    set_mtime(p, MTIME - 7, 0);
    free(p);
}

/* Names sort differently bytewise and in manifest order ('/' lowest): "d1-x" and "d1.txt"
 * come after the whole subtree of "d1" in the archive, but before "d1/..." in bytes. */
static void generate_tree(tu_rng *rng)
{
    assert_int_equal(mkdir(fx.tree, 0755), 0);
    make_dir("d1");
    make_dir("d1/d2");
    make_dir("d1/d2/d3");
    make_dir("many");
    make_dir("empty dir");
    make_file("d1/hello.txt", "hello, world\n", 13, 0644, 1);
    size_t deep_len = 100000;
    uint8_t *deep = malloc(deep_len);
    assert_non_null(deep);
    tu_rng_fill(rng, deep, deep_len);
    make_file("d1/d2/d3/deep.bin", deep, deep_len, 0600, 2);
    free(deep);
    make_file("d1-x", "dash\n", 5, 0640, 3);
    make_file("d1.txt", "dot\n", 4, 0444, 4);
    make_file("empty.txt", "", 0, 0644, 5);
    make_file("run.sh", "#!/bin/sh\necho hi\n", 18, 0755, 6);
    make_file("\u00fcn\u00efc\u00f8d\u00e9 \u540d.txt", "unicode\n", 8, 0644, 7);
    size_t rnd_len = (3u << 20) + 12345;
    uint8_t *rnd = malloc(rnd_len);
    assert_non_null(rnd);
    tu_rng_fill(rng, rnd, rnd_len);
    make_file("random.bin", rnd, rnd_len, 0644, 8);
    free(rnd);
    make_sparse("sparse.bin", rng, (8 << 20) + 4321);
    make_link("link", "d1/hello.txt", 9);
    make_link("d1/d2/up", "../../run.sh", 10);
    make_link("dangling", "no/such/target", 11);
    for (int i = 0; i < MANY_FILES; i++) {
        char rel[64], body[64];
        snprintf(rel, sizeof rel, "many/file-%04d.txt", i);
        int n = snprintf(body, sizeof body, "file %d\n", i);
        make_file(rel, body, (size_t)n, 0644, 100 + i);
    }
    finish_dir("many", 0755, 20);
    finish_dir("empty dir", 0700, 21);
    finish_dir("d1/d2/d3", 0700, 22);
    finish_dir("d1/d2", 0750, 23);
    finish_dir("d1", 0755, 24);
}

/* Random bytes, then zeros, then a repeat: the "main" stream of the single-file archive. */
static void generate_single(tu_rng *rng)
{
    size_t len = (5u << 20) + 999;
    uint8_t *buf = calloc(1, len);
    assert_non_null(buf);
    tu_rng_fill(rng, buf, 2u << 20);
    memcpy(buf + (4u << 20), buf, len - (4u << 20));
    tu_write_file(fx.single, buf, len);
    free(buf);
}

static void pack(const char *input, const char *output)
{
    char *err = NULL;
    int rc = tu_hexz(NULL, &err, "pack", input, "-o", output, "-q", NULL);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", err);
    free(err);
    if (rc != 0) fail_msg("hexz pack %s: status %d: %s", input, rc, msg);
}

/* Why FUSE cannot be used here, or NULL. */
static const char *fuse_unusable(void)
{
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(fx.skip_why, sizeof fx.skip_why, "cannot open /dev/fuse: %s", strerror(errno));
        return fx.skip_why;
    }
    close(fd);
    fx.fusermount = find_fusermount();
    if (!fx.fusermount) return "fusermount3 is not installed";
    return NULL;
}

static int group_setup(void **state)
{
    (void)state;
    const char *why = fuse_unusable();
    if (why) {
        fprintf(stderr, "test_mount: skipping the FUSE tests: %s\n", why);
        return 0;
    }
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    fx.dir = tu_mkdtemp("mount");
    fx.tree = tu_path(fx.dir, "tree");
    fx.tree_hxz = tu_path(fx.dir, "tree.hxz");
    fx.single = tu_path(fx.dir, "single.bin");
    fx.single_hxz = tu_path(fx.dir, "single.hxz");
    fx.mnt = tu_path(fx.dir, "mnt");
    fx.log = tu_path(fx.dir, "mount.log");
    assert_int_equal(mkdir(fx.mnt, 0755), 0);
    generate_tree(&rng);
    generate_single(&rng);
    pack(fx.tree, fx.tree_hxz);
    pack(fx.single, fx.single_hxz);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.dir) {
        force_cleanup();
        tu_rmtree(fx.dir);
    }
    free(fx.fusermount);
    free(fx.dir);
    free(fx.tree);
    free(fx.tree_hxz);
    free(fx.single);
    free(fx.single_hxz);
    free(fx.mnt);
    free(fx.log);
    return 0;
}

static int test_setup(void **state)
{
    (void)state;
    alarm(WATCHDOG_SECONDS);
    return 0;
}

static int test_teardown(void **state)
{
    (void)state;
    if (fx.dir) force_cleanup();
    alarm(0);
    return 0;
}

#define REQUIRE_FUSE()                                                                             \
    do {                                                                                           \
        if (!fx.fusermount) {                                                                      \
            fprintf(stderr, "skipped: FUSE is not usable here (%s)\n",                             \
                    fx.skip_why[0] ? fx.skip_why : "fusermount3 is not installed");                \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- comparisons ---------------------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in `dir` without "." and ".."; *count gets how many. *saw_dots is set if
 * both "." and ".." were listed. */
static char **list_dir(const char *dir, size_t *count, int *saw_dots)
{
    DIR *d = opendir(dir);
    if (!d) fail_msg("opendir %s: %s", dir, strerror(errno));
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    assert_non_null(names);
    int dots = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            dots++;
            continue;
        }
        if (n == cap) {
            cap *= 2;
            names = realloc(names, cap * sizeof *names);
            assert_non_null(names);
        }
        names[n++] = tu_strf("%s", e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    *count = n;
    if (saw_dots) *saw_dots = dots == 2;
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void assert_cmp_equal(const char *a, const char *b)
{
    const char *argv[] = {"/usr/bin/cmp", a, b, NULL};
    char *out = NULL, *err = NULL;
    int rc = tu_run(&out, &err, argv);
    if (rc != 0) fail_msg("cmp %s %s: %s%s", a, b, out, err);
    free(out);
    free(err);
}

/* Compares `rel` (a path under both roots, "" for the roots) and, for a directory, everything
 * beneath it; returns the number of entries compared. */
static size_t compare_tree(const char *src_root, const char *mnt_root, const char *rel)
{
    char *src = *rel ? tu_path(src_root, rel) : tu_strf("%s", src_root);
    char *dst = *rel ? tu_path(mnt_root, rel) : tu_strf("%s", mnt_root);
    struct stat a, b;
    assert_int_equal(lstat(src, &a), 0);
    if (lstat(dst, &b) != 0) fail_msg("lstat %s: %s", dst, strerror(errno));
    assert_int_equal(a.st_mode & S_IFMT, b.st_mode & S_IFMT);
    size_t compared = 1;
    if (*rel) { /* the root has no entry of its own: its mode and mtime are the archive's */
        assert_int_equal(a.st_mode & 07777, b.st_mode & 07777);
        assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
        assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
    }
    if (S_ISREG(a.st_mode)) {
        assert_int_equal(a.st_size, b.st_size);
        assert_cmp_equal(src, dst);
    } else if (S_ISLNK(a.st_mode)) {
        char t1[PATH_MAX], t2[PATH_MAX];
        ssize_t n1 = readlink(src, t1, sizeof t1 - 1), n2 = readlink(dst, t2, sizeof t2 - 1);
        assert_true(n1 > 0);
        assert_int_equal(n1, n2);
        t1[n1] = t2[n2] = '\0';
        assert_string_equal(t1, t2);
        assert_int_equal(b.st_size, n1);
    } else if (S_ISDIR(a.st_mode)) {
        size_t na, nb;
        int dots;
        char **la = list_dir(src, &na, NULL), **lb = list_dir(dst, &nb, &dots);
        assert_true(dots);
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++) {
            assert_string_equal(la[i], lb[i]);
            char *child = *rel ? tu_strf("%s/%s", rel, la[i]) : tu_strf("%s", la[i]);
            compared += compare_tree(src_root, mnt_root, child);
            free(child);
        }
        free_names(la, na);
        free_names(lb, nb);
    }
    free(src);
    free(dst);
    return compared;
}

/* pread()s `count` random ranges (some crossing the end) of both files and compares them. */
static void compare_preads(const char *src, const char *dst, tu_rng *rng, int count)
{
    int fa = open(src, O_RDONLY), fb = open(dst, O_RDONLY);
    assert_true(fa >= 0);
    assert_true(fb >= 0);
    struct stat st;
    assert_int_equal(fstat(fa, &st), 0);
    uint64_t size = (uint64_t)st.st_size;
    size_t cap = 1u << 20;
    uint8_t *ba = malloc(cap), *bb = malloc(cap);
    assert_non_null(ba);
    assert_non_null(bb);
    for (int i = 0; i < count; i++) {
        uint64_t off = tu_rng_below(rng, size + 4096);
        size_t len = (size_t)tu_rng_below(rng, i % 4 == 0 ? cap : 300000) + 1;
        ssize_t na = pread(fa, ba, len, (off_t)off), nb = pread(fb, bb, len, (off_t)off);
        assert_true(na >= 0);
        if (nb != na)
            fail_msg("pread(%s, %zu, %llu): %zd bytes, want %zd", dst, len, (unsigned long long)off,
                     nb, na);
        if (na > 0 && memcmp(ba, bb, (size_t)na) != 0)
            fail_msg("pread(%s, %zu, %llu): bytes differ", dst, len, (unsigned long long)off);
    }
    free(ba);
    free(bb);
    close(fa);
    close(fb);
}

/* Every kind of write fails with EROFS. */
static void check_read_only(const char *existing_file)
{
    char *target = tu_path(fx.mnt, existing_file), *fresh = tu_path(fx.mnt, "new-file");
    char *fresh_dir = tu_path(fx.mnt, "new-dir");
    errno = 0;
    assert_int_equal(open(target, O_WRONLY), -1);
    assert_int_equal(errno, EROFS);
    errno = 0;
    assert_int_equal(open(target, O_RDWR), -1);
    assert_int_equal(errno, EROFS);
    errno = 0;
    assert_int_equal(open(fresh, O_WRONLY | O_CREAT, 0644), -1);
    assert_int_equal(errno, EROFS);
    errno = 0;
    assert_int_equal(mkdir(fresh_dir, 0755), -1);
    assert_int_equal(errno, EROFS);
    errno = 0;
    assert_int_equal(unlink(target), -1);
    assert_int_equal(errno, EROFS);
    errno = 0;
    assert_int_equal(truncate(target, 0), -1);
    assert_int_equal(errno, EROFS);
    errno = 0;
    assert_int_equal(chmod(target, 0600), -1);
    assert_int_equal(errno, EROFS);
    free(target);
    free(fresh);
    free(fresh_dir);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_mount_tree(void **state)
{
    (void)state;
    REQUIRE_FUSE();
    mount_fg(fx.tree_hxz, NULL, NULL, "random.bin");
    size_t compared = compare_tree(fx.tree, fx.mnt, "");
    assert_true(compared > MANY_FILES + 15);

    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() ^ 0x6d6f756e74u);
    const char *files[] = {"random.bin", "sparse.bin", "d1/d2/d3/deep.bin"};
    for (int i = 0; i < 3; i++) {
        char *src = tu_path(fx.tree, files[i]), *dst = tu_path(fx.mnt, files[i]);
        compare_preads(src, dst, &rng, 400);
        free(src);
        free(dst);
    }

    /* Missing paths, and paths through a file or a symlink. */
    const char *missing[] = {"nope", "d1/nope", "d1/d2/d3/deep.bin/x", "empty dir/x", "d1/d2/up/x"};
    for (int i = 0; i < 5; i++) {
        char *p = tu_path(fx.mnt, missing[i]);
        struct stat st;
        errno = 0;
        assert_int_equal(lstat(p, &st), -1);
        assert_true(errno == ENOENT || errno == ENOTDIR);
        free(p);
    }
    check_read_only("random.bin");
    unmount_fg();
    assert_log_empty();
}

static void test_mount_single_file(void **state)
{
    (void)state;
    REQUIRE_FUSE();
    /* A small cache, so that extents are evicted while reading. */
    mount_fg(fx.single_hxz, "--cache-size", "1M", "main");
    size_t n;
    int dots;
    char **names = list_dir(fx.mnt, &n, &dots);
    assert_true(dots);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "main");
    free_names(names, n);
    char *main_path = tu_path(fx.mnt, "main");
    struct stat st;
    assert_int_equal(stat(main_path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0444);
    assert_int_equal(st.st_size, tu_file_size(fx.single));
    assert_cmp_equal(fx.single, main_path);
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed() ^ 0x73696e67u);
    compare_preads(fx.single, main_path, &rng, 400);
    check_read_only("main");
    unmount_fg();
    assert_log_empty();
    free(main_path);
}

/* An archive written through the library with no entries for its parent directories: they
 * appear as 0755 directories. */
static void test_mount_implied_dirs(void **state)
{
    (void)state;
    REQUIRE_FUSE();
    char *hxz = tu_path(fx.dir, "implied.hxz");
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, hxz, NULL), 0);
    assert_int_equal(hexz_writer_begin_file(w, "p/q/r.txt", 0640, MTIME, 5), 0);
    assert_int_equal(hexz_writer_write(w, "deep\n", 5), 0);
    assert_int_equal(hexz_writer_end_file(w), 0);
    assert_int_equal(hexz_writer_add_symlink(w, "p/s", "q/r.txt", MTIME, 0), 0);
    assert_int_equal(hexz_writer_begin_file(w, "p.txt", 0600, MTIME + 1, 0), 0);
    assert_int_equal(hexz_writer_write(w, "top\n", 4), 0);
    assert_int_equal(hexz_writer_end_file(w), 0);
    assert_int_equal(hexz_writer_add_dir(w, "z", 0700, MTIME + 2, 0), 0);
    assert_int_equal(hexz_writer_add_dir(w, "z/y/x", 0750, MTIME + 3, 0), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);

    mount_fg(hxz, NULL, NULL, "p.txt");
    static const struct {
        const char *rel;
        mode_t mode;
        const char *listing; /* children, sorted and joined with ',' (directories) */
    } want[] = {
        {"", S_IFDIR | 0755, "p,p.txt,z"},
        {"p", S_IFDIR | 0755, "q,s"},
        {"p/q", S_IFDIR | 0755, "r.txt"},
        {"p/q/r.txt", S_IFREG | 0640, NULL},
        {"p/s", S_IFLNK, NULL},
        {"p.txt", S_IFREG | 0600, NULL},
        {"z", S_IFDIR | 0700, "y"},
        {"z/y", S_IFDIR | 0755, "x"},
        {"z/y/x", S_IFDIR | 0750, ""},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *p = *want[i].rel ? tu_path(fx.mnt, want[i].rel) : tu_strf("%s", fx.mnt);
        struct stat st;
        if (lstat(p, &st) != 0) fail_msg("lstat %s: %s", p, strerror(errno));
        if (S_ISLNK(want[i].mode)) assert_true(S_ISLNK(st.st_mode));
        else assert_int_equal(st.st_mode, want[i].mode);
        if (want[i].listing) {
            size_t n;
            int dots;
            char **names = list_dir(p, &n, &dots);
            assert_true(dots);
            char joined[256] = "";
            for (size_t k = 0; k < n; k++)
                snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s",
                         k ? "," : "", names[k]);
            assert_string_equal(joined, want[i].listing);
            free_names(names, n);
        }
        free(p);
    }
    char *r = tu_path(fx.mnt, "p/s"); /* through the symlink */
    size_t len;
    uint8_t *got = tu_read_file(r, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(got, "deep\n", 5);
    free(got);
    free(r);
    unmount_fg();
    assert_log_empty();
    free(hxz);
}

/* Without -f the command returns once mounted and the server lives on until unmounted. */
static void test_mount_background(void **state)
{
    (void)state;
    REQUIRE_FUSE();
    char *out = NULL, *err = NULL;
    int rc = tu_hexz(&out, &err, "mount", fx.tree_hxz, fx.mnt, NULL);
    if (rc != 0) fail_msg("hexz mount: status %d: %s", rc, err);
    assert_string_equal(out, "");
    assert_string_equal(err, "");
    free(out);
    free(err);
    assert_true(is_mounted(fx.mnt));
    char *src = tu_path(fx.tree, "random.bin"), *dst = tu_path(fx.mnt, "random.bin");
    assert_cmp_equal(src, dst);
    free(src);
    free(dst);
    assert_int_equal(run_fusermount("-u"), 0);
    assert_false(is_mounted(fx.mnt));
}

/* A damaged block reads as EIO, and the library's message is logged once. */
static void test_mount_damaged_block(void **state)
{
    (void)state;
    REQUIRE_FUSE();
    char *bad = tu_path(fx.dir, "damaged.hxz");
    tu_copy_file(fx.single_hxz, bad);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, bad), 0);
    hexz_block_info bi = HEXZ_BLOCK_INFO_INIT;
    uint64_t index = 0;
    do assert_int_equal(hexz_reader_block_at(r, 0, index++, &bi), 0);
    while (bi.is_hole);
    hexz_reader_free(r);
    tu_flip_byte(bad, bi.stored_offset + bi.stored_length / 2);

    mount_fg(bad, NULL, NULL, "main");
    char *main_path = tu_path(fx.mnt, "main");
    for (int round = 0; round < 2; round++) {
        int fd = open(main_path, O_RDONLY);
        assert_true(fd >= 0);
        char buf[65536];
        ssize_t got = 0;
        for (off_t off = 0; (got = pread(fd, buf, sizeof buf, off)) > 0; off += got) {}
        assert_int_equal(got, -1);
        assert_int_equal(errno, EIO);
        close(fd);
    }
    unmount_fg();
    char *log = read_log();
    char *prefix = tu_strf("hexz mount: %s", bad);
    if (strncmp(log, prefix, strlen(prefix)) != 0) fail_msg("unexpected log: %s", log);
    assert_non_null(strchr(log, '\n'));
    assert_string_equal(strchr(log, '\n'), "\n"); /* exactly one line */
    free(prefix);
    free(log);
    free(main_path);
    free(bad);
}

/* An archive that does not open: exit 1, one line naming it, nothing mounted. */
static void test_mount_corrupt_archive(void **state)
{
    (void)state;
    REQUIRE_FUSE();
    char *bad = tu_path(fx.dir, "corrupt.hxz");
    tu_copy_file(fx.tree_hxz, bad);
    tu_flip_byte(bad, 40); /* inside the archive id: the header checksum no longer matches */
    char *out = NULL, *err = NULL;
    /* Without -f, so that a mount that wrongly succeeded could not hang the test. */
    int rc = tu_hexz(&out, &err, "mount", bad, fx.mnt, NULL);
    char *prefix = tu_strf("hexz mount: %s: ", bad);
    if (strncmp(err, prefix, strlen(prefix)) != 0) fail_msg("unexpected stderr: %s", err);
    assert_string_equal(strchr(err, '\n'), "\n");
    assert_string_equal(out, "");
    assert_int_equal(rc, 1);
    assert_false(is_mounted(fx.mnt));
    free(out);
    free(err);
    free(prefix);
    free(bad);
}

/* Usage errors exit 2 and mount nothing; --help exits 0. */
static void test_mount_usage(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    assert_int_equal(tu_hexz(&out, &err, "mount", "--help", NULL), 0);
    assert_true(strncmp(out, "usage: hexz mount ARCHIVE DIR", 29) == 0);
    assert_string_equal(err, "");
    free(out);
    free(err);
    static const char synopsis[] =
        "usage: hexz mount ARCHIVE DIR [-f] [--cache-size N] [-o allow_other] "
        "(see 'hexz mount --help')\n";
    static const struct {
        const char *a[4];
        const char *msg;
    } cases[] = {
        {{"x.hxz", NULL}, "missing DIR"},
        {{NULL}, "missing ARCHIVE"},
        {{"x.hxz", "d", "e", NULL}, "unexpected argument 'e'"},
        {{"-o", "rw", "x.hxz", "d"}, "-o: unsupported mount option 'rw' (supported: allow_other)"},
        {{"--cache-size", "lots", "x.hxz", "d"},
         "--cache-size: invalid size 'lots' (expected a number like 4096, 64K or 1M)"},
        {{"--bogus", "x.hxz", "d", NULL}, "unknown option '--bogus'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = tu_hexz(&out, &err, "mount", cases[i].a[0], cases[i].a[1], cases[i].a[2],
                         cases[i].a[3], NULL);
        char *want = tu_strf("hexz mount: %s\n%s", cases[i].msg, synopsis);
        assert_string_equal(err, want);
        assert_string_equal(out, "");
        assert_int_equal(rc, 2);
        free(want);
        free(out);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mount_usage, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mount_tree, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mount_single_file, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mount_implied_dirs, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mount_background, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mount_damaged_block, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_mount_corrupt_archive, test_setup, test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
