/*
 * test_crash_kill.c - crash safety of `hexz pack`, `hexz extract` and `hexz sign` (REQUIREMENTS
 * "Crash safety"; docs/FORMAT.md, writing an archive atomically): the built CLI is killed with
 * SIGKILL at many points while it writes, and the destination name must then hold either
 * nothing, the previous valid archive (byte for byte the old content; for sign, unsigned), or
 * the complete new one - never a partial file.
 *
 * Kill points come from two sources: the size of the writer's temporary file
 * (`.<name>.hexz-tmp.XXXXXX` beside the destination), polled every 100 us, with the process
 * killed as soon as it passes N bytes for N spread over the whole expected archive size
 * (including N = the final size, which lands in fsync and rename); and random delays spread
 * over the measured duration of a complete run. After the kills, a normal run must succeed,
 * the input must be unchanged, and the only strays in the directory must be temporary files of
 * killed runs (a SIGKILLed process cannot remove its temporary file; docs/RELIABILITY.md).
 *
 * The last test checks that the temporary-file writer behind all of this creates its output
 * with the caller's umask applied, like open(2) would.
 *
 * $HEXZ_TEST_SEED picks the random delays; $HEXZ_CRASH_MIB sets the input size (default 24).
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hexz.h"

#define SIZE_POINTS 20
#define DELAY_POINTS 10

typedef struct {
    char *dir;
    char *in_old, *in_new; /* the two versions of the input */
    uint8_t *old_data, *new_data;
    size_t len;
    char *dest;      /* the archive being replaced */
    char *dest_base; /* its file name */
    int kills;       /* runs killed after their temporary file existed */
    int survived;    /* runs that finished before the kill landed */
    int saw_old, saw_new, saw_none;
    uint64_t seed;
} crash_ctx;

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t input_size(void)
{
    const char *e = getenv("HEXZ_CRASH_MIB");
    long mib = e ? strtol(e, NULL, 10) : 24;
    if (mib < 1) mib = 1;
    return (size_t)mib << 20;
}

/* Noisy but partly compressible data, so that both stored-raw and compressed blocks occur. */
static uint8_t *make_data(tu_rng *rng, size_t len)
{
    uint8_t *d = malloc(len);
    assert_non_null(d);
    tu_rng_fill(rng, d, len);
    for (size_t i = 0; i + 4096 <= len; i += 3 * 4096) memset(d + i, (int)(i >> 12), 2048);
    return d;
}

/* Starts argv with stdio on /dev/null; returns the pid. */
static pid_t spawn(const char *const argv[])
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        if (nul < 0) _exit(126);
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Is `name` a temporary file of the writer for destination base name `base`? */
static int is_temp_of(const char *name, const char *base)
{
    size_t bl = strlen(base);
    return name[0] == '.' && strncmp(name + 1, base, bl) == 0 &&
           strncmp(name + 1 + bl, ".hexz-tmp.", 10) == 0;
}

/* Size of the newest temporary file for `base` in `dir` that is not in `known` (NUL-separated
 * list), or -1 if there is none yet. */
static long long new_temp_size(const char *dir, const char *base, const char *known)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    long long size = -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_temp_of(de->d_name, base)) continue;
        int seen = 0;
        for (const char *k = known; *k; k += strlen(k) + 1)
            if (strcmp(k, de->d_name) == 0) seen = 1;
        if (seen) continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, 0) == 0) size = (long long)st.st_size;
    }
    closedir(d);
    return size;
}

/* Size of the largest unnamed temporary file (O_TMPFILE: "/dir/#123 (deleted)") that process
 * `pid` has open, or -1. The writer uses one where the file system allows it; it has no name to
 * find in the directory, only the writer's descriptor. */
