/*
 * test_cli_passwd_kill.c - `hexz passwd` killed with SIGKILL at random moments while it
 * re-encrypts an archive (issue 10, "Rewrites ... atomically"): after every kill the archive
 * opens with exactly one of the two passwords, verifies and reads back its content byte for
 * byte, and nothing else is left in its directory (the new version is an unnamed O_TMPFILE
 * file until it is linked in and renamed).
 *
 * Delays are drawn from 0 .. 1.2 x the time of a full run, from the seed of tu_test_seed()
 * ($HEXZ_TEST_SEED replays a run); the count of kills is bounded (KILLS), and every child is
 * waited for.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hexz.h"
#include "testutil.h"

#define KILLS 8
#define DATA_MIB 12

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs argv; kills it with SIGKILL after `delay` seconds unless it ended first. Returns 1 if
 * it was killed, 0 if it exited (with status 0, asserted). */
static int run_and_kill(const char *const argv[], double delay)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        freopen("/dev/null", "r", stdin);
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    double end = now() + delay;
    int status;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
            return 0;
        }
        if (now() >= end) break;
        usleep(200);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
    return 1;
}

/* The names in `dir`, besides . and .. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* The archive opens with exactly one of the passwords; returns which (0 or 1). */
static int check_archive(const char *path, const char *const pw[2], const uint8_t *data, size_t len)
{
    int which = -1;
    for (int i = 0; i < 2; i++) {
        hexz_reader *r;
        int rc = hexz_reader_open_password(&r, path, pw[i]);
        if (rc == HEXZ_EPASSWORD) continue;
        assert_int_equal(rc, 0);
        assert_int_equal(which, -1);
        which = i;
        assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
        uint8_t *back = malloc(len);
        size_t got = 0;
        assert_int_equal(hexz_reader_read_at(r, 0, back, len, 0, &got), 0);
        assert_int_equal(got, len);
        assert_memory_equal(back, data, len);
        free(back);
        hexz_reader_free(r);
    }
    assert_int_not_equal(which, -1);
    return which;
}

static void test_passwd_killed(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("passwd-kill");
    char *arch_dir = tu_path(dir, "archives");
    assert_int_equal(mkdir(arch_dir, 0755), 0);
    char *input = tu_path(dir, "input.bin");
    char *archive = tu_path(arch_dir, "a.hxz");
    char *pwf[2] = {tu_path(dir, "pw0"), tu_path(dir, "pw1")};
    const char *const pw[2] = {"first password", "second password"};
    tu_write_file(pwf[0], "first password\n", 15);
    tu_write_file(pwf[1], "second password\n", 16);
    size_t len = (size_t)DATA_MIB << 20;
    uint8_t *data = malloc(len);
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    tu_rng_fill(&rng, data, len / 2);
    for (size_t i = len / 2; i < len; i++) data[i] = (uint8_t)(i / 1000); /* compressible */
    tu_write_file(input, data, len);
    free(tu_hexz_expect(0, "", "pack", input, "-o", archive, "-q", "--encrypt", "--password-file",
                        pwf[0], "--chunking", "fixed", "--block-size", "16K", "--compression",
                        "zstd", (const char *)NULL));

    /* One full run (first -> second) to time it. */
    int cur = 0;
    double t0 = now();
    const char *argv[] = {HEXZ_CLI_PATH,         "passwd",     archive, "--password-file", pwf[cur],
                          "--new-password-file", pwf[1 - cur], NULL};
    assert_int_equal(run_and_kill(argv, 1e9), 0);
    double full = now() - t0;
    cur = 1 - cur;
    assert_int_equal(check_archive(archive, pw, data, len), cur);

    int kills = 0;
    for (int i = 0; i < KILLS; i++) {
        argv[4] = pwf[cur];
        argv[6] = pwf[1 - cur];
        double delay = full * 1.2 * (double)tu_rng_below(&rng, 1000) / 1000.0;
        kills += run_and_kill(argv, delay);
        int which = check_archive(archive, pw, data, len);
        assert_int_equal(entries(arch_dir), 1);
        cur = which;
    }
    print_message(
        "passwd: %d kills in %d runs (full run %.2f s); the archive was intact after each\n", kills,
        KILLS, full);
    free(data);
    free(pwf[0]);
    free(pwf[1]);
    free(archive);
    free(input);
    tu_rmtree(dir);
    free(arch_dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passwd_killed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
