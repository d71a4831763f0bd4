/*
 * test_cli_signals.c - the hexz CLI under signals, inputs that wait, a file size limit and "-o -":
 * SIGINT, SIGTERM and SIGHUP end a verb within a second with exit 128 + the signal and leave no
 * output (nor an unnamed O_TMPFILE: it dies with the process; a named temporary would show in
 * the directory), whether the verb waits for a quiet pipe, for a fifo without a writer, works
 * through a huge sparse file, or is blocked in a write where no callback runs (the watchdog);
 * SIGXFSZ under `ulimit -f` is one error line, not a kill; no verb writes an archive or keys to
 * a file named "-".
 *
 * Children are waited for with a bound and killed if they outlive it, so a regression fails
 * instead of hanging the test. The bound for a signal to take effect is 2.5 s: a second for the
 * watchdog, the rest for a loaded machine (the measured time is printed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define SIGNAL_LIMIT 2.5 /* seconds from the signal to the exit */
#define START_LIMIT 20.0 /* seconds for a child to reach the state the test waits for */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    pid_t pid;
    char *err_path; /* the child's stderr */
} child;

/* Starts the CLI with `args` (NULL-terminated, without the program) in directory `cwd`, stdin
 * from `in_fd` and stdout to `out_fd` (-1: /dev/null), stderr to a file, and, if fsize_limit is
 * non-zero, RLIMIT_FSIZE set to it. */
static child spawn(const char *cwd, int in_fd, int out_fd, rlim_t fsize_limit,
                   const char *const args[])
{
    const char *argv[32];
    int n = 0;
    argv[n++] = HEXZ_CLI_PATH;
    for (int i = 0; args[i]; i++) {
        assert_true(n < 31);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    child c = {0, tu_strf("%s/../stderr-%d", cwd, rand())};
    c.pid = fork();
    assert_true(c.pid >= 0);
    if (c.pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        int devnull = open("/dev/null", O_RDWR);
        int err = open(c.err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (devnull < 0 || err < 0 || chdir(cwd) != 0) _exit(126);
        dup2(in_fd >= 0 ? in_fd : devnull, 0);
        dup2(out_fd >= 0 ? out_fd : devnull, 1);
        dup2(err, 2);
        if (fsize_limit) {
            struct rlimit lim = {fsize_limit, fsize_limit};
            setrlimit(RLIMIT_FSIZE, &lim);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return c;
}

/* Waits at most `limit` seconds; returns the raw wait status, or -1 after killing the child. */
static int wait_for(child *c, double limit, double *took)
{
    double start = now_sec();
    for (;;) {
        int status;
        pid_t w = waitpid(c->pid, &status, WNOHANG);
        assert_true(w >= 0);
        if (took) *took = now_sec() - start;
        if (w == c->pid) return status;
        if (now_sec() - start > limit) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
            return -1;
        }
        usleep(2000);
    }
}

/* The child's stderr (malloc'd); removes the file. */
static char *child_stderr(child *c)
{
    size_t len = 0;
    uint8_t *text = tu_read_file(c->err_path, &len);
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, text, len);
    s[len] = '\0';
    free(text);
    unlink(c->err_path);
    free(c->err_path);
    return s;
}

/* True when process `pid` has a descriptor open on a file whose link text contains `part`:
 * "(deleted)" finds the writer's unnamed O_TMPFILE, a path finds an input that was opened. */
static int has_open(pid_t pid, const char *part)
{
    char fds[64];
    snprintf(fds, sizeof fds, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(fds);
    if (!d) return 0;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        char link[384], target[4096];
        snprintf(link, sizeof link, "%s/%s", fds, de->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = '\0';
        found = strstr(target, part) != NULL;
    }
    closedir(d);
    return found;
}

/* A named temporary of the writer (where O_TMPFILE is not available) in `dir`. */
static int has_named_temp(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int found = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, ".hexz-tmp")) found = 1;
    closedir(d);
    return found;
}

/* Waits until the child has started writing its archive (its temporary file exists) and, if
 * `opened` is non-NULL, holds a descriptor on a file whose path contains it. */
static void wait_started(child *c, const char *dir, const char *opened)
{
    double start = now_sec();
    while (!((has_open(c->pid, " (deleted)") || has_named_temp(dir)) &&
             (!opened || has_open(c->pid, opened)))) {
        int status;
        if (waitpid(c->pid, &status, WNOHANG) == c->pid)
            fail_msg("the child ended before the test could signal it (status 0x%x): %s", status,
                     child_stderr(c));
        if (now_sec() - start > START_LIMIT) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
            fail_msg("the child did not reach the expected state in %.0f s", START_LIMIT);
        }
        usleep(2000);
    }
}

