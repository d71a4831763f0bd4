/*
 * test_cli_thin.c - end-to-end tests of thin archives and the verbs around them on the hexz
 * command line: pack --base (size, round trip, verify, inspect's chain and level bytes, the
 * chunking taken from the base unless given), a missing base and --base-dir / $HEXZ_BASE_DIR,
 * chains of three, flatten, diff (text and JSON), predict (text and JSON), and the other new
 * pack options: standard input (from a file and from a pipe), --add-stream, the warning for a
 * fifo in a tree, --dict with zstd (smaller, exact) and its usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hexz.h"
#include "testutil.h"

#define RANDOM_HEAD (5u << 20) /* v1: random bytes, then zeros, then random bytes again */
#define ZERO_RUN (1u << 20)
#define RANDOM_TAIL (2u << 20)
#define EDIT_AT 100000
#define INSERT_LEN 9000
#define DICT_FILES 300

typedef struct {
    char *dir;
    char *v1, *v2, *v3;             /* the image files: v2 edits and extends v1, v3 edits v2 */
    char *v1_hxz, *v2_hxz, *v3_hxz; /* v1 full, v2 thin on v1, v3 thin on v2 */
    char *v2_full;                  /* v2 packed without a base */
    char *away;                     /* a directory to move bases to */
    uint8_t *v1_buf, *v2_buf, *v3_buf;
    size_t v1_len, v2_len, v3_len;
    uint64_t seed;
} fixture;

static fixture fx;

/* ---- helpers -------------------------------------------------------------------------------- */

#define EXPECT(code, err, ...) tu_hexz_expect(code, err, __VA_ARGS__, (const char *)NULL)

/* The usage error text: the message, then the verb's synopsis. */
static char *usage(const char *verb, const char *synopsis, const char *msg)
{
    return tu_strf("hexz %s: %s\nusage: %s (see 'hexz %s --help')\n", verb, msg, synopsis, verb);
}

#define PACK_SYNOPSIS "hexz pack INPUT -o OUTPUT [OPTIONS]"

/* 'hexz cat ARGS...' into a file (binary), compared with want[0..len); nothing on stderr. */
static void expect_cat(const void *want, size_t len, const char *a1, const char *a2, const char *a3,
                       const char *a4)
{
    char *file = tu_path(fx.dir, "cat.out");
    char *cmd = tu_strf("exec \"$0\" cat \"$@\" > '%s'", file);
    const char *argv[] = {"/bin/sh", "-c", cmd, HEXZ_CLI_PATH, a1, a2, a3, a4, NULL};
    char *err = NULL;
    int rc = tu_run(NULL, &err, argv);
    if (rc != 0) fprintf(stderr, "cat: %s", err);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
    tu_assert_file_content(file, want, len);
    free(err);
    free(cmd);
    free(file);
}

/* One figure of a JSON document: python3 prints d[...] for the subscript `expr`. */
static unsigned long long json_number(const char *text, const char *expr)
{
    char *file = tu_path(fx.dir, "num.json");
    tu_write_file(file, text, strlen(text));
    char *code = tu_strf("import json,sys\nd=json.load(open(sys.argv[1]))\nprint(d%s)\n", expr);
    const char *argv[] = {"/usr/bin/env", "python3", "-c", code, file, NULL};
    char *out = NULL;
    assert_int_equal(tu_run(&out, NULL, argv), 0);
    unsigned long long v = strtoull(out, NULL, 10);
    free(out);
    free(code);
    free(file);
    return v;
}

static void write_text(const char *path, const char *text)
{
    tu_write_file(path, text, strlen(text));
}

static void move(const char *from, const char *to)
{
    assert_int_equal(rename(from, to), 0);
}

/* Runs the CLI with stdin from the file `in` (or, if `pipe_data` is not NULL, from a pipe the
 * test writes those bytes into), stderr captured. Returns the exit status. */
