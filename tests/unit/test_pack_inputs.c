/*
 * test_pack_inputs.c - hexz_pack() against inputs that move or wait: entries of a tree that
 * vanish between the listing of their directory and their turn (deleted from the progress
 * callback, so the timing is exact), and inputs that block - a fifo without a writer, a quiet
 * pipe on standard input - which must neither hang open(2) nor keep a cancel from working.
 *
 * Everything that could block runs in a child process that the test waits for with a bound,
 * so a regression fails the test instead of hanging it.
 */
#include "archive_fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_LIMIT 10.0 /* seconds a child may take before it counts as hung */

/* Frees the test's strings in a forked child before it exits, so that valgrind's leak check of
 * the child (memcheck.sh runs this test under it) sees nothing lost. */
static void free_all(char **strings)
{
    for (size_t i = 0; strings[i]; i++) free(strings[i]);
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for `pid` at most `limit` seconds; its exit status, or -1 (after SIGKILL) if it did
 * not end in time. */
static int wait_bounded(pid_t pid, double limit)
{
    double start = now_sec();
    for (;;) {
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        assert_true(w >= 0);
        if (w == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (now_sec() - start > limit) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(2000);
    }
}

/* ---- entries that vanish while the tree is packed --------------------------------------------- */

typedef struct {
    const char *root;
    int calls;
    char warnings[1024];
} vanish_ctx;

/* The first progress report comes with the first chunk of "a", after the root was listed: the
 * later entries are removed (or replaced) then, before their turn. */
static int vanish_progress(const hexz_progress *p, void *user)
{
    (void)p;
    vanish_ctx *v = user;
    if (v->calls++ == 0) {
        char *b = tu_path(v->root, "b"), *c = tu_path(v->root, "c"), *e = tu_path(v->root, "e");
        assert_int_equal(unlink(b), 0);
        tu_rmtree(c);
        assert_int_equal(unlink(e), 0);
        free(b);
        free(c);
        free(e);
    }
    return 0;
}

static void collect_warning(const char *message, void *user)
{
    vanish_ctx *v = user;
    size_t len = strlen(v->warnings);
    snprintf(v->warnings + len, sizeof v->warnings - len, "%s\n", message);
}

/* Without --skip-unreadable, a deleted file, a removed directory and a deleted symlink are each
 * one warning and the pack succeeds with what remained (before:
 * the first one failed the whole pack with "b: No such file or directory"). */
static void test_vanished_entries_are_skipped(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("vanish");
    char *root = tu_path(dir, "tree"), *out = tu_path(dir, "t.hxz");
    assert_int_equal(mkdir(root, 0755), 0);
    size_t alen = 5u << 20;
    uint8_t *adata = af_malloc(alen);
    tu_rng rng;
    tu_rng_seed(&rng, 11);
    tu_rng_fill(&rng, adata, alen);
    char *a = tu_path(root, "a"), *b = tu_path(root, "b"), *c = tu_path(root, "c");
    char *d = tu_path(root, "c/d"), *e = tu_path(root, "e");
    tu_write_file(a, adata, alen);
    tu_write_file(b, "bbb", 3);
    assert_int_equal(mkdir(c, 0755), 0);
    tu_write_file(d, "ddd", 3);
    assert_int_equal(symlink("a", e), 0);

    vanish_ctx v = {.root = root};
    hexz_write_options o = af_fixed(65536, HEXZ_CODEC_LZ4, 0);
    o.threads = 1;
    o.progress = vanish_progress;
    o.progress_user = &v;
    hexz_pack_options po = HEXZ_PACK_OPTIONS_INIT;
    po.warn = collect_warning;
    po.warn_user = &v;
    AF_OK(hexz_pack(root, out, &o, &po));
    assert_string_equal(v.warnings, "b: skipped: vanished while packing\n"
                                    "c: skipped: vanished while packing\n"
                                    "e: skipped: vanished while packing\n");
    hexz_reader *r = af_open(out);
    assert_int_equal(hexz_reader_file_count(r), 1);
    hexz_file_info *info = af_malloc(sizeof *info);
    AF_OK(hexz_reader_file_at(r, 0, info));
    assert_string_equal(info->path, "a");
    assert_int_equal(info->size, alen);
    af_assert_stream(r, af_main_stream(r), adata, alen, 0, "a");
    af_verify_ok(r);
    hexz_reader_free(r);
    free(info);
    free(adata);
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
    free(root);
    free(out);
    tu_rmtree(dir);
    free(dir);
}

/* ---- inputs that wait --------------------------------------------------------------------------- */

/* Asks to stop on the third report: the first comes with the first chunk, the others only from
 * the waits for input (every 100 ms), so the cancel lands while the pack waits. */
static int cancel_third(const hexz_progress *p, void *user)
{
    (void)p;
    int *calls = user;
    return ++*calls >= 3;
}

/* In a child: packs `input` (with `extra` as the stream "x" if non-NULL) with cancel_third();
 * exits 0 if that gave HEXZ_ECANCELED and left nothing at `out`; frees `strings` first. */
static void pack_and_cancel_child(const char *input, const char *extra, const char *out,
                                  char **strings)
{
    int calls = 0;
    hexz_write_options o = af_fixed(65536, HEXZ_CODEC_LZ4, 0);
    o.progress = cancel_third;
    o.progress_user = &calls;
    hexz_stream_source src = {"x", extra};
    hexz_pack_options po = HEXZ_PACK_OPTIONS_INIT;
    if (extra) {
        po.extra_streams = &src;
        po.extra_stream_count = 1;
    }
    int rc = hexz_pack(input, out, &o, &po);
    struct stat st;
    int ok = rc == HEXZ_ECANCELED && calls >= 3 && lstat(out, &st) != 0;
    free_all(strings);
    _exit(ok ? 0 : 1);
}

/* A fifo no one ever opens for writing, as an extra stream: open(2) returns at once (before: it
 * hung there for ever, where no callback runs) and the wait for data is canceled. */
static void test_fifo_without_writer_is_canceled(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("fifo");
    char *in = tu_path(dir, "in"), *fifo = tu_path(dir, "fifo"), *out = tu_path(dir, "o.hxz");
    tu_write_file(in, "main stream", 11);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) pack_and_cancel_child(in, fifo, out, (char *[]){in, fifo, out, dir, NULL});
    assert_int_equal(wait_bounded(pid, CHILD_LIMIT), 0);
    free(in);
    free(fifo);
    free(out);
    tu_rmtree(dir);
    free(dir);
}

/* Standard input a pipe that stays open and quiet (`pack -` under Ctrl-C): before, read(2)
 * waited for ever and no cancel was ever asked. */
static void test_quiet_stdin_is_canceled(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("quiet");
    char *out = tu_path(dir, "o.hxz");
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[0], STDIN_FILENO);
        close(p[0]);
        close(p[1]);
        pack_and_cancel_child("-", NULL, out, (char *[]){out, dir, NULL});
    }
    close(p[0]);
    assert_int_equal(wait_bounded(pid, CHILD_LIMIT), 0);
    close(p[1]);
    free(out);
    tu_rmtree(dir);
    free(dir);
}