static long long child_tmpfile_size(pid_t pid)
{
    char fds[64];
    snprintf(fds, sizeof fds, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(fds);
    if (!d) return -1;
    long long size = -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char link[384], target[4096];
        snprintf(link, sizeof link, "%s/%s", fds, de->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        struct stat st;
        if (strstr(target, "/#") && strstr(target, " (deleted)") && stat(link, &st) == 0 &&
            st.st_size > size)
            size = (long long)st.st_size;
    }
    closedir(d);
    return size;
}

/* The temporary files for `base` now in `dir`, as a NUL-separated, double-NUL-ended list. */
static char *temp_list(const char *dir, const char *base, int *count)
{
    size_t cap = 4096, len = 0;
    char *list = calloc(1, cap);
    assert_non_null(list);
    *count = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_temp_of(de->d_name, base)) continue;
        size_t n = strlen(de->d_name) + 1;
        while (len + n + 1 > cap) {
            list = realloc(list, cap *= 2);
            assert_non_null(list);
        }
        memcpy(list + len, de->d_name, n);
        len += n;
        list[len] = '\0';
        (*count)++;
    }
    closedir(d);
    return list;
}

/* Runs argv and kills it when its new temporary file reaches `kill_at` bytes (>= 0), or after
 * `delay` seconds (kill_at < 0). Returns 1 if the kill landed, 0 if the run finished first. */
static int run_and_kill(const char *const argv[], const char *dir, const char *base,
                        long long kill_at, double delay)
{
    int before;
    char *known = temp_list(dir, base, &before);
    pid_t pid = spawn(argv);
    double start = now_sec();
    int status, killed = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        assert_true(w >= 0);
        if (w == pid) break;
        long long grown = kill_at >= 0 ? new_temp_size(dir, base, known) : -1;
        if (kill_at >= 0 && grown < 0) grown = child_tmpfile_size(pid);
        int fire = kill_at >= 0 ? grown >= kill_at : now_sec() - start >= delay;
        if (fire) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
            killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
            break;
        }
        usleep(100);
    }
    free(known);
    if (!killed) {
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    return killed;
}

/* Reads all of stream "main" and compares it with `want`. */
static int archive_holds(const char *path, const uint8_t *want, size_t len)
{
    hexz_reader *r;
    int rc = hexz_reader_open(&r, path);
    if (rc != 0) fail_msg("%s does not open after a kill: %s", path, hexz_last_error());
    rc = hexz_reader_verify(r, NULL, NULL);
    if (rc != 0) fail_msg("%s does not verify after a kill: %s", path, hexz_last_error());
    unsigned s;
    assert_int_equal(hexz_reader_find_stream(r, "main", &s), 0);
    hexz_stream_info info = HEXZ_STREAM_INFO_INIT;
    assert_int_equal(hexz_reader_stream_info(r, s, &info), 0);
    int same = 0;
    if (info.size == len) {
        uint8_t *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        size_t got;
        assert_int_equal(hexz_reader_read_at(r, s, buf, len, 0, &got), 0);
        same = got == len && memcmp(buf, want, len) == 0;
        free(buf);
    }
    hexz_reader_free(r);
    return same;
}

/* After a kill: the destination is absent (allowed only if `may_be_absent`), the old archive,
 * or the new one. */
static void check_destination(crash_ctx *c, int may_be_absent)
{
    struct stat st;
    if (lstat(c->dest, &st) != 0) {
        assert_int_equal(errno, ENOENT);
        if (!may_be_absent) fail_msg("%s vanished after a kill", c->dest);
        c->saw_none++;
        return;
    }
    assert_true(S_ISREG(st.st_mode));
    if (c->old_data && archive_holds(c->dest, c->old_data, c->len)) {
        c->saw_old++;
        return;
    }
    if (archive_holds(c->dest, c->new_data, c->len)) {
        c->saw_new++;
        return;
    }
    fail_msg("%s holds neither the old nor the new content after a kill", c->dest);
}

static void setup(crash_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->seed = tu_test_seed();
    tu_rng rng;
    tu_rng_seed(&rng, c->seed);
    c->dir = tu_mkdtemp("crash");
    c->len = input_size();
    c->in_old = tu_strf("%s/input-v1.img", c->dir);
    c->in_new = tu_strf("%s/input-v2.img", c->dir);
    c->old_data = make_data(&rng, c->len);
    c->new_data = make_data(&rng, c->len);
    tu_write_file(c->in_old, c->old_data, c->len);
    tu_write_file(c->in_new, c->new_data, c->len);
    c->dest = tu_strf("%s/snapshot.hxz", c->dir);
    c->dest_base = "snapshot.hxz";
}

static void teardown(crash_ctx *c)
{
    tu_rmtree(c->dir);
    free(c->dir);
    free(c->in_old);
    free(c->in_new);
    free(c->old_data);
    free(c->new_data);
    free(c->dest);
}

