/*
 * test_cli_options.c - pins down the CLI's table-driven option parser (cli/opt.c): for each verb,
 * options of each kind (flag, string, size, number, repeatable list, callback) are accepted in
 * their spellings (--x=v, --x v, -x v, -xv, combined short flags, abbreviations, "--" ending the
 * options) and refused with the exact usage error and exit status 2 when wrong.
 *
 * "Accepted" means the parser let the command line through: the verb then fails on the missing
 * archive with status 1, never 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define NOPE "/nonexistent/hexz-options.hxz"

/* Runs the CLI; asserts that parsing accepted the arguments (status 0 or 1, not a usage error). */
#define ACCEPTED(...)                                                                              \
    do {                                                                                           \
        char *err_ = NULL;                                                                         \
        int rc_ = tu_hexz(NULL, &err_, __VA_ARGS__, (const char *)NULL);                           \
        if (rc_ == 2) print_error("%s", err_);                                                     \
        assert_true(rc_ == 0 || rc_ == 1);                                                         \
        free(err_);                                                                                \
    } while (0)

/* Runs the CLI; asserts a usage error (status 2) whose first line is "hexz VERB: MSG". */
#define REFUSED(verb, msg, ...)                                                                    \
    do {                                                                                           \
        char *err_ = NULL;                                                                         \
        int rc_ = tu_hexz(NULL, &err_, verb, __VA_ARGS__, (const char *)NULL);                     \
        char *want_ = tu_strf("hexz %s: %s\n", verb, msg);                                         \
        if (strncmp(err_, want_, strlen(want_)) != 0) print_error("got: %s", err_);                \
        assert_int_equal(rc_, 2);                                                                  \
        assert_true(strncmp(err_, want_, strlen(want_)) == 0);                                     \
        free(want_);                                                                               \
        free(err_);                                                                                \
    } while (0)

static void test_generic_spellings(void **state)
{
    (void)state;
    REFUSED("ls", "unknown option '--nope'", "--nope", NOPE);
    REFUSED("ls", "unknown option '-Z'", "-Z", NOPE);
    REFUSED("ls", "option '--json' does not take a value", "--json=1", NOPE);
    REFUSED("ls", "option '--password-file' requires a value", NOPE, "--password-file");
    REFUSED("ls", "option '--max-kdf' is ambiguous (--max-kdf-memory, --max-kdf-ops)", "--max-kdf",
            NOPE);
    REFUSED("ls", "missing ARCHIVE", "--json");
    REFUSED("ls", "unexpected argument 'b'", "a", "b");
    ACCEPTED("ls", "--", NOPE);
    REFUSED("ls", "unexpected argument '--json'", "--", NOPE, "--json");
    ACCEPTED("ls", "--js", NOPE); /* an unambiguous abbreviation */
    ACCEPTED("ls", NOPE, "-l");   /* options after operands */
    ACCEPTED("help", "ls");
    REFUSED("help", "unknown option '--x'", "--x");
    REFUSED("version", "unexpected argument 'x'", "x");
}

static void test_pack_options(void **state)
{
    (void)state;
    /* strings, flags, combined short flags and -xv */
    ACCEPTED("pack", NOPE, "--output=" NOPE ".out", "-fq");
    ACCEPTED("pack", NOPE, "-o" NOPE ".out", "--force", "--quiet", "--progress");
    REFUSED("pack", "missing -o OUTPUT", NOPE);
    REFUSED("pack", "option '-o' requires a value", NOPE, "-o");
    /* sizes */
    ACCEPTED("pack", NOPE, "-o", NOPE ".out", "--block-size", "64K");
    ACCEPTED("pack", NOPE, "-o", NOPE ".out", "--avg=64KiB", "--min", "16K", "--max=256k");
    REFUSED("pack", "--block-size: invalid size 'x' (expected a number like 4096, 64K or 1M)", NOPE,
            "-o", "out", "--block-size=x");
    REFUSED("pack", "--min: 1 is out of range (64 to 64M)", NOPE, "-o", "out", "--min", "1");
    /* numbers */
    ACCEPTED("pack", NOPE, "-o", NOPE ".out", "-j", "2", "--level=3");
    ACCEPTED("pack", NOPE, "-o", NOPE ".out", "-j2");
    REFUSED("pack", "--threads: invalid value 'x' (expected an integer)", NOPE, "-o", "out", "-jx");
    REFUSED("pack", "--threads: 2000 is out of range (0 to 1024)", NOPE, "-o", "out",
            "--threads=2000");
    /* callbacks: choices */
    ACCEPTED("pack", NOPE, "-o", NOPE ".out", "--compression", "zstd", "--chunking=fixed");
    REFUSED("pack", "--compression: invalid value 'x' (expected lz4, zstd or none)", NOPE, "-o",
            "out", "--compression=x");
    REFUSED("pack", "--chunking: invalid value 'x' (expected fixed or cdc)", NOPE, "-o", "out",
            "--chunking", "x");
    REFUSED("pack", "--kdf: invalid value 'x' (expected interactive or moderate)", NOPE, "-o",
            "out", "--encrypt", "--kdf=x");
    /* the repeatable list */
    ACCEPTED("pack", NOPE, "-o", NOPE ".out", "--add-stream", "a=" NOPE, "--add-stream=b=" NOPE);
    REFUSED("pack", "--add-stream: stream 'a' is given twice", NOPE, "-o", "out",
            "--add-stream=a=x", "--add-stream", "a=y");
    REFUSED("pack", "--add-stream: expected NAME=FILE, not 'x'", NOPE, "-o", "out",
            "--add-stream=x");
    /* a flag that clears a default */
    ACCEPTED("pack", NOPE, "-o", NOPE ".out", "--no-dedup");
    REFUSED("pack", "option '--no-dedup' does not take a value", NOPE, "--no-dedup=1");
}