/* Asserts that `dir` holds exactly the NUL-separated names in `names` (double-NUL-ended). */
static void assert_dir_holds(const char *dir, const char *names)
{
    int want = 0;
    for (const char *n = names; *n; n += strlen(n) + 1) {
        char *p = tu_path(dir, n);
        struct stat st;
        if (lstat(p, &st) != 0) fail_msg("%s is missing", p);
        free(p);
        want++;
    }
    DIR *d = opendir(dir);
    assert_non_null(d);
    int have = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        int known = 0;
        for (const char *n = names; *n; n += strlen(n) + 1) known |= strcmp(n, de->d_name) == 0;
        if (!known) fail_msg("%s/%s was left behind", dir, de->d_name);
        have++;
    }
    closedir(d);
    assert_int_equal(have, want);
}

/* Sends `sig` to a started child and asserts it exits with 128 + sig within SIGNAL_LIMIT and
 * prints exactly `want_stderr`. */
static void signal_and_expect(child *c, int sig, const char *want_stderr)
{
    kill(c->pid, sig);
    double took = 0;
    int status = wait_for(c, SIGNAL_LIMIT, &took);
    char *err = child_stderr(c);
    print_message("signal %d: ended after %.3f s\n", sig, took);
    if (status < 0) fail_msg("signal %d did not end the child within %.1f s", sig, SIGNAL_LIMIT);
    if (!WIFEXITED(status))
        fail_msg("signal %d killed the child instead of an exit (stderr: %s)", sig, err);
    assert_int_equal(WEXITSTATUS(status), 128 + sig);
    if (want_stderr) assert_string_equal(err, want_stderr);
    free(err);
}

typedef struct {
    char *root; /* the scratch directory: the work directory "w" and the children's stderr */
    char *work; /* the children's current directory */
} scratch;

static scratch scratch_new(const char *tag)
{
    scratch s;
    s.root = tu_mkdtemp(tag);
    s.work = tu_path(s.root, "w");
    assert_int_equal(mkdir(s.work, 0755), 0);
    return s;
}

static void scratch_free(scratch *s)
{
    tu_rmtree(s->root);
    free(s->root);
    free(s->work);
}

/* ---- signals ----------------------------------------------------------------------------------- */

/* `pack -` while standard input stays open and quiet (item 18): each of SIGINT, SIGTERM and
 * SIGHUP stops it with 128 + N and one line, and no archive appears. Before: SIGINT and SIGTERM
 * were noted but nothing asked while read(2) waited, so the pack went on, wrote an empty
 * archive at the end of input and exited 0; SIGHUP killed it. */
static void test_quiet_stdin_each_signal(void **state)
{
    (void)state;
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        scratch s = scratch_new("sigstdin");
        int p[2];
        assert_int_equal(pipe(p), 0);
        const char *args[] = {"pack", "-", "-o", "out.hxz", NULL};
        child c = spawn(s.work, p[0], -1, 0, args);
        close(p[0]);
        wait_started(&c, s.work, NULL);
        usleep(150000); /* into the wait for input */
        signal_and_expect(&c, sigs[i], "hexz pack: out.hxz: interrupted; nothing was written\n");
        close(p[1]);
        assert_dir_holds(s.work, "");
        scratch_free(&s);
    }
}

/* -q: the same exit status, and not a word. */
static void test_quiet_stdin_quiet_flag(void **state)
{
    (void)state;
    scratch s = scratch_new("sigquiet");
    int p[2];
    assert_int_equal(pipe(p), 0);
    const char *args[] = {"pack", "-", "-o", "out.hxz", "-q", NULL};
    child c = spawn(s.work, p[0], -1, 0, args);
    close(p[0]);
    wait_started(&c, s.work, NULL);
    signal_and_expect(&c, SIGTERM, "");
    close(p[1]);
    assert_dir_holds(s.work, "");
    scratch_free(&s);
}

/* A fifo without a writer given to --add-stream (item 5, the pack side): open(2) does not hang
 * (the test sees the fifo open in the child; before, open blocked and the test timed out), and
 * one SIGTERM ends the wait. A fifo as INPUT of pack or predict is refused at once. */
