/*
 * test_cli.c - end-to-end tests of the hexz command line: every verb's success path on a
 * generated file and a generated directory tree, usage errors (exit 2) and failures (exit 1)
 * with their exact messages, JSON output checked by python3, and quiet handling of a closed pipe.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hexz.h"
#include "testutil.h"

/* "MAJOR.MINOR" of the archive format this library writes. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define FORMAT_VERSION STR(HEXZ_FORMAT_MAJOR) "." STR(HEXZ_FORMAT_MINOR)

#define MTIME 1609556645 /* 2021-01-02T03:04:05Z */
#define MTIME_ISO "2021-01-02T03:04:05Z"
#define UNICODE_NAME "\u00fcn\u00efc\u00f8d\u00e9 \u540d\u524d.txt" /* UTF-8 */

/* Shared by all tests: a scratch directory with a generated file and tree, packed once. */
typedef struct {
    char *dir;
    char *data; /* a ~2.8 MiB file of text, zeros, random bytes and a repeated region */
    char *data_hxz;
    uint8_t *data_buf;
    size_t data_len;
    char *tree; /* a directory tree: nested dirs, duplicates, empty file, symlinks, unicode */
    char *tree_hxz;
    uint8_t *dup_buf; /* the content of the two duplicate files */
    size_t dup_len;
} fixture;

static fixture fx;

/* ---- helpers -------------------------------------------------------------------------------- */