static void test_reading_verbs(void **state)
{
    (void)state;
    ACCEPTED("cat", NOPE, "--offset=1K", "--length", "10", "--stream", "main");
    REFUSED("cat", "--offset: invalid size '-1' (expected a number like 4096, 64K or 1M)", NOPE,
            "--offset=-1");
    ACCEPTED("ls", NOPE, "--long", "--json", "--base-dir", "/tmp", "--password-file=/dev/null");
    REFUSED("ls", "option '--long' does not take a value", NOPE, "--long=1");
    ACCEPTED("inspect", NOPE, "--max-kdf-memory", "64M", "--max-kdf-ops=4");
    REFUSED("inspect", "--max-kdf-memory: 1 is out of range (8K to 4T)", NOPE,
            "--max-kdf-memory=1");
    REFUSED("inspect", "--max-kdf-ops: 0 is out of range (1 to 1048576)", NOPE, "--max-kdf-ops",
            "0");
    ACCEPTED("diff", NOPE, NOPE, "--json", "--files", "--streams");
    REFUSED("diff", "missing B", NOPE);
    ACCEPTED("verify", NOPE, "-p", NOPE ".pub", "--public-key=" NOPE ".pub", "-q");
    REFUSED("verify", "option '-p' requires a value", NOPE, "-p");
    ACCEPTED("extract", NOPE, "-o", NOPE ".d", "-fpq");
    ACCEPTED("extract", NOPE, "--output=" NOPE ".d", "--same-permissions", "--progress");
    REFUSED("extract", "missing -o DEST", NOPE, "-fp");
    ACCEPTED("predict", NOPE, "--block-size=4K", "--level", "3", "--json");
    REFUSED("predict", "--level: 30 is out of range (1 to 22)", NOPE, "--level=30");
}

static void test_writing_verbs(void **state)
{
    (void)state;
    ACCEPTED("flatten", NOPE, "-o", NOPE ".out", "-fq", "-j1", "--compression=lz4");
    REFUSED("flatten", "--threads: -1 is out of range (0 to 1024)", NOPE, "-o", "x", "-j", "-1");
    ACCEPTED("sign", NOPE, "-k", NOPE ".key", "--trusted-comment=c", "--no-verify");
    REFUSED("sign", "missing -k SECRET.key", NOPE);
    ACCEPTED("passwd", NOPE, "--kdf", "moderate", "--keep-key", "--new-password-file=/dev/null");
    REFUSED("passwd", "--kdf: invalid value 'x' (expected interactive or moderate)", NOPE,
            "--kdf=x");
    ACCEPTED("mount", NOPE, NOPE ".dir", "-f", "-o", "ro,allow_other", "--cache-size=1M");
    REFUSED("mount", "-o: unsupported mount option 'rw' (supported: allow_other)", NOPE, "d",
            "-orw");
    REFUSED("mount", "--cache-size: 17G is out of range (0 to 16G)", NOPE, "d", "--cache-size",
            "17G");
    REFUSED("keygen", "missing -o NAME", "-f");
    REFUSED("keygen", "unexpected argument 'x'", "-o", "k", "x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic_spellings),
        cmocka_unit_test(test_pack_options),
        cmocka_unit_test(test_reading_verbs),
        cmocka_unit_test(test_writing_verbs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