/* The pack command line: small fixed blocks so that index pages are written throughout. */
static void pack_argv(const char *argv[16], const char *input, const char *dest)
{
    int i = 0;
    argv[i++] = HEXZ_CLI_PATH;
    argv[i++] = "pack";
    argv[i++] = input;
    argv[i++] = "-o";
    argv[i++] = dest;
    argv[i++] = "--force";
    argv[i++] = "--quiet";
    argv[i++] = "--block-size";
    argv[i++] = "16384";
    argv[i++] = "--compression";
    argv[i++] = "zstd";
    argv[i] = NULL;
}

/* Checks the directory holds only the inputs, the destination and temporary files of killed
 * runs, at most one per kill; returns how many temporary files there are. */
static int check_strays(crash_ctx *c, const char *const allowed[])
{
    DIR *d = opendir(c->dir);
    assert_non_null(d);
    int temps = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (is_temp_of(de->d_name, c->dest_base)) {
            temps++;
            continue;
        }
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(de->d_name, allowed[i]) == 0) ok = 1;
        if (!ok) fail_msg("unexpected file %s beside the archive", de->d_name);
    }
    closedir(d);
    if (temps > c->kills) fail_msg("%d temporary files after %d kills", temps, c->kills);
    return temps;
}

static double timed_run(const char *const argv[])
{
    double t0 = now_sec();
    assert_int_equal(tu_run(NULL, NULL, argv), 0);
    return now_sec() - t0;
}

/* A destination that does not exist yet: after every kill it is absent or complete. */
static void test_kill_pack_new_destination(void **state)
{
    (void)state;
    crash_ctx c;
    setup(&c);
    const char *argv[16];
    pack_argv(argv, c.in_new, c.dest);
    double full = timed_run(argv);
    long long final_size = tu_file_size(c.dest);
    assert_true(final_size > 0);
    printf("[ info     ] full pack of %zu MiB: %.2f s, archive %lld bytes\n", c.len >> 20, full,
           final_size);
    for (int i = 0; i < SIZE_POINTS / 2; i++) {
        unlink(c.dest);
        long long at = final_size * i / (SIZE_POINTS / 2 - 1);
        int k = run_and_kill(argv, c.dir, c.dest_base, at, 0);
        c.kills += k;
        c.survived += !k;
        check_destination(&c, 1);
    }
    printf("[ info     ] new destination: %d kills, %d runs finished first; afterwards %d absent, "
           "%d complete\n",
           c.kills, c.survived, c.saw_none, c.saw_new);
    assert_true(c.kills >= SIZE_POINTS / 4); /* the test must really have killed something */
    const char *const allowed[] = {"input-v1.img", "input-v2.img", "snapshot.hxz", NULL};
    int temps = check_strays(&c, allowed);
    printf("[ info     ] %d temporary files left by killed runs\n", temps);
    teardown(&c);
}

/* Replacing an existing archive with --force: after every kill the old archive is intact (or the
 * new one is complete); then a normal run replaces it. */