static int run_with_stdin(const char *in, const uint8_t *pipe_data, size_t pipe_len,
                          const char *const argv[], char **err_out)
{
    char *err_path = tu_path(fx.dir, "stdin-run.err");
    int fds[2] = {-1, -1};
    if (pipe_data) assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = pipe_data ? fds[0] : open(in, O_RDONLY);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int out = open("/dev/null", O_WRONLY);
        if (fd < 0 || err < 0 || out < 0) _exit(126);
        if (pipe_data) close(fds[1]);
        dup2(fd, 0);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (pipe_data) {
        close(fds[0]);
        for (size_t done = 0; done < pipe_len;) {
            ssize_t n = write(fds[1], pipe_data + done, pipe_len - done);
            if (n < 0 && errno == EINTR) continue;
            assert_true(n > 0);
            done += (size_t)n;
        }
        close(fds[1]);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
    size_t n;
    *err_out = (char *)tu_read_file(err_path, &n);
    (*err_out)[n] = '\0';
    free(err_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- setup ---------------------------------------------------------------------------------- */

/* v1: random, a run of zeros, random. v2: ten bytes of v1 changed, and INSERT_LEN bytes put in
 * the middle. v3: v2 with a few more bytes changed near its end. */
static void generate_images(void)
{
    tu_rng rng;
    tu_rng_seed(&rng, fx.seed);
    fx.v1_len = RANDOM_HEAD + ZERO_RUN + RANDOM_TAIL;
    fx.v1_buf = calloc(1, fx.v1_len);
    assert_non_null(fx.v1_buf);
    tu_rng_fill(&rng, fx.v1_buf, RANDOM_HEAD);
    tu_rng_fill(&rng, fx.v1_buf + RANDOM_HEAD + ZERO_RUN, RANDOM_TAIL);
    fx.v2_len = fx.v1_len + INSERT_LEN;
    fx.v2_buf = malloc(fx.v2_len);
    assert_non_null(fx.v2_buf);
    size_t mid = fx.v1_len / 2;
    memcpy(fx.v2_buf, fx.v1_buf, mid);
    memset(fx.v2_buf + EDIT_AT, 'X', 10);
    tu_rng_fill(&rng, fx.v2_buf + mid, INSERT_LEN);
    memcpy(fx.v2_buf + mid + INSERT_LEN, fx.v1_buf + mid, fx.v1_len - mid);
    fx.v3_len = fx.v2_len;
    fx.v3_buf = malloc(fx.v3_len);
    assert_non_null(fx.v3_buf);
    memcpy(fx.v3_buf, fx.v2_buf, fx.v3_len);
    memcpy(fx.v3_buf + fx.v3_len - 300000, "version three", 13);
    tu_write_file(fx.v1, fx.v1_buf, fx.v1_len);
    tu_write_file(fx.v2, fx.v2_buf, fx.v2_len);
    tu_write_file(fx.v3, fx.v3_buf, fx.v3_len);
}

static int group_setup(void **state)
{
    (void)state;
    unsetenv("HEXZ_BASE_DIR");
    unsetenv("HEXZ_PASSWORD");
    fx.seed = tu_test_seed();
    fx.dir = tu_mkdtemp("cli-thin");
    fx.v1 = tu_path(fx.dir, "v1.img");
    fx.v2 = tu_path(fx.dir, "v2.img");
    fx.v3 = tu_path(fx.dir, "v3.img");
    fx.v1_hxz = tu_path(fx.dir, "v1.hxz");
    fx.v2_hxz = tu_path(fx.dir, "v2.hxz");
    fx.v3_hxz = tu_path(fx.dir, "v3.hxz");
    fx.v2_full = tu_path(fx.dir, "v2-full.hxz");
    fx.away = tu_path(fx.dir, "away");
    assert_int_equal(mkdir(fx.away, 0755), 0);
    generate_images();
    free(EXPECT(0, "", "pack", fx.v1, "-o", fx.v1_hxz, "-q"));
    free(EXPECT(0, "", "pack", fx.v2, "-o", fx.v2_full, "-q"));
    free(EXPECT(0, "", "pack", fx.v2, "-o", fx.v2_hxz, "-q", "--base", fx.v1_hxz));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tu_rmtree(fx.dir);
    char *strings[] = {fx.dir,    fx.v1,     fx.v2,      fx.v3,  fx.v1_hxz,
                       fx.v2_hxz, fx.v3_hxz, fx.v2_full, fx.away};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) free(strings[i]);
    free(fx.v1_buf);
    free(fx.v2_buf);
    free(fx.v3_buf);
    return 0;
}

/* ---- thin archives -------------------------------------------------------------------------- */

static void test_thin_size_and_round_trip(void **state)
{
    (void)state;
    long long thin = tu_file_size(fx.v2_hxz), full = tu_file_size(fx.v2_full);
    fprintf(stderr, "thin %lld bytes, full %lld bytes\n", thin, full);
    assert_true(thin > 0 && full > 0);
    assert_true(thin * 100 < full * 15);
    expect_cat(fx.v2_buf, fx.v2_len, fx.v2_hxz, NULL, NULL, NULL);
    expect_cat(fx.v2_buf + EDIT_AT - 5, 1000, fx.v2_hxz, "--offset=99995", "--length=1000", NULL);
    char *out = EXPECT(0, "", "verify", fx.v2_hxz);
    char *want = tu_strf("%s: OK (", fx.v2_hxz);
    assert_true(strncmp(out, want, strlen(want)) == 0);
    free(want);
    free(out);
}

static void test_thin_summary_line(void **state)
{
    (void)state;
    char *hxz = tu_path(fx.dir, "summary.hxz");
    char *err = NULL;
    assert_int_equal(tu_hexz(NULL, &err, "pack", fx.v2, "-o", hxz, "--base", fx.v1_hxz, NULL), 0);
    char *prefix = tu_strf("packed %s -> %s: %zu bytes in, %lld bytes out (ratio ", fx.v2, hxz,
                           fx.v2_len, tu_file_size(hxz));
    assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
    tu_assert_contains(err, " bytes, the base holds ");
    assert_true(strcmp(err + strlen(err) - 3, " s\n") == 0);
    free(prefix);
    free(err);
    free(hxz);
}

static void test_thin_inspect(void **state)
{
    (void)state;
    char *out = EXPECT(0, "", "inspect", fx.v2_hxz);
    tu_assert_contains(out, "\nchain             1 base below this archive\n");
    char *level1 = tu_strf("\n  level 1         %s, id ", fx.v1_hxz);
    tu_assert_contains(out, level1);
    char *size = tu_strf(", %lld bytes\n", tu_file_size(fx.v1_hxz));
    tu_assert_contains(out, size);
    tu_assert_contains(out, "\nbase references   ");
    tu_assert_contains(out, "\nbytes by level\n  level 0         ");
    tu_assert_contains(out, " (this archive)\n  level 1         ");
    free(size);
    free(level1);
    free(out);

    out = EXPECT(0, "", "inspect", "--json", fx.v2_hxz);
    char *expr = tu_strf(
        "d['chain_length'] == 1 and len(d['chain']) == 1 and d['chain'][0]['level'] == 1"
        " and d['chain'][0]['path'] == '%s' and len(d['chain'][0]['archive_id']) == 32"
        " and d['chain'][0]['file_size'] == %lld and len(d['level_bytes']) == 2"
        " and d['level_bytes'][1] == d['base_bytes'] == d['chain'][0]['bytes_served']"
        " and d['base_bytes'] > 0.8 * %u and d['base_blocks'] > 0"
        " and sum(d['level_bytes']) == d['logical_bytes'] - d['hole_bytes']",
        fx.v1_hxz, tu_file_size(fx.v1_hxz), RANDOM_HEAD + RANDOM_TAIL);
    tu_check_json(fx.dir, out, expr);
    free(expr);
    free(out);

    out = EXPECT(0, "", "inspect", fx.v1_hxz);
    tu_assert_contains(out, "\nchain             none (self-contained)\n");
    assert_null(strstr(out, "bytes by level"));
    free(out);
    out = EXPECT(0, "", "inspect", "--json", fx.v1_hxz);
    tu_check_json(fx.dir, out,
                  "d['chain_length'] == 0 and d['chain'] == [] and len(d['level_bytes']) == 1");
    free(out);
}

/* The base's id in hex, from 'hexz inspect --json'. */
static char *archive_id(const char *hxz)
{
    char *out = EXPECT(0, "", "inspect", "--json", hxz);
    const char *p = strstr(out, "\"archive_id\": \"");
    assert_non_null(p);
    char *id = tu_strf("%.32s", p + strlen("\"archive_id\": \""));
    free(out);
    return id;
}

static void test_missing_base_and_base_dir(void **state)
{
    (void)state;
    char *moved = tu_path(fx.away, "v1.hxz");
    char *id = archive_id(fx.v1_hxz);
    move(fx.v1_hxz, moved);
    char *want = tu_strf("hexz cat: %s: base archive v1.hxz (id %s) not found (use --base-dir DIR "
                         "or set HEXZ_BASE_DIR)\n",
                         fx.v2_hxz, id);
    char *out = EXPECT(1, want, "cat", fx.v2_hxz);
    assert_string_equal(out, "");
    free(out);
    free(want);
    const char *verbs[] = {"ls", "inspect", "verify"};
    for (int i = 0; i < 3; i++) {
        char *err = NULL;
        assert_int_equal(tu_hexz(NULL, &err, verbs[i], fx.v2_hxz, NULL), 1);
        char *prefix = tu_strf("hexz %s: %s: base archive v1.hxz", verbs[i], fx.v2_hxz);
        assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
        tu_assert_contains(err, " not found");
        assert_string_equal(strchr(err, '\n'), "\n");
        free(prefix);
        free(err);
    }
    /* Elsewhere: the message names the directory too. */
    want = tu_strf("hexz cat: %s: base archive v1.hxz (id %s) not found (nor in %s)\n", fx.v2_hxz,
                   id, fx.dir);
    free(EXPECT(1, want, "cat", fx.v2_hxz, "--base-dir", fx.dir));
    free(want);

    expect_cat(fx.v2_buf, fx.v2_len, fx.v2_hxz, "--base-dir", fx.away, NULL);
    out = EXPECT(0, "", "verify", "--base-dir", fx.away, fx.v2_hxz);
    tu_assert_contains(out, ": OK (");
    free(out);
    out = EXPECT(0, "", "inspect", fx.v2_hxz, "--base-dir", fx.away);
    char *level1 = tu_strf("\n  level 1         %s, id %s, ", moved, id);
    tu_assert_contains(out, level1);
    free(level1);
    free(out);
    free(EXPECT(0, "", "ls", fx.v2_hxz, "--base-dir", fx.away));
    char *dest = tu_path(fx.dir, "extracted.img");
    free(EXPECT(0, "", "extract", fx.v2_hxz, "-o", dest, "--base-dir", fx.away));
    tu_assert_file_content(dest, fx.v2_buf, fx.v2_len);
    unlink(dest);

    setenv("HEXZ_BASE_DIR", fx.away, 1);
    expect_cat(fx.v2_buf, fx.v2_len, fx.v2_hxz, NULL, NULL, NULL);
    unsetenv("HEXZ_BASE_DIR");

    move(moved, fx.v1_hxz);
    free(dest);
    free(id);
    free(moved);
}

static void test_flatten(void **state)
{
    (void)state;
    char *flat = tu_path(fx.dir, "flat.hxz"), *moved = tu_path(fx.away, "v1.hxz");
    char *err = NULL;
    assert_int_equal(tu_hexz(NULL, &err, "flatten", fx.v2_hxz, "-o", flat, NULL), 0);
    char *prefix = tu_strf("flattened %s -> %s: %zu bytes, %lld bytes out (ratio ", fx.v2_hxz, flat,
                           fx.v2_len, tu_file_size(flat));
    assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
    free(prefix);
    free(err);
    move(fx.v1_hxz, moved);
    expect_cat(fx.v2_buf, fx.v2_len, flat, NULL, NULL, NULL);
    char *out = EXPECT(0, "", "inspect", flat);
    tu_assert_contains(out, "\nchain             none (self-contained)\n");
    free(out);
    free(EXPECT(0, "", "verify", flat));

    char *want = tu_strf("hexz flatten: %s: already exists (use --force to overwrite)\n", flat);
    free(EXPECT(1, want, "flatten", fx.v2_hxz, "-o", flat));
    free(want);
    /* The source's base is elsewhere: --base-dir finds it; zstd this time. */
    free(EXPECT(0, "", "flatten", fx.v2_hxz, "-o", flat, "--force", "-q", "--base-dir", fx.away,
                "--compression", "zstd", "--level", "5", "-j", "2"));
    out = EXPECT(0, "", "inspect", "--json", flat);
    tu_check_json(fx.dir, out,
                  "d['chain_length'] == 0 and d['codec'] == 'zstd' and d['level'] == 5");
    free(out);
    expect_cat(fx.v2_buf, fx.v2_len, flat, NULL, NULL, NULL);
    move(moved, fx.v1_hxz);

    const char *syn = "hexz flatten ARCHIVE -o OUTPUT [--base-dir DIR] [--compression C] "
                      "[--level N] [OPTIONS]";
    want = usage("flatten", syn, "missing -o OUTPUT");
    free(EXPECT(2, want, "flatten", fx.v2_hxz));
    free(want);
    want = usage("flatten", syn, "--level does not apply to --compression none");
    free(EXPECT(2, want, "flatten", fx.v2_hxz, "-o", flat, "--compression=none", "--level=3"));
    free(want);
    free(flat);
    free(moved);
}

static void test_chain_of_three(void **state)
{
    (void)state;
    free(EXPECT(0, "", "pack", fx.v3, "-o", fx.v3_hxz, "-q", "--base", fx.v2_hxz));
    expect_cat(fx.v3_buf, fx.v3_len, fx.v3_hxz, NULL, NULL, NULL);
    char *out = EXPECT(0, "", "verify", fx.v3_hxz);
    tu_assert_contains(out, ": OK (");
    free(out);
    out = EXPECT(0, "", "inspect", fx.v3_hxz);
    tu_assert_contains(out, "\nchain             2 bases below this archive\n");
    char *l1 = tu_strf("\n  level 1         %s, id ", fx.v2_hxz);
    char *l2 = tu_strf("\n  level 2         %s, id ", fx.v1_hxz);
    tu_assert_contains(out, l1);
    tu_assert_contains(out, l2);
    tu_assert_contains(out, " (this archive)\n  level 1         ");
    free(l1);
    free(l2);
    free(out);
    out = EXPECT(0, "", "inspect", "--json", fx.v3_hxz);
    tu_check_json(fx.dir, out,
                  "d['chain_length'] == 2 and [b['level'] for b in d['chain']] == [1, 2]"
                  " and len(d['level_bytes']) == 3 and d['level_bytes'][2] > d['level_bytes'][0]"
                  " and d['base_bytes'] == d['level_bytes'][1] + d['level_bytes'][2]");
    free(out);
    /* Both bases moved away: --base-dir finds the whole chain. */
    char *m1 = tu_path(fx.away, "v1.hxz"), *m2 = tu_path(fx.away, "v2.hxz");
    move(fx.v1_hxz, m1);
    move(fx.v2_hxz, m2);
    char *err = NULL;
    assert_int_equal(tu_hexz(NULL, &err, "cat", fx.v3_hxz, NULL), 1);
    tu_assert_contains(err, "v2.hxz");
    tu_assert_contains(err, "not found");
    free(err);
    expect_cat(fx.v3_buf, fx.v3_len, fx.v3_hxz, "--base-dir", fx.away, NULL);
    move(m1, fx.v1_hxz);
    move(m2, fx.v2_hxz);
    free(m1);
    free(m2);
}

/* With --base the chunking follows the base; explicit chunking options still win. */
static void test_base_chunking(void **state)
{
    (void)state;
    char *fixed = tu_path(fx.dir, "fixed.hxz"), *thin = tu_path(fx.dir, "thin-fixed.hxz");
    free(EXPECT(0, "", "pack", fx.v1, "-o", fixed, "-q", "--block-size", "16K"));
    free(EXPECT(0, "", "pack", fx.v2, "-o", thin, "-q", "--base", fixed));
    char *out = EXPECT(0, "", "inspect", "--json", thin);
    tu_check_json(fx.dir, out,
                  "d['chunking'] == 'fixed' and d['block_size'] == 16384"
                  " and d['chain_length'] == 1");
    free(out);
    free(EXPECT(0, "", "pack", fx.v2, "-o", thin, "-q", "-f", "--base", fixed, "--avg", "32K"));
    out = EXPECT(0, "", "inspect", "--json", thin);
    tu_check_json(fx.dir, out, "d['chunking'] == 'cdc' and d['avg_size'] == 32768");
    free(out);
    free(EXPECT(0, "", "pack", fx.v2, "-o", thin, "-q", "-f", "--base", fixed, "--block-size",
                "8K"));
    out = EXPECT(0, "", "inspect", "--json", thin);
    tu_check_json(fx.dir, out, "d['chunking'] == 'fixed' and d['block_size'] == 8192");
    free(out);
    expect_cat(fx.v2_buf, fx.v2_len, thin, NULL, NULL, NULL);

    char *missing = tu_path(fx.dir, "no-such.hxz");
    char *want = tu_strf("hexz pack: %s: No such file or directory\n", missing);
    free(EXPECT(1, want, "pack", fx.v2, "-o", thin, "-f", "--base", missing));
    free(want);
    want = usage("pack", PACK_SYNOPSIS, "--base cannot be combined with --encrypt");
    free(EXPECT(2, want, "pack", fx.v2, "-o", thin, "-f", "--base", fixed, "--encrypt"));
    free(want);
    free(missing);
    free(fixed);
    free(thin);
}

/* ---- diff ----------------------------------------------------------------------------------- */

static void test_diff(void **state)
{
    (void)state;
    char *json = EXPECT(0, "", "diff", "--json", fx.v1_hxz, fx.v2_hxz);
    char *expr = tu_strf("d['a'] == '%s' and d['b'] == '%s'"
                         " and d['total']['shared_bytes'] > 0.8 * %u"
                         " and d['total']['only_b_bytes'] < 0.15 * %u"
                         " and d['total']['only_b_bytes'] >= %u"
                         " and d['total']['shared_blocks'] > 0 and d['total']['only_b_blocks'] > 0"
                         " and d['streams'][0]['name'] == 'main' and 'files' not in d",
                         fx.v1_hxz, fx.v2_hxz, RANDOM_HEAD + RANDOM_TAIL, RANDOM_HEAD + RANDOM_TAIL,
                         INSERT_LEN);
    tu_check_json(fx.dir, json, expr);
    free(expr);
    unsigned long long shared = json_number(json, "['total']['shared_bytes']");
    unsigned long long shared_blocks = json_number(json, "['total']['shared_blocks']");
    unsigned long long only_b = json_number(json, "['total']['only_b_bytes']");
    free(json);

    char *out = EXPECT(0, "", "diff", fx.v1_hxz, fx.v2_hxz);
    char *head = tu_strf("A           %s\nB           %s\n\n", fx.v1_hxz, fx.v2_hxz);
    assert_true(strncmp(out, head, strlen(head)) == 0);
    char *row = tu_strf("\nshared      %15llu%15llu  (", shared_blocks, shared);
    tu_assert_contains(out, row);
    char *row_b = tu_strf("%15llu  (", only_b);
    tu_assert_contains(out, "\nonly in A   ");
    tu_assert_contains(out, "\nonly in B   ");
    tu_assert_contains(out, row_b);
    assert_null(strstr(out, "  stream\n")); /* one stream each: no stream table by default */
    free(out);
    out = EXPECT(0, "", "diff", "--streams", fx.v1_hxz, fx.v2_hxz);
    tu_assert_contains(out, "         shared      only in A      only in B  stream\n");
    tu_assert_contains(out, "  main\n");
    free(out);
    /* An archive against itself: everything shared. */
    json = EXPECT(0, "", "diff", "--json", fx.v2_hxz, fx.v2_full);
    tu_check_json(fx.dir, json,
                  "d['total']['only_a_bytes'] == 0 and d['total']['only_b_bytes'] == 0"
                  " and d['total']['shared_bytes'] > 0");
    free(json);
    free(row);
    free(row_b);
    free(head);

    char *want = usage("diff", "hexz diff A B [--json] [--files] [--streams] [--base-dir DIR]",
                       "missing B");
    free(EXPECT(2, want, "diff", fx.v1_hxz));
    free(want);
}

static void test_diff_files(void **state)
{
    (void)state;
    char *t1 = tu_path(fx.dir, "dt1"), *t2 = tu_path(fx.dir, "dt2");
    char *h1 = tu_path(fx.dir, "dt1.hxz"), *h2 = tu_path(fx.dir, "dt2.hxz");
    assert_int_equal(mkdir(t1, 0755), 0);
    assert_int_equal(mkdir(t2, 0755), 0);
    const char *names[] = {"same.bin", "gone.bin", "changed.bin", "new.bin"};
    for (int i = 0; i < 4; i++) {
        char *p1 = tu_path(t1, names[i]), *p2 = tu_path(t2, names[i]);
        const uint8_t *src = fx.v1_buf + (size_t)i * 200000;
        if (i < 3) tu_write_file(p1, src, 150000);
        if (i == 0) tu_write_file(p2, src, 150000);
        if (i == 2) tu_write_file(p2, fx.v2_buf + (size_t)i * 200000 + 150000, 150000);
        if (i == 3) tu_write_file(p2, src, 50000);
        free(p1);
        free(p2);
    }
    free(EXPECT(0, "", "pack", t1, "-o", h1, "-q"));
    free(EXPECT(0, "", "pack", t2, "-o", h2, "-q", "--base", h1));
    char *out = EXPECT(0, "", "diff", h1, h2);
    tu_assert_contains(out, "  file\n");
    tu_assert_contains(out, "         150000              0              0  same.bin\n");
    tu_assert_contains(out, "              0         150000              0  gone.bin\n");
    tu_assert_contains(out, "              0              0          50000  new.bin\n");
    tu_assert_contains(out, "  changed.bin\n");
    free(out);
    out = EXPECT(0, "", "diff", "--json", "--files", h1, h2);
    tu_check_json(fx.dir, out,
                  "len(d['files']) == 4 and {f['path'] for f in d['files']} =="
                  " {'same.bin', 'gone.bin', 'changed.bin', 'new.bin'}"
                  " and [f for f in d['files'] if f['path'] == 'gone.bin'][0]['only_a_bytes']"
                  " == 150000");
    free(out);
    tu_rmtree(t1);
    tu_rmtree(t2);
    free(t1);
    free(t2);
    free(h1);
    free(h2);
}

/* ---- predict -------------------------------------------------------------------------------- */

static void test_predict(void **state)
{
    (void)state;
    char *out = EXPECT(0, "", "predict", fx.v1);
    char *input = tu_strf("input             %s\ninput bytes       %zu (8.0 MiB)\n", fx.v1,
                          fx.v1_len);
    assert_true(strncmp(out, input, strlen(input)) == 0);
    tu_assert_contains(out, "\nzero bytes        ");
    tu_assert_contains(out, "\nunique (fixed)    ");
    tu_assert_contains(out, "\nunique (cdc)      ");
    tu_assert_contains(out, "\n  chunking  codec    estimated bytes     ratio\n");
    const char *rows[] = {"\n  fixed     lz4   ", "\n  fixed     zstd  ", "\n  cdc       lz4   ",
                          "\n  cdc       zstd  "};
    for (int i = 0; i < 4; i++) tu_assert_contains(out, rows[i]);
    tu_assert_contains(out, "  <- recommended\n");
    char *rec = tu_strf("\nrecommended: hexz pack %s -o OUT --chunking ", fx.v1);
    tu_assert_contains(out, rec);
    free(rec);
    free(input);
    free(out);

    out = EXPECT(0, "", "predict", "--json", fx.v1, "--avg", "32K", "--level", "9");
    char *expr = tu_strf("d['input_bytes'] == %zu and len(d['predictions']) == 4"
                         " and sum(p['recommended'] for p in d['predictions']) == 1"
                         " and d['predictions'][d['recommended']]['recommended']"
                         " and [(p['chunking'], p['codec']) for p in d['predictions']] =="
                         " [('fixed', 'lz4'), ('fixed', 'zstd'), ('cdc', 'lz4'), ('cdc', 'zstd')]"
                         " and all(p['estimated_bytes'] > 0 for p in d['predictions'])"
                         " and d['zero_bytes'] <= %u and d['unique_bytes_cdc'] >= %u"
                         " and d['command'].startswith('hexz pack %s -o OUT --chunking ')",
                         fx.v1_len, ZERO_RUN, RANDOM_HEAD + RANDOM_TAIL, fx.v1);
    tu_check_json(fx.dir, out, expr);
    free(expr);
    free(out);

    const char *syn = "hexz predict INPUT [--json] [--block-size N] [--min N] [--avg N] "
                      "[--max N] [--level N]";
    char *want = usage("predict", syn, "--avg: 60000 is not a power of two");
    free(EXPECT(2, want, "predict", fx.v1, "--avg", "60000"));
    free(want);
    want = usage("predict", syn, "missing INPUT");
    free(EXPECT(2, want, "predict", "--json"));
    free(want);
    want = tu_strf("hexz predict: %s: predict reads a file or a block device\n", fx.away);
    free(EXPECT(1, want, "predict", fx.away));
    free(want);
}

/* ---- pack: standard input, extra streams, warnings, dictionaries ---------------------------- */

static void test_pack_stdin(void **state)
{
    (void)state;
    char *hxz = tu_path(fx.dir, "stdin.hxz");
    const char *argv[] = {HEXZ_CLI_PATH, "pack", "-", "-o", hxz, NULL};
    char *err = NULL;
    assert_int_equal(run_with_stdin(fx.v2, NULL, 0, argv, &err), 0);
    char *prefix = tu_strf("packed standard input -> %s: %zu bytes in, ", hxz, fx.v2_len);
    assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
    free(prefix);
    free(err);
    expect_cat(fx.v2_buf, fx.v2_len, hxz, NULL, NULL, NULL);

    const char *piped[] = {HEXZ_CLI_PATH, "pack", "-",      "-o",      hxz,
                           "-f",          "-q",   "--base", fx.v1_hxz, NULL};
    assert_int_equal(run_with_stdin(NULL, fx.v3_buf, fx.v3_len, piped, &err), 0);
    assert_string_equal(err, "");
    free(err);
    expect_cat(fx.v3_buf, fx.v3_len, hxz, NULL, NULL, NULL);
    char *out = EXPECT(0, "", "inspect", "--json", hxz);
    tu_check_json(fx.dir, out, "d['chain_length'] == 1 and d['base_bytes'] > 0");
    free(out);
    free(hxz);
}

static void test_add_stream(void **state)
{
    (void)state;
    char *hxz = tu_path(fx.dir, "streams.hxz"), *small = tu_path(fx.dir, "small.bin");
    write_text(small, "registers\n");
    char *memory = tu_strf("memory=%s", fx.v2), *regs = tu_strf("regs=%s", small);
    free(EXPECT(0, "", "pack", fx.v1, "-o", hxz, "-q", "--add-stream", memory, "--add-stream",
                regs));
    expect_cat(fx.v2_buf, fx.v2_len, hxz, "--stream", "memory", NULL);
    expect_cat("registers\n", 10, hxz, "--stream", "regs", NULL);
    expect_cat(fx.v1_buf, fx.v1_len, hxz, NULL, NULL, NULL);
    char *out = EXPECT(0, "", "ls", hxz);
    char *want = tu_strf("main %zu\nmemory %zu\nregs 10\n", fx.v1_len, fx.v2_len);
    assert_string_equal(out, want);
    free(want);
    free(out);
    /* Beside a file tree, and from standard input. */
    char *tree = tu_path(fx.dir, "stream-tree"), *f = tu_path(fx.dir, "stream-tree/f.txt");
    assert_int_equal(mkdir(tree, 0755), 0);
    write_text(f, "file\n");
    free(EXPECT(0, "", "pack", tree, "-o", hxz, "-q", "-f", "--add-stream", memory));
    expect_cat(fx.v2_buf, fx.v2_len, hxz, "--stream", "memory", NULL);
    expect_cat("file\n", 5, hxz, "f.txt", NULL, NULL);
    const char *argv[] = {HEXZ_CLI_PATH, "pack",         "-",  "-o", hxz, "-q",
                          "-f",          "--add-stream", regs, NULL};
    char *err = NULL;
    assert_int_equal(run_with_stdin(fx.v1, NULL, 0, argv, &err), 0);
    assert_string_equal(err, "");
    free(err);
    expect_cat("registers\n", 10, hxz, "--stream", "regs", NULL);
    expect_cat(fx.v1_buf, fx.v1_len, hxz, "--stream", "main", NULL);

    want = usage("pack", PACK_SYNOPSIS, "--add-stream: expected NAME=FILE, not 'memory'");
    free(EXPECT(2, want, "pack", fx.v1, "-o", hxz, "-f", "--add-stream", "memory"));
    free(want);
    want = usage("pack", PACK_SYNOPSIS, "--add-stream: 'main' is INPUT's stream; use another name");
    free(EXPECT(2, want, "pack", fx.v1, "-o", hxz, "-f", "--add-stream", "main=x"));
    free(want);
    want = usage("pack", PACK_SYNOPSIS, "--add-stream: stream 'regs' is given twice");
    free(EXPECT(2, want, "pack", fx.v1, "-o", hxz, "-f", "--add-stream", regs, "--add-stream",
                "regs=y"));
    free(want);
    char *missing = tu_path(fx.dir, "no-such-stream");
    char *arg = tu_strf("extra=%s", missing);
    want = tu_strf("hexz pack: %s: No such file or directory\n", missing);
    free(EXPECT(1, want, "pack", fx.v1, "-o", hxz, "-f", "--add-stream", arg));
    free(want);
    free(arg);
    free(missing);
    tu_rmtree(tree);
    free(tree);
    free(f);
    free(memory);
    free(regs);
    free(small);
    free(hxz);
}

static void test_fifo_warning(void **state)
{
    (void)state;
    char *tree = tu_path(fx.dir, "fifo-tree"), *hxz = tu_path(fx.dir, "fifo.hxz");
    assert_int_equal(mkdir(tree, 0755), 0);
    char *file = tu_path(tree, "a.txt"), *fifo = tu_path(tree, "pipe");
    write_text(file, "hello\n");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    char *out = EXPECT(0, "hexz pack: warning: pipe: skipped: a fifo\n", "pack", tree, "-o", hxz,
                       "-q");
    assert_string_equal(out, "");
    free(out);
    out = EXPECT(0, "", "ls", hxz);
    assert_string_equal(out, "a.txt\n");
    free(out);
    /* Without -q the summary line follows the warning. */
    char *err = NULL;
    assert_int_equal(tu_hexz(NULL, &err, "pack", tree, "-o", hxz, "-f", NULL), 0);
    const char *warning = "hexz pack: warning: pipe: skipped: a fifo\npacked ";
    assert_true(strncmp(err, warning, strlen(warning)) == 0);
    free(err);
    tu_rmtree(tree);
    free(file);
    free(fifo);
    free(tree);
    free(hxz);
}

/* A tree of DICT_FILES small files made from one template: what dictionaries are for. */
static char *make_dict_tree(void)
{
    static const char tmpl[] =
        "# service %u configuration\n"
        "[server]\nlisten = 0.0.0.0:%u\nworkers = %u\nlog_level = info\n"
        "log_file = /var/log/service-%u/server.log\nmax_connections = 1024\n"
        "[storage]\nbackend = hexz\npath = /srv/data/volume-%u\ncompression = zstd\n"
        "block_size = 65536\ndedup = true\nverify_on_read = true\n"
        "[network]\ntimeout_seconds = 30\nretries = 5\nkeepalive = true\n"
        "[security]\ntls = required\ncertificate = /etc/service/certs/node-%u.pem\n"
        "# end of the configuration of service %u; generated, do not edit by hand\n";
    char *tree = tu_path(fx.dir, "dict-tree");
    assert_int_equal(mkdir(tree, 0755), 0);
    tu_rng rng;
    tu_rng_seed(&rng, fx.seed + 1);
    for (unsigned i = 0; i < DICT_FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "svc%03u.conf", i);
        char *p = tu_path(tree, name);
        unsigned r = (unsigned)tu_rng_below(&rng, 100000);
        char *text = tu_strf(tmpl, i, 1000 + r % 9000, 1 + r % 64, r, r * 7, r % 977, i);
        write_text(p, text);
        free(text);
        free(p);
    }
    return tree;
}

static void test_dict(void **state)
{
    (void)state;
    char *tree = make_dict_tree();
    char *plain = tu_path(fx.dir, "nodict.hxz"), *dict = tu_path(fx.dir, "dict.hxz");
    free(EXPECT(0, "", "pack", tree, "-o", plain, "-q", "--compression", "zstd"));
    free(EXPECT(0, "", "pack", tree, "-o", dict, "-q", "--compression", "zstd", "--dict",
                "--dict-size", "16K"));
    long long without = tu_file_size(plain), with = tu_file_size(dict);
    fprintf(stderr, "dict: %lld bytes with, %lld without\n", with, without);
    assert_true(with > 0 && with < without);
    for (unsigned i = 0; i < DICT_FILES; i += 37) {
        char name[32];
        snprintf(name, sizeof name, "svc%03u.conf", i);
        char *p = tu_path(tree, name);
        size_t n;
        uint8_t *want = tu_read_file(p, &n);
        expect_cat(want, n, dict, name, NULL, NULL);
        free(want);
        free(p);
    }
    char *dest = tu_path(fx.dir, "dict-out");
    free(EXPECT(0, "", "extract", dict, "-o", dest));
    const char *diff[] = {"/usr/bin/env", "diff", "-r", tree, dest, NULL};
    char *out = NULL;
    assert_int_equal(tu_run(&out, NULL, diff), 0);
    assert_string_equal(out, "");
    free(out);
    free(EXPECT(0, "", "verify", dict));
    /* The default dictionary size works too. */
    free(EXPECT(0, "", "pack", tree, "-o", dict, "-q", "-f", "--compression", "zstd", "--dict"));
    expect_cat("", 0, dict, "svc000.conf", "--length", "0");
    tu_rmtree(dest);
    tu_rmtree(tree);
    free(dest);
    free(tree);
    free(plain);
    free(dict);
}

static void test_dict_usage(void **state)
{
    (void)state;
    char *hxz = tu_path(fx.dir, "never.hxz");
    char *want = usage("pack", PACK_SYNOPSIS, "--dict requires --compression zstd");
    free(EXPECT(2, want, "pack", fx.v1, "-o", hxz, "--dict"));
    free(EXPECT(2, want, "pack", fx.v1, "-o", hxz, "--dict", "--compression", "lz4"));
    free(want);
    want = usage("pack", PACK_SYNOPSIS, "--dict-size applies only with --dict");
    free(EXPECT(2, want, "pack", fx.v1, "-o", hxz, "--compression", "zstd", "--dict-size", "8K"));
    free(want);
    want = usage("pack", PACK_SYNOPSIS, "--dict-size: 100 is out of range (1K to 1M)");
    free(EXPECT(2, want, "pack", fx.v1, "-o", hxz, "--compression", "zstd", "--dict", "--dict-size",
                "100"));
    free(want);
    want = usage("pack", PACK_SYNOPSIS, "--dict cannot train on standard input");
    free(EXPECT(2, want, "pack", "-", "-o", hxz, "--compression", "zstd", "--dict"));
    free(want);
    assert_int_equal(tu_file_size(hxz), -1);
    free(hxz);
}

/* ---- help ----------------------------------------------------------------------------------- */

static void test_help(void **state)
{
    (void)state;
    char *out = EXPECT(0, "", "help");
    const char *verbs[] = {"diff", "flatten", "predict"};
    for (int i = 0; i < 3; i++) {
        char *line = tu_strf("\n  %-9s ", verbs[i]);
        tu_assert_contains(out, line);
        free(line);
        char *prefix = tu_strf("usage: hexz %s ", verbs[i]);
        char *help = EXPECT(0, "", verbs[i], "--help");
        assert_true(strncmp(help, prefix, strlen(prefix)) == 0);
        char *again = EXPECT(0, "", "help", verbs[i]);
        assert_string_equal(help, again);
        free(again);
        free(help);
        free(prefix);
    }
    free(out);
    const char *with_base_dir[] = {"cat",  "extract", "ls",      "inspect", "verify",
                                   "sign", "mount",   "flatten", "diff"};
    for (size_t i = 0; i < sizeof with_base_dir / sizeof with_base_dir[0]; i++) {
        char *help = EXPECT(0, "", with_base_dir[i], "--help");
        tu_assert_contains(help, "--base-dir DIR");
        free(help);
    }
    out = EXPECT(0, "", "pack", "--help");
    const char *options[] = {"--base ARCHIVE",         "--dict ",           "--dict-size N",
                             "--add-stream NAME=FILE", "--skip-unreadable", "INPUT \"-\""};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        tu_assert_contains(out, options[i]);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thin_size_and_round_trip),
        cmocka_unit_test(test_thin_summary_line),
        cmocka_unit_test(test_thin_inspect),
        cmocka_unit_test(test_missing_base_and_base_dir),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_chain_of_three),
        cmocka_unit_test(test_base_chunking),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_diff_files),
        cmocka_unit_test(test_predict),
        cmocka_unit_test(test_pack_stdin),
        cmocka_unit_test(test_add_stream),
        cmocka_unit_test(test_fifo_warning),
        cmocka_unit_test(test_dict),
        cmocka_unit_test(test_dict_usage),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
