/*
 * test_cli_progress.c - end-to-end tests of the progress line and summaries of 'hexz pack',
 * 'extract' and 'verify': --progress draws '\r'-redrawn lines with a percentage even though
 * stderr is not a terminal here, -q prints nothing, and by default (stderr not a terminal) pack
 * prints only its summary line, whose figures must match the input, the archive and the
 * library's own accounting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hexz.h"
#include "testutil.h"

typedef struct {
    char *dir;
    char *data; /* ~10 MiB: random, a repeat of it, zeros; several progress reports */
    uint8_t *data_buf;
    size_t data_len;
    char *data_hxz;
    char *tree;
    char *tree_hxz;
} fixture;

static fixture fx;

/* Runs the CLI with the arguments up to the first NULL; checks the exit code, returns stdout and
 * stderr (malloc'd). */
static void run(int code, char **out, char **err, ...)
{
    const char *argv[64];
    int argc = 0;
    argv[argc++] = HEXZ_CLI_PATH;
    va_list ap;
    va_start(ap, err);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
        assert_true(argc < 63);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    int rc = tu_run(out, err, argv);
    if (rc != code) fprintf(stderr, "exit %d, stderr: %s\n", rc, err ? *err : "");
    assert_int_equal(rc, code);
}
#define RUN(code, out, err, ...) run(code, out, err, __VA_ARGS__, (const char *)NULL)

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++) n += *s == c;
    return n;
}

static int group_setup(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    fx.dir = tu_mkdtemp("cli-progress");
    fx.data = tu_path(fx.dir, "data.bin");
    fx.data_hxz = tu_path(fx.dir, "data.hxz");
    fx.tree = tu_path(fx.dir, "tree");
    fx.tree_hxz = tu_path(fx.dir, "tree.hxz");
    const size_t rnd = 4 << 20, zeros = 2 << 20;
    fx.data_len = 2 * rnd + zeros + 777;
    fx.data_buf = calloc(1, fx.data_len);
    assert_non_null(fx.data_buf);
    tu_rng_fill(&rng, fx.data_buf, rnd);
    memcpy(fx.data_buf + rnd, fx.data_buf, rnd);
    tu_rng_fill(&rng, fx.data_buf + 2 * rnd + zeros, 777);
    tu_write_file(fx.data, fx.data_buf, fx.data_len);
    assert_int_equal(mkdir(fx.tree, 0755), 0);
    char *a = tu_path(fx.tree, "a.bin"), *b = tu_path(fx.tree, "b.bin");
    tu_write_file(a, fx.data_buf, 3 << 20);
    tu_write_file(b, fx.data_buf + (5 << 20), 1000);
    free(a);
    free(b);
    RUN(0, NULL, NULL, "pack", fx.data, "-o", fx.data_hxz, "-q");
    RUN(0, NULL, NULL, "pack", fx.tree, "-o", fx.tree_hxz, "-q");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tu_rmtree(fx.dir);
    free(fx.dir);
    free(fx.data);
    free(fx.data_hxz);
    free(fx.tree);
    free(fx.tree_hxz);
    free(fx.data_buf);
    return 0;
}

/* Checks a progress display: '\r'-led redraws, the last one complete, ending with a newline,
 * then the summary line that starts with `summary`. Returns the summary line. */
static const char *check_progress(const char *err, const char *summary, int with_percent)
{
    assert_true(err[0] == '\r');
    assert_true(count_char(err, '\r') >= 2);
    const char *nl = strchr(err, '\n');
    assert_non_null(nl);
    assert_null(memchr(err, '\n', (size_t)(nl - err))); /* one line of redraws */
    const char *last = err;
    for (const char *p = err; p < nl; p++)
        if (*p == '\r') last = p;
    if (with_percent) {
        assert_non_null(strstr(err, "%"));
        static const char full[] = "\r100% [########################] ";
        assert_true(strncmp(last, full, strlen(full)) == 0);
    }
    assert_non_null(strstr(last, " MiB/s  done in "));
    if (strncmp(nl + 1, summary, strlen(summary)) != 0)
        fprintf(stderr, "no summary '%s' in:\n%s\n", summary, err);
    assert_true(strncmp(nl + 1, summary, strlen(summary)) == 0);
    assert_string_equal(strchr(nl + 1, '\n'), "\n"); /* then exactly one line */
    return nl + 1;
}

/* The library's figures for an archive. */
static hexz_inspect_info inspect(const char *archive)
{
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, archive), 0);
    hexz_inspect_info info = HEXZ_INSPECT_INFO_INIT;
    assert_int_equal(hexz_reader_inspect(r, &info), 0);
    hexz_reader_free(r);
    return info;
}

/* Parses and checks "packed IN -> OUT: N bytes in, M bytes out (ratio R), dedup saved D bytes,
 * S MiB/s, T s". */
static void check_pack_summary(const char *line, const char *input, const char *output,
                               uint64_t input_size)
{
    char *prefix = tu_strf("packed %s -> %s: ", input, output);
    assert_true(strncmp(line, prefix, strlen(prefix)) == 0);
    unsigned long long in = 0, out = 0, saved = 0;
    double ratio = 0, rate = -1, seconds = -1;
    int used = 0;
    int n = sscanf(line + strlen(prefix),
                   "%llu bytes in, %llu bytes out (ratio %lf), dedup saved %llu bytes, "
                   "%lf MiB/s, %lf s\n%n",
                   &in, &out, &ratio, &saved, &rate, &seconds, &used);
    assert_int_equal(n, 6);
    assert_int_equal(line[strlen(prefix) + (size_t)used], '\0');
    assert_int_equal(in, input_size);
    assert_int_equal(out, (unsigned long long)tu_file_size(output));
    double want_ratio = (double)in / (double)out;
    assert_true(ratio > want_ratio - 0.006 && ratio < want_ratio + 0.006);
    hexz_inspect_info info = inspect(output);
    assert_int_equal(saved, info.dedup_bytes);
    assert_int_equal(in, info.logical_bytes);
    assert_true(rate >= 0 && seconds >= 0);
    free(prefix);
}

