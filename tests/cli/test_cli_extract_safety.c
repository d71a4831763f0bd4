/*
 * test_cli_extract_safety.c - 'hexz extract' against what is already in the destination and
 * against archives extract refuses (issue 10, items 1-6 and 20, CLI side): existing files
 * refused with the exact message before anything is written, --force replacing them; a stream
 * archive extracted onto itself; -o - (a stream to standard output, a tree refused, never a
 * file named "-"); a planted FIFO and hard link; modes by default and with -p; verify failing
 * with the same message as extract on a symlink with children; SIGKILL at random moments of a
 * tree extract never leaving a partial file or a named temporary.
 */
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
#include "testutil.h"

#define EXPECT(code, err, ...) tu_hexz_expect(code, err, __VA_ARGS__, (const char *)NULL)
#define TEST_ALARM 60

static char *g_dir;

static int setup(void **state)
{
    (void)state;
    g_dir = tu_mkdtemp("cli-xsafe");
    /* The CLI runs in this directory, so that a file named "-" would show up here. */
    return chdir(g_dir);
}

static int teardown(void **state)
{
    (void)state;
    if (chdir("/") != 0) return -1;
    tu_rmtree(g_dir);
    free(g_dir);
    return 0;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* A fresh subdirectory of the test directory. */
static char *fresh(const char *name)
{
    char *p = tu_path(g_dir, name);
    tu_rmtree(p);
    assert_int_equal(mkdir(p, 0755), 0);
    return p;
}

/* src/ with a.txt, precious.txt and run.sh (setuid), packed to tree.hxz. */
static char *make_tree_archive(void)
{
    char *src = fresh("src");
    char *p = tu_path(src, "a.txt");
    tu_write_file(p, "first\n", 6);
    free(p);
    p = tu_path(src, "precious.txt");
    tu_write_file(p, "theirs\n", 7);
    free(p);
    p = tu_path(src, "run.sh");
    tu_write_file(p, "#!/bin/sh\n", 10);
    assert_int_equal(chmod(p, 04755), 0);
    free(p);
    char *a = tu_path(g_dir, "tree.hxz");
    free(EXPECT(0, "", "pack", src, "-o", a, "-q", "--force"));
    free(src);
    return a;
}

static void test_existing_file_refused(void **state)
{
    (void)state;
    alarm(TEST_ALARM);
    char *a = make_tree_archive(), *dest = fresh("dest");
    char *precious = tu_path(dest, "precious.txt"), *first = tu_path(dest, "a.txt");
    tu_write_file(precious, "mine\n", 5);
    char *want = tu_strf(
        "hexz extract: %s/precious.txt: already exists (use --force to overwrite)\n", dest);
    free(EXPECT(1, want, "extract", a, "-o", dest));
    tu_assert_file_content(precious, "mine\n", 5);
    assert_false(exists(first)); /* nothing written, not even what came before */
    /* The same with a trailing slash on DEST: the message names the path once. */
    char *slash = tu_strf("%s/", dest);
    free(EXPECT(1, want, "extract", a, "-o", slash));
    free(EXPECT(0, "", "extract", a, "-o", dest, "--force"));
    tu_assert_file_content(precious, "theirs\n", 7);
    tu_assert_file_content(first, "first\n", 6);
    free(slash);
    free(want);
    free(first);
    free(precious);
    free(dest);
    free(a);
    alarm(0);
}

static void test_planted_fifo_and_hard_link(void **state)
{
    (void)state;
    alarm(TEST_ALARM); /* a FIFO opened for writing would block for ever */
    char *a = make_tree_archive(), *dest = fresh("dest"), *outside = fresh("outside");
    char *fifo = tu_path(dest, "a.txt"), *linked = tu_path(dest, "precious.txt");
    char *victim = tu_path(outside, "victim");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    tu_write_file(victim, "original", 8);
    assert_int_equal(link(victim, linked), 0);
    char *want = tu_strf("hexz extract: %s/a.txt: already exists (use --force to overwrite)\n",
                         dest);
    free(EXPECT(1, want, "extract", a, "-o", dest));
    free(EXPECT(0, "", "extract", a, "-o", dest, "-f"));
    tu_assert_file_content(fifo, "first\n", 6);
    tu_assert_file_content(linked, "theirs\n", 7);
    tu_assert_file_content(victim, "original", 8);
    free(want);
    free(victim);
    free(fifo);
    free(linked);
    free(outside);
    free(dest);
    free(a);
    alarm(0);
}

static void test_modes(void **state)
{
    (void)state;
    char *a = make_tree_archive(), *dest = fresh("dest");
    tu_rmtree(dest);
    mode_t old = umask(022);
    free(EXPECT(0, "", "extract", a, "-o", dest));
    char *run = tu_path(dest, "run.sh");
    struct stat st;
    assert_int_equal(lstat(run, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755); /* setuid dropped */
    free(EXPECT(0, "", "extract", a, "-o", dest, "-f", "--same-permissions"));
    assert_int_equal(lstat(run, &st), 0);
    assert_int_equal(st.st_mode & 07777, 04755);
    umask(old);
    free(run);
    free(dest);
    free(a);
}

static void test_stream_onto_itself(void **state)
{
    (void)state;
    char *in = tu_path(g_dir, "data.bin"), *a = tu_path(g_dir, "data.hxz");
    uint8_t data[100000];
    tu_rng rng;
    tu_rng_seed(&rng, 3);
    tu_rng_fill(&rng, data, sizeof data);
    tu_write_file(in, data, sizeof data);
    free(EXPECT(0, "", "pack", in, "-o", a, "-q", "--force"));
    size_t alen;
    uint8_t *before = tu_read_file(a, &alen);
    char *want = tu_strf("hexz extract: %s: already exists (use --force to overwrite)\n", a);
    free(EXPECT(1, want, "extract", a, "-o", a));
    tu_assert_file_content(a, before, alen);
    /* With --force the archive is read to its end and only then replaced by its content. */
    free(EXPECT(0, "", "extract", a, "-o", a, "--force"));
    tu_assert_file_content(a, data, sizeof data);
    /* A tree archive onto itself (a file, not a directory): refused, even with --force. */
    char *t = make_tree_archive();
    size_t tlen;
    uint8_t *tbefore = tu_read_file(t, &tlen);
    free(want);
    want = tu_strf("hexz extract: %s: already exists and is not a directory\n", t);
    free(EXPECT(1, want, "extract", t, "-o", t));
    free(EXPECT(1, want, "extract", t, "-o", t, "--force"));
    tu_assert_file_content(t, tbefore, tlen);
    free(tbefore);
    free(t);
    free(want);
    free(before);
    free(in);
    free(a);
}

static void test_dash_is_stdout(void **state)
{
    (void)state;
    /* A stream with holes and data, compared byte for byte through a pipe. */
    char *in = tu_path(g_dir, "holes.bin"), *a = tu_path(g_dir, "holes.hxz");
    size_t len = 3u << 20;
    uint8_t *data = calloc(1, len);
    assert_non_null(data);
    tu_rng rng;
    tu_rng_seed(&rng, 4);
    tu_rng_fill(&rng, data + (1u << 20), 100000);
    tu_write_file(in, data, len);
    free(EXPECT(0, "", "pack", in, "-o", a, "-q", "--force"));
    const char *argv[] = {
        "/bin/sh", "-c", "\"$0\" extract \"$1\" -o - | cmp - \"$2\"", HEXZ_CLI_PATH, a, in, NULL};
    char *out = NULL, *err = NULL;
    int rc = tu_run(&out, &err, argv);
    if (rc != 0) fail_msg("extract -o - | cmp: exit %d: %s%s", rc, out, err);
    free(out);
    free(err);
    assert_false(exists("-"));
    /* A tree cannot go to standard output: a usage error, and still no "-". */
    char *t = make_tree_archive();
    char *want = tu_strf("hexz extract: %s: cannot write a tree to standard output\n"
                         "usage: hexz extract ARCHIVE -o DEST (see 'hexz extract --help')\n",
                         t);
    out = EXPECT(2, want, "extract", t, "-o", "-");
    assert_string_equal(out, "");
    assert_false(exists("-"));
    free(out);
    free(want);
    free(t);
    free(data);
    free(in);
    free(a);
}

static void test_verify_fails_like_extract(void **state)
{
    (void)state;
    char *a = tu_path(g_dir, "evil.hxz"), *dest = tu_path(g_dir, "evil-dest");
    hexz_writer *w = NULL;
    assert_int_equal(hexz_writer_create(&w, a, NULL), 0);
    assert_int_equal(hexz_writer_add_symlink(w, "l", "/etc", 0, 0), 0);
    assert_int_equal(hexz_writer_begin_file(w, "l/x", 0644, 0, 0), 0);
    assert_int_equal(hexz_writer_write(w, "x", 1), 0);
    assert_int_equal(hexz_writer_end_file(w), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
    char *want = tu_strf("hexz verify: %s: manifest entry l/x lies below the symbolic link l\n", a);
    char *out = EXPECT(1, want, "verify", a);
    assert_string_equal(out, "");
    free(out);
    free(want);
    want = tu_strf("hexz extract: %s: manifest entry l/x lies below the symbolic link l\n", a);
    free(EXPECT(1, want, "extract", a, "-o", dest));
    assert_false(exists(dest));
    free(want);
    free(dest);
    free(a);
}

/* ---- SIGKILL during a tree extract: a file under its name is always complete ------------- */

#define KILL_FILES 4
#define KILL_FILE_LEN (3u << 20)
#define KILLS 12

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t spawn_extract(const char *archive, const char *dest)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execl(HEXZ_CLI_PATH, "hexz", "extract", archive, "-o", dest, "-q", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* What a killed extract left: every name is a complete file of the archive, and no temporary
 * file has a name. Returns how many complete files there were. */
static int check_leftovers(const char *dest, uint8_t *const *want)
{
    int complete = 0;
    char *cmd = tu_strf("ls -A '%s' 2>/dev/null", dest);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[256];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        int k = -1;
        if (sscanf(line, "f%d", &k) != 1 || k < 0 || k >= KILL_FILES)
            fail_msg("a killed extract left %s/%s", dest, line);
        char *f = tu_path(dest, line);
        tu_assert_file_content(f, want[k], KILL_FILE_LEN);
        free(f);
        complete++;
    }
    pclose(p);
    free(cmd);
    return complete;
}

static void test_killed_extract_leaves_no_partial_file(void **state)
{
    (void)state;
    alarm(4 * TEST_ALARM);
    char *src = fresh("ksrc");
    uint8_t *want[KILL_FILES];
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    for (int k = 0; k < KILL_FILES; k++) {
        want[k] = malloc(KILL_FILE_LEN);
        assert_non_null(want[k]);
        tu_rng_fill(&rng, want[k], KILL_FILE_LEN);
        char name[8];
        snprintf(name, sizeof name, "f%d", k);
        char *f = tu_path(src, name);
        tu_write_file(f, want[k], KILL_FILE_LEN);
        free(f);
    }
    char *a = tu_path(g_dir, "kill.hxz"), *dest = tu_path(g_dir, "kdest");
    free(EXPECT(0, "", "pack", src, "-o", a, "-q", "--force", "--compression", "none"));
    /* One full run sets the range of delays. */
    double t0 = now_sec();
    int status;
    pid_t pid = spawn_extract(a, dest);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    double full = now_sec() - t0;
    assert_int_equal(check_leftovers(dest, want), KILL_FILES);
    int killed = 0, partial_runs = 0;
    for (int i = 0; i < KILLS; i++) {
        tu_rmtree(dest);
        pid = spawn_extract(a, dest);
        usleep((useconds_t)(full * 1e6 * (double)tu_rng_below(&rng, 1000) / 1000.0));
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status)) killed++;
        int n = check_leftovers(dest, want);
        if (n > 0 && n < KILL_FILES) partial_runs++;
    }
    printf("[ info     ] full extract %.3f s; %d of %d runs killed, %d of them between files\n",
           full, killed, KILLS, partial_runs);
    assert_true(killed > 0);
    for (int k = 0; k < KILL_FILES; k++) free(want[k]);
    free(a);
    free(dest);
    free(src);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_existing_file_refused),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_stream_onto_itself),
        cmocka_unit_test(test_dash_is_stdout),
        cmocka_unit_test(test_verify_fails_like_extract),
        cmocka_unit_test(test_killed_extract_leaves_no_partial_file),
        cmocka_unit_test(test_planted_fifo_and_hard_link),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