static void test_fifo_input(void **state)
{
    (void)state;
    scratch s = scratch_new("sigfifo");
    char *in = tu_path(s.work, "in.bin"), *fifo = tu_path(s.work, "fifo");
    tu_write_file(in, "some bytes", 10);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    const char *args[] = {"pack", "in.bin", "-o", "out.hxz", "--add-stream", "x=fifo", NULL};
    child c = spawn(s.work, -1, -1, 0, args);
    wait_started(&c, s.work, "/fifo");
    signal_and_expect(&c, SIGTERM, "hexz pack: out.hxz: interrupted; nothing was written\n");
    assert_dir_holds(s.work, "in.bin\0fifo\0");

    const char *direct[] = {"pack", "fifo", "-o", "out.hxz", NULL};
    c = spawn(s.work, -1, -1, 0, direct);
    int status = wait_for(&c, SIGNAL_LIMIT, NULL);
    char *err = child_stderr(&c);
    assert_true(status >= 0 && WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_string_equal(err, "hexz pack: fifo: not a file, block device or directory\n");
    free(err);
    /* predict likewise (before: it hung in open(2)). */
    const char *predict[] = {"predict", "fifo", NULL};
    c = spawn(s.work, -1, -1, 0, predict);
    status = wait_for(&c, SIGNAL_LIMIT, NULL);
    err = child_stderr(&c);
    assert_true(status >= 0 && WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_string_equal(err, "hexz predict: fifo: predict reads a file or a block device\n");
    assert_dir_holds(s.work, "in.bin\0fifo\0");
    free(err);
    free(in);
    free(fifo);
    scratch_free(&s);
}

/* A long pack (a 1 TiB sparse file: holes cost no reading but millions of index entries) stops
 * on SIGINT with 130. Before: exit 1. */
static void test_big_sparse_input(void **state)
{
    (void)state;
    scratch s = scratch_new("sigsparse");
    char *big = tu_path(s.work, "big.img");
    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)1 << 40), 0);
    close(fd);
    const char *args[] = {"pack", "big.img", "-o", "big.hxz", NULL};
    child c = spawn(s.work, -1, -1, 0, args);
    wait_started(&c, s.work, NULL);
    usleep(200000);
    signal_and_expect(&c, SIGINT, "hexz pack: big.hxz: interrupted; nothing was written\n");
    assert_dir_holds(s.work, "big.img\0");
    free(big);
    scratch_free(&s);
}

/* A small archive whose content is larger than a pipe holds, for cat to block on. */
static void make_archive(const char *dir, const char *name, size_t len)
{
    char *in = tu_path(dir, "content.bin"), *out = tu_path(dir, name);
    uint8_t *data = malloc(len);
    assert_non_null(data);
    tu_rng rng;
    tu_rng_seed(&rng, 5);
    tu_rng_fill(&rng, data, len);
    tu_write_file(in, data, len);
    free(tu_hexz_expect(0, "", "pack", in, "-o", out, "-q", NULL));
    unlink(in);
    free(data);
    free(in);
    free(out);
}

/* Waits until nobody has read the pipe's bytes and it is full: the writer is then blocked. */
static void wait_pipe_full(child *c, int rfd)
{
    double start = now_sec();
    for (;;) {
        int queued = 0;
        assert_int_equal(ioctl(rfd, FIONREAD, &queued), 0);
        if (queued >= 65536) return;
        int status;
        if (waitpid(c->pid, &status, WNOHANG) == c->pid) fail_msg("cat ended early");
        if (now_sec() - start > START_LIMIT) fail_msg("cat never filled the pipe");
        usleep(2000);
    }
}

/* `hexz cat` blocked in a write to a pipe no one reads: no library callback runs there, so the
 * watchdog ends it a second after SIGTERM with 143 and "hexz cat: interrupted". Before: cat had
 * no handler, so the signal killed it (no exit status, no line). A second signal ends it at
 * once, with the second signal's status. */
static void test_blocked_write_watchdog(void **state)
{
    (void)state;
    scratch s = scratch_new("sigcat");
    make_archive(s.work, "a.hxz", 1u << 20);
    for (int twice = 0; twice <= 1; twice++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        const char *args[] = {"cat", "a.hxz", NULL};
        child c = spawn(s.work, -1, p[1], 0, args);
        close(p[1]);
        wait_pipe_full(&c, p[0]);
        if (twice) {
            kill(c.pid, SIGTERM);
            usleep(50000);
            signal_and_expect(&c, SIGINT, "hexz cat: interrupted\n");
        } else {
            signal_and_expect(&c, SIGTERM, "hexz cat: interrupted\n");
        }
        close(p[0]);
    }
    assert_dir_holds(s.work, "a.hxz\0");
    scratch_free(&s);
}