static void test_pack_progress(void **state)
{
    (void)state;
    char *hxz = tu_path(fx.dir, "progress.hxz");
    char *out = NULL, *err = NULL;
    RUN(0, &out, &err, "pack", fx.data, "-o", hxz, "--progress", "-j", "1");
    assert_string_equal(out, "");
    char *summary = tu_strf("packed %s -> %s: ", fx.data, hxz);
    const char *line = check_progress(err, summary, 1);
    check_pack_summary(line, fx.data, hxz, fx.data_len);
    assert_true(inspect(hxz).dedup_bytes >= 3 << 20); /* most of the repeated 4 MiB */
    free(out);
    free(err);
    free(summary);
    free(hxz);
}

static void test_pack_default_and_quiet(void **state)
{
    (void)state;
    char *hxz = tu_path(fx.dir, "default.hxz");
    char *out = NULL, *err = NULL;
    RUN(0, &out, &err, "pack", fx.data, "-o", hxz);
    assert_null(strchr(err, '\r'));
    assert_int_equal(count_char(err, '\n'), 1);
    check_pack_summary(err, fx.data, hxz, fx.data_len);
    free(out);
    free(err);
    RUN(0, &out, &err, "pack", fx.data, "-o", hxz, "--force", "-q");
    assert_string_equal(out, "");
    assert_string_equal(err, "");
    free(out);
    free(err);
    /* The last of --progress and --quiet wins. */
    RUN(0, &out, &err, "pack", fx.data, "-o", hxz, "--force", "--progress", "--quiet");
    assert_string_equal(err, "");
    free(out);
    free(err);
    free(hxz);
}

static void test_pack_tree_summary(void **state)
{
    (void)state;
    char *hxz = tu_path(fx.dir, "tree-progress.hxz");
    char *out = NULL, *err = NULL;
    /* A tree's total is not known in advance: no percentage, but bytes and rate. */
    RUN(0, &out, &err, "pack", fx.tree, "-o", hxz, "--progress");
    char *summary = tu_strf("packed %s -> %s: ", fx.tree, hxz);
    const char *line = check_progress(err, summary, 0);
    check_pack_summary(line, fx.tree, hxz, (3 << 20) + 1000);
    assert_null(strchr(err, '%'));
    free(out);
    free(err);
    free(summary);
    free(hxz);
}

static void test_extract_progress(void **state)
{
    (void)state;
    char *dest = tu_path(fx.dir, "extract.out");
    char *out = NULL, *err = NULL;
    RUN(0, &out, &err, "extract", fx.data_hxz, "-o", dest, "--progress");
    char *summary = tu_strf("extracted %s -> %s: %zu bytes, ", fx.data_hxz, dest, fx.data_len);
    check_progress(err, summary, 1);
    free(summary);
    free(out);
    free(err);
    /* Extracting again replaces the file only with --force. */
    RUN(0, &out, &err, "extract", fx.data_hxz, "-o", dest, "--force");
    assert_string_equal(err, "");
    free(out);
    free(err);
    RUN(0, &out, &err, "extract", fx.data_hxz, "-o", dest, "-q", "-f");
    assert_string_equal(err, "");
    free(out);
    free(err);
    size_t n;
    uint8_t *back = tu_read_file(dest, &n);
    assert_int_equal(n, fx.data_len);
    assert_memory_equal(back, fx.data_buf, n);
    free(back);

    char *tdest = tu_path(fx.dir, "tree.out");
    RUN(0, &out, &err, "extract", fx.tree_hxz, "-o", tdest, "--progress");
    summary = tu_strf("extracted %s -> %s: %d bytes, ", fx.tree_hxz, tdest, (3 << 20) + 1000);
    check_progress(err, summary, 1);
    free(summary);
    free(out);
    free(err);
    free(tdest);
    free(dest);
}

static void test_verify_progress(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    RUN(0, &out, &err, "verify", fx.data_hxz, "--progress");
    char *summary = tu_strf("verified %s: %zu bytes, ", fx.data_hxz, fx.data_len);
    check_progress(err, summary, 1);
    char *ok = tu_strf("%s: OK (", fx.data_hxz);
    assert_true(strncmp(out, ok, strlen(ok)) == 0);
    free(summary);
    free(out);
    free(err);
    RUN(0, &out, &err, "verify", fx.data_hxz);
    assert_string_equal(err, "");
    assert_true(strncmp(out, ok, strlen(ok)) == 0);
    free(out);
    free(err);
    RUN(0, &out, &err, "verify", "-q", fx.data_hxz, fx.tree_hxz);
    assert_string_equal(err, "");
    assert_int_equal(count_char(out, '\n'), 2);
    free(out);
    free(err);
    free(ok);
}

static void test_progress_help(void **state)
{
    (void)state;
    static const char *const verbs[] = {"pack", "extract", "verify"};
    for (size_t i = 0; i < 3; i++) {
        char *out = NULL;
        RUN(0, &out, NULL, verbs[i], "--help");
        assert_non_null(strstr(out, "      --progress          "));
        assert_non_null(strstr(out, "  -q, --quiet             "));
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_progress),     cmocka_unit_test(test_pack_default_and_quiet),
        cmocka_unit_test(test_pack_tree_summary), cmocka_unit_test(test_extract_progress),
        cmocka_unit_test(test_verify_progress),   cmocka_unit_test(test_progress_help),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