static void test_kill_pack_over_existing(void **state)
{
    (void)state;
    crash_ctx c;
    setup(&c);
    const char *argv_old[16], *argv[16];
    pack_argv(argv_old, c.in_old, c.dest);
    pack_argv(argv, c.in_new, c.dest);
    timed_run(argv_old);
    double full = timed_run(argv);
    long long final_size = tu_file_size(c.dest);
    timed_run(argv_old);
    assert_true(archive_holds(c.dest, c.old_data, c.len));
    tu_rng rng;
    tu_rng_seed(&rng, c.seed ^ 0xC0FFEE);
    for (int i = 0; i < SIZE_POINTS + DELAY_POINTS; i++) {
        int k;
        if (i < SIZE_POINTS) {
            k = run_and_kill(argv, c.dir, c.dest_base, final_size * i / (SIZE_POINTS - 1), 0);
        } else {
            double delay = full * 1.2 * (double)tu_rng_below(&rng, 1000) / 1000.0;
            k = run_and_kill(argv, c.dir, c.dest_base, -1, delay);
        }
        c.kills += k;
        c.survived += !k;
        check_destination(&c, 0);
        if (c.saw_new) { /* a run got through: put the old version back for the next point */
            timed_run(argv_old);
            c.saw_new = 0;
        }
    }
    printf("[ info     ] over an existing archive: %d points (%d by temp-file size, %d by random "
           "delay): "
           "%d kills, %d runs finished first; old archive intact after %d\n",
           SIZE_POINTS + DELAY_POINTS, SIZE_POINTS, DELAY_POINTS, c.kills, c.survived, c.saw_old);
    assert_true(c.kills >= SIZE_POINTS / 2);
    const char *const allowed[] = {"input-v1.img", "input-v2.img", "snapshot.hxz", NULL};
    int temps = check_strays(&c, allowed);
    /* A normal run after all that: succeeds and leaves the new content, inputs untouched. */
    timed_run(argv);
    assert_true(archive_holds(c.dest, c.new_data, c.len));
    size_t n;
    uint8_t *in = tu_read_file(c.in_old, &n);
    assert_true(n == c.len && memcmp(in, c.old_data, n) == 0);
    free(in);
    in = tu_read_file(c.in_new, &n);
    assert_true(n == c.len && memcmp(in, c.new_data, n) == 0);
    free(in);
    assert_int_equal(check_strays(&c, allowed), temps); /* a good run adds no stray */
    printf("[ info     ] %d temporary files left by killed runs (unnamed O_TMPFILE files vanish "
           "with the process; named ones, on file systems without it, stay)\n",
           temps);
    teardown(&c);
}

/* `hexz extract` of a single-stream archive writes its output atomically too. */
static void test_kill_extract(void **state)
{
    (void)state;
    crash_ctx c;
    setup(&c);
    const char *argv_pack[16];
    pack_argv(argv_pack, c.in_new, c.dest);
    timed_run(argv_pack);
    char *out = tu_strf("%s/restored.img", c.dir);
    const char *argv[] = {HEXZ_CLI_PATH, "extract", c.dest, "-o", out, NULL};
    double full = timed_run(argv);
    unlink(out);
    int kills = 0, absent = 0, complete = 0;
    tu_rng rng;
    tu_rng_seed(&rng, c.seed ^ 0xE97AC7);
    for (int i = 0; i < SIZE_POINTS; i++) {
        long long at = i < SIZE_POINTS / 2 ? (long long)c.len * i / (SIZE_POINTS / 2 - 1) : -1;
        double delay = full * 1.2 * (double)tu_rng_below(&rng, 1000) / 1000.0;
        kills += run_and_kill(argv, c.dir, "restored.img", at, delay);
        if (tu_file_size(out) < 0) {
            absent++;
            continue;
        }
        size_t n;
        uint8_t *got = tu_read_file(out, &n);
        if (!(n == c.len && memcmp(got, c.new_data, n) == 0))
            fail_msg("%s is partial after a kill (%zu bytes)", out, n);
        free(got);
        complete++;
        unlink(out);
    }
    printf("[ info     ] extract: %d kills; afterwards %d absent, %d complete\n", kills, absent,
           complete);
    assert_true(kills >= SIZE_POINTS / 4);
    free(out);
    teardown(&c);
}

/* `hexz sign` rewrites the archive beside itself and renames it into place: after a kill the
 * archive is either the unsigned original or the signed one, both intact. */
static int signature_state(const char *path, const uint8_t *want, size_t len, const uint8_t *pub)
{
    assert_true(archive_holds(path, want, len));
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, path), 0);
    unsigned n = hexz_reader_signature_count(r);
    if (n > 0) assert_int_equal(hexz_reader_verify_signature(r, pub, NULL), 0);
    hexz_reader_free(r);
    assert_true(n <= 1);
    return (int)n;
}