/* ---- the file size limit ---------------------------------------------------------------------- */

/* `ulimit -f` below the archive's size (item 16): one error line naming the archive and the
 * limit, exit 1, nothing left. Before: SIGXFSZ killed pack (status 153) and the message was
 * the shell's. */
static void test_file_size_limit(void **state)
{
    (void)state;
    scratch s = scratch_new("fsize");
    size_t len = 4u << 20;
    uint8_t *data = malloc(len);
    assert_non_null(data);
    tu_rng rng;
    tu_rng_seed(&rng, 9);
    tu_rng_fill(&rng, data, len);
    char *in = tu_path(s.work, "in.bin");
    tu_write_file(in, data, len);
    const char *args[] = {"pack", "in.bin", "-o", "out.hxz", "--compression", "none", NULL};
    child c = spawn(s.work, -1, -1, 1u << 20, args);
    int status = wait_for(&c, 60.0, NULL);
    char *err = child_stderr(&c);
    assert_true(status >= 0);
    if (!WIFEXITED(status)) fail_msg("killed by signal %d", WTERMSIG(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_string_equal(err, "hexz pack: out.hxz: write failed: file too large (a file size limit "
                             "of the process or the file system was reached)\n");
    assert_dir_holds(s.work, "in.bin\0");
    free(err);
    free(data);
    free(in);
    scratch_free(&s);
}

/* ---- "-" as an output ------------------------------------------------------------------------- */

/* `pack x -o -`, `flatten x -o -` and `keygen -o -` (item 6): usage errors (exit 2) with the
 * reason, and no file "-" (or "-.key", "-.pub") appears. Before: pack and flatten wrote an
 * archive named "-", keygen the keys "-.key" and "-.pub". */
static void test_output_dash(void **state)
{
    (void)state;
    scratch s = scratch_new("dash");
    make_archive(s.work, "a.hxz", 1000);
    char *old = getcwd(NULL, 0);
    assert_non_null(old);
    assert_int_equal(chdir(s.work), 0);
    free(tu_hexz_expect(2,
                        "hexz pack: -o -: an archive cannot be written to standard output (it "
                        "is seeked and renamed into place); name a file (./- for one called -)\n"
                        "usage: hexz pack INPUT -o OUTPUT [OPTIONS] (see 'hexz pack --help')\n",
                        "pack", "a.hxz", "-o", "-", NULL));
    free(tu_hexz_expect(2, NULL, "pack", "-", "--output", "-", NULL));
    free(tu_hexz_expect(2,
                        "hexz flatten: -o -: an archive cannot be written to standard output "
                        "(it is seeked and renamed into place); name a file (./- for one called "
                        "-)\nusage: hexz flatten ARCHIVE -o OUTPUT [--base-dir DIR] "
                        "[--compression C] [--level N] [OPTIONS] (see 'hexz flatten --help')\n",
                        "flatten", "a.hxz", "-o", "-", NULL));
    free(tu_hexz_expect(2,
                        "hexz keygen: -o -: the keys go to two files, NAME.key and NAME.pub, "
                        "never to standard output; name them (./- for -.key and -.pub)\n"
                        "usage: hexz keygen -o NAME [--force] (see 'hexz keygen --help')\n",
                        "keygen", "-o", "-", NULL));
    assert_dir_holds(s.work, "a.hxz\0");
    /* A file called "-" is still reachable by its path. */
    free(tu_hexz_expect(0, "", "pack", "a.hxz", "-o", "./-", "-q", NULL));
    assert_dir_holds(s.work, "a.hxz\0-\0");
    assert_int_equal(chdir(old), 0);
    free(old);
    scratch_free(&s);
}

int main(void)
{
    srand((unsigned)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet_stdin_each_signal),
        cmocka_unit_test(test_quiet_stdin_quiet_flag),
        cmocka_unit_test(test_fifo_input),
        cmocka_unit_test(test_big_sparse_input),
        cmocka_unit_test(test_blocked_write_watchdog),
        cmocka_unit_test(test_file_size_limit),
        cmocka_unit_test(test_output_dash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