static void set_mtime(const char *path)
{
    struct timespec ts[2] = {{MTIME, 0}, {MTIME, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void make_file(const char *root, const char *rel, const void *data, size_t len, mode_t mode)
{
    char *p = tu_path(root, rel);
    tu_write_file(p, data, len);
    assert_int_equal(chmod(p, mode), 0);
    set_mtime(p);
    free(p);
}

static void make_dir(const char *root, const char *rel)
{
    char *p = tu_path(root, rel);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
}

static void make_link(const char *root, const char *rel, const char *target)
{
    char *p = tu_path(root, rel);
    assert_int_equal(symlink(target, p), 0);
    set_mtime(p);
    free(p);
}

static void finish_dir(const char *root, const char *rel, mode_t mode)
{
    char *p = tu_path(root, rel);
    assert_int_equal(chmod(p, mode), 0);
    set_mtime(p);
    free(p);
}

/* Text, a run of zeros, random bytes, a repeat of the random bytes, then a short text tail. */
static void generate_data(tu_rng *rng)
{
    const size_t text = 256 << 10, zeros = 512 << 10, rnd = 1 << 20, tail = 12345;
    fx.data_len = text + zeros + 2 * rnd + tail;
    fx.data_buf = calloc(1, fx.data_len);
    assert_non_null(fx.data_buf);
    uint8_t *p = fx.data_buf;
    static const char line[] = "archive block stream hash index page root\n";
    for (size_t i = 0; i < text; i++) p[i] = (uint8_t)line[i % (sizeof line - 1)];
    p += text + zeros;
    tu_rng_fill(rng, p, rnd);
    memcpy(p + rnd, p, rnd);
    memcpy(p + 2 * rnd, fx.data_buf, tail);
    tu_write_file(fx.data, fx.data_buf, fx.data_len);
}

static void generate_tree(tu_rng *rng)
{
    assert_int_equal(mkdir(fx.tree, 0755), 0);
    fx.dup_len = 200000;
    fx.dup_buf = malloc(fx.dup_len);
    assert_non_null(fx.dup_buf);
    tu_rng_fill(rng, fx.dup_buf, fx.dup_len);
    make_dir(fx.tree, "a");
    make_dir(fx.tree, "a/b");
    make_dir(fx.tree, "a/b/c");
    make_file(fx.tree, "a/hello.txt", "hello, world\n", 13, 0644);
    make_file(fx.tree, "a/b/dup1.bin", fx.dup_buf, fx.dup_len, 0644);
    make_file(fx.tree, "a/b/c/dup2.bin", fx.dup_buf, fx.dup_len, 0600);
    make_file(fx.tree, "empty.txt", "", 0, 0644);
    make_file(fx.tree, "run.sh", "#!/bin/sh\necho hi\n", 18, 0755);
    make_file(fx.tree, UNICODE_NAME, "unicode\n", 8, 0644);
    make_link(fx.tree, "link", "a/hello.txt");
    make_link(fx.tree, "dangling", "does/not/exist");
    finish_dir(fx.tree, "a/b/c", 0700);
    finish_dir(fx.tree, "a/b", 0750);
    finish_dir(fx.tree, "a", 0755);
}

static int group_setup(void **state)
{
    (void)state;
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    fx.dir = tu_mkdtemp("cli");
    fx.data = tu_path(fx.dir, "data.bin");
    fx.data_hxz = tu_path(fx.dir, "data.hxz");
    fx.tree = tu_path(fx.dir, "tree");
    fx.tree_hxz = tu_path(fx.dir, "tree.hxz");
    generate_data(&rng);
    generate_tree(&rng);
    assert_int_equal(tu_hexz(NULL, NULL, "pack", fx.data, "-o", fx.data_hxz, "-q", NULL), 0);
    assert_int_equal(tu_hexz(NULL, NULL, "pack", fx.tree, "-o", fx.tree_hxz, "-q", NULL), 0);
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
    free(fx.dup_buf);
    return 0;
}

#define EXPECT(code, err, ...) tu_hexz_expect(code, err, __VA_ARGS__, (const char *)NULL)

/* Decimal digits of n in a caller's buffer. */
static const char *num(char *buf, unsigned long long n)
{
    sprintf(buf, "%llu", n);
    return buf;
}

/* The start of an aligned line of 'hexz inspect': the padded label, then `value`. */
static char *inspect_line(const char *label, const char *value)
{
    return tu_strf("%-18s%s", label, value);
}

/* The usage error text: the message, then the verb's synopsis. */
static char *usage(const char *verb, const char *synopsis, const char *msg)
{
    if (!verb) return tu_strf("hexz: %s\nusage: hexz COMMAND [ARGS...] (see 'hexz help')\n", msg);
    return tu_strf("hexz %s: %s\nusage: %s (see 'hexz %s --help')\n", verb, msg, synopsis, verb);
}

#define PACK_SYNOPSIS "hexz pack INPUT -o OUTPUT [OPTIONS]"

static void expect_pack_usage(const char *msg, const char *a1, const char *a2, const char *a3)
{
    char *out_hxz = tu_path(fx.dir, "usage.hxz");
    char *want = usage("pack", PACK_SYNOPSIS, msg);
    const char *extra[3] = {a1, a2, a3};
    char *out = NULL, *err = NULL;
    int rc = tu_hexz(&out, &err, "pack", fx.data, "-o", out_hxz, extra[0], extra[1], extra[2],
                     NULL);
    assert_string_equal(err, want);
    assert_string_equal(out, "");
    assert_int_equal(rc, 2);
    assert_int_equal(tu_file_size(out_hxz), -1);
    free(out);
    free(err);
    free(want);
    free(out_hxz);
}

/* Checks one extracted entry against its source: type, permission bits, mtime, content or
 * symlink target. */
static void compare_entry(const char *rel, const char *dest)
{
    char *src = tu_path(fx.tree, rel), *dst = tu_path(dest, rel);
    struct stat a, b;
    assert_int_equal(lstat(src, &a), 0);
    assert_int_equal(lstat(dst, &b), 0);
    assert_int_equal(a.st_mode & S_IFMT, b.st_mode & S_IFMT);
    if (S_ISREG(a.st_mode)) {
        size_t n;
        uint8_t *want = tu_read_file(src, &n);
        tu_assert_file_content(dst, want, n);
        free(want);
    }
    if (S_ISLNK(a.st_mode)) {
        char t1[256] = "", t2[256] = "";
        assert_true(readlink(src, t1, sizeof t1 - 1) > 0);
        assert_true(readlink(dst, t2, sizeof t2 - 1) > 0);
        assert_string_equal(t1, t2);
    } else {
        assert_int_equal(a.st_mode & 07777, b.st_mode & 07777);
    }
    assert_int_equal(b.st_mtim.tv_sec, MTIME);
    free(src);
    free(dst);
}

/* Runs 'hexz cat' with the arguments up to the first NULL; its output (binary, so captured
 * through a file) must be exactly want[0..len), with nothing on stderr. */
static void expect_cat(const void *want, size_t len, const char *a1, const char *a2, const char *a3,
                       const char *a4, const char *a5)
{
    char *file = tu_path(fx.dir, "cat.out");
    char *cmd = tu_strf("exec \"$0\" cat \"$@\" > '%s'", file);
    const char *argv[] = {"/bin/sh", "-c", cmd, HEXZ_CLI_PATH, a1, a2, a3, a4, a5, NULL};
    char *err = NULL;
    assert_int_equal(tu_run(NULL, &err, argv), 0);
    assert_string_equal(err, "");
    tu_assert_file_content(file, want, len);
    free(err);
    free(cmd);
    free(file);
}

/* ---- version and help ----------------------------------------------------------------------- */

static void test_version(void **state)
{
    (void)state;
    char *out = EXPECT(0, "", "version");
    assert_string_equal(out, "hexz " HEXZ_VERSION_STRING " (format " FORMAT_VERSION ")\n");
    free(out);
    out = EXPECT(0, "", "--version");
    assert_string_equal(out, "hexz " HEXZ_VERSION_STRING " (format " FORMAT_VERSION ")\n");
    free(out);
}

static void test_help(void **state)
{
    (void)state;
    static const char *const verbs[] = {"pack",    "extract", "cat",     "ls",
                                        "inspect", "verify",  "version", "help"};
    const char *top[] = {"help", "--help", "-h"};
    for (int i = 0; i < 3; i++) {
        char *out = EXPECT(0, "", top[i]);
        assert_true(strncmp(out, "usage: hexz COMMAND [ARGS...]\n", 30) == 0);
        for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++) {
            char *line = tu_strf("\n  %-9s ", verbs[v]);
            assert_non_null(strstr(out, line));
            free(line);
        }
        free(out);
    }
    for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++) {
        char *prefix = tu_strf("usage: hexz %s", verbs[v]);
        char *outs[3] = {EXPECT(0, "", verbs[v], "--help"), EXPECT(0, "", verbs[v], "-h"),
                         EXPECT(0, "", "help", verbs[v])};
        for (int i = 0; i < 3; i++) {
            assert_true(strncmp(outs[i], prefix, strlen(prefix)) == 0);
            assert_string_equal(outs[i], outs[0]);
        }
        for (int i = 0; i < 3; i++) free(outs[i]);
        free(prefix);
    }
    char *out = EXPECT(0, "", "pack", "--help");
    assert_true(strncmp(out, "usage: " PACK_SYNOPSIS "\n", strlen(PACK_SYNOPSIS) + 8) == 0);
    assert_non_null(strstr(out, "--no-dedup"));
    free(out);
}

/* ---- usage errors --------------------------------------------------------------------------- */

static void test_usage_top_level(void **state)
{
    (void)state;
    struct {
        const char *arg, *msg;
    } cases[] = {
        {NULL, "missing command"},
        {"frobnicate", "unknown command 'frobnicate'"},
        {"--bogus", "unknown option '--bogus'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *want = usage(NULL, NULL, cases[i].msg);
        char *out = EXPECT(2, want, cases[i].arg);
        assert_string_equal(out, "");
        free(out);
        free(want);
    }
    char *want = usage("help", "hexz help [COMMAND]", "unknown command 'nope'");
    free(EXPECT(2, want, "help", "nope"));
    free(want);
    want = usage("version", "hexz version", "unexpected argument 'extra'");
    free(EXPECT(2, want, "version", "extra"));
    free(want);
}

static void test_usage_pack(void **state)
{
    (void)state;
    expect_pack_usage("unknown option '--bogus'", "--bogus", NULL, NULL);
    expect_pack_usage("unknown option '-x'", "-x", NULL, NULL);
    expect_pack_usage("option '--m' is ambiguous (--min, --max)", "--m", "1M", NULL);
    expect_pack_usage("--level: invalid value 'abc' (expected an integer)", "--level", "abc", NULL);
    expect_pack_usage("--level: 99 is out of range for zstd (1 to 22)", "--compression", "zstd",
                      "--level=99");
    expect_pack_usage("--level: 13 is out of range for lz4 (1 to 12)", "--level", "13", NULL);
    expect_pack_usage("--level does not apply to --compression none", "--compression=none",
                      "--level=1", NULL);
    expect_pack_usage("option '--level' requires a value", "--level", NULL, NULL);
    expect_pack_usage("--compression: invalid value 'gzip' (expected lz4, zstd or none)",
                      "--compression", "gzip", NULL);
    expect_pack_usage("--chunking: invalid value 'rabin' (expected fixed or cdc)", "--chunking",
                      "rabin", NULL);
    expect_pack_usage("--block-size: 12 is out of range (64 to 64M)", "--block-size", "12", NULL);
    expect_pack_usage("--block-size: 128M is out of range (64 to 64M)", "--block-size", "128M",
                      NULL);
    expect_pack_usage("--block-size: invalid size '4X' (expected a number like 4096, 64K or 1M)",
                      "--block-size", "4X", NULL);
    expect_pack_usage("--avg: 60000 is not a power of two", "--avg", "60000", NULL);
    expect_pack_usage("--min (65536) must not exceed --avg (16384)", "--avg", "16K", "--min=64K");
    expect_pack_usage("--avg (65536) must not exceed --max (32768)", "--max", "32K", NULL);
    expect_pack_usage("--min, --avg and --max apply only to cdc chunking", "--chunking", "fixed",
                      "--avg=64K");
    expect_pack_usage("--block-size applies only to fixed chunking", "--chunking", "cdc",
                      "--block-size=4K");
    expect_pack_usage("option '--force' does not take a value", "--force=yes", NULL, NULL);
    expect_pack_usage("unexpected argument 'extra'", "extra", NULL, NULL);
    expect_pack_usage("--threads: -1 is out of range (0 to 1024)", "--threads", "-1", NULL);
    expect_pack_usage("--threads: invalid value 'many' (expected an integer)", "-j", "many", NULL);

    char *want = usage("pack", PACK_SYNOPSIS, "missing -o OUTPUT");
    free(EXPECT(2, want, "pack", fx.data));
    free(want);
    want = usage("pack", PACK_SYNOPSIS, "missing INPUT");
    free(EXPECT(2, want, "pack"));
    free(want);
    want = usage("pack", PACK_SYNOPSIS, "option '-o' requires a value");
    free(EXPECT(2, want, "pack", fx.data, "-o"));
    free(want);
}

static void test_usage_other_verbs(void **state)
{
    (void)state;
    char *want = usage("extract", "hexz extract ARCHIVE -o DEST", "missing -o DEST");
    free(EXPECT(2, want, "extract", fx.data_hxz));
    free(want);
    want = usage("extract", "hexz extract ARCHIVE -o DEST", "missing ARCHIVE");
    free(EXPECT(2, want, "extract"));
    free(want);
    const char *cat_syn = "hexz cat ARCHIVE [PATH] [--stream NAME] [--offset N] [--length N]";
    want = usage("cat", cat_syn, "unexpected argument 'c'");
    free(EXPECT(2, want, "cat", "a", "b", "c"));
    free(want);
    want = usage("cat", cat_syn, "--stream cannot be combined with a PATH");
    free(EXPECT(2, want, "cat", fx.tree_hxz, "a/hello.txt", "--stream", "main"));
    free(want);
    want = usage("cat", cat_syn,
                 "--offset: invalid size '-1' (expected a number like 4096, 64K or 1M)");
    free(EXPECT(2, want, "cat", fx.data_hxz, "--offset", "-1"));
    free(want);
    want = usage("ls", "hexz ls ARCHIVE [-l] [--json]", "unknown option '-x'");
    free(EXPECT(2, want, "ls", "-x", fx.tree_hxz));
    free(want);
    want = usage("inspect", "hexz inspect ARCHIVE [--json]", "missing ARCHIVE");
    free(EXPECT(2, want, "inspect", "--json"));
    free(want);
    want = usage("verify", "hexz verify ARCHIVE...", "unknown option '--fast'");
    free(EXPECT(2, want, "verify", "--fast", fx.data_hxz));
    free(want);
}

/* ---- pack and extract ----------------------------------------------------------------------- */

/* Packs the data file with options o1..o4 (up to the first NULL), checks the summary line,
 * that `expr` holds for 'hexz inspect --json' of the result, and the round trip. */
static void pack_and_compare(const char *tag, const char *expr, const char *o1, const char *o2,
                             const char *o3, const char *o4)
{
    char *hxz = tu_strf("%s/%s.hxz", fx.dir, tag), *back = tu_strf("%s/%s.out", fx.dir, tag);
    char *err = NULL;
    int rc = tu_hexz(NULL, &err, "pack", fx.data, "-o", hxz, o1, o2, o3, o4, NULL);
    assert_int_equal(rc, 0);
    char *prefix = tu_strf("packed %s -> %s: %zu bytes in, %lld bytes out (ratio ", fx.data, hxz,
                           fx.data_len, tu_file_size(hxz));
    assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
    assert_true(strlen(err) > 3 && strcmp(err + strlen(err) - 3, " s\n") == 0);
    char *json = EXPECT(0, "", "inspect", "--json", hxz);
    tu_check_json(fx.dir, json, expr);
    free(EXPECT(0, "", "verify", hxz));
    free(EXPECT(0, "", "extract", hxz, "-o", back));
    tu_assert_file_content(back, fx.data_buf, fx.data_len);
    free(json);
    free(err);
    free(prefix);
    free(hxz);
    free(back);
}

static void test_pack_file_options(void **state)
{
    (void)state;
    pack_and_compare("default",
                     "d['chunking'] == 'cdc' and d['codec'] == 'lz4' and d['level'] == 0"
                     " and (d['min_size'], d['avg_size'], d['max_size']) == (16384, 65536, 262144)",
                     NULL, NULL, NULL, NULL);
    pack_and_compare(
        "fixed-zstd",
        "d['chunking'] == 'fixed' and d['block_size'] == 16384"
        " and d['codec'] == 'zstd' and d['level'] == 5 and d['codec_blocks']['zstd'] > 0",
        "--chunking=fixed", "--block-size=16K", "--compression=zstd", "--level=5");
    pack_and_compare(
        "block-only",
        "d['chunking'] == 'fixed' and d['block_size'] == 4096 and d['dedup_blocks'] == 0",
        "--block-size", "4096", "--no-dedup", NULL);
    pack_and_compare("cdc-small",
                     "(d['min_size'], d['avg_size'], d['max_size']) == (2048, 8192, 32768)"
                     " and d['codec'] == 'none' and d['codec_blocks']['lz4'] == 0",
                     "--avg", "8K", "--compression", "none");
    pack_and_compare("cdc-all",
                     "(d['min_size'], d['avg_size'], d['max_size']) == (4096, 16384, 65536)"
                     " and d['level'] == 9",
                     "--min=4K", "--avg=16K", "--max=64K", "--level=9");
    pack_and_compare("one-thread", "d['codec'] == 'zstd'", "-j", "1", "--compression=zstd", NULL);
    pack_and_compare("four-threads", "d['codec'] == 'lz4'", "--threads=4", NULL, NULL, NULL);
}

static void test_pack_quiet_and_force(void **state)
{
    (void)state;
    char *hxz = tu_path(fx.dir, "force.hxz");
    free(EXPECT(0, "", "pack", fx.data, "-o", hxz, "-q"));
    long long size = tu_file_size(hxz);
    char *want = tu_strf("hexz pack: %s: already exists (use --force to overwrite)\n", hxz);
    free(EXPECT(1, want, "pack", fx.tree, "-o", hxz, "-q"));
    assert_int_equal(tu_file_size(hxz), size);
    free(EXPECT(0, "", "pack", fx.tree, "-o", hxz, "--force", "--quiet"));
    char *out = EXPECT(0, "", "ls", hxz);
    assert_non_null(strstr(out, "a/hello.txt\n"));
    free(out);
    free(EXPECT(0, "", "pack", "-f", "-q", fx.data, "--output", hxz));
    free(want);
    free(hxz);
}

static void test_pack_empty_file(void **state)
{
    (void)state;
    char *empty = tu_path(fx.dir, "empty.bin"), *hxz = tu_path(fx.dir, "empty.hxz");
    char *back = tu_path(fx.dir, "empty.out");
    tu_write_file(empty, "", 0);
    free(EXPECT(0, "", "pack", empty, "-o", hxz, "-q"));
    char *out = EXPECT(0, "", "ls", hxz);
    assert_string_equal(out, "main 0\n");
    free(out);
    expect_cat("", 0, hxz, NULL, NULL, NULL, NULL);
    char *want = tu_strf("%s: OK (0 blocks, 0 bytes verified)\n", hxz);
    out = EXPECT(0, "", "verify", hxz);
    assert_string_equal(out, want);
    free(out);
    free(EXPECT(0, "", "extract", hxz, "-o", back));
    assert_int_equal(tu_file_size(back), 0);
    free(want);
    free(empty);
    free(hxz);
    free(back);
}

static void test_extract_tree(void **state)
{
    (void)state;
    char *dest = tu_path(fx.dir, "tree.out");
    free(EXPECT(0, "", "extract", fx.tree_hxz, "-o", dest));
    static const char *const entries[] = {
        "a",         "a/b",    "a/b/c",      "a/hello.txt", "a/b/dup1.bin", "a/b/c/dup2.bin",
        "empty.txt", "run.sh", UNICODE_NAME, "link",        "dangling"};
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) compare_entry(entries[i], dest);
    const char *diff[] = {"/usr/bin/env", "diff", "-r", "--no-dereference", fx.tree, dest, NULL};
    char *out = NULL;
    assert_int_equal(tu_run(&out, NULL, diff), 0);
    assert_string_equal(out, "");
    free(out);
    tu_rmtree(dest);
    free(dest);
}

/* ---- cat ------------------------------------------------------------------------------------ */

static void test_cat_stream(void **state)
{
    (void)state;
    const uint8_t *d = fx.data_buf;
    size_t n = fx.data_len;
    char b1[32], b2[32];
    expect_cat(d, n, fx.data_hxz, NULL, NULL, NULL, NULL);
    expect_cat(d, n, fx.data_hxz, "--stream", "main", NULL, NULL);
    expect_cat(d + 1000, 5000, fx.data_hxz, "--offset", "1000", "--length", "5000");
    expect_cat(d + (1 << 20), 1 << 20, fx.data_hxz, "--offset=1M", "--length=1M", NULL, NULL);
    expect_cat(d + n - 100, 100, fx.data_hxz, "--offset", num(b1, n - 100), "--length=1G", NULL);
    expect_cat(d + 300000, n - 300000, fx.data_hxz, "--offset", "300000", NULL, NULL);
    expect_cat(d, 0, fx.data_hxz, "--offset", num(b1, n), NULL, NULL);
    expect_cat(d, 0, fx.data_hxz, "--length", "0", NULL, NULL);
    char *want = tu_strf(
        "hexz cat: %s: --offset %zu is past the end of stream 'main' (%zu bytes)\n", fx.data_hxz,
        n + 1, n);
    free(EXPECT(1, want, "cat", fx.data_hxz, "--offset", num(b2, n + 1)));
    free(want);
    want = tu_strf("hexz cat: %s: no stream named 'memory'\n", fx.data_hxz);
    free(EXPECT(1, want, "cat", fx.data_hxz, "--stream", "memory"));
    free(want);
}

static void test_cat_file(void **state)
{
    (void)state;
    expect_cat("hello, world\n", 13, fx.tree_hxz, "a/hello.txt", NULL, NULL, NULL);
    expect_cat("world", 5, fx.tree_hxz, "a/hello.txt", "--offset", "7", "--length=5");
    expect_cat("", 0, fx.tree_hxz, "empty.txt", NULL, NULL, NULL);
    expect_cat("unicode\n", 8, fx.tree_hxz, UNICODE_NAME, NULL, NULL, NULL);
    expect_cat(fx.dup_buf, fx.dup_len, fx.tree_hxz, "a/b/c/dup2.bin", NULL, NULL, NULL);
    expect_cat(fx.dup_buf + 70000, 100000, fx.tree_hxz, "./a/b/dup1.bin", "--offset=70000",
               "--length=100000", NULL);
    char *want = tu_strf("hexz cat: %s: a/b: is a directory\n", fx.tree_hxz);
    free(EXPECT(1, want, "cat", fx.tree_hxz, "a/b"));
    free(want);
    want = tu_strf("hexz cat: %s: link: is a symbolic link\n", fx.tree_hxz);
    free(EXPECT(1, want, "cat", fx.tree_hxz, "link"));
    free(want);
    want = tu_strf("hexz cat: %s: --offset 14 is past the end of a/hello.txt (13 bytes)\n",
                   fx.tree_hxz);
    free(EXPECT(1, want, "cat", fx.tree_hxz, "a/hello.txt", "--offset=14"));
    free(want);
}

static void test_cat_closed_pipe(void **state)
{
    (void)state;
    const char *argv[] = {
        "/bin/bash",   "-c",        "set -o pipefail; \"$0\" cat \"$1\" | head -c 10 >/dev/null",
        HEXZ_CLI_PATH, fx.data_hxz, NULL};
    char *err = NULL;
    assert_int_equal(tu_run(NULL, &err, argv), 0);
    assert_string_equal(err, "");
    free(err);
}

/* ---- ls ------------------------------------------------------------------------------------- */

static void test_ls(void **state)
{
    (void)state;
    char *out = EXPECT(0, "", "ls", fx.tree_hxz);
    assert_string_equal(out, "a\na/b\na/b/c\na/b/c/dup2.bin\na/b/dup1.bin\na/hello.txt\ndangling\n"
                             "empty.txt\nlink\nrun.sh\n" UNICODE_NAME "\n");
    free(out);
    out = EXPECT(0, "", "ls", "-l", fx.tree_hxz);
    static const char *const lines[] = {"\nd 0750            0 " MTIME_ISO " a/b\n",
                                        "\n- 0644           13 " MTIME_ISO " a/hello.txt\n",
                                        "\n- 0600       200000 " MTIME_ISO " a/b/c/dup2.bin\n",
                                        "\n- 0755           18 " MTIME_ISO " run.sh\n",
                                        "           11 " MTIME_ISO " link -> a/hello.txt\n",
                                        "           14 " MTIME_ISO " dangling -> does/not/exist\n",
                                        "\nl 0"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (!strstr(out, lines[i])) fprintf(stderr, "missing '%s' in:\n%s", lines[i], out);
        assert_non_null(strstr(out, lines[i]));
    }
    free(out);
    out = EXPECT(0, "", "ls", fx.data_hxz);
    char *want = tu_strf("main %zu\n", fx.data_len);
    assert_string_equal(out, want);
    free(want);
    free(out);
}

static void test_ls_json(void **state)
{
    (void)state;
    char *out = EXPECT(0, "", "ls", "--json", fx.tree_hxz);
    tu_check_json(
        fx.dir, out,
        "len(d['entries']) == 11 and d['entries'][5]['path'] == 'a/hello.txt'"
        " and d['entries'][5]['size'] == 13 and d['entries'][5]['mode'] == '0644'"
        " and d['entries'][8]['target'] == 'a/hello.txt'"
        " and d['entries'][8]['type'] == 'symlink'"
        " and d['entries'][10]['path'] == '\\u00fcn\\u00efc\\u00f8d\\u00e9 \\u540d\\u524d.txt'"
        " and d['entries'][0]['mtime'] == '" MTIME_ISO "'");
    free(out);
    out = EXPECT(0, "", "ls", "--json", fx.data_hxz);
    char *expr = tu_strf("d['streams'][0]['name'] == 'main' and d['streams'][0]['size'] == %zu",
                         fx.data_len);
    tu_check_json(fx.dir, out, expr);
    free(expr);
    free(out);
}

/* ---- inspect -------------------------------------------------------------------------------- */

static void test_inspect_human(void **state)
{
    (void)state;
    char b[32];
    char *out = EXPECT(0, "", "inspect", fx.data_hxz);
    char *want_arch = tu_strf("%s\n", fx.data_hxz);
    char *logical = tu_strf("%zu (2.8 MiB)\n", fx.data_len);
    const char *lines[][2] = {{"archive", want_arch},
                              {"format", FORMAT_VERSION "\n"},
                              {"chunking", "cdc, min 16384, avg 65536, max 262144\n"},
                              {"codec", "lz4, default level\n"},
                              {"streams", "1\n"},
                              {"logical bytes", logical},
                              {"files", "0\n"},
                              {"dirs", "0\n"},
                              {"ratio", ""},
                              {"dedup", ""},
                              {"holes", ""},
                              {"root hash", ""},
                              {"archive id", ""},
                              {"unique blocks", ""},
                              {"stored by codec", "none "},
                              {"index bytes", ""},
                              {"manifest bytes", ""},
                              {"stored bytes", ""},
                              {"file size", ""}};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char *line = inspect_line(lines[i][0], lines[i][1]);
        if (!strstr(out, line)) fprintf(stderr, "missing '%s' in:\n%s", line, out);
        assert_non_null(strstr(out, line));
        free(line);
    }
    char *stream = tu_strf("\n  main            %s bytes, ", num(b, fx.data_len));
    assert_non_null(strstr(out, stream));
    assert_non_null(strstr(out, "\nchunk sizes\n  "));
    free(stream);
    free(logical);
    free(want_arch);
    free(out);
    out = EXPECT(0, "", "inspect", fx.tree_hxz);
    assert_non_null(strstr(out, "\nfiles             6\n"));
    assert_non_null(strstr(out, "\ndirs              3\n"));
    assert_non_null(strstr(out, "\nsymlinks          2\n"));
    free(out);
}

