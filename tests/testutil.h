/*
 * testutil.h - helpers shared by the cmocka tests: scratch directories, reproducible random
 * data, whole-file I/O, and running the hexz CLI with its output captured.
 */
#ifndef HEXZ_TESTUTIL_H
#define HEXZ_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh directory under $TMPDIR (or /tmp) named after `tag`; removed by tu_rmtree(). The
 * returned string is malloc'd. */
char *tu_mkdtemp(const char *tag);
/* rm -rf `path`. */
void tu_rmtree(const char *path);
/* printf into a malloc'd string. */
char *tu_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A reproducible pseudo-random generator (xoshiro256**). Tests that use randomness take the
 * seed from $HEXZ_TEST_SEED when set, print it, and so can be replayed. */
typedef struct {
    uint64_t s[4];
} tu_rng;
void tu_rng_seed(tu_rng *r, uint64_t seed);
uint64_t tu_rng_next(tu_rng *r);
uint64_t tu_rng_below(tu_rng *r, uint64_t n); /* uniform in [0, n), n > 0 */
void tu_rng_fill(tu_rng *r, void *buf, size_t len);
/* The seed for this test run: $HEXZ_TEST_SEED or a fixed default; printed once. */
uint64_t tu_test_seed(void);

/* Writes `len` bytes to `path` (creating or truncating it); fails the test on error. */
void tu_write_file(const char *path, const void *data, size_t len);
/* Reads a whole file into a malloc'd buffer; *len_out gets its size. Fails the test on error. */
uint8_t *tu_read_file(const char *path, size_t *len_out);
/* dir + "/" + name, malloc'd. */
char *tu_path(const char *dir, const char *name);
/* Asserts that `text` contains `part` (printing the text when it does not). */
void tu_assert_contains(const char *text, const char *part);
/* Asserts that the file `path` holds exactly want[0..len). */
void tu_assert_file_content(const char *path, const void *want, size_t len);

/* Writes `text` into dir/out.json and runs python3 on it: json.tool must accept it, and the
 * Python expression `expr` (the document is `d`) must hold. */
void tu_check_json(const char *dir, const char *text, const char *expr);

/* Size of a file, or -1. */
long long tu_file_size(const char *path);
/* Flips (xors with 0xFF) the byte at `offset` of `path` in place. */
void tu_flip_byte(const char *path, uint64_t offset);
/* Copies a file. */
void tu_copy_file(const char *from, const char *to);

/* Runs `argv` (argv[0] is the program path) with stdin from /dev/null, capturing stdout and
 * stderr into malloc'd NUL-terminated strings (either out pointer may be NULL). Returns the exit
 * status (0..255), or 128+signal if it was killed. */
int tu_run(char **out_stdout, char **out_stderr, const char *const argv[]);
/* tu_run() of the hexz CLI built with the tests: tu_hexz(&out, &err, "pack", x, "-o", y, NULL). */
int tu_hexz(char **out_stdout, char **out_stderr, ...);

/* Runs the CLI with the arguments up to the first NULL, asserts its exit code and (unless
 * want_stderr is NULL) its exact stderr, and returns its stdout (malloc'd). On a mismatch the
 * actual stderr is printed first, to make the failure readable. */
char *tu_hexz_expect(int code, const char *want_stderr, ...);

/* Skipped tests (tests/testskip.c). Every test program is linked with cmocka's _skip() and
 * _cmocka_run_group_tests() wrapped (ld --wrap): a program in which no test failed but at least
 * one called skip() exits with TU_SKIP_RETURN_CODE, CTest's SKIP_RETURN_CODE for every test, so
 * ctest prints "Skipped" instead of "Passed". tu_skip() prints why first; only a missing
 * dependency (a program, a device, a server) is a reason to skip. */
#define TU_SKIP_RETURN_CODE 77
#define tu_skip(...)                                                                               \
    do {                                                                                           \
        print_message("[  SKIP    ] " __VA_ARGS__);                                                \
        print_message("\n");                                                                       \
        skip();                                                                                    \
    } while (0)

#endif