/* A fifo whose writer comes late: the pack waits for it (a fifo without a writer reads as its
 * end at once, so the wait must come first) and stores what it wrote. */
static void test_fifo_writer_comes_late(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("late");
    char *in = tu_path(dir, "in"), *fifo = tu_path(dir, "fifo"), *out = tu_path(dir, "o.hxz");
    tu_write_file(in, "main stream", 11);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        usleep(300000);
        int fd = open(fifo, O_WRONLY);
        int ok = fd >= 0 && write(fd, "late bytes", 10) == 10;
        free_all((char *[]){in, fifo, out, dir, NULL});
        _exit(ok ? 0 : 1);
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hexz_write_options o = af_fixed(65536, HEXZ_CODEC_LZ4, 0);
        hexz_stream_source src = {"x", fifo};
        hexz_pack_options po = HEXZ_PACK_OPTIONS_INIT;
        po.extra_streams = &src;
        po.extra_stream_count = 1;
        int ok = hexz_pack(in, out, &o, &po) == 0;
        free_all((char *[]){in, fifo, out, dir, NULL});
        _exit(ok ? 0 : 1);
    }
    assert_int_equal(wait_bounded(pid, CHILD_LIMIT), 0);
    assert_int_equal(wait_bounded(writer, CHILD_LIMIT), 0);
    hexz_reader *r = af_open(out);
    unsigned x;
    AF_OK(hexz_reader_find_stream(r, "x", &x));
    af_assert_stream(r, x, (const uint8_t *)"late bytes", 10, 0, "x");
    hexz_reader_free(r);
    free(in);
    free(fifo);
    free(out);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vanished_entries_are_skipped),
        cmocka_unit_test(test_fifo_without_writer_is_canceled),
        cmocka_unit_test(test_quiet_stdin_is_canceled),
        cmocka_unit_test(test_fifo_writer_comes_late),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