static void test_inspect_json(void **state)
{
    (void)state;
    char *out = EXPECT(0, "", "inspect", "--json", fx.data_hxz);
    char *expr = tu_strf(
        "d['format_version'] == '" FORMAT_VERSION
        "' and len(d['archive_id']) == 32 and len(d['root_hash']) == 64"
        " and d['logical_bytes'] == %zu and d['streams'][0]['size'] == %zu"
        " and d['blocks'] == sum(s['blocks'] for s in d['streams']) > 0"
        " and d['chunking'] == 'cdc' and d['codec'] == 'lz4'"
        " and d['dedup_blocks'] > 0 and d['hole_bytes'] > 0"
        " and d['unique_blocks'] + d['dedup_blocks'] + d['hole_blocks'] == d['blocks']"
        " and sum(b['count'] for b in d['chunk_sizes']) + d['hole_blocks'] == d['blocks']"
        " and d['codec_blocks']['none'] + d['codec_blocks']['lz4'] + d['codec_blocks']['zstd']"
        " == d['unique_blocks'] and d['files'] == 0 and abs(d['ratio'] - %zu / d['file_size']) < "
        "1e-3",
        fx.data_len, fx.data_len, fx.data_len);
    tu_check_json(fx.dir, out, expr);
    free(expr);
    free(out);
    out = EXPECT(0, "", "inspect", "--json", fx.tree_hxz);
    tu_check_json(fx.dir, out,
                  "d['files'] == 6 and d['dirs'] == 3 and d['symlinks'] == 2"
                  " and d['manifest_bytes'] > 0 and d['dedup_bytes'] >= 200000");
    free(out);
}