static void test_kill_sign(void **state)
{
    (void)state;
    crash_ctx c;
    setup(&c);
    const char *argv_pack[16];
    pack_argv(argv_pack, c.in_old, c.dest);
    timed_run(argv_pack);
    char *orig = tu_strf("%s/snapshot.orig", c.dir), *key = tu_strf("%s/key", c.dir);
    char *sec = tu_strf("%s.key", key), *pubp = tu_strf("%s.pub", key);
    tu_copy_file(c.dest, orig);
    const char *keygen[] = {HEXZ_CLI_PATH, "keygen", "-o", key, NULL};
    assert_int_equal(tu_run(NULL, NULL, keygen), 0);
    uint8_t pub[HEXZ_PUBLIC_KEY_LEN];
    assert_int_equal(hexz_public_key_load(pubp, pub), 0);
    const char *argv[] = {HEXZ_CLI_PATH, "sign", c.dest, "-k", sec, NULL};
    double full = timed_run(argv);
    long long signed_size = tu_file_size(c.dest);
    assert_int_equal(signature_state(c.dest, c.old_data, c.len, pub), 1);
    tu_rng rng;
    tu_rng_seed(&rng, c.seed ^ 0x5167);
    int unsigned_after = 0, signed_after = 0;
    for (int i = 0; i < SIZE_POINTS; i++) {
        tu_copy_file(orig, c.dest);
        long long at = i < SIZE_POINTS / 2 ? signed_size * i / (SIZE_POINTS / 2 - 1) : -1;
        double delay = full * 1.2 * (double)tu_rng_below(&rng, 1000) / 1000.0;
        int k = run_and_kill(argv, c.dir, c.dest_base, at, delay);
        c.kills += k;
        c.survived += !k;
        if (signature_state(c.dest, c.old_data, c.len, pub)) signed_after++;
        else unsigned_after++;
    }
    printf("[ info     ] sign (%.2f s a run): %d kills, %d runs finished first; afterwards %d "
           "unsigned, "
           "%d signed, never damaged\n",
           full, c.kills, c.survived, unsigned_after, signed_after);
    assert_true(c.kills >= SIZE_POINTS / 4);
    const char *const allowed[] = {"input-v1.img",
                                   "input-v2.img",
                                   "snapshot.hxz",
                                   "snapshot.orig",
                                   "key.key",
                                   "key.pub",
                                   NULL};
    check_strays(&c, allowed);
    free(orig);
    free(key);
    free(sec);
    free(pubp);
    teardown(&c);
}

/* The temporary-file-and-rename writer must create what a plain open(2) would: mode 0666 minus
 * the caller's umask. Under umask 077 (private data) neither the archive nor an extracted file
 * may be readable by others. */
static void test_atomic_output_respects_umask(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("crash");
    char *in = tu_strf("%s/secret.img", dir), *arc = tu_strf("%s/secret.hxz", dir);
    char *out = tu_strf("%s/secret.out", dir), *plain = tu_strf("%s/plain", dir);
    tu_write_file(in, "private bytes\n", 14);
    mode_t old = umask(077);
    int fd = open(plain, O_WRONLY | O_CREAT | O_EXCL, 0666);
    assert_true(fd >= 0);
    close(fd);
    const char *pack[] = {HEXZ_CLI_PATH, "pack", in, "-o", arc, "--quiet", NULL};
    const char *extract[] = {HEXZ_CLI_PATH, "extract", arc, "-o", out, NULL};
    int rp = tu_run(NULL, NULL, pack), re = tu_run(NULL, NULL, extract);
    umask(old);
    assert_int_equal(rp, 0);
    assert_int_equal(re, 0);
    struct stat sp, sa, so;
    assert_int_equal(stat(plain, &sp), 0);
    assert_int_equal(stat(arc, &sa), 0);
    assert_int_equal(stat(out, &so), 0);
    printf("[ info     ] under umask 077: open(2) makes %04o, hexz pack %04o, hexz extract %04o\n",
           (unsigned)(sp.st_mode & 07777), (unsigned)(sa.st_mode & 07777),
           (unsigned)(so.st_mode & 07777));
    unsigned pmode = (unsigned)(sp.st_mode & 07777), amode = (unsigned)(sa.st_mode & 07777),
             omode = (unsigned)(so.st_mode & 07777);
    tu_rmtree(dir);
    free(dir);
    free(in);
    free(arc);
    free(out);
    free(plain);
    assert_int_equal(pmode, 0600);
    if (amode != pmode || omode != pmode)
        fail_msg("the atomic writer ignores the umask (archive %04o, extracted file %04o, expected "
                 "%04o): "
                 "outfile.c applies a fixed 022",
                 amode, omode, pmode);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_pack_new_destination),
        cmocka_unit_test(test_kill_pack_over_existing),
        cmocka_unit_test(test_kill_extract),
        cmocka_unit_test(test_kill_sign),
        cmocka_unit_test(test_atomic_output_respects_umask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