/* ---- verify --------------------------------------------------------------------------------- */

static void test_verify(void **state)
{
    (void)state;
    char *json = EXPECT(0, "", "inspect", "--json", fx.data_hxz);
    char *file = tu_path(fx.dir, "blocks.txt");
    tu_write_file(file, json, strlen(json));
    const char *py[] = {"/usr/bin/env",
                        "python3",
                        "-c",
                        "import json,sys; d=json.load(open(sys.argv[1])); "
                        "print(d['blocks'], d['logical_bytes'], end='')",
                        file,
                        NULL};
    char *figures = NULL;
    assert_int_equal(tu_run(&figures, NULL, py), 0);
    unsigned long long blocks = 0, bytes = 0;
    assert_int_equal(sscanf(figures, "%llu %llu", &blocks, &bytes), 2);
    char *want = tu_strf("%s: OK (%llu blocks, %llu bytes verified)\n", fx.data_hxz, blocks, bytes);
    char *out = EXPECT(0, "", "verify", fx.data_hxz);
    assert_string_equal(out, want);
    free(out);
    out = EXPECT(0, "", "verify", fx.data_hxz, fx.tree_hxz);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    assert_non_null(strstr(out + strlen(want), ": OK ("));
    free(out);
    free(want);
    free(figures);
    free(file);
    free(json);
}

static void test_verify_damaged(void **state)
{
    (void)state;
    char *bad = tu_path(fx.dir, "damaged.hxz");
    tu_copy_file(fx.data_hxz, bad);
    tu_flip_byte(bad, (uint64_t)tu_file_size(bad) / 3);
    char *out = NULL, *err = NULL;
    int rc = tu_hexz(&out, &err, "verify", bad, NULL);
    assert_int_equal(rc, 1);
    assert_string_equal(out, "");
    char *prefix = tu_strf("hexz verify: %s", bad);
    assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
    assert_non_null(strchr(err, '\n'));
    assert_string_equal(strchr(err, '\n'), "\n"); /* exactly one line */
    free(out);
    free(err);
    free(prefix);
    free(bad);
}

/* ---- failures ------------------------------------------------------------------------------- */

static void test_failures(void **state)
{
    (void)state;
    char *missing = tu_path(fx.dir, "no-such-input");
    char *hxz = tu_path(fx.dir, "never.hxz");
    char *want = tu_strf("hexz pack: %s: No such file or directory\n", missing);
    free(EXPECT(1, want, "pack", missing, "-o", hxz));
    assert_int_equal(tu_file_size(hxz), -1);
    free(want);

    const char *verbs[] = {"ls", "inspect", "verify", "cat"};
    for (int i = 0; i < 4; i++) {
        want = tu_strf("hexz %s: %s: No such file or directory\n", verbs[i], missing);
        char *out = EXPECT(1, want, verbs[i], missing);
        assert_string_equal(out, "");
        free(out);
        free(want);
    }
    want = tu_strf("hexz extract: %s: No such file or directory\n", missing);
    free(EXPECT(1, want, "extract", missing, "-o", hxz));
    free(want);

    /* Files that are not archives: a large one and one shorter than a header. */
    char *hello = tu_path(fx.tree, "a/hello.txt");
    want = tu_strf("hexz inspect: %s: not a hexz archive (bad magic)\n", fx.data);
    free(EXPECT(1, want, "inspect", fx.data));
    free(want);
    want = tu_strf("hexz verify: %s: not a hexz archive (too short)\n", hello);
    free(EXPECT(1, want, "verify", hello));
    free(want);
    free(hello);
    free(missing);
    free(hxz);
}

static void test_cat_missing_path(void **state)
{
    (void)state;
    char *want = tu_strf("hexz cat: %s: a/nope.txt: not in the archive\n", fx.tree_hxz);
    char *out = EXPECT(1, want, "cat", fx.tree_hxz, "a/nope.txt");
    assert_string_equal(out, "");
    free(out);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_top_level),
        cmocka_unit_test(test_usage_pack),
        cmocka_unit_test(test_usage_other_verbs),
        cmocka_unit_test(test_pack_file_options),
        cmocka_unit_test(test_pack_quiet_and_force),
        cmocka_unit_test(test_pack_empty_file),
        cmocka_unit_test(test_extract_tree),
        cmocka_unit_test(test_cat_stream),
        cmocka_unit_test(test_cat_file),
        cmocka_unit_test(test_cat_closed_pipe),
        cmocka_unit_test(test_ls),
        cmocka_unit_test(test_ls_json),
        cmocka_unit_test(test_inspect_human),
        cmocka_unit_test(test_inspect_json),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_verify_damaged),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_cat_missing_path),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
